/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *	  medallion.best_attributes: SPEC's product precedence as one aggregate;
 *	  medallion.sorted_union: a customer's categories merged with new ones.
 *
 * silver.products takes each attribute from the first record that has it,
 * records ordered by source (catalog, sale, order item) and then newest
 * first (highest batch, line, item).  In SQL that is a sort per attribute
 * over millions of items; this aggregate finds every attribute's winner in
 * one hash-aggregation pass.  Its result, per attribute, is a rank key that
 * sorts like the precedence (as text in the C collation, smaller is better)
 * and the value, so that a later refresh can merge new records with the
 * stored winners by comparing keys.
 *
 * src/aggregates.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"

PG_FUNCTION_INFO_V1(medallion_best_attributes_transfn);
PG_FUNCTION_INFO_V1(medallion_best_attributes_finalfn);
PG_FUNCTION_INFO_V1(medallion_sorted_union);

/* slot 0 is the record itself (for lineage); then the attributes */
#define NATTRIBUTES 7			/* name, category, price, curr, unit, ean13, ean5 */
#define NSLOTS		(NATTRIBUTES + 1)
#define FIRST_VALUE_ARG 5

typedef struct RankKey
{
	int32		source;			/* 1 catalog, 2 sale, 3 order item */
	int64		batch_id;
	int64		line;
	int32		item_no;
} RankKey;

typedef struct BestState
{
	bool		has[NSLOTS];
	RankKey		key[NSLOTS];
	text	   *value[NSLOTS];
} BestState;

/* true when a comes before b: lower source, then newer */
static bool
ranks_before(const RankKey *a, const RankKey *b)
{
	if (a->source != b->source)
		return a->source < b->source;
	if (a->batch_id != b->batch_id)
		return a->batch_id > b->batch_id;
	if (a->line != b->line)
		return a->line > b->line;
	return a->item_no > b->item_no;
}

/*
 * best_attributes(source, batch_id, line, item_no, name, category, price,
 * curr, unit, ean13, ean5)
 */
Datum
medallion_best_attributes_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	BestState  *st;
	RankKey		key;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		elog(ERROR, "medallion.best_attributes called in a non-aggregate context");

	if (PG_ARGISNULL(0))
		st = MemoryContextAllocZero(aggcxt, sizeof(BestState));
	else
		st = (BestState *) PG_GETARG_POINTER(0);

	if (PG_ARGISNULL(1) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4))
		PG_RETURN_POINTER(st);
	key.source = PG_GETARG_INT32(1);
	key.batch_id = PG_GETARG_INT64(2);
	key.line = PG_GETARG_INT64(3);
	key.item_no = PG_GETARG_INT32(4);

	if (!st->has[0] || ranks_before(&key, &st->key[0]))
	{
		st->has[0] = true;
		st->key[0] = key;
	}
	for (int i = 0; i < NATTRIBUTES; i++)
	{
		int			arg = FIRST_VALUE_ARG + i;

		if (PG_ARGISNULL(arg))
			continue;
		if (!st->has[i + 1] || ranks_before(&key, &st->key[i + 1]))
		{
			text	   *v = PG_GETARG_TEXT_PP(arg);
			MemoryContext oldcxt = MemoryContextSwitchTo(aggcxt);

			if (st->value[i + 1])
				pfree(st->value[i + 1]);
			st->value[i + 1] = (text *) DatumGetPointer(datumCopy(PointerGetDatum(v), false, -1));
			MemoryContextSwitchTo(oldcxt);
			st->has[i + 1] = true;
			st->key[i + 1] = key;
		}
	}
	PG_RETURN_POINTER(st);
}

/* The key as text that sorts (in the C collation) like the precedence. */
static text *
key_text(const RankKey *k)
{
	return cstring_to_text(psprintf("%d%019lld%019lld%010d", k->source,
									(long long) (PG_INT64_MAX - k->batch_id),
									(long long) (PG_INT64_MAX - k->line),
									PG_INT32_MAX - k->item_no));
}

/*
 * Returns text[16]: for the record, then each attribute, its rank key and
 * its value (NULLs where no record had the attribute).  The record's value
 * is "batch_id:line", its lineage.
 */
Datum
medallion_best_attributes_finalfn(PG_FUNCTION_ARGS)
{
	BestState  *st;
	Datum		elems[NSLOTS * 2];
	bool		nulls[NSLOTS * 2];
	int			dims[1] = {NSLOTS * 2};
	int			lbs[1] = {1};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (BestState *) PG_GETARG_POINTER(0);

	for (int s = 0; s < NSLOTS; s++)
	{
		nulls[2 * s] = nulls[2 * s + 1] = !st->has[s];
		if (!st->has[s])
			continue;
		elems[2 * s] = PointerGetDatum(key_text(&st->key[s]));
		if (s == 0)
			elems[1] = CStringGetTextDatum(psprintf(INT64_FORMAT ":" INT64_FORMAT,
													st->key[0].batch_id, st->key[0].line));
		else
			elems[2 * s + 1] = PointerGetDatum(st->value[s]);
	}
	PG_RETURN_ARRAYTYPE_P(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1,
											 false, TYPALIGN_INT));
}

/* byte order of two texts (the C collation), for qsort */
static int
text_byte_cmp(const void *x, const void *y)
{
	text	   *a = (text *) DatumGetPointer(*(const Datum *) x);
	text	   *b = (text *) DatumGetPointer(*(const Datum *) y);
	int			la = VARSIZE_ANY_EXHDR(a);
	int			lb = VARSIZE_ANY_EXHDR(b);
	int			r = memcmp(VARDATA_ANY(a), VARDATA_ANY(b), Min(la, lb));

	if (r != 0)
		return r;
	return (la > lb) - (la < lb);
}

/*
 * sorted_union(a text[], b text[]): the distinct non-null elements of both,
 * in byte order (as ORDER BY ... COLLATE "C" sorts them).  The categories a
 * customer bought from are kept so in medallion.gold_customers; a refresh
 * merges in those of the new orders, a few per customer, without a
 * subquery per row.
 */
Datum
medallion_sorted_union(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	ArrayType  *b = PG_GETARG_ARRAYTYPE_P(1);
	Datum	   *ea,
			   *eb,
			   *all;
	bool	   *na,
			   *nb;
	int			ca,
				cb,
				n = 0,
				kept = 0;

	if (ARR_NDIM(a) > 1 || ARR_NDIM(b) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("medallion.sorted_union takes one-dimensional arrays")));
	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &ea, &na, &ca);
	deconstruct_array(b, TEXTOID, -1, false, TYPALIGN_INT, &eb, &nb, &cb);

	all = palloc(sizeof(Datum) * Max(ca + cb, 1));
	for (int i = 0; i < ca; i++)
		if (!na[i])
			all[n++] = ea[i];
	for (int i = 0; i < cb; i++)
		if (!nb[i])
			all[n++] = eb[i];
	if (n > 1)
		qsort(all, n, sizeof(Datum), text_byte_cmp);
	for (int i = 0; i < n; i++)
		if (kept == 0 || text_byte_cmp(&all[kept - 1], &all[i]) != 0)
			all[kept++] = all[i];

	PG_RETURN_ARRAYTYPE_P(construct_array(all, kept, TEXTOID, -1, false, TYPALIGN_INT));
}

/*-------------------------------------------------------------------------
 *
 * gold_state.c
 *	  The exact gold state of a full rebuild, in one pass over the fact,
 *	  and the changes an incremental refresh adds to it.
 *
 * A full rebuild needs, per day x product x category, day x category, day,
 * product, customer and customer x category, the sums of the sales fact and
 * the number of distinct orders in the group.  In SQL that is a sort of
 * every order line, to mark each order's first row, then one grouping per
 * state table.  Here each order is read once with its items together (the
 * items array of its winning record), added to hash tables in memory, and
 * each table is then written in key order through the multi-insert path
 * COPY uses.  The state lives in memory up to medallion.gold_state_memory;
 * past it, it is written out in parts that SQL sums at the end.
 *
 * An incremental refresh sums its fact changes (medallion.fact_delta) the
 * same way: each changed order, as it was (sign -1) and as it is (sign +1),
 * goes into the same hash tables, which are written to the working tables
 * work_state_* that gold.c adds to the state.  What is counted must stay
 * what silver.sales_fact shows: a sale is an order of one line; the lines
 * of an order are its items whose product is in silver.products, in that
 * product's category, for qty times the item's own price, else the
 * product's.  The regression tests rebuild in full after every incremental
 * refresh and compare the two row for row.
 *
 * src/gold_state.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "common/hashfn.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/typcache.h"

#define FETCH_ROWS 10000

/* ---------------------------------------------------------------------
 * Interned strings: product ids and categories, numbered from 0
 * ---------------------------------------------------------------------
 */

typedef struct StrKey
{
	const char *s;
	int			len;
} StrKey;

typedef struct StrEntry
{
	StrKey		key;
	int			id;
} StrEntry;

static uint32
strkey_hash(const void *key, Size keysize)
{
	const StrKey *k = key;

	return hash_bytes((const unsigned char *) k->s, k->len);
}

static int
strkey_match(const void *a, const void *b, Size keysize)
{
	const StrKey *x = a;
	const StrKey *y = b;

	return x->len == y->len && memcmp(x->s, y->s, x->len) == 0 ? 0 : 1;
}

/* What is known of a product of silver.products (by string id). */
typedef struct ProductInfo
{
	bool		known;
	int			category;
	Datum		price;			/* 0 when NULL */
} ProductInfo;

/* ---------------------------------------------------------------------
 * The state being built
 * ---------------------------------------------------------------------
 */

typedef struct Sums
{
	Datum		revenue;		/* numeric, in the sums context; 0 until set */
	int128		units;			/* quantities run to 2^63 - 1 each: no overflow */
	int64		orders;
} Sums;

/*
 * One hash table type serves every state table: the key is up to one
 * bigint and two ints (string ids, days), unused parts 0.
 *
 *	day x product x category	(day, product, category)
 *	day x category				(day, 0, category)
 *	day							(day, 0, 0)
 *	product						(0, product, 0)
 *	customer					(customer, 0, 0)
 *	customer x category			(customer, 0, category)
 *
 * and, for fact changes, what orders took away from a customer: the latest
 * day (customer, 0, 0) and the categories (customer, 0, category).
 */
typedef struct StateKey
{
	int64		a;
	int32		b;
	int32		c;
} StateKey;

typedef struct StateEntry
{
	StateKey	key;
	char		status;			/* simplehash's */
	int32		last_purchase;	/* customers; DATEVAL_NOBEGIN: none */
	Sums		sums;
} StateEntry;

static inline uint32
state_key_hash(StateKey k)
{
	return hash_combine(murmurhash32((uint32) k.a ^ (uint32) (k.a >> 32)),
						murmurhash32((uint32) k.b * 0x9E3779B1u + (uint32) k.c));
}

#define SH_PREFIX		gstate
#define SH_ELEMENT_TYPE	StateEntry
#define SH_KEY_TYPE		StateKey
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	state_key_hash(k)
#define SH_EQUAL(tb, x, y)	((x).a == (y).a && (x).b == (y).b && (x).c == (y).c)
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* One line of an order: its product and category, amount and units. */
typedef struct Line
{
	int32		product;
	int32		category;
	Datum		amount;
	int64		qty;
} Line;

typedef struct State
{
	MemoryContext cxt;			/* the tables and strings */
	MemoryContext sums_cxt;		/* running sums (freed as they are replaced) */
	MemoryContext order_cxt;	/* one order; reset after each */

	HTAB	   *strings;
	char	  **str;			/* by id */
	int		   *str_len;
	Datum	   *str_text;		/* as text datums, for writing */
	ProductInfo *products_info;
	int			nstr;
	int			str_cap;

	gstate_hash *day_products;
	gstate_hash *day_categories;
	gstate_hash *days;
	gstate_hash *products;
	gstate_hash *customers;
	gstate_hash *customer_categories;
	gstate_hash *removed_customers; /* fact changes only */
	gstate_hash *removed_categories;

	Line	   *lines;			/* of the order being added */
	int			lines_cap;
	int			nlines;			/* fact changes: lines of the order so far */

	/* fact changes: the order being read (emission, sign, key) */
	bool		delta;
	bool		removals;		/* a change took something away */
	int64		change_emission;
	int			change_sign;
	StringInfoData change_key;
	int64		change_customer;
	int32		change_day;
	int64		groups;			/* (order, product, category) groups */

	uint32		rows_read;		/* memory is looked at every 256 rows */
	int			flushes;		/* times the state was written out so far */
} State;

static void
state_tables_create(State *st)
{
	st->day_products = gstate_create(st->cxt, 1024, NULL);
	st->day_categories = gstate_create(st->cxt, 1024, NULL);
	st->days = gstate_create(st->cxt, 1024, NULL);
	st->products = gstate_create(st->cxt, 1024, NULL);
	st->customers = gstate_create(st->cxt, 1024, NULL);
	st->customer_categories = gstate_create(st->cxt, 1024, NULL);
	st->removed_customers = gstate_create(st->cxt, 64, NULL);
	st->removed_categories = gstate_create(st->cxt, 64, NULL);
}

static void
state_init(State *st)
{
	HASHCTL		ctl;

	memset(st, 0, sizeof(State));
	st->cxt = AllocSetContextCreate(CurrentMemoryContext, "medallion gold state",
									ALLOCSET_DEFAULT_SIZES);
	st->sums_cxt = AllocSetContextCreate(st->cxt, "medallion gold sums",
										 ALLOCSET_DEFAULT_SIZES);
	st->order_cxt = AllocSetContextCreate(st->cxt, "medallion gold order",
										  ALLOCSET_DEFAULT_SIZES);

	ctl.keysize = sizeof(StrKey);
	ctl.entrysize = sizeof(StrEntry);
	ctl.hash = strkey_hash;
	ctl.match = strkey_match;
	ctl.hcxt = st->cxt;
	st->strings = hash_create("medallion gold strings", 1024, &ctl,
							  HASH_ELEM | HASH_FUNCTION | HASH_COMPARE | HASH_CONTEXT);

	state_tables_create(st);

	st->lines_cap = 64;
	st->lines = MemoryContextAlloc(st->cxt, sizeof(Line) * st->lines_cap);
}

/* The id of a string; -1 when absent and !add. */
static int
string_id(State *st, const text *t, bool add)
{
	StrKey		key;
	StrEntry   *e;
	bool		found;
	MemoryContext oldcxt;

	key.s = VARDATA_ANY(t);
	key.len = VARSIZE_ANY_EXHDR(t);
	e = hash_search(st->strings, &key, add ? HASH_ENTER : HASH_FIND, &found);
	if (e == NULL)
		return -1;
	if (found)
		return e->id;

	oldcxt = MemoryContextSwitchTo(st->cxt);
	if (st->nstr == st->str_cap)
	{
		int			cap = st->str_cap ? st->str_cap * 2 : 256;

		st->str = st->str ? repalloc(st->str, sizeof(char *) * cap) : palloc(sizeof(char *) * cap);
		st->str_len = st->str_len ? repalloc(st->str_len, sizeof(int) * cap) : palloc(sizeof(int) * cap);
		st->str_text = st->str_text ? repalloc(st->str_text, sizeof(Datum) * cap) : palloc(sizeof(Datum) * cap);
		st->products_info = st->products_info ?
			repalloc(st->products_info, sizeof(ProductInfo) * cap) : palloc(sizeof(ProductInfo) * cap);
		st->str_cap = cap;
	}
	e->id = st->nstr++;
	e->key.s = st->str[e->id] = pnstrdup(key.s, key.len);
	st->str_len[e->id] = key.len;
	st->str_text[e->id] = PointerGetDatum(cstring_to_text_with_len(key.s, key.len));
	memset(&st->products_info[e->id], 0, sizeof(ProductInfo));
	MemoryContextSwitchTo(oldcxt);
	return e->id;
}

/* ---------------------------------------------------------------------
 * Adding an order
 * ---------------------------------------------------------------------
 */

/* *sum += value, the sum kept in the sums context */
static void
add_revenue(State *st, Datum *sum, Datum value)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(st->sums_cxt);

	/* a copy with a 4-byte header: the adds need not unpack it each time */
	if (*sum == (Datum) 0)
		*sum = NumericGetDatum(DatumGetNumericCopy(value));
	else
	{
		Datum		old = *sum;

		*sum = DirectFunctionCall2(numeric_add, old, value);
		pfree(DatumGetPointer(old));
	}
	MemoryContextSwitchTo(oldcxt);
}

/* a sum of units as numeric (as sum(bigint) gives it) */
static Datum
units_numeric(int128 v)
{
	char		buf[48];
	char	   *p = buf + sizeof(buf);
	uint128		u = v < 0 ? -(uint128) v : (uint128) v;

	if (v >= PG_INT64_MIN && v <= PG_INT64_MAX)
		return NumericGetDatum(int64_to_numeric((int64) v));
	*--p = '\0';
	do
	{
		*--p = '0' + (int) (u % 10);
		u /= 10;
	} while (u > 0);
	if (v < 0)
		*--p = '-';
	return DirectFunctionCall3(numeric_in, CStringGetDatum(p), ObjectIdGetDatum(InvalidOid),
							   Int32GetDatum(-1));
}

/*
 * one order (or group of it) more in a group (sign 1), or one less (-1),
 * with what it brought (negative when it leaves)
 */
static void
add_sums(State *st, Sums *sums, Datum revenue, int128 units, int sign)
{
	add_revenue(st, &sums->revenue, revenue);
	sums->units += units;
	sums->orders += sign;
}

/*
 * The entry of (a, b, c) in table, new ones zeroed.  It moves when the
 * table grows: use it before the next insert into the same table.
 */
static StateEntry *
entry(gstate_hash *table, int64 a, int32 b, int32 c)
{
	StateKey	key = {a, b, c};
	bool		found;
	StateEntry *e = gstate_insert(table, key, &found);

	if (!found)
	{
		e->last_purchase = DATEVAL_NOBEGIN;
		memset(&e->sums, 0, sizeof(Sums));
	}
	return e;
}

static int
line_cmp(const void *a, const void *b)
{
	const Line *x = a;
	const Line *y = b;

	if (x->category != y->category)
		return x->category < y->category ? -1 : 1;
	if (x->product != y->product)
		return x->product < y->product ? -1 : 1;
	return 0;
}

/* a numeric sum of the lines [from, to) */
static Datum
lines_revenue(Line *lines, int from, int to)
{
	Datum		sum = lines[from].amount;

	for (int i = from + 1; i < to; i++)
		sum = DirectFunctionCall2(numeric_add, sum, lines[i].amount);
	return sum;
}

/*
 * Adds one order of a customer on a day (sign 1), or takes it away (-1, its
 * lines' amounts and units negative): its lines grouped by product and
 * category, by category, and whole.  Scratch values go in the order context.
 */
static void
add_order(State *st, int sign, int64 customer, int32 day, Line *lines, int n)
{
	Datum		order_revenue = (Datum) 0;
	int128		order_units = 0;
	int			cat_start = 0;
	Datum		cat_revenue = (Datum) 0;
	int128		cat_units = 0;
	StateEntry *e;

	if (n == 0)
		return;
	if (n > 1)
		qsort(lines, n, sizeof(Line), line_cmp);

	for (int i = 0; i < n;)
	{
		int			j = i + 1;
		Datum		revenue;
		int128		units = lines[i].qty;

		while (j < n && line_cmp(&lines[i], &lines[j]) == 0)
			units += lines[j++].qty;
		revenue = lines_revenue(lines, i, j);
		st->groups++;

		e = entry(st->day_products, day, lines[i].product, lines[i].category);
		add_sums(st, &e->sums, revenue, units, sign);
		e = entry(st->products, 0, lines[i].product, 0);
		add_sums(st, &e->sums, revenue, units, sign);

		cat_revenue = cat_revenue ? DirectFunctionCall2(numeric_add, cat_revenue, revenue) : revenue;
		cat_units += units;
		i = j;

		/* the end of a category */
		if (i == n || lines[i].category != lines[cat_start].category)
		{
			int32		category = lines[cat_start].category;

			e = entry(st->day_categories, day, 0, category);
			add_sums(st, &e->sums, cat_revenue, cat_units, sign);
			/* the pair itself is the state: the categories a customer bought from */
			(void) entry(sign > 0 ? st->customer_categories : st->removed_categories,
						 customer, 0, category);

			order_revenue = order_revenue ?
				DirectFunctionCall2(numeric_add, order_revenue, cat_revenue) : cat_revenue;
			order_units += cat_units;
			cat_start = i;
			cat_revenue = (Datum) 0;
			cat_units = 0;
		}
	}

	e = entry(st->days, day, 0, 0);
	add_sums(st, &e->sums, order_revenue, order_units, sign);
	e = entry(st->customers, customer, 0, 0);
	add_sums(st, &e->sums, order_revenue, 0, sign);
	/* the latest day an order came on; of a change, also the latest it left */
	if (sign < 0)
		e = entry(st->removed_customers, customer, 0, 0);
	if (day > e->last_purchase)
		e->last_purchase = day;
}

/* ---------------------------------------------------------------------
 * Reading the fact
 * ---------------------------------------------------------------------
 */

static void flush_state(State *st);

/*
 * Runs sql as a cursor and hands each row to fn.  Not read-only: the
 * silver refresh before this, in the same transaction, must be seen.
 */
static int64
for_each_row(const char *step, const char *sql, State *st,
			 void (*fn) (State *st, HeapTuple tuple, TupleDesc desc, void *arg), void *arg)
{
	ErrorContextCallback errcallback;
	SPIPlanPtr	plan;
	Portal		portal;
	int64		rows = 0;
	StepClock	clock;

	medallion_step_start(&clock);
	medallion_step_context_push(&errcallback, step);

	plan = SPI_prepare(sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	portal = SPI_cursor_open(NULL, plan, NULL, NULL, false);
	for (;;)
	{
		SPITupleTable *tuptable;
		uint64		n;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		/* a flush runs statements, which replace SPI_tuptable */
		tuptable = SPI_tuptable;
		n = SPI_processed;
		if (n == 0)
			break;
		for (uint64 i = 0; i < n; i++)
		{
			fn(st, tuptable->vals[i], tuptable->tupdesc, arg);
			if ((++st->rows_read & 255) == 0 &&
				MemoryContextMemAllocated(st->cxt, true) > (Size) medallion_gold_state_memory * 1024)
				flush_state(st);
			CHECK_FOR_INTERRUPTS();
		}
		rows += n;
		SPI_freetuptable(tuptable);
	}
	SPI_cursor_close(portal);
	SPI_freeplan(plan);

	medallion_step_context_pop(&errcallback);
	medallion_step_done(&clock, step, rows);
	return rows;
}

/* product_id, product_category, price of silver.products */
static void
read_product(State *st, HeapTuple tuple, TupleDesc desc, void *arg)
{
	bool		isnull;
	int			id = string_id(st, DatumGetTextPP(SPI_getbinval(tuple, desc, 1, &isnull)), true);
	int			category = string_id(st, DatumGetTextPP(SPI_getbinval(tuple, desc, 2, &isnull)), true);
	Datum		price = SPI_getbinval(tuple, desc, 3, &isnull);
	ProductInfo *info = &st->products_info[id];
	MemoryContext oldcxt = MemoryContextSwitchTo(st->cxt);

	info->known = true;
	info->category = category;
	info->price = isnull ? (Datum) 0 : datumCopy(price, false, -1);
	MemoryContextSwitchTo(oldcxt);
}

/* customer_id, order_date, product_id, product_category, amount, quantity of silver.sales */
static void
read_sale(State *st, HeapTuple tuple, TupleDesc desc, void *arg)
{
	bool		isnull;
	MemoryContext oldcxt = MemoryContextSwitchTo(st->order_cxt);
	int64		customer = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	int32		day = DatumGetDateADT(SPI_getbinval(tuple, desc, 2, &isnull));
	Line	   *line = &st->lines[0];

	line->product = string_id(st, DatumGetTextPP(SPI_getbinval(tuple, desc, 3, &isnull)), true);
	line->category = string_id(st, DatumGetTextPP(SPI_getbinval(tuple, desc, 4, &isnull)), true);
	line->amount = SPI_getbinval(tuple, desc, 5, &isnull);
	line->qty = DatumGetInt64(SPI_getbinval(tuple, desc, 6, &isnull));
	add_order(st, 1, customer, day, line, 1);

	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(st->order_cxt);
}

/* How to take an item apart (silver.order_item). */
typedef struct ItemType
{
	Oid			type;
	TupleDesc	desc;
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			product;		/* attribute numbers, from 0 */
	int			qty;
	int			price;
	Datum	   *values;
	bool	   *nulls;
} ItemType;

static int
item_attribute(TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
		if (strcmp(NameStr(TupleDescAttr(desc, i)->attname), name) == 0)
			return i;
	elog(ERROR, "silver.order_item has no attribute \"%s\"", name);
	return -1;
}

static void
item_type_init(State *st, ItemType *it, Oid type)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(st->cxt);

	it->type = type;
	it->desc = lookup_rowtype_tupdesc_copy(type, -1);
	get_typlenbyvalalign(type, &it->typlen, &it->typbyval, &it->typalign);
	it->product = item_attribute(it->desc, "product_id");
	it->qty = item_attribute(it->desc, "qty");
	it->price = item_attribute(it->desc, "price");
	it->values = palloc(sizeof(Datum) * it->desc->natts);
	it->nulls = palloc(sizeof(bool) * it->desc->natts);
	MemoryContextSwitchTo(oldcxt);
}

/* customer_id, order_date, items of an order and its winning record */
static void
read_order(State *st, HeapTuple tuple, TupleDesc desc, void *arg)
{
	ItemType   *it = arg;
	bool		isnull;
	MemoryContext oldcxt = MemoryContextSwitchTo(st->order_cxt);
	int64		customer = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	int32		day = DatumGetDateADT(SPI_getbinval(tuple, desc, 2, &isnull));
	Datum		items = SPI_getbinval(tuple, desc, 3, &isnull);
	ArrayType  *arr;
	Datum	   *elems;
	bool	   *elem_nulls;
	int			nelems;
	int			n = 0;

	if (isnull)
		goto done;
	arr = DatumGetArrayTypeP(items);
	if (it->desc == NULL)
	{
		MemoryContextSwitchTo(oldcxt);
		item_type_init(st, it, ARR_ELEMTYPE(arr));
		MemoryContextSwitchTo(st->order_cxt);
	}
	deconstruct_array(arr, it->type, it->typlen, it->typbyval, it->typalign,
					  &elems, &elem_nulls, &nelems);
	if (nelems > st->lines_cap)
	{
		st->lines_cap = nelems;
		st->lines = repalloc(st->lines, sizeof(Line) * nelems);
	}

	for (int i = 0; i < nelems; i++)
	{
		HeapTupleHeader th;
		HeapTupleData item;
		int			product;
		ProductInfo *info;
		Line	   *line;

		if (elem_nulls[i])
			continue;
		th = DatumGetHeapTupleHeader(elems[i]);
		item.t_len = HeapTupleHeaderGetDatumLength(th);
		ItemPointerSetInvalid(&item.t_self);
		item.t_tableOid = InvalidOid;
		item.t_data = th;
		heap_deform_tuple(&item, it->desc, it->values, it->nulls);

		/* only items of a product of silver.products are in the fact */
		if (it->nulls[it->product])
			continue;
		product = string_id(st, DatumGetTextPP(it->values[it->product]), false);
		if (product < 0 || !st->products_info[product].known)
			continue;
		info = &st->products_info[product];
		if (it->nulls[it->qty] || (it->nulls[it->price] && info->price == (Datum) 0))
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("an order item of silver has no quantity or no price")));

		line = &st->lines[n++];
		line->product = product;
		line->category = info->category;
		line->qty = DatumGetInt64(it->values[it->qty]);
		line->amount = DirectFunctionCall2(numeric_mul,
										   NumericGetDatum(int64_to_numeric(line->qty)),
										   it->nulls[it->price] ? info->price : it->values[it->price]);
	}
	add_order(st, 1, customer, day, st->lines, n);

done:
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(st->order_cxt);
}

/*
 * Fact changes: the rows of one order's emission (emission, sign, key) come
 * together; its lines are kept until the next order's first row, then the
 * order is added whole (or taken away).  A flush between two rows writes
 * out only whole orders: the lines waiting are in st->lines and the order
 * context, which a flush does not touch.
 */
static void
finish_change(State *st)
{
	MemoryContext oldcxt;

	if (st->nlines == 0)
		return;
	oldcxt = MemoryContextSwitchTo(st->order_cxt);
	add_order(st, st->change_sign, st->change_customer, st->change_day, st->lines, st->nlines);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(st->order_cxt);
	st->nlines = 0;
}

/*
 * emission, sign, order_key, customer_id, day, product_id, product_category,
 * revenue, units of medallion.fact_delta, in (emission, sign, order_key) order
 */
static void
read_change(State *st, HeapTuple tuple, TupleDesc desc, void *arg)
{
	bool		isnull;
	int64		emission = DatumGetInt64(SPI_getbinval(tuple, desc, 1, &isnull));
	int			sign = DatumGetInt16(SPI_getbinval(tuple, desc, 2, &isnull));
	text	   *key = DatumGetTextPP(SPI_getbinval(tuple, desc, 3, &isnull));
	int			keylen = VARSIZE_ANY_EXHDR(key);
	MemoryContext oldcxt;
	Datum		revenue;
	Line	   *line;

	if (emission != st->change_emission || sign != st->change_sign ||
		keylen != st->change_key.len || memcmp(VARDATA_ANY(key), st->change_key.data, keylen) != 0)
	{
		finish_change(st);
		st->change_emission = emission;
		st->change_sign = sign;
		resetStringInfo(&st->change_key);
		appendBinaryStringInfo(&st->change_key, VARDATA_ANY(key), keylen);
		st->change_customer = DatumGetInt64(SPI_getbinval(tuple, desc, 4, &isnull));
		st->change_day = DatumGetDateADT(SPI_getbinval(tuple, desc, 5, &isnull));
		if (sign < 0)
			st->removals = true;
	}

	if (st->nlines == st->lines_cap)
	{
		st->lines_cap *= 2;
		st->lines = repalloc(st->lines, sizeof(Line) * st->lines_cap);
	}
	oldcxt = MemoryContextSwitchTo(st->order_cxt);
	line = &st->lines[st->nlines++];
	line->product = string_id(st, DatumGetTextPP(SPI_getbinval(tuple, desc, 6, &isnull)), true);
	line->category = string_id(st, DatumGetTextPP(SPI_getbinval(tuple, desc, 7, &isnull)), true);
	revenue = SPI_getbinval(tuple, desc, 8, &isnull);
	line->amount = sign < 0 ? DirectFunctionCall1(numeric_uminus, revenue) :
		datumCopy(revenue, false, -1);
	line->qty = DatumGetInt64(SPI_getbinval(tuple, desc, 9, &isnull)) * sign;
	MemoryContextSwitchTo(oldcxt);
}

/* ---------------------------------------------------------------------
 * Writing the state
 * ---------------------------------------------------------------------
 */

static State *sort_state;		/* for the comparator below */

/* byte order of two interned strings */
static int
str_cmp(int32 a, int32 b)
{
	int			r;

	if (a == b)
		return 0;
	r = memcmp(sort_state->str[a], sort_state->str[b],
			   Min(sort_state->str_len[a], sort_state->str_len[b]));
	if (r != 0)
		return r;
	return sort_state->str_len[a] - sort_state->str_len[b];
}

/* key order: a as a number, b and c as the strings they stand for */
static int
entry_cmp(const void *x, const void *y)
{
	const StateKey *k = &(*(StateEntry *const *) x)->key;
	const StateKey *l = &(*(StateEntry *const *) y)->key;
	int			r;

	if (k->a != l->a)
		return k->a < l->a ? -1 : 1;
	if ((r = str_cmp(k->b, l->b)) != 0)
		return r;
	return str_cmp(k->c, l->c);
}

/* What goes in each column of a state table. */
typedef enum Column
{
	COL_DAY,					/* key a as a date */
	COL_CUSTOMER,				/* key a as a bigint */
	COL_PRODUCT,				/* key b as text */
	COL_CATEGORY,				/* key c as text */
	COL_REVENUE,
	COL_UNITS,
	COL_ORDERS,
	COL_LAST_PURCHASE
} Column;

/* Writes a state table (prefix + name) in key order (cheap index inserts). */
static int64
write_table(State *st, gstate_hash *table, const char *prefix, const char *name,
			const Column *columns, int ncolumns)
{
	char	   *relname = psprintf("%s%s", prefix, name);
	gstate_iterator it;
	StateEntry *e;
	StateEntry **all;
	uint64		n = 0;
	BulkInserter bi;
	Datum		values[8];
	bool		nulls[8];

	all = MemoryContextAllocHuge(st->cxt, sizeof(StateEntry *) * Max(table->members, 1));
	gstate_start_iterate(table, &it);
	while ((e = gstate_iterate(table, &it)) != NULL)
		all[n++] = e;
	sort_state = st;
	qsort(all, n, sizeof(StateEntry *), entry_cmp);

	memset(nulls, false, sizeof(nulls));
	bulk_inserter_open(&bi, get_relname_relid(relname, get_namespace_oid("medallion", false)), true);
	for (uint64 i = 0; i < n; i++)
	{
		e = all[i];
		for (int col = 0; col < ncolumns; col++)
		{
			switch (columns[col])
			{
				case COL_DAY:
					values[col] = DateADTGetDatum((DateADT) e->key.a);
					break;
				case COL_CUSTOMER:
					values[col] = Int64GetDatum(e->key.a);
					break;
				case COL_PRODUCT:
					values[col] = st->str_text[e->key.b];
					break;
				case COL_CATEGORY:
					values[col] = st->str_text[e->key.c];
					break;
				case COL_REVENUE:
					values[col] = e->sums.revenue;
					break;
				case COL_UNITS:
					values[col] = units_numeric(e->sums.units);
					break;
				case COL_ORDERS:
					values[col] = Int64GetDatum(e->sums.orders);
					break;
				case COL_LAST_PURCHASE:
					values[col] = DateADTGetDatum(e->last_purchase);
					nulls[col] = DATE_NOT_FINITE(e->last_purchase);
					break;
			}
		}
		bulk_inserter_add(&bi, values, nulls, 64);
	}
	bulk_inserter_close(&bi);
	pfree(all);
	pfree(relname);
	return n;
}

/* Writes the state into the gold state tables, or the working tables. */
static void
write_state(State *st, const char *prefix)
{
	static const Column day_products[] = {COL_DAY, COL_PRODUCT, COL_CATEGORY,
	COL_REVENUE, COL_UNITS, COL_ORDERS};
	static const Column day_categories[] = {COL_DAY, COL_CATEGORY, COL_REVENUE, COL_UNITS, COL_ORDERS};
	static const Column days[] = {COL_DAY, COL_REVENUE, COL_UNITS, COL_ORDERS};
	static const Column products[] = {COL_PRODUCT, COL_REVENUE, COL_UNITS, COL_ORDERS};
	static const Column customers[] = {COL_CUSTOMER, COL_REVENUE, COL_ORDERS, COL_LAST_PURCHASE};
	static const Column customer_categories[] = {COL_CUSTOMER, COL_CATEGORY};
	static const Column removed_customers[] = {COL_CUSTOMER, COL_LAST_PURCHASE};
	StepClock	clock;
	int64		rows = 0;

	medallion_step_start(&clock);
	rows += write_table(st, st->day_products, prefix, "day_products",
						day_products, lengthof(day_products));
	rows += write_table(st, st->day_categories, prefix, "day_categories",
						day_categories, lengthof(day_categories));
	rows += write_table(st, st->days, prefix, "days", days, lengthof(days));
	rows += write_table(st, st->products, prefix, "products", products, lengthof(products));
	/* summed, and their categories gathered, by gold.c in SQL */
	rows += write_table(st, st->customers, "work_state_", "customers", customers, lengthof(customers));
	rows += write_table(st, st->customer_categories, "work_state_", "customer_categories",
						customer_categories, lengthof(customer_categories));
	if (st->delta)
	{
		rows += write_table(st, st->removed_customers, prefix, "removed_customers",
							removed_customers, lengthof(removed_customers));
		rows += write_table(st, st->removed_categories, prefix, "removed_categories",
							customer_categories, lengthof(customer_categories));
	}
	medallion_step_done(&clock, "write state", rows);
}

/*
 * the state tables summed from the parts written out, which are emptied
 * (the customers' parts are summed by gold.c, as an incremental refresh's)
 */
static const char *const combine_state =
"INSERT INTO medallion.gold_day_products SELECT day, product_id, product_category, sum(revenue),"
"  sum(units), sum(order_count) FROM medallion.work_state_day_products GROUP BY 1, 2, 3; "
"INSERT INTO medallion.gold_day_categories SELECT day, product_category, sum(revenue), sum(units),"
"  sum(order_count) FROM medallion.work_state_day_categories GROUP BY 1, 2; "
"INSERT INTO medallion.gold_days SELECT day, sum(revenue), sum(units), sum(order_count)"
"  FROM medallion.work_state_days GROUP BY 1; "
"INSERT INTO medallion.gold_products SELECT product_id, sum(revenue), sum(units), sum(order_count)"
"  FROM medallion.work_state_products GROUP BY 1; "
"TRUNCATE medallion.work_state_day_products, medallion.work_state_day_categories,"
"  medallion.work_state_days, medallion.work_state_products";

/*
 * The state outgrew medallion.gold_state_memory: it is appended to the
 * working tables (work_state_*), and the build goes on with empty hash
 * tables; at the end, SQL sums the parts (a grouping that spills to disk
 * past work_mem).  Every order is added whole to one part, so the parts'
 * sums, order counts and last purchases add up to those of the whole.
 */
static void
flush_state(State *st)
{
	write_state(st, "work_state_");
	st->flushes++;

	gstate_destroy(st->day_products);
	gstate_destroy(st->day_categories);
	gstate_destroy(st->days);
	gstate_destroy(st->products);
	gstate_destroy(st->customers);
	gstate_destroy(st->customer_categories);
	gstate_destroy(st->removed_customers);
	gstate_destroy(st->removed_categories);
	MemoryContextReset(st->sums_cxt);
	state_tables_create(st);
}

/*
 * Builds the gold state tables (empty on entry) from the whole sales
 * fact, but for the customers', which are left in work_state_customers
 * and work_state_customer_categories for gold.c to sum; the caller is
 * connected to SPI.  Returns the number of fact rows grouped by order and
 * product, as an incremental refresh counts changes.
 */
int64
medallion_gold_full_state(void)
{
	State		st;
	ItemType	item_type;
	int64		groups;

	state_init(&st);
	memset(&item_type, 0, sizeof(ItemType));

	for_each_row("read products",
				 "SELECT product_id, product_category, price FROM silver.products",
				 &st, read_product, NULL);
	for_each_row("read sales",
				 "SELECT customer_id, order_date, product_id, product_category, amount, quantity"
				 " FROM silver.sales",
				 &st, read_sale, NULL);
	for_each_row("read orders",
				 "SELECT o.customer_id, o.order_date, r.items FROM silver.orders o"
				 " JOIN silver.order_records r ON r.batch_id = o._batch_id AND r.line = o._line",
				 &st, read_order, &item_type);
	elog(DEBUG1, "medallion gold state: " UINT64_FORMAT " rows held in %zu kB, written out %d times before",
		 (uint64) (st.day_products->members + st.day_categories->members + st.days->members +
				   st.products->members + st.customers->members + st.customer_categories->members),
		 MemoryContextMemAllocated(st.cxt, true) / 1024, st.flushes);
	if (st.flushes == 0)
		write_state(&st, "gold_");
	else
	{
		flush_state(&st);
		medallion_run_step("combine state", combine_state, 0, NULL, NULL);
	}

	groups = st.groups;
	MemoryContextDelete(st.cxt);
	return groups;
}

/*
 * Sums the fact changes recorded since the last refresh into the working
 * tables work_state_* (empty on entry), as changes of the state: gold.c
 * adds them to it.  *removals tells whether an order left a group (only
 * then can a group have become empty, or a customer's last purchase or
 * categories have to be looked up again).  Returns the number of changes
 * grouped by order and product.
 */
int64
medallion_gold_delta_state(bool *removals)
{
	State		st;
	int64		groups;
	MemoryContext oldcxt;

	state_init(&st);
	st.delta = true;
	oldcxt = MemoryContextSwitchTo(st.cxt);
	initStringInfo(&st.change_key);
	MemoryContextSwitchTo(oldcxt);

	for_each_row("read fact changes",
				 "SELECT emission, sign, order_key, customer_id, day, product_id, product_category,"
				 " revenue, units FROM medallion.fact_delta"
				 " ORDER BY emission, sign, order_key COLLATE \"C\"",
				 &st, read_change, NULL);
	finish_change(&st);
	elog(DEBUG1, "medallion gold changes: " UINT64_FORMAT " rows held in %zu kB, written out %d times before",
		 (uint64) (st.day_products->members + st.day_categories->members + st.days->members +
				   st.products->members + st.customers->members + st.customer_categories->members +
				   st.removed_customers->members + st.removed_categories->members),
		 MemoryContextMemAllocated(st.cxt, true) / 1024, st.flushes);
	write_state(&st, "work_state_");

	*removals = st.removals;
	groups = st.groups;
	MemoryContextDelete(st.cxt);
	return groups;
}

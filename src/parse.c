/*-------------------------------------------------------------------------
 *
 * parse.c
 *	  medallion_parse_products: types and parses new sales and sales_orders
 *	  batches into silver's typed records.
 *
 * Every bronze row of a batch not yet parsed becomes one typed record
 * (silver.sales_records, silver.order_records), with its JSON fields parsed
 * by json_items.c (items and clicks in their own tables) and the first
 * permanent rule it breaks recorded as its problem.  What depends on other
 * records or on time (customers, prices, later records, the refresh date) is
 * decided by medallion_refresh_silver.  Rows are written with the
 * multi-insert path, never one INSERT per row.
 *
 * src/parse.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"
#include "json_batch.h"
#include "json_items.h"
#include "values.h"

#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "common/cryptohash.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/array.h"
#include "access/htup_details.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"

PG_FUNCTION_INFO_V1(medallion_parse_products);

/* bronze rows fetched, and their JSON parsed, at a time */
#define FETCH_ROWS	5000
/* fields of a row after _line, in both queries */
#define NFIELDS		7
/* JSON fields of a row: sales' product; orders' items, clicks, promo_info */
#define NJSON(orders)	((orders) ? 3 : 1)
/* values longer than this are cut in quarantine reasons */
#define SHOWN_VALUE	80

typedef struct Chunk Chunk;

/* State of one parse call. */
typedef struct ParseState
{
	pg_cryptohash_ctx *md5;
	MemoryContext row_cxt;		/* reset after every row */
	int64		batch_id;
	int64		rows_written;
	int64		warn_line_items;	/* number_of_line_items != item count */
	int64		warn_clicks;	/* clicked_items that do not parse */
	Oid			item_type;		/* silver.order_item */
	TupleDesc	item_desc;
	Oid			click_type;		/* silver.order_click */
	TupleDesc	click_desc;
	Chunk	   *chunks;			/* two, alternating */
} ParseState;

/* A bronze field: its bytes, or NULL. */
typedef struct Field
{
	const char *s;
	size_t		len;
	bool		isnull;
} Field;

static Field
field(HeapTuple tup, TupleDesc desc, int attno)
{
	Field		f;
	Datum		d = SPI_getbinval(tup, desc, attno, &f.isnull);

	if (f.isnull)
	{
		f.s = NULL;
		f.len = 0;
	}
	else
	{
		text	   *t = DatumGetTextPP(d);

		f.s = VARDATA_ANY(t);
		f.len = VARSIZE_ANY_EXHDR(t);
	}
	return f;
}

/* A field as silver sees it: trimmed, and absent for a null token. */
static bool
present(Field *f)
{
	if (f->isnull || value_is_null_token(f->s, f->len))
		return false;
	value_trim(&f->s, &f->len);
	return true;
}

static Datum
text_datum(const char *s, size_t len)
{
	return PointerGetDatum(cstring_to_text_with_len(s, len));
}

/* A value quoted for a quarantine reason, cut to SHOWN_VALUE bytes. */
static char *
shown(Field f)
{
	size_t		len = f.len;

	if (f.isnull)
		return pstrdup("(missing)");
	if (len > SHOWN_VALUE)
		len = pg_mbcliplen(f.s, len, SHOWN_VALUE);
	return psprintf("\"%.*s\"%s", (int) len, f.s, len < f.len ? "..." : "");
}

static Datum
jsonb_datum(const char *s, size_t len)
{
	char	   *str = pnstrdup(s, len);

	return DirectFunctionCall1(jsonb_in, CStringGetDatum(str));
}

/* A plain code as a JSON string. */
static Datum
jsonb_string_datum(const char *s, size_t len)
{
	StringInfoData buf;

	initStringInfo(&buf);
	escape_json(&buf, pnstrdup(s, len));
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/* The identity of a sales record: MD5 of the bronze text of its columns. */
static Datum
record_hash(ParseState *ps, Field *fields, int nfields)
{
	bytea	   *hash = palloc(VARHDRSZ + 16);

	if (pg_cryptohash_init(ps->md5) < 0)
		elog(ERROR, "could not initialize MD5 context");
	for (int i = 0; i < nfields; i++)
	{
		/* NULL (column absent from the file) differs from '' */
		uint8		tag = fields[i].isnull ? 0 : 1;
		uint64		len = fields[i].len;

		if (pg_cryptohash_update(ps->md5, &tag, 1) < 0 ||
			pg_cryptohash_update(ps->md5, (uint8 *) &len, sizeof(len)) < 0 ||
			(len > 0 && pg_cryptohash_update(ps->md5, (const uint8 *) fields[i].s, len) < 0))
			elog(ERROR, "could not update MD5 digest");
	}
	if (pg_cryptohash_final(ps->md5, (uint8 *) VARDATA(hash), 16) < 0)
		elog(ERROR, "could not finalize MD5 digest");
	SET_VARSIZE(hash, VARHDRSZ + 16);
	return PointerGetDatum(hash);
}

/* ---------------------------------------------------------------------
 * sales
 * ---------------------------------------------------------------------
 */

enum
{
	S_BATCH, S_LINE, S_HASH, S_CUSTOMER, S_DATE, S_AMOUNT, S_PRODUCT_ID,
	S_PRODUCT_NAME, S_JSON_NAME, S_CATEGORY, S_PRICE, S_CURR, S_QUANTITY,
	S_PROBLEM, S_DETAIL, S_NATTS
};

#define SALES_QUERY \
	"SELECT _line, customer_id, product_name, order_date, product_category, " \
	"product, total_price, customer_name FROM bronze.sales WHERE _batch_id = $1"

/*
 * Types one bronze sales row: f holds its NFIELDS fields, jf the parse of its
 * product JSON.
 */
static void
parse_sales_row(ParseState *ps, BulkInserter *out, Field *f, Datum line, bool line_null,
				JsonField *jf)
{
	Datum		v[S_NATTS];
	bool		n[S_NATTS];
	Field		customer,
				product_name,
				date,
				category,
				total;
	const char *problem = NULL;
	char	   *detail = NULL;
	int64_t		customer_id;
	int			y,
				m,
				d;
	bool		negative = false;
	JsonProduct prod = jf->product;
	JsonStatus	js = jf->status;
	size_t		rowbytes = 0;

	for (int i = 0; i < NFIELDS; i++)
		rowbytes += f[i].len;
	customer = f[0];
	product_name = f[1];
	date = f[2];
	category = f[3];
	total = f[5];

	memset(n, true, sizeof(n));
	v[S_BATCH] = Int64GetDatum(ps->batch_id);
	v[S_LINE] = line;
	n[S_LINE] = line_null;
	v[S_HASH] = record_hash(ps, f, NFIELDS);
	n[S_BATCH] = n[S_HASH] = false;

	/* the rules of SPEC section 4, in its order; the first broken is kept */
	if (present(&customer) && value_positive_int(customer.s, customer.len, &customer_id))
	{
		v[S_CUSTOMER] = Int64GetDatum(customer_id);
		n[S_CUSTOMER] = false;
	}
	else
	{
		problem = "invalid_customer_id";
		detail = psprintf("customer_id %s is not a positive integer", shown(f[0]));
	}

	if (present(&date) && value_date(date.s, date.len, &y, &m, &d))
	{
		v[S_DATE] = medallion_date_datum(value_days_from_civil(y, m, d));
		n[S_DATE] = false;
	}
	else if (!problem)
	{
		problem = "invalid_order_date";
		detail = psprintf("order_date %s is not a date (YYYY-MM-DD)", shown(f[2]));
	}

	if (present(&total) && value_numeric(total.s, total.len, &negative) && !negative)
	{
		v[S_AMOUNT] = medallion_numeric_datum(total.s, total.len);
		n[S_AMOUNT] = false;
	}
	else if (!problem)
	{
		problem = "invalid_total_price";
		detail = psprintf(negative ? "total_price %s is negative" : "total_price %s is not a number",
						  shown(f[5]));
	}

	if (js == JSON_OK && prod.id.s != NULL)
	{
		v[S_PRODUCT_ID] = text_datum(prod.id.s, prod.id.len);
		n[S_PRODUCT_ID] = false;
		if (prod.name.len > 0)
		{
			v[S_JSON_NAME] = text_datum(prod.name.s, prod.name.len);
			n[S_JSON_NAME] = false;
		}
		/* negative too: SPEC's precedence takes a product's first non-null price */
		if (prod.price.s != NULL)
		{
			v[S_PRICE] = medallion_numeric_datum(prod.price.s, prod.price.len);
			n[S_PRICE] = false;
		}
		if (prod.curr.len > 0)
		{
			v[S_CURR] = text_datum(prod.curr.s, prod.curr.len);
			n[S_CURR] = false;
		}
	}
	else if (!problem)
	{
		problem = "invalid_product";
		detail = psprintf(js == JSON_INVALID ? "product %s is not valid JSON"
						  : js == JSON_WRONG_TYPE ? "product %s is not a JSON object"
						  : "product %s has no id", shown(f[4]));
	}
	v[S_QUANTITY] = Int64GetDatum(js == JSON_OK && prod.has_qty ? prod.qty : 1);
	n[S_QUANTITY] = false;

	if (present(&product_name))
	{
		v[S_PRODUCT_NAME] = text_datum(product_name.s, product_name.len);
		n[S_PRODUCT_NAME] = false;
	}
	/* NULL here: silver.sales shows UNKNOWN, but products look further */
	if (present(&category))
	{
		v[S_CATEGORY] = text_datum(category.s, category.len);
		n[S_CATEGORY] = false;
	}

	if (problem)
	{
		v[S_PROBLEM] = CStringGetTextDatum(problem);
		v[S_DETAIL] = CStringGetTextDatum(detail);
		n[S_PROBLEM] = n[S_DETAIL] = false;
	}
	bulk_inserter_add(out, v, n, rowbytes + 64);
	ps->rows_written++;
}

/* ---------------------------------------------------------------------
 * sales_orders
 * ---------------------------------------------------------------------
 */

enum
{
	O_BATCH, O_LINE, O_NUMBER, O_CUSTOMER, O_DATETIME, O_DATE, O_NLINES,
	O_NITEMS, O_PROMO, O_ITEMS, O_CLICKS, O_UNPRICED, O_PROBLEM, O_DETAIL, O_NATTS
};
/* silver.order_item and silver.order_click */
enum
{
	I_PRODUCT, I_QTY, I_PRICE, I_CURR, I_NAME, I_UNIT, I_PROMOTION, I_NATTS
};
enum
{
	C_PRODUCT, C_CLICKS, C_NATTS
};

#define ORDERS_QUERY \
	"SELECT _line, customer_id, order_datetime, order_number, ordered_products, " \
	"clicked_items, number_of_line_items, promo_info " \
	"FROM bronze.sales_orders WHERE _batch_id = $1"

static void
set_text(Datum *v, bool *n, int att, JsonText t)
{
	if (t.s != NULL && t.len > 0)
	{
		v[att] = text_datum(t.s, t.len);
		n[att] = false;
	}
}

/* An array of composite values. */
static Datum
composite_array(Datum *elems, int n, Oid type)
{
	return PointerGetDatum(construct_array(elems, n, type, -1, false, TYPALIGN_DOUBLE));
}

/*
 * Types one bronze sales_orders row, with its items and clicks: f holds its
 * NFIELDS fields, jf the parse of ordered_products, clicked_items and
 * promo_info.
 */
static void
parse_order_row(ParseState *ps, BulkInserter *orders, Field *f, Datum line, bool line_null,
				JsonField *jf)
{
	Datum		v[O_NATTS];
	bool		n[O_NATTS];
	Field		customer = f[0];
	Field		when = f[1];
	Field		number = f[2];
	Field		clicked = f[4];
	Field		nlines = f[5];
	Field		promo = f[6];
	const char *problem = NULL;
	char	   *detail = NULL;
	int64_t		customer_id;
	int64_t		usecs;
	int64_t		nl;
	JsonItem   *items = jf[0].items;
	int			nitems = jf[0].nitems;
	JsonStatus	js = jf[0].status;

	memset(n, true, sizeof(n));
	v[O_BATCH] = Int64GetDatum(ps->batch_id);
	v[O_LINE] = line;
	n[O_BATCH] = false;
	n[O_LINE] = line_null;

	if (present(&number))
	{
		v[O_NUMBER] = text_datum(number.s, number.len);
		n[O_NUMBER] = false;
	}
	else
	{
		problem = "missing_order_number";
		detail = pstrdup("order_number is empty");
	}

	if (present(&customer) && value_positive_int(customer.s, customer.len, &customer_id))
	{
		v[O_CUSTOMER] = Int64GetDatum(customer_id);
		n[O_CUSTOMER] = false;
	}
	else if (!problem)
	{
		problem = "invalid_customer_id";
		detail = psprintf("customer_id %s is not a positive integer", shown(f[0]));
	}

	if (present(&when) && value_timestamp(when.s, when.len, &usecs))
	{
		/* order dates are UTC dates, whatever the session's TimeZone */
		int64_t		days = usecs / USECS_PER_DAY - (usecs % USECS_PER_DAY < 0);

		v[O_DATETIME] = medallion_timestamptz_datum(usecs);
		v[O_DATE] = medallion_date_datum(days);
		n[O_DATETIME] = n[O_DATE] = false;
	}
	else if (!problem)
	{
		problem = "invalid_order_datetime";
		detail = psprintf("order_datetime %s is neither unix seconds nor an ISO-8601 timestamp",
						  shown(f[1]));
	}

	if (js != JSON_OK)
	{
		if (!problem)
		{
			problem = "invalid_ordered_products";
			detail = psprintf(js == JSON_EMPTY ? "ordered_products %s is an empty array"
							  : js == JSON_WRONG_TYPE ? "ordered_products %s is not a JSON array"
							  : "ordered_products %s is not valid JSON",
							  shown(f[3]));
		}
	}
	else
	{
		v[O_NITEMS] = Int32GetDatum(nitems);
		n[O_NITEMS] = false;
		for (int i = 0; i < nitems && !problem; i++)
			if (items[i].problem != ITEM_OK)
			{
				problem = "invalid_item";
				detail = psprintf("item %d of ordered_products %s", i + 1,
								  json_item_problem_text(items[i].problem));
			}
	}

	/* number_of_line_items and clicked_items only warn */
	if (present(&nlines))
	{
		if (value_int(nlines.s, nlines.len, &nl) && nl >= PG_INT32_MIN && nl <= PG_INT32_MAX)
		{
			v[O_NLINES] = Int32GetDatum((int32) nl);
			n[O_NLINES] = false;
		}
		if (!problem && (n[O_NLINES] || nl != nitems))
			ps->warn_line_items++;
	}

	if (present(&promo))
	{
		if (jf[2].status == JSON_OK)
			v[O_PROMO] = jsonb_datum(jf[2].text.s, jf[2].text.len);
		else
			v[O_PROMO] = jsonb_string_datum(promo.s, promo.len);
		n[O_PROMO] = false;
	}

	if (problem)
	{
		v[O_PROBLEM] = CStringGetTextDatum(problem);
		v[O_DETAIL] = CStringGetTextDatum(detail);
		n[O_PROBLEM] = n[O_DETAIL] = false;
	}
	else
	{
		/* a structurally valid order keeps its items and clicks */
		Datum	   *elems = palloc(sizeof(Datum) * nitems);
		Datum	   *unpriced = palloc(sizeof(Datum) * nitems);
		int			nunpriced = 0;

		for (int i = 0; i < nitems; i++)
		{
			Datum		iv[I_NATTS];
			bool		in[I_NATTS];
			JsonItem   *it = &items[i];

			memset(in, true, sizeof(in));
			iv[I_PRODUCT] = text_datum(it->id.s, it->id.len);
			iv[I_QTY] = Int64GetDatum(it->qty);
			in[I_PRODUCT] = in[I_QTY] = false;
			if (it->price.s != NULL)
			{
				iv[I_PRICE] = medallion_numeric_datum(it->price.s, it->price.len);
				in[I_PRICE] = false;
			}
			else
				unpriced[nunpriced++] = Int32GetDatum(i + 1);
			set_text(iv, in, I_CURR, it->curr);
			set_text(iv, in, I_NAME, it->name);
			set_text(iv, in, I_UNIT, it->unit);
			if (it->promotion_info.s != NULL)
			{
				iv[I_PROMOTION] = jsonb_datum(it->promotion_info.s, it->promotion_info.len);
				in[I_PROMOTION] = false;
			}
			elems[i] = HeapTupleGetDatum(heap_form_tuple(ps->item_desc, iv, in));
		}
		v[O_ITEMS] = composite_array(elems, nitems, ps->item_type);
		n[O_ITEMS] = false;
		/* where the refresh looks first for items needing a product's price */
		if (nunpriced > 0)
		{
			v[O_UNPRICED] = PointerGetDatum(construct_array(unpriced, nunpriced, INT4OID, 4,
															true, TYPALIGN_INT));
			n[O_UNPRICED] = false;
		}

		if (present(&clicked))
		{
			JsonClick  *clicks = jf[1].clicks;
			int			nclicks = jf[1].nclicks;

			if (jf[1].status != JSON_OK)
				ps->warn_clicks++;
			else
			{
				Datum	   *celems = palloc(sizeof(Datum) * (nclicks + 1));

				for (int i = 0; i < nclicks; i++)
				{
					Datum		cv[C_NATTS];
					bool		cn[C_NATTS] = {false, false};

					cv[C_PRODUCT] = text_datum(clicks[i].id.s, clicks[i].id.len);
					cv[C_CLICKS] = Int64GetDatum(clicks[i].count);
					celems[i] = HeapTupleGetDatum(heap_form_tuple(ps->click_desc, cv, cn));
				}
				v[O_CLICKS] = composite_array(celems, nclicks, ps->click_type);
				n[O_CLICKS] = false;
			}
		}
	}
	bulk_inserter_add(orders, v, n, f[3].len + f[4].len + 128);
	ps->rows_written++;
}

/* ---------------------------------------------------------------------
 * Driving it
 * ---------------------------------------------------------------------
 */

static Oid
silver_table(const char *name)
{
	Oid			relid = get_relname_relid(name, get_namespace_oid("silver", false));

	if (!OidIsValid(relid))
		elog(ERROR, "table silver.%s does not exist", name);
	return relid;
}

static void
open_output(BulkInserter *bi, const char *name, int natts)
{
	bulk_inserter_open(bi, silver_table(name), true);
	if (RelationGetDescr(bi->rel)->natts != natts)
		elog(ERROR, "silver.%s does not have the expected columns", name);
}

/* A composite type of schema silver, with its descriptor. */
static Oid
composite_type(const char *name, TupleDesc *desc, int natts)
{
	Oid			type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									   CStringGetDatum(name),
									   ObjectIdGetDatum(get_namespace_oid("silver", false)));

	if (!OidIsValid(type))
		elog(ERROR, "type silver.%s does not exist", name);
	*desc = lookup_rowtype_tupdesc_copy(type, -1);
	if ((*desc)->natts != natts)
		elog(ERROR, "type silver.%s does not have the expected attributes", name);
	BlessTupleDesc(*desc);
	return type;
}

/* Records this batch's data-quality warnings. */
static void
record_warning(int64 batch_id, const char *source, const char *warning, int64 rows)
{
	Oid			argtypes[4] = {INT8OID, TEXTOID, TEXTOID, INT8OID};
	Datum		args[4];

	if (rows == 0)
		return;
	args[0] = Int64GetDatum(batch_id);
	args[1] = CStringGetTextDatum(source);
	args[2] = CStringGetTextDatum(warning);
	args[3] = Int64GetDatum(rows);
	if (SPI_execute_with_args("INSERT INTO medallion.dq_warnings (batch_id, source, warning, rows) "
							  "VALUES ($1, $2, $3, $4) ON CONFLICT (batch_id, warning) "
							  "DO UPDATE SET rows = excluded.rows",
							  4, argtypes, args, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not record data-quality warnings");
}

/*
 * A chunk of bronze rows: their fields, and the parse of their JSON, done
 * on a second thread (medallion.parallel_parse) while the backend types and
 * inserts the chunk before.
 */
struct Chunk
{
	SPITupleTable *tuptable;	/* the rows; the fields point into them */
	uint64		nrows;
	MemoryContext cxt;			/* fields and JSON results, detoasted values */
	Field	   *fields;			/* nrows * NFIELDS */
	Datum	   *lines;
	bool	   *line_nulls;
	JsonField  *json;			/* nrows * njson */
	JsonBatch  *batch;			/* parses json; results live in it */
	bool		threaded;		/* batch's thread is parsing json */
};

/* The batch whose thread is running (one at a time), for the release callback. */
static JsonBatch *running_batch = NULL;

static void
free_json_batch(void *arg)
{
	JsonBatch  *batch = arg;

	if (running_batch == batch)
		running_batch = NULL;
	json_batch_free(batch);
}

/*
 * Resource release callback: on abort, wait for a JSON thread before the
 * transaction frees the rows it reads.
 */
void
medallion_parse_release(ResourceReleasePhase phase, bool isCommit,
						bool isTopLevel, void *arg)
{
	if (!isCommit && phase == RESOURCE_RELEASE_BEFORE_LOCKS && running_batch != NULL)
	{
		json_batch_wait(running_batch);
		running_batch = NULL;
	}
}

static void
chunk_init(Chunk *c, MemoryContext parent)
{
	MemoryContextCallback *cb;

	memset(c, 0, sizeof(Chunk));
	c->cxt = AllocSetContextCreate(parent, "medallion parse chunk", ALLOCSET_DEFAULT_SIZES);
	c->batch = json_batch_create();
	if (c->batch == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	/* json-c and the batch allocate with malloc: free them with the parent */
	cb = MemoryContextAllocZero(parent, sizeof(MemoryContextCallback));
	cb->func = free_json_batch;
	cb->arg = c->batch;
	MemoryContextRegisterResetCallback(parent, cb);
}

static void
json_input(JsonField *jf, JsonKind kind, Field f)
{
	jf->kind = kind;
	jf->s = NULL;
	jf->len = 0;
	if (present(&f))
	{
		jf->s = f.s;
		jf->len = f.len;
	}
}

/* Takes the rows SPI just fetched into c: their fields and JSON inputs. */
static void
chunk_fill(Chunk *c, bool orders)
{
	MemoryContext oldcxt;
	SPITupleTable *tt = SPI_tuptable;
	int			njson = NJSON(orders);

	MemoryContextReset(c->cxt);
	oldcxt = MemoryContextSwitchTo(c->cxt);
	c->tuptable = tt;
	c->nrows = SPI_processed;
	c->fields = palloc(sizeof(Field) * NFIELDS * c->nrows);
	c->lines = palloc(sizeof(Datum) * c->nrows);
	c->line_nulls = palloc(sizeof(bool) * c->nrows);
	/* json_input sets the inputs, the parse every result */
	c->json = palloc(sizeof(JsonField) * njson * c->nrows);
	for (uint64 r = 0; r < c->nrows; r++)
	{
		Field	   *f = &c->fields[r * NFIELDS];
		JsonField  *jf = &c->json[r * njson];

		c->lines[r] = SPI_getbinval(tt->vals[r], tt->tupdesc, 1, &c->line_nulls[r]);
		for (int i = 0; i < NFIELDS; i++)
			f[i] = field(tt->vals[r], tt->tupdesc, i + 2);
		if (orders)
		{
			json_input(&jf[0], JSON_KIND_ITEMS, f[3]);
			json_input(&jf[1], JSON_KIND_CLICKS, f[4]);
			json_input(&jf[2], JSON_KIND_ARRAY_TEXT, f[6]);
		}
		else
			json_input(&jf[0], JSON_KIND_PRODUCT, f[4]);
	}
	MemoryContextSwitchTo(oldcxt);
}

static void
json_out_of_memory(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_OUT_OF_MEMORY),
			 errmsg("out of memory while parsing JSON")));
}

/* Parses c's JSON: on a second thread when allowed, else at once. */
static void
chunk_parse_json(Chunk *c, bool orders)
{
	int			njson = NJSON(orders);

	Assert(running_batch == NULL);
	if (medallion_parallel_parse && json_batch_start(c->batch, c->json, njson * c->nrows) == 0)
	{
		c->threaded = true;
		running_batch = c->batch;
	}
	else if (json_batch_parse(c->batch, c->json, njson * c->nrows) != 0)
		json_out_of_memory();
}

/* Waits for the thread parsing c's JSON, if one does. */
static void
chunk_wait_json(Chunk *c)
{
	int			rc;

	if (!c->threaded)
		return;
	rc = json_batch_wait(c->batch);
	c->threaded = false;
	running_batch = NULL;
	if (rc != 0)
		json_out_of_memory();
}

/* Types and writes c's rows; the caller waited for its JSON. */
static void
chunk_write(ParseState *ps, Chunk *c, BulkInserter *out, bool orders)
{
	int			njson = NJSON(orders);

	Assert(!c->threaded);
	for (uint64 r = 0; r < c->nrows; r++)
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(ps->row_cxt);

		CHECK_FOR_INTERRUPTS();
		if (orders)
			parse_order_row(ps, out, &c->fields[r * NFIELDS], c->lines[r], c->line_nulls[r],
							&c->json[r * njson]);
		else
			parse_sales_row(ps, out, &c->fields[r * NFIELDS], c->lines[r], c->line_nulls[r],
							&c->json[r * njson]);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(ps->row_cxt);
	}
	SPI_freetuptable(c->tuptable);
	c->tuptable = NULL;
	c->nrows = 0;
}

/*
 * Types and parses every row of one batch.  While the backend writes one
 * chunk, the next is fetched and its JSON parsed on the second thread.
 */
static void
parse_batch(ParseState *ps, int64 batch_id, bool orders)
{
	BulkInserter out;
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1] = {Int64GetDatum(batch_id)};
	Portal		portal;
	Chunk	   *cur = &ps->chunks[0];
	Chunk	   *next = &ps->chunks[1];

	ps->batch_id = batch_id;
	ps->warn_line_items = ps->warn_clicks = 0;
	open_output(&out, orders ? "order_records" : "sales_records", orders ? O_NATTS : S_NATTS);

	portal = SPI_cursor_open_with_args(NULL, orders ? ORDERS_QUERY : SALES_QUERY,
									   1, argtypes, args, NULL, true, 0);
	SPI_cursor_fetch(portal, true, FETCH_ROWS);
	chunk_fill(cur, orders);
	chunk_parse_json(cur, orders);
	while (cur->nrows > 0)
	{
		Chunk	   *done;

		SPI_cursor_fetch(portal, true, FETCH_ROWS);
		chunk_fill(next, orders);
		/* one thread at a time: next's JSON starts once cur's is done */
		chunk_wait_json(cur);
		if (next->nrows > 0)
			chunk_parse_json(next, orders);
		chunk_write(ps, cur, &out, orders);
		done = cur;
		cur = next;
		next = done;
	}
	if (cur->tuptable != NULL)
		SPI_freetuptable(cur->tuptable);
	cur->tuptable = NULL;
	SPI_cursor_close(portal);

	bulk_inserter_close(&out);
	if (orders)
	{
		record_warning(batch_id, "sales_orders", "line_item_count_mismatch", ps->warn_line_items);
		record_warning(batch_id, "sales_orders", "unparseable_clicked_items", ps->warn_clicks);
	}

	if (SPI_execute_with_args("UPDATE medallion.batches SET parsed_at = pg_catalog.clock_timestamp() "
							  "WHERE batch_id = $1", 1, argtypes, args, NULL, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not mark batch " INT64_FORMAT " parsed", batch_id);
}

/*
 * Parses every loaded sales and sales_orders batch not parsed yet; returns
 * the rows written.  The caller holds the refresh lock.
 */
int64
medallion_parse_pending(void)
{
	ParseState	ps;
	MemoryContext cxt;
	MemoryContext oldcxt;
	uint64		nbatches;
	int64	   *batch_ids;
	bool	   *is_orders;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	/* each batch is read by its BRIN index, here and in the silver refresh */
	medallion_summarize_bronze();
	if (SPI_execute("SELECT b.batch_id, b.source = 'sales_orders' FROM medallion.batches b "
					"WHERE b.status = 'loaded' AND b.parsed_at IS NULL "
					"AND b.source IN ('sales', 'sales_orders') ORDER BY b.batch_id",
					true, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not list batches to parse");

	nbatches = SPI_processed;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "medallion parse", ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	batch_ids = palloc(sizeof(int64) * (nbatches + 1));
	is_orders = palloc(sizeof(bool) * (nbatches + 1));
	for (uint64 i = 0; i < nbatches; i++)
	{
		bool		isnull;

		batch_ids[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		is_orders[i] = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));
	}

	memset(&ps, 0, sizeof(ps));
	ps.row_cxt = AllocSetContextCreate(cxt, "medallion parse row", ALLOCSET_DEFAULT_SIZES);
	ps.chunks = palloc(sizeof(Chunk) * 2);
	chunk_init(&ps.chunks[0], cxt);
	chunk_init(&ps.chunks[1], cxt);
	ps.item_type = composite_type("order_item", &ps.item_desc, I_NATTS);
	ps.click_type = composite_type("order_click", &ps.click_desc, C_NATTS);
	ps.md5 = pg_cryptohash_create(PG_MD5);
	if (ps.md5 == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));

	for (uint64 i = 0; i < nbatches; i++)
	{
		StepClock	clock;
		int64		rows_before = ps.rows_written;

		medallion_step_start(&clock);
		parse_batch(&ps, batch_ids[i], is_orders[i]);
		medallion_step_done(&clock, is_orders[i] ? "parse sales_orders" : "parse sales",
							ps.rows_written - rows_before);
	}

	pg_cryptohash_free(ps.md5);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
	SPI_finish();
	return ps.rows_written;
}

/* medallion_parse_products(): parses new batches; returns the rows written */
Datum
medallion_parse_products(PG_FUNCTION_ARGS)
{
	int			guc_level = medallion_pin_gucs();
	int64		rows;

	medallion_lock_refresh();
	rows = medallion_parse_pending();
	medallion_restore_gucs(guc_level);
	PG_RETURN_INT64(rows);
}

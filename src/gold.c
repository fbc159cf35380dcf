/*-------------------------------------------------------------------------
 *
 * gold.c
 *	  medallion_refresh_gold: sales metrics, product performance and the
 *	  marketing customer profile, refreshed incrementally or in full.
 *
 * Gold is rolled up from exact state (medallion.gold_day_*, gold_products,
 * gold_customers...), which holds unrounded sums and, for each group, the
 * number of distinct orders in it.  The state changes by the fact deltas
 * the silver refresh records: each changed order arrives as its whole old
 * state (sign -1) and its whole new state (sign +1), so "is this order in
 * this group" is counted exactly at every level by adding one emission of
 * one order at a time.  The changes, and a full rebuild in one pass over
 * the whole fact, are both summed in C (gold_state.c); the changes land in
 * working tables that are added here to the state.  The regression tests
 * rebuild in full after incremental refreshes and compare the two row for
 * row.
 *
 * Then only what changed is recomputed: the periods of every grain that
 * contain a changed day (a year from its exact days, not its rounded
 * months), the products and the customers in the deltas or pending.  All in
 * the caller's transaction: readers see the old gold or the new, and the
 * statements take no lock that blocks them.
 *
 * src/gold.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(medallion_refresh_gold);

/* the working sets of a refresh (unlogged tables of schema medallion) */
static const char *const working_sets[] = {
	"medallion.work_state_day_products", "medallion.work_state_day_categories",
	"medallion.work_state_days", "medallion.work_state_products",
	"medallion.work_state_customers", "medallion.work_state_customer_categories",
	"medallion.work_state_removed_customers", "medallion.work_state_removed_categories",
	"medallion.work_gold_periods", "medallion.work_gold_products",
	"medallion.work_gold_customers", NULL};

/* ---------------------------------------------------------------------
 * The changes to apply
 * ---------------------------------------------------------------------
 */

static const char *const clear_state =
"TRUNCATE medallion.gold_day_products, medallion.gold_day_categories, medallion.gold_days,"
"  medallion.gold_products, medallion.gold_customers, medallion.gold_build";

/* not TRUNCATE: readers must not wait, and see the old gold until commit */
static const char *const clear_gold =
"DELETE FROM gold.sales_metrics; DELETE FROM gold.category_metrics;"
"DELETE FROM gold.period_metrics; DELETE FROM gold.product_performance;"
"DELETE FROM gold.marketing_customers";

/* ---------------------------------------------------------------------
 * Exact state: sums, and orders counted once per group
 * ---------------------------------------------------------------------
 */

/*
 * The changes, summed in C per group from the fact changes
 * (medallion_gold_delta_state: work_state_*, one row per group, or more
 * when the changes outgrew medallion.gold_state_memory and were written
 * out in parts), are added to the stored sums.
 */
#define ADD_SUMS "revenue = t.revenue + excluded.revenue," \
	" units = t.units + excluded.units, order_count = t.order_count + excluded.order_count"
#define ADD_CHANGES(state, keys) \
"INSERT INTO medallion.gold_" state " AS t (" keys ", revenue, units, order_count) " \
"SELECT " keys ", sum(revenue), sum(units), sum(order_count) " \
"FROM medallion.work_state_" state " GROUP BY " keys " " \
"ON CONFLICT (" keys ") DO UPDATE SET " ADD_SUMS

static const char *const apply_day_products = ADD_CHANGES("day_products", "day, product_id, product_category");
static const char *const apply_day_categories = ADD_CHANGES("day_categories", "day, product_category");
static const char *const apply_days = ADD_CHANGES("days", "day");
static const char *const apply_products = ADD_CHANGES("products", "product_id");

/* the distinct categories in byte order */
#define SORTED_CATEGORIES(c) \
	"array_agg(DISTINCT " c " COLLATE \"C\" ORDER BY " c " COLLATE \"C\")"

/*
 * A customer's sums, last purchase and the categories bought from (a sorted
 * array: a refresh merges in those of the new orders, in the same upsert as
 * the sums; kept as pairs, they cost a probe per pair of every order and a
 * subquery per marketing row).  The full build inserts into empty state;
 * an incremental refresh adds, and a last purchase only grows with
 * additions (a removal recomputes it below).
 */
#define CUSTOMER_STATE \
"INSERT INTO medallion.gold_customers AS t (customer_id, revenue, order_count, last_purchase," \
"  categories) " \
"SELECT s.customer_id, s.revenue, s.order_count, s.last_purchase, coalesce(k.categories, '{}') " \
"FROM (SELECT customer_id, sum(revenue) AS revenue, sum(order_count) AS order_count," \
"             max(last_purchase) AS last_purchase" \
"      FROM medallion.work_state_customers GROUP BY customer_id) s " \
"LEFT JOIN (SELECT customer_id, " SORTED_CATEGORIES("product_category") " AS categories" \
"           FROM medallion.work_state_customer_categories GROUP BY customer_id) k USING (customer_id)"

static const char *const apply_customers[2] = {
	CUSTOMER_STATE " "
	"ON CONFLICT (customer_id) DO UPDATE SET revenue = t.revenue + excluded.revenue,"
	"  order_count = t.order_count + excluded.order_count,"
	"  last_purchase = greatest(t.last_purchase, excluded.last_purchase),"
	"  categories = medallion.sorted_union(t.categories, excluded.categories)",
	CUSTOMER_STATE};

/*
 * After the above, a last purchase is the later of the old one and the
 * latest day added; it is wrong only where an order of that day left and
 * none as late came, and only those customers are looked up in silver (a
 * repricing, which takes out and puts back every order of a product on the
 * same days, looks up none).
 */
static const char *const recompute_last_purchase =
"UPDATE medallion.gold_customers c SET last_purchase ="
"  (SELECT max(f.order_date) FROM silver.sales_fact f WHERE f.customer_id = c.customer_id) "
"FROM (SELECT customer_id, max(last_purchase) AS removed"
"      FROM medallion.work_state_removed_customers GROUP BY customer_id) r "
"LEFT JOIN (SELECT customer_id, max(last_purchase) AS added"
"           FROM medallion.work_state_customers GROUP BY customer_id) a USING (customer_id) "
"WHERE c.customer_id = r.customer_id AND r.removed >= c.last_purchase"
"  AND (a.added IS NULL OR a.added < c.last_purchase)";

/*
 * A category an order left, and no order of this refresh brought back,
 * may be gone from the customer: those customers' categories are gathered
 * again from silver, refreshed first (per customer, by its index: as a
 * join, the planner would read the whole fact).
 */
static const char *const recompute_categories =
"UPDATE medallion.gold_customers c SET categories ="
"  coalesce((SELECT " SORTED_CATEGORIES("f.product_category") " FROM silver.sales_fact f"
"            WHERE f.customer_id = c.customer_id), '{}') "
"WHERE c.customer_id = ANY (ARRAY("
"  SELECT DISTINCT customer_id FROM"
"    (SELECT customer_id, product_category FROM medallion.work_state_removed_categories"
"     EXCEPT SELECT customer_id, product_category FROM medallion.work_state_customer_categories) r))";

/*
 * Groups no order is in any more: only a refresh in which an order left a
 * group (a change of sign -1) can have any, and only among the groups it
 * changed; a full build, or a refresh that only adds, has none.
 */
#define DROP_EMPTY(state, match) \
"DELETE FROM medallion.gold_" state " t USING medallion.work_state_" state " s" \
"  WHERE t.order_count = 0 AND " match ";"
static const char *const drop_empty_state =
DROP_EMPTY("day_products", "t.day = s.day AND t.product_id = s.product_id"
		   " AND t.product_category = s.product_category")
DROP_EMPTY("day_categories", "t.day = s.day AND t.product_category = s.product_category")
DROP_EMPTY("days", "t.day = s.day")
DROP_EMPTY("products", "t.product_id = s.product_id")
DROP_EMPTY("customers", "t.customer_id = s.customer_id");

/* ---------------------------------------------------------------------
 * What to recompute
 * ---------------------------------------------------------------------
 */

/*
 * What changed: the source rows of an incremental refresh; in full, the
 * state just built (every day, product and customer with a sale).
 */
#define CHANGED(incremental, full) {incremental, full}

/* every period of every grain holding a changed day */
#define TOUCHED_PERIODS(days) \
"INSERT INTO medallion.work_gold_periods " \
"SELECT DISTINCT g.grain, p.period_start, (p.period_start + g.length)::date " \
"FROM (" days ") d " \
"CROSS JOIN (VALUES ('day', interval '1 day'), ('week', interval '1 week')," \
"                   ('month', interval '1 month'), ('quarter', interval '3 months')," \
"                   ('year', interval '1 year')) g(grain, length) " \
"CROSS JOIN LATERAL (SELECT date_trunc(g.grain, d.day::timestamp)::date AS period_start) p"

static const char *const touched_periods[2] = CHANGED(
	TOUCHED_PERIODS("SELECT day FROM medallion.work_state_days"),
	TOUCHED_PERIODS("SELECT day FROM medallion.gold_days"));

#define TOUCHED_PRODUCTS(products) \
"INSERT INTO medallion.work_gold_products " \
products " UNION SELECT key FROM medallion.gold_pending WHERE kind = 'product' " \
"ON CONFLICT DO NOTHING"

static const char *const touched_products[2] = CHANGED(
	TOUCHED_PRODUCTS("SELECT product_id FROM medallion.work_state_products"),
	TOUCHED_PRODUCTS("SELECT product_id FROM medallion.gold_products"));

/* $1: all customers (the LTV thresholds changed, or a full rebuild) */
#define TOUCHED_CUSTOMERS(customers) \
"INSERT INTO medallion.work_gold_customers " \
customers " UNION SELECT key::bigint FROM medallion.gold_pending WHERE kind = 'customer' " \
"UNION SELECT customer_id FROM silver.customers WHERE $1 = 1 " \
"ON CONFLICT DO NOTHING"

static const char *const touched_customers[2] = CHANGED(
	TOUCHED_CUSTOMERS("SELECT customer_id FROM medallion.work_state_customers"),
	TOUCHED_CUSTOMERS("SELECT customer_id FROM medallion.gold_customers"));

/* ---------------------------------------------------------------------
 * Gold
 * ---------------------------------------------------------------------
 */

#define AVG_ORDER_VALUE "round(sum(s.revenue) / sum(s.order_count), 2)"

/*
 * incremental: the touched periods, from the exact days they hold, each
 * read by a range scan of the state's primary key (OFFSET 0 keeps the
 * subquery a nested loop: the planner cannot tell a few periods' days from
 * a third of the table, and would read all of it)
 */
#define PERIODS_FROM(state) \
"FROM medallion.work_gold_periods p " \
"CROSS JOIN LATERAL (SELECT * FROM " state " s" \
"                    WHERE s.day >= p.period_start AND s.day < p.period_end OFFSET 0) s "

/* full: every period of the grains above a day (days are copied as they are) */
#define ALL_PERIODS_FROM(state) \
"FROM " state " s " \
"CROSS JOIN (VALUES ('week'), ('month'), ('quarter'), ('year')) g(grain) " \
"CROSS JOIN LATERAL (SELECT g.grain, date_trunc(g.grain, s.day::timestamp)::date AS period_start) p "

/* full: the day grain is the state itself, rounded */
#define DAYS_OF(table, state, keys, keylist) \
"INSERT INTO " table " (grain, period_start, " keys "revenue, units, order_count, avg_order_value) " \
"SELECT 'day', day, " keys "round(revenue, 2), units, order_count, round(revenue / order_count, 2) " \
"FROM " state " ORDER BY day" keylist ";"

#define SALES_METRICS(from) \
"INSERT INTO gold.sales_metrics (grain, period_start, product_id, product_category, revenue," \
"  units, order_count, avg_order_value) " \
"SELECT p.grain, p.period_start, s.product_id, s.product_category, round(sum(s.revenue), 2)," \
"  sum(s.units), sum(s.order_count), " AVG_ORDER_VALUE " " \
from \
"GROUP BY p.grain, p.period_start, s.product_id, s.product_category " \
"ORDER BY p.grain, p.period_start, s.product_id, s.product_category"

#define CATEGORY_METRICS(from) \
"INSERT INTO gold.category_metrics (grain, period_start, product_category, revenue, units," \
"  order_count, avg_order_value) " \
"SELECT p.grain, p.period_start, s.product_category, round(sum(s.revenue), 2), sum(s.units)," \
"  sum(s.order_count), " AVG_ORDER_VALUE " " \
from \
"GROUP BY p.grain, p.period_start, s.product_category " \
"ORDER BY p.grain, p.period_start, s.product_category"

#define PERIOD_METRICS(from) \
"INSERT INTO gold.period_metrics (grain, period_start, revenue, units, order_count, avg_order_value) " \
"SELECT p.grain, p.period_start, round(sum(s.revenue), 2), sum(s.units), sum(s.order_count), " \
AVG_ORDER_VALUE " " \
from \
"GROUP BY p.grain, p.period_start ORDER BY p.grain, p.period_start"

#define DELETE_PERIODS(table) \
"DELETE FROM " table " m USING medallion.work_gold_periods p " \
"WHERE m.grain = p.grain AND m.period_start = p.period_start;"

static const char *const refresh_sales_metrics[2] = {
	DELETE_PERIODS("gold.sales_metrics") SALES_METRICS(PERIODS_FROM("medallion.gold_day_products")),
	DAYS_OF("gold.sales_metrics", "medallion.gold_day_products", "product_id, product_category, ",
			", product_id, product_category")
	SALES_METRICS(ALL_PERIODS_FROM("medallion.gold_day_products"))};
static const char *const refresh_category_metrics[2] = {
	DELETE_PERIODS("gold.category_metrics") CATEGORY_METRICS(PERIODS_FROM("medallion.gold_day_categories")),
	DAYS_OF("gold.category_metrics", "medallion.gold_day_categories", "product_category, ",
			", product_category")
	CATEGORY_METRICS(ALL_PERIODS_FROM("medallion.gold_day_categories"))};
static const char *const refresh_period_metrics[2] = {
	DELETE_PERIODS("gold.period_metrics") PERIOD_METRICS(PERIODS_FROM("medallion.gold_days")),
	DAYS_OF("gold.period_metrics", "medallion.gold_days", "", "")
	PERIOD_METRICS(ALL_PERIODS_FROM("medallion.gold_days"))};

/* products with an admitted sale or item; ranks are set below */
static const char *const refresh_product_performance =
"DELETE FROM gold.product_performance pp USING medallion.work_gold_products t "
"WHERE pp.product_id = t.product_id;"
"INSERT INTO gold.product_performance (product_id, product_name, product_category, units_sold,"
"  revenue, order_count, category_rank) "
"SELECT g.product_id, p.product_name, p.product_category, g.units, round(g.revenue, 2),"
"  g.order_count, 0 "
"FROM medallion.work_gold_products t "
"JOIN medallion.gold_products g ON g.product_id = t.product_id "
"JOIN silver.products p ON p.product_id = t.product_id";

/* rank() by exact revenue within each category: ties share a rank */
static const char *const rank_products =
"UPDATE gold.product_performance pp SET category_rank = r.category_rank "
"FROM (SELECT pp2.product_id, rank() OVER (PARTITION BY pp2.product_category"
"                                          ORDER BY g.revenue DESC) AS category_rank"
"      FROM gold.product_performance pp2"
"      JOIN medallion.gold_products g ON g.product_id = pp2.product_id) r "
"WHERE pp.product_id = r.product_id AND pp.category_rank <> r.category_rank";

/*
 * $1, $2: the High and Medium thresholds.  A touched customer's row, its
 * silver columns NULL when the customer has no current version;
 * contactable when it has one, with an email or a phone.
 */
#define MARKETING_ROWS \
"SELECT t.customer_id, c.customer_name, c.email, c.phone, c.state, c.timezone, c.loyalty_segment," \
"  coalesce(g.order_count, 0) AS total_orders, round(coalesce(g.revenue, 0), 2) AS total_spend," \
"  g.last_purchase AS last_purchase_date, coalesce(g.categories, '{}') AS categories," \
"  CASE WHEN coalesce(g.revenue, 0) >= $1 THEN 'High'" \
"       WHEN coalesce(g.revenue, 0) >= $2 THEN 'Medium' ELSE 'Low' END AS ltv_segment," \
"  c.customer_id IS NOT NULL AND (c.email IS NOT NULL OR c.phone IS NOT NULL) AS contactable " \
"FROM medallion.work_gold_customers t " \
"LEFT JOIN silver.customers c ON c.customer_id = t.customer_id AND c.is_current " \
"LEFT JOIN medallion.gold_customers g ON g.customer_id = t.customer_id"
#define MARKETING_COLUMNS "customer_id, customer_name, email, phone, state, timezone," \
"  loyalty_segment, total_orders, total_spend, last_purchase_date, categories, ltv_segment"

/*
 * A few customers (a refresh's): their rows merged in one pass, updated in
 * place where they stay (the table's fill factor leaves room for most
 * updates to stay on their page, HOT, without touching the indexes).  A
 * 1% refresh's 19,000 rows after a checkpoint in the benchmark: 310-380 ms
 * and 31 MB of WAL, against 460-515 ms and 37-40 MB to delete and insert
 * them.
 */
static const char *const merge_marketing =
"MERGE INTO gold.marketing_customers m USING (" MARKETING_ROWS ") s ON m.customer_id = s.customer_id "
"WHEN MATCHED AND NOT s.contactable THEN DELETE "
"WHEN MATCHED THEN UPDATE SET customer_name = s.customer_name, email = s.email, phone = s.phone,"
"  state = s.state, timezone = s.timezone, loyalty_segment = s.loyalty_segment,"
"  total_orders = s.total_orders, total_spend = s.total_spend,"
"  last_purchase_date = s.last_purchase_date, categories = s.categories, ltv_segment = s.ltv_segment "
"WHEN NOT MATCHED AND s.contactable THEN INSERT (" MARKETING_COLUMNS ") "
"  VALUES (s.customer_id, s.customer_name, s.email, s.phone, s.state, s.timezone,"
"          s.loyalty_segment, s.total_orders, s.total_spend, s.last_purchase_date,"
"          s.categories, s.ltv_segment)";

/* all of them (a full build, new LTV thresholds): rewritten */
static const char *const rewrite_marketing =
"DELETE FROM gold.marketing_customers m USING medallion.work_gold_customers t "
"WHERE m.customer_id = t.customer_id;"
"INSERT INTO gold.marketing_customers (" MARKETING_COLUMNS ") "
"SELECT " MARKETING_COLUMNS " FROM (" MARKETING_ROWS ") s WHERE s.contactable";

static const char *const refresh_marketing[2] = {merge_marketing, rewrite_marketing};

/* ---------------------------------------------------------------------
 * Driving it
 * ---------------------------------------------------------------------
 */

/* What a gold refresh did. */
typedef struct GoldCounts
{
	bool		full;
	int64		fact_changes;
	int64		periods;
	int64		products;
	int64		customers;
} GoldCounts;

/* A setting of medallion.settings as numeric (its text, checked). */
static Datum
numeric_setting(const char *name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1] = {CStringGetTextDatum(name)};
	char	   *value;

	medallion_run_step("read settings", "SELECT value FROM medallion.settings WHERE name = $1",
					   1, argtypes, args);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("setting \"%s\" is missing from medallion.settings", name)));
	value = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (value == NULL || medallion_numeric_or_null(value) == (Datum) 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("setting \"%s\" in medallion.settings is not a number: \"%s\"",
						name, value ? value : ""),
				 errhint("UPDATE medallion.settings SET value = '...' WHERE name = '%s';", name)));
	return medallion_numeric_or_null(value);
}

static void
refresh_gold(bool full, GoldCounts *counts)
{
	Oid			argtypes[3] = {NUMERICOID, NUMERICOID, INT4OID};
	Datum		args[3];
	bool		built;
	bool		all_customers;
	bool		isnull;

	memset(counts, 0, sizeof(GoldCounts));
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	args[0] = numeric_setting("ltv_high_threshold");
	args[1] = numeric_setting("ltv_medium_threshold");

	/* gold state is unlogged: after a crash it is empty, and so rebuilt */
	medallion_run_step("gold state", "SELECT ltv_high = $1 AND ltv_medium = $2 FROM medallion.gold_build",
					   2, argtypes, args);
	built = SPI_processed > 0;
	all_customers = !built ||
		!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	full = full || !built;
	counts->full = full;

	medallion_empty_tables(working_sets);
	if (full)
	{
		medallion_run_step("clear state", clear_state, 0, NULL, NULL);
		medallion_run_step("clear gold", clear_gold, 0, NULL, NULL);
		counts->fact_changes = medallion_gold_full_state();
		medallion_run_step("customers", apply_customers[1], 0, NULL, NULL);
		all_customers = true;
	}
	else
	{
		bool		removals;

		counts->fact_changes = medallion_gold_delta_state(&removals);
		medallion_run_step("day products", apply_day_products, 0, NULL, NULL);
		medallion_run_step("day categories", apply_day_categories, 0, NULL, NULL);
		medallion_run_step("days", apply_days, 0, NULL, NULL);
		medallion_run_step("products", apply_products, 0, NULL, NULL);
		medallion_run_step("customers", apply_customers[0], 0, NULL, NULL);
		if (removals)
		{
			medallion_run_step("last purchases", recompute_last_purchase, 0, NULL, NULL);
			medallion_run_step("dropped categories", recompute_categories, 0, NULL, NULL);
			medallion_run_step("drop empty state", drop_empty_state, 0, NULL, NULL);
		}
	}

	counts->periods = medallion_run_step("touched periods", touched_periods[full], 0, NULL, NULL);
	counts->products = medallion_run_step("touched products", touched_products[full], 0, NULL, NULL);
	args[2] = Int32GetDatum(all_customers ? 1 : 0);
	counts->customers = medallion_run_step("touched customers", touched_customers[full],
										   1, &argtypes[2], &args[2]);
	/* few rows, usually: the plans below should know it */
	medallion_analyze("ANALYZE medallion.work_gold_periods, medallion.work_gold_products,"
					  " medallion.work_gold_customers");

	medallion_run_step("sales metrics", refresh_sales_metrics[full], 0, NULL, NULL);
	medallion_run_step("category metrics", refresh_category_metrics[full], 0, NULL, NULL);
	medallion_run_step("period metrics", refresh_period_metrics[full], 0, NULL, NULL);
	medallion_run_step("product performance", refresh_product_performance, 0, NULL, NULL);
	medallion_run_step("rank products", rank_products, 0, NULL, NULL);
	medallion_run_step("marketing customers", refresh_marketing[all_customers], 2, argtypes, args);

	medallion_run_step("consume changes",
					   "TRUNCATE medallion.fact_delta; DELETE FROM medallion.gold_pending",
					   0, NULL, NULL);
	medallion_run_step("gold built",
					   "DELETE FROM medallion.gold_build; "
					   "INSERT INTO medallion.gold_build (built_at, ltv_high, ltv_medium) "
					   "VALUES (now(), $1, $2)", 2, argtypes, args);
	medallion_empty_tables(working_sets);
	SPI_finish();
}

/*
 * medallion_refresh_gold(full boolean DEFAULT false) returns (mode,
 * silver_batches, fact_changes, periods, products, customers).  Silver is
 * brought up to date first.
 */
Datum
medallion_refresh_gold(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	SilverCounts silver;
	GoldCounts	gold;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};
	int			guc_level;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	guc_level = medallion_pin_gucs();
	medallion_lock_refresh();
	medallion_refresh_silver_locked(&silver);
	refresh_gold(!PG_ARGISNULL(0) && PG_GETARG_BOOL(0), &gold);
	medallion_restore_gucs(guc_level);

	values[0] = CStringGetTextDatum(gold.full ? "full" : "incremental");
	values[1] = Int64GetDatum(silver.batches);
	values[2] = Int64GetDatum(gold.fact_changes);
	values[3] = Int64GetDatum(gold.periods);
	values[4] = Int64GetDatum(gold.products);
	values[5] = Int64GetDatum(gold.customers);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*-------------------------------------------------------------------------
 *
 * silver.c
 *	  medallion_refresh_silver: brings silver up to date with bronze.
 *
 * Incremental by batch, and equal to building silver from scratch: only the
 * batches not yet in silver are typed, and only the customers, products and
 * order numbers they touch are recomputed, from all their records.  Every
 * decision that can change later is either monotone (a customer or a price
 * that arrives stays) or re-evaluated on every refresh (quarantined records
 * waiting for a customer, a price or their order date; is_current).
 *
 * The transforms are set-based SQL run through SPI, one statement per step,
 * in the order below; C only sequences them.
 *
 * src/silver.c
 *
 *-------------------------------------------------------------------------
 */
#include "medallion.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

PG_FUNCTION_INFO_V1(medallion_refresh_silver);

/* ---------------------------------------------------------------------
 * Working sets of one refresh, as temporary tables
 * ---------------------------------------------------------------------
 */

/* the working sets of a refresh (unlogged tables of schema medallion) */
static const char *const working_sets[] = {
	"medallion.work_customers_touched", "medallion.work_products_touched",
	"medallion.work_products_before", "medallion.work_products_after",
	"medallion.work_orders_touched", "medallion.work_orders_affected",
	"medallion.work_sale_prices", "medallion.work_products_repricing",
	"medallion.work_eval", NULL};

/* ---------------------------------------------------------------------
 * Customers
 * ---------------------------------------------------------------------
 */

static const char *const type_customers =
"INSERT INTO silver.customer_records "
"SELECT b._batch_id, b._line, c.customer_id,"
"  coalesce(medallion.unix_seconds(b.valid_from), bt.started_at),"
"  medallion.unix_seconds(b.valid_to),"
"  medallion.std_name(b.customer_name), medallion.std_upper(b.state),"
"  medallion.std_email(b.email), medallion.std_phone(b.phone),"
"  medallion.clean(b.tax_id), medallion.clean(b.tax_code), medallion.clean(b.city),"
"  medallion.clean(b.postcode), medallion.clean(b.street), medallion.clean(b.number),"
"  medallion.clean(b.unit), medallion.clean(b.region), medallion.clean(b.district),"
"  medallion.to_numeric(b.lon), medallion.to_numeric(b.lat), medallion.clean(b.ship_to_address),"
"  medallion.to_bigint(b.units_purchased), medallion.to_int(b.loyalty_segment) "
"FROM bronze.customers b "
"JOIN medallion.batches bt ON bt.batch_id = b._batch_id "
"CROSS JOIN LATERAL (SELECT medallion.to_positive_bigint(b.customer_id) AS customer_id) c "
"WHERE b._batch_id = $1 AND c.customer_id IS NOT NULL";

static const char *const quarantine_customers =
"INSERT INTO silver.quarantine (source, batch_id, line, record, rule, reason) "
"SELECT 'customers', b._batch_id, b._line, to_jsonb(b) - '_batch_id' - '_line',"
"  'invalid_customer_id',"
"  format('customer_id %s is not a positive integer', coalesce('\"' || left(b.customer_id, 80) || '\"', '(missing)')) "
"FROM bronze.customers b "
"WHERE b._batch_id = $1 AND medallion.to_positive_bigint(b.customer_id) IS NULL "
"ON CONFLICT (source, batch_id, line) DO NOTHING";

static const char *const customer_warnings =
"INSERT INTO medallion.dq_warnings (batch_id, source, warning, rows) "
"SELECT $1, 'customers', w.warning, count(*) "
"FROM bronze.customers b "
"CROSS JOIN LATERAL (VALUES"
"  ('invalid_email', medallion.clean(b.email) IS NOT NULL AND medallion.std_email(b.email) IS NULL),"
"  ('invalid_phone', medallion.clean(b.phone) IS NOT NULL AND medallion.std_phone(b.phone) IS NULL),"
"  ('invalid_state', medallion.clean(b.state) IS NOT NULL AND NOT EXISTS"
"     (SELECT 1 FROM medallion.state_timezones t WHERE t.state = medallion.std_upper(b.state))),"
"  ('invalid_valid_from', medallion.clean(b.valid_from) IS NOT NULL AND medallion.unix_seconds(b.valid_from) IS NULL),"
"  ('invalid_valid_to', medallion.clean(b.valid_to) IS NOT NULL AND medallion.unix_seconds(b.valid_to) IS NULL)"
") AS w(warning, hit) "
"WHERE b._batch_id = $1 AND w.hit AND medallion.to_positive_bigint(b.customer_id) IS NOT NULL "
"GROUP BY w.warning "
"ON CONFLICT (batch_id, warning) DO UPDATE SET rows = excluded.rows";

static const char *const touch_customers =
"INSERT INTO medallion.work_customers_touched "
"SELECT DISTINCT customer_id FROM silver.customer_records WHERE batch_id = ANY($1) "
"ON CONFLICT DO NOTHING";

/*
 * The customers touched are looked up by index as an array: joined, the
 * planner hashed them and read every version (80-120 ms for the thousand
 * customers of a 1% refresh; 4 ms so).
 */
#define TOUCHED_CUSTOMERS "ANY (ARRAY(SELECT customer_id FROM medallion.work_customers_touched))"

static const char *const delete_customer_versions =
"DELETE FROM silver.customers WHERE customer_id = " TOUCHED_CUSTOMERS;

/*
 * SCD type 2: one version per (customer, start), the row of the highest
 * batch then line winning; a version ends at the next one's start, else at
 * its own valid_to.
 */
static const char *const insert_customer_versions =
"INSERT INTO silver.customers (customer_id, valid_from, valid_to, is_current, customer_name,"
"  state, timezone, email, phone, tax_id, tax_code, city, postcode, street, number, unit,"
"  region, district, lon, lat, ship_to_address, units_purchased, loyalty_segment, _batch_id, _line) "
"SELECT v.customer_id, v.version_start, v.version_end,"
"  v.version_start <= now() AND (v.version_end IS NULL OR v.version_end > now()),"
"  v.customer_name, tz.state, tz.timezone, v.email, v.phone, v.tax_id, v.tax_code, v.city,"
"  v.postcode, v.street, v.number, v.unit, v.region, v.district, v.lon, v.lat,"
"  v.ship_to_address, v.units_purchased, v.loyalty_segment, v.batch_id, v.line "
"FROM (SELECT w.*, coalesce(lead(w.version_start) OVER (PARTITION BY w.customer_id"
"                                                      ORDER BY w.version_start), w.own_end) AS version_end"
"      FROM (SELECT DISTINCT ON (r.customer_id, r.version_start) r.*"
"            FROM silver.customer_records r"
"            WHERE r.customer_id = " TOUCHED_CUSTOMERS
"            ORDER BY r.customer_id, r.version_start, r.batch_id DESC, r.line DESC) w) v "
"LEFT JOIN medallion.state_timezones tz ON tz.state = v.state";

/*
 * is_current moves with time, not only with new data: a version is current
 * when valid_from <= now() AND (valid_to IS NULL OR valid_to > now()).  The
 * versions to flip are current ones that ended (or start later) and others
 * in force now, each arm read from a partial index of its own rather than
 * by reading every version on every refresh.
 */
static const char *const refresh_current =
"WITH changed AS ("
"  UPDATE silver.customers SET is_current = NOT is_current"
"  WHERE (is_current AND (valid_to <= now() OR valid_from > now()))"
"     OR (NOT is_current AND (valid_to IS NULL OR valid_to > now()) AND valid_from <= now())"
"  RETURNING customer_id) "
"INSERT INTO medallion.gold_pending (kind, key) "
"SELECT DISTINCT 'customer', customer_id::text FROM changed ON CONFLICT DO NOTHING";

/*
 * medallion.state_timezones is the DBA's to edit, and a version's state and
 * zone always follow it: when it differs from what the stored versions were
 * aligned with (one row, rewritten here), each version takes them again
 * from its record's state (NULL unless listed), and the customers whose
 * rows change are marked for gold.  Unedited, this costs one row's check.
 */
static const char *const zones_changed =
"INSERT INTO medallion.silver_zones AS s (zones) "
"SELECT coalesce(jsonb_object_agg(state, timezone), '{}') FROM medallion.state_timezones "
"ON CONFLICT (id) DO UPDATE SET zones = excluded.zones WHERE s.zones <> excluded.zones";

static const char *const realign_zones =
"WITH changed AS ("
"  UPDATE silver.customers c SET state = tz.state, timezone = tz.timezone"
"  FROM silver.customer_records r LEFT JOIN medallion.state_timezones tz ON tz.state = r.state"
"  WHERE r.batch_id = c._batch_id AND r.line = c._line"
"    AND (c.state, c.timezone) IS DISTINCT FROM (tz.state, tz.timezone)"
"  RETURNING c.customer_id) "
"INSERT INTO medallion.gold_pending (kind, key) "
"SELECT DISTINCT 'customer', customer_id::text FROM changed ON CONFLICT DO NOTHING";

static const char *const pending_touched_customers =
"INSERT INTO medallion.gold_pending (kind, key) "
"SELECT 'customer', customer_id::text FROM medallion.work_customers_touched "
"ON CONFLICT DO NOTHING";

/* ---------------------------------------------------------------------
 * Product catalog
 * ---------------------------------------------------------------------
 */

static const char *const type_products =
"INSERT INTO silver.product_records "
"SELECT b._batch_id, b._line, medallion.clean(b.product_id), medallion.clean(b.product_name),"
"  medallion.clean(b.product_category), medallion.to_numeric(b.sales_price),"
"  medallion.clean(b.ean13), medallion.clean(b.ean5), medallion.clean(b.product_unit) "
"FROM bronze.products b "
"WHERE b._batch_id = $1 AND medallion.clean(b.product_id) IS NOT NULL";

static const char *const quarantine_products =
"INSERT INTO silver.quarantine (source, batch_id, line, record, rule, reason) "
"SELECT 'products', b._batch_id, b._line, to_jsonb(b) - '_batch_id' - '_line',"
"  'missing_product_id', 'product_id is empty' "
"FROM bronze.products b WHERE b._batch_id = $1 AND medallion.clean(b.product_id) IS NULL "
"ON CONFLICT (source, batch_id, line) DO NOTHING";

/* ---------------------------------------------------------------------
 * Sales
 * ---------------------------------------------------------------------
 */

/*
 * The typed records of the new batches ($1), and those of the source waiting
 * in quarantine under one of the rules, with is_new and the columns asked
 * for: each read once (joined to the list of their keys, the records of a
 * first load were read twice and hashed, 10 s for a million orders).
 */
#define RECORDS_TO_DECIDE(table, source, rules, columns) \
"SELECT r.batch_id, r.line, true AS is_new, " columns \
" FROM silver." table " r WHERE r.batch_id = ANY($1)" \
" UNION ALL" \
" SELECT r.batch_id, r.line, false, " columns \
" FROM silver.quarantine q JOIN silver." table " r ON r.batch_id = q.batch_id AND r.line = q.line" \
" WHERE q.source = " source " AND q.resolved_at IS NULL AND q.rule IN (" rules ")"

/*
 * The records to decide: those of the new batches (a permanent problem is
 * final), and those waiting in quarantine for a customer or their date.
 */
static const char *const eval_sales =
"INSERT INTO medallion.work_eval "
"SELECT 'sales', batch_id, line, is_new, rule,"
"  CASE WHEN problem IS NOT NULL THEN problem_detail"
"       WHEN rule = 'future_order_date'"
"            THEN format('order_date %s is later than the refresh date', to_char(order_date, 'YYYY-MM-DD'))"
"       WHEN rule = 'unknown_customer'"
"            THEN format('customer %s is not in silver.customers', customer_id) END "
"FROM (SELECT r.batch_id, r.line, r.is_new, r.problem, r.problem_detail, r.order_date, r.customer_id,"
"        CASE WHEN r.problem IS NOT NULL THEN r.problem"
"             WHEN r.order_date > current_date THEN 'future_order_date'"
"             WHEN NOT EXISTS (SELECT 1 FROM silver.customers c WHERE c.customer_id = r.customer_id)"
"                  THEN 'unknown_customer' END AS rule"
"      FROM (" RECORDS_TO_DECIDE("sales_records", "'sales'",
							   "'unknown_customer', 'future_order_date', 'expectation'",
							   "r.problem, r.problem_detail, r.order_date, r.customer_id") ") r"
"      OFFSET 0) x";

/*
 * Distinct sales: the first admitted record of identical ones stands for
 * them.  Identical records have the same date, so the key is (order_date,
 * record_hash): new sales, mostly recent, go to a few index pages at its
 * end, where the hash alone sent them to random pages (after a checkpoint
 * each a full-page image: 45 MB of WAL for 10,000 sales, 13 MB now).
 *
 * New sales go to the fact delta ($1: emission) when gold is built; before
 * that (a first load), the sales are only written: returning a million of
 * them to find none to record cost more than a second.  Into an empty
 * table (a first load again) they are inserted without ON CONFLICT, whose
 * checks cost a third of the statement.
 */
#define INSERT_SALES \
"INSERT INTO silver.sales (record_hash, customer_id, order_date, product_id, product_name," \
"  product_category, quantity, amount, price, curr, _batch_id, _line)" \
"  SELECT DISTINCT ON (r.order_date, r.record_hash) r.record_hash, r.customer_id, r.order_date," \
"    r.product_id, coalesce(r.product_name, r.json_name), coalesce(r.product_category, 'UNKNOWN')," \
"    r.quantity, r.amount, r.price, r.curr, r.batch_id, r.line" \
"  FROM silver.sales_records r" \
"  JOIN medallion.work_eval e ON e.source = 'sales' AND e.batch_id = r.batch_id AND e.line = r.line" \
"  WHERE e.rule IS NULL" \
"  ORDER BY r.order_date, r.record_hash, r.batch_id, r.line"
#define ON_SALE_CONFLICT \
"  ON CONFLICT (order_date, record_hash) DO UPDATE SET _batch_id = excluded._batch_id, _line = excluded._line" \
"  WHERE (excluded._batch_id, excluded._line) < (silver.sales._batch_id, silver.sales._line)"

static const char *const insert_sales = INSERT_SALES;
static const char *const upsert_sales = INSERT_SALES ON_SALE_CONFLICT;
static const char *const upsert_sales_recorded =
"WITH added AS (" INSERT_SALES ON_SALE_CONFLICT "  RETURNING *, xmax = 0 AS inserted) "
"INSERT INTO medallion.fact_delta (emission, sign, order_key, customer_id, day, product_id,"
"  product_category, revenue, units) "
"SELECT $1, 1, 'S' || encode(record_hash, 'hex'), customer_id, order_date, product_id,"
"  product_category, amount, quantity FROM added WHERE inserted";

/* ---------------------------------------------------------------------
 * Orders
 * ---------------------------------------------------------------------
 */

/*
 * The order records to decide: those of the new batches and those waiting
 * for a customer or a price.  A permanent problem is final; a missing
 * customer is named here; rule NULL means "admitted, unless its items cannot
 * all be priced" (decided below).
 */
static const char *const eval_orders =
"INSERT INTO medallion.work_eval "
"SELECT 'sales_orders', batch_id, line, is_new, rule,"
"  CASE WHEN problem IS NOT NULL THEN problem_detail"
"       WHEN rule = 'unknown_customer'"
"            THEN format('customer %s is not in silver.customers', customer_id) END,"
"  unpriced "
"FROM (SELECT r.batch_id, r.line, r.is_new, r.problem, r.problem_detail, r.customer_id,"
"        r.unpriced,"
"        CASE WHEN r.problem IS NOT NULL THEN r.problem"
"             WHEN NOT EXISTS (SELECT 1 FROM silver.customers c WHERE c.customer_id = r.customer_id)"
"                  THEN 'unknown_customer' END AS rule"
"      FROM (" RECORDS_TO_DECIDE("order_records", "'sales_orders'",
							   "'unknown_customer', 'unknown_price', 'expectation'",
							   "r.problem, r.problem_detail, r.customer_id,"
							   " r.unpriced_items IS NOT NULL AS unpriced") ") r"
"      OFFSET 0) x";

/* the items of typed order records, with their positions */
#define ITEMS_OF(r) \
"CROSS JOIN LATERAL unnest(" r ".items) WITH ORDINALITY" \
"  AS u(product_id, qty, price, curr, name, unit, promotion_info, item_no) "

/*
 * Of the records with the given rule, the items without their own price
 * whose product has no price: not in silver.products (every record admitted
 * before), nor in the catalog, nor in a sale admitted by this refresh, nor
 * as the own price of an item of a candidate record (rule NULL).  The
 * parse step listed each record's items without a price (unpriced_items),
 * which the evaluation noted (work_eval.unpriced: only those records are
 * read again), and the candidates' own prices are looked at only when some
 * item needs them.  Each item's product is taken out of its record once
 * (MATERIALIZED: inlined, it was taken out again for every product it was
 * compared with).  Defines the CTE "unpriced".
 */
#define UNPRICED_ITEMS(rule) \
"needy AS MATERIALIZED (" \
"  SELECT e.batch_id, e.line, x.item_no, (r.items[x.item_no]).product_id AS product_id" \
"  FROM medallion.work_eval e" \
"  JOIN silver.order_records r ON r.batch_id = e.batch_id AND r.line = e.line" \
"  CROSS JOIN LATERAL unnest(r.unpriced_items) AS x(item_no)" \
"  WHERE e.source = 'sales_orders' AND e.rule " rule " AND e.unpriced)," \
" unpriced_anywhere AS (" \
"  SELECT * FROM needy n" \
"  WHERE NOT EXISTS (SELECT 1 FROM silver.products p" \
"                    WHERE p.product_id = n.product_id AND p.price IS NOT NULL)" \
"    AND NOT EXISTS (SELECT 1 FROM silver.product_records pr" \
"                    WHERE pr.product_id = n.product_id AND pr.price IS NOT NULL)" \
"    AND NOT EXISTS (SELECT 1 FROM medallion.work_sale_prices sp WHERE sp.product_id = n.product_id))," \
" candidate_prices AS (" \
"  SELECT DISTINCT u.product_id FROM medallion.work_eval e" \
"  JOIN silver.order_records r ON r.batch_id = e.batch_id AND r.line = e.line " \
   ITEMS_OF("r") \
"  WHERE EXISTS (SELECT 1 FROM unpriced_anywhere) AND e.source = 'sales_orders' AND e.rule IS NULL" \
"    AND u.price IS NOT NULL AND u.product_id IN (SELECT product_id FROM unpriced_anywhere))," \
" unpriced AS (" \
"  SELECT * FROM unpriced_anywhere ua" \
"  WHERE NOT EXISTS (SELECT 1 FROM candidate_prices cp WHERE cp.product_id = ua.product_id))"

/* products priced by the sales this refresh admits */
static const char *const sale_prices =
"INSERT INTO medallion.work_sale_prices "
"SELECT DISTINCT s.product_id FROM medallion.work_eval e "
"JOIN silver.sales_records s ON s.batch_id = e.batch_id AND s.line = e.line "
"WHERE e.source = 'sales' AND e.rule IS NULL AND s.price IS NOT NULL";

/* run until it drops nothing */
static const char *const drop_unpriced_orders =
"WITH " UNPRICED_ITEMS("IS NULL") ","
" first_unpriced AS (SELECT DISTINCT ON (batch_id, line) * FROM unpriced ORDER BY batch_id, line, item_no) "
"UPDATE medallion.work_eval e SET rule = 'unknown_price',"
"  reason = format('item %s (product %s) has no price, and no price is known for the product',"
"                  u.item_no, u.product_id) "
"FROM first_unpriced u "
"WHERE e.source = 'sales_orders' AND e.batch_id = u.batch_id AND e.line = u.line";

/* SPEC's order: a missing price is named before a missing customer */
static const char *const explain_orders =
"WITH " UNPRICED_ITEMS("= 'unknown_customer'") ","
" first_unpriced AS (SELECT DISTINCT ON (batch_id, line) * FROM unpriced ORDER BY batch_id, line, item_no) "
"UPDATE medallion.work_eval e SET rule = 'unknown_price',"
"  reason = format('item %s (product %s) has no price, and no price is known for the product',"
"                  u.item_no, u.product_id) "
"FROM first_unpriced u "
"WHERE e.source = 'sales_orders' AND e.batch_id = u.batch_id AND e.line = u.line";

static const char *const touch_orders =
"INSERT INTO medallion.work_orders_touched "
"SELECT DISTINCT r.order_number FROM silver.order_records r "
"JOIN medallion.work_eval e ON e.source = 'sales_orders' AND e.batch_id = r.batch_id AND e.line = r.line "
"WHERE e.rule IS NULL";

/* ---------------------------------------------------------------------
 * Quarantine bookkeeping, for every source
 * ---------------------------------------------------------------------
 */

/*
 * new records that failed: with their bronze row, one batch at a time.
 * The batch's bronze rows are read only when one of them failed (a
 * one-time filter): reading them all to find none cost 60-100 ms a batch
 * of 10,000 orders.
 */
#define QUARANTINE_NEW \
"INSERT INTO silver.quarantine (source, batch_id, line, record, rule, reason) " \
"SELECT e.source, b._batch_id, b._line, to_jsonb(b) - '_batch_id' - '_line', e.rule, e.reason " \
"FROM bronze.%1$s b JOIN medallion.work_eval e" \
"  ON e.source = '%1$s' AND e.batch_id = b._batch_id AND e.line = b._line " \
"WHERE b._batch_id = $1 AND e.is_new AND e.rule IS NOT NULL" \
"  AND EXISTS (SELECT FROM medallion.work_eval f WHERE f.source = '%1$s' AND f.batch_id = $1" \
"              AND f.is_new AND f.rule IS NOT NULL) " \
"ON CONFLICT (source, batch_id, line) DO UPDATE SET rule = excluded.rule, reason = excluded.reason"

static const char *const quarantine_still_failing =
"UPDATE silver.quarantine q SET rule = e.rule, reason = e.reason "
"FROM medallion.work_eval e "
"WHERE NOT e.is_new AND e.rule IS NOT NULL AND q.source = e.source AND q.batch_id = e.batch_id"
"  AND q.line = e.line AND (q.rule, q.reason) IS DISTINCT FROM (e.rule, e.reason)";

static const char *const quarantine_resolve =
"UPDATE silver.quarantine q SET resolved_at = now() "
"FROM medallion.work_eval e "
"WHERE NOT e.is_new AND e.rule IS NULL AND q.source = e.source AND q.batch_id = e.batch_id"
"  AND q.line = e.line AND q.resolved_at IS NULL";

/* ---------------------------------------------------------------------
 * Products (SCD type 1)
 * ---------------------------------------------------------------------
 */

static const char *const products_before =
"INSERT INTO medallion.work_products_before "
"SELECT p.product_id, p.product_name, p.product_category, p.price FROM silver.products p "
"JOIN medallion.work_products_touched t USING (product_id)";

/*
 * Each attribute takes the first non-null value among catalog rows, then
 * admitted sales, then items of admitted orders (own price), each newest
 * first.  Admitted records never leave, so the records this refresh admits
 * ($1: and the catalog rows of the new batches) only have to beat each
 * attribute's current winner.  Records are looked up by key: after a load
 * of 1% more, a join would read every sales record to find the new ones.
 */
static const char *const merge_product_attributes =
"WITH cand AS ("
"  SELECT pr.product_id, 1 AS source, pr.batch_id, pr.line, 0 AS item_no, pr.product_name AS name,"
"    pr.product_category AS category, pr.price::text AS price, NULL::text AS curr, pr.unit,"
"    pr.ean13, pr.ean5"
"  FROM silver.product_records pr WHERE pr.batch_id = ANY($1)"
"  UNION ALL"
"  SELECT s.product_id, 2, s.batch_id, s.line, 0, coalesce(s.product_name, s.json_name),"
"    s.product_category, s.price::text, s.curr, NULL, NULL, NULL"
"  FROM medallion.work_eval e"
"  CROSS JOIN LATERAL (SELECT * FROM silver.sales_records s"
"                      WHERE s.batch_id = e.batch_id AND s.line = e.line LIMIT 1) s"
"  WHERE e.source = 'sales' AND e.rule IS NULL"
"  UNION ALL"
"  SELECT u.product_id, 3, r.batch_id, r.line, u.item_no::integer, u.name, NULL, u.price::text, u.curr,"
"    u.unit, NULL, NULL"
"  FROM medallion.work_eval e JOIN silver.order_records r ON r.batch_id = e.batch_id AND r.line = e.line "
   ITEMS_OF("r")
"  WHERE e.source = 'sales_orders' AND e.rule IS NULL),"
" best AS ("
"  SELECT product_id, medallion.best_attributes(source, batch_id, line, item_no, name, category,"
"    price, curr, unit, ean13, ean5) AS b"
"  FROM cand GROUP BY product_id),"
" touched AS (INSERT INTO medallion.work_products_touched SELECT product_id FROM best) "
"INSERT INTO silver.product_attributes AS w (product_id, attribute, rank_key, value) "
"SELECT best.product_id, a.attribute, a.rank_key, a.value FROM best "
"CROSS JOIN LATERAL (VALUES ('_record', b[1], b[2]), ('name', b[3], b[4]), ('category', b[5], b[6]),"
"  ('price', b[7], b[8]), ('curr', b[9], b[10]), ('unit', b[11], b[12]), ('ean13', b[13], b[14]),"
"  ('ean5', b[15], b[16])) a(attribute, rank_key, value) "
"WHERE a.rank_key IS NOT NULL "
"ON CONFLICT (product_id, attribute) DO UPDATE SET rank_key = excluded.rank_key, value = excluded.value "
"WHERE excluded.rank_key < w.rank_key";

/* the products' new values, resolved from the winners, before they are written */
static const char *const products_after =
"INSERT INTO medallion.work_products_after "
"SELECT a.product_id,"
"  max(a.value) FILTER (WHERE a.attribute = 'name'),"
"  coalesce(max(a.value) FILTER (WHERE a.attribute = 'category'), 'UNKNOWN'),"
"  (max(a.value) FILTER (WHERE a.attribute = 'price'))::numeric,"
"  max(a.value) FILTER (WHERE a.attribute = 'curr'),"
"  max(a.value) FILTER (WHERE a.attribute = 'ean13'),"
"  max(a.value) FILTER (WHERE a.attribute = 'ean5'),"
"  max(a.value) FILTER (WHERE a.attribute = 'unit'),"
"  split_part(max(a.value) FILTER (WHERE a.attribute = '_record'), ':', 1)::bigint,"
"  split_part(max(a.value) FILTER (WHERE a.attribute = '_record'), ':', 2)::bigint "
"FROM silver.product_attributes a JOIN medallion.work_products_touched USING (product_id) "
"GROUP BY a.product_id";

static const char *const upsert_products =
"INSERT INTO silver.products (product_id, product_name, product_category, price, curr, ean13,"
"  ean5, unit, _batch_id, _line, updated_at) "
"SELECT product_id, product_name, product_category, price, curr, ean13, ean5, unit, batch_id,"
"  line, now() FROM medallion.work_products_after "
"ON CONFLICT (product_id) DO UPDATE SET product_name = excluded.product_name,"
"  product_category = excluded.product_category, price = excluded.price, curr = excluded.curr,"
"  ean13 = excluded.ean13, ean5 = excluded.ean5, unit = excluded.unit,"
"  _batch_id = excluded._batch_id, _line = excluded._line, updated_at = excluded.updated_at "
"WHERE (silver.products.product_name, silver.products.product_category, silver.products.price,"
"       silver.products.curr, silver.products.ean13, silver.products.ean5, silver.products.unit,"
"       silver.products._batch_id, silver.products._line)"
"  IS DISTINCT FROM (excluded.product_name, excluded.product_category, excluded.price,"
"       excluded.curr, excluded.ean13, excluded.ean5, excluded.unit, excluded._batch_id, excluded._line)";

/* gold shows names and categories: products whose changed need new gold rows */
static const char *const pending_changed_products =
"INSERT INTO medallion.gold_pending (kind, key) "
"SELECT 'product', p.product_id FROM silver.products p "
"JOIN medallion.work_products_touched USING (product_id) "
"LEFT JOIN medallion.work_products_before b USING (product_id) "
"WHERE b.product_id IS NULL OR (p.product_name, p.product_category, p.price)"
"  IS DISTINCT FROM (b.product_name, b.product_category, b.price) "
"ON CONFLICT DO NOTHING";

/* ---------------------------------------------------------------------
 * Orders: the latest admitted record of each order number wins
 * ---------------------------------------------------------------------
 */

/*
 * Orders whose facts change: replaced ones, and those with items of a
 * product whose category changes or, for items without their own price,
 * whose price changes.
 */
/*
 * The products order records have items of, and whether some item takes
 * its price from the product: only a change of these reprices orders.
 * Kept up to date from the new batches, so that a change to any other
 * product (one seen only in sales, say) does not send the refresh through
 * every order.
 */
static const char *const note_order_products =
"INSERT INTO medallion.order_products AS o (product_id, unpriced) "
"SELECT u.product_id, coalesce(bool_or(u.item_no = ANY (r.unpriced_items)), false) "
"FROM silver.order_records r "
ITEMS_OF("r")
"WHERE r.batch_id = ANY($1) AND u.product_id IS NOT NULL "
"GROUP BY u.product_id "
"ON CONFLICT (product_id) DO UPDATE SET unpriced = true WHERE excluded.unpriced AND NOT o.unpriced";

/*
 * Products whose change changes the orders they are in: a new category
 * (orders with the product), a new price (orders with an item of it
 * without its own price).  Usually there are none.
 */
static const char *const products_repricing =
"INSERT INTO medallion.work_products_repricing "
"SELECT a.product_id, a.product_category IS DISTINCT FROM b.product_category "
"FROM medallion.work_products_before b "
"JOIN medallion.work_products_after a USING (product_id) "
"JOIN medallion.order_products o USING (product_id) "
"WHERE a.product_category IS DISTINCT FROM b.product_category"
"   OR (o.unpriced AND a.price IS DISTINCT FROM b.price)";

/* the orders whose facts change: the touched ones, and those products reprice */
static const char *const affected_orders =
"INSERT INTO medallion.work_orders_affected "
"SELECT order_number FROM medallion.work_orders_touched "
"UNION "
"SELECT o.order_number FROM silver.orders o "
"JOIN silver.order_records r ON r.batch_id = o._batch_id AND r.line = o._line "
"WHERE EXISTS (SELECT 1 FROM unnest(r.items) u"
"              JOIN medallion.work_products_repricing c ON c.product_id = u.product_id"
"              WHERE c.new_category)"
"   OR (r.unpriced_items IS NOT NULL"
"       AND EXISTS (SELECT 1 FROM unnest(r.unpriced_items) AS x(item_no)"
"                   JOIN medallion.work_products_repricing c"
"                     ON c.product_id = (r.items[x.item_no]).product_id))";

static const char *const affected_touched_orders =
"INSERT INTO medallion.work_orders_affected "
"SELECT DISTINCT order_number FROM medallion.work_orders_touched";

/*
 * Their whole state ($1: emission), read before products and orders change
 * and again after.  Each order is looked up by its key (LIMIT 1 keeps the
 * planner from hashing every order for a few thousand, most of them new).
 * The amount is silver.order_items' own: qty times own price, else the
 * product's.
 */
#define EMIT_ORDERS(sign) \
"INSERT INTO medallion.fact_delta (emission, sign, order_key, customer_id, day, product_id," \
"  product_category, revenue, units) " \
"SELECT $1, " sign ", 'O' || o.order_number, o.customer_id, o.order_date, u.product_id," \
"  p.product_category, u.qty * coalesce(u.price, p.price), u.qty " \
"FROM medallion.work_orders_affected a " \
"CROSS JOIN LATERAL (SELECT o.order_number, o.customer_id, o.order_date, o._batch_id, o._line" \
"                    FROM silver.orders o WHERE o.order_number = a.order_number LIMIT 1) o " \
"JOIN silver.order_records r ON r.batch_id = o._batch_id AND r.line = o._line " \
ITEMS_OF("r") \
"JOIN silver.products p ON p.product_id = u.product_id"

static const char *const emit_old_orders = EMIT_ORDERS("-1");
static const char *const emit_new_orders = EMIT_ORDERS("1");

/*
 * The latest admitted record of each touched order wins; only its order
 * columns are sorted, not its items (byte order is as good as any to
 * group by).  Into an empty table, without ON CONFLICT, as sales above.
 */
#define INSERT_ORDERS \
"INSERT INTO silver.orders (order_number, customer_id, order_datetime, order_date," \
"  number_of_line_items, item_count, promo_info, _batch_id, _line) " \
"SELECT DISTINCT ON (r.order_number COLLATE \"C\") r.order_number, r.customer_id, r.order_datetime," \
"  r.order_date, r.number_of_line_items, r.item_count, r.promo_info, r.batch_id, r.line " \
"FROM silver.order_records r " \
"JOIN medallion.work_orders_touched USING (order_number) " \
"WHERE r.problem IS NULL AND NOT EXISTS (SELECT 1 FROM silver.quarantine q" \
"  WHERE q.source = 'sales_orders' AND q.batch_id = r.batch_id AND q.line = r.line" \
"    AND q.resolved_at IS NULL) " \
"ORDER BY r.order_number COLLATE \"C\", r.batch_id DESC, r.line DESC "

static const char *const insert_orders = INSERT_ORDERS;
static const char *const upsert_orders = INSERT_ORDERS
"ON CONFLICT (order_number) DO UPDATE SET customer_id = excluded.customer_id,"
"  order_datetime = excluded.order_datetime, order_date = excluded.order_date,"
"  number_of_line_items = excluded.number_of_line_items, item_count = excluded.item_count,"
"  promo_info = excluded.promo_info, _batch_id = excluded._batch_id, _line = excluded._line";

static const char *const mark_batches =
"UPDATE medallion.batches SET silver_at = pg_catalog.clock_timestamp() WHERE batch_id = ANY($1)";

/* ---------------------------------------------------------------------
 * Driving it
 * ---------------------------------------------------------------------
 */

/*
 * Statistics for the typed records that grew by more than a fifth (and 8
 * pages) since they were last analyzed, which sets pg_class.relpages to
 * their size then: a first load above all, or a big parse committed before
 * this refresh (medallion_run parses in a transaction of its own).
 * Autovacuum cannot count rows this transaction wrote, and planned without
 * statistics, or on those of a much smaller table, the steps below went
 * wrong: a first load's million sales joined one at a time to their records
 * (1M orders and 1M sales: the sales insert 13.5 s against 11.9 s analyzed,
 * deciding the orders 9.3 s against 4.2 s); after statistics of a few
 * hundred records, dropping the unpriced orders of 480,000 parsed in a
 * transaction before took 37 s against 0.5 s.  Returns whether it analyzed.
 */
static bool
analyze_grown_records(void)
{
	char	   *analyze;

	medallion_run_step("records grown",
					   "SELECT 'ANALYZE ' || string_agg('silver.' || pg_catalog.quote_ident(c.relname), ', ') "
					   "FROM pg_catalog.pg_class c "
					   "WHERE c.oid IN ('silver.sales_records'::regclass, 'silver.order_records'::regclass)"
					   "  AND pg_catalog.pg_relation_size(c.oid) / current_setting('block_size')::bigint"
					   "      > 1.2 * c.relpages + 8", 0, NULL, NULL);
	analyze = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (analyze == NULL)
		return false;
	medallion_analyze(analyze);
	return true;
}

/* Whether silver.<table> has no row (nothing but the refresh writes it). */
static bool
silver_empty(const char *table)
{
	char		sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM (SELECT FROM silver.%s LIMIT 1) x", table);
	return medallion_run_count_step("any silver rows", sql) == 0;
}

/* Batches not yet in silver, with their sources. */
static int
pending_batches(int64 **ids, char ***sources)
{
	int			n;

	medallion_run_step("list new batches",
			 "SELECT b.batch_id, b.source FROM medallion.batches b "
			 "WHERE b.silver_at IS NULL ORDER BY b.batch_id", 0, NULL, NULL);
	n = (int) SPI_processed;
	*ids = palloc(sizeof(int64) * (n + 1));
	*sources = palloc(sizeof(char *) * (n + 1));
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		(*ids)[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		(*sources)[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);
	}
	return n;
}

static void
quarantine_new(const char *source, int n, int64 *ids, char **sources)
{
	char	   *sql = psprintf(QUARANTINE_NEW, source);

	for (int i = 0; i < n; i++)
		if (strcmp(sources[i], source) == 0)
			medallion_run_batch_step("quarantine new records", sql, ids[i]);
}

/* Brings silver up to date; the caller holds the refresh lock. */
void
medallion_refresh_silver_locked(SilverCounts *counts)
{
	int64	   *ids;
	char	  **sources;
	int			n;
	Datum		batch_ids;
	Datum	   *elems;
	Datum		emission;
	bool		grown;

	memset(counts, 0, sizeof(SilverCounts));
	counts->parsed = medallion_parse_pending();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	grown = analyze_grown_records();
	n = pending_batches(&ids, &sources);
	counts->batches = n;
	elems = palloc(sizeof(Datum) * (n + 1));
	for (int i = 0; i < n; i++)
		elems[i] = Int64GetDatum(ids[i]);
	batch_ids = PointerGetDatum(construct_array(elems, n, INT8OID, sizeof(int64),
												FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));

	/* fact changes are kept for an incremental gold refresh, once gold is built */
	medallion_run_step("gold built", "SELECT CASE WHEN EXISTS (SELECT 1 FROM medallion.gold_build) "
			 "THEN pg_catalog.nextval('medallion.fact_emission_seq') END", 0, NULL, NULL);
	{
		bool		isnull;

		emission = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
		if (isnull)
			emission = (Datum) 0;
	}

	medallion_empty_tables(working_sets);

	/* customers: type the new rows, then rebuild the versions they touch */
	for (int i = 0; i < n; i++)
	{
		if (strcmp(sources[i], "customers") == 0)
		{
			medallion_run_batch_step("type customers", type_customers, ids[i]);
			medallion_run_batch_step("quarantine customers", quarantine_customers, ids[i]);
			medallion_run_batch_step("customer warnings", customer_warnings, ids[i]);
		}
		else if (strcmp(sources[i], "products") == 0)
		{
			medallion_run_batch_step("type products", type_products, ids[i]);
			medallion_run_batch_step("quarantine products", quarantine_products, ids[i]);
		}
	}
	if (medallion_run_step("zones changed", zones_changed, 0, NULL, NULL) > 0)
		medallion_run_step("realign zones", realign_zones, 0, NULL, NULL);
	medallion_run_batches_step("touch customers", touch_customers, batch_ids);
	medallion_run_step("delete customer versions", delete_customer_versions, 0, NULL, NULL);
	counts->customers = medallion_run_step("insert customer versions", insert_customer_versions, 0, NULL, NULL);
	medallion_run_step("pending customers", pending_touched_customers, 0, NULL, NULL);
	medallion_run_step("refresh is_current", refresh_current, 0, NULL, NULL);

	/* sales */
	medallion_run_batches_step("evaluate sales", eval_sales, batch_ids);
	medallion_run_step("drop expectations", "SELECT medallion.apply_drop_expectations('sales')",
					   0, NULL, NULL);

	/*
	 * Unanalyzed, it looks like ten rows: right for a few thousand sales
	 * among a million (looked up one by one; analyzed, the planner hashed
	 * all the records, a 1% refresh's sales upsert 0.18 s to 0.55 s), wrong
	 * for a first load's million (joined one by one).  So only when the
	 * records grew enough to be analyzed.
	 */
	if (grown)
		medallion_analyze("ANALYZE medallion.work_eval");
	counts->sales = medallion_run_count_step("count sales",
											 "SELECT count(*) FROM medallion.work_eval "
											 "WHERE source = 'sales' AND rule IS NULL");
	if (emission != (Datum) 0)
		medallion_run_param_step("upsert sales", upsert_sales_recorded, emission);
	else if (silver_empty("sales"))
		medallion_run_step("insert sales", insert_sales, 0, NULL, NULL);
	else
		medallion_run_step("upsert sales", upsert_sales, 0, NULL, NULL);

	/* orders: drop what cannot be admitted until nothing more drops */
	medallion_run_step("sale prices", sale_prices, 0, NULL, NULL);
	medallion_run_batches_step("evaluate orders", eval_orders, batch_ids);
	medallion_run_step("drop expectations", "SELECT medallion.apply_drop_expectations('sales_orders')",
					   0, NULL, NULL);
	medallion_analyze("ANALYZE medallion.work_eval");
	while (medallion_run_step("drop unpriced orders", drop_unpriced_orders, 0, NULL, NULL) > 0)
		;
	medallion_run_step("explain orders", explain_orders, 0, NULL, NULL);
	counts->orders = medallion_run_count_step("count orders",
											  "SELECT count(*) FROM medallion.work_eval "
											  "WHERE source = 'sales_orders' AND rule IS NULL");
	medallion_run_step("touch orders", touch_orders, 0, NULL, NULL);
	medallion_analyze("ANALYZE medallion.work_orders_touched");

	/* quarantine: new failures, changed reasons, records admitted at last */
	quarantine_new("sales", n, ids, sources);
	quarantine_new("sales_orders", n, ids, sources);
	medallion_run_step("quarantine still failing", quarantine_still_failing, 0, NULL, NULL);
	counts->readmitted = medallion_run_step("resolve quarantine", quarantine_resolve, 0, NULL, NULL);

	/* products, then the orders they price */
	/*
	 * Products, then the orders they price.  Facts are read out before
	 * anything changes and again after, for gold.
	 */
	medallion_run_batches_step("order products", note_order_products, batch_ids);
	medallion_run_batches_step("merge product attributes", merge_product_attributes, batch_ids);
	medallion_run_step("products before", products_before, 0, NULL, NULL);
	medallion_run_step("products after", products_after, 0, NULL, NULL);
	if (emission != (Datum) 0)
	{
		if (medallion_run_step("products repricing", products_repricing, 0, NULL, NULL) > 0)
			medallion_run_step("affected orders", affected_orders, 0, NULL, NULL);
		else
			medallion_run_step("affected orders", affected_touched_orders, 0, NULL, NULL);
		medallion_analyze("ANALYZE medallion.work_orders_affected");
		medallion_run_param_step("facts before", emit_old_orders, emission);
	}
	counts->products = medallion_run_step("upsert products", upsert_products, 0, NULL, NULL);
	medallion_run_step("pending products", pending_changed_products, 0, NULL, NULL);
	if (silver_empty("orders"))
		medallion_run_step("insert orders", insert_orders, 0, NULL, NULL);
	else
		medallion_run_step("upsert orders", upsert_orders, 0, NULL, NULL);
	if (emission != (Datum) 0)
		medallion_run_param_step("facts after", emit_new_orders, emission);

	counts->quarantined = medallion_run_count_step("count new quarantine",
										 "SELECT count(*) FROM silver.quarantine "
										 "WHERE first_seen = now() AND resolved_at IS NULL");
	medallion_run_batches_step("mark batches", mark_batches, batch_ids);
	/* warn and fail expectations; a failing fail one raises, and all rolls back */
	medallion_run_step("expectations", "SELECT medallion.check_expectations()", 0, NULL, NULL);

	medallion_empty_tables(working_sets);
	SPI_finish();
}

/*
 * medallion_refresh_silver() returns (batches, parsed, customers, products,
 * sales, orders, quarantined, readmitted).
 */
Datum
medallion_refresh_silver(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	SilverCounts c;
	Datum		values[8];
	bool		nulls[8] = {false, false, false, false, false, false, false, false};
	int			guc_level;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	guc_level = medallion_pin_gucs();
	medallion_lock_refresh();
	medallion_refresh_silver_locked(&c);
	medallion_restore_gucs(guc_level);

	values[0] = Int64GetDatum(c.batches);
	values[1] = Int64GetDatum(c.parsed);
	values[2] = Int64GetDatum(c.customers);
	values[3] = Int64GetDatum(c.products);
	values[4] = Int64GetDatum(c.sales);
	values[5] = Int64GetDatum(c.orders);
	values[6] = Int64GetDatum(c.quarantined);
	values[7] = Int64GetDatum(c.readmitted);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

--
-- silver_rules: one bronze record per rule of SPEC section 4, and what
-- became of it: typed and standardised in silver, or quarantined with the
-- rule and the reason.  Fixtures: test/data/silver/rules_*.csv.
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)
SET DateStyle = 'ISO, YMD';
-- order dates are UTC dates whatever the session's TimeZone: refresh from
-- a zone where 1546300800 (2019-01-01 00:00 UTC) is still 2018-12-31
SET TimeZone = 'America/Los_Angeles';
SELECT s.name, b.status, b.rows_loaded
FROM (VALUES (1, 'customers'), (2, 'products'), (3, 'sales'), (4, 'sales_orders')) s(n, name),
     LATERAL medallion_ingest_csv(s.name, '/tmp/medallion_regress/silver/rules_' || s.name || '.csv') b
ORDER BY s.n;
SELECT * FROM medallion_refresh_silver();
SET TimeZone = 'UTC';

--
-- customers: customer_id must be a positive integer; name, state, email and
-- phone are standardised (an invalid one becomes NULL and is counted)
--
SELECT customer_id, customer_name, state, timezone, email, phone, loyalty_segment, _line
FROM silver.customers ORDER BY customer_id;
SELECT line, rule, reason, record->>'customer_name' AS name
FROM silver.quarantine WHERE source = 'customers' ORDER BY line;
SELECT warning, rows FROM medallion.dq_warnings WHERE source = 'customers' ORDER BY warning;

--
-- products: a catalog row needs a product_id; an unparseable price is NULL;
-- a product without a category anywhere is UNKNOWN
--
SELECT product_id, product_name, product_category, price, curr FROM silver.products ORDER BY product_id;
SELECT line, rule, reason FROM silver.quarantine WHERE source = 'products' ORDER BY line;

--
-- sales: customer_id, order_date, total_price, product JSON, customer known
--
SELECT line, rule, reason FROM silver.quarantine WHERE source = 'sales' ORDER BY line;
-- line 3 repeats line 2 exactly: one sale; qty 0 means quantity 1; the
-- product_name column wins over the JSON name, unless it is empty; line 16's
-- id and qty are integers beyond 64 bits: the id is its text, and a qty past
-- 2^63-1 is no positive integer (quantity 1)
SELECT _line, customer_id, order_date, product_id, product_name, product_category,
       quantity, amount, price, curr
FROM silver.sales ORDER BY _line;

--
-- sales_orders: order_number, customer_id, order_datetime, ordered_products,
-- each item (id, qty >= 1, price not negative), a price for every item,
-- customer known
--
SELECT line, rule, reason FROM silver.quarantine WHERE source = 'sales_orders' ORDER BY line;
SELECT order_number, customer_id, order_datetime, order_date, number_of_line_items,
       item_count, promo_info
FROM silver.orders ORDER BY order_number;
-- O13's pair item takes P1's catalog price: 2 x 125.99
SELECT order_number, item_no, product_id, qty, price, unit_price, amount, curr, name, unit
FROM silver.order_items ORDER BY order_number, item_no;
SELECT order_number, click_no, product_id, clicks FROM silver.order_clicks ORDER BY 1, 2;
-- number_of_line_items that disagrees and clicked_items that do not parse
-- only warn
SELECT warning, rows FROM medallion.dq_warnings WHERE source = 'sales_orders' ORDER BY warning;

-- the quarantine keeps the whole bronze record
SELECT record FROM silver.quarantine WHERE source = 'sales_orders' AND line = 3;

-- a refresh with nothing new changes nothing
SELECT * FROM medallion_refresh_silver();
SELECT count(*) FROM silver.quarantine;

-- the refresh summarizes the BRIN index (_batch_id) of each bronze table it
-- reads batches of: pages appended since the last vacuum are in ranges the
-- index has not summarized, which every lookup of a batch reads whole.
-- Here a range is one page, so that a small batch spans several.
SELECT pg_relation_size('bronze.sales_orders') / 8192 AS pages_before \gset
ALTER INDEX bronze.sales_orders_batch_idx SET (pages_per_range = 1);
REINDEX INDEX bronze.sales_orders_batch_idx;
SELECT status, rows_loaded FROM medallion_ingest_csv('sales_orders', '/tmp/medallion_regress/sample/sales_orders.csv');
SELECT pg_relation_size('bronze.sales_orders') / 8192 - :pages_before > 1 AS new_pages;
-- the parse grows the typed order records many times over (14 orders, then
-- 318): the refresh analyzes them for the statements after it, which
-- autovacuum cannot do while they are not committed (ANALYZE sets relpages
-- to the size it saw)
BEGIN;
SELECT batches FROM medallion_refresh_silver();
SELECT relpages = pg_relation_size(oid) / 8192 AS analyzed_at_this_size,
       relpages > 8 AS grown_past_eight_pages
FROM pg_class WHERE oid = 'silver.order_records'::regclass;
COMMIT;
SELECT brin_summarize_new_values('bronze.sales_orders_batch_idx') AS left_unsummarized;

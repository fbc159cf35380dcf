--
-- silver_retry: records quarantined for a missing customer or an unknown
-- price are retried on every refresh and admitted when what they lack
-- arrives; a later record of an order replaces its items; a catalog price
-- change reprices items that have no price of their own; money stays exact.
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'UTC';

CREATE FUNCTION pg_temp.load(source text, file text) RETURNS text LANGUAGE sql AS $$
  SELECT status || ' ' || rows_loaded FROM medallion_ingest_csv(source, '/tmp/medallion_regress/silver/' || file)
$$;
CREATE VIEW pg_temp.open_quarantine AS
  SELECT record->>'order_number' AS order_number, coalesce(record->>'product', '') AS sale_product,
         rule, reason FROM silver.quarantine WHERE resolved_at IS NULL ORDER BY source, batch_id, line;
CREATE VIEW pg_temp.order_lines AS
  SELECT order_number, item_no, product_id, qty, price, unit_price, amount, _batch_id AS batch
  FROM silver.order_items ORDER BY order_number, item_no;

-- customer 51 exists; 50 and 52 do not yet
SELECT pg_temp.load('customers', 'retry_customers_1.csv');
-- R1 (customer 50) waits for its customer.  R2's P60 and R4's P90 have no
-- price anywhere.  R3 prices its own pair item (P70 at 4).  R5's P80 is
-- priced only by R4, which waits, so R5 waits too.  R6 and R7 price each
-- other's pair items.  R8 lacks both a customer and a price: the price is
-- named.  R10's amounts must stay exact.
SELECT pg_temp.load('sales_orders', 'retry_sales_orders_1.csv');
SELECT pg_temp.load('sales', 'retry_sales_1.csv');
SELECT sales, orders, quarantined, readmitted FROM medallion_refresh_silver();
SELECT * FROM pg_temp.open_quarantine;
SELECT * FROM pg_temp.order_lines;
-- 0.1 + 0.2 + 3 x 0.1 is 0.6 exactly, not 0.6000000000000001
SELECT sum(amount), sum(amount) = 0.6 AS exact FROM silver.order_items WHERE order_number = 'R10';

-- customer 50 arrives: R1 and the sale are admitted; R8 still lacks P99's price
SELECT pg_temp.load('customers', 'retry_customers_2.csv');
SELECT sales, orders, quarantined, readmitted FROM medallion_refresh_silver();
SELECT * FROM pg_temp.open_quarantine;
SELECT order_number FROM silver.orders ORDER BY 1;

-- the catalog brings P60, P90 and P99: R2, R4, R8 are admitted, and R5
-- with them (R4 now prices P80)
SELECT pg_temp.load('products', 'retry_products_1.csv');
SELECT sales, orders, quarantined, readmitted FROM medallion_refresh_silver();
SELECT * FROM pg_temp.open_quarantine;
SELECT * FROM pg_temp.order_lines WHERE order_number IN ('R2', 'R4', 'R5', 'R8');
SELECT source, record->>'order_number' AS order_number, rule, resolved_at IS NOT NULL AS resolved
FROM silver.quarantine ORDER BY source, batch_id, line;

-- a new catalog price for P60 reprices R2's item, which has none of its own;
-- gold will recompute the product (fact changes are recorded only once gold
-- has been built: see gold_incremental)
DELETE FROM medallion.gold_pending;
SELECT pg_temp.load('products', 'retry_products_2.csv');
SELECT products FROM medallion_refresh_silver();
SELECT * FROM pg_temp.order_lines WHERE order_number = 'R2';
SELECT kind, key FROM medallion.gold_pending ORDER BY kind, key;

-- later records of R2 and R9 replace their items (R9's first record still
-- waits for customer 52)
SELECT pg_temp.load('sales_orders', 'retry_sales_orders_2.csv');
SELECT orders FROM medallion_refresh_silver();
SELECT * FROM pg_temp.order_lines WHERE order_number IN ('R2', 'R9');
SELECT order_number, customer_id, order_date, _batch_id FROM silver.orders
WHERE order_number IN ('R2', 'R9') ORDER BY 1;

-- customer 52 arrives: R9's older record is admitted, but the later one
-- stays the order
SELECT pg_temp.load('customers', 'retry_customers_3.csv');
SELECT orders, readmitted FROM medallion_refresh_silver();
SELECT * FROM pg_temp.open_quarantine;
SELECT order_number, customer_id, _batch_id FROM silver.orders WHERE order_number = 'R9';
SELECT * FROM pg_temp.order_lines WHERE order_number = 'R9';

-- every record is accounted for
SELECT batch_id, source, bronze_rows, silver_rows, quarantined, collapsed, balanced
FROM medallion.silver_accounting ORDER BY batch_id;

--
-- gold_values: gold computed by hand on a small fixture (test/data/gold/hand_*)
--
-- The sales fact (a sale is an order of its own; items of one order count
-- as one order):
--   2024-01-01  S1 Ann P1 Tools   20.00 x2 | S2 Bob P2 Toys 2.50 x1
--   2024-01-02  A1 Ann P1 Tools   10.00 x1, P2 Toys 5.00 x2, P3 Tools 0.375 x3 (P3's catalog price 0.125)
--   2024-01-07  S3 Ann P1 Tools   10.00 x1 | A2 Bob P1 Tools 10.00 x1 (2024-01-08T00:30+01 is Jan 7 in UTC)
--   2024-02-15  A3 Bob P2 Toys     2.50 x1
--   2024-03-01  S4 Ann P4 Toys    10.00 x1
--   2024-03-02  S5 Ann P5 apparel  1.00 x1
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)
SET DateStyle = 'ISO, YMD';
SELECT s.name, b.status, b.rows_loaded
FROM (VALUES (1, 'customers'), (2, 'products'), (3, 'sales'), (4, 'sales_orders')) s(n, name),
     LATERAL medallion_ingest_csv(s.name, '/tmp/medallion_regress/gold/hand_' || s.name || '.csv') b
ORDER BY s.n;
SELECT mode, silver_batches FROM medallion_refresh_gold();

-- period_metrics
--   day 01-01: 22.50, 3 units, 2 orders, avg 11.25
--   day 01-02: 15.375 -> 15.38, 6 units, 1 order (A1 once), avg 15.38
--   day 01-07: 20.00, 2, 2, 10.00;  day 02-15: 2.50;  03-01: 10.00;  03-02: 1.00
--   week 2024-01-01 (Monday; Jan 7 is its Sunday): 57.875 -> 57.88, 11, 5, 11.575 -> 11.58
--   month 01: as that week; month 02: 2.50; month 03: 11.00, 2, 2, 5.50
--   quarter and year: 71.375 -> 71.38, 14 units, 8 orders, 8.921875 -> 8.92
SELECT grain, period_start, revenue, units, order_count, avg_order_value
FROM gold.period_metrics ORDER BY grain, period_start;

-- category_metrics, month and quarter
--   Jan Tools: S1 20 + A1 (10 + 0.375) + S3 10 + A2 10 = 50.375 -> 50.38, 8 units,
--              4 orders (A1 once, though it has two Tools items), avg 12.59375 -> 12.59
--   Jan Toys: S2 2.50 + A1 5.00 = 7.50, 3 units, 2 orders, 3.75
--   Q1 Toys: 7.50 + A3 2.50 + S4 10 = 20.00, 5, 4, 5.00
SELECT grain, period_start, product_category, revenue, units, order_count, avg_order_value
FROM gold.category_metrics WHERE grain IN ('month', 'quarter') ORDER BY grain, period_start, product_category;

-- sales_metrics, for P1 and P3
--   P1 week 2024-01-01: S1 20 + A1 10 + S3 10 + A2 10 = 50.00, 5 units, 4 orders, 12.50
--   P3 day 01-02: 0.375 -> 0.38, 3 units, 1 order, 0.38
SELECT grain, period_start, product_id, product_category, revenue, units, order_count, avg_order_value
FROM gold.sales_metrics WHERE product_id IN ('P1', 'P3') ORDER BY product_id, grain, period_start;

-- product_performance: P2 (10.00) and P4 (10) tie in Toys: both rank 1
SELECT product_id, product_name, product_category, units_sold, revenue, order_count, category_rank
FROM gold.product_performance ORDER BY product_category, category_rank, product_id;

-- marketing_customers: Cy has no email or phone; Dee bought nothing
--   Ann: S1 20 + A1 15.375 + S3 10 + S4 10 + S5 1 = 56.375 -> 56.38, 5 orders, last 03-02
--   Bob: S2 2.50 + A2 10 + A3 2.50 = 15.00, 3 orders, last 02-15
--   categories in byte order: upper case before lower case
SELECT customer_id, customer_name, email, phone, state, timezone, loyalty_segment, total_orders,
       total_spend, last_purchase_date, categories, ltv_segment
FROM gold.marketing_customers ORDER BY customer_id;

-- the LTV thresholds are settings and compare the exact spend: Ann's
-- 56.375 is below a High threshold of 56.38 (her rounded spend)
UPDATE medallion.settings SET value = '50' WHERE name = 'ltv_medium_threshold';
UPDATE medallion.settings SET value = '56.38' WHERE name = 'ltv_high_threshold';
SELECT mode, customers FROM medallion_refresh_gold();
SELECT customer_id, total_spend, ltv_segment FROM gold.marketing_customers ORDER BY customer_id;
UPDATE medallion.settings SET value = '56.375' WHERE name = 'ltv_high_threshold';
SELECT mode, customers FROM medallion_refresh_gold();
SELECT customer_id, total_spend, ltv_segment FROM gold.marketing_customers ORDER BY customer_id;
UPDATE medallion.settings SET value = 'lots' WHERE name = 'ltv_high_threshold';
SELECT mode FROM medallion_refresh_gold();
UPDATE medallion.settings SET value = '1000' WHERE name = 'ltv_high_threshold';
UPDATE medallion.settings SET value = '500' WHERE name = 'ltv_medium_threshold';

-- money is numeric, never float, in every gold table
SELECT table_name, column_name, data_type FROM information_schema.columns
WHERE table_schema = 'gold' AND column_name IN ('revenue', 'avg_order_value', 'total_spend')
ORDER BY 1, 2;

--
-- gold_incremental: an incremental refresh gives exactly what a full one
-- does, after each of several batches: the sample data, orders waiting for
-- their customer, the customer arriving, later records of two orders, an
-- order dated earlier taking a customer's last purchase back, a customer
-- leaving and another joining the contactable set (SCD2), a
-- duplicate file, a catalog change of category and price, new LTV
-- thresholds.  Builds held to 64kB of state go through working tables in
-- parts, incremental and full, and give what one in memory gives.  Then
-- reconciliation: every grain sums to the sales fact, and marketing spend
-- matches it.
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.load(source text, file text) RETURNS text LANGUAGE sql AS $$
  SELECT status || ' ' || rows_loaded FROM medallion_ingest_csv(source, file)
$$;

-- refreshes incrementally, keeps what that gave, rebuilds in full, and
-- counts the rows that differ between the two in each gold table
CREATE FUNCTION pg_temp.incremental_equals_full() RETURNS TABLE (gold_table text, rows bigint, differing bigint)
LANGUAGE plpgsql AS $$
DECLARE
    t text;
BEGIN
    PERFORM set_config('client_min_messages', 'warning', true);
    IF (SELECT mode FROM medallion_refresh_gold()) <> 'incremental' THEN
        RAISE EXCEPTION 'the refresh was not incremental';
    END IF;
    FOREACH t IN ARRAY ARRAY['sales_metrics', 'category_metrics', 'period_metrics',
                             'product_performance', 'marketing_customers'] LOOP
        EXECUTE format('DROP TABLE IF EXISTS pg_temp.snap_%s; CREATE TEMP TABLE snap_%s AS SELECT * FROM gold.%I', t, t, t);
    END LOOP;
    PERFORM medallion_refresh_gold(full => true);
    FOREACH t IN ARRAY ARRAY['sales_metrics', 'category_metrics', 'period_metrics',
                             'product_performance', 'marketing_customers'] LOOP
        gold_table := t;
        EXECUTE format('SELECT count(*) FROM gold.%I', t) INTO rows;
        EXECUTE format('SELECT count(*) FROM ((SELECT * FROM pg_temp.snap_%s EXCEPT ALL SELECT * FROM gold.%I)'
                       ' UNION ALL (SELECT * FROM gold.%I EXCEPT ALL SELECT * FROM pg_temp.snap_%s)) d',
                       t, t, t, t) INTO differing;
        RETURN NEXT;
    END LOOP;
END
$$;

-- keeps every state and gold table, rebuilds in full holding memory of
-- state (medallion.gold_state_memory; NULL: as set), and counts the rows that
-- differ between the two in each table
CREATE FUNCTION pg_temp.same_as_full(memory text) RETURNS TABLE (tbl text, rows bigint, differing bigint)
LANGUAGE plpgsql AS $$
DECLARE
    tables text[] := ARRAY['medallion.gold_day_products', 'medallion.gold_day_categories',
        'medallion.gold_days', 'medallion.gold_products', 'medallion.gold_customers',
        'gold.sales_metrics', 'gold.category_metrics',
        'gold.period_metrics', 'gold.product_performance', 'gold.marketing_customers'];
    t text;
BEGIN
    PERFORM set_config('client_min_messages', 'warning', true);
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('DROP TABLE IF EXISTS pg_temp.%I; CREATE TEMP TABLE %I AS SELECT * FROM %s',
                       'kept_' || replace(t, '.', '_'), 'kept_' || replace(t, '.', '_'), t);
    END LOOP;
    IF memory IS NOT NULL THEN
        PERFORM set_config('medallion.gold_state_memory', memory, true);
    END IF;
    PERFORM medallion_refresh_gold(full => true);
    FOREACH t IN ARRAY tables LOOP
        tbl := t;
        EXECUTE format('SELECT count(*) FROM %s', t) INTO rows;
        EXECUTE format('SELECT count(*) FROM ((SELECT * FROM pg_temp.%I EXCEPT ALL SELECT * FROM %s)'
                       ' UNION ALL (SELECT * FROM %s EXCEPT ALL SELECT * FROM pg_temp.%I)) d',
                       'kept_' || replace(t, '.', '_'), t, t, 'kept_' || replace(t, '.', '_')) INTO differing;
        RETURN NEXT;
    END LOOP;
END
$$;

-- the sample's customers and products; the first refresh builds gold in
-- full, with no sale in it yet
SELECT s.name, pg_temp.load(s.name, '/tmp/medallion_regress/sample/' || s.name || '.csv')
FROM medallion.sources s WHERE s.name IN ('customers', 'products') ORDER BY s.load_order;
SELECT mode, fact_changes FROM medallion_refresh_gold();

-- then every sale and order at once, refreshed incrementally in 64kB of
-- state: the changes are summed in memory and written out every time they
-- outgrow it
SELECT s.name, pg_temp.load(s.name, '/tmp/medallion_regress/sample/' || s.name || '.csv')
FROM medallion.sources s WHERE s.name IN ('sales', 'sales_orders') ORDER BY s.load_order;
BEGIN;
SET LOCAL medallion.gold_state_memory = '64kB';
CREATE TEMP TABLE refresh AS SELECT * FROM medallion_refresh_gold();
-- every change is one (order, product, category) group of the sales fact;
-- the hash tables alone take more than 64kB, so the changes are written out
-- every 256 fact rows read: more than 256 changes is more than one part
-- (SET client_min_messages = debug1 shows "written out 5 times before")
SELECT mode,
       fact_changes = (SELECT count(*) FROM (SELECT DISTINCT order_key, product_id, product_category
                                             FROM silver.sales_fact) g) AS one_change_per_group,
       fact_changes > 256 AS more_than_one_part
FROM refresh;
COMMIT;

-- the refresh left its working tables (medallion.work_*) empty: it
-- truncates those holding rows at its end
SELECT count(*) AS working_tables, count(*) FILTER (WHERE n > 0) AS holding_rows
FROM (SELECT (xpath('/row/n/text()',
                    query_to_xml(format('SELECT count(*) AS n FROM medallion.%I', tablename),
                                 false, true, '')))[1]::text::bigint AS n
      FROM pg_tables WHERE schemaname = 'medallion' AND tablename LIKE 'work\_%') w;
-- the parts added up to the state and gold of a full build in memory
SELECT * FROM pg_temp.same_as_full(NULL);
-- a refresh with nothing new
SELECT * FROM pg_temp.incremental_equals_full();

-- orders of customers 900 and 901, who do not exist yet (quarantined)
SELECT pg_temp.load('sales_orders', '/tmp/medallion_regress/gold/inc_orders_late.csv');
SELECT * FROM pg_temp.incremental_equals_full();
SELECT count(*) AS waiting FROM silver.quarantine WHERE rule = 'unknown_customer' AND resolved_at IS NULL
  AND record->>'customer_id' IN ('900', '901');

-- they arrive: their orders are admitted; 900 has an email, 901 nothing
SELECT pg_temp.load('customers', '/tmp/medallion_regress/gold/inc_customers_late.csv');
SELECT * FROM pg_temp.incremental_equals_full();
SELECT customer_id, total_orders, total_spend, categories FROM gold.marketing_customers
WHERE customer_id IN (900, 901);

-- later records of orders 100001 (now customer 901's) and 900001
SELECT pg_temp.load('sales_orders', '/tmp/medallion_regress/gold/inc_orders_supersede.csv');
SELECT * FROM pg_temp.incremental_equals_full();

-- a later record of order 900002 (2024-05-02, customer 900's latest) dates
-- it 2024-04-15: 900's last purchase falls back to order 900001's day,
-- 2024-05-01, which only silver knows
SELECT last_purchase_date FROM gold.marketing_customers WHERE customer_id = 900;
SELECT pg_temp.load('sales_orders', '/tmp/medallion_regress/gold/inc_orders_earlier.csv');
SELECT * FROM pg_temp.incremental_equals_full();
SELECT last_purchase_date FROM gold.marketing_customers WHERE customer_id = 900;

-- SCD2: 900 loses his email (leaves marketing), 901 gains one (joins it)
SELECT pg_temp.load('customers', '/tmp/medallion_regress/gold/inc_customers_scd2.csv');
SELECT * FROM pg_temp.incremental_equals_full();
SELECT customer_id, total_orders, total_spend, last_purchase_date FROM gold.marketing_customers
WHERE customer_id IN (900, 901);

-- the same file again: a duplicate batch, nothing changes
SELECT pg_temp.load('customers', '/tmp/medallion_regress/gold/inc_customers_scd2.csv');
SELECT * FROM pg_temp.incremental_equals_full();

-- the catalog moves P000002 to a new category and reprices it and
-- P000004: items without their own price follow
SELECT pg_temp.load('products', '/tmp/medallion_regress/gold/inc_products_change.csv');
SELECT * FROM pg_temp.incremental_equals_full();
SELECT product_id, product_category FROM gold.product_performance WHERE product_id = 'P000002';

-- new LTV thresholds
UPDATE medallion.settings SET value = '1500' WHERE name = 'ltv_high_threshold';
UPDATE medallion.settings SET value = '700' WHERE name = 'ltv_medium_threshold';
SELECT * FROM pg_temp.incremental_equals_full();
SELECT ltv_segment, count(*) FROM gold.marketing_customers GROUP BY 1 ORDER BY 1;

-- the DBA moves GA to another zone: its customers' marketing rows follow,
-- incrementally as in full
UPDATE medallion.state_timezones SET timezone = 'America/Chicago' WHERE state = 'GA';
SELECT * FROM pg_temp.incremental_equals_full();
SELECT state, timezone, count(*) FROM gold.marketing_customers WHERE state = 'GA' GROUP BY 1, 2;

-- a full build held to 64kB of state writes its state out in parts and sums
-- them: the same state and gold as the full build in memory just before
-- the parts went through the working tables, summed and emptied at the end
-- (by TRUNCATE, which gives a table a new file)
SELECT pg_relation_filenode('medallion.work_state_day_products') AS parts_file \gset
SELECT * FROM pg_temp.same_as_full('64kB');
SELECT pg_relation_filenode('medallion.work_state_day_products') <> :parts_file AS parts_summed,
       (SELECT count(*) FROM medallion.work_state_day_products) AS left_over,
       (SELECT count(*) FROM medallion.work_state_customer_categories) AS categories_left_over;

-- a customer's categories are merged into the stored ones: distinct, nulls
-- dropped, in byte order (upper case before lower)
SELECT medallion.sorted_union('{b,a,NULL}', '{c,a,B}') AS merged,
       medallion.sorted_union('{}', '{}') AS empty,
       medallion.sorted_union('{Toys}', '{}') AS kept;
-- b already in a: a as it is, when a is sorted; sorted when it is not
SELECT medallion.sorted_union('{Audio,Toys}', '{Toys}') AS held,
       medallion.sorted_union('{b,a}', '{a}') AS unsorted_held,
       medallion.sorted_union('{a,a}', '{a}') AS repeated_held;

--
-- Reconciliation (the fixture's amounts have at most two decimals, so the
-- rounded sums add up exactly)
--
SELECT sum(revenue) AS fact_revenue, sum(units) AS fact_units FROM silver.sales_fact;
SELECT grain, sum(revenue) AS revenue, sum(units) AS units FROM gold.period_metrics GROUP BY 1 ORDER BY 1;
SELECT 'category_metrics' AS t, grain, sum(revenue) = (SELECT sum(revenue) FROM silver.sales_fact) AS ok
FROM gold.category_metrics GROUP BY grain
UNION ALL
SELECT 'sales_metrics', grain, sum(revenue) = (SELECT sum(revenue) FROM silver.sales_fact)
FROM gold.sales_metrics GROUP BY grain ORDER BY 1, 2;
SELECT sum(revenue) = (SELECT sum(revenue) FROM silver.sales_fact) AS products_ok FROM gold.product_performance;
-- orders counted once per period: days add up to months, months to years
SELECT (SELECT sum(order_count) FROM gold.period_metrics WHERE grain = 'day') =
       (SELECT sum(order_count) FROM gold.period_metrics WHERE grain = 'year') AS orders_ok,
       (SELECT sum(order_count) FROM gold.period_metrics WHERE grain = 'year') =
       (SELECT count(DISTINCT order_key) FROM silver.sales_fact) AS distinct_ok;
-- marketing spend is the customer's share of the fact
SELECT count(*) AS mismatched_customers
FROM gold.marketing_customers m
LEFT JOIN (SELECT customer_id, sum(revenue) AS spend, count(DISTINCT order_key) AS orders
           FROM silver.sales_fact GROUP BY 1) f USING (customer_id)
WHERE m.total_spend <> round(coalesce(f.spend, 0), 2) OR m.total_orders <> coalesce(f.orders, 0);

-- the sales tables hold no customer identifier or attribute
SELECT table_name, column_name FROM information_schema.columns
WHERE table_schema = 'gold' AND table_name <> 'marketing_customers'
  AND (column_name LIKE '%customer%' OR column_name IN ('email', 'phone', 'state', 'timezone',
       'city', 'postcode', 'street', 'lon', 'lat', 'tax_id', 'ship_to_address'));

-- quantities run to 2^63 - 1 each, and their sums past bigint: three sales
-- of PHUGE at that quantity, two on 2024-06-01, one on 2024-06-02
SELECT pg_temp.load('sales', '/tmp/medallion_regress/gold/inc_sales_huge_qty.csv');
SELECT * FROM pg_temp.incremental_equals_full();
SELECT grain, period_start, units, order_count FROM gold.sales_metrics
WHERE product_id = 'PHUGE' ORDER BY grain, period_start;
SELECT units_sold, revenue FROM gold.product_performance WHERE product_id = 'PHUGE';
SELECT units FROM gold.category_metrics WHERE product_category = 'Bulk' AND grain = 'year';

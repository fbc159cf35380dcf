--
-- gold_parts: an incremental refresh whose changes outgrow
-- medallion.gold_state_memory writes them out in parts (the working tables
-- medallion.work_state_*), and the parts add up to the same state and gold
-- as a full build held in memory.
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
SET client_min_messages = warning;

-- customers and products first: gold is built, with no sale in it yet
SELECT s.name, i.status, i.rows_loaded
FROM medallion.sources s
CROSS JOIN LATERAL medallion_ingest_csv(s.name, '/tmp/medallion_regress/sample/' || s.name || '.csv') i
WHERE s.name IN ('customers', 'products') ORDER BY s.load_order;
SELECT mode, fact_changes FROM medallion_refresh_gold();

-- then every sale and order at once, refreshed incrementally in 64kB of
-- state: the changes are summed in memory and written out every time they
-- outgrow it
SELECT s.name, i.status, i.rows_loaded
FROM medallion.sources s
CROSS JOIN LATERAL medallion_ingest_csv(s.name, '/tmp/medallion_regress/sample/' || s.name || '.csv') i
WHERE s.name IN ('sales', 'sales_orders') ORDER BY s.load_order;
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

-- the state and gold the parts gave, against a full build in memory
CREATE FUNCTION pg_temp.parts_equal_full() RETURNS TABLE (tbl text, rows bigint, differing bigint)
LANGUAGE plpgsql AS $$
DECLARE
    tables text[] := ARRAY['medallion.gold_day_products', 'medallion.gold_day_categories',
        'medallion.gold_days', 'medallion.gold_products', 'medallion.gold_customers',
        'medallion.gold_customer_categories', 'gold.sales_metrics', 'gold.category_metrics',
        'gold.period_metrics', 'gold.product_performance', 'gold.marketing_customers'];
    t text;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('CREATE TEMP TABLE %I AS SELECT * FROM %s', 'parts_' || replace(t, '.', '_'), t);
    END LOOP;
    PERFORM medallion_refresh_gold(full => true);
    FOREACH t IN ARRAY tables LOOP
        tbl := t;
        EXECUTE format('SELECT count(*) FROM %s', t) INTO rows;
        EXECUTE format('SELECT count(*) FROM ((SELECT * FROM pg_temp.%I EXCEPT ALL SELECT * FROM %s)'
                       ' UNION ALL (SELECT * FROM %s EXCEPT ALL SELECT * FROM pg_temp.%I)) d',
                       'parts_' || replace(t, '.', '_'), t, t, 'parts_' || replace(t, '.', '_')) INTO differing;
        RETURN NEXT;
    END LOOP;
END
$$;
SELECT * FROM pg_temp.parts_equal_full();
-- and the working tables were emptied
SELECT count(*) AS left_over FROM medallion.work_state_customers;

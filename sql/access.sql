--
-- access: the PII split of SPEC section 6, proven by logging in as each
-- role and showing what it cannot see.  The sample data goes through the
-- whole pipeline first, so that every table has rows to hide.
--
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)

-- the group roles exist, cannot log in
SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'medallion\_%' ORDER BY 1;

SELECT status, rows_loaded FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/sample/customers.csv');
SELECT status, rows_loaded FROM medallion_ingest_csv('products', '/tmp/medallion_regress/sample/products.csv');
SELECT status, rows_loaded FROM medallion_ingest_csv('sales', '/tmp/medallion_regress/sample/sales.csv');
SELECT mode FROM medallion_refresh_gold();

-- logins for every role; a team role carries the CA territory
CREATE ROLE regress_sales LOGIN IN ROLE medallion_sales;
CREATE ROLE regress_team_ca NOLOGIN IN ROLE medallion_marketing;
CREATE ROLE regress_mkt_ca LOGIN IN ROLE regress_team_ca;
CREATE ROLE regress_mkt_all LOGIN IN ROLE medallion_marketing;
CREATE ROLE regress_mkt_none LOGIN IN ROLE medallion_marketing;
CREATE ROLE regress_engineer LOGIN IN ROLE medallion_engineer, pg_read_server_files;
CREATE ROLE regress_owner LOGIN;
INSERT INTO medallion.marketing_territories (role, state) VALUES
    ('regress_team_ca', 'CA'), ('regress_mkt_all', '*');

-- what the superuser sees, kept in psql variables across the logins below
SELECT count(*) AS all_customers, count(*) FILTER (WHERE state = 'CA') AS ca_customers
FROM gold.marketing_customers \gset
SELECT :all_customers > 20 AS many, :ca_customers > 0 AS some_in_ca, :ca_customers < :all_customers AS not_all_ca;
-- every PII column of every table, as a VALUES list
SELECT string_agg(format('(%L, %L)', k.table_name::text, k.column_name), ', ') AS pii_columns,
       string_agg(format('ARRAY[%L, %L]', k.table_name::text, k.column_name), ', ') AS pii_array,
       count(*) AS pii_count
FROM medallion.column_classification k WHERE k.classification = 'pii' \gset
SELECT :pii_count >= 40 AS every_customer_table_classified;

-- tries "SELECT col FROM table" for each (table, column) as the current
-- user; returns how many it could read
CREATE FUNCTION public.readable_columns(cols text[][]) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    n bigint := 0;
    i int;
BEGIN
    FOR i IN 1 .. coalesce(array_length(cols, 1), 0) LOOP
        BEGIN
            EXECUTE format('SELECT %I FROM %s LIMIT 1', cols[i][2], cols[i][1]);
            n := n + 1;
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;
        END;
    END LOOP;
    RETURN n;
END
$$;

--
-- Sales: gold sales tables, silver.products, the non-PII columns of
-- silver.customers; nothing else
--
\c - regress_sales
SET client_min_messages = warning;
SELECT count(*) > 0 AS reads_sales_metrics FROM gold.sales_metrics;
SELECT count(*) > 0 AS reads_category_metrics FROM gold.category_metrics;
SELECT count(*) > 0 AS reads_period_metrics FROM gold.period_metrics;
SELECT count(*) > 0 AS reads_product_performance FROM gold.product_performance;
SELECT count(*) > 0 AS reads_products FROM silver.products;
SELECT count(*) > 0 AS reads_customer_segments FROM (SELECT customer_id, state, loyalty_segment FROM silver.customers) c;
-- every PII column of every table is denied
SELECT readable_columns(ARRAY[:pii_array]) AS pii_columns_readable;
-- and information_schema agrees: no privilege on any of them
SELECT count(*) AS pii_privileges
FROM information_schema.column_privileges p
WHERE (p.table_schema || '.' || p.table_name, p.column_name) IN (VALUES :pii_columns);
SELECT email FROM silver.customers LIMIT 1;
SELECT * FROM silver.customers LIMIT 1;
SELECT count(*) FROM bronze.customers;
SELECT count(*) FROM bronze.sales;
SELECT count(*) FROM bronze.rejects;
SELECT count(*) FROM silver.quarantine;
SELECT count(*) FROM silver.sales;
SELECT count(*) FROM gold.marketing_customers;
SELECT count(*) FROM medallion.batches;
SELECT * FROM medallion_refresh_gold();
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/sample/customers.csv');

--
-- Marketing: only gold.marketing_customers, only its territories' rows
--
\c - regress_mkt_ca
SET client_min_messages = warning;
SELECT array_agg(DISTINCT state) AS states, count(*) = :ca_customers AS every_ca_customer
FROM gold.marketing_customers;
SELECT count(*) > 0 AS sees_pii FROM gold.marketing_customers WHERE email IS NOT NULL OR phone IS NOT NULL;
-- a filter cannot widen it
SELECT count(*) FROM gold.marketing_customers WHERE state = 'GA';
SELECT readable_columns(ARRAY[:pii_array]) AS pii_columns_readable;
SELECT count(*) FROM silver.customers;
SELECT count(*) FROM bronze.customers;
SELECT count(*) FROM silver.quarantine;
SELECT count(*) FROM gold.sales_metrics;
SELECT count(*) FROM medallion.marketing_territories;
INSERT INTO medallion.marketing_territories VALUES ('regress_team_ca', '*');
UPDATE gold.marketing_customers SET state = 'CA';

\c - regress_mkt_all
SELECT count(*) = :all_customers AS sees_everyone FROM gold.marketing_customers;

\c - regress_mkt_none
SELECT count(*) AS rows_without_territory FROM gold.marketing_customers;

--
-- FORCE: the table's owner, without BYPASSRLS, is filtered too
--
\c - postgres
ALTER TABLE gold.marketing_customers OWNER TO regress_owner;
GRANT USAGE ON SCHEMA gold TO regress_owner;
\c - regress_owner
SELECT count(*) AS owner_without_territory FROM gold.marketing_customers;
\c - postgres
INSERT INTO medallion.marketing_territories VALUES ('regress_owner', 'GA');
\c - regress_owner
SELECT array_agg(DISTINCT state) AS owner_states FROM gold.marketing_customers;
\c - postgres
ALTER TABLE gold.marketing_customers OWNER TO postgres;
REVOKE USAGE ON SCHEMA gold FROM regress_owner;
DELETE FROM medallion.marketing_territories WHERE role = 'regress_owner'::regrole;

--
-- Engineer: reads everything and runs the pipeline, without superuser
--
\c - regress_engineer
SET client_min_messages = warning;
SELECT count(*) = :all_customers AS sees_every_marketing_row FROM gold.marketing_customers;
SELECT readable_columns(ARRAY[:pii_array]) = :pii_count AS reads_every_pii_column;
SELECT status, rows_loaded FROM medallion_ingest_csv('sales_orders', '/tmp/medallion_regress/sample/sales_orders.csv');
SELECT mode FROM medallion_refresh_gold();
SELECT mode FROM medallion_refresh_gold(full => true);
SELECT count(*) = :all_customers AS marketing_rebuilt FROM gold.marketing_customers;
-- but not the access model itself
SELECT medallion_apply_access();
INSERT INTO medallion.marketing_territories VALUES ('regress_engineer', '*');
SELECT count(*) AS territories_engineer_sees FROM medallion.marketing_territories;

--
-- Grants survive refreshes and rebuilds
--
\c - regress_sales
SELECT count(*) > 0 AS still_reads_sales_metrics FROM gold.sales_metrics;
SELECT readable_columns(ARRAY[:pii_array]) AS pii_columns_readable;
\c - regress_mkt_ca
SELECT array_agg(DISTINCT state) AS states FROM gold.marketing_customers;

--
-- The classification is the source of truth: reclassify a column, re-run
-- medallion_apply_access(), and the grants and comments follow
--
\c - postgres
SET client_min_messages = warning;
SELECT col_description('silver.customers'::regclass, 5) AS name_comment;
INSERT INTO medallion.column_classification (table_name, column_name) VALUES ('silver.customers', 'region');
SELECT medallion_apply_access();
SELECT col_description('silver.customers'::regclass, 17) AS region_comment;
SELECT has_column_privilege('medallion_sales', 'silver.customers', 'region', 'SELECT') AS sales_reads_region,
       has_column_privilege('medallion_sales', 'silver.customers', 'state', 'SELECT') AS sales_reads_state;
\c - regress_sales
SELECT region FROM silver.customers LIMIT 1;
\c - postgres
SET client_min_messages = warning;
DELETE FROM medallion.column_classification WHERE table_name = 'silver.customers'::regclass AND column_name = 'region';
SELECT medallion_apply_access();
SELECT col_description('silver.customers'::regclass, 17) AS region_comment;
SELECT has_column_privilege('medallion_sales', 'silver.customers', 'region', 'SELECT') AS sales_reads_region;
-- a classification naming no column is refused with a clear error
INSERT INTO medallion.column_classification (table_name, column_name) VALUES ('silver.customers', 'no_such_column');
SELECT medallion_apply_access();
DELETE FROM medallion.column_classification WHERE column_name = 'no_such_column';

--
-- Hardening: SECURITY DEFINER functions pin search_path; the loaders and
-- admin functions are not executable by PUBLIC
--
-- every function written in SQL or PL/pgSQL pins search_path, SECURITY
-- DEFINER or not; but the procedure medallion_run, which commits and so
-- cannot have a SET clause: it calls only schema-qualified medallion
-- functions that pin it
SELECT p.oid::regprocedure AS function, l.lanname, p.prosecdef, p.proconfig
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'medallion')
  AND (p.prosecdef OR l.lanname IN ('sql', 'plpgsql'))
ORDER BY 1::text;
SELECT p.oid::regprocedure AS function, has_function_privilege('public', p.oid, 'EXECUTE') AS public_may_run
FROM pg_proc p JOIN pg_depend d ON d.objid = p.oid AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e'
WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'medallion')
  AND p.proname LIKE 'medallion\_%'
ORDER BY 1::text;

--
-- Injection attempts fail cleanly
--
INSERT INTO medallion.marketing_territories VALUES ('regress_team_ca', 'CA'' OR ''1''=''1');
INSERT INTO medallion.marketing_territories VALUES ('regress_team_ca; DROP TABLE gold.sales_metrics', 'CA');
SELECT * FROM medallion_ingest_csv('customers; DROP TABLE bronze.customers', '/tmp/x.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/x.csv''; DROP TABLE bronze.customers; --');
SELECT medallion_register_source('x"; DROP TABLE bronze.customers; --', '{a}');
SELECT medallion_register_source('evil', '{"a text); DROP TABLE bronze.customers; --"}');
UPDATE medallion.settings SET value = '1; DROP TABLE gold.sales_metrics' WHERE name = 'ltv_high_threshold';
SELECT * FROM medallion_refresh_gold(full => true);
UPDATE medallion.settings SET value = '1000' WHERE name = 'ltv_high_threshold';
SELECT count(*) > 0 AS sales_metrics_intact, (SELECT count(*) FROM bronze.customers) > 0 AS bronze_intact
FROM gold.sales_metrics;

DROP FUNCTION public.readable_columns(text[][]);
DELETE FROM medallion.marketing_territories;
DROP ROLE regress_sales, regress_mkt_ca, regress_mkt_all, regress_mkt_none, regress_team_ca,
    regress_engineer, regress_owner;

--
-- bronze_files: who may load what, and from where
--
-- Problems with the call itself are ERRORs in PostgreSQL's style and
-- record nothing.
--
\pset null (null)
SELECT count(*) AS batches_before FROM medallion.batches \gset

-- arguments
SELECT * FROM medallion_ingest_csv(NULL, '/tmp/medallion_regress/customers_basic.csv');
SELECT * FROM medallion_ingest_csv('customers', '');
-- an unregistered source lists the registered ones; the name is data, not SQL
SELECT * FROM medallion_ingest_csv('returns', '/tmp/medallion_regress/customers_basic.csv');
SELECT * FROM medallion_ingest_csv('customers''; DROP TABLE bronze.customers; --',
                                   '/tmp/medallion_regress/customers_basic.csv');
SELECT to_regclass('bronze.customers') IS NOT NULL AS customers_still_there;

-- missing files, directories and relative paths
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/no_such_file.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/a_directory');
SELECT * FROM medallion_ingest_csv('customers', '/dev/null');
SELECT * FROM medallion_ingest_csv('customers', 'customers_basic.csv');

--
-- medallion.landing_dir: relative paths are taken inside it, and the real
-- path must stay inside it
--
SET medallion.landing_dir = '/tmp/medallion_regress/landing';
SELECT * FROM medallion_ingest_csv('customers', 'customers_1.csv');
SELECT path FROM medallion.batches ORDER BY batch_id DESC LIMIT 1;
SELECT * FROM medallion_ingest_csv('customers', '../customers_basic.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/landing/../customers_basic.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv');
-- a symbolic link inside the landing directory that points out of it
SELECT * FROM medallion_ingest_csv('customers', 'escape.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/landing/escape.csv');
-- a directory whose name merely starts like the landing directory
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/landing_other/x.csv');
RESET medallion.landing_dir;

-- the setting is for superusers only
CREATE ROLE regress_loader LOGIN;
SET ROLE regress_loader;
SET medallion.landing_dir = '/';
RESET ROLE;

--
-- Privileges: EXECUTE is not granted to PUBLIC; with it, pg_read_server_files
-- is still needed; with both, INSERT on the bronze table is needed.
--
SET ROLE regress_loader;
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv');
RESET ROLE;
GRANT EXECUTE ON FUNCTION medallion_ingest_csv(text, text, boolean) TO regress_loader;
SET ROLE regress_loader;
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv');
RESET ROLE;
GRANT pg_read_server_files TO regress_loader;
SET ROLE regress_loader;
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv', force => true);
RESET ROLE;
GRANT INSERT ON bronze.customers TO regress_loader;
SET ROLE regress_loader;
SELECT status, rows_loaded FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv', force => true);
-- the loader records the batch and may add columns on the caller's behalf,
-- but the caller still cannot read what it may not read
SELECT count(*) FROM medallion.batches;
RESET ROLE;
SELECT loaded_by, status FROM medallion.batches ORDER BY batch_id DESC LIMIT 1;

-- a load cancelled half-way (here by statement_timeout, while the parse
-- thread runs) leaves nothing behind, and the next load works
\set VERBOSITY terse
SET statement_timeout = '60ms';
SELECT * FROM medallion_ingest_csv('sales_orders', '/tmp/medallion_regress/big_orders.csv');
RESET statement_timeout;
\set VERBOSITY default
SELECT count(*) AS rows_of_cancelled_load FROM bronze.sales_orders
WHERE _batch_id > (SELECT max(batch_id) FROM medallion.batches);
SELECT status, rows_loaded FROM medallion_ingest_csv('sales_orders', '/tmp/medallion_regress/big_orders.csv');

-- only the successful calls left batches behind
SELECT count(*) - :batches_before AS new_batches FROM medallion.batches;


REVOKE ALL ON bronze.customers FROM regress_loader;
REVOKE ALL ON FUNCTION medallion_ingest_csv(text, text, boolean) FROM regress_loader;
DROP ROLE regress_loader;

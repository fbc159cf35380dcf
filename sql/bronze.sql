--
-- bronze: medallion_ingest_csv loads CSV files into bronze.<source>
--
-- Fixtures are in test/data (copied to /tmp/medallion_regress by the test
-- runner).  Control characters are shown as <CR> and <LF> to keep the
-- expected output readable.
--
CREATE EXTENSION medallion;
\pset null (null)

-- the four sources of SPEC section 2, with their bronze tables
SELECT name, bronze_table, required_columns, delimiter, reject_limit
FROM medallion.sources ORDER BY load_order;
SELECT attname FROM pg_attribute
WHERE attrelid = 'bronze.sales_orders'::regclass AND attnum > 0 ORDER BY attnum;

CREATE FUNCTION show(t text) RETURNS text LANGUAGE sql AS
$$ SELECT replace(replace(t, E'\r', '<CR>'), E'\n', '<LF>') $$;

--
-- A good file: BOM, CRLF line ends, header names in another order, in
-- mixed case and padded, a trailing empty header name; quoted commas,
-- doubled quotes and a CRLF inside quotes; NULL tokens and spaces are kept
-- as text.  Row 2 omits the trailing field, row 3 carries a value under it
-- (dropped, the one exception to lossless bronze).
--
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv');
SELECT _batch_id, _line, customer_id, state, show(customer_name) AS customer_name,
       '[' || email || ']' AS email, phone, valid_from, tax_id
FROM bronze.customers ORDER BY _line;
SELECT batch_id, source, path, size, length(sha256) AS sha_len, status,
       rows_loaded, rows_rejected, started_at <= finished_at AS timed,
       loaded_by, error
FROM medallion.batches;
-- the hash is the file's SHA-256 (sha256sum test/data/customers_basic.csv)
SELECT sha256 = 'b652155025dd23b8924017ab31a5b82796ef329d39efa4fefeb9d3dc4d7236ff' AS sha256_matches FROM medallion.batches WHERE batch_id = 1;

-- the same content again is a duplicate batch that loads nothing
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv');
-- unless forced
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv', force => true);
SELECT batch_id, status, rows_loaded, error,
       sha256 = (SELECT sha256 FROM medallion.batches WHERE batch_id = 1) AS same_sha
FROM medallion.batches ORDER BY batch_id;
SELECT _batch_id, count(*) FROM bronze.customers GROUP BY 1 ORDER BY 1;

-- sales and sales_orders: JSON in quoted fields arrives intact
SELECT * FROM medallion_ingest_csv('sales', '/tmp/medallion_regress/sales_basic.csv');
SELECT _line, customer_id, product, total_price, customer_name FROM bronze.sales ORDER BY _line;
SELECT * FROM medallion_ingest_csv('sales_orders', '/tmp/medallion_regress/sales_orders_basic.csv');
SELECT _line, order_number, order_datetime, ordered_products, clicked_items, promo_info
FROM bronze.sales_orders ORDER BY _line;

--
-- Malformed records go to bronze.rejects with line, raw bytes and reason;
-- the good rows still load.  The unterminated quote on line 14 swallows
-- the rest of the file, and the blank line 12 is skipped.
--
SELECT * FROM medallion_ingest_csv('products', '/tmp/medallion_regress/products_malformed.csv');
SELECT _line, product_id, show(product_name) AS product_name, product_category
FROM bronze.products ORDER BY _line;
SELECT line, reason, show(encode(raw, 'escape')) AS raw
FROM bronze.rejects WHERE batch_id = 6 ORDER BY line;

-- parsing on the calling thread gives the very same rows and rejects
SET medallion.parallel_parse = off;
SELECT * FROM medallion_ingest_csv('products', '/tmp/medallion_regress/products_malformed.csv', force => true);
RESET medallion.parallel_parse;
SELECT count(*) AS differing_rows FROM (
  (SELECT _line, product_id, product_name, product_category FROM bronze.products WHERE _batch_id = 6
   EXCEPT SELECT _line, product_id, product_name, product_category FROM bronze.products WHERE _batch_id = 7)
  UNION ALL
  (SELECT _line, product_id, product_name, product_category FROM bronze.products WHERE _batch_id = 7
   EXCEPT SELECT _line, product_id, product_name, product_category FROM bronze.products WHERE _batch_id = 6)) d;
SELECT count(*) AS differing_rejects FROM (
  (SELECT line, raw, reason FROM bronze.rejects WHERE batch_id = 6
   EXCEPT SELECT line, raw, reason FROM bronze.rejects WHERE batch_id = 7)
  UNION ALL
  (SELECT line, raw, reason FROM bronze.rejects WHERE batch_id = 7
   EXCEPT SELECT line, raw, reason FROM bronze.rejects WHERE batch_id = 6)) d;

-- fields longer than medallion.max_field_size are rejected, but a file far
-- bigger than the limit loads
SET medallion.max_field_size = 16;
SELECT * FROM medallion_ingest_csv('products', '/tmp/medallion_regress/products_long_field.csv');
SELECT _line, product_id, product_name FROM bronze.products WHERE _batch_id = 8 ORDER BY _line;
SELECT line, reason, show(encode(raw, 'escape')) AS raw
FROM bronze.rejects WHERE batch_id = 8 ORDER BY line;
RESET medallion.max_field_size;

-- a per-source delimiter
UPDATE medallion.sources SET delimiter = ';' WHERE name = 'products';
SELECT * FROM medallion_ingest_csv('products', '/tmp/medallion_regress/products_semicolon.csv');
SELECT product_id, product_name, product_category, sales_price
FROM bronze.products WHERE _batch_id = 9 ORDER BY _line;
UPDATE medallion.sources SET delimiter = ',' WHERE name = 'products';

--
-- The reject limit refuses the whole file: a failed batch, rows_loaded 0,
-- nothing of it left in bronze, the rejects kept to show why.
--
UPDATE medallion.sources SET reject_limit = 2 WHERE name = 'products';
SELECT * FROM medallion_ingest_csv('products', '/tmp/medallion_regress/products_malformed.csv', force => true);
SELECT count(*) AS bronze_rows FROM bronze.products WHERE _batch_id = 10;
SELECT line, reason FROM bronze.rejects WHERE batch_id = 10 ORDER BY line;
UPDATE medallion.sources SET reject_limit = NULL WHERE name = 'products';

--
-- Refused files: one failed batch each, with a WARNING and nothing loaded
--
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_missing_columns.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_duplicate_header.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_empty_name.csv');
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_empty.csv');
SELECT batch_id, status, rows_loaded, sha256 IS NULL AS no_sha, error
FROM medallion.batches WHERE batch_id >= 10 ORDER BY batch_id;
SELECT count(*) FROM bronze.customers WHERE _batch_id >= 11;

-- a header-only file is a valid file with no rows
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_header_only.csv');

--
-- An unknown column is added to the bronze table and logged
--
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_extra_column.csv');
SELECT customer_id, customer_name, "favourite color" FROM bronze.customers
WHERE _batch_id = 16 ORDER BY _line;
SELECT batch_id, source, column_name, change FROM medallion.schema_changes;
-- a later file without it loads, leaving it NULL
SELECT * FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/customers_basic.csv', force => true);
SELECT count(*) FILTER (WHERE "favourite color" IS NULL) AS without_colour
FROM bronze.customers WHERE _batch_id = 17;

-- bronze keeps every row's lineage
SELECT count(*) FROM bronze.customers WHERE _batch_id IS NULL OR _line IS NULL;

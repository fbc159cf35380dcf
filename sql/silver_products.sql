--
-- silver_products: silver.products is SCD type 1; each attribute takes the
-- first non-null value among catalog rows, then admitted sales, then items
-- of admitted orders (their own price), each newest first (highest batch,
-- then line).  A sale's name is its product_name column, else the JSON
-- name.  No category anywhere means UNKNOWN.  Products seen only in
-- quarantined records are not added.
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)
SET DateStyle = 'ISO, YMD';

CREATE FUNCTION pg_temp.load(source text, file text) RETURNS text LANGUAGE sql AS $$
  SELECT status || ' ' || rows_loaded FROM medallion_ingest_csv(source, '/tmp/medallion_regress/silver/' || file)
$$;
CREATE VIEW pg_temp.products AS
  SELECT product_id, product_name, product_category, price, curr, ean13, unit, _batch_id, _line
  FROM silver.products ORDER BY product_id;

SELECT pg_temp.load('customers', 'products_customers.csv');
-- K1 in the catalog twice: batch 2 has a price and an EAN, batch 3 a newer
-- name only.  K2 only in the catalog.
SELECT pg_temp.load('products', 'products_catalog_1.csv');
SELECT pg_temp.load('products', 'products_catalog_2.csv');
-- K1 in two sales (the later one is newer), K3 with an empty product_name,
-- K4 in a sale whose customer is unknown (quarantined)
SELECT pg_temp.load('sales', 'products_sales.csv');
-- K1, K5 (twice in one order: the later item is newer) and K6 (in an
-- older and a newer order) as order items
SELECT pg_temp.load('sales_orders', 'products_sales_orders.csv');
SELECT products FROM medallion_refresh_silver();

-- K1: name from the newest catalog row; category from the newest sale (no
-- catalog row has one); price from the older catalog row (the newer has
-- none); currency from the newest sale; EAN from the catalog; unit from the
-- order item.  K3: the JSON name, UNKNOWN category.  K5 and K6: the newest
-- item.  No K4.
SELECT * FROM pg_temp.products;

-- K4's customer arrives: the sale is admitted and K4 appears
SELECT pg_temp.load('customers', 'products_customers_2.csv');
SELECT products, readmitted FROM medallion_refresh_silver();
SELECT * FROM pg_temp.products WHERE product_id = 'K4';

-- products keep their exact prices
SELECT product_id, price, price::text FROM silver.products WHERE product_id IN ('K1', 'K5') ORDER BY 1;

-- a negative price is a price like any other in the precedence (SPEC: the
-- first non-null value): K7's catalog price -5, K8's only sale's JSON price
-- -3 (the sale itself is valid: its total_price is 0).  Q7's items have no
-- price of their own: they take them, and the order is admitted, its
-- amounts negative (only an item's own negative price quarantines)
SELECT pg_temp.load('products', 'products_negative_catalog.csv');
SELECT pg_temp.load('sales', 'products_negative_sales.csv');
SELECT pg_temp.load('sales_orders', 'products_negative_orders.csv');
SELECT products, orders, quarantined FROM medallion_refresh_silver();
SELECT product_id, price FROM silver.products WHERE product_id IN ('K7', 'K8') ORDER BY 1;
SELECT product_id, price AS own_price, unit_price, amount FROM silver.order_items
WHERE order_number = 'Q7' ORDER BY item_no;
SELECT count(*) AS quarantined FROM silver.quarantine WHERE record->>'order_number' = 'Q7';

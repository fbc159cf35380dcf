--
-- silver_scd2: customers as SCD type 2 across three batches
--
-- A version starts at valid_from, else at its batch's load time; rows with
-- the same customer and start collapse (higher batch, then higher line,
-- wins); a version ends at the next one's start, else at its own valid_to;
-- is_current is true for the version in force at the refresh.
--
DROP EXTENSION medallion CASCADE;
CREATE EXTENSION medallion;
\pset null (null)
SET DateStyle = 'ISO, YMD';
SET TimeZone = 'UTC';

-- batch load times shown as such, other instants as dates
CREATE FUNCTION pg_temp.shown(t timestamptz) RETURNS text LANGUAGE sql AS $$
  SELECT coalesce((SELECT 'batch ' || batch_id || ' time' FROM medallion.batches WHERE started_at = t),
                  to_char(t, 'YYYY-MM-DD'))
$$;
CREATE VIEW pg_temp.versions AS
  SELECT customer_id AS id, pg_temp.shown(valid_from) AS valid_from, pg_temp.shown(valid_to) AS valid_to,
         is_current, customer_name, state, _batch_id AS batch, _line AS line
  FROM silver.customers ORDER BY customer_id, valid_from;

-- batch 1: 10 from 2019-01-01; 11 without valid_from; 12 from 2019 to
-- 2020 (closed); 13 twice, identical; 15 twice with the same start (line 8
-- wins over line 7)
SELECT batch_id, status FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/silver/scd2_customers_1.csv');
SELECT customers FROM medallion_refresh_silver();
SELECT * FROM pg_temp.versions;

-- batch 2: 10 moves on 2020-01-01; 11 changes without valid_from (a new
-- version at batch 2's time closes batch 1's); 13 again from 2019-01-01
-- (batch 2 wins); 14 starts in 2100
SELECT batch_id, status FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/silver/scd2_customers_2.csv');
SELECT customers FROM medallion_refresh_silver();
SELECT * FROM pg_temp.versions;

-- a customer whose versions are all closed (12), or not yet started (14),
-- still exists: their sales are admitted
SELECT batch_id, status FROM medallion_ingest_csv('sales', '/tmp/medallion_regress/silver/scd2_sales.csv');
SELECT sales, quarantined FROM medallion_refresh_silver();
SELECT customer_id, order_date FROM silver.sales ORDER BY customer_id;

-- batch 3: 10 twice with batch 2's start (line 3 wins over line 2 and over
-- batch 2); 12 starts again in 2021, which also ends its first version
SELECT batch_id, status FROM medallion_ingest_csv('customers', '/tmp/medallion_regress/silver/scd2_customers_3.csv');
SELECT customers FROM medallion_refresh_silver();
SELECT * FROM pg_temp.versions;

-- at most one version is current per customer
SELECT customer_id, count(*) FROM silver.customers WHERE is_current GROUP BY 1 HAVING count(*) > 1;
-- every valid bronze row is a version or collapsed into one
SELECT batch_id, bronze_rows, silver_rows, quarantined, collapsed, balanced
FROM medallion.silver_accounting WHERE source = 'customers' ORDER BY batch_id;

-- time moves: the versions are edited as if the clock had passed their
-- bounds, one for each way a version flips (others stay as they are):
-- 13 current and ended, 15 current and starting later, 14 not current and
-- open-ended now started, 10's first version not current and now in force
-- until 2100; each flipped customer is marked for gold
DELETE FROM medallion.gold_pending;
UPDATE silver.customers SET valid_to = '2020-06-01' WHERE customer_id = 13;
UPDATE silver.customers SET valid_from = '2099-01-01' WHERE customer_id = 15;
UPDATE silver.customers SET valid_from = '2020-01-01' WHERE customer_id = 14;
UPDATE silver.customers SET valid_to = '2100-01-01' WHERE customer_id = 10 AND valid_from = '2019-01-01';
SELECT customers FROM medallion_refresh_silver();
SELECT * FROM pg_temp.versions;
SELECT key FROM medallion.gold_pending WHERE kind = 'customer' ORDER BY key;

-- medallion.state_timezones is the DBA's to edit: the next refresh gives
-- every stored version its state and zone from the table again, without new
-- data, and marks the customers whose rows change for gold.  CA moves to
-- America/Boise (10's first version, 14, 15); TX is removed (12's versions
-- lose their state and zone); NY, NJ, OR, NV, WA and AZ do not change
DELETE FROM medallion.gold_pending;
UPDATE medallion.state_timezones SET timezone = 'America/Boise' WHERE state = 'CA';
DELETE FROM medallion.state_timezones WHERE state = 'TX';
SELECT customers FROM medallion_refresh_silver();
SELECT customer_id AS id, pg_temp.shown(valid_from) AS valid_from, state, timezone
FROM silver.customers ORDER BY customer_id, valid_from;
SELECT key FROM medallion.gold_pending WHERE kind = 'customer' ORDER BY key;
-- TX comes back, with another zone: 12's versions take it
DELETE FROM medallion.gold_pending;
INSERT INTO medallion.state_timezones VALUES ('TX', 'America/Denver');
SELECT customers FROM medallion_refresh_silver();
SELECT customer_id AS id, pg_temp.shown(valid_from) AS valid_from, state, timezone
FROM silver.customers WHERE customer_id = 12 ORDER BY valid_from;
SELECT key FROM medallion.gold_pending WHERE kind = 'customer' ORDER BY key;
-- no edit, no change: nobody is marked
DELETE FROM medallion.gold_pending;
SELECT customers FROM medallion_refresh_silver();
SELECT count(*) AS pending FROM medallion.gold_pending;

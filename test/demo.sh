#!/usr/bin/env bash
# The demo: sets everything up (packages, build, install), starts a throwaway
# cluster, loads the bundled sample data (test/data/sample) and prints a
# summary.  The cluster is removed at the end.
#
# MEDALLION_SKIP_SETUP=1 skips the package install and build.
set -euo pipefail
cd "$(dirname "$0")/.."
. test/lib.sh

[ "${MEDALLION_SKIP_SETUP:-0}" = 1 ] || test/setup.sh

DIR=$(mktemp -d /tmp/medallion-demo.XXXXXX)
chmod 755 "$DIR"
PORT=${MEDALLION_DEMO_PORT:-55460}
mkdir -p "$DIR/landing"
cp test/data/sample/*.csv "$DIR/landing/"
chown -R postgres:postgres "$DIR/landing"

start_cluster "$DIR/cluster" "$PORT" \
    "shared_preload_libraries = 'pg_cron'" \
    "medallion.landing_dir = '$DIR/landing'"
trap 'stop_cluster "$DIR/cluster"; rm -rf "$DIR"' EXIT

echo "== medallion demo: cluster on port $PORT, landing directory $DIR/landing"
psql_as "$DIR/cluster" "$PORT" -q <<'SQL'
\pset footer off
\set QUIET on
SET client_min_messages = warning;
SET DateStyle = 'ISO, YMD';
CREATE EXTENSION medallion;

\echo
\echo == one run, as pg_cron would start it: CALL medallion_run() loads every file
\echo == of the landing directory, parses, and refreshes silver and gold
UPDATE medallion.settings SET value = '0' WHERE name = 'settle_seconds';
CALL medallion_run();
SELECT step_no, step, coalesce(source, '') AS source, status, batch_id, rows_in, rows_out,
       rows_rejected, rows_quarantined
FROM medallion.run_steps ORDER BY step_no;
SELECT run_id, status, files, rows_out AS rows_loaded, rows_rejected, rows_quarantined
FROM medallion.runs;
\echo == malformed CSV records kept in bronze.rejects
SELECT batch_id, line, reason, encode(raw, 'escape') AS raw FROM bronze.rejects ORDER BY 1, 2;
\echo == a file loaded twice is a duplicate batch and loads nothing
SELECT batch_id, status, rows_loaded FROM medallion_ingest_csv('customers', 'customers.csv');
\echo == every bronze record is in silver, quarantined, or collapsed into another
SELECT source, bronze_rows, silver_rows, quarantined, collapsed, balanced
FROM medallion.silver_accounting ORDER BY batch_id;
\echo == the quarantine, by rule
SELECT source, rule, count(*) AS records, min(reason) AS example
FROM silver.quarantine WHERE resolved_at IS NULL GROUP BY 1, 2 ORDER BY 1, 2;

\echo == revenue by month and category, 2024 (gold.category_metrics)
SELECT to_char(period_start, 'YYYY-MM') AS month,
       sum(revenue) FILTER (WHERE product_category = 'Audio') AS "Audio",
       sum(revenue) FILTER (WHERE product_category = 'Cameras') AS "Cameras",
       sum(revenue) FILTER (WHERE product_category = 'Computers') AS "Computers",
       sum(revenue) FILTER (WHERE product_category = 'Gaming') AS "Gaming",
       sum(revenue) FILTER (WHERE product_category = 'Home') AS "Home",
       sum(revenue) FILTER (WHERE product_category = 'Mobile') AS "Mobile",
       sum(revenue) FILTER (WHERE product_category = 'Office') AS "Office",
       sum(revenue) FILTER (WHERE product_category = 'Wearables') AS "Wearables",
       sum(revenue) AS total
FROM gold.category_metrics
WHERE grain = 'month' AND period_start >= '2024-01-01' AND period_start < '2025-01-01'
GROUP BY 1 ORDER BY 1;

\echo == top products (gold.product_performance)
SELECT product_id, product_name, product_category, units_sold, revenue, order_count, category_rank
FROM gold.product_performance ORDER BY revenue DESC LIMIT 8;

\echo == marketing segments (gold.marketing_customers)
SELECT ltv_segment, count(*) AS customers, sum(total_spend) AS spend,
       round(avg(total_orders), 1) AS avg_orders
FROM gold.marketing_customers GROUP BY 1 ORDER BY min(total_spend) DESC;
\echo == lineage: what each batch fed
SELECT batch_id, source, bronze_rows, silver_table, silver_rows, quarantined, gold_table, gold_rows
FROM medallion.lineage ORDER BY batch_id, gold_table::text;
\echo == the PII split: a sales analyst, and a call-center agent for California
CREATE ROLE demo_sales LOGIN IN ROLE medallion_sales;
CREATE ROLE demo_agent_ca LOGIN IN ROLE medallion_marketing;
INSERT INTO medallion.marketing_territories VALUES ('demo_agent_ca', 'CA');
\set ON_ERROR_STOP off
\c - demo_sales
\echo sales reads gold and the PII-free columns of silver.customers ...
SELECT count(*) AS sales_metrics_rows FROM gold.sales_metrics;
SELECT customer_id, state, loyalty_segment FROM silver.customers ORDER BY customer_id LIMIT 2;
\echo ... but no personal data:
SELECT email FROM silver.customers LIMIT 1;
SELECT count(*) FROM gold.marketing_customers;
\c - demo_agent_ca
\echo the California agent sees California customers only:
SELECT state, count(*) AS customers FROM gold.marketing_customers GROUP BY 1;
\c - postgres
\set ON_ERROR_STOP on
DROP OWNED BY demo_sales, demo_agent_ca;
DELETE FROM medallion.marketing_territories;
DROP ROLE demo_sales, demo_agent_ca;
SQL

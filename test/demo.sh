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
\echo == bronze: every sample file, by its name relative to medallion.landing_dir
SELECT s.name AS source, b.batch_id, b.status, b.rows_loaded, b.rows_rejected
FROM medallion.sources s,
     LATERAL medallion_ingest_csv(s.name, s.name || '.csv') AS b
ORDER BY s.load_order;
\echo == malformed CSV records kept in bronze.rejects
SELECT batch_id, line, reason, encode(raw, 'escape') AS raw FROM bronze.rejects ORDER BY 1, 2;
\echo == a file loaded twice is a duplicate batch and loads nothing
SELECT batch_id, status, rows_loaded FROM medallion_ingest_csv('customers', 'customers.csv');

\echo == silver and gold, built by one call
SELECT * FROM medallion_refresh_gold();

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
SQL

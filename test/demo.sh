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
CREATE EXTENSION medallion;

\echo
\echo == bronze: every sample file loaded (paths relative to medallion.landing_dir)
SELECT s.name AS source, b.batch_id, b.status, b.rows_loaded, b.rows_rejected
FROM medallion.sources s,
     LATERAL medallion_ingest_csv(s.name, s.name || '.csv') AS b
ORDER BY s.load_order;

\echo == loading a file twice records a duplicate batch and loads nothing
SELECT batch_id, status, rows_loaded FROM medallion_ingest_csv('customers', 'customers.csv');

\echo == the batches
SELECT batch_id, source, status, rows_loaded, rows_rejected, left(sha256, 12) AS sha256,
       coalesce(error, '') AS error
FROM medallion.batches ORDER BY batch_id;
SQL

#!/usr/bin/env bash
# Benchmark: medallion_parse_products against the equivalent jsonb SQL
# extraction of the same rows, in the same run and cluster (on demand).
#
#   test/bench/bench_parse.sh [ORDERS] [RUNS]
#
# Loads a sales_orders file (default 1,000,000 rows, from bench_ingest.sh's
# generator) into bronze once, then alternately, RUNS times (default 3):
#   - medallion_parse_products(): json-c, one typed record per order (its
#     items and clicks inside as arrays), written with the multi-insert path;
#   - the same extraction in SQL: ordered_products and clicked_items cast to
#     jsonb and expanded with jsonb_array_elements, order fields cast, into
#     three tables with CREATE TABLE AS, serially (no parallel workers) and
#     with two parallel workers.
# Prints each run, the medians and the ratios.  Needs test/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

ORDERS=${1:-1000000}
RUNS=${2:-3}
BENCH=${MEDALLION_BENCH_DIR:-/tmp/medallion-bench}
PORT=${MEDALLION_BENCH_PORT:-55451}
CLUSTER=$BENCH/cluster-parse
FILE=$BENCH/data/sales_orders_$ORDERS.csv

mkdir -p "$BENCH/data"
chmod 755 "$BENCH" "$BENCH/data"
if [ ! -f "$FILE" ]; then
    echo "generating $ORDERS orders ..."
    python3 test/bench/gen_data.py --out "$BENCH/data/gen" --customers 100000 \
        --products 2000 --orders "$ORDERS" --only sales_orders --seed 42
    mv "$BENCH/data/gen/sales_orders.csv" "$FILE"
fi
chmod 644 "$FILE"

start_cluster "$CLUSTER" "$PORT" "shared_buffers = 2GB" "max_wal_size = 16GB" \
    "checkpoint_timeout = 1h" "max_parallel_workers_per_gather = 2" "work_mem = 64MB"
trap 'stop_cluster "$CLUSTER"' EXIT
q() { psql_as "$CLUSTER" "$PORT" -Atq "$@"; }
q -c "CREATE EXTENSION medallion" >/dev/null
q -c "SELECT rows_loaded FROM medallion_ingest_csv('sales_orders', '$FILE')" >/dev/null
q -c "VACUUM ANALYZE bronze.sales_orders"

# timed SQL: milliseconds of the last statement
timed() {
    q -c "CHECKPOINT" -c "\\timing on" "$@" | awk '/^Time:/ {t = $2} END {print t}'
}

MEDALLION_SQL="SELECT medallion_parse_products()"
RESET_SQL="TRUNCATE silver.order_records; UPDATE medallion.batches SET parsed_at = NULL;"
JSONB_SQL="
CREATE TABLE jsonb_orders AS
  SELECT b._batch_id AS batch_id, b._line AS line, btrim(b.order_number) AS order_number,
         btrim(b.customer_id)::bigint AS customer_id,
         CASE WHEN btrim(b.order_datetime) ~ '^[0-9]+$' THEN to_timestamp(btrim(b.order_datetime)::bigint)
              ELSE btrim(b.order_datetime)::timestamptz END AS order_datetime,
         jsonb_array_length(b.ordered_products::jsonb) AS item_count,
         btrim(b.number_of_line_items)::int AS number_of_line_items,
         CASE WHEN btrim(b.promo_info) LIKE '[%' THEN b.promo_info::jsonb
              ELSE to_jsonb(btrim(b.promo_info)) END AS promo_info
  FROM bronze.sales_orders b;
CREATE TABLE jsonb_items AS
  SELECT b._batch_id AS batch_id, b._line AS line, e.n AS item_no,
         coalesce(e.v->>'id', e.v->>0) AS product_id,
         coalesce(e.v->>'qty', e.v->>1)::bigint AS qty,
         (e.v->>'price')::numeric AS price, e.v->>'curr' AS curr, e.v->>'name' AS name,
         e.v->>'unit' AS unit, e.v->'promotion_info' AS promotion_info
  FROM bronze.sales_orders b, jsonb_array_elements(b.ordered_products::jsonb) WITH ORDINALITY e(v, n);
CREATE TABLE jsonb_clicks AS
  SELECT b._batch_id AS batch_id, b._line AS line, e.n AS click_no, e.v->>0 AS product_id,
         (e.v->>1)::bigint AS clicks
  FROM bronze.sales_orders b, jsonb_array_elements(b.clicked_items::jsonb) WITH ORDINALITY e(v, n);"
DROP_SQL="SET client_min_messages = warning; DROP TABLE IF EXISTS jsonb_orders, jsonb_items, jsonb_clicks"

# the whole SQL extraction: three statements, timed together
timed_jsonb() {
    local workers=$1
    q -c "$DROP_SQL" >/dev/null
    q -c "CHECKPOINT" -c "SET max_parallel_workers_per_gather = $workers" -c "\\timing on" \
        -c "$JSONB_SQL" | awk '/^Time:/ {t += $2} END {print t}'
}

calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}"; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -a MED SERIAL PARALLEL
for i in $(seq 1 "$RUNS"); do
    q -c "$RESET_SQL" >/dev/null
    m=$(timed -c "$MEDALLION_SQL")
    s=$(timed_jsonb 0)
    p=$(timed_jsonb 2)
    MED+=("$m"); SERIAL+=("$s"); PARALLEL+=("$p")
    echo "run $i: medallion_parse_products $(calc "$m / 1000") s, jsonb SQL serial $(calc "$s / 1000") s, jsonb SQL 2 workers $(calc "$p / 1000") s"
done

rows=$(q -c "SELECT (SELECT sum(cardinality(items)) FROM silver.order_records) || ' items, ' || (SELECT count(*) FROM jsonb_items) || ' by SQL'")
m=$(median "${MED[@]}"); s=$(median "${SERIAL[@]}"); p=$(median "${PARALLEL[@]}")
echo
echo "$ORDERS orders: $rows"
echo "median medallion_parse_products: $(calc "$m / 1000") s"
echo "median jsonb SQL, serial:        $(calc "$s / 1000") s  (medallion is $(calc "$s / $m")x faster)"
echo "median jsonb SQL, 2 workers:     $(calc "$p / 1000") s  (medallion is $(calc "$p / $m")x faster)"

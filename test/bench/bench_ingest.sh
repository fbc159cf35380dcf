#!/usr/bin/env bash
# Benchmark: medallion_ingest_csv against COPY FROM on the same file, in the
# same run and cluster (run on demand; not part of the test command).
#
#   test/bench/bench_ingest.sh [ORDERS] [RUNS]
#
# Generates a sales_orders file (default 1,000,000 rows, ~720 MB, JSON arrays
# in quoted fields), then alternately loads it RUNS times (default 3) with
# medallion_ingest_csv into bronze.sales_orders and with COPY FROM into an
# all-text table of the same columns.  Prints each run, the median rows/s of
# both and their ratio, and the loading backend's peak private memory growth
# (RssAnon, sampled every 50 ms), which must stay bounded whatever the size.
#
# Needs the extension installed (test/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

ORDERS=${1:-1000000}
RUNS=${2:-3}
BENCH=${MEDALLION_BENCH_DIR:-/tmp/medallion-bench}
PORT=${MEDALLION_BENCH_PORT:-55450}
CLUSTER=$BENCH/cluster
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
SIZE=$(stat -c %s "$FILE")

start_cluster "$CLUSTER" "$PORT" "shared_buffers = 1GB" "fsync = on" \
    "max_wal_size = 16GB" "checkpoint_timeout = 1h"
trap 'stop_cluster "$CLUSTER"' EXIT
psql_as "$CLUSTER" "$PORT" -q -c "CREATE EXTENSION medallion" \
    -c "CREATE TABLE copy_target (customer_id text, customer_name text, order_datetime text,
        order_number text, ordered_products text, clicked_items text,
        number_of_line_items text, promo_info text)"

# run_timed SQL: runs SQL in a fresh session after a checkpoint; prints
# "seconds peak_private_memory_growth_kB" of the backend that ran it
run_timed() {
    local sql=$1 out=$BENCH/run.out psql_pid pid="" base peak anon ms
    psql_as "$CLUSTER" "$PORT" -q -c "CHECKPOINT"
    psql_as "$CLUSTER" "$PORT" -Atq -c "SET application_name = 'medallion_bench'" \
        -c "SELECT pg_sleep(0.5)" -c "\\timing on" -c "$sql" >"$out" 2>&1 &
    psql_pid=$!
    while [ -z "$pid" ]; do
        sleep 0.05
        pid=$(psql_as "$CLUSTER" "$PORT" -Atq -c \
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'medallion_bench'")
    done
    base=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status")
    peak=$base
    while kill -0 "$psql_pid" 2>/dev/null; do
        anon=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null)
        [ -n "$anon" ] && [ "$anon" -gt "$peak" ] && peak=$anon
        sleep 0.05
    done
    wait "$psql_pid"
    ms=$(awk '/^Time:/ {print $2}' "$out")
    [ -n "$ms" ] || { cat "$out" >&2; exit 1; }
    echo "$(awk -v ms="$ms" 'BEGIN {print ms / 1000}') $((peak - base))"
}

calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}"; }

declare -a MED COPY
for i in $(seq 1 "$RUNS"); do
    psql_as "$CLUSTER" "$PORT" -q -c "TRUNCATE bronze.sales_orders" -c "TRUNCATE copy_target"
    read -r s grow < <(run_timed "SELECT rows_loaded FROM medallion_ingest_csv('sales_orders', '$FILE', force => true)")
    MED+=("$s")
    echo "run $i: medallion_ingest_csv $(calc "$s") s, $(calc "$ORDERS / $s" 0) rows/s, backend memory growth $((grow / 1024)) MB"
    read -r s grow < <(run_timed "COPY copy_target FROM '$FILE' (FORMAT csv, HEADER true)")
    COPY+=("$s")
    echo "run $i: COPY FROM            $(calc "$s") s, $(calc "$ORDERS / $s" 0) rows/s, backend memory growth $((grow / 1024)) MB"
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m=$(median "${MED[@]}")
c=$(median "${COPY[@]}")
rows=$(psql_as "$CLUSTER" "$PORT" -Atc "SELECT count(*) FROM bronze.sales_orders")
echo
echo "file: $FILE ($((SIZE / 1048576)) MB, $ORDERS rows; bronze holds $rows)"
echo "median medallion_ingest_csv: $(calc "$m") s ($(calc "$ORDERS / $m" 0) rows/s, $(calc "$SIZE / 1048576 / $m" 0) MB/s)"
echo "median COPY FROM:            $(calc "$c") s ($(calc "$ORDERS / $c" 0) rows/s, $(calc "$SIZE / 1048576 / $c" 0) MB/s)"
echo "ratio (medallion rows/s / COPY rows/s): $(calc "$c / $m")"

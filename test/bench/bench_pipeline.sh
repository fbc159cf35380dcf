#!/usr/bin/env bash
# Benchmark of the whole pipeline (on demand, not part of the test command).
#
#   test/bench/bench_pipeline.sh [ORDERS] [SALES] [CUSTOMERS]
#
# Defaults: 1,000,000 sales_orders, 1,000,000 sales, 100,000 customers,
# 200 products (MEDALLION_BENCH_PRODUCTS), over six years.  In one cluster, one run:
#
#  1. COPY alone: the four files into all-text tables, median of three
#     runs (the baseline);
#  2. the full pipeline: medallion_ingest_csv of the four files, then
#     medallion_refresh_gold() (silver and gold built from nothing);
#     printed as pipeline time / COPY time (target <= 3);
#  3. 1% more data (orders and sales of the week after, new customers),
#     three times, a week each: ingest, checkpoint, then
#     medallion_refresh_gold() incremental; the median of the three refreshes
#     against the median of three medallion_refresh_gold(full => true) on
#     the data then (target <= 0.05);
#  4. a typical BI query (one year, month x category, from
#     gold.category_metrics) run with pgbench for 10 s: latency percentiles
#     (target p95 < 50 ms), with the number of order lines in silver.
#
# Needs test/setup.sh first.
set -euo pipefail
cd "$(dirname "$0")/../.."
. test/lib.sh

ORDERS=${1:-1000000}
SALES=${2:-1000000}
CUSTOMERS=${3:-100000}
PRODUCTS=${MEDALLION_BENCH_PRODUCTS:-200}
BENCH=${MEDALLION_BENCH_DIR:-/tmp/medallion-bench}
PORT=${MEDALLION_BENCH_PORT:-55452}
CLUSTER=$BENCH/cluster-pipeline
DATA=$BENCH/pipeline-$ORDERS-$SALES-$CUSTOMERS-$PRODUCTS
# 1% more: the weeks after the six years, new order numbers, new customers
INCS=("$DATA/increment" "$DATA/increment2" "$DATA/increment3")

mkdir -p "$DATA"
chmod 755 "$BENCH" "$DATA"
if [ ! -f "$DATA/sales_orders.csv" ]; then
    echo "generating $ORDERS orders, $SALES sales, $CUSTOMERS customers ..."
    python3 test/bench/gen_data.py --out "$DATA" --customers "$CUSTOMERS" --products "$PRODUCTS" \
        --orders "$ORDERS" --sales "$SALES" --seed 11
fi
for i in 0 1 2; do
    inc=${INCS[$i]}
    [ -f "$inc/sales_orders.csv" ] && continue
    python3 test/bench/gen_data.py --out "$inc" --customers "$CUSTOMERS" --products "$PRODUCTS" \
        --orders $((ORDERS / 100)) --sales $((SALES / 100)) --seed $((12 + i)) \
        --date-from "$(date -d "2025-01-01 + $((7 * i)) days" +%F)" --days 7 \
        --order-start $((900000000 + 100000 * i)) \
        --customer-start $((CUSTOMERS + 1 + (CUSTOMERS / 100) * i)) --new-customers $((CUSTOMERS / 100))
    rm -f "$inc/products.csv"
done
chmod -R a+rX "$DATA"

start_cluster "$CLUSTER" "$PORT" "shared_buffers = 2GB" "work_mem = 64MB" \
    "maintenance_work_mem = 512MB" "max_wal_size = 16GB" "checkpoint_timeout = 1h" \
    "fsync = on"
# MEDALLION_BENCH_KEEP=1 leaves the cluster running, to look into it
[ "${MEDALLION_BENCH_KEEP:-0}" = 1 ] || trap 'stop_cluster "$CLUSTER"' EXIT
q() { psql_as "$CLUSTER" "$PORT" -Atq "$@"; }
# seconds a statement takes
timed() { q -c "\\timing on" "$@" | awk '/^Time:/ {t += $2} END {printf "%.2f", t / 1000}'; }
calc() { awk "BEGIN {printf \"%.${2:-2}f\", $1}"; }
# the median of three
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
# as timed, with every step's DEBUG1 line (time, rows, WAL) kept in file $1
timed_steps() {
    local log=$1
    shift
    timed -c "SET client_min_messages = debug1" "$@" 2>"$log"
}
# the N costliest steps of a step log, summed by name
top_steps() {
    grep -o 'medallion step "[^"]*": [0-9.]* ms, [0-9]* rows, WAL [0-9.]* kB' "$2" |
        sed 's/^medallion step "//; s/": / /; s/ ms, / /; s/ rows, WAL / /; s/ kB$//' |
        awk '{n = NF; name = $1; for (i = 2; i <= n - 3; i++) name = name " " $i
              t[name] += $(n - 2); r[name] += $(n - 1); w[name] += $n}
             END {for (k in t) printf "%10.1f ms %9d rows %9.1f MB WAL  %s\n", t[k], r[k], w[k] / 1024, k}' |
        sort -rn | head -"$1"
}

q -c "CREATE EXTENSION medallion"
size=$(du -cb "$DATA"/*.csv | tail -1 | cut -f1)
echo "data: $(calc "$size / 1048576" 0) MB in four files"

# 1. COPY alone: three runs into fresh tables, the median (one run varies
#    by half on a shared disk)
copy_runs=()
for _ in 1 2 3; do
    for f in customers products sales sales_orders; do
        cols=$(head -1 "$DATA/$f.csv" | sed 's/,/ text, /g; s/$/ text/')
        q -c "CREATE TABLE copy_$f ($cols)"
    done
    q -c "CHECKPOINT"
    copy_runs+=("$(timed -c "COPY copy_customers FROM '$DATA/customers.csv' (FORMAT csv, HEADER)" \
        -c "COPY copy_products FROM '$DATA/products.csv' (FORMAT csv, HEADER)" \
        -c "COPY copy_sales FROM '$DATA/sales.csv' (FORMAT csv, HEADER)" \
        -c "COPY copy_sales_orders FROM '$DATA/sales_orders.csv' (FORMAT csv, HEADER)")")
    q -c "DROP TABLE copy_customers, copy_products, copy_sales, copy_sales_orders" -c "CHECKPOINT"
done
copy_s=$(median "${copy_runs[@]}")
echo "COPY of the four files:            ${copy_s} s (median of ${copy_runs[*]})"

# 2. the full pipeline
ingest_s=$(timed -c "SELECT medallion_ingest_csv(name, '$DATA/' || name || '.csv') FROM medallion.sources ORDER BY load_order")
refresh_s=$(timed_steps "$BENCH/steps-first.log" -c "SELECT medallion_refresh_gold()")
pipeline_s=$(calc "$ingest_s + $refresh_s")
echo "medallion: ingest ${ingest_s} s + silver and gold ${refresh_s} s = ${pipeline_s} s"
echo "pipeline / COPY: $(calc "$pipeline_s / $copy_s")  (target <= 3)"
echo "  the costliest steps of silver and gold from nothing:"
top_steps 10 "$BENCH/steps-first.log"
q -c "SELECT 'silver: ' || (SELECT count(*) FROM silver.customers) || ' customer versions, '
        || (SELECT count(*) FROM silver.sales) || ' sales, ' || (SELECT count(*) FROM silver.orders)
        || ' orders, ' || (SELECT count(*) FROM silver.order_items) || ' order lines; gold: '
        || (SELECT count(*) FROM gold.sales_metrics) || ' sales_metrics rows'"
q -c "VACUUM ANALYZE" -c "CHECKPOINT"

# 3. 1% more data, three times: incremental against full, medians
inc_runs=()
for i in 0 1 2; do
    inc=${INCS[$i]}
    q -c "SELECT medallion_ingest_csv(name, '$inc/' || name || '.csv') FROM medallion.sources WHERE name <> 'products' ORDER BY load_order" >/dev/null
    q -c "CHECKPOINT"
    inc_runs+=("$(timed_steps "$BENCH/steps-inc$i.log" -c "SELECT medallion_refresh_gold()")")
done
full_runs=()
for _ in 1 2 3; do
    q -c "CHECKPOINT"
    full_runs+=("$(timed -c "SELECT medallion_refresh_gold(full => true)")")
done
inc_s=$(median "${inc_runs[@]}")
full_s=$(median "${full_runs[@]}")
echo "1% more data, three times: incremental ${inc_s} s (median of ${inc_runs[*]}), full ${full_s} s (median of ${full_runs[*]})"
echo "incremental / full: $(calc "$inc_s / $full_s" 3)  (target <= 0.05)"
for i in 0 1 2; do
    if [ "${inc_runs[$i]}" = "$inc_s" ]; then
        echo "  the costliest steps of the median incremental refresh:"
        top_steps 12 "$BENCH/steps-inc$i.log"
        break
    fi
done

# 4. a BI query
cat >"$BENCH/bi_query.sql" <<'SQL'
SELECT period_start, product_category, revenue, units, order_count, avg_order_value
FROM gold.category_metrics
WHERE grain = 'month' AND period_start >= '2023-01-01' AND period_start < '2024-01-01'
ORDER BY period_start, product_category;
SQL
lines=$(q -c "SELECT count(*) FROM silver.order_items")
# pgbench runs as postgres: its transaction log goes to a directory it owns
BI=$BENCH/bi-log
rm -rf "$BI"
mkdir -p "$BI"
cp "$BENCH/bi_query.sql" "$BI/"
chown -R postgres "$BI"
(cd "$BI" && runuser -u postgres -- "$PGBIN/pgbench" -h "$CLUSTER" -p "$PORT" -U postgres -n \
    -f bi_query.sql -T 10 -c 1 -l --log-prefix="$BI/bi" postgres >"$BI/pgbench.out" 2>&1) ||
    { echo "pgbench failed:"; cat "$BI/pgbench.out"; }
cat "$BI"/bi.* 2>/dev/null | awk '{print $3}' | sort -n | awk -v lines="$lines" '
    {a[NR] = $1} END {
        printf "BI query (one year, month x category) at %d order lines: %d runs, p50 %.2f ms, p95 %.2f ms, p99 %.2f ms  (target p95 < 50 ms)\n",
            lines, NR, a[int(NR * 0.50)] / 1000, a[int(NR * 0.95)] / 1000, a[int(NR * 0.99)] / 1000 }'
rm -rf "$BI"

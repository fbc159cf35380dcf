#!/usr/bin/env bash
# Differential test of medallion's gold layer against an independent model
# (test/model/gold_model.py, written from SPEC.md only).
#
#   test/model/check_gold.sh            (as root, from anywhere)
#
# Starts a throwaway cluster in /tmp/model-gold on port 55462, and for each
# scenario (a database of its own) loads data, refreshes, and runs the model,
# which compares every column of every gold row.  Scenarios:
#   sample  the bundled test/data/sample, then a full refresh
#   gen     gen_data.py data (small), three increments refreshed
#           incrementally (late customers, superseding order numbers, a new
#           catalog), a threshold change, then a full refresh
#   edge    hand-made edge cases (gold_edge_data.py) in a database with an
#           ICU en-US collation and TimeZone Pacific/Kiritimati (UTC+14)
# After each full refresh the gold tables must equal those of the incremental
# refreshes before it.  Output is one TAP stream; exit status 1 on failure.
# MODEL_KEEP=1 leaves the cluster running; MODEL_SCENARIOS="edge gen" runs
# only those (default: sample gen run edge).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
. test/lib.sh

DIR=/tmp/model-gold
PORT=55462
DATA=/tmp/model-gold-data
MODEL="python3 $ROOT/test/model/gold_model.py"

rm -rf "$DATA"
mkdir -p "$DATA"
# every data directory lies inside the landing directory (medallion_run
# takes only the files directly in it: the run scenario puts them there)
start_cluster "$DIR" "$PORT" "medallion.landing_dir = '$DATA'"
[ "${MODEL_KEEP:-0}" = 1 ] || trap 'stop_cluster "$DIR"' EXIT

SCENARIOS=" ${MODEL_SCENARIOS:-sample gen run edge} "
want() { [[ $SCENARIOS == *" $1 "* ]]; }
N=0        # TAP tests so far
FAILED=0
DB=postgres
R0=

q() { psql_as "$DIR" "$PORT" -d "$DB" -Atq "$@"; }

# tap_line OK NAME [diagnostics...]
tap_line() {
    local okay=$1 name=$2
    shift 2
    N=$((N + 1))
    if [ "$okay" = 1 ]; then
        echo "ok $N - $name"
    else
        FAILED=$((FAILED + 1))
        echo "not ok $N - $name"
        for d in "$@"; do echo "$d" | sed 's/^/#   /'; done
    fi
}

new_db() {   # new_db NAME [CREATE DATABASE options]
    DB=postgres
    q -c "CREATE DATABASE $1 ${2:-}"
    DB=$1
    q -c "CREATE EXTENSION medallion"
}

# load DIR: ingest every source file present in DIR, in load order
load() {
    local src
    chmod -R a+rX "$DATA"
    for src in $(q -c "SELECT name FROM medallion.sources ORDER BY load_order"); do
        [ -f "$1/$src.csv" ] || continue
        q -c "SELECT batch_id, status, rows_loaded, rows_rejected FROM medallion_ingest_csv('$src', '$1/$src.csv')" \
            | sed "s|^|# $src: |"
    done
}

refresh() {   # refresh [full]
    R0=$(date +%s.%N)
    local arg=
    [ "${1:-}" = full ] && arg="full => true"
    q -c "SELECT * FROM medallion_refresh_gold($arg)" | sed "s|^|# refresh${1:+ $1}${PGOPTIONS:+ ($PGOPTIONS)}: |"
}

# the steps one by one: parse, silver, then gold (which finds silver current)
refresh_steps() {
    q -c "SELECT medallion_parse_products()" | sed "s|^|# parse: |"
    q -c "SELECT medallion_refresh_silver()" | sed "s|^|# refresh_silver: |"
    refresh
}

# model LABEL: run the model, renumber its TAP lines into ours
model() {
    local out rc=0
    out=$($MODEL --host "$DIR" --port "$PORT" --db "$DB" --label "$1" --refresh-start "$R0") || rc=$?
    while IFS= read -r line; do
        case $line in
            "ok "*) N=$((N + 1)); echo "ok $N - ${line#* - }" ;;
            "not ok "*) N=$((N + 1)); FAILED=$((FAILED + 1)); echo "not ok $N - ${line#* - }" ;;
            1..*) ;;
            *) echo "$line" ;;
        esac
    done <<<"$out"
    if [ $rc -gt 1 ]; then tap_line 0 "$1: the model ran (exit $rc)"; fi
}

snapshot() {   # snapshot FILE: all gold tables, sorted
    local t
    for t in sales_metrics category_metrics period_metrics product_performance marketing_customers; do
        q -c "SELECT '$t', t.* FROM gold.$t t ORDER BY t::text COLLATE \"C\""
    done >"$1"
}

# full_vs_incremental LABEL: a full refresh gives the gold of the incremental ones
# (PGOPTIONS may set e.g. medallion.gold_state_memory for the full refresh)
full_vs_incremental() {
    snapshot "$DATA/$DB.incremental"
    refresh full
    snapshot "$DATA/$DB.full"
    if cmp -s "$DATA/$DB.incremental" "$DATA/$DB.full"; then
        tap_line 1 "$1: full refresh gives the same gold as the incremental refreshes"
    else
        tap_line 0 "$1: full refresh gives the same gold as the incremental refreshes" \
            "$(diff "$DATA/$DB.incremental" "$DATA/$DB.full" | head -30)"
    fi
    model "$1 full"
}

# PostgreSQL's round(numeric, 2) rounds half away from zero: the model does too
r=$(q -c "SELECT round(0.025, 2) || ' ' || round(-0.025, 2) || ' ' || round(2.675, 2)")
tap_line "$([ "$r" = "0.03 -0.03 2.68" ] && echo 1 || echo 0)" \
    "PostgreSQL round(numeric, 2) rounds half away from zero (ROUND_HALF_UP in the model)" "got: $r"

############################################################ sample
if want sample; then
echo "# ==== scenario sample: test/data/sample"
new_db sample
mkdir -p "$DATA/sample"
cp test/data/sample/*.csv "$DATA/sample/"
load "$DATA/sample"
refresh
model sample
full_vs_incremental sample
fi

############################################################ gen
if want gen || want run; then
echo "# ==== scenario gen: gen_data.py, three increments"
new_db gen
C=300
GEN="python3 test/bench/gen_data.py --products 60 --max-price 120"
$GEN --out "$DATA/gen/base" --customers $C --sales 1500 --orders 2500 --messy 0.03 --seed 21 >/dev/null
load "$DATA/gen/base"
refresh
model "gen base"
# a drop expectation: sales over 100 wait in quarantine until it is deleted
q -c "INSERT INTO medallion.expectations (name, target_table, predicate, action)
      VALUES ('model_small_sales', 'silver.sales', 'amount <= 100', 'drop')"
for i in 0 1 2; do
    inc="$DATA/gen/inc$i"
    if [ $i = 1 ]; then
        # a failing expectation: the refresh raises and rolls back, the
        # batches stay pending for the next refresh
        q -c "INSERT INTO medallion.expectations (name, target_table, predicate, action)
              VALUES ('model_fail', 'silver.orders', 'item_count > 1000', 'fail')"
        if q -c "SELECT * FROM medallion_refresh_gold()" >/dev/null 2>&1; then
            tap_line 0 "gen: a failing 'fail' expectation makes the refresh fail"
        else
            tap_line 1 "gen: a failing 'fail' expectation makes the refresh fail"
        fi
        q -c "DELETE FROM medallion.expectations WHERE name = 'model_fail'"
    fi
    # orders of customers up to C+20(i+2); only C+20i+1 .. C+20(i+1) arrive
    # now: the others wait in quarantine for the next increment
    order_start=$((900000000 + 100000 * i))
    [ $i = 1 ] && order_start=102400      # supersedes base orders 102401..
    $GEN --out "$inc" --customers $((C + 20 * (i + 2))) --sales 100 --orders 200 --messy 0.03 \
        --seed $((22 + i)) --date-from "$(date -d "2025-01-01 + $((7 * i)) days" +%F)" --days 7 \
        --order-start $order_start --customer-start $((C + 1 + 20 * i)) --new-customers 20 >/dev/null
    # increment 1 brings a new catalog (another seed: other names, prices, categories)
    [ $i = 1 ] || rm -f "$inc/products.csv"
    load "$inc"
    if [ $i = 2 ]; then refresh_steps; else refresh; fi
    model "gen inc$i"
    if [ $i = 1 ]; then
        # retention: bronze of everything in silver goes; gold must not care
        q -c "SELECT count(*) FROM medallion_purge_bronze(interval '0 seconds')" | sed 's|^|# purge: |'
        refresh
        model "gen purged"
    fi
done
q -c "DELETE FROM medallion.expectations WHERE name = 'model_small_sales'"
refresh
model "gen expectation deleted"
q -c "UPDATE medallion.settings SET value = '2500' WHERE name = 'ltv_high_threshold'"
q -c "UPDATE medallion.settings SET value = '750.5' WHERE name = 'ltv_medium_threshold'"
refresh
model "gen thresholds"
# the full build with the smallest state memory: spills to disk in parts
PGOPTIONS="-c medallion.gold_state_memory=64kB" full_vs_incremental "gen (gold_state_memory 64kB)"
fi

############################################################ run
if want run; then
echo "# ==== scenario run: CALL medallion_run() on the landing directory"
new_db run
# land DIR N SOURCES...: DIR's files of SOURCES into the landing directory
# as SOURCE_N.csv, settled, then CALL medallion_run()
land() {
    local dir=$1 n=$2 f
    shift 2
    for f in "$@"; do cp "$dir/$f.csv" "$DATA/${f}_$n.csv"; done
    touch -d '1 hour ago' "$DATA"/*.csv
    chmod -R a+rX "$DATA"
    R0=$(date +%s.%N)
    q -c "CALL medallion_run()"
}
land "$DATA/gen/base" 1 customers products sales sales_orders
model "run base"
land "$DATA/gen/inc0" 2 customers sales sales_orders
q -c "SELECT source, status, rows_loaded FROM medallion.batches ORDER BY batch_id" | sed 's|^|# batch: |'
model "run inc0"
full_vs_incremental run
rm -f "$DATA"/*.csv
fi

############################################################ edge
if want edge; then
echo "# ==== scenario edge: hand-made cases (ICU en-US collation, TimeZone UTC+14)"
new_db edge "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
q -c "ALTER DATABASE edge SET timezone = 'Pacific/Kiritimati'"
SOON=$(($(date +%s) + 25))
python3 test/model/gold_edge_data.py --out "$DATA/edge" --soon $SOON
load "$DATA/edge/batch1"
# the first refresh is a full build: with the smallest state memory
PGOPTIONS="-c medallion.gold_state_memory=64kB" refresh
model "edge batch1"
load "$DATA/edge/batch2"
# a crash (immediate shutdown) before the refresh
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w start >/dev/null
refresh
model "edge batch2 (after a crash)"
# a refresh rolled back leaves its work for the next one
chmod -R a+rX "$DATA"
q -c "SELECT count(*) FROM medallion.sources s,
      LATERAL medallion_ingest_csv(s.name, '$DATA/edge/batch3/' || s.name || '.csv') i
      WHERE s.name IN ('customers', 'products')" | sed 's|^|# batch3 files: |'
q -c "BEGIN" -c "SELECT * FROM medallion_refresh_gold()" -c "ROLLBACK" | sed 's|^|# rolled back: |'
refresh
model "edge batch3 (after a rolled-back refresh)"
# one session: refresh, change thresholds and a state's time zone, refresh
# (nothing may be cached across refreshes of one backend)
R0=$(date +%s.%N)
q -c "SELECT * FROM medallion_refresh_gold()" \
  -c "UPDATE medallion.settings SET value = '999.99' WHERE name = 'ltv_high_threshold'" \
  -c "UPDATE medallion.settings SET value = '499.999' WHERE name = 'ltv_medium_threshold'" \
  -c "UPDATE medallion.state_timezones SET timezone = 'America/Boise' WHERE state = 'CA'" \
  -c "SELECT * FROM medallion_refresh_gold()" | sed 's|^|# one session: |'
model "edge thresholds and CA time zone"
# batch 1 sent again with force: its records are now the latest, so O2, O6,
# O8, O24 and O25 get their batch-1 versions back (PGONE sells again,
# customer 20 has a purchase again)
chmod -R a+rX "$DATA"
q -c "SELECT count(*) FROM medallion.sources s,
      LATERAL medallion_ingest_csv(s.name, '$DATA/edge/batch1/' || s.name || '.csv', force => true) i" \
  | sed 's|^|# batch1 again: |'
refresh
model "edge batch1 re-sent (force)"
# customer 11's version starts, customer 12's ends: no new data, only time
wait=$((SOON + 1 - $(date +%s)))
[ $wait -gt 0 ] && sleep $wait
refresh
model "edge time passed"
PGOPTIONS="-c medallion.gold_state_memory=64kB" full_vs_incremental "edge (gold_state_memory 64kB)"
fi

echo "1..$N"
echo "# $FAILED of $N failed"
[ $FAILED = 0 ]

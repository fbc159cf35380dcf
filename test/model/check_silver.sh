#!/usr/bin/env bash
# Differential test of silver: loads the batches of silver_cases.py into a
# throwaway cluster, refreshes where the plan says, dumps silver after every
# refresh and compares it with silver_model.py (an independent model of SPEC
# sections 2, 4 and 8).  Prints TAP; exits non-zero when anything differs.
#
#   test/model/check_silver.sh                 # as root, from anywhere
#   SEED=7 test/model/check_silver.sh          # another random variation
#   MODEL_ARGS="--reading future_sale=retry" test/model/check_silver.sh
#   READINGS=medallion test/model/check_silver.sh   # medallion's choices where
#                                              # SPEC is ambiguous (see README.md)
#   python3 test/model/silver_model.py --readings   # list the readings
#   RANDOM_PLAN=1 SEED=3 test/model/check_silver.sh   # many small random rounds
#   KEEP=1 ...                                 # keep the cluster running
#
# Uses port 55461, /tmp/model-silver (cluster), /tmp/model-silver-data
# (CSV files, readable by postgres) and /tmp/model-silver-run (dumps).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
DIR=${MODEL_DIR:-/tmp/model-silver}
PORT=${MODEL_PORT:-55461}
DATA=${DIR}-data
RUN=${DIR}-run
# shellcheck source=../lib.sh
. "$ROOT/test/lib.sh"

bail() { echo "Bail out! $*"; exit 2; }
q() { psql_as "$DIR" "$PORT" -d postgres -q "$@"; }

rm -rf "$DATA" "$RUN"
mkdir -p "$DATA" "$RUN"
# shellcheck disable=SC2086
python3 "$HERE/silver_cases.py" "$DATA" ${SEED:+--seed "$SEED"} ${RANDOM_PLAN:+--random} \
    || bail "case generator failed"
chmod -R a+rX "$DATA"

start_cluster "$DIR" "$PORT" || bail "cluster did not start (see $DIR)"
if [ -z "${KEEP:-}" ]; then trap 'stop_cluster "$DIR"' EXIT; fi
q -c "CREATE EXTENSION medallion" || bail "CREATE EXTENSION failed"

dump_silver() {   # dump_silver OUTDIR
    local o=$1 f="WITH (FORMAT csv, NULL '\\N')"
    mkdir -p "$o"
    q <<SQL || bail "dump failed"
\copy (SELECT customer_id, extract(epoch FROM valid_from), extract(epoch FROM valid_to), is_current, customer_name, state, timezone, email, phone, _batch_id, _line, tax_id, tax_code, city, postcode, street, number, unit, region, district, lon, lat, ship_to_address, units_purchased, loyalty_segment FROM silver.customers ORDER BY 1, 2) TO '$o/customers.csv' $f
\copy (SELECT product_id, product_name, product_category, price, curr, ean13, ean5, unit FROM silver.products ORDER BY 1) TO '$o/products.csv' $f
\copy (SELECT customer_id, order_date, product_id, product_category, quantity, amount, _batch_id, _line, product_name, price, curr FROM silver.sales ORDER BY _batch_id, _line) TO '$o/sales.csv' $f
\copy (SELECT order_number, customer_id, extract(epoch FROM order_datetime), order_date, number_of_line_items, item_count, promo_info::text, _batch_id, _line FROM silver.orders ORDER BY 1) TO '$o/orders.csv' $f
\copy (SELECT order_number, item_no, product_id, qty, price, unit_price, amount, curr, name, unit, promotion_info::text FROM silver.order_items ORDER BY 1, 2) TO '$o/order_items.csv' $f
\copy (SELECT order_number, click_no, product_id, clicks FROM silver.order_clicks ORDER BY 1, 2) TO '$o/order_clicks.csv' $f
\copy (SELECT source, batch_id, line, resolved_at IS NOT NULL, rule, reason, extract(epoch FROM first_seen), extract(epoch FROM resolved_at), record::text FROM silver.quarantine ORDER BY 1, 2, 3) TO '$o/quarantine.csv' $f
SQL
}

: >"$RUN/ingests.csv"
: >"$RUN/refreshes.csv"
point=0          # parse, refresh_silver and refresh steps, numbered
# the plan: one line per step, "index<TAB>op<TAB>arg1<TAB>arg2"
python3 - "$DATA/plan.json" >"$RUN/steps.txt" <<'PY' || bail "bad plan"
import json, sys
for i, s in enumerate(json.load(open(sys.argv[1]))['steps']):
    if s['op'] == 'ingest':
        print('%d\tingest\t%s\t%s\t%s' % (i, s['source'], s['file'],
                                        'true' if s.get('force') else 'false'))
    elif s['op'] in ('parse', 'refresh_silver'):
        print('%d\t%s\t%s\t-\t-' % (i, s['op'], s['timezone']))
    elif s['op'] == 'sleep_until':
        print('%d\tsleep_until\t%d\t-\t-' % (i, s['epoch']))
    else:
        print('%d\trefresh\t%s\t%s\t-' % (i, s['timezone'], 'true' if s['full'] else 'false'))
PY
while IFS=$'\t' read -r i op a b c; do
    case $op in
    ingest)
        out=$(q -At -F, -c "SELECT batch_id, status FROM medallion_ingest_csv('$a', '$DATA/$b', $c)" \
              2>>"$RUN/ingest.log") || bail "ingest of $b failed (see $RUN/ingest.log)"
        echo "$i,$out" >>"$RUN/ingests.csv"
        ;;
    parse | refresh_silver)
        point=$((point + 1))
        if [ "$op" = parse ]; then call="SELECT medallion_parse_products()"
        else call="SELECT * FROM medallion_refresh_silver()"; fi
        q >>"$RUN/refresh.log" 2>&1 <<SQL || bail "$op failed (see $RUN/refresh.log)"
BEGIN;
SET LOCAL TimeZone = '$a';
$call;
\copy (SELECT $point, $i, current_date, extract(epoch FROM now()), '$op') TO STDOUT WITH (FORMAT csv)
COMMIT;
SQL
        tail -n 1 "$RUN/refresh.log" >>"$RUN/refreshes.csv"
        ;;
    sleep_until)
        now=$(date +%s)
        if [ "$now" -lt "$a" ]; then sleep $((a - now)); fi
        ;;
    refresh)
        point=$((point + 1))
        q >>"$RUN/refresh.log" 2>&1 <<SQL || bail "refresh $point failed (see $RUN/refresh.log)"
BEGIN;
SET LOCAL TimeZone = '$a';
SELECT * FROM medallion_refresh_gold(full => $b);
\copy (SELECT $point, $i, current_date, extract(epoch FROM now()), 'refresh') TO STDOUT WITH (FORMAT csv)
COMMIT;
SQL
        tail -n 1 "$RUN/refresh.log" >>"$RUN/refreshes.csv"
        dump_silver "$RUN/r$point"
        ;;
    esac
done <"$RUN/steps.txt"

q <<SQL || bail "final dump failed"
\copy (SELECT batch_id, source, status, rows_loaded, rows_rejected, extract(epoch FROM started_at) FROM medallion.batches ORDER BY 1) TO '$RUN/batches.csv' WITH (FORMAT csv, NULL '\\N')
\copy (SELECT _batch_id, _line, (to_jsonb(b) - '_batch_id' - '_line')::text FROM bronze.customers b ORDER BY 1, 2) TO '$RUN/bronze_customers.csv' WITH (FORMAT csv, NULL '\\N')
\copy (SELECT _batch_id, _line, (to_jsonb(b) - '_batch_id' - '_line')::text FROM bronze.products b ORDER BY 1, 2) TO '$RUN/bronze_products.csv' WITH (FORMAT csv, NULL '\\N')
\copy (SELECT _batch_id, _line, (to_jsonb(b) - '_batch_id' - '_line')::text FROM bronze.sales b ORDER BY 1, 2) TO '$RUN/bronze_sales.csv' WITH (FORMAT csv, NULL '\\N')
\copy (SELECT _batch_id, _line, (to_jsonb(b) - '_batch_id' - '_line')::text FROM bronze.sales_orders b ORDER BY 1, 2) TO '$RUN/bronze_sales_orders.csv' WITH (FORMAT csv, NULL '\\N')
SQL

# READINGS=medallion: the model takes, where SPEC is ambiguous or medallion
# documents a departure, the choice medallion made (README "Design
# decisions"), so that only unexpected differences fail.
if [ "${READINGS:-spec}" = medallion ]; then
    MODEL_ARGS="--reading future_sale=retry --reading string_price=numeric \
--reading json_depth=32 --reading item_tie=last --reading numeric_digits=1000 ${MODEL_ARGS:-}"
fi
# shellcheck disable=SC2086
python3 "$HERE/silver_model.py" "$DATA" "$RUN" --expected "$RUN/expected" ${MODEL_ARGS:-}

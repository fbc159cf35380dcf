#!/usr/bin/env bash
# The test command: sets everything up (packages, build, install), then runs
# every test against throwaway clusters and ends with "N passed, N failed".
#
#   unit tests      test/unit/*_test.c, the pure C cores, with ASan/UBSan
#   regression      sql/*.sql against expected/*.out (pg_regress)
#   isolation       specs/*.spec (pg_isolation_regress): concurrent sessions
#   TAP             test/t/*.pl: crashes, restarts, pg_cron, logins per role
#   differential    test/model/check_*.sh: silver and gold against models of
#                   SPEC written apart from the code
#
# MEDALLION_SKIP_SETUP=1 skips the package install and build (for iterating).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. test/lib.sh

if [ "${MEDALLION_SKIP_SETUP:-0}" != 1 ]; then
    test/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
fi

WORK=$(mktemp -d /tmp/medallion-test.XXXXXX)
chmod 755 "$WORK"
PORT=${MEDALLION_TEST_PORT:-55432}
CLUSTER=$WORK/cluster
PASSED=0
FAILED=0
FAILURES=()

# count_tap NAME FILE: adds a TAP stream's ok / not ok lines to the totals
count_tap() {
    local name=$1 file=$2 ok notok
    ok=$(grep -cE '^[[:space:]]*ok [0-9]+' "$file")
    notok=$(grep -cE '^[[:space:]]*not ok [0-9]+' "$file")
    PASSED=$((PASSED + ok))
    FAILED=$((FAILED + notok))
    if [ "$notok" -gt 0 ]; then
        FAILURES+=("$name")
        grep -E -A4 '^[[:space:]]*not ok' "$file" | head -60
    fi
    echo "$name: $ok passed, $notok failed"
}

# count_tap_exit NAME FILE STATUS: count_tap, and a run that exited non-zero
# without a failed test (a crash, a bail-out) counts as one failure
count_tap_exit() {
    local name=$1 file=$2 rc=$3
    count_tap "$name" "$file"
    if [ "$rc" -ne 0 ] && ! grep -qE '^[[:space:]]*not ok' "$file"; then
        echo "$name exited with $rc:"; tail -30 "$file"
        FAILED=$((FAILED + 1)); FAILURES+=("$name (exit $rc)")
    fi
}

# count_regress NAME FILE: adds pg_regress "... ok" / "... FAILED" lines
count_regress() {
    local name=$1 file=$2 ok notok
    ok=$(grep -cE '\.\.\. ok' "$file")
    notok=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$file")
    PASSED=$((PASSED + ok))
    FAILED=$((FAILED + notok))
    [ "$notok" -gt 0 ] && FAILURES+=("$name")
    echo "$name: $ok passed, $notok failed"
}

echo "== unit tests (pure C cores, with ASan + UBSan, then with TSan)"
PURE_SOURCES="src/csv_reader.c src/values.c src/json_items.c src/json_batch.c"
for t in test/unit/*_test.c; do
    for san in "address,undefined" "thread"; do
        name="$(basename "$t" .c) [${san%%,*}]"
        bin="$WORK/$(basename "$t" .c).${san%%,*}"
        if clang -O1 -g -fsanitize=$san -fno-sanitize-recover=all -Isrc \
            -o "$bin" "$t" $PURE_SOURCES $(pkg-config --cflags json-c) -lcsv $(pkg-config --libs json-c) -pthread \
            >"$bin.build.log" 2>&1; then
            "$bin" >"$bin.tap" 2>&1
            count_tap_exit "$name" "$bin.tap" $?
        else
            cat "$bin.build.log"
            FAILED=$((FAILED + 1)); FAILURES+=("$name (build)")
        fi
    done
done

echo "== cluster on port $PORT"
start_cluster "$CLUSTER" "$PORT" \
    "shared_preload_libraries = 'pg_cron'" \
    "cron.database_name = 'contrib_regression'"

# Fixtures at a fixed path, so that expected outputs can show it; the
# landing directory holds a symbolic link that leads out of it.
DATA=/tmp/medallion_regress
rm -rf "$DATA"
mkdir -p "$DATA/landing" "$DATA/outside" "$DATA/a_directory"
cp -a test/data/. "$DATA/"
cp test/data/landing_customers.csv "$DATA/landing/customers_1.csv"
cp test/data/customers_basic.csv "$DATA/outside/secret.csv"
ln -s ../outside/secret.csv "$DATA/landing/escape.csv"
# the landing directory of the operations test: the sample data, a file
# refused for a missing column, files that belong to no source
mkdir -p "$DATA/ops"
cp test/data/sample/customers.csv "$DATA/ops/customers_2026.csv"
cp test/data/sample/products.csv "$DATA/ops/products.csv"
cp test/data/sample/sales.csv "$DATA/ops/sales_1.csv"
cp test/data/sample/sales_orders.csv "$DATA/ops/sales_orders_1.csv"
cp test/data/customers_missing_columns.csv "$DATA/ops/sales_orders_2_bad.csv"
echo "not a source" >"$DATA/ops/notes.txt"
cp test/data/ops_sales_orders_late.csv "$DATA/ops/"   # no source's name: loaded by hand
cp test/data/sample/sales.csv "$DATA/ops/.sales_uploading.csv"
touch -d '1 hour ago' "$DATA"/ops/* "$DATA"/ops/.sales_uploading.csv
python3 test/bench/gen_data.py --out "$DATA/big" --customers 1000 --products 500 \
    --orders 60000 --only sales_orders --seed 3
mv "$DATA/big/sales_orders.csv" "$DATA/big_orders.csv"
chown -R postgres:postgres "$DATA"
chmod -R a+rX "$DATA"

export PGHOST=$CLUSTER PGPORT=$PORT PGUSER=postgres

echo "== regression tests (pg_regress)"
rm -f regression.diffs isolation_output/regression.diffs
make -s installcheck ISOLATION= >"$WORK/regress.log" 2>&1
grep -E '\.\.\. ' "$WORK/regress.log" || cat "$WORK/regress.log"
count_regress regress "$WORK/regress.log"
[ -f regression.diffs ] && head -200 regression.diffs

echo "== isolation tests (pg_isolation_regress)"
make -s installcheck REGRESS= >"$WORK/isolation.log" 2>&1
grep -E '\.\.\. ' "$WORK/isolation.log" || cat "$WORK/isolation.log"
count_regress isolation "$WORK/isolation.log"
[ -f isolation_output/regression.diffs ] && head -200 isolation_output/regression.diffs

stop_cluster "$CLUSTER"

echo "== TAP tests (test/t, PostgreSQL::Test::Cluster, as the postgres user)"
TAPDIR=$WORK/tap
mkdir -p "$TAPDIR"
cp -r test/t "$TAPDIR/"
chown -R postgres:postgres "$TAPDIR"
(cd "$TAPDIR" && runuser -u postgres -- env PATH="$PGBIN:$PATH" TESTDIR="$TAPDIR" \
    PG_REGRESS="$(pg_config --pkglibdir)/pgxs/src/test/regress/pg_regress" \
    MEDALLION_DATA="$DATA" MEDALLION_SRC="$ROOT" \
    prove -v -I "$(pg_config --pkglibdir)/pgxs/src/test/perl" t/*.pl) >"$WORK/tap.log" 2>&1
count_tap tap "$WORK/tap.log"
# a script that died part-way has fewer "ok" lines than it planned
if grep -qE '^Result: FAIL' "$WORK/tap.log" && ! grep -qE '^not ok' "$WORK/tap.log"; then
    grep -E 'Dubious|Parse errors|Wstat|died' "$WORK/tap.log"
    FAILED=$((FAILED + 1)); FAILURES+=("tap (a script died)")
fi

echo "== differential tests (test/model: independent models of SPEC's silver and gold)"
# model_check NAME LOG COMMAND...: a check that prints TAP
model_check() {
    local name=$1 log=$2
    shift 2
    "$@" >"$log" 2>&1
    count_tap_exit "$name" "$log" $?
}
# silver with medallion's readings where SPEC leaves a choice (README,
# "Design decisions"): the hand-written case, then random rounds
model_check "model silver" "$WORK/model_silver.log" env READINGS=medallion test/model/check_silver.sh
model_check "model silver (random)" "$WORK/model_silver_random.log" \
    env READINGS=medallion RANDOM_PLAN=1 SEED=3 test/model/check_silver.sh
model_check "model gold" "$WORK/model_gold.log" test/model/check_gold.sh

echo
if [ ${#FAILURES[@]} -gt 0 ]; then
    echo "failed: ${FAILURES[*]}"
    echo "logs in $WORK"
else
    rm -rf "$WORK"
fi
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]

#!/usr/bin/env bash
# run_fuzz.sh - builds and runs the libFuzzer harnesses of the pure C cores.
#
# Usage: test/fuzz/run_fuzz.sh [seconds]     (default 60, per harness)
#
# Each harness is test/fuzz/NAME_fuzz.c, built with clang, libFuzzer,
# ASan and UBSan into test/fuzz/NAME_fuzz, seeded into a git-ignored corpus
# directory test/fuzz/corpus-CORPUS/ and run for the given seconds.  One
# summary line is printed per harness; the exit status is non-zero when a
# harness crashed, failed an invariant, timed out, ran out of memory or did
# not build.  Crash inputs are left as test/fuzz/crash-NAME-* (git-ignored);
# reproduce one with: test/fuzz/NAME_fuzz test/fuzz/crash-NAME-...
#
# Environment: CC (default clang), FUZZ_MAX_LEN (default 4096),
# FUZZ_EXTRA (more libFuzzer flags), FUZZ_ONLY (run only this harness).
#
# To add a harness, append a line to HARNESSES:
#   NAME|CORPUS|pure sources|libraries|seed files (globs)
# and, if its input starts with option bytes, a seed_prefixes_NAME function
# printing one prefix per line (printf %b escapes); each seed file is then
# copied once per prefix.  Without such a function seeds are copied as is.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 2

SECONDS_PER_HARNESS=${1:-60}
CC=${CC:-clang}
MAX_LEN=${FUZZ_MAX_LEN:-4096}
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Isrc -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare"

HARNESSES=(
	"csv_reader|csv|src/csv_reader.c|-lcsv -pthread|test/data/*.csv test/fuzz/seeds/csv_reader/*"
	"json_items|json_items|src/json_items.c src/values.c|-ljson-c|test/fuzz/seeds/json_items/*"
	"values|values|src/values.c||test/fuzz/seeds/values/*"
)

# option bytes of csv_reader_fuzz.c (see its header comment): delimiter/
# header_room/skip_bom/read error, max_field_size, read step, chunk_size/
# max_fields, parse thread/batch_size
# shellcheck disable=SC2317  # called through "seed_prefixes_$name"
seed_prefixes_csv_reader() {
	printf '%s\n' '\x00\x80\x80\x00\x00'	# defaults, one big read
	printf '%s\n' '\x04\x05\x02\x00\x00'	# header_room 4, max field 6, reads of 3
	printf '%s\n' '\x01\x83\x00\x23\x00'	# ';', reads of 1, chunk 3, max_fields 2
	printf '%s\n' '\x03\x0f\x06\x40\x00'	# TAB, max field 16, reads of 7, max_fields 4
	printf '%s\n' '\x0a\x80\x80\x00\x00'	# '|', BOM kept
	printf '%s\n' '\x80\x80\x04\x00\x00'	# reads of 5, a read fails half way
	printf '%s\n' '\x04\x80\x80\x00\x07'	# parse thread after the header, batches of 8
	printf '%s\n' '\x84\x07\x02\x00\x05'	# parse thread from the start, a read fails
}

# option bytes of json_items_fuzz.c: call A (0 product, 1 items, 2 clicks,
# 3 array text) + 4 (call B in between) + 8 * B choice + 32 * junk byte;
# then the share of the document parsed first as a prefix (n/256)
# shellcheck disable=SC2317
seed_prefixes_json_items() {
	printf '%s\n' '\x00\x00'	# product
	printf '%s\n' '\x01\x00'	# items
	printf '%s\n' '\x02\x00'	# clicks
	printf '%s\n' '\x03\x00'	# array text
	printf '%s\n' '\x25\x80'	# items, clicks in between, half a prefix first, junk ]
	printf '%s\n' '\x84\xc0'	# product, items in between, 3/4 prefix, junk NUL
	printf '%s\n' '\xc6\x40'	# clicks, array text in between, 1/4 prefix, junk FF
	printf '%s\n' '\xa7\x01'	# array text, product in between, tiny prefix, junk "
}

# option byte of values_fuzz.c: the mode (text, timestamp round trip,
# date round trip, integer text)
# shellcheck disable=SC2317
seed_prefixes_values() {
	printf '%s\n' '\x00' '\x01' '\x02' '\x03'
}

if ! [[ $SECONDS_PER_HARNESS =~ ^[0-9]+$ ]] || [ "$SECONDS_PER_HARNESS" -lt 1 ]; then
	echo "usage: $0 [seconds]" >&2
	exit 2
fi
if ! command -v "$CC" >/dev/null; then
	echo "run_fuzz.sh: $CC not found (apt-get install clang)" >&2
	exit 2
fi

LOGDIR=$(mktemp -d "${TMPDIR:-/tmp}/medallion-fuzz.XXXXXX")
failed=0

seed_corpus() {
	local name=$1 corpus=$2 seeds=$3
	local dir=test/fuzz/corpus-$corpus
	local prefixes=() f p i

	mkdir -p "$dir"
	if declare -F "seed_prefixes_$name" >/dev/null; then
		mapfile -t prefixes < <("seed_prefixes_$name")
	else
		prefixes=('')
	fi
	for f in $seeds; do
		[ -f "$f" ] || continue
		i=0
		for p in "${prefixes[@]}"; do
			{ printf '%b' "$p"; cat "$f"; } >"$dir/seed-$(basename "$f")-$i"
			i=$((i + 1))
		done
	done
}

run_harness() {
	local name=$1 corpus=$2 sources=$3 libs=$4 seeds=$5
	local bin=test/fuzz/${name}_fuzz
	local log=$LOGDIR/$name.log
	local prefix=test/fuzz/crash-$name-
	local rc runs execs cov ft corp crashes

	if [ -n "${FUZZ_ONLY:-}" ] && [ "$FUZZ_ONLY" != "$name" ]; then
		return 0
	fi

	# shellcheck disable=SC2086
	if ! $CC $CFLAGS -o "$bin" "test/fuzz/${name}_fuzz.c" $sources $libs >"$LOGDIR/$name.build" 2>&1; then
		echo "$name: BUILD FAILED"
		cat "$LOGDIR/$name.build"
		failed=1
		return
	fi
	seed_corpus "$name" "$corpus" "$seeds"

	# crash inputs found by earlier runs are not counted again
	local before
	# shellcheck disable=SC2012  # our own artifact names
	before=$(ls -1 "$prefix"* 2>/dev/null | sort)

	# FUZZ_EXTRA is split into flags on purpose
	# shellcheck disable=SC2086
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	ASAN_OPTIONS=abort_on_error=0:detect_leaks=1 \
	"$bin" -max_total_time="$SECONDS_PER_HARNESS" -max_len="$MAX_LEN" \
		-timeout=10 -print_final_stats=1 -artifact_prefix="$prefix" \
		${FUZZ_EXTRA:-} "test/fuzz/corpus-$corpus" >"$log" 2>&1
	rc=$?

	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	execs=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
	if [ -z "$runs" ]; then
		# no final stats (the harness crashed): take the last status line
		runs=$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')
	fi
	# shellcheck disable=SC2012
	crashes=$(comm -13 <(printf '%s\n' "$before") <(ls -1 "$prefix"* 2>/dev/null | sort) | grep -v '^$' | tr '\n' ' ')

	if [ "$rc" -eq 0 ] && [ -z "$crashes" ]; then
		echo "$name: ok, ${runs:-?} runs in ${SECONDS_PER_HARNESS}s (${execs:-?} exec/s), cov ${cov:-?}, features ${ft:-?}, corpus ${corp:-?} inputs"
	else
		echo "$name: FAILED (exit $rc) after ${runs:-?} runs, cov ${cov:-?}, features ${ft:-?}; crash file: ${crashes:-none}; log: $log"
		grep -m1 -A2 'first differing record' "$log" | sed 's/^/    /'
		grep -m1 -A3 -E 'invariant failed|ERROR: AddressSanitizer|runtime error|ERROR: libFuzzer' "$log" | sed 's/^/    /'
		for c in $crashes; do
			echo "    reproduce: $bin $c"
		done
		failed=1
	fi
}

for h in "${HARNESSES[@]}"; do
	IFS='|' read -r name corpus sources libs seeds <<<"$h"
	run_harness "$name" "$corpus" "$sources" "$libs" "$seeds"
done

echo "logs: $LOGDIR"
exit $failed

#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Run every libFuzzer target of BUILD_DIR for SECONDS each, starting from a
# temporary copy of its committed corpus (tests/fuzz/corpus/NAME), which is
# left untouched. Prints per target the executions, their rate and the
# coverage reached (cov: edges, ft: features); exits non-zero when a target
# crashed, naming the input that did it.
#
# usage: run-fuzzers.sh BUILD_DIR SECONDS
#   BUILD_DIR: set up with CC=clang meson setup BUILD_DIR -Dfuzzing=true \
#              -Db_sanitize=address,undefined -Db_lundef=false
set -eu

usage() {
	echo "usage: $0 BUILD_DIR SECONDS" >&2
	exit 2
}
[ $# -eq 2 ] || usage
build=$1
seconds=$2
case $seconds in
'' | *[!0-9]*) usage ;;
esac
[ "$seconds" -gt 0 ] || usage

here=$(cd "$(dirname "$0")" && pwd)
[ -d "$build" ] || {
	echo "$0: no build directory $build" >&2
	exit 2
}
build=$(cd "$build" && pwd)
# Crash inputs and logs outlive the run: they go to the build directory.
out=$build/tests/fuzz/run
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/tunecho-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

# UBSan only prints and goes on unless told to stop; make it a crash.
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:abort_on_error=1:print_stacktrace=1}
ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS ASAN_OPTIONS

status=0
summary=
for name in packet config reasm link ipin; do
	exe=$build/tests/fuzz/fuzz-$name
	corpus=$here/corpus/$name
	if [ ! -x "$exe" ]; then
		echo "$0: $exe is missing: set up $build with CC=clang and -Dfuzzing=true," \
			"then ninja -C $build" >&2
		exit 2
	fi
	mkdir -p "$work/$name" "$out/$name"
	cp "$corpus"/* "$work/$name"/
	log=$out/$name.log

	seeds=$(find "$corpus" -type f | wc -l)
	echo "== fuzz-$name: $seconds s from $seeds seeds"
	rc=0
	"$exe" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
		-artifact_prefix="$out/$name/" "$work/$name" >"$log" 2>&1 || rc=$?

	# "#123456  DONE   cov: 345 ft: 1234 corp: ..." (or the last progress line)
	last=$(grep 'cov: ' "$log" | tail -n 1)
	cov=$(printf '%s\n' "$last" | sed -n 's/.*cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.*ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s\n' "$last" | sed -n 's/.*corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p')
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
	line="fuzz-$name: ${execs:-?} executions (${rate:-?}/s), cov: ${cov:-?} ft: ${ft:-?}, corpus ${corp:-?}"
	echo "$line"

	if [ "$rc" -ne 0 ]; then
		status=1
		line="$line: FAILED (exit $rc)"
		echo "-- fuzz-$name failed (exit $rc); the end of $log:"
		tail -n 60 "$log"
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
		if [ -n "$crash" ]; then
			echo "-- crashing input: $crash"
			echo "   reproduce: $exe $crash"
			echo "   once understood, keep it as a regression test (replayed by" \
				"meson test --suite fuzz):"
			echo "   cp $crash $corpus/regress-$(basename "$crash")"
		else
			echo "-- no crashing input was written; see $log"
		fi
	fi
	summary="$summary$line
"
done

echo "== summary"
printf '%s' "$summary"
exit $status

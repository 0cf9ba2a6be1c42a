#!/bin/bash
# Replay each target's seed corpus (fuzz/corpus/<target>), then fuzz it for SECONDS with
# new inputs in a temporary work corpus (the committed seeds are never modified). Crash
# inputs are kept in OUTDIR/artifacts/. Prints one line per target and a final
# "N passed, N failed"; exits non-zero when any target fails.
# Usage: fuzz/run.sh OUTDIR SECONDS
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUTDIR SECONDS" >&2; exit 2; }
cd "$(dirname "$0")/.."
out=$1 secs=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/artifacts"
passed=0 failed=0
for bin in "$out"/fuzz_*; do
	[ -x "$bin" ] || continue
	name=$(basename "$bin")
	seeds=fuzz/corpus/${name#fuzz_}
	log="$out/$name.log"
	mkdir -p "$work/$name"
	echo "run.sh: $name: replay $(ls "$seeds" | wc -l) seeds, fuzz ${secs}s" >&2
	if timeout $((secs + 120)) "$bin" -runs=0 -artifact_prefix="$out/artifacts/$name-" \
		"$seeds" >"$log" 2>&1 &&
		timeout $((secs + 120)) "$bin" -max_total_time="$secs" -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$out/artifacts/$name-" \
			"$work/$name" "$seeds" >>"$log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 || true)
		echo "PASS $name (${runs:-no run count})"
		passed=$((passed + 1))
	else
		echo "FAIL $name (see $log)"
		grep -m5 -E 'ERROR|invariant|SUMMARY' "$log" || true
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

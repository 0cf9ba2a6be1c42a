#!/bin/bash
# Replay each target's seed corpus (fuzz/corpus/<target>), then fuzz it for SECONDS with
# new inputs in a temporary work corpus (the committed seeds are never modified). Crash
# inputs are kept in OUTDIR/artifacts/. Runs FUZZ_JOBS targets at a time (default 2).
# Prints one line per target, in name order, and a final "N passed, N failed"; exits
# non-zero when any target fails.
# Usage: fuzz/run.sh OUTDIR SECONDS
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 OUTDIR SECONDS" >&2; exit 2; }
cd "$(dirname "$0")/.."
out=$1 secs=$2
jobs=${FUZZ_JOBS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/artifacts"

run_target() { # BIN: replay, then fuzz; writes the PASS/FAIL line to $work/NAME.result
	local bin=$1 name seeds log runs
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
		echo "PASS $name (${runs:-no run count})" >"$work/$name.result"
	else
		{ echo "FAIL $name (see $log)"
		  grep -m5 -E 'ERROR|invariant|SUMMARY' "$log" || true; } >"$work/$name.result"
	fi
}

names=()
for bin in "$out"/fuzz_*; do
	[ -x "$bin" ] || continue
	names+=("$(basename "$bin")")
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
	run_target "$bin" &
done
wait
passed=0 failed=0
for name in "${names[@]}"; do
	if [ -f "$work/$name.result" ]; then
		cat "$work/$name.result"
		if head -1 "$work/$name.result" | grep -q '^PASS'; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
	else
		echo "FAIL $name (no result: the runner died)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]

#!/usr/bin/env bash
# Write docs/BENCHMARKS.md from a report made by bench/run.sh.
# Usage: publish.sh REPORT.md "RUN.SH ARGUMENTS" > docs/BENCHMARKS.md
set -euo pipefail
report=$1 args=$2
printf '# Benchmarks\n\n'
printf 'Produced by `bench/run.sh %s` on the machine below (methodology:\n' "$args"
printf '`bench/README.md`). Numbers come from one machine and one session: compare systems\n'
printf 'within a table, not across machines or sessions.\n\n'
sed '1d' "$report"

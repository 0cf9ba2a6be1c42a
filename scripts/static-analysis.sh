#!/usr/bin/env bash
# scripts/static-analysis.sh: cppcheck (warning and portability checks) over the sources
# and unit tests. One case per tool; ends with "N passed, N failed".
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pass=0 fail=0
if out=$(cppcheck --quiet --enable=warning,portability --error-exitcode=1 --inline-suppr \
	-Isrc -D__linux__ -DFUSE_USE_VERSION=314 --suppress=missingIncludeSystem \
	src tests/unit 2>&1); then
	echo "ok 1 - cppcheck --enable=warning,portability src tests/unit"
	pass=$((pass + 1))
else
	printf '%s\n' "$out" | sed 's/^/# /'
	echo "not ok 1 - cppcheck --enable=warning,portability src tests/unit"
	fail=$((fail + 1))
fi
echo "$pass passed, $fail failed"
((fail == 0))

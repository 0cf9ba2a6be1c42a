#!/usr/bin/env bash
# scripts/test.sh: THE test command (README; .ci/run runs exactly this).
#
#   bash scripts/test.sh [STAGE ...]
#
# 1. installs what is missing (scripts/install-deps.sh --test; apt-get, as root),
# 2. builds the normal build (build/) and the ASan+UBSan build (build-san/),
# 3. runs the whole suite, tests/run.sh [STAGE ...], which ends with "N passed, N failed".
# Exits non-zero when the build or any test fails.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
log() { printf '\n==> %s\n' "$*" >&2; }
jobs=$(nproc 2>/dev/null || echo 2)
start=$(date +%s)

log "installing dependencies (scripts/install-deps.sh --test)"
bash scripts/install-deps.sh --test

log "building build/ (make -j$jobs)"
make -j"$jobs"

log "building build-san/ with ASan+UBSan (make SANITIZE=1 -j$jobs)"
make SANITIZE=1 -j"$jobs"

log "running the test suite (tests/run.sh $*)"
set +e
bash tests/run.sh "$@"
rc=$?
set -e
log "scripts/test.sh finished in $(($(date +%s) - start))s with exit status $rc"
exit "$rc"

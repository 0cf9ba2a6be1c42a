#!/usr/bin/env bash
# tests/windows/run.sh: the Windows build (docs/WINDOWS.md) cross-built and run under wine:
#   - installs the windows packages when missing (scripts/install-deps.sh --windows: the
#     mingw-w64 cross compiler, libgcrypt for mingw-w64, wine64);
#   - builds `make windows` (build-win/unit-tests.exe);
#   - makes a fresh wine prefix (removed at exit; WINEDEBUG=-all, no X display needed) and
#     runs build-win/unit-tests.exe under wine64: one case here per unit test there, the
#     FORMAT.md vectors among them.
# A missing tool, a failed cross build, a wine that does not start or an .exe that dies
# before its count are failures, never skips. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight windows.sh
cd "$repo"

T_WORK=$(mktemp -d /tmp/veilfs-windows.XXXXXX)
t_on_exit t_cleanup
WINE64=${WINE64:-/usr/lib/wine/wine64}
WINESERVER=${WINESERVER:-/usr/lib/wine/wineserver}

# abort NAME DETAIL: one failure, the count, and stop (nothing later can run).
abort() {
	notok "$1" "$2"
	t_summary || true
	exit 1
}

if bash scripts/install-deps.sh --windows >"$T_WORK/deps.log" 2>&1; then
	ok "windows packages installed (scripts/install-deps.sh --windows)"
else
	abort "windows packages installed" "$(tail -n 3 "$T_WORK/deps.log")"
fi
for tool in x86_64-w64-mingw32-gcc-posix "$WINE64" "$WINESERVER"; do
	command -v "$tool" >/dev/null || abort "tool $tool present" "not found"
done

start=$(date +%s)
if make -j2 windows >"$T_WORK/make.log" 2>&1; then
	ok "make windows builds build-win/unit-tests.exe ($(($(date +%s) - start)) s)"
else
	abort "make windows" "$(grep -m 3 -E 'error|Error' "$T_WORK/make.log")"
fi

# A prefix of our own, stopped and removed at exit (the wineserver first: it holds it).
export WINEDEBUG=-all WINEPREFIX=$T_WORK/wineprefix
t_defer_eval "\"$WINESERVER\" -k 2>/dev/null; true"
start=$(date +%s)
if timeout 300 "$WINE64" wineboot -i >"$T_WORK/wineboot.log" 2>&1; then
	ok "wine64 starts headless in a fresh prefix ($(($(date +%s) - start)) s)"
else
	abort "wine64 wineboot" "$(tail -n 3 "$T_WORK/wineboot.log")"
fi

# run_wine EXE ARGS...: run a Windows program, time-limited; its stdout without the CRs of
# the Windows text mode.
run_wine() {
	timeout 600 "$WINE64" "$@" | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# One case per unit test of the .exe; its own count line must be there and agree.
unit_tests() {
	local out=$T_WORK/unit.out rc=0 line n_ok n_bad
	run_wine build-win/unit-tests.exe >"$out" 2>"$T_WORK/unit.err" || rc=$?
	while IFS= read -r line; do
		case $line in
		"ok "*) ok "unit-tests.exe: ${line#ok * - }" ;;
		"not ok "*) notok "unit-tests.exe: ${line#not ok * - }" ;;
		"#"*) echo "$line" ;;
		esac
	done <"$out"
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1 || true)
	n_ok=$(grep -c '^ok ' "$out" || true)
	n_bad=$(grep -c '^not ok ' "$out" || true)
	# the exit status agrees with the count: 0 exactly when nothing failed
	if [[ $line == "$n_ok passed, $n_bad failed" ]] && ((n_ok > 0 && (rc == 0) == (n_bad == 0))); then
		ok "unit-tests.exe under wine64 ran to its count: $line (exit $rc)"
	else
		notok "unit-tests.exe under wine64 ran to its count" \
			"exit $rc, count line '${line}': $(tail -n 3 "$T_WORK/unit.err")"
	fi
}
unit_tests

t_summary

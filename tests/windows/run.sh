#!/usr/bin/env bash
# tests/windows/run.sh: the Windows build (docs/WINDOWS.md) cross-built and run under wine:
#   - installs the windows packages when missing (scripts/install-deps.sh --windows: the
#     mingw-w64 cross compiler, libgcrypt for mingw-w64, wine64);
#   - builds `make windows` (build-win/unit-tests.exe);
#   - makes a fresh wine prefix (removed at exit; WINEDEBUG=-all, no X display needed) and
#     runs build-win/unit-tests.exe under wine64: one case here per unit test there, the
#     FORMAT.md vectors among them, with wine's heap checks on (a bad free fails the stage);
#   - interop, both ways: a vault made and written on Linux (build/veilfs init, mkdir, put)
#     reads byte-identical with build-win/veilfs.exe under wine (cat, get, ls); a vault
#     made and written by veilfs.exe (init, mkdir, put, rm) reads byte-identical on Linux
#     (build/veilfs cat, get, fsck, and a FUSE mount of it); files of 1000003 bytes, of
#     exactly one block (4096) and empty;
#   - veilfs.exe refuses an XChaCha20-Poly1305 vault (exit 3, "not supported by this
#     build"), a vault whose content key was rotated on Linux (`key revoke`: key epoch 1;
#     libgcrypt has no sealed boxes, exit 3) and `mount` ("not available in this build",
#     exit 2);
#   - no run of veilfs.exe warns under wine's heap checks.
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
	ok "make windows builds build-win/unit-tests.exe and veilfs.exe ($(($(date +%s) - start)) s)"
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

# run_wine EXE ARGS...: run a Windows program under wine64, time-limited. veilfs's .exe
# files write binary standard streams (platform/win32/startup.c): no CRs to strip.
run_wine() {
	timeout 600 "$WINE64" "$@"
}

# One case per unit test of the .exe; its own count line must be there and agree.
unit_tests() {
	local out=$T_WORK/unit.out rc=0 line n_ok n_bad
	# wine's heap checks (warn+heap) stand in for a sanitizer: a double or wild free warns
	WINEDEBUG=warn+heap run_wine build-win/unit-tests.exe >"$out" 2>"$T_WORK/unit.err" || rc=$?
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
	if grep -q ':heap:' "$T_WORK/unit.err"; then
		notok "unit-tests.exe: no heap errors (wine warn+heap)" "$(grep -m 3 ':heap:' "$T_WORK/unit.err")"
	else
		ok "unit-tests.exe: no heap errors (wine warn+heap)"
	fi
}
unit_tests

# ---- interop ----
T_PASSFILE=$T_WORK/pw
echo pw >"$T_PASSFILE"
chmod 600 "$T_PASSFILE"
head -c 1000003 /dev/urandom >"$T_WORK/big"
head -c 4096 /dev/urandom >"$T_WORK/block"
: >"$T_WORK/empty"
# (wine's own winepath writes text mode: CRLF)
if ! WT=$(run_wine winepath -w "$T_WORK" | tr -d '\r') || [[ -z $WT ]]; then
	abort "winepath -w names the work directory" "no Windows path for $T_WORK"
fi
# win CMD ARGS...: build-win/veilfs.exe CMD with the test password; rc, out and err set.
win() {
	local cmd=$1
	shift
	rc=0
	WINEDEBUG=warn+heap run_wine build-win/veilfs.exe "$cmd" --passfile "$WT\\pw" "$@" \
		>"$T_WORK/out" 2>"$T_WORK/err" || rc=$?
	grep ':heap:' "$T_WORK/err" >>"$T_WORK/heap.log" || true
}
# lin CMD ARGS...: build/veilfs CMD with the test password; rc set, stdout in out.
lin() {
	local cmd=$1
	shift
	rc=0
	timeout 120 "$VEILFS" "$cmd" --passfile "$T_PASSFILE" "$@" >"$T_WORK/out" \
		2>"$T_WORK/err" || rc=$?
}
expect_ok() { # NAME: ok when the last command exited 0
	if ((rc == 0)); then ok "$1"; else notok "$1" "exit $rc: $(grep -v diskperf "$T_WORK/err")"; fi
}
same() { # NAME A B: ok when the files are byte-identical
	if cmp -s "$2" "$3"; then ok "$1"; else notok "$1" "$2 and $3 differ"; fi
}

# Linux writes, wine reads.
new_vault "$T_WORK/lx" --no-recovery-key
lin mkdir "$T_WORK/lx" /d && lin put "$T_WORK/lx" "$T_WORK/big" /big &&
	lin put "$T_WORK/lx" "$T_WORK/block" /d/block && lin put "$T_WORK/lx" "$T_WORK/empty" /d/empty
expect_ok "build/veilfs init, mkdir and put a vault"
win cat "$WT\\lx" /big
expect_ok "veilfs.exe cat of a file put on Linux"
same "veilfs.exe cat: 1000003 bytes byte-identical" "$T_WORK/out" "$T_WORK/big"
win get "$WT\\lx" /d/block "$WT\\got-block"
expect_ok "veilfs.exe get of a one-block file put on Linux"
same "veilfs.exe get: 4096 bytes byte-identical" "$T_WORK/got-block" "$T_WORK/block"
win get "$WT\\lx" /d/empty "$WT\\got-empty"
same "veilfs.exe get: the empty file" "$T_WORK/got-empty" "$T_WORK/empty"
win ls "$WT\\lx" /d
if ((rc == 0)) && [[ $(sort "$T_WORK/out" | tr '\n' ' ') == "block empty " ]]; then
	ok "veilfs.exe ls lists the directory made on Linux"
else
	notok "veilfs.exe ls lists the directory made on Linux" "exit $rc: $(cat "$T_WORK/out")"
fi

# the other password sources: --extpass (cmd.exe through _popen) and a pipe on stdin
rc=0
run_wine build-win/veilfs.exe ls --extpass "echo pw" "$WT\\lx" /d >"$T_WORK/out" \
	2>"$T_WORK/err" || rc=$?
expect_ok "veilfs.exe --extpass: the command's first line is the password"
rc=0
echo pw | run_wine build-win/veilfs.exe ls "$WT\\lx" /d >"$T_WORK/out" 2>"$T_WORK/err" || rc=$?
expect_ok "veilfs.exe: the password piped on standard input"
rc=0
echo wrong | run_wine build-win/veilfs.exe ls "$WT\\lx" /d >"$T_WORK/out" 2>"$T_WORK/err" || rc=$?
if ((rc == 1)); then ok "veilfs.exe: a wrong password exits 1"; else notok "veilfs.exe: a wrong password exits 1" "exit $rc"; fi

# wine writes, Linux reads (the offline commands, fsck and a FUSE mount).
mkdir -p "$T_WORK/wx"
win init --kdf-memory 8 --kdf-time 1 --no-recovery-key "$WT\\wx"
expect_ok "veilfs.exe init"
win mkdir "$WT\\wx" /sub && win put "$WT\\wx" "$WT\\big" /sub/big &&
	win put "$WT\\wx" "$WT\\block" /block && win put "$WT\\wx" "$WT\\empty" /empty &&
	win put "$WT\\wx" "$WT\\block" /gone && win rm "$WT\\wx" /gone
expect_ok "veilfs.exe mkdir, put and rm"
lin cat "$T_WORK/wx" /sub/big
same "build/veilfs cat of a file put under wine: byte-identical" "$T_WORK/out" "$T_WORK/big"
lin get "$T_WORK/wx" /block "$T_WORK/lgot-block"
same "build/veilfs get of a one-block file put under wine" "$T_WORK/lgot-block" "$T_WORK/block"
lin fsck "$T_WORK/wx"
expect_ok "build/veilfs fsck of the vault veilfs.exe wrote: no problems"
if vmount "$T_WORK/wx" "$T_WORK/m" >"$T_WORK/mount.log" 2>&1; then
	same "FUSE mount: the big file put under wine" "$T_WORK/m/sub/big" "$T_WORK/big"
	same "FUSE mount: the one-block file" "$T_WORK/m/block" "$T_WORK/block"
	same "FUSE mount: the empty file" "$T_WORK/m/empty" "$T_WORK/empty"
	if [[ ! -e $T_WORK/m/gone ]]; then
		ok "FUSE mount: the file rm removed is gone"
	else
		notok "FUSE mount: the file rm removed is gone"
	fi
	vumount "$T_WORK/m" || notok "veilfs umount" "exit $?"
else
	notok "FUSE mount of the vault veilfs.exe wrote" "$(cat "$T_WORK/mount.log")"
fi

# What this build cannot do, said so.
new_vault "$T_WORK/xc" --cipher xchacha20-poly1305 --no-recovery-key
win ls "$WT\\xc" /
if ((rc == 3)) && grep -q "cipher xchacha20-poly1305 is not supported by this build" "$T_WORK/err"; then
	ok "veilfs.exe refuses an XChaCha20-Poly1305 vault (exit 3)"
else
	notok "veilfs.exe refuses an XChaCha20-Poly1305 vault (exit 3)" "exit $rc: $(cat "$T_WORK/err")"
fi
# a vault whose content key was rotated on Linux (key revoke: key epoch 1) is refused
echo pw2 >"$T_WORK/pw2"
chmod 600 "$T_WORK/pw2"
new_vault "$T_WORK/ep" --no-recovery-key
rc=0
{ timeout 120 "$VEILFS" key add --passfile "$T_PASSFILE" --label second \
	--new-passfile "$T_WORK/pw2" "$T_WORK/ep" &&
	timeout 120 "$VEILFS" key revoke --passfile "$T_PASSFILE" --label second "$T_WORK/ep"
} >"$T_WORK/out" 2>"$T_WORK/err" || rc=$?
expect_ok "build/veilfs key add and key revoke (key epoch 1)"
win ls "$WT\\ep" /
if ((rc == 3)) && grep -q "content key was rotated.*which this build cannot open" "$T_WORK/err"; then
	ok "veilfs.exe refuses a vault of key epoch 1 (exit 3)"
else
	notok "veilfs.exe refuses a vault of key epoch 1 (exit 3)" "exit $rc: $(cat "$T_WORK/err")"
fi
rc=0
run_wine build-win/veilfs.exe mount "$WT\\wx" "$WT\\m2" >/dev/null 2>"$T_WORK/err" || rc=$?
if ((rc == 2)) && grep -q "not available in this build" "$T_WORK/err"; then
	ok "veilfs.exe mount: not available in this build (exit 2)"
else
	notok "veilfs.exe mount: not available in this build (exit 2)" "exit $rc: $(cat "$T_WORK/err")"
fi

if [[ -s $T_WORK/heap.log ]]; then
	notok "veilfs.exe: no heap errors in the interop runs (wine warn+heap)" \
		"$(head -n 3 "$T_WORK/heap.log")"
else
	ok "veilfs.exe: no heap errors in the interop runs (wine warn+heap)"
fi

t_summary

#!/usr/bin/env bash
# tests/lib.sh: the one helper library of the veilfs test scripts (sourced by tests/mount/,
# tests/cli/, tests/fsck/, tests/setup/, tests/integration/ and tests/shared/ scripts).
#
# Owns: result counting (ok/notok, the final "N passed, N failed"), the work directory,
# vault creation with a cheap KDF, mounting through `veilfs mount` with every mount point
# and daemon pid remembered, and the cleanup that an EXIT trap runs so that every mount is
# unmounted and every daemon stopped even when a check fails or the run is interrupted.
# Mounts of other FUSE file systems a script makes itself (bindfs, sshfs) go into T_MOUNTS
# too; other cleanup steps (temp dirs outside T_WORK) are pushed with t_defer.

T_PASS=0
T_FAIL=0
T_SKIP=0
T_N=0
T_MOUNTS=()	# mount points we mounted (cleanup unmounts those still mounted)
T_PIDS=()	# daemon pids we saw (cleanup kills those still alive)
T_DEFERRED=()	# cleanup steps pushed with t_defer (run newest first)
T_KEEP=${VEILFS_KEEP:-0}

t_log() { printf '[%s %(%H:%M:%S)T] %s\n' "${0##*/}" -1 "$*" >&2; }
ok() { T_N=$((T_N + 1)); T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"; }
# notok NAME [DETAIL]
notok() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1${2:+: $2}"; }
skip() { T_N=$((T_N + 1)); T_SKIP=$((T_SKIP + 1)); echo "ok $T_N - $1 # SKIP $2"; }
# check NAME CMD...: ok when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "command failed: $*"; fi
}

# t_preflight SCRIPT [WHY_ROOT]: set VEILFS (default: build/veilfs of this tree) and exit 2
# with a message when it is missing, or when WHY_ROOT is given and we are not root.
t_preflight() {
	local here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	VEILFS=${VEILFS:-$here/build/veilfs}
	if [[ -n ${2:-} && $(id -u) -ne 0 ]]; then
		echo "$1: run as root ($2)" >&2
		exit 2
	fi
	[[ -x $VEILFS ]] || { echo "$1: no veilfs binary at $VEILFS" >&2; exit 2; }
}

T_SUMMARY_DONE=0
# t_summary: print "N passed, N failed[, N skipped]"; true when nothing failed.
t_summary() {
	T_SUMMARY_DONE=1
	if [ "$T_SKIP" -gt 0 ]; then
		echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	else
		echo "$T_PASS passed, $T_FAIL failed"
	fi
	[ "$T_FAIL" -eq 0 ]
}

# t_on_exit CMD: run CMD (t_cleanup, or a script's own finish) when the script exits;
# INT and TERM become exits 130 and 143, so that CMD runs for them too.
t_on_exit() {
	trap "$1" EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# --- mounts ---

# is_mounted DIR: DIR (canonical) is a mount point in our mount namespace.
is_mounted() {
	local d
	d=$(realpath -m "$1")
	awk -v d="$d" '{ m = $5; gsub(/\\040/, " ", m); if (m == d) f = 1 } END { exit !f }' \
		/proc/self/mountinfo
}

# mount_type DIR: the fstype of the topmost mount at DIR (empty if none).
mount_type() {
	local d
	d=$(realpath -m "$1")
	awk -v d="$d" '{ m = $5; gsub(/\\040/, " ", m); if (m == d) { for (i = 7; i <= NF; i++) if ($i == "-") { t = $(i + 1); break } } } END { print t }' \
		/proc/self/mountinfo
}

# pidfile_of DIR: the daemon's pid file for mount point DIR (see docs/MOUNT.md).
pidfile_of() {
	local d h
	d=$(realpath -m "$1")
	h=$(printf '%s' "$d" | sha256sum | cut -d' ' -f1)
	if [ "$(id -u)" -eq 0 ]; then
		echo "/run/veilfs/$h.pid"
	elif [ -n "${XDG_RUNTIME_DIR:-}" ]; then
		echo "$XDG_RUNTIME_DIR/veilfs/$h.pid"
	else
		echo "/tmp/veilfs-$(id -u)/$h.pid"
	fi
}

# daemon_pid DIR: the pid recorded for mount point DIR (empty if none).
daemon_pid() {
	local f
	f=$(pidfile_of "$1")
	if [ -f "$f" ]; then head -n 1 "$f"; fi
}

# alive PID: process exists and is not a zombie.
alive() {
	local st
	[ -n "$1" ] && [ -e "/proc/$1" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1) || return 1
	[ "$st" != Z ] && [ "$st" != X ]
}

# wait_until SECONDS CMD...: poll CMD every 0.05 s; false on timeout.
wait_until() {
	local limit=$1 i
	shift
	for ((i = 0; i < limit * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

not_mounted() { ! is_mounted "$1"; }
dead() { ! alive "$1"; }

# wait_for SECONDS WHAT CMD...: wait_until with CMD's output discarded and a log line
# naming WHAT on timeout; false on timeout.
wait_for() {
	local limit=$1 what=$2
	shift 2
	wait_until "$limit" "$@" >/dev/null 2>&1 && return 0
	t_log "timed out after ${limit}s waiting for $what"
	return 1
}

# new_vault DIR [init options...]: create a vault with the test password and a cheap KDF.
new_vault() {
	local c=$1
	shift
	mkdir -p "$c"
	"$VEILFS" init --passfile "$T_PASSFILE" --kdf-memory 8 --kdf-time 1 "$@" "$c" >/dev/null
}

# vmount CIPHERDIR MOUNTPOINT [mount options...]: veilfs mount, remembering the mount.
# Returns veilfs's exit status.
vmount() {
	local c=$1 m=$2 rc=0 pid
	shift 2
	mkdir -p "$m"
	T_MOUNTS+=("$m")
	timeout 60 "$VEILFS" mount --passfile "$T_PASSFILE" "$@" "$c" "$m" || rc=$?
	pid=$(daemon_pid "$m")
	[ -n "$pid" ] && T_PIDS+=("$pid")
	return $rc
}

# vumount MOUNTPOINT: veilfs umount; returns its exit status.
vumount() {
	timeout 60 "$VEILFS" umount "$1"
}

# force_unmount DIR: last-resort cleanup of one mount point: `veilfs umount` for a veilfs
# mount, fusermount3 -u for another FUSE mount, then a lazy unmount.
force_unmount() {
	local m=$1
	is_mounted "$m" || return 0
	if [[ $(mount_type "$m") == fuse.veilfs && -n ${VEILFS:-} ]]; then
		timeout 40 "$VEILFS" umount "$m" >/dev/null 2>&1 && return 0
	else
		timeout 40 fusermount3 -u "$m" >/dev/null 2>&1 && return 0
	fi
	fusermount3 -u -z "$m" >/dev/null 2>&1 || umount -l "$m" >/dev/null 2>&1 || true
}

# --- the cleanup stack ---
# t_defer CMD [ARGS...]: push one cleanup step (arguments kept as given); t_defer_eval
# STRING: push one given as a shell string. t_cleanup runs the steps newest first, after
# it has unmounted T_MOUNTS (the mounts on top of what the steps stop), and logs one that
# fails; a script (or the bed libraries, tests/beds/lib.sh) may run them earlier.
t_defer() {
	T_DEFERRED+=("$(printf '%q ' "$@")")
}
t_defer_eval() {
	T_DEFERRED+=("$1")
}

# t_run_deferred [N]: run (newest first) and drop the steps pushed after the stack had N
# entries (default 0: all of them); stdin from /dev/null. A step that calls it again (an
# exit inside a step) finds the steps already taken off.
t_run_deferred() {
	local keep=${1:-0} i cmd
	for ((i = ${#T_DEFERRED[@]} - 1; i >= keep; i--)); do
		cmd=${T_DEFERRED[$i]}
		unset 'T_DEFERRED[$i]'
		eval "$cmd" </dev/null || t_log "cleanup step failed: $cmd"
	done
	T_DEFERRED=("${T_DEFERRED[@]:0:$keep}")
}

# t_unmount_all: unmount every mount point vmount mounted and stop leftover daemons.
t_unmount_all() {
	local m p
	for m in "${T_MOUNTS[@]}"; do
		force_unmount "$m"
		# the log a daemon writes next to its pid file when there is no syslog daemon
		p=$(pidfile_of "$m")
		rm -f "${p%.pid}.log"
	done
	for p in "${T_PIDS[@]}"; do
		if alive "$p" && grep -q veilfs "/proc/$p/comm" 2>/dev/null; then
			t_log "killing leftover daemon $p"
			kill -TERM "$p" 2>/dev/null
			wait_until 5 dead "$p" || kill -KILL "$p" 2>/dev/null
		fi
	done
}

# t_cleanup (the EXIT trap): unmount what vmount mounted (and what else is in T_MOUNTS),
# stop leftover daemons, run the t_defer steps, remove T_WORK (kept on failure or with
# VEILFS_KEEP=1). A script that ends before t_summary (set -e, a failed setup step) gets
# one failure "script aborted" and its count line.
t_cleanup() {
	local rc=$?
	set +e
	if [ "$T_SUMMARY_DONE" -eq 0 ]; then
		notok "script aborted" "exit status $rc before the summary"
		t_summary
		[ "$rc" -ne 0 ] || rc=1
	fi
	t_unmount_all
	t_run_deferred
	if [ -n "${T_WORK:-}" ] && [ -d "$T_WORK" ]; then
		if [ "$T_KEEP" = 1 ] || [ "$T_FAIL" -ne 0 ]; then
			t_log "work directory kept: $T_WORK"
		else
			rm -rf --one-file-system "$T_WORK"
		fi
	fi
	exit $rc
}

# --- cases in processes of their own (tests/cli/cli_tests.sh, tests/cli/keyslots.sh) ---
# A script defines test_NAME functions and ends with `t_run_cases PREFIX LIMIT [FILTER]`,
# which runs each (whose name contains FILTER) as `SCRIPT --one WORK NAME` under a time
# limit of LIMIT seconds, with stdin from /dev/null and $T its own temp directory, counts
# it with ok/notok/skip and prints the summary. The helpers below fail the case (exit 1)
# with a message on stderr; skip_case ends it as skipped (exit 77).
die() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
skip_case() { printf 'SKIP: %s\n' "$*" >&2; exit 77; }

# run CMD...: run with the caller's stdin; sets rc, out, err.
run() {
	set +e
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	set -e
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
# expect_rc N CMD...: run and require exit status N.
expect_rc() {
	local want=$1
	shift
	run "$@"
	[[ $rc == "$want" ]] || die "'$*' exited $rc, expected $want; out: $out; stderr: $err"
}
contains() { [[ $1 == *"$2"* ]] || die "expected to find '$2' in: $1"; }
lacks() { [[ $1 != *"$2"* ]] || die "did not expect '$2' in: $1"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# pwfile NAME PASSWORD: write PASSWORD to $T/NAME, mode 0600.
pwfile() { printf '%s\n' "$2" >"$T/$1" && chmod 600 "$T/$1"; }

# t_cases_cleanup WORK: unmount whatever is still mounted below WORK (never delete through a
# live mount), remove the logs those daemons left beside their pid files, remove WORK.
t_cases_cleanup() {
	local work=$1 m p
	for m in $(grep -o " $work/[^ ]*" /proc/self/mounts 2>/dev/null || true); do
		fusermount3 -uz "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for m in $(find "$work" -mindepth 2 -maxdepth 2 -type d 2>/dev/null); do
		p=$(pidfile_of "$m")
		rm -f "${p%.pid}.log"
	done
	rm -rf "$work" || true
}

# t_run_cases PREFIX LIMIT [FILTER]: the runner described above (work dir
# $TMPDIR/veilfs-PREFIX.XXXXXX); returns non-zero when a case failed.
t_run_cases() {
	local prefix=$1 limit=$2 filter=${3:-} script=$0 t rc
	T_CASES_WORK=$(mktemp -d "${TMPDIR:-/tmp}/veilfs-$prefix.XXXXXX")
	t_on_exit 't_cases_cleanup "$T_CASES_WORK"'
	for t in $(declare -F | awk '{print $3}' | sed -n 's/^test_//p'); do
		[[ -z $filter || $t == *"$filter"* ]] || continue
		set +e
		timeout --kill-after=10 "$limit" bash "$script" --one "$T_CASES_WORK" "$t" \
			</dev/null >"$T_CASES_WORK/$t.log" 2>&1
		rc=$?
		set -e
		case $rc in
		0) ok "$t" ;;
		77) skip "$t" "$(grep '^SKIP' "$T_CASES_WORK/$t.log" | tail -n 1)" ;;
		*)
			((rc == 124)) && echo "#   timed out after ${limit}s"
			notok "$t" "exit $rc"
			sed 's/^/#   /' "$T_CASES_WORK/$t.log" | tail -n 15
			;;
		esac
	done
	t_summary
}

# t_case_main ARGS...: when called as `SCRIPT --one WORK NAME`, run test_NAME in $T=WORK/NAME
# and exit; otherwise return.
t_case_main() {
	[[ ${1:-} == --one ]] || return 0
	T=$2/$3
	mkdir -p "$T"
	"test_$3"
	exit 0
}

# free_port: a loopback TCP port P with P+1 free too (swtpm's server and control ports).
free_port() {
	python3 -c '
import socket
while True:
    a = socket.socket(); a.bind(("127.0.0.1", 0)); p = a.getsockname()[1]
    b = socket.socket()
    try:
        b.bind(("127.0.0.1", p + 1))
    except OSError:
        continue
    print(p); break'
}

# swtpm_start STATEDIR LOG: a software TPM 2.0 (swtpm) on a free loopback port pair, its
# state in STATEDIR; sets SWTPM_PID (a child of the caller, which must stop it) and
# TPM_PORT, exports TPM2TOOLS_TCTI to reach it, and returns once it accepts connections.
swtpm_start() {
	local i
	command -v swtpm >/dev/null || skip_case "swtpm is not installed (scripts/install-deps.sh --test)"
	mkdir -p "$1"
	TPM_PORT=$(free_port)
	swtpm socket --tpm2 --server "type=tcp,port=$TPM_PORT,bindaddr=127.0.0.1" \
		--ctrl "type=tcp,port=$((TPM_PORT + 1)),bindaddr=127.0.0.1" \
		--flags not-need-init,startup-clear --tpmstate "dir=$1" --log "file=$2" &
	SWTPM_PID=$!
	# ready once its server port accepts a connection (it exits at once if it cannot bind)
	for ((i = 0; i < 300; i++)); do
		kill -0 "$SWTPM_PID" 2>/dev/null || die "swtpm exited: $(cat "$2" 2>/dev/null)"
		(exec 3<>"/dev/tcp/127.0.0.1/$TPM_PORT") 2>/dev/null && break
		sleep 0.1
	done
	if ((i >= 300)); then
		kill "$SWTPM_PID" 2>/dev/null || true
		wait "$SWTPM_PID" 2>/dev/null || true
		die "swtpm never accepted a connection on port $TPM_PORT"
	fi
	export TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=$TPM_PORT"
}

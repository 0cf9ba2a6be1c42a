#!/usr/bin/env bash
# tests/beds/lib.sh: what the network-share test beds add to tests/lib.sh.
#
# Owns: the EXIT trap of a bed script, one bed in a subshell of its own, free loopback
# port picking, unmounting a lower client's mount, stopping a server by pid, and building
# the C tools of this directory. Logging (t_log, die), waiting (wait_until, wait_for),
# mount and pid checks (is_mounted, alive) and the cleanup stack (t_defer, t_run_deferred)
# are tests/lib.sh's, which this file sources.
# Source it (bash, set -euo pipefail); the bed libraries source it themselves.
#
# On sourcing, an EXIT trap (bed_on_exit) that unmounts what vmount mounted and runs the
# cleanup stack is installed, and INT/TERM turn into an exit so that the EXIT trap runs.
# A caller with its own EXIT trap must call t_run_deferred from it (or use t_cleanup,
# which does both).

if [[ -n "${BED_LIB_LOADED:-}" ]]; then
	return 0
fi
BED_LIB_LOADED=1
BED_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=tests/lib.sh
source "$BED_DIR/../lib.sh"

bed_on_exit() {
	local rc=$?
	trap - EXIT
	set +e
	t_unmount_all
	t_run_deferred
	exit "$rc"
}

# bed_subshell NAME CMD [ARGS...]: run one bed's script in a subshell with its own
# cleanup stack and mounts, so a bed that fails to start is torn down and recorded (by the
# caller's `record BED CHECK STATUS DETAIL`), and the next bed still runs. The subshell
# runs in the background and is waited for: a subshell tested with `||` would run with
# errexit off, and a failed step would go on unnoticed.
bed_subshell() {
	local name=$1 rc=0
	shift
	(
		# shellcheck disable=SC2034 # the cleanup stack and mounts of this subshell
		T_DEFERRED=() T_MOUNTS=() T_PIDS=()
		trap bed_on_exit EXIT
		"$@"
	) &
	wait $! || rc=$?
	if ((rc != 0)); then
		record "$name" "bed run" FAIL "bed script exited with $rc (see messages above)"
	fi
}

trap bed_on_exit EXIT
trap 't_log "interrupted"; exit 130' INT
trap 't_log "terminated"; exit 143' TERM

# bed_port_in_use PORT: true if something listens on TCP PORT (any address).
bed_port_in_use() {
	[[ -n "$(ss -Htln "sport = :$1" 2>/dev/null)" ]]
}

# bed_free_port: print a TCP port in 20000-59999 that nobody listens on and that
# no earlier bed_free_port call of this shell handed out.
BED_PORTS_GIVEN=" "
bed_free_port() {
	local i p
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if [[ "$BED_PORTS_GIVEN" == *" $p "* ]]; then
			continue
		fi
		if ! bed_port_in_use "$p"; then
			BED_PORTS_GIVEN+="$p "
			echo "$p"
			return 0
		fi
	done
	t_log "no free port found"
	return 1
}

# bed_umount DIR: unmount a FUSE mount (fusermount3 -u, then lazy umount) and
# wait until it is gone.
bed_umount() {
	local d=$1
	is_mounted "$d" || return 0
	fusermount3 -u "$d" 2>/dev/null || fusermount -u "$d" 2>/dev/null ||
		umount "$d" 2>/dev/null || true
	if wait_for 5 "unmount of $d" not_mounted "$d"; then
		return 0
	fi
	t_log "lazy-unmounting $d"
	umount -l "$d" 2>/dev/null || fusermount3 -uz "$d" 2>/dev/null || true
	wait_for 5 "lazy unmount of $d" not_mounted "$d"
}

# bed_kill PID [TIMEOUT_S]: TERM the process, KILL it after TIMEOUT_S (3).
bed_kill() {
	local pid=$1 t=${2:-3}
	[[ -n "$pid" ]] || return 0
	alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	if ! wait_for "$t" "pid $pid to exit" dead "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait_for 3 "pid $pid to die" dead "$pid" || return 1
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

# bed_kill_pidfile FILE [TIMEOUT_S]: bed_kill the pid stored in FILE.
bed_kill_pidfile() {
	local pid
	[[ -s "$1" ]] || return 0
	pid="$(tr -dc 0-9 <"$1")"
	bed_kill "$pid" "${2:-3}"
}

# bed_need CMD...: fail unless every CMD is installed.
bed_need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || [[ -x "$c" ]] ||
			die "'$c' is not installed (run tests/beds/install-deps.sh)"
	done
}

# bed_build_tools: compile the C tools of this directory into $BED_BIN
# (default: a temp dir removed at exit) and export BED_BIN.
bed_build_tools() {
	local t
	if [[ -z "${BED_BIN:-}" ]]; then
		BED_BIN="$(mktemp -d /tmp/beds-bin.XXXXXX)"
		t_defer rm -rf "$BED_BIN"
	fi
	mkdir -p "$BED_BIN"
	for t in twoclient_block appendlog lockprobe; do
		cc -O2 -Wall -Wextra -Werror -o "$BED_BIN/$t" "$BED_DIR/$t.c" ||
			die "cannot build '$t'"
	done
	export BED_BIN
}

# bed_time_ms: milliseconds since the epoch.
bed_time_ms() {
	echo $(($(date +%s%N) / 1000000))
}

#!/usr/bin/env bash
# tests/beds/lib.sh: common helpers for the network-share test beds.
#
# Owns: logging to stderr, bounded wait loops, free loopback port picking,
# and the cleanup stack that an EXIT trap runs so that every mount, daemon
# and namespace a bed started is stopped even on failure or Ctrl-C.
# Source it (bash, set -euo pipefail); the bed libraries source it themselves.
#
# Cleanup stack: `bed_defer CMD...` pushes one command; `bed_cleanup` pops and
# runs all of them in reverse order (errors are logged, never fatal).  On
# sourcing, an EXIT trap that runs bed_cleanup is installed, and INT/TERM
# turn into an exit so that the EXIT trap runs.  A caller with its own EXIT
# trap must call bed_cleanup from it (or push its own steps with bed_defer).

if [[ -n "${BED_LIB_LOADED:-}" ]]; then
	return 0
fi
BED_LIB_LOADED=1
BED_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

BED_CLEANUP=()		# stack of shell command strings, run LIFO
BED_CLEANING=0

bed_log() {
	printf '[beds %(%H:%M:%S)T] %s\n' -1 "$*" >&2
}

bed_die() {
	bed_log "error: $*"
	exit 1
}

# bed_quote ARGS...: print ARGS as one shell-quoted command string.
bed_quote() {
	local out="" a
	for a in "$@"; do
		out+="$(printf '%q' "$a") "
	done
	printf '%s' "${out% }"
}

# bed_defer CMD [ARGS...]: push a cleanup step (arguments are quoted).
bed_defer() {
	BED_CLEANUP+=("$(bed_quote "$@")")
}

# bed_defer_eval STRING: push a cleanup step given as a shell string.
bed_defer_eval() {
	BED_CLEANUP+=("$1")
}

# bed_cleanup: run and empty the cleanup stack, newest first.
bed_cleanup() {
	local i cmd
	if ((BED_CLEANING)); then
		return 0
	fi
	BED_CLEANING=1
	for ((i = ${#BED_CLEANUP[@]} - 1; i >= 0; i--)); do
		cmd="${BED_CLEANUP[$i]}"
		unset 'BED_CLEANUP[$i]'
		eval "$cmd" </dev/null || bed_log "cleanup step failed: $cmd"
	done
	BED_CLEANUP=()
	BED_CLEANING=0
}

# bed_cleanup_to N: run cleanup steps pushed after the stack had N entries.
bed_cleanup_to() {
	local keep=$1 i cmd
	for ((i = ${#BED_CLEANUP[@]} - 1; i >= keep; i--)); do
		cmd="${BED_CLEANUP[$i]}"
		unset 'BED_CLEANUP[$i]'
		eval "$cmd" </dev/null || bed_log "cleanup step failed: $cmd"
	done
	BED_CLEANUP=("${BED_CLEANUP[@]:0:$keep}")
}

bed_on_exit() {
	local rc=$?
	trap - EXIT
	bed_cleanup
	exit "$rc"
}

# bed_subshell NAME CMD [ARGS...]: run one bed's script in a subshell with its own
# cleanup stack, so a bed that fails to start is torn down and recorded (by the caller's
# `record BED CHECK STATUS DETAIL`), and the next bed still runs.
bed_subshell() {
	local name=$1 rc=0
	shift
	(
		# shellcheck disable=SC2034 # the cleanup stack of this subshell
		BED_CLEANUP=()
		trap bed_on_exit EXIT
		"$@"
	) || rc=$?
	if ((rc != 0)); then
		record "$name" "bed run" FAIL "bed script exited with $rc (see messages above)"
	fi
}

trap bed_on_exit EXIT
trap 'bed_log "interrupted"; exit 130' INT
trap 'bed_log "terminated"; exit 143' TERM

# bed_wait_for TIMEOUT_S DESCRIPTION CMD [ARGS...]: poll CMD every 0.1 s until
# it succeeds; return 1 (with a message) after TIMEOUT_S seconds.
bed_wait_for() {
	local timeout=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + timeout))
	local n=0 max=$((timeout * 10 + 10))
	while ((n < max)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if ((SECONDS >= deadline)); then
			break
		fi
		sleep 0.1
		n=$((n + 1))
	done
	bed_log "timed out after ${timeout}s waiting for $what"
	return 1
}

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
	bed_log "no free port found"
	return 1
}

# bed_is_mounted DIR: true if DIR is a mount point (reads /proc, never stats
# DIR, so a dead FUSE server cannot hang it).
bed_is_mounted() {
	local d
	d="$(realpath -m "$1")"
	awk -v d="$d" '$2 == d { found = 1 } END { exit !found }' /proc/self/mounts
}

# bed_umount DIR: unmount a FUSE mount (fusermount3 -u, then lazy umount) and
# wait until it is gone.
bed_umount() {
	local d=$1
	bed_is_mounted "$d" || return 0
	fusermount3 -u "$d" 2>/dev/null || fusermount -u "$d" 2>/dev/null ||
		umount "$d" 2>/dev/null || true
	if bed_wait_for 5 "unmount of $d" bed_not_mounted "$d"; then
		return 0
	fi
	bed_log "lazy-unmounting $d"
	umount -l "$d" 2>/dev/null || fusermount3 -uz "$d" 2>/dev/null || true
	bed_wait_for 5 "lazy unmount of $d" bed_not_mounted "$d"
}

bed_not_mounted() {
	! bed_is_mounted "$1"
}

# bed_pid_alive PID: true if PID exists and is not a zombie.
bed_pid_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" || return 1
	[[ -n "$st" && "$st" != Z ]]
}

bed_pid_dead() {
	! bed_pid_alive "$1"
}

# bed_kill PID [TIMEOUT_S]: TERM the process, KILL it after TIMEOUT_S (3).
bed_kill() {
	local pid=$1 t=${2:-3}
	[[ -n "$pid" ]] || return 0
	bed_pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	if ! bed_wait_for "$t" "pid $pid to exit" bed_pid_dead "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		bed_wait_for 3 "pid $pid to die" bed_pid_dead "$pid" || return 1
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
			bed_die "'$c' is not installed (run tests/beds/install-deps.sh)"
	done
}

# bed_build_tools: compile the C tools of this directory into $BED_BIN
# (default: a temp dir removed at exit) and export BED_BIN.
bed_build_tools() {
	local t
	if [[ -z "${BED_BIN:-}" ]]; then
		BED_BIN="$(mktemp -d /tmp/beds-bin.XXXXXX)"
		bed_defer rm -rf "$BED_BIN"
	fi
	mkdir -p "$BED_BIN"
	for t in twoclient_block appendlog lockprobe; do
		cc -O2 -Wall -Wextra -Werror -o "$BED_BIN/$t" "$BED_DIR/$t.c" ||
			bed_die "cannot build '$t'"
	done
	export BED_BIN
}

# bed_time_ms: milliseconds since the epoch.
bed_time_ms() {
	echo $(($(date +%s%N) / 1000000))
}

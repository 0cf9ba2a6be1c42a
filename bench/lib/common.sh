# shellcheck shell=bash
# Shared helpers for the benchmark scripts: logging, timing, cache dropping, daemon sampling.
# Sourced by bench/run.sh and bench/lib/run-one.sh; defines functions only.

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

now() { date +%s.%N; }

# Drop the page, dentry and inode caches (needs root; otherwise we only sync and say so once).
drop_caches() {
	sync
	if [[ -w /proc/sys/vm/drop_caches ]]; then
		echo 3 >/proc/sys/vm/drop_caches
	elif [[ -z ${_warned_drop:-} ]]; then
		_warned_drop=1
		log "warning: cannot write /proc/sys/vm/drop_caches: cold-cache steps run warm"
	fi
}

# Wait (bounded) until PATH is a mount point; fail if PID (optional) dies first.
wait_mounted() {
	local mnt=$1 pid=${2:-} i
	for ((i = 0; i < 200; i++)); do
		mountpoint -q "$mnt" && return 0
		if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
			return 1
		fi
		sleep 0.05
	done
	return 1
}

# Wait (bounded, ~30 s) for PID to exit; kill it if it does not.
wait_exit() {
	local pid=$1 i
	for ((i = 0; i < 600; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.05
	done
	log "warning: pid $pid still alive after unmount, killing it"
	kill "$pid" 2>/dev/null || true
	sleep 0.5
	kill -9 "$pid" 2>/dev/null || true
}

# Unmount a FUSE mount point, lazily as a last resort. Never fails.
fuse_unmount() {
	local mnt=$1
	mountpoint -q "$mnt" || return 0
	fusermount3 -u "$mnt" 2>/dev/null || fusermount3 -uz "$mnt" 2>/dev/null ||
		umount -l "$mnt" 2>/dev/null || log "warning: cannot unmount '$mnt'"
}

# PID of the FUSE daemon serving MNT: a process with /dev/fuse open whose command line
# names MNT (used for daemons that fork away from us, such as `veilfs mount`).
find_daemon_pid() {
	local mnt=$1 abs p arg fd
	abs=$(realpath -m "$mnt")
	for p in /proc/[0-9]*; do
		[[ -r $p/cmdline ]] || continue
		while IFS= read -r -d '' arg; do
			if [[ $arg == "$mnt" || $arg == "$abs" ]]; then
				for fd in "$p"/fd/*; do
					if [[ $(readlink "$fd" 2>/dev/null) == /dev/fuse ]]; then
						echo "${p#/proc/}"
						return 0
					fi
				done
			fi
		done <"$p/cmdline" 2>/dev/null || true
	done
	return 1
}

# utime+stime of PID in clock ticks (all threads), or 0 if PID is empty/gone.
cpu_ticks() {
	local pid=$1 stat rest
	[[ -n $pid && -r /proc/$pid/stat ]] || { echo 0; return; }
	stat=$(<"/proc/$pid/stat") || { echo 0; return; }
	rest=${stat##*) }
	# fields after "(comm) ": state ppid pgrp session tty tpgid flags minflt cminflt
	# majflt cmajflt utime stime
	read -r -a f <<<"$rest"
	echo $((f[11] + f[12]))
}

# VmHWM of PID in KiB, or empty.
vm_hwm_kib() {
	local pid=$1
	[[ -n $pid && -r /proc/$pid/status ]] || return 0
	awk '/^VmHWM:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true
}

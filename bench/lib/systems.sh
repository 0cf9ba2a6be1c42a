# shellcheck shell=bash disable=SC2034 # DATA and DPID are outputs
# The file systems under test: create, mount and unmount each one, and find its daemon.
# Sourced by bench/lib/run-one.sh and bench/run.sh; defines functions only.
#
# Inputs (globals): SYS (plain|bindfs|gocryptfs|securefs|veilfs|veilfs-shared), CIPHER (backing
# directory on the bed), MNT (mount point on local disk), PASSFILE, VEILFS (binary path).
# Outputs of sys_mount: DATA (where workloads run) and DPID (daemon PID, empty for plain).
# Key derivation is set as cheap as each tool allows: it only affects mount time, which is
# not measured, and keeps the KDF's memory out of the daemons' VmHWM.

VEILFS=${VEILFS:-/work/main/build/veilfs}
DPID=
DATA=

sys_create() {
	rm -rf "$CIPHER"
	mkdir -p "$CIPHER" "$MNT"
	case $SYS in
	plain | bindfs) ;;
	gocryptfs)
		gocryptfs -init -q -scryptn 10 -extpass 'echo pw' "$CIPHER" >/dev/null ;;
	securefs)
		# format 4 is securefs's "lite" format (one backing file per file).
		securefs create --format 4 --pbkdf pkcs5-pbkdf2-hmac-sha256 -r 1000 \
			--pass pw "$CIPHER" >/dev/null ;;
	veilfs | veilfs-shared)
		"$VEILFS" init --passfile "$PASSFILE" --kdf-memory 8 --kdf-time 1 "$CIPHER" >/dev/null ;;
	*) die "unknown system '$SYS'" ;;
	esac
}

sys_mount() {
	DPID=
	case $SYS in
	plain)
		DATA=$CIPHER
		return 0 ;;
	bindfs)
		# multithreaded like the encrypting daemons; its race concerns permission
		# mapping, which is not used here
		bindfs -f --multithreaded "$CIPHER" "$MNT" 2>>"$MNT.log" &
		DPID=$! ;;
	gocryptfs)
		gocryptfs -f -q -extpass 'echo pw' "$CIPHER" "$MNT" >>"$MNT.log" 2>&1 &
		DPID=$! ;;
	securefs)
		securefs mount --pass pw "$CIPHER" "$MNT" >>"$MNT.log" 2>&1 &
		DPID=$! ;;
	veilfs | veilfs-shared)
		local extra=()
		[[ $SYS == veilfs-shared ]] && extra=(--shared=auto)
		# `veilfs mount` daemonizes and returns once the mount is live.
		timeout 30 "$VEILFS" mount "${extra[@]}" --passfile "$PASSFILE" "$CIPHER" "$MNT" \
			>>"$MNT.log" 2>&1 || { log "veilfs mount failed: $(tail -n 3 "$MNT.log")"; return 1; }
		DPID=$(find_daemon_pid "$MNT") || DPID= ;;
	esac
	[[ -n $DPID ]] && echo "$DPID" >>"$STATE_PIDS"
	echo "$MNT" >>"$STATE_MNTS"
	if ! wait_mounted "$MNT" "$DPID"; then
		log "$SYS: mount did not come up: $(tail -n 3 "$MNT.log" 2>/dev/null)"
		return 1
	fi
	if [[ -z $DPID ]]; then
		log "$SYS: warning: daemon PID not found, no RSS/CPU figures"
	fi
	DATA=$MNT
}

sys_umount() {
	[[ $SYS == plain ]] && return 0
	if [[ $SYS == veilfs* ]]; then
		timeout 30 "$VEILFS" umount "$MNT" >>"$MNT.log" 2>&1 || fuse_unmount "$MNT"
	else
		fuse_unmount "$MNT"
	fi
	[[ -n $DPID ]] && wait_exit "$DPID"
	DPID=
	return 0
}

# Version string of each system, for the report header.
sys_version() {
	case $1 in
	plain) echo "-" ;;
	bindfs) bindfs --version 2>/dev/null | head -n 1 ;;
	gocryptfs) gocryptfs -version 2>/dev/null | cut -d';' -f1 ;;
	securefs) echo "securefs $(dpkg-query -W -f '${Version}' securefs 2>/dev/null)" ;;
	veilfs*) [[ -x $VEILFS ]] && echo "veilfs (git ${VEILFS_REV:-?}, binary copied at start)" ;;
	esac
}

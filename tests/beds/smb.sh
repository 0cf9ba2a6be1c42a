#!/usr/bin/env bash
# tests/beds/smb.sh: SMB test bed (Samba smbd on loopback + rclone mount clients).
#
# Owns: a throw-away smbd (`smbd -s CONF -F --no-process-group`) on a free
# 127.0.0.1 port with its own lock/state/cache/pid/private/log dirs and a
# tdbsam user (root, random password), serving WORKDIR/export as [share],
# and rclone mounts (smb backend) of the SUBDIRECTORY share/sub
# (= WORKDIR/export/sub): rclone 1.60 made a stray U+FF0E directory at the
# share root when the remote root was the share root.  Each mount has its
# own VFS cache dir and is one "machine".
#
#   source tests/beds/smb.sh
#   smb_bed_start WORKDIR     # sets SMB_BED_PORT, SMB_BED_EXPORT (= WORKDIR/export/sub)
#   smb_bed_mount MNT [EXTRA rclone ARGS...]
#   smb_bed_umount MNT
#   smb_bed_stop              # also run by the EXIT trap
# Client knobs (environment, read at mount time):
#   SMB_BED_CACHE_MODE   --vfs-cache-mode (default writes)
#   SMB_BED_WRITE_BACK   --vfs-write-back (default 5s; rclone uploads a file
#                        this long after its last close; 0s = right after close)
#   SMB_BED_DIR_CACHE    --dir-cache-time (default 1s: the smb backend has no
#                        change notification, so listings are cached this long)
#   SMB_BED_ATTR_TIMEOUT --attr-timeout (default 0s)

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMB_BED_DIR=""
SMB_BED_PORT=""
SMB_BED_EXPORT=""
SMB_BED_PID=""
SMB_BED_USER=root
SMB_BED_PASS=""
SMB_BED_MOUNTS=()		# "MNT:PID"
SMB_BED_NMOUNT=0

smb_bed_start() {
	local w=$1 t0 d
	bed_need smbd smbpasswd rclone
	t0=$(bed_time_ms)
	mkdir -p "$w"
	SMB_BED_DIR="$(realpath "$w")"
	d="$SMB_BED_DIR/samba"
	mkdir -p "$d"/{lock,state,cache,run,private,ncalrpc,log,binddns} "$SMB_BED_DIR/export/sub"
	chmod 700 "$d/private"
	SMB_BED_EXPORT="$SMB_BED_DIR/export/sub"
	SMB_BED_PORT="$(bed_free_port)"
	SMB_BED_PASS="bed-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	cat >"$d/smb.conf" <<CONF
# throw-away smbd for the veilfs SMB test bed: loopback only
[global]
	server role = standalone server
	smb ports = $SMB_BED_PORT
	interfaces = 127.0.0.1
	bind interfaces only = yes
	disable netbios = yes
	lock directory = $d/lock
	state directory = $d/state
	cache directory = $d/cache
	pid directory = $d/run
	private dir = $d/private
	binddns dir = $d/binddns
	ncalrpc dir = $d/ncalrpc
	passdb backend = tdbsam:$d/private/passdb.tdb
	log file = $d/log/smbd.log
	max log size = 0
	log level = 1
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
	usershare path =
	map to guest = never
	server min protocol = SMB2_10
	unix extensions = no
[share]
	path = $SMB_BED_DIR/export
	read only = no
	browseable = yes
	create mask = 0644
	directory mask = 0755
CONF
	testparm -s "$d/smb.conf" >/dev/null 2>"$d/log/testparm.log" ||
		{ cat "$d/log/testparm.log" >&2; die "smb.conf rejected"; }
	printf '%s\n%s\n' "$SMB_BED_PASS" "$SMB_BED_PASS" |
		smbpasswd -c "$d/smb.conf" -s -a "$SMB_BED_USER" >/dev/null ||
		die "smbpasswd -a failed"
	# smbd signals its whole process group when it shuts down, so give it
	# a session of its own (setsid execs smbd: $! is smbd's pid).
	setsid smbd -s "$d/smb.conf" -F --no-process-group --debug-stdout -d 1 \
		>"$d/log/smbd.out" 2>&1 </dev/null &
	SMB_BED_PID=$!
	t_defer smb_bed_stop
	if ! wait_for 15 "smbd on port $SMB_BED_PORT" bed_port_in_use "$SMB_BED_PORT"; then
		tail -20 "$d/log/smbd.out" >&2 || true
		die "smbd did not start"
	fi
	printf '' >"$SMB_BED_DIR/rclone.conf"
	t_log "smb bed: smbd pid $SMB_BED_PID on 127.0.0.1:$SMB_BED_PORT, share/sub = $SMB_BED_EXPORT ($(($(bed_time_ms) - t0)) ms)"
}

smb_bed_remote() {
	local obscured
	obscured="$(rclone obscure "$SMB_BED_PASS")"
	printf ':smb,host=127.0.0.1,port=%s,user=%s,pass=%s:share/sub' \
		"$SMB_BED_PORT" "$SMB_BED_USER" "$obscured"
}

# smb_bed_mount MNT [EXTRA rclone ARGS...]: one rclone client with its own cache.
smb_bed_mount() {
	local mnt=$1 pid t0 cache log
	shift
	[[ -n "$SMB_BED_PORT" ]] || die "smb_bed_mount: bed not started"
	t0=$(bed_time_ms)
	mkdir -p "$mnt"
	mnt="$(realpath "$mnt")"
	SMB_BED_NMOUNT=$((SMB_BED_NMOUNT + 1))
	cache="$SMB_BED_DIR/rclone-cache.$SMB_BED_NMOUNT"
	log="$SMB_BED_DIR/rclone.$SMB_BED_NMOUNT.log"
	mkdir -p "$cache"
	rclone mount "$(smb_bed_remote)" "$mnt" \
		--config "$SMB_BED_DIR/rclone.conf" --cache-dir "$cache" \
		--vfs-cache-mode "${SMB_BED_CACHE_MODE:-writes}" \
		--vfs-write-back "${SMB_BED_WRITE_BACK:-5s}" \
		--dir-cache-time "${SMB_BED_DIR_CACHE:-1s}" \
		--attr-timeout "${SMB_BED_ATTR_TIMEOUT:-0s}" \
		--log-file "$log" --log-level INFO "$@" </dev/null >/dev/null 2>&1 &
	pid=$!
	SMB_BED_MOUNTS+=("$mnt:$pid")
	t_defer smb_bed_umount "$mnt"
	if ! wait_for 20 "rclone mount at $mnt" is_mounted "$mnt"; then
		tail -20 "$log" >&2 || true
		die "rclone mount at '$mnt' failed"
	fi
	t_log "smb bed: rclone pid $pid mounted $mnt (cache ${SMB_BED_CACHE_MODE:-writes}, write-back ${SMB_BED_WRITE_BACK:-5s}${*:+, +$*}) in $(($(bed_time_ms) - t0)) ms"
}

# smb_bed_umount MNT: unmount; rclone uploads pending writes before it exits
# on SIGTERM/unmount, so give it time.
smb_bed_umount() {
	local mnt i entry
	mnt="$(realpath -m "$1")"
	bed_umount "$mnt" || true
	for i in "${!SMB_BED_MOUNTS[@]}"; do
		entry="${SMB_BED_MOUNTS[$i]}"
		if [[ "${entry%:*}" == "$mnt" ]]; then
			bed_kill "${entry##*:}" 15 || true
			unset 'SMB_BED_MOUNTS[$i]'
		fi
	done
}

smb_bed_stop() {
	local entry pid
	for entry in "${SMB_BED_MOUNTS[@]}"; do
		smb_bed_umount "${entry%:*}"
	done
	SMB_BED_MOUNTS=()
	if [[ -n "$SMB_BED_PID" ]]; then
		bed_kill "$SMB_BED_PID" 5 || true
		# helpers smbd started (per-connection children, samba-dcerpcd)
		for pid in $(smb_bed_helper_pids); do
			bed_kill "$pid" 3 || true
		done
		t_log "smb bed: smbd stopped"
		SMB_BED_PID=""
	fi
	SMB_BED_PORT=""
}

# smb_bed_helper_pids: processes still running with this bed's smb.conf.
smb_bed_helper_pids() {
	local p conf="$SMB_BED_DIR/samba/smb.conf"
	for p in /proc/[0-9]*; do
		if tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -qF -- "$conf"; then
			echo "${p#/proc/}"
		fi
	done
}

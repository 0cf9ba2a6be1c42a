#!/usr/bin/env bash
# tests/beds/sftp.sh: SFTP test bed (OpenSSH sshd on loopback + sshfs clients).
#
# Owns: a throw-away sshd (own host key, own client key, key auth only,
# ForceCommand internal-sftp, ListenAddress 127.0.0.1 on a free port) that
# serves WORKDIR/export, and any number of independent sshfs clients (each
# its own FUSE connection and SSH session = one "machine").
#
#   source tests/beds/sftp.sh
#   sftp_bed_start WORKDIR            # sets SFTP_BED_PORT, SFTP_BED_EXPORT
#   sftp_bed_mount MNT [PROFILE]      # PROFILE: coherent (default) | default | nocache | cached
#   sftp_bed_mount MNT custom -o opt1,opt2
#   sftp_bed_umount MNT
#   sftp_bed_stop                     # also run by the EXIT trap (cleanup stack)
#
# Profiles (sshfs 3.7 has no -o cache=no; that option was sshfs 2.x):
#   coherent: dir_cache=no (sshfs's own 20 s stat/name cache off), direct_io
#             (every read/write goes to the server, no page cache),
#             attr_timeout=0, entry_timeout=0, negative_timeout=0 (kernel asks
#             sshfs on every lookup/stat).  Chosen default for the test suite.
#   default:  sshfs defaults (dir cache 20 s, kernel attr/entry 1 s, page
#             cache dropped on open).
#   nocache:  default + dir_cache=no, the one option veilfs's shared modes need
#             (they refuse sshfs with its own cache on: docs/SHARED.md).
#   cached:   default + kernel_cache (page cache kept across opens; NOT
#             coherent, useful to show what caching breaks).
# SFTP_BED_EXTRA_OPTS (comma list) is appended to every mount's -o options.

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SFTP_BED_DIR=""
SFTP_BED_PORT=""
SFTP_BED_EXPORT=""
SFTP_BED_SSHD_PID=""
SFTP_BED_MOUNTS=()

sftp_bed_profile_opts() {
	case "$1" in
	coherent) echo "dir_cache=no,direct_io,attr_timeout=0,entry_timeout=0,negative_timeout=0" ;;
	default) echo "" ;;
	nocache) echo "dir_cache=no" ;;
	cached) echo "kernel_cache" ;;
	*) return 1 ;;
	esac
}

# sftp_bed_start WORKDIR: start sshd; WORKDIR/export is the shared directory.
sftp_bed_start() {
	local w=$1 t0
	bed_need /usr/sbin/sshd sshfs ssh-keygen
	t0=$(bed_time_ms)
	mkdir -p "$w/export" "$w/ssh"
	SFTP_BED_DIR="$(realpath "$w")"
	SFTP_BED_EXPORT="$SFTP_BED_DIR/export"
	local s="$SFTP_BED_DIR/ssh"
	rm -f "$s/host_key" "$s/host_key.pub" "$s/client_key" "$s/client_key.pub"
	ssh-keygen -q -t ed25519 -N '' -C veilfs-bed-host -f "$s/host_key" </dev/null
	ssh-keygen -q -t ed25519 -N '' -C veilfs-bed-client -f "$s/client_key" </dev/null
	cp "$s/client_key.pub" "$s/authorized_keys"
	chmod 600 "$s/host_key" "$s/client_key" "$s/authorized_keys"
	# sshd insists on its compiled-in privilege separation directory.
	mkdir -p /run/sshd
	chmod 755 /run/sshd
	SFTP_BED_PORT="$(bed_free_port)"
	cat >"$s/sshd_config" <<CONF
# throw-away sshd for the veilfs SFTP test bed: loopback only, key auth only
Port $SFTP_BED_PORT
ListenAddress 127.0.0.1
AddressFamily inet
HostKey $s/host_key
PidFile $s/sshd.pid
AuthorizedKeysFile $s/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTTY no
PrintMotd no
UseDNS no
MaxStartups 50
MaxSessions 50
Subsystem sftp internal-sftp
ForceCommand internal-sftp
CONF
	/usr/sbin/sshd -t -f "$s/sshd_config" || die "sshd rejects '$s/sshd_config'"
	/usr/sbin/sshd -D -e -f "$s/sshd_config" 2>"$s/sshd.log" </dev/null &
	SFTP_BED_SSHD_PID=$!
	t_defer sftp_bed_stop
	if ! wait_for 10 "sshd on port $SFTP_BED_PORT" bed_port_in_use "$SFTP_BED_PORT"; then
		cat "$s/sshd.log" >&2 || true
		die "sshd did not start"
	fi
	t_log "sftp bed: sshd pid $SFTP_BED_SSHD_PID on 127.0.0.1:$SFTP_BED_PORT serving $SFTP_BED_EXPORT ($(($(bed_time_ms) - t0)) ms)"
}

# sftp_bed_mount MNT [PROFILE [-o OPTS]]: mount one independent sshfs client.
sftp_bed_mount() {
	local mnt=$1 profile=${2:-${SFTP_BED_PROFILE:-coherent}} extra="" opts t0 pid
	shift $(($# >= 2 ? 2 : $#))
	if [[ "${1:-}" == -o ]]; then
		extra=$2
	fi
	[[ -n "$SFTP_BED_PORT" ]] || die "sftp_bed_mount: bed not started"
	t0=$(bed_time_ms)
	if [[ "$profile" == custom ]]; then
		opts=""
	else
		opts="$(sftp_bed_profile_opts "$profile")" || die "unknown sshfs profile '$profile'"
	fi
	local s="$SFTP_BED_DIR/ssh"
	local base="IdentityFile=$s/client_key,IdentitiesOnly=yes,StrictHostKeyChecking=no"
	base+=",UserKnownHostsFile=/dev/null,BatchMode=yes,LogLevel=ERROR,ServerAliveInterval=5"
	for o in "$opts" "$extra" "${SFTP_BED_EXTRA_OPTS:-}"; do
		[[ -n "$o" ]] && base+=",$o"
	done
	mkdir -p "$mnt"
	mnt="$(realpath "$mnt")"
	local log o
	log="$SFTP_BED_DIR/sshfs.$(echo "$mnt" | tr / _).log"
	sshfs -f -F /dev/null -p "$SFTP_BED_PORT" -o "$base" \
		"root@127.0.0.1:$SFTP_BED_EXPORT" "$mnt" 2>"$log" </dev/null &
	pid=$!
	SFTP_BED_MOUNTS+=("$mnt:$pid")
	t_defer sftp_bed_umount "$mnt"
	if ! wait_for 10 "sshfs mount at $mnt" is_mounted "$mnt"; then
		cat "$log" >&2 || true
		die "sshfs mount at '$mnt' failed"
	fi
	t_log "sftp bed: sshfs pid $pid mounted $mnt (profile $profile${extra:+, +$extra}) in $(($(bed_time_ms) - t0)) ms"
}

# sftp_bed_umount MNT: unmount one client and stop its sshfs process.
sftp_bed_umount() {
	local mnt i entry pid
	mnt="$(realpath -m "$1")"
	bed_umount "$mnt" || true
	for i in "${!SFTP_BED_MOUNTS[@]}"; do
		entry="${SFTP_BED_MOUNTS[$i]}"
		if [[ "${entry%:*}" == "$mnt" ]]; then
			pid="${entry##*:}"
			bed_kill "$pid" 3 || true
			unset 'SFTP_BED_MOUNTS[$i]'
		fi
	done
}

# sftp_bed_stop: unmount all clients and stop sshd (idempotent).
sftp_bed_stop() {
	local entry
	for entry in "${SFTP_BED_MOUNTS[@]}"; do
		sftp_bed_umount "${entry%:*}"
	done
	SFTP_BED_MOUNTS=()
	if [[ -n "$SFTP_BED_SSHD_PID" ]]; then
		bed_kill "$SFTP_BED_SSHD_PID" 3 || true
		t_log "sftp bed: sshd stopped"
		SFTP_BED_SSHD_PID=""
	fi
	SFTP_BED_PORT=""
}

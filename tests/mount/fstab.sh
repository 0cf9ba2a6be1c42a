#!/usr/bin/env bash
# tests/mount/fstab.sh: veilfs through mount(8) and fstab, and the systemd unit
# (docs/MOUNT.md, "fstab and systemd").
#
# mount(8) runs mount.fuse3, which runs "veilfs CIPHERDIR MOUNTPOINT -o OPTIONS" with the
# PATH cleared, so veilfs must be in /usr/local/sbin or another system directory. To change
# nothing on the machine the script re-runs itself in a private mount namespace
# (unshare -m) and puts a tmpfs holding a link to the binary under test over
# /usr/local/sbin there; the fstab is a private file (mount -T FILE), never /etc/fstab.
# Unmounts with umount(8) and checks that each daemon exits. Needs root.
# Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight fstab.sh "mount(8) with fstab lines"
VEILFS=$(realpath "$VEILFS")
HELPER_DIR=${VEILFS_FSTAB_HELPER_DIR:-/usr/local/sbin}

if [[ -z ${VEILFS_FSTAB_INNER:-} ]]; then
	exec unshare -m --propagation private env VEILFS_FSTAB_INNER=1 VEILFS="$VEILFS" \
		bash "${BASH_SOURCE[0]}" "$@"
fi

T_WORK=$(mktemp -d /tmp/veilfs-fstab.XXXXXX)
t_on_exit t_cleanup
W=$T_WORK
if [[ ${VEILFS_FSTAB_INSTALLED:-0} != 1 ]]; then
	# only in this namespace: the machine's /usr/local/sbin is untouched
	mount -t tmpfs -o mode=0755 veilfs-fstab-bin "$HELPER_DIR"
	ln -s "$VEILFS" "$HELPER_DIR/veilfs"
fi
T_PASSFILE=$W/pw
echo 'fstab test password' >"$T_PASSFILE"
chmod 600 "$T_PASSFILE"
new_vault "$W/c"
mkdir -p "$W/m"
T_MOUNTS+=("$W/m")

# mount_source DIR: the source column of the mount at DIR
mount_source() {
	awk -v d="$(realpath -m "$1")" '$5 == d { for (i = 7; i <= NF; i++) if ($i == "-") { print $(i + 2); exit } }' /proc/self/mountinfo
}
# mount_opts DIR: the per-mount and super-block options of the mount at DIR, one line
mount_opts() {
	awk -v d="$(realpath -m "$1")" '$5 == d { for (i = 7; i <= NF; i++) if ($i == "-") { print $6 "," $(i + 3); exit } }' /proc/self/mountinfo
}
has_opt() { [[ ,$(mount_opts "$1"), == *,"$2",* ]]; }
# umount8 DIR: umount(8), then wait for the daemon recorded in the pid file to exit
umount8() {
	local pid pf
	pf=$(pidfile_of "$1")
	pid=$(daemon_pid "$1")
	[[ -n $pid ]] && T_PIDS+=("$pid")
	umount "$1" || return 1
	not_mounted "$1" || return 1
	[[ -n $pid ]] || { echo "no pid file before umount" >&2; return 1; }
	wait_until 30 dead "$pid" || { echo "daemon $pid did not exit" >&2; return 1; }
	[[ ! -e $pf ]] || { echo "pid file $pf left behind" >&2; return 1; }
}

t_log "mount -t fuse.veilfs"
out=$(mount -t fuse.veilfs "$W/c" "$W/m" -o "passfile=$T_PASSFILE" 2>"$W/err") && rc=0 || rc=$?
check "mount -t fuse.veilfs -o passfile= exits 0" test "$rc" = 0
check "it printed the mounted line" test "$out" = "mounted $W/c at $W/m"
check "the mount is of type fuse.veilfs" test "$(mount_type "$W/m")" = fuse.veilfs
check "its source is the cipher directory" test "$(mount_source "$W/m")" = "$W/c"
echo 'through mount(8)' >"$W/m/file"
check "a file written through it reads back" test "$(cat "$W/m/file")" = 'through mount(8)'
check "umount(8) unmounts, the daemon exits and removes its pid file" umount8 "$W/m"
check "the file is in the cipher directory, encrypted" \
	bash -c "! grep -rq 'through mount' '$W/c' && test \$(find '$W/c' -type f | wc -l) -ge 3"

t_log "mount -t fuse.veilfs with ro, allow_other, shared_mode=auto, log="
rc=0
mount -t fuse.veilfs "$W/c" "$W/m" \
	-o "ro,allow_other,shared_mode=auto,lock_lease=5,log=$W/log,passfile=$T_PASSFILE" \
	>/dev/null 2>"$W/err" || rc=$?
check "mount with ro,allow_other,shared_mode=auto,log= exits 0" test "$rc" = 0
check "the mount is read-only" has_opt "$W/m" ro
check "allow_other reached FUSE" has_opt "$W/m" allow_other
check "a write fails" bash -c "! echo x 2>/dev/null >'$W/m/new'"
check "the earlier file reads back" test "$(cat "$W/m/file")" = 'through mount(8)'
check "log= received the daemon's log, shared_mode=auto was applied" \
	grep -q -- "--shared=auto: lower file system type" "$W/log"
check "veilfs umount unmounts what mount(8) mounted" vumount "$W/m"
check "not mounted after veilfs umount" not_mounted "$W/m"

t_log "a private fstab"
cat >"$W/fstab" <<EOT
# a vault at boot, on first access (x-systemd.automount), after the network
$W/c $W/m fuse.veilfs passfile=$T_PASSFILE,noauto,nofail,_netdev,x-systemd.automount,x-systemd.requires-mounts-for=/tmp,nosuid,nodev,defaults 0 0
$W/c $W/m2 fuse.veilfs passfile=$W/wrong-pw,noauto 0 0
$W/c $W/m3 fuse.veilfs passfile=$T_PASSFILE,noauto,no_such_option 0 0
EOT
mkdir -p "$W/m2" "$W/m3"
T_MOUNTS+=("$W/m2" "$W/m3")
echo 'not the password' >"$W/wrong-pw"
rc=0
mount -T "$W/fstab" "$W/m" >/dev/null 2>"$W/err" || rc=$?
check "mount -T FSTAB MOUNTPOINT exits 0 (fstab-only options ignored)" test "$rc" = 0
check "it is mounted from the cipher directory" test "$(mount_source "$W/m")" = "$W/c"
check "nosuid and nodev reached the mount" bash -c "$(declare -f mount_opts has_opt); has_opt '$W/m' nosuid && has_opt '$W/m' nodev"
check "the file reads back" test "$(cat "$W/m/file")" = 'through mount(8)'
echo 'via fstab' >"$W/m/file2"
check "umount(8) of the fstab mount" umount8 "$W/m"
rc=0
mount --fstab "$W/fstab" "$W/c" >/dev/null 2>"$W/err" || rc=$?
check "mount --fstab FSTAB CIPHERDIR (by source) exits 0" test "$rc" = 0
check "the file written before reads back" test "$(cat "$W/m/file2" 2>/dev/null)" = 'via fstab'
check "umount(8) again" umount8 "$W/m"
rc=0
mount -T "$W/fstab" "$W/m2" >/dev/null 2>"$W/err" || rc=$?
check "a wrong password in the fstab line fails the mount" test "$rc" != 0
check "and says so" grep -q "wrong password" "$W/err"
check "nothing is mounted there" not_mounted "$W/m2"
rc=0
mount -T "$W/fstab" "$W/m3" >/dev/null 2>"$W/err" || rc=$?
check "an unknown option in the fstab line fails the mount" test "$rc" != 0
check "nothing is mounted for the unknown option" not_mounted "$W/m3"

t_log "the systemd unit template"
unit=$W/veilfs@fstabtest.service
sed "s|@BINDIR@|$(dirname "$VEILFS")|" "$repo/contrib/veilfs@.service.in" >"$unit"
if command -v systemd-analyze >/dev/null; then
	if systemd-analyze verify --man=no "$unit" >"$W/verify" 2>&1; then
		ok "systemd-analyze verify accepts veilfs@.service"
	else
		notok "systemd-analyze verify accepts veilfs@.service" "$(tr '\n' ' ' <"$W/verify")"
	fi
else
	skip "systemd-analyze verify accepts veilfs@.service" "no systemd-analyze"
fi
# No systemd as PID 1 here: run the unit's ExecStart= as systemd would (variables from the
# EnvironmentFile=), then stop it as systemd does, with SIGTERM to the main process.
cat >"$W/fstabtest.conf" <<EOT
CIPHERDIR=$W/c
MOUNTPOINT=$W/m
OPTIONS=passfile=$T_PASSFILE,nosuid,nodev
EOT
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
(
	set -a
	# shellcheck disable=SC1091
	source "$W/fstabtest.conf"
	set +a
	eval "exec $exec_start" >"$W/unit.out" 2>&1
) &
unit_pid=$!
T_PIDS+=("$unit_pid")
check "the unit's ExecStart mounts the vault" wait_until 30 is_mounted "$W/m"
check "and serves it" test "$(cat "$W/m/file2" 2>/dev/null)" = 'via fstab'
kill -TERM "$unit_pid"
check "stopping the unit (SIGTERM) unmounts" wait_until 30 not_mounted "$W/m"
rc=0
wait "$unit_pid" || rc=$?
check "the unit's main process exits 0" test "$rc" = 0

t_summary

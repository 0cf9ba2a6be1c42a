#!/usr/bin/env bash
# tests/mount/nonroot.sh: veilfs used by an ordinary user, the way most people mount it.
#
# Runs as root (it needs to), and does everything else as the user `nobody`: init, mount
# through the setuid fusermount3 (libfuse's path for non-root mounts), write and read,
# umount. /dev/fuse is root-only on this machine kind, so for the duration of the run it
# is made 0666 (as Debian's udev rule does on a desktop) and put back by the EXIT trap.
#
# Checks: the vault and its files belong to the user; the mount is a fuse mount owned by
# the user; data round-trips and stays ciphertext below; other users (root included) are
# refused without allow_other; allow_other without user_allow_other in /etc/fuse.conf is
# refused with fusermount3's reason and exit 4; the daemon's pid file is in the user's own
# directory; `veilfs umount` by the user unmounts and the daemon exits.
# Prints "ok N - ..." lines and "N passed, N failed[, N skipped]".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

USER_NAME=nobody
t_preflight nonroot.sh "it switches to $USER_NAME"
command -v fusermount3 >/dev/null || { echo "nonroot.sh: fusermount3 missing" >&2; exit 2; }
uid=$(id -u "$USER_NAME")

W=$(mktemp -d /tmp/veilfs-nonroot.XXXXXX)
fuse_mode=$(stat -c %a /dev/fuse)
finish() {
	local rc=$?
	trap - EXIT
	if is_mounted "$W/m"; then
		su -s /bin/sh "$USER_NAME" -c "fusermount3 -u '$W/m'" 2>/dev/null || umount -l "$W/m" || true
	fi
	pkill -u "$USER_NAME" -f "$W/bin/veilfs" 2>/dev/null || true
	chmod "$fuse_mode" /dev/fuse
	rm -rf "$W"
	exit "$rc"
}
t_on_exit finish

mkdir -p "$W/bin"
cp "$VEILFS" "$W/bin/veilfs"
chmod 0755 "$W" "$W/bin" "$W/bin/veilfs"
mkdir "$W/home"
chown "$USER_NAME" "$W/home"
chmod 0666 /dev/fuse

# as_user CMD: run a shell command as the user, in its directory, with a bounded time.
as_user() {
	timeout 60 su -s /bin/bash "$USER_NAME" -c "cd '$W/home' && $1"
}
V="$W/bin/veilfs"
ln -s "$W/home/m" "$W/m"

t_log "init and mount as $USER_NAME (uid $uid)"
as_user "echo 'correct horse' > pw && mkdir c m && '$V' init --kdf-memory 8 --kdf-time 1 --passfile pw c >/dev/null"
check "init as $USER_NAME: veilfs.conf belongs to the user" \
	test "$(stat -c %u "$W/home/c/veilfs.conf")" = "$uid"
check "init as $USER_NAME: veilfs.conf is not readable by others" \
	test "$(($(stat -c %a "$W/home/c/veilfs.conf") % 10))" -eq 0

out=$(as_user "'$V' mount -o allow_other --passfile pw c m" 2>&1) && rc=0 || rc=$?
if grep -qs '^[[:space:]]*user_allow_other' /etc/fuse.conf; then
	skip "allow_other refused without user_allow_other" "/etc/fuse.conf allows it here"
	[[ $rc -eq 0 ]] && as_user "'$V' umount m"
elif [[ $rc -eq 4 ]] && grep -q user_allow_other <<<"$out" && ! is_mounted "$W/home/m"; then
	ok "allow_other refused without user_allow_other (exit 4, fusermount3's reason shown)"
else
	notok "allow_other refused without user_allow_other" "exit $rc: $out"
fi

as_user "'$V' mount --passfile pw c m"
check "mount as $USER_NAME: a fuse mount" test "$(mount_type "$W/home/m")" = fuse.veilfs
owner=$(awk -v d="$W/home/m" '$5 == d { for (i = 7; i <= NF; i++) if ($i == "-") print $(i + 3) }' \
	/proc/self/mountinfo)
if grep -q "user_id=$uid" <<<"$owner"; then
	ok "mount as $USER_NAME: the kernel records the user as its owner"
else
	notok "mount as $USER_NAME: the kernel records the user as its owner" "options: $owner"
fi
pidf=/tmp/veilfs-$uid/$(printf '%s' "$W/home/m" | sha256sum | cut -d' ' -f1).pid
check "pid file in the user's own directory ($pidf)" test -s "$pidf"
dpid=$(head -n 1 "$pidf" 2>/dev/null || echo 0)
check "daemon runs as $USER_NAME" test "$(stat -c %u "/proc/$dpid" 2>/dev/null)" = "$uid"

marker=nonroot-marker-$RANDOM$RANDOM
as_user "printf '%s\n' $marker > m/secret.txt && mkdir m/dir && seq 1 20000 > m/dir/numbers"
check "data round-trips" as_user "grep -qx $marker m/secret.txt && seq 1 20000 | cmp -s - m/dir/numbers"
check "files in the mount belong to the user" test "$(as_user 'stat -c %u m/secret.txt')" = "$uid"
if grep -rqs "$marker" "$W/home/c" || find "$W/home/c" -name 'secret*' | grep -q .; then
	notok "only ciphertext below" "the marker or the name is visible in the cipher directory"
else
	ok "only ciphertext below (no marker in any byte, no plaintext name)"
fi
if stat "$W/home/m/secret.txt" >/dev/null 2>&1; then
	notok "root is refused without allow_other" "root could stat a file in the user's mount"
else
	ok "root is refused without allow_other (EACCES, the kernel's rule for FUSE)"
fi

as_user "'$V' umount m"
check "umount as $USER_NAME: unmounted" bash -c "! grep -qF ' $W/home/m ' /proc/self/mountinfo"
gone=0
for _ in $(seq 1 50); do
	alive "$dpid" || { gone=1; break; }
	sleep 0.1
done
check "umount as $USER_NAME: the daemon exited" test "$gone" -eq 1
check "after umount, the data is still there on the next mount" \
	as_user "'$V' mount --passfile pw c m && grep -qx $marker m/secret.txt && '$V' umount m"

t_summary

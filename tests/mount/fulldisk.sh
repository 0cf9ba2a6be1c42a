#!/usr/bin/env bash
# tests/mount/fulldisk.sh: the lower file system runs out of space under a veilfs mount.
#
# The cipher directory lives on an 8 MiB tmpfs that this script mounts (and unmounts on
# exit). A file larger than the free space is written through veilfs with dd conv=fsync.
# Expected: dd fails with "No space left on device" (not EIO); the daemon keeps serving; a
# file written before is intact; what the failed file holds reads back without EIO, each
# block as written or a hole; mkdir on the full disk says ENOSPC; after deleting, writes
# work again; `veilfs fsck` finds no problem; the daemon log names the failed write and no
# block that fails to authenticate; fallocate past the free space fails with ENOSPC and takes
# nothing, and a range it reserved takes a write when the disk is full. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight fulldisk.sh "it mounts a tmpfs"

W=$(mktemp -d /tmp/veilfs-fulldisk.XXXXXX)
finish() {
	local rc=$?
	trap - EXIT
	force_unmount "$W/m"
	is_mounted "$W/lower" && { umount "$W/lower" || umount -l "$W/lower" || true; }
	rm -rf "$W"
	exit "$rc"
}
t_on_exit finish

mkdir -p "$W/lower" "$W/m"
mount -t tmpfs -o size=8m tmpfs "$W/lower"
echo pw >"$W/pw"
"$VEILFS" init --kdf-memory 8 --kdf-time 1 --passfile "$W/pw" "$W/lower/c" >/dev/null
"$VEILFS" mount --log "$W/log" --passfile "$W/pw" "$W/lower/c" "$W/m"
dpid=$(daemon_pid "$W/m")
drop() { sync; echo 3 >/proc/sys/vm/drop_caches; }

head -c 1048576 /dev/urandom >"$W/keep.src"
head -c 16777216 /dev/urandom >"$W/big.src"
cp "$W/keep.src" "$W/m/keep"
sync

t_log "writing 16 MiB onto 8 MiB"
rc=0
timeout 60 dd if="$W/big.src" of="$W/m/big" bs=1M conv=fsync 2>"$W/dd.err" || rc=$?
if ((rc != 0)) && grep -q "No space left on device" "$W/dd.err"; then
	ok "a write that does not fit fails with ENOSPC"
else
	notok "a write that does not fit fails with ENOSPC" "dd exit $rc: $(tr '\n' ' ' <"$W/dd.err")"
fi
check "the daemon keeps serving" alive "$dpid"
drop
check "a file written before is intact" cmp -s "$W/keep.src" "$W/m/keep"
got=$(stat -c %s "$W/m/big")
if cat "$W/m/big" >"$W/big.back" 2>"$W/cat.err"; then
	ok "the failed file reads back without EIO ($got bytes)"
else
	notok "the failed file reads back without EIO" "$(tr '\n' ' ' <"$W/cat.err")"
fi
# the kernel writes back in several requests, some of which fail: each 4 KiB block read
# back is what was written there, or zeros (a hole where a write failed), never other bytes
blocks_ok() {
	python3 - "$1" "$2" <<'PY'
import sys
back, src = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
bad = [i for i in range(0, len(back), 4096)
       if back[i:i + 4096] not in (src[i:i + 4096], bytes(len(back[i:i + 4096])))]
print(f"{len(back) // 4096} blocks, {len(bad)} wrong" + (f", first at {bad[0]}" if bad else ""))
sys.exit(1 if bad else 0)
PY
}
if res=$(blocks_ok "$W/big.back" "$W/big.src"); then
	ok "each block it holds is what was written there, or a hole ($res)"
else
	notok "each block it holds is what was written there, or a hole" "$res"
fi
check "and less than was asked for" test "$got" -lt 16777216
if mkdir "$W/m/d" 2>"$W/mkdir.err"; then
	# a directory may still fit in what is left; then it must be usable
	check "mkdir on the full disk: ENOSPC or a usable directory" test -d "$W/m/d"
else
	check "mkdir on the full disk: ENOSPC" grep -q "No space left on device" "$W/mkdir.err"
fi

rm -f "$W/m/big"
head -c 4194304 "$W/big.src" >"$W/four.src"
check "after deleting, writes work again" \
	bash -c "dd if='$W/four.src' of='$W/m/four' bs=1M conv=fsync status=none && cmp -s '$W/four.src' '$W/m/four'"

# fallocate promises space: past the free space it fails with ENOSPC and changes nothing
# (neither the size nor the lower free space); what it grants, a write on a full disk gets.
lower_avail() { sync; df --output=avail -B1 "$W/lower" | tail -n 1 | tr -d ' '; }
before=$(lower_avail)
rc=0
fallocate -l 16M "$W/m/fa" 2>"$W/fa.err" || rc=$?
if ((rc != 0)) && grep -q "No space left on device" "$W/fa.err" && [ "$(stat -c %s "$W/m/fa")" = 0 ] &&
	(($(lower_avail) >= before - 65536)); then
	ok "fallocate of 16 MiB onto $((before / 1024)) KiB free: ENOSPC, size 0, no lower space taken"
else
	notok "fallocate past the free space" "exit $rc: $(tr '\n' ' ' <"$W/fa.err") size $(stat -c %s "$W/m/fa") free $before -> $(lower_avail)"
fi
rc=0
fallocate -n -l 16M "$W/m/fa" 2>"$W/fa.err" || rc=$?
if ((rc != 0)) && grep -q "No space left on device" "$W/fa.err" && [ "$(stat -c %s "$W/m/fa")" = 0 ]; then
	ok "fallocate --keep-size past the free space: ENOSPC"
else
	notok "fallocate --keep-size past the free space" "exit $rc: $(tr '\n' ' ' <"$W/fa.err")"
fi
rm -f "$W/m/fa"
before=$(lower_avail)
if fallocate -l 1M "$W/m/fb" && [ "$(stat -c %s "$W/m/fb")" = 1048576 ] && (($(lower_avail) <= before - 1048576)); then
	ok "fallocate of 1 MiB takes 1 MiB of lower space at once ($before -> $(lower_avail) bytes free)"
else
	notok "fallocate of 1 MiB reserves" "size $(stat -c %s "$W/m/fb"), free $before -> $(lower_avail)"
fi
timeout 60 dd if=/dev/urandom of="$W/m/filler" bs=1M count=16 conv=fsync 2>/dev/null || true
head -c 1048576 "$W/big.src" >"$W/one.src"
if dd if="$W/one.src" of="$W/m/fb" bs=1M conv=notrunc,fsync status=none 2>"$W/fb.err" &&
	drop && cmp -s "$W/one.src" "$W/m/fb"; then
	ok "on the full disk, a write into the fallocated range succeeds and reads back"
else
	notok "write into the fallocated range on a full disk" "$(tr '\n' ' ' <"$W/fb.err")"
fi
rm -f "$W/m/filler" "$W/m/fb"

check "the log names the failed write" grep -q "failed (No space left on device)" "$W/log"
if grep -q "cannot authenticate" "$W/log"; then
	notok "no block fails to authenticate" "$(grep -m1 'cannot authenticate' "$W/log")"
else
	ok "no block fails to authenticate"
fi
timeout 30 "$VEILFS" umount "$W/m"
out=$("$VEILFS" fsck --passfile "$W/pw" "$W/lower/c" 2>&1) && rc=0 || rc=$?
if ((rc == 0)); then
	ok "fsck after the full disk: no problem"
else
	notok "fsck after the full disk: no problem" "exit $rc: $(tail -n 3 <<<"$out" | tr '\n' ' ')"
fi

t_summary

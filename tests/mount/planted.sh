#!/usr/bin/env bash
# tests/mount/planted.sh: the share is untrusted input. Whoever can write the cipher
# directory may plant FIFOs, devices, sockets, symlinks, directories and oversized or
# truncated files where veilfs expects its own files; each gives an error for that entry
# (EIO, logged), never a hang, and the mount keeps answering everything else:
#   - a FIFO, a device, a symlink, a directory, an oversized file as a directory's
#     veilfs.diriv: `ls` of that directory fails with EIO at once; 24 such listings at
#     once (more than the daemon's worker threads) leave the mount answering;
#   - a FIFO as a long name's side file: the listing returns with the other entries;
#   - a FIFO as veilfs.conf: mount, info and fsck fail at once with a message;
#   - a FIFO as a lock file (--shared=lockfiles): the write fails at once with EIO;
#   - a cipher file of a length no valid file can have: stat, read and cp fail with EIO
#     (not an empty file).
# Every command runs under a timeout. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight planted.sh "it plants device nodes"

T_WORK=$(mktemp -d /tmp/veilfs-planted.XXXXXX)
T_PASSFILE=$T_WORK/pw
t_on_exit t_cleanup
echo pw >"$T_PASSFILE"
chmod 600 "$T_PASSFILE"
C=$T_WORK/c
M=$T_WORK/m
new_vault "$C"

# lower_of NAME: the lower path of top-level entry NAME (the only new one since before)
lower_dir_of() { # PLAIN-DIR: newest lower directory in the root
	find "$C" -mindepth 1 -maxdepth 1 -type d -newer "$T_WORK/stamp" | head -1
}

# fails_fast NAME EXPECT CMD...: CMD fails within 10 s and its output contains EXPECT
fails_fast() {
	local name=$1 expect=$2 rc=0 t0
	shift 2
	t0=$(date +%s%N)
	timeout 10 "$@" >"$T_WORK/out" 2>&1 || rc=$?
	local ms=$((($(date +%s%N) - t0) / 1000000))
	if ((rc != 0 && rc != 124)) && grep -q -- "$expect" "$T_WORK/out"; then
		ok "$name (exit $rc in $ms ms)"
	else
		notok "$name" "exit $rc after $ms ms: $(head -c 300 "$T_WORK/out")"
	fi
}

answers() { timeout 10 ls "$M" >/dev/null && timeout 10 cat "$M/keep" >/dev/null; }

vmount "$C" "$M" --log "$T_WORK/log"
echo keep >"$M/keep"
i=0
for kind in fifo chardev symlink directory oversized; do
	i=$((i + 1))
	touch "$T_WORK/stamp"
	sleep 0.01
	mkdir "$M/d$i"
	echo x >"$M/d$i/inside"
	lower=$(lower_dir_of)
	vumount "$M"
	rm -f "$lower/veilfs.diriv"
	case $kind in
	fifo) mkfifo "$lower/veilfs.diriv" ;;
	chardev) mknod "$lower/veilfs.diriv" c 1 3 ;;
	symlink) ln -s /etc/hostname "$lower/veilfs.diriv" ;;
	directory) mkdir "$lower/veilfs.diriv" ;;
	oversized) head -c 1000000 /dev/urandom >"$lower/veilfs.diriv" ;;
	esac
	vmount "$C" "$M" --log "$T_WORK/log"
	fails_fast "ls of a directory whose IV file is a $kind fails" "Input/output error" ls "$M/d$i"
	check "the mount still answers after the $kind" answers
done

t_log "more listings of the FIFO directory at once than the daemon has threads"
pids=()
for ((j = 0; j < 24; j++)); do
	timeout 20 ls "$M/d1" >/dev/null 2>&1 &
	pids+=($!)
done
hung=0
for p in "${pids[@]}"; do
	wait "$p" && rc=0 || rc=$?
	((rc == 124)) && hung=$((hung + 1))
done
check "24 parallel listings all return (none hung: $hung)" test "$hung" = 0
check "the mount answers after them" answers
check "the daemon logged the planted objects" grep -q "is a FIFO, not a regular file" "$T_WORK/log"

t_log "a FIFO as a long name's side file"
touch "$T_WORK/stamp"
sleep 0.01
mkdir "$M/long"
long=$(printf 'n%.0s' $(seq 1 200))
echo a >"$M/long/$long"
echo b >"$M/long/short"
lower=$(lower_dir_of)
side=$(find "$lower" -name 'veilfs.lname.*.name' | head -1)
vumount "$M"
rm -f "$side"
mkfifo "$side"
vmount "$C" "$M" --log "$T_WORK/log"
timeout 10 ls "$M/long" >"$T_WORK/ls" 2>&1 && rc=0 || rc=$?
if ((rc != 124)) && grep -qx short "$T_WORK/ls"; then
	ok "ls of the directory returns (exit $rc) and lists the other entry"
else
	notok "ls of the directory returns (exit $rc) and lists the other entry" "$(cat "$T_WORK/ls")"
fi
if timeout 10 cat "$M/long/short" | grep -q b; then
	ok "the other entry of that directory reads"
else
	notok "the other entry of that directory reads" "cat failed or hung"
fi
check "the mount still answers" answers
vumount "$M"

t_log "a FIFO as veilfs.conf"
cp -p "$C/veilfs.conf" "$T_WORK/conf.save"
rm -f "$C/veilfs.conf"
mkfifo "$C/veilfs.conf"
mkdir -p "$M"
fails_fast "mount with a FIFO as veilfs.conf fails" "veilfs" \
	"$VEILFS" mount --passfile "$T_PASSFILE" "$C" "$M"
is_mounted "$M" && force_unmount "$M"
fails_fast "info with a FIFO as veilfs.conf fails" "veilfs" "$VEILFS" info "$C"
fails_fast "fsck with a FIFO as veilfs.conf fails" "veilfs" "$VEILFS" fsck --passfile "$T_PASSFILE" "$C"
rm -f "$C/veilfs.conf"
cp -p "$T_WORK/conf.save" "$C/veilfs.conf"

t_log "a FIFO as the lock file of --shared=lockfiles"
vmount "$C" "$M" --shared=lockfiles --lock-lease=2 --log "$T_WORK/log"
touch "$T_WORK/stamp"
sleep 0.01
echo one >"$M/locked"
lower=$(find "$C" -maxdepth 1 -type f -newer "$T_WORK/stamp" ! -name 'veilfs.*' | head -1)
name=${lower#"$C"/}
lockname=veilfs.lock.$(python3 -c '
import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$name")
mkfifo "$C/$lockname"
fails_fast "a write behind a FIFO lock file fails" "Input/output error" dd if=/dev/zero of="$M/locked" bs=10 count=1 conv=notrunc,fsync status=none
rm -f "$C/$lockname"
check "with the FIFO gone the write works" bash -c "echo two >>'$M/locked'"
vumount "$M"

t_log "a cipher file of an impossible length"
vmount "$C" "$M" --log "$T_WORK/log"
touch "$T_WORK/stamp"
sleep 0.01
head -c 10000 /dev/urandom >"$M/cut"
lower=$(find "$C" -maxdepth 1 -type f -newer "$T_WORK/stamp" ! -name 'veilfs.*' | head -1)
vumount "$M"
truncate -s 25 "$lower" # header (20) + 5 bytes: shorter than any block's overhead
vmount "$C" "$M" --log "$T_WORK/log"
fails_fast "stat of a file of impossible length fails with EIO" "Input/output error" stat "$M/cut"
fails_fast "cat of it fails with EIO" "Input/output error" cat "$M/cut"
fails_fast "cp of it fails (no empty copy)" "Input/output error" cp "$M/cut" "$T_WORK/copy"
check "cp left no copy that looks fine" test ! -s "$T_WORK/copy"
check "the log names the malformed size" grep -q "malformed size 25 of" "$T_WORK/log"
check "the mount still answers" answers
vumount "$M"

t_summary

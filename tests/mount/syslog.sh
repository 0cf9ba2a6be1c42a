#!/usr/bin/env bash
# tests/mount/syslog.sh: the daemon's default log destination, syslog, really receives its
# lines (ident "veilfs", facility daemon, the pid), and never a password or key.
#
# No syslog daemon runs on the test machines, so the script makes its own /dev/log: in a
# private mount namespace (unshare -m) it covers /dev with a tmpfs, binds back the device
# nodes veilfs and the shell need, and listens on /dev/log with a small datagram receiver.
# Nothing outside the namespace changes. It mounts a vault without -f/--log, tampers one
# block, reads it (EIO expected) and unmounts; then it checks what the receiver got.
# Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight syslog.sh "it needs a mount namespace"

W=$(mktemp -d /tmp/veilfs-syslog.XXXXXX)
t_on_exit 'rm -rf "$W"'
PASSWORD="syslog-secret-$RANDOM$RANDOM"
printf '%s\n' "$PASSWORD" >"$W/pw"

# The part that runs inside the namespace: everything it starts, it stops (its own trap).
cat >"$W/inner.sh" <<'INNER'
set -euo pipefail
W=$1 V=$2
listener=
finish() {
	mountpoint -q "$W/m" && { timeout 30 "$V" umount "$W/m" || umount -l "$W/m"; }
	[[ -n $listener ]] && kill "$listener" 2>/dev/null
	wait 2>/dev/null || true
}
trap finish EXIT
mkdir -p "$W/olddev" "$W/c" "$W/m"
mount --bind /dev "$W/olddev"
mount -t tmpfs -o mode=0755 tmpfs /dev
for n in null zero full random urandom tty fuse; do
	[[ -e $W/olddev/$n ]] || continue
	touch "/dev/$n"
	mount --bind "$W/olddev/$n" "/dev/$n"
done
ln -s /proc/self/fd /dev/fd
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[1] + ".ready", "w").close()
with open(sys.argv[1], "ab", buffering=0) as out:
    for _ in range(100000):
        out.write(s.recv(65536).rstrip(b"\n") + b"\n")
' "$W/received" &
listener=$!
for _ in $(seq 1 100); do [[ -e $W/received.ready ]] && break; sleep 0.05; done
"$V" init --kdf-memory 8 --kdf-time 1 --passfile "$W/pw" "$W/c" >/dev/null
"$V" mount --passfile "$W/pw" "$W/c" "$W/m"
head -c 12288 /dev/urandom >"$W/m/file"
"$V" umount "$W/m"
f=$(find "$W/c" -type f ! -name 'veilfs.*' | head -n 1)
# flip one byte inside block 1 (header 20 bytes, stored block 4124 bytes)
off=$((20 + 4124 + 100))
b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
printf "$(printf '\\%03o' $((b ^ 255)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
"$V" mount --passfile "$W/pw" "$W/c" "$W/m"
if dd if="$W/m/file" of=/dev/null bs=4096 skip=1 count=1 status=none 2>"$W/dd.err"; then
	echo "read-of-tampered-block=ok" >"$W/readres"
else
	echo "read-of-tampered-block=failed: $(cat "$W/dd.err")" >"$W/readres"
fi
"$V" umount "$W/m"
sleep 0.3
INNER

devlog_before=$(stat -c %i:%F /dev/log 2>/dev/null || echo none)
rc=0
timeout 120 unshare -m --propagation private bash "$W/inner.sh" "$W" "$VEILFS" \
	>"$W/inner.out" 2>&1 || rc=$?
check "the run in a private mount namespace worked" test "$rc" -eq 0
[[ $rc -eq 0 ]] || sed 's/^/  inner: /' "$W/inner.out" >&2
check "/dev/log outside the namespace is as it was" \
	test "$(stat -c %i:%F /dev/log 2>/dev/null || echo none)" = "$devlog_before"
got=$W/received
touch "$got"
check "the tampered block read failed (EIO) in the namespace" \
	grep -q "Input/output error" "$W/readres"
# RFC 3164 as glibc sends it: <PRI>TIMESTAMP veilfs[PID]: ...; daemon = facility 3
if grep -Eq '^<2[4-9]>.*veilfs\[[0-9]+\]: ' "$got"; then
	ok "syslog received the daemon's lines (ident veilfs, facility daemon, pid)"
else
	notok "syslog received the daemon's lines" "got: $(head -c 300 "$got" | tr '\n' '|')"
fi
if grep -Eq '^<27>.*veilfs\[[0-9]+\]: error: cannot authenticate block 1 ' "$got"; then
	ok "the integrity error is logged at daemon.err and names the block"
else
	notok "the integrity error is logged at daemon.err" "got: $(head -c 600 "$got" | tr '\n' '|')"
fi
if grep -qF "$PASSWORD" "$got"; then
	notok "no password in the log" "the password appears in a syslog line"
else
	ok "no password in the log ($(wc -l <"$got") lines)"
fi

t_summary

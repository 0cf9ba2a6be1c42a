#!/usr/bin/env bash
# tests/mount/stalelock.sh: the lock files of --shared=lockfiles (docs/SHARED.md) on a real
# mount: a lock left by a crashed client is broken after the lease; a lock that its client
# keeps refreshing is obeyed; fsck ignores lock files.
#
# The "other client" is simulated by writing its lock file into the cipher root by hand:
# veilfs.lock.<FNV-1a 64 of the file's lower path> with another client id. Every wait is
# bounded. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight stalelock.sh
LEASE=3

W=$(mktemp -d /tmp/veilfs-stalelock.XXXXXX)
refresher= writer=
finish() {
	local rc=$?
	trap - EXIT
	[[ -n $refresher ]] && kill "$refresher" 2>/dev/null
	[[ -n $writer ]] && kill "$writer" 2>/dev/null
	force_unmount "$W/m"
	wait 2>/dev/null || true
	rm -rf "$W"
	exit "$rc"
}
t_on_exit finish

mkdir -p "$W/c" "$W/m"
echo pw >"$W/pw"
"$VEILFS" init --kdf-memory 8 --kdf-time 1 --passfile "$W/pw" "$W/c" >/dev/null
"$VEILFS" mount --shared=lockfiles --lock-lease=$LEASE --log "$W/log" --passfile "$W/pw" \
	"$W/c" "$W/m"
mkdir "$W/m/sub"
echo one >"$W/m/sub/f"
lower=$(cd "$W/c" && find . -type f ! -name 'veilfs.*' | sed 's|^\./||')
lockname=veilfs.lock.$(python3 -c '
import sys
h = 0xcbf29ce484222325
for b in sys.argv[1].encode():
    h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
print("%016x" % h)' "$lower")
other=0123456789abcdef0123456789abcdef
lock_content() { printf 'veilfs-lock v1 client=%s pid=4242 time=%s seq=%s\n' "$other" "$(date +%s)" "$1"; }

t_log "a stale lock (its client crashed): lease ${LEASE}s"
lock_content 1 >"$W/c/$lockname"
if timeout 30 bash -c "echo two >>'$W/m/sub/f'"; then
	ok "a write behind a stale lock file completes"
else
	notok "a write behind a stale lock file completes" "it failed or did not finish in 30 s"
fi
check "the write is there" test "$(cat "$W/m/sub/f")" = "$(printf 'one\ntwo')"
check "the daemon logged that it broke that lock file" \
	grep -q "broke stale lock file '$lockname'" "$W/log"
leftover=$(cd "$W/c" && ls -a | grep '^veilfs\.lock\.' || true)
check "no lock file is left behind (found: ${leftover:-none})" test -z "$leftover"

t_log "a live lock (its client refreshes it): must be waited for"
lock_content 1 >"$W/c/$lockname"
(
	for i in $(seq 2 200); do
		sleep 0.3
		[[ -e $W/stop-refresh ]] && break
		lock_content "$i" >"$W/c/$lockname.tmp" && mv "$W/c/$lockname.tmp" "$W/c/$lockname"
	done
	rm -f "$W/c/$lockname"
) &
refresher=$!
timeout 60 bash -c "echo three >>'$W/m/sub/f'" &
writer=$!
sleep $((LEASE * 2))
if kill -0 "$writer" 2>/dev/null; then
	ok "a write waits while another client holds a live lock (still waiting after $((LEASE * 2)) s)"
else
	notok "a write waits while another client holds a live lock" "it finished at once"
fi
touch "$W/stop-refresh"
wait "$refresher" || true
refresher=
rc=0
wait "$writer" || rc=$?
writer=
check "once the other client releases, the write completes (exit $rc)" test "$rc" -eq 0
check "and it is there" test "$(tail -n 1 "$W/m/sub/f")" = three
if grep -q "broke stale lock file '$lockname'.*seq=[2-9]" "$W/log"; then
	notok "a live lock is never broken" "$(grep "broke stale" "$W/log" | tail -n 1)"
else
	ok "a live lock is never broken"
fi

timeout 30 "$VEILFS" umount "$W/m"
lock_content 9 >"$W/c/$lockname"
out=$("$VEILFS" fsck --passfile "$W/pw" "$W/c" 2>&1) && rc=0 || rc=$?
check "fsck ignores a lock file in the root (exit $rc)" test "$rc" -eq 0

t_summary

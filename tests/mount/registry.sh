#!/usr/bin/env bash
# tests/mount/registry.sh: the mount registry (docs/SHARED.md, "Mount registry") on real
# mounts of one local cipher directory: two mount points on one machine are two clients.
#   - a second default-mode mount is refused (exit 6) while the first is live, with a
#     message that names the other mount and says what to do; so is a shared mount beside a
#     single-client one, and a mount in another shared mode beside a shared one;
#   - two mounts in the same shared mode run side by side and see each other's writes;
#   - `veilfs status` (text and --json) lists exactly the live mounts;
#   - a registration left by a daemon killed with SIGKILL is stale: the next mount starts
#     and removes it; one whose heartbeat is 20 minutes old on another host likewise;
#   - a planted FIFO, a symlink and garbage under a registration name never hang or break
#     a mount; fsck notes registrations and does not call them damage.
# Every wait is bounded. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight registry.sh

T_WORK=$(mktemp -d /tmp/veilfs-registry.XXXXXX)
T_PASSFILE=$T_WORK/pw
t_on_exit t_cleanup
echo pw >"$T_PASSFILE"
chmod 600 "$T_PASSFILE"
C=$T_WORK/c
new_vault "$C"

# expect_refused NAME EXPECTED_WORDS MOUNT-ARGS...: the mount exits 6 and says EXPECTED_WORDS
expect_refused() {
	local name=$1 words=$2 rc=0 m=$T_WORK/refused
	shift 2
	mkdir -p "$m"
	timeout 60 "$VEILFS" mount --passfile "$T_PASSFILE" "$@" "$C" "$m" 2>"$T_WORK/err" || rc=$?
	if ((rc == 6)) && grep -q -- "$words" "$T_WORK/err" && ! is_mounted "$m"; then
		ok "$name (exit 6: $(head -c 160 "$T_WORK/err"))"
	else
		notok "$name" "exit $rc, mounted=$(is_mounted "$m" && echo yes || echo no): $(cat "$T_WORK/err")"
		is_mounted "$m" && force_unmount "$m"
	fi
}

registrations() { find "$C" -maxdepth 1 -name 'veilfs.mount.*' | wc -l; }

t_log "single-client mount, then a second one"
vmount "$C" "$T_WORK/m1" --log "$T_WORK/log1"
echo one >"$T_WORK/m1/f"
expect_refused "a second default-mode mount is refused" "must both use a shared mode"
expect_refused "a shared mount beside a single-client one is refused" "must both use a shared mode" \
	--shared=auto
check "after the refusals exactly one registration is left" test "$(registrations)" = 1
out=$("$VEILFS" status "$C")
if grep -q "^live .*pid $(daemon_pid "$T_WORK/m1") --shared=off at $T_WORK/m1" <<<"$out" &&
	[ "$(wc -l <<<"$out")" = 1 ]; then
	ok "veilfs status lists the one live mount"
else
	notok "veilfs status lists the one live mount" "$out"
fi
json=$("$VEILFS" status --json "$C")
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
m = d["mounts"]
assert len(m) == 1 and m[0]["state"] == "live" and m[0]["mode"] == "off", m
assert m[0]["mountpoint"] == sys.argv[2] and m[0]["pid"] == int(sys.argv[3]), m
' "$json" "$T_WORK/m1" "$(daemon_pid "$T_WORK/m1")"; then
	ok "veilfs status --json: one object with a mounts array"
else
	notok "veilfs status --json: one object with a mounts array" "$json"
fi
"$VEILFS" fsck --force --passfile "$T_PASSFILE" "$C" >"$T_WORK/fsck.out" 2>"$T_WORK/fsck.err" && frc=0 || frc=$?
if ((frc == 0)) && grep -q "note: 1 live and 0 stale mount registrations" "$T_WORK/fsck.err"; then
	ok "fsck notes the registration and finds no damage"
else
	notok "fsck notes the registration and finds no damage" "exit $frc: $(cat "$T_WORK/fsck.out" "$T_WORK/fsck.err")"
fi
check "umount removes the registration" bash -c "'$VEILFS' umount '$T_WORK/m1' && test \$(find '$C' -maxdepth 1 -name 'veilfs.mount.*' | wc -l) = 0"

t_log "two shared mounts, then a third in another mode"
vmount "$C" "$T_WORK/m1" --shared=locks --log "$T_WORK/log1"
if vmount "$C" "$T_WORK/m2" --shared=locks --log "$T_WORK/log2"; then
	ok "a second mount in the same shared mode runs beside the first"
else
	notok "a second mount in the same shared mode runs beside the first" "mount failed"
fi
echo two >"$T_WORK/m1/g"
check "the second mount reads what the first wrote" test "$(cat "$T_WORK/m2/g")" = two
expect_refused "a mount in another shared mode is refused" "must use the same mode: mount with --shared=locks" \
	--shared=lockfiles
expect_refused "a single-client mount beside shared ones is refused" "must both use a shared mode"
check "veilfs status lists both live mounts" test "$("$VEILFS" status "$C" | grep -c '^live ')" = 2

t_log "a daemon killed with SIGKILL leaves a stale registration"
p2=$(daemon_pid "$T_WORK/m2")
kill -KILL "$p2"
wait_until 10 dead "$p2" || true
fusermount3 -u -z "$T_WORK/m2" 2>/dev/null || umount -l "$T_WORK/m2" 2>/dev/null || true
if "$VEILFS" status "$C" | grep -q "^stale .*pid $p2 "; then
	ok "status calls the killed daemon's registration stale"
else
	notok "status calls the killed daemon's registration stale" "$("$VEILFS" status "$C")"
fi
vumount "$T_WORK/m1"
if vmount "$C" "$T_WORK/m1" --log "$T_WORK/log3"; then
	ok "a mount starts beside a stale registration"
else
	notok "a mount starts beside a stale registration" "refused"
fi
check "... and removed it (logged)" grep -q "removing the stale mount registration of host .* pid $p2" "$T_WORK/log3"
check "only the new registration is left" test "$(registrations)" = 1
vumount "$T_WORK/m1"

t_log "registrations of another host, and planted objects"
old=$(($(date +%s) - 1200))
printf 'veilfs-mount v1 host=elsewhere boot=0000 pid=77 mode=off started=%s beat=%s seq=9 mnt=/x\n' \
	"$old" "$old" >"$C/veilfs.mount.00000000000000000000000000000001"
mkfifo "$C/veilfs.mount.00000000000000000000000000000002"
ln -s /etc/passwd "$C/veilfs.mount.00000000000000000000000000000003"
head -c 3000 /dev/urandom >"$C/veilfs.mount.00000000000000000000000000000004"
start=$(date +%s)
if vmount "$C" "$T_WORK/m1" --log "$T_WORK/log4"; then
	ok "a mount starts beside a 20-minute-old foreign registration and planted objects ($(($(date +%s) - start)) s)"
else
	notok "a mount starts beside a 20-minute-old foreign registration and planted objects" "refused"
fi
check "the old foreign registration was removed" test ! -e "$C/veilfs.mount.00000000000000000000000000000001"
check "the planted FIFO was logged, not opened for good" grep -q "is a FIFO, not a regular file" "$T_WORK/log4"
check "status answers with planted objects present" timeout 10 "$VEILFS" status "$C"
vumount "$T_WORK/m1"
rm -f "$C"/veilfs.mount.0000000000000000000000000000000[234]

t_log "a registration of another host with a recent heartbeat that never changes"
now=$(date +%s)
printf 'veilfs-mount v1 host=elsewhere boot=0000 pid=77 mode=locks started=%s beat=%s seq=9 mnt=/x\n' \
	"$now" "$now" >"$C/veilfs.mount.00000000000000000000000000000005"
start=$(date +%s)
if vmount "$C" "$T_WORK/m1" --log "$T_WORK/log5"; then
	ok "a mount starts once the silent foreign registration proved stale ($(($(date +%s) - start)) s)"
else
	notok "a mount starts once the silent foreign registration proved stale" "refused"
fi
check "... and removed it" test ! -e "$C/veilfs.mount.00000000000000000000000000000005"
vumount "$T_WORK/m1"

t_log "a registration of another host whose heartbeat moves is live"
beat() {
	local i
	for ((i = 10; i < 60; i++)); do
		printf 'veilfs-mount v1 host=elsewhere boot=0000 pid=77 mode=off started=%s beat=%s seq=%s mnt=/x\n' \
			"$now" "$(date +%s)" "$i" >"$C/veilfs.mount.00000000000000000000000000000006.t"
		mv "$C/veilfs.mount.00000000000000000000000000000006.t" "$C/veilfs.mount.00000000000000000000000000000006"
		sleep 0.5
	done
}
beat &
beater=$!
expect_refused "a mount beside another host's live single-client mount is refused" "is mounted by host 'elsewhere'"
kill "$beater" 2>/dev/null || true
wait "$beater" 2>/dev/null || true
rm -f "$C"/veilfs.mount.00000000000000000000000000000006*
check "no registration is left behind" test "$(registrations)" = 0

t_summary

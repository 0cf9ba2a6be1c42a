#!/usr/bin/env bash
# tests/mount/idle.sh: `veilfs mount --idle=DURATION` and the --json reports of mount and
# umount, on real mounts:
#   - an idle mount unmounts itself after DURATION (and its daemon exits, logged);
#   - requests keep it mounted; a file held open keeps it mounted past DURATION, and it
#     goes once the file is closed;
#   - --idle refuses junk values; -o idle= is the fstab spelling;
#   - mount --json and umount --json print one JSON object each.
# Every wait is bounded. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight idle.sh

T_WORK=$(mktemp -d /tmp/veilfs-idle.XXXXXX)
T_PASSFILE=$T_WORK/pw
t_on_exit t_cleanup
echo pw >"$T_PASSFILE"
chmod 600 "$T_PASSFILE"
C=$T_WORK/c
M=$T_WORK/m
new_vault "$C"

t_log "an idle mount unmounts itself"
vmount "$C" "$M" --idle=2 -q --log "$T_WORK/log"
pid=$(daemon_pid "$M")
echo one >"$M/f"
if wait_until 15 not_mounted "$M"; then
	ok "unmounted after 2 s without requests"
else
	notok "unmounted after 2 s without requests" "still mounted after 15 s"
fi
check "its daemon exited" wait_until 10 dead "$pid"
check "the daemon logged it" grep -q "idle for 2 s: unmounted" "$T_WORK/log"

t_log "requests and open files keep it mounted"
vmount "$C" "$M" --idle=2 -q --log "$T_WORK/log2"
for i in 1 2 3 4 5 6; do
	cat "$M/f" >/dev/null
	sleep 0.5
done
check "requests every 0.5 s for 3 s keep it mounted" is_mounted "$M"
exec 7<"$M/f"
sleep 4
check "a file held open keeps it mounted past the idle time" is_mounted "$M"
exec 7<&-
if wait_until 15 not_mounted "$M"; then
	ok "it unmounts once the file is closed"
else
	notok "it unmounts once the file is closed" "still mounted after 15 s"
fi
check "the busy attempt was logged" grep -q "cannot unmount .* yet (files are open)" "$T_WORK/log2"

t_log "values, -o idle=, --json"
for bad in 0 -5 10x 1.5 "" 99999999h; do
	rc=0
	"$VEILFS" mount --passfile "$T_PASSFILE" --idle="$bad" "$C" "$M" 2>/dev/null || rc=$?
	check "--idle='$bad' is a usage error" test "$rc" = 2
done
out=$("$VEILFS" mount --passfile "$T_PASSFILE" -o idle=1m --json "$C" "$M")
T_MOUNTS+=("$M")
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["mounted"] is True and d["mountpoint"] == sys.argv[2] and d["read_only"] is False, d
' "$out" "$(realpath "$M")"; then
	ok "mount --json prints one object (-o idle=1m accepted)"
else
	notok "mount --json prints one object (-o idle=1m accepted)" "$out"
fi
pid=$(daemon_pid "$M")
out=$("$VEILFS" umount --json "$M")
if python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert d["unmounted"] is True and d["mountpoint"] == sys.argv[2] and d["pid"] == int(sys.argv[3]), d
' "$out" "$(realpath "$M")" "$pid"; then
	ok "umount --json prints one object with the daemon's pid"
else
	notok "umount --json prints one object with the daemon's pid" "$out"
fi

t_summary

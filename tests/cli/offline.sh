#!/usr/bin/env bash
# tests/cli/offline.sh: the offline commands (ls, cat, get, put, rm, mkdir: docs/CLI.md,
# "Offline access") against real `veilfs mount`s of the same vault, in both directions:
#   - files put offline (5 MiB random, empty, exactly 4096 bytes, one from stdin) read
#     byte-identical through a mount; files written through a mount come back
#     byte-identical with get and cat; ls -l and ls --json sizes match the mount's;
#   - rm, rm -r and mkdir (-p) done offline are seen through a mount;
#   - a wrong password exits 1, a missing path exits 4 with a clear message, '..' and
#     a directory without -r are refused; nothing is changed by a refused command;
#   - a tampered block reads as exit 4 naming the integrity failure; planted names in the
#     cipher directory (a FIFO, garbage) are warned about and skipped by ls, never a hang;
#   - beside a live single-client mount every offline command is refused with exit 6;
#     beside live --shared=locks and --shared=lockfiles mounts they work, the mounts see
#     what they put, and a mismatched --shared is refused with exit 6; offline cats of a
#     file a locks mount is appending to all succeed and are prefixes of the final file
#     (they take the mount's locks: a build without them fails this, seen 9 of 74 reads);
#   - with no mount, the mode is picked as by 'mount --shared=auto' (locks on a local
#     file system, seen in the -v log); --shared=off then works too;
#   - an ordinary user (nobody) can init, put and cat with no FUSE at all;
#   - a put stopped by SIGINT mid-stream removes its temporary name;
#   - rm -r of a tree deeper than 512 levels is refused, removing nothing of the chain;
#   - `veilfs cat` and `veilfs put` of a 200 MiB file stay under 64 MiB of max RSS
#     (GNU time -v): a bound on memory, not a timing.
# Every wait is bounded. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight offline.sh

T_WORK=$(mktemp -d /tmp/veilfs-offline.XXXXXX)
T_PASSFILE=$T_WORK/pw
t_on_exit t_cleanup
echo pw >"$T_PASSFILE"
echo wrong >"$T_WORK/badpw"
C=$T_WORK/c
M=$T_WORK/m
L=$T_WORK/local
mkdir -p "$L"
new_vault "$C"

# off CMD ARGS...: an offline command with the test password, time-limited; sets rc,
# and leaves stdout in $T_WORK/out and stderr in $T_WORK/err.
off() {
	local cmd=$1
	shift
	rc=0
	timeout 120 "$VEILFS" "$cmd" --passfile "$T_PASSFILE" "$C" "$@" >"$T_WORK/out" \
		2>"$T_WORK/err" || rc=$?
}
# off_ok NAME CMD ARGS...: ok when the offline command exits 0.
off_ok() {
	local name=$1
	shift
	off "$@"
	if ((rc == 0)); then ok "$name"; else notok "$name" "exit $rc: $(cat "$T_WORK/err")"; fi
}
same() { cmp -s "$1" "$2"; }
# lower_sum: a digest of every lower file (names and contents), to prove nothing changed.
lower_sum() { (cd "$C" && find . -type f ! -name 'veilfs.mount.*' -print0 | sort -z | xargs -0 sha256sum) | sha256sum; }
# mount_size PATH: the size of PATH as the mount shows it.
mount_size() { stat -c %s "$M/$1"; }
# json_size NAME [DIR]: the size of entry NAME in `ls --json` of DIR.
json_size() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print([e["size"] for e in d["entries"] if e["name"] == sys.argv[2]][0])
' "$T_WORK/out" "$1"
}
seen_in_mount() { [ -e "$M/$1" ]; }
gone_from_mount() { [ ! -e "$M/$1" ] && [ ! -L "$M/$1" ]; }

head -c $((5 * 1024 * 1024)) /dev/urandom >"$L/big"
: >"$L/empty"
head -c 4096 /dev/urandom >"$L/page"
head -c 1234567 /dev/urandom >"$L/odd"

t_log "put offline, read through a mount"
off_ok "put a 5 MiB random file" put "$L/big" /big
off_ok "put an empty file" put "$L/empty" empty
off_ok "put a file of exactly 4096 bytes into a new directory (mkdir, then put into it)" \
	mkdir sub
off_ok "... put into the directory under LOCALFILE's name" put "$L/page" sub
off "put" - /stdin <"$L/odd"
if ((rc == 0)); then ok "put from standard input ('-')"; else notok "put from standard input" "exit $rc: $(cat "$T_WORK/err")"; fi
vmount "$C" "$M" --log "$T_WORK/log1"
check "the mount reads the 5 MiB file byte-identical" same "$L/big" "$M/big"
check "the mount reads the empty file (0 bytes)" test -f "$M/empty" -a ! -s "$M/empty"
check "the mount reads the 4096-byte file byte-identical" same "$L/page" "$M/sub/page"
check "the mount reads the file put from stdin byte-identical" same "$L/odd" "$M/stdin"
check "no temporary name of put is left" test "$(ls -A "$M" | grep -c veilfs-put || true)" = 0

t_log "beside a live single-client mount: refused with exit 6"
head -c 300000 /dev/urandom >"$M/from-mount"
chmod 600 "$M/from-mount"
cp "$L/odd" "$M/sub/odd-from-mount"
: >"$M/empty-from-mount"
sum_before=$(lower_sum)
for c in "ls" "cat big" "get big $L/refused" "put $L/page refused" "rm big" "mkdir refused"; do
	# shellcheck disable=SC2086
	off $c
	if ((rc == 6)) && grep -q "cannot run beside a single-client mount" "$T_WORK/err"; then
		ok "'veilfs ${c%% *}' beside a --shared=off mount exits 6 ($(head -c 120 "$T_WORK/err"))"
	else
		notok "'veilfs ${c%% *}' beside a --shared=off mount exits 6" "exit $rc: $(cat "$T_WORK/err")"
	fi
done
check "the refused commands changed nothing in the cipher directory" test "$(lower_sum)" = "$sum_before"
check "... and wrote no local file" test ! -e "$L/refused"
sizes_mount="$(mount_size big) $(mount_size from-mount) $(mount_size sub/odd-from-mount) $(mount_size empty-from-mount)"
cp "$M/from-mount" "$L/from-mount"
check "umount of the single-client mount" vumount "$M"

t_log "no mount: get, cat and ls of what the mount wrote"
off_ok "get of a file written through the mount" get from-mount "$L/got"
check "... byte-identical" same "$L/from-mount" "$L/got"
check "... created with the vault file's mode 0600" test "$(stat -c %a "$L/got")" = 600
off_ok "get into a local directory (under PATH's last name)" get sub/odd-from-mount "$L"
check "... byte-identical" same "$L/odd" "$L/odd-from-mount"
off "cat" sub/odd-from-mount
check "cat of a file written through the mount is byte-identical" same "$L/odd" "$T_WORK/out"
off "cat" empty-from-mount
check "cat of an empty file written through the mount: exit 0, no bytes" test "$rc" = 0 -a ! -s "$T_WORK/out"
off "ls" --json
if ((rc == 0)) && sizes_json="$(json_size big) $(json_size from-mount)" &&
	python3 -m json.tool "$T_WORK/out" >/dev/null; then
	ok "ls --json parses as JSON"
else
	notok "ls --json parses as JSON" "exit $rc: $(cat "$T_WORK/out" "$T_WORK/err")"
	sizes_json=
fi
off "ls" --json sub
sizes_json="$sizes_json $(json_size odd-from-mount 2>/dev/null || echo missing)"
off "ls" --json
sizes_json="$sizes_json $(json_size empty-from-mount 2>/dev/null || echo missing)"
check "ls --json sizes match the mount's ($sizes_mount)" test "$sizes_json" = "$sizes_mount"
off "ls" -l
big_l=$(awk '$NF == "big" { print $5 }' "$T_WORK/out")
fm_l=$(awk '$NF == "from-mount" { print $5 }' "$T_WORK/out")
check "ls -l sizes match the mount's (big $big_l, from-mount $fm_l)" \
	test "$big_l $fm_l" = "$(cut -d' ' -f1-2 <<<"$sizes_mount")"
check "ls -l marks the directory" grep -q '^d.* sub$' "$T_WORK/out"
off "ls" -v
check "with no mount, ls -v logs the auto choice (locks on a local fs)" \
	grep -q -- "--shared=auto: lower file system type .*: using locks" "$T_WORK/err"
off "ls" --shared=off
check "ls lists the names, sorted (--shared=off with no mount)" test "$(tr '\n' ' ' <"$T_WORK/out")" = \
	"big empty empty-from-mount from-mount stdin sub "

t_log "errors"
sum_before=$(lower_sum)
rc=0
timeout 60 "$VEILFS" put --passfile "$T_WORK/badpw" "$C" "$L/page" /nope >/dev/null 2>"$T_WORK/err" || rc=$?
check "a wrong password exits 1 ($(cat "$T_WORK/err"))" test "$rc" = 1
rc=0
timeout 60 "$VEILFS" ls --passfile "$T_WORK/badpw" "$C" >/dev/null 2>"$T_WORK/err" || rc=$?
check "a wrong password exits 1 for ls too" test "$rc" = 1
off "cat" no/such/file
if ((rc == 4)) && grep -q "cannot read 'no/such/file' in '$C': No such file or directory" "$T_WORK/err"; then
	ok "a missing path exits 4 with a clear message ($(cat "$T_WORK/err"))"
else
	notok "a missing path exits 4 with a clear message" "exit $rc: $(cat "$T_WORK/err")"
fi
off "get" nope "$L/nope"
check "get of a missing path exits 4 and creates no local file" test "$rc" = 4 -a ! -e "$L/nope"
off "rm" nope
check "rm of a missing path exits 4" test "$rc" = 4
off "cat" sub
check "cat of a directory exits 4 (Is a directory)" bash -c "test $rc = 4 && grep -q 'Is a directory' '$T_WORK/err'"
off "rm" sub
check "rm of a directory without -r exits 4 and says -r" bash -c "test $rc = 4 && grep -q 'use -r' '$T_WORK/err'"
off "cat" ../veilfs.conf
check "'..' in a path is a usage error (exit 2)" test "$rc" = 2
off "rm" -r /
check "rm -r of the root is refused (exit 2)" test "$rc" = 2
off "put" "$L/page" newdir/
check "put to 'NAME/' that is no directory exits 4 and creates nothing" \
	bash -c "test $rc = 4 && grep -q 'No such file or directory' '$T_WORK/err'"
off "put" "$L/page" big/
check "put to 'FILE/' exits 4 (Not a directory)" \
	bash -c "test $rc = 4 && grep -q 'Not a directory' '$T_WORK/err'"
off "ls" big/x
check "a file in the middle of a path exits 4 (Not a directory)" bash -c "test $rc = 4 && grep -q 'Not a directory' '$T_WORK/err'"
check "the failed commands changed nothing in the cipher directory" test "$(lower_sum)" = "$sum_before"
rc=0
"$VEILFS" put "$C" - x </dev/null >/dev/null 2>"$T_WORK/err" || rc=$?
check "put from stdin without --passfile/--extpass is a usage error" test "$rc" = 2
rc=0
"$VEILFS" ls --passfile "$T_PASSFILE" "$T_WORK" >/dev/null 2>"$T_WORK/err" || rc=$?
check "a directory that is no vault exits 3" test "$rc" = 3

t_log "rm and mkdir offline, seen through a mount"
off_ok "rm of a file" rm from-mount
off_ok "rm -r of a tree" rm -r sub
off_ok "mkdir -p of a nested directory" mkdir -p a/b/c
off_ok "mkdir -p of existing directories is no error" mkdir -p a/b
off "mkdir" a
check "mkdir of an existing directory without -p exits 4" test "$rc" = 4
off_ok "put over an existing file replaces it" put "$L/page" big
vmount "$C" "$M" --log "$T_WORK/log2"
check "the mount no longer sees the removed file" test ! -e "$M/from-mount"
check "the mount no longer sees the removed tree" test ! -e "$M/sub"
check "the mount sees the new directories" test -d "$M/a/b/c"
check "the mount reads the replaced file's new contents" same "$L/page" "$M/big"
check "umount" vumount "$M"

t_log "beside a live --shared=locks mount"
vmount "$C" "$M" --shared=locks --log "$T_WORK/log3"
off_ok "put beside a --shared=locks mount works" put "$L/big" a/b/c/big
if wait_until 10 seen_in_mount a/b/c/big && same "$L/big" "$M/a/b/c/big"; then
	ok "the shared mount sees the put file, byte-identical"
else
	notok "the shared mount sees the put file, byte-identical" "$(ls -la "$M/a/b/c" 2>&1)"
fi
cp "$L/odd" "$M/a/written-by-mount"
off "cat" a/written-by-mount
check "cat beside the shared mount reads what it wrote (closed), byte-identical" same "$L/odd" "$T_WORK/out"
off "ls" --json a/b/c
check "ls --json size beside the shared mount matches its stat" \
	test "$(json_size big)" = "$(mount_size a/b/c/big)"
off_ok "rm beside the shared mount" rm a/written-by-mount
if wait_until 10 gone_from_mount a/written-by-mount; then
	ok "the shared mount sees the removal"
else
	notok "the shared mount sees the removal" "still there"
fi
off_ok "mkdir beside the shared mount" mkdir a/new-dir
if wait_until 10 test -d "$M/a/new-dir"; then
	ok "the shared mount sees the new directory"
else
	notok "the shared mount sees the new directory" "not there"
fi
# a writer through the mount appends while offline cats read: every read must succeed and
# be a prefix of the final file (no torn block, no integrity error under the shared locks)
printf 'start' >"$M/a/growing"
python3 - "$M/a/growing" <<'PY' &
import sys
with open(sys.argv[1], "ab", buffering=0) as f:
    for i in range(1500):
        f.write(bytes([i % 251]) * 30011)
PY
writer=$!
reads=0 bad=0
while kill -0 "$writer" 2>/dev/null && ((reads < 60)); do
	off "cat" a/growing
	if ((rc == 0)); then cp "$T_WORK/out" "$T_WORK/read.$reads"; else bad=$((bad + 1)); cat "$T_WORK/err" >&2; fi
	reads=$((reads + 1))
done
wait "$writer"
prefix_bad=0
for ((i = 0; i < reads; i++)); do
	[ -e "$T_WORK/read.$i" ] || continue
	cmp -s -n "$(stat -c %s "$T_WORK/read.$i")" "$T_WORK/read.$i" "$M/a/growing" || prefix_bad=$((prefix_bad + 1))
done
check "$reads offline cats while the mount appends: all succeed ($bad failed), all prefixes ($prefix_bad not)" \
	test "$bad" = 0 -a "$prefix_bad" = 0 -a "$reads" -gt 0
off "ls" -v
check "ls -v beside the locks mount logs the locks mode" grep -q "shared mode locks over" "$T_WORK/err"
off "ls" --shared=lockfiles
if ((rc == 6)) && grep -q "use --shared=locks or auto" "$T_WORK/err"; then
	ok "--shared=lockfiles beside a locks mount exits 6"
else
	notok "--shared=lockfiles beside a locks mount exits 6" "exit $rc: $(cat "$T_WORK/err")"
fi
off "ls" --shared=off
check "--shared=off beside a shared mount exits 6" test "$rc" = 6
check "umount of the shared mount" vumount "$M"

t_log "beside a live --shared=lockfiles mount"
vmount "$C" "$M" --shared=lockfiles --log "$T_WORK/log4"
off_ok "put beside a --shared=lockfiles mount works (mode taken from the registry)" \
	put "$L/odd" a/lf
if wait_until 10 seen_in_mount a/lf && same "$L/odd" "$M/a/lf"; then
	ok "the lockfiles mount sees the put file, byte-identical"
else
	notok "the lockfiles mount sees the put file, byte-identical" "$(ls -la "$M/a" 2>&1)"
fi
off "cat" -v a/b/c/big
check "cat beside the lockfiles mount, byte-identical" same "$L/big" "$T_WORK/out"
check "... and it took the lockfiles mode from the registry (-v log)" \
	grep -q "shared mode lockfiles over" "$T_WORK/err"
off "get" --lock-lease=30 a/lf "$L/lf"
check "get --lock-lease=30 beside the lockfiles mount, byte-identical" same "$L/odd" "$L/lf"
check "no lock file is left behind" test "$(find "$C" -name 'veilfs.lock.*' | wc -l)" = 0
check "umount of the lockfiles mount" vumount "$M"

t_log "the share as untrusted input"
off_ok "mkdir for the tamper test" mkdir tamper
off_ok "put a file to tamper with" put "$L/odd" tamper/f
off "ls" --json tamper
ino=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["entries"][0]["ino"])' "$T_WORK/out")
lower=$(find "$C" -inum "$ino" -type f)
if [ -n "$lower" ] && [ -f "$lower" ]; then
	printf '\xff' | dd of="$lower" bs=1 seek=5000 conv=notrunc status=none
	off "cat" tamper/f
	if ((rc == 4)) && grep -q "cannot read 'tamper/f' in '$C': integrity check failed" "$T_WORK/err"; then
		ok "cat of a tampered file exits 4 and names the integrity failure"
	else
		notok "cat of a tampered file exits 4 and names the integrity failure" "exit $rc: $(tail -n 2 "$T_WORK/err")"
	fi
	off "get" tamper/f "$L/tampered"
	check "get of a tampered file exits 4 and leaves no local file" test "$rc" = 4 -a ! -e "$L/tampered"
else
	notok "find the lower file of tamper/f (inode $ino)" "not found"
fi
mkfifo "$C/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
head -c 100 /dev/urandom >"$C/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
off "ls" -l
if ((rc == 0)) && grep -q ' tamper$' "$T_WORK/out" && grep -q "cannot decrypt name" "$T_WORK/err"; then
	ok "ls -l beside a planted FIFO and a planted file: exit 0, warnings, the rest listed"
else
	notok "ls -l beside a planted FIFO and a planted file" "exit $rc: $(cat "$T_WORK/out" "$T_WORK/err")"
fi
off "rm" -r /tamper
check "rm -r of the tampered tree" test "$rc" = 0
rm -f "$C/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" "$C/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"

t_log "put stopped by SIGINT"
# lower_count: entries in the lower root (a new temporary name shows as one more)
lower_count() { find "$C" -mindepth 1 -maxdepth 1 ! -name 'veilfs.mount.*' | wc -l; }
more_lower() { test "$(lower_count)" -gt "$1"; }
n0=$(lower_count)
mkfifo "$T_WORK/slow"
"$VEILFS" put --passfile "$T_PASSFILE" "$C" - stopped <"$T_WORK/slow" 2>"$T_WORK/err.int" &
putpid=$!
exec 7>"$T_WORK/slow"
head -c 3000000 /dev/urandom >&7
if wait_until 20 more_lower "$n0"; then
	kill -INT "$putpid"
	rc=0
	wait "$putpid" || rc=$?
	exec 7>&-
	if ((rc == 4)) && grep -q "interrupted: 'stopped'" "$T_WORK/err.int" && test "$(lower_count)" = "$n0"; then
		ok "put stopped by SIGINT mid-stream exits 4, says so and leaves no temporary name"
	else
		notok "put stopped by SIGINT mid-stream" "exit $rc, lower entries $(lower_count) (were $n0): $(cat "$T_WORK/err.int")"
	fi
else
	exec 7>&-
	wait "$putpid" || true
	notok "put stopped by SIGINT mid-stream" "its temporary name never appeared: $(cat "$T_WORK/err.int")"
fi
off "ls" stopped
check "... and 'stopped' does not exist" test "$rc" = 4

t_log "as an ordinary user (nobody), no FUSE involved"
if (($(id -u) == 0)) && id nobody >/dev/null 2>&1; then
	chmod 711 "$T_WORK"
	NR=$T_WORK/nr
	mkdir -p "$NR" && chown nobody "$NR"
	runuser -u nobody -- sh -c "umask 077; echo npw >'$NR/pw'; cp '$L/odd' '$NR/odd'"
	rc=0
	runuser -u nobody -- "$VEILFS" init --passfile "$NR/pw" --kdf-memory 8 --kdf-time 1 "$NR/c" \
		>/dev/null 2>"$T_WORK/err" || rc=$?
	runuser -u nobody -- "$VEILFS" put --passfile "$NR/pw" "$NR/c" "$NR/odd" odd 2>>"$T_WORK/err" || rc=$?
	runuser -u nobody -- "$VEILFS" cat --passfile "$NR/pw" "$NR/c" odd >"$T_WORK/nr.out" 2>>"$T_WORK/err" || rc=$?
	if ((rc == 0)) && same "$L/odd" "$T_WORK/nr.out"; then
		ok "init, put and cat as nobody: byte-identical"
	else
		notok "init, put and cat as nobody" "exit $rc: $(cat "$T_WORK/err")"
	fi
else
	skip "init, put and cat as nobody" "needs root and a user nobody"
fi

t_log "rm -r depth bound"
deep=deep$(printf '/d%.0s' $(seq 1 513))
off_ok "mkdir -p of a chain 514 directories deep" mkdir -p "$deep"
off "rm" -r deep
if ((rc == 4)) && grep -q "more than 512 levels deep" "$T_WORK/err"; then
	ok "rm -r of a tree deeper than 512 levels exits 4 and says so"
else
	notok "rm -r of a tree deeper than 512 levels exits 4 and says so" "exit $rc: $(cat "$T_WORK/err")"
fi
off "ls" "$deep"
check "... and removed nothing of the chain (ls of the empty last directory: exit 0, no output)" \
	test "$rc" = 0 -a ! -s "$T_WORK/out"

t_log "constant memory: 200 MiB through cat and put"
# ASan keeps freed memory in quarantine (256 MiB): the bound holds for a normal build only.
asan=0
# (grep without -q reads all of ldd's output: no SIGPIPE to fail the pipeline)
if ldd "$VEILFS" 2>/dev/null | grep libasan >/dev/null; then asan=1; fi
# rss_check NAME KIB: ok when KIB < 64 MiB (skipped under ASan).
rss_check() {
	if ((asan)); then
		skip "$1: max RSS $2 KiB" "ASan build (quarantine)"
	elif [ -n "$2" ] && (($2 < 64 * 1024)); then
		ok "$1: max RSS $2 KiB < 64 MiB"
	else
		notok "$1: max RSS < 64 MiB" "max RSS ${2:-?} KiB"
	fi
}
huge=$((200 * 1024 * 1024))
want=$(head -c "$huge" /dev/zero | sha256sum | cut -d' ' -f1)
rc=0
head -c "$huge" /dev/zero | /usr/bin/time -v -o "$T_WORK/time.put" \
	"$VEILFS" put --passfile "$T_PASSFILE" "$C" - huge 2>"$T_WORK/err" || rc=$?
rss_put=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$T_WORK/time.put")
check "put of 200 MiB from stdin: exit 0" test "$rc" = 0
rss_check "put of 200 MiB from stdin" "$rss_put"
rc=0
got=$(/usr/bin/time -v -o "$T_WORK/time.cat" "$VEILFS" cat --passfile "$T_PASSFILE" "$C" huge \
	2>"$T_WORK/err" | sha256sum | cut -d' ' -f1) || rc=$?
rss_cat=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$T_WORK/time.cat")
check "cat of 200 MiB returns the same bytes" test "$got" = "$want"
rss_check "cat of 200 MiB" "$rss_cat"
off "ls" -l
check "ls -l shows the 200 MiB size" grep -q " $huge .* huge$" "$T_WORK/out"

t_summary

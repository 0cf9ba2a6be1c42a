#!/usr/bin/env bash
# tests/shared/smb_store.sh: veilfs over SMB through its own client (store_smb.c), no
# kernel or FUSE SMB client in between (issue 10, item 3).
#
#   tests/shared/smb_store.sh [--rounds N] [--workdir DIR --keep-workdir]
#
# Starts a throw-away smbd on loopback (tests/beds/smb.sh), then:
#   store     tests/shared/smb_store_check.c against the share: every store operation
#             the vault uses, two sessions, and the cost of a 4 KiB write and read
#   init      veilfs init smb://127.0.0.1:PORT/share/sub/vault
#   auto      two veilfs daemons (two clients) mount it with --shared=auto: lockfiles
#   locks     --shared=locks is refused (no byte-range locks over libsmbclient)
#   block     two writers, disjoint halves of one 4 KiB block, ROUNDS rounds each
#             (tests/beds/twoclient_block.c): 0 lost updates, 0 EIO, both mounts agree
#   reads     B reads blocks A keeps rewriting (reads.py): never stale, torn or EIO
#   append    both clients append 64-byte records (tests/beds/appendlog.c): none lost
#   overlap   both clients overwrite overlapping ranges of one block (overlap.py): each
#             write lands whole, both mounts agree, every block authenticates
#   c2o       write+close on A, read on B; an in-place overwrite; names created,
#             renamed and removed on A, seen on B; rm of a file open on A
#   markers   no marker of contents or names in the server's backing directory (and a
#             control: a marker written there without veilfs is found)
#   locks     no lock file left in the cipher root
#   others    info (a password in the URL is never shown), fsck, passwd refused
#   registry  a second client without --shared is refused (exit 6)
#   off       (INFO) the block experiment with --shared=off, the first client's
#             registration removed (an unregistered client): shows the check can fail
#   failure   smbd and its children killed after an fsync'd write: reads fail (no hang,
#             the daemon stays up); smbd restarted: the data is intact, new writes work
# Every mount is unmounted and smbd stopped by its pid, also on failure (tests/lib.sh's
# t_cleanup: the mounts first, then the cleanup stack). Prints one line per check (ok,
# not ok, # INFO) and ends with "N passed, N failed"; exits non-zero on any failure; a run
# that stops half-way counts one more failure, "script aborted". Needs root,
# smbd (tests/beds/install-deps.sh) and a built tree (make).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VEILFS=${VEILFS:-$repo/build/veilfs}
CORE=${VEILFS_CORE_LIB:-$(dirname "$VEILFS")/libveilfs-core.a}
ROUNDS=200
KEEP=0
WORKDIR=""
while (($#)); do
	case $1 in
	--rounds) ROUNDS=$2; shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--keep-workdir) KEEP=1; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument '$1'" >&2; exit 2 ;;
	esac
done

# shellcheck source=tests/beds/lib.sh
source "$repo/tests/beds/lib.sh"
# shellcheck source=tests/beds/smb.sh
source "$repo/tests/beds/smb.sh"

[[ $(id -u) == 0 ]] || { echo "tests/shared/smb_store.sh needs root"; echo "0 passed, 1 failed"; exit 1; }
for f in "$VEILFS" "$CORE"; do
	[[ -e "$f" ]] || { echo "no '$f' (run make)"; echo "0 passed, 1 failed"; exit 1; }
done

if [[ -z "$WORKDIR" ]]; then
	WORKDIR=$(mktemp -d /tmp/veilfs-smbstore.XXXXXX)
	((KEEP)) || T_WORK=$WORKDIR # removed by t_cleanup (kept on failure)
fi
mkdir -p "$WORKDIR"
t_on_exit t_cleanup

# record CHECK PASS|FAIL|INFO DETAIL: ok, notok, or an INFO line (not counted).
record() {
	case $2 in
	PASS) ok "$1${3:+ ($3)}" ;;
	FAIL) notok "$1" "$3" ;;
	*) echo "# $2 $1: $3" ;;
	esac
}

bed_build_tools
san=() # a sanitizer build's core library needs its runtime (VEILFS=build-san/veilfs)
if [[ $CORE == *build-san* ]]; then
	san=(-fsanitize=address,undefined -fno-sanitize-recover=all)
	# libsmbclient's own one-time allocations are not veilfs's leaks
	export LSAN_OPTIONS=suppressions=$repo/tests/shared/lsan-smbclient.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}
fi
cc "${san[@]}" -std=c17 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -O2 -Wall -Wextra -Werror -I"$repo/src" \
	$(pkg-config --cflags smbclient) -o "$BED_BIN/smb_store_check" \
	"$repo/tests/shared/smb_store_check.c" "$CORE" \
	$(pkg-config --libs libcrypto libargon2 libsodium smbclient) -lpthread ||
	die "cannot build smb_store_check"
T_PASSFILE=$WORKDIR/pw # vmount (tests/lib.sh) uses it
printf 'correct horse battery staple\n' >"$T_PASSFILE"

smb_bed_start "$WORKDIR/bed"
export VEILFS_SMB_USER=$SMB_BED_USER VEILFS_SMB_PASSWORD=$SMB_BED_PASS
BASE="smb://127.0.0.1:$SMB_BED_PORT/share/sub"
URL="$BASE/vault"
CIPHER="$SMB_BED_EXPORT/vault" # the server's backing directory of the vault

# run_tool OUTFILE CMD...: a bounded tool's output to a file, then printed.
run_tool() {
	local out=$1 rc=0
	shift
	"$@" >"$out" 2>&1 || rc=$?
	cat "$out"
	return "$rc"
}

# vmount_smb MNT NAME: vmount (tests/lib.sh) of the vault at URL, --shared=auto, with the
# log veilfs.NAME.log.
vmount_smb() {
	vmount "$URL" "$1" --shared=auto --log "$WORKDIR/veilfs.$2.log"
}

# --- the store on its own ---
mkdir -p "$SMB_BED_EXPORT/unit"
rc=0
out="$(run_tool "$WORKDIR/out.store" timeout 300 "$BED_BIN/smb_store_check" "$BASE/unit" 1000)" || rc=$?
if ((rc == 0)); then
	record "store operations against smbd" PASS "$(tail -1 <<<"$out"); $(grep '^timing:' <<<"$out")"
else
	record "store operations against smbd" FAIL "exit $rc; $(grep -E '^FAIL' <<<"$out" | head -3 | tr '\n' ' ')$(tail -1 <<<"$out")"
fi

# --- init and two clients ---
if "$VEILFS" init --passfile "$WORKDIR/pw" --kdf-memory 8 --kdf-time 1 "$URL" >/dev/null &&
	[[ -f "$CIPHER/veilfs.conf" ]]; then
	record "veilfs init over smb://" PASS "veilfs.conf on the server"
else
	record "veilfs init over smb://" FAIL "no vault made"
	t_summary
	exit 1
fi
VA=$WORKDIR/mnt-a VB=$WORKDIR/mnt-b
vmount_smb "$VA" a
vmount_smb "$VB" b
if grep -q "using lockfiles" "$WORKDIR/veilfs.a.log" && grep -q "using lockfiles" "$WORKDIR/veilfs.b.log"; then
	record "--shared=auto over smb:// picks lockfiles" PASS "both daemons"
else
	record "--shared=auto over smb:// picks lockfiles" FAIL "$(grep -h 'shared' "$WORKDIR"/veilfs.*.log | head -2 | tr '\n' ' ')"
fi
rc=0
mkdir -p "$WORKDIR/mnt-c"
"$VEILFS" mount --passfile "$WORKDIR/pw" --shared=locks "$URL" "$WORKDIR/mnt-c" 2>"$WORKDIR/locks.err" || rc=$?
T_MOUNTS+=("$WORKDIR/mnt-c") # unmounted by t_cleanup should it mount
if ((rc == 2)) && grep -q "byte-range locks" "$WORKDIR/locks.err"; then
	record "--shared=locks over smb:// is refused" PASS "exit 2: $(head -1 "$WORKDIR/locks.err")"
else
	record "--shared=locks over smb:// is refused" FAIL "exit $rc"
fi

# --- the same block from both clients ---
rc=0
t0=$(bed_time_ms)
out="$(run_tool "$WORKDIR/out.block" "$BED_BIN/twoclient_block" --timeout 600 --wait-ms 0 \
	"$VA/block" "$VB/block" "$ROUNDS")" || rc=$?
t1=$(bed_time_ms)
res="$(grep '^result=' <<<"$out" | tail -1 || true)"
if ((rc == 0)) && grep -q 'lost_rounds=0 read_errors=0 write_errors=0 mounts_agree=yes' <<<"$res"; then
	record "same block, two clients ($ROUNDS rounds each)" PASS "$res"
else
	record "same block, two clients ($ROUNDS rounds each)" FAIL "exit $rc; ${res:-$(tail -1 <<<"$out")}"
fi
record "same block: time per round (both writers)" INFO "$(((t1 - t0) / ROUNDS)) ms ($((t1 - t0)) ms for $ROUNDS rounds)"
if cmp -s "$VA/block" "$VB/block"; then
	record "both mounts read the same final block" PASS "cmp"
else
	record "both mounts read the same final block" FAIL "cmp differs"
fi

# --- reads on one client while the other rewrites (reads without the lock file) ---
rc=0
out="$(run_tool "$WORKDIR/out.reads" python3 "$repo/tests/shared/reads.py" \
	"$VA/reads" "$VB/reads" "$ROUNDS" 600)" || rc=$?
if ((rc == 0)); then
	record "reads on B while A rewrites ($ROUNDS rounds)" PASS "$(head -1 <<<"$out")"
else
	record "reads on B while A rewrites ($ROUNDS rounds)" FAIL "exit $rc; $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
fi

# --- appends from both clients ---
rc=0
out="$(run_tool "$WORKDIR/out.append" "$BED_BIN/appendlog" run --timeout 600 --wait-ms 0 \
	"$VA/append" "$VB/append" "$ROUNDS")" || rc=$?
res="$(grep '^result=' <<<"$out" | tail -1 || true)"
if ((rc == 0)); then
	record "appends from both clients (2x$ROUNDS records)" PASS "${res:-ok}"
else
	record "appends from both clients (2x$ROUNDS records)" FAIL "exit $rc; ${res:-$(tail -1 <<<"$out")}"
fi

# --- overlapping writes from both clients ---
rc=0
out="$(run_tool "$WORKDIR/out.overlap" python3 "$repo/tests/shared/overlap.py" \
	"$VA/overlap" "$VB/overlap" "$ROUNDS" 600)" || rc=$?
if ((rc == 0)); then
	record "overlapping writes, two clients ($ROUNDS rounds)" PASS "$(grep -E '^result=' <<<"$out" | tail -1)"
else
	record "overlapping writes, two clients ($ROUNDS rounds)" FAIL "exit $rc; $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
fi

# --- close-to-open and names (no client cache: B must see A's change on its next open) ---
head -c 100000 /dev/urandom >"$WORKDIR/c2o.src"
cp "$WORKDIR/c2o.src" "$VA/c2o"
if cmp -s "$WORKDIR/c2o.src" "$VB/c2o"; then
	record "write+close on A, read on B" PASS "100000 bytes"
else
	record "write+close on A, read on B" FAIL "B reads other bytes"
fi
printf 'OVERWRITE-%05d' "$RANDOM" | dd of="$WORKDIR/c2o.src" bs=1 seek=5000 conv=notrunc status=none
dd if="$WORKDIR/c2o.src" bs=1 skip=5000 count=15 status=none |
	dd of="$VA/c2o" bs=1 seek=5000 conv=notrunc status=none
if cmp -s "$WORKDIR/c2o.src" "$VB/c2o"; then
	record "in-place overwrite on A, read on B" PASS "15 bytes at 5000"
else
	record "in-place overwrite on A, read on B" FAIL "B reads old bytes"
fi
why=""
mkdir "$VA/dir1" && echo hello >"$VA/dir1/name-one" || why+="create on A failed; "
[[ -e "$VB/dir1/name-one" ]] || why+="create not seen; "
mv "$VA/dir1/name-one" "$VA/dir1/name-two" || why+="rename on A failed; "
# B's kernel caches names for entry_timeout (0.1 s in a shared mode)
wait_for 5 "rename seen on B" test -e "$VB/dir1/name-two" 2>/dev/null || why+="rename target not seen; "
wait_for 5 "rename source gone on B" test ! -e "$VB/dir1/name-one" 2>/dev/null || why+="rename source still seen; "
[[ "$(cat "$VB/dir1/name-two" 2>/dev/null)" == hello ]] || why+="renamed contents wrong; "
rm "$VA/dir1/name-two" || why+="rm on A failed; "
wait_for 5 "removal seen on B" test ! -e "$VB/dir1/name-two" 2>/dev/null || why+="removal not seen; "
rmdir "$VA/dir1" || why+="rmdir on A failed; "
wait_for 5 "rmdir seen on B" test ! -e "$VB/dir1" 2>/dev/null || why+="rmdir not seen; "
if [[ -z "$why" ]]; then
	record "names created/renamed/removed on A, seen on B" PASS "create, rename, rm, rmdir"
else
	record "names created/renamed/removed on A, seen on B" FAIL "$why"
fi

# rm of an open file (SMB refuses; the store hides it until the last close)
why=""
echo keep >"$VA/openrm"
exec 7<"$VA/openrm"
rm "$VA/openrm" 2>"$WORKDIR/openrm.err" || why+="rm failed: $(cat "$WORKDIR/openrm.err"); "
[[ "$(cat <&7)" == keep ]] || why+="the open fd does not read it; "
exec 7<&-
[[ ! -e "$VA/openrm" && ! -e "$VB/openrm" ]] || why+="the name is still there; "
# (FUSE sends the release after close returns)
wait_for 10 "hidden file removed" test -z "$(find "$CIPHER" -maxdepth 1 -name 'veilfs.unlinked.*')" 2>/dev/null ||
	why+="veilfs.unlinked.* left; "
if [[ -z "$why" ]]; then
	record "rm of an open file: gone by name, readable by its fd" PASS "hidden until the close"
else
	record "rm of an open file: gone by name, readable by its fd" FAIL "$why"
fi

# --- no plaintext on the server ---
tag=$RANDOM$RANDOM
mkdir -p "$VA/wire"
printf "CONTENTMARK$tag-%.0s" {1..50} >"$VA/wire/file"
echo x >"$VA/wire/NAMEMARK$tag"
mkdir "$VA/wire/DIRMARK$tag"
sl="$(ln -s "LINKMARK$tag" "$VA/wire/link" 2>&1 | sed 's/.*: //' || true)"
xa="$(setfattr -n user.XATTRNAMEMARK -v "XATTRVALMARK$tag" "$VA/wire/file" 2>&1 | sed 's/.*: //' || true)"
hits=$(grep -ral -e "CONTENTMARK$tag" -e "NAMEMARK$tag" -e "DIRMARK$tag" "$CIPHER" 2>/dev/null | wc -l || true)
hits=$((hits + $(find "$CIPHER" -name "*MARK*" | wc -l)))
# (B reads the marker back: the write happened)
if ((hits == 0)) && [[ "$(head -c 11 "$VB/wire/file")" == CONTENTMARK ]]; then
	record "no marker in the server's backing files" PASS "contents, file and dir names (symlink: ${sl:-made}; xattr: ${xa:-set})"
else
	record "no marker in the server's backing files" FAIL "$hits hits"
fi
printf "CONTENTMARK$tag" >"$SMB_BED_EXPORT/control"
if grep -raq "CONTENTMARK$tag" "$SMB_BED_EXPORT"; then
	record "control: a marker written without veilfs is found" PASS "grep sees it"
else
	record "control: a marker written without veilfs is found" FAIL "grep missed it"
fi

# --- the end: lock files, unmount ---
vumount "$VA"
vumount "$VB"
n=$(find "$CIPHER" -maxdepth 1 -name 'veilfs.lock.*' | wc -l)
if ((n == 0)); then
	record "no lock file left in the cipher root" PASS "0"
else
	record "no lock file left in the cipher root" FAIL "$n left"
fi
# --- the other commands over smb:// ---
rc=0
cred_url="smb://$SMB_BED_USER:$SMB_BED_PASS@127.0.0.1:$SMB_BED_PORT/share/sub/vault"
out="$(env -u VEILFS_SMB_USER -u VEILFS_SMB_PASSWORD "$VEILFS" info "$cred_url" 2>&1)" || rc=$?
if ((rc == 0)) && grep -q "^vault: *$URL\$" <<<"$out" && ! grep -qF "$SMB_BED_PASS" <<<"$out"; then
	record "info with the password in the URL: shown without it" PASS "$(head -1 <<<"$out")"
else
	record "info with the password in the URL: shown without it" FAIL "exit $rc"
fi
rc=0
out="$("$VEILFS" fsck --passfile "$WORKDIR/pw" "$URL" 2>&1)" || rc=$?
if ((rc == 0)); then
	record "fsck over smb:// after both clients" PASS "$(tail -1 <<<"$out")"
else
	record "fsck over smb:// after both clients" FAIL "exit $rc: $(tail -2 <<<"$out" | tr '\n' ' ')"
fi
rc=0
sum0=$(sha256sum "$CIPHER/veilfs.conf")
"$VEILFS" passwd --passfile "$WORKDIR/pw" --new-passfile "$WORKDIR/pw" "$URL" 2>"$WORKDIR/passwd.err" || rc=$?
if ((rc == 4)) && [[ "$(sha256sum "$CIPHER/veilfs.conf")" == "$sum0" ]] && grep -q atomically "$WORKDIR/passwd.err"; then
	record "passwd over smb:// is refused, veilfs.conf kept" PASS "exit 4"
else
	record "passwd over smb:// is refused, veilfs.conf kept" FAIL "exit $rc"
fi
# --- the registry refuses a second client without --shared; control beyond it ---
for m in off-a off-b; do
	mkdir -p "$WORKDIR/mnt-$m"
	T_MOUNTS+=("$WORKDIR/mnt-$m") # unmounted by t_cleanup if still mounted
done
"$VEILFS" mount --passfile "$WORKDIR/pw" --shared=off --log "$WORKDIR/veilfs.off-a.log" \
	"$URL" "$WORKDIR/mnt-off-a"
rc=0
"$VEILFS" mount --passfile "$WORKDIR/pw" --shared=off --log "$WORKDIR/veilfs.off-b.log" \
	"$URL" "$WORKDIR/mnt-off-b" 2>"$WORKDIR/off.err" || rc=$?
if ((rc == 6)) && ! is_mounted "$WORKDIR/mnt-off-b"; then
	record "second client without --shared refused (registry)" PASS "exit 6"
else
	record "second client without --shared refused (registry)" FAIL "exit $rc: $(cat "$WORKDIR/off.err")"
fi
# INFO, not asserted: the same block with --shared=off on both, the first one's
# registration removed by hand (a client that never registered, such as an older veilfs):
# shows that the block check above can fail.
rm -f "$CIPHER"/veilfs.mount.*
"$VEILFS" mount --passfile "$WORKDIR/pw" --shared=off --log "$WORKDIR/veilfs.off-b.log" \
	"$URL" "$WORKDIR/mnt-off-b" 2>>"$WORKDIR/off.err" || true
if is_mounted "$WORKDIR/mnt-off-a" && is_mounted "$WORKDIR/mnt-off-b"; then
	rc=0
	out="$(run_tool "$WORKDIR/out.block-off" "$BED_BIN/twoclient_block" --timeout 600 \
		--wait-ms 0 "$WORKDIR/mnt-off-a/block-off" "$WORKDIR/mnt-off-b/block-off" "$ROUNDS")" || rc=$?
	record "control: same block with --shared=off (unregistered client)" INFO "exit $rc; $(grep '^result=' <<<"$out" | tail -1)"
else
	record "control: same block with --shared=off (unregistered client)" INFO "not run: $(tail -1 "$WORKDIR/off.err")"
fi
vumount "$WORKDIR/mnt-off-a"
! is_mounted "$WORKDIR/mnt-off-b" || vumount "$WORKDIR/mnt-off-b"

# --- the server dies under a mount, and comes back ---
vmount_smb "$VA" a2
head -c 50000 /dev/urandom >"$WORKDIR/fail.src"
cp "$WORKDIR/fail.src" "$VA/fail" && sync "$VA/fail"
# smbd and the per-connection children it started (all with this bed's smb.conf)
kill -KILL $SMB_BED_PID $(smb_bed_helper_pids) 2>/dev/null || true
wait "$SMB_BED_PID" 2>/dev/null || true
wait_for 10 "smbd gone" test -z "$(smb_bed_helper_pids)" || true
rc=0
t0=$(bed_time_ms)
timeout 120 cat "$VA/fail" >/dev/null 2>"$WORKDIR/fail.err" || rc=$?
t1=$(bed_time_ms)
if ((rc != 0 && rc != 124)); then
	record "smbd killed: a read fails, no hang" PASS "after $((t1 - t0)) ms: $(sed 's/.*: //' "$WORKDIR/fail.err" | head -1)"
else
	record "smbd killed: a read fails, no hang" FAIL "exit $rc"
fi
d=$SMB_BED_DIR/samba
setsid smbd -s "$d/smb.conf" -F --no-process-group --debug-stdout -d 1 \
	>>"$d/log/smbd.out" 2>&1 </dev/null &
SMB_BED_PID=$!
wait_for 15 "smbd back on port $SMB_BED_PORT" bed_port_in_use "$SMB_BED_PORT" || true
rc=0
timeout 120 cmp "$WORKDIR/fail.src" "$VA/fail" 2>"$WORKDIR/fail.err" || rc=$?
echo after >"$VA/fail.new" 2>>"$WORKDIR/fail.err" || rc=$?
if ((rc == 0)) && [[ "$(cat "$VA/fail.new" 2>/dev/null)" == after ]]; then
	record "smbd back: the fsync'd file is intact, a new write works" PASS "same daemon"
else
	record "smbd back: the fsync'd file is intact, a new write works" FAIL "exit $rc: $(head -1 "$WORKDIR/fail.err")"
fi
vumount "$VA"

if ! is_mounted "$VA" && ! is_mounted "$VB"; then
	record "both mounts unmounted" PASS ""
else
	record "both mounts unmounted" FAIL ""
fi
t_summary

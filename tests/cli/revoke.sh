#!/usr/bin/env bash
# tests/cli/revoke.sh: revocation by key rotation through the real binary and real FUSE
# mounts (docs/CLI.md "key revoke", docs/FORMAT.md "Key epochs"): `key revoke` with live
# shared mounts (the remaining members' mounts pick up the new epoch without a remount and
# seal new files under it, header checked with od; both read old and new files; the
# revoked secret no longer unlocks and its live mount cannot read the new files); the
# refusals (last slot, unknown label); `kill -9` during a revoke leaves a valid config,
# the old one or the new one; `veilfs rekey` converts every file (header counts checked),
# is resumable after `kill -9` at several points (every file reads as its plaintext copy
# after each kill and at the end) and after a kill at each point of one file's replacement
# (test hook VEILFS_TEST_REKEY_KILL: after the temporary file, after the old file's mark,
# after the rename; the rerun takes the mark off and every file reads byte for byte, times
# kept), runs beside two live shared mounts that write, makes a handle held open across it
# fail (EIO) instead of losing its write, also across a kill after the mark or after the
# rename, and leaves hard-linked files alone and names them. Prints "ok"/"not ok" per test and "N passed, N failed";
# each test has its own temp directory and time limit, and unmounts what it mounted.
#
#   tests/cli/revoke.sh [NAME-SUBSTRING]
# Environment: VEILFS (binary, default build/veilfs), VEILFS_CLI_TEST_TIMEOUT (default 180).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
V=${VEILFS:-$repo/build/veilfs}
[[ $V == /* ]] || V=$repo/$V
KDF=(--kdf-memory 8 --kdf-time 1)

# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"

MOUNTS=()
unmount_all() {
	local m
	for m in "${MOUNTS[@]}"; do
		is_mounted "$m" && { "$V" umount "$m" >/dev/null 2>&1 || fusermount3 -uz "$m" 2>/dev/null || true; }
	done
	return 0
}
t_on_exit unmount_all

labels() { "$V" key list --json "$1" | python3 -c 'import json,sys; print(" ".join(s["label"] for s in json.load(sys.stdin)["slots"]))'; }
key_epoch() { "$V" key list --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["key_epoch"])'; }
# header FILE: the first 8 bytes of a lower file in hex ("5646 0002 00000001": version 2, epoch 1)
header() { od -An -tx1 -N8 "$1" | tr -d ' \n'; }

# team NAME: a plaintext-names vault $T/NAME (lower names are the plain ones, so that the
# test finds a file's lower header) with password slots owner, carol and bob.
team() {
	pwfile owner.pw "owner of $1"
	pwfile carol.pw "carol of $1"
	pwfile bob.pw "bob of $1"
	expect_rc 0 "$V" init --passfile "$T/owner.pw" "${KDF[@]}" --no-recovery-key --plaintext-names "$T/$1"
	expect_rc 0 "$V" key add --passfile "$T/owner.pw" --label carol --new-passfile "$T/carol.pw" "${KDF[@]}" "$T/$1"
	expect_rc 0 "$V" key add --passfile "$T/owner.pw" --label bob --new-passfile "$T/bob.pw" "${KDF[@]}" "$T/$1"
	[[ $(labels "$T/$1") == "password carol bob" ]] || die "labels: $(labels "$T/$1")"
}

# smount PWFILE DIR MNT: a shared (lock-coordinated) mount.
smount() {
	mkdir -p "$3"
	MOUNTS+=("$3")
	expect_rc 0 "$V" mount --passfile "$1" --shared=locks "$2" "$3"
}

test_revoke_with_live_shared_mounts() {
	team v
	smount "$T/owner.pw" "$T/v" "$T/m1"
	smount "$T/carol.pw" "$T/v" "$T/m2"
	smount "$T/bob.pw" "$T/v" "$T/m3"
	echo "written before" >"$T/m1/old"
	[[ $(header "$T/v/old") == 56460001* ]] || die "old header $(header "$T/v/old")"
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	contains "$out" "key epoch 1"
	[[ $(key_epoch "$T/v") == 1 && $(labels "$T/v") == "password carol" ]] || die "after revoke: $(labels "$T/v")"
	# the remaining members' live mounts seal new files under epoch 1, no remount
	echo "written by owner after" >"$T/m1/new1"
	echo "written by carol after" >"$T/m2/new2"
	[[ $(header "$T/v/new1") == 5646000200000001 ]] || die "new1 header $(header "$T/v/new1")"
	[[ $(header "$T/v/new2") == 5646000200000001 ]] || die "new2 header $(header "$T/v/new2")"
	# both read old and new files
	for m in m1 m2; do
		[[ $(cat "$T/$m/old") == "written before" ]] || die "$m: old"
		[[ $(cat "$T/$m/new1") == "written by owner after" ]] || die "$m: new1"
		[[ $(cat "$T/$m/new2") == "written by carol after" ]] || die "$m: new2"
	done
	# the revoked member's live mount still reads the old file, not the new ones
	[[ $(cat "$T/m3/old") == "written before" ]] || die "m3: old"
	if cat "$T/m3/new1" >/dev/null 2>&1; then die "the revoked mount read a file of the new epoch"; fi
	# the revoked secret no longer unlocks
	expect_rc 1 "$V" ls --passfile "$T/bob.pw" "$T/v"
	mkdir -p "$T/m4"
	expect_rc 1 "$V" mount --passfile "$T/bob.pw" "$T/v" "$T/m4"
	for m in m1 m2 m3; do expect_rc 0 "$V" umount "$T/$m"; done
	# a fresh mount of a remaining member reads everything
	smount "$T/carol.pw" "$T/v" "$T/m1"
	[[ $(cat "$T/m1/old") == "written before" && $(cat "$T/m1/new2") == "written by carol after" ]] || die "remount"
	expect_rc 0 "$V" umount "$T/m1"
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
}

test_revoke_refusals() {
	team v
	expect_rc 2 "$V" key revoke --passfile "$T/owner.pw" --label nobody "$T/v"
	contains "$err" "no slot labelled 'nobody'"
	pwfile bad.pw "wrong"
	expect_rc 1 "$V" key revoke --passfile "$T/bad.pw" --label bob "$T/v"
	[[ $(key_epoch "$T/v") == 0 ]] || die "a refused revoke changed the epoch"
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	expect_rc 0 "$V" key revoke --passfile "$T/carol.pw" --label password "$T/v"
	[[ $(key_epoch "$T/v") == 2 && $(labels "$T/v") == carol ]] || die "epoch $(key_epoch "$T/v")"
	expect_rc 2 "$V" key revoke --passfile "$T/carol.pw" --label carol "$T/v"
	contains "$err" "the last slot"
	expect_rc 0 "$V" key revoke --help
	contains "$out" "revoke"
}

conf_lock_name() {
	python3 -c '
h = 0xcbf29ce484222325
for c in b"veilfs.conf":
    h = ((h ^ c) * 0x100000001b3) & (2**64 - 1)
print("veilfs.lock.%016x" % h)'
}

test_kill9_during_revoke_leaves_a_valid_config() {
	local k krc before lock holder pid hits=0
	team v
	echo "kept" >"$T/f0"
	expect_rc 0 "$V" put --passfile "$T/owner.pw" "$T/v" "$T/f0" /f0
	# (1) killed while it waits for the config lock (a live holder): nothing changed
	before=$(sha "$T/v/veilfs.conf")
	lock=$T/v/$(conf_lock_name)
	( while :; do printf 'veilfs-lock v1 client=test pid=%s time=%s seq=%s\n' $$ "$(date +%s)" "$RANDOM" >"$lock.new"; mv -f "$lock.new" "$lock"; sleep 1; done ) &
	holder=$!
	while [[ ! -e $lock ]]; do sleep 0.1; done
	"$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v" >/dev/null 2>&1 &
	pid=$!
	# it has unlocked (Argon2 done) and waits once the lock file exists for more than a moment
	sleep 1
	kill -9 "$pid"
	set +e
	wait "$pid"
	krc=$?
	set -e
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	rm -f "$lock" "$lock.new"
	[[ $krc == 137 ]] || die "revoke was not killed (exit $krc)"
	[[ $(sha "$T/v/veilfs.conf") == "$before" ]] || die "a killed revoke changed veilfs.conf"
	# (2) killed at a few points of its run (a bounded loop): each leaves the old config or
	# the new one, and the vault opens with the remaining slots
	local delays=(0 0.02 0.04 0.06 0.08 0.10 0.12 0.14)
	for k in 0 1 2 3 4 5 6 7; do
		before=$(labels "$T/v")
		"$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v" >/dev/null 2>&1 &
		pid=$!
		# the kill point: 0 ... 140 ms into a run of about 100 ms (whatever it hits, the
		# checks below hold)
		sleep "${delays[$k]}"
		kill -9 "$pid" 2>/dev/null || true
		set +e
		wait "$pid"
		krc=$?
		set -e
		"$V" key list "$T/v" >/dev/null || die "round $k: veilfs.conf does not load"
		case $(labels "$T/v") in
		"password carol bob") [[ $krc == 137 ]] || die "round $k: exit $krc but bob is still there" ;;
		"password carol")
			hits=$((hits + 1))
			expect_rc 1 "$V" ls --passfile "$T/bob.pw" "$T/v"
			expect_rc 0 "$V" key add --passfile "$T/owner.pw" --label bob --new-passfile "$T/bob.pw" "${KDF[@]}" "$T/v" ;;
		*) die "round $k: labels $(labels "$T/v")" ;;
		esac
		expect_rc 0 "$V" cat --passfile "$T/carol.pw" "$T/v" /f0
		[[ $out == kept ]] || die "round $k: f0 reads '$out'"
		echo "round $k: exit $krc, epoch $(key_epoch "$T/v")" >&2
	done
	echo "$hits of 8 revokes landed before the kill" >&2
	# a kill between writing veilfs.conf's temporary copy and its rename leaves that copy:
	# fsck names it (and nothing else), --repair removes it
	set +e
	"$V" fsck --passfile "$T/owner.pw" "$T/v" >"$T/fsck.out" 2>&1
	krc=$?
	set -e
	if ((krc != 0)); then
		[[ $krc == 5 ]] || die "fsck exit $krc: $(cat "$T/fsck.out")"
		[[ $(grep -c 'problem\|leftover' "$T/fsck.out") -ge 1 ]] || die "fsck: $(cat "$T/fsck.out")"
		if grep -v "veilfs.conf.tmp.*leftover temporary file" "$T/fsck.out" | grep -q "^[a-z-]*: '"; then
			die "fsck found more than leftover temporary files: $(cat "$T/fsck.out")"
		fi
		expect_rc 0 "$V" fsck --repair --passfile "$T/owner.pw" "$T/v"
	fi
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
}


# lower_headers DIR: counts of lower regular files by header, "v1=N v2e<E>=M ..." (the
# reserved veilfs.* names and empty files left out)
lower_headers() {
	python3 "$repo/tests/cli/lower_headers.py" "$1"
}

# fill_vault DIR N: N files of different sizes (0, 1 byte, blocks, a hole) in two
# directories, their plaintext kept in $T/plain for comparison.
fill_vault() {
	local i size
	mkdir -p "$T/plain/sub"
	for ((i = 0; i < $2; i++)); do
		size=$(((i * 7919) % 20000))
		head -c "$size" /dev/urandom >"$T/plain/f$i"
		((i % 3)) || cp "$T/plain/f$i" "$T/plain/sub/g$i"
	done
	truncate -s 50000 "$T/plain/sparse"
	printf 'tail' >>"$T/plain/sparse"
	smount "$T/owner.pw" "$1" "$T/fill"
	cp -r "$T/plain/." "$T/fill/"
	expect_rc 0 "$V" umount "$T/fill"
}

# marked DIR: the lower files (relative paths, one a line) whose size no cipher file has
# (AES-256-GCM geometry: 20-byte header, blocks of 4096 + 28): those a killed rekey marked
# (docs/FORMAT.md "Interrupted rekey")
marked() {
	python3 - "$1" <<'PY'
import os, sys
for d, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        p = os.path.join(d, f)
        if f.startswith("veilfs.") or os.path.islink(p):
            continue
        n = os.path.getsize(p)
        if n and (n < 20 or 0 < (n - 20) % 4124 <= 28):
            print(os.path.relpath(p, sys.argv[1]))
PY
}

# same_as_plain DIR [SKIP]: every file of $T/plain but SKIP (a relative path) reads back
# byte for byte through a fresh shared mount
same_as_plain() {
	local f
	smount "$T/carol.pw" "$1" "$T/check"
	(cd "$T/plain" && find . -type f) | while read -r f; do
		[[ ${f#./} == "${2:-}" ]] && continue
		cmp -s "$T/plain/$f" "$T/check/$f" || die "'$f' differs after rekey"
	done
	expect_rc 0 "$V" umount "$T/check"
}

test_rekey_converts_every_file_and_resumes_after_kill9() {
	local k pid krc delays=(0.1 0.25 0.35 0.45) before m
	team v
	fill_vault "$T/v" 40
	before=$(lower_headers "$T/v")
	[[ $before == v1=* && $before != *v2e* ]] || die "before: $before"
	nfiles=${before#v1=}
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	# killed at a few points: every file stays readable (old or new, never mixed)
	for k in 0 1 2 3; do
		"$V" rekey --passfile "$T/owner.pw" "$T/v" >/dev/null 2>&1 &
		pid=$!
		sleep "${delays[$k]}"
		kill -9 "$pid" 2>/dev/null || true
		set +e
		wait "$pid"
		krc=$?
		set -e
		m=$(marked "$T/v")
		echo "kill $k: exit $krc, $(lower_headers "$T/v"), marked: '$m'" >&2
		# a kill between a file's mark and its rename leaves that one file marked (whole
		# below the mark, EIO until the rerun); every other file reads as before
		[[ $m != *$'\n'* ]] || die "more than one file marked: $m"
		same_as_plain "$T/v" "$m"
	done
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" --progress "$T/v"
	[[ $(lower_headers "$T/v") == "v2e1=$nfiles" ]] || die "after rekey: $(lower_headers "$T/v") (want v2e1=$nfiles)"
	same_as_plain "$T/v"
	[[ -z $(find "$T/v" -name 'veilfs.rekey.*') ]] || die "temporary files left: $(find "$T/v" -name 'veilfs.rekey.*')"
	# a rerun has nothing to do
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" "$T/v"
	contains "$out" "0 files re-encrypted under key epoch 1,"
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
	# a temporary file a killed run left (planted here) is removed by the next run
	: >"$T/v/sub/veilfs.rekey.0123456789abcdef" 2>/dev/null || : >"$T/v/veilfs.rekey.0123456789abcdef"
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" "$T/v"
	contains "$out" "1 temporary files of an interrupted run removed"
}

# rekey_killed_at POINT:N: a rekey killed by its test hook (as by kill -9) the N-th time it
# reaches POINT (src/vault/vault_rekey.c kill_point)
rekey_killed_at() {
	expect_rc 137 env VEILFS_TEST_REKEY_KILL="$1" "$V" rekey --passfile "$T/owner.pw" "$T/v"
}

# lower_times DIR: "path mtime" of every lower file but the reserved veilfs.* ones
lower_times() { find "$1" -type f ! -name 'veilfs.*' -printf '%P %T@\n' | sort; }

# The kill points of one file's replacement, each hit exactly: after the temporary file is
# complete, after the old file is marked (before the rename), after the rename (before the
# old inode is cut). Every file reads byte for byte after each, and the rerun finishes.
test_rekey_killed_at_each_point_of_a_replacement_resumes() {
	local m before
	team v
	fill_vault "$T/v" 12
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	# (1) the temporary file written and fsynced, the old file untouched
	rekey_killed_at written:2
	[[ -z $(marked "$T/v") ]] || die "written: marked $(marked "$T/v")"
	[[ -n $(find "$T/v" -name 'veilfs.rekey.*') ]] || die "written: no temporary file left"
	same_as_plain "$T/v"
	# (2) the new file renamed in place, the old inode not cut yet
	rekey_killed_at renamed:2
	[[ -z $(marked "$T/v") ]] || die "renamed: marked $(marked "$T/v")"
	same_as_plain "$T/v"
	# (3) the old file marked, not yet replaced: it stays whole below the mark, beside
	# its complete temporary file; the rerun cuts the mark off (times kept) and redoes it
	before=$(lower_times "$T/v")
	rekey_killed_at marked:3
	m=$(marked "$T/v")
	[[ -n $m && $m != *$'\n'* ]] || die "marked: want one marked file, have '$m'"
	[[ -n $(find "$T/v" -name 'veilfs.rekey.*') ]] || die "marked: no temporary file left"
	same_as_plain "$T/v" "$m"
	expect_rc 4 "$V" cat --passfile "$T/carol.pw" "$T/v" "/$m"
	contains "$err" "Input/output error"
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" "$T/v"
	contains "$out" "1 of them marked by an interrupted run and made whole first"
	[[ -z $(marked "$T/v") ]] || die "still marked after the rerun: $(marked "$T/v")"
	[[ -z $(find "$T/v" -name 'veilfs.rekey.*') ]] || die "temporary files left: $(find "$T/v" -name 'veilfs.rekey.*')"
	[[ $(lower_headers "$T/v") == "v2e1=$(($(find "$T/plain" -type f -size +0 | wc -l)))" ]] ||
		die "after the rerun: $(lower_headers "$T/v")"
	same_as_plain "$T/v"
	# every file kept its times through the kills, the mark and its removal
	[[ $(lower_times "$T/v") == "$before" ]] || die "times changed: $(diff <(echo "$before") <(lower_times "$T/v"))"
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
}

# held_open: the vault $T/v with a file 'held' written through the live shared mount $T/m1,
# bob's slot revoked, and a process ($holder) that holds 'held' open for appending and
# writes "late" through that handle when $T/go1 appears and again when $T/go2 does, printing
# "STEP written" or "STEP error ERRNO" to $T/held.out each time.
held_open() {
	local i
	team v
	smount "$T/carol.pw" "$T/v" "$T/m1"
	echo "old" >"$T/m1/held"
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	python3 - "$T/m1/held" "$T/go" >"$T/held.out" 2>&1 <<'PY' &
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
open(sys.argv[2] + ".ready", "w").close()
for step in ("1", "2"):
    for _ in range(600):
        if os.path.exists(sys.argv[2] + step):
            break
        time.sleep(0.1)
    try:
        os.write(fd, b"late\n")
        os.fsync(fd)
        print(step, "written", flush=True)
    except OSError as e:
        print(step, "error", e.errno, flush=True)
    open(sys.argv[2] + step + ".done", "w").close()
PY
	holder=$!
	for ((i = 0; i < 100; i++)); do [[ -e $T/go.ready ]] && break; sleep 0.1; done
	[[ -e $T/go.ready ]] || die "the holder did not open the file"
}

# holder_step N: let the holder write through its handle (step N) and wait until it has.
holder_step() {
	local i
	: >"$T/go$1"
	for ((i = 0; i < 600; i++)); do [[ -e $T/go$1.done ]] && break; sleep 0.1; done
	[[ -e $T/go$1.done ]] || die "the holder did not write (step $1)"
}

# held_across_kill POINT: the handle of held_open across a rekey killed at POINT (marked:
# before the rename; renamed: before the old inode is cut): its write fails (EIO) at once,
# and again after the rerun; the file keeps its content, never a write that went nowhere.
held_across_kill() {
	held_open
	rekey_killed_at "$1:1"
	if [[ $1 == marked ]]; then
		[[ $(marked "$T/v") == held ]] || die "marked: '$(marked "$T/v")'"
		# a fresh open through the mount fails as loudly until the rerun
		if cat "$T/m1/held" >/dev/null 2>&1; then die "the marked file read through the mount"; fi
	else
		[[ -z $(marked "$T/v") && $(lower_headers "$T/v") == v2e1=1 ]] || die "renamed: $(lower_headers "$T/v")"
	fi
	holder_step 1
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" --shared=locks "$T/v"
	[[ $1 != marked ]] || contains "$out" "1 of them marked by an interrupted run"
	holder_step 2
	wait "$holder" || die "the holder failed: $(cat "$T/held.out")"
	[[ $(cat "$T/held.out") == $'1 error 5\n2 error 5' ]] || die "holder: $(cat "$T/held.out")"
	[[ $(cat "$T/m1/held") == old ]] || die "held reads '$(cat "$T/m1/held")'"
	[[ $(lower_headers "$T/v") == v2e1=1 ]] || die "headers: $(lower_headers "$T/v")"
	expect_rc 0 "$V" umount "$T/m1"
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
}

test_rekey_killed_between_mark_and_rename_a_held_handle_fails() { held_across_kill marked; }
test_rekey_killed_between_rename_and_cut_a_held_handle_fails() { held_across_kill renamed; }

test_rekey_beside_two_live_shared_mounts_that_write() {
	local writer other i e f
	team v
	fill_vault "$T/v" 30
	smount "$T/carol.pw" "$T/v" "$T/m1"
	smount "$T/owner.pw" "$T/v" "$T/m2"
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	# two live mounts: one appends to a file and creates new ones, the other rewrites the
	# files rekey converts, while rekey runs. A call that opened a file just before rekey
	# replaced it fails loudly with EIO (docs/SHARED.md "Key epochs and shared mounts"):
	# it is counted, its data must not land, and what a call reported done is in $T/want.*
	mkdir "$T/want"
	( for ((i = 0; i < 300; i++)); do
		if echo "line $i" 2>>"$T/w1.err" >>"$T/m1/journal"; then
			echo "line $i" >>"$T/want/journal"
		fi
		((i % 10)) || { echo "new $i" 2>>"$T/w1.err" >"$T/m1/new$i" &&
			echo "new $i" >"$T/want/new$i"; } || true
	done ) &
	writer=$!
	( for ((i = 0; i < 30; i++)); do
		if echo "other $i" 2>>"$T/w2.err" >>"$T/m2/other"; then
			echo "other $i" >>"$T/want/other"
		fi
		cat "$T/m2/f$((i % 30))" 2>>"$T/w2.err" >/dev/null || true
	done ) &
	other=$!
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" --shared=locks "$T/v"
	wait "$writer" || die "the live writer failed"
	wait "$other" || die "the second live mount failed"
	cat "$T/w1.err" "$T/w2.err" >"$T/calls.err" 2>/dev/null || true
	e=$(grep -c . "$T/calls.err" || true)
	echo "calls that raced rekey's replace and failed: $e" >&2
	if grep -v "Input/output error" "$T/calls.err" | grep -q .; then
		die "a call failed with another error than EIO: $(grep -v 'Input/output error' "$T/calls.err" | head -3)"
	fi
	((e <= 30)) || die "$e calls failed (at most one per file rekey replaced expected)"
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" --shared=locks "$T/v"
	[[ $(wc -l <"$T/want/journal") -ge 290 ]] || die "too few appends succeeded"
	cmp -s "$T/want/journal" "$T/m1/journal" || die "the journal is not what the appends reported"
	for f in "$T"/want/new*; do
		cmp -s "$f" "$T/m2/${f##*/}" || die "${f##*/} (read through the second mount)"
	done
	cmp -s "$T/want/other" "$T/m1/other" || die "other differs (read through the first mount)"
	expect_rc 0 "$V" umount "$T/m2"
	rm -f "$T/m1/other"
	expect_rc 0 "$V" umount "$T/m1"
	[[ $(lower_headers "$T/v") != *v1=* ]] || die "files left under epoch 0: $(lower_headers "$T/v")"
	same_as_plain "$T/v"
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
}

# A handle a live shared mount holds open across rekey points at the replaced file: its
# writes must fail (EIO), never land in the replaced file and vanish without a word.
test_rekey_a_handle_held_open_across_it_fails_never_loses_silently() {
	local res want=old
	held_open
	expect_rc 0 "$V" rekey --passfile "$T/owner.pw" --shared=locks "$T/v"
	holder_step 1
	holder_step 2
	wait "$holder" || die "the holder failed: $(cat "$T/held.out")"
	while read -r res; do
		case $res in
		*" error 5") ;; # EIO: the loss is loud
		*" written") want+=$'\nlate' ;;
		*) die "holder: $res" ;;
		esac
	done <"$T/held.out"
	[[ $(cat "$T/m1/held") == "$want" ]] || die "a write was lost silently: '$(cat "$T/m1/held")'"
	expect_rc 0 "$V" umount "$T/m1"
	expect_rc 0 "$V" fsck --passfile "$T/owner.pw" "$T/v"
}

test_rekey_leaves_hard_links_and_names_them() {
	team v
	smount "$T/owner.pw" "$T/v" "$T/m1"
	echo "linked" >"$T/m1/a"
	ln "$T/m1/a" "$T/m1/b"
	echo "single" >"$T/m1/c"
	expect_rc 0 "$V" umount "$T/m1"
	expect_rc 0 "$V" key revoke --passfile "$T/owner.pw" --label bob "$T/v"
	expect_rc 4 "$V" rekey --passfile "$T/owner.pw" "$T/v"
	contains "$out" "1 files re-encrypted"
	contains "$out" "2 hard-linked left under an older epoch"
	contains "$err" "'/a' is hard-linked"
	contains "$err" "'/b' is hard-linked"
	[[ $(lower_headers "$T/v") == "v1=2 v2e1=1" ]] || die "headers: $(lower_headers "$T/v")"
	[[ $(stat -c %h "$T/v/a") == 2 ]] || die "the link was split"
	expect_rc 0 "$V" cat --passfile "$T/carol.pw" "$T/v" /b
	[[ $out == linked ]] || die "b reads '$out'"
}

# ------------------------------------------------------------------------------ runner
t_case_main "$@"

[[ -x $V ]] || { echo "revoke.sh: no binary at $V (run make)" >&2; echo "0 passed, 1 failed"; exit 1; }
t_run_cases revoke "${VEILFS_CLI_TEST_TIMEOUT:-180}" "${1:-}"

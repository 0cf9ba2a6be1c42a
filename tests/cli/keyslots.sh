#!/usr/bin/env bash
# tests/cli/keyslots.sh: key slots through the real binary and real FUSE mounts
# (docs/CLI.md "key", "upgrade"): every slot type unlocks a mount; key list/add/remove;
# the last slot is refused; wrong keys exit 1 and change nothing; the recovery key of init
# (terminal, file, none); passwd of one slot with a new cost; upgrade of a version-1 vault
# keeps every file readable; two concurrent `key add` both land; `kill -9` of `key add`
# leaves a vault that opens with its old slots; slot changes under a live mount; TPM slots
# against software TPMs (swtpm, started per case on loopback): add, list, mount, fsck,
# passwd and the offline commands with --tpm, a second TPM and no TPM refused, garbage
# blobs in veilfs.conf. Prints "ok"/"not ok" per test and
# "N passed, N failed"; each test has its own temp directory and time limit, and unmounts
# what it mounted.
#
#   tests/cli/keyslots.sh [NAME-SUBSTRING]
# Environment: VEILFS (binary, default build/veilfs), VEILFS_CLI_TEST_TIMEOUT (default 180).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
V=${VEILFS:-$repo/build/veilfs}
[[ $V == /* ]] || V=$repo/$V
KDF=(--kdf-memory 8 --kdf-time 1)

# The helpers (die, skip_case, run, expect_rc, contains, lacks, sha, pwfile) and the runner
# (t_run_cases) are in tests/lib.sh.
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
labels() { "$V" key list --json "$1" | python3 -c 'import json,sys; print(" ".join(s["label"] for s in json.load(sys.stdin)["slots"]))'; }

# Mount points made by a test, unmounted on exit whatever happens.
MOUNTS=()
unmount_all() {
	local m
	for m in "${MOUNTS[@]}"; do
		is_mounted "$m" && { "$V" umount "$m" >/dev/null 2>&1 || fusermount3 -uz "$m" 2>/dev/null || true; }
	done
	return 0
}

# Software TPMs a case started (pids), stopped on exit whatever happens.
TPM_PIDS=()
tpm_stop_all() {
	local p
	for p in "${TPM_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	return 0
}
t_on_exit 'unmount_all; tpm_stop_all'

# tpm_start NAME: a fresh software TPM 2.0 (swtpm) with its state in $T/NAME.tpm, a child
# of this case (pid in TPM_PIDS); sets TPM_PORT and TPM2TOOLS_TCTI to reach it.
tpm_start() {
	swtpm_start "$T/$1.tpm" "$T/$1.tpm.log"
	TPM_PIDS+=("$SWTPM_PID")
}
# tpm_stop: stop the last TPM tpm_start started.
tpm_stop() {
	local pid=${TPM_PIDS[-1]}
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}
# slot_type DIR LABEL: the type key list --json shows for the slot LABEL.
slot_type() {
	"$V" key list --json "$1" | python3 -c 'import json,sys
print([s["type"] for s in json.load(sys.stdin)["slots"] if s["label"] == sys.argv[1]][0])' "$2"
}

# mount_check DIR AUTH...: mount DIR with AUTH, write and read a file, unmount.
mount_check() {
	local dir=$1 m=$T/m
	shift
	mkdir -p "$m"
	MOUNTS+=("$m")
	expect_rc 0 "$V" mount "$@" "$dir" "$m"
	is_mounted "$m" || die "mount exited 0 but nothing is mounted"
	echo "through $*" >"$m/probe"
	[[ $(cat "$m/probe") == "through $*" ]] || die "read back failed"
	expect_rc 0 "$V" umount "$m"
}

# v2_vault NAME: a version-2 vault in $T/NAME with password slot 'password' ($T/NAME.pw)
# and the recovery key in $T/NAME.rk.
v2_vault() {
	pwfile "$1.pw" "pw of $1"
	expect_rc 0 "$V" init --passfile "$T/$1.pw" "${KDF[@]}" --recovery-key-file "$T/$1.rk" "$T/$1"
}

# ------------------------------------------------------------------------------ tests
test_every_slot_type_mounts() {
	v2_vault v
	[[ $(stat -c %a "$T/v.rk") == 600 ]] || die "recovery key file mode $(stat -c %a "$T/v.rk")"
	grep -Eq '^[0-9a-f]{8}(-[0-9a-f]{8}){7}$' "$T/v.rk" || die "recovery key file: $(cat "$T/v.rk")"
	[[ $(stat -c %s "$T/v/veilfs.conf") == $((44 + 2 * (148 + 113))) ]] || die "config size"
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label laptop --new-keyfile "$T/kf" "$T/v"
	[[ $(stat -c %a "$T/kf") == 600 && $(stat -c %s "$T/kf") == 32 ]] || die "key file"
	pwfile alice.pw "alice's own"
	expect_rc 0 "$V" key add --keyfile "$T/kf" --label alice --new-passfile "$T/alice.pw" "${KDF[@]}" "$T/v"
	[[ $(labels "$T/v") == "password recovery laptop alice" ]] || die "labels: $(labels "$T/v")"
	mount_check "$T/v" --passfile "$T/v.pw"
	mount_check "$T/v" --passfile "$T/alice.pw"
	mount_check "$T/v" --extpass "cat '$T/alice.pw'"
	mount_check "$T/v" --keyfile "$T/kf"
	mount_check "$T/v" --recovery-key "$T/v.rk"
	# The recovery key as printed, typed with upper case and without dashes, opens too.
	tr -d '-' <"$T/v.rk" | tr a-f A-F >"$T/rk2"
	mount_check "$T/v" --recovery-key "$T/rk2"
	# fsck and passwd take every method as well
	expect_rc 0 "$V" fsck --keyfile "$T/kf" "$T/v"
	expect_rc 0 "$V" fsck --recovery-key "$T/v.rk" "$T/v"
	# Secrets never appear in any output.
	lacks "$out$err" "$(cat "$T/v.rk")"
}

test_wrong_keys_exit_1_and_change_nothing() {
	v2_vault v
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label laptop --new-keyfile "$T/kf" "$T/v"
	before=$(sha "$T/v/veilfs.conf")
	head -c 32 /dev/urandom >"$T/badkf"
	printf '%s\n' 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef >"$T/badrk"
	pwfile bad.pw "not it"
	mkdir "$T/m"
	MOUNTS+=("$T/m")
	for auth in "--keyfile $T/badkf" "--recovery-key $T/badrk" "--passfile $T/bad.pw" \
		"--keyfile $T/v.rk"; do
		# shellcheck disable=SC2086
		expect_rc 1 "$V" mount $auth "$T/v" "$T/m"
		! is_mounted "$T/m" || die "mounted with $auth"
		# shellcheck disable=SC2086
		expect_rc 1 "$V" key add $auth --label x --new-keyfile "$T/kf2" "$T/v"
		[[ ! -e $T/kf2 ]] || die "key file left behind by a refused add"
		# shellcheck disable=SC2086
		expect_rc 1 "$V" key remove $auth --label laptop "$T/v"
		# shellcheck disable=SC2086
		expect_rc 1 "$V" fsck $auth "$T/v"
	done
	# a key file that is not one (too short), a recovery file without a key: usage, 2
	printf 'short' >"$T/short"
	expect_rc 2 "$V" mount --keyfile "$T/short" "$T/v" "$T/m"
	expect_rc 2 "$V" mount --recovery-key "$T/short" "$T/v" "$T/m"
	expect_rc 2 "$V" mount --keyfile "$T/kf" --passfile "$T/v.pw" "$T/v" "$T/m"
	[[ $(sha "$T/v/veilfs.conf") == "$before" ]] || die "a refused command changed veilfs.conf"
}

test_list_add_remove_last_refused() {
	v2_vault v
	expect_rc 0 "$V" key list "$T/v"
	contains "$out" "LABEL"
	contains "$out" "argon2id m=8MiB t=1 p=4"
	contains "$out" "recovery"
	expect_rc 0 "$V" key list --json "$T/v"
	printf '%s' "$out" >"$T/l.json"
	python3 - "$T/l.json" <<'PY' || die "unexpected JSON: $out"
import json, sys, time
d = json.load(open(sys.argv[1]))
assert d["version"] == 2 and set(d) == {"version", "key_epoch", "slots"} and d["key_epoch"] == 0
assert all(x["box_key"] is True for x in d["slots"])
s = d["slots"]
assert [x["label"] for x in s] == ["password", "recovery"], s
assert s[0]["type"] == "password" and s[0]["kdf"] == "argon2id"
assert (s[0]["kdf_memory_kib"], s[0]["kdf_time"], s[0]["kdf_lanes"]) == (8192, 1, 4)
assert s[1]["type"] == "recovery" and s[1]["kdf"] == "hkdf-sha256"
assert abs(s[0]["created"] - time.time()) < 3600
PY
	pwfile b.pw "bob"
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label bob@example.org --new-passfile "$T/b.pw" "${KDF[@]}" "$T/v"
	expect_rc 2 "$V" key add --passfile "$T/v.pw" --label bob@example.org --new-passfile "$T/b.pw" "$T/v"
	contains "$err" "has a slot labelled 'bob@example.org' already"
	expect_rc 2 "$V" key add --passfile "$T/v.pw" --label "bad label" --new-passfile "$T/b.pw" "$T/v"
	expect_rc 2 "$V" key add --passfile "$T/v.pw" --label x "$T/v"
	expect_rc 2 "$V" key remove --passfile "$T/v.pw" --label nobody "$T/v"
	expect_rc 0 "$V" key remove --passfile "$T/b.pw" --label password "$T/v"
	expect_rc 0 "$V" key remove --recovery-key "$T/v.rk" --label recovery "$T/v"
	[[ $(labels "$T/v") == "bob@example.org" ]] || die "labels: $(labels "$T/v")"
	before=$(sha "$T/v/veilfs.conf")
	expect_rc 2 "$V" key remove --passfile "$T/b.pw" --label bob@example.org "$T/v"
	contains "$err" "last slot"
	[[ $(sha "$T/v/veilfs.conf") == "$before" ]] || die "refused remove changed veilfs.conf"
	mount_check "$T/v" --passfile "$T/b.pw"
	run "$V" mount --passfile "$T/v.pw" "$T/v" "$T/m"
	[[ $rc == 1 ]] || die "removed password still mounts ($rc)"
	# only veilfs.conf and the root IV, no lock or temp files left behind
	[[ $(ls -A "$T/v" | grep -c '^veilfs\.') == 2 ]] || die "left behind: $(ls -A "$T/v")"
}

test_init_recovery_key_terminal_file_none() {
	pwfile p pw
	# stdout a terminal (script(1) gives the command a pty): printed once, with the warning line
	script -qec "'$V' init --passfile '$T/p' --kdf-memory 8 --kdf-time 1 '$T/t'" /dev/null >"$T/tty.out" </dev/null ||
		die "init on a terminal failed: $(cat "$T/tty.out")"
	grep -q "WRITE THIS DOWN" "$T/tty.out" || die "no 'write this down' line: $(cat "$T/tty.out")"
	grep -Eo '[0-9a-f]{8}(-[0-9a-f]{8}){7}' "$T/tty.out" | head -n 1 >"$T/t.rk"
	[[ -s $T/t.rk ]] || die "no recovery key printed"
	[[ $(labels "$T/t") == "password recovery" ]] || die "labels: $(labels "$T/t")"
	mount_check "$T/t" --recovery-key "$T/t.rk"
	# stdout not a terminal, no file: a warning and no recovery slot
	expect_rc 0 "$V" init --passfile "$T/p" "${KDF[@]}" "$T/n"
	contains "$err" "no recovery key is made"
	[[ $(labels "$T/n") == "password" ]] || die "labels: $(labels "$T/n")"
	# --no-recovery-key: quiet
	expect_rc 0 "$V" init --passfile "$T/p" "${KDF[@]}" --no-recovery-key "$T/q"
	[[ -z $err ]] || die "stderr: $err"
	[[ $(labels "$T/q") == "password" ]] || die "labels: $(labels "$T/q")"
	# an existing recovery file is never overwritten, and nothing is created
	echo keep >"$T/exists"
	expect_rc 4 "$V" init --passfile "$T/p" "${KDF[@]}" --recovery-key-file "$T/exists" "$T/e"
	[[ $(cat "$T/exists") == keep && ! -e $T/e/veilfs.conf ]] || die "init overwrote or created"
	expect_rc 2 "$V" init --passfile "$T/p" --no-recovery-key --recovery-key-file "$T/x" "$T/e2"
	expect_rc 2 "$V" init --passfile "$T/p" --format-version 1 --recovery-key-file "$T/x" "$T/e3"
}

test_passwd_one_slot_and_cost() {
	v2_vault v
	pwfile a.pw alice
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label alice --new-passfile "$T/a.pw" "${KDF[@]}" "$T/v"
	pwfile a2.pw "alice two"
	# default: the slot that the old password opened
	expect_rc 0 "$V" passwd --passfile "$T/a.pw" --new-passfile "$T/a2.pw" --kdf-memory 16 --kdf-time 2 "$T/v"
	contains "$out" "slot 'alice'"
	"$V" key list --json "$T/v" >"$T/l.json"
	python3 - "$T/l.json" <<'PY' || die "costs: $(cat "$T/l.json")"
import json, sys
s = {x["label"]: x for x in json.load(open(sys.argv[1]))["slots"]}
assert (s["alice"]["kdf_memory_kib"], s["alice"]["kdf_time"]) == (16384, 2)
assert (s["password"]["kdf_memory_kib"], s["password"]["kdf_time"]) == (8192, 1)
PY
	mkdir -p "$T/m"
	MOUNTS+=("$T/m")
	run "$V" mount --passfile "$T/a.pw" "$T/v" "$T/m"
	[[ $rc == 1 ]] || die "old password of alice still opens ($rc)"
	mount_check "$T/v" --passfile "$T/a2.pw"
	mount_check "$T/v" --passfile "$T/v.pw"
	# by label, authenticated with the recovery key
	pwfile p2.pw "owner two"
	expect_rc 0 "$V" passwd --recovery-key "$T/v.rk" --label password --new-passfile "$T/p2.pw" "$T/v"
	mount_check "$T/v" --passfile "$T/p2.pw"
	# the recovery slot is not a password slot
	expect_rc 2 "$V" passwd --recovery-key "$T/v.rk" --new-passfile "$T/p2.pw" "$T/v"
}

# A version-1 vault as `veilfs init --format-version 1` makes it (the code path of the
# version-1 `veilfs init`), with files of several shapes, upgraded: all readable.
test_upgrade_v1_keeps_every_file() {
	pwfile p "old vault pw"
	expect_rc 0 "$V" init --passfile "$T/p" "${KDF[@]}" --format-version 1 "$T/v"
	[[ $(stat -c %s "$T/v/veilfs.conf") == 140 ]] || die "not a version-1 config"
	mkdir "$T/m"
	MOUNTS+=("$T/m")
	expect_rc 0 "$V" mount --passfile "$T/p" "$T/v" "$T/m"
	mkdir -p "$T/m/dir/sub"
	head -c 1000000 /dev/urandom >"$T/m/dir/big"
	printf 'small' >"$T/m/small"
	: >"$T/m/empty"
	head -c 4096 /dev/urandom >"$T/m/dir/sub/$(printf 'n%.0s' {1..200})"
	ln -s dir/big "$T/m/link"
	(cd "$T/m" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$T/sums.before"
	expect_rc 0 "$V" umount "$T/m"
	find "$T/v" -type f ! -name veilfs.conf -print0 | sort -z | xargs -0 sha256sum >"$T/lower.before"
	expect_rc 2 "$V" key add --passfile "$T/p" --label x --new-keyfile "$T/kf" "$T/v"
	contains "$err" "upgrade"
	pwfile bad "wrong"
	expect_rc 1 "$V" upgrade --passfile "$T/bad" "$T/v"
	[[ $(stat -c %s "$T/v/veilfs.conf") == 140 ]] || die "a refused upgrade changed the config"
	expect_rc 0 "$V" upgrade --passfile "$T/p" "$T/v"
	[[ $(stat -c %s "$T/v/veilfs.conf") == 305 && $(stat -c %a "$T/v/veilfs.conf") == 400 ]] ||
		die "upgraded config size/mode"
	[[ ! -e $T/v/veilfs.conf.v1 ]] || die "veilfs.conf.v1 left behind"
	find "$T/v" -type f ! -name veilfs.conf -print0 | sort -z | xargs -0 sha256sum >"$T/lower.after"
	cmp -s "$T/lower.before" "$T/lower.after" || die "upgrade touched files other than veilfs.conf"
	expect_rc 0 "$V" info --json "$T/v"
	contains "$out" '"format_version": 2'
	[[ $(labels "$T/v") == "password" ]] || die "labels"
	expect_rc 0 "$V" mount --passfile "$T/p" "$T/v" "$T/m"
	(cd "$T/m" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$T/sums.after"
	cmp -s "$T/sums.before" "$T/sums.after" || die "files differ after upgrade"
	[[ $(readlink "$T/m/link") == dir/big ]] || die "symlink"
	expect_rc 0 "$V" umount "$T/m"
	expect_rc 0 "$V" fsck --passfile "$T/p" "$T/v"
	expect_rc 2 "$V" upgrade --passfile "$T/p" "$T/v"
	contains "$out" "version-2 vault already"
	# a leftover copy from an interrupted upgrade is removed by running upgrade again
	cp "$T/v/veilfs.conf" "$T/v/veilfs.conf.v1"
	expect_rc 2 "$V" upgrade --passfile "$T/p" "$T/v"
	[[ ! -e $T/v/veilfs.conf.v1 ]] || die "leftover veilfs.conf.v1 not removed"
	expect_rc 0 "$V" key add --passfile "$T/p" --label laptop --new-keyfile "$T/kf" "$T/v"
	mount_check "$T/v" --keyfile "$T/kf"
	# an upgraded vault gets its recovery key from key add
	expect_rc 0 "$V" key add --keyfile "$T/kf" --label recovery --new-recovery-key-file "$T/rk" "$T/v"
	[[ $(stat -c %a "$T/rk") == 600 ]] || die "recovery key file mode"
	grep -Eq '^[0-9a-f]{8}(-[0-9a-f]{8}){7}$' "$T/rk" || die "recovery key file: $(cat "$T/rk")"
	[[ $(labels "$T/v") == "password laptop recovery" ]] || die "labels: $(labels "$T/v")"
	mount_check "$T/v" --recovery-key "$T/rk"
	lacks "$out$err" "$(cat "$T/rk")"
}

# Two `key add` at once, both past their KDF before either takes the lock (the new
# passwords come through FIFOs written only once both processes wait on them): both land.
test_concurrent_key_add_both_land() {
	v2_vault v
	local round
	for round in 1 2 3; do
		rm -f "$T/f1" "$T/f2"
		mkfifo "$T/f1" "$T/f2"
		"$V" key add --passfile "$T/v.pw" --label "a$round" --new-passfile "$T/f1" "${KDF[@]}" "$T/v" >"$T/a.out" 2>&1 &
		p1=$!
		"$V" key add --passfile "$T/v.pw" --label "b$round" --new-passfile "$T/f2" "${KDF[@]}" "$T/v" >"$T/b.out" 2>&1 &
		p2=$!
		printf 'pw a%s\n' "$round" >"$T/f1"
		printf 'pw b%s\n' "$round" >"$T/f2"
		wait "$p1" || die "key add a$round failed: $(cat "$T/a.out")"
		wait "$p2" || die "key add b$round failed: $(cat "$T/b.out")"
	done
	[[ $(labels "$T/v") == "password recovery "* ]] || die "labels: $(labels "$T/v")"
	for l in a1 b1 a2 b2 a3 b3; do
		[[ " $(labels "$T/v") " == *" $l "* ]] || die "slot $l lost: $(labels "$T/v")"
	done
	pwfile chk "pw b3"
	mount_check "$T/v" --passfile "$T/chk"
	pwfile chk "pw a1"
	mount_check "$T/v" --passfile "$T/chk"
}

# FNV-1a 64 of "veilfs.conf": the config lock's file (coord/lockfile.c).
conf_lock_name() {
	python3 -c '
h = 0xcbf29ce484222325
for c in b"veilfs.conf":
    h = ((h ^ c) * 0x100000001b3) & (2**64 - 1)
print("veilfs.lock.%016x" % h)'
}

# kill -9 of `key add` at two points: (1) while another administrator holds the config
# lock (it cannot have written), (2) in the middle of a slow KDF for the new password.
# The vault keeps opening with its old slots, and later changes work.
test_kill9_key_add_keeps_old_slots() {
	v2_vault v
	before=$(sha "$T/v/veilfs.conf")
	lock=$T/v/$(conf_lock_name)
	# (1) a live holder: the lock file, refreshed so that it is never stale
	( while :; do printf 'veilfs-lock v1 client=test pid=%s time=%s seq=%s\n' $$ "$(date +%s)" "$RANDOM" >"$lock.new"; mv -f "$lock.new" "$lock"; sleep 1; done ) &
	holder=$!
	while [[ ! -e $lock ]]; do sleep 0.1; done
	rm -f "$T/f"
	mkfifo "$T/f"
	"$V" key add --passfile "$T/v.pw" --label killed --new-passfile "$T/f" "${KDF[@]}" "$T/v" >/dev/null 2>&1 &
	adder=$!
	printf 'new pw\n' >"$T/f"
	kill -9 "$adder"
	set +e
	wait "$adder"
	rc=$?
	set -e
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	rm -f "$lock" "$lock.new"
	[[ $rc == 137 ]] || die "key add was not killed (exit $rc)"
	[[ $(sha "$T/v/veilfs.conf") == "$before" ]] || die "a killed key add changed veilfs.conf"
	[[ $(labels "$T/v") == "password recovery" ]] || die "labels: $(labels "$T/v")"
	mount_check "$T/v" --passfile "$T/v.pw"
	mount_check "$T/v" --recovery-key "$T/v.rk"
	# (2) killed right after it read the new password, with nothing holding the lock: in
	# its costly KDF (256 MiB, 8 passes) or later. Whichever point the kill hits, the
	# vault is as before (no slot 'slow') or as after (slot 'slow' opens), never broken.
	rm -f "$T/f"
	mkfifo "$T/f"
	"$V" key add --passfile "$T/v.pw" --label slow --new-passfile "$T/f" --kdf-memory 256 --kdf-time 8 "$T/v" >/dev/null 2>&1 &
	adder=$!
	printf 'slow pw\n' >"$T/f"
	kill -9 "$adder" 2>/dev/null || true
	set +e
	wait "$adder"
	rc=$?
	set -e
	case $(labels "$T/v") in
	"password recovery") [[ $rc == 137 ]] || die "exit $rc but no slot" ;;
	"password recovery slow")
		pwfile slow.pw "slow pw"
		mount_check "$T/v" --passfile "$T/slow.pw"
		expect_rc 0 "$V" key remove --passfile "$T/v.pw" --label slow "$T/v" ;;
	*) die "labels after the kill: $(labels "$T/v")" ;;
	esac
	echo "kill during the slow add: exit $rc" >&2
	mount_check "$T/v" --passfile "$T/v.pw"
	# no lock or temp file left: the next change goes through at once
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label after --new-keyfile "$T/kf" "$T/v"
	[[ $(labels "$T/v") == "password recovery after" ]] || die "labels: $(labels "$T/v")"
	[[ $(ls -A "$T/v" | grep -c '^veilfs\.') == 2 ]] || die "left behind: $(ls -A "$T/v")"
}

# Slot changes rewrite veilfs.conf only: a live mount keeps serving through them, and the
# files it wrote open under the new slot after a remount.
test_slot_changes_under_a_live_mount() {
	v2_vault v
	mkdir "$T/m"
	MOUNTS+=("$T/m")
	expect_rc 0 "$V" mount --passfile "$T/v.pw" "$T/v" "$T/m"
	head -c 200000 /dev/urandom >"$T/m/before"
	sum=$(sha "$T/m/before")
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label laptop --new-keyfile "$T/kf" "$T/v"
	expect_rc 0 "$V" key remove --keyfile "$T/kf" --label password "$T/v"
	[[ $(sha "$T/m/before") == "$sum" ]] || die "file changed under the mount"
	echo after >"$T/m/after"
	expect_rc 0 "$V" umount "$T/m"
	expect_rc 1 "$V" mount --passfile "$T/v.pw" "$T/v" "$T/m"
	expect_rc 0 "$V" mount --keyfile "$T/kf" "$T/v" "$T/m"
	[[ $(sha "$T/m/before") == "$sum" && $(cat "$T/m/after") == after ]] || die "files after remount"
	expect_rc 0 "$V" umount "$T/m"
}

test_tpm_slot_against_swtpm() {
	v2_vault v
	tpm_start a
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label box --tpm "$T/v"
	contains "$out" "added tpm slot 'box'"
	[[ $(labels "$T/v") == "password recovery box" ]] || die "labels: $(labels "$T/v")"
	[[ $(slot_type "$T/v" box) == tpm ]] || die "type: $(slot_type "$T/v" box)"
	expect_rc 0 "$V" key list "$T/v"
	contains "$out" "box"
	contains "$out" "tpm"
	# the sealed object's blobs follow the slot's 148 bytes
	size=$(stat -c %s "$T/v/veilfs.conf")
	((size > 44 + 3 * 148 + 4)) || die "config size $size: no TPM blobs"
	mount_check "$T/v" --tpm
	expect_rc 0 "$V" fsck --tpm "$T/v"
	printf 'sealed\n' >"$T/f"
	expect_rc 0 "$V" put --tpm "$T/v" "$T/f" /f
	expect_rc 0 "$V" cat --tpm "$T/v" /f
	[[ $out == sealed ]] || die "cat --tpm: $out"
	expect_rc 0 "$V" ls --tpm "$T/v"
	contains "$out" "f"
	# --tpm as the AUTH of key add (with a --new-* option) and of passwd
	expect_rc 0 "$V" key add --tpm --label kf --new-keyfile "$T/kf" "$T/v"
	pwfile new.pw "a new password"
	expect_rc 0 "$V" passwd --tpm --label password --new-passfile "$T/new.pw" "${KDF[@]}" "$T/v"
	expect_rc 1 "$V" ls --passfile "$T/v.pw" "$T/v"
	mount_check "$T/v" --passfile "$T/new.pw"
	# a different TPM (fresh state) unseals nothing: exit 1, a message naming the TPM
	tpm_stop
	tpm_start b
	mkdir -p "$T/m"
	expect_rc 1 "$V" mount --tpm "$T/v" "$T/m"
	contains "$err" "unseals none of its TPM slots"
	contains "$err" "port=$TPM_PORT"
	! is_mounted "$T/m" || die "mounted with another TPM"
	expect_rc 1 "$V" fsck --tpm "$T/v"
	expect_rc 1 "$V" cat --tpm "$T/v" /f
	# no TPM at all: exit 4, a message saying so (the stopped TPM's port is closed)
	tpm_stop
	expect_rc 4 "$V" mount --tpm "$T/v" "$T/m"
	contains "$err" "no TPM answers at 'swtpm:host=127.0.0.1,port=$TPM_PORT'"
	! is_mounted "$T/m" || die "mounted without a TPM"
	expect_rc 4 "$V" key add --passfile "$T/new.pw" --label box2 --tpm "$T/v"
	contains "$err" "no TPM answers"
	[[ $(labels "$T/v") == "password recovery box kf" ]] || die "labels after a failed add: $(labels "$T/v")"
	# removing the TPM slot (with another method): --tpm then opens nothing, even the right TPM
	expect_rc 0 "$V" key remove --keyfile "$T/kf" --label box "$T/v"
	[[ $(labels "$T/v") == "password recovery kf" ]] || die "labels: $(labels "$T/v")"
	tpm_start a
	expect_rc 1 "$V" ls --tpm "$T/v"
	mount_check "$T/v" --keyfile "$T/kf"
	expect_rc 0 "$V" cat --keyfile "$T/kf" "$T/v" /f
	[[ $out == sealed ]] || die "cat after remove: $out"
}

# Two machines, two TPMs, one vault: each TPM opens its own slot (the other's is tried
# first and fails), and removing one machine's slot locks out only that machine.
test_tpm_two_machines_one_vault() {
	v2_vault v
	tpm_start a
	tcti_a=$TPM2TOOLS_TCTI
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label machine-a --tpm "$T/v"
	tpm_start b
	tcti_b=$TPM2TOOLS_TCTI
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label machine-b --tpm "$T/v"
	[[ $(labels "$T/v") == "password recovery machine-a machine-b" ]] || die "labels: $(labels "$T/v")"
	TPM2TOOLS_TCTI=$tcti_a mount_check "$T/v" --tpm
	TPM2TOOLS_TCTI=$tcti_b mount_check "$T/v" --tpm
	expect_rc 0 "$V" key remove --passfile "$T/v.pw" --label machine-a "$T/v"
	TPM2TOOLS_TCTI=$tcti_a expect_rc 1 "$V" ls --tpm "$T/v"
	TPM2TOOLS_TCTI=$tcti_b expect_rc 0 "$V" ls --tpm "$T/v"
}

# The TPM blobs are untrusted input: malformed lengths, a public area that does not parse,
# and a private blob the TPM rejects each give a clear error, and other slots still open.
test_tpm_garbage_blobs() {
	v2_vault v
	tpm_start a
	expect_rc 0 "$V" key add --passfile "$T/v.pw" --label box --tpm "$T/v"
	cp "$T/v/veilfs.conf" "$T/good.conf"
	chmod u+w "$T/v/veilfs.conf"
	# patch WHAT: rewrite the TPM slot (the third: 44 + 2 * 148) from good.conf
	patch() {
		python3 - "$T/good.conf" "$T/v/veilfs.conf" "$1" <<-'PY'
			import sys
			d = bytearray(open(sys.argv[1], "rb").read())
			o = 44 + 3 * 148                      # the TPM slot's blobs
			pub = int.from_bytes(d[o:o + 2], "big")
			if sys.argv[3] == "length":           # a public length past the file's end
			    d[o:o + 2] = bytes([255, 255])
			elif sys.argv[3] == "public":         # the public area: bytes that do not parse
			    d[o + 2:o + 2 + pub] = bytes([255]) * pub
			elif sys.argv[3] == "private":        # one bit of the private blob inverted
			    q = o + 2 + pub + 2
			    d[q + 8] ^= 0x01
			open(sys.argv[2], "wb").write(d)
		PY
	}
	mkdir -p "$T/m"
	patch length
	expect_rc 3 "$V" mount --tpm "$T/v" "$T/m"
	contains "$err" "malformed"
	expect_rc 3 "$V" key list "$T/v"
	patch public
	expect_rc 3 "$V" mount --tpm "$T/v" "$T/m"
	contains "$err" "malformed"
	! is_mounted "$T/m" || die "mounted with a garbage public area"
	patch private
	expect_rc 1 "$V" mount --tpm "$T/v" "$T/m"
	contains "$err" "unseals none of its TPM slots"
	! is_mounted "$T/m" || die "mounted with a damaged private blob"
	mount_check "$T/v" --passfile "$T/v.pw"
	cp "$T/good.conf" "$T/v/veilfs.conf"
	mount_check "$T/v" --tpm
}

test_help_texts() {
	expect_rc 0 "$V" key --help
	for o in --json --label --new-passfile --new-keyfile --new-recovery-key-file --kdf-memory --kdf-time --passfile --extpass --keyfile --recovery-key; do
		contains "$out" "$o"
	done
	expect_rc 0 "$V" upgrade --help
	contains "$out" "veilfs.conf.v1"
	expect_rc 0 "$V" init --help
	for o in --recovery-key-file --no-recovery-key --format-version --label; do contains "$out" "$o"; done
	for c in mount fsck passwd key ls cat get put rm mkdir; do
		expect_rc 0 "$V" "$c" --help
		contains "$out" "--keyfile"
		contains "$out" "--recovery-key"
		contains "$out" "--tpm"
	done
	expect_rc 0 "$V" passwd --help
	for o in --label --kdf-memory --kdf-time; do contains "$out" "$o"; done
	expect_rc 0 "$V" --help
	contains "$out" "  key "
	contains "$out" "  upgrade "
	expect_rc 2 "$V" key
	expect_rc 2 "$V" key frob "$T"
}

# ------------------------------------------------------------------------------ runner
t_case_main "$@"

[[ -x $V ]] || { echo "keyslots.sh: no binary at $V (run make)" >&2; echo "0 passed, 1 failed"; exit 1; }
t_run_cases keyslots "${VEILFS_CLI_TEST_TIMEOUT:-180}" "${1:-}"

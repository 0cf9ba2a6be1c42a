#!/usr/bin/env bash
# tests/fsck/run.sh: end-to-end tests of `veilfs fsck`.
#
# Builds a vault with `veilfs init`, fills it through a real mount (files of several
# sizes, a sparse file, nested directories, a long name, a symlink, xattrs), unmounts it and
# keeps it as a pristine copy. Each case then damages a fresh copy of the cipher directory
# one way and checks the exit status and the exact list of findings of `fsck --json`
# (kind, lower path, plaintext path, block), plus text output, usage errors, wrong
# password, not-a-vault, I/O errors (run as an unprivileged user), the other cipher and
# plaintext names, and that fsck changes nothing in the cipher directory.
#
# Needs: build/veilfs (or $VEILFS), FUSE, jq, getfattr/setfattr, setpriv, root (for
# the unprivileged-user case). Prints "N passed, N failed" and exits non-zero on failure.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VEILFS=${VEILFS:-$repo/build/veilfs}
T=60 # seconds allowed to any one veilfs command

# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
log() { t_log "$@"; }

# A command failing outside a case aborts the script (set -e): t_cleanup counts it and
# still prints the totals.
trap '[[ $- != *e* ]] || log "error at line $LINENO: $BASH_COMMAND"' ERR

tmp=$(mktemp -d /var/tmp/veilfs-fsck-test.XXXXXX)
T_WORK=$tmp
t_on_exit t_cleanup

for tool in jq getfattr setfattr setpriv; do
	if ! command -v "$tool" >/dev/null; then
		notok "setup" "$tool is not installed"
		t_summary
		exit 1
	fi
done
if [[ ! -x $VEILFS ]]; then
	notok "setup" "$VEILFS is missing (run make)"
	t_summary
	exit 1
fi

pw=$tmp/pw
T_PASSFILE=$pw
echo "fsck test password" >"$pw"
echo "not the password" >"$tmp/wrongpw"
chmod 644 "$pw"

# with_mount DIR FUNCTION: mount DIR on a fresh mountpoint, run FUNCTION MOUNTPOINT, unmount.
with_mount() {
	local dir=$1 fn=$2 m=$tmp/mnt.$RANDOM
	vmount "$dir" "$m"
	"$fn" "$m"
	vumount "$m"
}

# lower_of VAULT INODE: the lower path (relative) of the object with that inode number.
lower_of() {
	local p
	p=$(cd "$1" && find . -inum "$2" -printf '%P\n')
	[[ -n $p && $p != *$'\n'* ]] || return 1
	printf '%s\n' "$p"
}

# --- the main vault ---------------------------------------------------------------------

pristine=$tmp/pristine
long=$(printf 'L%.0s' $(seq 1 200))
declare -A ino

populate() {
	local m=$1
	mkdir -p "$m/a/b/c"
	echo hello >"$m/a/hello.txt"
	head -c 100000 /dev/urandom >"$m/a/b/rand.bin"
	head -c 8192 /dev/zero >"$m/exact8k"
	truncate -s 20000 "$m/sparse"
	printf x | dd of="$m/sparse" bs=1 seek=19999 conv=notrunc status=none
	ln -s a/hello.txt "$m/link"
	echo "long" >"$m/$long"
	setfattr -n user.note -v hi "$m/a/hello.txt"
	setfattr -n user.dir -v dv "$m/a"
	ino[hello]=$(stat -c %i "$m/a/hello.txt")
	ino[rand]=$(stat -c %i "$m/a/b/rand.bin")
	ino[exact]=$(stat -c %i "$m/exact8k")
	ino[b]=$(stat -c %i "$m/a/b")
	ino[link]=$(stat -c %i "$m/link")
	ino[long]=$(stat -c %i "$m/$long")
}

log "building the test vault in $tmp"
if ! new_vault "$pristine" || ! with_mount "$pristine" populate; then
	notok "setup" "cannot build the vault through a mount"
	t_summary
	exit 1
fi
declare -A L
for k in hello rand exact b link long; do
	if ! L[$k]=$(lower_of "$pristine" "${ino[$k]}"); then
		notok "setup" "no lower object for '$k' (inode ${ino[$k]})"
		t_summary
		exit 1
	fi
done
if [[ ${L[long]} != veilfs.lname.* || ! -f $pristine/${L[long]}.name ]]; then
	notok "setup" "the long name is not stored as veilfs.lname.* with a side file"
	t_summary
	exit 1
fi
gcm_block=4124 # 4096 + 12 + 16
block_off() { echo $((20 + $1 * gcm_block)); }

C=$tmp/c
reset() {
	rm -rf "$C"
	cp -a "$pristine" "$C"
}

# run_fsck [options...]: fsck --json of $C into $tmp/out (stdout) and $tmp/err; sets rc.
run_fsck() {
	set +e
	timeout $T "$VEILFS" fsck --passfile "$pw" --json "$@" "$C" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
}

# findings: one line "kind|lower|plain|block" per finding of $tmp/out ("-" for null).
findings() {
	jq -r '.findings[] | "\(.kind)|\(.lower_path)|\(.plain_path // "-")|\(.block // "-")"' \
		"$tmp/out"
}

# expect_case NAME RC EXPECTED-FINDINGS: compare rc and the finding lines.
expect_case() {
	local name=$1 want_rc=$2 want=$3 got
	if ! got=$(findings 2>&1); then
		notok "$name" "output is not valid JSON: $(head -c 300 "$tmp/out")"
		return
	fi
	if [[ $rc -ne $want_rc ]]; then
		notok "$name" "exit status $rc, want $want_rc; $(head -c 300 "$tmp/err")"
	elif [[ $got != "$want" ]]; then
		notok "$name" "findings differ:"$'\n'"  got:  ${got//$'\n'/$'\n'        }"$'\n'"  want: ${want//$'\n'/$'\n'        }"
	else
		ok "$name"
	fi
}

flip_byte() { # FILE OFFSET
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	printf "$(printf '\\%03o' $(((b ^ 64) & 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# --- cases --------------------------------------------------------------------------------

reset
run_fsck
expect_case "clean vault: exit 0, no finding" 0 ""
if [[ $(jq -c '[.clean, .problems, .io_errors, .counts.dirs, .counts.files, .counts.symlinks,
		.counts.blocks, .counts.holes, .counts.xattrs]' "$tmp/out") == "[true,0,0,4,5,1,34,4,2]" ]]; then
	ok "clean vault: counts (4 dirs, 5 files, 1 symlink, 34 blocks, 4 holes, 2 xattrs)"
else
	notok "clean vault: counts" "$(jq -c '.counts' "$tmp/out" 2>&1)"
fi

reset
flip_byte "$C/${L[rand]}" $(($(block_off 3) + 50))
run_fsck
expect_case "flipped byte in block 3" 5 "block-auth|${L[rand]}|/a/b/rand.bin|3"

reset
truncate -s "$(block_off 10)" "$C/${L[rand]}"
run_fsck
expect_case "file cut at a block boundary" 5 "block-final-flag|${L[rand]}|/a/b/rand.bin|9"

reset
dd if="$C/${L[exact]}" bs=1 skip=20 count=$gcm_block status=none >>"$C/${L[exact]}"
run_fsck
expect_case "stale block appended" 5 "block-final-flag|${L[exact]}|/exact8k|1
block-auth|${L[exact]}|/exact8k|2"

reset
size=$(stat -c %s "$C/${L[rand]}")
dd if=/dev/zero of="$C/${L[rand]}" bs=1 seek="$(block_off 24)" count=$((size - $(block_off 24))) \
	conv=notrunc status=none
run_fsck
expect_case "zeroed last block" 5 "last-block-zero|${L[rand]}|/a/b/rand.bin|24"

reset
dd if=/dev/zero of="$C/${L[rand]}" bs=1 seek="$(block_off 2)" count=$gcm_block conv=notrunc status=none
run_fsck
expect_case "zeroed inner block is a hole, not a problem" 0 ""

reset
rm "$C/${L[b]}/veilfs.diriv"
run_fsck
expect_case "deleted directory IV" 5 "diriv-missing|${L[b]}|/a/b|-"

reset
head -c 15 /dev/urandom >"$C/${L[b]}/veilfs.diriv.new"
mv -f "$C/${L[b]}/veilfs.diriv.new" "$C/${L[b]}/veilfs.diriv"
run_fsck
expect_case "directory IV of 15 bytes" 5 "diriv-invalid|${L[b]}/veilfs.diriv|-|-"

reset
name=${L[hello]##*/}
if [[ ${name:3:1} == A ]]; then c=B; else c=A; fi
bad=${L[hello]%/*}/${name:0:3}$c${name:4}
mv "$C/${L[hello]}" "$C/$bad"
run_fsck
expect_case "corrupted encrypted name" 5 "name-invalid|$bad|-|-"

reset
rm "$C/${L[long]}.name"
run_fsck
expect_case "deleted long-name side file" 5 "longname-missing|${L[long]}|-|-"

reset
rm "$C/${L[long]}"
run_fsck
expect_case "orphan long-name side file" 5 "longname-orphan|${L[long]}.name|-|-"

reset
truncate -s 10 "$C/${L[hello]}"
run_fsck
expect_case "header truncated" 5 "file-size|${L[hello]}|/a/hello.txt|-"

reset
flip_byte "$C/${L[hello]}" 0
run_fsck
expect_case "bad header magic" 5 "header-invalid|${L[hello]}|/a/hello.txt|-"

reset
printf 'junk' >>"$C/${L[exact]}"
run_fsck
expect_case "junk after the last block" 5 "file-size|${L[exact]}|/exact8k|-"

reset
xname=$(getfattr --absolute-names -d -m '^user\.veilfs\.' "$C/${L[hello]}" | sed -n 's/^\(user\.veilfs\.[^=]*\)=.*/\1/p')
setfattr -n "$xname" -v 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff \
	"$C/${L[hello]}"
run_fsck
expect_case "tampered xattr value" 5 "xattr-value-invalid|${L[hello]}|/a/hello.txt|-"
if [[ $(jq -r '.findings[0].xattr' "$tmp/out") == "$xname" ]]; then
	ok "tampered xattr value: lower attribute name reported"
else
	notok "tampered xattr value: lower attribute name reported" "$(jq -c '.findings' "$tmp/out")"
fi

reset
setfattr -n user.veilfs.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA -v 0x00 "$C/${L[hello]}"
run_fsck
expect_case "undecryptable xattr name" 5 "xattr-name-invalid|${L[hello]}|/a/hello.txt|-
xattr-value-invalid|${L[hello]}|/a/hello.txt|-"

reset
rm "$C/${L[link]}"
ln -s AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA "$C/${L[link]}"
run_fsck
expect_case "forged symlink target" 5 "symlink-invalid|${L[link]}|/link|-"

reset
echo x >"$C/veilfs.conf.tmp.12345"
run_fsck
expect_case "leftover config temp file" 5 "reserved-name|veilfs.conf.tmp.12345|-|-"

reset
mknod "$C/${L[b]}/devnode" c 1 3
run_fsck
expect_case "device node with an invalid name" 5 "name-invalid|${L[b]}/devnode|-|-"

# --- exit statuses and text output ----------------------------------------------------------

reset
set +e
timeout $T "$VEILFS" fsck --passfile "$tmp/wrongpw" "$C" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
if [[ $rc -eq 1 && ! -s $tmp/out ]] && grep -q "wrong password" "$tmp/err"; then
	ok "wrong password: exit 1, nothing on stdout"
else
	notok "wrong password" "rc=$rc stdout=$(head -c 200 "$tmp/out") stderr=$(head -c 200 "$tmp/err")"
fi

mkdir -p "$tmp/empty"
for d in "$tmp/empty" "$tmp/does-not-exist"; do
	set +e
	timeout $T "$VEILFS" fsck --passfile "$pw" "$d" >/dev/null 2>"$tmp/err"
	rc=$?
	set -e
	if [[ $rc -eq 3 ]]; then ok "not a vault (${d##*/}): exit 3"; else notok "not a vault (${d##*/})" "rc=$rc"; fi
done

reset
chmod u+w "$C/veilfs.conf"
truncate -s 139 "$C/veilfs.conf"
run_fsck
if [[ $rc -eq 3 ]]; then ok "malformed veilfs.conf: exit 3"; else notok "malformed veilfs.conf" "rc=$rc"; fi

set +e
timeout $T "$VEILFS" fsck >/dev/null 2>&1
rc1=$?
timeout $T "$VEILFS" fsck --no-such-option "$C" >/dev/null 2>&1
rc2=$?
timeout $T "$VEILFS" fsck --passfile "$pw" "$C" extra >/dev/null 2>&1
rc3=$?
set -e
if [[ $rc1 -eq 2 && $rc2 -eq 2 && $rc3 -eq 2 ]]; then
	ok "usage errors: exit 2"
else
	notok "usage errors" "rc=$rc1,$rc2,$rc3"
fi

reset
run_fsck --repair-nothing
expect_case "--repair-nothing on a clean vault" 0 ""

reset
flip_byte "$C/${L[rand]}" $(($(block_off 3) + 50))
set +e
timeout $T "$VEILFS" fsck --passfile "$pw" "$C" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
want="block-auth: '${L[rand]}' = '/a/b/rand.bin', block 3: authentication failed (torn write or tampering: restore the file from a backup)"
if [[ $rc -eq 5 ]] && grep -qxF "$want" "$tmp/out" && grep -q '^1 problem, 0 I/O errors$' "$tmp/out"; then
	ok "text output: finding line and summary, exit 5"
else
	notok "text output" "rc=$rc: $(cat "$tmp/out")"
fi

# --- fsck never modifies the cipher directory ------------------------------------------------

snapshot() {
	(
		cd "$1"
		find . -printf '%P %y %s %m %T@ %l\n' | sort
		find . -type f -exec sha256sum {} + | sort
		getfattr -h -R -d -m - --absolute-names . | grep -v '^$' | sort
	)
}
reset
flip_byte "$C/${L[rand]}" 100
rm "$C/${L[long]}.name"
rm "$C/${L[b]}/veilfs.diriv"
echo x >"$C/veilfs.diriv.tmp.1"
snapshot "$C" >"$tmp/before"
run_fsck
snapshot "$C" >"$tmp/after"
if [[ $rc -eq 5 ]] && cmp -s "$tmp/before" "$tmp/after"; then
	ok "nothing modified (damaged vault: names, sizes, modes, mtimes, contents, xattrs)"
else
	notok "nothing modified" "rc=$rc; $(diff "$tmp/before" "$tmp/after" | head -5)"
fi

# --- I/O errors: an unreadable directory, checked as an unprivileged user -------------------

reset
flip_byte "$C/${L[hello]}" 30
chown -R 65534:65534 "$C"
chmod 000 "$C/${L[b]}"
chmod 755 "$tmp"
set +e
timeout $T setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$VEILFS" fsck --passfile "$pw" --json "$C" >"$tmp/out" 2>"$tmp/err"
rc=$?
set -e
chmod 700 "$tmp"
got=$(jq -r '.findings[] | "\(.kind)|\(.lower_path)|\(.error)"' "$tmp/out" 2>&1 | sort || true)
want=$(printf '%s\n' "block-auth|${L[hello]}|null" "io-error|${L[b]}|Permission denied" | sort)
if [[ $rc -eq 4 && $got == "$want" ]] &&
	[[ $(jq -c '[.problems, .io_errors, .clean]' "$tmp/out") == "[1,1,false]" ]]; then
	ok "unreadable directory: io-error reported, walk goes on, exit 4 over 5"
else
	notok "unreadable directory" "rc=$rc got=$got; $(head -c 300 "$tmp/err")"
fi

# --- --repair: what a crash provably leaves, and nothing else --------------------------------

# A vault of its own (the main one's counts stay as they are): an empty directory, a file of
# exactly one block that is appended to, a long name and a symlink with an out-of-line target.
R=$tmp/repair
declare -A rino
rpopulate() {
	mkdir "$1/e"
	head -c 4096 /dev/urandom >"$1/f4k"
	echo "long" >"$1/$long"
	ln -s "/$(printf 'x%.0s' $(seq 1 4000))" "$1/farlink"
	rino[e]=$(stat -c %i "$1/e")
	rino[f4k]=$(stat -c %i "$1/f4k")
	rino[long]=$(stat -c %i "$1/$long")
	rino[farlink]=$(stat -c %i "$1/farlink")
}
rappend() {
	head -c 100 /dev/urandom >>"$1/f4k"
	cat "$1/f4k" >"$tmp/f4k.plain"
}
if new_vault "$R" && with_mount "$R" rpopulate &&
	RE=$(lower_of "$R" "${rino[e]}") && RF=$(lower_of "$R" "${rino[f4k]}") &&
	RL=$(lower_of "$R" "${rino[long]}") && RS=$(lower_of "$R" "${rino[farlink]}") &&
	blob=$(ls "$R/veilfs.links") && [[ -n $blob && $blob != *$'\n'* ]]; then
	# the state a crash leaves in an append at a block boundary: block 0 as it was
	# (sealed final) before the append re-sealed it as an inner block
	dd if="$R/$RF" of="$tmp/block0" bs=1 skip=20 count=$gcm_block status=none
	with_mount "$R" rappend
	dd if="$tmp/block0" of="$R/$RF" bs=1 seek=20 conv=notrunc status=none
	# a mkdir cut before its IV was renamed into place
	rm "$R/$RE/veilfs.diriv"
	echo x >"$R/$RE/veilfs.diriv.tmp.4242.1"
	# a stray config temp file; an orphan side file; an orphan out-of-line symlink blob
	echo x >"$R/veilfs.conf.tmp.4242.0"
	rm "$R/$RL"
	rm "$R/$RS"
	cp -a "$R" "$tmp/repair.damaged"
	C=$R
	run_fsck
	got=$(findings 2>&1 | sort || true)
	want=$(sort <<EOF
block-final-flag|$RF|/f4k|0
reserved-name|$RE/veilfs.diriv.tmp.4242.1|-|-
diriv-missing|$RE|/e|-
longname-orphan|$RL.name|-|-
reserved-name|veilfs.conf.tmp.4242.0|-|-
reserved-name|veilfs.links/$blob|-|-
EOF
	)
	if [[ $rc -eq 5 && $got == "$want" ]]; then
		ok "--repair: the damage as fsck reports it, nothing repaired without --repair"
	else
		notok "--repair: the damage as fsck reports it" "rc=$rc got=$got"
	fi
	run_fsck --repair
	got=$(jq -r '.findings[] | "\(.kind)|\(.lower_path)|\(.repaired)"' "$tmp/out" 2>&1 | sort || true)
	want=$(sort <<EOF
block-final-flag|$RF|re-sealed as an inner block
reserved-name|$RE/veilfs.diriv.tmp.4242.1|removed
diriv-missing|$RE|directory IV created
longname-orphan|$RL.name|removed
reserved-name|veilfs.conf.tmp.4242.0|removed
reserved-name|veilfs.links/$blob|removed
EOF
	)
	if [[ $rc -eq 0 && $got == "$want" ]] &&
		[[ $(jq -c '[.problems, .repaired, .io_errors]' "$tmp/out") == "[6,6,0]" ]]; then
		ok "--repair: each leftover repaired and named, exit 0"
	else
		notok "--repair: each leftover repaired" "rc=$rc got=$got; $(head -c 300 "$tmp/err")"
	fi
	run_fsck
	expect_case "--repair: fsck clean afterwards" 0 ""
	rcheck() {
		if cmp -s "$1/f4k" "$tmp/f4k.plain" && [[ -z $(ls -A "$1/e") ]] &&
			echo new >"$1/e/n" && [[ $(cat "$1/e/n") == new ]]; then
			ok "--repair: the appended file reads whole, the directory lists and takes a file"
		else
			notok "--repair: the repaired vault through a mount"
		fi
	}
	with_mount "$R" rcheck
	# the text form names the repair
	rm -rf "$R" && cp -a "$tmp/repair.damaged" "$R"
	set +e
	timeout $T "$VEILFS" fsck --passfile "$pw" --repair "$R" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	if [[ $rc -eq 0 ]] && grep -qxF "reserved-name: 'veilfs.conf.tmp.4242.0': leftover temporary file of an interrupted write [repaired: removed]" "$tmp/out" &&
		grep -qx '6 of the problems repaired' "$tmp/out"; then
		ok "--repair: text output names each repair"
	else
		notok "--repair: text output" "rc=$rc: $(head -c 600 "$tmp/out")"
	fi
	# refused while the vault is mounted (and nothing changed)
	rm -rf "$R" && cp -a "$tmp/repair.damaged" "$R"
	rm "$R/veilfs.conf.tmp.4242.0" # (a mount would not mind it, but keep the state simple)
	# names and contents of every file but the mount's registration (its heartbeat changes)
	files_sum() {
		(cd "$1" && find . -name 'veilfs.mount.*' -prune -o -type f -print | sort |
			xargs -d '\n' sha256sum)
	}
	m=$tmp/mnt.repair
	vmount "$R" "$m"
	files_sum "$R" >"$tmp/before"
	set +e
	timeout $T "$VEILFS" fsck --passfile "$pw" --repair "$R" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	files_sum "$R" >"$tmp/after"
	if [[ $rc -eq 6 ]] && cmp -s "$tmp/before" "$tmp/after" && grep -q 'mounted at' "$tmp/err"; then
		ok "--repair: refused on a vault mounted here, exit 6, nothing changed"
	else
		notok "--repair on a mounted vault" "rc=$rc; $(head -c 300 "$tmp/err")"
	fi
	# the same mount unseen (detached in a private mount namespace of fsck's own): the
	# registry's live registration refuses it
	set +e
	timeout $T unshare -m --propagation private sh -c 'umount -l "$1" && exec "$2" fsck \
		--passfile "$3" --repair "$4"' sh "$m" "$VEILFS" "$pw" "$R" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	files_sum "$R" >"$tmp/after"
	vumount "$m"
	if [[ $rc -eq 6 ]] && cmp -s "$tmp/before" "$tmp/after" &&
		grep -q 'live mount registration' "$tmp/err"; then
		ok "--repair: refused while the registry has a live mount, exit 6, nothing changed"
	else
		notok "--repair with a live registration" "rc=$rc; $(head -c 300 "$tmp/err")"
	fi
else
	notok "--repair: setup" "cannot build the repair vault"
fi

# --- the truncate copy: a truncate down to a short last block, cut by a crash -----------------

# The state a crash leaves between the cut and the write of the new last block in place: a
# piece of another block where the last block is, the block itself in user.veilfs-tail
# (docs/FORMAT.md, "Crashes"). The mount reads it; fsck reports it; --repair writes it back.
TV=$tmp/tail
declare -A tino
tpopulate() {
	head -c 8192 /dev/urandom >"$1/t"
	truncate -s 4196 "$1/t"
	cat "$1/t" >"$tmp/t.plain"
	tino[t]=$(stat -c %i "$1/t")
}
tread() {
	if cmp -s "$1/t" "$tmp/t.plain"; then
		ok "truncate copy: $2"
	else
		notok "truncate copy: $2" "the file does not read as truncated"
	fi
}
tread_before() { tread "$1" "the mount reads the last block from the copy"; }
tread_after() { tread "$1" "after --repair the file reads as truncated"; }
if new_vault "$TV" && with_mount "$TV" tpopulate && TT=$(lower_of "$TV" "${tino[t]}") &&
	[[ $(stat -c %s "$TV/$TT") -eq $((20 + gcm_block + 128)) ]] &&
	[[ -z $(getfattr --absolute-names -n user.veilfs-tail "$TV/$TT" 2>/dev/null) ]]; then
	hex=$(od -An -v -tx1 -j $((20 + gcm_block)) -N 128 "$TV/$TT" | tr -d ' \n')
	setfattr -n user.veilfs-tail -v "0x$hex" "$TV/$TT"
	flip_byte "$TV/$TT" $((20 + gcm_block + 40))
	with_mount "$TV" tread_before
	C=$TV
	run_fsck
	expect_case "truncate copy: fsck reports it" 5 "block-tail|$TT|/t|1"
	run_fsck --repair
	got=$(jq -r '.findings[] | "\(.kind)|\(.repaired)"' "$tmp/out" 2>&1 || true)
	if [[ $rc -eq 0 && $got == "block-tail|last block written back from the truncate copy" ]] &&
		[[ -z $(getfattr --absolute-names -n user.veilfs-tail "$TV/$TT" 2>/dev/null) ]]; then
		ok "truncate copy: --repair writes it in place and removes the copy, exit 0"
	else
		notok "truncate copy: --repair" "rc=$rc got=$got; $(head -c 300 "$tmp/err")"
	fi
	run_fsck
	expect_case "truncate copy: fsck clean afterwards" 0 ""
	with_mount "$TV" tread_after
	C=$tmp/c
else
	notok "truncate copy: setup" "cannot build the vault, or the truncate left a copy"
fi

# what it cannot prove it leaves alone: a damaged block, a cut file, an undecryptable name
reset
flip_byte "$C/${L[rand]}" $(($(block_off 3) + 50))
truncate -s "$(block_off 1)" "$C/${L[exact]}"
snapshot "$C" >"$tmp/before"
run_fsck --repair
snapshot "$C" >"$tmp/after"
got=$(jq -r '.findings[] | "\(.kind)|\(.repaired)"' "$tmp/out" 2>&1 | sort || true)
if [[ $rc -eq 5 && $got == $'block-auth|null\nblock-final-flag|null' ]] &&
	cmp -s "$tmp/before" "$tmp/after"; then
	ok "--repair: a damaged block and a cut file are reported, not touched, exit 5"
else
	notok "--repair: unprovable damage" "rc=$rc got=$got; $(diff "$tmp/before" "$tmp/after" | head -5)"
fi

set +e
timeout $T "$VEILFS" fsck --passfile "$pw" --repair --repair-nothing "$C" >/dev/null 2>&1
rc1=$?
timeout $T "$VEILFS" fsck --passfile "$pw" --repair --force "$C" >/dev/null 2>&1
rc2=$?
set -e
if [[ $rc1 -eq 2 && $rc2 -eq 2 ]]; then
	ok "--repair with --repair-nothing or --force: usage error"
else
	notok "--repair usage errors" "rc=$rc1,$rc2"
fi

# --- an interrupted rekey: the old file whole below its mark ---------------------------------

# A rekey killed (its test hook, as kill -9) between the old file's mark and the rename
# leaves the old file whole below the mark and the complete new file beside it: fsck names
# both, --repair cuts the mark off (the lower file byte for byte and mtime as before) and
# removes the temporary file, and the vault is clean.
reset
pwfile_b=$tmp/pw.b
echo "second member" >"$pwfile_b"
set +e
"$VEILFS" key add --passfile "$pw" --label b --new-passfile "$pwfile_b" --kdf-memory 8 --kdf-time 1 "$C" >/dev/null 2>&1 &&
	"$VEILFS" key revoke --passfile "$pw" --label b "$C" >/dev/null 2>&1
rc1=$?
VEILFS_TEST_REKEY_KILL=marked:2 timeout $T "$VEILFS" rekey --passfile "$pw" "$C" >/dev/null 2>&1
rc2=$?
set -e
# the marked file: the one lower file whose size no cipher file has (a long name's entry,
# veilfs.lname.<hash>, is a cipher file too: which file rekey takes first is listing order)
mk=$(cd "$C" && find . -type f \( ! -name 'veilfs.*' -o \( -name 'veilfs.lname.*' ! -name '*.name' \) \) \
	-printf '%P %s\n' |
	awk '{ k = ($2 - 20) % 4124; if ($2 > 0 && ($2 < 20 || (k > 0 && k <= 28))) print $1 }')
tmpf=$(cd "$C" && find . -name 'veilfs.rekey.*' -printf '%P\n')
run_fsck
got=$(jq -r '.findings[] | "\(.kind)|\(.lower_path)"' "$tmp/out" 2>&1 | sort || true)
want=$(printf '%s\n' "file-size|$mk" "reserved-name|$tmpf" | sort)
if [[ $rc1 == 0 && $rc2 == 137 && -n $mk && $mk != *$'\n'* && -n $tmpf && $rc == 5 &&
	$got == "$want" ]] && grep -q "marked by an interrupted rekey" "$tmp/out"; then
	ok "interrupted rekey: the marked file and its temporary file reported, exit 5"
else
	notok "interrupted rekey: reported" "rc=$rc1,$rc2,$rc mk='$mk' tmp='$tmpf' got=$got"
fi
run_fsck --repair
rc1=$rc
run_fsck
if [[ $rc1 == 0 && $rc == 0 && -z $(findings) && -z $(find "$C" -name 'veilfs.rekey.*') ]] &&
	cmp -s "$C/$mk" "$pristine/$mk" &&
	[[ $(stat -c %Y "$C/$mk") == "$(stat -c %Y "$pristine/$mk")" ]]; then
	ok "interrupted rekey: --repair cuts the mark off (file and mtime as before), then clean"
else
	notok "interrupted rekey: --repair" "rc=$rc1,$rc; $(head -c 300 "$tmp/out")"
fi

# --- the other cipher, and plaintext names ----------------------------------------------------

small() {
	head -c 10000 /dev/urandom >"$1/f"
	mkdir "$1/d"
	echo x >"$1/d/g"
}

for variant in xchacha plaintext; do
	v=$tmp/v-$variant
	if [[ $variant == xchacha ]]; then
		opts=(--cipher xchacha20-poly1305)
		blk=4136
	else
		opts=(--plaintext-names)
		blk=4124
	fi
	if ! new_vault "$v" "${opts[@]}" || ! with_mount "$v" small; then
		notok "$variant vault" "cannot build it"
		continue
	fi
	C=$v
	run_fsck
	expect_case "$variant vault: clean" 0 ""
	if [[ $variant == plaintext ]]; then
		lf=f
		[[ ! -e $v/d/veilfs.diriv ]] && ok "plaintext vault: no directory IV" ||
			notok "plaintext vault: no directory IV"
	else
		lf=$(find "$v" -maxdepth 1 -type f ! -name 'veilfs.*' -printf '%P\n')
	fi
	flip_byte "$v/$lf" $((20 + blk + 40))
	run_fsck
	expect_case "$variant vault: flipped byte in block 1" 5 "block-auth|$lf|/f|1"
done

t_summary && ((T_PASS > 0))

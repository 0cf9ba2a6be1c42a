#!/usr/bin/env bash
# tests/shared/run.sh: veilfs on network shares (issue 5), two "machines" per bed.
#
#   tests/shared/run.sh [--beds "sftp gluster gluster-r2 smb"] [--rounds N] [--quick]
#                       [--profile default|coherent] [--workdir DIR --keep-workdir]
#
# --profile picks the lower clients' options: "default" (the default: sshfs and glusterfs
# clients and the GlusterFS volume as installed, the way people mount them, but for the one
# option veilfs refuses a shared mode without, which the beds show refused first and then
# set: sshfs -o dir_cache=no, GlusterFS performance.quick-read off) or
# "coherent" (the tuned options of tests/beds/README.md, a speed-up, never a requirement).
#
# For every bed (tests/beds): start the server, mount two independent lower clients A and
# B of one share, `veilfs init` on A, mount veilfs over each lower mount in the bed's safe
# shared mode, then check through the two veilfs mounts:
#   block     two writers, disjoint halves of one 4 KiB block (twoclient_block, ROUNDS
#             rounds): 0 lost updates, every read authenticates, both mounts agree
#   append    two clients append 64-byte records (appendlog, O_APPEND): none lost
#   overlap   two clients overwrite overlapping ranges of one block (overlap.py): each
#             write lands whole, both mounts agree, every block authenticates
#   reads     B reads blocks A keeps rewriting (reads.py): never stale, torn or EIO
#             (lockfiles mode; INFO in locks mode: GlusterFS fails it)
#   c2o       write+close on A, read on B (close-to-open), also an in-place overwrite
#   names     create, rename, remove on A seen on B's next lookup/listing
#   locks     no lock file left in the cipher root afterwards (lockfiles mode)
#   wire      no marker of contents, names, symlink targets or xattrs on the wire (SMB,
#             tshark) or in the server's backing directory (all beds)
#   registry  a second client mounting without --shared is refused while one is live
#   trust     (GlusterFS) the same block experiment with the lower client's caches trusted
#             (VEILFS_FRESH=none), INFO: shows that the block check can fail
#   inflight  (sftp, gluster 1 brick) the server is killed while both clients append to
#             one file: both writers fail in bounded time, daemons up, every fsync'd record
#             intact once the server is back; (gluster replica 2) one brick is killed
#             while both clients append: the writes go on, everything reads back whole
#   auto      --shared=auto picks the bed's safe mode from the lower fs type
#   failure   (sftp, gluster 1 brick) the server stops after an fsync'd write: errors
#             within bounded time, the daemon stays up, after the restart a new open works
#             and the fsync'd data is intact
# Prints one line per check and ends with "N passed, N failed, N skipped"; exits non-zero
# on any failure. Needs root and the bed packages (tests/beds/install-deps.sh).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VEILFS=${VEILFS:-$repo/build/veilfs}
BEDS="sftp gluster gluster-r2 smb"
ROUNDS=200
KEEP=0
WORKDIR=""
QUICK=0
PROFILE=default
while (($#)); do
	case $1 in
	--beds) BEDS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--quick) QUICK=1; shift ;;
	--profile) PROFILE=$2; shift 2 ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--keep-workdir) KEEP=1; shift ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument '$1'" >&2; exit 2 ;;
	esac
done
((QUICK)) && ROUNDS=50

# shellcheck source=tests/beds/lib.sh
source "$repo/tests/beds/lib.sh"
# shellcheck source=tests/beds/sftp.sh
source "$repo/tests/beds/sftp.sh"
# shellcheck source=tests/beds/gluster.sh
source "$repo/tests/beds/gluster.sh"
# shellcheck source=tests/beds/smb.sh
source "$repo/tests/beds/smb.sh"
# shellcheck source=tests/beds/capture.sh
source "$repo/tests/beds/capture.sh"

[[ $(id -u) == 0 ]] || { echo "tests/shared/run.sh needs root"; echo "0 passed, 1 failed"; exit 1; }
[[ -x "$VEILFS" ]] || { echo "no veilfs binary at $VEILFS (run make)"; echo "0 passed, 1 failed"; exit 1; }

if [[ -z "$WORKDIR" ]]; then
	WORKDIR=$(mktemp -d /tmp/veilfs-shared.XXXXXX)
	((KEEP)) || t_defer rm -rf "$WORKDIR"
fi
mkdir -p "$WORKDIR"
RESULTS="$WORKDIR/results"
: >"$RESULTS"
bed_build_tools
T_PASSFILE=$WORKDIR/pw # vmount and new_vault (tests/lib.sh) use it
printf 'correct horse battery staple\n' >"$T_PASSFILE"

# record BED CHECK PASS|FAIL|INFO|SKIP DETAIL
record() {
	printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
	printf '%-5s %-11s %-40s %s\n' "$3" "$1" "$2" "$4" >&2
}

# run_tool OUTFILE CMD...: run a bounded tool, output to a file (a writer stuck in a hung
# mount cannot hold a pipe open), print the output; return the tool's status.
run_tool() {
	local out=$1 rc=0
	shift
	"$@" >"$out" 2>&1 || rc=$?
	cat "$out"
	return "$rc"
}

# vmount_shared CIPHERDIR MNT MODE NAME: vmount (tests/lib.sh: unmounted by the EXIT trap
# of the bed's subshell, before the lower mounts) in MODE, with the log veilfs.NAME.log.
vmount_shared() {
	vmount "$1" "$2" --shared="$3" --log "$WORKDIR/veilfs.$4.log"
}

# block_check BED MODE VA VB WAIT_S KIND: the same-block experiment; KIND assert|info.
block_check() {
	local bed=$1 mode=$2 va=$3 vb=$4 wait=$5 kind=$6 out rc=0 res
	out="$(run_tool "$WORKDIR/out.$bed.$mode.block" "$BED_BIN/twoclient_block" --timeout 240 \
		--wait-ms $((wait * 1000)) "$va/block.$mode" "$vb/block.$mode" "$ROUNDS")" || rc=$?
	res="$(grep '^result=' <<<"$out" | tail -1 || true)"
	res="${res:-result=none: $(tail -1 <<<"$out")}"
	local detail
	detail="$res; $(grep -E 'lost|via_(A|B)|EIO|errors' <<<"$out" | tail -3 | sed 's/^ *//' | tr '\n' ' ')"
	if [[ $kind == info ]]; then
		record "$bed" "same block, --shared=$mode ($ROUNDS rounds)" INFO "exit $rc; $detail"
	elif ((rc == 0)); then
		record "$bed" "same block, --shared=$mode ($ROUNDS rounds)" PASS "$detail"
	else
		record "$bed" "same block, --shared=$mode ($ROUNDS rounds)" FAIL "exit $rc; $detail"
	fi
}

append_check() {
	local bed=$1 mode=$2 va=$3 vb=$4 wait=$5 out rc=0 n=$((ROUNDS))
	out="$(run_tool "$WORKDIR/out.$bed.$mode.append" "$BED_BIN/appendlog" run --timeout 240 \
		--wait-ms $((wait * 1000)) "$va/append.$mode" "$vb/append.$mode" "$n")" || rc=$?
	local res
	res="$(grep '^result=' <<<"$out" | tail -1 || true)"
	if ((rc == 0)); then
		record "$bed" "appends from both clients (2x$n records)" PASS "${res:-ok}"
	else
		record "$bed" "appends from both clients (2x$n records)" FAIL "exit $rc; ${res:-$(tail -1 <<<"$out")}"
	fi
}

overlap_check() {
	local bed=$1 mode=$2 va=$3 vb=$4 out rc=0
	# (the SMB bed runs it too, as INFO: there it fails, which shows the check can fail)
	out="$(run_tool "$WORKDIR/out.$bed.$mode.overlap" python3 "$repo/tests/shared/overlap.py" \
		"$va/overlap.$mode" "$vb/overlap.$mode" "$ROUNDS" 240)" || rc=$?
	if ((rc == 0)); then
		record "$bed" "overlapping writes, two clients ($ROUNDS rounds)" PASS "$(grep -E 'middle' <<<"$out" | head -1)"
	else
		record "$bed" "overlapping writes, two clients ($ROUNDS rounds)" FAIL "exit $rc; $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
	fi
}

# reads_check BED MODE VA VB: B reads blocks A keeps rewriting: never stale, torn or EIO
# (in lockfiles mode these reads go without the lock file: docs/SHARED.md). Asserted on
# every bed; on GlusterFS it found the quick-read translator serving stale reads, which
# the beds now switch off (gluster_default_refused).
reads_check() {
	local bed=$1 mode=$2 va=$3 vb=$4 out rc=0
	out="$(run_tool "$WORKDIR/out.$bed.$mode.reads" python3 "$repo/tests/shared/reads.py" \
		"$va/reads.$mode" "$vb/reads.$mode" "$ROUNDS" 240)" || rc=$?
	if ((rc == 0)); then
		record "$bed" "reads on B while A rewrites ($ROUNDS rounds)" PASS "$(head -1 <<<"$out")"
	else
		record "$bed" "reads on B while A rewrites ($ROUNDS rounds)" FAIL "exit $rc; $(tr '\n' ' ' <<<"$out" | cut -c1-300)"
	fi
}

same_file() { cmp -s "$1" "$2"; }
absent() { [[ ! -e "$1" ]]; }
present() { [[ -e "$1" ]]; }

# c2o_check BED VA VB WAIT_S LOWER_A: close-to-open and names across the two mounts
# (LOWER_A, A's cipher directory, only to say what was left when rmdir fails).
c2o_check() {
	local bed=$1 va=$2 vb=$3 wait=$4 lower_a=$5 t0 ok=1 why=""
	head -c 100000 /dev/urandom >"$WORKDIR/c2o.src"
	t0=$(bed_time_ms)
	cp "$WORKDIR/c2o.src" "$va/c2o"
	if wait_until "$wait" same_file "$va/c2o" "$vb/c2o"; then
		record "$bed" "write+close on A, read on B" PASS "$(($(bed_time_ms) - t0)) ms, 100000 bytes"
	else
		record "$bed" "write+close on A, read on B" FAIL "B does not read A's bytes after ${wait}s"
	fi
	# in-place overwrite of the middle (same size): B must see it on its next open
	printf 'OVERWRITE-%s' "$RANDOM" | dd of="$WORKDIR/c2o.src" bs=1 seek=5000 conv=notrunc status=none
	t0=$(bed_time_ms)
	printf '%s' "$(dd if="$WORKDIR/c2o.src" bs=1 skip=5000 count=15 status=none)" |
		dd of="$va/c2o" bs=1 seek=5000 conv=notrunc status=none
	if wait_until "$wait" same_file "$WORKDIR/c2o.src" "$vb/c2o"; then
		record "$bed" "in-place overwrite on A, read on B" PASS "$(($(bed_time_ms) - t0)) ms"
	else
		record "$bed" "in-place overwrite on A, read on B" FAIL "B still reads old bytes after ${wait}s"
	fi
	# names
	t0=$(bed_time_ms)
	mkdir "$va/dir1" && echo hello >"$va/dir1/name-one"
	wait_until "$wait" present "$vb/dir1/name-one" || { ok=0; why+="create not seen; "; }
	mv "$va/dir1/name-one" "$va/dir1/name-two"
	wait_until "$wait" present "$vb/dir1/name-two" || { ok=0; why+="rename target not seen; "; }
	wait_until "$wait" absent "$vb/dir1/name-one" || { ok=0; why+="rename source still seen; "; }
	[[ "$(cat "$vb/dir1/name-two" 2>/dev/null)" == hello ]] || { ok=0; why+="renamed contents wrong; "; }
	rm "$va/dir1/name-two"
	wait_until "$wait" absent "$vb/dir1/name-two" || { ok=0; why+="removal not seen; "; }
	ls "$vb/dir1" >/dev/null 2>&1 || { ok=0; why+="B cannot list; "; }
	rmdir "$va/dir1" || {
		ok=0
		why+="rmdir on A failed (A lists: '$(ls -A "$va/dir1" 2>&1 | head -c 200)';"
		why+=" below: $(find "$lower_a" -mindepth 2 -maxdepth 2 -printf '%f ' 2>&1 | head -c 300)); "
	}
	wait_until "$wait" absent "$vb/dir1" || { ok=0; why+="rmdir not seen; "; }
	if ((ok)); then
		record "$bed" "names created/renamed/removed on A, seen on B" PASS "$(($(bed_time_ms) - t0)) ms for the sequence"
	else
		record "$bed" "names created/renamed/removed on A, seen on B" FAIL "$why"
	fi
	remade_dir_check "$bed" "$va" "$vb" "$wait"
}

# remade_dir_check BED VA VB WAIT_S: a directory B knows is removed and made again under
# the same name on A (a new directory IV): B must list and read the new one, and what B
# creates in it A must read (sshfs's inode numbers follow paths, so B keeps its vnode).
remade_dir_check() {
	local bed=$1 va=$2 vb=$3 wait=$4 ok=1 why=""
	mkdir "$va/dir2" && echo first >"$va/dir2/old"
	wait_until "$wait" present "$vb/dir2/old" || { ok=0; why+="first directory not seen; "; }
	ls "$vb/dir2" >/dev/null
	rm "$va/dir2/old" && rmdir "$va/dir2" && mkdir "$va/dir2" && echo second >"$va/dir2/new"
	wait_until "$wait" present "$vb/dir2/new" || { ok=0; why+="B does not find the new entry; "; }
	[[ "$(ls "$vb/dir2" 2>&1)" == new ]] || { ok=0; why+="B lists '$(ls "$vb/dir2" 2>&1 | head -c 100)'; "; }
	[[ "$(cat "$vb/dir2/new" 2>&1)" == second ]] || { ok=0; why+="B reads wrong contents; "; }
	echo fromb >"$vb/dir2/fromb" || { ok=0; why+="B cannot create; "; }
	wait_until "$wait" present "$va/dir2/fromb" || { ok=0; why+="A does not see B's file; "; }
	[[ "$(cat "$va/dir2/fromb" 2>&1)" == fromb ]] || { ok=0; why+="A reads '$(cat "$va/dir2/fromb" 2>&1 | head -c 100)'; "; }
	rm -f "$va/dir2/new" "$va/dir2/fromb"
	rmdir "$va/dir2" || { ok=0; why+="rmdir failed; "; }
	if ((ok)); then
		record "$bed" "directory removed and made again on A, used by B" PASS "new IV seen by B"
	else
		record "$bed" "directory removed and made again on A, used by B" FAIL "$why"
	fi
}

lockfile_check() {
	local bed=$1 cipher=$2 n
	n=$(find "$cipher" -maxdepth 1 -name 'veilfs.lock.*' 2>/dev/null | wc -l)
	if ((n == 0)); then
		record "$bed" "no lock file left in the cipher root" PASS "0"
	else
		record "$bed" "no lock file left in the cipher root" FAIL "$n left"
	fi
}

# marker_write VA TAG: write contents, a name, a symlink target and an xattr with markers.
marker_write() {
	local va=$1 tag=$2
	local done="contents"
	mkdir -p "$va/wire"
	printf 'CONTENTMARK%s-%.0s' "$tag" {1..50} >"$va/wire/file"
	echo x >"$va/wire/NAMEMARK$tag" && done+=", file name"
	mkdir "$va/wire/DIRMARK$tag" 2>/dev/null && done+=", dir name"
	# (the probes in $(...) fail where the lower fs refuses: their message is the point)
	ln -s "LINKMARK$tag/target" "$va/wire/link" 2>/dev/null && done+=", symlink target" || done+=", (symlink: $(ln -s x "$va/wire/l2" 2>&1 | sed 's/.*: //' || true))"
	setfattr -n user.XATTRNAMEMARK -v "XATTRVALMARK$tag" "$va/wire/file" 2>/dev/null && done+=", xattr" || done+=", (xattr: $(setfattr -n user.x -v y "$va/wire/file" 2>&1 | sed 's/.*: //' || true))"
	sync
	MARKERS_WRITTEN=$done
}

# tree_marker_check BED DIR TAG: no marker in the server's backing directory.
tree_marker_check() {
	local bed=$1 dir=$2 tag=$3 found
	found=$({
		grep -ral -e "CONTENTMARK$tag" -e "NAMEMARK$tag" -e "DIRMARK$tag" -e "LINKMARK$tag" \
			-e "XATTRVALMARK$tag" -e XATTRNAMEMARK "$dir" 2>/dev/null || true
		find "$dir" -name "*MARK*" 2>/dev/null || true
	} | sort -u)
	if [[ -z $found ]]; then
		record "$bed" "no marker in the server's backing files" PASS "$MARKERS_WRITTEN"
	else
		record "$bed" "no marker in the server's backing files" FAIL \
			"$(wc -l <<<"$found") hits (tag $tag): $(tr '\n' ' ' <<<"$found" | head -c 600)"
	fi
}

# Control: the markers are found when written without veilfs (the check can fail).
tree_marker_control() {
	local bed=$1 lower=$2 dir=$3 tag=$4
	marker_write "$lower/plain-control" "$tag" 2>/dev/null || mkdir -p "$lower/plain-control"
	marker_write "$lower/plain-control" "$tag"
	if grep -raq "CONTENTMARK$tag" "$dir"; then
		record "$bed" "control: plaintext marker found without veilfs" PASS "grep sees it"
	else
		record "$bed" "control: plaintext marker found without veilfs" FAIL "grep missed it"
	fi
	rm -rf "$lower/plain-control"
}

# The veilfs daemon serving the log NAME (pid from its log lines) is alive.
daemon_alive() {
	local pid
	pid=$(sed -n 's/.*veilfs\[\([0-9]*\)\].*/\1/p' "$WORKDIR/veilfs.$1.log" | tail -1)
	[[ -n "$pid" ]] && alive "$pid"
}

sftp_server_stop() {
	local p
	for p in $(pgrep -P "$SFTP_BED_SSHD_PID" 2>/dev/null || true); do
		kill -KILL "$p" 2>/dev/null || true
	done
	bed_kill "$SFTP_BED_SSHD_PID" 3 || true
}

sftp_server_start() {
	/usr/sbin/sshd -D -e -f "$SFTP_BED_DIR/ssh/sshd_config" 2>>"$SFTP_BED_DIR/ssh/sshd.log" </dev/null &
	SFTP_BED_SSHD_PID=$!
	t_defer bed_kill "$SFTP_BED_SSHD_PID" 3
	wait_for 10 "sshd back" bed_port_in_use "$SFTP_BED_PORT" || true
}

gluster_server_stop() {
	gluster_bed_cli volume stop "$GLUSTER_BED_VOLUME" force >/dev/null 2>&1 </dev/null || true
}

gluster_server_start() {
	gluster_bed_cli volume start "$GLUSTER_BED_VOLUME" force >/dev/null 2>&1 </dev/null || true
}

# failure_check BED VA STOP START: the server stops (sftp: sshd and its sessions killed by
# pid; gluster: volume stop force) after an fsync'd write, then comes back.
failure_check() {
	local bed=$1 va=$2 stop=$3 start=$4 t0 rc=0 ms before out src=0
	head -c 50000 /dev/urandom >"$WORKDIR/durable.src"
	cp "$WORKDIR/durable.src" "$va/durable"
	python3 -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDWR); os.fsync(fd); os.close(fd)' "$va/durable"
	before=$(grep -c 'error' "$WORKDIR/veilfs.$bed.A.log" || true)
	"$stop"
	t0=$(bed_time_ms)
	timeout 60 dd if=/dev/zero of="$va/after-failure" bs=4096 count=4 status=none 2>/dev/null || rc=$?
	timeout 60 cat "$va/durable" >/dev/null 2>&1 || rc=$((rc + 100))
	ms=$(($(bed_time_ms) - t0))
	if ((rc != 0 && ms < 60000)); then
		record "$bed" "server down: operations fail in bounded time" PASS "errors after $ms ms (dd+cat rc $rc)"
	else
		record "$bed" "server down: operations fail in bounded time" FAIL "rc $rc after $ms ms"
	fi
	out=$(timeout 10 stat "$va/durable" 2>&1) || src=$?
	if ((src != 124)) && is_mounted "$va" && daemon_alive "$bed.A"; then
		record "$bed" "daemon stays up while the server is down" PASS "stat answers: $(tail -1 <<<"$out" | sed 's/.*: //')"
	else
		record "$bed" "daemon stays up while the server is down" FAIL "rc $src: $out"
	fi
	record "$bed" "log lines of the failure" INFO "$(($(grep -c 'error' "$WORKDIR/veilfs.$bed.A.log" || true) - before)) new error lines: $(grep 'error' "$WORKDIR/veilfs.$bed.A.log" | tail -1 | sed 's/.*error: //')"
	"$start"
	t0=$(bed_time_ms)
	if wait_until 30 same_file "$WORKDIR/durable.src" "$va/durable"; then
		record "$bed" "server back: new open works, fsync'd data intact" PASS "after $(($(bed_time_ms) - t0)) ms"
	else
		record "$bed" "server back: new open works, fsync'd data intact" FAIL "durable file not readable or different"
	fi
}

# inflight_check BED VA VB STOP START: both clients append to one file (so each write
# also waits for the other's lock) when the server stops. Both writers must end with an
# error in bounded time, the daemons stay up, and once the server is back every record
# fsync'd before the failure reads back, well formed, with no EIO.
inflight_check() {
	local bed=$1 va=$2 vb=$3 stop=$4 start=$5 pa pb rca=0 rcb=0 t0 ms da db out rc=0
	rm -f "$WORKDIR/prog.A" "$WORKDIR/prog.B"
	python3 "$repo/tests/shared/inflight.py" write "$va/inflight" A 60 "$WORKDIR/prog.A" \
		>"$WORKDIR/inflight.A" 2>&1 &
	pa=$!
	python3 "$repo/tests/shared/inflight.py" write "$vb/inflight" B 60 "$WORKDIR/prog.B" \
		>"$WORKDIR/inflight.B" 2>&1 &
	pb=$!
	wait_until 20 present "$WORKDIR/prog.A" || true
	wait_until 20 present "$WORKDIR/prog.B" || true
	sleep 1
	"$stop"
	t0=$(bed_time_ms)
	wait "$pa" || rca=$?
	wait "$pb" || rcb=$?
	ms=$(($(bed_time_ms) - t0))
	da=$(cat "$WORKDIR/prog.A" 2>/dev/null || echo 0)
	db=$(cat "$WORKDIR/prog.B" 2>/dev/null || echo 0)
	if ((rca == 3 && rcb == 3 && ms < 45000)); then
		record "$bed" "server killed mid-write (2 writers): errors in bounded time" PASS "both writers failed within $ms ms ($(tr '\n' ' ' <"$WORKDIR/inflight.A" | cut -c1-80))"
	else
		record "$bed" "server killed mid-write (2 writers): errors in bounded time" FAIL "exit A $rca B $rcb after $ms ms: $(cat "$WORKDIR/inflight.A" "$WORKDIR/inflight.B" | tr '\n' ' ')"
	fi
	if is_mounted "$va" && is_mounted "$vb" && daemon_alive "$bed.A" && daemon_alive "$bed.B"; then
		record "$bed" "both daemons up after the mid-write failure" PASS ""
	else
		record "$bed" "both daemons up after the mid-write failure" FAIL "a daemon or mount is gone"
	fi
	"$start"
	local ok=0 i
	for ((i = 0; i < 60; i++)); do
		out=$(python3 "$repo/tests/shared/inflight.py" check "$va/inflight" A="$da" B="$db" 2>&1) && { ok=1; break; }
		sleep 0.5
	done
	if ((ok)); then
		record "$bed" "server back: every fsync'd record intact, no EIO" PASS "$out"
	else
		record "$bed" "server back: every fsync'd record intact, no EIO" FAIL "$out"
	fi
}

# brick_loss_check BED VA VB: replica 2 loses one brick (its process killed) while both
# clients append: the writes go on on the other brick, and everything reads back whole.
brick_loss_check() {
	local bed=$1 va=$2 vb=$3 pa pb rca=0 rcb=0 brick out
	rm -f "$WORKDIR/prog.A" "$WORKDIR/prog.B"
	python3 "$repo/tests/shared/inflight.py" write "$va/brickloss" A 8 "$WORKDIR/prog.A" \
		>"$WORKDIR/brick.A" 2>&1 &
	pa=$!
	python3 "$repo/tests/shared/inflight.py" write "$vb/brickloss" B 8 "$WORKDIR/prog.B" \
		>"$WORKDIR/brick.B" 2>&1 &
	pb=$!
	sleep 2
	brick=$(gluster_bed_cli volume status "$GLUSTER_BED_VOLUME" --xml 2>/dev/null | python3 -c '
import sys, xml.etree.ElementTree as ET
for n in ET.parse(sys.stdin).iter("node"):
    if (n.findtext("path") or "").endswith("/h2"):
        print(n.findtext("pid"))
' 2>/dev/null | head -1)
	if [[ $brick =~ ^[0-9]+$ ]]; then
		kill -KILL "$brick"
	else
		record "$bed" "one brick killed while both clients write" FAIL "no pid for brick h2: '$brick'"
	fi
	wait "$pa" || rca=$?
	wait "$pb" || rcb=$?
	if ((rca == 0 && rcb == 0)); then
		record "$bed" "one brick killed while both clients write: writes go on" PASS "$(cat "$WORKDIR/brick.A" "$WORKDIR/brick.B" | tr '\n' ' ')"
	else
		record "$bed" "one brick killed while both clients write: writes go on" FAIL "exit A $rca B $rcb: $(cat "$WORKDIR/brick.A" "$WORKDIR/brick.B" | tr '\n' ' ')"
	fi
	out=$(python3 "$repo/tests/shared/inflight.py" check "$va/brickloss" \
		A="$(cat "$WORKDIR/prog.A" 2>/dev/null || echo 0)" B="$(cat "$WORKDIR/prog.B" 2>/dev/null || echo 0)" 2>&1) && rc=0 || rc=$?
	if ((rc == 0)); then
		record "$bed" "after the brick loss everything reads back whole" PASS "$out"
	else
		record "$bed" "after the brick loss everything reads back whole" FAIL "$out"
	fi
}

# second_off_refused BED CIPHER MNT: a --shared=off mount on the other client, while one
# is live on the first, is refused by the mount registry (exit 6).
second_off_refused() {
	local bed=$1 c=$2 m=$3 rc=0 out
	mkdir -p "$m"
	out=$(timeout 60 "$VEILFS" mount --passfile "$WORKDIR/pw" "$c" "$m" 2>&1) || rc=$?
	if ((rc == 6)) && grep -q "must both use a shared mode" <<<"$out" && ! is_mounted "$m"; then
		record "$bed" "second client without --shared refused (registry)" PASS "exit 6"
	else
		record "$bed" "second client without --shared refused (registry)" FAIL "exit $rc: $out"
		force_unmount "$m"
	fi
}

# sftp_default_refused BED BASE: over sshfs with its defaults (its own 20 s cache of names
# and attributes on) a shared mode is refused, with the option to set; --shared=off mounts.
sftp_default_refused() {
	local bed=$1 base=$2 rc=0 out
	sftp_bed_mount "$base/a" default
	new_vault "$base/a/cipher"
	mkdir -p "$base/va"
	out=$(timeout 60 "$VEILFS" mount --passfile "$WORKDIR/pw" --shared=auto "$base/a/cipher" "$base/va" 2>&1) || rc=$?
	if ((rc == 2)) && grep -q "dir_cache=no" <<<"$out" && ! is_mounted "$base/va"; then
		record "$bed" "sshfs defaults: shared mode refused, names the option" PASS "exit 2: $(cut -c1-150 <<<"$out")"
	else
		record "$bed" "sshfs defaults: shared mode refused, names the option" FAIL "exit $rc: $out"
		force_unmount "$base/va"
	fi
	sftp_bed_umount "$base/a"
	rm -rf "${SFTP_BED_EXPORT:?}/cipher"
}

# gluster_default_refused BED BASE: on a volume as `volume create` made it (quick-read on),
# a shared mode is refused with the option to switch off; then the bed switches it off
# (the one option a shared mode needs over GlusterFS: docs/SHARED.md), and both clients'
# graphs drop the translator.
gluster_default_refused() {
	local bed=$1 base=$2 rc=0 out
	mkdir -p "$base/va"
	out=$(timeout 60 "$VEILFS" mount --passfile "$WORKDIR/pw" --shared=auto "$base/a/cipher" "$base/va" 2>&1) || rc=$?
	if ((rc == 2)) && grep -q "gluster volume set [^ ]* performance.quick-read off" <<<"$out" &&
		! is_mounted "$base/va"; then
		record "$bed" "GlusterFS defaults: shared mode refused, names the option" PASS "exit 2: $(grep -m1 -o "quick-read.*" <<<"$out" | cut -c1-150)"
	else
		record "$bed" "GlusterFS defaults: shared mode refused, names the option" FAIL "exit $rc: $out"
		force_unmount "$base/va"
	fi
	gluster_bed_set performance.quick-read off
	wait_until 20 gluster_no_quick_read "$base/a" || die "client A still runs quick-read"
	wait_until 20 gluster_no_quick_read "$base/b" || die "client B still runs quick-read"
}

gluster_no_quick_read() {
	local t
	for t in "$1"/.meta/graphs/active/*/type; do
		[[ $(cat "$t" 2>/dev/null) == performance/quick-read ]] && return 1
	done
	return 0
}

run_bed() {
	local bed=$1 mode=$2 wait=$3 a b starter
	local base="$WORKDIR/$bed"
	mkdir -p "$base"
	case $bed in
	sftp)
		export SFTP_BED_EXTRA_OPTS=reconnect
		sftp_bed_start "$base/srv"
		sftp_profile=$PROFILE
		if [[ $PROFILE == default ]]; then
			sftp_default_refused "$bed" "$base"
			sftp_profile=nocache # the one option a shared mode needs over sshfs
		fi
		sftp_bed_mount "$base/a" "$sftp_profile"
		sftp_bed_mount "$base/b" "$sftp_profile"
		EXPORT=$SFTP_BED_EXPORT ;;
	gluster | gluster-r2)
		starter=single; [[ $bed == gluster-r2 ]] && starter=replica2
		GLUSTER_BED_VOL_PROFILE=$PROFILE gluster_bed_start "$base/srv" "$starter"
		gluster_bed_mount "$base/a" "$PROFILE"
		gluster_bed_mount "$base/b" "$PROFILE"
		EXPORT="$base/srv/bricks" ;;
	smb)
		smb_bed_start "$base/srv"
		smb_bed_mount "$base/a"
		smb_bed_mount "$base/b"
		EXPORT=$SMB_BED_EXPORT ;;
	esac
	a="$base/a" b="$base/b"
	new_vault "$a/cipher"
	wait_until 15 present "$b/cipher/veilfs.conf" || die "B does not see the vault"
	if [[ $bed == gluster* && $PROFILE == default ]]; then
		gluster_default_refused "$bed" "$base"
	fi
	if [[ $bed == smb ]]; then
		smb_checks "$bed" "$base" "$a" "$wait"
		return 0
	fi
	vmount_shared "$a/cipher" "$base/va" "$mode" "$bed.A"
	vmount_shared "$b/cipher" "$base/vb" "$mode" "$bed.B"
	local va="$base/va" vb="$base/vb"
	record "$bed" "veilfs mounts (--shared=$mode)" INFO "$(grep -h 'shared mode' "$WORKDIR/veilfs.$bed.A.log" | sed 's/.*info: //' | head -1)"

	block_check "$bed" "$mode" "$va" "$vb" "$wait" assert
	append_check "$bed" "$mode" "$va" "$vb" "$wait"
	overlap_check "$bed" "$mode" "$va" "$vb"
	reads_check "$bed" "$mode" "$va" "$vb"
	c2o_check "$bed" "$va" "$vb" "$wait" "$a/cipher"
	[[ $mode == lockfiles ]] && lockfile_check "$bed" "$a/cipher"
	local tag="$RANDOM$RANDOM"
	marker_write "$va" "$tag"
	tree_marker_check "$bed" "$EXPORT" "$tag"
	if [[ $bed == sftp ]]; then
		tree_marker_control "$bed" "$a" "$EXPORT" "c$tag"
	fi
	vumount "$va"
	vumount "$vb"
	# a second client that forgot --shared is refused while the first one is live
	vmount_shared "$a/cipher" "$base/va" off "$bed.A-off"
	second_off_refused "$bed" "$b/cipher" "$base/vb"
	vumount "$va"
	# control: the same block experiment with the lower client's caches trusted
	# (VEILFS_FRESH=none), expected to lose updates or fail to authenticate on a lower
	# client that caches (GlusterFS): shows that the block check can fail
	if [[ $bed == gluster* ]]; then
		VEILFS_FRESH=none vmount_shared "$a/cipher" "$base/va" "$mode" "$bed.A-trust"
		VEILFS_FRESH=none vmount_shared "$b/cipher" "$base/vb" "$mode" "$bed.B-trust"
		block_check "$bed" "$mode" "$va" "$vb" "$wait" info
		vumount "$va"
		vumount "$vb"
	fi
	# --shared=auto picks the mode the docs call safe for this lower fs type
	vmount_shared "$a/cipher" "$base/va" auto "$bed.A-auto"
	if grep -q "using $mode" "$WORKDIR/veilfs.$bed.A-auto.log"; then
		record "$bed" "--shared=auto picks $mode" PASS "$(grep -h 'shared=auto' "$WORKDIR/veilfs.$bed.A-auto.log" | sed 's/.*info: //')"
	else
		record "$bed" "--shared=auto picks $mode" FAIL "$(grep -h 'shared' "$WORKDIR/veilfs.$bed.A-auto.log" | head -2)"
	fi
	vumount "$va"
	vmount_shared "$a/cipher" "$base/va" "$mode" "$bed.A"
	case $bed in
	sftp) failure_check "$bed" "$va" sftp_server_stop sftp_server_start ;;
	gluster) failure_check "$bed" "$va" gluster_server_stop gluster_server_start ;;
	esac
	vmount_shared "$b/cipher" "$base/vb" "$mode" "$bed.B"
	case $bed in
	sftp) inflight_check "$bed" "$va" "$vb" sftp_server_stop sftp_server_start ;;
	gluster) inflight_check "$bed" "$va" "$vb" gluster_server_stop gluster_server_start ;;
	gluster-r2) brick_loss_check "$bed" "$va" "$vb" ;;
	esac
}

# SMB over rclone: rclone uploads whole files after close (write-back), so no shared mode
# can be correct over it: veilfs refuses one (naming its own SMB client instead). One
# single-client mount then shows that only ciphertext crosses the wire.
smb_checks() {
	local bed=$1 base=$2 a=$3 wait=$4 tag pcap t0 out rc=0
	local va="$base/va"
	mkdir -p "$va"
	out=$(timeout 60 "$VEILFS" mount --passfile "$WORKDIR/pw" --shared=auto "$a/cipher" "$va" 2>&1) || rc=$?
	if ((rc == 2)) && grep -q "smb://" <<<"$out" && ! is_mounted "$va"; then
		record "$bed" "rclone: shared mode refused, names veilfs's SMB client" PASS "exit 2"
	else
		record "$bed" "rclone: shared mode refused, names veilfs's SMB client" FAIL "exit $rc: $out"
		force_unmount "$va"
	fi
	vmount_shared "$a/cipher" "$va" off "$bed.A"
	tag="$RANDOM$RANDOM"
	pcap="$WORKDIR/smb.pcap"
	capture_start "$SMB_BED_PORT" "$pcap"
	marker_write "$va" "$tag"
	sleep 7 # rclone write-back (5 s) of everything written above
	capture_stop
	local n
	n=$(( $(pcap_count_raw "$pcap" "CONTENTMARK$tag") + $(pcap_count_raw "$pcap" "NAMEMARK$tag") +
		$(pcap_count_raw "$pcap" "LINKMARK$tag") + $(pcap_count_raw "$pcap" "XATTRVALMARK$tag") +
		$(pcap_count_raw "$pcap" "DIRMARK$tag") + $(pcap_count_raw_utf16 "$pcap" "DIRMARK$tag") +
		$(pcap_count_raw_utf16 "$pcap" "NAMEMARK$tag") + $(pcap_count_raw_utf16 "$pcap" "wire") ))
	local bytes
	bytes=$(stat -c %s "$pcap" 2>/dev/null || echo 0)
	if ((bytes > 1000 && n == 0)); then
		record "$bed" "no marker on the SMB wire (tshark)" PASS "$bytes bytes captured, 0 hits ($MARKERS_WRITTEN)"
	else
		record "$bed" "no marker on the SMB wire (tshark)" FAIL "$bytes bytes captured, $n hits"
	fi
	tree_marker_check "$bed" "$SMB_BED_EXPORT" "$tag"
	# control: the same markers without veilfs do cross the wire
	capture_start "$SMB_BED_PORT" "$WORKDIR/smb-control.pcap"
	mkdir -p "$a/plain-control"
	printf 'CONTENTMARKc%s' "$tag" >"$a/plain-control/f"
	sleep 7
	capture_stop
	if (($(pcap_count_raw "$WORKDIR/smb-control.pcap" "CONTENTMARKc$tag") > 0)); then
		record "$bed" "control: plaintext marker seen on the wire without veilfs" PASS "capture works"
	else
		record "$bed" "control: plaintext marker seen on the wire without veilfs" FAIL "capture missed it"
	fi
}

for bed in $BEDS; do
	case $bed in
	sftp) bed_subshell sftp run_bed sftp lockfiles 3 ;;
	gluster) bed_subshell gluster run_bed gluster locks 3 ;;
	gluster-r2) bed_subshell gluster-r2 run_bed gluster-r2 locks 3 ;;
	smb) bed_subshell smb run_bed smb off 12 ;;
	*) record "$bed" "bed" FAIL "unknown bed" ;;
	esac
done

pass=$(awk -F'\t' '$3 == "PASS"' "$RESULTS" | wc -l)
fail=$(awk -F'\t' '$3 == "FAIL"' "$RESULTS" | wc -l)
skip=$(awk -F'\t' '$3 == "SKIP"' "$RESULTS" | wc -l)
echo "results in $RESULTS" >&2
printf '%s passed, %s failed, %s skipped\n' "$pass" "$fail" "$skip"
((fail == 0))

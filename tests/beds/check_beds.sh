#!/usr/bin/env bash
# tests/beds/check_beds.sh: start every network test bed, check two-client
# semantics on the plain lower mounts, then (if gocryptfs is installed) run
# the two-client same-block experiment with gocryptfs on top of each bed and
# REPORT the result (it reproduces TESTBEDS.md; it is not asserted).
#
# Usage: check_beds.sh [--beds "sftp gluster gluster-r2 smb"] [--rounds N]
#                      [--no-gocryptfs] [--workdir DIR] [--keep-workdir]
# Prints a results table and `N passed, N failed[, N skipped]`; exits non-zero
# on any failure.  INFO rows are measurements, neither passed nor failed.
# Afterwards it verifies that no mount, daemon or namespace it started is left.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
# shellcheck source=sftp.sh
source "$HERE/sftp.sh"
# shellcheck source=gluster.sh
source "$HERE/gluster.sh"
# shellcheck source=smb.sh
source "$HERE/smb.sh"
# shellcheck source=capture.sh
source "$HERE/capture.sh"

BEDS="sftp gluster gluster-r2 smb"
ROUNDS=200
GOCRYPTFS=1
WORKDIR=""
KEEP=0
while (($#)); do
	case "$1" in
	--beds) BEDS=$2; shift 2 ;;
	--rounds) ROUNDS=$2; shift 2 ;;
	--no-gocryptfs) GOCRYPTFS=0; shift ;;
	--workdir) WORKDIR=$2; shift 2 ;;
	--keep-workdir) KEEP=1; shift ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
done
[[ "$ROUNDS" =~ ^[0-9]+$ ]] && ((ROUNDS >= 1 && ROUNDS <= 100000)) || die "bad --rounds"
if [[ -z "$WORKDIR" ]]; then
	WORKDIR="$(mktemp -d /tmp/veilfs-beds.XXXXXX)"
	((KEEP)) || t_defer rm -rf "$WORKDIR"
fi
mkdir -p "$WORKDIR"
WORKDIR="$(realpath "$WORKDIR")"
RESULTS="$WORKDIR/results"
: >"$RESULTS"
BED_BIN="$WORKDIR/bin"
bed_build_tools

DAEMONS='sshd|smbd|samba-dcerpcd|glusterd|glusterfsd|glusterfs|rclone|sshfs|gocryptfs|tshark|dumpcap'
# Non-zombie processes of the daemon kinds a bed starts: "pid comm" lines.
daemon_pids() {
	ps -eo pid=,stat=,comm= | awk -v re="^($DAEMONS)\$" '$2 !~ /^Z/ && $3 ~ re { print $1, $3 }'
}
daemon_pids >"$WORKDIR/daemons.before"

# record BED CHECK PASS|FAIL|INFO|SKIP DETAIL
record() {
	printf '%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" >>"$RESULTS"
	t_log "$1: $2: $3 $4"
}

# poll_ms BUDGET_S CMD...: run CMD every 50 ms until it succeeds; print the
# elapsed milliseconds; fail after BUDGET_S seconds.
poll_ms() {
	local budget=$1 t0 i
	shift
	t0=$(bed_time_ms)
	for ((i = 0; i < budget * 20 + 1; i++)); do
		if "$@" >/dev/null 2>&1; then
			echo $(($(bed_time_ms) - t0))
			return 0
		fi
		sleep 0.05
	done
	return 1
}

same_file() { cmp -s "$1" "$2"; }

# run_tool OUTFILE CMD...: run a C tool with its output in a file, not a
# pipe: a writer stuck in a hung FUSE mount would hold a pipe open and hang
# "$(...)" even after the tool's own timeout fired.
run_tool() {
	local f=$1
	shift
	"$@" >"$f" 2>&1 </dev/null || true
	cat "$f"
}
mode_is() { [[ "$(stat -c %a "$1" 2>/dev/null)" == "$2" ]]; }
gone() { [[ ! -e "$1" ]]; }
exists() { [[ -e "$1" ]]; }

# The plain two-client checks.  A, B: the two mounts of one share; WAIT: how
# many seconds a change may take to show on the other client.
# LOCKS: expected cross-client lock behaviour, "shared" or "local".
# BLOCK: "assert" or "info" for the same-block experiment on the lower mounts.
lower_checks() {
	local bed=$1 a=$2 b=$3 wait=$4 locks=$5 block=$6 ms t out
	t="$WORKDIR/tmp.$bed"
	mkdir -p "$t"
	head -c 3000 /dev/urandom | base64 -w 76 >"$t/v1"
	head -c 3000 /dev/urandom | base64 -w 76 >"$t/v2"
	head -c 900 /dev/urandom | base64 -w 76 >"$t/v3"

	# 1. new file written and closed on A, read on B
	cp "$t/v1" "$a/new"
	if ms=$(poll_ms "$wait" same_file "$t/v1" "$b/new"); then
		record "$bed" "write on A, read on B after close" PASS "visible after ${ms} ms"
	else
		record "$bed" "write on A, read on B after close" FAIL "not visible within ${wait} s"
	fi
	# 2. in-place overwrite (same size) on A, read on B
	dd if="$t/v2" of="$a/new" conv=notrunc status=none
	if ms=$(poll_ms "$wait" same_file "$t/v2" "$b/new"); then
		record "$bed" "in-place overwrite on A, read on B" PASS "visible after ${ms} ms"
	else
		record "$bed" "in-place overwrite on A, read on B" FAIL "B still stale after ${wait} s"
	fi
	# 3. O_EXCL create: B must not be able to create what A created
	if (set -C && : >"$a/excl") 2>/dev/null && poll_ms "$wait" exists "$b/excl" >/dev/null; then
		if (set -C && : >"$b/excl") 2>/dev/null; then
			record "$bed" "O_EXCL create seen across mounts" FAIL "B created an existing file"
		else
			record "$bed" "O_EXCL create seen across mounts" PASS "B got EEXIST"
		fi
	else
		record "$bed" "O_EXCL create seen across mounts" FAIL "A's file never seen on B"
	fi
	# 4. rename over an existing name
	cp "$t/v1" "$a/dst"
	cp "$t/v3" "$a/src"
	if poll_ms "$wait" same_file "$t/v1" "$b/dst" >/dev/null &&
		poll_ms "$wait" same_file "$t/v3" "$b/src" >/dev/null; then
		mv "$a/src" "$a/dst"
		if ms=$(poll_ms "$wait" same_file "$t/v3" "$b/dst") && poll_ms "$wait" gone "$b/src" >/dev/null &&
			same_file "$t/v3" "$a/dst"; then
			record "$bed" "rename over existing name" PASS "B sees new dst after ${ms} ms"
		else
			record "$bed" "rename over existing name" FAIL "B never saw the renamed file"
		fi
	else
		record "$bed" "rename over existing name" FAIL "files never visible on B"
	fi
	# 5. locks across mounts
	cp "$t/v3" "$a/lock"
	poll_ms "$wait" exists "$b/lock" >/dev/null || true
	local kind want got
	for kind in ofd flock; do
		"$BED_BIN/lockprobe" "$kind" "$a/lock" "$b/lock" >"$WORKDIR/out.$bed.lock" 2>&1 </dev/null && got=shared || got=local
		out="$(cat "$WORKDIR/out.$bed.lock")"
		if [[ "$out" == *error* ]]; then
			record "$bed" "$kind lock across mounts" FAIL "$out"
			continue
		fi
		want=$locks
		if [[ "$got" == "$want" ]]; then
			record "$bed" "$kind lock across mounts ($want expected)" PASS "$out"
		else
			record "$bed" "$kind lock across mounts ($want expected)" FAIL "$out"
		fi
	done
	semantics_probes "$bed" "$a" "$b" "$wait"
	# 6. the same-block experiment and concurrent appends on the lower mounts
	out="$(run_tool "$WORKDIR/out.$bed.block" "$BED_BIN/twoclient_block" --timeout 180 --wait-ms $((wait * 1000)) "$a/block" "$b/block" "$ROUNDS")"
	local res
	res="$(grep '^result=' <<<"$out" || echo 'result=FAIL no result')"
	if [[ "$block" == assert ]]; then
		if [[ "$res" == result=PASS* ]]; then
			record "$bed" "same block, two writers ($ROUNDS rounds)" PASS "$res"
		else
			record "$bed" "same block, two writers ($ROUNDS rounds)" FAIL "$res"
		fi
	else
		record "$bed" "same block, two writers ($ROUNDS rounds)" INFO "$res"
	fi
	printf '%s\n' "$out" >"$WORKDIR/twoclient.$bed.lower.txt"
	out="$(run_tool "$WORKDIR/out.$bed.append" "$BED_BIN/appendlog" run --timeout 180 --wait-ms $((wait * 1000)) "$a/append" "$b/append" 200)"
	record "$bed" "O_APPEND from two clients (2x200 records)" INFO \
		"$(grep -E '^  via_A' <<<"$out" | sed 's/^ *//') $(grep '^result' <<<"$out")"
}

# semantics_probes BED A B WAIT: measured properties, reported as INFO.
semantics_probes() {
	local bed=$1 a=$2 b=$3 wait=$4 out e
	echo probe >"$a/p-file"
	poll_ms "$wait" exists "$b/p-file" >/dev/null || true
	# hard link
	if e="$(ln "$a/p-file" "$a/p-link" 2>&1)"; then
		poll_ms "$wait" exists "$b/p-link" >/dev/null || true
		out="ok; nlink on A $(stat -c %h "$a/p-file" 2>/dev/null), on B $(stat -c %h "$b/p-file" 2>/dev/null)"
	else
		out="failed: ${e##*: }"
	fi
	record "$bed" "hard link" INFO "$out"
	# symlink
	if e="$(ln -s p-file "$a/p-sym" 2>&1)"; then
		poll_ms "$wait" exists "$b/p-sym" >/dev/null || true
		out="ok; B reads target '$(readlink "$b/p-sym" 2>&1)'"
	else
		out="failed: ${e##*: }"
	fi
	record "$bed" "symlink" INFO "$out"
	# user xattr
	if ! command -v setfattr >/dev/null; then
		record "$bed" "user xattr" SKIP "setfattr not installed"
	elif e="$(setfattr -n user.veilfs -v bed "$a/p-file" 2>&1)"; then
		out="ok; B reads '$(getfattr --absolute-names --only-values -n user.veilfs "$b/p-file" 2>&1)'"
		record "$bed" "user xattr" INFO "$out"
	else
		record "$bed" "user xattr" INFO "failed: ${e##*: }"
	fi
	# chmod seen on B
	chmod 600 "$a/p-file" 2>/dev/null || true
	if poll_ms "$wait" mode_is "$b/p-file" 600 >/dev/null; then
		out="ok (600 on B)"
	else
		out="A has $(stat -c %a "$a/p-file" 2>/dev/null), B has $(stat -c %a "$b/p-file" 2>/dev/null)"
	fi
	record "$bed" "chmod 600 on A, mode on B" INFO "$out"
	# mtime precision
	touch -m -d '2021-02-03 04:05:06.123456789' "$a/p-file" 2>/dev/null || true
	sleep 0.2
	record "$bed" "mtime set to ...06.123456789" INFO \
		"A sees $(stat -c %y "$a/p-file" 2>/dev/null | cut -c12-29), B sees $(stat -c %y "$b/p-file" 2>/dev/null | cut -c12-29)"
}

# capture_check BED PORT A EXPORT WAIT WIRE: write a marker file through
# mount A while capturing PORT; the marker (contents, and the file name as
# UTF-16LE for SMB) must be on the wire iff WIRE=plain, and must always be
# in the server's EXPORT tree (plain lower share).  This validates capture.sh.
capture_check() {
	local bed=$1 port=$2 a=$3 export=$4 wait=$5 wire=$6 m raw u16 tree pcap
	if ! command -v tshark >/dev/null; then
		record "$bed" "capture: marker on wire / on server disk" SKIP "tshark not installed"
		return 0
	fi
	m="VEILFS-MARK-$RANDOM$RANDOM"
	pcap="$WORKDIR/$bed.pcap"
	capture_start "$port" "$pcap"
	echo "secret $m secret" >"$a/cap-$m"
	poll_ms "$wait" tree_has_marker "$export" "$m" >/dev/null || true
	sleep 1
	capture_stop "$pcap"
	raw=$(pcap_count_raw "$pcap" "$m")
	u16=$(pcap_count_raw_utf16 "$pcap" "$m")
	tree=$(tree_grep "$export" "$m" | wc -l)
	local detail="contents on wire: $raw, UTF-16 name on wire: $u16, files on server: $tree"
	if [[ "$wire" == plain ]] && ((raw > 0 && tree > 0)); then
		record "$bed" "capture: plaintext seen on wire and disk" PASS "$detail"
	elif [[ "$wire" == encrypted ]] && ((raw == 0 && u16 == 0 && tree > 0)); then
		record "$bed" "capture: nothing on wire (SSH), plain on disk" PASS "$detail"
	else
		record "$bed" "capture: marker on wire ($wire expected) / disk" FAIL "$detail"
	fi
}

# gocryptfs_block BED A B WAIT: gocryptfs on each lower mount, same-block
# experiment through the two gocryptfs mounts; reported, not asserted.
gocryptfs_block() {
	local bed=$1 a=$2 b=$3 wait=$4 ga gb out pid res
	if ((GOCRYPTFS == 0)); then
		return 0
	fi
	if ! command -v gocryptfs >/dev/null; then
		record "$bed" "gocryptfs on top: same block" SKIP "gocryptfs not installed"
		return 0
	fi
	echo "bed-test-password" >"$WORKDIR/gcfs.pw.$bed"
	mkdir -p "$a/gcfs"
	if ! gocryptfs -q -init -scryptn 10 -extpass "cat $WORKDIR/gcfs.pw.$bed" "$a/gcfs" >/dev/null 2>&1; then
		record "$bed" "gocryptfs on top: same block" INFO "gocryptfs -init failed on this share"
		return 0
	fi
	if ! poll_ms $((wait + 10)) exists "$b/gcfs/gocryptfs.conf" >/dev/null ||
		! poll_ms $((wait + 10)) exists "$b/gcfs/gocryptfs.diriv" >/dev/null; then
		record "$bed" "gocryptfs on top: same block" INFO "config never reached client B"
		return 0
	fi
	ga="$WORKDIR/gc-$bed-a"
	gb="$WORKDIR/gc-$bed-b"
	for pair in "$a/gcfs:$ga" "$b/gcfs:$gb"; do
		mkdir -p "${pair#*:}"
		gocryptfs -fg -q -nosyslog -extpass "cat $WORKDIR/gcfs.pw.$bed" "${pair%%:*}" "${pair#*:}" \
			>"${pair#*:}.log" 2>&1 </dev/null &
		pid=$!
		t_defer bed_kill "$pid" 5
		t_defer bed_umount "${pair#*:}"
		if ! wait_for 15 "gocryptfs at ${pair#*:}" is_mounted "${pair#*:}"; then
			record "$bed" "gocryptfs on top: same block" INFO "gocryptfs mount failed: $(tail -1 "${pair#*:}.log")"
			return 0
		fi
	done
	out="$(run_tool "$WORKDIR/out.$bed.gcblock" "$BED_BIN/twoclient_block" --timeout 180 --wait-ms $((wait * 1000)) "$ga/block" "$gb/block" "$ROUNDS")"
	printf '%s\n' "$out" >"$WORKDIR/twoclient.$bed.gocryptfs.txt"
	res="$(grep '^result=' <<<"$out" || echo "result=none: $(tail -1 <<<"$out")")"
	record "$bed" "gocryptfs on top: same block ($ROUNDS rounds)" INFO \
		"$res; $(grep -E 'via_(A|B)' <<<"$out" | tail -2 | sed 's/^ *//' | tr '\n' ' ')"
}

run_sftp() {
	local t0
	t0=$(bed_time_ms)
	sftp_bed_start "$WORKDIR/sftp"
	sftp_bed_mount "$WORKDIR/sftp/a" coherent
	sftp_bed_mount "$WORKDIR/sftp/b" coherent
	record sftp "start sshd + 2 sshfs mounts" PASS "$(($(bed_time_ms) - t0)) ms (profile coherent)"
	lower_checks sftp "$WORKDIR/sftp/a" "$WORKDIR/sftp/b" 3 local assert
	capture_check sftp "$SFTP_BED_PORT" "$WORKDIR/sftp/a" "$SFTP_BED_EXPORT" 3 encrypted
	gocryptfs_block sftp "$WORKDIR/sftp/a" "$WORKDIR/sftp/b" 3
	bed_cleanup_to_gocryptfs
	# TESTBEDS.md measured gocryptfs over sshfs with default options: repeat.
	sftp_bed_umount "$WORKDIR/sftp/a"
	sftp_bed_umount "$WORKDIR/sftp/b"
	sftp_bed_mount "$WORKDIR/sftp/a" default
	sftp_bed_mount "$WORKDIR/sftp/b" default
	mkdir -p "$WORKDIR/sftp/a/default"
	gocryptfs_block sftp-default "$WORKDIR/sftp/a/default" "$WORKDIR/sftp/b/default" 3
}

run_gluster() {
	local name=$1 layout=$2 t0
	t0=$(bed_time_ms)
	gluster_bed_start "$WORKDIR/$name" "$layout"
	gluster_bed_mount "$WORKDIR/$name/a" coherent
	gluster_bed_mount "$WORKDIR/$name/b" coherent
	record "$name" "start glusterd(s) + volume + 2 clients" PASS "$(($(bed_time_ms) - t0)) ms ($layout, coherent profiles)"
	lower_checks "$name" "$WORKDIR/$name/a" "$WORKDIR/$name/b" 3 shared assert
	gocryptfs_block "$name" "$WORKDIR/$name/a" "$WORKDIR/$name/b" 3
	bed_cleanup_to_gocryptfs
	if [[ "$layout" == single ]]; then
		# TESTBEDS.md: default client caches are not coherent.  Measure it.
		gluster_bed_umount "$WORKDIR/$name/a"
		gluster_bed_umount "$WORKDIR/$name/b"
		gluster_bed_volume_profile default
		gluster_bed_mount "$WORKDIR/$name/a" default
		gluster_bed_mount "$WORKDIR/$name/b" default
		local out
		out="$(run_tool "$WORKDIR/out.$name.defblock" "$BED_BIN/twoclient_block" --timeout 180 "$WORKDIR/$name/a/defblock" "$WORKDIR/$name/b/defblock" "$ROUNDS")"
		record "$name" "default caches: same block ($ROUNDS rounds)" INFO \
			"$(grep '^result=' <<<"$out"); $(grep -E 'via_(A|B)' <<<"$out" | sed 's/^ *//' | tr '\n' ' ')"
		mkdir -p "$WORKDIR/$name/a/default"
		gocryptfs_block "$name-default" "$WORKDIR/$name/a/default" "$WORKDIR/$name/b/default" 3
		bed_cleanup_to_gocryptfs
	fi
}

# gocryptfs mounts sit on top of the lower mounts: unmount them first.
bed_cleanup_to_gocryptfs() {
	local m
	for m in "$WORKDIR"/gc-*-a "$WORKDIR"/gc-*-b; do
		[[ -d "$m" ]] && bed_umount "$m"
	done
	return 0
}

run_smb() {
	local t0
	t0=$(bed_time_ms)
	smb_bed_start "$WORKDIR/smb"
	smb_bed_mount "$WORKDIR/smb/a"
	smb_bed_mount "$WORKDIR/smb/b"
	record smb "start smbd + 2 rclone mounts" PASS "$(($(bed_time_ms) - t0)) ms (writes cache, write-back ${SMB_BED_WRITE_BACK:-5s})"
	lower_checks smb "$WORKDIR/smb/a" "$WORKDIR/smb/b" 15 local info
	capture_check smb "$SMB_BED_PORT" "$WORKDIR/smb/a" "$SMB_BED_EXPORT" 15 plain
	gocryptfs_block smb "$WORKDIR/smb/a" "$WORKDIR/smb/b" 15
	bed_cleanup_to_gocryptfs
}

for bed in $BEDS; do
	case "$bed" in
	sftp) bed_subshell sftp run_sftp ;;
	gluster) bed_subshell gluster run_gluster gluster single ;;
	gluster-r2) bed_subshell gluster-r2 run_gluster gluster-r2 replica2 ;;
	smb) bed_subshell smb run_smb ;;
	*) die "unknown bed '$bed'" ;;
	esac
done

# Leftovers: mounts below WORKDIR, new daemon processes, our namespaces/links.
# Processes get 10 s to finish exiting (FUSE servers exit after unmount).
# Only processes of this run count: their command line names WORKDIR, or
# they are in this script's session (so a concurrent run is not blamed).
MY_SID="$(ps -o sid= -p $$ | tr -d ' ')"
new_daemons() {
	local pid comm
	{ daemon_pids | grep -vxF -f "$WORKDIR/daemons.before" || true; } | while read -r pid comm; do
		if { tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true; } | grep -qF -- "$WORKDIR/" ||
			[[ "$(ps -o sid= -p "$pid" 2>/dev/null | tr -d ' ')" == "$MY_SID" ]]; then
			echo "$pid $comm"
		fi
	done
	return 0
}
no_new_daemons() {
	[[ -z "$(new_daemons)" ]]
}
wait_for 10 "bed processes to exit" no_new_daemons || true
left_mounts="$(awk -v w="$WORKDIR/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts)"
left_procs="$(new_daemons | while read -r pid comm; do
	echo "$pid:$comm:$({ tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" || true; } | cut -c1-120)"
done)" || true
left_ns="$(ip netns list 2>/dev/null | awk '{ print $1 }' | grep -E "^vfg$(($$ % 100000))h" || true)"
left_links="$(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | grep -E "^vfg$(($$ % 100000))" || true)"
if [[ -z "$left_mounts$left_procs$left_ns$left_links" ]]; then
	record all "teardown: no mounts, daemons, namespaces left" PASS "checked /proc/mounts, ps, ip netns, ip link"
else
	record all "teardown: no mounts, daemons, namespaces left" FAIL \
		"mounts=[$left_mounts] procs=[$(tr '\n' ' ' <<<"$left_procs")] netns=[$left_ns] links=[$left_links]"
fi

# Results table.
pass=0 fail=0 skip=0
printf '\n%-16s %-46s %-5s %s\n' BED CHECK RESULT DETAIL
printf '%s\n' "------------------------------------------------------------------------------------------------"
while IFS='|' read -r b c s d; do
	printf '%-16s %-46s %-5s %s\n' "$b" "$c" "$s" "$d"
	case "$s" in
	PASS) pass=$((pass + 1)) ;;
	FAIL) fail=$((fail + 1)) ;;
	SKIP) skip=$((skip + 1)) ;;
	esac
done <"$RESULTS"
echo
if ((skip)); then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
((fail == 0))

#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# shellcheck disable=SC2034 # globals are read by systems.sh and tests/beds/sftp.sh
# One run of every workload for one system on one bed; appends result rows to $BENCH_RAW.
# Called by bench/run.sh (which exports the BENCH_* settings); owns its mounts and
# daemons and stops them on any exit. Usage: run-one.sh BED SYSTEM RUN
set -euo pipefail

BED=$1 SYS=$2 RUN=$3
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
source "$here/common.sh"
# shellcheck source=systems.sh
source "$here/systems.sh"

: "${BENCH_WORK:?}" "${BENCH_RAW:?}" "${BENCH_SEQ_MIB:?}" "${BENCH_RAND_MIB:?}"
: "${BENCH_RAND_IO_MIB:?}" "${BENCH_RAND_SECS:?}" "${BENCH_TREE_TAR:?}"
: "${BENCH_TREE_ENTRIES:?}" "${BENCH_PROJ:?}" "${BENCH_PROJ_EXPECT:?}"

STATE_PIDS=$BENCH_WORK/state/pids
STATE_MNTS=$BENCH_WORK/state/mnts
PASSFILE=$BENCH_WORK/passfile
MNT=$BENCH_WORK/mnt/$BED-$SYS
TMPD=$BENCH_WORK/tmp/$BED-$SYS
mkdir -p "$BENCH_WORK/state" "$BENCH_WORK/mnt" "$TMPD"

# ---- the bed: where the backing (cipher) directory lives ----
BEDROOT=
bed_attach() {
	case $BED in
	local)
		BEDROOT=$BENCH_WORK/beds/local
		mkdir -p "$BEDROOT" ;;
	sshfs)
		# The sshd was started by run.sh; this run owns its own sshfs client mount.
		# shellcheck source=/dev/null
		source "$BENCH_SFTP_LIB"
		SFTP_BED_DIR=$BENCH_SFTP_DIR SFTP_BED_PORT=$BENCH_SFTP_PORT
		SFTP_BED_EXPORT=$BENCH_SFTP_DIR/export
		BEDROOT=$BENCH_WORK/mnt/sshfs-bed-$SYS
		trap on_exit EXIT # sourcing the bed library replaced our trap
		sftp_bed_mount "$BEDROOT" "$(sshfs_profile)" 2>/dev/null ;;
	gluster)
		# The volume was started by run.sh; this run owns its own glusterfs client,
		# with the client's default options.
		# shellcheck source=/dev/null
		source "$BENCH_GLUSTER_LIB"
		GLUSTER_BED_DIR=$BENCH_GLUSTER_DIR GLUSTER_BED_SERVER=$BENCH_GLUSTER_SERVER
		GLUSTER_BED_VOLUME=$BENCH_GLUSTER_VOLUME GLUSTER_BED_ADDRS=("$BENCH_GLUSTER_SERVER")
		BEDROOT=$BENCH_WORK/mnt/gluster-bed-$SYS
		trap on_exit EXIT # sourcing the bed library replaced our trap
		gluster_quick_read_for_sys
		gluster_bed_mount "$BEDROOT" default 2>/dev/null ;;
	*) die "unknown bed '$BED'" ;;
	esac
}

# The sshfs client's options for this system: veilfs's shared mode refuses sshfs with its
# own name cache on, so veilfs-shared gets the one option it needs (dir_cache=no) over
# the default profile (docs/SHARED.md).
sshfs_profile() {
	if [[ $SYS == veilfs-shared && $BENCH_SSHFS_PROFILE == default ]]; then
		echo nocache
	else
		echo "$BENCH_SSHFS_PROFILE"
	fi
}

# The volume's quick-read for this system: veilfs's shared mode refuses a GlusterFS client
# that runs it (it serves stale reads: docs/SHARED.md), so veilfs-shared gets the one option
# it needs (performance.quick-read off); every other system runs the volume's default. One
# system runs at a time, so the option is set (or reset) before each run's client mounts.
gluster_quick_read_for_sys() {
	if [[ $SYS == veilfs-shared ]]; then
		gluster_bed_set performance.quick-read off
	else
		gluster_bed_cli volume reset "$GLUSTER_BED_VOLUME" performance.quick-read >/dev/null ||
			die "volume reset performance.quick-read failed"
	fi
}

# Make the bed cold too: a fresh sshfs client has no attribute or directory cache.
bed_cold() {
	if [[ $BED == sshfs ]]; then
		sftp_bed_umount "$BEDROOT" 2>/dev/null
		sftp_bed_mount "$BEDROOT" "$(sshfs_profile)" 2>/dev/null
	elif [[ $BED == gluster ]]; then
		gluster_bed_umount "$BEDROOT" 2>/dev/null
		gluster_bed_mount "$BEDROOT" default 2>/dev/null
	fi
}

CURRENT_STEP=
exec 3>&2 # our stderr, for on_exit: it may run while a step's stderr goes to a file
on_exit() {
	local rc=$? why
	trap - EXIT
	exec 2>&3
	if ((rc != 0)); then
		# one line for the report: the step and the last thing the workload said
		why="${CURRENT_STEP:-set-up}"
		if [[ -n $CURRENT_STEP && -s $TMPD/step.err ]]; then
			why+=": $(head -n 1 "$TMPD/step.err" | cut -c 1-200) ($(wc -l <"$TMPD/step.err") lines on stderr)"
			log "$BED/$SYS: last messages of '$CURRENT_STEP':"
			tail -n 5 "$TMPD/step.err" >&2
		fi
		printf '%s\n' "$why" >"$BENCH_WORK/state/why-$BED-$SYS"
	fi
	if [[ -n ${CIPHER:-} ]]; then
		sys_umount || true
	fi
	if declare -F t_run_deferred >/dev/null; then
		t_run_deferred
	fi
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- measuring one step ----
# step NAME UNIT FN: fresh mount over dropped caches, then time FN, which may set BYTES
# (bytes of data moved; used for MiB/s and daemon CPU per GiB).
step() {
	local name=$1 unit=$2 fn=$3 c0 c1 t0 t1 hwm value cpu
	sys_umount
	bed_cold
	drop_caches
	sys_mount || die "$SYS: mount failed before '$name'"
	BYTES=0
	CURRENT_STEP=$name
	c0=$(cpu_ticks "$DPID")
	t0=$EPOCHREALTIME
	"$fn" 2>"$TMPD/step.err" # errexit still applies inside; on_exit reports the step
	t1=$EPOCHREALTIME
	CURRENT_STEP=
	c1=$(cpu_ticks "$DPID")
	hwm=$(vm_hwm_kib "$DPID")
	cpu=-
	[[ -n $DPID ]] && cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$(getconf CLK_TCK)" \
		'BEGIN { printf "%.3f", (b - a) / hz }')
	value=$(awk -v t0="$t0" -v t1="$t1" -v b="$BYTES" -v u="$unit" \
		'BEGIN { s = t1 - t0; if (u == "MiB/s") printf "%.2f", b / 1048576 / s; else printf "%.3f", s }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$BED" "$SYS" "$RUN" "$name" "$value" "$unit" \
		"$BYTES" "$cpu" "${hwm:--}" >>"$BENCH_RAW"
	log "$BED/$SYS run $RUN: $name = $value $unit (daemon cpu ${cpu}s, VmHWM ${hwm:--} KiB)"
}

fio_bytes() { # FILE rw-kind -> io_bytes of job 0
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0][sys.argv[2]]["io_bytes"])' "$1" "$2"
}

# ---- workloads (each runs inside step) ----
seq_write() {
	dd if=/dev/zero of="$DATA/seq.bin" bs=1M count="$BENCH_SEQ_MIB" conv=fsync status=none
	BYTES=$((BENCH_SEQ_MIB * 1048576))
}
seq_read() {
	local out
	out=$(LC_ALL=C dd if="$DATA/seq.bin" of=/dev/null bs=1M 2>&1)
	BYTES=$(awk '/bytes/ { print $1 }' <<<"$out" | tail -n 1)
	[[ $BYTES == $((BENCH_SEQ_MIB * 1048576)) ]] || die "seq-read read $BYTES bytes"
}
fio_common=(--bs=4k --ioengine=psync --direct=0 --fallocate=none --randrepeat=1
	--output-format=json)
rand_read() {
	fio --name=randread --filename="$DATA/rand.bin" --rw=randread --size="${BENCH_RAND_MIB}M" \
		--io_size="${BENCH_RAND_IO_MIB}M" --runtime="$BENCH_RAND_SECS" "${fio_common[@]}" \
		--output="$TMPD/fio.json" >/dev/null
	BYTES=$(fio_bytes "$TMPD/fio.json" read)
}
rand_write() {
	fio --name=randwrite --filename="$DATA/rand.bin" --rw=randwrite --size="${BENCH_RAND_MIB}M" \
		--io_size="${BENCH_RAND_IO_MIB}M" --runtime="$BENCH_RAND_SECS" --end_fsync=1 \
		"${fio_common[@]}" --output="$TMPD/fio.json" >/dev/null
	BYTES=$(fio_bytes "$TMPD/fio.json" write)
}
tree_unpack() {
	mkdir "$DATA/tree"
	tar -xf "$BENCH_TREE_TAR" -C "$DATA/tree" --no-same-owner
	sync
	BYTES=$(stat -c %s "$BENCH_TREE_TAR")
}
tree_ls() {
	ls -lR "$DATA/tree" >/dev/null
}
tree_find() {
	local n
	n=$(find "$DATA/tree" | wc -l)
	[[ $n == $((BENCH_TREE_ENTRIES + 1)) ]] ||
		die "find saw $n entries, expected $((BENCH_TREE_ENTRIES + 1))"
}
tree_delete() {
	rm -rf "$DATA/tree"
	sync
	[[ ! -e $DATA/tree ]] || die "tree still present after rm -rf"
}
build() {
	make -s -j2 -C "$DATA/proj" >/dev/null
}

# ---- the run ----
bed_attach
CIPHER=$BEDROOT/$SYS
sys_create
sys_mount || die "$SYS: first mount failed"

step seq-write MiB/s seq_write
step seq-read MiB/s seq_read
rm -f "$DATA/seq.bin"

dd if=/dev/zero of="$DATA/rand.bin" bs=1M count="$BENCH_RAND_MIB" conv=fsync status=none
step rand-read-4k MiB/s rand_read
step rand-write-4k MiB/s rand_write
rm -f "$DATA/rand.bin"

cp -r "$BENCH_PROJ" "$DATA/proj"
step build-make-j2 s build
got=$("$DATA/proj/app")
[[ $got == "$BENCH_PROJ_EXPECT" ]] || die "built program printed '$got', expected '$BENCH_PROJ_EXPECT'"
rm -rf "$DATA/proj"

step tree-unpack s tree_unpack
step tree-ls-lR s tree_ls
step tree-find s tree_find
step tree-delete s tree_delete

sys_umount
rm -rf "$CIPHER"
log "$BED/$SYS run $RUN: done"

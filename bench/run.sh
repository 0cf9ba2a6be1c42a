#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bench/run.sh: run the same workloads over plain ext4, bindfs, gocryptfs, securefs and
# veilfs (and veilfs --shared=auto), on a local bed and an sshfs bed, in one run on this
# machine; write a Markdown report to bench/results/latest.md (see bench/README.md).
set -euo pipefail

usage() {
	cat <<'USAGE'
usage: bench/run.sh [--quick] [--systems LIST] [--beds LIST] [--runs N] [--publish]
  --quick         small sizes (under 5 minutes for all systems); default 1 run
  --systems LIST  comma list of plain,bindfs,gocryptfs,securefs,veilfs,veilfs-shared
                  (default: all of them)
  --beds LIST     comma list of local,sshfs,gluster (default: local,sshfs,gluster;
                  gluster: one brick in a network namespace, client and volume defaults,
                  at the sshfs bed's scale)
  --runs N        runs per system and bed; medians are reported (default 3, quick 1)
  --publish       also write docs/BENCHMARKS.md from the report
  --sshfs-scale S sizes on the sshfs bed: reduced (default; sequential 256 MiB, tree
                  fs/+net/ of the kernel source, 60-unit build) or full (as local; hours)
environment: BENCH_WORK (work dir, default bench/results/work), VEILFS (veilfs binary,
default build/veilfs of this repo; copied at start), VEILFS_REV (its version for the
report, default: git HEAD of the tree it lives in), BENCH_SSHFS_PROFILE (tests/beds/sftp.sh profile,
default "default" = plain sshfs defaults)
USAGE
}

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib/common.sh
source "$here/lib/common.sh"

args="$*"
quick=0 publish=0 runs='' sshfs_scale=reduced systems=plain,bindfs,gocryptfs,securefs,veilfs,veilfs-shared beds=local,sshfs,gluster
while (($#)); do
	case $1 in
	--quick) quick=1 ;;
	--publish) publish=1 ;;
	--systems) systems=${2:?}; shift ;;
	--beds) beds=${2:?}; shift ;;
	--runs) runs=${2:?}; shift ;;
	--sshfs-scale) sshfs_scale=${2:?}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
	shift
done
[[ -z $runs ]] && runs=$((quick ? 1 : 3))
[[ $runs =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive integer"
[[ $sshfs_scale =~ ^(reduced|full)$ ]] || die "--sshfs-scale wants reduced or full"
IFS=, read -r -a sys_list <<<"$systems"
IFS=, read -r -a bed_list <<<"$beds"
for s in "${sys_list[@]}"; do
	[[ $s =~ ^(plain|bindfs|gocryptfs|securefs|veilfs|veilfs-shared)$ ]] || die "unknown system '$s'"
done
for b in "${bed_list[@]}"; do
	[[ $b =~ ^(local|sshfs|gluster)$ ]] || die "unknown bed '$b'"
done
((EUID == 0)) || log "warning: not root: caches cannot be dropped, results are warm-cache"

export VEILFS=${VEILFS:-$repo/build/veilfs}
export BENCH_WORK=${BENCH_WORK:-$repo/bench/results/work}
export BENCH_SSHFS_PROFILE=${BENCH_SSHFS_PROFILE:-default}
results=$repo/bench/results
mkdir -p "$results" "$BENCH_WORK/cache"
BENCH_WORK=$(realpath "$BENCH_WORK")
stamp=$(date -u +%Y%m%dT%H%M%SZ)
export BENCH_RAW=$results/raw-$stamp.tsv
meta=$results/meta-$stamp.tsv
status=$results/status-$stamp.tsv
for f in "$BENCH_RAW" "$meta" "$status"; do : >"$f"; done

# ---- cleanup of everything we started, on any exit ----
rm -rf "${BENCH_WORK:?}"/{state,mnt,beds,tmp}
mkdir -p "$BENCH_WORK/state"
: >"$BENCH_WORK/state/pids"
: >"$BENCH_WORK/state/mnts"
cleanup() {
	local m p
	while read -r m; do [[ -n $m ]] && fuse_unmount "$m"; done <"$BENCH_WORK/state/mnts"
	while read -r p; do
		# only a process of ours: its command line names our work dir (a pid recorded
		# earlier in the run may have been reused by an unrelated process since)
		[[ -n $p ]] && tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$BENCH_WORK" &&
			kill "$p" 2>/dev/null
	done <"$BENCH_WORK/state/pids"
	if declare -F t_run_deferred >/dev/null; then
		t_run_deferred
	fi
	return 0
}
child=
on_exit() {
	local rc=$? i
	trap - EXIT
	if [[ -n $child ]] && kill -0 "$child" 2>/dev/null; then
		kill -TERM "$child" 2>/dev/null # timeout passes it on; run-one cleans up
		for ((i = 0; i < 100; i++)); do kill -0 "$child" 2>/dev/null || break; sleep 0.1; done
	fi
	cleanup
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- sizes and inputs: one scale per bed (quick; full; reduced = the sshfs bed's default) ----
src_xz=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1) ||
	true
[[ -n $src_xz ]] || die "no /usr/src/linux-source-*.tar.xz (run bench/install-deps.sh)"
top=$(basename "$src_xz" .tar.xz)
bed_scale() { # BED: the scale it runs at
	if ((quick)); then echo quick
	elif [[ $1 == sshfs || $1 == gluster ]]; then echo "$sshfs_scale"
	else echo full; fi
}
subset_tar() { # DIR...: a tarball of those top-level dirs of the kernel tree, made once
	local name dirs_dash
	dirs_dash=$(IFS=-; echo "$*")
	name=$BENCH_WORK/cache/$top-$dirs_dash.tar
	if [[ ! -s $name ]]; then
		log "extracting $* of $src_xz into a small tarball"
		rm -rf "$BENCH_WORK/cache/sub"
		mkdir -p "$BENCH_WORK/cache/sub"
		xz -dc -T2 "$src_xz" | tar -x -C "$BENCH_WORK/cache/sub" "${@/#/$top/}"
		tar -cf "$name.part" -C "$BENCH_WORK/cache/sub" "$top"
		mv "$name.part" "$name"
		rm -rf "$BENCH_WORK/cache/sub"
	fi
	echo "$name"
}
full_tar() {
	local name=$BENCH_WORK/cache/$top.tar
	if [[ ! -s $name ]]; then
		log "decompressing $src_xz"
		xz -dc -T2 "$src_xz" >"$name.part"
		mv "$name.part" "$name"
	fi
	echo "$name"
}
use_scale() { # quick|reduced|full: exports the sizes and inputs run-one.sh reads
	local dirs=() units
	case $1 in
	quick)
		export BENCH_SEQ_MIB=128 BENCH_RAND_MIB=32 BENCH_RAND_IO_MIB=8 BENCH_RAND_SECS=5
		dirs=(fs) units=30 per_run_limit=300 ;;
	reduced)
		export BENCH_SEQ_MIB=256 BENCH_RAND_MIB=64 BENCH_RAND_IO_MIB=32 BENCH_RAND_SECS=15
		dirs=(fs net) units=60 per_run_limit=1800 ;;
	full)
		export BENCH_SEQ_MIB=1024 BENCH_RAND_MIB=256 BENCH_RAND_IO_MIB=128 BENCH_RAND_SECS=30
		units=400 per_run_limit=3600 ;;
	esac
	if ((${#dirs[@]})); then
		BENCH_TREE_TAR=$(subset_tar "${dirs[@]}")
		tree_desc="$top/{$(IFS=,; echo "${dirs[*]}")} (subset of $(basename "$src_xz"))"
	else
		BENCH_TREE_TAR=$(full_tar)
		tree_desc="$(basename "$src_xz") (whole tree)"
	fi
	BENCH_TREE_ENTRIES=$(tar -tf "$BENCH_TREE_TAR" | wc -l)
	BENCH_PROJ=$BENCH_WORK/cache/cproject-$units
	proj_units=$units
	export BENCH_TREE_TAR BENCH_TREE_ENTRIES BENCH_PROJ
	"$here/lib/gen-cproject.sh" "$BENCH_PROJ" "$units"
	rm -rf "$BENCH_WORK/cache/cref"
	cp -r "$BENCH_PROJ" "$BENCH_WORK/cache/cref"
	make -s -j2 -C "$BENCH_WORK/cache/cref" >/dev/null
	BENCH_PROJ_EXPECT=$("$BENCH_WORK/cache/cref/app")
	export BENCH_PROJ_EXPECT
	rm -rf "$BENCH_WORK/cache/cref"
}
scale_meta() { # PREFIX: the sizes of the scale in use, as report metadata lines
	printf '%sseq\t%s MiB\n' "$1" "$BENCH_SEQ_MIB"
	printf '%srand\t%s MiB file, up to %s MiB of 4 KiB I/O or %s s\n' "$1" "$BENCH_RAND_MIB" \
		"$BENCH_RAND_IO_MIB" "$BENCH_RAND_SECS"
	printf '%stree\t%s: %s entries, %s MiB tar\n' "$1" "$tree_desc" "$BENCH_TREE_ENTRIES" \
		"$(($(stat -c %s "$BENCH_TREE_TAR") / 1048576))"
	printf '%sbuild\tgenerated C project, %s units + main, 40 headers, gcc -O2, make -j2\n' \
		"$1" "$proj_units"
}
echo pw >"$BENCH_WORK/passfile"
# the first bed's scale: the report's main size lines; prepared up front so a missing input
# fails before anything is measured
use_scale "$(bed_scale "${bed_list[0]}")"

# ---- which systems can run ----
# Pin the veilfs binary: the build tree may be rebuilt while we measure.
veilfs_src=$VEILFS
if [[ -x $VEILFS ]]; then
	mkdir -p "$BENCH_WORK/bin"
	cp "$VEILFS" "$BENCH_WORK/bin/veilfs"
	: "${VEILFS_REV:=$(git -C "$(dirname "$veilfs_src")/.." rev-parse --short HEAD 2>/dev/null || echo '?')}"
	export VEILFS=$BENCH_WORK/bin/veilfs VEILFS_REV
fi
# shellcheck source=lib/systems.sh
source "$here/lib/systems.sh"
probe_veilfs() { # [--shared=auto]; prints a reason and fails when veilfs cannot be used
	local d=$BENCH_WORK/probe r=0
	[[ -x $VEILFS ]] || { echo "no veilfs binary at $VEILFS"; return 1; }
	# the help text is read whole first: grep -q would quit early, and under pipefail the
	# SIGPIPE of the writer made the probe fail at random
	if [[ $# -gt 0 ]] && ! grep -q -- '--shared' <<<"$("$VEILFS" mount --help 2>&1)"; then
		echo "veilfs mount --help has no --shared option"
		return 1
	fi
	rm -rf "$d"
	mkdir -p "$d/c" "$d/m"
	if ! timeout 30 "$VEILFS" init --passfile "$BENCH_WORK/passfile" --kdf-memory 8 \
		--kdf-time 1 "$d/c" >"$d/log" 2>&1; then
		echo "veilfs init failed: $(tail -n 1 "$d/log")"
		r=1
	elif ! timeout 30 "$VEILFS" mount "$@" --passfile "$BENCH_WORK/passfile" "$d/c" "$d/m" \
		>>"$d/log" 2>&1; then
		echo "veilfs mount failed: $(tail -n 1 "$d/log")"
		r=1
	else
		echo "$d/m" >>"$BENCH_WORK/state/mnts"
		if ! { echo probe >"$d/m/f" && [[ $(cat "$d/m/f") == probe ]]; } 2>>"$d/log"; then
			echo "veilfs mount does not read back a written file"
			r=1
		fi
		timeout 30 "$VEILFS" umount "$d/m" >>"$d/log" 2>&1 || fuse_unmount "$d/m"
	fi
	fuse_unmount "$d/m"
	rm -rf "$d"
	return "$r"
}
usable=()
for s in "${sys_list[@]}"; do
	reason=
	case $s in
	plain) ;;
	bindfs | gocryptfs | securefs)
		command -v "$s" >/dev/null || reason="$s is not installed" ;;
	veilfs) reason=$(probe_veilfs) || true ;;
	veilfs-shared) reason=$(probe_veilfs --shared=auto) || true ;;
	esac
	if [[ -n $reason ]]; then
		log "$s: n/a: $reason"
		for b in "${bed_list[@]}"; do printf '%s\t%s\tn/a\t%s\n' "$b" "$s" "$reason" >>"$status"; done
	else
		usable+=("$s")
	fi
done

# ---- beds ----
usable_beds=()
for b in "${bed_list[@]}"; do
	if [[ $b == sshfs ]]; then
		export BENCH_SFTP_LIB=$repo/tests/beds/sftp.sh
		reason=
		if [[ ! -f $BENCH_SFTP_LIB ]]; then
			reason="TODO: tests/beds/sftp.sh (sshd on loopback + sshfs) is not in the tree yet"
		elif ! command -v sshfs >/dev/null || [[ ! -x /usr/sbin/sshd ]]; then
			reason="sshfs or openssh-server is not installed"
		fi
		if [[ -n $reason ]]; then
			log "sshfs bed: skipped: $reason"
			for s in "${sys_list[@]}"; do printf 'sshfs\t%s\tn/a\t%s\n' "$s" "$reason" >>"$status"; done
			continue
		fi
		# shellcheck source=/dev/null
		source "$BENCH_SFTP_LIB"
		trap on_exit EXIT # the bed library installs its own; ours calls t_run_deferred
		trap 'exit 130' INT
		trap 'exit 143' TERM
		sftp_bed_start "$BENCH_WORK/beds/sftp"
		export BENCH_SFTP_DIR=$SFTP_BED_DIR BENCH_SFTP_PORT=$SFTP_BED_PORT
	fi
	if [[ $b == gluster ]]; then
		export BENCH_GLUSTER_LIB=$repo/tests/beds/gluster.sh
		if ! command -v glusterd >/dev/null || ! command -v glusterfs >/dev/null; then
			reason="glusterfs-server or glusterfs-client is not installed"
			log "gluster bed: skipped: $reason"
			for s in "${sys_list[@]}"; do printf 'gluster\t%s\tn/a\t%s\n' "$s" "$reason" >>"$status"; done
			continue
		fi
		# shellcheck source=/dev/null
		source "$BENCH_GLUSTER_LIB"
		trap on_exit EXIT
		trap 'exit 130' INT
		trap 'exit 143' TERM
		# one brick, the volume as created (default options): the way people run it
		GLUSTER_BED_VOL_PROFILE=default gluster_bed_start "$BENCH_WORK/beds/gluster" single
		export BENCH_GLUSTER_DIR=$GLUSTER_BED_DIR BENCH_GLUSTER_SERVER=$GLUSTER_BED_SERVER
		export BENCH_GLUSTER_VOLUME=$GLUSTER_BED_VOLUME
	fi
	usable_beds+=("$b")
done

# ---- metadata for the report ----
meminfo=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
fsinfo=$(findmnt -n -o FSTYPE,SOURCE -T "$BENCH_WORK" | tr -s ' ' | sed 's/ / on /')
{
	printf 'date\t%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
	printf 'cpu\t%s\n' "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
	printf 'cores\t%s\n' "$(nproc)"
	printf 'memory\t%s\n' "$meminfo"
	printf 'kernel\t%s\n' "$(uname -sr)"
	printf 'os\t%s\n' "$(. /etc/os-release && echo "$PRETTY_NAME")"
	printf 'filesystem\t%s (work dir %s)\n' "$fsinfo" "${BENCH_WORK#"$repo"/}"
	printf 'load\t%s at start\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
	printf 'mode\t%s\n' "$( ((quick)) && echo quick || echo full)"
	printf 'runs\t%s\n' "$runs"
	scale_meta ''
	printf 'sshfs_profile\t%s\n' "$BENCH_SSHFS_PROFILE"
	for s in "${sys_list[@]}"; do
		[[ $s == plain || $s == veilfs-shared ]] && continue
		printf 'version:%s\t%s\n' "$s" "$(sys_version "$s" || true)"
	done
	printf 'version:fio\t%s\n' "$(fio --version)"
	printf 'version:sshfs\t%s\n' "$(sshfs --version 2>&1 | grep -i '^sshfs version' || true)"
	printf 'version:gcc\t%s\n' "$(gcc --version | head -n 1)"
} >>"$meta"

# ---- the runs: systems interleaved inside each run so that drift hits all alike ----
failures=0
first_scale=$(bed_scale "${bed_list[0]}")
for b in "${usable_beds[@]}"; do
	scale=$(bed_scale "$b")
	use_scale "$scale"
	if [[ $scale != "$first_scale" ]]; then
		log "bed $b runs at the $scale scale"
		scale_meta "scale:$b:" >>"$meta"
	fi
	for ((r = 1; r <= runs; r++)); do
		for s in "${usable[@]}"; do
			log "=== bed $b, run $r/$runs, $s ==="
			# in the background so that a signal reaches our trap at once
			timeout -k 30 "$per_run_limit" "$here/lib/run-one.sh" "$b" "$s" "$r" &
			child=$!
			rc=0
			wait "$child" || rc=$?
			child=
			if ((rc == 0)); then
				printf '%s\t%s\tok\t\n' "$b" "$s" >>"$status"
			else
				why="run $r failed (exit $rc)"
				((rc == 124)) && why="run $r exceeded ${per_run_limit}s"
				if [[ -s $BENCH_WORK/state/why-$b-$s ]]; then
					why+=" in $(<"$BENCH_WORK/state/why-$b-$s")"
					rm -f "$BENCH_WORK/state/why-$b-$s"
				fi
				log "$b/$s: $why"
				printf '%s\t%s\tfailed\t%s\n' "$b" "$s" "$why" >>"$status"
				[[ $s == veilfs* ]] || failures=$((failures + 1))
			fi
		done
	done
done

printf 'load_end\t%s at end\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$meta"
printf 'elapsed\t%s\n' "$((SECONDS / 60)) min $((SECONDS % 60)) s" >>"$meta"
python3 "$here/lib/report.py" "$BENCH_RAW" "$meta" "$status" >"$results/latest.md"
cp "$results/latest.md" "$results/report-$stamp.md"
cat "$results/latest.md"
if ((publish)); then
	"$here/lib/publish.sh" "$results/latest.md" "$args" >"$repo/docs/BENCHMARKS.md"
	log "wrote docs/BENCHMARKS.md"
fi
log "report: bench/results/latest.md (raw: ${BENCH_RAW#"$repo"/})"
((failures == 0)) || die "$failures system run(s) failed"

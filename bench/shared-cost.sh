#!/usr/bin/env bash
# bench/shared-cost.sh: what veilfs's fresh lower I/O costs in a shared mode
# (docs/SHARED.md, "Lower client caches"). On each bed (GlusterFS 1 brick with the
# client's and the volume's defaults but performance.quick-read off; sshfs with
# -o dir_cache=no: the one option a shared mode needs on each) one veilfs mount in --shared=auto runs the same small workloads twice: with the
# lower client's caches distrusted (the default) and trusted (VEILFS_FRESH=none, which is
# not safe with two clients: the control). Prints one Markdown table with times and the
# ratio default / trusted. Run as root; needs the bed packages (tests/beds/install-deps.sh).
#
#   bench/shared-cost.sh [--beds "gluster sftp"] [--runs N]
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VEILFS=${VEILFS:-$repo/build/veilfs}
BEDS="gluster sftp"
RUNS=3
while (($#)); do
	case $1 in
	--beds) BEDS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "unknown argument '$1'" >&2; exit 2 ;;
	esac
done
# shellcheck source=tests/beds/lib.sh
source "$repo/tests/beds/lib.sh"
# shellcheck source=tests/beds/sftp.sh
source "$repo/tests/beds/sftp.sh"
# shellcheck source=tests/beds/gluster.sh
source "$repo/tests/beds/gluster.sh"

W=$(mktemp -d /tmp/veilfs-shared-cost.XXXXXX)
t_defer rm -rf "$W"
printf 'pw\n' >"$W/pw"
RES=$W/results
: >"$RES"

workload() { # NAME MNT: time one workload, milliseconds on stdout
	local name=$1 m=$2 t0
	t0=$(date +%s%N)
	case $name in
	seqwrite) dd if=/dev/zero of="$m/seq" bs=1M count=32 conv=fsync status=none ;;
	seqread) cat "$m/seq" >/dev/null ;;
	randwrite) python3 - "$m/seq" <<'PY'
import os, random, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
r = random.Random(1)
buf = b"r" * 4096
for _ in range(500):
    os.pwrite(fd, buf, r.randrange(0, 32 * 256) * 4096)
os.fsync(fd)
os.close(fd)
PY
		;;
	smallfiles) python3 - "$m/small" <<'PY'
import os, sys
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(200):
    with open(os.path.join(sys.argv[1], "f%d" % i), "wb") as f:
        f.write(b"s" * 3000)
for i in range(200):
    with open(os.path.join(sys.argv[1], "f%d" % i), "rb") as f:
        f.read()
PY
		;;
	esac
	echo $((($(date +%s%N) - t0) / 1000000))
}

run_bed() {
	local bed=$1 lower fresh run w t
	case $bed in
	gluster)
		GLUSTER_BED_VOL_PROFILE=default gluster_bed_start "$W/$bed/srv" single
		# the one volume option a shared mode needs (quick-read serves stale reads)
		gluster_bed_set performance.quick-read off
		gluster_bed_mount "$W/$bed/lower" default ;;
	sftp)
		sftp_bed_start "$W/$bed/srv"
		sftp_bed_mount "$W/$bed/lower" nocache ;;
	esac
	lower=$W/$bed/lower
	"$VEILFS" init --passfile "$W/pw" --kdf-memory 8 --kdf-time 1 "$lower/cipher" >/dev/null
	mkdir -p "$W/$bed/m"
	t_defer bed_umount "$W/$bed/m" # only if a run failed half-way
	for ((run = 1; run <= RUNS; run++)); do
		for fresh in default none; do
			if [[ $fresh == none ]]; then
				VEILFS_FRESH=none "$VEILFS" mount --passfile "$W/pw" --shared=auto "$lower/cipher" "$W/$bed/m"
			else
				"$VEILFS" mount --passfile "$W/pw" --shared=auto "$lower/cipher" "$W/$bed/m"
			fi
			rm -rf "${W:?}/$bed/m/"*
			for w in seqwrite seqread randwrite smallfiles; do
				t=$(workload "$w" "$W/$bed/m")
				printf '%s\t%s\t%s\t%s\n' "$bed" "$w" "$fresh" "$t" >>"$RES"
			done
			"$VEILFS" umount "$W/$bed/m"
		done
	done
}

for bed in $BEDS; do
	bed_subshell "$bed" run_bed "$bed"
done

python3 - "$RES" "$RUNS" <<'PY'
import sys, statistics
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
t = {}
for bed, w, fresh, s in rows:
    t.setdefault((bed, w), {}).setdefault(fresh, []).append(float(s) / 1000)
print("| bed | workload | distrusted (default), s | trusted (VEILFS_FRESH=none), s | ratio |")
print("|---|---|---:|---:|---:|")
for (bed, w), v in t.items():
    d, n = statistics.median(v.get("default", [0])), statistics.median(v.get("none", [0]))
    print(f"| {bed} | {w} | {d:.2f} | {n:.2f} | {d / n if n else 0:.2f}x |")
print(f"\nmedians of {sys.argv[2]} runs; seqwrite 32 MiB (dd conv=fsync), seqread the same file,"
      " randwrite 500 x 4 KiB + fsync, smallfiles 200 x 3000 bytes written then read")
PY

#!/usr/bin/env bash
# tests/run.sh: the whole veilfs test suite, in stages.
#
#   tests/run.sh [--list] [STAGE ...]     (default: every stage, in order)
#
# Each stage is one runner that ends with a line "N passed, N failed[, N skipped]"; this
# script runs it from the repository root (with a per-stage time limit), times it, adds up
# its counts and ends with one line "N passed, N failed[, N skipped]" over all test cases.
# It exits non-zero when any case failed, a runner crashed or printed no count, or a
# required stage is missing.
#
# A stage whose files are absent is reported as "not present": it counts neither as passed
# nor as failed, except for the stages registered with `required`, whose absence is a
# failure. Expects the binaries already built (scripts/test.sh builds them: `make` and
# `make SANITIZE=1`); the windows stage builds its own (`make windows`, run under wine64).
# `--list` prints the stages, in order, with their commands.
#
# Environment: VEILFS_STAGE_TIMEOUT (seconds per stage, default 3600), VEILFS (the binary,
# default build/veilfs), VEILFS_FUZZ_SECONDS (per fuzz target, default 20), plus whatever
# the stages read.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
export VEILFS=${VEILFS:-$repo/build/veilfs}
stage_timeout=${VEILFS_STAGE_TIMEOUT:-3600}

# ---------------------------------------------------------------------------------------
# The stages. Adding a stage is one line:
#   stage|required  NAME  "FILES THAT MUST EXIST"  'COMMAND (run by bash -c at the root)'
# ---------------------------------------------------------------------------------------
register_stages() {
	required unit        "build/unit-tests"               'build/unit-tests'
	required unit-san    "build-san/unit-tests"           'build-san/unit-tests'
	required layering    "scripts/check-includes.sh"      'scripts/check-includes.sh'
	required static      "scripts/static-analysis.sh"     'scripts/static-analysis.sh'
	required cli         "tests/cli/cli_tests.sh build/veilfs" 'tests/cli/cli_tests.sh'
	required docs        "tests/cli/docs.sh build/veilfs"  'tests/cli/docs.sh'
	required completion  "tests/cli/completion.sh build/veilfs" 'tests/cli/completion.sh'
	required offline     "tests/cli/offline.sh build/veilfs" 'tests/cli/offline.sh'
	required offline-san "tests/cli/offline.sh build-san/veilfs" 'VEILFS=$PWD/build-san/veilfs tests/cli/offline.sh'
	required keyslots    "tests/cli/keyslots.sh build/veilfs" 'tests/cli/keyslots.sh'
	required windows     "tests/windows/run.sh build/veilfs" 'tests/windows/run.sh'
	required revoke      "tests/cli/revoke.sh build/veilfs" 'tests/cli/revoke.sh'
	required revoke-beds "tests/cli/revoke_beds.sh build/veilfs" 'tests/cli/revoke_beds.sh'
	required fuzz        "fuzz/build.sh fuzz/run.sh"      'fuzz/build.sh build/fuzz && fuzz/run.sh build/fuzz "${VEILFS_FUZZ_SECONDS:-20}"'
	required tools       "tests/integration/selftest.sh"  'tests/integration/selftest.sh'
	required mount       "tests/mount/run.sh"             'tests/mount/run.sh'
	required nonroot     "tests/mount/nonroot.sh build/veilfs" 'tests/mount/nonroot.sh'
	required fulldisk    "tests/mount/fulldisk.sh build/veilfs" 'tests/mount/fulldisk.sh'
	required syslog      "tests/mount/syslog.sh build/veilfs" 'tests/mount/syslog.sh'
	required stalelock   "tests/mount/stalelock.sh build/veilfs" 'tests/mount/stalelock.sh'
	required registry    "tests/mount/registry.sh build/veilfs" 'tests/mount/registry.sh'
	required planted     "tests/mount/planted.sh build/veilfs" 'tests/mount/planted.sh'
	required idle        "tests/mount/idle.sh build/veilfs" 'tests/mount/idle.sh'
	required fstab       "tests/mount/fstab.sh build/veilfs" 'tests/mount/fstab.sh'
	required fsck        "tests/fsck/run.sh"              'tests/fsck/run.sh'
	required services    "tests/setup/services.sh"        'tests/setup/services.sh'
	required deb         "tests/setup/deb.sh debian/rules" 'tests/setup/deb.sh'
	required beds        "tests/beds/check_beds.sh"       'tests/beds/check_beds.sh'
	required shared      "tests/shared/run.sh build/veilfs" 'tests/shared/run.sh'
	required smb-store   "tests/shared/smb_store.sh build/veilfs" 'tests/shared/smb_store.sh'
}

names=() files=() cmds=() reqs=()
stage() { names+=("$1"); files+=("$2"); cmds+=("$3"); reqs+=(0); }
required() { names+=("$1"); files+=("$2"); cmds+=("$3"); reqs+=(1); }
register_stages

log() { printf '%s\n' "$*" >&2; }

if [[ ${1:-} == --list ]]; then
	for i in "${!names[@]}"; do
		printf '%-12s %s\n' "${names[$i]}" "${cmds[$i]}"
	done
	exit 0
fi
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
	sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | grep '^#' | sed 's/^# \{0,1\}//'
	exit 0
fi

selected=("$@")
for s in "${selected[@]}"; do
	found=0
	for n in "${names[@]}"; do [[ $n == "$s" ]] && found=1; done
	((found)) || { log "tests/run.sh: unknown stage '$s' (see --list)"; exit 2; }
done

workdir=$(mktemp -d "${TMPDIR:-/tmp}/veilfs-run.XXXXXX")

# A test daemon mounted without --log, with no syslog daemon, logs next to its pid file
# (/run/veilfs for root, see veilfs-mount(1)); a daemon a test kills leaves its pid file.
# The suite removes the files of this kind it made: those absent when it started whose
# daemon is gone (no pid file beside them, or one naming no live process).
if [[ $EUID -eq 0 ]]; then
	logdir=/run/veilfs
elif [[ ${XDG_RUNTIME_DIR:-} == /* ]]; then
	logdir=$XDG_RUNTIME_DIR/veilfs
else
	logdir=/tmp/veilfs-$EUID
fi
ls "$logdir"/*.log "$logdir"/*.pid 2>/dev/null | sort >"$workdir/runfiles-before" || true
daemon_gone() { # pid file $1
	local pid
	[[ -e $1 ]] || return 0
	read -r pid _ <"$1" 2>/dev/null || return 0
	[[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null && return 1
	return 0
}
remove_new_runfiles() {
	local f new
	new=$(ls "$logdir"/*.log "$logdir"/*.pid 2>/dev/null | sort |
		comm -13 "$workdir/runfiles-before" - || true)
	while read -r f; do
		if [[ -n $f ]] && daemon_gone "${f%.*}.pid"; then rm -f -- "$f"; fi
	done <<<"$new"
	return 0
}
trap 'remove_new_runfiles; rm -rf "$workdir"' EXIT

total_pass=0 total_fail=0 total_skip=0 any_error=0
summary=()

is_selected() {
	((${#selected[@]} == 0)) && return 0
	local s
	for s in "${selected[@]}"; do [[ $s == "$1" ]] && return 0; done
	return 1
}

run_stage() {
	local i=$1 name=${names[$1]} cmd=${cmds[$1]} f missing=() out rc start secs line
	local pass=0 fail=0 skip=0 status
	for f in ${files[$i]}; do
		[[ -e $f ]] || missing+=("$f")
	done
	if ((${#missing[@]})); then
		if ((reqs[i])); then
			log "=== stage $name: MISSING (${missing[*]}) — counts as a failure"
			summary+=("$(printf '%-12s %-14s %s' "$name" "missing" "${missing[*]} absent")")
			total_fail=$((total_fail + 1))
			any_error=1
		else
			log "=== stage $name: not present (${missing[*]})"
			summary+=("$(printf '%-12s %-14s %s' "$name" "not present" "${missing[*]} absent")")
		fi
		return 0
	fi
	log "=== stage $name: $cmd"
	out=$workdir/$name.log
	start=$(date +%s.%N)
	set +e
	timeout --kill-after=30 "$stage_timeout" bash -c "$cmd" </dev/null 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	set -e
	secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$out" | tail -n 1 || true)
	if [[ -n $line ]]; then
		pass=$(sed -E 's/^([0-9]+) passed.*/\1/' <<<"$line")
		fail=$(sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
		[[ $line == *skipped ]] && skip=$(sed -E 's/.*, ([0-9]+) skipped$/\1/' <<<"$line")
	fi
	status="ok"
	if [[ -z $line ]]; then
		# The runner died before its count: keep the cases it reported ("ok ..." and
		# "not ok ..." lines) and add one failure for the crash itself.
		status="no count"
		pass=$(grep -cE '^ok( |$)' "$out" || true)
		fail=$(($(grep -cE '^not ok( |$)' "$out" || true) + 1))
		log "=== stage $name printed no 'N passed, N failed' line (exit $rc): counted its" \
			"ok/not ok lines plus 1 failure"
	elif ((rc != 0 && fail == 0)); then
		status="crashed"
		fail=1
		log "=== stage $name exited $rc with no failed case: counted as 1 failure"
	elif ((fail > 0)); then
		status="FAILED"
	fi
	((rc == 124 || rc == 137)) && status="timed out"
	((fail > 0)) && any_error=1
	total_pass=$((total_pass + pass))
	total_fail=$((total_fail + fail))
	total_skip=$((total_skip + skip))
	summary+=("$(printf '%-12s %-14s %5d passed %5d failed %5d skipped %8ss' \
		"$name" "$status" "$pass" "$fail" "$skip" "$secs")")
	log "=== stage $name: $status, $pass passed, $fail failed, $skip skipped in ${secs}s"
}

suite_start=$(date +%s.%N)
for i in "${!names[@]}"; do
	is_selected "${names[$i]}" && run_stage "$i"
done
suite_secs=$(awk -v s="$suite_start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')

echo
echo "stage        status           results                                    time"
printf '%s\n' "${summary[@]}"
echo "whole suite: ${suite_secs}s"
if ((total_skip)); then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
((any_error == 0 && total_fail == 0))

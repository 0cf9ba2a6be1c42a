#!/usr/bin/env bash
# scripts/install-deps.sh [--build | --test | --bench | --windows | --all]
#
# Install, with apt-get, the Debian 12 packages veilfs needs:
#   --build    compiler, headers and libraries to build build/veilfs (default)
#   --test     --build plus what the test suite needs (tests/run.sh), including the
#              test beds' and integration tests' own install scripts when present, and
#              the --windows packages (the windows stage)
#   --bench    --build plus bench/install-deps.sh
#   --windows  --build plus the Windows cross build (make windows) and wine to run it
#   --all      all of the above
# Idempotent: installs only what is missing, and needs root (or sudo) only then.
# Says what it installs. Runs apt-get update only when an install fails without it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { printf 'install-deps: %s\n' "$*" >&2; }
# shellcheck source=scripts/no-services.sh
source "$repo/scripts/no-services.sh"

build_pkgs=(build-essential pkg-config libfuse3-dev fuse3 libssl-dev libargon2-dev
	libsodium-dev libsmbclient-dev libtss2-dev clang libclang-rt-14-dev python3 bsdextrautils scdoc)
# Man pages are built with scdoc. CLI tests (python3 json.tool, sha256sum), fuzzing (clang,
# libclang-rt), mount tests (fuse3), integration workloads (git, sqlite3, xz, the
# linux-source tarball), the integration tools' self-test on a second FUSE file system
# (bindfs), valgrind; the completion tests (bash-completion, zsh), the man page test
# (man-db), systemd-analyze for the unit (systemd), building the .deb (debhelper,
# dpkg-dev, fakeroot), the offline commands' memory bound (GNU time: /usr/bin/time -v); TPM key
# slots (libtss2-dev: ESAPI, marshalling, the TCTI loader and TCTIs) are tested against a
# software TPM (swtpm, started by tests/cli/keyslots.sh on loopback; it ships no service).
test_pkgs=(coreutils git sqlite3 xz-utils linux-source bindfs valgrind jq attr util-linux procps cppcheck
	bash-completion zsh man-db systemd debhelper dpkg-dev fakeroot time swtpm)

# The Windows build (make windows, docs/WINDOWS.md): the mingw-w64 cross compiler (its
# posix-threads variant, x86_64-w64-mingw32-gcc-posix, for winpthreads), libgcrypt built for
# mingw-w64 (the crypto back end of that build) and wine64 to run the .exe files headless.
win_pkgs=(gcc-mingw-w64-x86-64 libgcrypt-mingw-w64-dev wine64)

want_build=0 want_test=0 want_bench=0 want_win=0
case ${1:---build} in
--build) want_build=1 ;;
--test) want_build=1 want_test=1 want_win=1 ;;
--bench) want_build=1 want_bench=1 ;;
--windows) want_build=1 want_win=1 ;;
--all) want_build=1 want_test=1 want_bench=1 want_win=1 ;;
-h | --help)
	sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	log "unknown option '$1' (use --build, --test, --bench, --windows or --all)"
	exit 2
	;;
esac

run_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		log "need root to run: $*"
		return 1
	fi
}

install_pkgs() {
	local what=$1 p missing=()
	shift
	if ! command -v dpkg-query >/dev/null; then
		log "not a Debian system: install by hand ($what): $*"
		return 0
	fi
	for p in "$@"; do
		if [[ $(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
			missing+=("$p")
		fi
	done
	if ((${#missing[@]} == 0)); then
		log "$what: all $# packages already installed"
		return 0
	fi
	log "$what: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# no service of a package may start now or at boot (scripts/no-services.sh; as root)
	((EUID == 0)) && no_services_begin && trap no_services_end EXIT
	if ! run_root apt-get install -y --no-install-recommends "${missing[@]}"; then
		log "$what: apt-get install failed; running apt-get update and retrying"
		run_root apt-get update
		run_root apt-get install -y --no-install-recommends "${missing[@]}"
	fi
	if ((EUID == 0)); then
		no_services_end
		trap - EXIT
	fi
	log "$what: installed ${missing[*]}"
}

# Run another part's own install script, when that part exists.
run_part() {
	local script=$repo/$1
	if [[ -f $script ]]; then
		log "running $1"
		bash "$script"
	else
		log "$1 not present: skipped"
	fi
}

((want_build)) && install_pkgs "build" "${build_pkgs[@]}"
if ((want_test)); then
	install_pkgs "test" "${test_pkgs[@]}"
	run_part tests/beds/install-deps.sh
	run_part tests/integration/install-deps.sh
	run_part tests/mount/install-deps.sh
	run_part fuzz/install-deps.sh
fi
((want_win)) && install_pkgs "windows" "${win_pkgs[@]}"
((want_bench)) && run_part bench/install-deps.sh
log "done"

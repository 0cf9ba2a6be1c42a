#!/usr/bin/env bash
# bench/install-deps.sh: install what bench/run.sh needs (Debian 12, as root). Idempotent:
# installs only the packages that are missing and does nothing when all are present.
set -euo pipefail

pkgs=(
	gocryptfs bindfs securefs fio linux-source  # systems under test and the tree workload
	fuse3 sshfs openssh-server                  # FUSE tools and the sshfs bed (tests/beds/sftp.sh)
	make gcc xz-utils tar python3               # build workload, unpacking, report
)
missing=()
for p in "${pkgs[@]}"; do
	if [[ $(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) != installed ]]; then
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	echo "bench dependencies: all ${#pkgs[@]} packages installed" >&2
	exit 0
fi
((EUID == 0)) || { echo "error: run as root to install: ${missing[*]}" >&2; exit 1; }
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
ls /usr/src/linux-source-*.tar.xz >/dev/null 2>&1 ||
	{ echo "error: linux-source installed but no /usr/src/linux-source-*.tar.xz" >&2; exit 1; }
echo "bench dependencies installed" >&2

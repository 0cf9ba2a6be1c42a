#!/usr/bin/env bash
# tests/beds/install-deps.sh: install the Debian 12 packages the network test
# beds need (idempotent; prints what it installs).  Run as root.
#   openssh-server, openssh-client, sshfs  SFTP bed
#   glusterfs-server, glusterfs-client     GlusterFS bed
#   samba, rclone                          SMB bed
#   fuse3                                  fusermount3
#   iproute2, util-linux, procps           ip netns, nsenter/unshare/setsid, ps
#   attr                                   setfattr/getfattr (xattr probe)
#   tshark                                 capture.sh
#   gocryptfs                              comparison runs in check_beds.sh
#   gcc, libc6-dev                         the C tools (cc -O2 -Wall -Wextra -Werror)
set -euo pipefail

PKGS=(openssh-server openssh-client sshfs glusterfs-server glusterfs-client samba samba-common-bin rclone
	fuse3 iproute2 util-linux procps attr tshark gocryptfs gcc libc6-dev)

# Units that earlier versions of this script left enabled at boot (before it used
# scripts/no-services.sh); disabled on every run.
BED_UNITS=(smbd nmbd samba-ad-dc ssh glusterd)

if ((EUID != 0)); then
	echo "install-deps: must run as root" >&2
	exit 1
fi
# shellcheck source=scripts/no-services.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/no-services.sh"
no_services_disable "${BED_UNITS[@]}"
missing=()
for p in "${PKGS[@]}"; do
	if dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		echo "install-deps: $p already installed" >&2
	else
		missing+=("$p")
	fi
done
if ((${#missing[@]} == 0)); then
	echo "install-deps: nothing to install" >&2
	exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer "no" up front.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
# The packages ship systemd units for smbd/nmbd/glusterd/ssh; the beds never use them
# and start their own daemons on private ports: none may start now or at boot.
no_services_begin
trap no_services_end EXIT
if ! apt-get install -y --no-install-recommends "${missing[@]}"; then
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
fi
no_services_end
trap - EXIT
no_services_disable "${BED_UNITS[@]}"
echo "install-deps: done" >&2

#!/usr/bin/env bash
# tests/setup/services.sh: installing the test packages leaves no service enabled or
# running at boot (scripts/no-services.sh, used by scripts/install-deps.sh and
# tests/beds/install-deps.sh).
#   1. in a scratch root (NO_SERVICES_ROOT, systemctl --root): a unit enabled before the
#      "install" stays enabled; units the install enables (a service with an alias, a
#      socket) are disabled afterwards; the policy-rc.d that forbids starting services
#      exists during the install only, and one that was there before is left alone;
#   2. on this machine, after the install scripts ran: none of the units of the bed
#      packages (smbd, nmbd, samba-ad-dc, ssh, glusterd) is enabled, and no policy-rc.d
#      of ours is left behind.
# Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
T_WORK=$(mktemp -d /tmp/veilfs-services.XXXXXX)
t_on_exit t_cleanup
R=$T_WORK/root
command -v systemctl >/dev/null || { echo "services.sh: needs systemctl" >&2; exit 2; }

mkdir -p "$R/lib/systemd/system" "$R/etc/systemd/system" "$R/usr/sbin"
unit() { printf '[Unit]\nDescription=%s\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n%s' "$1" "${2:-}" >"$R/lib/systemd/system/$1"; }
unit old.service
unit new.service 'Alias=newalias.service
'
printf '[Socket]\nListenStream=4242\n[Install]\nWantedBy=sockets.target\n' >"$R/lib/systemd/system/new.socket"
enabled() { [[ $(systemctl --root="$R" is-enabled "$1" 2>/dev/null) == enabled ]]; }
systemctl --root="$R" enable old.service >/dev/null 2>&1

(
	export NO_SERVICES_ROOT=$R
	# shellcheck source=scripts/no-services.sh
	source "$repo/scripts/no-services.sh"
	no_services_begin
	"$R/usr/sbin/policy-rc.d" && rc=0 || rc=$?
	[[ $rc == 101 ]] || { echo "policy-rc.d during the install exits $rc, not 101" >&2; exit 1; }
	# the "install": a package enables its units
	systemctl --root="$R" enable new.service new.socket >/dev/null 2>&1
	enabled new.service && enabled new.socket || { echo "could not enable the fake units" >&2; exit 1; }
	no_services_end
) >"$T_WORK/out" 2>&1 && rc=0 || rc=$?
check "begin/install/end ran ($(tr '\n' ' ' <"$T_WORK/out"))" test "$rc" = 0
check "the unit enabled before the install stays enabled" enabled old.service
check "the service the install enabled is disabled" bash -c "! [[ \$(systemctl --root='$R' is-enabled new.service 2>/dev/null) == enabled ]]"
check "its alias is gone" test ! -e "$R/etc/systemd/system/newalias.service"
check "the socket the install enabled is disabled" bash -c "! [[ \$(systemctl --root='$R' is-enabled new.socket 2>/dev/null) == enabled ]]"
check "the policy-rc.d of the install is removed" test ! -e "$R/usr/sbin/policy-rc.d"
check "the install said what it disabled" grep -q "disabling new.service" "$T_WORK/out"

printf '#!/bin/sh\n# the admin'"'"'s own\nexit 101\n' >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
before=$(sha256sum <"$R/usr/sbin/policy-rc.d")
(
	export NO_SERVICES_ROOT=$R
	# shellcheck source=scripts/no-services.sh
	source "$repo/scripts/no-services.sh"
	no_services_begin
	no_services_end
) >/dev/null 2>&1
check "a policy-rc.d that was there before is left as it was" \
	test "$(sha256sum <"$R/usr/sbin/policy-rc.d" 2>/dev/null)" = "$before"

# this machine, after scripts/install-deps.sh --test (which runs tests/beds/install-deps.sh)
for u in smbd nmbd samba-ad-dc ssh glusterd; do
	state=$(systemctl is-enabled "$u" 2>/dev/null || true)
	check "$u is not enabled at boot on this machine (${state:-no such unit})" test "$state" != enabled
done
check "no policy-rc.d of the install scripts is left on this machine" \
	bash -c "! grep -qs 'veilfs install-deps' /usr/sbin/policy-rc.d"
check "no .wants symlink of the bed units in /etc/systemd/system" \
	bash -c "! find /etc/systemd/system -path '*.wants/*' \\( -name 'smbd.*' -o -name 'nmbd.*' -o -name 'samba-ad-dc.*' -o -name 'ssh.*' -o -name 'glusterd.*' \\) | grep -q ."

t_summary

# shellcheck shell=bash
# scripts/no-services.sh: sourced by the install scripts so that installing packages
# (samba, openssh-server, glusterfs-server, ...) leaves no service running or enabled at
# boot. The test beds start their own daemons on private ports and never use the units.
#
#   no_services_begin      before apt-get install: a policy-rc.d that forbids starting
#                          services (unless one exists already), and a list of the
#                          units enabled now
#   no_services_end        after it: removes that policy-rc.d again and disables every
#                          unit that the install enabled (only those)
#   no_services_disable UNIT...   disable these units (undo an earlier install's enabling)
#
# Enabled units are read from the symlinks in /etc/systemd/system/*.wants/; systemctl
# disable works without a running systemd (it edits those symlinks and the aliases).
# NO_SERVICES_ROOT (default /) points all of this at another root directory (the test
# stage "services" uses one).

NO_SERVICES_ROOT=${NO_SERVICES_ROOT:-/}
NO_SERVICES_POLICY=${NO_SERVICES_ROOT%/}/usr/sbin/policy-rc.d
NO_SERVICES_OURS=0
NO_SERVICES_BEFORE=

no_services_enabled() {
	find "${NO_SERVICES_ROOT%/}/etc/systemd/system" -mindepth 2 -maxdepth 2 -path '*.wants/*' -type l \
		-printf '%f\n' 2>/dev/null | sort -u
}

no_services_begin() {
	NO_SERVICES_BEFORE=$(no_services_enabled)
	if [[ ! -e $NO_SERVICES_POLICY ]]; then
		printf '#!/bin/sh\n# veilfs install-deps: start no service while installing\nexit 101\n' \
			>"$NO_SERVICES_POLICY"
		chmod 0755 "$NO_SERVICES_POLICY"
		NO_SERVICES_OURS=1
	fi
}

no_services_disable() {
	local u
	for u in "$@"; do
		if command -v systemctl >/dev/null &&
			[[ $(systemctl --root="$NO_SERVICES_ROOT" is-enabled "$u" 2>/dev/null) == enabled ]]; then
			echo "install-deps: disabling $u (installed for the tests, not for boot)" >&2
			systemctl --root="$NO_SERVICES_ROOT" disable "$u" >/dev/null 2>&1 || true
		fi
	done
}

no_services_end() {
	local new
	if ((NO_SERVICES_OURS)); then
		rm -f "$NO_SERVICES_POLICY"
		NO_SERVICES_OURS=0
	fi
	new=$(comm -13 <(printf '%s\n' "$NO_SERVICES_BEFORE") <(no_services_enabled) |
		grep -E '\.(service|socket|timer|path)$' || true)
	# shellcheck disable=SC2086
	[[ -n $new ]] && no_services_disable $new
	return 0
}

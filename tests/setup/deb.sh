#!/usr/bin/env bash
# tests/setup/deb.sh: the Debian package. Builds it from a copy of this checkout in /tmp
# (dpkg-buildpackage -us -uc -b writes into the parent directory, so never in the
# checkout), checks what it contains, installs it (apt-get, waiting for the dpkg lock),
# mounts a vault through a line of a private fstab (mount -T FILE, in a private mount
# namespace) with the installed /usr/bin/veilfs, unmounts with umount(8), then purges the
# package and checks that none of its files is left. The package is purged on every exit
# path. Needs root. Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
[[ $(id -u) == 0 ]] || { echo "deb.sh: run as root (installs and purges the package)" >&2; exit 2; }
for t in dpkg-buildpackage dh fakeroot apt-get; do
	command -v "$t" >/dev/null || { echo "deb.sh: $t is missing (scripts/install-deps.sh --test)" >&2; exit 2; }
done
if dpkg-query -W -f '${db:Status-Status}' veilfs 2>/dev/null | grep -qx installed; then
	echo "deb.sh: a veilfs package is installed already; not touching it" >&2
	exit 2
fi

T_WORK=$(mktemp -d /tmp/veilfs-deb.XXXXXX)
W=$T_WORK
installed_by_us=0
finish() {
	local rc=$?
	trap - EXIT
	set +e
	# unmount first (t_cleanup), then purge what we installed
	t_unmount_all
	if ((installed_by_us)); then
		apt-get purge -y -o DPkg::Lock::Timeout=300 veilfs >/dev/null 2>&1 ||
			dpkg --purge veilfs >/dev/null 2>&1
	fi
	if [[ -d $W ]]; then
		if ((T_FAIL)); then t_log "work directory kept: $W"; else rm -rf --one-file-system "$W"; fi
	fi
	exit "$rc"
}
t_on_exit finish

version=$(sed -n '1s/^veilfs (\([^)]*\)).*/\1/p' "$repo/debian/changelog")
src=$W/veilfs-$version
mkdir -p "$src"
(cd "$repo" && git ls-files -co --exclude-standard | grep -v -e '^build/' -e '^build-san/' |
	tar -cf - -T -) | tar -xf - -C "$src"
t_log "dpkg-buildpackage -us -uc -b in $src"
if (cd "$src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -j2) >"$W/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b builds the package"
else
	notok "dpkg-buildpackage -us -uc -b builds the package" "$(tail -n 5 "$W/build.log" | tr '\n' ' ')"
	t_summary
	exit 1
fi
deb=$(ls "$W"/veilfs_"$version"_*.deb)
dpkg-deb -c "$deb" | awk '{ print $6 }' | sed 's|^\./|/|' >"$W/contents"
for f in /usr/bin/veilfs /usr/share/man/man1/veilfs.1.gz /usr/share/man/man5/veilfs.5.gz \
	/usr/share/bash-completion/completions/veilfs /usr/share/zsh/vendor-completions/_veilfs \
	/lib/systemd/system/veilfs@.service /usr/share/doc/veilfs/README.md.gz \
	/usr/share/doc/veilfs/CLI.md.gz /usr/share/doc/veilfs/copyright; do
	check "the package holds $f" grep -qx "$f" "$W/contents"
done
check "the package depends on fuse3" bash -c "dpkg-deb -f '$deb' Depends | grep -q fuse3"
check "nothing outside /usr and /lib" bash -c "! grep -v -e '^/$' -e '^/usr' -e '^/lib' '$W/contents' | grep -q ."

t_log "install"
installed_by_us=1
if apt-get install -y -o DPkg::Lock::Timeout=300 "$deb" >"$W/install.log" 2>&1; then
	ok "the package installs"
else
	notok "the package installs" "$(tail -n 5 "$W/install.log" | tr '\n' ' ')"
fi
dpkg -L veilfs >"$W/files" 2>/dev/null || true
check "the installed /usr/bin/veilfs runs" bash -c "/usr/bin/veilfs --version | grep -q '^veilfs $version'"
check "man finds veilfs(1) and veilfs(5)" bash -c "man -w 1 veilfs | grep -q /usr/share/man/man1/veilfs.1.gz && man -w 5 veilfs | grep -q /usr/share/man/man5/veilfs.5.gz"
if command -v systemd-analyze >/dev/null; then
	check "systemd-analyze verify accepts the installed veilfs@.service" \
		systemd-analyze verify /lib/systemd/system/veilfs@.service
fi
check "the unit is not enabled by the install" bash -c "! find /etc/systemd/system -name 'veilfs@*' | grep -q ."

t_log "mount through a private fstab with the installed binary"
VEILFS=/usr/bin/veilfs
T_PASSFILE=$W/pw
echo 'deb test password' >"$T_PASSFILE"
chmod 600 "$T_PASSFILE"
mkdir -p "$W/c" "$W/m"
new_vault "$W/c"
T_MOUNTS+=("$W/m")
printf '%s %s fuse.veilfs passfile=%s,noauto,nofail,_netdev,x-systemd.automount,nosuid,nodev 0 0\n' \
	"$W/c" "$W/m" "$T_PASSFILE" >"$W/fstab"
cat >"$W/inner.sh" <<EOI
set -e
mount -T '$W/fstab' '$W/m'
pid=\$(head -n 1 /run/veilfs/\$(printf '%s' '$W/m' | sha256sum | cut -d' ' -f1).pid)
readlink /proc/\$pid/exe >'$W/exe'
awk '\$5 == "$W/m"' /proc/self/mountinfo >'$W/mountinfo'
echo 'packaged' >'$W/m/file'
cat '$W/m/file' >'$W/readback'
umount '$W/m'
for i in \$(seq 600); do [ -e /proc/\$pid ] || break; sleep 0.05; done
[ ! -e /proc/\$pid ]
EOI
if timeout 120 unshare -m --propagation private bash "$W/inner.sh" >"$W/inner.log" 2>&1; then
	ok "mount -T FSTAB, write, read, umount(8), the daemon exits"
else
	notok "mount -T FSTAB, write, read, umount(8), the daemon exits" "$(tail -n 5 "$W/inner.log" | tr '\n' ' ')"
fi
check "mount.fuse3 ran the installed /usr/bin/veilfs" grep -qx /usr/bin/veilfs "$W/exe"
check "the mount was fuse.veilfs with nosuid,nodev" bash -c "grep -q ' - fuse.veilfs $W/c ' '$W/mountinfo' && grep -q nosuid '$W/mountinfo' && grep -q nodev '$W/mountinfo'"
check "the file read back through the mount" grep -qx packaged "$W/readback"
check "the file is in the vault, encrypted" bash -c "test \$(find '$W/c' -type f | wc -l) -ge 3 && ! grep -rq packaged '$W/c'"

t_log "purge"
if apt-get purge -y -o DPkg::Lock::Timeout=300 veilfs >"$W/purge.log" 2>&1; then
	installed_by_us=0
	ok "the package purges"
else
	notok "the package purges" "$(tail -n 5 "$W/purge.log" | tr '\n' ' ')"
fi
check "dpkg no longer knows veilfs" bash -c "! dpkg-query -W -f '\${db:Status-Status}' veilfs 2>/dev/null | grep -qx installed"
left=()
while read -r f; do
	[[ -e $f || -L $f ]] && ! [[ -d $f ]] && left+=("$f") # /lib is a directory symlink (merged /usr)
done <"$W/files"
check "no file of the package is left (${left[*]:-none})" test "${#left[@]}" = 0
check "the package had files to check" test -s "$W/files"

t_summary

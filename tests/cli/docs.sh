#!/usr/bin/env bash
# tests/cli/docs.sh: the man pages, --help and docs/CLI.md agree, the man pages build and
# render, and `make install` / `make uninstall` put everything where documented.
#   1. tests/cli/docs_sync.py: the options of every command's --help, of its section of
#      veilfs(1) (docs/man/veilfs.1.scd) and of its section of docs/CLI.md are the same
#      sets, both ways; the same commands, mount's -o options and exit statuses;
#   2. the checker itself fails on a drifted copy (an option dropped from CLI.md, one added
#      to the man page);
#   3. scdoc turns both pages into roff, man(1) renders them without warnings;
#   4. make install PREFIX=... and DESTDIR=... install the binary, both man pages, both
#      completions, the systemd unit (with the installed binary's path) and the docs;
#      make uninstall removes them again.
# Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight docs.sh
T_WORK=$(mktemp -d /tmp/veilfs-docs.XXXXXX)
t_on_exit t_cleanup
W=$T_WORK
cd "$repo"

# 1. the real files
if python3 tests/cli/docs_sync.py "$VEILFS" docs/man/veilfs.1.scd docs/CLI.md >"$W/sync.out" 2>&1; then
	ok "--help, veilfs(1) and docs/CLI.md agree ($(tail -n 1 "$W/sync.out"))"
else
	notok "--help, veilfs(1) and docs/CLI.md agree" "$(grep '^not ok' "$W/sync.out" | tr '\n' ' ')"
fi

# 2. drifted copies are caught
# shellcheck disable=SC2016 # the backquotes are Markdown, not a command substitution
sed 's/^| `--force` | check even though the vault is mounted here |$//' docs/CLI.md >"$W/CLI.md"
check "the CLI.md copy without --force differs" bash -c "! cmp -s docs/CLI.md '$W/CLI.md'"
python3 tests/cli/docs_sync.py "$VEILFS" docs/man/veilfs.1.scd "$W/CLI.md" >"$W/drift1" 2>&1 && rc=0 || rc=$?
check "a CLI.md that lacks fsck --force fails the check" \
	bash -c "test $rc != 0 && grep -q \"'veilfs fsck': every --help option is in docs/CLI.md: missing \\['--force'\\]\" '$W/drift1'"
sed 's/^\*--json\*$/*--json*\n\tx\n\n*--frobnicate*/' docs/man/veilfs.1.scd >"$W/veilfs.1.scd"
python3 tests/cli/docs_sync.py "$VEILFS" "$W/veilfs.1.scd" docs/CLI.md >"$W/drift2" 2>&1 && rc=0 || rc=$?
check "a man page with an option --help lacks fails the check" \
	bash -c "test $rc != 0 && grep -q \"every veilfs(1) option is in --help: only in the man page \\['--frobnicate'\\]\" '$W/drift2'"

# 3. build and render
for page in veilfs.1 veilfs.5; do
	if scdoc <"docs/man/$page.scd" >"$W/$page" 2>"$W/$page.err"; then
		ok "scdoc builds $page"
	else
		notok "scdoc builds $page" "$(cat "$W/$page.err")"
	fi
	MANWIDTH=80 man --warnings -l "$W/$page" >"$W/$page.txt" 2>"$W/$page.warn" || true
	if [[ -s $W/$page.txt && ! -s $W/$page.warn ]]; then
		ok "man renders $page without warnings"
	else
		notok "man renders $page without warnings" "$(head -c 300 "$W/$page.warn")"
	fi
done
check "veilfs(1) rendered names every command" \
	bash -c "for c in init info passwd mount umount fsck; do grep -q \"^   \$c\$\" '$W/veilfs.1.txt' || exit 1; done"
check "veilfs(5) names veilfs.conf and veilfs.diriv" \
	bash -c "grep -q veilfs.conf '$W/veilfs.5.txt' && grep -q veilfs.diriv '$W/veilfs.5.txt'"

# 4. make install / uninstall
inst=$W/inst
if make -s install PREFIX="$inst" >"$W/install.log" 2>&1; then
	ok "make install PREFIX=..."
else
	notok "make install PREFIX=..." "$(tail -n 5 "$W/install.log")"
fi
for f in bin/veilfs share/man/man1/veilfs.1 share/man/man5/veilfs.5 \
	share/bash-completion/completions/veilfs share/zsh/vendor-completions/_veilfs \
	lib/systemd/system/veilfs@.service share/doc/veilfs/README.md share/doc/veilfs/CLI.md \
	share/doc/veilfs/FORMAT.md; do
	check "installed $f" test -s "$inst/$f"
done
check "the installed binary runs" "$inst/bin/veilfs" --version
check "man finds the installed veilfs(1) and veilfs(5)" \
	bash -c "MANWIDTH=80 man -M '$inst/share/man' 1 veilfs | grep -q 'veilfs mount' && MANWIDTH=80 man -M '$inst/share/man' 5 veilfs | grep -q veilfs.diriv"
check "the installed unit runs the installed binary" \
	grep -qx "ExecStart=$inst/bin/veilfs mount -f -o \${OPTIONS} \${CIPHERDIR} \${MOUNTPOINT}" "$inst/lib/systemd/system/veilfs@.service"
if make -s uninstall PREFIX="$inst" >"$W/uninstall.log" 2>&1 && [[ -z $(find "$inst" -type f) ]]; then
	ok "make uninstall removes every installed file"
else
	notok "make uninstall removes every installed file" "left: $(find "$inst" -type f | tr '\n' ' ')"
fi
if make -s install DESTDIR="$W/dest" PREFIX=/usr >"$W/install2.log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	notok "make install DESTDIR=... PREFIX=/usr" "$(tail -n 5 "$W/install2.log")"
fi
check "DESTDIR holds usr/bin/veilfs and its unit names /usr/bin/veilfs" \
	bash -c "test -x '$W/dest/usr/bin/veilfs' && grep -q '^ExecStart=/usr/bin/veilfs ' '$W/dest/usr/lib/systemd/system/veilfs@.service'"

t_summary

#!/usr/bin/env bash
# tests/cli/completion.sh: the bash and zsh completions of contrib/completion/. Sources the
# bash completion into this shell with bash-completion and checks COMPREPLY for commands,
# options, option values, -o lists, files and directories, and the mount points of real
# veilfs mounts for umount; checks that each command's options in the completions are
# exactly those of `veilfs CMD --help`; loads the zsh completion with compinit.
# Prints "ok N - ..." and "N passed, N failed".
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=tests/lib.sh
source "$repo/tests/lib.sh"
t_preflight completion.sh
T_WORK=$(mktemp -d /tmp/veilfs-completion.XXXXXX)
t_on_exit t_cleanup
W=$T_WORK
BASH_COMP=$repo/contrib/completion/veilfs.bash
ZSH_COMP=$repo/contrib/completion/_veilfs

[[ -f /usr/share/bash-completion/bash_completion ]] || { echo "completion.sh: bash-completion is not installed" >&2; exit 2; }
# shellcheck disable=SC1091
source /usr/share/bash-completion/bash_completion
set +u # bash-completion's functions use unset variables
# shellcheck source=contrib/completion/veilfs.bash
source "$BASH_COMP"

# complete LINE: run _veilfs as bash would with the cursor at the end of LINE (words split
# at blanks and at '=' like COMP_WORDBREAKS); sets REPLY_SORTED to the sorted COMPREPLY.
complete_line() {
	local line="veilfs $1"
	local -a w
	read -r -a w <<<"${line//=/ = }"
	[[ $line == *" " ]] && w+=("")
	[[ $line == *= ]] && w+=("")
	COMP_WORDS=("${w[@]}")
	COMP_CWORD=$((${#w[@]} - 1))
	COMP_LINE=$line
	COMP_POINT=${#line}
	COMPREPLY=()
	_veilfs veilfs "${w[COMP_CWORD]}" "${w[COMP_CWORD - 1]}" 2>/dev/null || true
	REPLY_SORTED=$(printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ')
	REPLY_SORTED=${REPLY_SORTED% }
}
# expect LINE WORDS...: the completion of LINE is exactly WORDS (any order)
expect() {
	local line=$1 want
	shift
	want=$(printf '%s\n' "$@" | sort | tr '\n' ' ')
	want=${want% }
	complete_line "$line"
	if [[ $REPLY_SORTED == "$want" ]]; then
		ok "complete '$line'"
	else
		notok "complete '$line'" "got '$REPLY_SORTED', expected '$want'"
	fi
}

cd "$W"
mkdir vault-a vault-b plain
echo pw >pwfile
touch vault-file

expect "" init info passwd mount umount fsck status key upgrade ls cat get put rm mkdir rekey help
expect "mo" mount
expect "--" --help --version
expect "mount --pa" --passfile
expect "mount --sh" --shared=
expect "mount --shared=l" locks lockfiles
expect "mount --lower-direct=" on off
expect "mount -" --passfile --extpass --keyfile --recovery-key --tpm -f --foreground -q --quiet --json --ro -o --shared= \
	--lock-lease= --lower-direct= --idle= --log -d --debug --smb-user --smb-passfile -h --help
expect "mount -o ro,allow_" ro,allow_other ro,allow_root
expect "mount -o no" nonempty nowriteback nosuid nodev noexec noatime
expect "mount vault-a pl" plain
expect "init --cipher " aes-256-gcm xchacha20-poly1305
expect "init --c" --cipher
expect "info vau" vault-a vault-b
expect "fsck vault-a --f" --force
expect "fsck --passfile pw" pwfile
expect "passwd --new-" --new-passfile --new-extpass
expect "help pa" passwd
expect "./vault-" ./vault-a ./vault-b

# umount offers the mount points of veilfs mounts
T_PASSFILE=$W/pwfile
new_vault "$W/vault-a"
vmount "$W/vault-a" "$W/plain" -q
expect "umount $W/pl" "$W/plain"
vumount "$W/plain"

# the options in the completions are exactly those of --help, command by command
help_options() {
	"$VEILFS" "$1" --help | python3 -c '
import re, sys
opts = set()
for line in sys.stdin:
    m = re.match(r"^  ((?:--?[A-Za-z][A-Za-z-]*(?:=[A-Za-z|]+)?(?: [A-Z]+)?(?:, )?)+)", line)
    if m:
        opts.update(o.split("=")[0] for o in re.findall(r"--?[A-Za-z][A-Za-z-]*=?", m.group(1)))
print(" ".join(sorted(opts)))'
}
for c in init info passwd mount umount fsck; do
	want=$(help_options "$c")
	got=$(_veilfs_options "$c" | tr ' ' '\n' | sed 's/=$//' | grep . | sort | tr '\n' ' ')
	got=${got% }
	if [[ $got == "$want" ]]; then
		ok "bash completion of '$c' has the options of its --help"
	else
		notok "bash completion of '$c' has the options of its --help" "completion '$got', --help '$want'"
	fi
	missing=()
	for o in $want; do
		grep -qF -e "${o}=" -e "${o}[" -e "${o}}" -e "{${o}," -- "$ZSH_COMP" || missing+=("$o")
	done
	if ((${#missing[@]} == 0)); then
		ok "zsh completion of '$c' has the options of its --help"
	else
		notok "zsh completion of '$c' has the options of its --help" "missing ${missing[*]}"
	fi
done

# zsh: the file parses, compinit registers it for veilfs, and a completion runs in zpty
if command -v zsh >/dev/null; then
	check "zsh parses _veilfs" zsh -n "$ZSH_COMP"
	check "compinit registers _veilfs for veilfs" zsh -fc "fpath=('$repo/contrib/completion' \$fpath); autoload -Uz compinit; compinit -u -d '$W/zcompdump'; [[ \${_comps[veilfs]} == _veilfs ]]"
	# type into an interactive zsh on a pseudo-terminal; TAB completes, Ctrl-A + "echo "
	# turns the completed line into output, read until it comes (bounded by timeout)
	zsh_complete() {
		cat >"$W/zpty.zsh" <<EOZ
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z "PS1='>' ; fpath=('$repo/contrib/completion' \\\$fpath); autoload -Uz compinit; compinit -u -d '$W/zcd'; cd '$W'"
zpty -w -n z \$'veilfs $1\t\\C-a echo COMPLETED: \\n'
while zpty -r z line; do [[ \$line == COMPLETED:* ]] && { print -r -- "\$line"; break; }; done
zpty -d z
EOZ
		timeout 30 zsh -f "$W/zpty.zsh" 2>&1 | tr -d '\r' | grep -a '^COMPLETED: ' | tail -n 1
	}
	for c in "mount --sh:mount --shared" "inf:info" "umo:umount" "fsck --for:fsck --force" "init --cipher xc:init --cipher xchacha20-poly1305"; do
		got=$(zsh_complete "${c%%:*}")
		if [[ ${got%"${got##*[! ]}"} == "COMPLETED: veilfs ${c#*:}" ]]; then
			ok "zsh completes 'veilfs ${c%%:*}' to 'veilfs ${c#*:}'"
		else
			notok "zsh completes 'veilfs ${c%%:*}' to 'veilfs ${c#*:}'" "got '$got'"
		fi
	done
else
	notok "zsh is installed" "no zsh"
fi

t_summary

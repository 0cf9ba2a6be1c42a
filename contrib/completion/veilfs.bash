# bash completion for veilfs(1): commands, their options, option values, directories.
# Installed as share/bash-completion/completions/veilfs (loaded on demand by
# bash-completion). The option lists are checked against `veilfs CMD --help` by the
# completion stage of the test suite (tests/cli/completion.sh).

_veilfs_options() {
	case $1 in
	init) echo --passfile --extpass --cipher --plaintext-names --kdf-memory --kdf-time \
		--label --recovery-key-file --no-recovery-key --format-version \
		--smb-user --smb-passfile -h --help ;;
	info) echo --json -h --help ;;
	passwd) echo --passfile --extpass --keyfile --recovery-key --tpm --new-passfile --new-extpass \
		--label --kdf-memory --kdf-time --json -h --help ;;
	mount) echo --passfile --extpass --keyfile --recovery-key --tpm -f --foreground -q --quiet --json --ro -o --shared= \
		--lock-lease= --lower-direct= --idle= --log -d --debug --smb-user --smb-passfile \
		-h --help ;;
	umount) echo --json -h --help ;;
	status) echo --json -h --help ;;
	key) echo --passfile --extpass --keyfile --recovery-key --tpm --label --new-passfile \
		--new-keyfile --new-recovery-key-file --kdf-memory --kdf-time --json -h --help ;;
	upgrade) echo --passfile --extpass --label -h --help ;;
	ls) echo --passfile --extpass --keyfile --recovery-key --tpm --shared= --lock-lease= -v --verbose -l --json -h --help ;;
	cat | get | put) echo --passfile --extpass --keyfile --recovery-key --tpm --shared= --lock-lease= -v --verbose -h --help ;;
	rm) echo --passfile --extpass --keyfile --recovery-key --tpm --shared= --lock-lease= -v --verbose -r --recursive -h --help ;;
	mkdir) echo --passfile --extpass --keyfile --recovery-key --tpm --shared= --lock-lease= -v --verbose -p --parents -h --help ;;
	rekey) echo --passfile --extpass --keyfile --recovery-key --tpm --shared= --lock-lease= -v --verbose --progress -h --help ;;
	fsck) echo --passfile --extpass --keyfile --recovery-key --tpm --json --repair --repair-nothing --force -h --help ;;
	esac
}

# the commands (those of `veilfs --help`)
_veilfs_commands="init info passwd mount umount fsck status key upgrade ls cat get put rm mkdir rekey"

# the -o options of mount (veilfs's own and the common FUSE ones)
_veilfs_mount_o="ro nonempty attr_timeout= entry_timeout= max_nodes= nowriteback passfile=
extpass= shared= shared_mode= lock_lease= log= idle= relatime strictatime allow_other
allow_root nosuid nodev noexec noatime"

# mount points of veilfs mounts (for umount)
_veilfs_mounts() {
	awk '{ for (i = 7; i <= NF; i++) if ($i == "-") { if ($(i + 1) == "fuse.veilfs") print $5; break } }' \
		/proc/self/mountinfo 2>/dev/null
}

# COMPREPLY=($(compgen ...)) is the bash-completion idiom: the words offered hold no blanks
# shellcheck disable=SC2207
_veilfs() {
	local cur prev words cword split=false
	_init_completion -s || return

	local cmd="" i nops=0
	for ((i = 1; i < cword; i++)); do
		case ${words[i]} in
		--passfile | --extpass | --new-passfile | --new-extpass | --cipher | --kdf-memory | \
			--kdf-time | --log | -o)
			((i++)) ;; # the next word is this option's value
		-*) ;;
		*)
			if [[ -z $cmd ]]; then cmd=${words[i]}; else nops=$((nops + 1)); fi
			;;
		esac
	done

	case $prev in
	--passfile | --new-passfile | --log)
		_filedir
		return
		;;
	--extpass | --new-extpass)
		COMPREPLY=($(compgen -c -- "$cur"))
		return
		;;
	--cipher)
		COMPREPLY=($(compgen -W 'aes-256-gcm xchacha20-poly1305' -- "$cur"))
		return
		;;
	--kdf-memory | --kdf-time | --lock-lease)
		return
		;;
	--shared)
		COMPREPLY=($(compgen -W 'off auto locks lockfiles' -- "$cur"))
		return
		;;
	--lower-direct)
		COMPREPLY=($(compgen -W 'on off' -- "$cur"))
		return
		;;
	-o)
		# complete the last item of a comma-separated list
		local head="" last=$cur
		if [[ $cur == *,* ]]; then
			head=${cur%,*},
			last=${cur##*,}
		fi
		COMPREPLY=($(compgen -P "$head" -W "$_veilfs_mount_o" -- "$last"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
		return
		;;
	esac
	$split && return

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W '--help --version' -- "$cur"))
		elif [[ $cur == */* || $cur == .* ]]; then
			_filedir -d # veilfs CIPHERDIR MOUNTPOINT -o OPTIONS (mount.fuse3's form)
		else
			COMPREPLY=($(compgen -W "$_veilfs_commands help" -- "$cur"))
		fi
		return
	fi
	if [[ $cmd == help ]]; then
		((nops == 0)) && COMPREPLY=($(compgen -W "$_veilfs_commands" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(_veilfs_options "$cmd")" -- "$cur"))
		[[ ${COMPREPLY-} == *= ]] && compopt -o nospace 2>/dev/null
		return
	fi
	case $cmd in
	umount)
		local IFS=$'\n'
		COMPREPLY=($(compgen -W "$(_veilfs_mounts)" -- "$cur"))
		((${#COMPREPLY[@]})) || _filedir -d
		;;
	init | info | passwd | fsck | mount)
		_filedir -d
		;;
	esac
}
complete -F _veilfs veilfs

#!/usr/bin/env bash
# tests/mount/killpriv.sh: the "killpriv" stage of tests/mount/run.sh (sourced by it).
#
# veilfs answers INIT with FUSE_HANDLE_KILLPRIV_V2 (src/fuse/killpriv.c): the kernel then
# stops asking for security.capability before every write and leaves clearing the
# set-user-ID/set-group-ID bits to veilfs. Checks:
#   - the same sequence of writes, truncates, O_TRUNC opens and chowns, by root and by a
#     non-root user, leaves the same modes on veilfs (allow_other) as on the ext4 work
#     directory, with the patch and without it (VEILFS_KILLPRIV=0, the control);
#   - ext4 itself behaves as expected (so the comparison cannot pass with no kill at all);
#   - GETXATTR requests (libfuse -d trace) while one file gets 10 write() calls: at most 1
#     with the patch, at least 10 without it.

KP_UID=60002 KP_GID=60002 # a user without CAP_FSETID, in the file's group
KP_GID2=60003             # a second group of that user

# kp_as CMD...: run CMD as the non-root user (groups KP_GID and KP_GID2).
kp_as() {
	setpriv --reuid "$KP_UID" --regid "$KP_GID" --groups "$KP_GID,$KP_GID2" -- "$@"
}

# kp_file DIR NAME MODE: a fresh 1-byte file owned by root and the user's group.
kp_file() {
	printf 'x' >"$1/$2" && chown "0:$KP_GID" "$1/$2" && chmod "$3" "$1/$2"
}

# kp_sequence DIR: one "case mode" line per case, the mode after the operation.
kp_sequence() {
	local d=$1 c
	kp_file "$d" w_user 06775 && kp_as sh -c "printf y >>'$d/w_user'"
	kp_file "$d" w_user_nogx 02765 && kp_as sh -c "printf y >>'$d/w_user_nogx'"
	kp_file "$d" w_user_twice 06775 && kp_as sh -c "printf y >>'$d/w_user_twice'" &&
		chmod 06775 "$d/w_user_twice" && kp_as sh -c "printf z >>'$d/w_user_twice'"
	kp_file "$d" w_root 06775 && printf y >>"$d/w_root"
	kp_file "$d" t_user 06775 && kp_as truncate -s 0 "$d/t_user"
	kp_file "$d" t_root 06775 && truncate -s 0 "$d/t_root"
	kp_file "$d" o_user 06775 && kp_as sh -c ": >'$d/o_user'"
	kp_file "$d" chown_root 06775 && chown "$KP_UID" "$d/chown_root"
	kp_file "$d" chown_nogx 02765 && chown "$KP_UID" "$d/chown_nogx"
	kp_file "$d" chgrp_user 06775 && chown "$KP_UID" "$d/chgrp_user" &&
		chmod 06775 "$d/chgrp_user" && kp_as chgrp "$KP_GID2" "$d/chgrp_user"
	kp_file "$d" f_user 06775 && kp_as fallocate -l 8192 "$d/f_user"
	kp_file "$d" chmod_user 0664 && chown "$KP_UID" "$d/chmod_user" &&
		kp_as chmod 06775 "$d/chmod_user"
	for c in w_user w_user_nogx w_user_twice w_root t_user t_root o_user chown_root \
		chown_nogx chgrp_user f_user chmod_user; do
		printf '%s %s\n' "$c" "$(stat -c %a "$d/$c" 2>/dev/null || echo missing)"
	done
}

# kp_compare NAME REF OUT: the sequence's modes on a mount equal those on ext4.
kp_compare() {
	if [ "$(cat "$3")" = "$(cat "$2")" ]; then
		ok "$1: set-id bits as on ext4"
	else
		notok "$1: set-id bits as on ext4" "$(diff "$2" "$3" | grep '^[<>]' | tr '\n' ' ')"
	fi
}

# kp_getxattrs ENV CIPHERDIR MOUNTPOINT: GETXATTR requests while a fresh file gets 10 writes.
kp_getxattrs() {
	local e=$1 c=$2 m=$3 trace=$T_WORK/kp-trace.log pid n
	env "$e" "$VEILFS" mount -d -q --passfile "$T_PASSFILE" "$c" "$m" 2>"$trace" &
	pid=$!
	T_MOUNTS+=("$m")
	T_PIDS+=("$pid")
	if ! wait_until 20 is_mounted "$m"; then
		echo "not-mounted"
		kill "$pid" 2>/dev/null
		return
	fi
	dd if=/dev/zero of="$m/tenwrites" bs=100 count=10 status=none
	n=$(grep -c 'opcode: GETXATTR' "$trace" || true)
	vumount "$m" >/dev/null 2>&1 || force_unmount "$m"
	wait_until 10 dead "$pid" || kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
	echo "$n"
}

stage_killpriv() {
	local c=$T_WORK/kp.c m=$T_WORK/kp.m ref=$T_WORK/kp.ref v n
	t_log "stage killpriv"
	if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
		skip "killpriv" "needs root and setpriv"
		return
	fi
	mkdir -p "$ref"
	chmod 777 "$ref"
	kp_sequence "$ref" >"$T_WORK/kp-ext4.txt"
	check "ext4 reference: non-root write clears suid and (group-exec) sgid" \
		grep -qx 'w_user 775' "$T_WORK/kp-ext4.txt"
	check "ext4 reference: root write keeps both" grep -qx 'w_root 6775' "$T_WORK/kp-ext4.txt"
	new_vault "$c"
	chmod 755 "$c"
	for v in 1 0; do
		if ! VEILFS_KILLPRIV=$v vmount "$c" "$m" -o allow_other,default_permissions; then
			notok "mount (VEILFS_KILLPRIV=$v) -o allow_other" "failed"
			continue
		fi
		mkdir -p "$m/kp$v" && chmod 777 "$m" "$m/kp$v"
		kp_sequence "$m/kp$v" >"$T_WORK/kp-$v.txt"
		vumount "$m" || notok "umount (VEILFS_KILLPRIV=$v)" "failed"
		if [ "$v" = 0 ]; then
			# Known gap of the old path, not checked: with atomic O_TRUNC and no
			# killpriv_v2 the kernel drops the kill of an O_TRUNC open (o_user).
			sed -i '/^o_user /d' "$T_WORK/kp-$v.txt"
			grep -v '^o_user ' "$T_WORK/kp-ext4.txt" >"$T_WORK/kp-ext4-$v.txt"
			kp_compare "control VEILFS_KILLPRIV=0 (o_user aside)" "$T_WORK/kp-ext4-$v.txt" "$T_WORK/kp-$v.txt"
		else
			kp_compare "veilfs killpriv_v2" "$T_WORK/kp-ext4.txt" "$T_WORK/kp-$v.txt"
		fi
	done
	n=$(kp_getxattrs VEILFS_KILLPRIV=1 "$c" "$m")
	check "killpriv_v2: at most 1 GETXATTR for 10 write() calls (saw $n)" [ "$n" -le 1 ] 2>/dev/null
	n=$(kp_getxattrs VEILFS_KILLPRIV=0 "$c" "$m")
	check "control VEILFS_KILLPRIV=0: >= 10 GETXATTR for 10 write() calls (saw $n)" [ "$n" -ge 10 ] 2>/dev/null
}

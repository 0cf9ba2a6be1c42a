/*
 * posix_cases.h - the case table of posix_suite. Each case runs in a
 * forked child whose working directory is a fresh, empty directory; it
 * returns 0 (pass), -1 (fail, reason in g_reason) or 1 (skip, reason in
 * g_reason). Cases use relative paths only.
 */
#ifndef POSIX_CASES_H
#define POSIX_CASES_H

/* posix_io.c */
#define POSIX_IO_CASES(X)              \
	X(create_write_read)           \
	X(write_unaligned_offsets)     \
	X(write_past_eof_hole)         \
	X(write_far_past_4g)           \
	X(read_short_at_eof)           \
	X(truncate_up_down)            \
	X(truncate_down_up_old_gone)   \
	X(o_append)                    \
	X(o_excl)                      \
	X(o_trunc)                     \
	X(create_mode_umask)           \
	X(size_after_each_write_kind)  \
	X(fsync_fdatasync)             \
	X(fallocate_mode0)             \
	X(fallocate_other_modes)       \
	X(seek_data_hole)              \
	X(mmap_write_then_read)        \
	X(write_then_mmap_read)        \
	X(unlink_open_file)            \
	X(two_fds_same_file)           \
	X(truncate_seen_by_other_fd)   \
	X(rename_open_file)            \
	X(large_sequential)            \
	X(copy_file_range_data)

/* posix_ns.c */
#define POSIX_NS_CASES(X)              \
	X(mkdir_rmdir)                 \
	X(readdir_dtype)               \
	X(rename_file)                 \
	X(rename_over_file)            \
	X(rename_dir)                  \
	X(rename_dir_over_dirs)        \
	X(rename_noreplace)            \
	X(rename_exchange)             \
	X(symlink_readlink)            \
	X(symlink_long_target)         \
	X(hardlink)                    \
	X(inode_stable)                \
	X(name_255)                    \
	X(name_256_toolong)            \
	X(deep_path)                   \
	X(o_directory_nofollow)        \
	X(many_files_readdir)          \
	X(readdir_small_buffer)

/* posix_meta.c */
#define POSIX_META_CASES(X)            \
	X(chmod_modes)                 \
	X(chown_root)                  \
	X(utimensat_ns)                \
	X(mtime_updated_by_write)      \
	X(statfs_sane)                 \
	X(xattr_user)                  \
	X(xattr_on_dir_and_large)      \
	X(xattr_many)                  \
	X(posix_lock_conflict)         \
	X(flock_conflict)              \
	X(mknod_fifo)                  \
	X(mknod_socket)

/* posix_kernel.c */
#define POSIX_KERNEL_CASES(X)          \
	X(seek_data_dirty)             \
	X(direct_write_then_read)      \
	X(readdir_rewind_new_entries)  \
	X(fallocate_reserves)          \
	X(fallocate_keep_size)         \
	X(atime_on_read)               \
	X(posix_acl)                   \
	X(xattr_trusted)               \
	X(file_handle)

/* posix_conf.c */
#define POSIX_CONF_CASES(X)            \
	X(mknod_devices)               \
	X(create_modes_exact)          \
	X(chown_clears_setid)          \
	X(utimensat_corners)           \
	X(rename_over_types)           \
	X(link_counts)                 \
	X(errno_namespace)             \
	X(symlink_targets_path_max)     \
	X(chown_noop_ctime)

#define POSIX_CASES(X)     \
	POSIX_IO_CASES(X)  \
	POSIX_NS_CASES(X)  \
	POSIX_META_CASES(X) \
	POSIX_KERNEL_CASES(X) \
	POSIX_CONF_CASES(X)

/* posix_perm.c: run only with --perm, as root */
#define PERM_CASES(X)                  \
	X(perm_read_bits)              \
	X(perm_write_bits)             \
	X(perm_exec_bits)              \
	X(perm_dir_search)             \
	X(perm_sticky_dir)             \
	X(perm_setgid_dir)             \
	X(perm_chown_refused)          \
	X(perm_chmod_utime_nonowner)   \
	X(perm_write_clears_suid)      \
	X(perm_acl_and_trusted)        \
	X(perm_mknod_device)

#define DECLARE_CASE(n) int case_##n(void);
POSIX_CASES(DECLARE_CASE)
PERM_CASES(DECLARE_CASE)

#endif

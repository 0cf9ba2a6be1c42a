/*
 * Mount points and mount daemons, for `veilfs mount` and `veilfs umount`: canonical mount
 * point paths, the kernel's mount table (/proc/self/mountinfo), unmounting (umount2 as
 * root, fusermount3 -u otherwise) and the pid files through which umount finds the daemon
 * it waits for.
 *
 * Pid files: <dir>/<registry_mountpoint_digest() of the canonical mount point>.pid holding "<pid>\n<mount
 * point>\n", where <dir> is /run/veilfs for root, else $XDG_RUNTIME_DIR/veilfs, else
 * /tmp/veilfs-<uid>; the directory is created mode 0700 and must belong to the user.
 * Every function returns 0 (or a documented positive value) or a negative errno; strings
 * returned through `char **` are malloc'd and owned by the caller.
 */
#ifndef VEILFS_CLI_MOUNTS_H
#define VEILFS_CLI_MOUNTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "base/compiler.h"

/* The file-system type veilfs mounts show in the mount table. */
#define MOUNTS_FSTYPE "fuse.veilfs"

/*
 * Absolute canonical path of path: realpath(), or when path itself cannot be resolved (a
 * FUSE mount whose daemon died answers ENOTCONN) realpath() of its parent plus its name.
 */
int mounts_canonical(const char *path, char **out) MUST_CHECK;

/*
 * Look canon up in /proc/self/mountinfo. Returns 0 or -errno; *mounted says whether a file
 * system is mounted there, and then *fstype, if not NULL, receives the type of the topmost
 * one (the caller frees it; NULL when none is mounted).
 */
int mounts_find(const char *canon, bool *mounted, char **fstype) MUST_CHECK;

/*
 * Unmount canon: umount2() as root, `fusermount3 -u` otherwise. Returns 0, -errno of
 * umount2, or -ECANCELED when fusermount3 failed (it printed why on stderr).
 */
int mounts_unmount(const char *canon) MUST_CHECK;

/* The pid file path for the canonical mount point canon (directory created if create). */
int mounts_pidfile_path(const char *canon, bool create, char **out) MUST_CHECK;
/* Write pid and canon to path atomically (0600). */
int mounts_pidfile_write(const char *path, pid_t pid, const char *canon) MUST_CHECK;
/*
 * Read the pid from path and check that the file names canon. Returns 0, -ENOENT (no pid
 * file) or -EPROTO (malformed, or written for another mount point).
 */
int mounts_pidfile_read(const char *path, const char *canon, pid_t *pid) MUST_CHECK;
/* Remove path if it still holds pid (a later daemon may have replaced it). */
void mounts_pidfile_remove(const char *path, pid_t pid);

/* True while process pid exists, is not a zombie and runs a program named like this one. */
bool mounts_process_alive(pid_t pid);

#endif

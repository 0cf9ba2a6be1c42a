/*
 * An in-memory backing store: a whole cipher directory tree held in malloc'ed memory,
 * implementing struct store_ops (store.h) with the semantics of a local POSIX file
 * system (ext4 errnos for the calls veilfs makes). It makes no system call besides
 * memory allocation, so it is portable, and it is deterministic: inode numbers come from
 * a counter and timestamps from a logical clock that advances by one second per change,
 * so the same calls always build the same tree. Used by the fuzz targets that drive the
 * vault (fuzz/fuzz_vault_*.c) and meant for a crash simulator (store_mem_snapshot()).
 *
 * Simplifications, all documented where they matter:
 *   - names are single components (no '/'); "." is the directory itself, ".." its parent;
 *   - symlinks are never followed (every call acts as with *_NOFOLLOW; opening a symlink
 *     without STORE_PATH | STORE_NOFOLLOW is -ELOOP);
 *   - no permission checks (the caller is all-powerful, like the daemon as root), byte-range
 *     locks always succeed (one process), SEEK_HOLE finds no hole before end of file;
 *   - not thread-safe: one caller at a time.
 * File contents are dense buffers; the bytes of all files and symlink targets together are
 * capped by the limit given to store_mem_new() (-ENOSPC beyond, -EFBIG for one file past
 * STORE_MEM_FILE_MAX), so hostile inputs cannot exhaust memory.
 */
#ifndef VEILFS_STORE_STORE_MEM_H
#define VEILFS_STORE_STORE_MEM_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

struct store;

enum {
	STORE_MEM_FILE_MAX = 1 << 30, /* largest single file */
	STORE_MEM_NAME_MAX = 255,     /* longest name (as ext4) */
	STORE_MEM_LINK_MAX = 4095,    /* longest symlink target (PATH_MAX - 1) */
	STORE_MEM_XATTR_MAX = 65536,  /* largest xattr value */
};

/*
 * A new empty store whose root is a directory (mode 0755); *rootfd receives a handle on
 * it. limit caps the total bytes of contents (0: 64 MiB). Returns 0 or -ENOMEM; free with
 * store_free().
 */
int store_mem_new(size_t limit, struct store **out, int *rootfd) MUST_CHECK;
/*
 * A deep copy of everything reachable by name in s (what a crash would leave, without
 * the objects only open handles keep alive), with the same inode numbers, clock and
 * limit, and no open handles but the new *rootfd. s must be a store_mem store; it is not
 * changed. Returns 0 or -ENOMEM.
 */
int store_mem_snapshot(struct store *s, struct store **out, int *rootfd) MUST_CHECK;
/*
 * Replace the contents of the regular file with inode number ino (reachable by name) by
 * len bytes of data; times are not changed. For the crash simulator, which builds a state
 * in which only some of a file's writes reached the disk. Returns 0, -ENOENT (no such
 * file reachable), -EINVAL (not a regular file), -ENOSPC, -EFBIG or -ENOMEM.
 */
int store_mem_set_contents(struct store *s, uint64_t ino, const uint8_t *data,
			   size_t len) MUST_CHECK;
/* Bytes of contents held now (for tests and fuzz invariants). */
size_t store_mem_bytes(struct store *s);
/*
 * Cap the xattr space of each file or directory at bytes of names and values (-ENOSPC
 * beyond, as ext4 when its inode and xattr block are full); 0 (the default) takes it off.
 */
void store_mem_set_xattr_space(struct store *s, size_t bytes);

#endif

/*
 * Shared-storage lock hooks (over coord/, which holds the protocols). The vault calls these around every block read-modify-write,
 * every header creation and every directory-IV creation, so that two clients of one share
 * cannot interleave those steps (issue 5). With VAULT_SHARED_OFF they do nothing; with
 * VAULT_SHARED_LOCKS they take open-file-description byte-range locks (store lock op) on
 * the lower cipher file:
 *   blocks first..last  bytes [block_cipher_offset(first), block_cipher_offset(last + 1))
 *                       (last == VAULT_LOCK_TO_END: to the end of the file and beyond)
 *   header              bytes [0, FILE_HEADER_LEN)
 * With VAULT_SHARED_LOCKFILES every hook takes the file's one lock file instead (whole
 * file, readers and writers alike; coord/lockfile.c and docs/SHARED.md give the protocol).
 * Byte ranges of different blocks never overlap, and the header range is disjoint from
 * every block, so clients only wait for each other on the same blocks.
 *
 * These locks order clients against each other; threads of one client are ordered by the
 * vnode's range lock first (all threads share one lower handle, and locks on one open file
 * description never conflict with each other).
 */
#ifndef VEILFS_VAULT_LOCK_H
#define VEILFS_VAULT_LOCK_H

#include <stdbool.h>
#include <stdint.h>
#include "base/compiler.h"

struct vault;
struct vnode;

#define VAULT_LOCK_TO_END UINT64_MAX

/*
 * Check the selected shared mode and prepare it (client id for lock files, lease default);
 * called by vault_open. Returns 0, or -EINVAL for AUTO (the front end resolves it).
 */
int vault_lock_init(struct vault *v) MUST_CHECK;
/* True when a shared mode is active (callers then reread state they would cache). */
bool vault_lock_is_shared(const struct vault *v);

/* Lock blocks first..last of the regular file n through its lower handle fd. */
int vault_lock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last,
		      bool exclusive) MUST_CHECK;
void vault_unlock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last);

/* Lock the header range of n (exclusive) around header creation. */
int vault_lock_header(struct vault *v, struct vnode *n, int fd) MUST_CHECK;
void vault_unlock_header(struct vault *v, struct vnode *n, int fd);

/*
 * Before a write lock of fd is released: make the data written under it visible to other
 * clients (coord_fresh_publish: a sync where the lower client writes behind). 0 or -errno.
 */
int vault_publish(struct vault *v, int fd) MUST_CHECK;

#endif

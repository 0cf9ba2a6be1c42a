/*
 * Shared-storage lock hooks (lock.h): no-ops for VAULT_SHARED_OFF, byte-range locks on the
 * lower cipher file for VAULT_SHARED_LOCKS. Lock files (VAULT_SHARED_LOCKFILES, and AUTO
 * on a lower file system without cross-client locks) come with issue 5.
 */
#include <errno.h>
#include <string.h>
#include "base/log.h"
#include "format/block.h"
#include "format/header.h"
#include "vault/lock.h"
#include "vault/vault_internal.h"

int vault_lock_mode_check(const struct vault *v)
{
	switch (v->opts.shared) {
	case VAULT_SHARED_OFF:
	case VAULT_SHARED_LOCKS:
		return 0;
	case VAULT_SHARED_AUTO:
	case VAULT_SHARED_LOCKFILES:
		/* TODO(issue 5): lock files created with O_EXCL, with stale-lock recovery, for
		 * lower file systems without cross-client byte-range locks (sshfs, rclone);
		 * AUTO probes the lower fs and picks LOCKS or LOCKFILES. */
		return -EOPNOTSUPP;
	}
	return -EINVAL;
}

bool vault_lock_is_shared(const struct vault *v)
{
	return v->opts.shared != VAULT_SHARED_OFF;
}

static void block_range(const struct vault *v, uint64_t first, uint64_t last, uint64_t *off,
			uint64_t *len)
{
	*off = block_cipher_offset(&v->geom, first);
	*len = last == VAULT_LOCK_TO_END ? 0 : block_cipher_offset(&v->geom, last + 1) - *off;
}

int vault_lock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last,
		      bool exclusive)
{
	uint64_t off, len;
	int r;

	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return 0;
	block_range(v, first, last, &off, &len);
	r = SOP(v, lock, fd, off, len, exclusive, true);
	if (r < 0) {
		char what[VAULT_WHAT_MAX];

		vnode_name(v, n, what, sizeof(what));
		log_error("cannot lock blocks %llu..%llu of '%s': %s", (unsigned long long)first,
			  (unsigned long long)last, what, strerror(-r));
	}
	return r;
}

void vault_unlock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last)
{
	uint64_t off, len;

	(void)n;
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return;
	block_range(v, first, last, &off, &len);
	(void)SOP(v, unlock, fd, off, len);
}

int vault_lock_header(struct vault *v, struct vnode *n, int fd)
{
	(void)n;
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return 0;
	return SOP(v, lock, fd, 0, FILE_HEADER_LEN, true, true);
}

void vault_unlock_header(struct vault *v, struct vnode *n, int fd)
{
	(void)n;
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return;
	(void)SOP(v, unlock, fd, 0, FILE_HEADER_LEN);
}

/*
 * Directory IVs: the creating client is the one whose mkdirat() succeeded, so no other
 * client can create the same IV; the IV appears atomically (temp file + rename). Byte-range
 * locks cannot be taken on a directory handle, so LOCKS mode needs nothing here. Readers
 * that find no IV yet get -ENOENT and retry (vault_names.c).
 */
int vault_lock_diriv(struct vault *v, int dirfd)
{
	(void)v;
	(void)dirfd;
	return 0;
}

void vault_unlock_diriv(struct vault *v, int dirfd)
{
	(void)v;
	(void)dirfd;
}

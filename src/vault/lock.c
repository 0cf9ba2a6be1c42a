/*
 * The vault's lock hooks (lock.h) over cross-client coordination (coord/): they map a
 * file's blocks and header onto byte ranges of its lower cipher file and name the file by
 * its lower path. The protocols themselves live in coord/ (docs/SHARED.md).
 */
#include "coord/coord.h"
#include "format/block.h"
#include "format/header.h"
#include "vault/lock.h"
#include "vault/vault_internal.h"

int vault_lock_init(struct vault *v)
{
	enum coord_mode mode;

	switch (v->opts.shared) {
	case VAULT_SHARED_OFF:
		mode = COORD_OFF;
		break;
	case VAULT_SHARED_LOCKS:
		mode = COORD_LOCKS;
		break;
	case VAULT_SHARED_LOCKFILES:
		mode = COORD_LOCKFILES;
		break;
	case VAULT_SHARED_AUTO: /* the front end picks LOCKS or LOCKFILES */
	default:
		return -EINVAL;
	}
	return coord_init(&v->coord, v->store, v->rootfd, mode, (enum coord_fresh)v->opts.fresh,
			  v->opts.lock_lease_ms);
}

bool vault_lock_is_shared(const struct vault *v)
{
	return coord_is_shared(&v->coord);
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
	char path[VAULT_WHAT_MAX];
	uint64_t off, len;

	if (!coord_is_shared(&v->coord))
		return 0;
	vnode_name(v, n, path, sizeof(path));
	block_range(v, first, last, &off, &len);
	return coord_lock(&v->coord, &n->cf, fd, path, off, len, exclusive);
}

void vault_unlock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last)
{
	uint64_t off, len;

	if (!coord_is_shared(&v->coord))
		return;
	block_range(v, first, last, &off, &len);
	coord_unlock(&v->coord, &n->cf, fd, off, len);
}

int vault_lock_header(struct vault *v, struct vnode *n, int fd)
{
	char path[VAULT_WHAT_MAX];

	if (!coord_is_shared(&v->coord))
		return 0;
	/* lock files: nested in the block lock, a counter increment */
	vnode_name(v, n, path, sizeof(path));
	return coord_lock(&v->coord, &n->cf, fd, path, 0, FILE_HEADER_LEN, true);
}

void vault_unlock_header(struct vault *v, struct vnode *n, int fd)
{
	if (!coord_is_shared(&v->coord))
		return;
	coord_unlock(&v->coord, &n->cf, fd, 0, FILE_HEADER_LEN);
}

int vault_publish(struct vault *v, int fd)
{
	return coord_fresh_publish(&v->coord, fd);
}

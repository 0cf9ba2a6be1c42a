/*
 * A file's blocks and header onto byte ranges of its lower cipher file (filelock.h), over
 * coord_lock(). The protocols themselves are coord.c's and lockfile.c's (docs/SHARED.md).
 */
#include "coord/coord.h"
#include "coord/filelock.h"
#include "format/block.h"
#include "format/header.h"

static void block_range(const struct block_geom *g, uint64_t first, uint64_t last,
			uint64_t *off, uint64_t *len)
{
	*off = block_cipher_offset(g, first);
	*len = last == FILELOCK_TO_END ? 0 : block_cipher_offset(g, last + 1) - *off;
}

int filelock_blocks(const struct filelock *l, uint64_t first, uint64_t last, bool exclusive)
{
	uint64_t off, len;

	if (!coord_is_shared(l->coord))
		return 0;
	block_range(l->geom, first, last, &off, &len);
	return coord_lock(l->coord, l->cf, l->fd, l->path(l->arg), off, len, exclusive);
}

void filelock_unlock_blocks(const struct filelock *l, uint64_t first, uint64_t last)
{
	uint64_t off, len;

	if (!coord_is_shared(l->coord))
		return;
	block_range(l->geom, first, last, &off, &len);
	coord_unlock(l->coord, l->cf, l->fd, off, len);
}

int filelock_header(const struct filelock *l)
{
	if (!coord_is_shared(l->coord))
		return 0;
	/* lock files: nested in the block lock, a counter increment */
	return coord_lock(l->coord, l->cf, l->fd, l->path(l->arg), 0, FILE_HEADER_LEN, true);
}

void filelock_unlock_header(const struct filelock *l)
{
	if (!coord_is_shared(l->coord))
		return;
	coord_unlock(l->coord, l->cf, l->fd, 0, FILE_HEADER_LEN);
}

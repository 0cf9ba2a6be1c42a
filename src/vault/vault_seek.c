/*
 * SEEK_DATA / SEEK_HOLE over the plaintext view, at block granularity, from the lower
 * file's own SEEK_DATA / SEEK_HOLE (store lseek op). A plaintext block is reported as a
 * hole only when its whole stored range is a hole of the lower file (it then reads as
 * zeros); the last block is always data, and the end of file is the final hole. Without
 * lower support (or on any lower error) the whole file is data, which is always correct.
 */
#include <errno.h>
#include <unistd.h>
#include "vault/vault_internal.h"

/* SEEK_DATA/SEEK_HOLE need _GNU_SOURCE in glibc; the values are the same on Linux,
 * FreeBSD and Solaris, and the front end passes the kernel's value through. */
#ifndef SEEK_DATA
#define SEEK_DATA 3
#endif
#ifndef SEEK_HOLE
#define SEEK_HOLE 4
#endif

enum { SEEK_MAX_STEPS = 1 << 16 };

static int64_t lower_seek(struct fileop *op, uint64_t coff, int whence)
{
	if (!op->v->store->ops->lseek)
		return -EOPNOTSUPP;
	return store_lseek(op->v->store, op->fd, (int64_t)coff, whence);
}

/* Is the whole stored range of block n a lower hole? */
static bool block_is_lower_hole(struct fileop *op, uint64_t n)
{
	const struct block_geom *g = &op->v->geom;
	int64_t d = lower_seek(op, block_cipher_offset(g, n), SEEK_DATA);

	return d == -ENXIO || (d >= 0 && (uint64_t)d >= block_cipher_offset(g, n + 1));
}

static uint64_t seek_data(struct fileop *op, uint64_t off)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t n = off / g->plain_size, last = block_count(g, op->psize) - 1;
	int64_t d;
	int steps;

	for (steps = 0; steps < SEEK_MAX_STEPS && n < last; steps++) {
		d = lower_seek(op, block_cipher_offset(g, n), SEEK_DATA);
		if (d < 0 || (uint64_t)d < block_cipher_offset(g, n + 1))
			break;
		n = block_at_cipher_offset(g, (uint64_t)d);
	}
	if (steps == SEEK_MAX_STEPS)
		return off;
	n = n < last ? n : last;
	return n * g->plain_size > off ? n * g->plain_size : off;
}

static uint64_t seek_hole(struct fileop *op, uint64_t off)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t n = off / g->plain_size, last = block_count(g, op->psize) - 1, coff, m;
	int64_t h;
	int steps;

	for (steps = 0; steps < SEEK_MAX_STEPS && n < last; steps++) {
		coff = block_cipher_offset(g, n);
		h = lower_seek(op, coff, SEEK_HOLE);
		if (h < 0)
			break;
		m = (uint64_t)h <= coff ? n : block_at_cipher_offset(g, (uint64_t)h - 1) + 1;
		if (m >= last)
			break;
		if (block_is_lower_hole(op, m))
			return m * g->plain_size > off ? m * g->plain_size : off;
		n = m + 1;
	}
	return op->psize;
}

int64_t vault_lseek(struct vault *v, struct vnode *n, int64_t off, int whence)
{
	struct fileop op;
	struct range_req whole;
	int64_t r;

	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL;
	if ((r = fileop_begin(&op, v, n)) < 0)
		return r;
	fileop_lock_whole(&op, &whole, false);
	r = fileop_size(&op);
	if (r == 0 && (off < 0 || (uint64_t)off >= op.psize))
		r = -ENXIO;
	else if (r == 0 && whence == SEEK_DATA)
		r = (int64_t)seek_data(&op, (uint64_t)off);
	else if (r == 0)
		r = (int64_t)seek_hole(&op, (uint64_t)off);
	fileop_unlock_whole(&op, &whole, false);
	fileop_end(&op);
	return r;
}

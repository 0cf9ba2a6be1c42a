/*
 * File contents: read, write, truncate, fallocate, lseek, fsync, open and release of
 * regular files over the block layer (blockio.c) and the per-file state (file_state.c).
 *
 * Rules from docs/FORMAT.md, "Content blocks": only the last block may be short and it is
 * sealed with the final flag; when a file grows past its last block, that block is
 * re-sealed as a full, non-final block; blocks a write skips over are never written, so
 * they stay holes (all-zero lower bytes) that read as zeros.
 *
 * Concurrency: the vnode's rwlock orders threads of this client (reads shared; writes,
 * truncate and header creation exclusive); lock.c orders clients. All content work runs
 * on block ranges [first, last], so a block-range lock can later replace the rwlock.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "vault/lock.h"
#include "vault/vault_internal.h"

enum {
	/* Blocks handled per lower I/O call (bounds the temporary buffers). */
	CHUNK_BLOCKS = 256,
	LOCK_RETRIES = 8,
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void free_wiped(uint8_t *p, size_t n)
{
	if (p) {
		secure_wipe(p, n);
		free(p);
	}
}

/* Read and decrypt blocks first..last (all stored below op->csize) into plain. */
static int read_blocks(struct fileop *op, uint64_t first, uint64_t last, uint8_t *plain)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t nblocks = block_count(g, op->psize), coff, nb;
	size_t clen, at, slen, plen;
	uint8_t *cbuf;
	ssize_t got;
	int r = -EIO;

	coff = block_cipher_offset(g, first);
	clen = (size_t)(min_u64(op->csize, block_cipher_offset(g, last + 1)) - coff);
	cbuf = malloc(clen);
	if (!cbuf)
		return -ENOMEM;
	got = store_pread_full(op->v->store, op->fd, cbuf, clen, coff);
	if (got < 0) {
		r = (int)got;
		goto out;
	}
	if ((size_t)got != clen) {
		log_error("short read of '%s' at %llu", fileop_what(op),
			  (unsigned long long)coff);
		goto out;
	}
	for (nb = first; nb <= last; nb++) {
		at = (size_t)(nb - first) * g->cipher_size;
		slen = (size_t)min_u64(g->cipher_size, clen - at);
		r = blockio_open(&op->b, nb, nb + 1 == nblocks, cbuf + at, slen,
				 plain + (size_t)(nb - first) * g->plain_size, &plen);
		if (r < 0)
			goto out;
	}
	r = 0;
out:
	free(cbuf);
	return r;
}

static ssize_t read_chunk(struct fileop *op, uint8_t *dst, size_t len, uint64_t off)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t first = off / g->plain_size, last = (off + len - 1) / g->plain_size;
	size_t plen = (size_t)(last - first + 1) * g->plain_size;
	uint8_t *plain;
	int r;

	/*
	 * Whole blocks (the last may end at end of file, where it is short): decrypt straight
	 * into dst. len never reaches past the end of file, so no block writes past dst.
	 */
	if (off % g->plain_size == 0 && (len % g->plain_size == 0 || off + len == op->psize)) {
		r = read_blocks(op, first, last, dst);
		if (r < 0)
			secure_wipe(dst, len); /* blocks before the bad one were opened */
		return r < 0 ? r : (ssize_t)len;
	}
	plain = malloc(plen);
	if (!plain)
		return -ENOMEM;
	r = read_blocks(op, first, last, plain);
	if (r == 0)
		memcpy(dst, plain + (off - first * g->plain_size), len);
	free_wiped(plain, plen);
	return r < 0 ? r : (ssize_t)len;
}

static ssize_t read_locked(struct fileop *op, uint8_t *dst, size_t len, uint64_t off)
{
	size_t chunk_max = (size_t)CHUNK_BLOCKS * op->v->geom.plain_size, done = 0, chunk;
	ssize_t r;

	if ((r = fileop_size(op)) < 0)
		return r;
	if (off >= op->psize)
		return 0;
	len = (size_t)min_u64(len, op->psize - off);
	if ((r = fileop_header(op)) < 0)
		return r;
	while (done < len) {
		/* chunks end on block boundaries so that no block is read twice */
		chunk = chunk_max - (size_t)((off + done) % op->v->geom.plain_size);
		chunk = (size_t)min_u64(chunk, len - done);
		if ((r = read_chunk(op, dst + done, chunk, off + done)) < 0)
			return r;
		done += chunk;
	}
	return (ssize_t)len;
}

ssize_t vault_read(struct vault *v, struct vnode *n, void *buf, size_t len, uint64_t off)
{
	uint64_t ps = v->geom.plain_size, first, last;
	struct fileop op;
	ssize_t r;

	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	if (off > (uint64_t)INT64_MAX)
		return -EINVAL;
	len = (size_t)min_u64(len, (uint64_t)INT64_MAX - off);
	if ((r = fileop_begin(&op, v, n)) < 0)
		return r;
	if (len == 0)
		goto out;
	first = off / ps;
	last = (off + len - 1) / ps;
	pthread_rwlock_rdlock(&n->rw);
	if ((r = vault_lock_blocks(v, n, op.fd, first, last, false)) == 0) {
		r = read_locked(&op, buf, len, off);
		vault_unlock_blocks(v, n, op.fd, first, last);
	}
	pthread_rwlock_unlock(&n->rw);
out:
	fileop_end(&op);
	return r;
}

/*
 * The new plaintext of block nb: *out points into src when the write covers the whole
 * block (no copy), else to plain, filled with the old contents where the write does not
 * cover it.
 */
static int compose_block(struct fileop *op, uint64_t nb, const uint8_t *src, size_t len,
			 uint64_t off, uint64_t new_end, uint8_t *plain, size_t *plen,
			 const uint8_t **out)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t bstart = nb * g->plain_size, cstart, cend;
	int r;

	*plen = (size_t)min_u64(g->plain_size, new_end - bstart);
	cstart = max_u64(off, bstart);
	cend = min_u64(off + len, bstart + *plen);
	if (cstart == bstart && cend == bstart + *plen) {
		*out = src + (cstart - off);
		return 0;
	}
	*out = plain;
	memset(plain, 0, g->plain_size);
	if (nb < block_count(g, op->psize) && (r = read_blocks(op, nb, nb, plain)) < 0)
		return r;
	if (cend > cstart)
		memcpy(plain + (cstart - bstart), src + (cstart - off), (size_t)(cend - cstart));
	return 0;
}

/* Re-seal the old last block nb as a full, non-final block (the file grows past it). */
static int reseal_block(struct fileop *op, uint64_t nb, uint8_t *plain, uint8_t *out)
{
	int r;

	memset(plain, 0, op->v->geom.plain_size);
	if ((r = read_blocks(op, nb, nb, plain)) < 0)
		return r;
	return blockio_seal(&op->b, nb, false, plain, op->v->geom.plain_size, out);
}

struct write_plan {
	uint64_t old_nb, new_nb, new_end;
	uint64_t first, last;
	uint64_t span;   /* first block of the contiguous lower write */
	bool reseal;     /* the old last block must be re-sealed as non-final */
	bool reseal_sep; /* ... and it is not adjacent to first */
};

static void write_plan(const struct fileop *op, size_t len, uint64_t off, struct write_plan *p)
{
	const struct block_geom *g = &op->v->geom;

	p->old_nb = block_count(g, op->psize);
	p->new_end = max_u64(op->psize, off + len);
	p->new_nb = block_count(g, p->new_end);
	p->first = off / g->plain_size;
	p->last = (off + len - 1) / g->plain_size;
	p->reseal = p->old_nb > 0 && p->new_nb > p->old_nb && p->old_nb - 1 < p->first;
	p->reseal_sep = p->reseal && p->old_nb < p->first;
	p->span = p->reseal && !p->reseal_sep ? p->first - 1 : p->first;
}

static int write_separate_reseal(struct fileop *op, const struct write_plan *p, uint8_t *plain)
{
	const struct block_geom *g = &op->v->geom;
	uint8_t *out = malloc(g->cipher_size);
	int r;

	if (!out)
		return -ENOMEM;
	r = reseal_block(op, p->old_nb - 1, plain, out);
	if (r == 0)
		r = store_pwrite_full(op->v->store, op->fd, out, g->cipher_size,
				      block_cipher_offset(g, p->old_nb - 1));
	free(out);
	return r;
}

static int seal_span(struct fileop *op, const struct write_plan *p, const uint8_t *src,
		     size_t len, uint64_t off, uint8_t *plain, uint8_t *out, size_t *outlen)
{
	const struct block_geom *g = &op->v->geom;
	const uint8_t *pt;
	size_t plen;
	uint64_t nb;
	int r;

	*outlen = 0;
	if (p->reseal && !p->reseal_sep) {
		if ((r = reseal_block(op, p->span, plain, out)) < 0)
			return r;
		*outlen = g->cipher_size;
	}
	for (nb = p->first; nb <= p->last; nb++) {
		if ((r = compose_block(op, nb, src, len, off, p->new_end, plain, &plen, &pt)) < 0)
			return r;
		r = blockio_seal(&op->b, nb, nb + 1 == p->new_nb, pt, plen, out + *outlen);
		if (r < 0)
			return r;
		*outlen += plen + g->overhead;
	}
	return 0;
}

/*
 * What a failed write must put back so that the file reads as before it: the lower size
 * (a lower write cut short by a full disk leaves a torn block at the new end) and, when
 * the write grows the file, the stored bytes of the old last block, which it rewrites or
 * re-seals as non-final.
 */
struct write_undo {
	uint64_t csize;  /* lower size before the write */
	uint64_t at;     /* lower offset of the saved block */
	size_t len;      /* its stored length; 0 = nothing saved */
	uint8_t *stored;
};

static int undo_save(struct fileop *op, const struct write_plan *p, struct write_undo *u)
{
	const struct block_geom *g = &op->v->geom;
	ssize_t got;

	*u = (struct write_undo){ .csize = op->csize };
	/* a growing write rewrites or re-seals the old last block */
	if (p->new_end <= op->psize || p->old_nb == 0)
		return 0;
	u->at = block_cipher_offset(g, p->old_nb - 1);
	u->len = (size_t)(op->csize - u->at);
	if (!(u->stored = malloc(u->len)))
		return -ENOMEM;
	got = store_pread_full(op->v->store, op->fd, u->stored, u->len, u->at);
	if (got < 0)
		return (int)got;
	return (size_t)got == u->len ? 0 : -EIO;
}

/*
 * A lower write that failed after `done` bytes at `at` may have torn a block inside the
 * old size. Only a block with unallocated space (a hole: all zeros) can run out of space
 * when overwritten, so the torn block was a hole: zeroing what was written of it (space
 * already allocated) makes it a hole again.
 */
static int undo_torn_hole(struct fileop *op, const struct write_undo *u, uint64_t at,
			  uint64_t done)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t tear = at + done, bstart, hdr = block_cipher_offset(g, 0);
	uint64_t stored = (uint64_t)g->plain_size + g->overhead;
	static const uint8_t zeros[4096 + 64];

	if (done == 0 || tear >= u->csize || (tear - hdr) % stored == 0)
		return 0;
	bstart = hdr + (tear - hdr) / stored * stored;
	if (u->len && bstart == u->at)
		return 0; /* the saved old last block is put back whole */
	bstart = bstart > at ? bstart : at;
	if (tear - bstart > sizeof(zeros))
		return -EIO;
	return store_pwrite_full(op->v->store, op->fd, zeros, (size_t)(tear - bstart), bstart);
}

/* Best effort: a second failure is logged, and a read of that block then reports EIO. */
static void undo_apply(struct fileop *op, const struct write_plan *p, const struct write_undo *u,
		       int err, uint64_t at, uint64_t done)
{
	int r = undo_torn_hole(op, u, at, done);

	if (r == 0 && p->new_end > op->psize)
		r = store_ftruncate(op->v->store, op->fd, u->csize);
	if (r == 0 && u->len)
		r = store_pwrite_full(op->v->store, op->fd, u->stored, u->len, u->at);
	if (r < 0)
		log_error("write to '%s' failed (%s) and could not be undone (%s)",
			  fileop_what(op), strerror(-err), strerror(-r));
	else
		log_warn("write to '%s' failed (%s); the file is left as it was",
			 fileop_what(op), strerror(-err));
}

/* pwrite all of buf at off; *done counts what reached the lower file even on failure. */
static int write_span(struct fileop *op, const uint8_t *buf, size_t n, uint64_t off,
		      uint64_t *done)
{
	ssize_t r;

	for (*done = 0; *done < n; *done += (uint64_t)r) {
		r = store_pwrite(op->v->store, op->fd, buf + *done, n - (size_t)*done, off + *done);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -EIO;
	}
	return 0;
}

/* Write len bytes at off (header present, caller holds the locks). */
static int write_blocks(struct fileop *op, const uint8_t *src, size_t len, uint64_t off)
{
	const struct block_geom *g = &op->v->geom;
	struct write_plan p;
	struct write_undo undo = { 0 };
	uint8_t *plain, *out = NULL, *nonces = NULL;
	size_t outlen = 0, outcap, nseal;
	uint64_t done = 0;
	int r = -ENOMEM;

	write_plan(op, len, off, &p);
	outcap = (size_t)(p.last - p.span + 1) * g->cipher_size;
	/* one random draw for every block this write seals */
	nseal = (size_t)(p.last - p.span + 1) + (p.reseal_sep ? 1 : 0);
	plain = malloc(g->plain_size);
	if (!plain || !(out = malloc(outcap)))
		goto out;
	if (nseal > 1 && (nonces = malloc(nseal * g->nonce_len))) {
		if ((r = random_bytes(nonces, nseal * g->nonce_len)) < 0)
			goto out;
		op->b.nonces = nonces;
		op->b.nonces_left = nseal;
	}
	if ((r = seal_span(op, &p, src, len, off, plain, out, &outlen)) < 0)
		goto out;
	if ((r = undo_save(op, &p, &undo)) < 0)
		goto out;
	if (p.reseal_sep && (r = write_separate_reseal(op, &p, plain)) < 0)
		goto undo;
	r = write_span(op, out, outlen, block_cipher_offset(g, p.span), &done);
	if (r < 0)
		goto undo;
	op->psize = p.new_end;
	op->csize = block_cipher_size(g, p.new_end);
	goto out;
undo:
	undo_apply(op, &p, &undo, r, block_cipher_offset(g, p.span), done);
out:
	op->b.nonces = NULL;
	op->b.nonces_left = 0;
	free(undo.stored);
	free(nonces);
	free_wiped(plain, g->plain_size);
	free(out);
	return r;
}

/* The blocks a write of len bytes at off must lock (all from the old last block when it grows). */
static void write_range(const struct fileop *op, size_t len, uint64_t off, uint64_t *lf,
			uint64_t *ll)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t nb = block_count(g, op->psize);

	*lf = off / g->plain_size;
	*ll = (off + len - 1) / g->plain_size;
	if (off + len > op->psize) {
		*ll = VAULT_LOCK_TO_END;
		if (nb > 0)
			*lf = min_u64(*lf, nb - 1);
	}
}

/*
 * Take the shared-storage lock for a write and refresh the size under it; retry when
 * another client changed the size so that the locked range no longer covers the write.
 * With append, *off becomes the end of file seen under the lock.
 */
static int write_lock(struct fileop *op, size_t len, uint64_t *off, bool append, uint64_t *lf,
		      uint64_t *ll)
{
	uint64_t f2, l2, off2;
	int r, tries;

	for (tries = 0; tries < LOCK_RETRIES; tries++) {
		if ((r = fileop_size(op)) < 0)
			return r;
		if (append)
			*off = op->psize;
		write_range(op, len, *off, lf, ll);
		if ((r = vault_lock_blocks(op->v, op->n, op->fd, *lf, *ll, true)) < 0)
			return r;
		if (!vault_lock_is_shared(op->v))
			return 0;
		if ((r = fileop_size(op)) < 0)
			goto fail;
		off2 = append ? op->psize : *off;
		write_range(op, len, off2, &f2, &l2);
		if (off2 == *off && f2 >= *lf && (*ll == VAULT_LOCK_TO_END || l2 <= *ll))
			return 0;
		vault_unlock_blocks(op->v, op->n, op->fd, *lf, *ll);
	}
	return -EAGAIN;
fail:
	vault_unlock_blocks(op->v, op->n, op->fd, *lf, *ll);
	return r;
}

static int ensure_header(struct fileop *op)
{
	return op->csize == 0 ? fileop_header_create(op) : fileop_header(op);
}

static void after_change(struct fileop *op)
{
	struct stat st;

	if (vault_lock_is_shared(op->v) && SOP(op->v, fstat, op->fd, &st) == 0)
		vnode_snapshot(op->n, &st);
}

static int write_chunk(struct fileop *op, const uint8_t *src, size_t len, uint64_t *off,
		       bool append)
{
	uint64_t lf, ll;
	int r;

	if ((r = write_lock(op, len, off, append, &lf, &ll)) < 0)
		return r;
	if (*off + len > (uint64_t)INT64_MAX)
		r = -EFBIG;
	else if ((r = ensure_header(op)) == 0)
		r = write_blocks(op, src, len, *off);
	vault_unlock_blocks(op->v, op->n, op->fd, lf, ll);
	return r;
}

static ssize_t write_locked(struct fileop *op, const uint8_t *src, size_t len, uint64_t *off,
			    bool append)
{
	size_t chunk_max = (size_t)CHUNK_BLOCKS * op->v->geom.plain_size, done = 0, chunk;
	uint64_t at;
	int r;

	while (done < len) {
		at = *off + done;
		chunk = done ? chunk_max - (size_t)(at % op->v->geom.plain_size) : chunk_max;
		chunk = (size_t)min_u64(chunk, len - done);
		if ((r = write_chunk(op, src + done, chunk, &at, append && !done)) < 0)
			return done ? (ssize_t)done : r;
		if (!done)
			*off = at;
		done += chunk;
	}
	after_change(op);
	return (ssize_t)len;
}

ssize_t vault_write(struct vault *v, struct vnode *n, const void *buf, size_t len, uint64_t off,
		    bool append, uint64_t *written_at)
{
	struct fileop op;
	ssize_t r;

	if (vault_is_ro(v))
		return -EROFS;
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	if (!append && (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off))
		return -EFBIG;
	if ((r = fileop_begin(&op, v, n)) < 0)
		return r;
	if ((r = vnode_io_writable(n)) < 0)
		goto out;
	pthread_rwlock_wrlock(&n->rw);
	if (len == 0) {
		if (append && (r = fileop_size(&op)) == 0)
			off = op.psize;
	} else {
		r = write_locked(&op, buf, len, &off, append);
	}
	pthread_rwlock_unlock(&n->rw);
	if (r >= 0 && written_at)
		*written_at = off;
out:
	fileop_end(&op);
	return r;
}

/* Cut the file to size (0 < size < psize): re-seal the new last block as final. */
static int shrink(struct fileop *op, uint64_t size)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t last = (size - 1) / g->plain_size;
	size_t newlen = (size_t)(size - last * g->plain_size);
	uint8_t *plain = calloc(1, g->plain_size), *out = malloc(g->cipher_size);
	int r = -ENOMEM;

	if (!plain || !out)
		goto out;
	if ((r = fileop_header(op)) < 0 || (r = read_blocks(op, last, last, plain)) < 0)
		goto out;
	if ((r = blockio_seal(&op->b, last, true, plain, newlen, out)) < 0)
		goto out;
	if ((r = SOP(op->v, ftruncate, op->fd, block_cipher_size(g, size))) < 0)
		goto out;
	r = store_pwrite_full(op->v->store, op->fd, out, newlen + g->overhead,
			      block_cipher_offset(g, last));
out:
	free_wiped(plain, g->plain_size);
	free(out);
	return r;
}

/* Grow the file to size > psize: the new region reads as zeros, skipped blocks stay holes. */
static int grow(struct fileop *op, uint64_t size)
{
	static const uint8_t zero[1];
	int r;

	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if ((r = ensure_header(op)) < 0)
		return r;
	return write_blocks(op, zero, 1, size - 1);
}

static int resize_locked(struct fileop *op, uint64_t size, bool only_grow)
{
	int r;

	if ((r = vault_lock_blocks(op->v, op->n, op->fd, 0, VAULT_LOCK_TO_END, true)) < 0)
		return r;
	if ((r = fileop_size(op)) < 0)
		goto out;
	if (size > op->psize)
		r = grow(op, size);
	else if (only_grow || size == op->psize)
		r = 0;
	else if (size == 0) {
		r = SOP(op->v, ftruncate, op->fd, 0);
		vnode_forget_header(op->n);
	} else
		r = shrink(op, size);
	after_change(op);
out:
	vault_unlock_blocks(op->v, op->n, op->fd, 0, VAULT_LOCK_TO_END);
	return r;
}

static int resize(struct vault *v, struct vnode *n, uint64_t size, bool only_grow)
{
	struct fileop op;
	int r;

	if (vault_is_ro(v))
		return -EROFS;
	if ((r = fileop_begin(&op, v, n)) < 0)
		return r;
	if ((r = vnode_io_writable(n)) < 0)
		goto out;
	pthread_rwlock_wrlock(&n->rw);
	r = resize_locked(&op, size, only_grow);
	pthread_rwlock_unlock(&n->rw);
out:
	fileop_end(&op);
	return r;
}

int vault_truncate(struct vault *v, struct vnode *n, uint64_t size)
{
	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	return resize(v, n, size, false);
}

/*
 * Mode 0 extends the file like truncate-up when off + len is past the end. Space is not
 * reserved in the lower file: the new region is a hole there, as after truncate.
 */
int vault_fallocate(struct vault *v, struct vnode *n, int mode, uint64_t off, uint64_t len)
{
	if (mode != 0)
		return -EOPNOTSUPP;
	if (len == 0)
		return -EINVAL;
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return -EFBIG;
	return resize(v, n, off + len, true);
}

int vault_fsync(struct vault *v, struct vnode *n, bool datasync)
{
	int fd, r;

	if (n->type == S_IFDIR) {
		r = SOP(v, fsync, n->fd, datasync);
		return r == -EBADF ? 0 : r;
	}
	if (n->type != S_IFREG)
		return 0;
	if ((r = vnode_io_get(v, n, &fd)) < 0)
		return r;
	r = SOP(v, fsync, fd, datasync);
	vnode_io_put(v, n);
	return r;
}

int vault_open_file(struct vault *v, struct vnode *n, int flags)
{
	int acc = flags & O_ACCMODE, fd, r;

	if (n->type == S_IFDIR)
		return -EISDIR;
	if (n->type != S_IFREG)
		return -EINVAL;
	if (vault_is_ro(v) && (acc != O_RDONLY || (flags & O_TRUNC)))
		return -EROFS;
	if ((r = vnode_io_get(v, n, &fd)) < 0)
		return r;
	if (acc != O_RDONLY && (r = vnode_io_writable(n)) == 0 && (flags & O_TRUNC))
		r = vault_truncate(v, n, 0);
	if (r < 0)
		vnode_io_put(v, n);
	return r;
}

int vault_release_file(struct vault *v, struct vnode *n)
{
	if (n->type != S_IFREG)
		return -EINVAL;
	vnode_io_put(v, n);
	return 0;
}

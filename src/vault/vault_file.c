/*
 * File contents: read, write, truncate, fallocate, lseek, fsync, open and release of
 * regular files over the content codec (codec/) and the per-file state (file_state.c).
 *
 * Rules from docs/FORMAT.md, "Content blocks": only the last block may be short and it is
 * sealed with the final flag; when a file grows past its last block, that block is
 * re-sealed as a full, non-final block; blocks a write skips over are never written, so
 * they stay holes (all-zero lower bytes) that read as zeros.
 *
 * Concurrency: the vnode's FIFO range lock (vnode.rl, over block numbers) orders threads
 * of this client; coord/filelock.c orders clients. In single-client mode the vnode knows the size
 * the file will have once every queued operation is done (known_psize), so an operation
 * plans under rl.mutex, queues its block ranges and updates that size in one step, and
 * runs once its ranges are granted: reads take [first, last] shared; writes take their
 * blocks exclusive, including the new final block and, when they extend the file, the
 * skipped blocks and (as a second request) the old final block, which they re-seal as
 * non-final after their own blocks are written. So writes to disjoint blocks, reads, and
 * a run of appends (each waits only for the previous one's final block) run in parallel,
 * and every block's final flag matches the size in queue order. Truncate, fallocate,
 * header creation, writes that skip past a short last block (its re-seal is ordered for
 * crashes, write_apply()), writes larger than one chunk, shared mode, and any operation
 * while the size is not known (first use, after an error) hold the whole file [0, end]
 * instead and read the size from the lower file.
 */
#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <limits.h>
#include <stdint.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "vault/file_tail.h"
#include "vault/vault_internal.h"
#include "vault/write_plan.h"

enum {
	/* Blocks handled per lower I/O call (bounds the temporary buffers). */
	CHUNK_BLOCKS = 256,
	LOCK_RETRIES = 8,
	/* shared mode: re-reads of a block that failed to open under the lock (1, 4, 16 ms) */
	READ_RETRIES = 3,
	/* Sequential reads: keep the lower file read ahead this far past the current read. */
	READ_AHEAD = 4 << 20,
	/*
	 * Writes: start write-back of the lower file in steps of WRITE_OUT, staying WRITE_LAG
	 * behind the furthest write (earlier writes may still be in flight below it), so that
	 * a final fsync finds little left to write.
	 */
	WRITE_OUT = 8 << 20,
	WRITE_LAG = 8 << 20,
	/* Lower size reads (or plans) made again when requests keep changing the size. */
	SIZE_TRIES = 4,
	/* Writes of at most this many blocks ask for their lower pages early (prefetch_span). */
	PREFETCH_BLOCKS = 16,
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
	got = fileop_pread(op, cbuf, clen, coff);
	if (got < 0) {
		r = (int)got;
		goto out;
	}
	if ((size_t)got != clen) {
		if (!op->unlocked)
			log_error("short read of '%s' at %llu", fileop_what(op),
				  (unsigned long long)coff);
		goto out;
	}
	for (nb = first; nb <= last; nb++) {
		at = (size_t)(nb - first) * g->cipher_size;
		slen = (size_t)min_u64(g->cipher_size, clen - at);
		r = fileop_open_block(op, nb, nb + 1 == nblocks, cbuf + at, slen,
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

/*
 * A chunk whose block failed to open (r) under a cross-client lock: verify and retry.
 * The lock guarantees that no other client is writing these blocks, so a block that does
 * not authenticate was read from a cache of the lower client that lagged behind the
 * server, or against a size that did; read the size and the blocks again, fresh, a few
 * times before the error stands.
 */
static ssize_t read_chunk_again(struct fileop *op, uint8_t *dst, size_t len, uint64_t off,
				ssize_t r)
{
	unsigned tries, delay_ms = 1;

	if (!vault_lock_is_shared(op->v) || (r != -EBADMSG && r != -EPROTO))
		return r;
	for (tries = 0; tries < READ_RETRIES; tries++) {
		clock_sleep_ms(delay_ms);
		delay_ms *= 4;
		if ((r = fileop_size(op)) < 0)
			return r;
		if (off + len > op->psize)
			return -EIO; /* the file changed under our lock: cannot be */
		r = read_chunk(op, dst, len, off);
		if (r != -EBADMSG && r != -EPROTO)
			break;
	}
	if (r >= 0)
		log_warn("'%s' read fine at offset %llu after %u retries (a lagging lower cache)",
			 fileop_what(op), (unsigned long long)off, tries + 1);
	return r;
}

static ssize_t read_locked(struct fileop *op, uint8_t *dst, size_t len, uint64_t off,
			   bool size_known)
{
	size_t chunk_max = (size_t)CHUNK_BLOCKS * op->v->geom.plain_size, done = 0, chunk;
	ssize_t r;

	if (!size_known && (r = op->unlocked ? fileop_size_quiet(op) : fileop_size(op)) < 0)
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
		if ((r = read_chunk(op, dst + done, chunk, off + done)) < 0 && !op->unlocked)
			r = read_chunk_again(op, dst + done, chunk, off + done, r);
		if (r < 0)
			return r;
		done += chunk;
	}
	return (ssize_t)len;
}

/*
 * Under rl.mutex, single-client mode: the size the file will have once every queued
 * operation is done, into op->csize/psize. With no exclusive request queued nothing can
 * change the size, so it is read from the lower file (changes below are seen as before):
 * outside the mutex, and used only when no request that may change the size was queued
 * meanwhile (n->size_gen unchanged: an overwrite inside the file does not count); else it
 * is the size the queued writes will leave. *known is
 * false when neither applies (shared mode, a whole-file operation queued, an earlier
 * write failed, or requests kept changing the size while the lower size was read).
 * May drop and retake rl.mutex.
 */
static int size_now_locked(struct fileop *op, bool *known)
{
	struct vnode *n = op->n;
	uint64_t gen;
	int tries, r;

	*known = false;
	if (vault_lock_is_shared(op->v))
		return 0;
	for (tries = 0; tries < SIZE_TRIES; tries++) {
		if (rangelock_has_exclusive(&n->rl)) {
			if (!n->size_known || n->slow_ops > 0)
				return 0;
			op->csize = n->known_csize;
			op->psize = n->known_psize;
			*known = true;
			return 0;
		}
		gen = n->size_gen;
		rangelock_leave(&n->rl);
		r = fileop_size_quiet(op);
		rangelock_enter(&n->rl);
		if (r < 0)
			return r;
		if (n->size_gen == gen) {
			n->known_csize = op->csize;
			n->known_psize = op->psize;
			n->size_known = true;
			*known = true;
			return 0;
		}
		/* a request queued meanwhile may have changed the size: look again */
	}
	return 0;
}

/* Under rl.mutex: the known size changes other than by reading it (see size_now_locked). */
static void size_changed_locked(struct vnode *n)
{
	n->size_gen++;
}

/* After rangelock_leave(): the log line for a malformed size found by size_now_locked(). */
static int size_error(struct fileop *op, int r)
{
	if (r == -EPROTO)
		fileop_log_size(op);
	return r;
}

/*
 * Under rl.mutex, for a read of len bytes at off (below the known size op->psize): when
 * it continues near where the last reads ended, the lower range to read ahead (*alen 0:
 * none).
 * The window is topped up once half of it is used, so most reads send no hint.
 */
static void read_ahead_locked(struct fileop *op, uint64_t off, size_t len, uint64_t *aoff,
			      uint64_t *alen)
{
	const struct block_geom *g = &op->v->geom;
	struct vnode *n = op->n;
	uint64_t end = min_u64(off + len, op->psize), cend, to;

	*alen = 0;
	/* the kernel sends a sequential reader's requests in parallel, not always in order */
	if (off > n->read_next + READ_AHEAD || off + READ_AHEAD < n->read_next) {
		n->read_next = end;
		n->ahead_to = 0;
		return;
	}
	n->read_next = max_u64(n->read_next, end);
	cend = min_u64(block_cipher_offset(g, (end + g->plain_size - 1) / g->plain_size),
		       op->csize);
	if (n->ahead_to >= cend + READ_AHEAD / 2)
		return;
	*aoff = max_u64(n->ahead_to, cend);
	to = min_u64(cend + READ_AHEAD, op->csize);
	if (to <= *aoff)
		return;
	*alen = to - *aoff;
	n->ahead_to = to;
}

/*
 * lockfiles mode, a read within one block: first without the lock file (docs/SHARED.md,
 * "Reads without the lock file"). The size, header and block are read fresh; a block
 * that authenticates as block `first` of this file's key, final or not as that size
 * says, is one whole version of it that the server held during this read. Anything
 * else (a torn block of a concurrent write, a size or header that moved meanwhile, an
 * error) is quiet and returns -EAGAIN: the caller reads again under the lock file.
 */
static ssize_t read_unlocked(struct fileop *op, void *buf, size_t len, uint64_t off,
			     uint64_t first, uint64_t last)
{
	ssize_t r;

	if (op->v->coord.mode != COORD_LOCKFILES || first != last)
		return -EAGAIN;
	op->unlocked = true;
	r = read_locked(op, buf, len, off, false);
	op->unlocked = false;
	if (r >= 0)
		return r;
	secure_wipe(buf, len);
	op->have_id = false; /* the locked read reads the header again */
	return -EAGAIN;
}

ssize_t vault_read(struct vault *v, struct vnode *n, void *buf, size_t len, uint64_t off)
{
	uint64_t ps = v->geom.plain_size, first, last;
	uint64_t ahead_off = 0, ahead_len = 0;
	struct range_req req;
	struct fileop op;
	bool known;
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
	rangelock_enter(&n->rl);
	r = size_now_locked(&op, &known);
	if (r < 0 || (known && off >= op.psize)) {
		rangelock_leave(&n->rl);
		r = size_error(&op, (int)r);
		goto out; /* r == 0: at or past the end */
	}
	if (known) {
		rangelock_add(&n->rl, &req, first, (min_u64(off + len, op.psize) - 1) / ps, false);
	} else {
		/* size read later under the lock; a hint past the end does no harm */
		op.psize = (uint64_t)INT64_MAX;
		op.csize = (uint64_t)INT64_MAX;
	}
	read_ahead_locked(&op, off, len, &ahead_off, &ahead_len);
	rangelock_leave(&n->rl);
	if (known)
		rangelock_wait(&n->rl, &req);
	else
		fileop_lock_whole(&op, &req, false);
	if (ahead_len)
		store_advise(v->store, op.fd, ahead_off, ahead_len, STORE_ADVISE_WILLNEED);
	r = read_unlocked(&op, buf, len, off, first, last);
	if (r == -EAGAIN && (r = filelock_blocks(&op.lock, first, last, false)) == 0) {
		r = read_locked(&op, buf, len, off, known);
		filelock_unlock_blocks(&op.lock, first, last);
	}
	if (known)
		rangelock_remove(&n->rl, &req);
	else
		fileop_unlock_whole(&op, &req, r >= 0);
out:
	fileop_end(&op);
	return r;
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

/*
 * Whether no write queued after this one extends the file further (then nothing else
 * builds on the end this write would have made, and the file may be cut back).
 */
static bool last_extender(struct vnode *n, uint64_t new_end)
{
	bool last;

	rangelock_enter(&n->rl);
	last = n->size_known && n->known_psize == new_end;
	rangelock_leave(&n->rl);
	return last;
}

/*
 * Best effort: a second failure is logged, and a read of that block then reports EIO.
 * may_cut: the lower file may be cut back to its old size (no later write builds on it).
 */
static void undo_apply(struct fileop *op, const struct write_plan *p, const struct write_undo *u,
		       int err, uint64_t at, uint64_t done, bool may_cut)
{
	int r = undo_torn_hole(op, u, at, done);

	if (r == 0 && p->new_size > p->old_size && may_cut)
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

/*
 * Reserve the lower space a write needs before writing anything, so that a full disk
 * fails the write cleanly instead of tearing a block (lower file systems without
 * fallocate: the undo above).
 */
static int reserve_span(struct fileop *op, size_t n, uint64_t off)
{
	int r = store_reserve(op->v->store, op->fd, off, n);

	if (r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		log_warn("write to '%s' failed (%s); nothing was written", fileop_what(op),
			 strerror(-r));
	return r;
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

/*
 * Block nb's old plaintext into plain (zeros past its old end): from the stored bytes the
 * undo saved when it holds that block (the old last block of a growing write: read once,
 * for both), else read.
 */
static int old_block(struct fileop *op, const struct write_plan *p, uint64_t nb,
		     const struct write_undo *u, uint8_t *plain)
{
	const struct block_geom *g = &op->v->geom;
	size_t plen;

	memset(plain, 0, g->plain_size);
	if (!u->len || u->at != block_cipher_offset(g, nb))
		return read_blocks(op, nb, nb, plain);
	return fileop_open_block(op, nb, nb + 1 == p->old_blocks, u->stored, u->len, plain, &plen);
}

/*
 * Where the re-seal of the old final block (p->reseal) goes among a write's lower writes.
 * The one place that orders them: a queued write holds that block only as a second
 * request, granted later, so it re-seals after its own blocks (a full old last block
 * only: write_enqueue() sends a short one to the whole-file path); a write that holds the
 * whole file seals it at the front of its one lower write when adjacent, else reads it
 * first and re-seals it after its own blocks (a short one also made full and final
 * before them: write_apply()).
 */
enum reseal_order {
	RESEAL_NONE,
	RESEAL_IN_SPAN, /* sealed at the front of the span: one lower write */
	RESEAL_BEFORE,  /* read before the span; its own lower write after the span's */
	RESEAL_AFTER,   /* its own lower write, after the span's (and after reseal_req) */
};

static enum reseal_order reseal_order(const struct write_plan *p, bool queued)
{
	if (!p->reseal)
		return RESEAL_NONE;
	if (queued)
		return RESEAL_AFTER;
	return p->reseal_adjacent ? RESEAL_IN_SPAN : RESEAL_BEFORE;
}

/* The first block of the span (the contiguous lower write) of plan p. */
static uint64_t span_first(const struct write_plan *p, enum reseal_order order)
{
	return order == RESEAL_IN_SPAN ? p->reseal_block : p->first;
}

/*
 * The old blocks a write reads before it seals, by slot of its buffer of old plaintext:
 * OLD_HEAD and OLD_TAIL, the first and last written block when read-modified; OLD_RESEAL,
 * the old final block re-sealed in or before the span (a re-seal after it is read after
 * its request is granted).
 */
enum { OLD_HEAD, OLD_TAIL, OLD_RESEAL, OLD_SLOTS };

/* Block number of slot i of plan p's old blocks, or UINT64_MAX when it is not read now. */
static uint64_t old_slot_block(const struct write_plan *p, enum reseal_order order, int i)
{
	if (i == OLD_HEAD && p->head == WRITE_PLAN_READ_MODIFY)
		return p->first;
	if (i == OLD_TAIL && p->count > 1 && p->tail == WRITE_PLAN_READ_MODIFY)
		return p->first + p->count - 1;
	if (i == OLD_RESEAL && (order == RESEAL_IN_SPAN || order == RESEAL_BEFORE))
		return p->reseal_block;
	return UINT64_MAX;
}

/*
 * The new plaintext of block nb of plan p (a write of src[0, len) at off): in src when the
 * plan writes the block whole (no copy), else the old plaintext of its slot (zeros for a
 * zero-fill) with the written bytes merged in. *plen: its new length.
 */
static const uint8_t *compose_block(const struct write_plan *p, uint64_t nb, const uint8_t *src,
				    size_t len, uint64_t off, uint8_t *old, uint32_t ps,
				    size_t *plen)
{
	uint64_t bstart = nb * ps, cstart, cend;
	enum write_plan_edge how = WRITE_PLAN_WHOLE;
	uint8_t *plain;

	*plen = write_plan_block_len(p, nb, ps);
	if (nb == p->first)
		how = p->head;
	else if (nb == p->first + p->count - 1)
		how = p->tail;
	if (how == WRITE_PLAN_WHOLE)
		return src + (bstart - off);
	plain = old + (size_t)(nb == p->first ? OLD_HEAD : OLD_TAIL) * ps;
	cstart = max_u64(off, bstart);
	cend = min_u64(off + len, bstart + *plen);
	memcpy(plain + (cstart - bstart), src + (cstart - off), (size_t)(cend - cstart));
	return plain;
}

/* Seal the blocks of the span into out (*outlen bytes); old: see OLD_SLOTS. */
static int seal_span(struct fileop *op, const struct write_plan *p, enum reseal_order order,
		     const uint8_t *src, size_t len, uint64_t off, uint8_t *old, uint8_t *out,
		     size_t *outlen)
{
	const struct block_geom *g = &op->v->geom;
	const uint8_t *pt;
	size_t plen;
	uint64_t nb;
	int r;

	*outlen = 0;
	if (order == RESEAL_IN_SPAN) {
		r = codec_seal(&op->b, p->reseal_block, false, old + OLD_RESEAL * g->plain_size,
			       g->plain_size, out);
		if (r < 0)
			return r;
		*outlen = g->cipher_size;
	}
	for (nb = p->first; nb < p->first + p->count; nb++) {
		pt = compose_block(p, nb, src, len, off, old, g->plain_size, &plen);
		r = codec_seal(&op->b, nb, nb == p->final_block, pt, plen, out + *outlen);
		if (r < 0)
			return r;
		*outlen += plen + g->overhead;
	}
	return 0;
}

/* The old final block, its old plaintext in plain, re-sealed full (and final or not) alone. */
static int write_reseal(struct fileop *op, const struct write_plan *p, const uint8_t *plain,
			bool final)
{
	const struct block_geom *g = &op->v->geom;
	uint8_t *out = malloc(g->cipher_size);
	int r = -ENOMEM;

	if (!out)
		goto out;
	if ((r = codec_seal(&op->b, p->reseal_block, final, plain, g->plain_size, out)) < 0)
		goto out;
	r = store_pwrite_full(op->v->store, op->fd, out, g->cipher_size,
			      block_cipher_offset(g, p->reseal_block));
out:
	free(out);
	return r;
}

/*
 * Save what undo_apply() puts back: the lower size, and the stored bytes of the old last
 * block when a growing write rewrites or re-seals it. A re-seal after reseal_req is
 * granted does not count: that block is not held before, and is read then.
 */
static int undo_save(struct fileop *op, const struct write_plan *p, enum reseal_order order,
		     struct write_undo *u)
{
	const struct block_geom *g = &op->v->geom;
	ssize_t got;

	*u = (struct write_undo){ .csize = op->csize };
	if (p->new_size <= p->old_size || p->old_blocks == 0 || order == RESEAL_AFTER)
		return 0;
	u->at = block_cipher_offset(g, p->old_blocks - 1);
	u->len = (size_t)(op->csize - u->at);
	if (!(u->stored = malloc(u->len)))
		return -ENOMEM;
	got = fileop_pread(op, u->stored, u->len, u->at);
	if (got < 0)
		return (int)got;
	return (size_t)got == u->len ? 0 : -EIO;
}

/*
 * A small write's lower span starts and ends inside lower pages (a cipher block is longer
 * than a page), which the lower write must read first when they are not cached: ext4 does
 * that under its inode lock, one request after another. Asked for here, before the
 * sealing, the reads of parallel requests overlap instead (the lower write waits for its
 * pages). Past the lower end there is nothing to read; large writes are sequential and
 * read ahead anyway.
 */
static void prefetch_span(struct fileop *op, uint64_t span, size_t nspan)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t at = block_cipher_offset(g, span);

	if (nspan > PREFETCH_BLOCKS || at >= op->csize)
		return;
	store_advise(op->v->store, op->fd, at,
		     min_u64(at + (uint64_t)nspan * g->cipher_size, op->csize) - at,
		     STORE_ADVISE_WILLNEED);
}

/*
 * Carry out plan p, a write of src[0, len) at off (header present, the caller holds the
 * blocks: see write_queued and write_chunk). reseal_req: a queued write's request for the
 * old final block, waited for before it is read and re-sealed. reserved: the caller has
 * reserved the lower space already. On failure the undo puts back what the write changed.
 */
static int write_apply(struct fileop *op, const struct write_plan *p, const uint8_t *src,
		       size_t len, uint64_t off, struct range_req *reseal_req, bool reserved)
{
	const struct block_geom *g = &op->v->geom;
	enum reseal_order order = reseal_order(p, reseal_req != NULL);
	uint64_t span = span_first(p, order), done = 0, nb;
	struct write_undo undo = { 0 };
	uint8_t *old, *out = NULL, *nonces = NULL;
	size_t outlen = 0, nspan = (size_t)(p->first + p->count - span), nseal;
	int i, r = -ENOMEM;

	prefetch_span(op, span, nspan);
	/* one random draw for every block this write seals */
	nseal = nspan + (order == RESEAL_BEFORE || order == RESEAL_AFTER) +
		(order == RESEAL_BEFORE && p->old_size % g->plain_size);
	old = calloc(OLD_SLOTS, g->plain_size);
	if (!old || !(out = malloc(nspan * g->cipher_size)))
		goto out;
	if (nseal > 1 && (nonces = malloc(nseal * g->nonce_len))) {
		if ((r = random_bytes(nonces, nseal * g->nonce_len)) < 0)
			goto out;
		op->b.nonces = nonces;
		op->b.nonces_left = nseal;
	}
	/* the undo first: the old last block it saves is also what the rewrite starts from */
	if ((r = undo_save(op, p, order, &undo)) < 0)
		goto out;
	for (i = 0; i < OLD_SLOTS; i++) {
		nb = old_slot_block(p, order, i);
		if (nb != UINT64_MAX &&
		    (r = old_block(op, p, nb, &undo, old + (size_t)i * g->plain_size)) < 0)
			goto out;
	}
	if ((r = seal_span(op, p, order, src, len, off, old, out, &outlen)) < 0)
		goto out;
	if (!reserved && (r = reserve_span(op, outlen, block_cipher_offset(g, span))) < 0)
		goto out;
	/*
	 * Crash order of a re-seal apart (RESEAL_BEFORE): the old last block stays final
	 * until the new blocks are written (a full block sealed final followed by valid
	 * blocks reads); a short one is first made full and final (zeros past the old end),
	 * since a short block sealed final in what becomes a full slot reads as nothing.
	 */
	if (order == RESEAL_BEFORE && p->old_size % g->plain_size &&
	    (r = write_reseal(op, p, old + OLD_RESEAL * g->plain_size, true)) < 0)
		goto undo;
	pthread_mutex_lock(&op->n->write_mutex);
	r = write_span(op, out, outlen, block_cipher_offset(g, span), &done);
	pthread_mutex_unlock(&op->n->write_mutex);
	if (r < 0)
		goto undo;
	if (order == RESEAL_BEFORE &&
	    (r = write_reseal(op, p, old + OLD_RESEAL * g->plain_size, false)) < 0)
		goto undo;
	if (order == RESEAL_AFTER) {
		if (reseal_req)
			rangelock_wait(&op->n->rl, reseal_req);
		/* the new blocks are all written (done == outlen) when these fail */
		if ((r = old_block(op, p, p->reseal_block, &undo,
				   old + OLD_RESEAL * g->plain_size)) < 0 ||
		    (r = write_reseal(op, p, old + OLD_RESEAL * g->plain_size, false)) < 0)
			goto undo;
	}
	op->psize = p->new_size;
	op->csize = block_cipher_size(g, p->new_size);
	goto out;
undo:
	undo_apply(op, p, &undo, r, block_cipher_offset(g, span), done,
		   !reseal_req || last_extender(op->n, p->new_size));
out:
	op->b.nonces = NULL;
	op->b.nonces_left = 0;
	free(undo.stored);
	free(nonces);
	free_wiped(old, (size_t)OLD_SLOTS * g->plain_size);
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
		*ll = FILELOCK_TO_END;
		if (nb > 0)
			*lf = min_u64(*lf, nb - 1);
	}
}

/*
 * Take the shared-storage lock for a write and refresh the size under it; retry when
 * another client changed the size so that the locked range no longer covers the write.
 * With append, *off becomes the end of file seen under the lock. A locked range that
 * already covers the new one is kept: an append whose range runs to the end of the file
 * (another client appended meanwhile), or any write under a lock file (whole file).
 * Retrying there instead failed appends from two busy clients with EAGAIN.
 */
static int write_lock(struct fileop *op, size_t len, uint64_t *off, bool append, uint64_t *lf,
		      uint64_t *ll)
{
	bool whole = op->v->coord.mode == COORD_LOCKFILES;
	uint64_t f2, l2, off2;
	int r, tries;

	for (tries = 0; tries < LOCK_RETRIES; tries++) {
		if (whole) {
			/* a lock file covers the whole file: no size needed to pick a range */
			*lf = 0;
			*ll = FILELOCK_TO_END;
		} else {
			if ((r = fileop_size(op)) < 0)
				return r;
			if (append)
				*off = op->psize;
			write_range(op, len, *off, lf, ll);
		}
		if ((r = filelock_blocks(&op->lock, *lf, *ll, true)) < 0)
			return r;
		if (!vault_lock_is_shared(op->v))
			return 0;
		if ((r = fileop_size(op)) < 0)
			goto fail;
		/* an append goes where the end is now: still covered when the held range
		 * reaches to the end from at or before the new last block */
		off2 = append ? op->psize : *off;
		write_range(op, len, off2, &f2, &l2);
		if (whole || (f2 >= *lf && (*ll == FILELOCK_TO_END || l2 <= *ll))) {
			*off = off2;
			return 0;
		}
		filelock_unlock_blocks(&op->lock, *lf, *ll);
	}
	return -EAGAIN;
fail:
	filelock_unlock_blocks(&op->lock, *lf, *ll);
	return r;
}

static int ensure_header(struct fileop *op)
{
	return op->csize == 0 ? fileop_header_create(op) : fileop_header(op);
}

static void after_change(struct fileop *op)
{
	struct stat st;

	if (vault_lock_is_shared(op->v) && store_fstat(op->v->store, op->fd, &st) == 0)
		vnode_snapshot(op->n, &st);
}

/*
 * Under rl.mutex, after a write that ended at lower offset cend: the lower range whose
 * write-back to start (*wlen 0: none yet), WRITE_LAG behind the furthest write.
 */
static void write_out_locked(struct fileop *op, uint64_t cend, uint64_t *woff, uint64_t *wlen)
{
	struct vnode *n = op->n;

	*wlen = 0;
	if (cend < n->written_out_to + WRITE_OUT + WRITE_LAG)
		return;
	*woff = n->written_out_to;
	*wlen = cend - WRITE_LAG - *woff;
	n->written_out_to = cend - WRITE_LAG;
}

/* Start the lower write-back behind a write that ended at plaintext offset end. */
static void start_write_out(struct fileop *op, uint64_t end)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t wo_off = 0, wo_len = 0;

	rangelock_enter(&op->n->rl);
	write_out_locked(op, block_cipher_offset(g, (end + g->plain_size - 1) / g->plain_size),
			 &wo_off, &wo_len);
	rangelock_leave(&op->n->rl);
	if (wo_len)
		store_advise(op->v->store, op->fd, wo_off, wo_len, STORE_ADVISE_WRITEOUT);
}

/*
 * Under rl.mutex: plan a write of len bytes at the known size (append: at its end, else at
 * *off) into p. -EFBIG past the largest size.
 */
static int plan_known_locked(struct fileop *op, size_t len, uint64_t *off, bool append,
			     struct write_plan *p)
{
	uint64_t at = append ? op->psize : *off;

	if (at + len > (uint64_t)INT64_MAX)
		return -EFBIG;
	*off = at;
	write_plan_make(p, op->psize, at, len, op->v->geom.plain_size);
	return 0;
}

/*
 * Plan a write of one chunk at the known size and queue its blocks (see the top of this
 * file): blocks, and old_last when p->reseal. Its lower space is reserved first, outside
 * rl.mutex, and the plan made again when another request changed the size meanwhile.
 * *queued is false when it cannot be queued (shared mode, size not known, no header yet,
 * larger than a chunk): the caller then holds the whole file. *off: where it writes.
 */
static int write_enqueue(struct fileop *op, size_t len, uint64_t *off, bool append,
			 struct write_plan *p, struct range_req *blocks,
			 struct range_req *old_last, bool *queued)
{
	const struct block_geom *g = &op->v->geom;
	struct vnode *n = op->n;
	uint64_t at = *off, gen, span_off, span_end;
	bool known;
	int tries, r;

	*queued = false;
	if (len == 0 || len > (size_t)CHUNK_BLOCKS * g->plain_size)
		return 0;
	rangelock_enter(&n->rl);
	for (tries = 0;; tries++) {
		r = size_now_locked(op, &known);
		if (r < 0 || !known || op->csize < FILE_HEADER_LEN || tries == SIZE_TRIES) {
			rangelock_leave(&n->rl);
			return size_error(op, r);
		}
		*queued = true;
		if ((r = plan_known_locked(op, len, &at, append, p)) < 0) {
			rangelock_leave(&n->rl);
			return r;
		}
		if (p->reseal && p->old_size % g->plain_size) {
			/* a short old last block re-sealed apart: whole file (write_apply) */
			*queued = false;
			rangelock_leave(&n->rl);
			return 0;
		}
		gen = n->size_gen;
		rangelock_leave(&n->rl);
		/*
		 * Space first, before anything is queued: a write that cannot fit fails alone,
		 * and no write queued behind it builds on a size it will not reach. The lower
		 * size stays (FALLOC_FL_KEEP_SIZE), so a plan made again covers what it needs.
		 */
		span_off = block_cipher_offset(g, p->first);
		span_end = min_u64(block_cipher_offset(g, p->first + p->count),
				   block_cipher_size(g, p->new_size));
		if ((r = reserve_span(op, (size_t)(span_end - span_off), span_off)) < 0)
			return r;
		rangelock_enter(&n->rl);
		if (n->size_gen == gen)
			break;
		*queued = false; /* the size moved meanwhile: plan again */
	}
	/* an extending write also holds the blocks it skips: they are not in the lower file yet */
	rangelock_add(&n->rl, blocks, p->holes ? p->holes_first : p->first,
		      p->first + p->count - 1, true);
	if (p->reseal)
		rangelock_add(&n->rl, old_last, p->reseal_block, p->reseal_block, true);
	/*
	 * Only a write that moves the size invalidates the sizes and plans others made
	 * meanwhile: an overwrite inside the file leaves them true, and counting it too sent
	 * concurrent overwrites (the kernel's write-back of scattered pages) past SIZE_TRIES
	 * to the whole-file path, one at a time.
	 */
	if (n->known_psize != p->new_size ||
	    n->known_csize != block_cipher_size(g, p->new_size)) {
		n->known_psize = p->new_size;
		n->known_csize = block_cipher_size(g, p->new_size);
		size_changed_locked(n);
	}
	rangelock_leave(&n->rl);
	*off = at;
	return 0;
}

/* A write of one chunk, queued (write_enqueue) and carried out once its blocks are granted. */
static int write_queued(struct fileop *op, const uint8_t *src, size_t len, uint64_t *off,
			bool append, bool *queued)
{
	const struct block_geom *g = &op->v->geom;
	struct vnode *n = op->n;
	struct range_req blocks, old_last;
	struct write_plan p;
	uint64_t lf, ll, wo_off = 0, wo_len = 0;
	int r;

	if ((r = write_enqueue(op, len, off, append, &p, &blocks, &old_last, queued)) < 0 ||
	    !*queued)
		return r;
	rangelock_wait(&n->rl, &blocks);
	write_range(op, len, *off, &lf, &ll);
	if ((r = filelock_blocks(&op->lock, lf, ll, true)) == 0) {
		if ((r = fileop_header(op)) == 0)
			r = write_apply(op, &p, src, len, *off, p.reseal ? &old_last : NULL, true);
		filelock_unlock_blocks(&op->lock, lf, ll);
	}
	rangelock_enter(&n->rl);
	if (r < 0) {
		n->size_known = false; /* the size queued above may not be reached */
		size_changed_locked(n);
	} else {
		write_out_locked(op, block_cipher_offset(g, p.first + p.count), &wo_off, &wo_len);
	}
	rangelock_leave(&n->rl);
	if (wo_len)
		store_advise(op->v->store, op->fd, wo_off, wo_len, STORE_ADVISE_WRITEOUT);
	if (p.reseal)
		rangelock_remove(&n->rl, &old_last);
	rangelock_remove(&n->rl, &blocks);
	return r < 0 ? r : 0;
}

/* One chunk of a write that holds the whole file: cross-client locks, plan, apply. */
static int write_chunk(struct fileop *op, const uint8_t *src, size_t len, uint64_t *off,
		       bool append)
{
	struct write_plan p;
	uint64_t lf, ll;
	int r;

	if ((r = write_lock(op, len, off, append, &lf, &ll)) < 0)
		return r;
	if (*off + len > (uint64_t)INT64_MAX)
		r = -EFBIG;
	else if ((r = ensure_header(op)) == 0) {
		write_plan_make(&p, op->psize, *off, len, op->v->geom.plain_size);
		r = write_apply(op, &p, src, len, *off, NULL, false);
	}
	if (r == 0)
		r = vault_publish(op->v, op->fd);
	filelock_unlock_blocks(&op->lock, lf, ll);
	return r;
}

/*
 * A write holding the whole file, chunk by chunk (at most CHUNK_BLOCKS blocks per lower
 * write). Count written (short after a failed chunk) or -errno.
 */
static ssize_t write_whole(struct fileop *op, const uint8_t *src, size_t len, uint64_t *off,
			   bool append)
{
	size_t chunk_max = (size_t)CHUNK_BLOCKS * op->v->geom.plain_size, done = 0, chunk;
	struct range_req whole;
	uint64_t at;
	ssize_t r = 0;

	fileop_lock_whole(op, &whole, true);
	if (len == 0 && append && (r = fileop_size(op)) == 0)
		*off = op->psize;
	while (done < len) {
		at = *off + done;
		chunk = done ? chunk_max - (size_t)(at % op->v->geom.plain_size) : chunk_max;
		chunk = (size_t)min_u64(chunk, len - done);
		if ((r = write_chunk(op, src + done, chunk, &at, append && !done)) < 0)
			break;
		if (!done)
			*off = at;
		done += chunk;
	}
	if (done == len && r == 0)
		after_change(op);
	fileop_unlock_whole(op, &whole, done == len && r == 0 && (len || append));
	if (done) {
		start_write_out(op, *off + done);
		return (ssize_t)done;
	}
	return r;
}

ssize_t vault_write(struct vault *v, struct vnode *n, const void *buf, size_t len, uint64_t off,
		    bool append, uint64_t *written_at)
{
	struct fileop op;
	bool queued;
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
	r = write_queued(&op, buf, len, &off, append, &queued);
	if (!queued)
		r = write_whole(&op, buf, len, &off, append);
	else if (r == 0)
		r = (ssize_t)len;
	if (r >= 0 && written_at)
		*written_at = off;
out:
	fileop_end(&op);
	return r;
}

/*
 * Cut the file to csize with out (len bytes), the new short last block sealed final, as
 * block last. It cannot be written in place before the cut (the old block's tail would
 * follow it), so it goes first into the lower file's FILE_TAIL_XATTR (vault/file_tail.h),
 * where the read path finds it when a crash leaves the cut piece of the old block; the
 * copy goes once the block is synced in place. A lower file system that refuses the
 * attribute (none, full, or a value this large) gets the cut and the write alone, with
 * that crash window.
 */
static int shrink_short(struct fileop *op, uint64_t csize, uint64_t last, const uint8_t *out,
			size_t len)
{
	struct store *s = op->v->store;
	bool copy = store_fsetxattr(s, op->fd, FILE_TAIL_XATTR, out, len, 0) == 0;
	int r;

	if ((r = store_ftruncate(s, op->fd, csize)) < 0 ||
	    (r = store_pwrite_full(s, op->fd, out, len, block_cipher_offset(&op->v->geom, last))) < 0) {
		if (copy) /* on the path that reports the first error; fsck finds a leftover */
			(void)store_fremovexattr(s, op->fd, FILE_TAIL_XATTR);
		return r;
	}
	if (copy && (r = store_fsync(s, op->fd, true)) == 0)
		r = store_fremovexattr(s, op->fd, FILE_TAIL_XATTR);
	return r;
}

/*
 * Cut the file to size (0 < size < psize): re-seal the new last block as final.
 * Crash order: when the new last block is full, it is rewritten sealed final before the
 * cut, so that a crash between leaves a full block sealed final followed by valid blocks,
 * which reads as the old file (codec_open_unsealed); a cut first would leave an inner
 * block last (a file cut at a block boundary). A short new last block: shrink_short().
 */
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
	if ((r = codec_seal(&op->b, last, true, plain, newlen, out)) < 0)
		goto out;
	if (newlen == g->plain_size) {
		if ((r = store_pwrite_full(op->v->store, op->fd, out, g->cipher_size,
					   block_cipher_offset(g, last))) < 0)
			goto out;
		r = store_ftruncate(op->v->store, op->fd, block_cipher_size(g, size));
		goto out;
	}
	r = shrink_short(op, block_cipher_size(g, size), last, out, newlen + g->overhead);
out:
	free_wiped(plain, g->plain_size);
	free(out);
	return r;
}

/* Grow the file to size > psize: the new region reads as zeros, skipped blocks stay holes. */
static int grow(struct fileop *op, uint64_t size)
{
	static const uint8_t zero[1];
	struct write_plan p;
	int r;

	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	if ((r = ensure_header(op)) < 0)
		return r;
	write_plan_make(&p, op->psize, size - 1, 1, op->v->geom.plain_size);
	return write_apply(op, &p, zero, 1, size - 1, NULL, false);
}

static int resize_locked(struct fileop *op, uint64_t size, bool only_grow)
{
	int r;

	if ((r = filelock_blocks(&op->lock, 0, FILELOCK_TO_END, true)) < 0)
		return r;
	if ((r = fileop_size(op)) < 0)
		goto out;
	if (size > op->psize)
		r = grow(op, size);
	else if (only_grow || size == op->psize)
		r = 0;
	else if (size == 0) {
		r = store_ftruncate(op->v->store, op->fd, 0);
		vnode_forget_header(op->n);
	} else
		r = shrink(op, size);
	if (r == 0)
		r = vault_publish(op->v, op->fd);
	after_change(op);
out:
	filelock_unlock_blocks(&op->lock, 0, FILELOCK_TO_END);
	return r;
}

/*
 * Reserve the lower space of the blocks holding plaintext [off, off + len) (fallocate
 * semantics: the space is allocated when this returns). First the free space is checked:
 * a lower fallocate that cannot fit may fill the lower disk before it fails (ext4 does),
 * and a lower file system without fallocate (sshfs) gets at least that check. What the
 * lower file has allocated already is counted as reusable, so re-reserving a range of an
 * existing file on a nearly full disk is not refused.
 */
static int reserve_range(struct fileop *op, uint64_t off, uint64_t len)
{
	const struct block_geom *g = &op->v->geom;
	uint64_t first = off / g->plain_size, end = (off + len - 1) / g->plain_size + 1;
	uint64_t start = block_cipher_offset(g, first), need, have, avail;
	struct statvfs sv;
	struct stat st;
	int r;

	need = block_cipher_offset(g, end) - start;
	if ((r = store_fstatvfs(op->v->store, op->fd, &sv)) < 0 || (r = store_fstat(op->v->store, op->fd, &st)) < 0)
		return r;
	avail = (uint64_t)sv.f_bavail * (sv.f_frsize ? sv.f_frsize : sv.f_bsize);
	have = st.st_blocks > 0 ? (uint64_t)st.st_blocks * 512 : 0;
	if (need > have && need - have > avail)
		return -ENOSPC;
	r = store_reserve(op->v->store, op->fd, start, need);
	return r == -EOPNOTSUPP ? 0 : r;
}

static int resize(struct vault *v, struct vnode *n, uint64_t size, bool only_grow,
		  uint64_t reserve_off, uint64_t reserve_len)
{
	struct range_req whole;
	struct fileop op;
	int r;

	if (vault_is_ro(v))
		return -EROFS;
	if ((r = fileop_begin(&op, v, n)) < 0)
		return r;
	if ((r = vnode_io_writable(n)) < 0)
		goto out;
	fileop_lock_whole(&op, &whole, true);
	r = reserve_len ? reserve_range(&op, reserve_off, reserve_len) : 0;
	if (r == 0)
		r = resize_locked(&op, size, only_grow);
	fileop_unlock_whole(&op, &whole, false);
out:
	fileop_end(&op);
	return r;
}

int vault_truncate(struct vault *v, struct vnode *n, uint64_t size)
{
	if (size > (uint64_t)INT64_MAX)
		return -EFBIG;
	return resize(v, n, size, false, 0, 0);
}

/*
 * Mode 0 reserves the lower space of the range and then extends the file like
 * truncate-up when off + len is past the end; VAULT_FALLOC_KEEP_SIZE only reserves.
 */
int vault_fallocate(struct vault *v, struct vnode *n, int mode, uint64_t off, uint64_t len)
{
	if (mode & ~VAULT_FALLOC_KEEP_SIZE)
		return -EOPNOTSUPP;
	if (len == 0)
		return -EINVAL;
	if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX - off)
		return -EFBIG;
	if (mode & VAULT_FALLOC_KEEP_SIZE)
		return resize(v, n, 0, true, off, len); /* growing to 0 changes nothing */
	return resize(v, n, off + len, true, off, len);
}

int vault_fsync(struct vault *v, struct vnode *n, bool datasync)
{
	int fd, r;

	if (n->type == S_IFDIR) {
		r = store_fsync(v->store, n->fd, datasync);
		return r == -EBADF ? 0 : r;
	}
	if (n->type != S_IFREG)
		return 0;
	if ((r = vnode_io_get(v, n, &fd, NULL)) < 0)
		return r;
	r = store_fsync(v->store, fd, datasync);
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
	if ((r = vnode_io_get(v, n, &fd, NULL)) < 0)
		return r;
	/* O_TRUNC is applied here, once, for every access mode: with atomic O_TRUNC the
	 * kernel leaves it to the open, and Linux truncates on O_RDONLY | O_TRUNC too */
	if (acc != O_RDONLY || (flags & O_TRUNC))
		r = vnode_io_writable(n);
	if (r == 0 && (flags & O_TRUNC))
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

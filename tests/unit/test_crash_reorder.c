/*
 * The crash simulator's reordering model (test_crash.h, "Reorderings"): what a lower file
 * system that keeps the order of metadata but not of data may leave at a crash.
 *
 * The rules modelled (ext4 data=ordered, taken loosely so that more states are allowed):
 *   - metadata calls (create, rename, unlink, mkdir, ftruncate, xattrs, attributes,
 *     reserve) persist in the order they were made: a crash leaves a prefix of them;
 *   - an fsync (of any file or directory) commits every metadata call made before it, as
 *     ext4's journal commit does, and makes the data writes made before it to that file
 *     durable;
 *   - data writes (pwrite) to a file since its last fsync persist in any subset, each one
 *     whole or not at all (torn writes are the prefix model's), whatever the metadata
 *     prefix: an overwrite in place can reach the disk before an earlier ftruncate's
 *     journal commit, and an extending write carries its size with it (data=ordered);
 *   - writes to a common 4 KiB page of the lower file persist in order: a write only
 *     with every earlier pending write to one of its pages (the page cache writes a page
 *     back whole, holding every write made to it so far; a page cut short is the torn
 *     model's);
 *   - the writes that persist are applied in the order they were made.
 * A state is (k, S): the first k metadata calls since the last fsync, and the subset S of
 * the pending data writes. At each recorded call c the states new at c are checked: for a
 * pwrite, those whose S holds it (any k); for a metadata call, k = all so far and any S;
 * never the prefix state itself (k all, S all), which the prefix model checks. Up to
 * REORDER_ALL states per call are all enumerated, beyond that REORDER_SAMPLE are drawn at
 * random with the fixed seed REORDER_SEED (printed).
 *
 * Simplifications: a file first seen by a write (not created during the workload) has
 * that write counted as durable; when more than REORDER_META metadata calls come without
 * an fsync, the oldest are taken as committed; when more than REORDER_OPS calls (or 30
 * writes) are pending, no reordered state is made until an fsync leaves none pending.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_mem.h"
#include "test.h"
#include "test_crash.h"

enum {
	REORDER_OPS = 64,    /* pending writes and ftruncates */
	REORDER_META = 32,   /* metadata calls since the last fsync */
	REORDER_ALL = 64,    /* states of one call enumerated whole */
	REORDER_SAMPLE = 64, /* states drawn at random beyond that */
	REORDER_PAGE = 4096, /* the page cache's unit of write-back */
};

#define REORDER_SEED 0x7665696c66735eedULL

/* A pending call on one file's contents since that file's last fsync. */
struct reorder_op {
	uint64_t ino;
	bool truncate;	/* ftruncate to off; else a pwrite of len bytes at off */
	unsigned meta;	/* ftruncate: its place among the metadata calls (1 ...; 0: committed) */
	int bit;	/* pwrite: its bit in S */
	uint64_t off;
	size_t len;
	uint8_t *data;
};

/* A file's contents as of its last fsync (or its creation). */
struct reorder_file {
	uint64_t ino;
	uint8_t *base;
	size_t len;
};

struct crash_reorder {
	struct reorder_op ops[REORDER_OPS];
	int nops, nwrites;
	struct reorder_file files[CRASH_INOS];
	int nfiles;
	struct store *snap[REORDER_META + 1]; /* [k]: after the first k metadata calls */
	int nmeta;
	bool overflow; /* a pending call did not fit: no states until the calls are synced */
	uint64_t rng;
	uint8_t buf[CRASH_FILE_MAX * 2];
};

static void drop_snaps(struct crash_reorder *r)
{
	for (int k = 0; k <= r->nmeta; k++) {
		store_free(r->snap[k]);
		r->snap[k] = NULL;
	}
	r->nmeta = 0;
}

/* Take the live state as the committed metadata: snap[0] (false on failure). */
static bool commit(struct crash_sim *s, struct crash_reorder *r)
{
	int fd;

	drop_snaps(r);
	for (int i = 0; i < r->nops; i++)
		r->ops[i].meta = 0;
	if (store_mem_snapshot(s->mem, &r->snap[0], &fd) < 0)
		return false;
	(void)store_close(r->snap[0], fd); /* the copy's own root handle: not needed */
	return true;
}

const char *crash_reorder_seed(void)
{
	return "0x7665696c66735eed";
}

void crash_reorder_free(struct crash_sim *s)
{
	struct crash_reorder *r = s->reorder;

	if (!r)
		return;
	drop_snaps(r);
	for (int i = 0; i < r->nops; i++)
		free(r->ops[i].data);
	for (int i = 0; i < r->nfiles; i++)
		free(r->files[i].base);
	free(r);
	s->reorder = NULL;
}

static struct reorder_file *file_find(struct crash_reorder *r, uint64_t ino)
{
	for (int i = 0; i < r->nfiles; i++)
		if (r->files[i].ino == ino)
			return &r->files[i];
	return NULL;
}

/* The file's base becomes its contents now, read through the inner handle fd. */
static void file_set_base(struct crash_sim *s, struct crash_reorder *r, uint64_t ino, int fd)
{
	struct reorder_file *f = file_find(r, ino);
	struct stat st;
	ssize_t got;

	if (!f) {
		if (r->nfiles == CRASH_INOS)
			return;
		f = &r->files[r->nfiles++];
		*f = (struct reorder_file){ ino, NULL, 0 };
	}
	free(f->base);
	f->base = NULL;
	f->len = 0;
	if (store_fstat(s->mem, fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (size_t)st.st_size > sizeof(r->buf))
		return;
	got = store_pread_full(s->mem, fd, r->buf, (size_t)st.st_size, 0);
	if (got > 0 && (f->base = malloc((size_t)got))) {
		memcpy(f->base, r->buf, (size_t)got);
		f->len = (size_t)got;
	}
}

/* fsync of ino: its pending calls are durable, its base is its contents now. */
static void on_fsync(struct crash_sim *s, struct crash_reorder *r, const struct store_record_event *e)
{
	int j = 0;

	for (int i = 0; i < r->nops; i++) {
		if (r->ops[i].ino == e->ino)
			free(r->ops[i].data);
		else
			r->ops[j++] = r->ops[i];
	}
	r->nops = j;
	r->overflow = r->overflow && j > 0;
	r->nwrites = 0;
	for (int i = 0; i < r->nops; i++)
		if (!r->ops[i].truncate)
			r->ops[i].bit = r->nwrites++;
	if (file_find(r, e->ino) && e->fd >= 0)
		file_set_base(s, r, e->ino, e->fd);
	(void)commit(s, r);
}

static bool add_op(struct crash_reorder *r, const struct store_record_event *e)
{
	struct reorder_op *o;

	if (r->nops == REORDER_OPS || !file_find(r, e->ino))
		return false;
	o = &r->ops[r->nops];
	*o = (struct reorder_op){ e->ino, e->op == STORE_RECORD_FTRUNCATE, 0, -1, e->off, 0, NULL };
	if (!o->truncate) {
		if (r->nwrites == 30 || !(o->data = malloc((size_t)e->len)))
			return false;
		memcpy(o->data, e->data, (size_t)e->len);
		o->len = (size_t)e->len;
		o->bit = r->nwrites++;
	} else
		o->meta = (unsigned)r->nmeta + 1;
	r->nops++;
	return true;
}

/* A metadata call: one more snapshot (the oldest committed when there are too many). */
static bool on_meta(struct crash_sim *s, struct crash_reorder *r)
{
	int fd;

	if (r->nmeta == REORDER_META && !commit(s, r))
		return false;
	if (store_mem_snapshot(s->mem, &r->snap[r->nmeta + 1], &fd) < 0)
		return false;
	(void)store_close(r->snap[r->nmeta + 1], fd);
	r->nmeta++;
	return true;
}

/* The contents of f in state (k, S) into r->buf; its length. */
static size_t compose(struct crash_reorder *r, const struct reorder_file *f, int k, uint32_t set)
{
	size_t len = f->len;

	if (len)
		memcpy(r->buf, f->base, len);
	for (int i = 0; i < r->nops; i++) {
		const struct reorder_op *o = &r->ops[i];

		if (o->ino != f->ino)
			continue;
		if (o->truncate && o->meta <= (unsigned)k && o->off <= sizeof(r->buf)) {
			if (o->off > len)
				memset(r->buf + len, 0, (size_t)o->off - len);
			len = (size_t)o->off;
		} else if (!o->truncate && (set >> o->bit & 1) && o->off + o->len <= sizeof(r->buf)) {
			if (o->off > len)
				memset(r->buf + len, 0, (size_t)o->off - len);
			memcpy(r->buf + o->off, o->data, o->len);
			if (o->off + o->len > len)
				len = (size_t)(o->off + o->len);
		}
	}
	return len;
}

/* Whether f has a pending call; whether it has a write in set. */
static bool file_pending(const struct crash_reorder *r, uint64_t ino, uint32_t set, bool *written)
{
	bool any = false;

	*written = false;
	for (int i = 0; i < r->nops; i++) {
		if (r->ops[i].ino != ino)
			continue;
		any = true;
		if (!r->ops[i].truncate && (set >> r->ops[i].bit & 1))
			*written = true;
	}
	return any;
}

static bool pages_meet(const struct reorder_op *a, const struct reorder_op *b)
{
	uint64_t a0 = a->off / REORDER_PAGE, a1 = (a->off + a->len - 1) / REORDER_PAGE;
	uint64_t b0 = b->off / REORDER_PAGE, b1 = (b->off + b->len - 1) / REORDER_PAGE;

	return a->ino == b->ino && a0 <= b1 && b0 <= a1;
}

/*
 * Whether set is closed under the page rule: with a write, every earlier pending write
 * to one of the same lower pages (the page cache writes a page back whole, with every
 * write made to it so far).
 */
static bool set_closed(const struct crash_reorder *r, uint32_t set)
{
	for (int i = 0; i < r->nops; i++) {
		const struct reorder_op *b = &r->ops[i];

		if (b->truncate || !(set >> b->bit & 1))
			continue;
		for (int j = 0; j < i; j++) {
			const struct reorder_op *a = &r->ops[j];

			if (!a->truncate && !(set >> a->bit & 1) && pages_meet(a, b))
				return false;
		}
	}
	return true;
}

/* Build and check state (k, S); false when it duplicates one without a write of S. */
static bool check_one(struct crash_sim *s, struct crash_reorder *r, int k, uint32_t set,
		      const struct crash_label *l)
{
	struct store *st;
	bool written, dup = false;
	int fd, rr;

	if (!set_closed(r, set))
		return false; /* checked as the closed set it implies */
	if (store_mem_snapshot(r->snap[k], &st, &fd) < 0)
		return false;
	(void)store_close(st, fd);
	for (int i = 0; i < r->nfiles && !dup; i++) {
		const struct reorder_file *f = &r->files[i];

		if (!file_pending(r, f->ino, set, &written))
			continue;
		rr = store_mem_set_contents(st, f->ino, r->buf, compose(r, f, k, set));
		dup = rr == -ENOENT && written; /* a write to a file this prefix lacks */
	}
	if (!dup)
		crash_check_from(s, l, st);
	store_free(st);
	return !dup;
}

static uint64_t next_random(struct crash_reorder *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

/*
 * The states new at call c: must is the bit of c's write (0 for a metadata call), kmin ..
 * r->nmeta the metadata prefixes. All of them up to REORDER_ALL, else a random sample.
 */
static void check_new(struct crash_sim *s, struct crash_reorder *r, uint32_t must, int kmin,
		      const struct crash_label *l)
{
	uint32_t all = r->nwrites >= 32 ? UINT32_MAX : (1u << r->nwrites) - 1;
	uint32_t free_bits = all & ~must, sub;
	uint64_t nsub = (uint64_t)1 << (r->nwrites - (must ? 1 : 0));
	uint64_t total = nsub * (uint64_t)(r->nmeta - kmin + 1) - 1;

	if (total <= REORDER_ALL) {
		for (int k = kmin; k <= r->nmeta; k++) {
			sub = 0;
			do { /* every subset of free_bits */
				if (k < r->nmeta || (sub | must) != all)
					(void)check_one(s, r, k, sub | must, l);
				sub = (sub - free_bits) & free_bits;
			} while (sub);
		}
		return;
	}
	s->reorder_sampled++;
	for (int i = 0; i < REORDER_SAMPLE; i++) {
		int k = kmin + (int)(next_random(r) % (uint64_t)(r->nmeta - kmin + 1));
		uint32_t set = ((uint32_t)next_random(r) & free_bits) | must;

		if (k < r->nmeta || set != all)
			(void)check_one(s, r, k, set, l);
	}
}

void crash_reorder_event(struct crash_sim *s, const struct store_record_event *e, bool check)
{
	const struct crash_label l = { e->index, store_record_op_name(e->op), "reordered" };
	struct crash_reorder *r = s->reorder;
	bool meta = e->op != STORE_RECORD_PWRITE && e->op != STORE_RECORD_TORN;

	if (!r) {
		if (!(r = s->reorder = calloc(1, sizeof(*r))))
			return;
		r->rng = REORDER_SEED;
		if (!commit(s, r))
			return;
	}
	if (e->op == STORE_RECORD_TORN)
		return;
	if (e->op == STORE_RECORD_FSYNC) {
		on_fsync(s, r, e);
		return;
	}
	if (e->op == STORE_RECORD_CREATE && e->fd >= 0)
		file_set_base(s, r, e->ino, e->fd);
	if ((e->op == STORE_RECORD_PWRITE || e->op == STORE_RECORD_FTRUNCATE) && !add_op(r, e)) {
		r->overflow = r->overflow || file_find(r, e->ino);
		if (e->op == STORE_RECORD_PWRITE)
			return; /* not pending: as durable (a file first seen here) */
	}
	if (meta && !on_meta(s, r))
		return;
	if (!check || r->nwrites == 0 || r->overflow)
		return;
	if (meta)
		check_new(s, r, 0, r->nmeta, &l);
	else
		check_new(s, r, 1u << r->ops[r->nops - 1].bit, 0, &l);
}

/*
 * Parallel content operations on one file (vault_file.c's block-range lock): the FIFO
 * range lock itself, then threads hammering one vnode with disjoint and shared-block
 * rewrites, appends, reads and whole-file operations, with every read checked while it
 * runs and the whole file checked at the end, in single-client and in shared (byte-range
 * locks) mode. Lower writes are delayed by a varying few hundred microseconds so that
 * the threads' steps interleave in many orders.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/rangelock.h"
#include "format/block.h"
#include "store/store.h"
#include "vault/vault.h"
#include "test.h"
#include "test_vault_util.h"

#ifndef SEEK_DATA
#define SEEK_DATA 3
#endif

/* --- the range lock --- */

struct waiter {
	struct rangelock *l;
	struct range_req *r;
	int done; /* set under l->mutex */
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;

	rangelock_wait(w->l, w->r);
	rangelock_enter(w->l);
	w->done = 1;
	rangelock_leave(w->l);
	return NULL;
}

static int waiter_done(struct waiter *w)
{
	int d;

	rangelock_enter(w->l);
	d = w->done;
	rangelock_leave(w->l);
	return d;
}

TEST(rangelock_grants_in_queue_order)
{
	struct rangelock l;
	struct range_req a, b, c, d, e, f;
	struct waiter wc = { &l, &c, 0 };
	pthread_t th;
	int i;

	rangelock_init(&l);
	rangelock_enter(&l);
	rangelock_add(&l, &a, 0, 9, true);
	rangelock_add(&l, &b, 10, 19, true);
	rangelock_add(&l, &c, 5, 12, false);  /* overlaps a and b */
	rangelock_add(&l, &d, 20, 30, false); /* overlaps nothing exclusive */
	rangelock_add(&l, &e, 0, RANGELOCK_TO_END, true);
	rangelock_add(&l, &f, 40, 40, false); /* behind e */
	EXPECT(rangelock_has_exclusive(&l));
	rangelock_leave(&l);
	EXPECT(rangelock_granted(&l, &a));
	EXPECT(rangelock_granted(&l, &b));
	EXPECT(!rangelock_granted(&l, &c));
	EXPECT(rangelock_granted(&l, &d));
	EXPECT(!rangelock_granted(&l, &e));
	EXPECT(!rangelock_granted(&l, &f));
	if (!EXPECT(pthread_create(&th, NULL, wait_thread, &wc) == 0))
		goto out;
	rangelock_remove(&l, &a);
	usleep(20000);
	EXPECT(!waiter_done(&wc)); /* still behind b */
	rangelock_remove(&l, &b);
	for (i = 0; i < 500 && !waiter_done(&wc); i++)
		usleep(2000);
	EXPECT(waiter_done(&wc));
	pthread_join(th, NULL);
	rangelock_remove(&l, &c);
	EXPECT(!rangelock_granted(&l, &e)); /* d still holds 20..30 shared */
	rangelock_remove(&l, &d);
	EXPECT(rangelock_granted(&l, &e));
	EXPECT(!rangelock_granted(&l, &f));
	rangelock_remove(&l, &e);
	EXPECT(rangelock_granted(&l, &f));
	rangelock_remove(&l, &f);
	rangelock_enter(&l);
	EXPECT(!rangelock_has_exclusive(&l) && l.head == NULL && l.tail == NULL);
	rangelock_leave(&l);
out:
	rangelock_release(&l);
}

/* --- threads on one vnode --- */

enum {
	BS = BLOCK_PLAIN_SIZE,
	REGION = 64 * BS,    /* rewritten in place, prefilled before the threads start */
	SLOT = 1000,         /* slots straddle blocks, so neighbours share blocks */
	NSLOTS = REGION / SLOT,
	REWRITERS = 3,
	ROUNDS = 12,
	BIG = 40 * BS + 123, /* a large rewrite over slots of every rewriter, round 0 */
	APPENDERS = 2,
	RECORDS = 60,
	REC = 2 * BS,        /* appends start at a block boundary: the old final block is re-sealed */
	GAPS = 40,           /* blocks written every GAP_STEP blocks, extending past holes */
	GAP_STEP = 3,
	READERS = 2,
	READ_PASSES = 40,
	TAIL_READS = 20,
};

struct par {
	struct tv *t;
	struct vnode *n;
	int id;
	struct vnode *gaps; /* the second file (gap writer and reader) */
	char err[256];      /* first failure of this thread, "" when none */
};

/* Slot s of owner (s % REWRITERS) in round r: 2 bytes of round, then a pattern. */
static void slot_fill(uint8_t *p, size_t s, unsigned r)
{
	size_t i;

	p[0] = (uint8_t)r;
	p[1] = (uint8_t)(s % REWRITERS);
	for (i = 2; i < SLOT; i++)
		p[i] = (uint8_t)(1 + (i * 13 + s * 7 + r * 31) % 251);
}

/* Does p hold slot s of some round (*round)? */
static bool slot_valid(const uint8_t *p, size_t s, unsigned *round)
{
	uint8_t want[SLOT];

	*round = p[0];
	slot_fill(want, s, p[0]);
	return memcmp(p, want, SLOT) == 0;
}

static void rec_fill(uint8_t *p, int appender, int seq)
{
	size_t i;

	p[0] = (uint8_t)appender;
	p[1] = (uint8_t)seq;
	for (i = 2; i < REC; i++)
		p[i] = (uint8_t)(7 + (i * 5 + (size_t)appender * 3 + (size_t)seq * 11) % 241);
}

static bool rec_valid(const uint8_t *p)
{
	uint8_t want[REC];

	if (p[0] >= APPENDERS)
		return false;
	rec_fill(want, p[0], p[1]);
	return memcmp(p, want, REC) == 0;
}

static void *rewriter(void *arg)
{
	struct par *w = arg;
	uint8_t buf[SLOT];
	unsigned r;
	size_t s;
	ssize_t got;

	for (r = 1; r <= ROUNDS; r++) {
		for (s = (size_t)w->id; s < NSLOTS; s += REWRITERS) {
			slot_fill(buf, s, r);
			got = vault_write(w->t->v, w->n, buf, SLOT, (uint64_t)s * SLOT, false, NULL);
			if (got != SLOT) {
				snprintf(w->err, sizeof(w->err), "rewrite slot %zu round %u: %zd", s,
					 r, got);
				return NULL;
			}
		}
	}
	return NULL;
}

/* One large write of round 0 over the slots [1, BIG / SLOT) while the rewriters run. */
static void *big_writer(void *arg)
{
	struct par *w = arg;
	uint8_t *buf = malloc(BIG);
	size_t s, nslots = BIG / SLOT;
	ssize_t got;

	if (!buf) {
		snprintf(w->err, sizeof(w->err), "malloc");
		return NULL;
	}
	for (s = 1; s < nslots; s++)
		slot_fill(buf + (s - 1) * SLOT, s, 0);
	got = vault_write(w->t->v, w->n, buf, (nslots - 1) * SLOT, SLOT, false, NULL);
	if (got != (ssize_t)((nslots - 1) * SLOT))
		snprintf(w->err, sizeof(w->err), "big write: %zd", got);
	free(buf);
	return NULL;
}

static void *appender(void *arg)
{
	struct par *w = arg;
	uint8_t buf[REC];
	uint64_t at;
	ssize_t got;
	int i;

	for (i = 0; i < RECORDS; i++) {
		rec_fill(buf, w->id, i);
		got = vault_write(w->t->v, w->n, buf, REC, 0, true, &at);
		if (got != REC || at < REGION || (at - REGION) % REC != 0) {
			snprintf(w->err, sizeof(w->err), "append %d: %zd at %llu", i, got,
				 (unsigned long long)at);
			return NULL;
		}
	}
	return NULL;
}

/* Every slot and every complete record a read returns must be whole. */
static void *reader(void *arg)
{
	struct par *w = arg;
	size_t cap = REGION + APPENDERS * RECORDS * REC + BS, s, k, end;
	uint8_t *buf = malloc(cap);
	unsigned pass, round;
	ssize_t got;

	if (!buf) {
		snprintf(w->err, sizeof(w->err), "malloc");
		return NULL;
	}
	for (pass = 0; pass < READ_PASSES && !w->err[0]; pass++) {
		got = vault_read(w->t->v, w->n, buf, cap, 0);
		if (got < REGION) {
			snprintf(w->err, sizeof(w->err), "read pass %u: %zd", pass, got);
			break;
		}
		for (s = 0; s < NSLOTS && !w->err[0]; s++)
			if (!slot_valid(buf + s * SLOT, s, &round))
				snprintf(w->err, sizeof(w->err), "pass %u: slot %zu torn", pass, s);
		for (k = 0; REGION + (k + 1) * REC <= (size_t)got && !w->err[0]; k++)
			if (!rec_valid(buf + REGION + k * REC))
				snprintf(w->err, sizeof(w->err), "pass %u: record %zu torn", pass,
					 k);
		/* block-aligned reads at the end: the old and new final blocks of appends */
		end = ((size_t)got / BS) * BS;
		for (k = 0; k < TAIL_READS && !w->err[0]; k++) {
			got = vault_read(w->t->v, w->n, buf, 3 * BS, end - (k % 2) * BS);
			if (got < 0)
				snprintf(w->err, sizeof(w->err), "pass %u: tail read %zd", pass,
					 got);
			else if (got > 2 * BS)
				end += BS; /* follow the appends */
		}
	}
	free(buf);
	return NULL;
}

/* Whole-file operations in between: fallocate within the size (a no-op), SEEK_DATA. */
static void *whole_file(void *arg)
{
	struct par *w = arg;
	int64_t at;
	int i, r;

	for (i = 0; i < 50; i++) {
		if ((r = vault_fallocate(w->t->v, w->n, 0, 0, BS)) < 0) {
			snprintf(w->err, sizeof(w->err), "fallocate %d: %d", i, r);
			break;
		}
		at = vault_lseek(w->t->v, w->n, BS, SEEK_DATA);
		if (at != BS) {
			snprintf(w->err, sizeof(w->err), "seek data %d: %lld", i, (long long)at);
			break;
		}
		usleep(200);
	}
	return NULL;
}

static uint8_t gap_byte(size_t k, size_t i)
{
	return (uint8_t)(1 + (k * 17 + i * 3) % 250);
}

/* One block every GAP_STEP blocks, in increasing order: each write skips two blocks. */
static void *gap_writer(void *arg)
{
	struct par *w = arg;
	uint8_t buf[BS];
	size_t k, i;
	ssize_t got;

	for (k = 0; k < GAPS; k++) {
		for (i = 0; i < BS; i++)
			buf[i] = gap_byte(k, i);
		got = vault_write(w->t->v, w->gaps, buf, BS, (uint64_t)k * GAP_STEP * BS, false,
				  NULL);
		if (got != BS) {
			snprintf(w->err, sizeof(w->err), "gap write %zu: %zd", k, got);
			break;
		}
	}
	return NULL;
}

/*
 * Follow the gap writer's end: what is inside the size reads as written, the skipped
 * blocks as zeros. Passes read the written block and the two skipped ones, the written
 * block alone (the old final block of the next write), or the skipped blocks alone.
 */
static void *gap_reader(void *arg)
{
	struct par *w = arg;
	uint8_t buf[GAP_STEP * BS];
	size_t pass, k = 0, i, skip, want;
	ssize_t got;

	for (pass = 0; pass < 150 * GAPS && k < GAPS && !w->err[0]; pass++) {
		skip = pass % 3 == 2;
		want = pass % 3 == 1 ? BS : sizeof(buf) - skip * BS;
		got = vault_read(w->t->v, w->gaps, buf, want, (k * GAP_STEP + skip) * BS);
		if (got < 0) {
			snprintf(w->err, sizeof(w->err), "gap read %zu+%zu: %zd (%s)", k, skip, got,
				 tv_log_last());
			break;
		}
		for (i = 0; i < (size_t)got && !w->err[0]; i++)
			if (buf[i] != (skip || i >= BS ? 0 : gap_byte(k, i)))
				snprintf(w->err, sizeof(w->err), "gap read %zu+%zu: byte %zu", k,
					 skip, i);
		if ((size_t)got == want && skip)
			k++;
	}
	return NULL;
}

/* After the threads: every slot holds its owner's last round, every record is there once. */
static void check_final(struct tv *t, struct vnode *n)
{
	size_t total = REGION + APPENDERS * RECORDS * REC, s, k;
	uint8_t *buf = malloc(total + 1);
	int next[APPENDERS] = { 0 };
	unsigned round = 0;
	struct stat st;
	ssize_t got;
	int bad = 0;

	if (!EXPECT(buf != NULL))
		goto out;
	EXPECT(vault_getattr(t->v, n, &st) == 0 && (size_t)st.st_size == total);
	got = vault_read(t->v, n, buf, total + 1, 0);
	if (!EXPECTF(got == (ssize_t)total, "read %zd of %zu", got, total))
		goto out;
	for (s = 0; s < NSLOTS && !bad; s++)
		bad = !EXPECTF(slot_valid(buf + s * SLOT, s, &round) && round == ROUNDS,
			       "slot %zu: round %u", s, round);
	for (k = 0; k < APPENDERS * RECORDS && !bad; k++) {
		const uint8_t *p = buf + REGION + k * REC;

		bad = !EXPECTF(rec_valid(p), "record %zu torn", k);
		/* each appender's records in its own order, each once */
		if (!bad)
			bad = !EXPECTF(p[1] == next[p[0]], "record %zu: appender %u seq %u, want %d",
				       k, p[0], p[1], next[p[0]]);
		if (!bad)
			next[p[0]]++;
	}
	for (k = 0; k < APPENDERS && !bad; k++)
		EXPECT_EQ(next[k], RECORDS);
out:
	free(buf);
}

/* A store whose pwrite sleeps first: the posix store's ops with pwrite replaced. */
static const struct store_ops *slow_inner;
static struct store_ops slow_ops;
static atomic_uint slow_calls;

static ssize_t slow_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	unsigned c = atomic_fetch_add(&slow_calls, 1);

	usleep((c * 7919u) % 400u);
	return slow_inner->pwrite(ctx, fd, buf, n, off);
}

/* Reopen t's vault over a slow store. */
static int slow_reopen(struct tv *t, enum vault_shared_mode mode)
{
	struct vault_options o = { .shared = mode };
	struct store *s;
	int rootfd, r;

	vnode_unref(t->v, t->root);
	vault_close(t->v);
	t->root = NULL;
	t->v = NULL;
	if ((r = store_posix_new(t->dir, &s, &rootfd)) < 0)
		return r;
	slow_inner = s->ops;
	slow_ops = *s->ops;
	slow_ops.pwrite = slow_pwrite;
	s->ops = &slow_ops;
	if ((r = vault_open_store(s, rootfd, TV_PW, strlen(TV_PW), &o, &t->v)) < 0) {
		store_free(s);
		close(rootfd);
		return r;
	}
	t->root = vault_root(t->v);
	return 0;
}

static void parallel_run(enum vault_shared_mode mode)
{
	struct tv_params p = { .shared = mode };
	enum { NTH = REWRITERS + 1 + APPENDERS + READERS + 3 };
	struct par w[NTH];
	pthread_t th[NTH];
	bool started[NTH];
	uint8_t *buf = malloc(REGION);
	struct vnode *n, *gaps = NULL;
	struct stat st;
	struct tv t;
	size_t s;
	int i;

	memset(started, 0, sizeof(started));
	if (!EXPECT(buf != NULL) || !EXPECT(tv_make(&t, &p) == 0))
		goto out_buf;
	if (!EXPECT(slow_reopen(&t, mode) == 0))
		goto out;
	n = tv_create(&t, t.root, "parallel");
	if (!EXPECT(n != NULL))
		goto out;
	gaps = tv_create(&t, t.root, "gaps");
	if (!EXPECT(gaps != NULL))
		goto out_close;
	/* a header, so that the gap writer's first write already runs in parallel */
	if (!EXPECT(vault_write(t.v, gaps, "", 0, 0, false, NULL) == 0))
		goto out_close;
	for (s = 0; s < NSLOTS; s++)
		slot_fill(buf + s * SLOT, s, 0);
	memset(buf + NSLOTS * SLOT, 0, REGION - NSLOTS * SLOT);
	if (!EXPECT(vault_write(t.v, n, buf, REGION, 0, false, NULL) == REGION))
		goto out_close;
	tv_log_capture(true);
	for (i = 0; i < NTH; i++) {
		void *(*fn)(void *);
		int id;

		if (i < REWRITERS)
			fn = rewriter, id = i;
		else if (i == REWRITERS)
			fn = big_writer, id = 0;
		else if (i < REWRITERS + 1 + APPENDERS)
			fn = appender, id = i - REWRITERS - 1;
		else if (i < NTH - 3)
			fn = reader, id = i;
		else if (i == NTH - 3)
			fn = whole_file, id = i;
		else
			fn = i == NTH - 2 ? gap_writer : gap_reader, id = i;
		w[i] = (struct par){ .t = &t, .n = n, .id = id, .gaps = gaps };
		started[i] = EXPECT(pthread_create(&th[i], NULL, fn, &w[i]) == 0);
	}
	for (i = 0; i < NTH; i++)
		if (started[i]) {
			pthread_join(th[i], NULL);
			EXPECTF(!w[i].err[0], "thread %d: %s", i, w[i].err);
		}
	tv_log_capture(false);
	/* the big write may land after some rewrites: redo the last round, then check */
	for (s = 1; s < BIG / SLOT; s++) {
		slot_fill(buf, s, ROUNDS);
		EXPECT(vault_write(t.v, n, buf, SLOT, (uint64_t)s * SLOT, false, NULL) == SLOT);
	}
	check_final(&t, n);
	EXPECT(vault_getattr(t.v, gaps, &st) == 0 &&
	       st.st_size == ((GAPS - 1) * GAP_STEP + 1) * BS);
out_close:
	if (gaps)
		tv_close(&t, gaps);
	tv_close(&t, n);
out:
	tv_free(&t);
out_buf:
	free(buf);
}

TEST(vault_parallel_single_client)
{
	parallel_run(VAULT_SHARED_OFF);
}

TEST(vault_parallel_shared_locks)
{
	parallel_run(VAULT_SHARED_LOCKS);
}

/* --- I/O hints to the store --- */

static atomic_uint hint_willneed, hint_writeout;

static void count_advise(void *ctx, int fd, uint64_t off, uint64_t len, int advice)
{
	if (advice == STORE_ADVISE_WILLNEED)
		atomic_fetch_add(&hint_willneed, 1);
	else if (advice == STORE_ADVISE_WRITEOUT)
		atomic_fetch_add(&hint_writeout, 1);
	if (slow_inner->advise)
		slow_inner->advise(ctx, fd, off, len, advice);
}

TEST(vault_hints_on_sequential_io)
{
	enum { CHUNK = 256 * 1024, FILE_MB = 24, NCHUNK = FILE_MB * 4 };
	uint8_t *buf = malloc(CHUNK);
	struct vnode *n;
	struct tv t;
	unsigned i, seq_hints;

	if (!EXPECT(buf != NULL) || !EXPECT(tv_make(&t, NULL) == 0))
		goto out_buf;
	if (!EXPECT(slow_reopen(&t, VAULT_SHARED_OFF) == 0))
		goto out;
	slow_ops.pwrite = slow_inner->pwrite; /* no delay here */
	slow_ops.advise = count_advise;
	n = tv_create(&t, t.root, "hints");
	if (!EXPECT(n != NULL))
		goto out;
	memset(buf, 'h', CHUNK);
	for (i = 0; i < NCHUNK; i++)
		EXPECT(vault_write(t.v, n, buf, CHUNK, (uint64_t)i * CHUNK, false, NULL) == CHUNK);
	/* write-back started every 8 MiB, 8 MiB behind: a few calls, not one per write */
	EXPECTF(hint_writeout >= 1 && hint_writeout <= FILE_MB / 8, "%u", hint_writeout);
	/* reads that jump around get none (the first, at offset 0, may look sequential) */
	for (i = 0; i < 16; i++)
		EXPECT(vault_read(t.v, n, buf, 4096, (uint64_t)((i * 7) % 16) * 1536 * 1024) ==
		       4096);
	EXPECTF(hint_willneed <= 1, "%u", hint_willneed);
	seq_hints = hint_willneed;
	for (i = 0; i < NCHUNK; i++)
		EXPECT(vault_read(t.v, n, buf, CHUNK, (uint64_t)i * CHUNK) == CHUNK);
	/* read ahead 4 MiB, topped up every 2 MiB */
	seq_hints = hint_willneed - seq_hints;
	EXPECTF(seq_hints >= FILE_MB / 4 && seq_hints <= FILE_MB / 2 + 1, "%u", seq_hints);
	tv_close(&t, n);
out:
	tv_free(&t);
out_buf:
	free(buf);
}

/*
 * Fresh lower I/O (coord.h): what a shared-mode operation reads under its cross-client
 * lock must be what the server holds now, not what the lower client cached. Lower clients
 * cache in three places, and each is passed by another means (docs/SHARED.md, "Lower
 * client caches"):
 *   - the kernel's page cache of the lower mount, and user-space data caches of the client
 *     (GlusterFS quick-read): contents are read through a second handle opened with
 *     O_DIRECT, in whole aligned pages, which every client here answers from the server;
 *   - attribute caches (the kernel's attribute timeout, GlusterFS md-cache): the size is
 *     asked with a forced refresh (statx AT_STATX_FORCE_SYNC) and checked against the
 *     server's own answer to SEEK_HOLE/SEEK_DATA, which no cache gives; when the client
 *     still reports another size, a sync refreshes its cache (measured: a forced statx
 *     alone was fresh in 2 of 20 rounds on GlusterFS, SEEK_HOLE and the statx after a
 *     sync in 20 of 20);
 *   - write-behind (GlusterFS): with COORD_FRESH_ALL, written data is synced before the
 *     lock that covers it is released.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/clock.h"
#include "base/log.h"
#include "coord/coord.h"

/* the store's lseek takes the platform's whence values; SEEK_HOLE needs _GNU_SOURCE in
 * glibc, its value is the same on Linux, the BSDs and macOS */
#ifndef SEEK_HOLE
#define SEEK_HOLE 4
#endif

#ifndef SEEK_DATA
#define SEEK_DATA 3
#endif

enum {
	/* SEEK_HOLE / SEEK_DATA pairs followed to the end of a file with holes */
	SEEK_STEPS = 16,
	/* a size that the server's contents keep contradicting for this long is an error */
	SIZE_SETTLE_MS = 3000,
	SIZE_BACKOFF_MAX_MS = 64,
};

static uint64_t align_down(uint64_t x)
{
	return x & ~(uint64_t)(COORD_DIRECT_ALIGN - 1);
}

static uint64_t align_up(uint64_t x)
{
	return align_down(x + COORD_DIRECT_ALIGN - 1);
}

int coord_direct_open(struct coord *c, int pfd)
{
	if (c->fresh == COORD_FRESH_NONE)
		return -EOPNOTSUPP;
	return store_reopen(c->store, pfd, STORE_RDONLY | STORE_DIRECT);
}

/*
 * Read alen bytes at the aligned offset start through dfd: a short read is the end of the
 * file (the next read would start unaligned, which direct I/O refuses). Count or -errno.
 */
static ssize_t direct_pread_aligned(struct coord *c, int dfd, uint8_t *abuf, size_t alen,
				    uint64_t start)
{
	size_t done = 0;
	ssize_t r;

	while (done < alen) {
		r = store_pread(c->store, dfd, abuf + done, alen - done, start + done);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += (size_t)r;
		if (done % COORD_DIRECT_ALIGN != 0)
			break;
	}
	return (ssize_t)done;
}

/* Direct read of the aligned range around [off, off + n) into buf. Count or -errno. */
static ssize_t direct_pread(struct coord *c, int dfd, void *buf, size_t n, uint64_t off)
{
	uint64_t start = align_down(off), end = align_up(off + n);
	size_t alen = (size_t)(end - start), skip = (size_t)(off - start), got_n;
	uint8_t *raw, *abuf;
	ssize_t got;

	/* aligned by hand within a larger block (plain C: the Windows runtime has no
	 * posix_memalign or aligned_alloc whose block free() takes) */
	if (!(raw = malloc(alen + COORD_DIRECT_ALIGN)))
		return -ENOMEM;
	abuf = raw + (COORD_DIRECT_ALIGN - (uintptr_t)raw % COORD_DIRECT_ALIGN) % COORD_DIRECT_ALIGN;
	got = direct_pread_aligned(c, dfd, abuf, alen, start);
	if (got >= 0) {
		got_n = (size_t)got > skip ? (size_t)got - skip : 0;
		if (got_n > n)
			got_n = n;
		memcpy(buf, abuf + skip, got_n);
		got = (ssize_t)got_n;
	}
	free(raw); /* ciphertext only: nothing to wipe */
	return got;
}

ssize_t coord_fresh_pread(struct coord *c, int fd, int dfd, void *buf, size_t n, uint64_t off)
{
	ssize_t r;

	if (c->fresh == COORD_FRESH_NONE || dfd < 0 || n == 0)
		return store_pread_full(c->store, fd, buf, n, off);
	r = direct_pread(c, dfd, buf, n, off);
	if (r != -EINVAL)
		return r;
	/* a lower fs that refuses this direct read (alignment): read through fd */
	return store_pread_full(c->store, fd, buf, n, off);
}

/*
 * The server's size of fd, found with SEEK_HOLE / SEEK_DATA from just before hint: FUSE
 * clients send both to the server (GlusterFS: to the brick), and no attribute cache
 * answers them. A valid cipher file never ends in a hole (its final block is always
 * written), so the first hole after the last data is the end. Returns 0 or -errno;
 * *known is false when the lower fs cannot tell (no SEEK_HOLE), else *exact is the size.
 */
static int seek_size(struct coord *c, int fd, uint64_t hint, uint64_t *exact, bool *known)
{
	int64_t off = hint ? (int64_t)hint - 1 : 0, h, d;
	bool restarted = false;
	int step;

	*known = false;
	for (step = 0; step < SEEK_STEPS; step++) {
		h = store_lseek(c->store, fd, off, SEEK_HOLE);
		if (h == -ENXIO && off == 0) {
			*exact = 0; /* empty */
			*known = true;
			return 0;
		}
		if (h == -ENXIO && !restarted) {
			off = 0; /* it shrank below hint: look from the start */
			restarted = true;
			continue;
		}
		if (h < 0)
			return h == -EINVAL || h == -EOPNOTSUPP || h == -ENOSYS ? 0 : (int)h;
		d = store_lseek(c->store, fd, h, SEEK_DATA);
		if (d == -ENXIO) {
			*exact = (uint64_t)h;
			*known = true;
			return 0;
		}
		if (d < 0)
			return d == -EINVAL || d == -EOPNOTSUPP || d == -ENOSYS ? 0 : (int)d;
		off = d;
	}
	return 0; /* a file full of holes: only the forced refresh is left */
}

int coord_fresh_size(struct coord *c, int fd, int dfd, uint64_t *size)
{
	uint64_t deadline = 0, exact = 0;
	unsigned backoff = 1;
	bool synced = false, known;
	struct stat st;
	int r;

	(void)dfd;
	if ((r = store_fstat_fresh(c->store, fd, &st)) < 0)
		return r;
	if (c->fresh == COORD_FRESH_NONE) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if ((r = seek_size(c, fd, (uint64_t)st.st_size, &exact, &known)) < 0)
		return r;
	if (!known) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	/*
	 * The size the lower client reports must agree too: its kernel cuts direct reads at
	 * the size it believes. A sync refreshes a GlusterFS client's attribute cache
	 * (md-cache takes the size from the reply); failing that, wait for it to expire.
	 */
	while ((uint64_t)st.st_size != exact) {
		if (!synced) {
			synced = true;
			(void)store_fsync(c->store, fd, true); /* only a refresh: errors show later */
		} else {
			if (!deadline)
				deadline = clock_mono_ms() + SIZE_SETTLE_MS;
			else if (clock_mono_ms() >= deadline)
				goto stuck;
			clock_sleep_ms(backoff);
			if (backoff < SIZE_BACKOFF_MAX_MS)
				backoff *= 2;
		}
		if ((r = store_fstat_fresh(c->store, fd, &st)) < 0)
			return r;
		if ((r = seek_size(c, fd, (uint64_t)st.st_size, &exact, &known)) < 0)
			return r;
		if (!known)
			break;
	}
	*size = (uint64_t)st.st_size;
	return 0;
stuck:
	log_error("the lower client keeps reporting size %llu where the server has %llu",
		  (unsigned long long)st.st_size, (unsigned long long)exact);
	return -EIO;
}

int coord_fresh_publish(struct coord *c, int fd)
{
	if (c->fresh != COORD_FRESH_ALL)
		return 0;
	return store_fsync(c->store, fd, true);
}

/*
 * Fresh lower I/O (coord.h): what a shared-mode operation reads under its cross-client
 * lock must be what the server holds now, not what the lower client cached. Lower clients
 * cache in three places, and each is passed by another means (docs/SHARED.md, "Lower
 * client caches"):
 *   - the kernel's page cache of the lower mount, and user-space data caches of the client
 *     (GlusterFS quick-read): contents are read through a second handle opened with
 *     O_DIRECT, in whole aligned pages, which every client here answers from the server;
 *   - attribute caches (the kernel's attribute timeout, GlusterFS md-cache): the size is
 *     asked with a forced refresh (statx AT_STATX_FORCE_SYNC), then checked against a
 *     direct read of the file's last pages, which ends where the server's file ends; a
 *     size the read contradicts is asked again (the read refreshed the client's cache)
 *     until both agree;
 *   - write-behind (GlusterFS): with COORD_FRESH_ALL, written data is synced before the
 *     lock that covers it is released.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/log.h"
#include "coord/coord.h"

/* the store's lseek takes the platform's whence values; SEEK_HOLE needs _GNU_SOURCE in
 * glibc, its value is the same on Linux, the BSDs and macOS */
#ifndef SEEK_HOLE
#define SEEK_HOLE 4
#endif

enum {
	/* the size check reads this much at the end of the file */
	TAIL_WINDOW = 2 * COORD_DIRECT_ALIGN,
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

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
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
	void *abuf = NULL;
	ssize_t got;

	if (posix_memalign(&abuf, COORD_DIRECT_ALIGN, alen) != 0)
		return -ENOMEM;
	got = direct_pread_aligned(c, dfd, abuf, alen, start);
	if (got >= 0) {
		got_n = (size_t)got > skip ? (size_t)got - skip : 0;
		if (got_n > n)
			got_n = n;
		memcpy(buf, (uint8_t *)abuf + skip, got_n);
		got = (ssize_t)got_n;
	}
	free(abuf); /* ciphertext only: nothing to wipe */
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
 * Does the server's file end at size? 1 yes (or *exact set to where it does end),
 * 0 the contents say the size is stale, or -errno.
 */
static int size_check(struct coord *c, int dfd, uint64_t size, uint64_t *exact)
{
	uint8_t tail[TAIL_WINDOW];
	uint64_t at;
	ssize_t got;
	int64_t hole;

	if (size == 0) {
		/* a direct read at offset 0 of a file the client thinks empty never reaches
		 * the server; SEEK_HOLE from 0 does (ENXIO: empty there too) */
		hole = store_lseek(c->store, dfd, 0, SEEK_HOLE);
		if (hole == -ENXIO)
			return *exact = 0, 1;
		if (hole < 0)
			return *exact = 0, 1; /* no way to tell: trust the forced refresh */
		return 0;
	}
	at = align_down(size - 1);
	got = direct_pread(c, dfd, tail, sizeof(tail), at);
	if (got == -EINVAL) {
		/* this lower fs refuses direct reads: only the forced refresh is left */
		*exact = size;
		return 1;
	}
	if (got < 0)
		return (int)got;
	if (got > 0 && (size_t)got < sizeof(tail)) {
		*exact = at + (uint64_t)got;
		return 1;
	}
	return 0; /* grew past the window, or shrank below it */
}

int coord_fresh_size(struct coord *c, int fd, int dfd, uint64_t *size)
{
	uint64_t deadline = 0, exact = 0;
	unsigned backoff = 1;
	struct stat st;
	int r;

	for (;;) {
		if ((r = store_fstat_fresh(c->store, fd, &st)) < 0)
			return r;
		if (c->fresh == COORD_FRESH_NONE || dfd < 0) {
			*size = (uint64_t)st.st_size;
			return 0;
		}
		r = size_check(c, dfd, (uint64_t)st.st_size, &exact);
		if (r < 0)
			return r;
		if (r == 1) {
			*size = exact;
			return 0;
		}
		if (!deadline)
			deadline = mono_ms() + SIZE_SETTLE_MS;
		else if (mono_ms() >= deadline)
			break;
		sleep_ms(backoff);
		if (backoff < SIZE_BACKOFF_MAX_MS)
			backoff *= 2;
	}
	log_error("the lower client keeps reporting size %llu, which the server's contents "
		  "contradict", (unsigned long long)st.st_size);
	return -EIO;
}

int coord_fresh_publish(struct coord *c, int fd)
{
	if (c->fresh != COORD_FRESH_ALL)
		return 0;
	return store_fsync(c->store, fd, true);
}

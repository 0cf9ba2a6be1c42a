/*
 * Lock files (COORD_LOCKFILES), for lower file systems whose byte-range locks do not
 * cross clients but whose exclusive create is atomic at the server (SFTP). One lock file
 * per regular file, in the cipher directory's root (reserved names start with "veilfs."
 * there in both name modes, so neither listings nor name decryption ever see them):
 *     veilfs.lock.<16 hex digits: FNV-1a 64 of the file's lower path from the root>
 * created with O_CREAT|O_EXCL, holding one line
 *     "veilfs-lock v1 client=<32 hex> pid=<pid> time=<unix seconds> seq=<n>\n".
 * A lock file covers the whole file (byte ranges are ignored), for reads and writes.
 * Threads of one client share one lock file per file (struct coord_file.users).
 * Waiting: retry with backoff (1 ms doubling to 64 ms). A lock file whose content this
 * client has seen unchanged for the lease (by its own monotonic clock, so clock skew
 * between clients does not matter) is stale: it is renamed to
 * "veilfs.lock.<hash>.broken.<client>.<seq>" (only one breaker's rename succeeds) and that
 * name is unlinked. Release unlinks the file at once while less than half a lease has passed
 * since it was taken (no breaker can have renamed it: lf_surely_ours); later it reads the
 * file back first and unlinks it only if it still holds our content. Known race (docs/SHARED.md): between reading a stale content and renaming it,
 * the stale file may have been broken and replaced by a fresh lock of a third client,
 * which this rename would then break; the lease must therefore be far longer than any
 * critical section (a few lower I/O calls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "base/clock.h"
#include "base/log.h"
#include "coord/coord.h"
#include "names/names.h"

enum {
	LF_BACKOFF_MIN_US = 1000,
	LF_BACKOFF_MAX_US = 64000,
	LF_CONTENT_MAX = 512,
	/* waiting gives up after this many leases (plus one second) */
	LF_WAIT_LEASES = 3,
	/* exclusive creates refused with EPERM although no lock file exists (sshfs) */
	LF_AMBIGUOUS_MAX = 100,
};

#define LF_PREFIX NAMES_RESERVED_PREFIX "lock."

/* --- lock files --- */

/* "veilfs.lock.<hash>" of the file's lower path into f->name. */
static void lf_make_name(struct coord_file *f, const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *p;

	for (p = (const unsigned char *)path; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	snprintf(f->name, sizeof(f->name), LF_PREFIX "%016llx", (unsigned long long)h);
}

/* Read the lock file's content into out (NUL-terminated). 0, -ENOENT or -errno. */
static int lf_read(struct coord *c, const char *name, char *out, size_t size)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = store_read_file(c->store, c->rootfd, name, LF_CONTENT_MAX, &data, &len);
	if (r == -EFBIG)
		len = 0, r = 0; /* not ours; compared as "" */
	if (r < 0)
		return r;
	if (len >= size)
		len = size - 1;
	if (len)
		memcpy(out, data, len);
	out[len] = '\0';
	free(data);
	return 0;
}

/* One O_EXCL create attempt: 0 (held), -EEXIST, or -errno. */
static int lf_try_create(struct coord *c, struct coord_file *f)
{
	size_t len = strlen(f->content);
	int fd, r;

	fd = store_openat(c->store, c->rootfd, f->name, STORE_WRONLY | STORE_CREAT | STORE_EXCL,
			  0600);
	if (fd == -EPERM || fd == -EACCES || fd == -EIO) {
		/* SFTP v3 has no "exists" status: sshfs reports an exclusive create of an
		 * existing file as EPERM. Tell the two apart by looking. */
		struct stat st;

		int e = store_fstatat(c->store, c->rootfd, f->name, &st, STORE_AT_NOFOLLOW);

		if (e == 0)
			return -EEXIST;
		if (e == -ENOENT)
			return -EAGAIN; /* gone meanwhile, or a real error: the caller retries */
	}
	if (fd < 0)
		return fd;
	r = store_pwrite_full(c->store, fd, f->content, len, 0);
	if (store_close(c->store, fd) < 0 && r == 0)
		r = -EIO;
	if (r < 0) {
		/* the write error is reported; a lock file left behind goes stale and is broken */
		(void)store_unlinkat(c->store, c->rootfd, f->name, 0);
		return r;
	}
	return 0;
}

/* Break the stale lock file f->name: rename it away (one breaker wins), unlink it. */
static void lf_break(struct coord *c, struct coord_file *f, const char *seen)
{
	char tmp[128];
	int r;

	snprintf(tmp, sizeof(tmp), "%s.broken.%s.%u", f->name, c->client_id,
		 atomic_fetch_add(&c->seq, 1));
	r = store_renameat(c->store, c->rootfd, f->name, c->rootfd, tmp, 0);
	if (r < 0)
		return; /* somebody else broke or released it */
	log_warn("broke stale lock file '%s' (unchanged for %u ms): %.*s", f->name,
		    c->lease_ms, (int)strcspn(seen, "\n"), seen);
	/* a .broken file left behind holds no lock; its name is reserved, hidden from the view */
	(void)store_unlinkat(c->store, c->rootfd, tmp, 0);
}

int coord_lockfile_acquire(struct coord *c, struct coord_file *f, const char *path)
{
	uint64_t lease = c->lease_ms, start, seen_at = 0;
	uint64_t deadline;
	unsigned backoff = LF_BACKOFF_MIN_US;
	char seen[LF_CONTENT_MAX], cur[LF_CONTENT_MAX];
	bool have_seen = false;
	int r, ambiguous = 0;

	pthread_mutex_lock(&f->mutex);
	if (f->users > 0) {
		f->users++;
		pthread_mutex_unlock(&f->mutex);
		return 0;
	}
	lf_make_name(f, path);
	snprintf(f->content, sizeof(f->content),
		 "veilfs-lock v1 client=%s pid=%ld time=%lld seq=%u\n", c->client_id,
		 (long)getpid(), (long long)time(NULL), atomic_fetch_add(&c->seq, 1));
	start = clock_mono_ms();
	deadline = start + LF_WAIT_LEASES * lease + 1000;
	for (;;) {
		if (clock_mono_ms() >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		f->taken_ms = clock_boot_ms();
		r = lf_try_create(c, f);
		if (r == -EAGAIN && ++ambiguous < LF_AMBIGUOUS_MAX)
			continue;
		if (r == -EAGAIN)
			r = -EPERM;
		if (r != -EEXIST)
			break;
		r = lf_read(c, f->name, cur, sizeof(cur));
		if (r == -ENOENT)
			continue; /* released meanwhile: try again at once */
		if (r < 0)
			break;
		if (!have_seen || strcmp(cur, seen) != 0) {
			memcpy(seen, cur, sizeof(seen));
			seen_at = clock_mono_ms();
			have_seen = true;
		} else if (clock_mono_ms() - seen_at >= lease) {
			lf_break(c, f, seen);
			have_seen = false;
			continue;
		}
		clock_sleep_us(backoff);
		if (backoff < LF_BACKOFF_MAX_US)
			backoff *= 2;
	}
	if (r == 0)
		f->users = 1;
	pthread_mutex_unlock(&f->mutex);
	if (r < 0) {
		log_error("cannot take lock file '%s' for '%s' after %llu ms: %s", f->name,
			  path, (unsigned long long)(clock_mono_ms() - start), strerror(-r));
	}
	return r;
}

/*
 * Whether the lock file taken at f->taken_ms may still be ours without reading it back.
 * A breaker renames it only after it has seen our content unchanged for the lease by its
 * own monotonic clock, which counts no more than the real time since our create reached
 * the server, and that create came after taken_ms. So while less than half a lease (the
 * margin is for clock rates and the time our unlink takes to reach the server) has passed
 * on a clock that counts our suspends and stops too, no client keeping to the protocol can
 * have broken it (docs/SHARED.md, "Release").
 */
static bool lf_surely_ours(const struct coord *c, const struct coord_file *f)
{
	return clock_boot_ms() - f->taken_ms < c->lease_ms / 2;
}

/* Remove our lock file f->name: 0, -ESTALE (broken by another client) or -errno. */
static int lf_remove(struct coord *c, struct coord_file *f)
{
	char cur[LF_CONTENT_MAX];
	int r;

	if (lf_surely_ours(c, f))
		return store_unlinkat(c->store, c->rootfd, f->name, 0);
	r = lf_read(c, f->name, cur, sizeof(cur));
	if (r == 0 && strcmp(cur, f->content) == 0)
		return store_unlinkat(c->store, c->rootfd, f->name, 0);
	return r == 0 || r == -ENOENT ? -ESTALE : r;
}

void coord_lockfile_release(struct coord *c, struct coord_file *f)
{
	int r;

	pthread_mutex_lock(&f->mutex);
	if (f->users == 0 || --f->users > 0) {
		pthread_mutex_unlock(&f->mutex);
		return;
	}
	r = lf_remove(c, f);
	if (r == -ESTALE)
		log_warn("lock file '%s' was broken by another client while held",
			    f->name);
	else if (r < 0)
		log_error("cannot remove lock file '%s': %s", f->name, strerror(-r));
	pthread_mutex_unlock(&f->mutex);
}


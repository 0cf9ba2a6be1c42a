/*
 * Shared-storage lock hooks (lock.h): no-ops for VAULT_SHARED_OFF, byte-range locks on the
 * lower cipher file for VAULT_SHARED_LOCKS, and lock files for VAULT_SHARED_LOCKFILES.
 * AUTO is resolved by the front end (it knows the lower file system type) before
 * vault_open(). The protocol is documented in docs/SHARED.md.
 *
 * Lock files: one per regular file, in the cipher directory's root (reserved names start
 * with "veilfs." there in both name modes, so neither listings nor name decryption ever
 * see them):
 *     veilfs.lock.<16 hex digits: FNV-1a 64 of the file's lower path from the root>
 * created with O_CREAT|O_EXCL (atomic on every lower fs we support), holding one line
 *     "veilfs-lock v1 client=<32 hex> pid=<pid> time=<unix seconds> seq=<n>\n".
 * A lock file covers the whole file (block ranges are ignored), for reads and writes.
 * Threads of one client share one lock file per vnode (counted in lf_users).
 * Waiting: retry with backoff (1 ms doubling to 64 ms). A lock file whose content this
 * client has seen unchanged for the lease (by its own monotonic clock, so clock skew
 * between clients does not matter) is stale: it is renamed to
 * "veilfs.lock.<hash>.broken.<client>.<seq>" (only one breaker's rename succeeds) and that
 * name is unlinked. Release reads the file back and unlinks it only if it still holds our
 * content. Known race (docs/SHARED.md): between reading a stale content and renaming it,
 * the stale file may have been broken and replaced by a fresh lock of a third client,
 * which this rename would then break; the lease must therefore be far longer than any
 * critical section (a few lower I/O calls).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "base/log.h"
#include "crypto/kdf.h"
#include "format/block.h"
#include "format/header.h"
#include "vault/lock.h"
#include "vault/vault_internal.h"

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

int vault_lock_init(struct vault *v)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t id[16];
	size_t i;
	int r;

	switch (v->opts.shared) {
	case VAULT_SHARED_OFF:
	case VAULT_SHARED_LOCKS:
	case VAULT_SHARED_LOCKFILES:
		break;
	case VAULT_SHARED_AUTO:
		/* the front end picks LOCKS or LOCKFILES from the lower fs type */
		return -EINVAL;
	default:
		return -EINVAL;
	}
	if (v->opts.lock_lease_ms == 0)
		v->opts.lock_lease_ms = VAULT_LOCK_LEASE_MS_DEFAULT;
	if ((r = random_bytes(id, sizeof(id))) < 0)
		return r;
	for (i = 0; i < sizeof(id); i++) {
		v->client_id[2 * i] = hex[id[i] >> 4];
		v->client_id[2 * i + 1] = hex[id[i] & 15];
	}
	v->client_id[2 * sizeof(id)] = '\0';
	return 0;
}

bool vault_lock_is_shared(const struct vault *v)
{
	return v->opts.shared != VAULT_SHARED_OFF;
}

/* --- lock files --- */

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* "veilfs.lock.<hash>" of n's lower path into n->lf_name. */
static void lf_make_name(struct vault *v, struct vnode *n)
{
	char path[VAULT_WHAT_MAX];
	uint64_t h = 0xcbf29ce484222325ull;
	const unsigned char *p;

	vnode_name(v, n, path, sizeof(path));
	for (p = (const unsigned char *)path; *p; p++) {
		h ^= *p;
		h *= 0x100000001b3ull;
	}
	snprintf(n->lf_name, sizeof(n->lf_name), LF_PREFIX "%016llx", (unsigned long long)h);
}

/* Read the lock file's content into out (NUL-terminated). 0, -ENOENT or -errno. */
static int lf_read(struct vault *v, const char *name, char *out, size_t size)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	r = store_read_file(v->store, v->rootfd, name, LF_CONTENT_MAX, &data, &len);
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
static int lf_try_create(struct vault *v, struct vnode *n)
{
	size_t len = strlen(n->lf_content);
	int fd, r;

	fd = SOP(v, openat, v->rootfd, n->lf_name, STORE_WRONLY | STORE_CREAT | STORE_EXCL, 0600);
	if (fd == -EPERM || fd == -EACCES || fd == -EIO) {
		/* SFTP v3 has no "exists" status: sshfs reports an exclusive create of an
		 * existing file as EPERM. Tell the two apart by looking. */
		struct stat st;

		int e = SOP(v, fstatat, v->rootfd, n->lf_name, &st, STORE_AT_NOFOLLOW);

		if (e == 0)
			return -EEXIST;
		if (e == -ENOENT)
			return -EAGAIN; /* gone meanwhile, or a real error: the caller retries */
	}
	if (fd < 0)
		return fd;
	r = store_pwrite_full(v->store, fd, n->lf_content, len, 0);
	if (SOP(v, close, fd) < 0 && r == 0)
		r = -EIO;
	if (r < 0) {
		(void)SOP(v, unlinkat, v->rootfd, n->lf_name, 0);
		return r;
	}
	return 0;
}

/* Break the stale lock file n->lf_name: rename it away (one breaker wins), unlink it. */
static void lf_break(struct vault *v, struct vnode *n, const char *seen)
{
	char tmp[128];
	int r;

	snprintf(tmp, sizeof(tmp), "%s.broken.%s.%u", n->lf_name, v->client_id,
		 atomic_fetch_add(&v->lock_seq, 1));
	r = SOP(v, renameat, v->rootfd, n->lf_name, v->rootfd, tmp, 0);
	if (r < 0)
		return; /* somebody else broke or released it */
	log_warn("broke stale lock file '%s' (unchanged for %u ms): %.*s", n->lf_name,
		    v->opts.lock_lease_ms, (int)strcspn(seen, "\n"), seen);
	(void)SOP(v, unlinkat, v->rootfd, tmp, 0);
}

static int lf_acquire(struct vault *v, struct vnode *n)
{
	uint64_t lease = v->opts.lock_lease_ms, start, seen_at = 0;
	uint64_t deadline;
	unsigned backoff = LF_BACKOFF_MIN_US;
	char seen[LF_CONTENT_MAX], cur[LF_CONTENT_MAX];
	bool have_seen = false;
	int r, ambiguous = 0;

	pthread_mutex_lock(&n->lf_mutex);
	if (n->lf_users > 0) {
		n->lf_users++;
		pthread_mutex_unlock(&n->lf_mutex);
		return 0;
	}
	lf_make_name(v, n);
	snprintf(n->lf_content, sizeof(n->lf_content),
		 "veilfs-lock v1 client=%s pid=%ld time=%lld seq=%u\n", v->client_id,
		 (long)getpid(), (long long)time(NULL), atomic_fetch_add(&v->lock_seq, 1));
	start = now_ms();
	deadline = start + LF_WAIT_LEASES * lease + 1000;
	for (;;) {
		if (now_ms() >= deadline) {
			r = -ETIMEDOUT;
			break;
		}
		r = lf_try_create(v, n);
		if (r == -EAGAIN && ++ambiguous < LF_AMBIGUOUS_MAX)
			continue;
		if (r == -EAGAIN)
			r = -EPERM;
		if (r != -EEXIST)
			break;
		r = lf_read(v, n->lf_name, cur, sizeof(cur));
		if (r == -ENOENT)
			continue; /* released meanwhile: try again at once */
		if (r < 0)
			break;
		if (!have_seen || strcmp(cur, seen) != 0) {
			memcpy(seen, cur, sizeof(seen));
			seen_at = now_ms();
			have_seen = true;
		} else if (now_ms() - seen_at >= lease) {
			lf_break(v, n, seen);
			have_seen = false;
			continue;
		}
		sleep_us(backoff);
		if (backoff < LF_BACKOFF_MAX_US)
			backoff *= 2;
	}
	if (r == 0)
		n->lf_users = 1;
	pthread_mutex_unlock(&n->lf_mutex);
	if (r < 0) {
		char what[VAULT_WHAT_MAX];

		vnode_name(v, n, what, sizeof(what));
		log_error("cannot take lock file '%s' for '%s' after %llu ms: %s", n->lf_name,
			  what, (unsigned long long)(now_ms() - start), strerror(-r));
	}
	return r;
}

static void lf_release(struct vault *v, struct vnode *n)
{
	char cur[LF_CONTENT_MAX];
	int r;

	pthread_mutex_lock(&n->lf_mutex);
	if (n->lf_users == 0 || --n->lf_users > 0) {
		pthread_mutex_unlock(&n->lf_mutex);
		return;
	}
	r = lf_read(v, n->lf_name, cur, sizeof(cur));
	if (r == 0 && strcmp(cur, n->lf_content) == 0)
		r = SOP(v, unlinkat, v->rootfd, n->lf_name, 0);
	else if (r == 0 || r == -ENOENT)
		r = -ESTALE;
	if (r == -ESTALE)
		log_warn("lock file '%s' was broken by another client while held",
			    n->lf_name);
	else if (r < 0)
		log_error("cannot remove lock file '%s': %s", n->lf_name, strerror(-r));
	pthread_mutex_unlock(&n->lf_mutex);
}

/* --- hooks --- */

static void block_range(const struct vault *v, uint64_t first, uint64_t last, uint64_t *off,
			uint64_t *len)
{
	*off = block_cipher_offset(&v->geom, first);
	*len = last == VAULT_LOCK_TO_END ? 0 : block_cipher_offset(&v->geom, last + 1) - *off;
}

int vault_lock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last,
		      bool exclusive)
{
	uint64_t off, len;
	int r;

	if (v->opts.shared == VAULT_SHARED_LOCKFILES)
		return lf_acquire(v, n);
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return 0;
	block_range(v, first, last, &off, &len);
	r = SOP(v, lock, fd, off, len, exclusive, true);
	if (r < 0) {
		char what[VAULT_WHAT_MAX];

		vnode_name(v, n, what, sizeof(what));
		log_error("cannot lock blocks %llu..%llu of '%s': %s", (unsigned long long)first,
			  (unsigned long long)last, what, strerror(-r));
	}
	return r;
}

void vault_unlock_blocks(struct vault *v, struct vnode *n, int fd, uint64_t first, uint64_t last)
{
	uint64_t off, len;

	if (v->opts.shared == VAULT_SHARED_LOCKFILES) {
		lf_release(v, n);
		return;
	}
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return;
	block_range(v, first, last, &off, &len);
	(void)SOP(v, unlock, fd, off, len);
}

int vault_lock_header(struct vault *v, struct vnode *n, int fd)
{
	if (v->opts.shared == VAULT_SHARED_LOCKFILES)
		return lf_acquire(v, n); /* nested in the block lock: a counter increment */
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return 0;
	return SOP(v, lock, fd, 0, FILE_HEADER_LEN, true, true);
}

void vault_unlock_header(struct vault *v, struct vnode *n, int fd)
{
	if (v->opts.shared == VAULT_SHARED_LOCKFILES) {
		lf_release(v, n);
		return;
	}
	if (v->opts.shared != VAULT_SHARED_LOCKS)
		return;
	(void)SOP(v, unlock, fd, 0, FILE_HEADER_LEN);
}

/*
 * Directory IVs: the creating client is the one whose mkdirat() succeeded, so no other
 * client can create the same IV; the IV appears atomically (temp file + rename). Byte-range
 * locks cannot be taken on a directory handle, so no mode needs anything here. Readers
 * that find no IV yet get -ENOENT and retry (vault_names.c).
 */
int vault_lock_diriv(struct vault *v, int dirfd)
{
	(void)v;
	(void)dirfd;
	return 0;
}

void vault_unlock_diriv(struct vault *v, int dirfd)
{
	(void)v;
	(void)dirfd;
}

/*
 * Cross-client coordination: everything veilfs does so that several clients of one cipher
 * directory (machines, or mounts on one machine) never interleave a read-modify-write and
 * never act on what their lower client cached (docs/SHARED.md):
 *   - locks over byte ranges of a lower cipher file, taken either as byte-range locks of
 *     the lower file system (COORD_LOCKS) or as lock files created with O_EXCL
 *     (COORD_LOCKFILES, lockfile.c);
 *   - fresh lower I/O under those locks (fresh.c): sizes, headers and blocks read past
 *     every cache of the lower client, and writes pushed to the server before a lock is
 *     released;
 *   - the mount registry (registry.h).
 * It knows lower handles, names and byte ranges, never plaintext, keys or vnodes; a
 * file's blocks map onto those ranges in filelock.h, which the vault calls.
 */
#ifndef VEILFS_COORD_COORD_H
#define VEILFS_COORD_COORD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "store/store.h"

enum coord_mode {
	COORD_OFF = 0,       /* one client: nothing to coordinate */
	COORD_LOCKS = 1,     /* byte-range locks of the lower file system */
	COORD_LOCKFILES = 2, /* lock files created with O_EXCL in the cipher root */
};

/* How far the lower client's caches are distrusted (fresh.c). */
enum coord_fresh {
	COORD_FRESH_NONE = 0,   /* the lower file system is coherent (local, or trusted) */
	COORD_FRESH_READS = 1,  /* sizes forced fresh, contents read with direct I/O */
	COORD_FRESH_ALL = 2,    /* READS, and written data synced before a lock is released */
};

enum {
	COORD_CLIENT_ID_LEN = 32, /* hex digits */
	COORD_LOCKFILE_NAME_MAX = 48,
	COORD_LOCKFILE_CONTENT_MAX = 160,
	/* Alignment of direct reads (fresh.c): a page, which every lower fs here accepts. */
	COORD_DIRECT_ALIGN = 4096,
};

#define COORD_LEASE_MS_DEFAULT 10000u
#define COORD_TO_END UINT64_MAX

struct coord {
	struct store *store; /* borrowed: the vault's */
	int rootfd;          /* borrowed: the cipher directory */
	enum coord_mode mode;
	enum coord_fresh fresh;
	unsigned lease_ms;   /* lock files unchanged this long are stale */
	char client_id[COORD_CLIENT_ID_LEN + 1];
	atomic_uint seq;
};

/*
 * One client's coordination state of one lower file, embedded in the vault's vnode.
 * LOCKFILES: the threads of one client share one held lock file per file (users counts
 * them). Protected by mutex, which is held while the lock file is created or removed.
 */
struct coord_file {
	pthread_mutex_t mutex;
	unsigned users;
	char name[COORD_LOCKFILE_NAME_MAX];       /* veilfs.lock.<16 hex> */
	char content[COORD_LOCKFILE_CONTENT_MAX]; /* what we wrote into it */
	uint64_t taken_ms;                        /* clock_boot_ms() before its create */
};

/* Set c up over the store s and cipher root rootfd (both borrowed). 0 or -errno. */
int coord_init(struct coord *c, struct store *s, int rootfd, enum coord_mode mode,
	       enum coord_fresh fresh, unsigned lease_ms) MUST_CHECK;
static inline bool coord_is_shared(const struct coord *c)
{
	return c->mode != COORD_OFF;
}

void coord_file_init(struct coord_file *f);
void coord_file_release(struct coord_file *f);

/*
 * Lock [off, off + len) of the lower file fd (len 0: to the end and beyond), shared or
 * exclusive, waiting. path is the file's lower path from the cipher root (lock-file
 * name, log lines). Returns 0 or -errno (logged). A no-op for COORD_OFF.
 */
int coord_lock(struct coord *c, struct coord_file *f, int fd, const char *path, uint64_t off,
	       uint64_t len, bool exclusive) MUST_CHECK;
void coord_unlock(struct coord *c, struct coord_file *f, int fd, uint64_t off, uint64_t len);

/* lockfile.c, used by coord_lock() */
int coord_lockfile_acquire(struct coord *c, struct coord_file *f, const char *path) MUST_CHECK;
void coord_lockfile_release(struct coord *c, struct coord_file *f);

/* --- fresh.c: lower I/O that no cache of the lower client answers --- */

/*
 * The lower size of fd as the server has it now. dfd is a direct-I/O read handle of the
 * same file (coord_direct_open), or -1 when none could be had. Returns 0 or -errno.
 */
int coord_fresh_size(struct coord *c, int fd, int dfd, uint64_t *size) MUST_CHECK;
/*
 * Read n bytes at off of the file (fewer only at end of file) past the lower client's
 * caches: through dfd with aligned direct reads, else through fd. Returns the count or
 * -errno.
 */
ssize_t coord_fresh_pread(struct coord *c, int fd, int dfd, void *buf, size_t n,
			  uint64_t off) MUST_CHECK;
/* Before a write lock on fd is released: make what was written visible to other clients. */
int coord_fresh_publish(struct coord *c, int fd) MUST_CHECK;
/*
 * A direct-I/O read handle for the lower object of the path handle pfd, or -errno when
 * the lower file system has none (callers then read through their normal handle).
 */
int coord_direct_open(struct coord *c, int pfd) MUST_CHECK;

#endif

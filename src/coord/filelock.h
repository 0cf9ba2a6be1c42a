/*
 * The cross-client locks of one regular file, in terms of its blocks (issue 5). The vault
 * takes them around every block read-modify-write and every header creation, so that two
 * clients of one share cannot interleave those steps. They map onto coord_lock() ranges
 * of the lower cipher file:
 *   blocks first..last  bytes [block_cipher_offset(first), block_cipher_offset(last + 1))
 *                       (last == FILELOCK_TO_END: to the end of the file and beyond)
 *   header              bytes [0, FILE_HEADER_LEN)
 * With COORD_OFF they do nothing; with COORD_LOCKS they are byte-range locks of the lower
 * file system; with COORD_LOCKFILES each takes the file's one lock file (whole file,
 * readers and writers alike; lockfile.c and docs/SHARED.md give the protocol). Byte
 * ranges of different blocks never overlap, and the header range is disjoint from every
 * block, so clients only wait for each other on the same blocks.
 *
 * These locks order clients against each other; threads of one client are ordered by the
 * vault's range lock first (all threads share one lower handle, and locks on one open file
 * description never conflict with each other).
 */
#ifndef VEILFS_COORD_FILELOCK_H
#define VEILFS_COORD_FILELOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

struct block_geom;
struct coord;
struct coord_file;

#define FILELOCK_TO_END UINT64_MAX

/* One file as its locks see it: plain values from the caller, every pointer borrowed. */
struct filelock {
	struct coord *coord;
	const struct block_geom *geom;
	struct coord_file *cf; /* this client's coordination state of the file */
	int fd;                /* the lower handle the locks are taken through */
	/* The file's lower path from the cipher root (lock-file name, log lines); asked for
	 * only in a shared mode, and valid until the next call. */
	const char *(*path)(void *arg);
	void *arg;
};

/* Lock blocks first..last, shared or exclusive, waiting. 0 or -errno (logged). */
int filelock_blocks(const struct filelock *l, uint64_t first, uint64_t last,
		    bool exclusive) MUST_CHECK;
void filelock_unlock_blocks(const struct filelock *l, uint64_t first, uint64_t last);

/* Lock the header range (exclusive) around header creation. 0 or -errno. */
int filelock_header(const struct filelock *l) MUST_CHECK;
void filelock_unlock_header(const struct filelock *l);

#endif

/*
 * The mark an interrupted `veilfs rekey` may leave on a file (docs/FORMAT.md "Interrupted
 * rekey: the mark"): zero padding, then a record that ends the file and keeps the old
 * lower size and times, so that the marked size is one no cipher file has while the old
 * contents stay whole below it. Pure encode/decode: no keys, no I/O (the vault sets and
 * takes off marks: vault/rekey_mark.h; fsck reports them).
 */
#ifndef VEILFS_FORMAT_REKEY_MARK_H
#define VEILFS_FORMAT_REKEY_MARK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "base/compiler.h"
#include "format/block.h"

enum {
	/* magic (16) || old lower size (u64) || atime, mtime (s64 seconds, u32 ns each) */
	REKEY_MARK_RECORD_LEN = 48,
};

/* What a mark records: the lower size before it, and the atime and mtime then. */
struct rekey_mark {
	uint64_t size;
	struct timespec times[2];
};

/* Bytes the mark adds to a file of valid lower size size (>= FILE_HEADER_LEN). */
uint64_t rekey_mark_len(const struct block_geom *g, uint64_t size);
/* The longest mark of geometry g: how much of a file's end rekey_mark_decode() wants. */
uint64_t rekey_mark_len_max(const struct block_geom *g);
/* The mark of m (padding and record, rekey_mark_len(g, m->size) bytes) into out. */
void rekey_mark_encode(const struct block_geom *g, const struct rekey_mark *m, uint8_t *out);
/*
 * Is a file of lower size size, whose last len bytes are p (len = the lesser of size and
 * rekey_mark_len_max(g)), marked? 0 and *m filled when it ends in a whole mark (magic, a
 * valid recorded size below size, exactly the padding that size needs, all zero), else
 * -ENOENT.
 */
int rekey_mark_decode(const struct block_geom *g, uint64_t size, const uint8_t *p, size_t len,
		      struct rekey_mark *m) MUST_CHECK;

#endif

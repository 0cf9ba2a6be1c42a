/*
 * The "being replaced" mark a rekey puts on a file before it renames the re-encryption over
 * it (vault_rekey.c; docs/CLI.md "rekey", docs/FORMAT.md "Interrupted rekey"). The mark is
 * a record appended to the old file, padded so that the lower size becomes one no cipher
 * file has (a last block of 1 byte): a handle a live mount holds on the old file then
 * fails with EIO on its next read or write (it reads the lower size under the file's locks)
 * whether or not the rename that follows happens, while the old contents stay whole below
 * the mark. A rekey killed between the mark and the rename thus leaves the old file whole,
 * and the rerun (or fsck --repair) cuts the mark off again (rekey_mark_undo), with the
 * times the record kept, and starts that file anew. The record, big-endian, ends the file:
 * magic "veilfs-rekey-mk1", the old lower size (u64), atime and mtime (s64 seconds, u32
 * nanoseconds each); zeros pad from the old end to the record.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/bytes.h"
#include "base/log.h"
#include "store/store.h"
#include "vault/rekey_mark.h"
#include "vault/vault_internal.h"

static const char mark_magic[16] = "veilfs-rekey-mk1";

enum { MARK_LEN = 16 + 8 + 2 * (8 + 4) };

/* How many bytes the mark adds to a valid lower size: padding + record. */
static uint64_t mark_len(const struct block_geom *g, uint64_t size)
{
	uint64_t k = (size - FILE_HEADER_LEN) % g->cipher_size;
	uint64_t x = (g->cipher_size + 1 - k) % g->cipher_size;

	return x < MARK_LEN ? x + g->cipher_size : x;
}

static void put_time(uint8_t *p, const struct timespec *t)
{
	put_be64(p, (uint64_t)(int64_t)t->tv_sec);
	put_be32(p + 8, (uint32_t)t->tv_nsec);
}

static void get_time(const uint8_t *p, struct timespec *t)
{
	t->tv_sec = (time_t)(int64_t)get_be64(p);
	t->tv_nsec = (long)(get_be32(p + 8) % 1000000000u);
}

int rekey_mark_set(struct fileop *op, const struct stat *st)
{
	const struct block_geom *g = &op->v->geom;
	uint8_t *pad, rec[MARK_LEN];
	uint64_t x = mark_len(g, op->csize);
	int r = -ENOMEM;

	if (op->csize < FILE_HEADER_LEN)
		return -EPROTO;
	memcpy(rec, mark_magic, sizeof(mark_magic));
	put_be64(rec + 16, op->csize);
	put_time(rec + 24, &st->st_atim);
	put_time(rec + 36, &st->st_mtim);
	if (!(pad = calloc(1, x)))
		return r;
	memcpy(pad + x - MARK_LEN, rec, MARK_LEN);
	r = store_pwrite_full(op->v->store, op->fd, pad, x, op->csize);
	if (r == 0)
		r = store_fsync(op->v->store, op->fd, false);
	if (r < 0) /* never leave half a mark: the file is whole again, or reported */
		(void)store_ftruncate(op->v->store, op->fd, op->csize);
	free(pad);
	return r;
}

/* Check that [from, to) of op's lower file is all zero. 0, -ENOENT or -errno. */
static int mark_padding_zero(struct fileop *op, uint64_t from, uint64_t to)
{
	uint8_t buf[512];
	uint64_t off;
	ssize_t got;
	size_t i, n;

	for (off = from; off < to; off += n) {
		n = to - off < sizeof(buf) ? (size_t)(to - off) : sizeof(buf);
		if ((got = fileop_pread(op, buf, n, off)) < 0)
			return (int)got;
		if ((size_t)got != n)
			return -ENOENT;
		for (i = 0; i < n; i++)
			if (buf[i])
				return -ENOENT;
	}
	return 0;
}

int rekey_mark_find(struct fileop *op, struct rekey_mark *m)
{
	const struct block_geom *g = &op->v->geom;
	uint8_t rec[MARK_LEN];
	uint64_t size = op->csize, old, dummy;
	ssize_t got;

	if (size < FILE_HEADER_LEN + MARK_LEN)
		return -ENOENT;
	if ((got = fileop_pread(op, rec, MARK_LEN, size - MARK_LEN)) < 0)
		return (int)got;
	if (got != MARK_LEN || memcmp(rec, mark_magic, sizeof(mark_magic)) != 0)
		return -ENOENT;
	old = get_be64(rec + 16);
	if (old < FILE_HEADER_LEN || old >= size || block_plain_size(g, old, &dummy) < 0 ||
	    mark_len(g, old) != size - old)
		return -ENOENT;
	m->size = old;
	get_time(rec + 24, &m->times[0]);
	get_time(rec + 36, &m->times[1]);
	return mark_padding_zero(op, old, size - MARK_LEN);
}

int rekey_mark_undo(struct fileop *op, struct vnode *parent, const char *lname,
		    const struct rekey_mark *m)
{
	struct store *s = op->v->store;
	int r;

	if ((r = store_ftruncate(s, op->fd, m->size)) < 0 || (r = store_fsync(s, op->fd, false)) < 0)
		return r;
	op->csize = m->size;
	if ((r = block_plain_size(&op->v->geom, op->csize, &op->psize)) < 0)
		return r;
	/* the times the file had before the mark (the cut moved them) */
	if (store_utimensat(s, parent->fd, lname, m->times, STORE_AT_NOFOLLOW) < 0)
		log_warn("cannot restore the times of '%s' after an interrupted rekey",
			 fileop_what(op));
	return 0;
}

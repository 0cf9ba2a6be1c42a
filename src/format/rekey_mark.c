/*
 * Byte layout of the mark of an interrupted rekey (rekey_mark.h; docs/FORMAT.md
 * "Interrupted rekey: the mark"). The padding makes (marked size - header) mod the stored
 * block size 1: a last block of 1 byte, which no cipher file has.
 */
#include <errno.h>
#include <string.h>
#include "base/bytes.h"
#include "format/header.h"
#include "format/rekey_mark.h"

static const char mark_magic[16] = "veilfs-rekey-mk1";

uint64_t rekey_mark_len(const struct block_geom *g, uint64_t size)
{
	uint64_t k = (size - FILE_HEADER_LEN) % g->cipher_size;
	uint64_t x = (g->cipher_size + 1 - k) % g->cipher_size;

	return x < REKEY_MARK_RECORD_LEN ? x + g->cipher_size : x;
}

uint64_t rekey_mark_len_max(const struct block_geom *g)
{
	return g->cipher_size + REKEY_MARK_RECORD_LEN - 1;
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

void rekey_mark_encode(const struct block_geom *g, const struct rekey_mark *m, uint8_t *out)
{
	uint64_t x = rekey_mark_len(g, m->size);
	uint8_t *rec = out + x - REKEY_MARK_RECORD_LEN;

	memset(out, 0, (size_t)x);
	memcpy(rec, mark_magic, sizeof(mark_magic));
	put_be64(rec + 16, m->size);
	put_time(rec + 24, &m->times[0]);
	put_time(rec + 36, &m->times[1]);
}

int rekey_mark_decode(const struct block_geom *g, uint64_t size, const uint8_t *p, size_t len,
		      struct rekey_mark *m)
{
	const uint8_t *rec;
	uint64_t old, x, plain, i;

	if (len < REKEY_MARK_RECORD_LEN || len > size)
		return -ENOENT;
	rec = p + len - REKEY_MARK_RECORD_LEN;
	if (memcmp(rec, mark_magic, sizeof(mark_magic)) != 0)
		return -ENOENT;
	old = get_be64(rec + 16);
	if (old < FILE_HEADER_LEN || old >= size || block_plain_size(g, old, &plain) < 0)
		return -ENOENT;
	x = rekey_mark_len(g, old);
	if (x != size - old || x > len)
		return -ENOENT;
	for (i = len - x; i < len - REKEY_MARK_RECORD_LEN; i++)
		if (p[i])
			return -ENOENT;
	m->size = old;
	get_time(rec + 24, &m->times[0]);
	get_time(rec + 36, &m->times[1]);
	return 0;
}

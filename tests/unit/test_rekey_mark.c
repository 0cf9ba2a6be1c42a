/*
 * Unit tests for format/rekey_mark.c: the mark of an interrupted rekey gives every valid
 * size of both geometries a malformed one, decodes back to what was encoded, matches the
 * docs/FORMAT.md example, and anything but a whole mark (a changed byte of padding, magic
 * or size, a window cut short, an unmarked file) is not taken for one.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "format/block.h"
#include "format/header.h"
#include "format/rekey_mark.h"
#include "test.h"

/* A file of size (valid) marked: its last window bytes (a copy of the mark's end) in out. */
static size_t marked_window(const struct block_geom *g, const struct rekey_mark *m, uint8_t *out,
			    uint64_t *marked)
{
	uint64_t x = rekey_mark_len(g, m->size), max = rekey_mark_len_max(g);
	uint64_t len = m->size + x < max ? m->size + x : max;
	uint8_t *full = calloc(1, (size_t)(m->size + x));

	rekey_mark_encode(g, m, full + m->size);
	memset(full, 0xa5, (size_t)m->size); /* the old contents, never all zero */
	memcpy(out, full + m->size + x - len, (size_t)len);
	free(full);
	*marked = m->size + x;
	return (size_t)len;
}

TEST(rekey_mark_every_size_roundtrips_to_a_malformed_size)
{
	static const uint32_t nonces[] = { 12, 24 };
	struct block_geom g;
	struct rekey_mark m = { 0, { { 1700000000, 5 }, { -3, 999999999 } } }, got;
	uint8_t win[8192];
	uint64_t marked, plain, p;
	size_t i, len;
	int bad = 0;

	for (i = 0; i < ARRAY_SIZE(nonces); i++) {
		block_geom_init(&g, BLOCK_PLAIN_SIZE, nonces[i]);
		for (plain = 0; plain < 2 * 4096 + 64; plain++) {
			m.size = plain ? block_cipher_size(&g, plain) : FILE_HEADER_LEN;
			len = marked_window(&g, &m, win, &marked);
			bad += block_plain_size(&g, marked, &p) != -EPROTO;
			bad += rekey_mark_decode(&g, marked, win, len, &got) != 0 ||
			       got.size != m.size || got.times[0].tv_sec != 1700000000 ||
			       got.times[0].tv_nsec != 5 || got.times[1].tv_sec != -3 ||
			       got.times[1].tv_nsec != 999999999;
		}
	}
	EXPECTF(bad == 0, "%d sizes", bad);
	block_geom_init(&g, BLOCK_PLAIN_SIZE, 12);
	EXPECT(rekey_mark_len(&g, 4144) == 4125); /* docs/FORMAT.md: 4144 marked is 8269 */
}

TEST(rekey_mark_rejects_anything_but_a_whole_mark)
{
	struct block_geom g;
	struct rekey_mark m = { 4173, { { 1, 0 }, { 2, 0 } } }, got;
	uint8_t win[8192], copy[8192];
	uint64_t marked;
	size_t len, i;

	block_geom_init(&g, BLOCK_PLAIN_SIZE, 12);
	len = marked_window(&g, &m, win, &marked);
	EXPECT(rekey_mark_decode(&g, marked, win, len, &got) == 0 && got.size == 4173);
	/* one bit changed in: 1 the first padding byte, 2 the magic, 3 the recorded size */
	size_t flip[] = { len - (size_t)rekey_mark_len(&g, 4173), len - REKEY_MARK_RECORD_LEN,
			  len - REKEY_MARK_RECORD_LEN + 23 };
	for (i = 0; i < ARRAY_SIZE(flip); i++) {
		memcpy(copy, win, len);
		copy[flip[i]] ^= 1;
		EXPECTF(rekey_mark_decode(&g, marked, copy, len, &got) == -ENOENT, "row %zu", i + 1);
	}
	/* 4 a window shorter than the mark, 5 the size one byte off, 6 a valid file's end */
	EXPECT(rekey_mark_decode(&g, marked, win + 100, len - 100, &got) == -ENOENT);
	EXPECT(rekey_mark_decode(&g, marked + 1, win, len, &got) == -ENOENT);
	memset(copy, 0xa5, sizeof(copy));
	EXPECT(rekey_mark_decode(&g, 8268, copy, len, &got) == -ENOENT);
}

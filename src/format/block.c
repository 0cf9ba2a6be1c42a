/*
 * Content-block geometry (docs/FORMAT.md, "Content blocks"): offsets, the two size
 * mappings, the 25-byte associated data and the hole test. Pure arithmetic; sealing the
 * blocks belongs to vault/ with crypto/aead.
 */
#include <assert.h>
#include <string.h>
#include "base/bytes.h"
#include "base/errors.h"
#include "format/block.h"
#include "format/header.h"

static_assert((int)BLOCK_AD_LEN == (int)FILE_ID_LEN + 8 + 1, "AD = file id || n || final flag");

void block_geom_init(struct block_geom *g, uint32_t plain_size, uint32_t nonce_len)
{
	assert(plain_size > 0);
	g->plain_size = plain_size;
	g->nonce_len = nonce_len;
	g->overhead = nonce_len + BLOCK_TAG_LEN;
	g->cipher_size = plain_size + g->overhead;
}

uint64_t block_cipher_offset(const struct block_geom *g, uint64_t n)
{
	return FILE_HEADER_LEN + n * g->cipher_size;
}

uint64_t block_cipher_size(const struct block_geom *g, uint64_t plain_size)
{
	uint64_t full = plain_size / g->plain_size, rest = plain_size % g->plain_size;

	if (plain_size == 0)
		return 0; /* an empty file has no header */
	return FILE_HEADER_LEN + full * g->cipher_size + (rest ? rest + g->overhead : 0);
}

/*
 * With k = (C - 20) mod cipher_size: k == 0 ends on a block boundary, k > overhead is a
 * short last block, and 0 < k <= overhead cannot hold nonce, tag and a plaintext byte.
 */
int block_plain_size(const struct block_geom *g, uint64_t cipher_size, uint64_t *plain_size)
{
	uint64_t body, full, k;

	*plain_size = 0;
	if (cipher_size == 0)
		return 0;
	if (cipher_size < FILE_HEADER_LEN)
		return -EPROTO;
	body = cipher_size - FILE_HEADER_LEN;
	full = body / g->cipher_size;
	k = body % g->cipher_size;
	if (k != 0 && k <= g->overhead)
		return -EPROTO;
	*plain_size = full * g->plain_size + (k ? k - g->overhead : 0);
	return 0;
}

uint64_t block_count(const struct block_geom *g, uint64_t plain_size)
{
	return plain_size / g->plain_size + (plain_size % g->plain_size != 0);
}

uint64_t block_at_cipher_offset(const struct block_geom *g, uint64_t off)
{
	return off < FILE_HEADER_LEN ? 0 : (off - FILE_HEADER_LEN) / g->cipher_size;
}

uint64_t block_stored_len(const struct block_geom *g, uint64_t cipher_size, uint64_t n)
{
	uint64_t start = block_cipher_offset(g, n);

	if (cipher_size <= start)
		return 0;
	return cipher_size - start < g->cipher_size ? cipher_size - start : g->cipher_size;
}

void block_ad(uint8_t out[static BLOCK_AD_LEN], const uint8_t *file_id, uint64_t n, bool final)
{
	memcpy(out, file_id, FILE_ID_LEN);
	put_be64(out + FILE_ID_LEN, n);
	out[FILE_ID_LEN + 8] = final ? 1 : 0;
}

/* p[0] == 0 and every byte equal to its successor: all zero, at memcmp speed. */
bool block_is_hole(const uint8_t *p, size_t len)
{
	if (len == 0)
		return false;
	return p[0] == 0 && memcmp(p, p + 1, len - 1) == 0;
}

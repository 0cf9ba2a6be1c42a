/*
 * libFuzzer target for content blocks. Input: byte 0 picks the cipher (bit 0), byte 1 the
 * final flag (bit 0) and the block number (bits 1-7); bytes 2-9 are a cipher-file size
 * (u64 BE) for the size math; the rest is one stored block (nonce || ciphertext || tag)
 * opened under the per-file key of the test vectors. Invariants: the size mapping is
 * exact where it succeeds, and an open either authenticates or fails with -EBADMSG and a
 * wiped output.
 */
#include <string.h>
#include "base/bytes.h"
#include "crypto/aead.h"
#include "format/block.h"
#include "format/header.h"
#include "fuzz_common.h"

enum { PREFIX = 10 };

static void check_sizes(const struct block_geom *g, uint64_t cipher_size)
{
	uint64_t plain;

	if (block_plain_size(g, cipher_size, &plain) < 0)
		return;
	FUZZ_ASSERT(block_cipher_size(g, plain) == cipher_size || cipher_size == FILE_HEADER_LEN);
	FUZZ_ASSERT(block_count(g, plain) * g->plain_size >= plain);
}

static void open_block(struct aead_ctx *a, const struct block_geom *g, const uint8_t *fk,
		       const uint8_t *p, size_t n, uint64_t blockno, bool final)
{
	static uint8_t out[BLOCK_PLAIN_SIZE + 64];
	uint8_t ad[BLOCK_AD_LEN], id[FILE_ID_LEN];
	size_t i;
	int r;

	if (n < g->nonce_len || n - g->nonce_len > sizeof(out) + AEAD_TAG_LEN)
		return;
	(void)block_is_hole(p, n);
	fuzz_fill(id, sizeof(id), 0xa0);
	block_ad(ad, id, blockno, final);
	memset(out, 0xa5, sizeof(out));
	r = aead_open(a, fk, p, ad, sizeof(ad), p + g->nonce_len, n - g->nonce_len, out);
	FUZZ_ASSERT(r == 0 || r == -EBADMSG);
	if (r < 0 && n - g->nonce_len >= AEAD_TAG_LEN)
		for (i = 0; i < n - g->nonce_len - AEAD_TAG_LEN; i++)
			FUZZ_ASSERT(out[i] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct aead_ctx *ctx[2];
	static uint8_t fk[FILE_KEY_LEN];
	enum aead_alg alg;
	struct block_geom g;
	uint8_t id[FILE_ID_LEN];
	int which;

	if (!ctx[0]) {
		ctx[0] = aead_ctx_new(AEAD_AES256_GCM);
		ctx[1] = aead_ctx_new(AEAD_XCHACHA20_POLY1305);
		fuzz_fill(id, sizeof(id), 0xa0);
		FUZZ_ASSERT(ctx[0] && ctx[1] && keys_file_key(fuzz_keys(), id, fk) == 0);
	}
	if (size < PREFIX)
		return 0;
	which = data[0] & 1;
	alg = which ? AEAD_XCHACHA20_POLY1305 : AEAD_AES256_GCM;
	block_geom_init(&g, BLOCK_PLAIN_SIZE, (uint32_t)aead_nonce_len(alg));
	check_sizes(&g, get_be64(data + 2));
	open_block(ctx[which], &g, fk, data + PREFIX, size - PREFIX, data[1] >> 1, data[1] & 1);
	return 0;
}

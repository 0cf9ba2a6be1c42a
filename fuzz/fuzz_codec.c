/*
 * libFuzzer target for the content codec (codec/). Input: byte 0 picks the cipher (bit 0)
 * and the mode (bit 1); byte 1 the final flag (bit 0) and the block number (bits 1-7);
 * bytes 2-9 a cipher-file size (u64 BE, top bit ignored) for the size and offset
 * arithmetic; the rest is the body. Mode 0 opens the body as one stored block under the per-file key of the test
 * vectors (the block seeds authenticate); mode 1 seals the body (up to a block) as
 * plaintext, opens it again, then flips the bit that byte 2 names and opens once more.
 * Invariants: an open returns 0, -EPROTO exactly for the lengths no block can have, or
 * -EBADMSG with a wiped output; what was sealed opens to itself; a flipped bit never
 * opens; the size mapping is exact where it succeeds and stored lengths add up.
 */
#include <string.h>
#include "base/bytes.h"
#include "codec/codec.h"
#include "crypto/aead.h"
#include "fuzz_common.h"

enum { PREFIX = 10, ROOM = BLOCK_PLAIN_SIZE + 64 };

static void check_sizes(const struct block_geom *g, uint64_t cipher_size)
{
	uint64_t plain, n, nb, sum;

	/* a lower file is at most INT64_MAX bytes (off_t): no offset arithmetic wraps below */
	cipher_size &= (uint64_t)INT64_MAX;
	if (block_plain_size(g, cipher_size, &plain) < 0 || cipher_size == FILE_HEADER_LEN)
		return;
	FUZZ_ASSERT(block_cipher_size(g, plain) == cipher_size);
	nb = block_count(g, plain);
	FUZZ_ASSERT(nb * g->plain_size >= plain && (nb == 0 || (nb - 1) * g->plain_size < plain));
	FUZZ_ASSERT(block_stored_len(g, cipher_size, nb) == 0);
	if (nb == 0)
		return;
	/* inner blocks are full: only the last one needs a look */
	sum = (nb - 1) * g->plain_size;
	n = block_stored_len(g, cipher_size, nb - 1);
	FUZZ_ASSERT(n > g->overhead && n <= g->cipher_size);
	FUZZ_ASSERT(sum + n - g->overhead == plain);
	FUZZ_ASSERT(block_at_cipher_offset(g, cipher_size - 1) == nb - 1);
}

static bool length_possible(const struct block_geom *g, bool final, size_t len)
{
	return len > g->overhead && len <= g->cipher_size && (final || len == g->cipher_size);
}

/* Open and check the invariants of any open; returns its result. */
static int open_checked(const struct codec *c, uint64_t n, bool final, const uint8_t *p,
			size_t len, uint8_t *out)
{
	size_t got = 1;
	int r;

	memset(out, 0xa5, ROOM);
	r = codec_open(c, n, final, p, len, out, &got);
	if (codec_is_hole(c, final, p, len)) {
		FUZZ_ASSERT(r == 0 && got == c->geom->plain_size);
		return r;
	}
	FUZZ_ASSERT(r == 0 || r == -EBADMSG || r == -EPROTO);
	FUZZ_ASSERT((r == -EPROTO) == !length_possible(c->geom, final, len));
	if (r == 0)
		FUZZ_ASSERT(got == len - c->geom->overhead);
	else
		FUZZ_ASSERT(got == 0);
	if (r == -EBADMSG)
		for (size_t i = 0; i < len - c->geom->overhead; i++)
			FUZZ_ASSERT(out[i] == 0);
	return r;
}

/* Seal the body as block n (zero-padded to a full block unless final), open, tamper. */
static void seal_open(struct codec *c, uint64_t n, bool final, const uint8_t *p, size_t len,
		      uint8_t flip)
{
	static uint8_t plain[ROOM], sealed[ROOM], out[ROOM];
	size_t plen = final ? len : c->geom->plain_size, slen, bit;

	if (plen > c->geom->plain_size)
		plen = c->geom->plain_size;
	if (plen == 0)
		return;
	memset(plain, 0, plen);
	memcpy(plain, p, len < plen ? len : plen);
	FUZZ_ASSERT(codec_seal(c, n, final, plain, plen, sealed) == 0);
	slen = plen + c->geom->overhead;
	FUZZ_ASSERT(open_checked(c, n, final, sealed, slen, out) == 0);
	FUZZ_ASSERT(memcmp(out, plain, plen) == 0);
	bit = (size_t)flip % (slen * 8);
	sealed[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	FUZZ_ASSERT(open_checked(c, n, final, sealed, slen, out) == -EBADMSG);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct aead_ctx *ctx[2];
	static uint8_t fk[FILE_KEY_LEN], id[FILE_ID_LEN], out[ROOM];
	struct block_geom g;
	struct codec c;
	bool final;
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
	block_geom_init(&g, BLOCK_PLAIN_SIZE, (uint32_t)aead_nonce_len(aead_ctx_alg(ctx[which])));
	memset(&c, 0, sizeof(c));
	c.geom = &g;
	c.aead = ctx[which];
	c.file_id = id;
	c.key = fk;
	final = data[1] & 1;
	check_sizes(&g, get_be64(data + 2));
	if (data[0] & 2)
		seal_open(&c, data[1] >> 1, final, data + PREFIX, size - PREFIX, data[2]);
	else if (size - PREFIX <= ROOM)
		(void)open_checked(&c, data[1] >> 1, final, data + PREFIX, size - PREFIX, out);
	return 0;
}

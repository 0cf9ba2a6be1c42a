/*
 * The content codec (codec.h): one block sealed or opened under the per-file key, with
 * its associated data (format/block.c builds it) and a fresh random nonce per seal, and
 * the hole rule. Length checks come before any byte is read. No I/O and no logging: the
 * caller knows which file a block belongs to and says so.
 */
#include <errno.h>
#include <string.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "codec/codec.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"

bool codec_is_hole(const struct codec *c, bool final, const uint8_t *stored, size_t len)
{
	return !final && len == c->geom->cipher_size && block_is_hole(stored, len);
}

/* A stored length block n can have: nonce, tag and at least one byte; full unless final. */
static bool stored_len_ok(const struct block_geom *g, bool final, size_t len)
{
	if (len <= g->overhead || len > g->cipher_size)
		return false;
	return final || len == g->cipher_size;
}

int codec_open(const struct codec *c, uint64_t n, bool final, const uint8_t *stored,
	       size_t storedlen, uint8_t *plain, size_t *plainlen)
{
	const struct block_geom *g = c->geom;
	uint8_t ad[BLOCK_AD_LEN];
	int r;

	*plainlen = 0;
	if (codec_is_hole(c, final, stored, storedlen)) {
		memset(plain, 0, g->plain_size);
		*plainlen = g->plain_size;
		return 0;
	}
	if (!stored_len_ok(g, final, storedlen))
		return -EPROTO;
	block_ad(ad, c->file_id, n, final);
	r = aead_open(c->aead, c->key, stored, ad, sizeof(ad), stored + g->nonce_len,
		      storedlen - g->nonce_len, plain);
	if (r < 0)
		return r;
	*plainlen = storedlen - g->overhead;
	return 0;
}

int codec_open_unsealed(const struct codec *c, uint64_t n, const uint8_t *stored,
			size_t storedlen, uint8_t *plain, size_t *plainlen)
{
	*plainlen = 0;
	if (storedlen != c->geom->cipher_size || block_is_hole(stored, storedlen))
		return -EBADMSG;
	return codec_open(c, n, true, stored, storedlen, plain, plainlen);
}

int codec_check_next(const struct codec *c, uint64_t m, bool last, const uint8_t *stored,
		     size_t storedlen, uint8_t *scratch)
{
	size_t plen;
	int r;

	if (codec_is_hole(c, last, stored, storedlen))
		return 1;
	r = codec_open(c, m, last, stored, storedlen, scratch, &plen);
	if (r == -EBADMSG && !last)
		r = codec_open_unsealed(c, m, stored, storedlen, scratch, &plen);
	secure_wipe(scratch, c->geom->plain_size);
	return r < 0 ? r : 0;
}

int codec_seal(struct codec *c, uint64_t n, bool final, const uint8_t *plain, size_t plainlen,
	       uint8_t *out)
{
	const struct block_geom *g = c->geom;
	uint8_t ad[BLOCK_AD_LEN];
	int r;

	CHECK(plainlen > 0 && plainlen <= g->plain_size);
	if (c->nonces_left > 0) {
		memcpy(out, c->nonces, g->nonce_len);
		c->nonces += g->nonce_len;
		c->nonces_left--;
	} else if ((r = random_bytes(out, g->nonce_len)) < 0) {
		return r;
	}
	block_ad(ad, c->file_id, n, final);
	return aead_seal(c->aead, c->key, out, ad, sizeof(ad), plain, plainlen,
			 out + g->nonce_len);
}

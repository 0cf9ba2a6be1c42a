/*
 * Sealed small payloads: symlink targets and xattr values (docs/FORMAT.md). The nonce is
 * random per seal; the AEAD (crypto/aead.c) does the work. Symlink targets bind no AD;
 * xattr values bind their lower attribute name, which the caller passes as AD.
 */
#include <stdlib.h>
#include <string.h>
#include "base/b64.h"
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "names/sealed.h"

int sealed_seal(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
		const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t len, struct buf *out)
{
	size_t nlen = aead_nonce_len(aead_ctx_alg(c)), start = out->len;
	uint8_t *p;
	int r;

	if (len > SIZE_MAX - SEALED_MAX_OVERHEAD - 1)
		return -EINVAL;
	if ((r = buf_grow(out, nlen + len + AEAD_TAG_LEN + 1)) < 0)
		return r;
	p = out->data + start;
	if (nonce)
		memcpy(p, nonce, nlen);
	else if ((r = random_bytes(p, nlen)) < 0)
		return r;
	if ((r = aead_seal(c, key, p, ad, adlen, pt, len, p + nlen)) < 0)
		return r;
	out->len += nlen + len + AEAD_TAG_LEN;
	out->data[out->len] = 0;
	return 0;
}

int sealed_open(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *ad,
		size_t adlen, const uint8_t *in, size_t len, struct buf *out)
{
	size_t nlen = aead_nonce_len(aead_ctx_alg(c)), ptlen;
	int r;

	if (len < nlen + AEAD_TAG_LEN)
		return -EPROTO;
	ptlen = len - nlen - AEAD_TAG_LEN;
	if ((r = buf_grow(out, ptlen + 1)) < 0)
		return r;
	r = aead_open(c, key, in, ad, adlen, in + nlen, len - nlen, out->data + out->len);
	if (r < 0)
		return r;
	out->len += ptlen;
	out->data[out->len] = 0;
	return 0;
}

int symlink_target_encrypt(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN],
			   const uint8_t *nonce, const char *target, size_t len, struct buf *out)
{
	struct buf raw;
	size_t enclen;
	int r;

	buf_init(&raw);
	if ((r = sealed_seal(c, key, nonce, NULL, 0, (const uint8_t *)target, len, &raw)) < 0)
		goto out;
	enclen = b64url_encoded_len(raw.len);
	if ((r = buf_grow(out, enclen + 1)) < 0)
		goto out;
	b64url_encode(raw.data, raw.len, (char *)out->data + out->len);
	out->len += enclen;
out:
	buf_release(&raw);
	return r;
}

int symlink_target_decrypt(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN],
			   const char *lower, size_t len, struct buf *out)
{
	uint8_t *raw;
	size_t n = 0;
	int r = -EPROTO;

	if (!(raw = malloc(b64url_decoded_max(len) + 1)))
		return -ENOMEM;
	if (b64url_decode(lower, len, raw, &n) < 0)
		goto out;
	r = sealed_open(c, key, NULL, 0, raw, n, out);
out:
	free(raw);
	return r;
}

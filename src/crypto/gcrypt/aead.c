/*
 * AEAD for the libgcrypt back end (the Windows build): AES-256-GCM (NIST SP 800-38D)
 * through gcry_cipher in GCRY_CIPHER_MODE_GCM. Each aead_ctx keeps one handle, re-keyed
 * only when a call brings a different key (a file's blocks share one), as aead.c does with
 * OpenSSL. libgcrypt has no XChaCha20-Poly1305 mode, and this back end builds no HChaCha20
 * of its own: aead_alg_is_supported() says so and aead_ctx_new() refuses that alg.
 */
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/gcrypt/gcrypt_internal.h"
#include "crypto/kdf.h"

struct aead_ctx {
	enum aead_alg alg;
	gcry_cipher_hd_t h;
	uint8_t *key; /* the key h holds (secmem); valid when keyed */
	bool keyed;
};

bool aead_alg_is_supported(enum aead_alg alg)
{
	return alg == AEAD_AES256_GCM;
}

enum aead_alg aead_ctx_alg(const struct aead_ctx *c)
{
	return c->alg;
}

struct aead_ctx *aead_ctx_new(enum aead_alg alg)
{
	struct aead_ctx *c;

	if (!aead_alg_is_supported(alg) || gcry_setup() < 0)
		return NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	c->alg = alg;
	c->key = secmem_alloc(AEAD_KEY_LEN);
	if (!c->key || gcry_cipher_open(&c->h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_GCM, 0) != 0) {
		c->h = NULL;
		aead_ctx_free(c);
		return NULL;
	}
	return c;
}

void aead_ctx_free(struct aead_ctx *c)
{
	if (!c)
		return;
	if (c->h)
		gcry_cipher_close(c->h);
	secmem_free(c->key);
	free(c);
}

/* Key (only when it differs from the one held), nonce and AD; a failure leaves c unkeyed. */
static int gcm_begin(struct aead_ctx *c, const uint8_t *key, const uint8_t *nonce,
		     const uint8_t *ad, size_t adlen)
{
	if (!c->keyed || !secure_equal(c->key, key, AEAD_KEY_LEN)) {
		c->keyed = false;
		if (gcry_cipher_setkey(c->h, key, AEAD_KEY_LEN) != 0)
			return -EIO;
		memcpy(c->key, key, AEAD_KEY_LEN);
		c->keyed = true;
	}
	if (gcry_cipher_reset(c->h) != 0 || gcry_cipher_setiv(c->h, nonce, AEAD_GCM_NONCE_LEN) != 0 ||
	    (adlen && gcry_cipher_authenticate(c->h, ad, adlen) != 0) ||
	    gcry_cipher_final(c->h) != 0) {
		c->keyed = false;
		return -EIO;
	}
	return 0;
}

/* In place when pt == ct (libgcrypt's in == NULL form). */
int aead_seal(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
	      const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	int r = -EIO;

	if (gcm_begin(c, key, nonce, ad, adlen) < 0)
		goto out;
	if (ptlen && gcry_cipher_encrypt(c->h, ct, ptlen, pt == ct ? NULL : pt,
					 pt == ct ? 0 : ptlen) != 0)
		goto out;
	if (gcry_cipher_gettag(c->h, ct + ptlen, AEAD_TAG_LEN) != 0)
		goto out;
	r = 0;
out:
	if (r < 0)
		secure_wipe(ct, ptlen + AEAD_TAG_LEN);
	return r;
}

/* GCM decrypts before the tag is checked: pt is wiped when the check fails. */
int aead_open(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
	      const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	uint8_t tag[AEAD_TAG_LEN];
	size_t ptlen;
	gcry_error_t e;
	int r = -EIO;

	if (ctlen < AEAD_TAG_LEN)
		return -EBADMSG;
	ptlen = ctlen - AEAD_TAG_LEN;
	memcpy(tag, ct + ptlen, AEAD_TAG_LEN);
	if (gcm_begin(c, key, nonce, ad, adlen) < 0)
		goto out;
	if (ptlen && gcry_cipher_decrypt(c->h, pt, ptlen, pt == ct ? NULL : ct,
					 pt == ct ? 0 : ptlen) != 0)
		goto out;
	e = gcry_cipher_checktag(c->h, tag, AEAD_TAG_LEN);
	r = !e ? 0 : gcry_err_code(e) == GPG_ERR_CHECKSUM ? -EBADMSG : -EIO;
out:
	if (r < 0)
		secure_wipe(pt, ptlen);
	return r;
}

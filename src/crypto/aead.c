/*
 * AEAD for file contents, symlink targets, xattr values and the master-key wrap.
 *
 * AES-256-GCM (NIST SP 800-38D) goes through OpenSSL EVP, which uses AES-NI/PCLMUL when the
 * CPU has them; each aead_ctx keeps one EVP_CIPHER_CTX, bound to the cipher once and
 * re-keyed only when a call brings a different key (the AES key schedule and the GHASH
 * table cost about as much as sealing a 4 KiB block, and a file's blocks share one key). XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha, built on RFC 8439)
 * goes through libsodium. Nonce choice and storage belong to the caller; this file does no
 * I/O and knows no on-disk format.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"

struct aead_ctx {
	enum aead_alg alg;
	EVP_CIPHER_CTX *evp; /* AES-GCM only; NULL for XChaCha20-Poly1305 */
	uint8_t *key;        /* AES-GCM: the key evp holds (secmem); valid when keyed */
	bool keyed;
};

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_status = -1;

static void sodium_setup(void)
{
	/* sodium_init() returns 1 when already initialised, which is fine too. */
	sodium_status = sodium_init() < 0 ? -1 : 0;
}

bool aead_alg_is_supported(enum aead_alg alg)
{
	return aead_alg_is_valid(alg);
}

enum aead_alg aead_ctx_alg(const struct aead_ctx *c)
{
	return c->alg;
}

struct aead_ctx *aead_ctx_new(enum aead_alg alg)
{
	struct aead_ctx *c;

	if (!aead_alg_is_valid(alg))
		return NULL;
	if (alg == AEAD_XCHACHA20_POLY1305 &&
	    (pthread_once(&sodium_once, sodium_setup) != 0 || sodium_status < 0))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->alg = alg;
	if (alg != AEAD_AES256_GCM)
		return c;
	/* Bind the cipher once; every seal/open then only sets key, nonce and direction. */
	c->evp = EVP_CIPHER_CTX_new();
	c->key = secmem_alloc(AEAD_KEY_LEN);
	if (!c->evp || !c->key || EVP_CipherInit_ex(c->evp, EVP_aes_256_gcm(), NULL, NULL, NULL, 1) != 1) {
		aead_ctx_free(c);
		return NULL;
	}
	return c;
}

void aead_ctx_free(struct aead_ctx *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->evp);
	secmem_free(c->key);
	free(c);
}

/* OpenSSL lengths are int; every length we pass is far below INT_MAX, but check. */
static bool fits_int(size_t a, size_t b)
{
	return a <= INT_MAX && b <= INT_MAX;
}

/*
 * Set key (only when it differs from the one the context holds), nonce and direction.
 * The comparison is constant-time; a failed init leaves the context unkeyed.
 */
static int gcm_init(struct aead_ctx *c, const uint8_t *key, const uint8_t *nonce, int enc)
{
	const uint8_t *k = NULL;

	if (!c->keyed || CRYPTO_memcmp(c->key, key, AEAD_KEY_LEN) != 0) {
		c->keyed = false;
		k = key;
	}
	if (EVP_CipherInit_ex(c->evp, NULL, NULL, k, nonce, enc) != 1) {
		c->keyed = false;
		return -EIO;
	}
	if (k) {
		memcpy(c->key, key, AEAD_KEY_LEN);
		c->keyed = true;
	}
	return 0;
}

static int gcm_seal(struct aead_ctx *c, const uint8_t *key, const uint8_t *nonce,
		    const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	EVP_CIPHER_CTX *e = c->evp;
	uint8_t scratch[AEAD_TAG_LEN];
	int n;

	if (!fits_int(adlen, ptlen))
		return -EIO;
	if (gcm_init(c, key, nonce, 1) < 0)
		return -EIO;
	if (adlen && EVP_CipherUpdate(e, NULL, &n, ad, (int)adlen) != 1)
		return -EIO;
	if (ptlen && EVP_CipherUpdate(e, ct, &n, pt, (int)ptlen) != 1)
		return -EIO;
	/* GCM emits no bytes at final; scratch keeps the call away from ct's end. */
	if (EVP_CipherFinal_ex(e, scratch, &n) != 1)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN, ct + ptlen) != 1)
		return -EIO;
	return 0;
}

/*
 * GCM decrypts before it can check the tag (OpenSSL verifies in EVP_CipherFinal_ex), so
 * the caller wipes pt when this fails. The tag is copied first: with ct == pt the
 * decryption never reaches it (pt ends at ptlen), but a copy costs nothing.
 */
static int gcm_open(struct aead_ctx *c, const uint8_t *key, const uint8_t *nonce,
		    const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ptlen, uint8_t *pt)
{
	EVP_CIPHER_CTX *e = c->evp;
	uint8_t tag[AEAD_TAG_LEN], scratch[AEAD_TAG_LEN];
	int n;

	if (!fits_int(adlen, ptlen))
		return -EBADMSG;
	memcpy(tag, ct + ptlen, AEAD_TAG_LEN);
	if (gcm_init(c, key, nonce, 0) < 0)
		return -EIO;
	if (adlen && EVP_CipherUpdate(e, NULL, &n, ad, (int)adlen) != 1)
		return -EIO;
	if (ptlen && EVP_CipherUpdate(e, pt, &n, ct, (int)ptlen) != 1)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN, tag) != 1)
		return -EIO;
	if (EVP_CipherFinal_ex(e, scratch, &n) != 1)
		return -EBADMSG;
	return 0;
}

static int xchacha_seal(const uint8_t *key, const uint8_t *nonce, const uint8_t *ad,
			size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	static const uint8_t empty[1];
	unsigned long long clen;

	if (ptlen > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -EIO;
	if (crypto_aead_xchacha20poly1305_ietf_encrypt(ct, &clen, ptlen ? pt : empty, ptlen, ad,
						       adlen, NULL, nonce, key) != 0)
		return -EIO;
	return 0;
}

/* libsodium verifies the Poly1305 tag before it decrypts anything. */
static int xchacha_open(const uint8_t *key, const uint8_t *nonce, const uint8_t *ad,
			size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	uint8_t empty[1] = { 0 };
	unsigned long long mlen;

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(ctlen > AEAD_TAG_LEN ? pt : empty, &mlen,
						       NULL, ct, ctlen, ad, adlen, nonce,
						       key) != 0)
		return -EBADMSG;
	return 0;
}

int aead_seal(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
	      const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen, uint8_t *ct)
{
	int r;

	if (c->alg == AEAD_AES256_GCM)
		r = gcm_seal(c, key, nonce, ad, adlen, pt, ptlen, ct);
	else
		r = xchacha_seal(key, nonce, ad, adlen, pt, ptlen, ct);
	if (r < 0)
		secure_wipe(ct, ptlen + AEAD_TAG_LEN);
	return r;
}

int aead_open(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
	      const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen, uint8_t *pt)
{
	int r;

	if (ctlen < AEAD_TAG_LEN)
		return -EBADMSG;
	if (c->alg == AEAD_AES256_GCM)
		r = gcm_open(c, key, nonce, ad, adlen, ct, ctlen - AEAD_TAG_LEN, pt);
	else
		r = xchacha_open(key, nonce, ad, adlen, ct, ctlen, pt);
	if (r < 0)
		secure_wipe(pt, ctlen - AEAD_TAG_LEN);
	return r;
}

/*
 * AES-256-SIV (RFC 5297) for file names and xattr names, via OpenSSL's "AES-256-SIV"
 * provider cipher. The cipher object is fetched once per process (pthread_once) and
 * shared; each call uses its own EVP_CIPHER_CTX, so the functions are thread-safe.
 *
 * S2V takes a vector of associated-data strings (RFC 5297 section 2.4). veilfs binds at
 * most one: the directory IV for names, nothing for xattr names. adlen == 0 means "no
 * component" (not one empty component); OpenSSL adds one component per
 * EVP_CipherUpdate(out = NULL) call.
 */
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/siv.h"

static pthread_once_t siv_once = PTHREAD_ONCE_INIT;
/* Fetched once and kept for the life of the process. */
static EVP_CIPHER *siv_cipher;

static void siv_fetch(void)
{
	siv_cipher = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL);
}

static const EVP_CIPHER *siv_get(void)
{
	if (pthread_once(&siv_once, siv_fetch) != 0)
		return NULL;
	return siv_cipher;
}

static int siv_do_seal(EVP_CIPHER_CTX *e, const uint8_t *key, const uint8_t *ad, size_t adlen,
		       const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	const EVP_CIPHER *cipher = siv_get();
	uint8_t scratch[SIV_TAG_LEN];
	int n;

	if (!cipher || EVP_EncryptInit_ex(e, cipher, NULL, key, NULL) != 1)
		return -EIO;
	if (adlen && EVP_EncryptUpdate(e, NULL, &n, ad, (int)adlen) != 1)
		return -EIO;
	if (EVP_EncryptUpdate(e, out + SIV_TAG_LEN, &n, pt, (int)ptlen) != 1)
		return -EIO;
	if (EVP_EncryptFinal_ex(e, scratch, &n) != 1)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, SIV_TAG_LEN, out) != 1)
		return -EIO;
	return 0;
}

int siv_seal(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	EVP_CIPHER_CTX *e;
	int r;

	/* OpenSSL computes no tag for an empty plaintext; veilfs never seals one (padding). */
	if (ptlen == 0 || ptlen > INT_MAX || adlen > INT_MAX)
		return -EINVAL;
	e = EVP_CIPHER_CTX_new();
	r = e ? siv_do_seal(e, key, ad, adlen, pt, ptlen, out) : -ENOMEM;
	EVP_CIPHER_CTX_free(e);
	if (r < 0)
		secure_wipe(out, SIV_TAG_LEN + ptlen);
	return r;
}

/*
 * The tag (the synthetic IV) is set before decryption; OpenSSL recomputes S2V over the
 * decrypted text and fails the update call on a mismatch, after wiping its output.
 */
static int siv_do_open(EVP_CIPHER_CTX *e, const uint8_t *key, const uint8_t *ad, size_t adlen,
		       const uint8_t *in, size_t ctlen, uint8_t *pt)
{
	const EVP_CIPHER *cipher = siv_get();
	uint8_t tag[SIV_TAG_LEN], scratch[SIV_TAG_LEN];
	int n;

	memcpy(tag, in, SIV_TAG_LEN);
	if (!cipher || EVP_DecryptInit_ex(e, cipher, NULL, key, NULL) != 1)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_SET_TAG, SIV_TAG_LEN, tag) != 1)
		return -EIO;
	if (adlen && EVP_DecryptUpdate(e, NULL, &n, ad, (int)adlen) != 1)
		return -EIO;
	if (EVP_DecryptUpdate(e, pt, &n, in + SIV_TAG_LEN, (int)ctlen) != 1)
		return -EBADMSG;
	if (EVP_DecryptFinal_ex(e, scratch, &n) != 1)
		return -EBADMSG;
	return 0;
}

int siv_open(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *in, size_t inlen, uint8_t *pt)
{
	EVP_CIPHER_CTX *e;
	int r;

	if (inlen <= SIV_TAG_LEN || inlen - SIV_TAG_LEN > INT_MAX || adlen > INT_MAX)
		return -EPROTO;
	e = EVP_CIPHER_CTX_new();
	r = e ? siv_do_open(e, key, ad, adlen, in, inlen - SIV_TAG_LEN, pt) : -ENOMEM;
	EVP_CIPHER_CTX_free(e);
	if (r < 0)
		secure_wipe(pt, inlen - SIV_TAG_LEN);
	return r;
}

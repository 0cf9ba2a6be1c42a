/*
 * AES-256-SIV (RFC 5297) for file names and xattr names through libgcrypt's SIV mode
 * (GCRY_CIPHER_MODE_SIV, whose key is the doubled AES-256 key: SIV_KEY_LEN bytes). Each
 * call opens, keys and closes its own handle, so the functions are thread-safe and keep no
 * key anywhere once they return (libgcrypt wipes a closed handle's key schedule); there is
 * no per-thread cache, and siv_thread_cache() is always NULL in this back end.
 *
 * S2V takes a vector of associated-data strings (RFC 5297 section 2.4); libgcrypt adds one
 * component per gcry_cipher_authenticate() call. adlen == 0 means "no component".
 */
#include <string.h>
#include <gcrypt.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/crypto_internal.h"
#include "crypto/gcrypt/gcrypt_internal.h"
#include "crypto/siv.h"

bool siv_keeps_thread_cache(void)
{
	return false;
}

const void *siv_thread_cache(void)
{
	return NULL;
}

/* A handle keyed with key, with ad bound when adlen > 0; 0 or -EIO. */
static int siv_begin(const uint8_t *key, const uint8_t *ad, size_t adlen, gcry_cipher_hd_t *h)
{
	if (gcry_setup() < 0)
		return -EIO;
	if (gcry_cipher_open(h, GCRY_CIPHER_AES256, GCRY_CIPHER_MODE_SIV, 0) != 0)
		return -EIO;
	if (gcry_cipher_setkey(*h, key, SIV_KEY_LEN) != 0 ||
	    (adlen && gcry_cipher_authenticate(*h, ad, adlen) != 0)) {
		gcry_cipher_close(*h);
		return -EIO;
	}
	return 0;
}

int siv_seal(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	gcry_cipher_hd_t h;
	int r;

	if (ptlen == 0)
		return -EINVAL;
	if ((r = siv_begin(key, ad, adlen, &h)) < 0)
		goto out;
	r = -EIO;
	if (gcry_cipher_final(h) == 0 &&
	    gcry_cipher_encrypt(h, out + SIV_TAG_LEN, ptlen, pt, ptlen) == 0 &&
	    gcry_cipher_gettag(h, out, SIV_TAG_LEN) == 0)
		r = 0;
	gcry_cipher_close(h);
out:
	if (r < 0)
		secure_wipe(out, SIV_TAG_LEN + ptlen);
	return r;
}

/* The synthetic IV is given first; decryption fails when S2V over the result differs. */
int siv_open(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *in, size_t inlen, uint8_t *pt)
{
	gcry_cipher_hd_t h;
	gcry_error_t e;
	int r;

	if (inlen <= SIV_TAG_LEN)
		return -EPROTO;
	if ((r = siv_begin(key, ad, adlen, &h)) < 0)
		goto out;
	r = -EIO;
	if (gcry_cipher_set_decryption_tag(h, in, SIV_TAG_LEN) == 0 && gcry_cipher_final(h) == 0) {
		e = gcry_cipher_decrypt(h, pt, inlen - SIV_TAG_LEN, in + SIV_TAG_LEN,
					inlen - SIV_TAG_LEN);
		r = !e ? 0 : gcry_err_code(e) == GPG_ERR_CHECKSUM ? -EBADMSG : -EIO;
	}
	gcry_cipher_close(h);
out:
	if (r < 0)
		secure_wipe(pt, inlen - SIV_TAG_LEN);
	return r;
}

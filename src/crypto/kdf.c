/*
 * HKDF-SHA256 (RFC 5869) for subkeys and SHA-256 (FIPS 180-4) for long-name hashes,
 * both through OpenSSL 3 EVP (the HKDF implementation object is fetched once per process).
 * Argon2id's parameter bounds are in argon2_bounds.c, its library call in argon2.c, the RNG
 * in rand.c.
 */
#include <pthread.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/kdf.h"

enum { HKDF_SHA256_MAX_OUT = 255 * SHA256_LEN }; /* RFC 5869 section 2.3: L <= 255*HashLen */

static pthread_once_t hkdf_once = PTHREAD_ONCE_INIT;
/* Fetched once and kept for the life of the process. */
static EVP_KDF *hkdf_impl;

static void hkdf_fetch(void)
{
	hkdf_impl = EVP_KDF_fetch(NULL, "HKDF", NULL);
}

/*
 * Extract-and-expand mode. An empty salt is simply not passed: RFC 5869 section 2.2 then
 * uses HashLen zero bytes, which HMAC treats exactly like an empty key.
 */
static int hkdf_derive(EVP_KDF_CTX *k, const uint8_t *ikm, size_t ikmlen, const uint8_t *salt,
		       size_t saltlen, const uint8_t *info, size_t infolen, uint8_t *out,
		       size_t outlen)
{
	static char digest[] = "SHA256";
	OSSL_PARAM params[5], *p = params;

	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikmlen);
	if (saltlen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt,
							 saltlen);
	if (infolen)
		*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info,
							 infolen);
	*p = OSSL_PARAM_construct_end();
	return EVP_KDF_derive(k, out, outlen, params) != 1 ? -EIO : 0;
}

int hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
		const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	EVP_KDF_CTX *k = NULL;
	int r = -EIO;

	if (ikmlen == 0 || outlen == 0 || outlen > HKDF_SHA256_MAX_OUT) {
		r = -EINVAL;
		goto out;
	}
	if (pthread_once(&hkdf_once, hkdf_fetch) != 0 || !hkdf_impl)
		goto out;
	if (!(k = EVP_KDF_CTX_new(hkdf_impl)))
		goto out;
	r = hkdf_derive(k, ikm, ikmlen, salt, saltlen, info, infolen, out, outlen);
out:
	EVP_KDF_CTX_free(k);
	if (r < 0)
		secure_wipe(out, outlen);
	return r;
}

int sha256(const uint8_t *p, size_t n, uint8_t out[static SHA256_LEN])
{
	static const uint8_t empty[1];

	if (EVP_Digest(n ? p : empty, n, out, NULL, EVP_sha256(), NULL) != 1)
		return -EIO;
	return 0;
}

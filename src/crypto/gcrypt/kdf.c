/*
 * HKDF-SHA256 (RFC 5869) and SHA-256 (FIPS 180-4) for the libgcrypt back end. libgcrypt
 * 1.10 has no HKDF, so extract and expand are built here from its HMAC-SHA256, exactly as
 * RFC 5869 section 2 composes them:
 *   PRK = HMAC(salt, IKM);  T(i) = HMAC(PRK, T(i-1) || info || i);  OKM = T(1) || T(2) ...
 */
#include <string.h>
#include <gcrypt.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/gcrypt/gcrypt_internal.h"
#include "crypto/kdf.h"

enum { HKDF_SHA256_MAX_OUT = 255 * SHA256_LEN }; /* RFC 5869 section 2.3: L <= 255*HashLen */

/* One HMAC-SHA256 over up to three parts (a NULL part is skipped). Returns 0 or -EIO. */
static int hmac3(const uint8_t *key, size_t keylen, const void *p1, size_t n1, const void *p2,
		 size_t n2, const void *p3, size_t n3, uint8_t out[static SHA256_LEN])
{
	gcry_mac_hd_t h;
	size_t outlen = SHA256_LEN;
	int r = -EIO;

	if (gcry_mac_open(&h, GCRY_MAC_HMAC_SHA256, 0, NULL) != 0)
		return -EIO;
	if (gcry_mac_setkey(h, key, keylen) != 0)
		goto out;
	if ((n1 && gcry_mac_write(h, p1, n1) != 0) || (n2 && gcry_mac_write(h, p2, n2) != 0) ||
	    (n3 && gcry_mac_write(h, p3, n3) != 0))
		goto out;
	if (gcry_mac_read(h, out, &outlen) != 0 || outlen != SHA256_LEN)
		goto out;
	r = 0;
out:
	gcry_mac_close(h);
	return r;
}

/* RFC 5869 section 2.3: OKM, outlen bytes, from PRK. */
static int hkdf_expand(const uint8_t prk[static SHA256_LEN], const uint8_t *info,
		       size_t infolen, uint8_t *out, size_t outlen)
{
	uint8_t t[SHA256_LEN];
	size_t done = 0, tlen = 0, n;
	uint8_t i = 0;
	int r = 0;

	while (done < outlen && r == 0) {
		i++;
		r = hmac3(prk, SHA256_LEN, t, tlen, info, infolen, &i, 1, t);
		tlen = SHA256_LEN;
		n = outlen - done < SHA256_LEN ? outlen - done : SHA256_LEN;
		if (r == 0)
			memcpy(out + done, t, n);
		done += n;
	}
	secure_wipe(t, sizeof(t));
	return r;
}

/*
 * An empty salt is HashLen zero bytes (RFC 5869 section 2.2), which HMAC pads exactly as
 * an empty key; libgcrypt refuses an empty key, so the zeros are passed.
 */
int hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
		const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen)
{
	static const uint8_t zero_salt[SHA256_LEN];
	uint8_t prk[SHA256_LEN];
	int r = -EINVAL;

	if (ikmlen == 0 || outlen == 0 || outlen > HKDF_SHA256_MAX_OUT)
		goto out;
	r = -EIO;
	if (gcry_setup() < 0)
		goto out;
	if (!saltlen) {
		salt = zero_salt;
		saltlen = sizeof(zero_salt);
	}
	if ((r = hmac3(salt, saltlen, ikm, ikmlen, NULL, 0, NULL, 0, prk)) < 0)
		goto out;
	r = hkdf_expand(prk, info, infolen, out, outlen);
out:
	secure_wipe(prk, sizeof(prk));
	if (r < 0)
		secure_wipe(out, outlen);
	return r;
}

int sha256(const uint8_t *p, size_t n, uint8_t out[static SHA256_LEN])
{
	static const uint8_t empty[1];

	if (gcry_setup() < 0)
		return -EIO;
	gcry_md_hash_buffer(GCRY_MD_SHA256, out, n ? p : empty, n);
	return 0;
}

/*
 * Argon2id (RFC 9106), version 0x13, through libgcrypt's KDF interface (gcry_kdf_open,
 * gcry_kdf_compute, gcry_kdf_final) for the Windows build: the raw call with every RFC 9106
 * section 3.1 input; argon2_bounds.c applies veilfs's bounds. The lanes are computed one
 * after the other (no thread operations are passed): the result is the same.
 */
#include <stdbool.h>
#include <stdint.h>
#include <gcrypt.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/crypto_internal.h"
#include "crypto/gcrypt/gcrypt_internal.h"

enum { ARGON2_SALT_MIN = 8 }; /* RFC 9106 section 3.1: S is at least 8 bytes */

static bool u32_fits(size_t n)
{
	return n <= UINT32_MAX;
}

static int kdf_errno(gcry_error_t e)
{
	return gcry_err_code(e) == GPG_ERR_ENOMEM ? -ENOMEM : -EIO;
}

int argon2id_raw(const struct argon2id_input *in, uint8_t *out, size_t outlen)
{
	/* libgcrypt's order: tag length, passes, memory in KiB, lanes. */
	const unsigned long param[4] = { (unsigned long)outlen, in->time_cost, in->memory_kib,
					 in->lanes };
	gcry_kdf_hd_t h = NULL;
	gcry_error_t e;
	int r = -EINVAL;

	if (!u32_fits(outlen) || !u32_fits(in->pwlen) || !u32_fits(in->saltlen) ||
	    !u32_fits(in->secretlen) || !u32_fits(in->adlen) || in->saltlen < ARGON2_SALT_MIN)
		goto out;
	r = -EIO;
	if (gcry_setup() < 0)
		goto out;
	e = gcry_kdf_open(&h, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, param, 4, in->password,
			  in->pwlen, in->salt, in->saltlen, in->secret, in->secretlen, in->ad,
			  in->adlen);
	if (e) {
		r = gcry_err_code(e) == GPG_ERR_INV_VALUE ? -EINVAL : kdf_errno(e);
		goto out;
	}
	if ((e = gcry_kdf_compute(h, NULL)) != 0 || (e = gcry_kdf_final(h, outlen, out)) != 0) {
		r = kdf_errno(e);
		goto out;
	}
	r = 0;
out:
	if (h)
		gcry_kdf_close(h);
	if (r < 0)
		secure_wipe(out, outlen);
	return r;
}

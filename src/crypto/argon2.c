/*
 * Argon2id (RFC 9106), version 0x13, through libargon2: the password-based KDF that
 * derives the key-encryption key of veilfs.conf. This is the raw call with every RFC 9106
 * section 3.1 input (secret K and associated data X too, for the section 5.3 known-answer
 * test); argon2id_derive() in kdf.c applies veilfs's bounds. This file must not include
 * crypto/kdf.h: <argon2.h> defines macros named like its ARGON2_* bounds.
 */
#include <stdbool.h>
#include <stdint.h>
#include <argon2.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/crypto_internal.h"

enum { ARGON2_SALT_MIN = 8 }; /* RFC 9106 section 3.1: S is at least 8 bytes */

static bool u32_fits(size_t n)
{
	return n <= UINT32_MAX;
}

int argon2id_raw(const struct argon2id_input *in, uint8_t *out, size_t outlen)
{
	argon2_context ctx = {
		.out = out,
		.outlen = (uint32_t)outlen,
		.pwd = (uint8_t *)in->password,
		.pwdlen = (uint32_t)in->pwlen,
		.salt = (uint8_t *)in->salt,
		.saltlen = (uint32_t)in->saltlen,
		.secret = (uint8_t *)in->secret,
		.secretlen = (uint32_t)in->secretlen,
		.ad = (uint8_t *)in->ad,
		.adlen = (uint32_t)in->adlen,
		.t_cost = in->time_cost,
		.m_cost = in->memory_kib,
		.lanes = in->lanes,
		.threads = in->lanes,
		.version = ARGON2_VERSION_13,
		.flags = ARGON2_DEFAULT_FLAGS,
	};
	int rc;

	if (!u32_fits(outlen) || !u32_fits(in->pwlen) || !u32_fits(in->saltlen) ||
	    !u32_fits(in->secretlen) || !u32_fits(in->adlen) || in->saltlen < ARGON2_SALT_MIN) {
		secure_wipe(out, outlen);
		return -EINVAL;
	}
	rc = argon2_ctx(&ctx, Argon2_id);
	if (rc == ARGON2_OK)
		return 0;
	secure_wipe(out, outlen);
	return rc == ARGON2_MEMORY_ALLOCATION_ERROR ? -ENOMEM : -EIO;
}

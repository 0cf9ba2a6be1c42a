/*
 * veilfs's bounds on the Argon2id cost parameters (crypto/kdf.h), checked before the back
 * end's raw call (argon2id_raw: argon2.c over libargon2, gcrypt/argon2.c over libgcrypt).
 */
#include <stdbool.h>
#include <stdint.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/crypto_internal.h"
#include "crypto/kdf.h"

static bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi;
}

int argon2id_derive(const char *password, size_t pwlen, const uint8_t *salt, size_t saltlen,
		    uint32_t time_cost, uint32_t memory_kib, uint32_t lanes, uint8_t *out,
		    size_t outlen)
{
	const struct argon2id_input in = {
		.password = password,
		.pwlen = pwlen,
		.salt = salt,
		.saltlen = saltlen,
		.time_cost = time_cost,
		.memory_kib = memory_kib,
		.lanes = lanes,
	};

	if (!in_range(time_cost, ARGON2_MIN_TIME, ARGON2_MAX_TIME) ||
	    !in_range(memory_kib, ARGON2_MIN_MEMORY_KIB, ARGON2_MAX_MEMORY_KIB) ||
	    !in_range(lanes, ARGON2_MIN_LANES, ARGON2_MAX_LANES)) {
		secure_wipe(out, outlen);
		return -EINVAL;
	}
	return argon2id_raw(&in, out, outlen);
}

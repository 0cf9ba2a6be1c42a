/*
 * Key derivation: HKDF-SHA256 (RFC 5869) for subkeys, Argon2id (RFC 9106) for the
 * password-derived key-encryption key, and SHA-256 for long-name hashing.
 */
#ifndef VEILFS_CRYPTO_KDF_H
#define VEILFS_CRYPTO_KDF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	SHA256_LEN = 32,
	ARGON2_MIN_MEMORY_KIB = 8 * 1024,
	ARGON2_MAX_MEMORY_KIB = 4 * 1024 * 1024,
	ARGON2_MIN_TIME = 1,
	ARGON2_MAX_TIME = 64,
	ARGON2_MIN_LANES = 1,
	ARGON2_MAX_LANES = 16,
};

/* HKDF-SHA256 extract-and-expand. out is wiped on failure. Returns 0 or -EIO. */
int hkdf_sha256(const uint8_t *ikm, size_t ikmlen, const uint8_t *salt, size_t saltlen,
		const uint8_t *info, size_t infolen, uint8_t *out, size_t outlen) MUST_CHECK;

/*
 * Argon2id(password, salt) with the given cost. Parameters outside the ARGON2_* bounds
 * give -EINVAL; a failure inside the library gives -ENOMEM or -EIO. out wiped on failure.
 */
int argon2id_derive(const char *password, size_t pwlen, const uint8_t *salt, size_t saltlen,
		    uint32_t time_cost, uint32_t memory_kib, uint32_t lanes, uint8_t *out,
		    size_t outlen) MUST_CHECK;

/* SHA-256 of n bytes. Returns 0 or -EIO. */
int sha256(const uint8_t *p, size_t n, uint8_t out[static SHA256_LEN]) MUST_CHECK;

/* Fill p with n bytes from the system CSPRNG (OpenSSL RAND_bytes). Returns 0 or -EIO. */
int random_bytes(uint8_t *p, size_t n) MUST_CHECK;

/* Constant-time comparison; true when equal. */
bool secure_equal(const void *a, const void *b, size_t n);

#endif

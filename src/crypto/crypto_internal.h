/*
 * Declarations private to crypto/ and its tests.
 */
#ifndef VEILFS_CRYPTO_CRYPTO_INTERNAL_H
#define VEILFS_CRYPTO_CRYPTO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

/* argon2.c */

/* Every input of Argon2id (RFC 9106 section 3.1); secret and ad may be NULL/0. */
struct argon2id_input {
	const char *password;
	size_t pwlen;
	const uint8_t *salt;
	size_t saltlen;
	const uint8_t *secret;
	size_t secretlen;
	const uint8_t *ad;
	size_t adlen;
	uint32_t time_cost;
	uint32_t memory_kib;
	uint32_t lanes;
};

/*
 * Argon2id without veilfs's parameter bounds (the library's own limits still apply), for
 * known-answer tests. Returns 0, -EINVAL, -ENOMEM or -EIO; out wiped on failure.
 */
int argon2id_raw(const struct argon2id_input *in, uint8_t *out, size_t outlen) MUST_CHECK;

/* siv.c */

/* This thread's SIV key cache (NULL before its first SIV call), for tests of where it lives. */
const void *siv_thread_cache(void);
/* True when this back end keeps that cache (OpenSSL); the libgcrypt one keeps none. */
bool siv_keeps_thread_cache(void);

#endif

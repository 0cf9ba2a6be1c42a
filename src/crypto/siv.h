/*
 * Deterministic authenticated encryption (AES-256-SIV, RFC 5297) for file names and xattr
 * names. Output layout: the 16-byte synthetic IV (tag) followed by the ciphertext.
 * One associated-data component is bound (the directory IV, or nothing).
 */
#ifndef VEILFS_CRYPTO_SIV_H
#define VEILFS_CRYPTO_SIV_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	SIV_KEY_LEN = 64,
	SIV_TAG_LEN = 16,
};

/*
 * out has room for SIV_TAG_LEN + ptlen and does not overlap pt. ptlen must be at least 1
 * (veilfs always pads). adlen == 0 binds no AD component at all. Returns 0, -EINVAL for
 * ptlen == 0, or -EIO (out wiped). Thread-safe.
 */
int siv_seal(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *pt, size_t ptlen, uint8_t *out) MUST_CHECK;
/*
 * in is tag || ciphertext; pt has room for inlen - SIV_TAG_LEN and does not overlap in.
 * Returns 0, or -EBADMSG (pt wiped) when authentication fails, -EPROTO when inlen is short
 * (inlen <= SIV_TAG_LEN: an empty plaintext is never produced by siv_seal).
 */
int siv_open(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *in, size_t inlen, uint8_t *pt) MUST_CHECK;

#endif

/*
 * Authenticated encryption for file contents, symlink targets, xattr values and the
 * wrapped master key: AES-256-GCM (OpenSSL, AES-NI) or XChaCha20-Poly1305 (libsodium).
 * The Windows build's back end (libgcrypt, crypto/gcrypt/) has AES-256-GCM only.
 *
 * Output layout of a seal is ciphertext || tag (AEAD_TAG_LEN); the caller stores the
 * nonce. An aead_ctx is reusable but not thread-safe: keep one per thread.
 */
#ifndef VEILFS_CRYPTO_AEAD_H
#define VEILFS_CRYPTO_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	AEAD_KEY_LEN = 32,
	AEAD_TAG_LEN = 16,
	AEAD_GCM_NONCE_LEN = 12,
	AEAD_XCHACHA_NONCE_LEN = 24,
	AEAD_MAX_NONCE_LEN = 24,
};

/* On-disk identifiers: do not renumber. */
enum aead_alg {
	AEAD_AES256_GCM = 1,
	AEAD_XCHACHA20_POLY1305 = 2,
};

struct aead_ctx;

bool aead_alg_is_valid(unsigned alg);
/*
 * True when this build's back end implements alg: every valid alg on Linux; the libgcrypt
 * back end (the Windows build) has no XChaCha20-Poly1305, and aead_ctx_new() refuses it.
 */
bool aead_alg_is_supported(enum aead_alg alg);
/* Nonce length of alg, or 0 for an unknown alg. */
size_t aead_nonce_len(enum aead_alg alg);
const char *aead_alg_name(enum aead_alg alg);
/* Parse "aes-256-gcm" / "xchacha20-poly1305". Returns 0 or -EINVAL. */
int aead_alg_parse(const char *name, enum aead_alg *alg) MUST_CHECK;

/*
 * NULL on allocation failure, an unknown alg or one this build does not support. Free with
 * aead_ctx_free() (accepts NULL).
 */
struct aead_ctx *aead_ctx_new(enum aead_alg alg);
void aead_ctx_free(struct aead_ctx *c);
/* The algorithm c was created for. */
enum aead_alg aead_ctx_alg(const struct aead_ctx *c);

/*
 * Encrypt ptlen bytes of pt into ct (room for ptlen + AEAD_TAG_LEN). pt and ct may be the
 * same buffer; ptlen and adlen may be 0. The nonce is aead_nonce_len() bytes. Returns 0
 * or -EIO (ct wiped).
 */
int aead_seal(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
	      const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t ptlen,
	      uint8_t *ct) MUST_CHECK;

/*
 * Verify and decrypt ctlen bytes (ciphertext || tag) of ct into pt (room for ctlen -
 * AEAD_TAG_LEN). Nothing is released unless the tag verifies: on failure pt is wiped and
 * -EBADMSG returned (also for ctlen < AEAD_TAG_LEN). ct and pt may be the same buffer.
 */
int aead_open(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
	      const uint8_t *ad, size_t adlen, const uint8_t *ct, size_t ctlen,
	      uint8_t *pt) MUST_CHECK;

#endif

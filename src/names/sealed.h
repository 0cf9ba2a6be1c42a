/*
 * Small sealed payloads (docs/FORMAT.md, "Symlink targets" and "Extended attributes"):
 * nonce || AEAD(key, nonce, AD, plaintext) with the vault's content cipher (the alg of
 * the aead_ctx). Xattr values are stored raw; symlink targets are stored base64url so
 * that the lower target is a printable path. No I/O.
 *
 * A NULL nonce means "draw a fresh random one", which is what every caller outside the
 * test vectors must pass.
 */
#ifndef VEILFS_NAMES_SEALED_H
#define VEILFS_NAMES_SEALED_H

#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/compiler.h"
#include "crypto/aead.h"

enum {
	/* Bytes a sealed payload adds to its plaintext, at most. */
	SEALED_MAX_OVERHEAD = AEAD_MAX_NONCE_LEN + AEAD_TAG_LEN,
};

/* Append nonce || ciphertext || tag to out. Returns 0 or -EIO/-ENOMEM. */
int sealed_seal(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *nonce,
		const uint8_t *ad, size_t adlen, const uint8_t *pt, size_t len,
		struct buf *out) MUST_CHECK;
/*
 * Verify and append the plaintext of nonce || ciphertext || tag to out. Returns 0, -EPROTO
 * when in is too short to hold nonce and tag, -EBADMSG when authentication fails (out
 * unchanged), or -ENOMEM.
 */
int sealed_open(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN], const uint8_t *ad,
		size_t adlen, const uint8_t *in, size_t len, struct buf *out) MUST_CHECK;

/* Symlink target -> lower target: base64url(sealed_seal(symlinks key, AD = empty)). */
int symlink_target_encrypt(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN],
			   const uint8_t *nonce, const char *target, size_t len,
			   struct buf *out) MUST_CHECK;
/* Lower target -> symlink target. Returns 0, -EPROTO (malformed), -EBADMSG, -ENOMEM. */
int symlink_target_decrypt(struct aead_ctx *c, const uint8_t key[static AEAD_KEY_LEN],
			   const char *lower, size_t len, struct buf *out) MUST_CHECK;

#endif

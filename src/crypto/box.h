/*
 * X25519 sealed boxes (libsodium crypto_box_seal): anyone who has a public key can seal a
 * short secret to it, and only the holder of the secret key opens it. Key slots use them
 * to hand a new key epoch's secret to every slot without knowing the slots' unlock
 * secrets (docs/FORMAT.md, "Key epochs"). No I/O, no formats.
 */
#ifndef VEILFS_CRYPTO_BOX_H
#define VEILFS_CRYPTO_BOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	BOX_KEY_LEN = 32,  /* X25519 public and secret keys */
	BOX_SEAL_OVERHEAD = 48, /* ephemeral public key and Poly1305 tag */
};

/* False in a build whose back end cannot seal or open (libgcrypt: box_seal and box_open
 * return -EOPNOTSUPP there); box_public_key works in every build. */
bool box_seal_supported(void);
/* pk = X25519(sk, base point). sk is any 32 bytes (clamped by X25519). 0 or -EIO. */
int box_public_key(const uint8_t sk[static BOX_KEY_LEN], uint8_t pk[static BOX_KEY_LEN]) MUST_CHECK;
/* Seal len bytes to pk into out (len + BOX_SEAL_OVERHEAD bytes). 0, -EIO or -EOPNOTSUPP. */
int box_seal(const uint8_t pk[static BOX_KEY_LEN], const uint8_t *in, size_t len,
	     uint8_t *out) MUST_CHECK;
/*
 * Open len bytes (>= BOX_SEAL_OVERHEAD) sealed to pk with its sk into out
 * (len - BOX_SEAL_OVERHEAD bytes). 0, -EBADMSG when it does not open (out wiped), or
 * -EOPNOTSUPP (see box_seal_supported).
 */
int box_open(const uint8_t pk[static BOX_KEY_LEN], const uint8_t sk[static BOX_KEY_LEN],
	     const uint8_t *in, size_t len, uint8_t *out) MUST_CHECK;

#endif

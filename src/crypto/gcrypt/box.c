/*
 * Sealed boxes in the libgcrypt back end (the Windows build). The public key is X25519 of
 * the secret key through gcry_ecc_mul_point (RFC 7748, clamped as libsodium clamps), so a
 * slot's box key written here is the one the Linux build derives. Sealing and opening
 * are libsodium's crypto_box_seal format (XSalsa20-Poly1305, a BLAKE2b nonce), which
 * libgcrypt does not provide: they return -EOPNOTSUPP, so the Windows build opens vaults
 * of key epoch 0 only (docs/WINDOWS.md).
 */
#include <string.h>
#include <gcrypt.h>
#include "base/errors.h"
#include "crypto/box.h"
#include "crypto/gcrypt/gcrypt_internal.h"

bool box_seal_supported(void)
{
	return false;
}

int box_public_key(const uint8_t sk[static BOX_KEY_LEN], uint8_t pk[static BOX_KEY_LEN])
{
	if (gcry_setup() < 0 || gcry_ecc_mul_point(GCRY_ECC_CURVE25519, pk, sk, NULL) != 0)
		return -EIO;
	return 0;
}

int box_seal(const uint8_t pk[static BOX_KEY_LEN], const uint8_t *in, size_t len, uint8_t *out)
{
	(void)pk, (void)in, (void)len, (void)out;
	return -EOPNOTSUPP;
}

int box_open(const uint8_t pk[static BOX_KEY_LEN], const uint8_t sk[static BOX_KEY_LEN],
	     const uint8_t *in, size_t len, uint8_t *out)
{
	(void)pk, (void)sk, (void)in, (void)len, (void)out;
	return -EOPNOTSUPP;
}

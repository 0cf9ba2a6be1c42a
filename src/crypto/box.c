/*
 * Sealed boxes through libsodium (crypto_box_seal: an ephemeral X25519 key, XSalsa20-
 * Poly1305, nonce from BLAKE2b of both public keys). sodium_init() runs once per process;
 * libsodium's seal_open verifies the tag before it writes the plaintext.
 */
#include <pthread.h>
#include <string.h>
#include <sodium.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/box.h"

_Static_assert(BOX_KEY_LEN == crypto_box_PUBLICKEYBYTES, "X25519 public key size");
_Static_assert(BOX_KEY_LEN == crypto_box_SECRETKEYBYTES, "X25519 secret key size");
_Static_assert(BOX_SEAL_OVERHEAD == crypto_box_SEALBYTES, "sealed box overhead");

static pthread_once_t box_once = PTHREAD_ONCE_INIT;
static int box_status = -1;

static void box_setup(void)
{
	box_status = sodium_init() < 0 ? -1 : 0;
}

static int box_ready(void)
{
	if (pthread_once(&box_once, box_setup) != 0 || box_status < 0)
		return -EIO;
	return 0;
}

bool box_seal_supported(void)
{
	return true;
}

int box_public_key(const uint8_t sk[static BOX_KEY_LEN], uint8_t pk[static BOX_KEY_LEN])
{
	if (box_ready() < 0 || crypto_scalarmult_base(pk, sk) != 0)
		return -EIO;
	return 0;
}

int box_seal(const uint8_t pk[static BOX_KEY_LEN], const uint8_t *in, size_t len, uint8_t *out)
{
	if (box_ready() < 0 || crypto_box_seal(out, in, len, pk) != 0)
		return -EIO;
	return 0;
}

int box_open(const uint8_t pk[static BOX_KEY_LEN], const uint8_t sk[static BOX_KEY_LEN],
	     const uint8_t *in, size_t len, uint8_t *out)
{
	if (len < BOX_SEAL_OVERHEAD)
		return -EBADMSG;
	if (box_ready() < 0)
		return -EIO;
	if (crypto_box_seal_open(out, in, len, pk, sk) != 0) {
		secure_wipe(out, len - BOX_SEAL_OVERHEAD);
		return -EBADMSG;
	}
	return 0;
}

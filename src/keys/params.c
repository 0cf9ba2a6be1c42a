/*
 * Names and bounds of the vault parameters for front ends (keys/params.h): thin wrappers
 * over crypto/, so that cli/ needs no crypto/ or format/ header of its own.
 */
#include <errno.h>
#include "crypto/aead.h"
#include "crypto/box.h"
#include "crypto/kdf.h"
#include "keys/params.h"

const char *keys_cipher_name(unsigned cipher)
{
	return aead_alg_name((enum aead_alg)cipher);
}

int keys_cipher_parse(const char *name, uint8_t *cipher)
{
	enum aead_alg alg;
	int r;

	if ((r = aead_alg_parse(name, &alg)) < 0)
		return r;
	*cipher = (uint8_t)alg;
	return 0;
}

bool keys_cipher_supported(unsigned cipher)
{
	return aead_alg_is_valid(cipher) && aead_alg_is_supported((enum aead_alg)cipher);
}

bool keys_epochs_supported(void)
{
	return box_seal_supported();
}

const char *keys_kdf_name(unsigned kdf)
{
	return kdf == CONFIG_KDF_ARGON2ID ? "argon2id" : "unknown";
}

int keys_random_secret(uint8_t *p, size_t n)
{
	return random_bytes(p, n);
}

bool keys_secret_equal(const void *a, const void *b, size_t n)
{
	return secure_equal(a, b, n);
}

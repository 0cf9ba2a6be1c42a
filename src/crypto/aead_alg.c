/*
 * The AEAD algorithms' names, identifiers and nonce lengths, shared by every crypto back
 * end (aead.c over OpenSSL and libsodium; gcrypt/aead.c over libgcrypt).
 */
#include <string.h>
#include "base/errors.h"
#include "crypto/aead.h"

bool aead_alg_is_valid(unsigned alg)
{
	return alg == AEAD_AES256_GCM || alg == AEAD_XCHACHA20_POLY1305;
}

size_t aead_nonce_len(enum aead_alg alg)
{
	switch (alg) {
	case AEAD_AES256_GCM:
		return AEAD_GCM_NONCE_LEN;
	case AEAD_XCHACHA20_POLY1305:
		return AEAD_XCHACHA_NONCE_LEN;
	}
	return 0;
}

const char *aead_alg_name(enum aead_alg alg)
{
	switch (alg) {
	case AEAD_AES256_GCM:
		return "aes-256-gcm";
	case AEAD_XCHACHA20_POLY1305:
		return "xchacha20-poly1305";
	}
	return "unknown";
}

int aead_alg_parse(const char *name, enum aead_alg *alg)
{
	if (strcmp(name, "aes-256-gcm") == 0)
		*alg = AEAD_AES256_GCM;
	else if (strcmp(name, "xchacha20-poly1305") == 0)
		*alg = AEAD_XCHACHA20_POLY1305;
	else
		return -EINVAL;
	return 0;
}

/*
 * What a front end chooses for a vault, without including crypto/ or format/: ciphers by
 * name, the password KDF's name and cost bounds, fresh random secrets (recovery keys, key
 * files) and their constant-time comparison. The numbers are format/config.h's, which
 * keys/keys.c pins to crypto/'s.
 */
#ifndef VEILFS_KEYS_PARAMS_H
#define VEILFS_KEYS_PARAMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config.h"

/* Argon2id cost bounds accepted in a config (and by the KDF). */
enum {
	KEYS_KDF_MEMORY_MIN_KIB = CONFIG_KDF_MEMORY_MIN_KIB,
	KEYS_KDF_MEMORY_MAX_KIB = CONFIG_KDF_MEMORY_MAX_KIB,
	KEYS_KDF_TIME_MIN = CONFIG_KDF_TIME_MIN,
	KEYS_KDF_TIME_MAX = CONFIG_KDF_TIME_MAX,
};

/* "aes-256-gcm" or "xchacha20-poly1305" for a config's cipher byte; "unknown" otherwise. */
const char *keys_cipher_name(unsigned cipher);
/* The cipher byte for one of those names. Returns 0 or -EINVAL. */
int keys_cipher_parse(const char *name, uint8_t *cipher) MUST_CHECK;
/* True when this build implements cipher (the Windows build has no XChaCha20-Poly1305). */
bool keys_cipher_supported(unsigned cipher);
/* True when this build opens vaults of key epoch 1 and later (sealed boxes; the Windows
 * build's libgcrypt back end has none, so its unlock of such a vault is -EOPNOTSUPP). */
bool keys_epochs_supported(void);
/* "argon2id" for a config's kdf byte; "unknown" otherwise. */
const char *keys_kdf_name(unsigned kdf);
/* Fill p with n bytes from the system CSPRNG. Returns 0 or -EIO. */
int keys_random_secret(uint8_t *p, size_t n) MUST_CHECK;
/* Compare two secrets of n bytes in constant time; true when equal. */
bool keys_secret_equal(const void *a, const void *b, size_t n);

#endif

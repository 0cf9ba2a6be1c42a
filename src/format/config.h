/*
 * On-disk layout of the vault config file `veilfs.conf` (docs/FORMAT.md, "Config file").
 * Pure encode/decode/validate: no keys are derived and no I/O is done here.
 */
#ifndef VEILFS_FORMAT_CONFIG_H
#define VEILFS_FORMAT_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	CONFIG_VERSION = 1,
	CONFIG_MAGIC_LEN = 8,
	VAULT_ID_LEN = 16,
	CONFIG_SALT_LEN = 32,
	CONFIG_WRAP_NONCE_LEN = 12,
	MASTER_KEY_LEN = 32,
	CONFIG_WRAPPED_LEN = MASTER_KEY_LEN + 16,
	/* Bytes [0, CONFIG_AD_LEN) are the associated data of the key wrap. */
	CONFIG_AD_LEN = 92,
	CONFIG_SIZE = CONFIG_AD_LEN + CONFIG_WRAPPED_LEN,
	CONFIG_BLOCK_SIZE = 4096,
};

/* Feature flags (u32 bit set). Unknown bits make a config unsupported. */
enum config_feature {
	CONFIG_FEATURE_PLAINTEXT_NAMES = 1u << 0,
	CONFIG_FEATURES_KNOWN = CONFIG_FEATURE_PLAINTEXT_NAMES,
};

enum config_kdf {
	CONFIG_KDF_ARGON2ID = 1,
};

/*
 * Values of the cipher byte (the same numbers as enum aead_alg; format/ does not include
 * crypto/, keys.c pins the equality) and the accepted Argon2id cost ranges (equal to the
 * ARGON2_* bounds of crypto/kdf.h, pinned the same way).
 */
enum config_cipher {
	CONFIG_CIPHER_AES256_GCM = 1,
	CONFIG_CIPHER_XCHACHA20_POLY1305 = 2,
};

enum {
	CONFIG_KDF_TIME_MIN = 1,
	CONFIG_KDF_TIME_MAX = 64,
	CONFIG_KDF_MEMORY_MIN_KIB = 8 * 1024,
	CONFIG_KDF_MEMORY_MAX_KIB = 4 * 1024 * 1024,
	CONFIG_KDF_LANES_MIN = 1,
	CONFIG_KDF_LANES_MAX = 16,
};

extern const uint8_t config_magic[CONFIG_MAGIC_LEN];

struct config {
	uint16_t version;
	uint32_t features;
	uint8_t cipher; /* enum aead_alg */
	uint8_t kdf;    /* enum config_kdf */
	uint32_t block_size;
	uint32_t kdf_time;
	uint32_t kdf_memory_kib;
	uint32_t kdf_lanes;
	uint8_t vault_id[VAULT_ID_LEN];
	uint8_t salt[CONFIG_SALT_LEN];
	uint8_t wrap_nonce[CONFIG_WRAP_NONCE_LEN];
	uint8_t wrapped_key[CONFIG_WRAPPED_LEN];
};

/* Check every field of c. Returns 0 or -EPROTO. */
int config_validate(const struct config *c) MUST_CHECK;
/*
 * Name of the first field of c that is out of range ("version", "features", "cipher",
 * "kdf", "block size", "kdf time cost", "kdf memory", "kdf lanes"), or NULL when c is
 * valid. A static string, for messages.
 */
const char *config_invalid_field(const struct config *c);
/* Validate c and write exactly CONFIG_SIZE bytes. Returns 0 or -EPROTO. */
int config_encode(const struct config *c, uint8_t out[static CONFIG_SIZE]) MUST_CHECK;
/*
 * Parse len bytes. Every field is checked with its own error; a length other than
 * CONFIG_SIZE (short or trailing bytes) is rejected. Returns 0 or -EPROTO; on error *c is
 * zeroed.
 */
int config_decode(struct config *c, const uint8_t *p, size_t len) MUST_CHECK;

#endif

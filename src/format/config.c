/*
 * Encode, decode and validate veilfs.conf (docs/FORMAT.md, "Config file"): 140 bytes,
 * big-endian, every field range-checked before any password is asked for. Key wrapping
 * and file I/O belong to keys/.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>
#include "base/bytes.h"
#include "base/errors.h"
#include "format/config.h"

/* Field offsets, FORMAT.md table "Config file". */
enum {
	OFF_MAGIC = 0,
	OFF_VERSION = 8,
	OFF_FEATURES = 10,
	OFF_CIPHER = 14,
	OFF_KDF = 15,
	OFF_BLOCK_SIZE = 16,
	OFF_KDF_TIME = 20,
	OFF_KDF_MEMORY = 24,
	OFF_KDF_LANES = 28,
	OFF_VAULT_ID = 32,
	OFF_SALT = 48,
	OFF_WRAP_NONCE = 80,
	OFF_WRAPPED = 92,
};

static_assert((int)OFF_SALT == OFF_VAULT_ID + (int)VAULT_ID_LEN, "salt follows vault id");
static_assert((int)OFF_WRAP_NONCE == OFF_SALT + (int)CONFIG_SALT_LEN, "nonce follows salt");
static_assert((int)OFF_WRAPPED == OFF_WRAP_NONCE + (int)CONFIG_WRAP_NONCE_LEN,
	      "wrapped key follows");
static_assert((int)OFF_WRAPPED == (int)CONFIG_AD_LEN, "the wrap binds every byte before the key");
static_assert(CONFIG_SIZE == 140, "FORMAT.md: the config file is 140 bytes");

const uint8_t config_magic[CONFIG_MAGIC_LEN] = { 'V', 'E', 'I', 'L', 'F', 'S', 'C', 'F' };

static bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi;
}

const char *config_invalid_field(const struct config *c)
{
	if (c->version != CONFIG_VERSION)
		return "version";
	if (c->features & ~(uint32_t)CONFIG_FEATURES_KNOWN)
		return "features";
	if (c->cipher != CONFIG_CIPHER_AES256_GCM && c->cipher != CONFIG_CIPHER_XCHACHA20_POLY1305)
		return "cipher";
	if (c->kdf != CONFIG_KDF_ARGON2ID)
		return "kdf";
	if (c->block_size != CONFIG_BLOCK_SIZE)
		return "block size";
	if (!in_range(c->kdf_time, CONFIG_KDF_TIME_MIN, CONFIG_KDF_TIME_MAX))
		return "kdf time cost";
	if (!in_range(c->kdf_memory_kib, CONFIG_KDF_MEMORY_MIN_KIB, CONFIG_KDF_MEMORY_MAX_KIB))
		return "kdf memory";
	if (!in_range(c->kdf_lanes, CONFIG_KDF_LANES_MIN, CONFIG_KDF_LANES_MAX))
		return "kdf lanes";
	return NULL;
}

int config_validate(const struct config *c)
{
	return config_invalid_field(c) ? -EPROTO : 0;
}

int config_encode(const struct config *c, uint8_t out[static CONFIG_SIZE])
{
	if (config_validate(c) < 0)
		return -EPROTO;
	memcpy(out + OFF_MAGIC, config_magic, CONFIG_MAGIC_LEN);
	put_be16(out + OFF_VERSION, c->version);
	put_be32(out + OFF_FEATURES, c->features);
	out[OFF_CIPHER] = c->cipher;
	out[OFF_KDF] = c->kdf;
	put_be32(out + OFF_BLOCK_SIZE, c->block_size);
	put_be32(out + OFF_KDF_TIME, c->kdf_time);
	put_be32(out + OFF_KDF_MEMORY, c->kdf_memory_kib);
	put_be32(out + OFF_KDF_LANES, c->kdf_lanes);
	memcpy(out + OFF_VAULT_ID, c->vault_id, VAULT_ID_LEN);
	memcpy(out + OFF_SALT, c->salt, CONFIG_SALT_LEN);
	memcpy(out + OFF_WRAP_NONCE, c->wrap_nonce, CONFIG_WRAP_NONCE_LEN);
	memcpy(out + OFF_WRAPPED, c->wrapped_key, CONFIG_WRAPPED_LEN);
	return 0;
}

/* The length was checked by the caller: exactly CONFIG_SIZE bytes. */
static void config_read_fields(struct config *c, const uint8_t *p)
{
	c->version = get_be16(p + OFF_VERSION);
	c->features = get_be32(p + OFF_FEATURES);
	c->cipher = p[OFF_CIPHER];
	c->kdf = p[OFF_KDF];
	c->block_size = get_be32(p + OFF_BLOCK_SIZE);
	c->kdf_time = get_be32(p + OFF_KDF_TIME);
	c->kdf_memory_kib = get_be32(p + OFF_KDF_MEMORY);
	c->kdf_lanes = get_be32(p + OFF_KDF_LANES);
	memcpy(c->vault_id, p + OFF_VAULT_ID, VAULT_ID_LEN);
	memcpy(c->salt, p + OFF_SALT, CONFIG_SALT_LEN);
	memcpy(c->wrap_nonce, p + OFF_WRAP_NONCE, CONFIG_WRAP_NONCE_LEN);
	memcpy(c->wrapped_key, p + OFF_WRAPPED, CONFIG_WRAPPED_LEN);
}

int config_decode(struct config *c, const uint8_t *p, size_t len)
{
	memset(c, 0, sizeof(*c));
	/* Short files and trailing bytes alike: the format has exactly one length. */
	if (len != CONFIG_SIZE)
		return -EPROTO;
	if (memcmp(p + OFF_MAGIC, config_magic, CONFIG_MAGIC_LEN) != 0)
		return -EPROTO;
	config_read_fields(c, p);
	if (config_validate(c) < 0) {
		memset(c, 0, sizeof(*c));
		return -EPROTO;
	}
	return 0;
}

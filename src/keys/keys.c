/*
 * Subkey derivation (docs/FORMAT.md, "Keys"): HKDF-SHA256 (RFC 5869) with IKM = master
 * key, salt = vault id and one info label per key, plus the per-file content key. Keys
 * live in secmem memory. Wrapping the master key is in wrap.c, the config file in
 * config_file.c.
 */
#include <assert.h>
#include <stddef.h>
#include <string.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "crypto/siv.h"
#include "format/config.h"
#include "format/header.h"
#include "keys/epoch.h"
#include "keys/keys.h"

/* format/ does not include crypto/, so the shared numbers are pinned here. */
static_assert((int)CONFIG_CIPHER_AES256_GCM == (int)AEAD_AES256_GCM, "cipher ids");
static_assert((int)CONFIG_CIPHER_XCHACHA20_POLY1305 == (int)AEAD_XCHACHA20_POLY1305, "cipher ids");
static_assert((int)CONFIG_KDF_TIME_MIN == (int)ARGON2_MIN_TIME, "kdf time bounds");
static_assert((int)CONFIG_KDF_TIME_MAX == (int)ARGON2_MAX_TIME, "kdf time bounds");
static_assert((int)CONFIG_KDF_MEMORY_MIN_KIB == (int)ARGON2_MIN_MEMORY_KIB, "kdf memory bounds");
static_assert((int)CONFIG_KDF_MEMORY_MAX_KIB == (int)ARGON2_MAX_MEMORY_KIB, "kdf memory bounds");
static_assert((int)CONFIG_KDF_LANES_MIN == (int)ARGON2_MIN_LANES, "kdf lanes bounds");
static_assert((int)CONFIG_KDF_LANES_MAX == (int)ARGON2_MAX_LANES, "kdf lanes bounds");
static_assert((int)CONTENT_KEY_LEN == (int)AEAD_KEY_LEN, "content keys are AEAD keys");
static_assert((int)FILE_KEY_LEN == (int)AEAD_KEY_LEN, "file keys are AEAD keys");
static_assert((int)NAME_KEY_LEN == (int)SIV_KEY_LEN, "name keys are SIV keys");

/* HKDF info strings, exactly as FORMAT.md lists them (ASCII, no terminator). */
static const char *const key_labels[KEY_LABEL_COUNT] = {
	[KEY_LABEL_CONTENT] = "veilfs v1 content",
	[KEY_LABEL_NAMES] = "veilfs v1 names",
	[KEY_LABEL_XATTR_NAMES] = "veilfs v1 xattr names",
	[KEY_LABEL_XATTR_VALUES] = "veilfs v1 xattr values",
	[KEY_LABEL_SYMLINKS] = "veilfs v1 symlinks",
	[KEY_LABEL_FILE] = "veilfs v1 file",
	[KEY_LABEL_SLOT_KEYFILE] = "veilfs v2 slot keyfile",
	[KEY_LABEL_SLOT_RECOVERY] = "veilfs v2 slot recovery",
	[KEY_LABEL_SLOT_TPM] = "veilfs v2 slot tpm",
	[KEY_LABEL_SLOT_BOX] = "veilfs v2 slot box",
	[KEY_LABEL_EPOCH_CONTENT] = "veilfs v2 epoch content",
	[KEY_LABEL_EPOCH_CHECK] = "veilfs v2 epoch check",
	[KEY_LABEL_EPOCH_TABLE] = "veilfs v2 epoch table",
};

/* Where each vault subkey goes in struct vault_keys. */
static const struct {
	enum key_label label;
	size_t offset;
	size_t len;
} subkeys[] = {
	{ KEY_LABEL_CONTENT, offsetof(struct vault_keys, content), CONTENT_KEY_LEN },
	{ KEY_LABEL_NAMES, offsetof(struct vault_keys, names), NAME_KEY_LEN },
	{ KEY_LABEL_XATTR_NAMES, offsetof(struct vault_keys, xattr_names), NAME_KEY_LEN },
	{ KEY_LABEL_XATTR_VALUES, offsetof(struct vault_keys, xattr_values), CONTENT_KEY_LEN },
	{ KEY_LABEL_SYMLINKS, offsetof(struct vault_keys, symlinks), CONTENT_KEY_LEN },
};

const char *key_label_string(enum key_label label)
{
	if ((unsigned)label >= KEY_LABEL_COUNT)
		return NULL;
	return key_labels[label];
}

static int derive_subkey(const uint8_t *master, const uint8_t *vault_id, enum key_label label,
			 uint8_t *out, size_t len)
{
	const char *info = key_labels[label];

	return hkdf_sha256(master, MASTER_KEY_LEN, vault_id, VAULT_ID_LEN, (const uint8_t *)info,
			   strlen(info), out, len);
}

struct vault_keys *vault_keys_new(const uint8_t master[static MASTER_KEY_LEN],
				  const uint8_t vault_id[static VAULT_ID_LEN])
{
	struct vault_keys *k = secmem_alloc(sizeof(*k));
	size_t i;

	if (!k)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(subkeys); i++) {
		if (derive_subkey(master, vault_id, subkeys[i].label,
				  (uint8_t *)k + subkeys[i].offset, subkeys[i].len) < 0) {
			vault_keys_free(k);
			return NULL;
		}
	}
	return k;
}

void vault_keys_free(struct vault_keys *k)
{
	secmem_free(k);
}

int vault_keys_set_epochs(struct vault_keys *k, const uint8_t vault_id[static VAULT_ID_LEN],
			  const struct epoch_secrets *s)
{
	uint32_t j;
	int r;

	if (s->epoch > CONFIG_EPOCH_MAX)
		return -EINVAL;
	/* epochs a reader may use already (<= k->epoch) are not written again */
	for (j = vault_keys_epoch(k) + 1; j <= s->epoch; j++)
		if ((r = epoch_content_key(s, j, vault_id, k->epoch_content[j - 1])) < 0)
			return r;
	if (s->epoch > vault_keys_epoch(k))
		__atomic_store_n(&k->epoch, s->epoch, __ATOMIC_RELEASE);
	return 0;
}

uint32_t vault_keys_epoch(const struct vault_keys *k)
{
	return __atomic_load_n(&k->epoch, __ATOMIC_ACQUIRE);
}

int keys_file_key(const struct vault_keys *k, const uint8_t *file_id,
		  uint8_t out[static FILE_KEY_LEN])
{
	return keys_file_key_epoch(k, 0, file_id, out);
}

/* info = "veilfs v1 file" || file id; salt empty (the content key is already uniform). */
int keys_file_key_epoch(const struct vault_keys *k, uint32_t e, const uint8_t *file_id,
			uint8_t out[static FILE_KEY_LEN])
{
	const uint8_t *content = e == 0 ? k->content : NULL;
	const char *label = key_labels[KEY_LABEL_FILE];
	size_t llen = strlen(label);
	uint8_t info[32 + FILE_ID_LEN];

	assert(llen + FILE_ID_LEN <= sizeof(info));
	if (e > 0 && e <= vault_keys_epoch(k) && e <= CONFIG_EPOCH_MAX)
		content = k->epoch_content[e - 1];
	if (!content)
		return -ENOKEY;
	memcpy(info, label, llen);
	memcpy(info + llen, file_id, FILE_ID_LEN);
	return hkdf_sha256(content, CONTENT_KEY_LEN, NULL, 0, info, llen + FILE_ID_LEN, out,
			   FILE_KEY_LEN);
}

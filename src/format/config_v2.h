/*
 * On-disk layout of veilfs.conf version 2 (docs/FORMAT.md, "Config file, version 2"):
 * vault-wide fields and 1 ... 16 key slots, each wrapping the master key under one unlock
 * method (password, key file, recovery key, TPM 2.0). A TPM slot is followed by the TPM's
 * sealed-object blobs, opaque here (keys/tpm.c parses them). With the key-epochs feature
 * bit, a section after the slots holds each slot's box public key, the current epoch's
 * secret sealed to each slot, and the older epochs' secrets wrapped under the newest
 * ("Key epochs"; opaque bytes here, keys/epoch.c makes them). Pure encode/decode/validate:
 * no keys, no I/O.
 * Version 1 is format/config.c.
 */
#ifndef VEILFS_FORMAT_CONFIG_V2_H
#define VEILFS_FORMAT_CONFIG_V2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config.h"

enum {
	CONFIG_V2_VERSION = 2,
	/* Vault-wide part: bytes [0, CONFIG_V2_HEADER_AD_LEN) are bound by every slot. */
	CONFIG_V2_HEADER_AD_LEN = 40,
	CONFIG_V2_HEADER_SIZE = 44,
	CONFIG_SLOTS_MAX = 16,
	CONFIG_SLOT_LABEL_MAX = 32,
	/* Bytes [0, CONFIG_SLOT_AD_LEN) of a slot are bound by its own wrap. */
	CONFIG_SLOT_AD_LEN = 100,
	/* The fixed part of every slot; a TPM slot's blobs follow it. */
	CONFIG_SLOT_SIZE = CONFIG_SLOT_AD_LEN + CONFIG_WRAPPED_LEN,
	/* A TPM slot's blobs: be16 length and bytes of the sealed object's TPM2B_PUBLIC
	 * contents, then the same of its TPM2B_PRIVATE; each 1 ... 256 bytes. */
	CONFIG_TPM_BLOB_MAX = 256,
	CONFIG_SLOT_TPM_EXTRA_MAX = 2 * (2 + CONFIG_TPM_BLOB_MAX),
	CONFIG_V2_AD_LEN = CONFIG_V2_HEADER_AD_LEN + CONFIG_SLOT_AD_LEN,
	/* Key epochs (features bit 1): per slot a flags byte, its box public key and the
	 * current epoch's secret sealed to it; then, when the key epoch e > 0, a 16-byte
	 * check value of E_e and e - 1 wrapped older secrets (epochs 1 ... e - 1). */
	CONFIG_EPOCH_MAX = 64,
	CONFIG_BOX_KEY_LEN = 32,
	CONFIG_EPOCH_SECRET_LEN = 32,
	CONFIG_EPOCH_BOX_LEN = CONFIG_EPOCH_SECRET_LEN + 48,
	CONFIG_EPOCH_CHECK_LEN = 16,
	CONFIG_EPOCH_WRAP_LEN = CONFIG_WRAP_NONCE_LEN + CONFIG_EPOCH_SECRET_LEN + 16,
	CONFIG_SLOT_BOX_SIZE = 1 + CONFIG_BOX_KEY_LEN + CONFIG_EPOCH_BOX_LEN,
	CONFIG_EPOCHS_SIZE_MAX = CONFIG_SLOTS_MAX * CONFIG_SLOT_BOX_SIZE + CONFIG_EPOCH_CHECK_LEN +
				 (CONFIG_EPOCH_MAX - 1) * CONFIG_EPOCH_WRAP_LEN,
	CONFIG_V2_SIZE_MIN = CONFIG_V2_HEADER_SIZE + CONFIG_SLOT_SIZE,
	CONFIG_V2_SIZE_MAX = CONFIG_V2_HEADER_SIZE +
			     CONFIG_SLOTS_MAX * (CONFIG_SLOT_SIZE + CONFIG_SLOT_TPM_EXTRA_MAX) +
			     CONFIG_EPOCHS_SIZE_MAX,
};

/* Version-2-only feature bit: the key-epoch section follows the slots. The slot wraps
 * do not bind it (nor the key epoch field): config_v2_slot_ad() reads both as zero. */
enum { CONFIG_V2_FEATURE_EPOCHS = 1u << 1 };

/* A slot's flags byte in the key-epoch section. */
enum config_slot_box_flag {
	CONFIG_SLOT_HAS_BOX_KEY = 1u << 0, /* box_pk is set */
	CONFIG_SLOT_HAS_EPOCH = 1u << 1,   /* epoch_box holds E_e sealed to box_pk */
};

/* Slot types. */
enum config_slot_type {
	CONFIG_SLOT_PASSWORD = 1,
	CONFIG_SLOT_KEYFILE = 2,
	CONFIG_SLOT_RECOVERY = 3,
	CONFIG_SLOT_TPM = 4,
};

/* Slot KDFs: Argon2id for passwords, HKDF-SHA256 for the 256-bit random secrets (a TPM
 * slot's secret is the 32 bytes its sealed object holds). */
enum config_slot_kdf {
	CONFIG_SLOT_KDF_ARGON2ID = 1,
	CONFIG_SLOT_KDF_HKDF = 2,
};

struct config_slot {
	uint8_t type; /* enum config_slot_type */
	uint8_t kdf;  /* enum config_slot_kdf */
	uint32_t kdf_time;       /* Argon2id only; 0 for HKDF */
	uint32_t kdf_memory_kib; /* Argon2id only; 0 for HKDF */
	uint32_t kdf_lanes;      /* Argon2id only; 0 for HKDF */
	uint64_t created;        /* unix seconds */
	char label[CONFIG_SLOT_LABEL_MAX + 1]; /* NUL-terminated, 1 ... 32 label characters */
	uint8_t salt[CONFIG_SALT_LEN];
	uint8_t nonce[CONFIG_WRAP_NONCE_LEN];
	uint8_t wrapped[CONFIG_WRAPPED_LEN];
	/* TPM slots only (both lengths 0 otherwise): the sealed object, as the TPM marshals
	 * it, without the TPM2B size fields (those are the lengths) */
	uint16_t tpm_public_len, tpm_private_len;
	uint8_t tpm_public[CONFIG_TPM_BLOB_MAX];
	uint8_t tpm_private[CONFIG_TPM_BLOB_MAX];
	/* Key-epoch section (all zero without CONFIG_V2_FEATURE_EPOCHS) */
	uint8_t box_flags; /* enum config_slot_box_flag */
	uint8_t box_pk[CONFIG_BOX_KEY_LEN];
	uint8_t epoch_box[CONFIG_EPOCH_BOX_LEN];
};

struct config_v2 {
	uint32_t features; /* enum config_feature */
	uint8_t cipher;    /* enum config_cipher */
	uint32_t block_size;
	uint32_t key_epoch; /* 0 ... CONFIG_EPOCH_MAX; > 0 needs CONFIG_V2_FEATURE_EPOCHS */
	uint8_t vault_id[VAULT_ID_LEN];
	uint16_t nslots;
	struct config_slot slots[CONFIG_SLOTS_MAX];
	/* key_epoch > 0 only (zero otherwise): check value of E_e, and E_j wrapped under E_e
	 * for j = 1 ... key_epoch - 1 at index j - 1 (the rest zero) */
	uint8_t epoch_check[CONFIG_EPOCH_CHECK_LEN];
	uint8_t epoch_table[CONFIG_EPOCH_MAX - 1][CONFIG_EPOCH_WRAP_LEN];
};

/* True for a label of 1 ... 32 characters from [A-Za-z0-9._@+-]. */
bool config_slot_label_is_valid(const char *label);
/* Name of a slot type ("password", "keyfile", "recovery", "tpm"), or NULL. */
const char *config_slot_type_name(uint8_t type);
/* Index of the slot labelled label, or -1. */
int config_v2_find_label(const struct config_v2 *c, const char *label);

/*
 * Name of the first invalid field of c ("features", "slot 3 label", ...), or NULL when c
 * is valid. Written into buf (size >= 48) for slot fields; a static string otherwise.
 */
const char *config_v2_invalid_field(const struct config_v2 *c, char *buf, size_t size);
int config_v2_validate(const struct config_v2 *c) MUST_CHECK;
/* Size of the encoding of c: CONFIG_V2_HEADER_SIZE + nslots * CONFIG_SLOT_SIZE, plus
 * 4 + the two blob lengths for each TPM slot, plus the key-epoch section when its feature
 * bit is set (nslots * CONFIG_SLOT_BOX_SIZE, and for key_epoch e > 0 16 + (e - 1) * 60). */
size_t config_v2_size(const struct config_v2 *c);
/* Validate c and write config_v2_size(c) bytes to out (cap bytes). 0 or -EPROTO/-ENOSPC. */
int config_v2_encode(const struct config_v2 *c, uint8_t *out, size_t cap) MUST_CHECK;
/*
 * Parse len bytes: magic, version 2, each field with its own error, exactly nslots slots
 * and no trailing bytes. Returns 0 or -EPROTO; *c is zeroed on error.
 */
int config_v2_decode(struct config_v2 *c, const uint8_t *p, size_t len) MUST_CHECK;
/*
 * The associated data of slot i's wrap: vault-wide bytes [0, 40) || slot bytes [0, 100),
 * with the key epoch field and the key-epochs feature bit read as zero (a revocation
 * changes both without re-wrapping the other slots). The slot's fields must be valid
 * (label, type, kdf). Returns 0 or -EPROTO.
 */
int config_v2_slot_ad(const struct config_v2 *c, unsigned i,
		      uint8_t ad[static CONFIG_V2_AD_LEN]) MUST_CHECK;
/* The version field of a config file's bytes (after checking the magic), or -EPROTO. */
int config_peek_version(const uint8_t *p, size_t len) MUST_CHECK;

#endif

/*
 * Key handling (docs/FORMAT.md, "Keys"): wrapping the master key under the password,
 * and deriving every subkey from it. All key material lives in secmem memory.
 * This module never touches file contents.
 */
#ifndef VEILFS_KEYS_KEYS_H
#define VEILFS_KEYS_KEYS_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config.h"
#include "format/config_v2.h"

enum {
	CONTENT_KEY_LEN = 32,
	NAME_KEY_LEN = 64,
	FILE_KEY_LEN = 32,
};

/* HKDF info labels, one per derived key (docs/FORMAT.md lists the exact strings). */
enum key_label {
	KEY_LABEL_CONTENT,
	KEY_LABEL_NAMES,
	KEY_LABEL_XATTR_NAMES,
	KEY_LABEL_XATTR_VALUES,
	KEY_LABEL_SYMLINKS,
	KEY_LABEL_FILE,
	/* KEKs of version-2 key slots with a random secret (keys/keyslots.c) */
	KEY_LABEL_SLOT_KEYFILE,
	KEY_LABEL_SLOT_RECOVERY,
	KEY_LABEL_SLOT_TPM,
	/* key epochs (keys/epoch.c) */
	KEY_LABEL_SLOT_BOX,
	KEY_LABEL_EPOCH_CONTENT,
	KEY_LABEL_EPOCH_CHECK,
	KEY_LABEL_EPOCH_TABLE,
	KEY_LABEL_COUNT,
};

struct epoch_secrets;

/* Subkeys of one vault. Allocate with vault_keys_new() (secmem); never copy. */
struct vault_keys {
	uint8_t content[CONTENT_KEY_LEN]; /* key epoch 0 */
	uint8_t names[NAME_KEY_LEN];
	uint8_t xattr_names[NAME_KEY_LEN];
	uint8_t xattr_values[CONTENT_KEY_LEN];
	uint8_t symlinks[CONTENT_KEY_LEN];
	/* Key epochs (keys/epoch.h): the content keys of epochs 1 ... epoch at index e - 1;
	 * new files are sealed under epoch. 0 for a vault that never rotated. */
	uint32_t epoch;
	uint8_t epoch_content[CONFIG_EPOCH_MAX][CONTENT_KEY_LEN];
};

const char *key_label_string(enum key_label label);

/* Derive all subkeys from the master key; NULL on failure. Free with vault_keys_free(). */
struct vault_keys *vault_keys_new(const uint8_t master[static MASTER_KEY_LEN],
				  const uint8_t vault_id[static VAULT_ID_LEN]);
void vault_keys_free(struct vault_keys *k);
/* Per-file content key: HKDF(content key, info = label || file id). */
int keys_file_key(const struct vault_keys *k, const uint8_t *file_id,
		  uint8_t out[static FILE_KEY_LEN]) MUST_CHECK;
/* The same with the content key of key epoch e (0: keys_file_key). -ENOKEY when k does
 * not have epoch e (a header naming an epoch this unlock did not get). */
int keys_file_key_epoch(const struct vault_keys *k, uint32_t e, const uint8_t *file_id,
			uint8_t out[static FILE_KEY_LEN]) MUST_CHECK;
/* The epoch new files take (read with acquire order: a live pickup raises it while other
 * threads read; the content keys up to it are in place before it is published). */
uint32_t vault_keys_epoch(const struct vault_keys *k);
/* Take the content keys of epochs 1 ... s->epoch into k and publish k->epoch = s->epoch
 * (never lowered: a smaller s leaves k as it is). */
int vault_keys_set_epochs(struct vault_keys *k, const uint8_t vault_id[static VAULT_ID_LEN],
			  const struct epoch_secrets *s) MUST_CHECK;

/*
 * Wrap master under a key derived from the password with c's KDF parameters: fills
 * c->salt, c->wrap_nonce and c->wrapped_key (fresh random salt and nonce). The other
 * fields of c must be set and valid. Returns 0 or -errno.
 */
int keys_wrap(struct config *c, const uint8_t master[static MASTER_KEY_LEN], const char *password,
	      size_t pwlen) MUST_CHECK;
/*
 * The largest KDF cost keys_unwrap() runs. The cost is read from veilfs.conf, which
 * whoever can write the share can change: without a cap, a config asking for 4 GiB and
 * 64 passes makes every unlock allocate 4 GiB and run for minutes before the tag check
 * says "wrong password". The default admits every cost `veilfs init` picks by default
 * with ample room (64 MiB x 3); a front end may raise it for a vault made costlier.
 */
enum {
	KDF_LIMIT_MEMORY_KIB_DEFAULT = 1024 * 1024, /* 1 GiB */
	KDF_LIMIT_TIME_DEFAULT = 16,
};
/* Set the process-wide limit (0 for a field: its default). Not thread-safe: set it once,
 * before any unlock. */
void keys_set_kdf_limit(uint32_t memory_kib, uint32_t time);
/* The limit in force. */
void keys_get_kdf_limit(uint32_t *memory_kib, uint32_t *time);

/*
 * Unwrap the master key. Returns 0, -EPERM for a wrong password (or a tampered config:
 * the two cannot be told apart), -EOVERFLOW (VEIL_EKDFLIMIT) when c's KDF cost is above
 * the limit (checked before the KDF runs), or another -errno. master is wiped on failure.
 */
int keys_unwrap(const struct config *c, const char *password, size_t pwlen,
		uint8_t master[static MASTER_KEY_LEN]) MUST_CHECK;

#endif

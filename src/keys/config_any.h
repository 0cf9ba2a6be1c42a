/*
 * veilfs.conf of either version on the backing store (docs/FORMAT.md): loading whichever
 * version the file holds, saving a version-2 config atomically, and unlocking a vault of
 * either version with an unlock secret (a password or a typed secret, keys/keyslots.h).
 */
#ifndef VEILFS_KEYS_CONFIG_ANY_H
#define VEILFS_KEYS_CONFIG_ANY_H

#include "base/compiler.h"
#include "format/config.h"
#include "format/config_v2.h"
#include "keys/keys.h"

struct store;
struct epoch_secrets;

/* A config as loaded: version says which of v1 and v2 holds it (the other is zeroed). */
struct config_any {
	uint16_t version; /* CONFIG_VERSION (1) or CONFIG_V2_VERSION (2) */
	struct config v1;
	struct config_v2 v2;
};

/* Name of the version-1 copy that `veilfs upgrade` keeps until it has succeeded. */
#define CONFIG_V1_BACKUP_FILE "veilfs.conf.v1"

/*
 * Read and decode rootfd/veilfs.conf of either version. Returns 0, -ENOENT, -EPROTO
 * (malformed, or a version other than 1 and 2) or the store's -errno; *c zeroed on error.
 */
int config_any_load(struct store *s, int rootfd, struct config_any *c) MUST_CHECK;
/* Encode c and replace rootfd/name atomically (mode CONFIG_FILE_MODE). */
int config_v2_save(struct store *s, int rootfd, const char *name,
		   const struct config_v2 *c) MUST_CHECK;
/*
 * Unwrap the master key of c with the unlock secret pw: version 1 takes a password only;
 * version 2 tries the slots of the secret's type. *slot (may be NULL) gets the slot index
 * that opened (0 for version 1). Returns 0, -EPERM or -errno; master wiped on failure.
 */
int config_any_unwrap(const struct config_any *c, const char *pw, size_t pwlen,
		      uint8_t master[static MASTER_KEY_LEN], int *slot) MUST_CHECK;
/* config_any_unwrap(), and the epoch secrets of c (keys/epoch.h) into eps (may be NULL;
 * epoch 0 for version 1 and for a vault that never rotated) and the box secret key of the
 * slot that opened into box_sk (may be NULL; zero for version 1). */
int config_any_unlock(const struct config_any *c, const char *pw, size_t pwlen,
		      uint8_t master[static MASTER_KEY_LEN], int *slot,
		      struct epoch_secrets *eps, uint8_t *box_sk) MUST_CHECK;
/*
 * The vault-wide fields of c as a struct config, as the vault and fsck use them
 * (features, cipher, block size, vault id; version 1 also its KDF fields). For version 2
 * the version field is 2, the version-1 KDF, salt and wrap fields are zero, and features
 * has only the bits the vault uses (not CONFIG_V2_FEATURE_EPOCHS, which is about the file).
 */
void config_any_view(const struct config_any *c, struct config *out);

#endif

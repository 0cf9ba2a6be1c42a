/*
 * The config file on the backing store: loading and saving veilfs.conf at the root of a
 * cipher directory (docs/FORMAT.md, "Config file"), and unlocking a vault from it.
 * Byte layout is format/config.c; wrapping is keys/wrap.c; I/O goes through store/.
 */
#ifndef VEILFS_KEYS_CONFIG_FILE_H
#define VEILFS_KEYS_CONFIG_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include "base/compiler.h"
#include "format/config.h"
#include "keys/keys.h"

struct store;

/* The config file's name at the root of a cipher directory (reserved: "veilfs." prefix). */
#define CONFIG_FILE_NAME "veilfs.conf"

/*
 * Mode of a saved veilfs.conf: owner read-only, as gocryptfs does. The file is replaced
 * by rename, so read-only does not stop `veilfs passwd`; clients of a shared vault that
 * run as other users need a group-readable mode set by hand.
 */
#define CONFIG_FILE_MODE ((mode_t)0400)

/*
 * Read and decode rootfd/veilfs.conf into *c. Returns 0, -ENOENT when the file does not
 * exist, -EPROTO when it is malformed (wrong length, magic or field), or the store's
 * -errno. *c is zeroed on error.
 */
int config_file_load(struct store *s, int rootfd, struct config *c) MUST_CHECK;
/* Encode *c and replace rootfd/veilfs.conf atomically (mode CONFIG_FILE_MODE). */
int config_file_save(struct store *s, int rootfd, const struct config *c) MUST_CHECK;
/*
 * Load the config (version 1 or 2, keys/config_any.h), unwrap the master key with the
 * unlock secret (a password, or a typed secret of keys/keyslots.h) and derive every
 * subkey, with the content keys of every key epoch the slot can open (keys/epoch.h). *c gets the vault-wide view (config_any_view: for version 2, version 2 and no
 * KDF fields). On success *keys is owned by the caller (vault_keys_free()). Returns 0,
 * -EPERM for a wrong secret, or a load error; the master key never leaves secmem.
 */
/* keys_unlock(), and box_sk (CONFIG_BOX_KEY_LEN bytes, may be NULL) gets the box secret
 * key of the slot that opened (zero for a version-1 vault): a mount keeps it to pick up
 * later key epochs. */
int keys_unlock_box(struct store *s, int rootfd, const char *pw, size_t pwlen,
		    struct config *c, struct vault_keys **keys, uint8_t *box_sk) MUST_CHECK;
int keys_unlock(struct store *s, int rootfd, const char *pw, size_t pwlen, struct config *c,
		struct vault_keys **keys) MUST_CHECK;

#endif

/*
 * Offline administration of version-2 key slots (docs/FORMAT.md, "Key slots"; docs/CLI.md
 * `key`, `upgrade`, `passwd`): creating a version-2 vault, listing, adding and removing
 * slots, re-wrapping one, and upgrading a version-1 vault in place. Only veilfs.conf is
 * ever rewritten, atomically (store_write_atomic), and every change is made under the
 * cross-client config lock (a coord lock file, veilfs.lock.<hash of "veilfs.conf">) with the
 * config re-read under it, so two administrators changing slots at once lose neither.
 * The slow KDF work happens before the lock is taken.
 *
 * auth is an unlock secret (a password, or a typed secret of keys/keyslots.h), borrowed.
 * Returns 0 or a negative errno, as admin.h, and:
 *   -EOPNOTSUPP  the vault is version 1 (slots need `veilfs upgrade`)
 *   -EALREADY    (upgrade) the vault is version 2 already
 *   -EEXIST      (add) a slot of that label exists
 *   -ESRCH       no slot of that label
 *   -EBUSY       (remove) it is the last slot
 *   -ENOSPC      (add) all CONFIG_SLOTS_MAX slots are in use
 *   -EMEDIUMTYPE (passwd) the slot is not a password slot
 *   -ESTALE      veilfs.conf changed its vault-wide fields while we worked
 *   -ENOKEY      (revoke) a remaining slot has no box key (made before key epochs)
 *   -EOVERFLOW   (revoke) the vault is at its last key epoch (CONFIG_EPOCH_MAX)
 */
#ifndef VEILFS_VAULT_ADMIN_SLOTS_H
#define VEILFS_VAULT_ADMIN_SLOTS_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "keys/config_any.h"
#include "vault/admin.h"

/* A slot to create: its kind, label and secret (borrowed), and (passwords) its cost. */
struct vault_slot_new {
	uint8_t type; /* enum config_slot_type */
	const char *label;
	const uint8_t *secret; /* password bytes, key file contents, or the 32-byte recovery key */
	size_t len;
	uint32_t kdf_time, kdf_memory_kib, kdf_lanes; /* password slots only */
};

/*
 * Create a version-2 vault in the empty directory path with slots[0 ... n-1] (n >= 1) and
 * p's cipher and names mode (p's KDF cost is not used: each password slot has its own).
 * As vault_admin_create: nothing is left behind on failure.
 */
int vault_admin_create_v2(const char *path, const struct vault_create_params *p,
			  const struct vault_slot_new *slots, unsigned n) MUST_CHECK;
/* Load veilfs.conf of either version (no secret needed). */
int vault_admin_load(const char *path, struct config_any *c) MUST_CHECK;
/* Unlock with auth, then add the slot n. */
int vault_slot_add(const char *path, const char *auth, size_t authlen,
		   const struct vault_slot_new *n) MUST_CHECK;
/* Unlock with auth, then remove the slot labelled label (never the last one). */
int vault_slot_remove(const char *path, const char *auth, size_t authlen,
		      const char *label) MUST_CHECK;
/*
 * Unlock with auth, remove the slot labelled label (never the last one) and start a new
 * key epoch (keys/epoch.h): a fresh epoch secret sealed to every remaining slot, so that
 * files written from now on are out of reach of the removed slot's holder; the older
 * epochs stay readable to the remaining slots. On -ENOKEY, missing_out (may be NULL;
 * CONFIG_SLOT_LABEL_MAX + 1 bytes) gets the label of a slot to re-wrap first.
 */
int vault_slot_revoke(const char *path, const char *auth, size_t authlen, const char *label,
		      char *missing_out) MUST_CHECK;
/*
 * Unlock with auth and re-wrap the password slot labelled label (NULL: the slot that auth
 * opened) under n's secret and cost (a cost field of 0 keeps the slot's own; n->type and
 * n->label are ignored: the slot keeps its label and creation time). *label_out (may be NULL; CONFIG_SLOT_LABEL_MAX + 1 bytes)
 * gets the label of the slot changed.
 */
int vault_slot_rewrap(const char *path, const char *auth, size_t authlen, const char *label,
		      const struct vault_slot_new *n, char *label_out) MUST_CHECK;
/*
 * Convert the version-1 vault at path to version 2 in place: auth (its password) becomes
 * a password slot labelled label with the version-1 KDF cost. Crash-safe: the version-1
 * file is first copied to veilfs.conf.v1, veilfs.conf is then replaced atomically, and
 * the copy removed; at every point veilfs.conf is a complete version-1 or version-2 file.
 * On a version-2 vault, a leftover veilfs.conf.v1 is removed and -EALREADY returned.
 */
int vault_admin_upgrade(const char *path, const char *auth, size_t authlen,
			const char *label) MUST_CHECK;

#endif

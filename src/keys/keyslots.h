/*
 * Key slots of a version-2 config (docs/FORMAT.md, "Key slots"): wrapping the master key
 * into one slot under its unlock secret, unwrapping it from the slots of a config, and the
 * typed secrets that carry a key file or a recovery key through the password arguments of
 * the core (vault_open, fsck_run, vault_admin_*), or the TPM to unseal a TPM slot with.
 * Key material lives in secmem memory.
 */
#ifndef VEILFS_KEYS_KEYSLOTS_H
#define VEILFS_KEYS_KEYSLOTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/config_v2.h"

enum {
	RECOVERY_KEY_LEN = 32,
	/* Key files: 16 bytes at least (veilfs writes 32 random ones), 4096 at most. */
	KEYFILE_MIN = 16,
	KEYFILE_MAX = 4096,
	/* A typed secret: marker, type, then the secret's bytes. */
	KEYS_SECRET_OVERHEAD = 2,
	/* Recovery key as text: 8 groups of 8 hex digits joined by '-' (71 characters). */
	RECOVERY_TEXT_LEN = 71,
};

/*
 * An unlock secret is passed to the core as a byte string (pw, pwlen). A password is
 * its bytes as typed; it never starts with a newline byte (passwords are read one line at
 * a time). Any other secret is "typed": 0x0a, the slot type, then the secret (the key
 * file's contents, or the 32 bytes of a recovery key) or, for CONFIG_SLOT_TPM, the TCTI
 * configuration string of the TPM that unseals it (1 ... TPM_TCTI_MAX bytes, no NUL:
 * keys/tpm.h; the slot's own secret is sealed in that TPM). keys_secret_encode() builds one
 * into out (len + KEYS_SECRET_OVERHEAD bytes); keys_secret_parse() splits either kind:
 * *type is CONFIG_SLOT_PASSWORD for a plain password. *data points into pw.
 */
void keys_secret_encode(uint8_t type, const uint8_t *data, size_t len, uint8_t *out);
int keys_secret_parse(const char *pw, size_t pwlen, uint8_t *type, const uint8_t **data,
		      size_t *len) MUST_CHECK;

/*
 * Wrap master into slot i of c under secret (len bytes of the slot's kind): fresh salt
 * and nonce; type, kdf, costs, label and created of the slot must already be set. For a
 * TPM slot, secret is the TCTI string: a fresh random 32-byte slot secret is sealed to
 * that TPM (the slot's blobs are filled) and the master wrapped under it.
 * Returns 0, -EPROTO for invalid slot fields, or -errno (tpm.h's for a TPM slot).
 */
int keyslot_wrap(struct config_v2 *c, unsigned i, const uint8_t master[static MASTER_KEY_LEN],
		 const uint8_t *secret, size_t len) MUST_CHECK;
/*
 * When c has the key-epochs feature bit, keyslot_wrap() and keyslot_wrap_fixed() also set
 * the slot's box public key (derived from its new KEK, keys/epoch.h) and clear its epoch
 * box: the caller seals the current epoch's secret to it (epoch_seal_slot) when the vault
 * has a key epoch > 0.
 */
/* keyslot_wrap() with the salt and nonce already in the slot: test vectors only. A TPM
 * slot takes its 32-byte secret itself here (no TPM), as keyslot_kek(). */
int keyslot_wrap_fixed(struct config_v2 *c, unsigned i,
		       const uint8_t master[static MASTER_KEY_LEN], const uint8_t *secret,
		       size_t len) MUST_CHECK;
/* Unwrap slot i (a TPM slot: secret is the TCTI string, tpm_unseal() gives the slot's
 * secret). Returns 0, -EPERM when the secret does not open it, or -errno. */
int keyslot_unwrap(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		   uint8_t master[static MASTER_KEY_LEN]) MUST_CHECK;
/* keyslot_unwrap(), and box_sk (CONFIG_BOX_KEY_LEN bytes, may be NULL) gets the slot's box
 * secret key (wiped on failure). */
int keyslot_unwrap_box(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		       uint8_t master[static MASTER_KEY_LEN], uint8_t *box_sk) MUST_CHECK;
/* The KEK of slot i under secret, for test vectors. */
int keyslot_kek(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		uint8_t kek[static 32]) MUST_CHECK;

/*
 * Unwrap the master key with the unlock secret pw (a password or a typed secret), trying
 * every slot of its type in order. *slot (may be NULL) gets the index that opened.
 * Returns 0, -EPERM when no slot opens, or -errno; master is wiped on failure.
 */
int keys_unlock_v2(const struct config_v2 *c, const char *pw, size_t pwlen,
		   uint8_t master[static MASTER_KEY_LEN], int *slot) MUST_CHECK;
/* keys_unlock_v2(), and box_sk (may be NULL) gets the box secret key of the slot that
 * opened (keys/epoch.h). */
int keys_unlock_v2_box(const struct config_v2 *c, const char *pw, size_t pwlen,
		       uint8_t master[static MASTER_KEY_LEN], int *slot,
		       uint8_t *box_sk) MUST_CHECK;

/* Recovery key text (RECOVERY_TEXT_LEN characters and a NUL) of 32 bytes. */
void recovery_key_format(const uint8_t key[static RECOVERY_KEY_LEN],
			 char out[static RECOVERY_TEXT_LEN + 1]);
/*
 * Parse a recovery key: 64 hex digits in either case; '-', ' ' and tabs between them are
 * ignored. Returns 0 or -EINVAL (out wiped).
 */
int recovery_key_parse(const char *s, size_t len, uint8_t out[static RECOVERY_KEY_LEN]) MUST_CHECK;

#endif

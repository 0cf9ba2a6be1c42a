/*
 * Key epochs of a version-2 vault (docs/FORMAT.md, "Key epochs"): each slot's X25519 box
 * key pair (derived from the slot's KEK), the epoch secrets E_1 ... E_e, the newest sealed
 * to every slot's box key, the older ones wrapped under the newest, and the content key of
 * each epoch. Epoch 0 has no secret: its content key is the master key's (keys.h).
 * A revocation (epoch_rotate) makes E_{e+1} from fresh random bytes that no removed slot
 * ever saw. Secrets live in secmem memory (struct epoch_secrets, epoch_secrets_new).
 */
#ifndef VEILFS_KEYS_EPOCH_H
#define VEILFS_KEYS_EPOCH_H

#include <stdint.h>
#include "base/compiler.h"
#include "format/config_v2.h"

/* The secrets of epochs 1 ... epoch (secret[0] unused). Allocate in secmem; never copy. */
struct epoch_secrets {
	uint32_t epoch;
	uint8_t secret[CONFIG_EPOCH_MAX + 1][CONFIG_EPOCH_SECRET_LEN];
};

/* A zeroed struct epoch_secrets in secmem (epoch 0), or NULL. Free with epoch_secrets_free. */
struct epoch_secrets *epoch_secrets_new(void);
void epoch_secrets_free(struct epoch_secrets *s);

/* The box key pair of a slot: sk = HKDF-SHA256(KEK, salt empty, "veilfs v2 slot box"),
 * pk = X25519(sk). 0 or -EIO (sk and pk wiped). */
int epoch_box_keypair(const uint8_t kek[static 32], uint8_t sk[static CONFIG_BOX_KEY_LEN],
		      uint8_t pk[static CONFIG_BOX_KEY_LEN]) MUST_CHECK;

/*
 * Open the epoch secrets of c with the box secret key sk of slot i (the slot that opened):
 * its epoch box gives E_e, checked against c's epoch check value, and the epoch table gives
 * E_1 ... E_{e-1}. For key epoch 0, out->epoch = 0 and nothing is opened. Returns 0,
 * -EBADMSG when a box, the check or a table entry does not verify (out wiped), -EPROTO.
 */
int epoch_secrets_open(const struct config_v2 *c, unsigned i, const uint8_t sk[static 32],
		       struct epoch_secrets *out) MUST_CHECK;

/* Seal s's newest secret to slot i's box key (its epoch box; flags get HAS_EPOCH). For
 * s->epoch 0 the slot's epoch box is cleared instead. 0, -ENOKEY (no box key) or -EIO. */
int epoch_seal_slot(struct config_v2 *c, unsigned i, const struct epoch_secrets *s) MUST_CHECK;

/*
 * Start epoch s->epoch + 1 in c: a fresh random E, sealed to every slot of c, the older
 * secrets of s wrapped under it, the check value, the key-epochs feature bit and key epoch
 * set; s gets the new secret and epoch. c's key epoch must equal s->epoch. Returns 0,
 * -ENOKEY when slot *missing (a slot made before box keys) has no box key, -EOVERFLOW past
 * CONFIG_EPOCH_MAX, -EINVAL, or -EIO; c is left unchanged on failure.
 */
int epoch_rotate(struct config_v2 *c, struct epoch_secrets *s, int *missing) MUST_CHECK;

/* Content key of epoch j (1 ... s->epoch): HKDF-SHA256(E_j, salt = vault id, info
 * "veilfs v2 epoch content"). 0, -EINVAL or -EIO. */
int epoch_content_key(const struct epoch_secrets *s, uint32_t j,
		      const uint8_t vault_id[static VAULT_ID_LEN], uint8_t out[static 32]) MUST_CHECK;

/* The check value of E (epoch e), and the wrap of E_j under E_e, for tests and vectors:
 * entry = nonce (given) || AES-256-GCM(table key of E_e, nonce, AD, E_j). */
int epoch_check_value(const uint8_t secret[static 32], uint32_t e,
		      const uint8_t vault_id[static VAULT_ID_LEN],
		      uint8_t out[static CONFIG_EPOCH_CHECK_LEN]) MUST_CHECK;
int epoch_wrap_entry(const uint8_t newest[static 32], uint32_t e, uint32_t j,
		     const uint8_t secret_j[static 32], const uint8_t vault_id[static VAULT_ID_LEN],
		     uint8_t entry[static CONFIG_EPOCH_WRAP_LEN]) MUST_CHECK;

#endif

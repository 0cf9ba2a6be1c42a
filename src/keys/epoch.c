/*
 * Key epochs (epoch.h; docs/FORMAT.md, "Key epochs"). Owns the derivations from a slot's
 * KEK and from each epoch secret, the sealing of the newest secret to every slot and the
 * wrapping of the older ones under the newest (the epoch table). The byte layout is
 * format/config_v2.c's; sealed boxes are crypto/box.c's.
 */
#include <string.h>
#include "base/bytes.h"
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/box.h"
#include "crypto/kdf.h"
#include "keys/epoch.h"
#include "keys/keys.h"

_Static_assert((int)CONFIG_BOX_KEY_LEN == (int)BOX_KEY_LEN, "box keys");
_Static_assert((int)CONFIG_EPOCH_BOX_LEN == (int)CONFIG_EPOCH_SECRET_LEN + (int)BOX_SEAL_OVERHEAD, "epoch box");
_Static_assert((int)CONFIG_EPOCH_WRAP_LEN == (int)CONFIG_WRAP_NONCE_LEN + 32 + (int)AEAD_TAG_LEN, "table entry");

enum { TABLE_AD_LEN = VAULT_ID_LEN + 8 };

struct epoch_secrets *epoch_secrets_new(void)
{
	return secmem_alloc(sizeof(struct epoch_secrets));
}

void epoch_secrets_free(struct epoch_secrets *s)
{
	secmem_free(s);
}

/* HKDF(IKM = ikm, salt, info = label [|| be32(e) when with_epoch]). */
static int derive(const uint8_t *ikm, const uint8_t *salt, size_t saltlen, enum key_label label,
		  bool with_epoch, uint32_t e, uint8_t *out, size_t outlen)
{
	const char *s = key_label_string(label);
	size_t n = strlen(s);
	uint8_t info[48];

	if (n + 4 > sizeof(info))
		return -EINVAL;
	memcpy(info, s, n);
	if (with_epoch) {
		put_be32(info + n, e);
		n += 4;
	}
	return hkdf_sha256(ikm, 32, salt, saltlen, info, n, out, outlen);
}

int epoch_box_keypair(const uint8_t kek[static 32], uint8_t sk[static CONFIG_BOX_KEY_LEN],
		      uint8_t pk[static CONFIG_BOX_KEY_LEN])
{
	int r;

	if ((r = derive(kek, NULL, 0, KEY_LABEL_SLOT_BOX, false, 0, sk, BOX_KEY_LEN)) < 0 ||
	    (r = box_public_key(sk, pk)) < 0) {
		secure_wipe(sk, BOX_KEY_LEN);
		secure_wipe(pk, BOX_KEY_LEN);
	}
	return r;
}

int epoch_check_value(const uint8_t secret[static 32], uint32_t e,
		      const uint8_t vault_id[static VAULT_ID_LEN],
		      uint8_t out[static CONFIG_EPOCH_CHECK_LEN])
{
	return derive(secret, vault_id, VAULT_ID_LEN, KEY_LABEL_EPOCH_CHECK, true, e, out,
		      CONFIG_EPOCH_CHECK_LEN);
}

int epoch_content_key(const struct epoch_secrets *s, uint32_t j,
		      const uint8_t vault_id[static VAULT_ID_LEN], uint8_t out[static 32])
{
	if (j < 1 || j > s->epoch || j > CONFIG_EPOCH_MAX)
		return -EINVAL;
	return derive(s->secret[j], vault_id, VAULT_ID_LEN, KEY_LABEL_EPOCH_CONTENT, false, 0,
		      out, 32);
}

/* Seal (enc) or open table entry j of epoch e under the table key of newest. */
static int table_op(const uint8_t newest[static 32], uint32_t e, uint32_t j, bool enc,
		    const uint8_t *secret_j, const uint8_t vault_id[static VAULT_ID_LEN],
		    uint8_t *entry, uint8_t *out)
{
	uint8_t ad[TABLE_AD_LEN];
	struct aead_ctx *a = aead_ctx_new(AEAD_AES256_GCM);
	uint8_t *key = secmem_alloc(AEAD_KEY_LEN);
	int r = -ENOMEM;

	if (!a || !key)
		goto out;
	memcpy(ad, vault_id, VAULT_ID_LEN);
	put_be32(ad + VAULT_ID_LEN, e);
	put_be32(ad + VAULT_ID_LEN + 4, j);
	r = derive(newest, vault_id, VAULT_ID_LEN, KEY_LABEL_EPOCH_TABLE, true, e, key,
		   AEAD_KEY_LEN);
	if (r < 0)
		goto out;
	if (enc)
		r = aead_seal(a, key, entry, ad, sizeof(ad), secret_j, 32,
			      entry + CONFIG_WRAP_NONCE_LEN);
	else
		r = aead_open(a, key, entry, ad, sizeof(ad), entry + CONFIG_WRAP_NONCE_LEN,
			      32 + AEAD_TAG_LEN, out);
out:
	aead_ctx_free(a);
	secmem_free(key);
	return r;
}

int epoch_wrap_entry(const uint8_t newest[static 32], uint32_t e, uint32_t j,
		     const uint8_t secret_j[static 32], const uint8_t vault_id[static VAULT_ID_LEN],
		     uint8_t entry[static CONFIG_EPOCH_WRAP_LEN])
{
	return table_op(newest, e, j, true, secret_j, vault_id, entry, NULL);
}

/* E_e from slot i's box, checked against c's check value. */
static int open_newest(const struct config_v2 *c, unsigned i, const uint8_t sk[static 32],
		       uint8_t *secret)
{
	const struct config_slot *s = &c->slots[i];
	uint8_t check[CONFIG_EPOCH_CHECK_LEN];
	int r;

	if (!(s->box_flags & CONFIG_SLOT_HAS_EPOCH))
		return -EBADMSG;
	r = box_open(s->box_pk, sk, s->epoch_box, CONFIG_EPOCH_BOX_LEN, secret);
	if (r < 0)
		return r;
	if ((r = epoch_check_value(secret, c->key_epoch, c->vault_id, check)) < 0)
		return r;
	if (!secure_equal(check, c->epoch_check, sizeof(check)))
		return -EBADMSG;
	return 0;
}

int epoch_secrets_open(const struct config_v2 *c, unsigned i, const uint8_t sk[static 32],
		       struct epoch_secrets *out)
{
	uint8_t entry[CONFIG_EPOCH_WRAP_LEN];
	uint32_t e = c->key_epoch, j;
	int r = -EPROTO;

	memset(out, 0, sizeof(*out));
	if (e == 0)
		return 0;
	if (i >= c->nslots || e > CONFIG_EPOCH_MAX)
		goto fail;
	if ((r = open_newest(c, i, sk, out->secret[e])) < 0)
		goto fail;
	for (j = 1; j < e; j++) {
		memcpy(entry, c->epoch_table[j - 1], sizeof(entry));
		r = table_op(out->secret[e], e, j, false, NULL, c->vault_id, entry,
			     out->secret[j]);
		if (r < 0)
			goto fail;
	}
	out->epoch = e;
	return 0;
fail:
	secure_wipe(out, sizeof(*out));
	return r;
}

int epoch_seal_slot(struct config_v2 *c, unsigned i, const struct epoch_secrets *s)
{
	struct config_slot *slot = &c->slots[i];
	int r;

	if (s->epoch == 0) {
		slot->box_flags &= (uint8_t)~CONFIG_SLOT_HAS_EPOCH;
		memset(slot->epoch_box, 0, sizeof(slot->epoch_box));
		return 0;
	}
	if (!(slot->box_flags & CONFIG_SLOT_HAS_BOX_KEY))
		return -ENOKEY;
	r = box_seal(slot->box_pk, s->secret[s->epoch], CONFIG_EPOCH_SECRET_LEN, slot->epoch_box);
	if (r < 0)
		return r;
	slot->box_flags |= CONFIG_SLOT_HAS_EPOCH;
	return 0;
}

/* Fill n (a copy of c) for epoch e = s->epoch + 1 with the new secret E in s->secret[e]. */
static int rotate_into(struct config_v2 *n, struct epoch_secrets *s, uint32_t e)
{
	uint32_t j;
	unsigned i;
	int r;

	for (j = 1; j < e; j++) {
		uint8_t *entry = n->epoch_table[j - 1];

		if ((r = random_bytes(entry, CONFIG_WRAP_NONCE_LEN)) < 0 ||
		    (r = epoch_wrap_entry(s->secret[e], e, j, s->secret[j], n->vault_id, entry)) < 0)
			return r;
	}
	if ((r = epoch_check_value(s->secret[e], e, n->vault_id, n->epoch_check)) < 0)
		return r;
	n->key_epoch = e;
	n->features |= CONFIG_V2_FEATURE_EPOCHS;
	s->epoch = e;
	for (i = 0; i < n->nslots; i++)
		if ((r = epoch_seal_slot(n, i, s)) < 0)
			return r;
	return 0;
}

int epoch_rotate(struct config_v2 *c, struct epoch_secrets *s, int *missing)
{
	struct config_v2 *n = NULL;
	uint32_t e = s->epoch + 1, old = s->epoch;
	unsigned i;
	int r = -EINVAL;

	*missing = -1;
	if (c->key_epoch != s->epoch)
		return -EINVAL;
	if (e > CONFIG_EPOCH_MAX)
		return -EOVERFLOW;
	for (i = 0; i < c->nslots; i++) {
		if (!(c->slots[i].box_flags & CONFIG_SLOT_HAS_BOX_KEY)) {
			*missing = (int)i;
			return -ENOKEY;
		}
	}
	if (!(n = secmem_alloc(sizeof(*n))))
		return -ENOMEM;
	*n = *c;
	if ((r = random_bytes(s->secret[e], CONFIG_EPOCH_SECRET_LEN)) < 0)
		goto out;
	if ((r = rotate_into(n, s, e)) < 0)
		goto out;
	*c = *n;
out:
	if (r < 0) {
		secure_wipe(s->secret[e], CONFIG_EPOCH_SECRET_LEN);
		s->epoch = old;
	}
	secmem_free(n);
	return r;
}

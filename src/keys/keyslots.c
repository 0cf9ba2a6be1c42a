/*
 * Version-2 key slots (docs/FORMAT.md, "Key slots"): KEK = Argon2id(password, slot salt,
 * slot cost) for password slots, HKDF-SHA256(IKM = secret, salt = slot salt, info = one
 * label per slot type) for key-file, recovery and TPM slots (a TPM slot's secret is 32
 * random bytes sealed to the TPM, keys/tpm.c); wrapped = AES-256-GCM(KEK, slot
 * nonce, AD = vault-wide bytes [0, 40) || slot bytes [0, 100), master key). Each slot binds
 * the vault's parameters and its own fields, never the other slots, so slots can be added
 * and removed without touching the rest. The KEK lives in secmem and is wiped before return.
 */
#include <string.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "keys/epoch.h"
#include "keys/keys.h"
#include "keys/keyslots.h"
#include "keys/tpm.h"

enum { SECRET_MARKER = 0x0a };

void keys_secret_encode(uint8_t type, const uint8_t *data, size_t len, uint8_t *out)
{
	out[0] = SECRET_MARKER;
	out[1] = type;
	memcpy(out + KEYS_SECRET_OVERHEAD, data, len);
}

int keys_secret_parse(const char *pw, size_t pwlen, uint8_t *type, const uint8_t **data,
		      size_t *len)
{
	const uint8_t *p = (const uint8_t *)pw;

	if (pwlen == 0)
		return -EINVAL;
	if (p[0] != SECRET_MARKER) {
		*type = CONFIG_SLOT_PASSWORD;
		*data = p;
		*len = pwlen;
		return 0;
	}
	if (pwlen <= KEYS_SECRET_OVERHEAD)
		return -EINVAL;
	*type = p[1];
	*data = p + KEYS_SECRET_OVERHEAD;
	*len = pwlen - KEYS_SECRET_OVERHEAD;
	if (*type == CONFIG_SLOT_KEYFILE && (*len < KEYFILE_MIN || *len > KEYFILE_MAX))
		return -EINVAL;
	if (*type == CONFIG_SLOT_RECOVERY && *len != RECOVERY_KEY_LEN)
		return -EINVAL;
	if (*type == CONFIG_SLOT_TPM && (*len > TPM_TCTI_MAX || memchr(*data, 0, *len)))
		return -EINVAL;
	if (*type != CONFIG_SLOT_KEYFILE && *type != CONFIG_SLOT_RECOVERY &&
	    *type != CONFIG_SLOT_TPM)
		return -EINVAL;
	return 0;
}

int keyslot_kek(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		uint8_t kek[static 32])
{
	const struct config_slot *s = &c->slots[i];
	enum key_label label;
	const char *info;

	uint32_t limit_mem, limit_time;

	switch (s->type) {
	case CONFIG_SLOT_PASSWORD:
		/* a slot asking for more than the unlock limit is refused before the KDF
		 * allocates its memory (a tampered veilfs.conf), as for version 1 */
		keys_get_kdf_limit(&limit_mem, &limit_time);
		if (s->kdf_memory_kib > limit_mem || s->kdf_time > limit_time)
			return -VEIL_EKDFLIMIT;
		return argon2id_derive((const char *)secret, len, s->salt, CONFIG_SALT_LEN,
				       s->kdf_time, s->kdf_memory_kib, s->kdf_lanes, kek,
				       AEAD_KEY_LEN);
	case CONFIG_SLOT_KEYFILE:
		label = KEY_LABEL_SLOT_KEYFILE;
		break;
	case CONFIG_SLOT_RECOVERY:
		label = KEY_LABEL_SLOT_RECOVERY;
		break;
	case CONFIG_SLOT_TPM:
		if (len != TPM_SECRET_LEN)
			return -EINVAL;
		label = KEY_LABEL_SLOT_TPM;
		break;
	default:
		return -EPROTO;
	}
	info = key_label_string(label);
	return hkdf_sha256(secret, len, s->salt, CONFIG_SALT_LEN, (const uint8_t *)info,
			   strlen(info), kek, AEAD_KEY_LEN);
}

/*
 * One AES-256-GCM seal (enc) or open of the master key in slot i. box_sk (may be NULL)
 * gets the slot's box secret key, box_pk (may be NULL) its public key, from the same KEK.
 */
static int slot_op(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		   bool enc, const uint8_t *in, uint8_t *out, uint8_t *box_sk, uint8_t *box_pk)
{
	uint8_t ad[CONFIG_V2_AD_LEN], pk[CONFIG_BOX_KEY_LEN];
	struct aead_ctx *a = NULL;
	uint8_t *kek = secmem_alloc(AEAD_KEY_LEN), *sk = secmem_alloc(CONFIG_BOX_KEY_LEN);
	int r = -ENOMEM;

	if (!sk)
		goto out;

	if (!kek || !(a = aead_ctx_new(AEAD_AES256_GCM)))
		goto out;
	/* Invalid slot fields are -EPROTO, before any KDF work. */
	if ((r = config_v2_slot_ad(c, i, ad)) < 0)
		goto out;
	if ((r = keyslot_kek(c, i, secret, len, kek)) < 0)
		goto out;
	if (enc)
		r = aead_seal(a, kek, c->slots[i].nonce, ad, sizeof(ad), in, MASTER_KEY_LEN, out);
	else
		r = aead_open(a, kek, c->slots[i].nonce, ad, sizeof(ad), in, CONFIG_WRAPPED_LEN,
			      out);
	if (r == 0 && (box_sk || box_pk) && (r = epoch_box_keypair(kek, sk, pk)) == 0) {
		if (box_sk)
			memcpy(box_sk, sk, CONFIG_BOX_KEY_LEN);
		if (box_pk)
			memcpy(box_pk, pk, CONFIG_BOX_KEY_LEN);
	}
out:
	aead_ctx_free(a);
	secmem_free(kek);
	secmem_free(sk);
	return r;
}

int keyslot_wrap_fixed(struct config_v2 *c, unsigned i,
		       const uint8_t master[static MASTER_KEY_LEN], const uint8_t *secret,
		       size_t len)
{
	uint8_t wrapped[CONFIG_WRAPPED_LEN], pk[CONFIG_BOX_KEY_LEN] = { 0 };
	bool box = c->features & CONFIG_V2_FEATURE_EPOCHS;
	struct config_slot *s = &c->slots[i];
	int r;

	if (i >= CONFIG_SLOTS_MAX)
		return -EINVAL;
	if ((r = slot_op(c, i, secret, len, true, master, wrapped, NULL, box ? pk : NULL)) < 0)
		return r;
	memcpy(s->wrapped, wrapped, CONFIG_WRAPPED_LEN);
	/* A new KEK: a new box key, and no epoch box until one is sealed to it. */
	s->box_flags = box ? CONFIG_SLOT_HAS_BOX_KEY : 0;
	memset(s->box_pk, 0, sizeof(s->box_pk));
	memset(s->epoch_box, 0, sizeof(s->epoch_box));
	if (box)
		memcpy(s->box_pk, pk, CONFIG_BOX_KEY_LEN);
	return 0;
}

/* A TPM slot: a fresh slot secret, sealed to the TPM at tcti, wraps the master key. */
static int wrap_tpm(struct config_v2 *c, unsigned i, const uint8_t master[static MASTER_KEY_LEN],
		    const char *tcti, size_t tcti_len)
{
	uint8_t *key = secmem_alloc(TPM_SECRET_LEN);
	int r = -ENOMEM;

	if (!key)
		goto out;
	if ((r = random_bytes(key, TPM_SECRET_LEN)) < 0)
		goto out;
	if ((r = tpm_seal(tcti, tcti_len, key, &c->slots[i])) < 0)
		goto out;
	r = keyslot_wrap_fixed(c, i, master, key, TPM_SECRET_LEN);
out:
	secmem_free(key);
	return r;
}

int keyslot_wrap(struct config_v2 *c, unsigned i, const uint8_t master[static MASTER_KEY_LEN],
		 const uint8_t *secret, size_t len)
{
	int r;

	if (i >= CONFIG_SLOTS_MAX)
		return -EINVAL;
	if ((r = random_bytes(c->slots[i].salt, CONFIG_SALT_LEN)) < 0)
		return r;
	if ((r = random_bytes(c->slots[i].nonce, CONFIG_WRAP_NONCE_LEN)) < 0)
		return r;
	if (c->slots[i].type == CONFIG_SLOT_TPM)
		return wrap_tpm(c, i, master, (const char *)secret, len);
	return keyslot_wrap_fixed(c, i, master, secret, len);
}

int keyslot_unwrap(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		   uint8_t master[static MASTER_KEY_LEN])
{
	return keyslot_unwrap_box(c, i, secret, len, master, NULL);
}

int keyslot_unwrap_box(const struct config_v2 *c, unsigned i, const uint8_t *secret, size_t len,
		       uint8_t master[static MASTER_KEY_LEN], uint8_t *box_sk)
{
	uint8_t *key = NULL;
	int r = -EINVAL;

	if (i < CONFIG_SLOTS_MAX && c->slots[i].type == CONFIG_SLOT_TPM) {
		/* the slot's secret comes out of the TPM; secret names which TPM */
		r = -ENOMEM;
		if ((key = secmem_alloc(TPM_SECRET_LEN)) != NULL &&
		    (r = tpm_unseal((const char *)secret, len, &c->slots[i], key)) == 0)
			r = slot_op(c, i, key, TPM_SECRET_LEN, false, c->slots[i].wrapped, master,
				    box_sk, NULL);
		secmem_free(key);
	} else if (i < CONFIG_SLOTS_MAX) {
		r = slot_op(c, i, secret, len, false, c->slots[i].wrapped, master, box_sk, NULL);
	}
	if (r < 0) {
		secure_wipe(master, MASTER_KEY_LEN);
		if (box_sk)
			secure_wipe(box_sk, CONFIG_BOX_KEY_LEN);
	}
	return r == -EBADMSG ? -EPERM : r;
}

int keys_unlock_v2(const struct config_v2 *c, const char *pw, size_t pwlen,
		   uint8_t master[static MASTER_KEY_LEN], int *slot)
{
	return keys_unlock_v2_box(c, pw, pwlen, master, slot, NULL);
}

int keys_unlock_v2_box(const struct config_v2 *c, const char *pw, size_t pwlen,
		       uint8_t master[static MASTER_KEY_LEN], int *slot, uint8_t *box_sk)
{
	const uint8_t *data;
	size_t len;
	uint8_t type;
	unsigned i;
	int r;

	if (slot)
		*slot = -1;
	secure_wipe(master, MASTER_KEY_LEN);
	if (keys_secret_parse(pw, pwlen, &type, &data, &len) < 0)
		return -EPERM;
	for (i = 0; i < c->nslots && i < CONFIG_SLOTS_MAX; i++) {
		if (c->slots[i].type != type)
			continue;
		r = keyslot_unwrap_box(c, i, data, len, master, box_sk);
		if (r == 0) {
			if (slot)
				*slot = (int)i;
			return 0;
		}
		if (r != -EPERM)
			return r;
	}
	return -EPERM;
}

void recovery_key_format(const uint8_t key[static RECOVERY_KEY_LEN],
			 char out[static RECOVERY_TEXT_LEN + 1])
{
	static const char hexd[] = "0123456789abcdef";
	size_t i, o = 0;

	for (i = 0; i < RECOVERY_KEY_LEN; i++) {
		if (i && i % 4 == 0)
			out[o++] = '-';
		out[o++] = hexd[key[i] >> 4];
		out[o++] = hexd[key[i] & 15];
	}
	out[o] = '\0';
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

int recovery_key_parse(const char *s, size_t len, uint8_t out[static RECOVERY_KEY_LEN])
{
	size_t i, n = 0;
	int v;

	for (i = 0; i < len; i++) {
		if (s[i] == '-' || s[i] == ' ' || s[i] == '\t')
			continue;
		v = hex_value(s[i]);
		if (v < 0 || n == 2 * RECOVERY_KEY_LEN)
			goto bad;
		if (n % 2 == 0)
			out[n / 2] = (uint8_t)(v << 4);
		else
			out[n / 2] |= (uint8_t)v;
		n++;
	}
	if (n == 2 * RECOVERY_KEY_LEN)
		return 0;
bad:
	secure_wipe(out, RECOVERY_KEY_LEN);
	return -EINVAL;
}

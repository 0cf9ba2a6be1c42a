/*
 * Encode, decode and validate veilfs.conf version 2 (docs/FORMAT.md, "Config file,
 * version 2"): a 44-byte vault-wide part and 1 ... 16 slots of 148 bytes, big-endian; a TPM
 * slot is followed by its two length-prefixed blobs (opaque here); with the key-epochs
 * feature bit, the key-epoch section follows the slots (opaque bytes checked for shape).
 * The parser reads through a cursor that checks the remaining length before every field,
 * validates each field with its own error and rejects trailing bytes (STYLE rule 22).
 * Wrapping the master key into a slot belongs to keys/.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "base/bytes.h"
#include "base/errors.h"
#include "format/config_v2.h"

/* Offsets of the vault-wide part. */
enum {
	H_MAGIC = 0,
	H_VERSION = 8,
	H_FEATURES = 10,
	H_CIPHER = 14,
	H_RESERVED1 = 15,
	H_BLOCK_SIZE = 16,
	H_KEY_EPOCH = 20,
	H_VAULT_ID = 24,
	H_NSLOTS = 40,
	H_RESERVED2 = 42,
};

/* Offsets inside one slot. */
enum {
	S_TYPE = 0,
	S_KDF = 1,
	S_LABEL_LEN = 2,
	S_RESERVED = 3,
	S_KDF_TIME = 4,
	S_KDF_MEMORY = 8,
	S_KDF_LANES = 12,
	S_CREATED = 16,
	S_LABEL = 24,
	S_SALT = 56,
	S_NONCE = 88,
	S_WRAPPED = 100,
};

static_assert((int)H_VAULT_ID + (int)VAULT_ID_LEN == (int)H_NSLOTS, "slot count follows the vault id");
static_assert((int)H_NSLOTS == (int)CONFIG_V2_HEADER_AD_LEN, "slots bind everything before the count");
static_assert((int)H_RESERVED2 + 2 == (int)CONFIG_V2_HEADER_SIZE, "FORMAT.md: vault-wide part is 44 bytes");
static_assert((int)S_LABEL + (int)CONFIG_SLOT_LABEL_MAX == (int)S_SALT, "salt follows the label");
static_assert((int)S_SALT + (int)CONFIG_SALT_LEN == (int)S_NONCE, "nonce follows the salt");
static_assert((int)S_NONCE + (int)CONFIG_WRAP_NONCE_LEN == (int)S_WRAPPED, "wrapped key follows the nonce");
static_assert((int)S_WRAPPED == (int)CONFIG_SLOT_AD_LEN, "a slot's wrap binds every byte before the key");
static_assert(CONFIG_SLOT_SIZE == 148, "FORMAT.md: a slot is 148 bytes");
static_assert(CONFIG_SLOT_BOX_SIZE == 113 && CONFIG_EPOCH_WRAP_LEN == 60, "FORMAT.md: epoch section");
static_assert(CONFIG_V2_SIZE_MIN == 192 && CONFIG_V2_SIZE_MAX == 16272, "FORMAT.md sizes");

/* Feature bits a version-2 file may set. */
#define V2_FEATURES_KNOWN ((uint32_t)CONFIG_FEATURES_KNOWN | (uint32_t)CONFIG_V2_FEATURE_EPOCHS)

static bool in_range(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static bool has_epochs(const struct config_v2 *c)
{
	return (c->features & CONFIG_V2_FEATURE_EPOCHS) != 0;
}

static bool label_char_ok(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '.' || ch == '_' || ch == '@' || ch == '+' || ch == '-';
}

bool config_slot_label_is_valid(const char *label)
{
	size_t n = strnlen(label, CONFIG_SLOT_LABEL_MAX + 1), i;

	if (n == 0 || n > CONFIG_SLOT_LABEL_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!label_char_ok(label[i]))
			return false;
	return true;
}

const char *config_slot_type_name(uint8_t type)
{
	switch (type) {
	case CONFIG_SLOT_PASSWORD:
		return "password";
	case CONFIG_SLOT_KEYFILE:
		return "keyfile";
	case CONFIG_SLOT_RECOVERY:
		return "recovery";
	case CONFIG_SLOT_TPM:
		return "tpm";
	default:
		return NULL;
	}
}

int config_v2_find_label(const struct config_v2 *c, const char *label)
{
	unsigned i;

	for (i = 0; i < c->nslots && i < CONFIG_SLOTS_MAX; i++)
		if (!strcmp(c->slots[i].label, label))
			return (int)i;
	return -1;
}

/* The first invalid field of slot s, or NULL. */
static const char *slot_invalid_field(const struct config_slot *s)
{
	if (!config_slot_type_name(s->type))
		return "type";
	if (s->type == CONFIG_SLOT_PASSWORD) {
		if (s->kdf != CONFIG_SLOT_KDF_ARGON2ID)
			return "kdf";
		if (!in_range(s->kdf_time, CONFIG_KDF_TIME_MIN, CONFIG_KDF_TIME_MAX))
			return "kdf time cost";
		if (!in_range(s->kdf_memory_kib, CONFIG_KDF_MEMORY_MIN_KIB,
			      CONFIG_KDF_MEMORY_MAX_KIB))
			return "kdf memory";
		if (!in_range(s->kdf_lanes, CONFIG_KDF_LANES_MIN, CONFIG_KDF_LANES_MAX))
			return "kdf lanes";
	} else {
		if (s->kdf != CONFIG_SLOT_KDF_HKDF)
			return "kdf";
		if (s->kdf_time)
			return "kdf time cost";
		if (s->kdf_memory_kib)
			return "kdf memory";
		if (s->kdf_lanes)
			return "kdf lanes";
	}
	if (s->type == CONFIG_SLOT_TPM) {
		if (!in_range(s->tpm_public_len, 1, CONFIG_TPM_BLOB_MAX))
			return "tpm public length";
		if (!in_range(s->tpm_private_len, 1, CONFIG_TPM_BLOB_MAX))
			return "tpm private length";
	} else if (s->tpm_public_len || s->tpm_private_len) {
		return "tpm blobs";
	}
	if (!config_slot_label_is_valid(s->label))
		return "label";
	return NULL;
}

/* The first invalid key-epoch field of slot s in c (docs/FORMAT.md, "Key epochs"), or NULL. */
static const char *slot_box_invalid_field(const struct config_v2 *c, const struct config_slot *s)
{
	bool key = s->box_flags & CONFIG_SLOT_HAS_BOX_KEY, epoch = s->box_flags & CONFIG_SLOT_HAS_EPOCH;

	if (!has_epochs(c) && s->box_flags)
		return "box flags (no epoch section)";
	if (s->box_flags & ~(CONFIG_SLOT_HAS_BOX_KEY | CONFIG_SLOT_HAS_EPOCH) || (epoch && !key))
		return "box flags";
	if (key == all_zero(s->box_pk, CONFIG_BOX_KEY_LEN))
		return "box key";
	if (epoch == all_zero(s->epoch_box, CONFIG_EPOCH_BOX_LEN))
		return "epoch box";
	if (c->key_epoch > 0 && !epoch)
		return "epoch box (missing)";
	if (c->key_epoch == 0 && epoch)
		return "epoch box (epoch 0)";
	return NULL;
}

/* The first invalid vault-wide key-epoch field, or NULL. */
static const char *epochs_invalid_field(const struct config_v2 *c)
{
	unsigned j;

	if (c->key_epoch > CONFIG_EPOCH_MAX || (c->key_epoch > 0 && !has_epochs(c)))
		return "key epoch";
	if ((c->key_epoch > 0) == all_zero(c->epoch_check, CONFIG_EPOCH_CHECK_LEN))
		return "epoch check";
	for (j = 1; j <= CONFIG_EPOCH_MAX - 1; j++)
		if ((j < c->key_epoch) == all_zero(c->epoch_table[j - 1], CONFIG_EPOCH_WRAP_LEN))
			return "epoch table";
	return NULL;
}

/* Bytes of the key-epoch section (0 without its feature bit). */
static size_t epochs_size(const struct config_v2 *c)
{
	size_t n;

	if (!has_epochs(c))
		return 0;
	n = (size_t)c->nslots * CONFIG_SLOT_BOX_SIZE;
	if (c->key_epoch > 0)
		n += CONFIG_EPOCH_CHECK_LEN + (size_t)(c->key_epoch - 1) * CONFIG_EPOCH_WRAP_LEN;
	return n;
}

/* Bytes a slot takes: the fixed part, and for a TPM slot its blobs with their lengths. */
static size_t slot_size(const struct config_slot *s)
{
	if (s->type != CONFIG_SLOT_TPM)
		return CONFIG_SLOT_SIZE;
	return CONFIG_SLOT_SIZE + 4 + (size_t)s->tpm_public_len + s->tpm_private_len;
}

const char *config_v2_invalid_field(const struct config_v2 *c, char *buf, size_t size)
{
	const char *f;
	unsigned i, j;

	if (c->features & ~V2_FEATURES_KNOWN)
		return "features";
	if (c->cipher != CONFIG_CIPHER_AES256_GCM && c->cipher != CONFIG_CIPHER_XCHACHA20_POLY1305)
		return "cipher";
	if (c->block_size != CONFIG_BLOCK_SIZE)
		return "block size";
	if ((f = epochs_invalid_field(c)) != NULL)
		return f;
	if (c->nslots < 1 || c->nslots > CONFIG_SLOTS_MAX)
		return "slot count";
	for (i = 0; i < c->nslots; i++) {
		f = slot_invalid_field(&c->slots[i]);
		if (!f)
			f = slot_box_invalid_field(c, &c->slots[i]);
		for (j = 0; !f && j < i; j++)
			if (!strcmp(c->slots[j].label, c->slots[i].label))
				f = "label (not unique)";
		if (f) {
			snprintf(buf, size, "slot %u %s", i, f);
			return buf;
		}
	}
	return NULL;
}

int config_v2_validate(const struct config_v2 *c)
{
	char buf[64];

	return config_v2_invalid_field(c, buf, sizeof(buf)) ? -EPROTO : 0;
}

size_t config_v2_size(const struct config_v2 *c)
{
	size_t n = CONFIG_V2_HEADER_SIZE;
	unsigned i;

	for (i = 0; i < c->nslots && i < CONFIG_SLOTS_MAX; i++)
		n += slot_size(&c->slots[i]);
	return n + epochs_size(c);
}

static void encode_header(const struct config_v2 *c, uint8_t *out)
{
	memcpy(out + H_MAGIC, config_magic, CONFIG_MAGIC_LEN);
	put_be16(out + H_VERSION, CONFIG_V2_VERSION);
	put_be32(out + H_FEATURES, c->features);
	out[H_CIPHER] = c->cipher;
	out[H_RESERVED1] = 0;
	put_be32(out + H_BLOCK_SIZE, c->block_size);
	put_be32(out + H_KEY_EPOCH, c->key_epoch);
	memcpy(out + H_VAULT_ID, c->vault_id, VAULT_ID_LEN);
	put_be16(out + H_NSLOTS, c->nslots);
	put_be16(out + H_RESERVED2, 0);
}

/* The first CONFIG_SLOT_AD_LEN bytes of a slot (everything but the wrapped key). */
static void encode_slot_ad(const struct config_slot *s, uint8_t *out)
{
	size_t n = strlen(s->label);

	out[S_TYPE] = s->type;
	out[S_KDF] = s->kdf;
	out[S_LABEL_LEN] = (uint8_t)n;
	out[S_RESERVED] = 0;
	put_be32(out + S_KDF_TIME, s->kdf_time);
	put_be32(out + S_KDF_MEMORY, s->kdf_memory_kib);
	put_be32(out + S_KDF_LANES, s->kdf_lanes);
	put_be64(out + S_CREATED, s->created);
	memset(out + S_LABEL, 0, CONFIG_SLOT_LABEL_MAX);
	memcpy(out + S_LABEL, s->label, n);
	memcpy(out + S_SALT, s->salt, CONFIG_SALT_LEN);
	memcpy(out + S_NONCE, s->nonce, CONFIG_WRAP_NONCE_LEN);
}

/* The key-epoch section (nothing without its feature bit). */
static void encode_epochs(const struct config_v2 *c, uint8_t *p)
{
	unsigned i, j;

	if (!has_epochs(c))
		return;
	for (i = 0; i < c->nslots; i++) {
		const struct config_slot *s = &c->slots[i];

		p[0] = s->box_flags;
		memcpy(p + 1, s->box_pk, CONFIG_BOX_KEY_LEN);
		memcpy(p + 1 + CONFIG_BOX_KEY_LEN, s->epoch_box, CONFIG_EPOCH_BOX_LEN);
		p += CONFIG_SLOT_BOX_SIZE;
	}
	if (c->key_epoch == 0)
		return;
	memcpy(p, c->epoch_check, CONFIG_EPOCH_CHECK_LEN);
	p += CONFIG_EPOCH_CHECK_LEN;
	for (j = 1; j < c->key_epoch; j++, p += CONFIG_EPOCH_WRAP_LEN)
		memcpy(p, c->epoch_table[j - 1], CONFIG_EPOCH_WRAP_LEN);
}

int config_v2_encode(const struct config_v2 *c, uint8_t *out, size_t cap)
{
	unsigned i;
	uint8_t *p;

	if (config_v2_validate(c) < 0)
		return -EPROTO;
	if (cap < config_v2_size(c))
		return -ENOSPC;
	encode_header(c, out);
	p = out + CONFIG_V2_HEADER_SIZE;
	for (i = 0; i < c->nslots; i++) {
		const struct config_slot *s = &c->slots[i];

		encode_slot_ad(s, p);
		memcpy(p + S_WRAPPED, s->wrapped, CONFIG_WRAPPED_LEN);
		p += CONFIG_SLOT_SIZE;
		if (s->type != CONFIG_SLOT_TPM)
			continue;
		put_be16(p, s->tpm_public_len);
		memcpy(p + 2, s->tpm_public, s->tpm_public_len);
		p += 2 + s->tpm_public_len;
		put_be16(p, s->tpm_private_len);
		memcpy(p + 2, s->tpm_private, s->tpm_private_len);
		p += 2 + s->tpm_private_len;
	}
	encode_epochs(c, p);
	return 0;
}

int config_v2_slot_ad(const struct config_v2 *c, unsigned i, uint8_t ad[static CONFIG_V2_AD_LEN])
{
	uint8_t h[CONFIG_V2_HEADER_SIZE];

	if (i >= CONFIG_SLOTS_MAX || slot_invalid_field(&c->slots[i]))
		return -EPROTO;
	encode_header(c, h);
	/* not bound: the key epoch and the key-epochs feature bit (a revoke sets them) */
	put_be32(h + H_FEATURES, c->features & ~(uint32_t)CONFIG_V2_FEATURE_EPOCHS);
	put_be32(h + H_KEY_EPOCH, 0);
	memcpy(ad, h, CONFIG_V2_HEADER_AD_LEN);
	encode_slot_ad(&c->slots[i], ad + CONFIG_V2_HEADER_AD_LEN);
	return 0;
}

/* A bounds-checked reader over the config bytes. */
struct cursor {
	const uint8_t *p;
	size_t left;
};

static bool take(struct cursor *cur, size_t n, const uint8_t **out)
{
	if (cur->left < n)
		return false;
	*out = cur->p;
	cur->p += n;
	cur->left -= n;
	return true;
}

static bool get_u8(struct cursor *cur, uint8_t *v)
{
	const uint8_t *q;

	if (!take(cur, 1, &q))
		return false;
	*v = q[0];
	return true;
}

static bool get_u16(struct cursor *cur, uint16_t *v)
{
	const uint8_t *q;

	if (!take(cur, 2, &q))
		return false;
	*v = get_be16(q);
	return true;
}

static bool get_u32(struct cursor *cur, uint32_t *v)
{
	const uint8_t *q;

	if (!take(cur, 4, &q))
		return false;
	*v = get_be32(q);
	return true;
}

static bool get_u64(struct cursor *cur, uint64_t *v)
{
	const uint8_t *q;

	if (!take(cur, 8, &q))
		return false;
	*v = get_be64(q);
	return true;
}

static bool get_bytes(struct cursor *cur, void *out, size_t n)
{
	const uint8_t *q;

	if (!take(cur, n, &q))
		return false;
	memcpy(out, q, n);
	return true;
}

static int decode_slot(struct cursor *cur, struct config_slot *s)
{
	uint8_t label_len, reserved, raw[CONFIG_SLOT_LABEL_MAX];
	size_t i;

	if (!get_u8(cur, &s->type) || !config_slot_type_name(s->type))
		return -EPROTO;
	if (!get_u8(cur, &s->kdf))
		return -EPROTO;
	if (!get_u8(cur, &label_len) || label_len < 1 || label_len > CONFIG_SLOT_LABEL_MAX)
		return -EPROTO;
	if (!get_u8(cur, &reserved) || reserved != 0)
		return -EPROTO;
	if (!get_u32(cur, &s->kdf_time) || !get_u32(cur, &s->kdf_memory_kib) ||
	    !get_u32(cur, &s->kdf_lanes))
		return -EPROTO;
	if (!get_u64(cur, &s->created))
		return -EPROTO;
	if (!get_bytes(cur, raw, sizeof(raw)))
		return -EPROTO;
	/* The label (no NUL inside it), then only zero bytes: one encoding per label. */
	if (memchr(raw, 0, label_len))
		return -EPROTO;
	for (i = label_len; i < sizeof(raw); i++)
		if (raw[i] != 0)
			return -EPROTO;
	memcpy(s->label, raw, label_len);
	s->label[label_len] = '\0';
	if (!get_bytes(cur, s->salt, CONFIG_SALT_LEN) ||
	    !get_bytes(cur, s->nonce, CONFIG_WRAP_NONCE_LEN) ||
	    !get_bytes(cur, s->wrapped, CONFIG_WRAPPED_LEN))
		return -EPROTO;
	/* A TPM slot's blobs: each length checked before its bytes are read. */
	if (s->type == CONFIG_SLOT_TPM) {
		if (!get_u16(cur, &s->tpm_public_len) || s->tpm_public_len < 1 ||
		    s->tpm_public_len > CONFIG_TPM_BLOB_MAX ||
		    !get_bytes(cur, s->tpm_public, s->tpm_public_len))
			return -EPROTO;
		if (!get_u16(cur, &s->tpm_private_len) || s->tpm_private_len < 1 ||
		    s->tpm_private_len > CONFIG_TPM_BLOB_MAX ||
		    !get_bytes(cur, s->tpm_private, s->tpm_private_len))
			return -EPROTO;
	}
	/* kdf, costs and label characters against the type. */
	return slot_invalid_field(s) ? -EPROTO : 0;
}

static int decode_header(struct cursor *cur, struct config_v2 *c)
{
	uint8_t magic[CONFIG_MAGIC_LEN], reserved1;
	uint16_t version, reserved2;

	if (!get_bytes(cur, magic, sizeof(magic)) || memcmp(magic, config_magic, sizeof(magic)))
		return -EPROTO;
	if (!get_u16(cur, &version) || version != CONFIG_V2_VERSION)
		return -EPROTO;
	if (!get_u32(cur, &c->features) || (c->features & ~V2_FEATURES_KNOWN))
		return -EPROTO;
	if (!get_u8(cur, &c->cipher) || (c->cipher != CONFIG_CIPHER_AES256_GCM &&
					  c->cipher != CONFIG_CIPHER_XCHACHA20_POLY1305))
		return -EPROTO;
	if (!get_u8(cur, &reserved1) || reserved1 != 0)
		return -EPROTO;
	if (!get_u32(cur, &c->block_size) || c->block_size != CONFIG_BLOCK_SIZE)
		return -EPROTO;
	if (!get_u32(cur, &c->key_epoch) || c->key_epoch > CONFIG_EPOCH_MAX ||
	    (c->key_epoch > 0 && !has_epochs(c)))
		return -EPROTO;
	if (!get_bytes(cur, c->vault_id, VAULT_ID_LEN))
		return -EPROTO;
	if (!get_u16(cur, &c->nslots) || c->nslots < 1 || c->nslots > CONFIG_SLOTS_MAX)
		return -EPROTO;
	if (!get_u16(cur, &reserved2) || reserved2 != 0)
		return -EPROTO;
	return 0;
}

/* The key-epoch section, after the slots; its fields are checked by config_v2_validate(). */
static int decode_epochs(struct cursor *cur, struct config_v2 *c)
{
	unsigned i, j;

	if (!has_epochs(c))
		return 0;
	for (i = 0; i < c->nslots; i++) {
		struct config_slot *s = &c->slots[i];

		if (!get_u8(cur, &s->box_flags) || !get_bytes(cur, s->box_pk, CONFIG_BOX_KEY_LEN) ||
		    !get_bytes(cur, s->epoch_box, CONFIG_EPOCH_BOX_LEN))
			return -EPROTO;
	}
	if (c->key_epoch == 0)
		return 0;
	if (!get_bytes(cur, c->epoch_check, CONFIG_EPOCH_CHECK_LEN))
		return -EPROTO;
	for (j = 1; j < c->key_epoch; j++)
		if (!get_bytes(cur, c->epoch_table[j - 1], CONFIG_EPOCH_WRAP_LEN))
			return -EPROTO;
	return 0;
}

int config_v2_decode(struct config_v2 *c, const uint8_t *p, size_t len)
{
	struct cursor cur = { p, len };
	unsigned i;
	int r;

	memset(c, 0, sizeof(*c));
	if ((r = decode_header(&cur, c)) < 0)
		goto fail;
	for (i = 0; i < c->nslots; i++)
		if ((r = decode_slot(&cur, &c->slots[i])) < 0)
			goto fail;
	if ((r = decode_epochs(&cur, c)) < 0)
		goto fail;
	r = -EPROTO;
	if (cur.left != 0) /* trailing bytes */
		goto fail;
	if ((r = config_v2_validate(c)) < 0) /* unique labels, the key-epoch section */
		goto fail;
	return 0;
fail:
	memset(c, 0, sizeof(*c));
	return -EPROTO;
}

int config_peek_version(const uint8_t *p, size_t len)
{
	if (len < H_VERSION + 2 || memcmp(p + H_MAGIC, config_magic, CONFIG_MAGIC_LEN) != 0)
		return -EPROTO;
	return get_be16(p + H_VERSION);
}

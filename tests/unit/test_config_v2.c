/*
 * Unit tests for format/config_v2.c: round trips, one numbered case per corrupted field
 * (each must be rejected on its own), every truncation, trailing bytes, and the slot AD.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "base/bytes.h"
#include "format/config_v2.h"
#include "helpers.h"
#include "test.h"

static void sample(struct config_v2 *c, unsigned nslots)
{
	unsigned i, j;

	memset(c, 0, sizeof(*c));
	c->features = CONFIG_FEATURE_PLAINTEXT_NAMES;
	c->cipher = CONFIG_CIPHER_XCHACHA20_POLY1305;
	c->block_size = CONFIG_BLOCK_SIZE;
	for (i = 0; i < VAULT_ID_LEN; i++)
		c->vault_id[i] = (uint8_t)i;
	c->nslots = (uint16_t)nslots;
	for (i = 0; i < nslots; i++) {
		struct config_slot *s = &c->slots[i];

		s->type = (uint8_t)(1 + i % 3);
		if (s->type == CONFIG_SLOT_PASSWORD) {
			s->kdf = CONFIG_SLOT_KDF_ARGON2ID;
			s->kdf_time = 3;
			s->kdf_memory_kib = 65536;
			s->kdf_lanes = 4;
		} else {
			s->kdf = CONFIG_SLOT_KDF_HKDF;
		}
		s->created = 1700000000ull + i;
		snprintf(s->label, sizeof(s->label), "slot-%u", i);
		for (j = 0; j < CONFIG_SALT_LEN; j++)
			s->salt[j] = (uint8_t)(i + j);
		for (j = 0; j < CONFIG_WRAP_NONCE_LEN; j++)
			s->nonce[j] = (uint8_t)(0x80 + i + j);
		for (j = 0; j < CONFIG_WRAPPED_LEN; j++)
			s->wrapped[j] = (uint8_t)(0xa0 + i + j);
	}
}

TEST(config_v2_round_trip_1_to_16_slots)
{
	uint8_t b[CONFIG_V2_SIZE_MAX], b2[CONFIG_V2_SIZE_MAX];
	struct config_v2 c, d;
	unsigned n;

	for (n = 1; n <= CONFIG_SLOTS_MAX; n++) {
		sample(&c, n);
		EXPECTF(config_v2_size(&c) == CONFIG_V2_HEADER_SIZE + n * CONFIG_SLOT_SIZE, "n %u", n);
		EXPECTF(config_v2_encode(&c, b, sizeof(b)) == 0, "n %u", n);
		EXPECTF(config_v2_decode(&d, b, config_v2_size(&c)) == 0, "n %u", n);
		EXPECTF(config_v2_encode(&d, b2, sizeof(b2)) == 0 &&
				memcmp(b, b2, config_v2_size(&c)) == 0,
			"n %u", n);
		EXPECTF(d.nslots == n && !strcmp(d.slots[n - 1].label, c.slots[n - 1].label) &&
				d.slots[n - 1].created == c.slots[n - 1].created,
			"n %u", n);
		EXPECT(config_peek_version(b, config_v2_size(&c)) == 2);
	}
	EXPECT_EQ(CONFIG_V2_SIZE_MIN, 192);
	EXPECT_EQ(CONFIG_V2_SIZE_MAX, 16272);
	sample(&c, 16);
	EXPECT(config_v2_encode(&c, b, 2411) == -ENOSPC);
	c.nslots = 17;
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
	c.nslots = 0;
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
}

/* One corruption per row: offset (absolute, slot 1 starts at 44 + 148), value. */
static const struct {
	unsigned off;
	unsigned width; /* 1, 2 or 4 */
	uint32_t value;
	const char *what;
} bad_fields[] = {
	/* 1 */ { 0, 1, 'X', "magic" },
	/* 2 */ { 8, 2, 1, "version 1 in a version-2 layout" },
	/* 3 */ { 8, 2, 3, "version 3" },
	/* 4 */ { 10, 4, 2, "unknown feature bit" },
	/* 5 */ { 14, 1, 3, "cipher" },
	/* 6 */ { 15, 1, 1, "reserved byte" },
	/* 7 */ { 16, 4, 8192, "block size" },
	/* 8 */ { 20, 4, 1, "key epoch (reserved)" },
	/* 9 */ { 40, 2, 0, "slot count 0" },
	/* 10 */ { 40, 2, 17, "slot count 17" },
	/* 11 */ { 42, 2, 1, "reserved u16" },
	/* 12 */ { 44 + 0, 1, 0, "slot type 0" },
	/* 13 */ { 44 + 0, 1, 5, "slot type 5" },
	/* 14 */ { 44 + 1, 1, 2, "password slot with hkdf" },
	/* 15 */ { 44 + 2, 1, 0, "label length 0" },
	/* 16 */ { 44 + 2, 1, 33, "label length 33" },
	/* 17 */ { 44 + 3, 1, 1, "slot reserved byte" },
	/* 18 */ { 44 + 4, 4, 0, "kdf time 0" },
	/* 19 */ { 44 + 4, 4, 65, "kdf time 65" },
	/* 20 */ { 44 + 8, 4, 8191, "kdf memory too small" },
	/* 21 */ { 44 + 8, 4, 4194305, "kdf memory too large" },
	/* 22 */ { 44 + 12, 4, 0, "kdf lanes 0" },
	/* 23 */ { 44 + 12, 4, 17, "kdf lanes 17" },
	/* 24 */ { 44 + 24, 1, ' ', "label character" },
	/* 25 */ { 44 + 24 + 31, 1, 'x', "label padding not zero" },
	/* 26 */ { 44 + 148 + 1, 1, 1, "keyfile slot with argon2id" },
	/* 27 */ { 44 + 148 + 4, 4, 1, "keyfile slot with a time cost" },
	/* 28 */ { 44 + 148 + 8, 4, 8192, "keyfile slot with a memory cost" },
	/* 29 */ { 44 + 148 + 12, 4, 1, "keyfile slot with lanes" },
	/* 30 */ { 44 + 148 + 24 + 5, 1, '0', "duplicate label (slot-1 -> slot-0)" },
	/* 31 */ { 44 + 24 + 2, 1, 0, "NUL inside the label (found by fuzz_config_v2)" },
};

TEST(config_v2_each_field_rejected)
{
	uint8_t b[CONFIG_V2_SIZE_MAX], t[CONFIG_V2_SIZE_MAX];
	struct config_v2 c, d;
	size_t i, n;

	sample(&c, 3);
	n = config_v2_size(&c);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	EXPECT(config_v2_decode(&d, b, n) == 0);
	for (i = 0; i < ARRAY_SIZE(bad_fields); i++) {
		memcpy(t, b, n);
		if (bad_fields[i].width == 1)
			t[bad_fields[i].off] = (uint8_t)bad_fields[i].value;
		else if (bad_fields[i].width == 2)
			put_be16(t + bad_fields[i].off, (uint16_t)bad_fields[i].value);
		else
			put_be32(t + bad_fields[i].off, bad_fields[i].value);
		memset(&d, 0x55, sizeof(d));
		EXPECTF(config_v2_decode(&d, t, n) == -EPROTO, "row %zu (%s)", i + 1,
			bad_fields[i].what);
		EXPECTF(test_all_zero((const uint8_t *)&d, sizeof(d)), "row %zu zeroed", i + 1);
	}
}

/* Give c the key-epoch section at epoch e: every slot a box key (and an epoch box for e > 0),
 * a check value and e - 1 table entries, each a pattern. */
static void with_epochs(struct config_v2 *c, uint32_t e)
{
	unsigned i, j;

	c->features |= CONFIG_V2_FEATURE_EPOCHS;
	c->key_epoch = e;
	for (i = 0; i < c->nslots; i++) {
		struct config_slot *s = &c->slots[i];

		s->box_flags = CONFIG_SLOT_HAS_BOX_KEY | (e ? CONFIG_SLOT_HAS_EPOCH : 0);
		for (j = 0; j < CONFIG_BOX_KEY_LEN; j++)
			s->box_pk[j] = (uint8_t)(0x40 + i + j);
		for (j = 0; j < CONFIG_EPOCH_BOX_LEN; j++)
			s->epoch_box[j] = e ? (uint8_t)(0x90 + i + j) : 0;
	}
	memset(c->epoch_check, 0, sizeof(c->epoch_check));
	memset(c->epoch_table, 0, sizeof(c->epoch_table));
	if (e)
		memset(c->epoch_check, 0xcc, sizeof(c->epoch_check));
	for (j = 1; j < e; j++)
		memset(c->epoch_table[j - 1], (int)j, CONFIG_EPOCH_WRAP_LEN);
}

/* Make slot i a TPM slot with blobs of pub and priv bytes (a pattern of i). */
static void make_tpm(struct config_v2 *c, unsigned i, unsigned pub, unsigned priv)
{
	struct config_slot *s = &c->slots[i];
	unsigned j;

	s->type = CONFIG_SLOT_TPM;
	s->kdf = CONFIG_SLOT_KDF_HKDF;
	s->kdf_time = s->kdf_memory_kib = s->kdf_lanes = 0;
	s->tpm_public_len = (uint16_t)pub;
	s->tpm_private_len = (uint16_t)priv;
	for (j = 0; j < pub; j++)
		s->tpm_public[j] = (uint8_t)(0x11 * i + j);
	for (j = 0; j < priv; j++)
		s->tpm_private[j] = (uint8_t)(0x37 * i + 3 * j);
}

static const struct {
	unsigned off; /* from the start of the TPM slot's blobs */
	uint16_t value;
	const char *what;
} bad_tpm[] = {
	/* 1 */ { 0, 0, "public length 0" },
	/* 2 */ { 0, 257, "public length 257" },
	/* 3 */ { 0, 51, "public length past its blob (private length misread)" },
	/* 4 */ { 2 + 50, 0, "private length 0" },
	/* 5 */ { 2 + 50, 257, "private length 257" },
	/* 6 */ { 2 + 50, 121, "private length past the end" },
	/* 7 */ { 2 + 50, 119, "private length short of the end (trailing bytes)" },
};

TEST(config_v2_tpm_slot_blobs)
{
	uint8_t b[CONFIG_V2_SIZE_MAX + 1], t[CONFIG_V2_SIZE_MAX];
	struct config_v2 c, d;
	size_t i, n, len, blobs = CONFIG_V2_HEADER_SIZE + 2 * CONFIG_SLOT_SIZE;

	sample(&c, 2);
	make_tpm(&c, 1, 50, 120);
	n = config_v2_size(&c);
	EXPECT_EQ(n, CONFIG_V2_HEADER_SIZE + 2 * CONFIG_SLOT_SIZE + 4 + 50 + 120);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	EXPECT(config_v2_encode(&c, b, n - 1) == -ENOSPC);
	EXPECT(get_be16(b + blobs) == 50 && get_be16(b + blobs + 2 + 50) == 120);
	EXPECT(memcmp(b + blobs + 2, c.slots[1].tpm_public, 50) == 0);
	EXPECT(memcmp(b + blobs + 4 + 50, c.slots[1].tpm_private, 120) == 0);
	EXPECT(config_v2_decode(&d, b, n) == 0);
	EXPECT(d.slots[1].type == CONFIG_SLOT_TPM && d.slots[1].tpm_public_len == 50 &&
	       d.slots[1].tpm_private_len == 120 &&
	       memcmp(d.slots[1].tpm_public, c.slots[1].tpm_public, 50) == 0 &&
	       memcmp(d.slots[1].tpm_private, c.slots[1].tpm_private, 120) == 0);
	EXPECT(d.slots[0].tpm_public_len == 0 && d.slots[0].tpm_private_len == 0);
	EXPECT(!strcmp(config_slot_type_name(CONFIG_SLOT_TPM), "tpm"));
	for (len = 0; len < n; len++)
		EXPECTF(config_v2_decode(&d, b, len) == -EPROTO, "length %zu", len);
	b[n] = 0;
	EXPECT(config_v2_decode(&d, b, n + 1) == -EPROTO);
	for (i = 0; i < ARRAY_SIZE(bad_tpm); i++) {
		memcpy(t, b, n);
		put_be16(t + blobs + bad_tpm[i].off, bad_tpm[i].value);
		EXPECTF(config_v2_decode(&d, t, n) == -EPROTO, "row %zu (%s)", i + 1,
			bad_tpm[i].what);
	}
	/* blobs on another type, none on a TPM slot: invalid, not encoded */
	c.slots[0].tpm_public_len = 1;
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
	c.slots[0].tpm_public_len = 0;
	c.slots[1].tpm_private_len = 0;
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
	c.slots[1].tpm_private_len = CONFIG_TPM_BLOB_MAX + 1;
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
	/* a TPM slot with Argon2id costs */
	make_tpm(&c, 1, 50, 120);
	c.slots[1].kdf = CONFIG_SLOT_KDF_ARGON2ID;
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
	/* the largest config: 16 TPM slots with blobs of the largest size, the last epoch */
	sample(&c, CONFIG_SLOTS_MAX);
	for (i = 0; i < CONFIG_SLOTS_MAX; i++)
		make_tpm(&c, (unsigned)i, CONFIG_TPM_BLOB_MAX, CONFIG_TPM_BLOB_MAX);
	with_epochs(&c, CONFIG_EPOCH_MAX);
	EXPECT_EQ(config_v2_size(&c), CONFIG_V2_SIZE_MAX);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	EXPECT(config_v2_decode(&d, b, CONFIG_V2_SIZE_MAX) == 0);
}

TEST(config_v2_truncation_and_trailing_bytes)
{
	uint8_t b[CONFIG_V2_SIZE_MAX + 1];
	struct config_v2 c, d;
	size_t n, len;

	sample(&c, 2);
	n = config_v2_size(&c);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	for (len = 0; len < n; len++)
		EXPECTF(config_v2_decode(&d, b, len) == -EPROTO, "length %zu", len);
	b[n] = 0;
	EXPECT(config_v2_decode(&d, b, n + 1) == -EPROTO);
	EXPECT(config_v2_decode(&d, b, n) == 0);
	EXPECT(config_peek_version(b, 9) == -EPROTO);
}

TEST(config_v2_slot_ad_binds_header_and_own_fields)
{
	uint8_t b[CONFIG_V2_SIZE_MAX], ad[CONFIG_V2_AD_LEN], ad2[CONFIG_V2_AD_LEN];
	struct config_v2 c;

	sample(&c, 3);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	EXPECT(config_v2_slot_ad(&c, 1, ad) == 0);
	/* vault-wide bytes [0, 40) and slot 1's bytes [0, 100), never the slot count */
	EXPECT_MEM(ad, b, 40);
	EXPECT_MEM(ad + 40, b + 44 + 148, 100);
	c.nslots = 2;
	EXPECT(config_v2_slot_ad(&c, 1, ad2) == 0 && memcmp(ad, ad2, sizeof(ad)) == 0);
	c.slots[1].created++;
	EXPECT(config_v2_slot_ad(&c, 1, ad2) == 0 && memcmp(ad, ad2, sizeof(ad)) != 0);
	c.slots[1].type = 9;
	EXPECT(config_v2_slot_ad(&c, 1, ad2) == -EPROTO);
}

static const struct {
	const char *label;
	bool ok;
} labels[] = {
	/* 1 */ { "a", true },
	/* 2 */ { "alice@example.org", true },
	/* 3 */ { "Bob_laptop-2.key+x", true },
	/* 4 */ { "12345678901234567890123456789012", true },
	/* 5 */ { "123456789012345678901234567890123", false },
	/* 6 */ { "", false },
	/* 7 */ { "with space", false },
	/* 8 */ { "quote\"", false },
	/* 9 */ { "slash/", false },
	/* 10 */ { "caf\xc3\xa9", false },
};

TEST(config_v2_labels)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(labels); i++)
		EXPECTF(config_slot_label_is_valid(labels[i].label) == labels[i].ok, "row %zu",
			i + 1);
}

TEST(config_v2_epoch_section_round_trip)
{
	uint8_t b[CONFIG_V2_SIZE_MAX + 1], b2[CONFIG_V2_SIZE_MAX];
	struct config_v2 c, d;
	size_t n, len, base = CONFIG_V2_HEADER_SIZE + 3 * CONFIG_SLOT_SIZE;
	uint32_t e;

	for (e = 0; e <= 3; e++) {
		sample(&c, 3);
		with_epochs(&c, e);
		n = config_v2_size(&c);
		EXPECTF(n == base + 3 * CONFIG_SLOT_BOX_SIZE + (e ? 16 + (e - 1) * 60 : 0), "e %u", e);
		EXPECTF(config_v2_encode(&c, b, sizeof(b)) == 0, "e %u", e);
		EXPECT(get_be32(b + 20) == e && (get_be32(b + 10) & CONFIG_V2_FEATURE_EPOCHS));
		EXPECT(b[base] == c.slots[0].box_flags);
		EXPECT_MEM(b + base + 1, c.slots[0].box_pk, 32);
		EXPECTF(config_v2_decode(&d, b, n) == 0, "e %u", e);
		EXPECTF(config_v2_encode(&d, b2, sizeof(b2)) == 0 && memcmp(b, b2, n) == 0, "e %u", e);
		for (len = base; len < n; len++)
			EXPECTF(config_v2_decode(&d, b, len) == -EPROTO, "e %u length %zu", e, len);
		b[n] = 0;
		EXPECTF(config_v2_decode(&d, b, n + 1) == -EPROTO, "e %u trailing", e);
	}
	/* the slot AD reads the key epoch and the feature bit as zero */
	sample(&c, 3);
	EXPECT(config_v2_slot_ad(&c, 1, b) == 0);
	with_epochs(&c, 2);
	EXPECT(config_v2_slot_ad(&c, 1, b2) == 0 && memcmp(b, b2, CONFIG_V2_AD_LEN) == 0);
}

/* One corruption per row of a 3-slot config at key epoch 2 (section at 44 + 3 * 148). */
enum { EP = 44 + 3 * 148 };
static const struct {
	unsigned off;
	unsigned width; /* 1 or 4 */
	uint32_t value;
	const char *what;
} bad_epochs[] = {
	/* 1 */ { 10, 4, CONFIG_FEATURE_PLAINTEXT_NAMES, "epoch > 0 without the feature bit" },
	/* 2 */ { 20, 4, CONFIG_EPOCH_MAX + 1, "key epoch past the largest" },
	/* 3 */ { 20, 4, 0, "key epoch 0 with epoch boxes (and a check and table)" },
	/* 4 */ { EP, 1, 0, "slot 0 flags 0 at epoch 2 (box key present)" },
	/* 5 */ { EP, 1, CONFIG_SLOT_HAS_BOX_KEY, "slot 0 has no epoch box at epoch 2" },
	/* 6 */ { EP, 1, 7, "slot 0 unknown flag bit" },
	/* 7 */ { EP, 1, CONFIG_SLOT_HAS_EPOCH, "slot 0 epoch box without a box key" },
	/* 8 */ { EP + 1, 4, 0, "slot 0 box key partly zero is fine; see row 9" },
	/* 9 */ { EP + 113 + 33, 4, 0, "slot 1 epoch box partly zero is fine; see row 10" },
};

TEST(config_v2_epoch_fields_rejected)
{
	uint8_t b[CONFIG_V2_SIZE_MAX], t[CONFIG_V2_SIZE_MAX];
	struct config_v2 c, d;
	size_t i, n;
	bool want_bad;

	sample(&c, 3);
	with_epochs(&c, 2);
	n = config_v2_size(&c);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	for (i = 0; i < ARRAY_SIZE(bad_epochs); i++) {
		memcpy(t, b, n);
		if (bad_epochs[i].width == 1)
			t[bad_epochs[i].off] = (uint8_t)bad_epochs[i].value;
		else
			put_be32(t + bad_epochs[i].off, bad_epochs[i].value);
		want_bad = i < 7;
		EXPECTF((config_v2_decode(&d, t, n) == -EPROTO) == want_bad, "row %zu (%s)", i + 1,
			bad_epochs[i].what);
	}
	/* whole fields zero: a box key, an epoch box, the check, a table entry */
	memcpy(t, b, n);
	memset(t + EP + 1, 0, CONFIG_BOX_KEY_LEN);
	EXPECT(config_v2_decode(&d, t, n) == -EPROTO);
	memcpy(t, b, n);
	memset(t + EP + 113 + 33, 0, CONFIG_EPOCH_BOX_LEN);
	EXPECT(config_v2_decode(&d, t, n) == -EPROTO);
	memcpy(t, b, n);
	memset(t + EP + 3 * 113, 0, CONFIG_EPOCH_CHECK_LEN);
	EXPECT(config_v2_decode(&d, t, n) == -EPROTO);
	memcpy(t, b, n);
	memset(t + EP + 3 * 113 + 16, 0, CONFIG_EPOCH_WRAP_LEN);
	EXPECT(config_v2_decode(&d, t, n) == -EPROTO);
	/* epoch 0 with the section: box keys only; an epoch box there is refused */
	sample(&c, 2);
	with_epochs(&c, 0);
	c.slots[1].box_flags = 0;
	memset(c.slots[1].box_pk, 0, CONFIG_BOX_KEY_LEN);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == 0);
	c.slots[0].box_flags |= CONFIG_SLOT_HAS_EPOCH;
	memset(c.slots[0].epoch_box, 1, CONFIG_EPOCH_BOX_LEN);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
	/* box fields without the feature bit are not silently dropped */
	sample(&c, 2);
	c.slots[0].box_flags = CONFIG_SLOT_HAS_BOX_KEY;
	memset(c.slots[0].box_pk, 1, CONFIG_BOX_KEY_LEN);
	EXPECT(config_v2_encode(&c, b, sizeof(b)) == -EPROTO);
}

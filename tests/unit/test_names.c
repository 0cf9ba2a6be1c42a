/*
 * Unit tests for names/: naming rules, the file-name codec (padding edges, strict
 * decryption), long names, xattr names, and sealed symlink targets and xattr values.
 */
#include <string.h>
#include "base/b64.h"
#include "base/buf.h"
#include "crypto/siv.h"
#include "names/names.h"
#include "names/sealed.h"
#include "helpers.h"
#include "test.h"

static uint8_t nkey[NAMES_KEY_LEN], diriv[DIRIV_LEN];

static void setup_keys(void)
{
	size_t i;

	for (i = 0; i < sizeof(nkey); i++)
		nkey[i] = (uint8_t)(3 * i + 1);
	for (i = 0; i < sizeof(diriv); i++)
		diriv[i] = (uint8_t)(0xd0 + i);
}

static const struct {
	const char *name;
	size_t len;
	bool invalid;
} plain_cases[] = {
	/* 1 */ { "a", 1, false },
	/* 2 */ { ".", 1, true },
	/* 3 */ { "..", 2, true },
	/* 4 */ { "...", 3, false },
	/* 5 */ { ".hidden", 7, false },
	/* 6 */ { "", 0, true },
	/* 7 */ { "a/b", 3, true },
	/* 8 */ { "a\0b", 3, true },
	/* 9 */ { "/", 1, true },
	/* 10 */ { "veilfs.conf", 11, false }, /* refused by the vault, not by the codec */
};

TEST(names_plain_rules)
{
	char big[257];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(plain_cases); i++)
		EXPECTF(names_is_invalid_plain(plain_cases[i].name, plain_cases[i].len) ==
				plain_cases[i].invalid,
			"row %zu", i + 1);
	memset(big, 'x', sizeof(big));
	EXPECT(!names_is_invalid_plain(big, 255));
	EXPECT(names_is_invalid_plain(big, 256));
}

static const struct {
	const char *lower;
	bool reserved;
} reserved_cases[] = {
	/* 1 */ { "veilfs.conf", true },
	/* 2 */ { "veilfs.diriv", true },
	/* 3 */ { "veilfs.lname.abc", true },
	/* 4 */ { "veilfs.", true },
	/* 5 */ { "veilfs", false },
	/* 6 */ { "Veilfs.conf", false },
	/* 7 */ { "abcdEFGH-_", false },
	/* 8 */ { "", false },
};

TEST(names_reserved_predicate)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(reserved_cases); i++)
		EXPECTF(names_is_reserved(reserved_cases[i].lower, strlen(reserved_cases[i].lower)) ==
				reserved_cases[i].reserved,
			"row %zu", i + 1);
}

/* Every length 1 ... 255 round-trips, and the encoded length shows only len rounded up. */
TEST(names_roundtrip_all_lengths)
{
	char name[NAME_PLAIN_MAX];
	struct buf enc, dec;
	size_t len, padded;
	int bad = 0;

	setup_keys();
	buf_init(&enc);
	buf_init(&dec);
	for (len = 1; len <= NAME_PLAIN_MAX; len++) {
		memset(name, 'a' + (int)(len % 26), len);
		buf_reset(&enc);
		buf_reset(&dec);
		padded = (len / NAME_PAD + 1) * NAME_PAD;
		bad += names_encrypt(nkey, diriv, name, len, &enc) != 0;
		bad += enc.len != b64url_encoded_len(SIV_TAG_LEN + padded);
		bad += strspn((char *)enc.data, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
						"0123456789-_") != enc.len;
		bad += names_decrypt(nkey, diriv, (char *)enc.data, enc.len, &dec) != 0;
		bad += dec.len != len || memcmp(dec.data, name, len) != 0;
	}
	EXPECTF(bad == 0, "%d failures", bad);
	/* the longest name needs long-name storage; 159 bytes (235 encoded) is the last that
	 * does not, 160 bytes (256 encoded) the first that does */
	EXPECT(enc.len == NAMES_ENCODED_MAX && names_needs_long(enc.len));
	buf_reset(&enc);
	EXPECT(names_encrypt(nkey, diriv, name, 159, &enc) == 0 && !names_needs_long(enc.len));
	EXPECT(enc.len == 235);
	buf_reset(&enc);
	EXPECT(names_encrypt(nkey, diriv, name, 160, &enc) == 0 && names_needs_long(enc.len));
	EXPECT(enc.len == 256);
	buf_release(&enc);
	buf_release(&dec);
}

TEST(names_encrypt_rules_and_determinism)
{
	char big[256];
	uint8_t other[DIRIV_LEN];
	struct buf a, b;

	setup_keys();
	buf_init(&a);
	buf_init(&b);
	memset(big, 'x', sizeof(big));
	EXPECT(names_encrypt(nkey, diriv, big, 256, &a) == -ENAMETOOLONG);
	EXPECT(names_encrypt(nkey, diriv, "..", 2, &a) == -EINVAL);
	EXPECT(names_encrypt(nkey, diriv, "a/b", 3, &a) == -EINVAL);
	EXPECT(names_encrypt(nkey, diriv, "", 0, &a) == -EINVAL);
	EXPECT(a.len == 0);
	EXPECT(names_encrypt(nkey, diriv, "report.pdf", 10, &a) == 0);
	EXPECT(names_encrypt(nkey, diriv, "report.pdf", 10, &b) == 0);
	EXPECT(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	memcpy(other, diriv, DIRIV_LEN);
	other[15] ^= 1;
	buf_reset(&b);
	EXPECT(names_encrypt(nkey, other, "report.pdf", 10, &b) == 0);
	EXPECT(a.len == b.len && memcmp(a.data, b.data, a.len) != 0);
	/* appends: the codec never clobbers what is already in out */
	buf_reset(&b);
	EXPECT(buf_append(&b, "pre", 3) == 0);
	EXPECT(names_decrypt(nkey, diriv, (char *)a.data, a.len, &b) == 0);
	EXPECT(b.len == 13 && memcmp(b.data, "prereport.pdf", 13) == 0 && b.data[13] == 0);
	/* wrong directory IV */
	buf_reset(&b);
	EXPECT(names_decrypt(nkey, other, (char *)a.data, a.len, &b) == -EBADMSG && b.len == 0);
	buf_release(&a);
	buf_release(&b);
}

/* Seal arbitrary padded bytes directly, as a hostile writer with the key could. */
static void seal_raw(const uint8_t *pt, size_t len, struct buf *out)
{
	uint8_t sealed[SIV_TAG_LEN + 64];

	buf_reset(out);
	EXPECT(siv_seal(nkey, diriv, DIRIV_LEN, pt, len, sealed) == 0);
	EXPECT(buf_grow(out, b64url_encoded_len(SIV_TAG_LEN + len) + 1) == 0);
	b64url_encode(sealed, SIV_TAG_LEN + len, (char *)out->data);
	out->len = b64url_encoded_len(SIV_TAG_LEN + len);
}

static const struct {
	const char *pt; /* exactly 16 bytes, or 32 */
	size_t len;
	int ret;
} strict_cases[] = {
	/* 1 */ { "abc\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d", 16, 0 },
	/* 2 */ { "abc\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0c", 16, -EPROTO },
	/* 3 */ { "abc\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x00", 16, -EPROTO },
	/* 4 */ { "abcdefghijklmno\x11", 16, -EPROTO },
	/* 5 */ { "abcdefghijklmnop", 16, -EPROTO },
	/* 6 */ { "\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10", 16, -EPROTO },
	/* 7 */ { "..\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e\x0e", 16, -EPROTO },
	/* 8 */ { ".\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f\x0f", 16, -EPROTO },
	/* 9 */ { "a/b\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d", 16, -EPROTO },
	/* 10 */ { "a\0b\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d\x0d", 16, -EPROTO },
	/* 11 */ { "abcdefghijklmnop\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10\x10",
		   32, 0 },
};

TEST(names_decrypt_is_strict)
{
	struct buf enc, dec;
	size_t i;

	setup_keys();
	buf_init(&enc);
	buf_init(&dec);
	for (i = 0; i < ARRAY_SIZE(strict_cases); i++) {
		seal_raw((const uint8_t *)strict_cases[i].pt, strict_cases[i].len, &enc);
		buf_reset(&dec);
		EXPECTF(names_decrypt(nkey, diriv, (char *)enc.data, enc.len, &dec) ==
				strict_cases[i].ret,
			"row %zu", i + 1);
		if (strict_cases[i].ret)
			EXPECTF(dec.len == 0, "row %zu: nothing appended", i + 1);
	}
	buf_release(&enc);
	buf_release(&dec);
}

static const char *const malformed_enc[] = {
	/* 1 */ "",
	/* 2 */ "a.b",
	/* 3 */ "Zg==",
	/* 4 */ "AAAAAAAAAAAAAAAAAAAAAA",                      /* 16 bytes: tag only */
	/* 5 */ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 35 bytes */
	/* 6 */ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  /* non-canonical tail */
	/* 7 */ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 31 bytes */
};

TEST(names_decrypt_rejects_malformed)
{
	char big[NAMES_ENCODED_MAX + 4];
	struct buf dec, enc;
	size_t i;

	setup_keys();
	buf_init(&dec);
	buf_init(&enc);
	for (i = 0; i < ARRAY_SIZE(malformed_enc); i++)
		EXPECTF(names_decrypt(nkey, diriv, malformed_enc[i], strlen(malformed_enc[i]),
				      &dec) == -EPROTO,
			"row %zu", i + 1);
	memset(big, 'A', sizeof(big));
	EXPECT(names_decrypt(nkey, diriv, big, NAMES_ENCODED_MAX + 1, &dec) == -EPROTO);
	/* 32 well-formed zero bytes that are not a sealed name: authentication fails */
	EXPECT(names_decrypt(nkey, diriv, big, 43, &dec) == -EBADMSG);
	EXPECT(names_encrypt(nkey, diriv, "x", 1, &enc) == 0);
	enc.data[5] = enc.data[5] == 'A' ? 'B' : 'A';
	EXPECT(names_decrypt(nkey, diriv, (char *)enc.data, enc.len, &dec) == -EBADMSG);
	EXPECT(dec.len == 0);
	buf_release(&dec);
	buf_release(&enc);
}

TEST(names_long_names)
{
	char name[NAME_PLAIN_MAX];
	struct buf enc, lname;
	char lower[NAMES_LONG_LEN + 8];

	setup_keys();
	buf_init(&enc);
	buf_init(&lname);
	memset(name, 'L', sizeof(name));
	EXPECT(names_encrypt(nkey, diriv, name, 200, &enc) == 0);
	EXPECT(names_needs_long(enc.len) && !names_needs_long(LOWER_NAME_MAX));
	EXPECT(names_long_name((char *)enc.data, enc.len, &lname) == 0);
	EXPECT(lname.len == NAMES_LONG_LEN && lname.data[lname.len] == 0);
	EXPECT(memcmp(lname.data, "veilfs.lname.", 13) == 0);
	EXPECT(names_is_long((char *)lname.data, lname.len));
	EXPECT(names_is_reserved((char *)lname.data, lname.len));
	EXPECT(names_long_verify((char *)lname.data, lname.len, (char *)enc.data, enc.len) == 0);
	/* side file name, wrong prefix, truncated hash, non-canonical last character */
	memcpy(lower, lname.data, lname.len);
	memcpy(lower + lname.len, ".name", 5);
	EXPECT(!names_is_long(lower, lname.len + 5));
	EXPECT(!names_is_long(lower, lname.len - 1));
	EXPECT(names_long_verify(lower, lname.len + 5, (char *)enc.data, enc.len) == -EPROTO);
	lower[0] = 'V';
	EXPECT(!names_is_long(lower, lname.len));
	lower[0] = 'v';
	lower[lname.len - 1] = lower[lname.len - 1] == 'A' ? 'B' : 'A';
	EXPECT(names_long_verify(lower, lname.len, (char *)enc.data, enc.len) != 0);
	/* a side file that does not hash to the entry, or could not need long storage */
	enc.data[enc.len - 1] ^= 1;
	EXPECT(names_long_verify((char *)lname.data, lname.len, (char *)enc.data, enc.len) ==
	       -EBADMSG);
	EXPECT(names_long_verify((char *)lname.data, lname.len, (char *)enc.data, 255) == -EPROTO);
	EXPECT(names_long_verify((char *)lname.data, lname.len, (char *)enc.data, 0) == -EPROTO);
	buf_release(&enc);
	buf_release(&lname);
}

TEST(names_xattr_names)
{
	char name[XATTR_NAME_PLAIN_MAX + 1];
	struct buf low, dec;

	setup_keys();
	buf_init(&low);
	buf_init(&dec);
	EXPECT(names_xattr_encrypt(nkey, "user.comment", 12, &low) == 0);
	EXPECT(memcmp(low.data, "user.veilfs.", 12) == 0);
	EXPECT(names_xattr_decrypt(nkey, (char *)low.data, low.len, &dec) == 0);
	EXPECT(dec.len == 12 && memcmp(dec.data, "user.comment", 12) == 0);
	memset(name, 'n', sizeof(name));
	buf_reset(&low);
	EXPECT(names_xattr_encrypt(nkey, name, XATTR_NAME_PLAIN_MAX, &low) == 0);
	EXPECT(low.len <= LOWER_NAME_MAX);
	EXPECT(names_xattr_encrypt(nkey, name, XATTR_NAME_PLAIN_MAX + 1, &low) == -ENAMETOOLONG);
	EXPECT(names_xattr_encrypt(nkey, "", 0, &low) == -EINVAL);
	EXPECT(names_xattr_encrypt(nkey, "a\0b", 3, &low) == -EINVAL);
	buf_reset(&dec);
	EXPECT(names_xattr_decrypt(nkey, "user.other", 10, &dec) == -EPROTO);
	EXPECT(names_xattr_decrypt(nkey, "user.veilfs.", 12, &dec) == -EPROTO);
	low.data[low.len - 3] = low.data[low.len - 3] == 'A' ? 'B' : 'A';
	EXPECT(names_xattr_decrypt(nkey, (char *)low.data, low.len, &dec) == -EBADMSG);
	EXPECT(dec.len == 0);
	buf_release(&low);
	buf_release(&dec);
}

static void symlink_roundtrip(enum aead_alg alg)
{
	struct aead_ctx *c = aead_ctx_new(alg);
	struct buf a, b, dec;
	uint8_t key[AEAD_KEY_LEN] = { 9, 8, 7 };
	const char *t = "../some/where else";
	size_t tl = strlen(t);

	EXPECT(c != NULL);
	if (!c)
		return;
	buf_init(&a);
	buf_init(&b);
	buf_init(&dec);
	EXPECT(symlink_target_encrypt(c, key, NULL, t, tl, &a) == 0);
	EXPECT(symlink_target_encrypt(c, key, NULL, t, tl, &b) == 0);
	EXPECT(a.len == b64url_encoded_len(aead_nonce_len(alg) + tl + AEAD_TAG_LEN));
	EXPECT(a.len == b.len && memcmp(a.data, b.data, a.len) != 0); /* fresh nonce */
	EXPECT(symlink_target_decrypt(c, key, (char *)a.data, a.len, &dec) == 0);
	EXPECT(dec.len == tl && memcmp(dec.data, t, tl) == 0 && dec.data[tl] == 0);
	buf_reset(&dec);
	a.data[10] = a.data[10] == 'A' ? 'B' : 'A';
	EXPECT(symlink_target_decrypt(c, key, (char *)a.data, a.len, &dec) == -EBADMSG);
	EXPECT(symlink_target_decrypt(c, key, "a.b", 3, &dec) == -EPROTO);
	EXPECT(symlink_target_decrypt(c, key, "AAAA", 4, &dec) == -EPROTO);
	EXPECT(dec.len == 0);
	buf_release(&a);
	buf_release(&b);
	buf_release(&dec);
	aead_ctx_free(c);
}

TEST(sealed_symlink_targets)
{
	symlink_roundtrip(AEAD_AES256_GCM);
	if (!test_alg_refused(AEAD_XCHACHA20_POLY1305))
		symlink_roundtrip(AEAD_XCHACHA20_POLY1305);
}

TEST(sealed_xattr_values_bind_the_name)
{
	uint8_t key[AEAD_KEY_LEN] = { 1 };
	struct aead_ctx *c;
	struct buf v, dec;

	if (test_alg_refused(AEAD_XCHACHA20_POLY1305))
		return;
	c = aead_ctx_new(AEAD_XCHACHA20_POLY1305);
	EXPECT(c != NULL);
	if (!c)
		return;
	buf_init(&v);
	buf_init(&dec);
	EXPECT(sealed_seal(c, key, NULL, (const uint8_t *)"user.veilfs.AAA", 15,
			   (const uint8_t *)"value", 5, &v) == 0);
	EXPECT(v.len == 24 + 5 + 16);
	EXPECT(sealed_open(c, key, (const uint8_t *)"user.veilfs.AAA", 15, v.data, v.len, &dec) == 0);
	EXPECT(dec.len == 5 && memcmp(dec.data, "value", 5) == 0);
	buf_reset(&dec);
	EXPECT(sealed_open(c, key, (const uint8_t *)"user.veilfs.AAB", 15, v.data, v.len, &dec) ==
	       -EBADMSG);
	EXPECT(sealed_open(c, key, NULL, 0, v.data, 39, &dec) == -EPROTO);
	/* an empty value is legal */
	buf_reset(&v);
	EXPECT(sealed_seal(c, key, NULL, NULL, 0, NULL, 0, &v) == 0 && v.len == 40);
	EXPECT(sealed_open(c, key, NULL, 0, v.data, v.len, &dec) == 0 && dec.len == 0);
	buf_release(&v);
	buf_release(&dec);
	aead_ctx_free(c);
}

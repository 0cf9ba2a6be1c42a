/*
 * Unit tests for keys/: HKDF labels and subkeys, the per-file key, master-key wrap and
 * unwrap (every bound config field makes the unwrap fail), and veilfs.conf on a real
 * temporary directory through the POSIX store; the front-end names and bounds (params.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "crypto/kdf.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "keys/params.h"
#include "store/store.h"
#include "helpers.h"
#include "test.h"

static const uint8_t master_key[MASTER_KEY_LEN] = { 0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 1, 2, 3 };

static void small_config(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->version = CONFIG_VERSION;
	c->cipher = CONFIG_CIPHER_AES256_GCM;
	c->kdf = CONFIG_KDF_ARGON2ID;
	c->block_size = CONFIG_BLOCK_SIZE;
	c->kdf_time = 1;
	c->kdf_memory_kib = 8192;
	c->kdf_lanes = 1;
	memset(c->vault_id, 0x5a, VAULT_ID_LEN);
}

static const char *const want_labels[] = {
	/* 1 */ "veilfs v1 content",
	/* 2 */ "veilfs v1 names",
	/* 3 */ "veilfs v1 xattr names",
	/* 4 */ "veilfs v1 xattr values",
	/* 5 */ "veilfs v1 symlinks",
	/* 6 */ "veilfs v1 file",
	/* 7 */ "veilfs v2 slot keyfile",
	/* 8 */ "veilfs v2 slot recovery",
	/* 9 */ "veilfs v2 slot tpm",
	/* 10 */ "veilfs v2 slot box",
	/* 11 */ "veilfs v2 epoch content",
	/* 12 */ "veilfs v2 epoch check",
	/* 13 */ "veilfs v2 epoch table",
};

TEST(keys_labels_match_format)
{
	size_t i;

	EXPECT(ARRAY_SIZE(want_labels) == KEY_LABEL_COUNT);
	for (i = 0; i < KEY_LABEL_COUNT; i++)
		EXPECTF(key_label_string((enum key_label)i) &&
				strcmp(key_label_string((enum key_label)i), want_labels[i]) == 0,
			"row %zu", i + 1);
	EXPECT(key_label_string(KEY_LABEL_COUNT) == NULL);
}

TEST(keys_subkeys_are_hkdf_of_master)
{
	static const uint8_t vid[VAULT_ID_LEN] = { 1, 2, 3, 4 };
	struct vault_keys *k = vault_keys_new(master_key, vid), *k2;
	uint8_t want[64], id[16] = { 0xf1 }, fk[FILE_KEY_LEN], fk2[FILE_KEY_LEN], info[30];

	EXPECT(k != NULL);
	if (!k)
		return;
	EXPECT(hkdf_sha256(master_key, 32, vid, 16, (const uint8_t *)"veilfs v1 content", 17, want,
			   32) == 0);
	EXPECT_MEM(k->content, want, 32);
	EXPECT(hkdf_sha256(master_key, 32, vid, 16, (const uint8_t *)"veilfs v1 names", 15, want,
			   64) == 0);
	EXPECT_MEM(k->names, want, 64);
	EXPECT(memcmp(k->names, k->xattr_names, 32) != 0);
	EXPECT(memcmp(k->content, k->symlinks, 32) != 0);
	EXPECT(memcmp(k->xattr_values, k->symlinks, 32) != 0);
	/* per-file key: HKDF(content key, no salt, "veilfs v1 file" || file id) */
	memcpy(info, "veilfs v1 file", 14);
	memcpy(info + 14, id, 16);
	EXPECT(hkdf_sha256(k->content, 32, NULL, 0, info, 30, want, 32) == 0);
	EXPECT(keys_file_key(k, id, fk) == 0);
	EXPECT_MEM(fk, want, 32);
	id[15] = 1;
	EXPECT(keys_file_key(k, id, fk2) == 0 && memcmp(fk, fk2, 32) != 0);
	/* the vault id is the HKDF salt: another vault, other keys */
	k2 = vault_keys_new(master_key, master_key);
	EXPECT(k2 && memcmp(k2->content, k->content, 32) != 0);
	vault_keys_free(k2);
	vault_keys_free(k);
	vault_keys_free(NULL);
}

TEST(keys_wrap_unwrap_roundtrip)
{
	struct config c, c2;
	uint8_t out[MASTER_KEY_LEN];

	small_config(&c);
	EXPECT(keys_wrap(&c, master_key, "secret", 6) == 0);
	EXPECT(!test_all_zero(c.salt, CONFIG_SALT_LEN) && !test_all_zero(c.wrap_nonce, 12));
	EXPECT(keys_unwrap(&c, "secret", 6, out) == 0);
	EXPECT_MEM(out, master_key, MASTER_KEY_LEN);
	/* a re-wrap draws a fresh salt and nonce and changes nothing else */
	c2 = c;
	EXPECT(keys_wrap(&c2, master_key, "secret", 6) == 0);
	EXPECT(memcmp(c2.salt, c.salt, CONFIG_SALT_LEN) != 0);
	EXPECT(memcmp(c2.wrap_nonce, c.wrap_nonce, CONFIG_WRAP_NONCE_LEN) != 0);
	EXPECT(memcmp(c2.vault_id, c.vault_id, VAULT_ID_LEN) == 0 && c2.kdf_time == c.kdf_time);
	memset(out, 0xaa, sizeof(out));
	EXPECT(keys_unwrap(&c, "Secret", 6, out) == -EPERM);
	EXPECT(test_all_zero(out, sizeof(out)));
	EXPECT(keys_unwrap(&c, "secret", 5, out) == -EPERM);
	EXPECT(keys_unwrap(&c, "", 0, out) == -EPERM);
}

/* Each row changes one field that the wrap binds (or the wrap's own inputs). */
enum tamper { T_FEATURES, T_CIPHER, T_TIME, T_MEMORY, T_LANES, T_VAULT_ID, T_SALT, T_NONCE,
	      T_WRAPPED_FIRST, T_WRAPPED_TAG };

TEST(keys_unwrap_fails_on_any_bound_change)
{
	static const enum tamper rows[] = {
		/* 1 */ T_FEATURES, /* 2 */ T_CIPHER, /* 3 */ T_TIME, /* 4 */ T_MEMORY,
		/* 5 */ T_LANES, /* 6 */ T_VAULT_ID, /* 7 */ T_SALT, /* 8 */ T_NONCE,
		/* 9 */ T_WRAPPED_FIRST, /* 10 */ T_WRAPPED_TAG,
	};
	struct config c, t;
	uint8_t out[MASTER_KEY_LEN];
	size_t i;

	small_config(&c);
	EXPECT(keys_wrap(&c, master_key, "pw", 2) == 0);
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		t = c;
		switch (rows[i]) {
		case T_FEATURES: t.features ^= CONFIG_FEATURE_PLAINTEXT_NAMES; break;
		case T_CIPHER: t.cipher = CONFIG_CIPHER_XCHACHA20_POLY1305; break;
		case T_TIME: t.kdf_time = 2; break;
		case T_MEMORY: t.kdf_memory_kib = 8193; break;
		case T_LANES: t.kdf_lanes = 2; break;
		case T_VAULT_ID: t.vault_id[15] ^= 1; break;
		case T_SALT: t.salt[0] ^= 1; break;
		case T_NONCE: t.wrap_nonce[11] ^= 0x80; break;
		case T_WRAPPED_FIRST: t.wrapped_key[0] ^= 1; break;
		case T_WRAPPED_TAG: t.wrapped_key[CONFIG_WRAPPED_LEN - 1] ^= 1; break;
		}
		memset(out, 0xaa, sizeof(out));
		EXPECTF(keys_unwrap(&t, "pw", 2, out) == -EPERM, "row %zu", i + 1);
		EXPECTF(test_all_zero(out, sizeof(out)), "row %zu: wiped", i + 1);
	}
	/* an out-of-range field is malformed, reported before any KDF work */
	t = c;
	t.kdf_lanes = 0;
	EXPECT(keys_unwrap(&t, "pw", 2, out) == -EPROTO);
	EXPECT(keys_wrap(&t, master_key, "pw", 2) == -EPROTO);
	EXPECT(keys_unwrap(&c, "pw", 2, out) == 0);
}

TEST(keys_unwrap_refuses_kdf_cost_above_limit)
{
	struct config c, t;
	uint8_t out[MASTER_KEY_LEN];
	uint32_t mem, time;

	keys_get_kdf_limit(&mem, &time);
	EXPECT(mem == KDF_LIMIT_MEMORY_KIB_DEFAULT && time == KDF_LIMIT_TIME_DEFAULT);
	small_config(&c);
	EXPECT(keys_wrap(&c, master_key, "pw", 2) == 0);
	/* the most the format allows (4 GiB x 64 passes): refused without running the KDF,
	 * which could not even allocate its memory here */
	t = c;
	t.kdf_memory_kib = CONFIG_KDF_MEMORY_MAX_KIB;
	t.kdf_time = CONFIG_KDF_TIME_MAX;
	memset(out, 0xaa, sizeof(out));
	EXPECT(keys_unwrap(&t, "pw", 2, out) == -EOVERFLOW);
	EXPECT(test_all_zero(out, sizeof(out)));
	t = c;
	t.kdf_time = KDF_LIMIT_TIME_DEFAULT + 1;
	EXPECT(keys_unwrap(&t, "pw", 2, out) == -EOVERFLOW);
	/* a limit below the config's cost refuses it; raising it lets the unwrap run */
	keys_set_kdf_limit(c.kdf_memory_kib - 1, c.kdf_time);
	EXPECT(keys_unwrap(&c, "pw", 2, out) == -EOVERFLOW);
	keys_set_kdf_limit(c.kdf_memory_kib, c.kdf_time);
	EXPECT(keys_unwrap(&c, "pw", 2, out) == 0);
	EXPECT_MEM(out, master_key, MASTER_KEY_LEN);
	/* malformed stays malformed whatever the limit */
	t = c;
	t.kdf_lanes = 0;
	EXPECT(keys_unwrap(&t, "pw", 2, out) == -EPROTO);
	keys_set_kdf_limit(0, 0);
	keys_get_kdf_limit(&mem, &time);
	EXPECT(mem == KDF_LIMIT_MEMORY_KIB_DEFAULT && time == KDF_LIMIT_TIME_DEFAULT);
}

static void write_raw(const char *dir, const uint8_t *p, size_t n)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/veilfs.conf", dir);
	unlink(path);
	f = fopen(path, "wb");
	EXPECT(f != NULL);
	if (!f)
		return;
	EXPECT(fwrite(p, 1, n, f) == n);
	fclose(f);
}

TEST(config_file_save_load_unlock)
{
	char *dir = test_temp_dir("keys"), path[512];
	struct store *s = NULL;
	struct config c, d;
	struct vault_keys *k = NULL, *want;
	struct stat st;
	uint8_t bytes[CONFIG_SIZE + 1] = { 0 }, big[8192] = { 0 };
	int root;

	EXPECT(dir != NULL);
	if (!dir || store_posix_new(dir, &s, &root) < 0) {
		EXPECT(!"store_posix_new");
		free(dir);
		return;
	}
	EXPECT(config_file_load(s, root, &d) == -ENOENT);
	small_config(&c);
	EXPECT(keys_wrap(&c, master_key, "pw", 2) == 0);
	EXPECT(config_file_save(s, root, &c) == 0);
	snprintf(path, sizeof(path), "%s/veilfs.conf", dir);
	EXPECT(stat(path, &st) == 0 && st.st_size == CONFIG_SIZE && (st.st_mode & 07777) == 0400);
	EXPECT(config_file_load(s, root, &d) == 0 && memcmp(&c, &d, sizeof(c)) == 0);
	/* saving again replaces the read-only file (rename, not open for writing) */
	c.kdf_time = 2;
	EXPECT(keys_wrap(&c, master_key, "pw", 2) == 0);
	EXPECT(config_file_save(s, root, &c) == 0);
	EXPECT(config_file_load(s, root, &d) == 0 && d.kdf_time == 2);
	/* unlock derives the same keys as the master key does */
	want = vault_keys_new(master_key, c.vault_id);
	EXPECT(keys_unlock(s, root, "pw", 2, &d, &k) == 0 && k && want);
	if (k && want)
		EXPECT(memcmp(k, want, sizeof(*k)) == 0);
	vault_keys_free(k);
	vault_keys_free(want);
	k = (struct vault_keys *)1;
	EXPECT(keys_unlock(s, root, "pW", 2, &d, &k) == -EPERM && k == NULL);
	/* malformed files: trailing byte, short, wrong magic, far too big */
	EXPECT(config_encode(&c, bytes) == 0);
	write_raw(dir, bytes, CONFIG_SIZE + 1);
	EXPECT(config_file_load(s, root, &d) == -EPROTO);
	write_raw(dir, bytes, CONFIG_SIZE - 1);
	EXPECT(config_file_load(s, root, &d) == -EPROTO);
	bytes[0] = 'X';
	write_raw(dir, bytes, CONFIG_SIZE);
	EXPECT(config_file_load(s, root, &d) == -EPROTO);
	EXPECT(keys_unlock(s, root, "pw", 2, &d, &k) == -EPROTO && k == NULL);
	write_raw(dir, big, sizeof(big));
	EXPECT(config_file_load(s, root, &d) == -EPROTO);
	store_close(s, root);
	store_free(s);
	test_rm_tree(dir);
	free(dir);
}

/* keys/params.h: the names and bounds front ends use instead of crypto/ and format/. */
TEST(keys_params_names_and_bounds)
{
	static const struct {
		const char *name;
		int r;
		uint8_t cipher;
	} cases[] = {
		/* 1 */ { "aes-256-gcm", 0, CONFIG_CIPHER_AES256_GCM },
		/* 2 */ { "xchacha20-poly1305", 0, CONFIG_CIPHER_XCHACHA20_POLY1305 },
		/* 3 */ { "AES-256-GCM", -EINVAL, 0 },
		/* 4 */ { "", -EINVAL, 0 },
	};
	uint8_t a[32] = { 0 }, b[32] = { 0 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t cipher = 0;
		int r = keys_cipher_parse(cases[i].name, &cipher);

		EXPECTF(r == cases[i].r, "row %zu: %d", i + 1, r);
		if (r == 0) {
			EXPECTF(cipher == cases[i].cipher, "row %zu", i + 1);
			EXPECTF(!strcmp(keys_cipher_name(cipher), cases[i].name), "row %zu", i + 1);
		}
	}
	EXPECT(!strcmp(keys_cipher_name(0), "unknown"));
	EXPECT(!strcmp(keys_kdf_name(CONFIG_KDF_ARGON2ID), "argon2id"));
	EXPECT(!strcmp(keys_kdf_name(0), "unknown"));
	EXPECT_EQ(KEYS_KDF_MEMORY_MIN_KIB, ARGON2_MIN_MEMORY_KIB);
	EXPECT_EQ(KEYS_KDF_MEMORY_MAX_KIB, ARGON2_MAX_MEMORY_KIB);
	EXPECT_EQ(KEYS_KDF_TIME_MIN, ARGON2_MIN_TIME);
	EXPECT_EQ(KEYS_KDF_TIME_MAX, ARGON2_MAX_TIME);
	EXPECT(keys_secret_equal(a, b, sizeof(a)));
	EXPECT(keys_random_secret(a, sizeof(a)) == 0);
	EXPECT(!test_all_zero(a, sizeof(a)));
	EXPECT(!keys_secret_equal(a, b, sizeof(a)));
}

/*
 * Unit tests for version-2 key slots on real temporary directories (vault/admin_slots.c,
 * keys/keyslots.c): a vault of three slot types where each unlocks (vault_open) and
 * derives the same subkeys; add, remove, last slot refused, re-wrap with a new cost;
 * the version-1 -> 2 upgrade keeps every subkey; two threads adding slots at once lose
 * none; typed secrets and recovery-key text.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "base/secmem.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "keys/keyslots.h"
#include "store/store.h"
#include "vault/admin.h"
#include "vault/admin_slots.h"
#include "vault/vault.h"
#include "helpers.h"
#include "test.h"

#define PW "correct horse"

static const uint8_t keyfile[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				     17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31 };
static const uint8_t recovery[32] = { 0xde, 0xad, 0xbe, 0xef, 9, 8, 7, 6, 5, 4, 3, 2, 1 };

static struct vault_slot_new pw_slot(const char *label, const char *pw)
{
	struct vault_slot_new n = { CONFIG_SLOT_PASSWORD, label, (const uint8_t *)pw, strlen(pw),
				    1, 8192, 1 };
	return n;
}

/* A typed secret of type for data (into buf, KEYS_SECRET_OVERHEAD + len bytes). */
static size_t typed(uint8_t type, const uint8_t *data, size_t len, char *buf)
{
	keys_secret_encode(type, data, len, (uint8_t *)buf);
	return len + KEYS_SECRET_OVERHEAD;
}

/* Content and names subkeys of the vault at dir under secret; 0 or -errno. */
static int subkeys(const char *dir, const char *secret, size_t len, uint8_t out[96])
{
	struct vault_keys *k = NULL;
	struct store *s = NULL;
	struct config c;
	int root = -1, r;

	if ((r = store_posix_new(dir, &s, &root)) < 0)
		return r;
	r = keys_unlock(s, root, secret, len, &c, &k);
	if (r == 0) {
		memcpy(out, k->content, 32);
		memcpy(out + 32, k->names, 64);
	}
	vault_keys_free(k);
	(void)store_close(s, root);
	store_free(s);
	return r;
}

static char *make_v2(void)
{
	struct vault_create_params p;
	struct vault_slot_new s[3];
	char *d = test_temp_dir("slots");

	vault_create_params_init(&p);
	s[0] = pw_slot("owner", PW);
	s[1] = (struct vault_slot_new){ CONFIG_SLOT_KEYFILE, "laptop", keyfile, sizeof(keyfile), 0, 0, 0 };
	s[2] = (struct vault_slot_new){ CONFIG_SLOT_RECOVERY, "recovery", recovery,
					sizeof(recovery), 0, 0, 0 };
	if (d && vault_admin_create_v2(d, &p, s, 3) < 0) {
		test_rm_tree(d);
		free(d);
		return NULL;
	}
	return d;
}

TEST(slots_every_type_unlocks_the_same_keys)
{
	struct vault_options o = { 0 };
	struct vault *v = NULL;
	uint8_t k0[96], k1[96], k2[96], bad[32];
	char buf[64];
	struct config_any c;
	char *d = make_v2();
	size_t n;

	if (!EXPECT(d != NULL))
		return;
	EXPECT(vault_admin_load(d, &c) == 0 && c.version == 2 && c.v2.nslots == 3);
	EXPECT(!strcmp(c.v2.slots[1].label, "laptop") && c.v2.slots[1].created > 0);
	EXPECT(subkeys(d, PW, strlen(PW), k0) == 0);
	n = typed(CONFIG_SLOT_KEYFILE, keyfile, sizeof(keyfile), buf);
	EXPECT(subkeys(d, buf, n, k1) == 0);
	n = typed(CONFIG_SLOT_RECOVERY, recovery, sizeof(recovery), buf);
	EXPECT(subkeys(d, buf, n, k2) == 0);
	EXPECT_MEM(k0, k1, 96);
	EXPECT_MEM(k0, k2, 96);
	EXPECT(vault_open(d, buf, n, &o, &v) == 0 && v);
	vault_close(v);
	v = NULL;
	/* wrong secrets of each type */
	EXPECT(subkeys(d, "wrong", 5, k1) == -EPERM);
	memcpy(bad, keyfile, 32);
	bad[0] ^= 1;
	n = typed(CONFIG_SLOT_KEYFILE, bad, sizeof(bad), buf);
	EXPECT(subkeys(d, buf, n, k1) == -EPERM);
	/* the key file's bytes tried as a recovery key: the slot types keep them apart */
	n = typed(CONFIG_SLOT_RECOVERY, keyfile, sizeof(keyfile), buf);
	EXPECT(subkeys(d, buf, n, k1) == -EPERM);
	n = typed(CONFIG_SLOT_KEYFILE, keyfile, 8, buf); /* too short a key file */
	EXPECT(subkeys(d, buf, n, k1) == -EPERM);
	EXPECT(vault_open(d, "wrong", 5, &o, &v) == -EPERM && !v);
	test_rm_tree(d);
	free(d);
}

TEST(slots_add_remove_last_refused)
{
	struct vault_slot_new n = pw_slot("alice", "alice pw");
	struct config_any c;
	uint8_t k[96], k0[96];
	char buf[64], *d = make_v2();
	size_t len;

	if (!EXPECT(d != NULL))
		return;
	EXPECT(subkeys(d, PW, strlen(PW), k0) == 0);
	EXPECT(vault_slot_add(d, "wrong", 5, &n) == -EPERM);
	EXPECT(vault_slot_add(d, PW, strlen(PW), &n) == 0);
	EXPECT(vault_slot_add(d, PW, strlen(PW), &n) == -EEXIST);
	EXPECT(subkeys(d, "alice pw", 8, k) == 0 && memcmp(k, k0, 96) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.nslots == 4);
	/* remove with the key file as authentication */
	len = typed(CONFIG_SLOT_KEYFILE, keyfile, sizeof(keyfile), buf);
	EXPECT(vault_slot_remove(d, buf, len, "owner") == 0);
	EXPECT(subkeys(d, PW, strlen(PW), k) == -EPERM);
	EXPECT(vault_slot_remove(d, buf, len, "nobody") == -ESRCH);
	EXPECT(vault_slot_remove(d, "alice pw", 8, "recovery") == 0);
	EXPECT(vault_slot_remove(d, "alice pw", 8, "laptop") == 0);
	EXPECT(vault_slot_remove(d, "alice pw", 8, "alice") == -EBUSY);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.nslots == 1 &&
	       !strcmp(c.v2.slots[0].label, "alice"));
	EXPECT(subkeys(d, "alice pw", 8, k) == 0 && memcmp(k, k0, 96) == 0);
	test_rm_tree(d);
	free(d);
}

TEST(slots_full_at_16)
{
	struct vault_slot_new n;
	char label[16], *d = make_v2();
	unsigned i;

	if (!EXPECT(d != NULL))
		return;
	n = (struct vault_slot_new){ CONFIG_SLOT_KEYFILE, label, keyfile, sizeof(keyfile), 0, 0, 0 };
	for (i = 3; i < CONFIG_SLOTS_MAX; i++) {
		snprintf(label, sizeof(label), "k%u", i);
		EXPECTF(vault_slot_add(d, PW, strlen(PW), &n) == 0, "slot %u", i);
	}
	snprintf(label, sizeof(label), "k16");
	EXPECT(vault_slot_add(d, PW, strlen(PW), &n) == -ENOSPC);
	test_rm_tree(d);
	free(d);
}

TEST(slots_rewrap_changes_one_slot_and_cost)
{
	struct vault_slot_new n = pw_slot("x", "new pw");
	struct config_any a, b;
	char label[CONFIG_SLOT_LABEL_MAX + 1], buf[64], *d = make_v2();
	uint8_t k[96], k0[96];
	size_t len;

	if (!EXPECT(d != NULL))
		return;
	EXPECT(subkeys(d, PW, strlen(PW), k0) == 0);
	EXPECT(vault_admin_load(d, &a) == 0);
	n.kdf_time = 2;
	n.kdf_memory_kib = 16384;
	EXPECT(vault_slot_rewrap(d, PW, strlen(PW), NULL, &n, label) == 0 && !strcmp(label, "owner"));
	EXPECT(vault_admin_load(d, &b) == 0 && b.v2.nslots == 3);
	EXPECT(b.v2.slots[0].kdf_time == 2 && b.v2.slots[0].kdf_memory_kib == 16384 &&
	       b.v2.slots[0].created == a.v2.slots[0].created);
	EXPECT(memcmp(&a.v2.slots[1], &b.v2.slots[1], sizeof(a.v2.slots[1])) == 0);
	EXPECT(subkeys(d, PW, strlen(PW), k) == -EPERM);
	EXPECT(subkeys(d, "new pw", 6, k) == 0 && memcmp(k, k0, 96) == 0);
	/* a key-file slot is not re-wrapped with a password */
	len = typed(CONFIG_SLOT_KEYFILE, keyfile, sizeof(keyfile), buf);
	EXPECT(vault_slot_rewrap(d, buf, len, NULL, &n, NULL) == -EMEDIUMTYPE);
	EXPECT(vault_slot_rewrap(d, buf, len, "owner", &n, NULL) == 0);
	EXPECT(vault_slot_rewrap(d, buf, len, "none", &n, NULL) == -ESRCH);
	test_rm_tree(d);
	free(d);
}

TEST(slots_upgrade_v1_keeps_keys)
{
	struct vault_create_params p;
	struct vault_slot_new n = pw_slot("bob", "bob pw");
	struct config_any c;
	struct stat st;
	char path[4200], *d = test_temp_dir("slots");
	uint8_t k0[96], k[96];

	if (!EXPECT(d != NULL))
		return;
	vault_create_params_init(&p);
	p.kdf_memory_kib = 8192;
	p.kdf_time = 1;
	p.kdf_lanes = 1;
	EXPECT(vault_admin_create(d, &p, PW, strlen(PW)) == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.version == 1);
	EXPECT(subkeys(d, PW, strlen(PW), k0) == 0);
	EXPECT(vault_slot_add(d, PW, strlen(PW), &n) == -EOPNOTSUPP);
	EXPECT(vault_admin_upgrade(d, "wrong", 5, "owner") == -EPERM);
	EXPECT(vault_admin_load(d, &c) == 0 && c.version == 1);
	/* A crash after the copy (step 1): a version-1 vault with a copy beside it. */
	snprintf(path, sizeof(path), "cp '%s/veilfs.conf' '%s/" CONFIG_V1_BACKUP_FILE "'", d, d);
	EXPECT(system(path) == 0);
	EXPECT(subkeys(d, PW, strlen(PW), k) == 0 && memcmp(k, k0, 96) == 0);
	EXPECT(vault_admin_upgrade(d, PW, strlen(PW), "owner") == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.version == 2 && c.v2.nslots == 1);
	EXPECT(c.v2.slots[0].kdf_time == 1 && c.v2.slots[0].kdf_memory_kib == 8192 &&
	       !strcmp(c.v2.slots[0].label, "owner"));
	snprintf(path, sizeof(path), "%s/" CONFIG_V1_BACKUP_FILE, d);
	EXPECT(stat(path, &st) < 0 && errno == ENOENT);
	snprintf(path, sizeof(path), "%s/veilfs.conf", d);
	EXPECT(stat(path, &st) == 0 && st.st_size == 192 + 113 && (st.st_mode & 0777) == 0400);
	EXPECT(subkeys(d, PW, strlen(PW), k) == 0 && memcmp(k, k0, 96) == 0);
	EXPECT(vault_admin_upgrade(d, PW, strlen(PW), "owner") == -EALREADY);
	EXPECT(vault_slot_add(d, PW, strlen(PW), &n) == 0);
	test_rm_tree(d);
	free(d);
}

struct adder {
	const char *dir;
	int first, r;
};

static void *add_many(void *arg)
{
	struct adder *a = arg;
	char label[16];
	struct vault_slot_new n = { CONFIG_SLOT_KEYFILE, label, keyfile, sizeof(keyfile), 0, 0, 0 };
	int i;

	a->r = 0;
	for (i = 0; i < 6 && a->r == 0; i++) {
		snprintf(label, sizeof(label), "t%d", a->first + i);
		a->r = vault_slot_add(a->dir, PW, strlen(PW), &n);
	}
	return NULL;
}

TEST(slots_concurrent_adds_all_land)
{
	struct adder a = { NULL, 0, -1 }, b = { NULL, 100, -1 };
	struct config_any c;
	pthread_t ta, tb;
	char label[16], *d = make_v2();
	int i;

	if (!EXPECT(d != NULL))
		return;
	a.dir = b.dir = d;
	EXPECT(pthread_create(&ta, NULL, add_many, &a) == 0);
	EXPECT(pthread_create(&tb, NULL, add_many, &b) == 0);
	pthread_join(ta, NULL);
	pthread_join(tb, NULL);
	EXPECT(a.r == 0 && b.r == 0);
	EXPECT(vault_admin_load(d, &c) == 0 && c.v2.nslots == 15);
	for (i = 0; i < 6; i++) {
		snprintf(label, sizeof(label), "t%d", i);
		EXPECTF(config_v2_find_label(&c.v2, label) >= 0, "%s", label);
		snprintf(label, sizeof(label), "t%d", 100 + i);
		EXPECTF(config_v2_find_label(&c.v2, label) >= 0, "%s", label);
	}
	test_rm_tree(d);
	free(d);
}

TEST(slots_typed_secrets_and_recovery_text)
{
	static const char *const bad[] = { "", "00", "zz", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00" };
	uint8_t k[32], k2[32], out[64];
	char text[RECOVERY_TEXT_LEN + 1];
	const uint8_t *data;
	uint8_t type;
	size_t len, i;

	for (i = 0; i < 32; i++)
		k[i] = (uint8_t)(i * 7);
	recovery_key_format(k, text);
	EXPECT(strlen(text) == RECOVERY_TEXT_LEN && text[8] == '-');
	EXPECT(recovery_key_parse(text, strlen(text), k2) == 0 && memcmp(k, k2, 32) == 0);
	text[0] = (char)(text[0] == 'a' ? 'A' : text[0]);
	EXPECT(recovery_key_parse(text, strlen(text), k2) == 0 && memcmp(k, k2, 32) == 0);
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECTF(recovery_key_parse(bad[i], strlen(bad[i]), k2) == -EINVAL, "row %zu", i + 1);
	EXPECT(keys_secret_parse("pw", 2, &type, &data, &len) == 0 &&
	       type == CONFIG_SLOT_PASSWORD && len == 2);
	keys_secret_encode(CONFIG_SLOT_RECOVERY, k, 32, out);
	EXPECT(keys_secret_parse((char *)out, 34, &type, &data, &len) == 0 &&
	       type == CONFIG_SLOT_RECOVERY && len == 32 && !memcmp(data, k, 32));
	EXPECT(keys_secret_parse((char *)out, 33, &type, &data, &len) == -EINVAL);
	out[1] = 9;
	EXPECT(keys_secret_parse((char *)out, 34, &type, &data, &len) == -EINVAL);
}

/*
 * A password slot whose cost is above the unlock limit (a tampered veilfs.conf) is refused
 * before its KDF runs; the key-file slot beside it, which has no KDF cost, still opens.
 */
TEST(slots_password_cost_above_limit_refused)
{
	uint8_t k[96];
	char buf[64];
	char *d = make_v2();
	size_t n;

	if (!EXPECT(d != NULL))
		return;
	keys_set_kdf_limit(4 * 1024, 1); /* below the slot's default cost (64 MiB, 3 passes) */
	EXPECT(subkeys(d, PW, strlen(PW), k) == -EOVERFLOW);
	n = typed(CONFIG_SLOT_KEYFILE, keyfile, sizeof(keyfile), buf);
	EXPECT(subkeys(d, buf, n, k) == 0);
	keys_set_kdf_limit(0, 0); /* back to the defaults */
	EXPECT(subkeys(d, PW, strlen(PW), k) == 0);
	test_rm_tree(d);
	free(d);
}

/*
 * TPM slots without a TPM: the typed secret carries a TCTI string; the wrap under a given
 * slot secret (keyslot_wrap_fixed, as the vectors use it) opens only with that secret's
 * KEK; blobs that do not parse as a sealed object are -EPROTO before any TPM is asked; a
 * TCTI where nothing listens is -ENODEV. The TPM itself is tested against swtpm in
 * tests/cli/keyslots.sh.
 */
TEST(slots_tpm_without_a_tpm)
{
	static const char tcti[] = "swtpm:host=127.0.0.1,port=1";
	uint8_t master[MASTER_KEY_LEN], out[MASTER_KEY_LEN], kek[32], kek2[32], secret[32];
	char buf[300];
	const uint8_t *data;
	static struct config_v2 cfg; /* 10 KiB: not on the stack */
	struct config_v2 *c = &cfg;
	uint8_t type;
	size_t len, i;

	memset(c, 0, sizeof(*c));
	/* tpm2-tss would print its connection failure below on stderr */
	(void)setenv("TSS2_LOG", "all+NONE", 0);
	len = typed(CONFIG_SLOT_TPM, (const uint8_t *)tcti, strlen(tcti), buf);
	EXPECT(keys_secret_parse(buf, len, &type, &data, &len) == 0 && type == CONFIG_SLOT_TPM &&
	       len == strlen(tcti) && !memcmp(data, tcti, len));
	buf[5] = '\0'; /* a NUL inside the TCTI string */
	EXPECT(keys_secret_parse(buf, strlen(tcti) + 2, &type, &data, &len) == -EINVAL);
	memset(buf, 'x', sizeof(buf));
	keys_secret_encode(CONFIG_SLOT_TPM, (const uint8_t *)buf + 2, 256, (uint8_t *)buf);
	EXPECT(keys_secret_parse(buf, 258, &type, &data, &len) == -EINVAL);

	c->cipher = CONFIG_CIPHER_AES256_GCM;
	c->block_size = CONFIG_BLOCK_SIZE;
	c->nslots = 1;
	c->slots[0].type = CONFIG_SLOT_TPM;
	c->slots[0].kdf = CONFIG_SLOT_KDF_HKDF;
	strcpy(c->slots[0].label, "box");
	c->slots[0].tpm_public_len = 4;
	c->slots[0].tpm_private_len = 4;
	memset(c->slots[0].tpm_public, 0xff, 4); /* no TPMT_PUBLIC */
	for (i = 0; i < sizeof(master); i++)
		master[i] = (uint8_t)(7 * i);
	memset(secret, 0x42, sizeof(secret));
	EXPECT(keyslot_wrap_fixed(c, 0, master, secret, sizeof(secret)) == 0);
	EXPECT(keyslot_wrap_fixed(c, 0, master, secret, 31) == -EINVAL);
	EXPECT(keyslot_kek(c, 0, secret, sizeof(secret), kek) == 0);
	secret[0] ^= 1;
	EXPECT(keyslot_kek(c, 0, secret, sizeof(secret), kek2) == 0 && memcmp(kek, kek2, 32));
	/* unwrapping asks the TPM of the secret: the blobs are refused first */
	EXPECT(keyslot_unwrap(c, 0, (const uint8_t *)tcti, strlen(tcti), out) == -EPROTO);
	EXPECT(test_all_zero(out, sizeof(out)));
	len = typed(CONFIG_SLOT_TPM, (const uint8_t *)tcti, strlen(tcti), buf);
	EXPECT(keys_unlock_v2(c, buf, len, out, NULL) == -EPROTO);
	/* a well-formed public area (a keyed-hash object), nothing listening at the TCTI */
	{
		static const uint8_t pub[] = { 0x00, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x52,
					       0x00, 0x00, 0x00, 0x10, 0x00, 0x00 };

		memcpy(c->slots[0].tpm_public, pub, sizeof(pub));
		c->slots[0].tpm_public_len = sizeof(pub);
		EXPECT(keyslot_unwrap(c, 0, (const uint8_t *)tcti, strlen(tcti), out) == -ENODEV);
	}
}

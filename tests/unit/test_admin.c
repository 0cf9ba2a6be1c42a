/*
 * Unit tests for vault/admin.c: init, info and passwd on real temporary directories.
 * Keys are checked through format/ and keys/ directly: a password change must keep the
 * master key and every field but salt, nonce and wrapped key.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "format/config.h"
#include "keys/keys.h"
#include "vault/admin.h"
#include "helpers.h"
#include "test.h"

/* EXPECT_EQ of test.h evaluates its arguments twice: calls go through this instead. */
#define EXPECT_RET(call, want)                                                                     \
	do {                                                                                       \
		long long r_ = (long long)(call);                                                  \
		EXPECTF(r_ == (long long)(want), "%s returned %lld", #call, r_);                   \
	} while (0)

/* Fast KDF cost for tests. */
static void fast_params(struct vault_create_params *p)
{
	vault_create_params_init(p);
	p->kdf_memory_kib = 8 * 1024;
	p->kdf_time = 1;
	p->kdf_lanes = 1;
}

/* Read a whole file (up to max bytes) into out; returns its length or -1. */
static long read_path(const char *dir, const char *name, uint8_t *out, size_t max)
{
	char path[4200];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, out, max);
	close(fd);
	return n;
}

static int write_path(const char *dir, const char *name, const void *p, size_t n)
{
	char path[4200];
	int fd, r = -1;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	if (write(fd, p, n) == (ssize_t)n)
		r = 0;
	close(fd);
	return r;
}

/* veilfs.conf is read-only (0400): replace it rather than open it for writing. */
static int unlink_conf_and_write(const char *dir, const uint8_t *p, size_t n)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/veilfs.conf", dir);
	if (unlink(path) < 0)
		return -1;
	return write_path(dir, "veilfs.conf", p, n);
}

static int load_config(const char *dir, struct config *c)
{
	uint8_t raw[CONFIG_SIZE + 1];
	long n = read_path(dir, "veilfs.conf", raw, sizeof(raw));

	if (n < 0)
		return -1;
	return config_decode(c, raw, (size_t)n);
}

TEST(admin_create_writes_config_and_diriv)
{
	struct vault_create_params p;
	struct vault_info vi;
	struct config c;
	uint8_t raw[64];
	char *d = test_temp_dir("admin");

	EXPECT(d != NULL);
	if (!d)
		return;
	fast_params(&p);
	EXPECT_RET(vault_admin_can_create(d), 0);
	EXPECT_RET(vault_admin_create(d, &p, "secret", 6), 0);
	EXPECT_RET(read_path(d, "veilfs.diriv", raw, sizeof(raw)), 16);
	EXPECT_RET(load_config(d, &c), 0);
	EXPECT_EQ(c.cipher, 1);
	EXPECT_EQ(c.features, 0);
	EXPECT_EQ(c.kdf_memory_kib, 8192);
	EXPECT_RET(vault_admin_info(d, &vi), 0);
	EXPECT_EQ(vi.version, CONFIG_VERSION);
	EXPECT_EQ(vi.cipher, 1);
	EXPECT_EQ(vi.kdf_time, 1);
	EXPECT_EQ(vi.kdf_lanes, 1);
	EXPECT_EQ(vi.block_size, 4096);
	EXPECT_MEM(vi.vault_id, c.vault_id, VAULT_ID_LEN);
	EXPECT_RET(vault_admin_check_password(d, "secret", 6), 0);
	EXPECT_RET(vault_admin_check_password(d, "secreT", 6), -EPERM);
	test_rm_tree(d);
	free(d);
}

TEST(admin_create_plaintext_names_xchacha)
{
	struct vault_create_params p;
	struct vault_info vi;
	uint8_t raw[64];
	char *d = test_temp_dir("admin");

	EXPECT(d != NULL);
	if (!d)
		return;
	fast_params(&p);
	p.plaintext_names = true;
	p.cipher = 2;
	EXPECT_RET(vault_admin_create(d, &p, "pw", 2), 0);
	/* No directory IVs in plaintext-names mode. */
	EXPECT_RET(read_path(d, "veilfs.diriv", raw, sizeof(raw)), -1);
	EXPECT_RET(vault_admin_info(d, &vi), 0);
	EXPECT_EQ(vi.features, CONFIG_FEATURE_PLAINTEXT_NAMES);
	EXPECT_EQ(vi.cipher, 2);
	test_rm_tree(d);
	free(d);
}

TEST(admin_create_refuses_nonempty_and_existing)
{
	struct vault_create_params p;
	uint8_t before[CONFIG_SIZE], after[CONFIG_SIZE];
	char *d = test_temp_dir("admin"), *e = test_temp_dir("admin");

	EXPECT(d && e);
	if (!d || !e)
		return;
	fast_params(&p);
	EXPECT_RET(write_path(e, "somefile", "x", 1), 0);
	EXPECT_RET(vault_admin_can_create(e), -ENOTEMPTY);
	EXPECT_RET(vault_admin_create(e, &p, "pw", 2), -ENOTEMPTY);
	EXPECT_RET(read_path(e, "veilfs.conf", before, sizeof(before)), -1);

	EXPECT_RET(vault_admin_create(d, &p, "pw", 2), 0);
	EXPECT_RET(read_path(d, "veilfs.conf", before, sizeof(before)), CONFIG_SIZE);
	EXPECT_RET(vault_admin_can_create(d), -EEXIST);
	EXPECT_RET(vault_admin_create(d, &p, "other", 5), -EEXIST);
	EXPECT_RET(read_path(d, "veilfs.conf", after, sizeof(after)), CONFIG_SIZE);
	EXPECT_MEM(before, after, CONFIG_SIZE);
	test_rm_tree(d);
	test_rm_tree(e);
	free(d);
	free(e);
}

static const struct {
	uint8_t cipher;
	uint32_t memory_kib, time, lanes;
} bad_params[] = {
	/* 1 */ { 0, 8192, 1, 1 },
	/* 2 */ { 3, 8192, 1, 1 },
	/* 3 */ { 1, 8191, 1, 1 },
	/* 4 */ { 1, 4 * 1024 * 1024 + 1, 1, 1 },
	/* 5 */ { 1, 8192, 0, 1 },
	/* 6 */ { 1, 8192, 65, 1 },
	/* 7 */ { 1, 8192, 1, 0 },
	/* 8 */ { 1, 8192, 1, 17 },
};

TEST(admin_create_rejects_bad_params)
{
	struct vault_create_params p;
	uint8_t raw[16];
	size_t i;
	char *d = test_temp_dir("admin");

	EXPECT(d != NULL);
	if (!d)
		return;
	for (i = 0; i < ARRAY_SIZE(bad_params); i++) {
		fast_params(&p);
		p.cipher = bad_params[i].cipher;
		p.kdf_memory_kib = bad_params[i].memory_kib;
		p.kdf_time = bad_params[i].time;
		p.kdf_lanes = bad_params[i].lanes;
		EXPECTF(vault_admin_create(d, &p, "pw", 2) == -EINVAL, "case %zu", i + 1);
	}
	fast_params(&p);
	EXPECT_RET(vault_admin_create(d, &p, "", 0), -EINVAL);
	/* Nothing was left behind. */
	EXPECT_RET(read_path(d, "veilfs.conf", raw, sizeof(raw)), -1);
	EXPECT_RET(read_path(d, "veilfs.diriv", raw, sizeof(raw)), -1);
	EXPECT_RET(vault_admin_can_create(d), 0);
	test_rm_tree(d);
	free(d);
}

TEST(admin_passwd_keeps_master_key)
{
	struct vault_create_params p;
	struct config c0, c1;
	uint8_t m0[MASTER_KEY_LEN], m1[MASTER_KEY_LEN];
	uint8_t raw0[CONFIG_SIZE], raw1[CONFIG_SIZE];
	char *d = test_temp_dir("admin");

	EXPECT(d != NULL);
	if (!d)
		return;
	fast_params(&p);
	EXPECT_RET(vault_admin_create(d, &p, "old password", 12), 0);
	EXPECT_RET(load_config(d, &c0), 0);
	EXPECT_RET(keys_unwrap(&c0, "old password", 12, m0), 0);
	EXPECT_RET(read_path(d, "veilfs.conf", raw0, sizeof(raw0)), CONFIG_SIZE);

	/* A wrong old password changes nothing. */
	EXPECT_RET(vault_admin_passwd(d, "old passwore", 12, "new", 3), -EPERM);
	EXPECT_RET(read_path(d, "veilfs.conf", raw1, sizeof(raw1)), CONFIG_SIZE);
	EXPECT_MEM(raw0, raw1, CONFIG_SIZE);

	EXPECT_RET(vault_admin_passwd(d, "old password", 12, "new", 3), 0);
	EXPECT_RET(load_config(d, &c1), 0);
	EXPECT_RET(keys_unwrap(&c1, "old password", 12, m1), -EPERM);
	EXPECT_RET(keys_unwrap(&c1, "new", 3, m1), 0);
	EXPECT_MEM(m0, m1, MASTER_KEY_LEN);
	/* Same vault: only salt, nonce and wrapped key differ. */
	EXPECT_MEM(c0.vault_id, c1.vault_id, VAULT_ID_LEN);
	EXPECT_EQ(c0.kdf_memory_kib, c1.kdf_memory_kib);
	EXPECT_EQ(c0.cipher, c1.cipher);
	EXPECT(memcmp(c0.salt, c1.salt, CONFIG_SALT_LEN) != 0);
	EXPECT(memcmp(c0.wrapped_key, c1.wrapped_key, CONFIG_WRAPPED_LEN) != 0);
	EXPECT_RET(vault_admin_check_password(d, "new", 3), 0);
	EXPECT_RET(vault_admin_check_password(d, "old password", 12), -EPERM);
	EXPECT_RET(vault_admin_passwd(d, "new", 3, "", 0), -EINVAL);
	test_rm_tree(d);
	free(d);
}

TEST(admin_info_missing_and_malformed)
{
	struct vault_create_params p;
	struct vault_info vi;
	uint8_t raw[CONFIG_SIZE];
	char *d = test_temp_dir("admin");
	char missing[4200];

	EXPECT(d != NULL);
	if (!d)
		return;
	snprintf(missing, sizeof(missing), "%s/nope", d);
	EXPECT_RET(vault_admin_info(missing, &vi), -ENOENT);
	EXPECT_RET(vault_admin_info(d, &vi), -ENOENT);
	fast_params(&p);
	EXPECT_RET(vault_admin_create(d, &p, "pw", 2), 0);
	EXPECT_RET(read_path(d, "veilfs.conf", raw, sizeof(raw)), CONFIG_SIZE);

	/* Truncated. */
	EXPECT_RET(unlink_conf_and_write(d, raw, CONFIG_SIZE - 1), 0);
	EXPECT_RET(vault_admin_info(d, &vi), -EPROTO);
	EXPECT_RET(vault_admin_passwd(d, "pw", 2, "x", 1), -EPROTO);
	/* Wrong magic. */
	raw[0] ^= 1;
	EXPECT_RET(unlink_conf_and_write(d, raw, CONFIG_SIZE), 0);
	EXPECT_RET(vault_admin_info(d, &vi), -EPROTO);
	raw[0] ^= 1;
	/* A changed KDF parameter is well-formed but no longer unwraps. */
	raw[27] ^= 1; /* kdf memory, still in range */
	EXPECT_RET(unlink_conf_and_write(d, raw, CONFIG_SIZE), 0);
	EXPECT_RET(vault_admin_info(d, &vi), 0);
	EXPECT_RET(vault_admin_check_password(d, "pw", 2), -EPERM);
	test_rm_tree(d);
	free(d);
}

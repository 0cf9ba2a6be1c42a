/*
 * Offline vault administration (init, info, passwd) on an unmounted cipher directory.
 * Owns: choosing the master key and vault id of a new vault, the emptiness check, writing
 * the root directory IV, and re-wrapping on a password change. Leaves the config layout to
 * format/config.c, its atomic I/O to keys/config_file.c, wrapping to keys/ and every call on
 * the directory to store/. Never prints; returns -errno (see admin.h).
 */
#include <stdlib.h>
#include <string.h>
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "format/config.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "names/names.h"
#include "store/store.h"
#include "vault/admin.h"

/* An opened cipher directory: the store and a handle on its root. */
struct admin_dir {
	struct store *store;
	int rootfd;
};

static int admin_dir_open(struct admin_dir *d, const char *path)
{
	d->store = NULL;
	d->rootfd = -1;
	return store_open_dir(path, &d->store, &d->rootfd);
}

static void admin_dir_close(struct admin_dir *d)
{
	/* the root directory handle, only read and used as a parent */
	if (d->store && d->rootfd >= 0)
		(void)store_close(d->store, d->rootfd);
	store_free(d->store);
	d->store = NULL;
	d->rootfd = -1;
}

void vault_create_params_init(struct vault_create_params *p)
{
	memset(p, 0, sizeof(*p));
	p->cipher = AEAD_AES256_GCM;
	p->plaintext_names = false;
	p->kdf_memory_kib = VAULT_DEFAULT_KDF_MEMORY_KIB;
	p->kdf_time = VAULT_DEFAULT_KDF_TIME;
	p->kdf_lanes = VAULT_DEFAULT_KDF_LANES;
}

int vault_create_params_check(const struct vault_create_params *p)
{
	if (!aead_alg_is_valid(p->cipher))
		return -EINVAL;
	if (p->kdf_memory_kib < ARGON2_MIN_MEMORY_KIB || p->kdf_memory_kib > ARGON2_MAX_MEMORY_KIB)
		return -EINVAL;
	if (p->kdf_time < ARGON2_MIN_TIME || p->kdf_time > ARGON2_MAX_TIME)
		return -EINVAL;
	if (p->kdf_lanes < ARGON2_MIN_LANES || p->kdf_lanes > ARGON2_MAX_LANES)
		return -EINVAL;
	/* Argon2 needs at least 8 KiB of memory per lane. */
	if (p->kdf_memory_kib < 8 * p->kdf_lanes)
		return -EINVAL;
	return 0;
}

/* 0 when the directory is empty, -EEXIST when it holds a config, -ENOTEMPTY otherwise. */
static int admin_dir_check_empty(struct admin_dir *d)
{
	struct store_dir *dir = NULL;
	struct store_dirent ent;
	bool has_config = false, has_other = false;
	int r;

	r = store_dir_open(d->store, d->rootfd, &dir);
	if (r < 0)
		return r;
	while ((r = store_dir_next(d->store, dir, &ent)) > 0) {
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (!strcmp(ent.name, CONFIG_FILE_NAME))
			has_config = true;
		else
			has_other = true;
	}
	store_dir_close(d->store, dir);
	if (r < 0)
		return r;
	if (has_config)
		return -EEXIST;
	return has_other ? -ENOTEMPTY : 0;
}

int vault_admin_can_create(const char *path)
{
	struct admin_dir d;
	int r;

	r = admin_dir_open(&d, path);
	if (r < 0)
		return r;
	r = admin_dir_check_empty(&d);
	admin_dir_close(&d);
	return r;
}

int vault_admin_create(const char *path, const struct vault_create_params *p, const char *pw,
		       size_t pwlen)
{
	struct admin_dir d = { NULL, -1 };
	struct config c;
	uint8_t *master = NULL;
	uint8_t diriv[DIRIV_LEN];
	bool wrote_diriv = false;
	int r;

	memset(&c, 0, sizeof(c));
	if ((r = vault_create_params_check(p)) < 0)
		return r;
	if (pwlen == 0)
		return -EINVAL;
	if ((r = admin_dir_open(&d, path)) < 0)
		return r;
	if ((r = admin_dir_check_empty(&d)) < 0)
		goto out;

	r = -ENOMEM;
	master = secmem_alloc(MASTER_KEY_LEN);
	if (!master)
		goto out;
	if ((r = random_bytes(master, MASTER_KEY_LEN)) < 0)
		goto out;

	c.version = CONFIG_VERSION;
	c.features = p->plaintext_names ? CONFIG_FEATURE_PLAINTEXT_NAMES : 0;
	c.cipher = p->cipher;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = p->kdf_time;
	c.kdf_memory_kib = p->kdf_memory_kib;
	c.kdf_lanes = p->kdf_lanes;
	if ((r = random_bytes(c.vault_id, sizeof(c.vault_id))) < 0)
		goto out;
	if ((r = keys_wrap(&c, master, pw, pwlen)) < 0)
		goto out;

	/*
	 * The directory IV first, the config last: the config is what makes the directory a
	 * vault, so a failure in between leaves no half-made vault behind.
	 */
	if (!p->plaintext_names) {
		if ((r = random_bytes(diriv, sizeof(diriv))) < 0)
			goto out;
		/* Not secret: readable by all, like the IVs the vault writes for subdirectories. */
		r = store_write_atomic(d.store, d.rootfd, NAMES_DIRIV_FILE, diriv, sizeof(diriv),
				       0444);
		if (r < 0)
			goto out;
		wrote_diriv = true;
	}
	if ((r = config_file_save(d.store, d.rootfd, &c)) < 0)
		goto out;
	r = 0;
out:
	/* undo: r is reported, and a directory IV without a config is no vault */
	if (r < 0 && wrote_diriv)
		(void)store_unlinkat(d.store, d.rootfd, NAMES_DIRIV_FILE, 0);
	secmem_free(master);
	secure_wipe(&c, sizeof(c));
	admin_dir_close(&d);
	return r;
}

int vault_admin_info(const char *path, struct vault_info *info)
{
	struct admin_dir d;
	struct config_any *any;
	struct config c;
	unsigned i;
	int r;

	memset(info, 0, sizeof(*info));
	if (!(any = malloc(sizeof(*any))))
		return -ENOMEM;
	if ((r = admin_dir_open(&d, path)) < 0)
		goto out_free;
	r = config_any_load(d.store, d.rootfd, any);
	admin_dir_close(&d);
	if (r < 0)
		goto out_free;
	config_any_view(any, &c);
	/* Version 2: the KDF shown is that of the first password slot (`veilfs key list`). */
	for (i = 0; any->version == CONFIG_V2_VERSION && i < any->v2.nslots; i++) {
		if (any->v2.slots[i].type != CONFIG_SLOT_PASSWORD)
			continue;
		c.kdf = CONFIG_KDF_ARGON2ID;
		c.kdf_time = any->v2.slots[i].kdf_time;
		c.kdf_memory_kib = any->v2.slots[i].kdf_memory_kib;
		c.kdf_lanes = any->v2.slots[i].kdf_lanes;
		break;
	}
out_free:
	secure_wipe(any, sizeof(*any));
	free(any);
	if (r < 0)
		return r;
	info->version = c.version;
	info->features = c.features;
	info->cipher = c.cipher;
	info->kdf = c.kdf;
	info->block_size = c.block_size;
	info->kdf_time = c.kdf_time;
	info->kdf_memory_kib = c.kdf_memory_kib;
	info->kdf_lanes = c.kdf_lanes;
	memcpy(info->vault_id, c.vault_id, sizeof(info->vault_id));
	secure_wipe(&c, sizeof(c));
	return 0;
}

int vault_admin_check_password(const char *path, const char *pw, size_t pwlen)
{
	struct admin_dir d;
	struct config_any *c;
	uint8_t *master = NULL;
	int r;

	if (!(c = malloc(sizeof(*c))))
		return -ENOMEM;
	if ((r = admin_dir_open(&d, path)) < 0)
		goto out_free;
	/* Either version; pw may be a typed secret (keys/keyslots.h). */
	if ((r = config_any_load(d.store, d.rootfd, c)) < 0)
		goto out;
	r = -ENOMEM;
	master = secmem_alloc(MASTER_KEY_LEN);
	if (!master)
		goto out;
	r = config_any_unwrap(c, pw, pwlen, master, NULL);
out:
	secmem_free(master);
	admin_dir_close(&d);
out_free:
	secure_wipe(c, sizeof(*c));
	free(c);
	return r < 0 ? r : 0;
}

int vault_admin_passwd_store(struct store *s, int rootfd, const char *oldpw, size_t oldlen,
			     const char *newpw, size_t newlen)
{
	struct config c;
	uint8_t *master = NULL;
	int r;

	memset(&c, 0, sizeof(c));
	if (newlen == 0)
		return -EINVAL;
	if ((r = config_file_load(s, rootfd, &c)) < 0)
		goto out;
	r = -ENOMEM;
	master = secmem_alloc(MASTER_KEY_LEN);
	if (!master)
		goto out;
	if ((r = keys_unwrap(&c, oldpw, oldlen, master)) < 0)
		goto out;
	/* keys_wrap draws a fresh salt and nonce and leaves every other field as it was. */
	if ((r = keys_wrap(&c, master, newpw, newlen)) < 0)
		goto out;
	if ((r = config_file_save(s, rootfd, &c)) < 0)
		goto out;
	r = 0;
out:
	secmem_free(master);
	secure_wipe(&c, sizeof(c));
	return r;
}

int vault_admin_passwd(const char *path, const char *oldpw, size_t oldlen, const char *newpw,
		       size_t newlen)
{
	struct admin_dir d;
	int r;

	if (newlen == 0)
		return -EINVAL;
	if ((r = admin_dir_open(&d, path)) < 0)
		return r;
	r = vault_admin_passwd_store(d.store, d.rootfd, oldpw, oldlen, newpw, newlen);
	admin_dir_close(&d);
	return r;
}

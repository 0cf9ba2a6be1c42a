/*
 * veilfs.conf of either version: one read through store_read_file (bounded), dispatch on
 * the version field after the magic, and atomic saves through store_write_atomic.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/epoch.h"
#include "keys/keyslots.h"
#include "store/store.h"

/* More than the largest config, so trailing bytes read as malformed, not as too big. */
enum { CONFIG_ANY_READ_MAX = 16384 };
static_assert((int)CONFIG_ANY_READ_MAX > (int)CONFIG_V2_SIZE_MAX, "a full config reads whole");

int config_any_load(struct store *s, int rootfd, struct config_any *c)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r, v;

	memset(c, 0, sizeof(*c));
	r = store_read_file(s, rootfd, CONFIG_FILE_NAME, CONFIG_ANY_READ_MAX, &data, &len);
	if (r == -EFBIG)
		return -EPROTO;
	if (r < 0)
		return r;
	v = config_peek_version(data, len);
	if (v == CONFIG_VERSION)
		r = config_decode(&c->v1, data, len);
	else if (v == CONFIG_V2_VERSION)
		r = config_v2_decode(&c->v2, data, len);
	else
		r = -EPROTO;
	free(data);
	if (r == 0)
		c->version = (uint16_t)v;
	return r;
}

int config_v2_save(struct store *s, int rootfd, const char *name, const struct config_v2 *c)
{
	uint8_t bytes[CONFIG_V2_SIZE_MAX];
	int r;

	if ((r = config_v2_encode(c, bytes, sizeof(bytes))) < 0)
		return r;
	return store_write_atomic(s, rootfd, name, bytes, config_v2_size(c), CONFIG_FILE_MODE);
}

int config_any_unwrap(const struct config_any *c, const char *pw, size_t pwlen,
		      uint8_t master[static MASTER_KEY_LEN], int *slot)
{
	const uint8_t *data;
	size_t len;
	uint8_t type;
	int r;

	if (slot)
		*slot = -1;
	if (c->version == CONFIG_V2_VERSION)
		return keys_unlock_v2(&c->v2, pw, pwlen, master, slot);
	if (c->version != CONFIG_VERSION)
		return -EPROTO;
	/* A version-1 vault has one password and nothing else. */
	if (keys_secret_parse(pw, pwlen, &type, &data, &len) < 0 || type != CONFIG_SLOT_PASSWORD) {
		secure_wipe(master, MASTER_KEY_LEN);
		return -EPERM;
	}
	r = keys_unwrap(&c->v1, pw, pwlen, master);
	if (r == 0 && slot)
		*slot = 0;
	return r;
}

int config_any_unlock(const struct config_any *c, const char *pw, size_t pwlen,
		      uint8_t master[static MASTER_KEY_LEN], int *slot,
		      struct epoch_secrets *eps, uint8_t *box_sk)
{
	uint8_t *sk = secmem_alloc(CONFIG_BOX_KEY_LEN);
	int opened = -1, r = -ENOMEM;

	if (eps)
		memset(eps, 0, sizeof(*eps));
	if (!sk)
		goto out;
	if (c->version != CONFIG_V2_VERSION) {
		r = config_any_unwrap(c, pw, pwlen, master, &opened);
		goto out;
	}
	if ((r = keys_unlock_v2_box(&c->v2, pw, pwlen, master, &opened, sk)) < 0)
		goto out;
	if (eps && (r = epoch_secrets_open(&c->v2, (unsigned)opened, sk, eps)) < 0)
		secure_wipe(master, MASTER_KEY_LEN);
out:
	if (slot)
		*slot = r == 0 ? opened : -1;
	if (box_sk) {
		memset(box_sk, 0, CONFIG_BOX_KEY_LEN);
		if (r == 0)
			memcpy(box_sk, sk, CONFIG_BOX_KEY_LEN);
	}
	secmem_free(sk);
	return r;
}

void config_any_view(const struct config_any *c, struct config *out)
{
	if (c->version == CONFIG_VERSION) {
		*out = c->v1;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->version = c->version;
	out->features = c->v2.features & (uint32_t)CONFIG_FEATURES_KNOWN;
	out->cipher = c->v2.cipher;
	out->block_size = c->v2.block_size;
	memcpy(out->vault_id, c->v2.vault_id, VAULT_ID_LEN);
}

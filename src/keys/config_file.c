/*
 * veilfs.conf on the backing store: read through store_read_file with a small limit,
 * written through store_write_atomic (temp file, fsync, rename, directory fsync), and the
 * unlock sequence load -> unwrap -> derive.
 */
#include <stdlib.h>
#include <string.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/epoch.h"
#include "store/store.h"

/* Anything over this is not a config file; read a little more than the exact size so a
 * file with trailing bytes is reported as malformed rather than as too big. */
enum { CONFIG_FILE_READ_MAX = 4096 };

int config_file_load(struct store *s, int rootfd, struct config *c)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int r;

	memset(c, 0, sizeof(*c));
	r = store_read_file(s, rootfd, CONFIG_FILE_NAME, CONFIG_FILE_READ_MAX, &data, &len);
	if (r == -EFBIG)
		return -EPROTO;
	if (r < 0)
		return r;
	r = config_decode(c, data, len);
	free(data);
	return r;
}

int config_file_save(struct store *s, int rootfd, const struct config *c)
{
	uint8_t bytes[CONFIG_SIZE];
	int r;

	if ((r = config_encode(c, bytes)) < 0)
		return r;
	return store_write_atomic(s, rootfd, CONFIG_FILE_NAME, bytes, sizeof(bytes),
				  CONFIG_FILE_MODE);
}

int keys_unlock(struct store *s, int rootfd, const char *pw, size_t pwlen, struct config *c,
		struct vault_keys **keys)
{
	return keys_unlock_box(s, rootfd, pw, pwlen, c, keys, NULL);
}

int keys_unlock_box(struct store *s, int rootfd, const char *pw, size_t pwlen,
		    struct config *c, struct vault_keys **keys, uint8_t *box_sk)
{
	uint8_t *master = secmem_alloc(MASTER_KEY_LEN);
	struct epoch_secrets *eps = epoch_secrets_new();
	struct config_any *any = NULL;
	int r = -ENOMEM;

	*keys = NULL;
	if (!master || !eps)
		goto out;
	memset(c, 0, sizeof(*c));
	any = malloc(sizeof(*any));
	if (!any)
		goto out;
	if ((r = config_any_load(s, rootfd, any)) < 0)
		goto out;
	if ((r = config_any_unlock(any, pw, pwlen, master, NULL, eps, box_sk)) < 0)
		goto out;
	config_any_view(any, c);
	*keys = vault_keys_new(master, c->vault_id);
	r = *keys ? 0 : -ENOMEM;
	if (r == 0 && (r = vault_keys_set_epochs(*keys, c->vault_id, eps)) < 0) {
		vault_keys_free(*keys);
		*keys = NULL;
	}
out:
	epoch_secrets_free(eps);
	if (any)
		secure_wipe(any, sizeof(*any));
	free(any);
	secmem_free(master);
	return r;
}

/*
 * Live pickup of key epochs (vault_internal.h, vault_epoch_refresh): a mounted vault notices
 * that veilfs.conf changed (its size, times or inode, past the lower client's attribute
 * cache when it is distrusted; looked at no more than once a second, except when a file
 * header is created or names an epoch the mount lacks) and takes the content
 * keys of a newer key epoch, opened with the box secret key of the slot that unlocked it.
 * The keys of the epochs it has never go away, so readers need no lock: a content key is
 * written before keys->epoch says it is there.
 */
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/box.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "keys/epoch.h"
#include "store/store.h"
#include "vault/vault_internal.h"

enum { EPOCH_CHECK_INTERVAL_MS = 1000 };

/*
 * The attributes of veilfs.conf now. Over a lower client whose caches the vault distrusts
 * (a shared mode over sshfs, GlusterFS: coord/fresh.c), asked past its attribute cache:
 * sshfs answers a stat from its kernel cache for a second, and a header created meanwhile
 * would be sealed under the epoch just revoked.
 */
static int conf_stat(struct vault *v, struct stat *st)
{
	int fd, r;

	if (v->coord.fresh == COORD_FRESH_NONE)
		return store_fstatat(v->store, v->rootfd, CONFIG_FILE_NAME, st, 0);
	fd = store_openat(v->store, v->rootfd, CONFIG_FILE_NAME,
			  STORE_RDONLY | STORE_NOFOLLOW | STORE_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	r = store_fstat_fresh(v->store, fd, st);
	(void)store_close(v->store, fd); /* read-only: nothing to lose */
	return r;
}

/* True when veilfs.conf looks changed since the last look (and remember what it is now). */
static bool conf_changed(struct vault *v)
{
	struct stat st;

	if (conf_stat(v, &st) < 0)
		return false;
	if (st.st_size == v->conf_st.st_size && st.st_ino == v->conf_st.st_ino &&
	    st.st_mtim.tv_sec == v->conf_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == v->conf_st.st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == v->conf_st.st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == v->conf_st.st_ctim.tv_nsec)
		return false;
	v->conf_st = st;
	return true;
}

/* Index of the slot of c whose box key is this mount's, or -1 (revoked or re-wrapped). */
static int own_slot(const struct config_v2 *c, const uint8_t *sk)
{
	uint8_t pk[CONFIG_BOX_KEY_LEN];
	unsigned i;

	if (box_public_key(sk, pk) < 0)
		return -1;
	for (i = 0; i < c->nslots; i++)
		if ((c->slots[i].box_flags & CONFIG_SLOT_HAS_BOX_KEY) &&
		    !memcmp(c->slots[i].box_pk, pk, sizeof(pk)))
			return (int)i;
	return -1;
}

/* Take the epochs of c newer than the mount's. */
static void take_epochs(struct vault *v, const struct config_v2 *c)
{
	struct epoch_secrets *eps = epoch_secrets_new();
	uint32_t had = vault_keys_epoch(v->keys);
	int i, r = -ENOMEM;

	if (!eps)
		goto out;
	if ((i = own_slot(c, v->box_sk)) < 0) {
		if (!v->epoch_warned)
			log_warn("key epoch %u of '%s' is not open to this mount's slot (revoked "
				    "or re-wrapped): new files stay under key epoch %u",
				    (unsigned)c->key_epoch, CONFIG_FILE_NAME, (unsigned)had);
		v->epoch_warned = true;
		r = 0;
		goto out;
	}
	if ((r = epoch_secrets_open(c, (unsigned)i, v->box_sk, eps)) < 0)
		goto out;
	if ((r = vault_keys_set_epochs(v->keys, c->vault_id, eps)) < 0)
		goto out;
	log_info("picked up key epoch %u (was %u)", (unsigned)c->key_epoch, (unsigned)had);
out:
	if (r < 0)
		log_error("cannot take key epoch %u of '%s': %s", (unsigned)c->key_epoch,
			  CONFIG_FILE_NAME, strerror(-r));
	epoch_secrets_free(eps);
}

void vault_epoch_refresh(struct vault *v, bool force)
{
	struct config_any *c = NULL;
	uint64_t now = clock_mono_ms();
	int r;

	if (!v->box_sk)
		return;
	pthread_mutex_lock(&v->epoch_lock);
	if (!force && now - v->epoch_checked_ms < EPOCH_CHECK_INTERVAL_MS)
		goto out;
	v->epoch_checked_ms = now;
	if (!conf_changed(v))
		goto out;
	if (!(c = malloc(sizeof(*c))))
		goto out;
	if ((r = config_any_load(v->store, v->rootfd, c)) < 0) {
		log_warn("cannot reload '%s': %s", CONFIG_FILE_NAME, strerror(-r));
		goto out;
	}
	if (c->version == CONFIG_V2_VERSION && c->v2.key_epoch > vault_keys_epoch(v->keys) &&
	    !memcmp(c->v2.vault_id, v->config.vault_id, VAULT_ID_LEN))
		take_epochs(v, &c->v2);
out:
	pthread_mutex_unlock(&v->epoch_lock);
	if (c)
		secure_wipe(c, sizeof(*c));
	free(c);
}

uint32_t vault_key_epoch(const struct vault *v)
{
	return vault_keys_epoch(v->keys);
}

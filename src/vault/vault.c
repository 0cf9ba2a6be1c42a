/*
 * Vault lifecycle: unlocking a cipher directory (config + password -> subkeys), the root
 * vnode, the pool of AEAD contexts, and closing. The node table lives in nodes.c; every
 * file and directory operation lives in its own vault_*.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/log.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "format/config_v2.h"
#include "keys/config_file.h"
#include "vault/vault_internal.h"

struct aead_ctx *vault_aead_get(struct vault *v)
{
	struct aead_ctx *c = NULL;

	pthread_mutex_lock(&v->pool.lock);
	if (v->pool.nfree)
		c = v->pool.free[--v->pool.nfree];
	pthread_mutex_unlock(&v->pool.lock);
	return c ? c : aead_ctx_new(v->alg);
}

void vault_aead_put(struct vault *v, struct aead_ctx *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&v->pool.lock);
	if (v->pool.nfree < VAULT_AEAD_POOL_MAX) {
		v->pool.free[v->pool.nfree++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&v->pool.lock);
	aead_ctx_free(c);
}

static void pool_release(struct aead_pool *p)
{
	while (p->nfree)
		aead_ctx_free(p->free[--p->nfree]);
	pthread_mutex_destroy(&p->lock);
}

/*
 * Check the selected shared mode and set up cross-client coordination (client id for lock
 * files, lease default). -EINVAL for AUTO: the front end resolves it.
 */
static int vault_setup_coord(struct vault *v)
{
	enum coord_mode mode;

	switch (v->opts.shared) {
	case VAULT_SHARED_OFF:
		mode = COORD_OFF;
		break;
	case VAULT_SHARED_LOCKS:
		mode = COORD_LOCKS;
		break;
	case VAULT_SHARED_LOCKFILES:
		mode = COORD_LOCKFILES;
		break;
	case VAULT_SHARED_AUTO: /* the front end picks LOCKS or LOCKFILES */
	default:
		return -EINVAL;
	}
	return coord_init(&v->coord, v->store, v->rootfd, mode, (enum coord_fresh)v->opts.fresh,
			  v->opts.lock_lease_ms);
}

static int vault_setup_config(struct vault *v, const struct config *c)
{
	int r;

	/* A version-2 view (keys/config_any.h) carries only the vault-wide fields. */
	if (c->version != CONFIG_V2_VERSION && (r = config_validate(c)) < 0)
		return r;
	if (c->block_size != CONFIG_BLOCK_SIZE || (c->features & ~(uint32_t)CONFIG_FEATURES_KNOWN))
		return -EPROTO;
	v->config = *c;
	v->alg = (enum aead_alg)c->cipher;
	v->nonce_len = aead_nonce_len(v->alg);
	if (!v->nonce_len)
		return -EPROTO;
	block_geom_init(&v->geom, c->block_size, (uint32_t)v->nonce_len);
	v->plaintext_names = (c->features & CONFIG_FEATURE_PLAINTEXT_NAMES) != 0;
	return 0;
}

static int vault_make_root(struct vault *v)
{
	struct stat st;
	int fd, r;

	fd = store_openat(v->store, v->rootfd, ".", STORE_RDONLY | STORE_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	if ((r = nodes_get_fd(v, fd, ".", &v->root, &st)) < 0)
		return r;
	return 0;
}

static void vault_free(struct vault *v)
{
	if (v->root)
		vnode_unref(v, v->root);
	nodes_release(v);
	vault_xattr_names_release(v);
	vault_keys_free(v->keys);
	secmem_free(v->box_sk);
	pthread_mutex_destroy(&v->epoch_lock);
	pool_release(&v->pool);
	pthread_mutex_destroy(&v->table_lock);
	secure_wipe(&v->config, sizeof(v->config));
	free(v);
}

int vault_open_keys(struct store *s, int rootfd, const struct config *c, struct vault_keys *keys,
		    const struct vault_options *opts, struct vault **out)
{
	struct vault *v;
	int r;

	*out = NULL;
	v = calloc(1, sizeof(*v));
	if (!v) {
		vault_keys_free(keys);
		return -ENOMEM;
	}
	v->keys = keys;
	v->store = s;
	v->rootfd = rootfd;
	v->opts = *opts;
	pthread_mutex_init(&v->table_lock, NULL);
	pthread_mutex_init(&v->pool.lock, NULL);
	pthread_mutex_init(&v->epoch_lock, NULL);
	if ((r = vault_setup_config(v, c)) < 0 || (r = vault_setup_coord(v)) < 0)
		goto fail;
	if ((r = nodes_init(v)) < 0 || (r = vault_make_root(v)) < 0)
		goto fail;
	*out = v;
	return 0;
fail:
	/* the caller keeps s and rootfd */
	v->store = NULL;
	vault_free(v);
	return r;
}

int vault_open_store(struct store *s, int rootfd, const char *password, size_t pwlen,
		     const struct vault_options *opts, struct vault **out)
{
	struct vault_keys *keys = NULL;
	uint8_t *sk = secmem_alloc(CONFIG_BOX_KEY_LEN);
	struct config c;
	int r;

	*out = NULL;
	if (!sk)
		return -ENOMEM;
	if ((r = keys_unlock_box(s, rootfd, password, pwlen, &c, &keys, sk)) < 0) {
		if (r == -EPROTO)
			log_error("cannot load '%s': malformed or unsupported", CONFIG_FILE_NAME);
		secmem_free(sk);
		return r;
	}
	r = vault_open_keys(s, rootfd, &c, keys, opts, out);
	if (r == 0 && c.version == CONFIG_V2_VERSION) {
		/* kept for the life of the mount, to open later key epochs */
		(*out)->box_sk = sk;
		(void)store_fstatat(s, rootfd, CONFIG_FILE_NAME, &(*out)->conf_st, 0);
		(*out)->epoch_checked_ms = clock_mono_ms();
		sk = NULL;
	}
	secure_wipe(&c, sizeof(c));
	secmem_free(sk);
	return r;
}

int vault_open(const char *cipherdir, const char *password, size_t pwlen,
	       const struct vault_options *opts, struct vault **out)
{
	struct store *s = NULL;
	int rootfd = -1, r;

	*out = NULL;
	if ((r = store_open_dir(cipherdir, &s, &rootfd)) < 0)
		return r;
	r = vault_open_store(s, rootfd, password, pwlen, opts, out);
	if (r < 0) {
		(void)s->ops->close(s->ctx, rootfd);
		store_free(s);
	}
	return r;
}

void vault_close(struct vault *v)
{
	struct store *s;
	int rootfd;

	if (!v)
		return;
	s = v->store;
	rootfd = v->rootfd;
	vault_free(v);
	if (s) {
		(void)s->ops->close(s->ctx, rootfd);
		store_free(s);
	}
}

struct vnode *vault_root(struct vault *v)
{
	vnode_ref(v->root);
	return v->root;
}

void vnode_ref(struct vnode *n)
{
	atomic_fetch_add(&n->refs, 1);
}

uint64_t vnode_ino(const struct vnode *n)
{
	return n->ino;
}

mode_t vnode_type(const struct vnode *n)
{
	return n->type;
}

struct coord *vault_coord(struct vault *v)
{
	return &v->coord;
}

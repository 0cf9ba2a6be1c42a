/*
 * Symlink targets (docs/FORMAT.md, "Symlink targets"): inline or out of line, both in
 * link_target.c; this file supplies the vault's store, root, key and AEAD context, and
 * the plaintext length for st_size.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "vault/link_target.h"
#include "vault/vault_internal.h"

_Static_assert(sizeof(((struct link_probe *)0)->lower) == LINK_MARKER_LEN + 1,
	       "struct link_probe holds a marker");

static struct link_ctx link_ctx_of(struct vault *v, struct aead_ctx *c)
{
	struct link_ctx l = { v->store, v->rootfd, c, v->keys->symlinks };

	return l;
}

int vault_link_encrypt(struct vault *v, const char *target, struct buf *out, bool *blob)
{
	struct aead_ctx *c = vault_aead_get(v);
	struct link_ctx l;
	int r;

	*blob = false;
	if (!c)
		return -ENOMEM;
	l = link_ctx_of(v, c);
	r = link_target_seal(&l, target, out, blob);
	vault_aead_put(v, c);
	return r;
}

int vault_link_decrypt(struct vault *v, const char *enc, size_t len, struct buf *out)
{
	struct aead_ctx *c = vault_aead_get(v);
	struct link_ctx l;
	int r;

	if (!c)
		return -ENOMEM;
	l = link_ctx_of(v, c);
	r = link_target_open(&l, enc, len, out);
	vault_aead_put(v, c);
	return r;
}

int vault_link_forget(struct vault *v, const char *enc, size_t len)
{
	struct link_ctx l = link_ctx_of(v, NULL); /* removing needs no key */

	return link_target_remove(&l, enc, len);
}

bool vault_link_probe(struct vault *v, int dirfd, const char *lname, struct link_probe *p)
{
	char id[LINK_ID_LEN + 1];
	struct stat st;
	ssize_t n;

	p->last = false;
	n = store_readlinkat(v->store, dirfd, lname, p->lower, sizeof(p->lower));
	if (n <= 0 || !link_target_is_marker(p->lower, (size_t)n, id))
		return false; /* not a symlink (-EINVAL), or an inline target: nothing to do */
	if (store_fstatat(v->store, dirfd, lname, &st, STORE_AT_NOFOLLOW) < 0 || !S_ISLNK(st.st_mode))
		return false;
	p->lower[LINK_MARKER_LEN] = '\0';
	p->ino = (uint64_t)st.st_ino;
	p->last = st.st_nlink == 1;
	return p->last;
}

void vault_link_drop(struct vault *v, const struct link_probe *p)
{
	int r;

	if (p->last && (r = vault_link_forget(v, p->lower, LINK_MARKER_LEN)) < 0 && r != -ENOENT)
		log_warn("cannot remove the target blob '%s' of a removed symlink: %s", p->lower,
			 strerror(-r));
}

/* st_size of an out-of-line target: its blob's size less nonce and tag. */
static uint64_t blob_plain_len(struct vault *v, struct vnode *n, uint64_t enclen)
{
	char lower[LINK_MARKER_LEN + 1], id[LINK_ID_LEN + 1];
	struct aead_ctx *c;
	struct link_ctx l;
	uint64_t len = enclen;
	ssize_t got;

	if (!n || n->fd < 0)
		return enclen;
	got = store_readlinkat(v->store, n->fd, "", lower, sizeof(lower));
	if (got < 0 || !link_target_is_marker(lower, (size_t)got, id) || !(c = vault_aead_get(v)))
		return enclen;
	l = link_ctx_of(v, c);
	if (link_target_blob_len(&l, id, &len) < 0)
		len = enclen; /* readlink will say what is wrong */
	vault_aead_put(v, c);
	return len;
}

uint64_t vault_link_plain_len(struct vault *v, struct vnode *n, uint64_t enclen)
{
	uint64_t raw = enclen * 3 / 4, over = v->nonce_len + AEAD_TAG_LEN;

	if (enclen == LINK_MARKER_LEN)
		return blob_plain_len(v, n, enclen);
	return raw > over ? raw - over : 0;
}

/*
 * Symlink targets (docs/FORMAT.md, "Symlink targets"): the codec is names/sealed.c; this
 * file supplies the vault's key and AEAD context, and the plaintext length for st_size.
 */
#include <errno.h>
#include <string.h>
#include "names/sealed.h"
#include "vault/vault_internal.h"

int vault_link_encrypt(struct vault *v, const char *target, struct buf *out)
{
	struct aead_ctx *c = vault_aead_get(v);
	int r;

	if (!c)
		return -ENOMEM;
	r = symlink_target_encrypt(c, v->keys->symlinks, NULL, target, strlen(target), out);
	vault_aead_put(v, c);
	return r;
}

int vault_link_decrypt(struct vault *v, const char *enc, size_t len, struct buf *out)
{
	struct aead_ctx *c = vault_aead_get(v);
	size_t start = out->len;
	int r;

	if (!c)
		return -ENOMEM;
	r = symlink_target_decrypt(c, v->keys->symlinks, enc, len, out);
	vault_aead_put(v, c);
	if (r == 0 && memchr(out->data + start, '\0', out->len - start))
		r = -EPROTO;
	return r;
}

uint64_t vault_link_plain_len(const struct vault *v, uint64_t enclen)
{
	uint64_t raw = enclen * 3 / 4, over = v->nonce_len + AEAD_TAG_LEN;

	return raw > over ? raw - over : 0;
}

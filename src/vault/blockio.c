/*
 * The block layer: sealing and opening one content block (docs/FORMAT.md, "Content
 * blocks") with the per-file key, its associated data (file id, block number, final flag)
 * and a fresh random nonce per write. Hole detection lives here too. No I/O: vault_file.c
 * moves the bytes.
 */
#include <errno.h>
#include <string.h>
#include "base/log.h"
#include "crypto/kdf.h"
#include "vault/vault_internal.h"

int blockio_open(struct blockio *b, uint64_t n, bool final, const uint8_t *stored,
		 size_t storedlen, uint8_t *plain, size_t *plainlen)
{
	const struct block_geom *g = &b->v->geom;
	uint8_t ad[BLOCK_AD_LEN];
	char what[VAULT_WHAT_MAX];
	int r;

	*plainlen = 0;
	if (!final && storedlen == g->cipher_size && block_is_hole(stored, storedlen)) {
		memset(plain, 0, g->plain_size);
		*plainlen = g->plain_size;
		return 0;
	}
	if (storedlen <= g->overhead || storedlen > g->cipher_size ||
	    (!final && storedlen != g->cipher_size)) {
		vnode_name(b->v, b->n, what, sizeof(what));
		log_error("malformed block %llu of '%s' (%zu bytes)", (unsigned long long)n, what,
			  storedlen);
		return -EPROTO;
	}
	block_ad(ad, b->file_id, n, final);
	r = aead_open(b->aead, b->key, stored, ad, sizeof(ad), stored + g->nonce_len,
		      storedlen - g->nonce_len, plain);
	if (r < 0) {
		vnode_name(b->v, b->n, what, sizeof(what));
		log_error("cannot authenticate block %llu of '%s': %s", (unsigned long long)n, what,
			  strerror(-r));
		return r;
	}
	*plainlen = storedlen - g->overhead;
	return 0;
}

int blockio_seal(struct blockio *b, uint64_t n, bool final, const uint8_t *plain,
		 size_t plainlen, uint8_t *out)
{
	const struct block_geom *g = &b->v->geom;
	uint8_t ad[BLOCK_AD_LEN];
	int r;

	CHECK(plainlen > 0 && plainlen <= g->plain_size);
	if (b->nonces_left > 0) {
		memcpy(out, b->nonces, g->nonce_len);
		b->nonces += g->nonce_len;
		b->nonces_left--;
	} else if ((r = random_bytes(out, g->nonce_len)) < 0) {
		return r;
	}
	block_ad(ad, b->file_id, n, final);
	return aead_seal(b->aead, b->key, out, ad, sizeof(ad), plain, plainlen,
			 out + g->nonce_len);
}

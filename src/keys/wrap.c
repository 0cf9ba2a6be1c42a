/*
 * Master-key wrap (docs/FORMAT.md, "Key wrap"): KEK = Argon2id(password, salt, cost from
 * the config), wrapped = AES-256-GCM(KEK, wrap nonce, AD = config bytes [0, 92), master).
 * Binding the encoded bytes makes any change to the KDF parameters, cipher, features or
 * vault id fail the unwrap. The KEK lives in secmem and is wiped before return.
 */
#include <string.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "keys/keys.h"
#include "keys/keys_internal.h"

static int derive_kek(const struct config *c, const char *pw, size_t pwlen, uint8_t *kek)
{
	return argon2id_derive(pw, pwlen, c->salt, CONFIG_SALT_LEN, c->kdf_time,
			       c->kdf_memory_kib, c->kdf_lanes, kek, AEAD_KEY_LEN);
}

/* Run one AES-256-GCM seal (enc) or open (!enc) of the master key under c. */
static int wrap_op(const struct config *c, const char *pw, size_t pwlen, bool enc,
		   const uint8_t *in, uint8_t *out)
{
	uint8_t ad[CONFIG_SIZE];
	struct aead_ctx *a = NULL;
	uint8_t *kek = secmem_alloc(AEAD_KEY_LEN);
	int r = -ENOMEM;

	if (!kek || !(a = aead_ctx_new(AEAD_AES256_GCM)))
		goto out;
	/* Encoding validates c too: a bad field is -EPROTO, before any KDF work. */
	if ((r = config_encode(c, ad)) < 0)
		goto out;
	if ((r = derive_kek(c, pw, pwlen, kek)) < 0)
		goto out;
	if (enc)
		r = aead_seal(a, kek, c->wrap_nonce, ad, CONFIG_AD_LEN, in, MASTER_KEY_LEN, out);
	else
		r = aead_open(a, kek, c->wrap_nonce, ad, CONFIG_AD_LEN, in, CONFIG_WRAPPED_LEN,
			      out);
out:
	aead_ctx_free(a);
	secmem_free(kek);
	return r;
}

int keys_wrap_fixed(struct config *c, const uint8_t master[static MASTER_KEY_LEN],
		    const char *password, size_t pwlen)
{
	uint8_t wrapped[CONFIG_WRAPPED_LEN];
	int r;

	if ((r = wrap_op(c, password, pwlen, true, master, wrapped)) < 0)
		return r;
	memcpy(c->wrapped_key, wrapped, CONFIG_WRAPPED_LEN);
	return 0;
}

int keys_wrap(struct config *c, const uint8_t master[static MASTER_KEY_LEN], const char *password,
	      size_t pwlen)
{
	int r;

	if ((r = config_validate(c)) < 0)
		return r;
	if ((r = random_bytes(c->salt, CONFIG_SALT_LEN)) < 0)
		return r;
	if ((r = random_bytes(c->wrap_nonce, CONFIG_WRAP_NONCE_LEN)) < 0)
		return r;
	return keys_wrap_fixed(c, master, password, pwlen);
}

static uint32_t limit_memory_kib = KDF_LIMIT_MEMORY_KIB_DEFAULT;
static uint32_t limit_time = KDF_LIMIT_TIME_DEFAULT;

void keys_set_kdf_limit(uint32_t memory_kib, uint32_t time)
{
	limit_memory_kib = memory_kib ? memory_kib : KDF_LIMIT_MEMORY_KIB_DEFAULT;
	limit_time = time ? time : KDF_LIMIT_TIME_DEFAULT;
}

void keys_get_kdf_limit(uint32_t *memory_kib, uint32_t *time)
{
	*memory_kib = limit_memory_kib;
	*time = limit_time;
}

/* A failed tag is a wrong password or a tampered config: report both as -EPERM. */
int keys_unwrap(const struct config *c, const char *password, size_t pwlen,
		uint8_t master[static MASTER_KEY_LEN])
{
	int r;

	secure_wipe(master, MASTER_KEY_LEN);
	/* a malformed config stays -EPROTO; a valid but too costly one is refused here,
	 * before derive_kek() allocates its memory */
	if ((r = config_validate(c)) < 0)
		return r;
	if (c->kdf_memory_kib > limit_memory_kib || c->kdf_time > limit_time)
		return -VEIL_EKDFLIMIT;
	r = wrap_op(c, password, pwlen, false, c->wrapped_key, master);

	if (r < 0)
		secure_wipe(master, MASTER_KEY_LEN);
	return r == -EBADMSG ? -EPERM : r;
}

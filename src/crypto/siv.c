/*
 * AES-256-SIV (RFC 5297) for file names and xattr names, via OpenSSL's "AES-256-SIV"
 * provider cipher. The cipher object is fetched once per process (pthread_once) and
 * shared.
 *
 * Keying an SIV context is the expensive part (it fetches CMAC and CTR implementations and
 * derives the CMAC subkeys), and names are sealed and opened one at a time, so each thread
 * keeps a small cache of keyed template contexts (SIV_SLOTS keys, one encrypt and one
 * decrypt template each). A call copies the matching template into the thread's work
 * context (one SIV operation per keying, as OpenSSL requires) instead of keying afresh.
 * Nothing is shared between threads, so the functions stay thread-safe. The cache, with
 * its key copies, lives in secure memory (secmem: locked, not in core dumps, wiped on
 * free); the keyed contexts themselves are OpenSSL's heap objects. A replaced slot's
 * key copy is wiped and its contexts freed (OpenSSL cleanses their key schedules); a
 * thread's cache is freed the same way when the thread exits.
 *
 * S2V takes a vector of associated-data strings (RFC 5297 section 2.4). veilfs binds at
 * most one: the directory IV for names, nothing for xattr names. adlen == 0 means "no
 * component" (not one empty component); OpenSSL adds one component per
 * EVP_CipherUpdate(out = NULL) call.
 */
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/crypto_internal.h"
#include "crypto/siv.h"

enum { SIV_SLOTS = 2 };

struct siv_slot {
	EVP_CIPHER_CTX *enc, *dec; /* keyed with key, never used directly */
	uint64_t used;             /* last use (tls->clock), 0 = empty */
	uint8_t key[SIV_KEY_LEN];
};

struct siv_tls {
	EVP_CIPHER_CTX *work;
	uint64_t clock;
	struct siv_slot slot[SIV_SLOTS];
};

static pthread_once_t siv_once = PTHREAD_ONCE_INIT;
/* Fetched once and kept for the life of the process. */
static EVP_CIPHER *siv_cipher;
static pthread_key_t siv_tls_key;
static int siv_tls_ok;

static void siv_slot_clear(struct siv_slot *s)
{
	EVP_CIPHER_CTX_free(s->enc);
	EVP_CIPHER_CTX_free(s->dec);
	s->enc = s->dec = NULL;
	s->used = 0;
	secure_wipe(s->key, sizeof(s->key));
}

static void siv_tls_free(void *p)
{
	struct siv_tls *t = p;

	if (!t)
		return;
	for (size_t i = 0; i < SIV_SLOTS; i++)
		siv_slot_clear(&t->slot[i]);
	EVP_CIPHER_CTX_free(t->work);
	secmem_free(t);
}

static void siv_fetch(void)
{
	siv_cipher = EVP_CIPHER_fetch(NULL, "AES-256-SIV", NULL);
	siv_tls_ok = pthread_key_create(&siv_tls_key, siv_tls_free) == 0;
}

static const EVP_CIPHER *siv_get(void)
{
	if (pthread_once(&siv_once, siv_fetch) != 0)
		return NULL;
	return siv_cipher;
}

/* This thread's cache, created on first use; NULL on failure. */
static struct siv_tls *siv_tls_get(void)
{
	struct siv_tls *t;

	if (!siv_get() || !siv_tls_ok)
		return NULL;
	t = pthread_getspecific(siv_tls_key);
	if (t)
		return t;
	t = secmem_alloc(sizeof(*t)); /* zeroed */
	if (!t)
		return NULL;
	t->work = EVP_CIPHER_CTX_new();
	if (!t->work || pthread_setspecific(siv_tls_key, t) != 0) {
		siv_tls_free(t);
		return NULL;
	}
	return t;
}

bool siv_keeps_thread_cache(void)
{
	return true;
}

const void *siv_thread_cache(void)
{
	return siv_tls_ok ? pthread_getspecific(siv_tls_key) : NULL;
}

/*
 * Leaves in t->work a fresh context keyed with key for one operation (enc != 0: encrypt).
 * Returns 0, -ENOMEM or -EIO.
 */
static int siv_prepare(const uint8_t *key, int enc, EVP_CIPHER_CTX **out)
{
	struct siv_tls *t = siv_tls_get();
	struct siv_slot *s = NULL;

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < SIV_SLOTS; i++) {
		if (t->slot[i].used && CRYPTO_memcmp(t->slot[i].key, key, SIV_KEY_LEN) == 0) {
			s = &t->slot[i];
			break;
		}
	}
	if (!s) {
		/* Replace the least recently used (or an empty) slot. */
		s = &t->slot[0];
		for (size_t i = 1; i < SIV_SLOTS; i++)
			if (t->slot[i].used < s->used)
				s = &t->slot[i];
		siv_slot_clear(s);
		s->enc = EVP_CIPHER_CTX_new();
		s->dec = EVP_CIPHER_CTX_new();
		if (!s->enc || !s->dec) {
			siv_slot_clear(s);
			return -ENOMEM;
		}
		if (EVP_EncryptInit_ex(s->enc, siv_cipher, NULL, key, NULL) != 1 ||
		    EVP_DecryptInit_ex(s->dec, siv_cipher, NULL, key, NULL) != 1) {
			siv_slot_clear(s);
			return -EIO;
		}
		memcpy(s->key, key, SIV_KEY_LEN);
	}
	s->used = ++t->clock;
	if (EVP_CIPHER_CTX_copy(t->work, enc ? s->enc : s->dec) != 1)
		return -EIO;
	*out = t->work;
	return 0;
}

static int siv_do_seal(EVP_CIPHER_CTX *e, const uint8_t *ad, size_t adlen,
		       const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	uint8_t scratch[SIV_TAG_LEN];
	int n;

	if (adlen && EVP_EncryptUpdate(e, NULL, &n, ad, (int)adlen) != 1)
		return -EIO;
	if (EVP_EncryptUpdate(e, out + SIV_TAG_LEN, &n, pt, (int)ptlen) != 1)
		return -EIO;
	if (EVP_EncryptFinal_ex(e, scratch, &n) != 1)
		return -EIO;
	if (EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, SIV_TAG_LEN, out) != 1)
		return -EIO;
	return 0;
}

int siv_seal(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	EVP_CIPHER_CTX *e;
	int r;

	/* OpenSSL computes no tag for an empty plaintext; veilfs never seals one (padding). */
	if (ptlen == 0 || ptlen > INT_MAX || adlen > INT_MAX)
		return -EINVAL;
	if ((r = siv_prepare(key, 1, &e)) < 0)
		goto out;
	r = siv_do_seal(e, ad, adlen, pt, ptlen, out);
out:
	if (r < 0)
		secure_wipe(out, SIV_TAG_LEN + ptlen);
	return r;
}

/*
 * The tag (the synthetic IV) is set before decryption; OpenSSL recomputes S2V over the
 * decrypted text and fails the update call on a mismatch, after wiping its output.
 */
static int siv_do_open(EVP_CIPHER_CTX *e, const uint8_t *ad, size_t adlen,
		       const uint8_t *in, size_t ctlen, uint8_t *pt)
{
	uint8_t tag[SIV_TAG_LEN], scratch[SIV_TAG_LEN];
	int n;

	memcpy(tag, in, SIV_TAG_LEN);
	if (EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_SET_TAG, SIV_TAG_LEN, tag) != 1)
		return -EIO;
	if (adlen && EVP_DecryptUpdate(e, NULL, &n, ad, (int)adlen) != 1)
		return -EIO;
	if (EVP_DecryptUpdate(e, pt, &n, in + SIV_TAG_LEN, (int)ctlen) != 1)
		return -EBADMSG;
	if (EVP_DecryptFinal_ex(e, scratch, &n) != 1)
		return -EBADMSG;
	return 0;
}

int siv_open(const uint8_t key[static SIV_KEY_LEN], const uint8_t *ad, size_t adlen,
	     const uint8_t *in, size_t inlen, uint8_t *pt)
{
	EVP_CIPHER_CTX *e;
	int r;

	if (inlen <= SIV_TAG_LEN || inlen - SIV_TAG_LEN > INT_MAX || adlen > INT_MAX)
		return -EPROTO;
	if ((r = siv_prepare(key, 0, &e)) < 0)
		goto out;
	r = siv_do_open(e, ad, adlen, in, inlen - SIV_TAG_LEN, pt);
out:
	if (r < 0)
		secure_wipe(pt, inlen - SIV_TAG_LEN);
	return r;
}

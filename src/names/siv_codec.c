/*
 * The transform shared by file names and xattr names (docs/FORMAT.md, "Names"):
 * plaintext || PKCS#7 padding to 16 bytes, AES-256-SIV, unpadded base64url. Padding hides
 * the exact name length (only length rounded up to 16 shows) and makes every sealed
 * plaintext non-empty. Naming rules live in names.c and xattr.c.
 */
#include <assert.h>
#include <string.h>
#include "base/b64.h"
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/siv.h"
#include "names/names.h"
#include "names/names_internal.h"

enum {
	PADDED_MAX = NAME_PLAIN_MAX + NAME_PAD - NAME_PLAIN_MAX % NAME_PAD, /* 256 */
	SEALED_MAX = SIV_TAG_LEN + PADDED_MAX,                               /* 272 */
	SEALED_MIN = SIV_TAG_LEN + NAME_PAD,
};

static_assert((int)NAMES_ENCODED_MAX ==
		      (SEALED_MAX / 3) * 4 + (SEALED_MAX % 3 ? SEALED_MAX % 3 + 1 : 0),
	      "NAMES_ENCODED_MAX is the base64url length of the longest sealed name");

/* PKCS#7 always adds 1 ... 16 bytes, each holding the pad length. */
static size_t pad_name(const char *name, size_t len, uint8_t *out)
{
	size_t pad = NAME_PAD - len % NAME_PAD;

	memcpy(out, name, len);
	memset(out + len, (int)pad, pad);
	return len + pad;
}

/* Returns the unpadded length, or 0 for bad padding (a padded name is never empty). */
static size_t unpad_name(const uint8_t *p, size_t len)
{
	size_t pad = p[len - 1], i;

	if (pad == 0 || pad > NAME_PAD || pad > len)
		return 0;
	for (i = len - pad; i < len; i++)
		if (p[i] != pad)
			return 0;
	return len - pad;
}

int siv_name_seal(const uint8_t *key, const uint8_t *ad, size_t adlen, const char *name,
		  size_t len, struct buf *out)
{
	uint8_t padded[PADDED_MAX], sealed[SEALED_MAX];
	size_t plen, enclen;
	int r;

	if (len == 0 || len > NAME_PLAIN_MAX)
		return -EINVAL;
	plen = pad_name(name, len, padded);
	if ((r = siv_seal(key, ad, adlen, padded, plen, sealed)) < 0)
		goto out;
	enclen = b64url_encoded_len(SIV_TAG_LEN + plen);
	if ((r = buf_grow(out, enclen + 1)) < 0)
		goto out;
	b64url_encode(sealed, SIV_TAG_LEN + plen, (char *)out->data + out->len);
	out->len += enclen;
	r = 0;
out:
	secure_wipe(padded, sizeof(padded));
	return r;
}

int siv_name_open(const uint8_t *key, const uint8_t *ad, size_t adlen, const char *enc,
		  size_t len, struct buf *out)
{
	uint8_t sealed[SEALED_MAX], plain[PADDED_MAX];
	size_t n = 0, plen;
	int r = -EPROTO;

	if (len == 0 || len > NAMES_ENCODED_MAX || b64url_decoded_max(len) > sizeof(sealed))
		return -EPROTO;
	if (b64url_decode(enc, len, sealed, &n) < 0)
		return -EPROTO;
	if (n < SEALED_MIN || (n - SIV_TAG_LEN) % NAME_PAD != 0)
		return -EPROTO;
	if ((r = siv_open(key, ad, adlen, sealed, n, plain)) < 0)
		goto out;
	r = -EPROTO;
	if ((plen = unpad_name(plain, n - SIV_TAG_LEN)) == 0)
		goto out;
	r = buf_append(out, plain, plen);
out:
	secure_wipe(plain, sizeof(plain));
	return r;
}

void name_buf_truncate(struct buf *b, size_t len)
{
	secure_wipe(b->data + len, b->len - len);
	b->len = len;
}

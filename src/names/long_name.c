/*
 * Long names (docs/FORMAT.md, "Long names"): an encoded name over LOWER_NAME_MAX bytes is
 * stored as "veilfs.lname." || base64url(SHA-256(encoded name)) with a ".name" side file
 * holding the encoded name. Reading and writing the side file belong to vault/.
 */
#include <assert.h>
#include <string.h>
#include "base/b64.h"
#include "base/errors.h"
#include "crypto/kdf.h"
#include "names/names.h"

enum {
	LONG_PREFIX_LEN = sizeof(NAMES_LONG_PREFIX) - 1,
	LONG_HASH_B64_LEN = 43, /* base64url of 32 bytes */
};

static_assert(LONG_PREFIX_LEN + LONG_HASH_B64_LEN == NAMES_LONG_LEN, "FORMAT.md: 56 bytes");

bool names_needs_long(size_t enclen)
{
	return enclen > LOWER_NAME_MAX;
}

int names_long_name(const char *enc, size_t len, struct buf *out)
{
	uint8_t hash[SHA256_LEN];
	int r;

	if ((r = sha256((const uint8_t *)enc, len, hash)) < 0)
		return r;
	if ((r = buf_grow(out, NAMES_LONG_LEN + 1)) < 0)
		return r;
	memcpy(out->data + out->len, NAMES_LONG_PREFIX, LONG_PREFIX_LEN);
	b64url_encode(hash, sizeof(hash), (char *)out->data + out->len + LONG_PREFIX_LEN);
	out->len += NAMES_LONG_LEN;
	return 0;
}

/* Decode the hash of a long lower name; false when lower is not one. */
static bool long_hash(const char *lower, size_t len, uint8_t hash[static SHA256_LEN])
{
	size_t n = 0;

	if (len != NAMES_LONG_LEN || memcmp(lower, NAMES_LONG_PREFIX, LONG_PREFIX_LEN) != 0)
		return false;
	if (b64url_decode(lower + LONG_PREFIX_LEN, LONG_HASH_B64_LEN, hash, &n) < 0)
		return false;
	return n == SHA256_LEN;
}

bool names_is_long(const char *lower, size_t len)
{
	uint8_t hash[SHA256_LEN];

	return long_hash(lower, len, hash);
}

/*
 * The side file must hold a name that needed long storage in the first place, within
 * the longest possible encoding; anything else is malformed before any hashing.
 */
int names_long_verify(const char *lower, size_t lowerlen, const char *enc, size_t enclen)
{
	uint8_t want[SHA256_LEN], got[SHA256_LEN];
	int r;

	if (!long_hash(lower, lowerlen, want))
		return -EPROTO;
	if (!names_needs_long(enclen) || enclen > NAMES_ENCODED_MAX)
		return -EPROTO;
	if ((r = sha256((const uint8_t *)enc, enclen, got)) < 0)
		return r;
	return secure_equal(want, got, SHA256_LEN) ? 0 : -EBADMSG;
}

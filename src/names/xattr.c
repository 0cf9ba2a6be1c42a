/*
 * Extended-attribute names (docs/FORMAT.md, "Extended attributes"): the full plaintext
 * name is sealed like a file name, but under the xattr-names key and without associated
 * data, so that one name maps to one lower name across the whole vault (listxattr needs
 * no per-file IV). Values are sealed by names/sealed.c.
 */
#include <assert.h>
#include <string.h>
#include "base/errors.h"
#include "names/names.h"
#include "names/names_internal.h"

enum { XATTR_PREFIX_LEN = sizeof(NAMES_XATTR_PREFIX) - 1 };

/* 159 plaintext bytes pad to 160, seal to 176, encode to 235, plus the 12-byte prefix. */
static_assert(XATTR_PREFIX_LEN + (16 + 160) / 3 * 4 + 2 + 1 <= LOWER_NAME_MAX,
	      "the longest lower xattr name fits in 255 bytes");

int names_xattr_encrypt(const uint8_t key[static NAMES_KEY_LEN], const char *name, size_t len,
			struct buf *out)
{
	size_t start = out->len;
	int r;

	if (len > XATTR_NAME_PLAIN_MAX)
		return -ENAMETOOLONG;
	if (len == 0 || memchr(name, '\0', len))
		return -EINVAL;
	if ((r = buf_append(out, NAMES_XATTR_PREFIX, XATTR_PREFIX_LEN)) < 0)
		return r;
	if ((r = siv_name_seal(key, NULL, 0, name, len, out)) < 0)
		name_buf_truncate(out, start);
	return r;
}

int names_xattr_decrypt(const uint8_t key[static NAMES_KEY_LEN], const char *lower, size_t len,
			struct buf *out)
{
	size_t start = out->len, plen;
	int r;

	if (len <= XATTR_PREFIX_LEN || memcmp(lower, NAMES_XATTR_PREFIX, XATTR_PREFIX_LEN) != 0)
		return -EPROTO;
	r = siv_name_open(key, NULL, 0, lower + XATTR_PREFIX_LEN, len - XATTR_PREFIX_LEN, out);
	if (r < 0)
		return r;
	plen = out->len - start;
	if (plen > XATTR_NAME_PLAIN_MAX || memchr(out->data + start, '\0', plen)) {
		name_buf_truncate(out, start);
		return -EPROTO;
	}
	return 0;
}

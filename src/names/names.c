/*
 * File names (docs/FORMAT.md, "Names"): the plaintext naming rules, the reserved lower
 * names, and encryption under the names key with the directory IV as SIV associated data,
 * so equal names in different directories encrypt differently. Long names are in
 * long_name.c, xattr names in xattr.c. No I/O.
 */
#include <string.h>
#include "base/errors.h"
#include "names/names.h"
#include "names/names_internal.h"

bool names_is_invalid_plain(const char *name, size_t len)
{
	if (len == 0 || len > NAME_PLAIN_MAX)
		return true;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	return memchr(name, '/', len) != NULL || memchr(name, '\0', len) != NULL;
}

/* Encryption never yields '.', so "veilfs." cannot collide with an encrypted name. */
bool names_is_reserved(const char *lower, size_t len)
{
	size_t plen = sizeof(NAMES_RESERVED_PREFIX) - 1;

	return len >= plen && memcmp(lower, NAMES_RESERVED_PREFIX, plen) == 0;
}

int names_encrypt(const uint8_t key[static NAMES_KEY_LEN], const uint8_t diriv[static DIRIV_LEN],
		  const char *name, size_t len, struct buf *out)
{
	if (len > NAME_PLAIN_MAX)
		return -ENAMETOOLONG;
	if (names_is_invalid_plain(name, len))
		return -EINVAL;
	return siv_name_seal(key, diriv, DIRIV_LEN, name, len, out);
}

/*
 * A name that authenticates but breaks the naming rules can only come from a buggy or
 * hostile writer holding the key; it is refused as malformed rather than handed to the
 * kernel ("..", "a/b").
 */
int names_decrypt(const uint8_t key[static NAMES_KEY_LEN], const uint8_t diriv[static DIRIV_LEN],
		  const char *enc, size_t len, struct buf *out)
{
	size_t start = out->len;
	int r;

	if ((r = siv_name_open(key, diriv, DIRIV_LEN, enc, len, out)) < 0)
		return r;
	if (names_is_invalid_plain((const char *)out->data + start, out->len - start)) {
		name_buf_truncate(out, start);
		return -EPROTO;
	}
	return 0;
}

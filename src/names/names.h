/*
 * The name codec (docs/FORMAT.md, "Names"): plaintext file names <-> lower names.
 *
 * A name is padded to a multiple of 16 bytes (PKCS#7), sealed with AES-256-SIV under the
 * names key with the directory IV as associated data, and written as unpadded base64url.
 * An encoded name longer than LOWER_NAME_MAX is stored as "veilfs.lname.<hash>" (hash =
 * base64url(SHA-256(encoded name))) plus a side file "<that>.name" holding the encoded name.
 * Lower names that contain '.' are never produced by encryption, so every lower name
 * starting with "veilfs." is reserved for veilfs itself. No I/O here.
 */
#ifndef VEILFS_NAMES_NAMES_H
#define VEILFS_NAMES_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/compiler.h"

enum {
	DIRIV_LEN = 16,
	NAMES_KEY_LEN = 64,
	NAME_PLAIN_MAX = 255,
	LOWER_NAME_MAX = 255,
	NAME_PAD = 16,
};

#define NAMES_DIRIV_FILE "veilfs.diriv"
#define NAMES_LONG_PREFIX "veilfs.lname."
#define NAMES_LONG_SUFFIX ".name"
#define NAMES_RESERVED_PREFIX "veilfs."
/* Lower xattr names are NAMES_XATTR_PREFIX || base64url(SIV(...)) (FORMAT.md). */
#define NAMES_XATTR_PREFIX "user.veilfs."

enum {
	/* Longest base64url encoded name: SIV tag + NAME_PLAIN_MAX padded to 256 bytes. */
	NAMES_ENCODED_MAX = 363,
	/* Length of "veilfs.lname." || base64url(SHA-256) */
	NAMES_LONG_LEN = 56,
	/* Plaintext xattr names (the full "user.xxx") are 1 ... 159 bytes. */
	XATTR_NAME_PLAIN_MAX = 159,
};

/* True for "." and "..", names with '/' or NUL, empty names and names over NAME_PLAIN_MAX. */
bool names_is_invalid_plain(const char *name, size_t len);
/* True for lower names veilfs keeps for itself (config, dir IV, long-name files, locks). */
bool names_is_reserved(const char *lower, size_t len);

/*
 * Encrypt a plaintext name into its encoded form (base64url), appended to out.
 * Returns 0, -EINVAL for an invalid plaintext name, -ENAMETOOLONG over NAME_PLAIN_MAX,
 * or -EIO/-ENOMEM.
 */
int names_encrypt(const uint8_t key[static NAMES_KEY_LEN], const uint8_t diriv[static DIRIV_LEN],
		  const char *name, size_t len, struct buf *out) MUST_CHECK;
/*
 * Decrypt an encoded name, appending the plaintext to out. Returns 0, -EPROTO for a
 * malformed encoding or padding, -EBADMSG when authentication fails.
 */
int names_decrypt(const uint8_t key[static NAMES_KEY_LEN], const uint8_t diriv[static DIRIV_LEN],
		  const char *enc, size_t len, struct buf *out) MUST_CHECK;

/* True when an encoded name must go through long-name storage. */
bool names_needs_long(size_t enclen);
/* Append the long lower name "veilfs.lname.<hash>" for an encoded name to out. */
int names_long_name(const char *enc, size_t len, struct buf *out) MUST_CHECK;
/* True when lower is a long name "veilfs.lname.<43 chars>" (not its side file). */
bool names_is_long(const char *lower, size_t len);
/*
 * Check that the contents of a side file (an encoded name) hash to the long lower name.
 * Returns 0, -EPROTO when malformed, -EBADMSG when the hash does not match.
 */
int names_long_verify(const char *lower, size_t lowerlen, const char *enc, size_t enclen) MUST_CHECK;

/*
 * Extended-attribute names (FORMAT.md, "Extended attributes"): the full plaintext name
 * ("user.foo", 1 ... XATTR_NAME_PLAIN_MAX bytes, no NUL) is padded like a file name and
 * sealed with AES-256-SIV under the xattr-names key without associated data. The lower
 * name NAMES_XATTR_PREFIX || base64url(...) is appended to out (at most 255 bytes).
 * Returns 0, -EINVAL (empty or NUL inside), -ENAMETOOLONG (over the limit), -EIO/-ENOMEM.
 */
int names_xattr_encrypt(const uint8_t key[static NAMES_KEY_LEN], const char *name, size_t len,
			struct buf *out) MUST_CHECK;
/*
 * Decrypt a lower xattr name back to the plaintext name, appended to out. Returns 0,
 * -EPROTO when lower is not a veilfs xattr name or is malformed, -EBADMSG when
 * authentication fails.
 */
int names_xattr_decrypt(const uint8_t key[static NAMES_KEY_LEN], const char *lower, size_t len,
			struct buf *out) MUST_CHECK;

#endif

/*
 * Extended attributes kept out of line (docs/FORMAT.md, "Out-of-line extended attributes"):
 * the attributes of one file that did not fit the lower file's xattr space are sealed
 * together into one blob file CIPHERDIR/veilfs.xattrs/<id>, and the lower file carries one
 * marker attribute XATTR_MARKER_NAME whose value is <id>. Every change writes a new blob
 * under a new id, moves the marker to it and removes the old blob. This file owns the blob
 * format (parse, encode), its sealing and its I/O; vault_xattr.c decides what goes where,
 * and fsck reads blobs through the same calls.
 */
#ifndef VEILFS_VAULT_XATTR_BLOB_H
#define VEILFS_VAULT_XATTR_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/compiler.h"
#include "crypto/aead.h"
#include "names/names.h"

struct store;

#define XATTR_BLOB_DIR NAMES_RESERVED_PREFIX "xattrs"
/* Not under NAMES_XATTR_PREFIX ("user.veilfs."): no sealed name can be equal to it. */
#define XATTR_MARKER_NAME "user.veilfs-xattrs"

enum {
	XATTR_BLOB_VERSION = 1,
	XATTR_BLOB_ID_LEN = 22,          /* base64url of 16 random bytes */
	XATTR_BLOB_VALUE_MAX = 65536,    /* one value (Linux XATTR_SIZE_MAX) */
	XATTR_BLOB_PAYLOAD_MAX = 4 << 20, /* the plaintext of one blob */
	XATTR_BLOB_COUNT_MAX = 65536,    /* attributes in one blob */
};

/* One attribute: name NUL-terminated (1 ... XATTR_NAME_PLAIN_MAX bytes), value owned. */
struct xattr_entry {
	char *name;
	uint8_t *value;
	size_t len;
};

/* The attributes of one blob, sorted by name (strcmp), no two equal. */
struct xattr_set {
	struct xattr_entry *e;
	size_t n;
	size_t payload; /* encoded size */
};

void xattr_set_init(struct xattr_set *s);
void xattr_set_release(struct xattr_set *s);
/* The entry named name, or NULL. Borrowed: valid until the set changes. */
const struct xattr_entry *xattr_set_find(const struct xattr_set *s, const char *name);
/*
 * Add or replace name = value (copied). -ENOSPC when the encoded set would pass
 * XATTR_BLOB_PAYLOAD_MAX or XATTR_BLOB_COUNT_MAX, -E2BIG for a value past
 * XATTR_BLOB_VALUE_MAX, -ERANGE for a bad name length, -ENOMEM.
 */
int xattr_set_put(struct xattr_set *s, const char *name, const void *value,
		  size_t len) MUST_CHECK;
/* Remove name: 0 or -ENODATA. */
int xattr_set_remove(struct xattr_set *s, const char *name) MUST_CHECK;
/*
 * Parse a blob's plaintext (untrusted even after authentication: a bug or an old version
 * may have written it) into s, which must be empty. Returns 0, -EPROTO (malformed: bad
 * version, a length past the input or a limit, a name with a NUL, names not strictly
 * sorted, trailing bytes) or -ENOMEM. s is empty again on error.
 */
int xattr_set_parse(struct xattr_set *s, const uint8_t *p, size_t len) MUST_CHECK;
/* Append the encoding of s to out. 0 or -ENOMEM. */
int xattr_set_encode(const struct xattr_set *s, struct buf *out) MUST_CHECK;

/* What blobs are read and written with: the cipher root and the xattr values key. */
struct xattr_blob_ctx {
	struct store *s;
	int rootfd;
	struct aead_ctx *aead;
	const uint8_t *key; /* AEAD_KEY_LEN */
};

/* True when id (len bytes) is a well-formed blob id. */
bool xattr_blob_id_valid(const char *id, size_t len);
/*
 * The blob id the marker of the lower file fd names, NUL-terminated into id. Returns 0,
 * -ENODATA (no marker), -EPROTO (a marker that is not an id), or another -errno.
 */
int xattr_marker_get(struct store *s, int fd, char id[static XATTR_BLOB_ID_LEN + 1]) MUST_CHECK;
/*
 * Read and open blob id into s (empty). Returns 0, -EPROTO (missing, not a regular file,
 * larger than any blob veilfs writes, or malformed), -EBADMSG (fails authentication:
 * truncated, changed, or another blob renamed), or another -errno.
 */
int xattr_blob_read(const struct xattr_blob_ctx *b, const char *id, struct xattr_set *s) MUST_CHECK;
/*
 * Seal s into a new blob under a new random id (written and fsynced before this returns,
 * by temporary file and rename). Returns 0 or -errno (-ENOSPC on a full disk).
 */
int xattr_blob_write(const struct xattr_blob_ctx *b, const struct xattr_set *s,
		     char id[static XATTR_BLOB_ID_LEN + 1]) MUST_CHECK;
/* Remove blob id: 0 or -errno (-ENOENT when already gone). */
int xattr_blob_remove(const struct xattr_blob_ctx *b, const char *id) MUST_CHECK;

#endif

/*
 * Symlink targets of any length (docs/FORMAT.md, "Symlink targets"): a target whose
 * inline encoding would not fit the lower file system's PATH_MAX is sealed into a blob
 * file CIPHERDIR/veilfs.links/<id>, and the lower symlink points to "veilfs.links/<id>"
 * (a marker: shorter than any inline target, so a lower length tells them apart). Used by
 * the vault (create, readlink, stat, unlink) and by fsck, so both read targets alike.
 */
#ifndef VEILFS_VAULT_LINK_TARGET_H
#define VEILFS_VAULT_LINK_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/compiler.h"
#include "crypto/aead.h"
#include "names/names.h"

struct store;

#define LINK_BLOB_DIR NAMES_RESERVED_PREFIX "links"

enum {
	LINK_TARGET_MAX = 4095,         /* longest plaintext target (PATH_MAX - 1) */
	LINK_INLINE_MAX = 4095,         /* longest lower target veilfs writes inline */
	LINK_ID_LEN = 22,               /* base64url of 16 random bytes */
	LINK_MARKER_LEN = 13 + LINK_ID_LEN, /* "veilfs.links/" + id */
};

/* What a lower symlink target is read with: the cipher directory and the symlinks key. */
struct link_ctx {
	struct store *s;
	int rootfd;
	struct aead_ctx *aead;
	const uint8_t *key; /* AEAD_KEY_LEN */
};

/* True when the lower target (len bytes) is a marker; id gets its NUL-terminated id. */
bool link_target_is_marker(const char *lower, size_t len, char id[static LINK_ID_LEN + 1]);
/*
 * The lower target for target (NUL-terminated, 1 … LINK_TARGET_MAX bytes) into out:
 * inline when it fits, else a new blob (written and fsynced before this returns) and
 * its marker; *blob is then true. Returns 0 or -errno (-ENAMETOOLONG past the limit).
 */
int link_target_seal(const struct link_ctx *l, const char *target, struct buf *out,
		     bool *blob) MUST_CHECK;
/*
 * Appends the plaintext target of a lower target to out. Returns 0, -EPROTO (malformed,
 * or a marker whose blob is missing or not a regular file of a possible size), -EBADMSG,
 * -ENOMEM or another -errno of the store.
 */
int link_target_open(const struct link_ctx *l, const char *lower, size_t len,
		     struct buf *out) MUST_CHECK;
/* The plaintext length of the target behind marker id, from its blob's size. */
int link_target_blob_len(const struct link_ctx *l, const char *id, uint64_t *len) MUST_CHECK;
/* Removes the blob of a marker (0 or -errno; -ENOENT when already gone). */
int link_target_remove(const struct link_ctx *l, const char *lower, size_t len) MUST_CHECK;

#endif

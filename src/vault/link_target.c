/*
 * Symlink targets of any length: inline (names/sealed.c) or out of line in a sealed blob
 * (link_target.h). The blob is nonce || AEAD(symlinks key, nonce, AD = marker, target):
 * the AD binds it to its own name, so a blob renamed to another id fails to open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/b64.h"
#include "crypto/kdf.h"
#include "names/sealed.h"
#include "store/store.h"
#include "vault/link_target.h"

#define MARKER_PREFIX LINK_BLOB_DIR "/"

static size_t blob_overhead(const struct link_ctx *l)
{
	return aead_nonce_len(aead_ctx_alg(l->aead)) + AEAD_TAG_LEN;
}

bool link_target_is_marker(const char *lower, size_t len, char id[static LINK_ID_LEN + 1])
{
	size_t i, plen = strlen(MARKER_PREFIX);

	if (len != LINK_MARKER_LEN || memcmp(lower, MARKER_PREFIX, plen) != 0)
		return false;
	for (i = plen; i < len; i++) {
		char ch = lower[i];

		if (!(ch >= 'A' && ch <= 'Z') && !(ch >= 'a' && ch <= 'z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_')
			return false;
	}
	memcpy(id, lower + plen, LINK_ID_LEN);
	id[LINK_ID_LEN] = '\0';
	return true;
}

/* Opens CIPHERDIR/veilfs.links, creating it when create is set. Returns an fd or -errno. */
static int open_blob_dir(const struct link_ctx *l, bool create)
{
	int r;

	if (create && (r = store_mkdirat(l->s, l->rootfd, LINK_BLOB_DIR, 0755)) < 0 && r != -EEXIST)
		return r;
	return store_openat(l->s, l->rootfd, LINK_BLOB_DIR,
			    STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
}

/* Seals target into a new blob; its marker goes to out. */
static int seal_blob(const struct link_ctx *l, const char *target, size_t len, struct buf *out)
{
	uint8_t rnd[16];
	char marker[LINK_MARKER_LEN + 1];
	struct buf sealed;
	int dfd = -1, r;

	buf_init(&sealed);
	if ((r = random_bytes(rnd, sizeof(rnd))) < 0)
		goto out;
	memcpy(marker, MARKER_PREFIX, strlen(MARKER_PREFIX));
	b64url_encode(rnd, sizeof(rnd), marker + strlen(MARKER_PREFIX));
	if ((r = sealed_seal(l->aead, l->key, NULL, (const uint8_t *)marker, LINK_MARKER_LEN,
			     (const uint8_t *)target, len, &sealed)) < 0)
		goto out;
	if ((dfd = open_blob_dir(l, true)) < 0) {
		r = dfd;
		goto out;
	}
	r = store_write_atomic(l->s, dfd, marker + strlen(MARKER_PREFIX), sealed.data,
			       sealed.len, 0644);
	if (r == 0)
		r = buf_append(out, marker, LINK_MARKER_LEN + 1) < 0 ? -ENOMEM : 0;
	if (r == 0)
		out->len--; /* keep the NUL, as symlink_target_encrypt does */
out:
	if (dfd >= 0)
		(void)store_close(l->s, dfd); /* read-only directory handle: nothing to lose */
	buf_release(&sealed);
	return r;
}

int link_target_seal(const struct link_ctx *l, const char *target, struct buf *out, bool *blob)
{
	size_t len = strlen(target), start = out->len;
	int r;

	*blob = false;
	if (len > LINK_TARGET_MAX)
		return -ENAMETOOLONG;
	if ((r = symlink_target_encrypt(l->aead, l->key, NULL, target, len, out)) < 0)
		return r;
	if (out->len - start <= LINK_INLINE_MAX)
		return 0;
	out->len = start;
	if ((r = seal_blob(l, target, len, out)) == 0)
		*blob = true;
	return r;
}

/* Reads and opens the blob of id, appending the target to out. */
static int open_blob(const struct link_ctx *l, const char *lower, const char *id,
		     struct buf *out)
{
	uint8_t *data = NULL;
	size_t n = 0;
	int dfd, r;

	if ((dfd = open_blob_dir(l, false)) < 0)
		return dfd == -ENOENT || dfd == -ENOTDIR || dfd == -ELOOP ? -EPROTO : dfd;
	r = store_read_file(l->s, dfd, id, LINK_TARGET_MAX + blob_overhead(l), &data, &n);
	(void)store_close(l->s, dfd); /* read-only directory handle: nothing to lose */
	if (r == -ENOENT || r == -EFBIG || r == -EIO)
		return -EPROTO; /* gone, oversized, or not a regular file: a broken link */
	if (r < 0)
		return r;
	r = sealed_open(l->aead, l->key, (const uint8_t *)lower, LINK_MARKER_LEN, data, n, out);
	free(data);
	return r;
}

int link_target_open(const struct link_ctx *l, const char *lower, size_t len, struct buf *out)
{
	char id[LINK_ID_LEN + 1];
	size_t start = out->len;
	int r;

	if (link_target_is_marker(lower, len, id))
		r = open_blob(l, lower, id, out);
	else
		r = symlink_target_decrypt(l->aead, l->key, lower, len, out);
	if (r == 0 && (out->len == start || memchr(out->data + start, '\0', out->len - start)))
		r = -EPROTO; /* no target veilfs writes is empty or holds a NUL */
	return r;
}

int link_target_blob_len(const struct link_ctx *l, const char *id, uint64_t *len)
{
	struct stat st;
	int dfd, r;

	*len = 0;
	if ((dfd = open_blob_dir(l, false)) < 0)
		return dfd;
	r = store_fstatat(l->s, dfd, id, &st, STORE_AT_NOFOLLOW);
	(void)store_close(l->s, dfd); /* read-only directory handle: nothing to lose */
	if (r < 0)
		return r;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > blob_overhead(l))
		*len = (uint64_t)st.st_size - blob_overhead(l);
	return 0;
}

int link_target_remove(const struct link_ctx *l, const char *lower, size_t len)
{
	char id[LINK_ID_LEN + 1];
	int dfd, r;

	if (!link_target_is_marker(lower, len, id))
		return 0;
	if ((dfd = open_blob_dir(l, false)) < 0)
		return dfd;
	r = store_unlinkat(l->s, dfd, id, 0);
	(void)store_close(l->s, dfd); /* read-only directory handle: nothing to lose */
	return r;
}

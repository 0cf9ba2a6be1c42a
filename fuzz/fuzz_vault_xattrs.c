/*
 * libFuzzer target: the out-of-line attribute blob (vault/xattr_blob.h) behind the tag.
 * The input is a blob's plaintext payload. It is parsed directly (a set that parses must
 * encode back to the same bytes: the format has one encoding per set), then sealed with
 * the test-vector xattr values key under a fixed id into veilfs.xattrs/ of an in-memory
 * vault whose file "f" carries the marker, and the vault is driven over it: listxattr,
 * getxattr of every name listed, a set and a remove that rewrite the blob.
 *
 * Invariants (abort on violation): a payload that parses lists exactly its names (plus the
 * one in-line attribute) and reads back its values; one that does not gives -EIO for the
 * list and for an out-of-line name, never bytes; every call returns a count or -errno.
 * Seeds: fuzz/corpus/vault_xattrs, written by fuzz/make_corpus.py.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "base/log.h"
#include "format/config.h"
#include "names/sealed.h"
#include "store/store_mem.h"
#include "vault/vault_internal.h"
#include "vault/xattr_blob.h"
#include "fuzz_common.h"

#define BLOB_ID "AAAAAAAAAAAAAAAAAAAAAA"

static uint8_t vbuf[XATTR_BLOB_VALUE_MAX];
static char list[XATTR_BLOB_PAYLOAD_MAX + 64]; /* every name of the largest payload */

static void quiet(enum log_level level, const char *msg)
{
	(void)level;
	(void)msg;
}

static int open_vault(struct store *s, int rootfd, struct vault **v)
{
	const struct vault_options o = { 0 };
	uint8_t master[MASTER_KEY_LEN], iv[DIRIV_LEN];
	struct config c;

	fuzz_fill(iv, sizeof(iv), 0xe0);
	FUZZ_ASSERT(store_write_atomic(s, rootfd, NAMES_DIRIV_FILE, iv, sizeof(iv), 0444) == 0);
	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.cipher = CONFIG_CIPHER_AES256_GCM;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = CONFIG_KDF_TIME_MIN;
	c.kdf_memory_kib = CONFIG_KDF_MEMORY_MIN_KIB;
	c.kdf_lanes = 1;
	fuzz_fill(c.vault_id, VAULT_ID_LEN, 0x00);
	fuzz_fill(master, sizeof(master), 0x80);
	return vault_open_keys(s, rootfd, &c, vault_keys_new(master, c.vault_id), &o, v);
}

/* Seal payload as the blob BLOB_ID and point the marker of n at it. */
static void plant(struct vault *v, struct vnode *n, const uint8_t *p, size_t len)
{
	static const char ad[] = XATTR_BLOB_DIR "/" BLOB_ID;
	struct aead_ctx *c = vault_aead_get(v);
	struct buf sealed;
	int dfd, fd;

	FUZZ_ASSERT(c != NULL);
	buf_init(&sealed);
	FUZZ_ASSERT(sealed_seal(c, v->keys->xattr_values, NULL, (const uint8_t *)ad,
				sizeof(ad) - 1, p, len, &sealed) == 0);
	vault_aead_put(v, c);
	FUZZ_ASSERT(store_mkdirat(v->store, v->rootfd, XATTR_BLOB_DIR, 0755) == 0);
	dfd = store_openat(v->store, v->rootfd, XATTR_BLOB_DIR, STORE_RDONLY | STORE_DIRECTORY, 0);
	FUZZ_ASSERT(dfd >= 0);
	FUZZ_ASSERT(store_write_atomic(v->store, dfd, BLOB_ID, sealed.data, sealed.len, 0644) == 0);
	(void)store_close(v->store, dfd); /* read-only */
	buf_release(&sealed);
	FUZZ_ASSERT(vnode_io_get(v, n, &fd, NULL) == 0);
	FUZZ_ASSERT(store_fsetxattr(v->store, fd, XATTR_MARKER_NAME, BLOB_ID,
				    strlen(BLOB_ID), 0) == 0);
	vnode_io_put(v, n);
}

/* The parsed set against what the vault shows of it. */
static void check_vault(struct vault *v, struct vnode *n, const struct xattr_set *set, bool ok)
{
	const struct xattr_entry *e;
	ssize_t len, got, off;
	size_t names = 0;
	int r;

	len = vault_listxattr(v, n, list, sizeof(list));
	if (!ok) {
		FUZZ_ASSERT(len == -EIO);
		FUZZ_ASSERT(vault_getxattr(v, n, "user.zz-not-inline", vbuf, sizeof(vbuf)) == -EIO);
		FUZZ_ASSERT(vault_setxattr(v, n, "user.zz-not-inline", "x", 1, 0) == -EIO);
		return;
	}
	FUZZ_ASSERT(len >= 0);
	for (off = 0; off < len; off += (ssize_t)strlen(list + off) + 1) {
		names++;
		got = vault_getxattr(v, n, list + off, vbuf, sizeof(vbuf));
		if (!strcmp(list + off, "user.inline"))
			continue; /* a payload may hold it too: the in-line copy wins */
		e = xattr_set_find(set, list + off);
		FUZZ_ASSERT(e != NULL); /* nothing listed that the payload does not hold */
		if (got >= 0)
			FUZZ_ASSERT(got == (ssize_t)e->len && !memcmp(vbuf, e->value, e->len));
		else /* a name the vault does not offer (bare prefix, other namespace) */
			FUZZ_ASSERT(got == -EINVAL || got == -EOPNOTSUPP);
	}
	FUZZ_ASSERT(names == set->n + !xattr_set_find(set, "user.inline"));
	/* a set and a remove rewrite the blob; both must hold */
	if (vault_setxattr(v, n, "user.zz-added", "v", 1, 0) == 0) {
		FUZZ_ASSERT(vault_getxattr(v, n, "user.zz-added", vbuf, sizeof(vbuf)) == 1);
		FUZZ_ASSERT(vault_removexattr(v, n, "user.zz-added") == 0);
	}
	if (set->n > 0 && strcmp(set->e[0].name, "user.inline")) {
		r = vault_removexattr(v, n, set->e[0].name);
		FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EOPNOTSUPP);
		if (r == 0)
			FUZZ_ASSERT(vault_getxattr(v, n, set->e[0].name, vbuf, sizeof(vbuf)) ==
				    -ENODATA);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct vault_caller who = { 0, 0 };
	struct xattr_set set;
	struct vnode *root, *n = NULL;
	struct vault *v = NULL;
	struct store *s;
	struct stat st;
	struct buf enc;
	int rootfd;
	bool ok;

	log_set_sink(quiet, LOG_LEVEL_ERROR);
	if (size > XATTR_BLOB_PAYLOAD_MAX + 16)
		return 0;
	xattr_set_init(&set);
	ok = xattr_set_parse(&set, data, size) == 0;
	if (ok) {
		buf_init(&enc);
		FUZZ_ASSERT(xattr_set_encode(&set, &enc) == 0);
		FUZZ_ASSERT(enc.len == size && set.payload == size && !memcmp(enc.data, data, size));
		buf_release(&enc);
	}
	FUZZ_ASSERT(store_mem_new(16 << 20, &s, &rootfd) == 0);
	FUZZ_ASSERT(open_vault(s, rootfd, &v) == 0);
	root = vault_root(v);
	FUZZ_ASSERT(vault_create(v, root, "f", 0644, O_RDWR | O_CREAT, &who, &n, &st, NULL) >= 0);
	FUZZ_ASSERT(vault_setxattr(v, n, "user.inline", "i", 1, 0) == 0);
	plant(v, n, data, size);
	check_vault(v, n, &set, ok);
	FUZZ_ASSERT(vault_release_file(v, n) == 0);
	vnode_unref(v, n);
	FUZZ_ASSERT(vault_unlink(v, root, "f") == 0);
	vnode_unref(v, root);
	vault_close(v);
	xattr_set_release(&set);
	return 0;
}

/*
 * Unit tests for out-of-line extended attributes (vault/xattr_blob.c, vault_xattr.c;
 * docs/FORMAT.md "Out-of-line extended attributes"), on the in-memory store with a per-file
 * xattr space like ext4's: attributes past it and values too large for it go to the
 * file's sealed blob in veilfs.xattrs/, every call keeps its semantics on both sides, the
 * blob goes with the last link, a full disk leaves the attributes as they were, and a
 * blob that is planted, truncated, oversized, swapped, missing or garbage gives -EIO for
 * the attributes it holds (never bytes); fsck reports it and blobs no marker names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/log.h"
#include "crypto/kdf.h"
#include "format/config.h"
#include "fsck/fsck.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "names/names.h"
#include "store/store.h"
#include "store/store_mem.h"
#include "vault/vault_internal.h"
#include "vault/xattr_blob.h"
#include "test.h"
#include "test_vault_util.h"

#define PW "xattr test password"

enum {
	SPACE = 4096, /* per-file xattr space of the store, about ext4's */
	MANY = 300,
	VLEN = 32,
};

struct xv {
	struct store *s;
	int rootfd;
	struct vault *v;
	struct vnode *root;
};

static const struct vault_caller who = { 0, 0 };

/* A password vault on a fresh in-memory store of limit bytes (0: 64 MiB). */
static int xv_make(struct xv *t, size_t limit)
{
	const struct vault_options o = { 0 };
	uint8_t master[MASTER_KEY_LEN], iv[DIRIV_LEN];
	struct vault_keys *keys;
	struct config c;
	int r;

	memset(t, 0, sizeof(*t));
	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.cipher = CONFIG_CIPHER_AES256_GCM;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = CONFIG_KDF_TIME_MIN;
	c.kdf_memory_kib = CONFIG_KDF_MEMORY_MIN_KIB;
	c.kdf_lanes = 1;
	if ((r = store_mem_new(limit, &t->s, &t->rootfd)) < 0)
		return r;
	store_mem_set_xattr_space(t->s, SPACE);
	if ((r = random_bytes(c.vault_id, VAULT_ID_LEN)) < 0 ||
	    (r = random_bytes(master, sizeof(master))) < 0 ||
	    (r = keys_wrap(&c, master, PW, strlen(PW))) < 0 ||
	    (r = config_file_save(t->s, t->rootfd, &c)) < 0 ||
	    (r = random_bytes(iv, sizeof(iv))) < 0 ||
	    (r = store_write_atomic(t->s, t->rootfd, NAMES_DIRIV_FILE, iv, sizeof(iv), 0444)) < 0)
		return r;
	if (!(keys = vault_keys_new(master, c.vault_id)))
		return -ENOMEM;
	/* the vault takes the store and root on success; keep our own handle on the root */
	if ((r = vault_open_keys(t->s, store_openat(t->s, t->rootfd, ".", STORE_RDONLY | STORE_DIRECTORY, 0),
				 &c, keys, &o, &t->v)) < 0)
		return r;
	t->root = vault_root(t->v);
	return 0;
}

static void xv_free(struct xv *t)
{
	if (t->root)
		vnode_unref(t->v, t->root);
	if (t->v)
		vault_close(t->v); /* frees the store */
	else if (t->s)
		store_free(t->s);
}

static struct vnode *xv_file(struct xv *t, struct vnode *dir, const char *name)
{
	struct vnode *n = NULL;
	struct stat st;

	if (vault_create(t->v, dir, name, 0644, O_RDWR | O_CREAT, &who, &n, &st, NULL) < 0)
		return NULL;
	return n;
}

static void xv_close(struct xv *t, struct vnode *n)
{
	if (!n)
		return;
	EXPECT(vault_release_file(t->v, n) == 0);
	vnode_unref(t->v, n);
}

static void value_of(int i, uint8_t v[static VLEN])
{
	for (int k = 0; k < VLEN; k++)
		v[k] = (uint8_t)(i * 7 + k);
}

/* Entries of veilfs.xattrs/ (-1 when it does not exist). */
static int blob_count(struct xv *t)
{
	struct store_dir *d;
	struct store_dirent e;
	int dfd, n = 0;

	dfd = store_openat(t->s, t->rootfd, XATTR_BLOB_DIR, STORE_RDONLY | STORE_DIRECTORY, 0);
	if (dfd < 0)
		return -1;
	if (store_dir_open(t->s, dfd, &d) < 0) {
		(void)store_close(t->s, dfd); /* read-only */
		return -1;
	}
	while (store_dir_next(t->s, d, &e) > 0)
		n += strcmp(e.name, ".") && strcmp(e.name, "..");
	store_dir_close(t->s, d);
	(void)store_close(t->s, dfd); /* read-only */
	return n;
}

/* The blob id the only blob has, into id. */
static int only_blob(struct xv *t, char id[static XATTR_BLOB_ID_LEN + 1])
{
	struct store_dir *d;
	struct store_dirent e;
	int dfd, n = 0;

	dfd = store_openat(t->s, t->rootfd, XATTR_BLOB_DIR, STORE_RDONLY | STORE_DIRECTORY, 0);
	if (dfd < 0 || store_dir_open(t->s, dfd, &d) < 0)
		return -1;
	while (store_dir_next(t->s, d, &e) > 0) {
		if (!strcmp(e.name, ".") || !strcmp(e.name, ".."))
			continue;
		snprintf(id, XATTR_BLOB_ID_LEN + 1, "%s", e.name);
		n++;
	}
	store_dir_close(t->s, d);
	(void)store_close(t->s, dfd); /* read-only */
	return n == 1 ? 0 : -1;
}

/* Bytes of lower names and values on n, as the store counts its xattr space. */
static size_t space_used(struct xv *t, struct vnode *n)
{
	static char list[65536];
	ssize_t len, v;
	size_t used = 0;
	int fd;

	if (vnode_io_get(t->v, n, &fd, NULL) < 0)
		return 0;
	len = store_flistxattr(t->s, fd, list, sizeof(list));
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(list + off) + 1) {
		v = store_fgetxattr(t->s, fd, list + off, NULL, 0);
		used += strlen(list + off) + (size_t)(v > 0 ? v : 0);
	}
	vnode_io_put(t->v, n);
	return used;
}

static int set_many(struct xv *t, struct vnode *n, int count)
{
	uint8_t v[VLEN];
	char name[32];

	for (int i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "user.attr%d", i);
		value_of(i, v);
		int r = vault_setxattr(t->v, n, name, v, VLEN, VAULT_XATTR_CREATE);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_many(struct xv *t, struct vnode *n, int count)
{
	uint8_t v[VLEN], got[VLEN];
	char name[32];

	for (int i = 0; i < count; i++) {
		snprintf(name, sizeof(name), "user.attr%d", i);
		value_of(i, v);
		if (vault_getxattr(t->v, n, name, got, sizeof(got)) != VLEN || memcmp(v, got, VLEN))
			return -1;
	}
	return 0;
}

/* --- the blob's plaintext format --- */

TEST(xattr_blob_format_round_trip)
{
	struct xattr_set s, back;
	struct buf enc;
	const struct xattr_entry *e;

	xattr_set_init(&s);
	xattr_set_init(&back);
	buf_init(&enc);
	EXPECT(xattr_set_put(&s, "user.b", "2", 1) == 0);
	EXPECT(xattr_set_put(&s, "user.a", "", 0) == 0);
	EXPECT(xattr_set_put(&s, "user.c", "333", 3) == 0);
	EXPECT(xattr_set_put(&s, "user.b", "22", 2) == 0);
	EXPECT_EQ(s.n, 3);
	EXPECT(xattr_set_encode(&s, &enc) == 0);
	EXPECT_EQ(enc.len, s.payload);
	/* version 1, count 3, then "user.a" = "" first: names sorted */
	EXPECT(enc.data[0] == 1 && enc.data[4] == 3 && enc.data[5] == 6 &&
	       !memcmp(enc.data + 6, "user.a", 6));
	EXPECT(xattr_set_parse(&back, enc.data, enc.len) == 0);
	EXPECT_EQ(back.n, 3);
	EXPECT((e = xattr_set_find(&back, "user.b")) && e->len == 2 && !memcmp(e->value, "22", 2));
	EXPECT(xattr_set_remove(&back, "user.b") == 0);
	EXPECT(xattr_set_remove(&back, "user.b") == -ENODATA);
	EXPECT(xattr_set_find(&back, "user.b") == NULL);
	EXPECT(xattr_set_put(&s, "", "x", 1) == -ERANGE);
	EXPECT(xattr_set_put(&s, "user.big", enc.data, XATTR_BLOB_VALUE_MAX + 1) == -E2BIG);
	xattr_set_release(&back);
	xattr_set_release(&s);
	buf_release(&enc);
}

TEST(xattr_blob_format_malformed)
{
	/* one valid set of two entries, then broken copies of it */
	static const uint8_t ok[] = { 1, 0, 0, 0, 2, 1, 'a', 0, 0, 0, 1, 'x', 1, 'b', 0, 0, 0, 0 };
	static const struct {
		size_t at;  /* byte changed ... */
		uint8_t to; /* ... to this */
		int cut;    /* or bytes cut off the end (-1: one byte added) */
	} cases[] = {
		{ 0, 2, 0 },    /* 1: unknown version */
		{ 4, 3, 0 },    /* 2: count past the entries */
		{ 4, 1, 0 },    /* 3: count short: trailing bytes */
		{ 1, 0xff, 0 }, /* 4: huge count */
		{ 13, 'a', 0 }, /* 5: equal names */
		{ 6, 'c', 0 },  /* 6: names out of order */
		{ 6, 0, 0 },    /* 7: NUL in a name */
		{ 5, 0, 0 },    /* 8: empty name */
		{ 10, 9, 0 },   /* 9: value past the end */
		{ 7, 0x80, 0 }, /* 10: value length past the limit */
		{ 5, 200, 0 },  /* 11: name length past the limit and the end */
		{ 0, 1, 1 },    /* 12: truncated */
		{ 0, 1, -1 },   /* 13: one byte more */
		{ 0, 1, 14 },   /* 14: header only, count 2 */
	};
	uint8_t in[sizeof(ok) + 1];
	struct xattr_set s;
	size_t i, len;

	xattr_set_init(&s);
	EXPECT(xattr_set_parse(&s, ok, sizeof(ok)) == 0 && s.n == 2);
	xattr_set_release(&s);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memcpy(in, ok, sizeof(ok));
		in[sizeof(ok)] = 0;
		in[cases[i].at] = cases[i].to;
		len = sizeof(ok) - (size_t)cases[i].cut;
		EXPECTF(xattr_set_parse(&s, in, len) == -EPROTO, "case %zu", i + 1);
		EXPECTF(s.n == 0 && s.e == NULL, "case %zu leaves the set empty", i + 1);
	}
	EXPECT(xattr_set_parse(&s, ok, 4) == -EPROTO);
}

/* --- through the vault --- */

TEST(xattr_many_out_of_line)
{
	uint8_t v[VLEN], got[VLEN];
	static char list[65536];
	static unsigned char seen[MANY];
	struct xv t;
	struct vnode *n;
	ssize_t len, off;
	int i, listed = 0;

	EXPECT(xv_make(&t, 0) == 0);
	EXPECT((n = xv_file(&t, t.root, "f")) != NULL);
	EXPECT(set_many(&t, n, MANY) == 0);
	EXPECT(check_many(&t, n, MANY) == 0);
	EXPECT_EQ(blob_count(&t), 1);
	/* the flags on the first (in line) and the last (out of line) */
	EXPECT(vault_setxattr(t.v, n, "user.attr0", "x", 1, VAULT_XATTR_CREATE) == -EEXIST);
	EXPECT(vault_setxattr(t.v, n, "user.attr299", "x", 1, VAULT_XATTR_CREATE) == -EEXIST);
	EXPECT(vault_setxattr(t.v, n, "user.none", "x", 1, VAULT_XATTR_REPLACE) == -ENODATA);
	EXPECT(vault_setxattr(t.v, n, "user.attr299", "new", 3, VAULT_XATTR_REPLACE) == 0);
	EXPECT(vault_getxattr(t.v, n, "user.attr299", NULL, 0) == 3);
	EXPECT(vault_getxattr(t.v, n, "user.attr299", got, 2) == -ERANGE);
	EXPECT(vault_getxattr(t.v, n, "user.attr299", got, sizeof(got)) == 3 &&
	       !memcmp(got, "new", 3));
	value_of(299, v);
	EXPECT(vault_setxattr(t.v, n, "user.attr299", v, VLEN, 0) == 0);
	EXPECT(vault_getxattr(t.v, n, "user.none", got, sizeof(got)) == -ENODATA);
	/* listed once each; the marker never shows */
	len = vault_listxattr(t.v, n, NULL, 0);
	EXPECT(len > 0 && len <= (ssize_t)sizeof(list));
	EXPECT(vault_listxattr(t.v, n, list, 10) == -ERANGE);
	EXPECT(vault_listxattr(t.v, n, list, sizeof(list)) == len);
	for (off = 0; len > 0 && off < len; off += (ssize_t)strlen(list + off) + 1) {
		EXPECT(sscanf(list + off, "user.attr%d", &i) == 1 && i >= 0 && i < MANY && !seen[i]);
		if (i >= 0 && i < MANY)
			seen[i] = 1;
		listed++;
	}
	EXPECT_EQ(listed, MANY);
	/* remove all: nothing is left out of line */
	for (i = 0; i < MANY; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user.attr%d", i);
		EXPECTF(vault_removexattr(t.v, n, name) == 0, "remove %s", name);
		EXPECT(vault_removexattr(t.v, n, name) == -ENODATA);
	}
	EXPECT(vault_listxattr(t.v, n, list, sizeof(list)) == 0);
	EXPECT_EQ(blob_count(&t), 0);
	xv_close(&t, n);
	xv_free(&t);
}

TEST(xattr_value_max_and_marker_eviction)
{
	static uint8_t big[XATTR_BLOB_VALUE_MAX], got[XATTR_BLOB_VALUE_MAX];
	uint8_t v[VLEN];
	struct xv t;
	struct vnode *n, *d = NULL;
	struct stat st;
	size_t rest;
	int i;

	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	EXPECT(xv_make(&t, 0) == 0);
	/* a lower file full to the byte: the marker itself must push an attribute out */
	EXPECT((n = xv_file(&t, t.root, "f")) != NULL);
	for (i = 0; space_used(&t, n) < SPACE - 300; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user.attr%d", i);
		value_of(i, v);
		EXPECT(vault_setxattr(t.v, n, name, v, VLEN, 0) == 0);
	}
	EXPECT(vault_setxattr(t.v, n, "user.fill", "", 0, 0) == 0);
	rest = SPACE - space_used(&t, n);
	EXPECT(vault_setxattr(t.v, n, "user.fill", big, rest, VAULT_XATTR_REPLACE) == 0);
	EXPECT_EQ(space_used(&t, n), SPACE);
	EXPECT_EQ(blob_count(&t), -1);
	EXPECT(vault_setxattr(t.v, n, "user.next", "n", 1, VAULT_XATTR_CREATE) == 0);
	EXPECT_EQ(blob_count(&t), 1);
	EXPECT(space_used(&t, n) <= SPACE);
	EXPECT(check_many(&t, n, i) == 0);
	EXPECT(vault_getxattr(t.v, n, "user.fill", got, sizeof(got)) == (ssize_t)rest &&
	       !memcmp(got, big, rest));
	EXPECT(vault_getxattr(t.v, n, "user.next", got, sizeof(got)) == 1);
	/* full again: a larger value for an in-line name moves it out, the new value wins */
	xv_close(&t, n);
	EXPECT((n = xv_file(&t, t.root, "g")) != NULL);
	for (i = 0; space_used(&t, n) < SPACE - 300; i++) {
		char name[32];

		snprintf(name, sizeof(name), "user.attr%d", i);
		value_of(i, v);
		EXPECT(vault_setxattr(t.v, n, name, v, VLEN, 0) == 0);
	}
	EXPECT(vault_setxattr(t.v, n, "user.fill", "", 0, 0) == 0);
	rest = SPACE - space_used(&t, n);
	EXPECT(vault_setxattr(t.v, n, "user.fill", big, rest, VAULT_XATTR_REPLACE) == 0);
	EXPECT(vault_setxattr(t.v, n, "user.fill", big + 1, rest + 100, VAULT_XATTR_REPLACE) == 0);
	EXPECT(vault_getxattr(t.v, n, "user.fill", got, sizeof(got)) == (ssize_t)rest + 100 &&
	       !memcmp(got, big + 1, rest + 100));
	EXPECT(check_many(&t, n, i) == 0);
	EXPECT_EQ(blob_count(&t), 2);
	/* the largest value: too large in line everywhere */
	EXPECT(vault_setxattr(t.v, n, "user.big", big, sizeof(big), 0) == 0);
	EXPECT(vault_setxattr(t.v, n, "user.big2", big, sizeof(big) + 1, 0) == -E2BIG);
	EXPECT(vault_getxattr(t.v, n, "user.big", NULL, 0) == (ssize_t)sizeof(big));
	EXPECT(vault_getxattr(t.v, n, "user.big", got, sizeof(got)) == (ssize_t)sizeof(big) &&
	       !memcmp(got, big, sizeof(big)));
	EXPECT(check_many(&t, n, i) == 0);
	/* directories too */
	EXPECT(vault_mkdir(t.v, t.root, "d", 0755, &who, &d, &st) == 0);
	EXPECT(d && vault_setxattr(t.v, d, "user.big", big, sizeof(big), 0) == 0);
	EXPECT(d && vault_getxattr(t.v, d, "user.big", got, sizeof(got)) == (ssize_t)sizeof(big));
	EXPECT_EQ(blob_count(&t), 3); /* f, g, d */
	if (d)
		vnode_unref(t.v, d);
	EXPECT(vault_rmdir(t.v, t.root, "d") == 0);
	EXPECT_EQ(blob_count(&t), 2);
	xv_close(&t, n);
	xv_free(&t);
}

TEST(xattr_blob_follows_last_link)
{
	struct xv t;
	struct vnode *n, *g;
	struct stat st;

	EXPECT(xv_make(&t, 0) == 0);
	EXPECT((n = xv_file(&t, t.root, "f")) != NULL);
	EXPECT(set_many(&t, n, 100) == 0);
	EXPECT_EQ(blob_count(&t), 1);
	EXPECT(vault_link(t.v, n, t.root, "f2", &st) == 0);
	EXPECT(vault_unlink(t.v, t.root, "f") == 0);
	EXPECT_EQ(blob_count(&t), 1); /* f2 still has them */
	EXPECT(check_many(&t, n, 100) == 0);
	xv_close(&t, n);
	/* rename over the last link takes the blob with it */
	EXPECT((g = xv_file(&t, t.root, "g")) != NULL);
	xv_close(&t, g);
	EXPECT(vault_rename(t.v, t.root, "g", t.root, "f2", 0) == 0);
	EXPECT_EQ(blob_count(&t), 0);
	/* and so does an unlink */
	EXPECT((g = xv_file(&t, t.root, "h")) != NULL);
	EXPECT(set_many(&t, g, 100) == 0);
	xv_close(&t, g);
	EXPECT_EQ(blob_count(&t), 1);
	EXPECT(vault_unlink(t.v, t.root, "h") == 0);
	EXPECT_EQ(blob_count(&t), 0);
	xv_free(&t);
}

TEST(xattr_blob_full_disk)
{
	static uint8_t big[XATTR_BLOB_VALUE_MAX];
	struct xv t;
	struct vnode *n;

	/* room for the config, the files and a few small blobs, not for 64 KiB more */
	EXPECT(xv_make(&t, 48 << 10) == 0);
	EXPECT((n = xv_file(&t, t.root, "f")) != NULL);
	EXPECT(set_many(&t, n, 100) == 0);
	EXPECT(vault_setxattr(t.v, n, "user.big", big, sizeof(big), 0) == -ENOSPC);
	EXPECT(vault_getxattr(t.v, n, "user.big", NULL, 0) == -ENODATA);
	EXPECT(check_many(&t, n, 100) == 0);
	EXPECT_EQ(blob_count(&t), 1);
	xv_close(&t, n);
	xv_free(&t);
}

static void count_report(void *arg, const struct fsck_finding *p)
{
	(void)p;
	(*(int *)arg)++;
}

/* One hostile change of the only blob; how fsck and the vault see it. */
enum hostile { H_TRUNCATE, H_GARBAGE, H_HUGE, H_MISSING, H_DIR, H_SWAP, H_BADMARKER, H_COUNT };

static void hostile_case(enum hostile h)
{
	char id[XATTR_BLOB_ID_LEN + 1], other[XATTR_BLOB_ID_LEN + 1];
	uint8_t *data = NULL, got[VLEN];
	size_t len = 0;
	struct fsck_counts c;
	struct vnode *n, *m;
	struct xv t;
	int dfd, fd, reports = 0;

	EXPECT(xv_make(&t, 0) == 0);
	EXPECT((m = xv_file(&t, t.root, "other")) != NULL);
	EXPECT(set_many(&t, m, 60) == 0);
	EXPECT(only_blob(&t, other) == 0);
	EXPECT((n = xv_file(&t, t.root, "f")) != NULL);
	EXPECT(set_many(&t, n, 60) == 0);
	EXPECT(vault_getxattr(t.v, n, "user.attr0", got, sizeof(got)) == VLEN);
	/* the blob of f: the one that is not other's */
	dfd = store_openat(t.s, t.rootfd, XATTR_BLOB_DIR, STORE_RDONLY | STORE_DIRECTORY, 0);
	EXPECT(dfd >= 0);
	EXPECT((fd = store_openat(t.s, t.rootfd, ".", STORE_RDONLY | STORE_DIRECTORY, 0)) >= 0);
	(void)store_close(t.s, fd); /* only checks the root opens */
	{
		struct vnode *tmp = n;
		int lfd;

		EXPECT(vnode_io_get(t.v, tmp, &lfd, NULL) == 0);
		EXPECT(xattr_marker_get(t.s, lfd, id) == 0 && strcmp(id, other));
		switch (h) {
		case H_TRUNCATE:
			EXPECT(store_read_file(t.s, dfd, id, 1 << 20, &data, &len) == 0);
			EXPECT(store_write_atomic(t.s, dfd, id, data, len - 1, 0644) == 0);
			break;
		case H_GARBAGE:
			EXPECT(store_read_file(t.s, dfd, id, 1 << 20, &data, &len) == 0);
			data[len / 2] ^= 1;
			EXPECT(store_write_atomic(t.s, dfd, id, data, len, 0644) == 0);
			break;
		case H_HUGE:
			data = calloc(1, XATTR_BLOB_PAYLOAD_MAX + 4096);
			EXPECT(data && store_write_atomic(t.s, dfd, id, data,
							  XATTR_BLOB_PAYLOAD_MAX + 4096, 0644) == 0);
			break;
		case H_MISSING:
			EXPECT(store_unlinkat(t.s, dfd, id, 0) == 0);
			break;
		case H_DIR:
			EXPECT(store_unlinkat(t.s, dfd, id, 0) == 0);
			EXPECT(store_mkdirat(t.s, dfd, id, 0755) == 0);
			break;
		case H_SWAP: /* other's blob under f's id: its AD names other's id */
			EXPECT(store_read_file(t.s, dfd, other, 1 << 20, &data, &len) == 0);
			EXPECT(store_write_atomic(t.s, dfd, id, data, len, 0644) == 0);
			break;
		case H_BADMARKER:
			EXPECT(store_fsetxattr(t.s, lfd, XATTR_MARKER_NAME, "../../veilfs.conf", 17,
					       0) == 0);
			break;
		case H_COUNT:
			break;
		}
		vnode_io_put(t.v, tmp);
	}
	free(data);
	(void)store_close(t.s, dfd); /* read-only */
	/* in-line attributes still read; the out-of-line ones give -EIO, logged (the store
	 * logs a planted directory too) */
	tv_log_capture(true);
	EXPECTF(vault_getxattr(t.v, n, "user.attr0", got, sizeof(got)) == VLEN, "hostile %d", h);
	EXPECTF(tv_log_count() == 0, "hostile %d", h);
	EXPECTF(vault_getxattr(t.v, n, "user.attr59", got, sizeof(got)) == -EIO, "hostile %d", h);
	EXPECTF(tv_log_count() >= 1 && strstr(tv_log_last(), "out-of-line attributes"),
		"hostile %d: %d log lines", h, tv_log_count());
	EXPECTF(vault_listxattr(t.v, n, NULL, 0) == -EIO, "hostile %d", h);
	EXPECTF(vault_setxattr(t.v, n, "user.attr59", "x", 1, 0) == -EIO, "hostile %d", h);
	tv_log_capture(false);
	EXPECTF(check_many(&t, m, 60) == 0, "hostile %d: the other file", h);
	/* fsck: one finding for f's marker; a bad marker leaves f's blob an orphan too */
	EXPECT(fsck_run_store(t.s, t.rootfd, PW, strlen(PW), count_report, &reports, &c) == 0);
	EXPECTF(c.problems == (h == H_BADMARKER ? 2u : 1u) && reports == (int)c.problems,
		"hostile %d: %llu problems, %d reports", h, (unsigned long long)c.problems,
		reports);
	xv_close(&t, n);
	xv_close(&t, m);
	xv_free(&t);
}

TEST(xattr_blob_hostile)
{
	for (int h = 0; h < H_COUNT; h++)
		hostile_case((enum hostile)h);
}

TEST(xattr_fsck_orphan_blob)
{
	char id[XATTR_BLOB_ID_LEN + 1];
	uint8_t *data = NULL;
	size_t len = 0;
	struct fsck_counts c;
	struct vnode *n;
	struct xv t;
	int dfd, reports = 0;

	EXPECT(xv_make(&t, 0) == 0);
	EXPECT((n = xv_file(&t, t.root, "f")) != NULL);
	EXPECT(set_many(&t, n, 80) == 0);
	EXPECT(fsck_run_store(t.s, t.rootfd, PW, strlen(PW), count_report, &reports, &c) == 0);
	EXPECT(c.problems == 0 && reports == 0 && c.xattrs >= 80);
	EXPECT(only_blob(&t, id) == 0);
	dfd = store_openat(t.s, t.rootfd, XATTR_BLOB_DIR, STORE_RDONLY | STORE_DIRECTORY, 0);
	EXPECT(store_read_file(t.s, dfd, id, 1 << 20, &data, &len) == 0);
	EXPECT(store_write_atomic(t.s, dfd, "AAAAAAAAAAAAAAAAAAAAAA", data, len, 0644) == 0);
	free(data);
	(void)store_close(t.s, dfd); /* read-only */
	EXPECT(fsck_run_store(t.s, t.rootfd, PW, strlen(PW), count_report, &reports, &c) == 0);
	EXPECT(c.problems == 1 && reports == 1);
	xv_close(&t, n);
	xv_free(&t);
}

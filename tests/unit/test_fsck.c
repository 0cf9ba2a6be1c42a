/*
 * Unit tests for fsck/: a small vault is built programmatically with the core
 * modules (admin, keys, names, format, crypto, store), checked clean, then damaged one way
 * at a time (one numbered table row per damage); each damage must be reported with the
 * right kind, lower path, plaintext path and block, and nothing else. Also: wrong password,
 * not a vault, malformed config, plaintext-names and XChaCha20 vaults, I/O errors from
 * the fault-injecting store, and that fsck makes no modifying call on the store.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "base/buf.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "crypto/kdf.h"
#include "format/block.h"
#include "format/header.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "names/names.h"
#include "names/sealed.h"
#include "store/store.h"
#include "store/store_fault.h"
#include "vault/admin.h"
#include "fsck/fsck.h"
#include "helpers.h"
#include "test.h"

#define PW "fsck test password"

/* Plaintext names of the test vault (a long one needs long-name storage). */
#define LONG_PLAIN                                                                              \
	"a-very-long-file-name-that-needs-long-name-storage-"                                  \
	"because-its-encoding-exceeds-255-bytes-0123456789-"                                   \
	"0123456789-0123456789-0123456789-0123456789-0123456789-"                              \
	"0123456789-0123456789-0123456789-end"

enum { NAME_MAX_LEN = 400, MAX_FINDINGS = 64 };

/* A built vault and the lower names of its objects. */
struct vb {
	char *dir; /* owned: test_temp_dir_in */
	bool plaintext_names;
	struct store *s;
	int root;
	struct config cfg;
	struct vault_keys *keys;
	struct aead_ctx *aead;
	struct block_geom g;
	uint8_t root_iv[DIRIV_LEN], sub_iv[DIRIV_LEN];
	char hello[NAME_MAX_LEN];  /* /hello.txt: 3 full blocks + 100 bytes */
	char exact[NAME_MAX_LEN];  /* /exact: exactly 2 full blocks */
	char sparse[NAME_MAX_LEN]; /* /sparse: 3 blocks, block 1 a hole */
	char empty[NAME_MAX_LEN];  /* /empty: 0 bytes */
	char link[NAME_MAX_LEN];   /* /link -> hello.txt */
	char fifo[NAME_MAX_LEN];   /* /fifo */
	char sub[NAME_MAX_LEN];    /* /sub */
	char inner[NAME_MAX_LEN];  /* /sub/inner.bin: 10 bytes, xattr user.note */
	char lng[NAME_MAX_LEN];    /* /sub/LONG_PLAIN: veilfs.lname.* */
	char xattr[NAME_MAX_LEN];  /* lower name of user.note */
};

struct found {
	enum fsck_kind kind;
	char lower[2048];
	char plain[1024];
	bool has_plain;
	uint64_t block;
};

struct collector {
	struct found f[MAX_FINDINGS];
	int n;
};

static void collect(void *arg, const struct fsck_finding *fd)
{
	struct collector *c = arg;
	struct found *x;

	if (c->n == MAX_FINDINGS)
		return;
	x = &c->f[c->n++];
	x->kind = fd->kind;
	snprintf(x->lower, sizeof(x->lower), "%s", fd->lower_path);
	x->has_plain = fd->plain_path != NULL;
	snprintf(x->plain, sizeof(x->plain), "%s", fd->plain_path ? fd->plain_path : "");
	x->block = fd->block;
}

static void dump(const struct collector *c)
{
	int i;

	for (i = 0; i < c->n; i++)
		printf("#     finding %s '%s' (%s) block %lld\n", fsck_kind_name(c->f[i].kind),
		       c->f[i].lower, c->f[i].has_plain ? c->f[i].plain : "-",
		       c->f[i].block == FSCK_NO_BLOCK ? -1LL : (long long)c->f[i].block);
}

static int write_at(int dirfd, const char *name, const void *p, size_t n, int flags)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | flags, 0600);
	int r;

	if (fd < 0)
		return -1;
	r = write(fd, p, n) == (ssize_t)n ? 0 : -1;
	close(fd);
	return r;
}

/* Encrypt a plaintext name for dirfd (side file written for long names). */
static int vb_name(struct vb *b, int dirfd, const uint8_t *iv, const char *plain, char *out)
{
	struct buf enc, lname;
	int r = -1;

	if (b->plaintext_names) {
		snprintf(out, NAME_MAX_LEN, "%s", plain);
		return 0;
	}
	buf_init(&enc);
	buf_init(&lname);
	if (names_encrypt(b->keys->names, iv, plain, strlen(plain), &enc) < 0)
		goto out;
	if (names_needs_long(enc.len)) {
		char side[NAME_MAX_LEN];

		if (names_long_name((const char *)enc.data, enc.len, &lname) < 0)
			goto out;
		snprintf(out, NAME_MAX_LEN, "%s", (const char *)lname.data);
		snprintf(side, sizeof(side), "%s.name", out);
		if (write_at(dirfd, side, enc.data, enc.len, O_EXCL) < 0)
			goto out;
	} else {
		snprintf(out, NAME_MAX_LEN, "%s", (const char *)enc.data);
	}
	r = 0;
out:
	buf_release(&enc);
	buf_release(&lname);
	return r;
}

/* A regular file of size plaintext bytes; block `hole` (or -1) is stored as zeros. */
static int vb_file(struct vb *b, int dirfd, const char *lower, uint64_t size, long hole)
{
	uint8_t id[FILE_ID_LEN], hdr[FILE_HEADER_LEN], ad[BLOCK_AD_LEN];
	uint8_t *key = secmem_alloc(FILE_KEY_LEN);
	uint8_t pt[BLOCK_PLAIN_SIZE], ct[BLOCK_PLAIN_SIZE + 64];
	uint64_t n, nblocks = block_count(&b->g, size);
	int fd = -1, r = -1;

	if (!key)
		return -1;
	fd = openat(dirfd, lower, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0)
		goto out;
	if (size == 0) {
		r = 0;
		goto out;
	}
	if (random_bytes(id, sizeof(id)) < 0 || keys_file_key(b->keys, id, key) < 0)
		goto out;
	header_encode(id, hdr);
	if (pwrite(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		goto out;
	for (n = 0; n < nblocks; n++) {
		bool last = n == nblocks - 1;
		size_t plen = last && size % b->g.plain_size ? size % b->g.plain_size
							      : b->g.plain_size;
		size_t clen = plen + b->g.overhead;

		memset(pt, (int)(n * 7 + 1), plen);
		if ((long)n == hole) {
			memset(ct, 0, clen);
		} else {
			block_ad(ad, id, n, last);
			if (random_bytes(ct, b->g.nonce_len) < 0 ||
			    aead_seal(b->aead, key, ct, ad, sizeof(ad), pt, plen, ct + b->g.nonce_len) < 0)
				goto out;
		}
		if (pwrite(fd, ct, clen, (off_t)block_cipher_offset(&b->g, n)) != (ssize_t)clen)
			goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	secmem_free(key);
	return r;
}

static int vb_diriv(int dirfd, uint8_t iv[static DIRIV_LEN])
{
	if (random_bytes(iv, DIRIV_LEN) < 0)
		return -1;
	return write_at(dirfd, NAMES_DIRIV_FILE, iv, DIRIV_LEN, O_EXCL);
}

static void vb_free(struct vb *b)
{
	if (b->s) {
		store_close(b->s, b->root);
		store_free(b->s);
	}
	vault_keys_free(b->keys);
	aead_ctx_free(b->aead);
	test_rm_tree(b->dir);
	free(b->dir);
	memset(b, 0, sizeof(*b));
}

/* Build the test vault; returns 0 or -1 (everything released). */
static int vb_build(struct vb *b, uint8_t cipher, bool plaintext_names)
{
	struct vault_create_params p;
	struct buf t;
	int sub = -1, r = -1;

	memset(b, 0, sizeof(*b));
	b->root = -1;
	b->plaintext_names = plaintext_names;
	b->dir = test_temp_dir_in("/var/tmp", "fsck");
	if (!b->dir)
		return -1;
	vault_create_params_init(&p);
	p.cipher = cipher;
	p.plaintext_names = plaintext_names;
	p.kdf_memory_kib = 8 * 1024;
	p.kdf_time = 1;
	p.kdf_lanes = 1;
	if (vault_admin_create(b->dir, &p, PW, strlen(PW)) < 0)
		goto out;
	if (store_posix_new(b->dir, &b->s, &b->root) < 0)
		goto out;
	if (keys_unlock(b->s, b->root, PW, strlen(PW), &b->cfg, &b->keys) < 0)
		goto out;
	if (!(b->aead = aead_ctx_new((enum aead_alg)b->cfg.cipher)))
		goto out;
	block_geom_init(&b->g, b->cfg.block_size, (uint32_t)aead_nonce_len(b->cfg.cipher));
	if (!plaintext_names) {
		int fd = openat(b->root, NAMES_DIRIV_FILE, O_RDONLY);

		if (fd < 0 || read(fd, b->root_iv, DIRIV_LEN) != DIRIV_LEN) {
			if (fd >= 0)
				close(fd);
			goto out;
		}
		close(fd);
	}
	if (vb_name(b, b->root, b->root_iv, "hello.txt", b->hello) < 0 ||
	    vb_file(b, b->root, b->hello, 3 * 4096 + 100, -1) < 0)
		goto out;
	if (vb_name(b, b->root, b->root_iv, "exact", b->exact) < 0 ||
	    vb_file(b, b->root, b->exact, 2 * 4096, -1) < 0)
		goto out;
	if (vb_name(b, b->root, b->root_iv, "sparse", b->sparse) < 0 ||
	    vb_file(b, b->root, b->sparse, 2 * 4096 + 5, 1) < 0)
		goto out;
	if (vb_name(b, b->root, b->root_iv, "empty", b->empty) < 0 ||
	    vb_file(b, b->root, b->empty, 0, -1) < 0)
		goto out;
	if (vb_name(b, b->root, b->root_iv, "fifo", b->fifo) < 0 ||
	    mkfifoat(b->root, b->fifo, 0600) < 0)
		goto out;
	buf_init(&t);
	if (vb_name(b, b->root, b->root_iv, "link", b->link) < 0 ||
	    symlink_target_encrypt(b->aead, b->keys->symlinks, NULL, "hello.txt", 9, &t) < 0 ||
	    symlinkat((const char *)t.data, b->root, b->link) < 0) {
		buf_release(&t);
		goto out;
	}
	buf_release(&t);
	if (vb_name(b, b->root, b->root_iv, "sub", b->sub) < 0 || mkdirat(b->root, b->sub, 0700) < 0)
		goto out;
	if ((sub = openat(b->root, b->sub, O_RDONLY | O_DIRECTORY)) < 0)
		goto out;
	if (!plaintext_names && vb_diriv(sub, b->sub_iv) < 0)
		goto out;
	if (vb_name(b, sub, b->sub_iv, "inner.bin", b->inner) < 0 ||
	    vb_file(b, sub, b->inner, 10, -1) < 0)
		goto out;
	if (!plaintext_names &&
	    (vb_name(b, sub, b->sub_iv, LONG_PLAIN, b->lng) < 0 || vb_file(b, sub, b->lng, 10, -1) < 0))
		goto out;
	/* user.note = "v" on /sub/inner.bin */
	{
		struct buf xn, xv;
		char path[1200];
		int ok;

		buf_init(&xn);
		buf_init(&xv);
		snprintf(path, sizeof(path), "%s/%s/%s", b->dir, b->sub, b->inner);
		ok = names_xattr_encrypt(b->keys->xattr_names, "user.note", 9, &xn) == 0 &&
		     sealed_seal(b->aead, b->keys->xattr_values, NULL, xn.data, xn.len,
				 (const uint8_t *)"v", 1, &xv) == 0 &&
		     setxattr(path, (const char *)xn.data, xv.data, xv.len, 0) == 0;
		if (ok)
			snprintf(b->xattr, sizeof(b->xattr), "%s", (const char *)xn.data);
		buf_release(&xn);
		buf_release(&xv);
		if (!ok)
			goto out;
	}
	r = 0;
out:
	if (sub >= 0)
		close(sub);
	if (r < 0)
		vb_free(b);
	return r;
}

static int vb_fsck(struct vb *b, const char *pw, struct collector *c, struct fsck_counts *counts)
{
	memset(c, 0, sizeof(*c));
	return fsck_run(b->dir, pw, strlen(pw), collect, c, counts);
}

/* --- damage, one way per table row --- */

static char path_buf[1200];

static const char *at(struct vb *b, const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s", b->dir, rel);
	return path_buf;
}

static const char *at2(struct vb *b, const char *d, const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), "%s/%s/%s", b->dir, d, rel);
	return path_buf;
}

static int flip_byte(const char *path, off_t off)
{
	int fd = open(path, O_RDWR);
	uint8_t c;
	int r = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, &c, 1, off) == 1) {
		c ^= 0x40;
		r = pwrite(fd, &c, 1, off) == 1 ? 0 : -1;
	}
	close(fd);
	return r;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : st.st_size;
}

static int dmg_none(struct vb *b)
{
	(void)b;
	return 0;
}

/* hello.txt: flip a byte inside the ciphertext of block 1 */
static int dmg_flip_block(struct vb *b)
{
	return flip_byte(at(b, b->hello), (off_t)block_cipher_offset(&b->g, 1) + 100);
}

/* hello.txt: flip a byte of the nonce of block 0 */
static int dmg_flip_nonce(struct vb *b)
{
	return flip_byte(at(b, b->hello), (off_t)block_cipher_offset(&b->g, 0) + 1);
}

/* hello.txt: cut at the boundary after block 1 (2 blocks left, the last sealed inner) */
static int dmg_cut(struct vb *b)
{
	return truncate(at(b, b->hello), (off_t)block_cipher_offset(&b->g, 2));
}

/* exact: append a copy of block 0 as a stale block 2 */
static int dmg_append_stale(struct vb *b)
{
	uint8_t blk[4096 + 64];
	const char *p = at(b, b->exact);
	int fd = open(p, O_RDWR), r = -1;

	if (fd < 0)
		return -1;
	if (pread(fd, blk, b->g.cipher_size, (off_t)block_cipher_offset(&b->g, 0)) ==
	    (ssize_t)b->g.cipher_size)
		r = pwrite(fd, blk, b->g.cipher_size, (off_t)block_cipher_offset(&b->g, 2)) ==
				    (ssize_t)b->g.cipher_size
			    ? 0
			    : -1;
	close(fd);
	return r;
}

/* hello.txt: zero the (short) last block 3 */
static int dmg_zero_last(struct vb *b)
{
	const char *p = at(b, b->hello);
	off_t off = (off_t)block_cipher_offset(&b->g, 3), size = file_size(p);
	uint8_t z[4096 + 64] = { 0 };
	int fd = open(p, O_RDWR), r;

	if (fd < 0 || size <= off)
		return -1;
	r = pwrite(fd, z, (size_t)(size - off), off) == size - off ? 0 : -1;
	close(fd);
	return r;
}

/* sub: delete its directory IV */
static int dmg_del_diriv(struct vb *b)
{
	return unlink(at2(b, b->sub, NAMES_DIRIV_FILE));
}

/* sub: a directory IV of 15 bytes */
static int dmg_short_diriv(struct vb *b)
{
	return truncate(at2(b, b->sub, NAMES_DIRIV_FILE), DIRIV_LEN - 1);
}

/* hello.txt: change one character of its encrypted name */
static int dmg_name(struct vb *b)
{
	char renamed[NAME_MAX_LEN];
	char from[1200];

	snprintf(renamed, sizeof(renamed), "%s", b->hello);
	renamed[3] = renamed[3] == 'A' ? 'B' : 'A';
	snprintf(from, sizeof(from), "%s", at(b, b->hello));
	if (rename(from, at(b, renamed)) < 0)
		return -1;
	snprintf(b->hello, sizeof(b->hello), "%s", renamed);
	return 0;
}

/* sub/inner.bin moved to the root: its name was encrypted under another directory IV */
static int dmg_move_name(struct vb *b)
{
	char from[1200];

	snprintf(from, sizeof(from), "%s", at2(b, b->sub, b->inner));
	return rename(from, at(b, b->inner));
}

/* sub/<long>: delete the .name side file */
static int dmg_del_side(struct vb *b)
{
	char side[NAME_MAX_LEN + 8];

	snprintf(side, sizeof(side), "%s.name", b->lng);
	return unlink(at2(b, b->sub, side));
}

/* sub/<long>: delete the entry, keep the side file */
static int dmg_orphan_side(struct vb *b)
{
	return unlink(at2(b, b->sub, b->lng));
}

/* sub/<long>: side file holds another (long) encoded name */
static int dmg_side_hash(struct vb *b)
{
	char side[NAME_MAX_LEN + 8];

	snprintf(side, sizeof(side), "%s.name", b->lng);
	return flip_byte(at2(b, b->sub, side), 10);
}

/* hello.txt: truncated inside its header */
static int dmg_trunc_header(struct vb *b)
{
	return truncate(at(b, b->hello), 10);
}

/* hello.txt: bad header magic */
static int dmg_header_magic(struct vb *b)
{
	return flip_byte(at(b, b->hello), 0);
}

/* exact: 5 junk bytes after the last full block (too short for nonce and tag) */
static int dmg_junk_tail(struct vb *b)
{
	int fd = open(at(b, b->exact), O_WRONLY | O_APPEND), r;

	if (fd < 0)
		return -1;
	r = write(fd, "junk!", 5) == 5 ? 0 : -1;
	close(fd);
	return r;
}

/* link: a target that is valid base64url but does not authenticate */
static int dmg_symlink(struct vb *b)
{
	char from[1200];

	snprintf(from, sizeof(from), "%s", at(b, b->link));
	if (unlink(from) < 0)
		return -1;
	return symlink("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", from);
}

/* sub/inner.bin: flip a byte of the user.note value */
static int dmg_xattr_value(struct vb *b)
{
	uint8_t v[256];
	const char *p = at2(b, b->sub, b->inner);
	ssize_t n = getxattr(p, b->xattr, v, sizeof(v));

	if (n <= 0)
		return -1;
	v[n - 1] ^= 1;
	return setxattr(p, b->xattr, v, (size_t)n, XATTR_REPLACE);
}

/* sub/inner.bin: an attribute in the veilfs namespace whose name does not decrypt */
static int dmg_xattr_name(struct vb *b)
{
	return setxattr(at2(b, b->sub, b->inner), "user.veilfs.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			"x", 1, 0);
}

/* root: a leftover temp file of an interrupted config write */
static int dmg_stray_tmp(struct vb *b)
{
	return write_at(b->root, "veilfs.conf.tmp.12345", "x", 1, O_EXCL);
}

/* sparse: its inner hole (block 1) is fine, a zeroed last block (2) is not */
static int dmg_sparse_last(struct vb *b)
{
	const char *p = at(b, b->sparse);
	off_t off = (off_t)block_cipher_offset(&b->g, 2), size = file_size(p);
	uint8_t z[128] = { 0 };
	int fd = open(p, O_RDWR), r;

	if (fd < 0 || size <= off || size - off > (off_t)sizeof(z))
		return -1;
	r = pwrite(fd, z, (size_t)(size - off), off) == size - off ? 0 : -1;
	close(fd);
	return r;
}

/* Where a finding is expected. */
enum where { W_HELLO, W_EXACT, W_SPARSE, W_SUB, W_SUB_DIRIV, W_LONG, W_LONG_SIDE, W_LINK,
	     W_INNER, W_MOVED, W_ROOT_TMP, W_NONE };

static void expected_paths(struct vb *b, enum where w, char *lower, char *plain, bool *has_plain)
{
	*has_plain = true;
	switch (w) {
	case W_HELLO:
		snprintf(lower, 1024, "%s", b->hello);
		snprintf(plain, 1024, "/hello.txt");
		break;
	case W_EXACT:
		snprintf(lower, 1024, "%s", b->exact);
		snprintf(plain, 1024, "/exact");
		break;
	case W_SPARSE:
		snprintf(lower, 1024, "%s", b->sparse);
		snprintf(plain, 1024, "/sparse");
		break;
	case W_SUB:
		snprintf(lower, 1024, "%s", b->sub);
		snprintf(plain, 1024, "/sub");
		break;
	case W_SUB_DIRIV:
		snprintf(lower, 1024, "%s/%s", b->sub, NAMES_DIRIV_FILE);
		*has_plain = false;
		break;
	case W_LONG:
		snprintf(lower, 1024, "%s/%s", b->sub, b->lng);
		snprintf(plain, 1024, "/sub/%s", LONG_PLAIN);
		break;
	case W_LONG_SIDE:
		snprintf(lower, 1024, "%s/%s.name", b->sub, b->lng);
		*has_plain = false;
		break;
	case W_LINK:
		snprintf(lower, 1024, "%s", b->link);
		snprintf(plain, 1024, "/link");
		break;
	case W_INNER:
		snprintf(lower, 1024, "%s/%s", b->sub, b->inner);
		snprintf(plain, 1024, "/sub/inner.bin");
		break;
	case W_MOVED:
		snprintf(lower, 1024, "%s", b->inner);
		*has_plain = false;
		break;
	case W_ROOT_TMP:
		snprintf(lower, 1024, "veilfs.conf.tmp.12345");
		*has_plain = false;
		break;
	case W_NONE:
		lower[0] = plain[0] = 0;
		break;
	}
}

struct dmg_case {
	const char *what;
	int (*damage)(struct vb *b);
	int nfindings;
	enum fsck_kind kind[2];
	enum where where[2];
	/* Plaintext path expected unknown even where it could be (long entry without side). */
	bool plain_unknown[2];
	uint64_t block[2];
};

#define NB FSCK_NO_BLOCK
static const struct dmg_case dmg_cases[] = {
	/*  0 */ { "clean vault", dmg_none, 0, { 0 }, { W_NONE }, { 0 }, { NB } },
	/*  1 */ { "flipped byte in block 1", dmg_flip_block, 1, { FSCK_BLOCK_AUTH }, { W_HELLO }, { 0 }, { 1 } },
	/*  2 */ { "flipped nonce byte in block 0", dmg_flip_nonce, 1, { FSCK_BLOCK_AUTH }, { W_HELLO }, { 0 }, { 0 } },
	/*  3 */ { "cut at a block boundary", dmg_cut, 1, { FSCK_BLOCK_FINAL_FLAG }, { W_HELLO }, { 0 }, { 1 } },
	/*  4 */ { "stale block appended", dmg_append_stale, 2, { FSCK_BLOCK_FINAL_FLAG, FSCK_BLOCK_AUTH }, { W_EXACT, W_EXACT }, { 0 }, { 1, 2 } },
	/*  5 */ { "zeroed last block", dmg_zero_last, 1, { FSCK_LAST_BLOCK_ZERO }, { W_HELLO }, { 0 }, { 3 } },
	/*  6 */ { "deleted diriv", dmg_del_diriv, 1, { FSCK_DIRIV_MISSING }, { W_SUB }, { 0 }, { NB } },
	/*  7 */ { "short diriv", dmg_short_diriv, 1, { FSCK_DIRIV_INVALID }, { W_SUB_DIRIV }, { 0 }, { NB } },
	/*  8 */ { "corrupted name", dmg_name, 1, { FSCK_NAME_INVALID }, { W_HELLO }, { true }, { NB } },
	/*  9 */ { "name moved to another directory", dmg_move_name, 1, { FSCK_NAME_INVALID }, { W_MOVED }, { 0 }, { NB } },
	/* 10 */ { "deleted long-name side file", dmg_del_side, 1, { FSCK_LONGNAME_MISSING }, { W_LONG }, { true }, { NB } },
	/* 11 */ { "orphan long-name side file", dmg_orphan_side, 1, { FSCK_LONGNAME_ORPHAN }, { W_LONG_SIDE }, { 0 }, { NB } },
	/* 12 */ { "side file hash mismatch", dmg_side_hash, 1, { FSCK_LONGNAME_INVALID }, { W_LONG_SIDE }, { 0 }, { NB } },
	/* 13 */ { "header truncated", dmg_trunc_header, 1, { FSCK_FILE_SIZE }, { W_HELLO }, { 0 }, { NB } },
	/* 14 */ { "bad header magic", dmg_header_magic, 1, { FSCK_HEADER_INVALID }, { W_HELLO }, { 0 }, { NB } },
	/* 15 */ { "junk after the last block", dmg_junk_tail, 1, { FSCK_FILE_SIZE }, { W_EXACT }, { 0 }, { NB } },
	/* 16 */ { "forged symlink target", dmg_symlink, 1, { FSCK_SYMLINK_INVALID }, { W_LINK }, { 0 }, { NB } },
	/* 17 */ { "tampered xattr value", dmg_xattr_value, 1, { FSCK_XATTR_VALUE }, { W_INNER }, { 0 }, { NB } },
	/* 18 */ { "undecryptable xattr name", dmg_xattr_name, 2, { FSCK_XATTR_NAME, FSCK_XATTR_VALUE }, { W_INNER, W_INNER }, { 0 }, { NB, NB } },
	/* 19 */ { "stray config temp file", dmg_stray_tmp, 1, { FSCK_RESERVED_NAME }, { W_ROOT_TMP }, { 0 }, { NB } },
	/* 20 */ { "zeroed last block of a sparse file", dmg_sparse_last, 1, { FSCK_LAST_BLOCK_ZERO }, { W_SPARSE }, { 0 }, { 2 } },
};

static bool finding_matches(struct vb *b, const struct found *f, const struct dmg_case *c, int j)
{
	char lower[1024], plain[1024];
	bool has_plain;

	expected_paths(b, c->where[j], lower, plain, &has_plain);
	if (c->plain_unknown[j])
		has_plain = false;
	return f->kind == c->kind[j] && !strcmp(f->lower, lower) && f->has_plain == has_plain &&
	       (!has_plain || !strcmp(f->plain, plain)) && f->block == c->block[j];
}

TEST(fsck_damage_table)
{
	size_t i;
	int j;

	for (i = 0; i < ARRAY_SIZE(dmg_cases); i++) {
		const struct dmg_case *c = &dmg_cases[i];
		struct collector col;
		struct fsck_counts n;
		struct vb b;
		bool ok;

		if (!EXPECTF(vb_build(&b, AEAD_AES256_GCM, false) == 0, "row %zu: build", i))
			continue;
		if (!EXPECTF(c->damage(&b) == 0, "row %zu (%s): damage", i, c->what)) {
			vb_free(&b);
			continue;
		}
		EXPECTF(vb_fsck(&b, PW, &col, &n) == 0, "row %zu (%s): fsck", i, c->what);
		ok = EXPECTF(col.n == c->nfindings && n.problems == (uint64_t)c->nfindings &&
				     n.io_errors == 0,
			     "row %zu (%s): %d findings, want %d", i, c->what, col.n, c->nfindings);
		for (j = 0; ok && j < c->nfindings; j++)
			ok = EXPECTF(finding_matches(&b, &col.f[j], c, j),
				     "row %zu (%s): finding %d", i, c->what, j);
		if (!ok)
			dump(&col);
		vb_free(&b);
	}
}

TEST(fsck_clean_counts)
{
	struct collector col;
	struct fsck_counts n;
	struct vb b;

	if (!EXPECT(vb_build(&b, AEAD_AES256_GCM, false) == 0))
		return;
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT_EQ(col.n, 0);
	EXPECT_EQ(n.problems, 0);
	EXPECT_EQ(n.dirs, 2);
	/* hello.txt, exact, sparse, empty, sub/inner.bin, sub/<long> */
	EXPECT_EQ(n.files, 6);
	EXPECT_EQ(n.symlinks, 1);
	EXPECT_EQ(n.others, 1);
	/* 4 + 2 + 3 + 0 + 1 + 1 */
	EXPECT_EQ(n.blocks, 11);
	EXPECT_EQ(n.holes, 1);
	EXPECT_EQ(n.xattrs, 1);
	/* 7 in the root (no config, no diriv), 2 in sub */
	EXPECT_EQ(n.names, 9);
	vb_free(&b);
}

TEST(fsck_xchacha_vault)
{
	struct collector col;
	struct fsck_counts n;
	struct vb b;

	if (!EXPECT(vb_build(&b, AEAD_XCHACHA20_POLY1305, false) == 0))
		return;
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT_EQ(col.n, 0);
	EXPECT_EQ(n.blocks, 11);
	EXPECT(dmg_flip_block(&b) == 0);
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT(col.n == 1 && col.f[0].kind == FSCK_BLOCK_AUTH && col.f[0].block == 1);
	vb_free(&b);
}

TEST(fsck_plaintext_names_vault)
{
	struct collector col;
	struct fsck_counts n;
	struct vb b;

	bool seen_reserved = false, seen_block = false;
	int sub, i;

	if (!EXPECT(vb_build(&b, AEAD_AES256_GCM, true) == 0))
		return;
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT_EQ(col.n, 0);
	EXPECT_EQ(n.files, 5);
	EXPECT_EQ(n.names, 0);
	/* A user file named veilfs.diriv is fine below the root, a reserved name in it. */
	sub = openat(b.root, "sub", O_RDONLY | O_DIRECTORY);
	EXPECT(sub >= 0 && vb_file(&b, sub, NAMES_DIRIV_FILE, 10, -1) == 0);
	if (sub >= 0)
		close(sub);
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT_EQ(col.n, 0);
	EXPECT_EQ(n.files, 6);
	EXPECT(write_at(b.root, NAMES_DIRIV_FILE, "0123456789abcdef", 16, O_EXCL) == 0);
	/* Block 0 of sub/inner.bin: byte 30 is in its nonce. */
	EXPECT(flip_byte(at2(&b, "sub", "inner.bin"), 30) == 0);
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT_EQ(col.n, 2);
	for (i = 0; i < col.n; i++) {
		if (col.f[i].kind == FSCK_RESERVED_NAME) {
			seen_reserved = !strcmp(col.f[i].lower, NAMES_DIRIV_FILE) && !col.f[i].has_plain;
		} else if (col.f[i].kind == FSCK_BLOCK_AUTH) {
			seen_block = col.f[i].has_plain && !strcmp(col.f[i].plain, "/sub/inner.bin") &&
				     !strcmp(col.f[i].lower, "sub/inner.bin") && col.f[i].block == 0;
		}
	}
	EXPECT(seen_reserved);
	EXPECT(seen_block);
	if (!seen_reserved || !seen_block)
		dump(&col);
	vb_free(&b);
}

TEST(fsck_unlock_errors)
{
	struct collector col;
	struct fsck_counts n;
	struct vb b;
	char *dir;

	if (!EXPECT(vb_build(&b, AEAD_AES256_GCM, false) == 0))
		return;
	EXPECT_EQ(vb_fsck(&b, "wrong password", &col, &n), -EPERM);
	EXPECT_EQ(col.n, 0);
	/* A config one byte short is malformed. */
	EXPECT(truncate(at(&b, CONFIG_FILE_NAME), CONFIG_SIZE - 1) == 0);
	EXPECT_EQ(vb_fsck(&b, PW, &col, &n), -EPROTO);
	EXPECT(unlink(at(&b, CONFIG_FILE_NAME)) == 0);
	EXPECT_EQ(vb_fsck(&b, PW, &col, &n), -ENOENT);
	EXPECT(mkdirat(b.root, CONFIG_FILE_NAME, 0700) == 0);
	EXPECT_EQ(vb_fsck(&b, PW, &col, &n), -EPROTO);
	vb_free(&b);
	dir = test_temp_dir_in("/var/tmp", "fsck-nv");
	if (!EXPECT(dir != NULL))
		return;
	EXPECT_EQ(fsck_run(dir, PW, strlen(PW), collect, &col, &n), -ENOENT);
	test_rm_tree(dir);
	free(dir);
	EXPECT_EQ(fsck_run("/nonexistent/veilfs-fsck", PW, strlen(PW), collect, &col, &n), -ENOENT);
}

/* --- read-only: a store wrapper counting every modifying call --- */

static unsigned ro_writes;
static const struct store_ops *ro_inner;

static int ro_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	if (flags & (STORE_WRONLY | STORE_RDWR | STORE_CREAT | STORE_TRUNC)) {
		ro_writes++;
		return -EROFS;
	}
	return ro_inner->openat(ctx, dirfd, name, flags, mode);
}

static int ro_reopen(void *ctx, int fd, int flags)
{
	if (flags & (STORE_WRONLY | STORE_RDWR | STORE_CREAT | STORE_TRUNC)) {
		ro_writes++;
		return -EROFS;
	}
	return ro_inner->reopen(ctx, fd, flags);
}

static ssize_t ro_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	(void)ctx, (void)fd, (void)buf, (void)n, (void)off;
	ro_writes++;
	return -EROFS;
}

static int ro_fail(void)
{
	ro_writes++;
	return -EROFS;
}

static int ro_ftruncate(void *c, int fd, uint64_t s)
{
	(void)c, (void)fd, (void)s;
	return ro_fail();
}
static int ro_mkdirat(void *c, int d, const char *n, mode_t m)
{
	(void)c, (void)d, (void)n, (void)m;
	return ro_fail();
}
static int ro_unlinkat(void *c, int d, const char *n, int f)
{
	(void)c, (void)d, (void)n, (void)f;
	return ro_fail();
}
static int ro_renameat(void *c, int a, const char *b, int d, const char *e, int f)
{
	(void)c, (void)a, (void)b, (void)d, (void)e, (void)f;
	return ro_fail();
}
static int ro_linkat(void *c, int a, const char *b, int d, const char *e)
{
	(void)c, (void)a, (void)b, (void)d, (void)e;
	return ro_fail();
}
static int ro_symlinkat(void *c, const char *t, int d, const char *n)
{
	(void)c, (void)t, (void)d, (void)n;
	return ro_fail();
}
static int ro_mknodat(void *c, int d, const char *n, mode_t m, dev_t v)
{
	(void)c, (void)d, (void)n, (void)m, (void)v;
	return ro_fail();
}
static int ro_fchmodat(void *c, int d, const char *n, mode_t m, int f)
{
	(void)c, (void)d, (void)n, (void)m, (void)f;
	return ro_fail();
}
static int ro_fchownat(void *c, int d, const char *n, uid_t u, gid_t g, int f)
{
	(void)c, (void)d, (void)n, (void)u, (void)g, (void)f;
	return ro_fail();
}
static int ro_utimensat(void *c, int d, const char *n, const struct timespec ts[2], int f)
{
	(void)c, (void)d, (void)n, (void)ts, (void)f;
	return ro_fail();
}
static int ro_fsetxattr(void *c, int fd, const char *n, const void *v, size_t s, int f)
{
	(void)c, (void)fd, (void)n, (void)v, (void)s, (void)f;
	return ro_fail();
}
static int ro_fremovexattr(void *c, int fd, const char *n)
{
	(void)c, (void)fd, (void)n;
	return ro_fail();
}
static int ro_lock(void *c, int fd, uint64_t o, uint64_t l, bool e, bool w)
{
	(void)c, (void)fd, (void)o, (void)l, (void)e, (void)w;
	return ro_fail();
}

TEST(fsck_never_modifies)
{
	struct store_ops ops;
	struct store ro;
	struct collector col;
	struct fsck_counts n;
	struct vb b;
	int r;

	if (!EXPECT(vb_build(&b, AEAD_AES256_GCM, false) == 0))
		return;
	/* A damaged vault too: findings must not lead to repairs. */
	EXPECT(dmg_flip_block(&b) == 0 && dmg_del_side(&b) == 0 && dmg_stray_tmp(&b) == 0);
	ro_inner = b.s->ops;
	ops = *b.s->ops;
	ops.openat = ro_openat;
	ops.reopen = ro_reopen;
	ops.pwrite = ro_pwrite;
	ops.ftruncate = ro_ftruncate;
	ops.mkdirat = ro_mkdirat;
	ops.unlinkat = ro_unlinkat;
	ops.renameat = ro_renameat;
	ops.linkat = ro_linkat;
	ops.symlinkat = ro_symlinkat;
	ops.mknodat = ro_mknodat;
	ops.fchmodat = ro_fchmodat;
	ops.fchownat = ro_fchownat;
	ops.utimensat = ro_utimensat;
	ops.fsetxattr = ro_fsetxattr;
	ops.fremovexattr = ro_fremovexattr;
	ops.lock = ro_lock;
	ro.ops = &ops;
	ro.ctx = b.s->ctx;
	ro_writes = 0;
	memset(&col, 0, sizeof(col));
	r = fsck_run_store(&ro, b.root, PW, strlen(PW), collect, &col, &n);
	EXPECT_EQ(r, 0);
	EXPECT_EQ(ro_writes, 0);
	EXPECT_EQ(n.problems, 3);
	EXPECT_EQ(n.io_errors, 0);
	vb_free(&b);
}

/* I/O errors below the root are reported and do not stop the walk. */
TEST(fsck_io_errors)
{
	struct store_fault_plan plan = { STORE_FAULT_PREAD, 1, EIO, true, false };
	struct store *fs = NULL;
	struct collector col;
	struct fsck_counts n;
	struct vb b;
	unsigned nth;
	bool seen = false;
	int r, i;

	if (!EXPECT(vb_build(&b, AEAD_AES256_GCM, false) == 0))
		return;
	if (!EXPECT(store_fault_new(b.s, &fs) == 0)) {
		vb_free(&b);
		return;
	}
	b.s = fs; /* the fault store owns the posix store now */
	/* The first few reads belong to the config; find the first one that does not. */
	for (nth = 1; nth <= 8 && !seen; nth++) {
		plan.nth = nth;
		store_fault_arm(fs, &plan);
		memset(&col, 0, sizeof(col));
		r = fsck_run_store(fs, b.root, PW, strlen(PW), collect, &col, &n);
		store_fault_disarm(fs);
		if (r < 0)
			continue;
		seen = true;
		/* each failed read counted once and reported once */
		EXPECT(col.n > 0);
		EXPECT_EQ(n.io_errors, col.n);
		EXPECT_EQ(n.problems, 0);
		for (i = 0; i < col.n; i++)
			EXPECT(col.f[i].kind == FSCK_IO_ERROR);
		/* The walk went on: every directory was still visited. */
		EXPECT_EQ(n.dirs, 2);
	}
	EXPECT(seen);
	memset(&col, 0, sizeof(col));
	EXPECT(fsck_run_store(fs, b.root, PW, strlen(PW), collect, &col, &n) == 0);
	EXPECT(n.io_errors == 0 && n.problems == 0);
	vb_free(&b);
}

TEST(fsck_kind_names)
{
	int k;

	for (k = 0; k < FSCK_KIND_COUNT; k++)
		EXPECTF(strcmp(fsck_kind_name((enum fsck_kind)k), "unknown") != 0, "kind %d", k);
	EXPECT(!strcmp(fsck_kind_name(FSCK_BLOCK_AUTH), "block-auth"));
	EXPECT(!strcmp(fsck_kind_name(FSCK_KIND_COUNT), "unknown"));
}

/* Directories nested deeper than the walk's limit (512) are reported, not descended. */
TEST(fsck_depth_limit)
{
	struct collector col;
	struct fsck_counts n;
	struct vb b;
	int fd, next, i;

	if (!EXPECT(vb_build(&b, AEAD_AES256_GCM, true) == 0))
		return;
	fd = dup(b.root);
	for (i = 0; fd >= 0 && i < 513; i++) {
		next = -1;
		if (mkdirat(fd, "d", 0700) == 0)
			next = openat(fd, "d", O_RDONLY | O_DIRECTORY);
		close(fd);
		fd = next;
	}
	EXPECT(fd >= 0);
	if (fd >= 0)
		close(fd);
	EXPECT(vb_fsck(&b, PW, &col, &n) == 0);
	EXPECT_EQ(n.dirs, 1 + 1 + 512); /* root, sub, d x 512 */
	EXPECT_EQ(n.io_errors, 1);
	EXPECT_EQ(n.problems, 0);
	EXPECT(col.n == 1 && col.f[0].kind == FSCK_IO_ERROR && strlen(col.f[0].lower) == 513 * 2 - 1);
	vb_free(&b);
}

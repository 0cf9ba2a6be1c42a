/*
 * Offline integrity checker (`veilfs fsck`, docs/FSCK.md). Owns the walk of the cipher tree
 * and the list of what is checked; leaves byte layouts to format/, name and payload
 * decryption to names/, key handling to keys/, AEAD to crypto/ and every call on the
 * cipher directory to store/. Read-only: no call here creates, writes, renames or removes
 * anything. Never prints: findings go to the caller's callback.
 *
 * The walk goes from the root handle down with *at() calls, one directory handle open per
 * level of depth. Each directory is listed completely (and its listing closed) before its
 * entries are checked, so that long-name entries can be matched with their side files.
 * Lower and plaintext paths are kept only as text for the findings.
 */
#include <stdlib.h>
#include <string.h>
#include "base/buf.h"
#include "base/errors.h"
#include "base/secmem.h"
#include "crypto/aead.h"
#include "format/block.h"
#include "format/config.h"
#include "format/header.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "names/names.h"
#include "names/sealed.h"
#include "store/store.h"
#include "vault/fsck.h"
#include "vault/link_target.h"

enum {
	/* Directories deeper than this are reported and not descended (one handle per level). */
	FSCK_MAX_DEPTH = 512,
	/* Blocks read per pread. */
	FSCK_CHUNK_BLOCKS = 16,
	/* Longest lower symlink target read (base64url of a sealed 4095-byte target fits). */
	FSCK_LINK_MAX = 8192,
	/* Longest xattr value read (the Linux limit). */
	FSCK_XATTR_VALUE_MAX = 65536,
	/* Longest side file read: an encoded name is at most NAMES_ENCODED_MAX bytes. */
	FSCK_SIDE_MAX = NAMES_ENCODED_MAX,
};

static const char *const kind_names[FSCK_KIND_COUNT] = {
	[FSCK_DIRIV_MISSING] = "diriv-missing",
	[FSCK_DIRIV_INVALID] = "diriv-invalid",
	[FSCK_NAME_INVALID] = "name-invalid",
	[FSCK_LONGNAME_MISSING] = "longname-missing",
	[FSCK_LONGNAME_INVALID] = "longname-invalid",
	[FSCK_LONGNAME_ORPHAN] = "longname-orphan",
	[FSCK_RESERVED_NAME] = "reserved-name",
	[FSCK_BAD_TYPE] = "bad-type",
	[FSCK_FILE_SIZE] = "file-size",
	[FSCK_HEADER_INVALID] = "header-invalid",
	[FSCK_BLOCK_AUTH] = "block-auth",
	[FSCK_BLOCK_FINAL_FLAG] = "block-final-flag",
	[FSCK_LAST_BLOCK_ZERO] = "last-block-zero",
	[FSCK_SYMLINK_INVALID] = "symlink-invalid",
	[FSCK_XATTR_NAME] = "xattr-name-invalid",
	[FSCK_XATTR_VALUE] = "xattr-value-invalid",
	[FSCK_IO_ERROR] = "io-error",
};

const char *fsck_kind_name(enum fsck_kind kind)
{
	if ((unsigned)kind >= FSCK_KIND_COUNT || !kind_names[kind])
		return "unknown";
	return kind_names[kind];
}

/* State of one run. */
struct fsck {
	struct store *s;
	int rootfd;
	struct buf blobs; /* ids of the target blobs valid symlinks name, NUL-separated */
	struct config cfg;
	struct vault_keys *keys; /* secmem, owned */
	struct aead_ctx *aead;   /* owned */
	uint8_t *file_key;       /* secmem, FILE_KEY_LEN, the key of the file being checked */
	struct block_geom geom;
	bool plaintext_names;
	fsck_report_fn report;
	void *arg;
	struct fsck_counts *counts;
	uint8_t *cbuf; /* FSCK_CHUNK_BLOCKS stored blocks */
	uint8_t *pbuf; /* one plaintext block, wiped after each use */
	/* Path of the object being checked: lower always, plaintext while plain_broken == 0. */
	struct buf lower;
	struct buf plain;
	unsigned plain_broken;
	unsigned depth;
};

/* Saved path lengths, for fsck_path_pop(). */
struct path_mark {
	size_t lower_len;
	size_t plain_len;
	bool plain_was_broken;
};

static void buf_cut(struct buf *b, size_t len)
{
	if (len >= b->len)
		return;
	secure_wipe(b->data + len, b->len - len);
	b->len = len;
}

/* Append text to a path; on allocation failure the path stays shorter (text only). */
static void path_append(struct buf *b, const char *text)
{
	if (buf_append_str(b, text) < 0)
		return;
}

/*
 * Append one component to the current paths; plain is NULL when the component has no
 * plaintext name. An allocation failure only shortens the text of later findings.
 */
static void fsck_path_push(struct fsck *f, const char *lower, const char *plain,
			   struct path_mark *m)
{
	m->lower_len = f->lower.len;
	m->plain_len = f->plain.len;
	m->plain_was_broken = plain == NULL;
	if (f->lower.len > 0)
		path_append(&f->lower, "/");
	path_append(&f->lower, lower);
	if (plain) {
		path_append(&f->plain, "/");
		path_append(&f->plain, plain);
	} else {
		f->plain_broken++;
	}
}

static void fsck_path_pop(struct fsck *f, const struct path_mark *m)
{
	buf_cut(&f->lower, m->lower_len);
	buf_cut(&f->plain, m->plain_len);
	if (m->plain_was_broken)
		f->plain_broken--;
}

/*
 * Report a finding about the current object, or about its child `child` (lower name)
 * with plaintext name child_plain (NULL when unknown) when child is not NULL.
 */
static void fsck_report_at(struct fsck *f, const char *child, const char *child_plain,
			   enum fsck_kind kind, uint64_t block, const char *xattr,
			   const char *reason, int err)
{
	struct fsck_finding fd;
	struct path_mark m;

	if (kind == FSCK_IO_ERROR)
		f->counts->io_errors++;
	else
		f->counts->problems++;
	if (!f->report)
		return;
	if (child)
		fsck_path_push(f, child, child_plain, &m);
	fd.kind = kind;
	fd.lower_path = f->lower.len ? (const char *)f->lower.data : ".";
	if (f->plain_broken)
		fd.plain_path = NULL;
	else
		fd.plain_path = f->plain.len ? (const char *)f->plain.data : "/";
	fd.block = block;
	fd.xattr = xattr;
	fd.reason = reason;
	fd.err = kind == FSCK_IO_ERROR ? err : 0;
	f->report(f->arg, &fd);
	if (child)
		fsck_path_pop(f, &m);
}

static void fsck_report(struct fsck *f, enum fsck_kind kind, const char *reason)
{
	fsck_report_at(f, NULL, NULL, kind, FSCK_NO_BLOCK, NULL, reason, 0);
}

static void fsck_report_io(struct fsck *f, const char *child, const char *reason, int err)
{
	fsck_report_at(f, child, NULL, FSCK_IO_ERROR, FSCK_NO_BLOCK, NULL, reason, err);
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* --- small regular files (diriv, side files) --- */

/*
 * Read dirfd/name, which must be a regular file of at most max bytes, into out (room for
 * max bytes). Returns the length, -ENOENT, -EINVAL for an object that is not a regular
 * file, -EFBIG when larger than max, or the store's -errno. Checks the type before opening, so
 * that a fifo in the place of a file cannot block the walk.
 */
static ssize_t read_small(struct fsck *f, int dirfd, const char *name, uint8_t *out, size_t max)
{
	struct stat st, st2;
	ssize_t got;
	uint8_t extra;
	int fd, r;

	if ((r = store_fstatat(f->s, dirfd, name, &st, STORE_AT_NOFOLLOW)) < 0)
		return r;
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;
	fd = store_openat(f->s, dirfd, name, STORE_RDONLY | STORE_NOFOLLOW, 0);
	if (fd < 0)
		return fd;
	r = store_fstat(f->s, fd, &st2);
	if (r == 0 && (!S_ISREG(st2.st_mode) || st2.st_ino != st.st_ino))
		r = -EAGAIN;
	if (r == 0) {
		got = store_pread_full(f->s, fd, out, max, 0);
		r = (int)got;
		/* Grown since the fstatat(): too big after all. */
		if (got >= 0 && (size_t)got == max && store_pread_full(f->s, fd, &extra, 1, max) > 0)
			r = -EFBIG;
	}
	(void)store_close(f->s, fd);
	return r;
}

/* --- directory listings --- */

struct listing {
	char **names;
	size_t n;
	size_t cap;
};

static void listing_release(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	l->names = NULL;
	l->n = l->cap = 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read every name of the directory (but . and ..), sorted. */
static int listing_read(struct fsck *f, int dirfd, struct listing *l)
{
	struct store_dir *d = NULL;
	struct store_dirent ent;
	char **grown;
	int r;

	memset(l, 0, sizeof(*l));
	if ((r = store_dir_open(f->s, dirfd, &d)) < 0)
		return r;
	while ((r = store_dir_next(f->s, d, &ent)) > 0) {
		if (is_dot(ent.name))
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? 2 * l->cap : 64;

			grown = realloc(l->names, cap * sizeof(*grown));
			if (!grown) {
				r = -ENOMEM;
				break;
			}
			l->names = grown;
			l->cap = cap;
		}
		if (!(l->names[l->n] = strdup(ent.name))) {
			r = -ENOMEM;
			break;
		}
		l->n++;
	}
	store_dir_close(f->s, d);
	if (r < 0) {
		listing_release(l);
		return r;
	}
	if (l->n > 1)
		qsort(l->names, l->n, sizeof(*l->names), cmp_names);
	return 0;
}

static bool listing_has(const struct listing *l, const char *name)
{
	return l->n && bsearch(&name, l->names, l->n, sizeof(*l->names), cmp_names) != NULL;
}

/* --- extended attributes --- */

static void check_xattr(struct fsck *f, int fd, const char *lname, uint8_t *vbuf)
{
	struct buf out;
	ssize_t vlen;
	int r;

	buf_init(&out);
	f->counts->xattrs++;
	r = names_xattr_decrypt(f->keys->xattr_names, lname, strlen(lname), &out);
	if (r == -ENOMEM) {
		fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, FSCK_NO_BLOCK, lname,
			       "out of memory", r);
	} else if (r < 0) {
		fsck_report_at(f, NULL, NULL, FSCK_XATTR_NAME, FSCK_NO_BLOCK, lname,
			       r == -EBADMSG ? "attribute name fails authentication"
					     : "attribute name is malformed",
			       0);
	}
	buf_release(&out);

	buf_init(&out);
	vlen = store_fgetxattr(f->s, fd, lname, vbuf, FSCK_XATTR_VALUE_MAX);
	if (vlen < 0) {
		fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, FSCK_NO_BLOCK, lname,
			       "cannot read attribute value", (int)vlen);
		goto out;
	}
	/* The value binds its own lower name (FORMAT.md, "Extended attributes"). */
	r = sealed_open(f->aead, f->keys->xattr_values, (const uint8_t *)lname, strlen(lname), vbuf,
			(size_t)vlen, &out);
	if (r == -EBADMSG || r == -EPROTO)
		fsck_report_at(f, NULL, NULL, FSCK_XATTR_VALUE, FSCK_NO_BLOCK, lname,
			       r == -EBADMSG ? "attribute value fails authentication"
					     : "attribute value too short for nonce and tag",
			       0);
	else if (r < 0)
		fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, FSCK_NO_BLOCK, lname,
			       "cannot check attribute value", r);
out:
	buf_release(&out);
	secure_wipe(vbuf, FSCK_XATTR_VALUE_MAX);
}

/*
 * Check every user.veilfs.* attribute of the object fd refers to. Other attributes
 * (security.*, trusted.*, user.* of other programs) are not veilfs's and are left alone.
 */
static void check_xattrs(struct fsck *f, int fd)
{
	char *list = NULL;
	uint8_t *vbuf = NULL;
	ssize_t n, again;
	size_t i;

	n = store_flistxattr(f->s, fd, NULL, 0);
	if (n == -ENOTSUP || n == -EOPNOTSUPP || n == 0)
		return;
	if (n < 0) {
		fsck_report_io(f, NULL, "cannot list extended attributes", (int)n);
		return;
	}
	list = malloc((size_t)n + 1);
	vbuf = malloc(FSCK_XATTR_VALUE_MAX);
	if (!list || !vbuf) {
		fsck_report_io(f, NULL, "out of memory", -ENOMEM);
		goto out;
	}
	again = store_flistxattr(f->s, fd, list, (size_t)n);
	if (again < 0) {
		fsck_report_io(f, NULL, "cannot list extended attributes", (int)again);
		goto out;
	}
	list[again] = '\0';
	for (i = 0; i < (size_t)again; i += strlen(list + i) + 1) {
		if (has_prefix(list + i, NAMES_XATTR_PREFIX))
			check_xattr(f, fd, list + i, vbuf);
	}
out:
	free(list);
	free(vbuf);
}

/* --- regular files --- */

static const char *size_reason(uint64_t size)
{
	if (size < FILE_HEADER_LEN)
		return "shorter than the file header";
	return "last block too short to hold nonce, tag and data";
}

/*
 * Check one stored block of len bytes (the last one when last). An inner all-zero block
 * is a hole; the last block must always authenticate with the final flag set.
 */
static void check_block(struct fsck *f, const uint8_t *file_id, uint64_t n, bool last,
			const uint8_t *p, size_t len)
{
	uint8_t ad[BLOCK_AD_LEN];
	size_t nl = f->geom.nonce_len;
	int r;

	f->counts->blocks++;
	if (block_is_hole(p, len)) {
		if (last)
			fsck_report_at(f, NULL, NULL, FSCK_LAST_BLOCK_ZERO, n, NULL,
				       "last block is all zero", 0);
		else
			f->counts->holes++;
		return;
	}
	block_ad(ad, file_id, n, last);
	r = aead_open(f->aead, f->file_key, p, ad, sizeof(ad), p + nl, len - nl, f->pbuf);
	secure_wipe(f->pbuf, f->geom.plain_size);
	if (r == 0)
		return;
	if (r != -EBADMSG) {
		fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, n, NULL, "cannot check block", r);
		return;
	}
	/* Tell a file cut or extended at a block boundary from a damaged block. */
	block_ad(ad, file_id, n, !last);
	r = aead_open(f->aead, f->file_key, p, ad, sizeof(ad), p + nl, len - nl, f->pbuf);
	secure_wipe(f->pbuf, f->geom.plain_size);
	if (r == 0)
		fsck_report_at(f, NULL, NULL, FSCK_BLOCK_FINAL_FLAG, n, NULL,
			       last ? "last block is sealed as an inner block (file cut at a "
				      "block boundary)"
				    : "inner block is sealed as the last block (stale blocks "
				      "appended after it)",
			       0);
	else
		fsck_report_at(f, NULL, NULL, FSCK_BLOCK_AUTH, n, NULL, "authentication failed", 0);
}

static void check_blocks(struct fsck *f, int fd, const uint8_t *file_id, uint64_t csize,
			 uint64_t psize)
{
	uint64_t nblocks = block_count(&f->geom, psize), n = 0, i, chunk;
	uint64_t off, want;
	ssize_t got;
	size_t len;

	while (n < nblocks) {
		chunk = nblocks - n < FSCK_CHUNK_BLOCKS ? nblocks - n : FSCK_CHUNK_BLOCKS;
		off = block_cipher_offset(&f->geom, n);
		want = (n + chunk == nblocks ? csize : block_cipher_offset(&f->geom, n + chunk)) - off;
		got = store_pread_full(f->s, fd, f->cbuf, (size_t)want, off);
		if (got < 0 || (uint64_t)got != want) {
			fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, n, NULL,
				       got < 0 ? "cannot read blocks"
					       : "file shrank during the check",
				       got < 0 ? (int)got : -EAGAIN);
			return;
		}
		for (i = 0; i < chunk; i++) {
			bool last = n + i == nblocks - 1;

			len = last ? (size_t)(want - i * f->geom.cipher_size) : f->geom.cipher_size;
			check_block(f, file_id, n + i, last, f->cbuf + i * f->geom.cipher_size, len);
		}
		n += chunk;
	}
}

static void check_file(struct fsck *f, int dirfd, const char *name, const struct stat *st)
{
	uint8_t hdr[FILE_HEADER_LEN], file_id[FILE_ID_LEN];
	struct stat st2;
	uint64_t psize;
	bool size_ok;
	ssize_t got;
	int fd, r;

	f->counts->files++;
	fd = store_openat(f->s, dirfd, name, STORE_RDONLY | STORE_NOFOLLOW, 0);
	if (fd < 0) {
		fsck_report_io(f, NULL, "cannot open file", fd);
		return;
	}
	if ((r = store_fstat(f->s, fd, &st2)) < 0) {
		fsck_report_io(f, NULL, "cannot stat file", r);
		goto out;
	}
	if (!S_ISREG(st2.st_mode) || st2.st_ino != st->st_ino) {
		fsck_report_io(f, NULL, "file replaced during the check", -EAGAIN);
		goto out;
	}
	check_xattrs(f, fd);
	if (st2.st_size == 0)
		goto out; /* an empty file has no header */
	size_ok = block_plain_size(&f->geom, (uint64_t)st2.st_size, &psize) == 0;
	if (!size_ok)
		fsck_report(f, FSCK_FILE_SIZE, size_reason((uint64_t)st2.st_size));
	if ((uint64_t)st2.st_size < FILE_HEADER_LEN)
		goto out;
	got = store_pread_full(f->s, fd, hdr, sizeof(hdr), 0);
	if (got != (ssize_t)sizeof(hdr)) {
		fsck_report_io(f, NULL, got < 0 ? "cannot read header" : "file shrank during the check",
			       got < 0 ? (int)got : -EAGAIN);
		goto out;
	}
	if (header_decode(hdr, sizeof(hdr), file_id) < 0) {
		fsck_report(f, FSCK_HEADER_INVALID, "bad magic or unknown header version");
		goto out;
	}
	if (!size_ok)
		goto out;
	if ((r = keys_file_key(f->keys, file_id, f->file_key)) < 0) {
		fsck_report_io(f, NULL, "cannot derive the file key", r);
		goto out;
	}
	check_blocks(f, fd, file_id, (uint64_t)st2.st_size, psize);
out:
	secure_wipe(f->file_key, FILE_KEY_LEN);
	(void)store_close(f->s, fd);
}

/* --- symlinks --- */

/* Notes that a valid symlink names the target blob id (checked against veilfs.links). */
static int remember_blob(struct fsck *f, const char *id)
{
	return buf_append(&f->blobs, id, LINK_ID_LEN + 1);
}

static bool blob_named(const struct fsck *f, const char *id)
{
	size_t i;

	for (i = 0; i + LINK_ID_LEN + 1 <= f->blobs.len; i += LINK_ID_LEN + 1)
		if (!memcmp(f->blobs.data + i, id, LINK_ID_LEN + 1))
			return true;
	return false;
}

/* After the walk: every entry of veilfs.links is a blob a valid symlink names. */
static void check_link_blobs(struct fsck *f)
{
	struct store_dir *d;
	struct store_dirent ent;
	int dfd, r;

	dfd = store_openat(f->s, f->rootfd, LINK_BLOB_DIR,
			   STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
	if (dfd == -ENOENT)
		return;
	if (dfd < 0 || (r = store_dir_open(f->s, dfd, &d)) < 0) {
		fsck_report_io(f, LINK_BLOB_DIR, "cannot list", dfd < 0 ? dfd : r);
		if (dfd >= 0)
			(void)store_close(f->s, dfd); /* read-only handle */
		return;
	}
	while ((r = store_dir_next(f->s, d, &ent)) > 0) {
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (strlen(ent.name) == LINK_ID_LEN && blob_named(f, ent.name))
			continue;
		fsck_report_at(f, LINK_BLOB_DIR, NULL, FSCK_RESERVED_NAME, FSCK_NO_BLOCK, NULL,
			       "entry that no symlink target names (left by a crash, or planted)",
			       0);
	}
	if (r < 0)
		fsck_report_io(f, LINK_BLOB_DIR, "cannot list", r);
	store_dir_close(f->s, d);
	(void)store_close(f->s, dfd); /* read-only handle */
}

static void check_symlink(struct fsck *f, int dirfd, const char *name)
{
	char *target = malloc(FSCK_LINK_MAX), id[LINK_ID_LEN + 1];
	struct buf out;
	ssize_t n;
	int r;

	buf_init(&out);
	f->counts->symlinks++;
	if (!target) {
		fsck_report_io(f, NULL, "out of memory", -ENOMEM);
		return;
	}
	n = store_readlinkat(f->s, dirfd, name, target, FSCK_LINK_MAX);
	if (n < 0) {
		fsck_report_io(f, NULL, "cannot read symlink", (int)n);
		goto out;
	}
	if (n == FSCK_LINK_MAX) {
		fsck_report(f, FSCK_SYMLINK_INVALID, "target too long to come from veilfs");
		goto out;
	}
	{
		struct link_ctx l = { f->s, f->rootfd, f->aead, f->keys->symlinks };

		r = link_target_open(&l, target, (size_t)n, &out);
		if (r == 0 && link_target_is_marker(target, (size_t)n, id) &&
		    remember_blob(f, id) < 0)
			fsck_report_io(f, NULL, "out of memory", -ENOMEM);
	}
	if (r == -EBADMSG)
		fsck_report(f, FSCK_SYMLINK_INVALID, "target fails authentication");
	else if (r == -EPROTO)
		fsck_report(f, FSCK_SYMLINK_INVALID, "target is malformed");
	else if (r < 0)
		fsck_report_io(f, NULL, "cannot check symlink", r);
out:
	buf_release(&out);
	free(target);
}

/* --- directories --- */

static void walk_dir(struct fsck *f, int dirfd, bool is_root);

/* Check the object dirfd/name; plain is its plaintext name or NULL. */
static void check_entry(struct fsck *f, int dirfd, const char *name, const char *plain)
{
	struct path_mark m;
	struct stat st;
	int r, fd;

	fsck_path_push(f, name, plain, &m);
	if ((r = store_fstatat(f->s, dirfd, name, &st, STORE_AT_NOFOLLOW)) < 0) {
		fsck_report_io(f, NULL, "cannot stat", r);
		goto out;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		if (f->depth >= FSCK_MAX_DEPTH) {
			fsck_report_io(f, NULL, "directory tree too deep; not descended", -ELOOP);
			break;
		}
		fd = store_openat(f->s, dirfd, name, STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW,
				  0);
		if (fd < 0) {
			fsck_report_io(f, NULL, "cannot open directory", fd);
			break;
		}
		f->depth++;
		walk_dir(f, fd, false);
		f->depth--;
		(void)store_close(f->s, fd);
		break;
	case S_IFREG:
		check_file(f, dirfd, name, &st);
		break;
	case S_IFLNK:
		check_symlink(f, dirfd, name);
		break;
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		f->counts->others++;
		break;
	default:
		fsck_report(f, FSCK_BAD_TYPE, "object of unknown type");
		break;
	}
out:
	fsck_path_pop(f, &m);
}

/*
 * Read the directory IV. Returns true when iv holds a valid one; reports what is wrong
 * otherwise.
 */
static bool read_diriv(struct fsck *f, int dirfd, uint8_t iv[static DIRIV_LEN])
{
	uint8_t tmp[DIRIV_LEN];
	ssize_t n;

	n = read_small(f, dirfd, NAMES_DIRIV_FILE, tmp, sizeof(tmp));
	if (n == DIRIV_LEN) {
		memcpy(iv, tmp, DIRIV_LEN);
		return true;
	}
	if (n == -ENOENT)
		fsck_report(f, FSCK_DIRIV_MISSING, "no " NAMES_DIRIV_FILE "; names not checked");
	else if (n == -EINVAL)
		fsck_report_at(f, NAMES_DIRIV_FILE, NULL, FSCK_DIRIV_INVALID, FSCK_NO_BLOCK, NULL,
			       "not a regular file; names not checked", 0);
	else if (n >= 0 || n == -EFBIG)
		fsck_report_at(f, NAMES_DIRIV_FILE, NULL, FSCK_DIRIV_INVALID, FSCK_NO_BLOCK, NULL,
			       "not 16 bytes long; names not checked", 0);
	else
		fsck_report_io(f, NAMES_DIRIV_FILE, "cannot read directory IV", (int)n);
	return false;
}

/* "veilfs.lname.<hash>.name" whose prefix is a long name: the side file of that entry. */
static bool is_side_file(const char *name, size_t len)
{
	size_t sl = sizeof(NAMES_LONG_SUFFIX) - 1;

	return len > sl && !strcmp(name + len - sl, NAMES_LONG_SUFFIX) &&
	       names_is_long(name, len - sl);
}

static void report_name_error(struct fsck *f, const char *name, int r)
{
	if (r == -ENOMEM || r == -EIO)
		fsck_report_io(f, name, "cannot decrypt name", r);
	else
		fsck_report_at(f, name, NULL, FSCK_NAME_INVALID, FSCK_NO_BLOCK, NULL,
			       r == -EBADMSG ? "name fails authentication under the directory IV"
					     : "name is malformed",
			       0);
}

/*
 * A long-name entry: its side file must exist, hash to the entry's name, hold an encoded
 * name too long to be stored directly, and decrypt. The object is checked in any case.
 */
static void check_long_entry(struct fsck *f, int dirfd, const struct listing *l,
			     const char *name, const uint8_t *iv)
{
	char side[NAMES_LONG_LEN + sizeof(NAMES_LONG_SUFFIX)];
	uint8_t enc[FSCK_SIDE_MAX];
	struct buf plain;
	ssize_t n;
	int r;

	buf_init(&plain);
	/* names_is_long() checked that name is NAMES_LONG_LEN bytes long. */
	memcpy(side, name, NAMES_LONG_LEN);
	memcpy(side + NAMES_LONG_LEN, NAMES_LONG_SUFFIX, sizeof(NAMES_LONG_SUFFIX));
	if (!listing_has(l, side)) {
		fsck_report_at(f, name, NULL, FSCK_LONGNAME_MISSING, FSCK_NO_BLOCK, NULL,
			       "side file " NAMES_LONG_SUFFIX " is missing", 0);
		goto check;
	}
	n = read_small(f, dirfd, side, enc, sizeof(enc));
	if (n == -EINVAL || n == -EFBIG || n == 0) {
		fsck_report_at(f, side, NULL, FSCK_LONGNAME_INVALID, FSCK_NO_BLOCK, NULL,
			       n == -EINVAL ? "side file is not a regular file"
					    : "side file has an impossible length",
			       0);
		goto check;
	}
	if (n < 0) {
		fsck_report_io(f, side, "cannot read side file", (int)n);
		goto check;
	}
	r = names_long_verify(name, strlen(name), (const char *)enc, (size_t)n);
	if (r < 0) {
		fsck_report_at(f, side, NULL, FSCK_LONGNAME_INVALID, FSCK_NO_BLOCK, NULL,
			       r == -EBADMSG ? "side file does not hash to the entry name"
					     : "side file is malformed",
			       0);
		goto check;
	}
	if (!names_needs_long((size_t)n)) {
		fsck_report_at(f, side, NULL, FSCK_LONGNAME_INVALID, FSCK_NO_BLOCK, NULL,
			       "side file holds a name short enough to be stored directly", 0);
		goto check;
	}
	if (!iv)
		goto check;
	r = names_decrypt(f->keys->names, iv, (const char *)enc, (size_t)n, &plain);
	if (r < 0) {
		report_name_error(f, name, r);
		goto check;
	}
	f->counts->names++;
	check_entry(f, dirfd, name, (const char *)plain.data);
	buf_release(&plain);
	return;
check:
	check_entry(f, dirfd, name, NULL);
	buf_release(&plain);
}

/* Reason for an unexpected reserved name. */
static const char *reserved_reason(const char *name)
{
	if (has_prefix(name, NAMES_CONF_FILE ".tmp.") || has_prefix(name, NAMES_DIRIV_FILE ".tmp."))
		return "leftover temporary file of an interrupted write";
	if (!strcmp(name, NAMES_CONF_FILE))
		return "config file outside the root directory";
	return "unexpected reserved name";
}

static void check_dir_entry(struct fsck *f, int dirfd, bool is_root, const struct listing *l,
			    const char *name, const uint8_t *iv)
{
	size_t len = strlen(name);
	bool reserved;
	struct buf plain;
	int r;

	if (is_root && !strcmp(name, NAMES_CONF_FILE))
		return; /* loaded and unlocked before the walk */
	if (is_root && has_prefix(name, NAMES_RESERVED_PREFIX "lock."))
		return; /* a shared-mode lock file (docs/SHARED.md), held or stale */
	if (is_root && has_prefix(name, NAMES_RESERVED_PREFIX "mount."))
		return; /* the mount registry (coord/registry.h), reported by the CLI */
	if (is_root && !strcmp(name, LINK_BLOB_DIR))
		return; /* long symlink targets: check_link_blobs after the walk */
	/* In plaintext-names mode only the root's veilfs.* names are veilfs's. */
	reserved = names_is_reserved(name, len) && (!f->plaintext_names || is_root);
	if (reserved) {
		if (!f->plaintext_names && !strcmp(name, NAMES_DIRIV_FILE))
			return; /* read by walk_dir */
		if (!f->plaintext_names && names_is_long(name, len)) {
			check_long_entry(f, dirfd, l, name, iv);
			return;
		}
		if (!f->plaintext_names && is_side_file(name, len)) {
			char entry[NAMES_LONG_LEN + 1];

			memcpy(entry, name, NAMES_LONG_LEN);
			entry[NAMES_LONG_LEN] = '\0';
			if (!listing_has(l, entry))
				fsck_report_at(f, name, NULL, FSCK_LONGNAME_ORPHAN, FSCK_NO_BLOCK,
					       NULL, "side file without its long-name entry", 0);
			return;
		}
		fsck_report_at(f, name, NULL, FSCK_RESERVED_NAME, FSCK_NO_BLOCK, NULL,
			       reserved_reason(name), 0);
		return;
	}
	if (f->plaintext_names) {
		check_entry(f, dirfd, name, name);
		return;
	}
	if (!iv) {
		check_entry(f, dirfd, name, NULL);
		return;
	}
	buf_init(&plain);
	r = names_decrypt(f->keys->names, iv, name, len, &plain);
	if (r < 0) {
		report_name_error(f, name, r);
		check_entry(f, dirfd, name, NULL);
	} else {
		f->counts->names++;
		check_entry(f, dirfd, name, (const char *)plain.data);
	}
	buf_release(&plain);
}

static void walk_dir(struct fsck *f, int dirfd, bool is_root)
{
	uint8_t iv[DIRIV_LEN];
	bool have_iv = false;
	struct listing l;
	size_t i;
	int r;

	f->counts->dirs++;
	if ((r = listing_read(f, dirfd, &l)) < 0) {
		fsck_report_io(f, NULL, "cannot list directory", r);
		return;
	}
	check_xattrs(f, dirfd);
	if (!f->plaintext_names)
		have_iv = read_diriv(f, dirfd, iv);
	for (i = 0; i < l.n; i++)
		check_dir_entry(f, dirfd, is_root, &l, l.names[i], have_iv ? iv : NULL);
	listing_release(&l);
}

/* --- entry points --- */

static void fsck_release(struct fsck *f)
{
	vault_keys_free(f->keys);
	aead_ctx_free(f->aead);
	secmem_free(f->file_key);
	if (f->pbuf)
		secure_wipe(f->pbuf, f->geom.plain_size);
	free(f->pbuf);
	free(f->cbuf);
	buf_release(&f->lower);
	buf_release(&f->plain);
	buf_release(&f->blobs);
	secure_wipe(&f->cfg, sizeof(f->cfg));
}

int fsck_run_store(struct store *s, int rootfd, const char *pw, size_t pwlen,
		   fsck_report_fn report, void *arg, struct fsck_counts *counts)
{
	struct fsck f;
	struct stat st;
	size_t nonce_len;
	int r;

	memset(counts, 0, sizeof(*counts));
	memset(&f, 0, sizeof(f));
	buf_init(&f.lower);
	buf_init(&f.plain);
	f.s = s;
	f.rootfd = rootfd;
	buf_init(&f.blobs);
	f.report = report;
	f.arg = arg;
	f.counts = counts;

	if ((r = store_fstatat(s, rootfd, NAMES_CONF_FILE, &st, STORE_AT_NOFOLLOW)) < 0)
		goto out;
	r = -EPROTO;
	if (!S_ISREG(st.st_mode))
		goto out;
	if ((r = keys_unlock(s, rootfd, pw, pwlen, &f.cfg, &f.keys)) < 0)
		goto out;
	f.plaintext_names = f.cfg.features & CONFIG_FEATURE_PLAINTEXT_NAMES;
	r = -EPROTO;
	nonce_len = aead_nonce_len((enum aead_alg)f.cfg.cipher);
	if (!nonce_len)
		goto out;
	block_geom_init(&f.geom, f.cfg.block_size, (uint32_t)nonce_len);
	r = -ENOMEM;
	f.aead = aead_ctx_new((enum aead_alg)f.cfg.cipher);
	f.file_key = secmem_alloc(FILE_KEY_LEN);
	f.cbuf = malloc((size_t)FSCK_CHUNK_BLOCKS * f.geom.cipher_size);
	f.pbuf = malloc(f.geom.plain_size);
	if (!f.aead || !f.file_key || !f.cbuf || !f.pbuf)
		goto out;

	/* The root must at least be listable; anything below is reported and walked past. */
	{
		struct store_dir *d;

		if ((r = store_dir_open(s, rootfd, &d)) < 0)
			goto out;
		store_dir_close(s, d);
	}
	walk_dir(&f, rootfd, true);
	check_link_blobs(&f);
	r = 0;
out:
	fsck_release(&f);
	return r;
}

int fsck_run(const char *cipherdir, const char *pw, size_t pwlen, fsck_report_fn report,
	     void *arg, struct fsck_counts *counts)
{
	struct store *s = NULL;
	int rootfd = -1, r;

	memset(counts, 0, sizeof(*counts));
	if ((r = store_open_dir(cipherdir, &s, &rootfd)) < 0)
		return r;
	r = fsck_run_store(s, rootfd, pw, pwlen, report, arg, counts);
	(void)store_close(s, rootfd);
	store_free(s);
	return r;
}

/*
 * The walk of fsck (fsck.h): from the root handle down with *at() calls, one directory
 * handle open per level of depth. Each directory is listed completely (and its listing
 * closed) before its entries are checked, so that long-name entries can be matched with
 * their side files. Owns the checks of directory IVs, lower names, long-name side files
 * and reserved names; hands regular files to file.c and attributes and symlinks to
 * attrs.c. Lower and plaintext paths are kept only as text for the findings.
 */
#include <errno.h>
#include <stdlib.h>
#include "fsck/fsck_internal.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "store/store.h"
#include "vault/link_target.h"
#include "vault/vault.h"
#include "vault/xattr_blob.h"

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
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
	(void)store_close(f->s, fd); /* a read-only handle: nothing to lose */
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

/* --- directories --- */

/* Walk the subdirectory dirfd/name, unless the tree is too deep already. */
static void descend(struct fsck *f, int dirfd, const char *name)
{
	int fd;

	if (f->depth >= FSCK_MAX_DEPTH) {
		fsck_report_io(f, NULL, "directory tree too deep; not descended", -ELOOP);
		return;
	}
	fd = store_openat(f->s, dirfd, name, STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
	if (fd < 0) {
		fsck_report_io(f, NULL, "cannot open directory", fd);
		return;
	}
	f->depth++;
	fsck_walk_dir(f, fd, false);
	f->depth--;
	(void)store_close(f->s, fd); /* a read-only handle: nothing to lose */
}

/* Check the object dirfd/name; plain is its plaintext name or NULL. */
static void check_entry(struct fsck *f, int dirfd, const char *name, const char *plain)
{
	struct path_mark m;
	struct stat st;
	int r;

	fsck_path_push(f, name, plain, &m);
	if ((r = store_fstatat(f->s, dirfd, name, &st, STORE_AT_NOFOLLOW)) < 0) {
		fsck_report_io(f, NULL, "cannot stat", r);
		goto out;
	}
	switch (st.st_mode & S_IFMT) {
	case S_IFDIR:
		descend(f, dirfd, name);
		break;
	case S_IFREG:
		fsck_check_file(f, dirfd, name, &st);
		break;
	case S_IFLNK:
		fsck_check_symlink(f, dirfd, name);
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
 * The side file of the long-name entry `name` into enc (FSCK_SIDE_MAX bytes): it must
 * exist, hash to the entry's name and hold an encoded name too long to be stored
 * directly. Returns its length, or -1 after reporting what is wrong.
 */
static ssize_t read_side_file(struct fsck *f, int dirfd, const struct listing *l,
			      const char *name, uint8_t *enc)
{
	char side[NAMES_LONG_LEN + sizeof(NAMES_LONG_SUFFIX)];
	const char *why = NULL;
	ssize_t n;
	int r;

	/* names_is_long() checked that name is NAMES_LONG_LEN bytes long. */
	memcpy(side, name, NAMES_LONG_LEN);
	memcpy(side + NAMES_LONG_LEN, NAMES_LONG_SUFFIX, sizeof(NAMES_LONG_SUFFIX));
	if (!listing_has(l, side)) {
		fsck_report_at(f, name, NULL, FSCK_LONGNAME_MISSING, FSCK_NO_BLOCK, NULL,
			       "side file " NAMES_LONG_SUFFIX " is missing", 0);
		return -1;
	}
	n = read_small(f, dirfd, side, enc, FSCK_SIDE_MAX);
	if (n == -EINVAL)
		why = "side file is not a regular file";
	else if (n == -EFBIG || n == 0)
		why = "side file has an impossible length";
	if (!why && n < 0) {
		fsck_report_io(f, side, "cannot read side file", (int)n);
		return -1;
	}
	if (!why && (r = names_long_verify(name, strlen(name), (const char *)enc, (size_t)n)) < 0)
		why = r == -EBADMSG ? "side file does not hash to the entry name"
				    : "side file is malformed";
	if (!why && !names_needs_long((size_t)n))
		why = "side file holds a name short enough to be stored directly";
	if (!why)
		return n;
	fsck_report_at(f, side, NULL, FSCK_LONGNAME_INVALID, FSCK_NO_BLOCK, NULL, why, 0);
	return -1;
}

/* A long-name entry: its side file is checked and decrypted; the object in any case. */
static void check_long_entry(struct fsck *f, int dirfd, const struct listing *l,
			     const char *name, const uint8_t *iv)
{
	uint8_t enc[FSCK_SIDE_MAX];
	struct buf plain;
	ssize_t n;
	int r = -1;

	buf_init(&plain);
	n = read_side_file(f, dirfd, l, name, enc);
	if (n >= 0 && iv) {
		r = names_decrypt(f->keys->names, iv, (const char *)enc, (size_t)n, &plain);
		if (r < 0)
			report_name_error(f, name, r);
	}
	if (r == 0) {
		f->counts->names++;
		check_entry(f, dirfd, name, (const char *)plain.data);
	} else {
		check_entry(f, dirfd, name, NULL);
	}
	buf_release(&plain);
}

/* Reason for an unexpected reserved name. */
static const char *reserved_reason(const char *name)
{
	if (fsck_has_prefix(name, CONFIG_FILE_NAME ".tmp.") ||
	    fsck_has_prefix(name, NAMES_DIRIV_FILE ".tmp.") || fsck_is_atomic_temp(name))
		return "leftover temporary file of an interrupted write";
	if (fsck_has_prefix(name, VAULT_REKEY_TMP_PREFIX))
		return "leftover temporary file of an interrupted rekey (the next rekey, or --repair, "
		       "removes it)";
	if (!strcmp(name, CONFIG_FILE_NAME))
		return "config file outside the root directory";
	return "unexpected reserved name";
}

/* Root entries that are not part of the tree: the config, lock files, the registry. */
static bool is_root_bookkeeping(const char *name)
{
	if (!strcmp(name, CONFIG_FILE_NAME))
		return true; /* loaded and unlocked before the walk */
	if (fsck_has_prefix(name, NAMES_RESERVED_PREFIX "lock."))
		return true; /* a shared-mode lock file (docs/SHARED.md), held or stale */
	if (!strcmp(name, LINK_BLOB_DIR))
		return true; /* long symlink targets: fsck_check_link_blobs after the walk */
	if (!strcmp(name, XATTR_BLOB_DIR))
		return true; /* out-of-line attributes: fsck_check_xattr_blobs after the walk */
	/* the mount registry (coord/registry.h), reported by the CLI */
	return fsck_has_prefix(name, NAMES_RESERVED_PREFIX "mount.");
}

/* A veilfs.* name: the directory IV, a long name, its side file, or one out of place. */
static void check_reserved_entry(struct fsck *f, int dirfd, const struct listing *l,
				 const char *name, size_t len, const uint8_t *iv)
{
	char entry[NAMES_LONG_LEN + 1];

	if (!f->plaintext_names && !strcmp(name, NAMES_DIRIV_FILE))
		return; /* read by fsck_walk_dir */
	if (!f->plaintext_names && names_is_long(name, len)) {
		check_long_entry(f, dirfd, l, name, iv);
		return;
	}
	if (!f->plaintext_names && is_side_file(name, len)) {
		memcpy(entry, name, NAMES_LONG_LEN);
		entry[NAMES_LONG_LEN] = '\0';
		if (listing_has(l, entry))
			return;
		/*
		 * A side file is written before its entry is made or renamed into place, and
		 * removed after it: one without its entry names nothing.
		 */
		if (f->repair)
			f->repaired = fsck_repair_remove(f, dirfd, name);
		fsck_report_at(f, name, NULL, FSCK_LONGNAME_ORPHAN, FSCK_NO_BLOCK, NULL,
			       "side file without its long-name entry", 0);
		return;
	}
	/* a rekey's temporary file is never the only copy: the old file is whole until the
	 * rename (vault/vault_rekey.c) */
	if (f->repair && (fsck_is_atomic_temp(name) || fsck_has_prefix(name, VAULT_REKEY_TMP_PREFIX)))
		f->repaired = fsck_repair_remove(f, dirfd, name);
	fsck_report_at(f, name, NULL, FSCK_RESERVED_NAME, FSCK_NO_BLOCK, NULL,
		       reserved_reason(name), 0);
}

/* An encrypted name: decrypt it under iv (NULL: unknown IV), then check the object. */
static void check_encrypted_entry(struct fsck *f, int dirfd, const char *name, size_t len,
				  const uint8_t *iv)
{
	struct buf plain;
	int r;

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

static void check_dir_entry(struct fsck *f, int dirfd, bool is_root, const struct listing *l,
			    const char *name, const uint8_t *iv)
{
	size_t len = strlen(name);

	if (is_root && is_root_bookkeeping(name))
		return;
	/* In plaintext-names mode only the root's veilfs.* names are veilfs's. */
	if (names_is_reserved(name, len) && (!f->plaintext_names || is_root))
		check_reserved_entry(f, dirfd, l, name, len, iv);
	else if (f->plaintext_names)
		check_entry(f, dirfd, name, name);
	else
		check_encrypted_entry(f, dirfd, name, len, iv);
}

/*
 * A directory other than the root without veilfs.diriv that holds nothing but temp files
 * of an IV: what a mkdir leaves when a crash cuts it between making the directory and
 * renaming its IV into place. No name in it was encrypted, so it can be given a new IV.
 */
static bool is_ivless_empty(struct fsck *f, int dirfd, bool is_root, const struct listing *l)
{
	struct stat st;
	size_t i;

	if (is_root || f->plaintext_names)
		return false;
	for (i = 0; i < l->n; i++)
		if (!fsck_has_prefix(l->names[i], NAMES_DIRIV_FILE ".tmp.") ||
		    !fsck_is_atomic_temp(l->names[i]))
			return false;
	return store_fstatat(f->s, dirfd, NAMES_DIRIV_FILE, &st, STORE_AT_NOFOLLOW) == -ENOENT;
}

void fsck_walk_dir(struct fsck *f, int dirfd, bool is_root)
{
	uint8_t iv[DIRIV_LEN];
	bool have_iv = false, ivless_empty;
	uint64_t io_before;
	struct listing l;
	size_t i;
	int r;

	f->counts->dirs++;
	if ((r = listing_read(f, dirfd, &l)) < 0) {
		fsck_report_io(f, NULL, "cannot list directory", r);
		return;
	}
	fsck_check_xattrs(f, dirfd);
	ivless_empty = is_ivless_empty(f, dirfd, is_root, &l);
	io_before = f->counts->io_errors;
	if (!f->plaintext_names && !ivless_empty)
		have_iv = read_diriv(f, dirfd, iv);
	for (i = 0; i < l.n; i++)
		check_dir_entry(f, dirfd, is_root, &l, l.names[i], have_iv ? iv : NULL);
	if (ivless_empty) {
		/* after the loop: its temp files are gone first */
		if (f->repair && f->counts->io_errors == io_before)
			f->repaired = fsck_repair_diriv(f, dirfd);
		fsck_report(f, FSCK_DIRIV_MISSING,
			    "no " NAMES_DIRIV_FILE " in an empty directory (a mkdir cut short)");
	}
	listing_release(&l);
}

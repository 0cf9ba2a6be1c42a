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
#include "keys/keys.h"
#include "store/store.h"

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

/* --- directories --- */

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
		fsck_walk_dir(f, fd, false);
		f->depth--;
		(void)store_close(f->s, fd);
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
	if (fsck_has_prefix(name, NAMES_CONF_FILE ".tmp.") || fsck_has_prefix(name, NAMES_DIRIV_FILE ".tmp."))
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
	if (is_root && fsck_has_prefix(name, NAMES_RESERVED_PREFIX "lock."))
		return; /* a shared-mode lock file (docs/SHARED.md), held or stale */
	if (is_root && fsck_has_prefix(name, NAMES_RESERVED_PREFIX "mount."))
		return; /* the mount registry (coord/registry.h), reported by the CLI */
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

void fsck_walk_dir(struct fsck *f, int dirfd, bool is_root)
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
	fsck_check_xattrs(f, dirfd);
	if (!f->plaintext_names)
		have_iv = read_diriv(f, dirfd, iv);
	for (i = 0; i < l.n; i++)
		check_dir_entry(f, dirfd, is_root, &l, l.names[i], have_iv ? iv : NULL);
	listing_release(&l);
}

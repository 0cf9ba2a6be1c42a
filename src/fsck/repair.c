/*
 * What `fsck --repair` changes (docs/FSCK.md, "Repair"): only leftovers that the order of
 * veilfs's own lower calls proves to be an interrupted operation, each found and proven by
 * the walk (walk.c, file.c, links.c) before it is handed here. Every function returns a
 * short phrase saying what it did, for the finding, or NULL after reporting (io-error)
 * why it could not. The caller (the CLI) makes sure no mount or command uses the vault.
 */
#include <errno.h>
#include <stdlib.h>
#include "crypto/kdf.h"
#include "fsck/fsck_internal.h"
#include "keys/config_any.h"
#include "keys/config_file.h"
#include "format/rekey_mark.h"
#include "store/store.h"
#include "vault/file_tail.h"
#include "vault/link_target.h"

/* "digits" followed by end (or by '.' when dot), advancing *p; false when not. */
static bool skip_digits(const char **p, bool dot)
{
	const char *s = *p;

	if (*s < '0' || *s > '9')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	if (dot ? *s != '.' : *s != '\0')
		return false;
	*p = s + (dot ? 1 : 0);
	return true;
}

/* name is base (base_len bytes) followed by store_write_atomic()'s ".tmp.PID.N". */
static bool is_temp_of(const char *name, size_t base_len)
{
	const char *p = name + base_len;

	if (strlen(name) <= base_len || strncmp(p, ".tmp.", 5) != 0)
		return false;
	p += 5;
	return skip_digits(&p, true) && skip_digits(&p, false);
}

bool fsck_is_atomic_temp(const char *name)
{
	static const char *const files[] = { CONFIG_FILE_NAME, NAMES_DIRIV_FILE,
					     CONFIG_V1_BACKUP_FILE };
	size_t i, side = NAMES_LONG_LEN + sizeof(NAMES_LONG_SUFFIX) - 1;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (fsck_has_prefix(name, files[i]) && is_temp_of(name, strlen(files[i])))
			return true;
	/* a long name's side file, veilfs.lname.HASH.name */
	return strlen(name) > side && names_is_long(name, NAMES_LONG_LEN) &&
	       !strncmp(name + NAMES_LONG_LEN, NAMES_LONG_SUFFIX, sizeof(NAMES_LONG_SUFFIX) - 1) &&
	       is_temp_of(name, side);
}

bool fsck_is_blob_temp(const char *name)
{
	return is_temp_of(name, LINK_ID_LEN);
}

const char *fsck_repair_remove(struct fsck *f, int dirfd, const char *name)
{
	struct stat st;
	int r;

	if ((r = store_fstatat(f->s, dirfd, name, &st, STORE_AT_NOFOLLOW)) < 0 ||
	    (r = S_ISREG(st.st_mode) ? 0 : -EINVAL) < 0 ||
	    (r = store_unlinkat(f->s, dirfd, name, 0)) < 0) {
		fsck_report_io(f, name, "cannot remove", r);
		return NULL;
	}
	return "removed";
}

const char *fsck_repair_diriv(struct fsck *f, int dirfd)
{
	uint8_t iv[DIRIV_LEN];
	int r;

	/*
	 * As vault_dir_iv_create() does (temp file and rename). The directory is empty, so no
	 * name was ever encrypted under another IV.
	 */
	if ((r = random_bytes(iv, sizeof(iv))) < 0 ||
	    (r = store_write_atomic(f->s, dirfd, NAMES_DIRIV_FILE, iv, sizeof(iv), 0444)) < 0) {
		fsck_report_io(f, NAMES_DIRIV_FILE, "cannot create the directory IV", r);
		return NULL;
	}
	return "directory IV created";
}

const char *fsck_repair_reseal(struct fsck *f, int dirfd, const char *name, uint64_t ino,
			       uint64_t n, const uint8_t *plain)
{
	uint8_t *out = malloc(f->geom.cipher_size);
	struct stat st;
	int fd = -1, r = -ENOMEM;

	if (!out)
		goto out;
	fd = store_openat(f->s, dirfd, name, STORE_RDWR | STORE_NOFOLLOW, 0);
	if (fd < 0) {
		r = fd;
		goto out;
	}
	if ((r = store_fstat(f->s, fd, &st)) < 0)
		goto out;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != ino) {
		r = -EAGAIN; /* replaced since it was checked */
		goto out;
	}
	if ((r = codec_seal(&f->codec, n, false, plain, f->geom.plain_size, out)) < 0)
		goto out;
	/* the same stored length, in place: a crash in this write is a torn block */
	if ((r = store_pwrite_full(f->s, fd, out, f->geom.cipher_size,
				   block_cipher_offset(&f->geom, n))) < 0)
		goto out;
	r = store_fsync(f->s, fd, false);
out:
	if (fd >= 0) {
		int rr = store_close(f->s, fd);

		if (r == 0)
			r = rr;
	}
	free(out);
	if (r < 0) {
		fsck_report_io(f, NULL, "cannot re-seal the block", r);
		return NULL;
	}
	return "re-sealed as an inner block";
}

/* dirfd/name opened for writing, still inode ino; the handle or -errno. */
static int open_same(struct fsck *f, int dirfd, const char *name, uint64_t ino)
{
	struct stat st;
	int fd = store_openat(f->s, dirfd, name, STORE_RDWR | STORE_NOFOLLOW, 0), r;

	if (fd < 0)
		return fd;
	if ((r = store_fstat(f->s, fd, &st)) == 0 &&
	    (!S_ISREG(st.st_mode) || (uint64_t)st.st_ino != ino))
		r = -EAGAIN; /* replaced since it was checked */
	if (r < 0) {
		(void)store_close(f->s, fd); /* nothing written through it */
		return r;
	}
	return fd;
}

const char *fsck_repair_tail(struct fsck *f, int dirfd, const char *name, uint64_t ino,
			     uint64_t n, const uint8_t *stored, size_t len)
{
	int fd = open_same(f, dirfd, name, ino), r = fd < 0 ? fd : 0, rr;

	/* the block in place and synced before its copy goes, as the truncate does */
	if (r == 0 && stored &&
	    (r = store_pwrite_full(f->s, fd, stored, len, block_cipher_offset(&f->geom, n))) == 0)
		r = store_fsync(f->s, fd, true);
	if (r == 0)
		r = store_fremovexattr(f->s, fd, FILE_TAIL_XATTR);
	if (fd >= 0 && (rr = store_close(f->s, fd)) < 0 && r == 0)
		r = rr;
	if (r < 0) {
		fsck_report_io(f, NULL, stored ? "cannot write back the truncate copy"
					       : "cannot remove the truncate copy",
			       r);
		return NULL;
	}
	return stored ? "last block written back from the truncate copy"
		      : "truncate copy removed";
}

const char *fsck_repair_unmark(struct fsck *f, int dirfd, const char *name, uint64_t ino,
			       const struct rekey_mark *m)
{
	int fd = open_same(f, dirfd, name, ino), r = fd < 0 ? fd : 0, rr;

	if (r == 0 && (r = store_ftruncate(f->s, fd, m->size)) == 0)
		r = store_fsync(f->s, fd, false);
	if (fd >= 0 && (rr = store_close(f->s, fd)) < 0 && r == 0)
		r = rr;
	if (r < 0) {
		fsck_report_io(f, NULL, "cannot take the rekey mark off", r);
		return NULL;
	}
	/* the times it had before the mark; the contents are whole whatever happens here */
	(void)store_utimensat(f->s, dirfd, name, m->times, STORE_AT_NOFOLLOW);
	return "mark cut off: the file is as it was before the rekey";
}

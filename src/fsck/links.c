/*
 * fsck of the out-of-line symlink targets (docs/FORMAT.md, "Symlink targets"): each valid
 * symlink whose target is a marker names its blob while the walk runs; afterwards every
 * entry of veilfs.links/ must be one of those blobs. One that no link names was left by a
 * crash between writing the blob and making the link, or planted. The out-of-line
 * attribute blobs of veilfs.xattrs/ are checked alike: each marker a walked file or
 * directory carries names one (attrs.c), and every entry must be one of those.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fsck/fsck_internal.h"
#include "store/store.h"
#include "vault/link_target.h"
#include "vault/xattr_blob.h"

int fsck_remember_blob(struct fsck *f, const char *id)
{
	return buf_append(&f->blobs, id, LINK_ID_LEN + 1);
}

int fsck_remember_xattr_blob(struct fsck *f, const char *id)
{
	return buf_append(&f->xblobs, id, XATTR_BLOB_ID_LEN + 1);
}

/* One kind of blob directory: its name, the ids named during the walk, what names them. */
struct blob_kind {
	const char *dir;
	const struct buf *named;
	size_t idlen;
	const char *orphan;
	bool repairable; /* fsck --repair may remove an entry nothing names */
};

static bool blob_named(const struct blob_kind *k, const char *id)
{
	size_t i;

	for (i = 0; i + k->idlen + 1 <= k->named->len; i += k->idlen + 1)
		if (!memcmp(k->named->data + i, id, k->idlen + 1))
			return true;
	return false;
}

static void check_blob_entries(struct fsck *f, const struct blob_kind *k, int dfd,
			       struct store_dir *d)
{
	struct store_dirent ent;
	int r;

	char child[64 + 256];

	while ((r = store_dir_next(f->s, d, &ent)) > 0) {
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (strlen(ent.name) == k->idlen && blob_named(k, ent.name))
			continue;
		/*
		 * A blob is written before what names it, so a crash between leaves a blob
		 * nothing names. A symlink blob is removed, but only when every symlink of
		 * the vault was read and decrypted (a damaged or unread one may be its link);
		 * an attribute blob never (a crash while attributes move out of line can leave
		 * one holding the only copy of an attribute); the temp file of a blob's atomic
		 * write is removed in any case.
		 */
		if (f->repair && ((k->repairable && strlen(ent.name) == k->idlen) ||
				  fsck_is_blob_temp(ent.name)))
			f->repaired = fsck_repair_remove(f, dfd, ent.name);
		snprintf(child, sizeof(child), "%s/%s", k->dir, ent.name);
		fsck_report_at(f, child, NULL, FSCK_RESERVED_NAME, FSCK_NO_BLOCK, NULL, k->orphan,
			       0);
	}
	if (r < 0)
		fsck_report_io(f, k->dir, "cannot list", r);
}

static void check_blob_dir(struct fsck *f, const struct blob_kind *k)
{
	struct store_dir *d;
	int dfd, r;

	dfd = store_openat(f->s, f->rootfd, k->dir, STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW,
			   0);
	if (dfd == -ENOENT)
		return;
	if (dfd < 0) {
		fsck_report_io(f, k->dir, "cannot open", dfd);
		return;
	}
	if ((r = store_dir_open(f->s, dfd, &d)) < 0) {
		fsck_report_io(f, k->dir, "cannot list", r);
	} else {
		check_blob_entries(f, k, dfd, d);
		store_dir_close(f->s, d);
	}
	(void)store_close(f->s, dfd); /* a read-only handle: nothing to lose */
}

void fsck_check_link_blobs(struct fsck *f)
{
	const struct blob_kind k = {
		LINK_BLOB_DIR, &f->blobs, LINK_ID_LEN,
		"entry that no symlink target names (left by a crash, or planted)",
		!f->links_unsure
	};

	check_blob_dir(f, &k);
}

void fsck_check_xattr_blobs(struct fsck *f)
{
	const struct blob_kind k = {
		XATTR_BLOB_DIR, &f->xblobs, XATTR_BLOB_ID_LEN,
		"entry that no attribute marker names (left by a crash, or planted)", false
	};

	check_blob_dir(f, &k);
}

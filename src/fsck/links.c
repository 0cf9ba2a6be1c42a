/*
 * fsck of the out-of-line symlink targets (docs/FORMAT.md, "Symlink targets"): each valid
 * symlink whose target is a marker names its blob while the walk runs; afterwards every
 * entry of veilfs.links/ must be one of those blobs. One that no link names was left by a
 * crash between writing the blob and making the link, or planted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fsck/fsck_internal.h"
#include "store/store.h"
#include "vault/link_target.h"

int fsck_remember_blob(struct fsck *f, const char *id)
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

static void check_blob_entries(struct fsck *f, int dfd, struct store_dir *d)
{
	struct store_dirent ent;
	int r;

	char child[sizeof(LINK_BLOB_DIR) + 256];

	while ((r = store_dir_next(f->s, d, &ent)) > 0) {
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (strlen(ent.name) == LINK_ID_LEN && blob_named(f, ent.name))
			continue;
		/*
		 * A blob is written before its link, so a crash between leaves a blob no link
		 * names: removed, but only when every symlink of the vault was read and
		 * decrypted (a damaged or unread one may be the blob's link); the temp file
		 * of a blob's atomic write is removed in any case.
		 */
		if (f->repair && ((!f->links_unsure && strlen(ent.name) == LINK_ID_LEN) ||
				  fsck_is_blob_temp(ent.name)))
			f->repaired = fsck_repair_remove(f, dfd, ent.name);
		snprintf(child, sizeof(child), "%s/%s", LINK_BLOB_DIR, ent.name);
		fsck_report_at(f, child, NULL, FSCK_RESERVED_NAME, FSCK_NO_BLOCK, NULL,
			       "entry that no symlink target names (left by a crash, or planted)",
			       0);
	}
	if (r < 0)
		fsck_report_io(f, LINK_BLOB_DIR, "cannot list", r);
}

void fsck_check_link_blobs(struct fsck *f)
{
	struct store_dir *d;
	int dfd, r;

	dfd = store_openat(f->s, f->rootfd, LINK_BLOB_DIR,
			   STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
	if (dfd == -ENOENT)
		return;
	if (dfd < 0) {
		fsck_report_io(f, LINK_BLOB_DIR, "cannot open", dfd);
		return;
	}
	if ((r = store_dir_open(f->s, dfd, &d)) < 0) {
		fsck_report_io(f, LINK_BLOB_DIR, "cannot list", r);
	} else {
		check_blob_entries(f, dfd, d);
		store_dir_close(f->s, d);
	}
	(void)store_close(f->s, dfd); /* a read-only handle: nothing to lose */
}

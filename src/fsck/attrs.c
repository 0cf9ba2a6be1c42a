/*
 * fsck of the small sealed payloads: the names and values of user.veilfs.* extended
 * attributes, and symlink targets. Decryption is names/'s; only getxattr, listxattr and
 * readlink calls are made.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/secmem.h"
#include "fsck/fsck_internal.h"
#include "keys/keys.h"
#include "names/sealed.h"
#include "store/store.h"
#include "vault/link_target.h"
#include "vault/xattr_blob.h"

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

/* The blob the marker of fd names: it must open (FORMAT.md, "Out-of-line attributes"). */
static void check_xattr_blob(struct fsck *f, int fd)
{
	struct xattr_blob_ctx b = { f->s, f->rootfd, f->aead, f->keys->xattr_values };
	char id[XATTR_BLOB_ID_LEN + 1];
	struct xattr_set set;
	int r;

	xattr_set_init(&set);
	if ((r = xattr_marker_get(f->s, fd, id)) == 0) {
		if (fsck_remember_xattr_blob(f, id) < 0) {
			fsck_report_io(f, NULL, "out of memory", -ENOMEM);
			return;
		}
		r = xattr_blob_read(&b, id, &set);
	}
	if (r == -EBADMSG)
		fsck_report_at(f, NULL, NULL, FSCK_XATTR_VALUE, FSCK_NO_BLOCK, XATTR_MARKER_NAME,
			       "out-of-line attribute blob fails authentication", 0);
	else if (r == -EPROTO)
		fsck_report_at(f, NULL, NULL, FSCK_XATTR_VALUE, FSCK_NO_BLOCK, XATTR_MARKER_NAME,
			       "out-of-line attribute blob missing, oversized or malformed", 0);
	else if (r < 0)
		fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, FSCK_NO_BLOCK, XATTR_MARKER_NAME,
			       "cannot read out-of-line attributes", r);
	else
		f->counts->xattrs += set.n;
	xattr_set_release(&set);
}

/* Other attributes (security.*, trusted.*, user.* of other programs) are left alone. */
void fsck_check_xattrs(struct fsck *f, int fd)
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
		if (fsck_has_prefix(list + i, NAMES_XATTR_PREFIX))
			check_xattr(f, fd, list + i, vbuf);
		else if (!strcmp(list + i, XATTR_MARKER_NAME))
			check_xattr_blob(f, fd);
	}
out:
	free(list);
	free(vbuf);
}

void fsck_check_symlink(struct fsck *f, int dirfd, const char *name)
{
	char *target = malloc(FSCK_LINK_MAX), id[LINK_ID_LEN + 1];
	struct link_ctx l = { f->s, f->rootfd, f->aead, f->keys->symlinks };
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
	r = link_target_open(&l, target, (size_t)n, &out);
	if (r == 0 && link_target_is_marker(target, (size_t)n, id) && fsck_remember_blob(f, id) < 0)
		fsck_report_io(f, NULL, "out of memory", -ENOMEM);
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

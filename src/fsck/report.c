/*
 * Findings of fsck (fsck.h): the names of their kinds, the lower and plaintext paths of
 * the object being checked, and the counting and handing of each finding to the caller's
 * callback. Never prints.
 */
#include <errno.h>
#include "base/secmem.h"
#include "fsck/fsck_internal.h"

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
	[FSCK_BLOCK_TAIL] = "block-tail",
};

const char *fsck_kind_name(enum fsck_kind kind)
{
	if ((unsigned)kind >= FSCK_KIND_COUNT || !kind_names[kind])
		return "unknown";
	return kind_names[kind];
}

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
void fsck_path_push(struct fsck *f, const char *lower, const char *plain,
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

void fsck_path_pop(struct fsck *f, const struct path_mark *m)
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
void fsck_report_at(struct fsck *f, const char *child, const char *child_plain,
			   enum fsck_kind kind, uint64_t block, const char *xattr,
			   const char *reason, int err)
{
	struct fsck_finding fd;
	struct path_mark m;

	const char *repaired = f->repaired;

	f->repaired = NULL;
	if (kind == FSCK_IO_ERROR)
		f->counts->io_errors++;
	else
		f->counts->problems++;
	if (repaired && kind != FSCK_IO_ERROR)
		f->counts->repaired++;
	if (kind == FSCK_IO_ERROR || kind == FSCK_SYMLINK_INVALID)
		f->links_unsure = true;
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
	fd.repaired = kind == FSCK_IO_ERROR ? NULL : repaired;
	f->report(f->arg, &fd);
	if (child)
		fsck_path_pop(f, &m);
}

void fsck_report(struct fsck *f, enum fsck_kind kind, const char *reason)
{
	fsck_report_at(f, NULL, NULL, kind, FSCK_NO_BLOCK, NULL, reason, 0);
}

void fsck_report_io(struct fsck *f, const char *child, const char *reason, int err)
{
	fsck_report_at(f, child, NULL, FSCK_IO_ERROR, FSCK_NO_BLOCK, NULL, reason, err);
}

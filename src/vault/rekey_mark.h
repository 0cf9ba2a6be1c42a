/*
 * The mark a rekey puts on a file before it renames the file's re-encryption over it
 * (rekey_mark.c, vault_rekey.c; its layout: format/rekey_mark.h). Callers hold the
 * file's whole-file locks (this client's range lock and the cross-client block locks).
 */
#ifndef VEILFS_VAULT_REKEY_MARK_H
#define VEILFS_VAULT_REKEY_MARK_H

#include "base/compiler.h"
#include "format/rekey_mark.h"

struct fileop;
struct stat;
struct vnode;

/*
 * Append the mark to op's file (op->csize its valid lower size, st its stat) and fsync it.
 * 0, or -errno with the file cut back to op->csize (as far as that could be done).
 */
int rekey_mark_set(struct fileop *op, const struct stat *st) MUST_CHECK;
/*
 * Does op's file (op->csize its lower size, not a valid one) end in a whole mark? 0 and *m
 * filled, -ENOENT when it does not (anything else than a mark), or -errno of a read.
 */
int rekey_mark_find(struct fileop *op, struct rekey_mark *m) MUST_CHECK;
/*
 * Cut the mark m off op's file (at parent/lname), fsync, and put back the times it kept;
 * op->csize and op->psize are the restored sizes on success. 0 or -errno.
 */
int rekey_mark_undo(struct fileop *op, struct vnode *parent, const char *lname,
		    const struct rekey_mark *m) MUST_CHECK;

#endif

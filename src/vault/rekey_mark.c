/*
 * The "being replaced" mark a rekey puts on a file before it renames the re-encryption over
 * it (vault_rekey.c; its byte layout: format/rekey_mark.c; docs/FORMAT.md "Interrupted
 * rekey: the mark"). The mark is appended to the old file and gives it a lower size no
 * cipher file has: a handle a live mount holds on the old file then fails with EIO on its
 * next read or write (it reads the lower size under the file's locks) whether or not the
 * rename that follows happens, while the old contents stay whole below the mark. A rekey
 * killed between the mark and the rename thus leaves the old file whole, and the rerun
 * cuts the mark off again (rekey_mark_undo), with the times the mark kept, and starts that
 * file anew.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "base/log.h"
#include "store/store.h"
#include "vault/rekey_mark.h"
#include "vault/vault_internal.h"

int rekey_mark_set(struct fileop *op, const struct stat *st)
{
	const struct block_geom *g = &op->v->geom;
	struct rekey_mark m = { .size = op->csize, .times = { st->st_atim, st->st_mtim } };
	uint64_t x;
	uint8_t *mark;
	int r;

	if (op->csize < FILE_HEADER_LEN)
		return -EPROTO;
	x = rekey_mark_len(g, op->csize);
	if (!(mark = malloc((size_t)x)))
		return -ENOMEM;
	rekey_mark_encode(g, &m, mark);
	r = store_pwrite_full(op->v->store, op->fd, mark, (size_t)x, op->csize);
	if (r == 0)
		r = store_fsync(op->v->store, op->fd, false);
	if (r < 0) /* never leave half a mark: the file is whole again, or reported */
		(void)store_ftruncate(op->v->store, op->fd, op->csize);
	free(mark);
	return r;
}

int rekey_mark_find(struct fileop *op, struct rekey_mark *m)
{
	uint64_t max = rekey_mark_len_max(&op->v->geom);
	size_t len = (size_t)(op->csize < max ? op->csize : max);
	uint8_t *tail = malloc(len ? len : 1);
	ssize_t got;
	int r = -ENOMEM;

	if (!tail)
		return r;
	got = fileop_pread(op, tail, len, op->csize - len);
	if (got < 0)
		r = (int)got;
	else
		r = (size_t)got != len ? -ENOENT
				       : rekey_mark_decode(&op->v->geom, op->csize, tail, len, m);
	free(tail);
	return r;
}

int rekey_mark_undo(struct fileop *op, struct vnode *parent, const char *lname,
		    const struct rekey_mark *m)
{
	struct store *s = op->v->store;
	int r;

	if ((r = store_ftruncate(s, op->fd, m->size)) < 0 || (r = store_fsync(s, op->fd, false)) < 0)
		return r;
	op->csize = m->size;
	if ((r = block_plain_size(&op->v->geom, op->csize, &op->psize)) < 0)
		return r;
	/* the times the file had before the mark (the cut moved them) */
	if (store_utimensat(s, parent->fd, lname, m->times, STORE_AT_NOFOLLOW) < 0)
		log_warn("cannot restore the times of '%s' after an interrupted rekey",
			 fileop_what(op));
	return 0;
}

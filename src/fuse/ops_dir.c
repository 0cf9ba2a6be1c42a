/*
 * Directory handlers: opendir (a per-open snapshot handle in fi->fh), readdir and
 * readdirplus over that snapshot, releasedir, fsyncdir.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/log.h"
#include "base/secmem.h"
#include "fuse/inode_table.h"
#include "fuse/killpriv.h"
#include "vault/vault.h"
#include "fuse/ops_internal.h"

/* An open directory: the snapshot taken by the last read at offset 0. */
struct dir_handle {
	pthread_mutex_t lock;
	struct vdir *snap; /* owned, NULL before the first read; protected by lock */
};

void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct dir_handle *dh;
	struct vnode *n;
	int r;

	dh = calloc(1, sizeof(*dh));
	if (!dh) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(n = get_node(req, f, ino))) {
		free(dh);
		return;
	}
	/* The listing is read at the first readdir: entries created in between are in it. */
	r = vnode_type(n) == S_IFDIR ? 0 : -ENOTDIR;
	vnode_unref(f->vault, n);
	if (r < 0) {
		free(dh);
		reply_result(req, r);
		return;
	}
	pthread_mutex_init(&dh->lock, NULL);
	fi->fh = (uint64_t)(uintptr_t)dh;
	if (fuse_reply_open(req, fi) != 0) {
		vault_closedir(dh->snap);
		pthread_mutex_destroy(&dh->lock);
		free(dh);
	}
}

/* The reply buffer of one readdir request and the entries added to it so far. */
struct dir_reply {
	fuse_req_t req;
	struct frontend *f;
	fuse_ino_t ino;
	struct vnode *dir;
	char *out;
	size_t size, used;
	bool plus;
	bool attrs;	/* plus with attributes (else names, types and node id 0) */
	uint32_t names; /* entries that are not directories, added without attributes */
};

/* What position pos of a listing holds: positions 0 and 1 are our own "." and "..". */
enum entry_kind {
	ENTRY_END,  /* past the last entry */
	ENTRY_SHOW, /* an entry to add: name, node number and type are set */
	ENTRY_SKIP, /* the lower listing's own "." or "..": not shown twice */
};

/* Name, node number and type of position pos (set when ENTRY_SHOW). */
static enum entry_kind entry_at(const struct dir_reply *d, struct vdir *snap, off_t pos,
				const char **name, uint64_t *eino, unsigned char *type)
{
	if (pos == 0 || pos == 1) {
		*name = pos == 0 ? "." : "..";
		*eino = vnode_ino(d->dir);
		*type = DT_DIR;
		return ENTRY_SHOW;
	}
	if (!vault_dir_entry(snap, (size_t)(pos - 2), name, eino, type))
		return ENTRY_END;
	return strcmp(*name, ".") && strcmp(*name, "..") ? ENTRY_SHOW : ENTRY_SKIP;
}

/*
 * readdirplus: look entry i of snap (name) up and count one lookup for it (the kernel
 * counts one per entry with a node id). Returns 0, -ENOENT when it was removed since the
 * snapshot, or -errno.
 */
static int plus_lookup(struct dir_reply *d, struct vdir *snap, size_t i, const char *name,
		       struct fuse_entry_param *e, uint64_t *id)
{
	struct vnode *n = NULL;
	struct stat st;
	int r;

	if ((r = vault_lookup_entry(d->f->vault, d->dir, snap, i, &n, &st)) < 0)
		return r;
	if ((r = inode_table_add(d->f->inodes, n, d->ino, name, id)) < 0)
		return r;
	fill_entry(d->f, e, *id, &st);
	return 0;
}

/*
 * Add the entry at position pos. Returns 1 when added or skipped, 0 when the buffer is
 * full, or -errno.
 */
static int add_entry(struct dir_reply *d, struct vdir *snap, off_t pos)
{
	struct fuse_entry_param e;
	const char *name;
	uint64_t eino, id = 0;
	unsigned char type;
	size_t entsize, room = d->size - d->used;
	int r;

	switch (entry_at(d, snap, pos, &name, &eino, &type)) {
	case ENTRY_END:
		return 0;
	case ENTRY_SKIP:
		return 1;
	case ENTRY_SHOW:
		break;
	}
	memset(&e, 0, sizeof(e));
	e.attr.st_ino = (ino_t)eino;
	e.attr.st_mode = (mode_t)type << 12;
	if (!d->plus) {
		entsize = fuse_add_direntry(d->req, d->out + d->used, room, name, &e.attr, pos + 1);
	} else {
		if (pos >= 2 && d->attrs &&
		    (r = plus_lookup(d, snap, (size_t)(pos - 2), name, &e, &id)) < 0)
			return r == -ENOENT ? 1 : r;
		entsize = fuse_add_direntry_plus(d->req, d->out + d->used, room, name, &e, pos + 1);
	}
	if (entsize > room) {
		if (id)
			inode_table_forget(d->f->inodes, id, 1);
		return 0;
	}
	d->used += entsize;
	if (d->plus && !d->attrs && pos >= 2 && type != DT_DIR)
		d->names++;
	return 1;
}

/* Take a fresh snapshot at offset 0 (or when there is none yet). 0 or -errno. */
static int refresh_snapshot(struct frontend *f, struct dir_handle *dh, struct vnode *dir,
			    off_t off)
{
	struct vdir *fresh = NULL;
	int r;

	if (off != 0 && dh->snap)
		return 0;
	if ((r = vault_opendir(f->vault, dir, &fresh)) < 0)
		return r;
	vault_closedir(dh->snap);
	dh->snap = fresh;
	return 0;
}

/*
 * Directory offsets: position 0 is ".", 1 is "..", 2 + i is entry i of the snapshot; the
 * offset stored with an entry is the position of the next one. Every read at offset 0 (the
 * first one, and each after rewinddir, which the kernel does not report otherwise) takes a
 * fresh snapshot, which then stays fixed, so the offsets handed out stay valid.
 */
static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct dir_handle *dh = (struct dir_handle *)(uintptr_t)fi->fh;
	struct dir_reply d = { req, req_frontend(req), ino, NULL, NULL, size, 0, plus, false, 0 };
	off_t pos;
	int r;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!(d.out = malloc(size ? size : 1))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(d.dir = get_node(req, d.f, ino))) {
		free(d.out);
		return;
	}
	d.attrs = plus && plus_policy_take(&d.f->plus, off == 0);
	pthread_mutex_lock(&dh->lock);
	r = refresh_snapshot(d.f, dh, d.dir, off);
	for (pos = off; r >= 0; pos++)
		if ((r = add_entry(&d, dh->snap, pos)) == 0)
			break;
	pthread_mutex_unlock(&dh->lock);
	if (plus && !d.attrs)
		plus_policy_listed(&d.f->plus, ino, d.names);
	vnode_unref(d.f->vault, d.dir);
	/* An error after some entries ends the reply with those entries. */
	if (r < 0 && !d.used)
		fuse_reply_err(req, to_errno(r));
	else
		fuse_reply_buf(req, d.out, d.used);
	free_wiped(d.out, size ? size : 1);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *dh = (struct dir_handle *)(uintptr_t)fi->fh;

	(void)ino;
	vault_closedir(dh->snap);
	pthread_mutex_destroy(&dh->lock);
	free(dh);
	fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_fsync(f->vault, n, datasync != 0);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

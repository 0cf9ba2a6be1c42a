/*
 * File handlers: open and create, reads and writes, flush, release, fsync,
 * fallocate and lseek.
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

void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	bool kill = killpriv_take();
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	/*
	 * Shared mode, close-to-open: another client may have changed the file since we
	 * last looked. Drop the vault's per-file state and the kernel's attributes (offset
	 * -1: attributes only, which takes no page lock and so is safe inside a request);
	 * the page cache goes because keep_cache is off in shared mode.
	 */
	if (f->opts.shared && vault_invalidate(f->vault, n))
		(void)fuse_lowlevel_notify_inval_inode(f->se, ino, -1, 0);
	/* the vault applies O_TRUNC (atomic O_TRUNC: the kernel sends no truncate) */
	r = vault_open_file(f->vault, n, fi->flags);
	/* O_TRUNC by a caller without CAP_FSETID under killpriv_v2 */
	if (r >= 0 && (fi->flags & O_TRUNC) && kill && (r = killpriv_apply(f, n, ino)) < 0)
		release_quietly(f, n);
	/* atime (frontend.h); attributes-only invalidation is safe inside a request */
	if (r >= 0 && (fi->flags & O_ACCMODE) != O_WRONLY && !(fi->flags & O_TRUNC) &&
	    vault_access(f->vault, n, f->opts.atime) > 0)
		(void)fuse_lowlevel_notify_inval_inode(f->se, ino, -1, 0);
	if (r >= 0 && (r = file_handle_open(fi, n)) < 0)
		release_quietly(f, n);
	vnode_unref(f->vault, n);
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	fi->keep_cache = f->opts.keep_cache;
	if (fuse_reply_open(req, fi) != 0) {
		/* The kernel will send no release for an open it never saw. */
		release_quietly(f, file_handle_node(fi));
		file_handle_close(f, fi);
	}
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct fuse_entry_param e;
	struct stat st;
	uint64_t id;
	bool kill = killpriv_take(), created = false;
	int r;

	struct vault_acl_new acl;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = new_mode(req, f, dir, S_IFREG, &mode, &acl);
	if (r >= 0)
		r = vault_create(f->vault, dir, name, mode, fi->flags, &who, &n, &st, &created);
	vnode_unref(f->vault, dir);
	if (r == 0 && created) /* an existing file opened here keeps its ACLs */
		apply_acl(f, n, &acl);
	vault_acl_new_release(&acl);
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	/*
	 * An existing file opened through create (no O_EXCL) was truncated by the vault when
	 * O_TRUNC is set. The kernel marks any O_TRUNC create without O_EXCL; only a file that
	 * existed (reached here when the kernel's entry was negative) is killed, and a new one
	 * keeps its bits.
	 */
	if (!created && (fi->flags & O_TRUNC) && kill) {
		r = killpriv_apply(f, n, 0); /* the reply carries the new mode */
		if (r >= 0)
			r = vault_getattr(f->vault, n, &st);
		if (r < 0) {
			release_quietly(f, n);
			vnode_unref(f->vault, n);
			reply_result(req, r);
			return;
		}
	}
	if ((r = file_handle_open(fi, n)) < 0) {
		release_quietly(f, n);
		vnode_unref(f->vault, n);
		reply_result(req, r);
		return;
	}
	vnode_ref(n); /* kept across the reply; the table takes the other one */
	r = inode_table_add(f->inodes, n, parent, name, &id);
	if (r < 0) {
		release_quietly(f, n);
		file_handle_close(f, fi);
		vnode_unref(f->vault, n);
		reply_result(req, r);
		return;
	}
	fill_entry(f, &e, id, &st);
	fi->keep_cache = f->opts.keep_cache;
	if (fuse_reply_create(req, &e, fi) != 0) {
		release_quietly(f, n);
		file_handle_close(f, fi);
		inode_table_forget(f->inodes, id, 1);
	}
	vnode_unref(f->vault, n);
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	     struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	ssize_t r;
	char *data;

	(void)ino;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	data = malloc(size ? size : 1);
	if (!data) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	frontend_after_init(f);
	n = file_handle_node(fi);
	r = vault_read(f->vault, n, data, size, (uint64_t)off);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_buf(req, data, (size_t)r);
	free_wiped(data, size ? size : 1);
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
	      struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	ssize_t r = 0;
	bool kill = killpriv_take();

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	frontend_after_init(f);
	n = file_handle_node(fi);
	/* Under killpriv_v2, a writer without CAP_FSETID: first the set-id bits, as the VFS. */
	if (kill)
		r = killpriv_apply(f, n, ino);
	/*
	 * O_APPEND: the kernel has already placed off at its (refreshed) end of file and
	 * serialises writers on the inode, so the offset is used as given -- except in
	 * shared mode, where another client may have appended since: then the vault
	 * appends at the lower end of file under the shared-storage lock.
	 */
	if (r >= 0)
		r = vault_write(f->vault, n, data, size, (uint64_t)off,
				f->opts.shared && (fi->flags & O_APPEND), NULL);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_write(req, (size_t)r);
}

void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);

	(void)ino;
	(void)fi;
	/*
	 * close(): the vault writes through (with the writeback cache, the kernel writes the
	 * dirty pages before it sends FLUSH); durability is fsync's job. In single-client mode
	 * ENOSYS tells the kernel to stop sending FLUSH at all: one round trip less per close.
	 */
	fuse_reply_err(req, f->opts.writeback ? ENOSYS : 0);
}

void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)ino;
	frontend_after_init(f);
	n = file_handle_node(fi);
	r = vault_release_file(f->vault, n);
	file_handle_close(f, fi);
	reply_result(req, r);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)ino;
	frontend_after_init(f);
	n = file_handle_node(fi);
	r = vault_fsync(f->vault, n, datasync != 0);
	reply_result(req, r);
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		  struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	frontend_after_init(f);
	n = file_handle_node(fi);
	r = killpriv_fallocate(f, req, n, ino);
	if (r >= 0)
		r = vault_fallocate(f->vault, n,
				    (mode & ~FALLOC_FL_KEEP_SIZE) ? -1
				    : (mode & FALLOC_FL_KEEP_SIZE) ? VAULT_FALLOC_KEEP_SIZE
								   : 0,
				    (uint64_t)off, (uint64_t)len);
	reply_result(req, r);
}

void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	      struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int64_t r;

	frontend_after_init(f);
	n = file_handle_node(fi);
	/*
	 * With the writeback cache the kernel may hold dirty pages the lower file does not
	 * have yet, and the answer comes from the lower file. Have the kernel write the file's
	 * dirty pages first: invalidating its page range launders each dirty page through a
	 * WRITE, which other threads serve, before the notification returns (the LSEEK
	 * request holds the inode lock, no page lock). Clean pages are dropped with them.
	 */
	if (f->opts.writeback && (r = fuse_lowlevel_notify_inval_inode(f->se, ino, 0, 0)) < 0 &&
	    r != -ENOENT)
		log_debug("cannot write back inode %llu before lseek: %s",
			  (unsigned long long)ino, strerror((int)-r));
	r = vault_lseek(f->vault, n, off, whence);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_lseek(req, r);
}

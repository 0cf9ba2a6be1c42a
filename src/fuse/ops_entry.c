/*
 * Entry handlers: name lookup, the lookup counts (forget), attributes (getattr, setattr).
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

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_lookup(f->vault, dir, name, &n, &st);
	vnode_unref(f->vault, dir);
	if (r == -ENOENT && f->opts.negative_timeout > 0) {
		/* node id 0: the kernel keeps a negative entry for entry_timeout */
		struct fuse_entry_param e;

		memset(&e, 0, sizeof(e));
		e.entry_timeout = f->opts.negative_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		plus_policy_looked_up(&f->plus, parent);
	reply_new_entry(req, f, n, parent, name, &st);
}

void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inode_table_forget(req_frontend(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct frontend *f = req_frontend(req);
	size_t i;

	for (i = 0; i < count; i++)
		inode_table_forget(f->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	struct stat st;
	int r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_getattr(f->vault, n, &st);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_attr(req, &st, f->opts.attr_timeout);
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	struct stat st;
	int set = 0, r = 0;
	bool kill = killpriv_take();

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	/* chown(f, -1, -1) arrives as a SETATTR with nothing to set: under killpriv_v2 the
	 * kernel drops its kill bits and leaves them to us, and the VFS clears set-id bits */
	if (!(to_set & ~FUSE_SET_ATTR_CTIME) && atomic_load(&f->killpriv.active))
		kill = true;
	if (to_set & FUSE_SET_ATTR_MODE)
		set |= VAULT_SET_MODE;
	if (to_set & FUSE_SET_ATTR_UID)
		set |= VAULT_SET_UID;
	if (to_set & FUSE_SET_ATTR_GID)
		set |= VAULT_SET_GID;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		set |= VAULT_SET_ATIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		set |= VAULT_SET_ATIME;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		set |= VAULT_SET_MTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		set |= VAULT_SET_MTIME;
	/* an empty SETATTR is chown(f, -1, -1) on a type the kernel keeps no ctime for */
	if ((to_set & FUSE_SET_ATTR_CTIME) || !to_set)
		set |= VAULT_SET_CTIME;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (attr->st_size < 0)
			r = -EINVAL;
		else
			r = vault_truncate(f->vault, n, (uint64_t)attr->st_size);
	}
	if (r >= 0 && set)
		r = vault_setattr(f->vault, n, attr, set, &st);
	/* truncate or chown under killpriv_v2 (after the chown); an explicit mode wins */
	if (r >= 0 && kill && !(set & VAULT_SET_MODE))
		r = killpriv_apply(f, n, 0); /* the reply carries the new mode */
	if (r >= 0 && (!set || kill))
		r = vault_getattr(f->vault, n, &st);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_attr(req, &st, f->opts.attr_timeout);
}

/*
 * Namespace handlers: making, removing, renaming and linking names, and readlink.
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

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	struct buf target;
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	buf_init(&target);
	r = vault_readlink(f->vault, n, &target);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_readlink(req, (const char *)target.data);
	buf_release(&target);
}

void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	struct vault_acl_new acl;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = new_mode(req, f, dir, mode & S_IFMT, &mode, &acl);
	if (r >= 0)
		r = vault_mknod(f->vault, dir, name, mode, rdev, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r >= 0)
		apply_acl(f, n, &acl);
	vault_acl_new_release(&acl);
	if (r < 0)
		reply_result(req, r);
	else
		reply_new_entry(req, f, n, parent, name, &st);
}

void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	struct vault_acl_new acl;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = new_mode(req, f, dir, S_IFDIR, &mode, &acl);
	if (r >= 0)
		r = vault_mkdir(f->vault, dir, name, mode & 07777, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r >= 0)
		apply_acl(f, n, &acl);
	vault_acl_new_release(&acl);
	if (r < 0)
		reply_result(req, r);
	else
		reply_new_entry(req, f, n, parent, name, &st);
}

void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_unlink(f->vault, dir, name);
	vnode_unref(f->vault, dir);
	reply_result(req, r);
}

void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_rmdir(f->vault, dir, name);
	vnode_unref(f->vault, dir);
	reply_result(req, r);
}

void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_symlink(f->vault, dir, name, link, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r < 0)
		reply_result(req, r);
	else
		reply_new_entry(req, f, n, parent, name, &st);
}

void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir, *newdir;
	unsigned vflags = 0;
	int r;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL); /* RENAME_WHITEOUT: overlayfs only */
		return;
	}
	if (flags & RENAME_NOREPLACE)
		vflags |= VAULT_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		vflags |= VAULT_RENAME_EXCHANGE;
	if (!(dir = get_node(req, f, parent)))
		return;
	if (!(newdir = get_node(req, f, newparent))) {
		vnode_unref(f->vault, dir);
		return;
	}
	r = vault_rename(f->vault, dir, name, newdir, newname, vflags);
	vnode_unref(f->vault, newdir);
	vnode_unref(f->vault, dir);
	reply_result(req, r);
}

void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n, *newdir;
	struct stat st;
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	if (!(newdir = get_node(req, f, newparent))) {
		vnode_unref(f->vault, n);
		return;
	}
	r = vault_link(f->vault, n, newdir, newname, &st);
	vnode_unref(f->vault, newdir);
	if (r < 0) {
		vnode_unref(f->vault, n);
		reply_result(req, r);
		return;
	}
	/* Our reference becomes the entry's lookup. */
	reply_new_entry(req, f, n, newparent, newname, &st);
}

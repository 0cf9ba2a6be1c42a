/*
 * Extended-attribute handlers: set, get, list (trusted.* only for CAP_SYS_ADMIN) and remove.
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

void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		 size_t size, int flags)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int vflags = 0, r;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & XATTR_CREATE)
		vflags |= VAULT_XATTR_CREATE;
	if (flags & XATTR_REPLACE)
		vflags |= VAULT_XATTR_REPLACE;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_setxattr(f->vault, n, name, value, size, vflags);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	char *data = NULL;
	ssize_t r;

	if (size && !(data = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(n = get_node(req, f, ino))) {
		free(data);
		return;
	}
	r = vault_getxattr(f->vault, n, name, data, size);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else if (!size)
		fuse_reply_xattr(req, (size_t)r);
	else
		fuse_reply_buf(req, data, (size_t)r);
	free_wiped(data, size); /* the value is plaintext */
}

/* Drop the trusted.* names from a NUL-separated list; returns the new length. */
static size_t drop_trusted(char *list, size_t len)
{
	size_t at = 0, out = 0, one;

	while (at < len) {
		one = strnlen(list + at, len - at) + 1;
		if (strncmp(list + at, "trusted.", 8) != 0) {
			memmove(list + out, list + at, one);
			out += one;
		}
		at += one;
	}
	return out;
}

/* The list as the caller may see it: trusted.* only for CAP_SYS_ADMIN, as on ext4. */
static ssize_t list_for_caller(fuse_req_t req, struct frontend *f, struct vnode *n, char **data,
			       size_t *cap)
{
	ssize_t len;

	*data = NULL;
	*cap = 0;
	if ((len = vault_listxattr(f->vault, n, NULL, 0)) <= 0)
		return len;
	if (!(*data = malloc((size_t)len)))
		return -ENOMEM;
	*cap = (size_t)len;
	len = vault_listxattr(f->vault, n, *data, (size_t)len);
	if (len > 0 && memmem(*data, (size_t)len, "trusted.", 8) &&
	    !killpriv_caller_capable(req, CAP_SYS_ADMIN))
		len = (ssize_t)drop_trusted(*data, (size_t)len);
	return len;
}

void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	char *data = NULL;
	size_t cap = 0;
	ssize_t r;

	if (!(n = get_node(req, f, ino)))
		return;
	r = list_for_caller(req, f, n, &data, &cap);
	vnode_unref(f->vault, n);
	if (r > 0 && size && (size_t)r > size)
		r = -ERANGE;
	if (r < 0)
		reply_result(req, r);
	else if (!size)
		fuse_reply_xattr(req, (size_t)r);
	else
		fuse_reply_buf(req, data, (size_t)r);
	free_wiped(data, cap); /* the names are plaintext: wipe all that was allocated */
}

void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_removexattr(f->vault, n, name);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

/*
 * Per-open state of a regular file, kept in fi->fh from open or create until release:
 * the vnode the open was made on, with a reference of its own. read, write, release,
 * fsync, fallocate and lseek take the vnode from here, without a node-id lookup in the
 * inode table; the reference also keeps the vnode (and its lower I/O handle) alive should
 * the kernel forget the node id while the file is still open.
 */
#include <stdint.h>
#include <stdlib.h>
#include "fuse/ops_internal.h"

struct file_handle {
	struct vnode *node; /* one reference, owned */
};

int file_handle_open(struct fuse_file_info *fi, struct vnode *n)
{
	struct file_handle *h = malloc(sizeof(*h));

	if (!h)
		return -ENOMEM;
	vnode_ref(n);
	h->node = n;
	fi->fh = (uint64_t)(uintptr_t)h;
	return 0;
}

struct vnode *file_handle_node(const struct fuse_file_info *fi)
{
	const struct file_handle *h = (const struct file_handle *)(uintptr_t)fi->fh;

	return h->node;
}

void file_handle_close(struct frontend *f, struct fuse_file_info *fi)
{
	struct file_handle *h = (struct file_handle *)(uintptr_t)fi->fh;

	fi->fh = 0;
	if (!h)
		return;
	vnode_unref(f->vault, h->node);
	free(h);
}

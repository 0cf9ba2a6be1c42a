/*
 * Private declarations of the FUSE request handlers, split by group over the ops_*.c
 * files, and the helpers they share (ops_common.c). Only fuse/ includes this header.
 */
#ifndef VEILFS_FUSE_OPS_INTERNAL_H
#define VEILFS_FUSE_OPS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <errno.h>
#include <sys/stat.h>
#include "base/compiler.h"
#include "fuse/fuse_internal.h"
#include "vault/vault.h"

/* ops_common.c */
struct frontend *req_frontend(fuse_req_t req);
int to_errno(long long r);
bool is_share_error(long long r);
void reply_result(fuse_req_t req, long long r);
struct vault_caller req_caller(fuse_req_t req);
void fill_entry(const struct frontend *f, struct fuse_entry_param *e, uint64_t id,
		const struct stat *st);
void reply_new_entry(fuse_req_t req, struct frontend *f, struct vnode *n, fuse_ino_t parent,
		     const char *name, const struct stat *st);
int new_mode(fuse_req_t req, struct frontend *f, struct vnode *dir, mode_t type,
	     mode_t *mode, struct vault_acl_new *acl);
void apply_acl(struct frontend *f, struct vnode *n, const struct vault_acl_new *acl);
void release_quietly(struct frontend *f, struct vnode *n);
struct vnode *get_node(fuse_req_t req, struct frontend *f, fuse_ino_t ino);
void free_wiped(void *p, size_t n);

/* handles.c */
/*
 * Store in fi->fh a new handle holding its own reference to n (the open file's vnode).
 * Returns 0 or -ENOMEM (fi unchanged).
 */
int file_handle_open(struct fuse_file_info *fi, struct vnode *n) MUST_CHECK;
/* The vnode of the open file fi (borrowed: valid until file_handle_close()). */
struct vnode *file_handle_node(const struct fuse_file_info *fi);
/* Drop the handle's reference, free it and set fi->fh to 0; a 0 fi->fh is ignored. */
void file_handle_close(struct frontend *f, struct fuse_file_info *fi);

/* ops_session.c */
void op_init(void *userdata, struct fuse_conn_info *conn);
void op_destroy(void *userdata);
void op_statfs(fuse_req_t req, fuse_ino_t ino);

/* ops_entry.c */
void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup);
void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets);
void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		struct fuse_file_info *fi);

/* ops_namespace.c */
void op_readlink(fuse_req_t req, fuse_ino_t ino);
void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name);
void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
	       const char *newname, unsigned int flags);
void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);

/* ops_file.c */
void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
	       struct fuse_file_info *fi);
void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
	     struct fuse_file_info *fi);
void op_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
	      struct fuse_file_info *fi);
void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);
void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
		  struct fuse_file_info *fi);
void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
	      struct fuse_file_info *fi);

/* ops_dir.c */
void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		struct fuse_file_info *fi);
void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi);
void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi);

/* ops_xattr.c */
void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		 size_t size, int flags);
void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);

#endif

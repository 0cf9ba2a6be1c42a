/*
 * The table of libfuse3 low-level request handlers. The handlers live by group in
 * ops_session.c, ops_entry.c, ops_namespace.c, ops_file.c, ops_dir.c and ops_xattr.c, with
 * the helpers they share in ops_common.c. Each one is thin: it maps node ids to vnodes
 * through the inode table (an open file's requests take the vnode from fi->fh instead:
 * handles.c), calls one vault_*() function, translates the result once (-EBADMSG and
 * -EPROTO become EIO; the vault has already logged the cipher file and block) and replies
 * exactly once.
 *
 * Not implemented on purpose: getlk/setlk/flock (the kernel then keeps POSIX record locks
 * and flock locks locally, per mount; cross-client locking is the vault's shared mode),
 * access (default_permissions makes the kernel check), ioctl, poll, bmap, copy_file_range
 * (the kernel falls back to read + write).
 *
 * Lookup counts: every reply that hands the kernel an entry (lookup, mknod, mkdir, symlink,
 * link, create and each readdirplus entry other than "." and "..") adds one count to the
 * inode table; forget and forget_multi remove them. A reply that fails to reach the kernel
 * takes its count back.
 */
#include "fuse/ops_internal.h"

const struct fuse_lowlevel_ops frontend_ops = {
    .init = op_init,
    .destroy = op_destroy,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .fsyncdir = op_fsyncdir,
    .statfs = op_statfs,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .create = op_create,
    .fallocate = op_fallocate,
    .lseek = op_lseek,
};

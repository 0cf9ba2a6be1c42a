/*
 * The vault: POSIX file and directory operations on the plaintext view, built from the
 * modules below (store, names, keys, format, crypto, cache). This is the API every front
 * end (fuse/ today, a WinFsp adapter later) drives. It never includes FUSE headers, never
 * prints, and returns 0 / a count or a negative errno:
 *   -EBADMSG  a block, name, header or symlink failed authentication (front end: EIO + log)
 *   -EPROTO   a malformed on-disk structure (front end: EIO + log)
 *   others    the lower file system's errno, passed through.
 *
 * Objects:
 *   struct vault  one unlocked cipher directory (keys, store, options, node table).
 *   struct vnode  one lower object (identified by the lower device and inode number, so
 *                 hard links share one vnode). Reference counted: every function that
 *                 returns a vnode returns a new reference the caller drops with
 *                 vnode_unref(). A vnode stays valid while referenced, also after its last
 *                 name is unlinked (open-unlinked files keep working).
 *   struct vdir   a snapshot of one directory's decrypted listing (opendir .. closedir).
 *
 * Thread safety: every function may be called from any number of threads at once.
 * Shared storage: every block read-modify-write, header creation and directory-IV
 * creation runs through the file's cross-client locks (coord/filelock.h), no-ops unless
 * a shared mode is selected, and every cache can be dropped (vault_invalidate()).
 */
#ifndef VEILFS_VAULT_VAULT_H
#define VEILFS_VAULT_VAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include "base/buf.h"
#include "base/compiler.h"
#include "coord/coord.h"

struct vault;
struct vnode;
struct vdir;
struct store;

enum vault_shared_mode {
	VAULT_SHARED_OFF = 0,     /* single client: caches kept, no cross-client locks */
	VAULT_SHARED_AUTO = 1,    /* locks if the lower fs has them, else lock files */
	VAULT_SHARED_LOCKS = 2,   /* open-file-description byte-range locks on the lower fs */
	VAULT_SHARED_LOCKFILES = 3, /* lock files created with O_EXCL */
};

#define VAULT_LOCK_LEASE_MS_DEFAULT COORD_LEASE_MS_DEFAULT

struct vault_options {
	bool read_only;
	/* AUTO must be resolved by the front end (it knows the lower fs type); vault_open
	 * refuses it. */
	enum vault_shared_mode shared;
	/* LOCKFILES: a lock file left unchanged this long (observed by this client's
	 * monotonic clock) is stale and gets broken; 0 means VAULT_LOCK_LEASE_MS_DEFAULT. */
	unsigned lock_lease_ms;
	/* Open lower file contents with STORE_DIRECT (bypass an incoherent lower client's
	 * cache, e.g. GlusterFS's, in a shared mode). */
	bool lower_direct;
	/* Shared modes: how far the lower client's caches are distrusted (coord/fresh.c);
	 * the front end picks it from the lower fs type. Ignored with VAULT_SHARED_OFF. */
	enum coord_fresh fresh;
	/* Owner given to new objects when the caller's ids are not applied (not root). */
	bool apply_owner; /* chown new objects to the caller's uid/gid (daemon runs as root) */
};

/* Who asks: used for ownership of new objects. */
struct vault_caller {
	uid_t uid;
	gid_t gid;
};

/* Attribute changes for vault_setattr(). */
enum vault_set {
	VAULT_SET_MODE = 1 << 0,
	VAULT_SET_UID = 1 << 1,
	VAULT_SET_GID = 1 << 2,
	VAULT_SET_SIZE = 1 << 3,
	VAULT_SET_ATIME = 1 << 4,
	VAULT_SET_MTIME = 1 << 5,
	VAULT_SET_ATIME_NOW = 1 << 6,
	VAULT_SET_MTIME_NOW = 1 << 7,
	VAULT_SET_CTIME = 1 << 8, /* alone: move the ctime, as chown(f, -1, -1) does */
};

enum vault_rename_flags {
	VAULT_RENAME_NOREPLACE = 1 << 0,
	VAULT_RENAME_EXCHANGE = 1 << 1,
};

enum vault_xattr_flags {
	VAULT_XATTR_CREATE = 1 << 0,
	VAULT_XATTR_REPLACE = 1 << 1,
};

/* --- lifecycle (vault.c) --- */

/*
 * Unlock the vault in cipherdir with the password and prepare it for use.
 * Returns 0, -ENOENT (no such directory), -ENOTDIR, -EPROTO (not a vault / malformed
 * config), -EPERM (wrong password) or another -errno. The password is not kept.
 */
int vault_open(const char *cipherdir, const char *password, size_t pwlen,
	       const struct vault_options *opts, struct vault **out) MUST_CHECK;
/*
 * The same over an existing store (tests pass a fault-injecting store). Takes ownership of
 * s and rootfd on success.
 */
int vault_open_store(struct store *s, int rootfd, const char *password, size_t pwlen,
		     const struct vault_options *opts, struct vault **out) MUST_CHECK;
/* Flush and free everything; accepts NULL. All vnodes must have been released. */
void vault_close(struct vault *v);
/* A new reference to the root directory. */
struct vnode *vault_root(struct vault *v);
void vnode_ref(struct vnode *n);
void vnode_unref(struct vault *v, struct vnode *n);
/* Stable inode number (the lower inode number) and file type bits (S_IFMT). */
uint64_t vnode_ino(const struct vnode *n);
mode_t vnode_type(const struct vnode *n);

/* --- names and metadata (vault_dir.c, vault_attr.c) --- */

int vault_lookup(struct vault *v, struct vnode *dir, const char *name, struct vnode **out,
		 struct stat *st) MUST_CHECK;
/* st_size is the plaintext size; st_blocks as the lower file has them. */
int vault_getattr(struct vault *v, struct vnode *n, struct stat *st) MUST_CHECK;
/* Apply the fields of `in` selected by `to_set` (enum vault_set); *out gets new attributes. */
int vault_setattr(struct vault *v, struct vnode *n, const struct stat *in, int to_set,
		  struct stat *out) MUST_CHECK;
/* When a read access moves atime (the mount's atime option). */
enum vault_atime {
	VAULT_ATIME_RELATIME = 0, /* atime not after mtime, before ctime, or a day old */
	VAULT_ATIME_NOATIME,	  /* never */
	VAULT_ATIME_STRICT,	  /* always */
};
/*
 * A read access of n: sets the lower atime to now when the rule asks. The lower file
 * system records that as a ctime change too, so relatime compares atime < ctime (not <=)
 * and its own update, which sets both to the same time, does not call for another.
 * Returns 1 when atime was set, 0 when not, or -errno.
 */
int vault_access(struct vault *v, struct vnode *n, enum vault_atime rule) MUST_CHECK;
/* Regular files, fifos, sockets and device nodes (S_IFREG, S_IFIFO, S_IFSOCK, S_IFCHR,
 * S_IFBLK in mode; rdev for the last two); any other type is -EINVAL. */
int vault_mknod(struct vault *v, struct vnode *dir, const char *name, mode_t mode, dev_t rdev,
		const struct vault_caller *who, struct vnode **out, struct stat *st) MUST_CHECK;
/*
 * Create and open a regular file (flags: O_EXCL honoured; without it an existing file is
 * opened, and O_TRUNC truncates it). Returns 0 or -errno; on success *created (may be
 * NULL) tells whether it created the file or opened an existing one, and *out counts as
 * one vault_open_file(): drop it with vault_release_file() before vnode_unref().
 */
int vault_create(struct vault *v, struct vnode *dir, const char *name, mode_t mode, int flags,
		 const struct vault_caller *who, struct vnode **out, struct stat *st,
		 bool *created) MUST_CHECK;
int vault_mkdir(struct vault *v, struct vnode *dir, const char *name, mode_t mode,
		const struct vault_caller *who, struct vnode **out, struct stat *st) MUST_CHECK;
int vault_symlink(struct vault *v, struct vnode *dir, const char *name, const char *target,
		  const struct vault_caller *who, struct vnode **out, struct stat *st) MUST_CHECK;
/* Append the plaintext target to out. */
int vault_readlink(struct vault *v, struct vnode *n, struct buf *out) MUST_CHECK;
int vault_link(struct vault *v, struct vnode *n, struct vnode *newdir, const char *newname,
	       struct stat *st) MUST_CHECK;
int vault_unlink(struct vault *v, struct vnode *dir, const char *name) MUST_CHECK;
int vault_rmdir(struct vault *v, struct vnode *dir, const char *name) MUST_CHECK;
int vault_rename(struct vault *v, struct vnode *olddir, const char *oldname, struct vnode *newdir,
		 const char *newname, unsigned flags) MUST_CHECK;
int vault_statfs(struct vault *v, struct statvfs *sv) MUST_CHECK;

/*
 * Directory listing snapshot. Entries are in lower readdir order; index 0 is the first.
 * "." and ".." appear as the lower listing has them.
 */
int vault_opendir(struct vault *v, struct vnode *dir, struct vdir **out) MUST_CHECK;
/*
 * Entry i of the snapshot: plaintext name (valid until vault_closedir), inode number and
 * DT_* type. Returns true, or false past the end (the outputs are then untouched); it
 * cannot fail. Entries whose lower name fails to decrypt are left out of the snapshot and
 * logged.
 */
bool vault_dir_entry(const struct vdir *d, size_t i, const char **name, uint64_t *ino,
		     unsigned char *type);
/*
 * vault_lookup() of entry i of the snapshot d of dir, by the lower name the listing read
 * (no name encryption; readdirplus looks up every entry). -ENOENT when the entry is gone
 * since the snapshot, or i is past the end.
 */
int vault_lookup_entry(struct vault *v, struct vnode *dir, const struct vdir *d, size_t i,
		       struct vnode **out, struct stat *st) MUST_CHECK;
void vault_closedir(struct vdir *d);

/* --- file contents (vault_file.c) --- */

/* Prepare n for I/O (opens the lower file read-write, or read-only on a ro vault). O_TRUNC
 * in flags empties the file, whatever the access mode (as Linux does); the front end leaves
 * O_TRUNC to this call. */
int vault_open_file(struct vault *v, struct vnode *n, int flags) MUST_CHECK;
/* Drop one open of n; the lower handle is closed with the last one. */
int vault_release_file(struct vault *v, struct vnode *n) MUST_CHECK;
/* Read up to len plaintext bytes at off; short only at end of file. */
ssize_t vault_read(struct vault *v, struct vnode *n, void *buf, size_t len, uint64_t off) MUST_CHECK;
/*
 * Write len bytes at off (at the current end of file when append is true; *written_at
 * receives the offset used when not NULL). Returns len or -errno.
 */
ssize_t vault_write(struct vault *v, struct vnode *n, const void *buf, size_t len, uint64_t off,
		    bool append, uint64_t *written_at) MUST_CHECK;
int vault_truncate(struct vault *v, struct vnode *n, uint64_t size) MUST_CHECK;
int vault_fsync(struct vault *v, struct vnode *n, bool datasync) MUST_CHECK;

/* --- key epochs (vault_rekey.c; docs/CLI.md "rekey") --- */

/* The key epoch new files of v are sealed under (raised by a live pickup). */
uint32_t vault_key_epoch(const struct vault *v);
enum vault_rekey_result {
	VAULT_REKEY_CURRENT, /* at the current epoch already, or empty: left alone */
	VAULT_REKEY_DONE,    /* re-encrypted under the current epoch */
	VAULT_REKEY_LINKED,  /* under an older epoch but hard-linked: left alone */
	VAULT_REKEY_RESUMED, /* a killed rekey had marked it: mark cut off, then re-encrypted */
};
/* Lower names of a rekey's temporary files (beside the file they replace). */
#define VAULT_REKEY_TMP_PREFIX "veilfs.rekey."
/*
 * Re-encrypt the regular file n (opened with vault_open_file, read-write) under the
 * current key epoch when its header names an older one: under its whole-file locks (this
 * client's and the cross-client ones of a shared mode), a new file with a new file id is
 * written beside it, fsynced, given its mode, times and lower attributes; the old file is
 * marked (so that handles still open on it fail with EIO) and the new one renamed over it.
 * A kill leaves the old file, the old file marked (whole below the mark, which the next
 * call cuts off before it goes on: VAULT_REKEY_RESUMED) or the new one. Hard-linked files
 * are left alone. *res says what happened. Returns 0 or -errno (the old file whole).
 */
int vault_rekey_file(struct vault *v, struct vnode *n, enum vault_rekey_result *res) MUST_CHECK;
/*
 * vault_lookup() for a rekey: the same, but the lower size is not checked (a file a killed
 * rekey marked has a size no cipher file has until vault_rekey_file() cuts the mark off),
 * and nothing is returned of the stat. *out is a new reference.
 */
int vault_rekey_lookup(struct vault *v, struct vnode *dir, const char *name,
		       struct vnode **out) MUST_CHECK;
/* Remove the temporary files a killed rekey left in directory dir; *removed counts. */
int vault_rekey_clean(struct vault *v, struct vnode *dir, unsigned *removed) MUST_CHECK;
enum vault_falloc_flags {
	VAULT_FALLOC_KEEP_SIZE = 1 << 0, /* reserve only, the size stays */
};

/*
 * mode 0 or VAULT_FALLOC_KEEP_SIZE: reserves the lower space of the blocks of [off,
 * off + len) (-ENOSPC, changing nothing, when the lower free space cannot hold what is
 * not allocated yet; only that check where the lower file system has no fallocate), then
 * mode 0 extends the file like truncate-up when off + len is past the end; other modes
 * give -EOPNOTSUPP.
 */
int vault_fallocate(struct vault *v, struct vnode *n, int mode, uint64_t off, uint64_t len) MUST_CHECK;
/*
 * SEEK_DATA / SEEK_HOLE over the plaintext view at block granularity (a block is a hole
 * only when its whole stored range is a hole of the lower file); returns the offset or
 * -ENXIO.
 */
int64_t vault_lseek(struct vault *v, struct vnode *n, int64_t off, int whence) MUST_CHECK;

/*
 * --- extended attributes (vault_xattr.c) ---
 * Offered: user.*, trusted.* and the POSIX ACLs below (Linux xattr format, version 2).
 * Setting the access ACL sets the mode's owner, group (the mask, when there is one) and
 * other bits from it, and one that the mode says in full is not stored (as ext4);
 * chmod updates a stored access ACL (vault_setattr).
 */

ssize_t vault_getxattr(struct vault *v, struct vnode *n, const char *name, void *buf,
		       size_t size) MUST_CHECK;
int vault_setxattr(struct vault *v, struct vnode *n, const char *name, const void *value,
		   size_t size, int flags) MUST_CHECK;
ssize_t vault_listxattr(struct vault *v, struct vnode *n, char *buf, size_t size) MUST_CHECK;
int vault_removexattr(struct vault *v, struct vnode *n, const char *name) MUST_CHECK;

/* --- POSIX ACL inheritance (vault_acl.c) --- */

#define VAULT_ACL_ACCESS "system.posix_acl_access"
#define VAULT_ACL_DEFAULT "system.posix_acl_default"

/* The ACLs a new object gets from its directory's default ACL. */
struct vault_acl_new {
	struct buf access; /* empty: none to store */
	struct buf dflt;   /* empty: none (directories only) */
};

/*
 * Before an object of type `type` (S_IFREG, S_IFDIR, ...) is created in dir with *mode:
 * when dir has a default ACL, *mode is masked by it and *out gets the new object's ACLs
 * (the umask does not apply, as on Linux); otherwise *mode &= ~umask. *out must be
 * released with vault_acl_new_release() either way.
 */
int vault_acl_inherit(struct vault *v, struct vnode *dir, mode_t type, mode_t *mode,
		      mode_t umask, struct vault_acl_new *out) MUST_CHECK;
/* Store on the new object n what vault_acl_inherit() prepared. */
int vault_acl_apply(struct vault *v, struct vnode *n, const struct vault_acl_new *acl) MUST_CHECK;
void vault_acl_new_release(struct vault_acl_new *acl);

/* --- coherency (shared storage) --- */

/*
 * Drop everything cached about n (plaintext blocks, size, header) so that the next access
 * reads the lower file again. Returns true when the lower object changed since it was
 * cached (the front end then invalidates the kernel's cache too).
 */
bool vault_invalidate(struct vault *v, struct vnode *n);

/* The vault's cross-client coordination state (borrowed; valid until vault_close). */
struct coord *vault_coord(struct vault *v);

#endif

/*
 * The backing-store interface: every call veilfs makes on the cipher directory goes
 * through a struct store, so that tests can inject faults (store_fault.c) and a future
 * Windows front end can supply its own implementation. The store never sees plaintext or
 * keys: it moves ciphertext bytes and lower names.
 *
 * Handles are small non-negative ints ("fds"). Every function returns 0 (or a count)
 * on success and a negative errno on failure. Names are single path components relative
 * to a directory handle; nothing here follows symlinks in the final component unless a
 * flag says so.
 */
#ifndef VEILFS_STORE_STORE_H
#define VEILFS_STORE_STORE_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include "base/compiler.h"

/* Open flags (mapped to the platform's by the implementation). */
enum store_open_flags {
	STORE_RDONLY = 0,
	STORE_WRONLY = 1 << 0,
	STORE_RDWR = 1 << 1,
	STORE_CREAT = 1 << 2,
	STORE_EXCL = 1 << 3,
	STORE_TRUNC = 1 << 4,
	STORE_DIRECTORY = 1 << 5,
	STORE_NOFOLLOW = 1 << 6,
	STORE_PATH = 1 << 7, /* a handle for *at() calls and fstat only, no I/O */
	STORE_DIRECT = 1 << 8, /* bypass the lower client's cache where supported */
	STORE_NONBLOCK = 1 << 9, /* never block in open (a FIFO planted in the share) */
};

enum store_rename_flags {
	STORE_RENAME_NOREPLACE = 1 << 0,
	STORE_RENAME_EXCHANGE = 1 << 1,
	/* Replacing an existing name must be atomic (store_write_atomic): a store whose
	 * rename-over is not (SMB) refuses with -EOPNOTSUPP rather than replace it unsafely. */
	STORE_RENAME_ATOMIC = 1 << 2,
};

enum store_at_flags {
	STORE_AT_NOFOLLOW = 1 << 0,
	STORE_AT_REMOVEDIR = 1 << 1,
	STORE_AT_EMPTY_PATH = 1 << 2,
};

enum store_xattr_flags {
	STORE_XATTR_CREATE = 1 << 0,
	STORE_XATTR_REPLACE = 1 << 1,
};

/* Hints for store_advise(). */
enum store_advice {
	STORE_ADVISE_WILLNEED = 1, /* read the range ahead into the lower cache */
	STORE_ADVISE_WRITEOUT = 2, /* start writing the range's dirty data back (no wait) */
};

/* One directory entry; name is valid until the next store_dir_next() or close. */
struct store_dirent {
	const char *name;
	uint64_t ino;
	unsigned char type; /* DT_* */
};

struct store_dir;

struct store_ops {
	int (*openat)(void *ctx, int dirfd, const char *name, int flags, mode_t mode);
	int (*close)(void *ctx, int fd);
	/* A new handle on the object fd refers to (e.g. an I/O handle from a STORE_PATH one). */
	int (*reopen)(void *ctx, int fd, int flags);
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, uint64_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, uint64_t off);
	int (*fstat)(void *ctx, int fd, struct stat *st);
	/* Optional (NULL: fstat): attributes asked of the lower file system itself, past any
	 * attribute cache of its client (statx AT_STATX_FORCE_SYNC on Linux). */
	int (*fstat_fresh)(void *ctx, int fd, struct stat *st);
	int (*fstatat)(void *ctx, int dirfd, const char *name, struct stat *st, int flags);
	int (*ftruncate)(void *ctx, int fd, uint64_t size);
	int (*fsync)(void *ctx, int fd, bool datasync);
	/* SEEK_DATA / SEEK_HOLE (or SEEK_SET/CUR/END); returns the offset or -errno. */
	int64_t (*lseek)(void *ctx, int fd, int64_t off, int whence);
	int (*mkdirat)(void *ctx, int dirfd, const char *name, mode_t mode);
	int (*unlinkat)(void *ctx, int dirfd, const char *name, int flags);
	int (*renameat)(void *ctx, int olddirfd, const char *oldname, int newdirfd,
			const char *newname, int flags);
	int (*linkat)(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		      const char *newname);
	int (*symlinkat)(void *ctx, const char *target, int dirfd, const char *name);
	ssize_t (*readlinkat)(void *ctx, int dirfd, const char *name, char *buf, size_t n);
	int (*mknodat)(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev);
	int (*fchmodat)(void *ctx, int dirfd, const char *name, mode_t mode, int flags);
	int (*fchownat)(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags);
	int (*utimensat)(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			 int flags);
	int (*fstatvfs)(void *ctx, int fd, struct statvfs *sv);
	ssize_t (*fgetxattr)(void *ctx, int fd, const char *name, void *buf, size_t n);
	int (*fsetxattr)(void *ctx, int fd, const char *name, const void *buf, size_t n, int flags);
	ssize_t (*flistxattr)(void *ctx, int fd, char *buf, size_t n);
	int (*fremovexattr)(void *ctx, int fd, const char *name);
	int (*dir_open)(void *ctx, int dirfd, struct store_dir **dir);
	/* Returns 1 with *ent filled, 0 at the end, or -errno. */
	int (*dir_next)(void *ctx, struct store_dir *dir, struct store_dirent *ent);
	void (*dir_close)(void *ctx, struct store_dir *dir);
	/* Byte-range lock on an open handle (cross-client where the lower fs supports it). */
	int (*lock)(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait);
	int (*unlock)(void *ctx, int fd, uint64_t off, uint64_t len);
	/* Optional (NULL: no hints): enum store_advice about [off, off + len) of fd. A hint
	 * never fails and never changes contents; unsupported advice does nothing. */
	void (*advise)(void *ctx, int fd, uint64_t off, uint64_t len, int advice);
	/* Optional (NULL: -EOPNOTSUPP): allocate space for [off, off + len) of fd without
	 * changing its size or contents, so that a write there cannot run out of space.
	 * 0, -ENOSPC (or another -errno), -EOPNOTSUPP when the lower fs cannot. */
	int (*reserve)(void *ctx, int fd, uint64_t off, uint64_t len);
	void (*destroy)(void *ctx);
	/* True when the lower fs has only files and directories (no devices, FIFOs, sockets
	 * or symlinks anyone could plant): store_read_file then opens without looking. */
	bool no_special_files;
};

struct store {
	const struct store_ops *ops;
	void *ctx;
};

/*
 * A store over the local POSIX file system rooted at path (store_posix.c; in the Windows
 * build the Win32 store, store_win32.c, whose handles keep paths: they do not follow a
 * rename of their object). *rootfd receives a directory handle on path. Returns 0 or
 * -errno; free with store_free().
 */
int store_posix_new(const char *path, struct store **out, int *rootfd) MUST_CHECK;
void store_free(struct store *s);

/* True when where names an SMB share ("smb://...") rather than a local directory. */
static inline bool store_is_smb_url(const char *where)
{
	return where && !strncmp(where, "smb://", 6);
}

/* SMB credentials; any field may be NULL or "" (then the next source is used). Borrowed. */
struct store_smb_auth {
	const char *user;
	const char *password;
	const char *workgroup;
};

/*
 * A store over an SMB share through libsmbclient (store_smb.c, docs/SHARED.md "SMB through
 * veilfs's own client"): url is smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH]
 * and *rootfd a directory handle on PATH (which must exist). Credentials come from auth,
 * else (auth NULL) from store_smb_set_auth(), then from the URL, then from the environment
 * (VEILFS_SMB_USER, VEILFS_SMB_PASSWORD, VEILFS_SMB_DOMAIN). Returns 0 or -errno.
 */
int store_smb_new(const char *url, const struct store_smb_auth *auth, struct store **out,
		  int *rootfd) MUST_CHECK;
/* Create the directory PATH of url (its parent must exist). 0, -EEXIST or -errno. */
int store_smb_mkdir(const char *url, const struct store_smb_auth *auth, mode_t mode) MUST_CHECK;
/*
 * Remember process-wide credentials for stores opened with auth NULL: each field of auth,
 * else the user part of url. *public_url (malloc'd, caller frees) is url without its user
 * part, fit to show and log. 0 or -errno (-EINVAL: not an smb:// URL with a share).
 */
int store_smb_set_auth(const char *url, const struct store_smb_auth *auth,
		       char **public_url) MUST_CHECK;
/* A store for where: store_smb_new(where, NULL, ...) for smb:// URLs, else store_posix_new. */
int store_open_dir(const char *where, struct store **out, int *rootfd) MUST_CHECK;

/*
 * Read a whole small file (at most max bytes; -EFBIG beyond). Caller frees *data. The
 * file is untrusted: it is opened without following a link and without blocking, and
 * anything but a regular file (FIFO, device, socket, directory) gives -EIO, logged.
 */
int store_read_file(struct store *s, int dirfd, const char *name, size_t max, uint8_t **data,
		    size_t *len) MUST_CHECK;
/*
 * Replace dirfd/name atomically with len bytes: write "name.tmp.<pid>.<counter>", fsync, rename
 * over name (STORE_RENAME_ATOMIC), fsync the directory. Returns 0 or -errno (the old file
 * is intact on error; -EOPNOTSUPP: name exists and the store cannot replace atomically).
 */
int store_write_atomic(struct store *s, int dirfd, const char *name, const uint8_t *data,
		       size_t len, mode_t mode) MUST_CHECK;
/* pread/pwrite loops: full length or -errno (-EIO for a short read past EOF is not raised:
 * store_pread_full returns the bytes read, fewer only at end of file). */
ssize_t store_pread_full(struct store *s, int fd, void *buf, size_t n, uint64_t off) MUST_CHECK;
int store_pwrite_full(struct store *s, int fd, const void *buf, size_t n, uint64_t off) MUST_CHECK;

/* Call wrappers: store_X(s, ...) is s->ops->X(s->ctx, ...). */
static inline int store_openat(struct store *s, int dirfd, const char *name, int flags, mode_t mode)
{
	return s->ops->openat(s->ctx, dirfd, name, flags, mode);
}
static inline int store_close(struct store *s, int fd)
{
	return s->ops->close(s->ctx, fd);
}
static inline int store_reopen(struct store *s, int fd, int flags)
{
	return s->ops->reopen(s->ctx, fd, flags);
}
static inline ssize_t store_pread(struct store *s, int fd, void *buf, size_t n, uint64_t off)
{
	return s->ops->pread(s->ctx, fd, buf, n, off);
}
static inline ssize_t store_pwrite(struct store *s, int fd, const void *buf, size_t n, uint64_t off)
{
	return s->ops->pwrite(s->ctx, fd, buf, n, off);
}
static inline int store_fstat(struct store *s, int fd, struct stat *st)
{
	return s->ops->fstat(s->ctx, fd, st);
}
static inline int store_fstat_fresh(struct store *s, int fd, struct stat *st)
{
	if (s->ops->fstat_fresh)
		return s->ops->fstat_fresh(s->ctx, fd, st);
	return s->ops->fstat(s->ctx, fd, st);
}
static inline int store_fstatat(struct store *s, int dirfd, const char *name, struct stat *st,
				int flags)
{
	return s->ops->fstatat(s->ctx, dirfd, name, st, flags);
}
static inline int store_ftruncate(struct store *s, int fd, uint64_t size)
{
	return s->ops->ftruncate(s->ctx, fd, size);
}
static inline int store_fsync(struct store *s, int fd, bool datasync)
{
	return s->ops->fsync(s->ctx, fd, datasync);
}
static inline void store_advise(struct store *s, int fd, uint64_t off, uint64_t len, int advice)
{
	if (s->ops->advise)
		s->ops->advise(s->ctx, fd, off, len, advice);
}
static inline int store_reserve(struct store *s, int fd, uint64_t off, uint64_t len)
{
	return s->ops->reserve ? s->ops->reserve(s->ctx, fd, off, len) : -EOPNOTSUPP;
}
static inline int64_t store_lseek(struct store *s, int fd, int64_t off, int whence)
{
	return s->ops->lseek(s->ctx, fd, off, whence);
}
static inline int store_mkdirat(struct store *s, int dirfd, const char *name, mode_t mode)
{
	return s->ops->mkdirat(s->ctx, dirfd, name, mode);
}
static inline int store_unlinkat(struct store *s, int dirfd, const char *name, int flags)
{
	return s->ops->unlinkat(s->ctx, dirfd, name, flags);
}
static inline int store_renameat(struct store *s, int olddirfd, const char *oldname, int newdirfd,
				 const char *newname, int flags)
{
	return s->ops->renameat(s->ctx, olddirfd, oldname, newdirfd, newname, flags);
}
static inline int store_linkat(struct store *s, int olddirfd, const char *oldname, int newdirfd,
			       const char *newname)
{
	return s->ops->linkat(s->ctx, olddirfd, oldname, newdirfd, newname);
}
static inline int store_symlinkat(struct store *s, const char *target, int dirfd, const char *name)
{
	return s->ops->symlinkat(s->ctx, target, dirfd, name);
}
static inline ssize_t store_readlinkat(struct store *s, int dirfd, const char *name, char *buf,
				       size_t n)
{
	return s->ops->readlinkat(s->ctx, dirfd, name, buf, n);
}
static inline int store_mknodat(struct store *s, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	return s->ops->mknodat(s->ctx, dirfd, name, mode, dev);
}
static inline int store_fchmodat(struct store *s, int dirfd, const char *name, mode_t mode, int flags)
{
	return s->ops->fchmodat(s->ctx, dirfd, name, mode, flags);
}
static inline int store_fchownat(struct store *s, int dirfd, const char *name, uid_t uid, gid_t gid,
				 int flags)
{
	return s->ops->fchownat(s->ctx, dirfd, name, uid, gid, flags);
}
static inline int store_utimensat(struct store *s, int dirfd, const char *name,
				  const struct timespec ts[2], int flags)
{
	return s->ops->utimensat(s->ctx, dirfd, name, ts, flags);
}
static inline int store_fstatvfs(struct store *s, int fd, struct statvfs *sv)
{
	return s->ops->fstatvfs(s->ctx, fd, sv);
}
static inline ssize_t store_fgetxattr(struct store *s, int fd, const char *name, void *buf, size_t n)
{
	return s->ops->fgetxattr(s->ctx, fd, name, buf, n);
}
static inline int store_fsetxattr(struct store *s, int fd, const char *name, const void *buf,
				  size_t n, int flags)
{
	return s->ops->fsetxattr(s->ctx, fd, name, buf, n, flags);
}
static inline ssize_t store_flistxattr(struct store *s, int fd, char *buf, size_t n)
{
	return s->ops->flistxattr(s->ctx, fd, buf, n);
}
static inline int store_fremovexattr(struct store *s, int fd, const char *name)
{
	return s->ops->fremovexattr(s->ctx, fd, name);
}
static inline int store_dir_open(struct store *s, int dirfd, struct store_dir **dir)
{
	return s->ops->dir_open(s->ctx, dirfd, dir);
}
static inline int store_dir_next(struct store *s, struct store_dir *dir, struct store_dirent *ent)
{
	return s->ops->dir_next(s->ctx, dir, ent);
}
static inline void store_dir_close(struct store *s, struct store_dir *dir)
{
	s->ops->dir_close(s->ctx, dir);
}
static inline int store_lock(struct store *s, int fd, uint64_t off, uint64_t len, bool exclusive,
			     bool wait)
{
	return s->ops->lock(s->ctx, fd, off, len, exclusive, wait);
}
static inline int store_unlock(struct store *s, int fd, uint64_t off, uint64_t len)
{
	return s->ops->unlock(s->ctx, fd, off, len);
}

#endif

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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
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
};

enum store_rename_flags {
	STORE_RENAME_NOREPLACE = 1 << 0,
	STORE_RENAME_EXCHANGE = 1 << 1,
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
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t n, uint64_t off);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t n, uint64_t off);
	int (*fstat)(void *ctx, int fd, struct stat *st);
	int (*fstatat)(void *ctx, int dirfd, const char *name, struct stat *st, int flags);
	int (*ftruncate)(void *ctx, int fd, uint64_t size);
	int (*fsync)(void *ctx, int fd, bool datasync);
	int (*fallocate)(void *ctx, int fd, uint64_t off, uint64_t len);
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
	void (*destroy)(void *ctx);
};

struct store {
	const struct store_ops *ops;
	void *ctx;
};

/*
 * A store over the local POSIX file system rooted at path. *rootfd receives a directory
 * handle on path. Returns 0 or -errno; free with store_free().
 */
int store_posix_new(const char *path, struct store **out, int *rootfd) MUST_CHECK;
void store_free(struct store *s);

/* Read a whole small file (at most max bytes; -EFBIG beyond). Caller frees *data. */
int store_read_file(struct store *s, int dirfd, const char *name, size_t max, uint8_t **data,
		    size_t *len) MUST_CHECK;
/*
 * Replace dirfd/name atomically with len bytes: write "name.tmp.<random>", fsync, rename
 * over name, fsync the directory. Returns 0 or -errno (the old file is intact on error).
 */
int store_write_atomic(struct store *s, int dirfd, const char *name, const uint8_t *data,
		       size_t len, mode_t mode) MUST_CHECK;
/* pread/pwrite loops: full length or -errno (-EIO for a short read past EOF is not raised:
 * store_pread_full returns the bytes read, fewer only at end of file). */
ssize_t store_pread_full(struct store *s, int fd, void *buf, size_t n, uint64_t off) MUST_CHECK;
int store_pwrite_full(struct store *s, int fd, const void *buf, size_t n, uint64_t off) MUST_CHECK;

#endif

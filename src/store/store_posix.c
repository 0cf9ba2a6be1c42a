/*
 * The POSIX backing store: every call on the cipher directory of a local or mounted lower
 * file system. Linux-only features (O_PATH handles, renameat2 flags, fallocate, xattrs,
 * open-file-description locks, reopening through /proc/self/fd, sync_file_range) are used where the
 * platform has them and answer -EOPNOTSUPP (or fall back) elsewhere.
 * Saves errno the moment a call fails and returns it negated.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#ifdef __linux__
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
#endif
#include "store/store.h"

struct store_dir {
	DIR *dir;
};

static int map_open_flags(int flags)
{
	int o = O_CLOEXEC;

	if (flags & STORE_RDWR)
		o |= O_RDWR;
	else if (flags & STORE_WRONLY)
		o |= O_WRONLY;
	else
		o |= O_RDONLY;
	if (flags & STORE_CREAT)
		o |= O_CREAT;
	if (flags & STORE_EXCL)
		o |= O_EXCL;
	if (flags & STORE_TRUNC)
		o |= O_TRUNC;
	if (flags & STORE_DIRECTORY)
		o |= O_DIRECTORY;
	if (flags & STORE_NOFOLLOW)
		o |= O_NOFOLLOW;
	if (flags & STORE_NONBLOCK)
		o |= O_NONBLOCK | O_NOCTTY;
#ifdef O_PATH
	if (flags & STORE_PATH)
		o = O_PATH | O_CLOEXEC | (o & (O_DIRECTORY | O_NOFOLLOW));
#endif
#ifdef O_DIRECT
	if (flags & STORE_DIRECT)
		o |= O_DIRECT;
#endif
	return o;
}

static int map_at_flags(int flags)
{
	int a = 0;

	if (flags & STORE_AT_NOFOLLOW)
		a |= AT_SYMLINK_NOFOLLOW;
	if (flags & STORE_AT_REMOVEDIR)
		a |= AT_REMOVEDIR;
#ifdef AT_EMPTY_PATH
	if (flags & STORE_AT_EMPTY_PATH)
		a |= AT_EMPTY_PATH;
#endif
	return a;
}

static int px_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	int fd;

	(void)ctx;
	do
		fd = openat(dirfd, name, map_open_flags(flags), mode);
	while (fd < 0 && errno == EINTR);
	return fd < 0 ? -errno : fd;
}

static int px_close(void *ctx, int fd)
{
	(void)ctx;
	return close(fd) < 0 && errno != EINTR ? -errno : 0;
}

static int px_reopen(void *ctx, int fd, int flags)
{
#ifdef __linux__
	char path[64];
	int nfd;

	(void)ctx;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, map_open_flags(flags & ~(STORE_CREAT | STORE_EXCL | STORE_NOFOLLOW)));
	return nfd < 0 ? -errno : nfd;
#else
	(void)ctx;
	(void)fd;
	(void)flags;
	return -EOPNOTSUPP;
#endif
}

static ssize_t px_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	ssize_t r;

	(void)ctx;
	do
		r = pread(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static ssize_t px_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	ssize_t r;

	(void)ctx;
	do
		r = pwrite(fd, buf, n, (off_t)off);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

static int px_fstat(void *ctx, int fd, struct stat *st)
{
	(void)ctx;
	return fstat(fd, st) < 0 ? -errno : 0;
}

static int px_fstat_fresh(void *ctx, int fd, struct stat *st)
{
#if defined(__linux__) && defined(AT_STATX_FORCE_SYNC)
	struct statx sx;

	(void)ctx;
	if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_BASIC_STATS, &sx) < 0)
		return -errno;
	/* statx gives what fstat gives; fill a struct stat from it */
	memset(st, 0, sizeof(*st));
	st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor);
	st->st_ino = sx.stx_ino;
	st->st_mode = sx.stx_mode;
	st->st_nlink = sx.stx_nlink;
	st->st_uid = sx.stx_uid;
	st->st_gid = sx.stx_gid;
	st->st_rdev = makedev(sx.stx_rdev_major, sx.stx_rdev_minor);
	st->st_size = (off_t)sx.stx_size;
	st->st_blksize = (blksize_t)sx.stx_blksize;
	st->st_blocks = (blkcnt_t)sx.stx_blocks;
	st->st_atim.tv_sec = sx.stx_atime.tv_sec;
	st->st_atim.tv_nsec = sx.stx_atime.tv_nsec;
	st->st_mtim.tv_sec = sx.stx_mtime.tv_sec;
	st->st_mtim.tv_nsec = sx.stx_mtime.tv_nsec;
	st->st_ctim.tv_sec = sx.stx_ctime.tv_sec;
	st->st_ctim.tv_nsec = sx.stx_ctime.tv_nsec;
	return 0;
#else
	return px_fstat(ctx, fd, st);
#endif
}

static int px_fstatat(void *ctx, int dirfd, const char *name, struct stat *st, int flags)
{
	(void)ctx;
	return fstatat(dirfd, name, st, map_at_flags(flags)) < 0 ? -errno : 0;
}

static int px_ftruncate(void *ctx, int fd, uint64_t size)
{
	(void)ctx;
	return ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
}

static int px_fsync(void *ctx, int fd, bool datasync)
{
	(void)ctx;
	return (datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static void px_advise(void *ctx, int fd, uint64_t off, uint64_t len, int advice)
{
	(void)ctx;
	if (advice == STORE_ADVISE_WILLNEED)
		(void)posix_fadvise(fd, (off_t)off, (off_t)len, POSIX_FADV_WILLNEED);
#ifdef __linux__
	else if (advice == STORE_ADVISE_WRITEOUT)
		(void)sync_file_range(fd, (off_t)off, (off_t)len, SYNC_FILE_RANGE_WRITE);
#endif
}

static int px_reserve(void *ctx, int fd, uint64_t off, uint64_t len)
{
	(void)ctx;
#ifdef __linux__
	/* not posix_fallocate: where the fs cannot, glibc would write zeros, and change the size */
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) == 0)
		return 0;
	return errno == ENOSYS ? -EOPNOTSUPP : -errno;
#else
	(void)fd;
	(void)off;
	(void)len;
	return -EOPNOTSUPP;
#endif
}

static int64_t px_lseek(void *ctx, int fd, int64_t off, int whence)
{
	off_t r;

	(void)ctx;
	r = lseek(fd, (off_t)off, whence);
	return r < 0 ? -errno : (int64_t)r;
}

static int px_mkdirat(void *ctx, int dirfd, const char *name, mode_t mode)
{
	(void)ctx;
	return mkdirat(dirfd, name, mode) < 0 ? -errno : 0;
}

static int px_unlinkat(void *ctx, int dirfd, const char *name, int flags)
{
	(void)ctx;
	return unlinkat(dirfd, name, map_at_flags(flags)) < 0 ? -errno : 0;
}

static int px_renameat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		       const char *newname, int flags)
{
	(void)ctx;
	flags &= ~STORE_RENAME_ATOMIC; /* rename(2) replaces atomically */
	if (!flags)
		return renameat(olddirfd, oldname, newdirfd, newname) < 0 ? -errno : 0;
#ifdef RENAME_NOREPLACE
	{
		unsigned f = 0;

		if (flags & STORE_RENAME_NOREPLACE)
			f |= RENAME_NOREPLACE;
		if (flags & STORE_RENAME_EXCHANGE)
			f |= RENAME_EXCHANGE;
		return renameat2(olddirfd, oldname, newdirfd, newname, f) < 0 ? -errno : 0;
	}
#else
	return -EINVAL;
#endif
}

/*
 * An empty old name links the object olddirfd itself refers to (kept open by a handle,
 * even when it has no name left). Linux does that through the /proc/self/fd magic link
 * with AT_SYMLINK_FOLLOW, which, unlike AT_EMPTY_PATH, needs no extra capability.
 */
static int px_linkat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		     const char *newname)
{
	(void)ctx;
#ifdef __linux__
	if (!*oldname) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", olddirfd);
		return linkat(AT_FDCWD, path, newdirfd, newname, AT_SYMLINK_FOLLOW) < 0 ? -errno
										      : 0;
	}
#endif
	return linkat(olddirfd, oldname, newdirfd, newname, 0) < 0 ? -errno : 0;
}

static int px_symlinkat(void *ctx, const char *target, int dirfd, const char *name)
{
	(void)ctx;
	return symlinkat(target, dirfd, name) < 0 ? -errno : 0;
}

static ssize_t px_readlinkat(void *ctx, int dirfd, const char *name, char *buf, size_t n)
{
	ssize_t r;

	(void)ctx;
	r = readlinkat(dirfd, name, buf, n);
	return r < 0 ? -errno : r;
}

static int px_mknodat(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	(void)ctx;
	if (S_ISFIFO(mode))
		return mkfifoat(dirfd, name, mode & 07777) < 0 ? -errno : 0;
	return mknodat(dirfd, name, mode, dev) < 0 ? -errno : 0;
}

/*
 * fchmodat() refuses AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW in glibc; an empty name with
 * STORE_AT_EMPTY_PATH changes the object the handle refers to, through /proc/self/fd
 * (which also works for O_PATH handles, unlike fchmod()).
 */
static int px_fchmodat(void *ctx, int dirfd, const char *name, mode_t mode, int flags)
{
	(void)ctx;
#ifdef __linux__
	if (!*name && (flags & STORE_AT_EMPTY_PATH)) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fd/%d", dirfd);
		return chmod(path, mode) < 0 ? -errno : 0;
	}
#endif
	return fchmodat(dirfd, name, mode, map_at_flags(flags & ~STORE_AT_NOFOLLOW)) < 0 ? -errno
											: 0;
}

static int px_fchownat(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	(void)ctx;
	return fchownat(dirfd, name, uid, gid, map_at_flags(flags)) < 0 ? -errno : 0;
}

static int px_utimensat(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			int flags)
{
	(void)ctx;
	return utimensat(dirfd, name, ts, map_at_flags(flags)) < 0 ? -errno : 0;
}

static int px_fstatvfs(void *ctx, int fd, struct statvfs *sv)
{
	(void)ctx;
	return fstatvfs(fd, sv) < 0 ? -errno : 0;
}

#ifdef __linux__
/*
 * xattr calls go through /proc/self/fd/N so that they work on STORE_PATH (O_PATH)
 * handles too, which f*xattr() refuses.
 */
static void fd_path(char *out, size_t n, int fd)
{
	snprintf(out, n, "/proc/self/fd/%d", fd);
}

static ssize_t px_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t n)
{
	char path[64];
	ssize_t r;

	(void)ctx;
	fd_path(path, sizeof(path), fd);
	r = getxattr(path, name, buf, n);
	return r < 0 ? -errno : r;
}

static int px_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t n, int flags)
{
	char path[64];
	int f = 0;

	(void)ctx;
	if (flags & STORE_XATTR_CREATE)
		f |= XATTR_CREATE;
	if (flags & STORE_XATTR_REPLACE)
		f |= XATTR_REPLACE;
	fd_path(path, sizeof(path), fd);
	return setxattr(path, name, buf, n, f) < 0 ? -errno : 0;
}

static ssize_t px_flistxattr(void *ctx, int fd, char *buf, size_t n)
{
	char path[64];
	ssize_t r;

	(void)ctx;
	fd_path(path, sizeof(path), fd);
	r = listxattr(path, buf, n);
	return r < 0 ? -errno : r;
}

static int px_fremovexattr(void *ctx, int fd, const char *name)
{
	char path[64];

	(void)ctx;
	fd_path(path, sizeof(path), fd);
	return removexattr(path, name) < 0 ? -errno : 0;
}
#else
static ssize_t px_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t n)
{
	(void)ctx, (void)fd, (void)name, (void)buf, (void)n;
	return -EOPNOTSUPP;
}

static int px_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t n, int flags)
{
	(void)ctx, (void)fd, (void)name, (void)buf, (void)n, (void)flags;
	return -EOPNOTSUPP;
}

static ssize_t px_flistxattr(void *ctx, int fd, char *buf, size_t n)
{
	(void)ctx, (void)fd, (void)buf, (void)n;
	return -EOPNOTSUPP;
}

static int px_fremovexattr(void *ctx, int fd, const char *name)
{
	(void)ctx, (void)fd, (void)name;
	return -EOPNOTSUPP;
}
#endif

static int px_dir_open(void *ctx, int dirfd, struct store_dir **out)
{
	struct store_dir *d;
	int fd, r;

	(void)ctx;
	/* A fresh handle: fdopendir() takes it over, with its own offset. */
	fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = calloc(1, sizeof(*d));
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	d->dir = fdopendir(fd);
	if (!d->dir) {
		r = -errno;
		close(fd);
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

static int px_dir_next(void *ctx, struct store_dir *d, struct store_dirent *ent)
{
	struct dirent *de;

	(void)ctx;
	errno = 0;
	de = readdir(d->dir);
	if (!de)
		return errno ? -errno : 0;
	ent->name = de->d_name;
	ent->ino = de->d_ino;
	ent->type = de->d_type;
	return 1;
}

static void px_dir_close(void *ctx, struct store_dir *d)
{
	(void)ctx;
	if (!d)
		return;
	closedir(d->dir);
	free(d);
}

/*
 * Byte-range locks. Open-file-description locks (F_OFD_*) belong to the handle, not the
 * process, so two threads of the daemon exclude each other; where the lower file system
 * forwards them (GlusterFS, NFSv4, CIFS) they exclude other clients too.
 */
static int px_lock(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait)
{
	struct flock fl = { 0 };
	int cmd;

	(void)ctx;
	fl.l_type = exclusive ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)off;
	fl.l_len = (off_t)len;
#ifdef F_OFD_SETLKW
	cmd = wait ? F_OFD_SETLKW : F_OFD_SETLK;
#else
	cmd = wait ? F_SETLKW : F_SETLK;
#endif
	while (fcntl(fd, cmd, &fl) < 0) {
		if (errno != EINTR)
			return errno == EACCES ? -EAGAIN : -errno;
	}
	return 0;
}

static int px_unlock(void *ctx, int fd, uint64_t off, uint64_t len)
{
	struct flock fl = { 0 };
	int cmd;

	(void)ctx;
	fl.l_type = F_UNLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)off;
	fl.l_len = (off_t)len;
#ifdef F_OFD_SETLK
	cmd = F_OFD_SETLK;
#else
	cmd = F_SETLK;
#endif
	return fcntl(fd, cmd, &fl) < 0 ? -errno : 0;
}

static void px_destroy(void *ctx)
{
	(void)ctx;
}

static const struct store_ops posix_ops = {
	.openat = px_openat,
	.close = px_close,
	.reopen = px_reopen,
	.pread = px_pread,
	.pwrite = px_pwrite,
	.fstat = px_fstat,
	.fstat_fresh = px_fstat_fresh,
	.fstatat = px_fstatat,
	.ftruncate = px_ftruncate,
	.fsync = px_fsync,
	.lseek = px_lseek,
	.mkdirat = px_mkdirat,
	.unlinkat = px_unlinkat,
	.renameat = px_renameat,
	.linkat = px_linkat,
	.symlinkat = px_symlinkat,
	.readlinkat = px_readlinkat,
	.mknodat = px_mknodat,
	.fchmodat = px_fchmodat,
	.fchownat = px_fchownat,
	.utimensat = px_utimensat,
	.fstatvfs = px_fstatvfs,
	.fgetxattr = px_fgetxattr,
	.fsetxattr = px_fsetxattr,
	.flistxattr = px_flistxattr,
	.fremovexattr = px_fremovexattr,
	.dir_open = px_dir_open,
	.dir_next = px_dir_next,
	.dir_close = px_dir_close,
	.lock = px_lock,
	.unlock = px_unlock,
	.advise = px_advise,
	.reserve = px_reserve,
	.destroy = px_destroy,
};

int store_posix_new(const char *path, struct store **out, int *rootfd)
{
	struct store *s;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	s = calloc(1, sizeof(*s));
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->ops = &posix_ops;
	s->ctx = NULL;
	*out = s;
	*rootfd = fd;
	return 0;
}

/*
 * The recording store (store_record.h): every call is forwarded to the inner store; the
 * calls that change the lower tree, and fsync, are reported to the hook once they have
 * succeeded. A pwrite is torn first (record_torn()). Failed calls are not reported: the
 * inner store (store_mem) changes nothing when a call fails.
 */
#include <stdlib.h>
#include "store/store_record.h"

enum { RECORD_SECTOR = 512 };

struct record_ctx {
	struct store *inner;
	store_record_fn hook;
	void *arg;
	unsigned next; /* index of the next event */
};

static const char *const op_names[STORE_RECORD_OP_COUNT] = {
	[STORE_RECORD_PWRITE] = "pwrite",	[STORE_RECORD_TORN] = "torn",
	[STORE_RECORD_FTRUNCATE] = "ftruncate", [STORE_RECORD_CREATE] = "create",
	[STORE_RECORD_RENAMEAT] = "renameat",	[STORE_RECORD_UNLINKAT] = "unlinkat",
	[STORE_RECORD_MKDIRAT] = "mkdirat",	[STORE_RECORD_SYMLINKAT] = "symlinkat",
	[STORE_RECORD_LINKAT] = "linkat",	[STORE_RECORD_MKNODAT] = "mknodat",
	[STORE_RECORD_FSETXATTR] = "fsetxattr", [STORE_RECORD_FREMOVEXATTR] = "fremovexattr",
	[STORE_RECORD_ATTR] = "setattr",	[STORE_RECORD_RESERVE] = "reserve",
	[STORE_RECORD_FSYNC] = "fsync",
};

const char *store_record_op_name(enum store_record_op op)
{
	return (unsigned)op < STORE_RECORD_OP_COUNT ? op_names[op] : "unknown";
}

static void record_data(struct record_ctx *c, enum store_record_op op, int fd, uint64_t off,
			uint64_t len, const void *data)
{
	struct store_record_event e = { op, c->next++, 0, off, len, fd, data };
	struct stat st;

	if (fd >= 0 && store_fstat(c->inner, fd, &st) == 0)
		e.ino = (uint64_t)st.st_ino;
	c->hook(c->arg, &e);
}

static void record(struct record_ctx *c, enum store_record_op op, int fd, uint64_t off,
		   uint64_t len)
{
	record_data(c, op, fd, off, len, NULL);
}

/* Report r's success as op on no handle; r passes through. */
static int record_rc(struct record_ctx *c, int r, enum store_record_op op)
{
	if (r >= 0)
		record(c, op, -1, 0, 0);
	return r;
}

static int rc_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	struct record_ctx *c = ctx;
	int fd = store_openat(c->inner, dirfd, name, flags, mode);

	if (fd >= 0 && (flags & (STORE_CREAT | STORE_TRUNC)))
		record(c, STORE_RECORD_CREATE, fd, 0, 0);
	return fd;
}

static int rc_close(void *ctx, int fd)
{
	struct record_ctx *c = ctx;

	return store_close(c->inner, fd);
}

static int rc_reopen(void *ctx, int fd, int flags)
{
	struct record_ctx *c = ctx;
	int nfd = store_reopen(c->inner, fd, flags);

	if (nfd >= 0 && (flags & (STORE_CREAT | STORE_TRUNC)))
		record(c, STORE_RECORD_CREATE, nfd, 0, 0);
	return nfd;
}

static ssize_t rc_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	struct record_ctx *c = ctx;

	return store_pread(c->inner, fd, buf, n, off);
}

/* Forward the first cut bytes of a write and report the torn state; false on failure. */
static bool record_cut(struct record_ctx *c, int fd, const void *buf, size_t cut, uint64_t off)
{
	if (store_pwrite_full(c->inner, fd, buf, cut, off) < 0)
		return false;
	record_data(c, STORE_RECORD_TORN, fd, off, cut, buf);
	return true;
}

/*
 * The torn states of a write of n bytes at off. A disk writes whole sectors: a crash
 * leaves a prefix of the write that ends at a sector boundary of the file (RECORD_SECTOR
 * bytes; the lower file's blocks are sector-aligned), never one inside a sector, so a
 * write within one sector is not torn. Two cuts: at the boundary at or before its middle
 * (the first boundary inside when that is later), and at the last boundary inside it.
 */
static void record_torn(struct record_ctx *c, int fd, const void *buf, size_t n, uint64_t off)
{
	uint64_t first = (off / RECORD_SECTOR + 1) * RECORD_SECTOR;
	uint64_t last = (off + n - 1) / RECORD_SECTOR * RECORD_SECTOR;
	uint64_t mid = (off + n / 2) / RECORD_SECTOR * RECORD_SECTOR;

	if (first > last)
		return; /* within one sector */
	if (mid < first)
		mid = first;
	if (!record_cut(c, fd, buf, (size_t)(mid - off), off))
		return;
	if (last != mid)
		(void)record_cut(c, fd, buf, (size_t)(last - off), off);
}

static ssize_t rc_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	struct record_ctx *c = ctx;
	ssize_t r;

	if (n > 1)
		record_torn(c, fd, buf, n, off);
	r = store_pwrite(c->inner, fd, buf, n, off);
	if (r > 0)
		record_data(c, STORE_RECORD_PWRITE, fd, off, (uint64_t)r, buf);
	return r;
}

static int rc_fstat(void *ctx, int fd, struct stat *st)
{
	struct record_ctx *c = ctx;

	return store_fstat(c->inner, fd, st);
}

static int rc_fstat_fresh(void *ctx, int fd, struct stat *st)
{
	struct record_ctx *c = ctx;

	return store_fstat_fresh(c->inner, fd, st);
}

static int rc_fstatat(void *ctx, int dirfd, const char *name, struct stat *st, int flags)
{
	struct record_ctx *c = ctx;

	return store_fstatat(c->inner, dirfd, name, st, flags);
}

static int rc_ftruncate(void *ctx, int fd, uint64_t size)
{
	struct record_ctx *c = ctx;
	int r = store_ftruncate(c->inner, fd, size);

	if (r == 0)
		record(c, STORE_RECORD_FTRUNCATE, fd, size, 0);
	return r;
}

static int rc_fsync(void *ctx, int fd, bool datasync)
{
	struct record_ctx *c = ctx;
	int r = store_fsync(c->inner, fd, datasync);

	if (r == 0)
		record(c, STORE_RECORD_FSYNC, fd, 0, 0);
	return r;
}

static int64_t rc_lseek(void *ctx, int fd, int64_t off, int whence)
{
	struct record_ctx *c = ctx;

	return store_lseek(c->inner, fd, off, whence);
}

static int rc_mkdirat(void *ctx, int dirfd, const char *name, mode_t mode)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_mkdirat(c->inner, dirfd, name, mode), STORE_RECORD_MKDIRAT);
}

static int rc_unlinkat(void *ctx, int dirfd, const char *name, int flags)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_unlinkat(c->inner, dirfd, name, flags), STORE_RECORD_UNLINKAT);
}

static int rc_renameat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		       const char *newname, int flags)
{
	struct record_ctx *c = ctx;
	int r = store_renameat(c->inner, olddirfd, oldname, newdirfd, newname, flags);

	return record_rc(c, r, STORE_RECORD_RENAMEAT);
}

static int rc_linkat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		     const char *newname)
{
	struct record_ctx *c = ctx;
	int r = store_linkat(c->inner, olddirfd, oldname, newdirfd, newname);

	return record_rc(c, r, STORE_RECORD_LINKAT);
}

static int rc_symlinkat(void *ctx, const char *target, int dirfd, const char *name)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_symlinkat(c->inner, target, dirfd, name), STORE_RECORD_SYMLINKAT);
}

static ssize_t rc_readlinkat(void *ctx, int dirfd, const char *name, char *buf, size_t n)
{
	struct record_ctx *c = ctx;

	return store_readlinkat(c->inner, dirfd, name, buf, n);
}

static int rc_mknodat(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_mknodat(c->inner, dirfd, name, mode, dev), STORE_RECORD_MKNODAT);
}

static int rc_fchmodat(void *ctx, int dirfd, const char *name, mode_t mode, int flags)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_fchmodat(c->inner, dirfd, name, mode, flags), STORE_RECORD_ATTR);
}

static int rc_fchownat(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_fchownat(c->inner, dirfd, name, uid, gid, flags),
			 STORE_RECORD_ATTR);
}

static int rc_utimensat(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			int flags)
{
	struct record_ctx *c = ctx;

	return record_rc(c, store_utimensat(c->inner, dirfd, name, ts, flags), STORE_RECORD_ATTR);
}

static int rc_fstatvfs(void *ctx, int fd, struct statvfs *sv)
{
	struct record_ctx *c = ctx;

	return store_fstatvfs(c->inner, fd, sv);
}

static ssize_t rc_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t n)
{
	struct record_ctx *c = ctx;

	return store_fgetxattr(c->inner, fd, name, buf, n);
}

static int rc_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t n, int flags)
{
	struct record_ctx *c = ctx;
	int r = store_fsetxattr(c->inner, fd, name, buf, n, flags);

	if (r == 0)
		record(c, STORE_RECORD_FSETXATTR, fd, 0, n);
	return r;
}

static ssize_t rc_flistxattr(void *ctx, int fd, char *buf, size_t n)
{
	struct record_ctx *c = ctx;

	return store_flistxattr(c->inner, fd, buf, n);
}

static int rc_fremovexattr(void *ctx, int fd, const char *name)
{
	struct record_ctx *c = ctx;
	int r = store_fremovexattr(c->inner, fd, name);

	if (r == 0)
		record(c, STORE_RECORD_FREMOVEXATTR, fd, 0, 0);
	return r;
}

static int rc_dir_open(void *ctx, int dirfd, struct store_dir **dir)
{
	struct record_ctx *c = ctx;

	return store_dir_open(c->inner, dirfd, dir);
}

static int rc_dir_next(void *ctx, struct store_dir *dir, struct store_dirent *ent)
{
	struct record_ctx *c = ctx;

	return store_dir_next(c->inner, dir, ent);
}

static void rc_dir_close(void *ctx, struct store_dir *dir)
{
	struct record_ctx *c = ctx;

	store_dir_close(c->inner, dir);
}

static int rc_lock(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait)
{
	struct record_ctx *c = ctx;

	return store_lock(c->inner, fd, off, len, exclusive, wait);
}

static int rc_unlock(void *ctx, int fd, uint64_t off, uint64_t len)
{
	struct record_ctx *c = ctx;

	return store_unlock(c->inner, fd, off, len);
}

static void rc_advise(void *ctx, int fd, uint64_t off, uint64_t len, int advice)
{
	struct record_ctx *c = ctx;

	store_advise(c->inner, fd, off, len, advice);
}

static int rc_reserve(void *ctx, int fd, uint64_t off, uint64_t len)
{
	struct record_ctx *c = ctx;
	int r = store_reserve(c->inner, fd, off, len);

	if (r == 0)
		record(c, STORE_RECORD_RESERVE, fd, off, len);
	return r;
}

static void rc_destroy(void *ctx)
{
	struct record_ctx *c = ctx;

	store_free(c->inner);
	free(c);
}

static const struct store_ops record_ops = {
	.openat = rc_openat,
	.close = rc_close,
	.reopen = rc_reopen,
	.pread = rc_pread,
	.pwrite = rc_pwrite,
	.fstat = rc_fstat,
	.fstat_fresh = rc_fstat_fresh,
	.fstatat = rc_fstatat,
	.ftruncate = rc_ftruncate,
	.fsync = rc_fsync,
	.lseek = rc_lseek,
	.mkdirat = rc_mkdirat,
	.unlinkat = rc_unlinkat,
	.renameat = rc_renameat,
	.linkat = rc_linkat,
	.symlinkat = rc_symlinkat,
	.readlinkat = rc_readlinkat,
	.mknodat = rc_mknodat,
	.fchmodat = rc_fchmodat,
	.fchownat = rc_fchownat,
	.utimensat = rc_utimensat,
	.fstatvfs = rc_fstatvfs,
	.fgetxattr = rc_fgetxattr,
	.fsetxattr = rc_fsetxattr,
	.flistxattr = rc_flistxattr,
	.fremovexattr = rc_fremovexattr,
	.dir_open = rc_dir_open,
	.dir_next = rc_dir_next,
	.dir_close = rc_dir_close,
	.lock = rc_lock,
	.unlock = rc_unlock,
	.advise = rc_advise,
	.reserve = rc_reserve,
	.destroy = rc_destroy,
};

int store_record_new(struct store *inner, store_record_fn hook, void *arg, struct store **out)
{
	struct record_ctx *c = calloc(1, sizeof(*c));
	struct store *s = calloc(1, sizeof(*s));

	if (!c || !s) {
		free(c);
		free(s);
		return -ENOMEM;
	}
	c->inner = inner;
	c->hook = hook;
	c->arg = arg;
	s->ops = &record_ops;
	s->ctx = c;
	*out = s;
	return 0;
}

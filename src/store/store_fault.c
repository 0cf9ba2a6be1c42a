/*
 * Fault injection over any store (see store_fault.h). Every operation first asks
 * fault_fire() whether this call is the one to fail; the count is kept per plan.
 * Thread-safe: the plan and counters are guarded by one mutex. Every call is also counted
 * (store_fault_calls_get), whether or not a plan is armed.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "store/store_fault.h"

struct fault_ctx {
	struct store *inner;
	pthread_mutex_t mu;          /* protects everything below */
	struct store_fault_plan plan;
	bool armed;
	unsigned seen;               /* matching calls since arm */
	unsigned hits;               /* calls failed since arm */
	struct store_fault_calls calls; /* every call since new or the last reset */
};

enum fault_verdict {
	FAULT_PASS = 0,
	FAULT_FAIL = 1,
	FAULT_SHORT = 2,
};

/* The counter a call of op adds to (f->mu held). */
static unsigned *fault_counter(struct fault_ctx *f, enum store_fault_op op)
{
	switch (op) {
	case STORE_FAULT_PREAD:
		return &f->calls.pread;
	case STORE_FAULT_PWRITE:
		return &f->calls.pwrite;
	case STORE_FAULT_FSTAT:
		return &f->calls.fstat;
	case STORE_FAULT_FTRUNCATE:
		return &f->calls.ftruncate;
	case STORE_FAULT_FSYNC:
		return &f->calls.fsync;
	default:
		return &f->calls.other;
	}
}

static void fault_count(struct fault_ctx *f, unsigned *counter)
{
	pthread_mutex_lock(&f->mu);
	(*counter)++;
	pthread_mutex_unlock(&f->mu);
}

/* Count the call (in counter, or NULL: op's own counter) and decide its fate. */
static enum fault_verdict fault_fire_counted(struct fault_ctx *f, enum store_fault_op op,
					     unsigned *counter, int *err)
{
	enum fault_verdict v = FAULT_PASS;

	pthread_mutex_lock(&f->mu);
	(*(counter ? counter : fault_counter(f, op)))++;
	if (f->armed && (f->plan.op == STORE_FAULT_ANY || f->plan.op == op)) {
		f->seen++;
		if (f->seen == f->plan.nth || (f->plan.persistent && f->seen > f->plan.nth)) {
			f->hits++;
			*err = f->plan.err;
			/* short, persistent and an errno: a disk filling up mid-write */
			v = f->plan.short_write && op == STORE_FAULT_PWRITE &&
					    (f->seen == f->plan.nth || f->plan.err == 0)
				    ? FAULT_SHORT
				    : FAULT_FAIL;
		} else if (f->plan.short_write && f->plan.err && f->seen == f->plan.nth + 1) {
			/* short, then one error: the write that filled the disk fails */
			f->hits++;
			*err = f->plan.err;
			v = FAULT_FAIL;
		}
	}
	pthread_mutex_unlock(&f->mu);
	return v;
}

static enum fault_verdict fault_fire(struct fault_ctx *f, enum store_fault_op op, int *err)
{
	return fault_fire_counted(f, op, NULL, err);
}

#define FAULT_GATE(ctx, op)                                                                        \
	struct fault_ctx *f = (ctx);                                                               \
	int ferr = EIO;                                                                            \
	if (fault_fire(f, (op), &ferr) == FAULT_FAIL)                                              \
		return -ferr;

static int fl_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	FAULT_GATE(ctx, STORE_FAULT_OPENAT);
	return store_openat(f->inner, dirfd, name, flags, mode);
}

static int fl_close(void *ctx, int fd)
{
	struct fault_ctx *f = ctx;

	return store_close(f->inner, fd);
}

static int fl_reopen(void *ctx, int fd, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_OPENAT);
	return store_reopen(f->inner, fd, flags);
}

static ssize_t fl_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	FAULT_GATE(ctx, STORE_FAULT_PREAD);
	return store_pread(f->inner, fd, buf, n, off);
}

static ssize_t fl_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	struct fault_ctx *f = ctx;
	int err = EIO;

	switch (fault_fire(f, STORE_FAULT_PWRITE, &err)) {
	case FAULT_FAIL:
		return -err;
	case FAULT_SHORT:
		return n > 1 ? store_pwrite(f->inner, fd, buf, n / 2, off) : 0;
	default:
		return store_pwrite(f->inner, fd, buf, n, off);
	}
}

static int fl_fstat(void *ctx, int fd, struct stat *st)
{
	FAULT_GATE(ctx, STORE_FAULT_FSTAT);
	return store_fstat(f->inner, fd, st);
}

static int fl_fstat_fresh(void *ctx, int fd, struct stat *st)
{
	FAULT_GATE(ctx, STORE_FAULT_FSTAT);
	return store_fstat_fresh(f->inner, fd, st);
}

static int fl_fstatat(void *ctx, int dirfd, const char *name, struct stat *st, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_FSTAT);
	return store_fstatat(f->inner, dirfd, name, st, flags);
}

static int fl_ftruncate(void *ctx, int fd, uint64_t size)
{
	FAULT_GATE(ctx, STORE_FAULT_FTRUNCATE);
	return store_ftruncate(f->inner, fd, size);
}

static int fl_fsync(void *ctx, int fd, bool datasync)
{
	FAULT_GATE(ctx, STORE_FAULT_FSYNC);
	return store_fsync(f->inner, fd, datasync);
}

static int64_t fl_lseek(void *ctx, int fd, int64_t off, int whence)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_lseek(f->inner, fd, off, whence);
}

static int fl_mkdirat(void *ctx, int dirfd, const char *name, mode_t mode)
{
	FAULT_GATE(ctx, STORE_FAULT_MKDIRAT);
	return store_mkdirat(f->inner, dirfd, name, mode);
}

static int fl_unlinkat(void *ctx, int dirfd, const char *name, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_UNLINKAT);
	return store_unlinkat(f->inner, dirfd, name, flags);
}

static int fl_renameat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		       const char *newname, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_RENAMEAT);
	return store_renameat(f->inner, olddirfd, oldname, newdirfd, newname, flags);
}

static int fl_linkat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		     const char *newname)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_linkat(f->inner, olddirfd, oldname, newdirfd, newname);
}

static int fl_symlinkat(void *ctx, const char *target, int dirfd, const char *name)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_symlinkat(f->inner, target, dirfd, name);
}

static ssize_t fl_readlinkat(void *ctx, int dirfd, const char *name, char *buf, size_t n)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_readlinkat(f->inner, dirfd, name, buf, n);
}

static int fl_mknodat(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_mknodat(f->inner, dirfd, name, mode, dev);
}

static int fl_fchmodat(void *ctx, int dirfd, const char *name, mode_t mode, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_fchmodat(f->inner, dirfd, name, mode, flags);
}

static int fl_fchownat(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_fchownat(f->inner, dirfd, name, uid, gid, flags);
}

static int fl_utimensat(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_utimensat(f->inner, dirfd, name, ts, flags);
}

static int fl_fstatvfs(void *ctx, int fd, struct statvfs *sv)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_fstatvfs(f->inner, fd, sv);
}

static ssize_t fl_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t n)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_fgetxattr(f->inner, fd, name, buf, n);
}

static int fl_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t n, int flags)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_fsetxattr(f->inner, fd, name, buf, n, flags);
}

static ssize_t fl_flistxattr(void *ctx, int fd, char *buf, size_t n)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_flistxattr(f->inner, fd, buf, n);
}

static int fl_fremovexattr(void *ctx, int fd, const char *name)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_fremovexattr(f->inner, fd, name);
}

static int fl_dir_open(void *ctx, int dirfd, struct store_dir **dir)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_dir_open(f->inner, dirfd, dir);
}

static int fl_dir_next(void *ctx, struct store_dir *dir, struct store_dirent *ent)
{
	FAULT_GATE(ctx, STORE_FAULT_OTHER);
	return store_dir_next(f->inner, dir, ent);
}

static void fl_dir_close(void *ctx, struct store_dir *dir)
{
	struct fault_ctx *f = ctx;

	store_dir_close(f->inner, dir);
}

static int fl_lock(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait)
{
	struct fault_ctx *f = ctx;
	int ferr = EIO;

	if (fault_fire_counted(f, STORE_FAULT_OTHER, &f->calls.lock, &ferr) == FAULT_FAIL)
		return -ferr;
	return store_lock(f->inner, fd, off, len, exclusive, wait);
}

static int fl_reserve(void *ctx, int fd, uint64_t off, uint64_t len)
{
	struct fault_ctx *f = ctx;

	fault_count(f, &f->calls.reserve);
	return store_reserve(f->inner, fd, off, len);
}

static void fl_advise(void *ctx, int fd, uint64_t off, uint64_t len, int advice)
{
	struct fault_ctx *f = ctx;

	store_advise(f->inner, fd, off, len, advice);
}

static int fl_unlock(void *ctx, int fd, uint64_t off, uint64_t len)
{
	struct fault_ctx *f = ctx;

	fault_count(f, &f->calls.lock);
	return store_unlock(f->inner, fd, off, len);
}

static void fl_destroy(void *ctx)
{
	struct fault_ctx *f = ctx;

	store_free(f->inner);
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static const struct store_ops fault_ops = {
	.openat = fl_openat,
	.close = fl_close,
	.reopen = fl_reopen,
	.pread = fl_pread,
	.pwrite = fl_pwrite,
	.fstat = fl_fstat,
	.fstat_fresh = fl_fstat_fresh,
	.fstatat = fl_fstatat,
	.ftruncate = fl_ftruncate,
	.fsync = fl_fsync,
	.lseek = fl_lseek,
	.mkdirat = fl_mkdirat,
	.unlinkat = fl_unlinkat,
	.renameat = fl_renameat,
	.linkat = fl_linkat,
	.symlinkat = fl_symlinkat,
	.readlinkat = fl_readlinkat,
	.mknodat = fl_mknodat,
	.fchmodat = fl_fchmodat,
	.fchownat = fl_fchownat,
	.utimensat = fl_utimensat,
	.fstatvfs = fl_fstatvfs,
	.fgetxattr = fl_fgetxattr,
	.fsetxattr = fl_fsetxattr,
	.flistxattr = fl_flistxattr,
	.fremovexattr = fl_fremovexattr,
	.dir_open = fl_dir_open,
	.dir_next = fl_dir_next,
	.dir_close = fl_dir_close,
	.lock = fl_lock,
	.unlock = fl_unlock,
	.advise = fl_advise,
	.reserve = fl_reserve,
	.destroy = fl_destroy,
};

int store_fault_new(struct store *inner, struct store **out)
{
	struct fault_ctx *f = calloc(1, sizeof(*f));
	struct store *s = calloc(1, sizeof(*s));

	if (!f || !s) {
		free(f);
		free(s);
		return -ENOMEM;
	}
	f->inner = inner;
	pthread_mutex_init(&f->mu, NULL);
	s->ops = &fault_ops;
	s->ctx = f;
	*out = s;
	return 0;
}

void store_fault_arm(struct store *s, const struct store_fault_plan *plan)
{
	struct fault_ctx *f = s->ctx;

	pthread_mutex_lock(&f->mu);
	f->plan = *plan;
	f->armed = true;
	f->seen = 0;
	f->hits = 0;
	pthread_mutex_unlock(&f->mu);
}

void store_fault_disarm(struct store *s)
{
	struct fault_ctx *f = s->ctx;

	pthread_mutex_lock(&f->mu);
	f->armed = false;
	pthread_mutex_unlock(&f->mu);
}

unsigned store_fault_hits(const struct store *s)
{
	struct fault_ctx *f = s->ctx;
	unsigned h;

	pthread_mutex_lock(&f->mu);
	h = f->hits;
	pthread_mutex_unlock(&f->mu);
	return h;
}

void store_fault_calls_get(struct store *s, struct store_fault_calls *out)
{
	struct fault_ctx *f = s->ctx;

	pthread_mutex_lock(&f->mu);
	*out = f->calls;
	pthread_mutex_unlock(&f->mu);
}

void store_fault_calls_reset(struct store *s)
{
	struct fault_ctx *f = s->ctx;

	pthread_mutex_lock(&f->mu);
	memset(&f->calls, 0, sizeof(f->calls));
	pthread_mutex_unlock(&f->mu);
}

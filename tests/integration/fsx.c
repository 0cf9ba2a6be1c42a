/*
 * fsx.c - randomized model-based file tester in the spirit of fsx.
 *
 *   fsx [-s SEED] [-n OPS] [-f NFILES] [-m MAXSIZE] [-c N] [-r REFDIR]
 *       [-F] [-M] [--soak SECONDS] DIR
 *
 * Random writes, reads, truncates, fallocate (mode 0), shared-mmap writes
 * and reads, fsync/fdatasync and close+reopen on NFILES files in DIR are
 * mirrored with plain pwrite/ftruncate on files in REFDIR (default: a
 * fresh directory under /tmp). After every op the sizes are compared and
 * every N ops (-c, default 1) the whole contents; reads are compared as
 * they happen. On a mismatch fsx prints the seed, op number, the tail of
 * the op log and the first differing offset, then exits 1.
 */
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum op { OP_WRITE, OP_READ, OP_TRUNCATE, OP_FALLOC, OP_MAPWRITE, OP_MAPREAD, OP_FSYNC,
	  OP_FDATASYNC, OP_REOPEN, OP_READ_NEWFD, OP_COUNT };
static const char *const op_names[OP_COUNT] = { "write",    "read",	 "truncate", "falloc",
						"mapwrite", "mapread",	 "fsync",    "fdatasync",
						"reopen",   "newfdread" };
/* Relative frequency of each op. */
static const int op_weight[OP_COUNT] = { 32, 14, 9, 6, 10, 8, 3, 3, 5, 4 };

enum { LOG_LEN = 32, MAX_FILES = 64 };

struct logent {
	long num;
	int file;
	enum op op;
	long long off, len, size;
};

struct fsx_file {
	int tfd, rfd;
	char tpath[PATH_MAX + 32], rpath[PATH_MAX + 32];
};

struct fsx {
	uint64_t seed, rng;
	long nops, every;
	int nfiles;
	size_t maxsize;
	long soak, inject;
	bool falloc, mmap_ok;
	const char *dir;
	char refdir[PATH_MAX];
	bool own_refdir;
	struct fsx_file f[MAX_FILES];
	struct logent log[LOG_LEN];
	long opnum;
	uint8_t *tbuf, *rbuf, *wbuf;
};

static void usage(void)
{
	fprintf(stderr,
		"usage: fsx [-s SEED] [-n OPS] [-f NFILES] [-m MAXSIZE] [-c N] [-r REFDIR]\n"
		"           [-F] [-M] [--soak SECONDS] DIR\n"
		"  -s  seed (default: time)       -n  ops per run (default 10000)\n"
		"  -f  files (default 4)          -m  max file size (default 262144)\n"
		"  -c  full compare every N ops (default 1)\n"
		"  -r  reference dir on a trusted fs (default: new dir in /tmp)\n"
		"  -F  no fallocate               -M  no mmap\n"
		"  --soak S  run seed, seed+1, ... until S seconds have passed\n"
		"  -X N  self-check: corrupt one byte of the test file after op N\n");
	exit(2);
}

static long num_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 0);

	if (*end || v < 0)
		usage();
	return v;
}

static void parse_args(struct fsx *x, int argc, char **argv)
{
	int i;

	x->seed = (uint64_t)time(NULL);
	x->nops = 10000;
	x->every = 1;
	x->inject = -1;
	x->nfiles = 4;
	x->maxsize = 256 * 1024;
	x->falloc = x->mmap_ok = true;
	for (i = 1; i < argc - 1; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-F"))
			x->falloc = false;
		else if (!strcmp(a, "-M"))
			x->mmap_ok = false;
		else if (i + 1 >= argc - 1)
			usage();
		else if (!strcmp(a, "-s"))
			x->seed = (uint64_t)num_arg(argv[++i]);
		else if (!strcmp(a, "-n"))
			x->nops = num_arg(argv[++i]);
		else if (!strcmp(a, "-f"))
			x->nfiles = (int)num_arg(argv[++i]);
		else if (!strcmp(a, "-m"))
			x->maxsize = (size_t)num_arg(argv[++i]);
		else if (!strcmp(a, "-c"))
			x->every = num_arg(argv[++i]);
		else if (!strcmp(a, "-r"))
			snprintf(x->refdir, sizeof(x->refdir), "%s", argv[++i]);
		else if (!strcmp(a, "-X"))
			x->inject = num_arg(argv[++i]);
		else if (!strcmp(a, "--soak"))
			x->soak = num_arg(argv[++i]);
		else
			usage();
	}
	if (i != argc - 1 || argv[i][0] == '-' || x->nfiles < 1 || x->nfiles > MAX_FILES ||
	    x->maxsize < 2 * BLK || x->every < 1)
		usage();
	x->dir = argv[i];
}

static struct logent *log_add(struct fsx *x, int file, enum op op, size_t off, size_t len)
{
	struct logent *e = &x->log[x->opnum % LOG_LEN];

	*e = (struct logent){ x->opnum, file, op, (long long)off, (long long)len, -1 };
	return e;
}

static void dump_log(const struct fsx *x)
{
	long first = x->opnum - LOG_LEN + 1;

	fprintf(stderr, "fsx: last ops (op: file op offset length -> size):\n");
	for (long n = first < 0 ? 0 : first; n <= x->opnum; n++) {
		const struct logent *e = &x->log[n % LOG_LEN];
		if (e->num != n)
			continue;
		fprintf(stderr, "  %6ld: f%d %-9s off %8lld (0x%06llx) len %7lld -> size %lld\n",
			e->num, e->file, op_names[e->op], e->off, e->off, e->len, e->size);
	}
}

static int die(struct fsx *x, const char *what)
{
	fprintf(stderr, "fsx: FAIL seed %llu op %ld (%s): %s\n", (unsigned long long)x->seed,
		x->opnum, x->dir, what);
	dump_log(x);
	fprintf(stderr, "fsx: reproduce with: fsx -s %llu -n %ld -f %d -m %zu %s\n",
		(unsigned long long)x->seed, x->opnum + 1, x->nfiles, x->maxsize, x->dir);
	fprintf(stderr, "fsx: test files in %s, reference files in %s (kept)\n", x->dir, x->refdir);
	printf("fsx: seed %llu: FAILED at op %ld\n", (unsigned long long)x->seed, x->opnum);
	exit(1);
}

/* Turn a helper's -1 (reason in g_reason) into a report and exit. */
static void must(struct fsx *x, int r)
{
	if (r < 0)
		die(x, g_reason);
}

static off_t fd_size(struct fsx *x, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		snprintf(g_reason, sizeof(g_reason), "fstat: %s", errname(errno));
		die(x, g_reason);
	}
	return st.st_size;
}

static void compare_sizes(struct fsx *x, struct fsx_file *f)
{
	off_t t = fd_size(x, f->tfd), r = fd_size(x, f->rfd);

	x->log[x->opnum % LOG_LEN].size = r;
	if (t != r) {
		snprintf(g_reason, sizeof(g_reason), "size mismatch: test %lld, reference %lld",
			 (long long)t, (long long)r);
		die(x, g_reason);
	}
}

/* Compare the bytes read from the test (t) and the reference (r) at off. */
static void compare_bytes(struct fsx *x, const uint8_t *t, const uint8_t *r, size_t len,
			  size_t off, const char *how)
{
	ssize_t d = first_diff(t, r, len);

	if (d < 0)
		return;
	snprintf(g_reason, sizeof(g_reason),
		 "%s: content differs at offset %zu (0x%zx, block %zu +%zu): test 0x%02x, "
		 "reference 0x%02x",
		 how, off + (size_t)d, off + (size_t)d, (off + (size_t)d) / BLK,
		 (off + (size_t)d) % BLK, t[d], r[d]);
	die(x, g_reason);
}

static void compare_all(struct fsx *x, struct fsx_file *f)
{
	size_t size;
	ssize_t nt, nr;

	compare_sizes(x, f);
	size = (size_t)fd_size(x, f->rfd);
	if (size > x->maxsize)
		die(x, "reference file grew beyond maxsize");
	nt = read_at(f->tfd, x->tbuf, size, 0);
	must(x, (int)nt);
	nr = read_at(f->rfd, x->rbuf, size, 0);
	must(x, (int)nr);
	if (nt != nr) {
		snprintf(g_reason, sizeof(g_reason), "full read: test %zd bytes, reference %zd",
			 nt, nr);
		die(x, g_reason);
	}
	compare_bytes(x, x->tbuf, x->rbuf, (size_t)nt, 0, "full compare");
}

/* Choose a range in [0, maxsize): inside one block, across a block
 * boundary, block aligned, or anywhere. */
static void pick_range(struct fsx *x, size_t *off, size_t *len)
{
	size_t max = x->maxsize, nblk = max / BLK, b;

	switch (rng_below(&x->rng, 4)) {
	case 0:
		b = rng_below(&x->rng, nblk) * BLK;
		*off = b + rng_below(&x->rng, BLK);
		*len = 1 + rng_below(&x->rng, b + BLK - *off);
		break;
	case 1:
		b = (1 + rng_below(&x->rng, nblk - 1)) * BLK;
		*off = b - 1 - rng_below(&x->rng, 300);
		*len = b - *off + 1 + rng_below(&x->rng, 300 + BLK * rng_below(&x->rng, 3));
		break;
	case 2:
		*off = rng_below(&x->rng, nblk) * BLK;
		*len = BLK * (1 + rng_below(&x->rng, 4));
		break;
	default:
		*off = rng_below(&x->rng, max);
		*len = 1 + rng_below(&x->rng, 65536);
		break;
	}
	if (*off >= max)
		*off = max - 1;
	if (*off + *len > max)
		*len = max - *off;
}

static void make_data(struct fsx *x, size_t off, size_t len)
{
	for (size_t i = 0; i < len; i++)
		x->wbuf[i] = (uint8_t)(((off + i) * 13 + (size_t)x->opnum * 101) % 251 + 1);
}

static void op_write(struct fsx *x, struct fsx_file *f, size_t off, size_t len)
{
	make_data(x, off, len);
	must(x, write_at(f->tfd, x->wbuf, len, (off_t)off));
	must(x, write_at(f->rfd, x->wbuf, len, (off_t)off));
}

static void op_read(struct fsx *x, struct fsx_file *f, size_t off, size_t len)
{
	ssize_t nt = read_at(f->tfd, x->tbuf, len, (off_t)off);
	ssize_t nr = read_at(f->rfd, x->rbuf, len, (off_t)off);

	must(x, (int)(nt < 0 ? -1 : 0));
	must(x, (int)(nr < 0 ? -1 : 0));
	if (nt != nr) {
		snprintf(g_reason, sizeof(g_reason), "read returned %zd bytes, reference %zd", nt,
			 nr);
		die(x, g_reason);
	}
	compare_bytes(x, x->tbuf, x->rbuf, (size_t)nt, off, "read");
}

/* Read through a second, fresh open of the same file (own fd, stat by path). */
static void op_read_newfd(struct fsx *x, struct fsx_file *f, size_t off, size_t len)
{
	struct stat st;
	int fd = open(f->tpath, O_RDONLY);
	ssize_t nt, nr;

	if (fd < 0 || stat(f->tpath, &st) < 0) {
		snprintf(g_reason, sizeof(g_reason), "open/stat '%.1000s': %s", f->tpath, errname(errno));
		die(x, g_reason);
	}
	if (st.st_size != fd_size(x, f->rfd)) {
		snprintf(g_reason, sizeof(g_reason), "stat by path: size %lld, reference %lld",
			 (long long)st.st_size, (long long)fd_size(x, f->rfd));
		die(x, g_reason);
	}
	nt = read_at(fd, x->tbuf, len, (off_t)off);
	nr = read_at(f->rfd, x->rbuf, len, (off_t)off);
	close(fd);
	if (nt < 0 || nr < 0 || nt != nr) {
		snprintf(g_reason, sizeof(g_reason), "read via new fd: %zd bytes, reference %zd", nt,
			 nr);
		die(x, g_reason);
	}
	compare_bytes(x, x->tbuf, x->rbuf, (size_t)nt, off, "read via new fd");
}

static void op_truncate(struct fsx *x, struct fsx_file *f)
{
	size_t size = rng_below(&x->rng, x->maxsize + 1);

	if (rng_below(&x->rng, 3) == 0) /* near a block boundary */
		size = (size / BLK) * BLK + rng_below(&x->rng, 3) - (size >= BLK ? 1 : 0);
	if (size > x->maxsize)
		size = x->maxsize;
	x->log[x->opnum % LOG_LEN].off = (long long)size;
	if (ftruncate(f->tfd, (off_t)size) < 0 || ftruncate(f->rfd, (off_t)size) < 0)
		die(x, "ftruncate failed");
}

static void op_falloc(struct fsx *x, struct fsx_file *f, size_t off, size_t len)
{
	if (fallocate(f->tfd, 0, (off_t)off, (off_t)len) < 0) {
		snprintf(g_reason, sizeof(g_reason), "fallocate(0, %zu, %zu): %s", off, len,
			 errname(errno));
		die(x, g_reason);
	}
	if (fallocate(f->rfd, 0, (off_t)off, (off_t)len) < 0)
		die(x, "fallocate on the reference failed");
}

/* Map [off, off+len) of the test file; returns the range's address. */
static uint8_t *map_range(struct fsx *x, struct fsx_file *f, size_t off, size_t len, int prot,
			  void **base, size_t *maplen)
{
	size_t pg = off & ~(size_t)(sysconf(_SC_PAGESIZE) - 1);

	*maplen = off + len - pg;
	*base = mmap(NULL, *maplen, prot, MAP_SHARED, f->tfd, (off_t)pg);
	if (*base == MAP_FAILED) {
		snprintf(g_reason, sizeof(g_reason), "mmap(%zu, %zu): %s", pg, *maplen,
			 errname(errno));
		die(x, g_reason);
	}
	return (uint8_t *)*base + (off - pg);
}

static void op_mapwrite(struct fsx *x, struct fsx_file *f, size_t off, size_t len)
{
	size_t size = (size_t)fd_size(x, f->rfd), maplen;
	void *base;
	uint8_t *p;

	if (off + len > size && (ftruncate(f->tfd, (off_t)(off + len)) < 0 ||
				 ftruncate(f->rfd, (off_t)(off + len)) < 0))
		die(x, "ftruncate before mapwrite failed");
	make_data(x, off, len);
	p = map_range(x, f, off, len, PROT_READ | PROT_WRITE, &base, &maplen);
	memcpy(p, x->wbuf, len);
	if (rng_below(&x->rng, 2) && msync(base, maplen, MS_SYNC) < 0)
		die(x, "msync failed");
	munmap(base, maplen);
	must(x, write_at(f->rfd, x->wbuf, len, (off_t)off));
}

static void op_mapread(struct fsx *x, struct fsx_file *f, size_t off, size_t len)
{
	size_t size = (size_t)fd_size(x, f->rfd), maplen;
	void *base;
	uint8_t *p;

	if (size == 0)
		return;
	off %= size;
	if (off + len > size)
		len = size - off;
	x->log[x->opnum % LOG_LEN].off = (long long)off;
	x->log[x->opnum % LOG_LEN].len = (long long)len;
	p = map_range(x, f, off, len, PROT_READ, &base, &maplen);
	must(x, (int)(read_at(f->rfd, x->rbuf, len, (off_t)off) < 0 ? -1 : 0));
	compare_bytes(x, p, x->rbuf, len, off, "mapread");
	munmap(base, maplen);
}

static void op_sync(struct fsx *x, struct fsx_file *f, bool data_only)
{
	if ((data_only ? fdatasync(f->tfd) : fsync(f->tfd)) < 0) {
		snprintf(g_reason, sizeof(g_reason), "%s: %s", data_only ? "fdatasync" : "fsync",
			 errname(errno));
		die(x, g_reason);
	}
}

static void op_reopen(struct fsx *x, struct fsx_file *f)
{
	if (close(f->tfd) < 0)
		die(x, "close failed");
	f->tfd = open(f->tpath, O_RDWR);
	if (f->tfd < 0) {
		snprintf(g_reason, sizeof(g_reason), "reopen '%s': %s", f->tpath, errname(errno));
		die(x, g_reason);
	}
}

static enum op pick_op(struct fsx *x)
{
	int total = 0, r;

	for (int i = 0; i < OP_COUNT; i++)
		total += op_weight[i];
	for (;;) {
		r = (int)rng_below(&x->rng, (uint64_t)total);
		int i = 0;
		while (r >= op_weight[i])
			r -= op_weight[i++];
		if ((i == OP_FALLOC && !x->falloc) ||
		    ((i == OP_MAPWRITE || i == OP_MAPREAD) && !x->mmap_ok))
			continue;
		return (enum op)i;
	}
}

/* -X: flip one byte behind the back of the model, which must be caught. */
static void inject_corruption(struct fsx *x, struct fsx_file *f)
{
	off_t size = fd_size(x, f->tfd);
	uint8_t b = 0;
	off_t at = size ? (off_t)rng_below(&x->rng, (uint64_t)size) : 0;

	if (size && pread(f->tfd, &b, 1, at) != 1)
		die(x, "inject: pread failed");
	b ^= 0x5a;
	if (pwrite(f->tfd, &b, 1, at) != 1)
		die(x, "inject: pwrite failed");
	fprintf(stderr, "fsx: -X: corrupted byte at offset %lld after op %ld\n", (long long)at,
		x->opnum);
}

static void do_op(struct fsx *x)
{
	int fi = (int)rng_below(&x->rng, (uint64_t)x->nfiles);
	struct fsx_file *f = &x->f[fi];
	enum op op = pick_op(x);
	size_t off, len;

	pick_range(x, &off, &len);
	log_add(x, fi, op, off, len);
	switch (op) {
	case OP_WRITE: op_write(x, f, off, len); break;
	case OP_READ: op_read(x, f, off, len); break;
	case OP_TRUNCATE: op_truncate(x, f); break;
	case OP_FALLOC: op_falloc(x, f, off, len); break;
	case OP_MAPWRITE: op_mapwrite(x, f, off, len); break;
	case OP_MAPREAD: op_mapread(x, f, off, len); break;
	case OP_FSYNC: op_sync(x, f, false); break;
	case OP_FDATASYNC: op_sync(x, f, true); break;
	case OP_READ_NEWFD: op_read_newfd(x, f, off, len); break;
	default: op_reopen(x, f); break;
	}
	if (x->opnum == x->inject)
		inject_corruption(x, f);
	if (x->opnum % x->every == 0)
		compare_all(x, f);
	else
		compare_sizes(x, f);
}

static int open_pair(struct fsx *x, int i)
{
	struct fsx_file *f = &x->f[i];

	snprintf(f->tpath, sizeof(f->tpath), "%s/fsx.%d", x->dir, i);
	snprintf(f->rpath, sizeof(f->rpath), "%s/fsx.%d", x->refdir, i);
	f->tfd = open(f->tpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (f->tfd < 0)
		FAIL("cannot create '%s': %s", f->tpath, errname(errno));
	f->rfd = open(f->rpath, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (f->rfd < 0)
		FAIL("cannot create '%s': %s", f->rpath, errname(errno));
	return 0;
}

/* Find out once whether the test fs supports fallocate and shared mmap. */
static void probe_features(struct fsx *x)
{
	struct fsx_file *f = &x->f[0];
	void *p;

	if (x->falloc && fallocate(f->tfd, 0, 0, 1) < 0 && errno == EOPNOTSUPP) {
		x->falloc = false;
		printf("fsx: note: fallocate unsupported (EOPNOTSUPP) on %s, op disabled\n", x->dir);
	}
	if (ftruncate(f->tfd, 0) < 0)
		die(x, "ftruncate in probe failed");
	if (!x->mmap_ok)
		return;
	p = mmap(NULL, BLK, PROT_READ | PROT_WRITE, MAP_SHARED, f->tfd, 0);
	if (p == MAP_FAILED) {
		x->mmap_ok = false;
		printf("fsx: note: shared mmap unsupported (%s) on %s, ops disabled\n",
		       errname(errno), x->dir);
	} else {
		munmap(p, BLK);
	}
}

static void run_seed(struct fsx *x, time_t deadline)
{
	x->rng = x->seed * 0x9e3779b97f4a7c15ULL + 1;
	memset(x->log, 0xff, sizeof(x->log));
	for (int i = 0; i < x->nfiles; i++)
		must(x, open_pair(x, i));
	x->opnum = 0;
	probe_features(x);
	for (x->opnum = 0; x->opnum < x->nops; x->opnum++) {
		if (deadline && x->opnum % 64 == 0 && time(NULL) >= deadline)
			break;
		do_op(x);
	}
	for (int i = 0; i < x->nfiles; i++) {
		compare_all(x, &x->f[i]);
		if (close(x->f[i].tfd) < 0)
			die(x, "final close failed");
		close(x->f[i].rfd);
		unlink(x->f[i].tpath);
		unlink(x->f[i].rpath);
	}
	printf("fsx: seed %llu: %ld ops on %d files (max %zu bytes) ok\n",
	       (unsigned long long)x->seed, x->opnum, x->nfiles, x->maxsize);
	fflush(stdout);
}

static bool same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

int main(int argc, char **argv)
{
	static struct fsx x;
	time_t start = time(NULL);

	parse_args(&x, argc, argv);
	if (!x.refdir[0]) {
		snprintf(x.refdir, sizeof(x.refdir), "/tmp/fsx-ref.XXXXXX");
		if (!mkdtemp(x.refdir)) {
			perror("fsx: mkdtemp");
			return 2;
		}
		x.own_refdir = true;
	}
	if (same_dir(x.dir, x.refdir)) {
		fprintf(stderr, "fsx: DIR and REFDIR must differ\n");
		return 2;
	}
	x.tbuf = malloc(x.maxsize + 65536);
	x.rbuf = malloc(x.maxsize + 65536);
	x.wbuf = malloc(x.maxsize + 65536);
	if (!x.tbuf || !x.rbuf || !x.wbuf)
		return 2;
	if (!x.soak) {
		run_seed(&x, 0);
	} else {
		long rounds = 0, ops = 0;
		while (time(NULL) < start + x.soak) {
			run_seed(&x, start + x.soak);
			ops += x.opnum;
			rounds++;
			x.seed++;
		}
		printf("fsx: soak: %ld seeds, %ld ops in %lld s ok\n", rounds, ops,
		       (long long)(time(NULL) - start));
	}
	if (x.own_refdir)
		rmdir(x.refdir);
	return 0;
}

/*
 * posix_io.c - posix_suite cases on file contents and sizes: reads and
 * writes at any offset, holes, truncate, open flags, sync, fallocate,
 * SEEK_DATA/SEEK_HOLE, shared mmap and unlinked-but-open files.
 */
#include "posix_cases.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { MODEL_MAX = 1 << 20 };

/* A file under test plus an in-memory model of its expected content. */
struct model {
	int fd;
	size_t size;
	uint8_t *buf; /* MODEL_MAX bytes, zero beyond size */
};

static int model_open(struct model *m, const char *name)
{
	m->size = 0;
	m->buf = calloc(1, MODEL_MAX);
	if (!m->buf)
		FAIL("out of memory");
	m->fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (m->fd < 0)
		FAIL("open('%s'): %s", name, errname(errno));
	return 0;
}

static void model_close(struct model *m)
{
	close(m->fd);
	free(m->buf);
}

static int model_write(struct model *m, size_t off, size_t len, uint32_t seed)
{
	if (off + len > MODEL_MAX)
		FAIL("model: write beyond %d", MODEL_MAX);
	fill_pattern(m->buf + off, len, seed);
	if (write_at(m->fd, m->buf + off, len, (off_t)off) < 0)
		return -1;
	if (off + len > m->size)
		m->size = off + len;
	return 0;
}

static int model_truncate(struct model *m, size_t size)
{
	if (ftruncate(m->fd, (off_t)size) < 0)
		FAIL("ftruncate(%zu): %s", size, errname(errno));
	if (size < m->size)
		memset(m->buf + size, 0, m->size - size);
	m->size = size;
	return 0;
}

static int model_check(struct model *m, const char *step)
{
	if (check_fd(m->fd, m->buf, m->size, step) < 0) {
		char r[REASON_MAX];
		snprintf(r, sizeof(r), "%s", g_reason);
		FAIL("after %s: %s", step, r);
	}
	return 0;
}

int case_create_write_read(void)
{
	static const char msg[] = "hello, world\n";
	int fd;

	fd = open("f", O_WRONLY | O_CREAT | O_EXCL, 0644);
	SYS(fd);
	CHECK(write(fd, msg, sizeof(msg) - 1) == (ssize_t)sizeof(msg) - 1, "short write");
	SYS(close(fd));
	TRY(check_path("f", msg, sizeof(msg) - 1));
	fd = open("empty", O_WRONLY | O_CREAT, 0644);
	SYS(fd);
	SYS(close(fd));
	return check_path("empty", "", 0);
}

int case_write_unaligned_offsets(void)
{
	/* offset, length pairs: inside a block, across 4096 boundaries, bigger than a block */
	static const size_t ops[][2] = {
		{ 0, 1 },	  { 4095, 2 },	   { 4090, 20 },    { 1, 4096 },
		{ 8191, 4098 },	  { 12281, 8206 }, { 4096, 4096 },  { 5000, 1 },
		{ 100000, 5000 }, { 3, 65536 },	   { 16383, 1 },    { 16384, 1 },
		{ 0, 4096 },	  { 4097, 4094 },  { 262143, 2 },   { 200000, 70000 },
	};
	struct model m;
	char step[64];
	int r = 0;

	TRY(model_open(&m, "f"));
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]) && r == 0; i++) {
		snprintf(step, sizeof(step), "write #%zu (off %zu len %zu)", i, ops[i][0],
			 ops[i][1]);
		r = model_write(&m, ops[i][0], ops[i][1], (uint32_t)i + 1);
		if (r == 0)
			r = model_check(&m, step);
	}
	if (r == 0 && (close(m.fd) < 0 || (m.fd = open("f", O_RDWR)) < 0))
		r = -1, failf_at(__FILE__, __LINE__, "reopen: %s", errname(errno));
	if (r == 0)
		r = model_check(&m, "close and reopen");
	model_close(&m);
	return r;
}

int case_write_past_eof_hole(void)
{
	struct model m;
	int r;

	TRY(model_open(&m, "f"));
	r = model_write(&m, 0, 100, 1);
	if (r == 0)
		r = model_write(&m, 9000, 10, 2); /* hole inside block 0, block 1 */
	if (r == 0)
		r = model_check(&m, "write at 9000 after 100 bytes");
	if (r == 0)
		r = model_write(&m, (1 << 19) + 123, 10, 3);
	if (r == 0)
		r = model_check(&m, "write at 512 KiB + 123");
	model_close(&m);
	if (r == 0) {
		uint8_t z[64];
		int fd = open("new", O_RDWR | O_CREAT, 0644);
		SYS(fd);
		TRY(write_at(fd, "x", 1, 3 * BLK + 7));
		TRY(check_size(fd, 3 * BLK + 8, "new"));
		CHECK(read_at(fd, z, sizeof(z), 3 * BLK - 32) == 40, "read across EOF not 40 bytes");
		CHECK(all_zero(z, 39) && z[39] == 'x', "hole before a far write not zero");
		close(fd);
	}
	return r;
}

int case_write_far_past_4g(void)
{
	const off_t off = (5LL << 30) - 50; /* spans the 5 GiB mark, block index > 2^20 */
	uint8_t data[100], got[300];
	int fd = open("big", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	fill_pattern(data, sizeof(data), 7);
	TRY(write_at(fd, "head", 4, 0));
	TRY(write_at(fd, data, sizeof(data), off));
	TRY(check_size(fd, off + 100, "big"));
	CHECK(read_at(fd, got, sizeof(got), off - 200) == 300, "read around 5 GiB short");
	CHECK(all_zero(got, 200), "hole before 5 GiB not zero");
	CHECK(!memcmp(got + 200, data, 100), "data at 5 GiB differs");
	CHECK(read_at(fd, got, 8, (4LL << 30) - 4) == 8 && all_zero(got, 8),
	      "hole at 4 GiB not zero");
	CHECK(read_at(fd, got, 4, 0) == 4 && !memcmp(got, "head", 4), "head changed");
	SYS(ftruncate(fd, 10));
	TRY(check_size(fd, 10, "big after truncate"));
	close(fd);
	return 0;
}

int case_read_short_at_eof(void)
{
	uint8_t buf[8192], exp[5000];
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	fill_pattern(exp, sizeof(exp), 3);
	TRY(write_at(fd, exp, sizeof(exp), 0));
	CHECK(pread(fd, buf, sizeof(buf), 4000) == 1000, "read across EOF not short by the right amount");
	CHECK(!memcmp(buf, exp + 4000, 1000), "read across EOF returned wrong data");
	CHECK(pread(fd, buf, 10, 5000) == 0, "read at EOF did not return 0");
	CHECK(pread(fd, buf, 10, 100000) == 0, "read past EOF did not return 0");
	SYS(lseek(fd, 4990, SEEK_SET));
	CHECK(read(fd, buf, 100) == 10, "read() with file offset across EOF");
	CHECK(read(fd, buf, 100) == 0, "second read() at EOF");
	close(fd);
	return 0;
}

int case_truncate_up_down(void)
{
	static const size_t sizes[] = { 10000, 5000, 20000, 4097, 4096, 4095, 0, 8192, 1, 70000, 12288 };
	struct model m;
	char step[64];
	int r;

	TRY(model_open(&m, "f"));
	r = model_write(&m, 0, 10000, 5);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && r == 0; i++) {
		snprintf(step, sizeof(step), "ftruncate(%zu)", sizes[i]);
		r = model_truncate(&m, sizes[i]);
		if (r == 0)
			r = model_check(&m, step);
		if (r == 0 && i % 3 == 0)
			r = model_write(&m, sizes[i] / 2, 300, (uint32_t)i + 10);
	}
	model_close(&m);
	if (r == 0) {
		SYS(truncate("f", 3));
		struct stat st;
		SYS(stat("f", &st));
		CHECK(st.st_size == 3, "truncate(path, 3): size %lld", (long long)st.st_size);
	}
	return r;
}

int case_truncate_down_up_old_gone(void)
{
	uint8_t data[3 * BLK], exp[3 * BLK];
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	fill_pattern(data, sizeof(data), 9);
	TRY(write_at(fd, data, sizeof(data), 0));
	SYS(fsync(fd));
	SYS(ftruncate(fd, 100));
	SYS(ftruncate(fd, sizeof(data)));
	memset(exp, 0, sizeof(exp));
	memcpy(exp, data, 100);
	TRY(check_fd(fd, exp, sizeof(exp), "same fd after truncate down+up"));
	SYS(close(fd));
	TRY(check_path("f", exp, sizeof(exp)));
	/* again with close in between and a cut inside block 1 */
	fd = open("f", O_RDWR);
	SYS(fd);
	TRY(write_at(fd, data, sizeof(data), 0));
	SYS(close(fd));
	SYS(truncate("f", BLK + 10));
	SYS(truncate("f", sizeof(data)));
	memcpy(exp, data, BLK + 10);
	memset(exp + BLK + 10, 0, sizeof(exp) - BLK - 10);
	return check_path("f", exp, sizeof(exp));
}

int case_o_append(void)
{
	uint8_t exp[130];
	int a, b;

	fill_pattern(exp, 100, 1);
	TRY(put_file("f", exp, 100));
	a = open("f", O_WRONLY | O_APPEND);
	SYS(a);
	b = open("f", O_WRONLY | O_APPEND);
	SYS(b);
	SYS(lseek(a, 0, SEEK_SET));
	CHECK(write(a, "AAAAAAAAAA", 10) == 10, "write a");
	CHECK(lseek(a, 0, SEEK_CUR) == 110, "offset after append write is %lld",
	      (long long)lseek(a, 0, SEEK_CUR));
	CHECK(write(b, "BBBBBBBBBB", 10) == 10, "write b");
	CHECK(write(a, "CCCCCCCCCC", 10) == 10, "write c");
	memcpy(exp + 100, "AAAAAAAAAABBBBBBBBBBCCCCCCCCCC", 30);
	close(a);
	close(b);
	return check_path("f", exp, sizeof(exp));
}

int case_o_excl(void)
{
	int fd = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);

	SYS(fd);
	close(fd);
	EXPECT_ERR(open("f", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	SYS(mkdir("d", 0755));
	EXPECT_ERR(open("d", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	SYS(symlink("nonexistent", "dangling"));
	EXPECT_ERR(open("dangling", O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST);
	EXPECT_ERR(access("nonexistent", F_OK), ENOENT);
	return 0;
}

int case_o_trunc(void)
{
	uint8_t data[5000];
	int fd;

	fill_pattern(data, sizeof(data), 2);
	TRY(put_file("f", data, sizeof(data)));
	fd = open("f", O_RDWR | O_TRUNC);
	SYS(fd);
	TRY(check_fd(fd, NULL, 0, "after O_TRUNC"));
	TRY(write_at(fd, data, 10, 0));
	TRY(check_fd(fd, data, 10, "after O_TRUNC and write"));
	close(fd);
	fd = open("f", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	SYS(fd);
	close(fd);
	return check_path("f", NULL, 0);
}

int case_create_mode_umask(void)
{
	struct stat st;
	int fd;

	umask(022);
	fd = open("f", O_WRONLY | O_CREAT, 0666);
	SYS(fd);
	close(fd);
	SYS(stat("f", &st));
	CHECK((st.st_mode & 07777) == 0644, "mode %o, expected 0644", st.st_mode & 07777);
	CHECK(S_ISREG(st.st_mode), "not a regular file");
	umask(0);
	fd = open("g", O_WRONLY | O_CREAT, 0751);
	SYS(fd);
	close(fd);
	SYS(stat("g", &st));
	CHECK((st.st_mode & 07777) == 0751, "mode %o, expected 0751", st.st_mode & 07777);
	SYS(mkdir("d", 0705));
	SYS(stat("d", &st));
	CHECK((st.st_mode & 07777) == 0705, "dir mode %o, expected 0705", st.st_mode & 07777);
	CHECK(st.st_uid == geteuid(), "owner %u, expected %u", st.st_uid, geteuid());
	return 0;
}

static int size_is(int fd, off_t want, const char *step)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		FAIL("fstat after %s: %s", step, errname(errno));
	if (st.st_size != want)
		FAIL("after %s: fstat size %lld, expected %lld", step, (long long)st.st_size,
		     (long long)want);
	if (stat("f", &st) < 0)
		FAIL("stat after %s: %s", step, errname(errno));
	if (st.st_size != want)
		FAIL("after %s: stat size %lld, expected %lld", step, (long long)st.st_size,
		     (long long)want);
	return 0;
}

static int size_via_mmap(int fd)
{
	uint8_t *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		FAIL("mmap: %s", errname(errno));
	memset(p + 5000, 'm', 100);
	SYS(msync(p, 8192, MS_SYNC));
	munmap(p, 8192);
	return 0;
}

int case_size_after_each_write_kind(void)
{
	uint8_t b[9000];
	int fd = open("f", O_RDWR | O_CREAT, 0644), ap;

	SYS(fd);
	fill_pattern(b, sizeof(b), 4);
	TRY(size_is(fd, 0, "create"));
	CHECK(write(fd, b, 10) == 10, "write");
	TRY(size_is(fd, 10, "write 10 at 0"));
	TRY(write_at(fd, b, 4000, 10));
	TRY(size_is(fd, 4010, "write crossing nothing"));
	TRY(write_at(fd, b, 200, 3990));
	TRY(size_is(fd, 4190, "write across 4096"));
	TRY(write_at(fd, b, 5, 100));
	TRY(size_is(fd, 4190, "write inside"));
	TRY(write_at(fd, b, 1, 4190));
	TRY(size_is(fd, 4191, "write exactly at EOF"));
	TRY(write_at(fd, b, 7, 20000));
	TRY(size_is(fd, 20007, "write past EOF"));
	SYS(ftruncate(fd, 8192));
	TRY(size_is(fd, 8192, "ftruncate down"));
	TRY(size_via_mmap(fd));
	TRY(size_is(fd, 8192, "mmap write inside"));
	if (fallocate(fd, 0, 8000, 4000) == 0)
		TRY(size_is(fd, 12000, "fallocate extend"));
	else
		SYS(ftruncate(fd, 12000));
	ap = open("f", O_WRONLY | O_APPEND);
	SYS(ap);
	CHECK(write(ap, b, 9000) == 9000, "append write");
	close(ap);
	TRY(size_is(fd, 21000, "O_APPEND write"));
	SYS(close(fd));
	fd = open("f", O_RDONLY);
	SYS(fd);
	TRY(size_is(fd, 21000, "reopen"));
	close(fd);
	return 0;
}

int case_fsync_fdatasync(void)
{
	uint8_t data[3 * BLK + 5];
	int fd = open("f", O_RDWR | O_CREAT, 0644), dfd;

	SYS(fd);
	fill_pattern(data, sizeof(data), 6);
	TRY(write_at(fd, data, sizeof(data), 0));
	SYS(fsync(fd));
	TRY(write_at(fd, data, 100, 50));
	memmove(data + 50, data, 100);
	SYS(fdatasync(fd));
	TRY(check_fd(fd, data, sizeof(data), "after fsync/fdatasync"));
	SYS(close(fd));
	dfd = open(".", O_RDONLY | O_DIRECTORY);
	SYS(dfd);
	SYS(fsync(dfd));
	SYS(fdatasync(dfd));
	close(dfd);
	fd = open("f", O_RDONLY);
	SYS(fd);
	SYS(fsync(fd)); /* fsync on a read-only fd is allowed */
	close(fd);
	return check_path("f", data, sizeof(data));
}

int case_fallocate_mode0(void)
{
	uint8_t exp[30000];
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	SYS(fallocate(fd, 0, 0, 10000));
	TRY(check_fd(fd, NULL, 10000, "after fallocate(0, 10000)"));
	memset(exp, 0, sizeof(exp));
	fill_pattern(exp, 5000, 8);
	TRY(write_at(fd, exp, 5000, 0));
	SYS(fallocate(fd, 0, 100, 3000)); /* inside data: nothing changes */
	TRY(check_fd(fd, exp, 10000, "after fallocate inside data"));
	SYS(fallocate(fd, 0, 20000, 5000)); /* past EOF: gap and range read zeros */
	TRY(check_fd(fd, exp, 25000, "after fallocate past EOF"));
	SYS(fallocate(fd, 0, 24000, 6000)); /* straddling EOF */
	TRY(check_fd(fd, exp, 30000, "after fallocate straddling EOF"));
	close(fd);
	return 0;
}

/* Try one fallocate mode on a fresh 5-block file; *ok tells if it ran. */
static int falloc_try(int mode, off_t off, off_t len, uint8_t *data, bool *ok)
{
	int fd = open("m", O_RDWR | O_CREAT | O_TRUNC, 0644);

	SYS(fd);
	TRY(write_at(fd, data, 5 * BLK, 0));
	*ok = fallocate(fd, mode, off, len) == 0;
	if (!*ok && errno != EOPNOTSUPP) {
		int e = errno;
		close(fd);
		FAIL("fallocate mode 0x%x: %s (expected success or EOPNOTSUPP)", mode, errname(e));
	}
	return fd;
}

static int falloc_expect(int mode, const char *name, off_t off, off_t len, const uint8_t *exp,
			 size_t explen, uint8_t *data)
{
	bool ok;
	int fd = falloc_try(mode, off, len, data, &ok), r = 0;

	if (fd < 0)
		return -1;
	if (ok)
		r = check_fd(fd, exp, explen, name);
	note("fallocate %s: %s", name, ok ? "supported, result verified" : "EOPNOTSUPP");
	close(fd);
	return r;
}

int case_fallocate_other_modes(void)
{
	static uint8_t data[5 * BLK], exp[6 * BLK];

	fill_pattern(data, sizeof(data), 11);
	memcpy(exp, data, sizeof(data));
	memset(exp + 100, 0, 5000);
	TRY(falloc_expect(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, "PUNCH_HOLE", 100, 5000, exp,
			  sizeof(data), data));
	TRY(falloc_expect(FALLOC_FL_ZERO_RANGE, "ZERO_RANGE", 100, 5000, exp, sizeof(data), data));
	memcpy(exp, data, sizeof(data));
	TRY(falloc_expect(FALLOC_FL_KEEP_SIZE, "KEEP_SIZE(past EOF)", 5 * BLK, 3 * BLK, exp,
			  sizeof(data), data));
	memcpy(exp, data, BLK);
	memcpy(exp + BLK, data + 2 * BLK, 3 * BLK);
	TRY(falloc_expect(FALLOC_FL_COLLAPSE_RANGE, "COLLAPSE_RANGE", BLK, BLK, exp, 4 * BLK, data));
	memcpy(exp, data, BLK);
	memset(exp + BLK, 0, BLK);
	memcpy(exp + 2 * BLK, data + BLK, 4 * BLK);
	return falloc_expect(FALLOC_FL_INSERT_RANGE, "INSERT_RANGE", BLK, BLK, exp, 6 * BLK, data);
}

int case_seek_data_hole(void)
{
	const off_t far = 1 << 20, size = far + BLK;
	uint8_t blk[BLK];
	off_t h, d;
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	fill_pattern(blk, BLK, 12);
	TRY(write_at(fd, blk, BLK, 0));
	TRY(write_at(fd, blk, BLK, far));
	SYS(fsync(fd));
	d = lseek(fd, 0, SEEK_DATA);
	if (d < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
		failf_at(__FILE__, __LINE__, "SEEK_DATA unsupported (%s)", errname(errno));
		close(fd);
		return 1;
	}
	CHECK(d == 0, "SEEK_DATA(0) = %lld (%s), expected 0", (long long)d, errname(errno));
	h = lseek(fd, 0, SEEK_HOLE);
	CHECK(h >= BLK && h <= size, "SEEK_HOLE(0) = %lld, expected in [4096, %lld]",
	      (long long)h, (long long)size);
	if (h < far) {
		d = lseek(fd, h, SEEK_DATA);
		CHECK(d >= h && d <= far, "SEEK_DATA(%lld) = %lld, expected in [%lld, %lld]",
		      (long long)h, (long long)d, (long long)h, (long long)far);
	}
	note("SEEK_HOLE(0) = %lld (%s)", (long long)h, h == size ? "no holes reported" : "hole found");
	h = lseek(fd, far + 10, SEEK_HOLE);
	CHECK(h == size, "SEEK_HOLE(in last block) = %lld, expected EOF %lld", (long long)h,
	      (long long)size);
	EXPECT_ERR(lseek(fd, size, SEEK_DATA), ENXIO);
	EXPECT_ERR(lseek(fd, size + 5, SEEK_HOLE), ENXIO);
	close(fd);
	return 0;
}

int case_mmap_write_then_read(void)
{
	const size_t len = 3 * BLK + 100;
	uint8_t exp[3 * BLK + 100], *p;
	int fd = open("f", O_RDWR | O_CREAT, 0644), fd2;

	SYS(fd);
	fill_pattern(exp, len, 13);
	TRY(write_at(fd, exp, len, 0));
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
	fill_pattern(p + 4000, 200, 14); /* across block 0/1 */
	fill_pattern(p + 3 * BLK + 1, 99, 15);
	memset(p + 7, 0xab, 13);
	memcpy(exp + 4000, p + 4000, 200);
	memcpy(exp + 3 * BLK + 1, p + 3 * BLK + 1, 99);
	memset(exp + 7, 0xab, 13);
	SYS(msync(p, len, MS_SYNC));
	fd2 = open("f", O_RDONLY);
	SYS(fd2);
	TRY(check_fd(fd2, exp, len, "read() after msync"));
	SYS(munmap(p, len));
	close(fd2);
	close(fd);
	return check_path("f", exp, len);
}

int case_write_then_mmap_read(void)
{
	const size_t len = 2 * BLK + 10;
	uint8_t exp[4 * BLK], *p;
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	fill_pattern(exp, len, 16);
	TRY(write_at(fd, exp, len, 0));
	p = mmap(NULL, 4 * BLK, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED, "mmap: %s", errname(errno));
	CHECK(!memcmp(p, exp, len), "map differs from written data at %zd",
	      first_diff(p, exp, len));
	fill_pattern(exp + 4090, 20, 17);
	TRY(write_at(fd, exp + 4090, 20, 4090));
	CHECK(!memcmp(p, exp, len), "map not updated by write() (first diff %zd)",
	      first_diff(p, exp, len));
	SYS(ftruncate(fd, 3 * BLK + 5));
	CHECK(all_zero(p + len, 3 * BLK + 5 - len), "map of extended region not zero");
	munmap(p, 4 * BLK);
	close(fd);
	return 0;
}

int case_unlink_open_file(void)
{
	uint8_t data[6000], got[6000];
	struct stat st;
	int fd = open("f", O_RDWR | O_CREAT, 0644), fd2;

	SYS(fd);
	fill_pattern(data, sizeof(data), 18);
	TRY(write_at(fd, data, 5000, 0));
	fd2 = open("f", O_RDONLY);
	SYS(fd2);
	SYS(unlink("f"));
	EXPECT_ERR(stat("f", &st), ENOENT);
	SYS(fstat(fd, &st));
	CHECK(st.st_nlink == 0, "nlink of unlinked open file is %lu", (unsigned long)st.st_nlink);
	TRY(write_at(fd, data + 5000, 1000, 5000));
	TRY(check_fd(fd, data, sizeof(data), "unlinked file via writer fd"));
	CHECK(read_at(fd2, got, sizeof(got), 0) == sizeof(got), "short read via second fd");
	CHECK(!memcmp(got, data, sizeof(got)), "second fd sees different data");
	SYS(ftruncate(fd, 100));
	TRY(check_fd(fd2, data, 100, "unlinked file after ftruncate"));
	/* a new file with the same name is a different, empty file */
	int fd3 = open("f", O_RDWR | O_CREAT | O_EXCL, 0644);
	SYS(fd3);
	TRY(check_fd(fd3, NULL, 0, "recreated file"));
	close(fd3);
	SYS(close(fd));
	SYS(close(fd2));
	return check_path("f", NULL, 0);
}

int case_two_fds_same_file(void)
{
	uint8_t exp[2 * BLK];
	int a = open("f", O_RDWR | O_CREAT, 0644), b;

	SYS(a);
	b = open("f", O_RDWR);
	SYS(b);
	fill_pattern(exp, sizeof(exp), 30);
	/* interleaved writes into the same blocks through two open files */
	for (size_t off = 0; off < sizeof(exp); off += 100) {
		size_t len = off + 100 <= sizeof(exp) ? 100 : sizeof(exp) - off;
		TRY(write_at((off / 100) % 2 ? b : a, exp + off, len, (off_t)off));
	}
	TRY(check_fd(a, exp, sizeof(exp), "via first fd"));
	TRY(check_fd(b, exp, sizeof(exp), "via second fd"));
	close(a);
	TRY(write_at(b, "tail", 4, 10));
	memcpy(exp + 10, "tail", 4);
	close(b);
	return check_path("f", exp, sizeof(exp));
}

int case_truncate_seen_by_other_fd(void)
{
	uint8_t data[3 * BLK], exp[3 * BLK];
	int a = open("f", O_RDWR | O_CREAT, 0644), b;

	SYS(a);
	fill_pattern(data, sizeof(data), 31);
	TRY(write_at(a, data, sizeof(data), 0));
	b = open("f", O_RDWR);
	SYS(b);
	TRY(check_fd(b, data, sizeof(data), "second fd before truncate"));
	SYS(ftruncate(a, BLK + 7));
	SYS(ftruncate(a, sizeof(data)));
	memset(exp, 0, sizeof(exp));
	memcpy(exp, data, BLK + 7);
	TRY(check_fd(b, exp, sizeof(exp), "second fd after truncate down+up"));
	SYS(truncate("f", 5));
	TRY(check_fd(a, exp, 5, "first fd after truncate(path)"));
	close(a);
	close(b);
	return 0;
}

int case_rename_open_file(void)
{
	uint8_t exp[BLK + 50];
	int fd = open("f", O_RDWR | O_CREAT, 0644);

	SYS(fd);
	fill_pattern(exp, sizeof(exp), 32);
	TRY(write_at(fd, exp, BLK, 0));
	SYS(mkdir("d", 0755));
	SYS(rename("f", "d/g"));
	TRY(write_at(fd, exp + BLK, 50, BLK)); /* write after the rename */
	TRY(check_path("d/g", exp, sizeof(exp)));
	SYS(rename("d", "e"));
	TRY(write_at(fd, "xy", 2, 3));
	memcpy(exp + 3, "xy", 2);
	SYS(close(fd));
	return check_path("e/g", exp, sizeof(exp));
}

int case_large_sequential(void)
{
	enum { TOTAL = 8 << 20, CHUNK = 1 << 20, RD = 12345 };
	uint8_t *exp = malloc(TOTAL), *got = malloc(RD);
	int fd = open("big", O_RDWR | O_CREAT, 0644), r = -1;
	size_t off;

	CHECK(exp && got, "out of memory");
	SYS(fd);
	fill_pattern(exp, TOTAL, 33);
	for (off = 0; off < TOTAL; off += CHUNK)
		if (write(fd, exp + off, CHUNK) != CHUNK)
			FAIL("sequential write at %zu: %s", off, errname(errno));
	SYS(close(fd));
	fd = open("big", O_RDONLY);
	SYS(fd);
	for (off = 0; off < TOTAL; off += RD) {
		size_t want = TOTAL - off < RD ? TOTAL - off : RD;
		ssize_t n = read(fd, got, RD);
		if (n != (ssize_t)want || memcmp(got, exp + off, want)) {
			failf_at(__FILE__, __LINE__, "sequential read at %zu: got %zd bytes, %s", off,
				 n, n == (ssize_t)want ? "content differs" : "wrong count");
			goto out;
		}
	}
	r = check_size(fd, TOTAL, "big");
out:
	close(fd);
	free(exp);
	free(got);
	return r;
}

int case_copy_file_range_data(void)
{
	uint8_t src[100000], exp[105000];
	loff_t in = 3, out = 5000;
	ssize_t n, done = 0;
	int a, b;

	fill_pattern(src, sizeof(src), 34);
	TRY(put_file("src", src, sizeof(src)));
	a = open("src", O_RDONLY);
	SYS(a);
	b = open("dst", O_RDWR | O_CREAT, 0644);
	SYS(b);
	while (done < 99990 && (n = copy_file_range(a, &in, b, &out, 99990 - (size_t)done, 0)) > 0)
		done += n;
	CHECK(done == 99990, "copy_file_range copied %zd of 99990 bytes: %s", done, errname(errno));
	memset(exp, 0, sizeof(exp));
	memcpy(exp + 5000, src + 3, 99990);
	TRY(check_fd(b, exp, 5000 + 99990, "copy destination"));
	close(a);
	close(b);
	return 0;
}

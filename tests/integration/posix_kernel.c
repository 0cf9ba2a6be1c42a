/*
 * posix_kernel.c - posix_suite cases where a FUSE file system must agree with
 * what the kernel holds for it: SEEK_DATA/SEEK_HOLE over dirty pages, buffered
 * reads after direct writes (sync and AIO), readdir after rewinddir, fallocate
 * that reserves what it promises (mode 0 and KEEP_SIZE), atime on read as the
 * mount's atime option says, and file handles.
 */
#include "posix_cases.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif

enum { MIB = 1 << 20 };

/* SEEK_DATA and SEEK_HOLE at off must agree with the bytes the file reads. */
static int seek_agrees(int fd, off_t off, off_t size, const char *what)
{
	uint8_t *buf = malloc((size_t)size);
	off_t d, h, i;

	if (!buf)
		FAIL("out of memory");
	if (read_at(fd, buf, (size_t)size, 0) != size) {
		free(buf);
		FAIL("%s: short read", what);
	}
	d = lseek(fd, off, SEEK_DATA);
	h = lseek(fd, off, SEEK_HOLE);
	for (i = off; i < size && buf[i] == 0; i++)
		;
	/* the first non-zero byte at or after off: SEEK_DATA may not skip it */
	if (i < size && (d < 0 || d > i)) {
		free(buf);
		FAIL("%s: SEEK_DATA(%lld) = %lld (%s) but byte %lld is data", what, (long long)off,
		     (long long)d, d < 0 ? errname(errno) : "ok", (long long)i);
	}
	if (h < off || h > size) {
		free(buf);
		FAIL("%s: SEEK_HOLE(%lld) = %lld, expected in [%lld, %lld]", what, (long long)off,
		     (long long)h, (long long)off, (long long)size);
	}
	/* everything in the hole SEEK_HOLE reports (up to the next data) must read zero */
	d = h < size ? lseek(fd, h, SEEK_DATA) : size;
	if (d < 0)
		d = size;
	for (i = h; i < d; i++)
		if (buf[i]) {
			unsigned byte = buf[i];

			free(buf);
			FAIL("%s: [%lld, %lld) reported as a hole but byte %lld is 0x%02x", what,
			     (long long)h, (long long)d, (long long)i, byte);
		}
	free(buf);
	return 0;
}

int case_seek_data_dirty(void)
{
	static uint8_t buf[100000];
	off_t d;
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644), fd2;

	SYS(fd);
	fill_pattern(buf, sizeof(buf), 31);
	TRY(write_at(fd, buf, sizeof(buf), 0)); /* no fsync: the kernel may hold it all */
	d = lseek(fd, 0, SEEK_DATA);
	if (d < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
		failf_at(__FILE__, __LINE__, "SEEK_DATA unsupported (%s)", errname(errno));
		close(fd);
		return 1;
	}
	CHECK(d == 0, "dirty file: SEEK_DATA(0) = %lld (%s), expected 0", (long long)d,
	      d < 0 ? errname(errno) : "ok");
	d = lseek(fd, 0, SEEK_HOLE);
	CHECK(d == (off_t)sizeof(buf), "dirty file: SEEK_HOLE(0) = %lld (%s), expected EOF %zu",
	      (long long)d, d < 0 ? errname(errno) : "ok", sizeof(buf));
	close(fd);

	/* A sparse file on disk, then dirty data in its hole and past its end. */
	fd2 = open("g", O_RDWR | O_CREAT | O_TRUNC, 0644);
	SYS(fd2);
	TRY(write_at(fd2, buf, BLK, 0));
	TRY(write_at(fd2, buf, BLK, 4 * MIB));
	SYS(fsync(fd2));
	TRY(write_at(fd2, buf + 7, 3 * BLK, 2 * MIB));
	TRY(write_at(fd2, buf + 9, BLK, 6 * MIB));
	TRY(seek_agrees(fd2, 2 * BLK, 6 * MIB + BLK, "dirty data in a hole"));
	TRY(seek_agrees(fd2, 2 * MIB + 3 * BLK, 6 * MIB + BLK, "after the dirty data"));
	TRY(seek_agrees(fd2, 5 * MIB, 6 * MIB + BLK, "dirty data past the old end"));
	close(fd2);
	return 0;
}

static long sys_io_setup(unsigned n, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, n, ctx);
}

static long sys_io_submit(aio_context_t ctx, long n, struct iocb **cbs)
{
	return syscall(SYS_io_submit, ctx, n, cbs);
}

static long sys_io_getevents(aio_context_t ctx, long min, long max, struct io_event *ev)
{
	return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

static long sys_io_destroy(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

/* One AIO O_DIRECT write of len bytes at off; 0 or -1 with the reason. */
static int aio_write(int dfd, const void *buf, size_t len, off_t off)
{
	aio_context_t ctx = 0;
	struct iocb cb, *cbs[1] = {&cb};
	struct io_event ev;
	long r;

	SYS(sys_io_setup(4, &ctx));
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = (uint32_t)dfd;
	cb.aio_lio_opcode = IOCB_CMD_PWRITE;
	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = len;
	cb.aio_offset = off;
	r = sys_io_submit(ctx, 1, cbs);
	if (r != 1) {
		int e = errno;
		sys_io_destroy(ctx);
		FAIL("io_submit: %ld (%s)", r, errname(e));
	}
	r = sys_io_getevents(ctx, 1, 1, &ev);
	sys_io_destroy(ctx);
	CHECK(r == 1, "io_getevents: %ld (%s)", r, errname(errno));
	CHECK(ev.res == (int64_t)len, "AIO write result %lld, expected %zu", (long long)ev.res,
	      len);
	return 0;
}

int case_direct_write_then_read(void)
{
	const size_t len = 64 * 1024;
	static uint8_t exp[64 * 1024 + 8192];
	uint8_t *dbuf = NULL;
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644), dfd;

	SYS(fd);
	fill_pattern(exp, len, 41);
	TRY(write_at(fd, exp, len, 0));
	SYS(fsync(fd));
	TRY(check_fd(fd, exp, len, "buffered read before the direct writes")); /* cached now */
	dfd = open("f", O_RDWR | O_DIRECT);
	if (dfd < 0 && errno == EINVAL) {
		failf_at(__FILE__, __LINE__, "O_DIRECT refused (EINVAL)");
		close(fd);
		return 1;
	}
	SYS(dfd);
	CHECK(posix_memalign((void **)&dbuf, 4096, 16384) == 0, "posix_memalign failed");
	fill_pattern(dbuf, 16384, 42);
	if (pwrite(dfd, dbuf, 16384, 8192) != 16384) {
		free(dbuf);
		FAIL("O_DIRECT pwrite: %s", errname(errno));
	}
	memcpy(exp + 8192, dbuf, 16384);
	if (check_fd(fd, exp, len, "buffered read after a sync O_DIRECT write") < 0)
		goto fail;
	fill_pattern(dbuf, 16384, 43);
	if (aio_write(dfd, dbuf, 16384, 32768) < 0)
		goto fail;
	memcpy(exp + 32768, dbuf, 16384);
	if (check_fd(fd, exp, len, "buffered read after an AIO O_DIRECT write") < 0)
		goto fail;
	/* a direct write that extends the file */
	fill_pattern(dbuf, 8192, 44);
	if (aio_write(dfd, dbuf, 8192, (off_t)len) < 0)
		goto fail;
	memcpy(exp + len, dbuf, 8192);
	if (check_fd(fd, exp, len + 8192, "buffered read after an extending AIO write") < 0)
		goto fail;
	free(dbuf);
	close(dfd);
	close(fd);
	return check_path("f", exp, len + 8192);
fail:
	free(dbuf);
	return -1;
}

/* Entries of d other than "." and "..", from the current position on. */
static long count_entries(DIR *d)
{
	struct dirent *e;
	long n = 0;

	errno = 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	return errno ? -1 : n;
}

static int make_files(int dirfd, int from, int to)
{
	char name[32];
	int i, fd;

	for (i = from; i < to; i++) {
		snprintf(name, sizeof(name), "n%05d", i);
		fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			FAIL("create '%s': %s", name, errname(errno));
		close(fd);
	}
	return 0;
}

int case_readdir_rewind_new_entries(void)
{
	DIR *d;
	long n;
	int dfd;

	SYS(mkdir("d", 0755));
	SYS(dfd = open("d", O_RDONLY | O_DIRECTORY));
	d = opendir("d");
	CHECK(d, "opendir: %s", errname(errno));
	/* nothing read before the rewind */
	TRY(make_files(dfd, 0, 500));
	rewinddir(d);
	n = count_entries(d);
	CHECK(n == 500, "opendir, 500 creates, rewinddir: readdir lists %ld entries", n);
	/* after a complete listing */
	TRY(make_files(dfd, 500, 600));
	rewinddir(d);
	n = count_entries(d);
	CHECK(n == 600, "100 more creates, rewinddir: readdir lists %ld entries, expected 600", n);
	SYS(unlinkat(dfd, "n00007", 0));
	rewinddir(d);
	n = count_entries(d);
	CHECK(n == 599, "unlink, rewinddir: readdir lists %ld entries, expected 599", n);
	closedir(d);
	close(dfd);
	return 0;
}

/*
 * fallocate reserves what it promises: the blocks are allocated when it returns. (That a
 * request past the free space fails with ENOSPC is checked by tests/mount/fulldisk.sh on
 * a small tmpfs: on a large disk, ext4 itself fills the disk before it gives up.)
 */
int case_fallocate_reserves(void)
{
	struct stat st;
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);

	SYS(fd);
	SYS(fallocate(fd, 0, 0, 4 * MIB));
	SYS(fstat(fd, &st));
	CHECK(st.st_size == 4 * MIB, "size %lld after fallocate(4 MiB)", (long long)st.st_size);
	CHECK((uint64_t)st.st_blocks * 512 >= 4 * MIB,
	      "fallocate(4 MiB) allocated %lld bytes (st_blocks %lld): nothing reserved",
	      (long long)st.st_blocks * 512, (long long)st.st_blocks);
	TRY(check_fd(fd, NULL, 4 * MIB, "fallocated range"));
	close(fd);
	return 0;
}

int case_fallocate_keep_size(void)
{
	static uint8_t exp[3 * MIB];
	struct stat st;
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);

	SYS(fd);
	fill_pattern(exp, 5000, 51);
	TRY(write_at(fd, exp, 5000, 0));
	SYS(fsync(fd));
	if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 2 * MIB) < 0)
		FAIL("fallocate(KEEP_SIZE, 0, 2 MiB): %s", errname(errno));
	SYS(fstat(fd, &st));
	CHECK(st.st_size == 5000, "KEEP_SIZE changed the size to %lld", (long long)st.st_size);
	CHECK((uint64_t)st.st_blocks * 512 >= 2 * MIB,
	      "KEEP_SIZE(2 MiB) allocated %lld bytes: nothing reserved",
	      (long long)st.st_blocks * 512);
	TRY(check_fd(fd, exp, 5000, "content after KEEP_SIZE"));
	SYS(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4 * MIB, 64 * 1024)); /* wholly past EOF */
	SYS(fstat(fd, &st));
	CHECK(st.st_size == 5000, "KEEP_SIZE past EOF changed the size to %lld",
	      (long long)st.st_size);
	fill_pattern(exp + MIB, 10000, 52); /* a write into the reserved range */
	TRY(write_at(fd, exp + MIB, 10000, MIB));
	SYS(fsync(fd));
	TRY(check_fd(fd, exp, MIB + 10000, "write into the reserved range"));
	close(fd);
	return 0;
}

enum atime_mode { AT_NOATIME, AT_RELATIME, AT_STRICT };

/* Set atime/mtime to now - a_ago / now - m_ago seconds, read the file, say if atime moved. */
static int read_moves_atime(int a_ago, int m_ago, bool *moved)
{
	struct timespec ts[2];
	struct stat st;
	time_t before;
	char c[4096];
	int fd;

	SYS(clock_gettime(CLOCK_REALTIME, &ts[0]));
	ts[1] = ts[0];
	ts[0].tv_sec -= a_ago;
	ts[0].tv_nsec = 0;
	ts[1].tv_sec -= m_ago;
	ts[1].tv_nsec = 0;
	SYS(utimensat(AT_FDCWD, "f", ts, 0));
	before = time(NULL);
	SYS(fd = open("f", O_RDONLY));
	if (read(fd, c, sizeof(c)) <= 0) {
		close(fd);
		FAIL("read: %s", errname(errno));
	}
	close(fd);
	SYS(stat("f", &st));
	*moved = st.st_atim.tv_sec >= before;
	CHECK(*moved || (st.st_atim.tv_sec == ts[0].tv_sec && st.st_atim.tv_nsec == 0),
	      "atime %lld.%09ld is neither now nor the value set (%lld)", (long long)st.st_atim.tv_sec,
	      st.st_atim.tv_nsec, (long long)ts[0].tv_sec);
	return 0;
}

int case_atime_on_read(void)
{
	static const char *names[] = {"noatime", "relatime", "strictatime"};
	/* (atime ago, mtime ago): newer than mtime; older than mtime; over a day old */
	static const int cases[3][2] = {{3600, 7200}, {7200, 3600}, {3 * 86400, 4 * 86400}};
	static const bool want[3][3] = {
	    {false, false, false}, /* noatime */
	    {true, true, true},	   /* relatime: utimensat set ctime to now, atime is older */
	    {true, true, true},	   /* strictatime */
	};
	struct statvfs sv;
	enum atime_mode m;
	bool moved;
	int i;

	TRY(put_file("f", "some bytes to read", 18));
	SYS(statvfs(".", &sv));
	m = (sv.f_flag & ST_NOATIME) ? AT_NOATIME : (sv.f_flag & ST_RELATIME) ? AT_RELATIME : AT_STRICT;
	note("mount atime mode: %s", names[m]);
	for (i = 0; i < 3; i++) {
		TRY(read_moves_atime(cases[i][0], cases[i][1], &moved));
		CHECK(moved == want[m][i],
		      "%s: atime %s ago, mtime %s ago: a read %s atime (expected %s)", names[m],
		      cases[i][0] > 86400 ? "3 d" : cases[i][0] == 3600 ? "1 h" : "2 h",
		      cases[i][1] > 86400 ? "4 d" : cases[i][1] == 3600 ? "1 h" : "2 h",
		      moved ? "moved" : "kept", want[m][i] ? "moved" : "kept");
	}
	return 0;
}

/*
 * Handles: either name_to_handle_at refuses (EOPNOTSUPP) or, as root, a handle opens the
 * same file after a hard link and a rename of its first name.
 */
int case_file_handle(void)
{
	struct file_handle *fh = malloc(sizeof(*fh) + 128);
	struct stat a, b;
	int mount_id, fd;

	CHECK(fh, "out of memory");
	fh->handle_bytes = 128;
	TRY(put_file("f", "handle", 6));
	SYS(link("f", "g"));
	if (name_to_handle_at(AT_FDCWD, "f", fh, &mount_id, 0) < 0) {
		int e = errno;
		free(fh);
		CHECK(e == EOPNOTSUPP, "name_to_handle_at: %s, expected success or EOPNOTSUPP",
		      errname(e));
		note("file handles refused (EOPNOTSUPP)");
		return 0;
	}
	if (geteuid() != 0) {
		free(fh);
		failf_at(__FILE__, __LINE__, "open_by_handle_at needs root");
		return 1;
	}
	SYS(rename("f", "h"));
	SYS(stat("h", &a));
	fd = open_by_handle_at(AT_FDCWD, fh, O_RDONLY);
	free(fh);
	CHECK(fd >= 0, "open_by_handle_at after link and rename: %s", errname(errno));
	SYS(fstat(fd, &b));
	close(fd);
	CHECK(a.st_ino == b.st_ino, "handle opened inode %llu, expected %llu",
	      (unsigned long long)b.st_ino, (unsigned long long)a.st_ino);
	note("file handles supported");
	return 0;
}

/* --- POSIX ACLs in the Linux xattr format (version 2; tag, perm, id per entry) --- */

enum { A_USER_OBJ = 1, A_USER = 2, A_GROUP_OBJ = 4, A_GROUP = 8, A_MASK = 0x10, A_OTHER = 0x20 };

struct acl_ent {
	uint16_t tag, perm;
	uint32_t id;
};

static size_t acl_pack(uint8_t *out, const struct acl_ent *e, size_t n)
{
	size_t i;

	out[0] = 2;
	out[1] = out[2] = out[3] = 0;
	for (i = 0; i < n; i++) {
		uint8_t *p = out + 4 + 8 * i;
		uint32_t id = e[i].tag == A_USER || e[i].tag == A_GROUP ? e[i].id : 0xffffffffu;

		p[0] = (uint8_t)e[i].tag;
		p[1] = (uint8_t)(e[i].tag >> 8);
		p[2] = (uint8_t)e[i].perm;
		p[3] = 0;
		memcpy(p + 4, &id, 4); /* little-endian machines only, as the test tools */
	}
	return 4 + 8 * n;
}

/* The perm of the entry with tag (and id for named entries) in the ACL of path, or -1. */
static int acl_perm(const char *path, const char *name, unsigned tag, uint32_t id)
{
	uint8_t buf[512];
	ssize_t len = getxattr(path, name, buf, sizeof(buf)), i;

	for (i = 4; len > 4 && i + 8 <= len; i += 8) {
		uint32_t eid;

		memcpy(&eid, buf + i + 4, 4);
		if ((buf[i] | buf[i + 1] << 8) == (int)tag &&
		    ((tag != A_USER && tag != A_GROUP) || eid == id))
			return buf[i + 2];
	}
	return -1;
}

static int mode_is(const char *path, mode_t want, const char *what)
{
	struct stat st;

	SYS(stat(path, &st));
	CHECK((st.st_mode & 07777) == want, "%s: mode %04o, expected %04o", what,
	      (unsigned)(st.st_mode & 07777), (unsigned)want);
	return 0;
}

int case_posix_acl(void)
{
	static const struct acl_ent ext[] = {{A_USER_OBJ, 6, 0}, {A_USER, 4, 60002},
					     {A_GROUP_OBJ, 4, 0}, {A_MASK, 6, 0},
					     {A_OTHER, 0, 0}};
	static const struct acl_ent plain[] = {{A_USER_OBJ, 7, 0}, {A_GROUP_OBJ, 5, 0},
					       {A_OTHER, 0, 0}};
	static const struct acl_ent dflt[] = {{A_USER_OBJ, 7, 0}, {A_USER, 7, 60002},
					      {A_GROUP_OBJ, 5, 0}, {A_MASK, 7, 0},
					      {A_OTHER, 5, 0}};
	uint8_t v[128];
	size_t len;
	int fd;

	TRY(put_file("f", "acl", 3));
	SYS(chmod("f", 0644));
	len = acl_pack(v, ext, 5);
	if (setxattr("f", "system.posix_acl_access", v, len, 0) < 0) {
		if (errno == EOPNOTSUPP)
			FAIL("setxattr system.posix_acl_access: EOPNOTSUPP (no POSIX ACLs)");
		FAIL("setxattr system.posix_acl_access: %s", errname(errno));
	}
	TRY(mode_is("f", 0660, "after an ACL with mask rw-"));
	CHECK(acl_perm("f", "system.posix_acl_access", A_USER, 60002) == 4,
	      "named user entry not read back");
	SYS(chmod("f", 0640));
	CHECK(acl_perm("f", "system.posix_acl_access", A_MASK, 0) == 4,
	      "chmod 0640: mask is %d, expected 4", acl_perm("f", "system.posix_acl_access", A_MASK, 0));
	CHECK(acl_perm("f", "system.posix_acl_access", A_USER, 60002) == 4,
	      "chmod dropped the named user entry");
	CHECK(acl_perm("f", "system.posix_acl_access", A_GROUP_OBJ, 0) == 4,
	      "chmod changed the owning group entry under a mask");
	/* an ACL the mode says in full: mode 0750, and no ACL is kept */
	len = acl_pack(v, plain, 3);
	SYS(setxattr("f", "system.posix_acl_access", v, len, 0));
	TRY(mode_is("f", 0750, "after a 3-entry ACL"));
	EXPECT_ERR(getxattr("f", "system.posix_acl_access", v, sizeof(v)), ENODATA);
	/* inheritance: the umask does not apply, the default ACL masks the mode */
	SYS(mkdir("d", 0755));
	umask(022);
	SYS(fd = open("d/before", O_CREAT | O_WRONLY | O_EXCL, 0666)); /* no default ACL yet */
	close(fd);
	TRY(mode_is("d/before", 0644, "file created 0666 under umask 022 before the default ACL"));
	len = acl_pack(v, dflt, 5);
	SYS(setxattr("d", "system.posix_acl_default", v, len, 0));
	EXPECT_ERR(setxattr("f", "system.posix_acl_default", v, len, 0), EACCES);
	SYS(fd = open("d/new", O_CREAT | O_WRONLY | O_EXCL, 0666));
	close(fd);
	TRY(mode_is("d/new", 0664, "file created 0666 under umask 022 in a dir with a default ACL"));
	CHECK(acl_perm("d/new", "system.posix_acl_access", A_USER, 60002) == 7,
	      "the new file did not inherit the named user entry");
	CHECK(acl_perm("d/new", "system.posix_acl_access", A_MASK, 0) == 6,
	      "inherited mask %d, expected 6 (masked by the create mode)",
	      acl_perm("d/new", "system.posix_acl_access", A_MASK, 0));
	SYS(mkdir("d/sub", 0777));
	TRY(mode_is("d/sub", 0775, "dir created 0777 in a dir with a default ACL"));
	CHECK(acl_perm("d/sub", "system.posix_acl_default", A_USER, 60002) == 7,
	      "the new directory did not inherit the default ACL");
	SYS(removexattr("d", "system.posix_acl_default"));
	SYS(fd = open("d/plain", O_CREAT | O_WRONLY | O_EXCL, 0666));
	close(fd);
	TRY(mode_is("d/plain", 0644, "file created 0666 under umask 022 without a default ACL"));
	return 0;
}

/* trusted.* as root: stored, read back, listed, removed (tests as others: --perm). */
int case_xattr_trusted(void)
{
	char buf[256];
	ssize_t len;

	if (geteuid() != 0) {
		failf_at(__FILE__, __LINE__, "trusted.* needs root");
		return 1;
	}
	TRY(put_file("f", "t", 1));
	if (setxattr("f", "trusted.veilfs-test", "secret", 6, 0) < 0)
		FAIL("setxattr trusted.veilfs-test: %s", errname(errno));
	len = getxattr("f", "trusted.veilfs-test", buf, sizeof(buf));
	CHECK(len == 6 && !memcmp(buf, "secret", 6), "getxattr trusted: %zd", len);
	len = listxattr("f", buf, sizeof(buf));
	CHECK(len > 0 && memmem(buf, (size_t)len, "trusted.veilfs-test", 20),
	      "trusted.veilfs-test not listed for root");
	SYS(removexattr("f", "trusted.veilfs-test"));
	EXPECT_ERR(getxattr("f", "trusted.veilfs-test", buf, sizeof(buf)), ENODATA);
	return 0;
}

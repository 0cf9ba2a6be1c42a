/*
 * posix_meta.c - posix_suite cases on metadata and special files:
 * modes, owners, nanosecond timestamps, statfs, user xattrs, POSIX
 * record locks and flock between processes, FIFOs and sockets.
 */
#include "posix_cases.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

static int mode_is(const char *path, mode_t want)
{
	struct stat st;

	SYS(stat(path, &st));
	CHECK((st.st_mode & 07777) == want, "'%s' mode %o, expected %o", path, st.st_mode & 07777,
	      want);
	return 0;
}

int case_chmod_modes(void)
{
	static const mode_t modes[] = { 0751, 0600, 0000, 0777, 0444, 04755, 02711, 01777, 0644 };
	int fd;

	TRY(put_file("f", "x", 1));
	SYS(mkdir("d", 0755));
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		SYS(chmod("f", modes[i]));
		TRY(mode_is("f", modes[i]));
		SYS(chmod("d", modes[i]));
		TRY(mode_is("d", modes[i]));
	}
	fd = open("f", O_RDONLY);
	SYS(fd);
	SYS(fchmod(fd, 0640));
	close(fd);
	TRY(mode_is("f", 0640));
	SYS(symlink("f", "l"));
	SYS(chmod("l", 0604)); /* follows the link */
	return mode_is("f", 0604);
}

int case_chown_root(void)
{
	struct stat st;
	int fd;

	if (geteuid() != 0) {
		failf_at(__FILE__, __LINE__, "not root");
		return 1;
	}
	TRY(put_file("f", "x", 1));
	SYS(chown("f", 1234, 5678));
	SYS(stat("f", &st));
	CHECK(st.st_uid == 1234 && st.st_gid == 5678, "owner %u:%u, expected 1234:5678",
	      st.st_uid, st.st_gid);
	SYS(chown("f", (uid_t)-1, 42));
	SYS(stat("f", &st));
	CHECK(st.st_uid == 1234 && st.st_gid == 42, "owner %u:%u, expected 1234:42", st.st_uid,
	      st.st_gid);
	fd = open("f", O_RDONLY);
	SYS(fd);
	SYS(fchown(fd, 0, 0));
	close(fd);
	SYS(symlink("f", "l"));
	SYS(lchown("l", 777, 778));
	SYS(lstat("l", &st));
	CHECK(st.st_uid == 777 && st.st_gid == 778, "symlink owner %u:%u", st.st_uid, st.st_gid);
	SYS(stat("f", &st));
	CHECK(st.st_uid == 0 && st.st_gid == 0, "lchown changed the target");
	return 0;
}

static int times_are(const char *path, const struct timespec ts[2])
{
	struct stat st;

	SYS(stat(path, &st));
	CHECK(st.st_atim.tv_sec == ts[0].tv_sec && st.st_atim.tv_nsec == ts[0].tv_nsec,
	      "'%s' atime %lld.%09ld, expected %lld.%09ld", path, (long long)st.st_atim.tv_sec,
	      st.st_atim.tv_nsec, (long long)ts[0].tv_sec, ts[0].tv_nsec);
	CHECK(st.st_mtim.tv_sec == ts[1].tv_sec && st.st_mtim.tv_nsec == ts[1].tv_nsec,
	      "'%s' mtime %lld.%09ld, expected %lld.%09ld", path, (long long)st.st_mtim.tv_sec,
	      st.st_mtim.tv_nsec, (long long)ts[1].tv_sec, ts[1].tv_nsec);
	return 0;
}

int case_utimensat_ns(void)
{
	struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
	struct timespec omit[2] = { { 0, UTIME_OMIT }, { 1500000000, 1 } };
	struct timespec both[2] = { { 1600000000, 999999999 }, { 1600000001, 0 } };
	struct stat st;
	time_t t0 = time(NULL);

	TRY(put_file("f", "x", 1));
	SYS(utimensat(AT_FDCWD, "f", ts, 0));
	TRY(times_are("f", ts));
	SYS(utimensat(AT_FDCWD, "f", omit, 0));
	ts[1] = omit[1];
	TRY(times_are("f", ts));
	SYS(mkdir("d", 0755));
	SYS(utimensat(AT_FDCWD, "d", both, 0));
	TRY(times_are("d", both));
	SYS(symlink("f", "l"));
	SYS(utimensat(AT_FDCWD, "l", both, AT_SYMLINK_NOFOLLOW));
	SYS(lstat("l", &st));
	CHECK(st.st_mtim.tv_sec == both[1].tv_sec && st.st_mtim.tv_nsec == 0,
	      "symlink mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	TRY(times_are("f", ts));
	SYS(utimensat(AT_FDCWD, "f", NULL, 0)); /* now */
	SYS(stat("f", &st));
	CHECK(st.st_mtim.tv_sec >= t0 - 2 && st.st_mtim.tv_sec <= time(NULL) + 2,
	      "utimensat(NULL) set mtime %lld, now is %lld", (long long)st.st_mtim.tv_sec,
	      (long long)time(NULL));
	return 0;
}

int case_mtime_updated_by_write(void)
{
	const struct timespec old[2] = { { 1000000000, 5 }, { 1000000000, 5 } };
	struct stat st;
	int fd;

	TRY(put_file("f", "x", 1));
	SYS(utimensat(AT_FDCWD, "f", old, 0));
	fd = open("f", O_WRONLY);
	SYS(fd);
	TRY(write_at(fd, "y", 1, 0));
	SYS(close(fd));
	SYS(stat("f", &st));
	CHECK(st.st_mtim.tv_sec > old[1].tv_sec, "mtime not updated by write (%lld)",
	      (long long)st.st_mtim.tv_sec);
	SYS(utimensat(AT_FDCWD, "f", old, 0));
	SYS(truncate("f", 100));
	SYS(stat("f", &st));
	CHECK(st.st_mtim.tv_sec > old[1].tv_sec, "mtime not updated by truncate");
	SYS(mkdir("d", 0755));
	SYS(utimensat(AT_FDCWD, "d", old, 0));
	TRY(put_file("d/new", "", 0));
	SYS(stat("d", &st));
	CHECK(st.st_mtim.tv_sec > old[1].tv_sec, "dir mtime not updated by create");
	return 0;
}

int case_statfs_sane(void)
{
	struct statfs s, t;
	int fd;

	SYS(statfs(".", &s));
	CHECK(s.f_bsize > 0, "f_bsize %ld", (long)s.f_bsize);
	CHECK(s.f_blocks > 0, "f_blocks 0");
	CHECK(s.f_bfree <= s.f_blocks && s.f_bavail <= s.f_blocks, "free %llu/avail %llu > blocks %llu",
	      (unsigned long long)s.f_bfree, (unsigned long long)s.f_bavail,
	      (unsigned long long)s.f_blocks);
	CHECK(s.f_namelen >= 255, "f_namelen %ld < 255", (long)s.f_namelen);
	TRY(put_file("f", "x", 1));
	fd = open("f", O_RDONLY);
	SYS(fd);
	SYS(fstatfs(fd, &t));
	close(fd);
	CHECK(t.f_type == s.f_type && t.f_blocks == s.f_blocks, "fstatfs differs from statfs");
	note("statfs: type 0x%lx bsize %ld namelen %ld", (unsigned long)s.f_type, (long)s.f_bsize,
	     (long)s.f_namelen);
	return 0;
}

static int xattr_is(const char *path, const char *name, const void *val, size_t len)
{
	char buf[8192];
	ssize_t n = getxattr(path, name, buf, sizeof(buf));

	CHECK(n >= 0, "getxattr('%s'): %s", name, errname(errno));
	CHECK((size_t)n == len && !memcmp(buf, val, len), "xattr '%s' value differs (len %zd/%zu)",
	      name, n, len);
	n = getxattr(path, name, NULL, 0);
	CHECK(n == (ssize_t)len, "getxattr size query for '%s' gave %zd, expected %zu", name, n, len);
	return 0;
}

/* Count how often name occurs in the listxattr output of path. */
static int xattr_listed(const char *path, const char *name)
{
	char buf[8192];
	ssize_t n = listxattr(path, buf, sizeof(buf));
	int count = 0;

	if (n < 0)
		return -1;
	for (ssize_t off = 0; off < n; off += (ssize_t)strlen(buf + off) + 1)
		count += !strcmp(buf + off, name);
	return count;
}

int case_xattr_user(void)
{
	char small[2];

	TRY(put_file("f", "x", 1));
	if (setxattr("f", "user.a", "v1", 2, 0) < 0)
		FAIL("setxattr user.a: %s", errname(errno));
	TRY(xattr_is("f", "user.a", "v1", 2));
	CHECK(xattr_listed("f", "user.a") == 1, "user.a not listed exactly once");
	EXPECT_ERR(setxattr("f", "user.a", "v2", 2, XATTR_CREATE), EEXIST);
	TRY(xattr_is("f", "user.a", "v1", 2));
	EXPECT_ERR(setxattr("f", "user.b", "v2", 2, XATTR_REPLACE), ENODATA);
	EXPECT_ERR(getxattr("f", "user.b", small, sizeof(small)), ENODATA);
	SYS(setxattr("f", "user.a", "value-3", 7, XATTR_REPLACE));
	TRY(xattr_is("f", "user.a", "value-3", 7));
	EXPECT_ERR(getxattr("f", "user.a", small, sizeof(small)), ERANGE);
	SYS(setxattr("f", "user.empty", "", 0, XATTR_CREATE));
	TRY(xattr_is("f", "user.empty", "", 0));
	SYS(removexattr("f", "user.a"));
	EXPECT_ERR(getxattr("f", "user.a", small, sizeof(small)), ENODATA);
	EXPECT_ERR(removexattr("f", "user.a"), ENODATA);
	CHECK(xattr_listed("f", "user.a") == 0, "removed user.a still listed");
	CHECK(xattr_listed("f", "user.empty") == 1, "user.empty not listed");
	SYS(rename("f", "g"));
	TRY(xattr_is("g", "user.empty", "", 0));
	return 0;
}

int case_xattr_on_dir_and_large(void)
{
	uint8_t big[4000];
	int fd;

	fill_pattern(big, sizeof(big), 21);
	SYS(mkdir("d", 0755));
	SYS(setxattr("d", "user.dirattr", "dv", 2, 0));
	TRY(xattr_is("d", "user.dirattr", "dv", 2));
	TRY(put_file("f", "x", 1));
	SYS(setxattr("f", "user.big", big, 2000, 0));
	TRY(xattr_is("f", "user.big", big, 2000));
	fd = open("f", O_RDONLY);
	SYS(fd);
	SYS(fsetxattr(fd, "user.viafd", "fd", 2, 0));
	close(fd);
	TRY(xattr_is("f", "user.viafd", "fd", 2));
	SYS(symlink("f", "l"));
	TRY(xattr_is("l", "user.viafd", "fd", 2)); /* getxattr follows */
	/* 4000 bytes fit ext4's xattr block in plain form, maybe not encrypted */
	TRY(put_file("g", "x", 1));
	if (setxattr("g", "user.big", big, sizeof(big), 0) == 0) {
		TRY(xattr_is("g", "user.big", big, sizeof(big)));
		note("4000-byte xattr value: supported, round-trip verified");
	} else if (errno == ENOSPC || errno == E2BIG || errno == ERANGE) {
		note("4000-byte xattr value: %s (file-system limit)", errname(errno));
	} else {
		FAIL("setxattr of 4000 bytes: %s", errname(errno));
	}
	return 0;
}

static bool on_fuse(void)
{
	struct statfs s;

	return statfs(".", &s) == 0 && s.f_type == 0x65735546; /* FUSE_SUPER_MAGIC */
}

/* A kernel file system's own limit (the self-test runs the suite on ext4 or tmpfs). */
static int skip_limit(const char *name, int count)
{
	snprintf(g_reason, sizeof(g_reason), "this file system's xattr space ends at %s (%d set)",
		 name, count);
	return 1;
}

/*
 * Issue 17, item 7: more attributes than the lower file's xattr space holds (veilfs keeps
 * the rest out of line; ext4 takes 73 of these, veilfs once stopped at 31), and a value
 * near the Linux limit of 65536 bytes. Every name and value reads back, the flags keep
 * their meaning on both sides, and removal leaves nothing behind. A kernel file system
 * that runs out (ENOSPC; not FUSE: the self-test's reference directory) skips the case;
 * on a FUSE mount it fails (bindfs passes ext4's limit through: a known bindfs deviation).
 */
int case_xattr_many(void)
{
	enum { N = 300, VLEN = 32, BIG = 60000 };
	static uint8_t big[65537], got[BIG];
	static char list[65536];
	static unsigned char seen[N];
	uint8_t val[VLEN], rd[VLEN];
	char name[32];
	ssize_t n, off;
	int i, k;

	TRY(put_file("f", "x", 1));
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "user.attr%d", i);
		fill_pattern(val, VLEN, (unsigned)i);
		if (setxattr("f", name, val, VLEN, XATTR_CREATE) < 0) {
			if (errno == ENOSPC && !on_fuse())
				return skip_limit(name, i);
			FAIL("setxattr %s after %d attributes: %s", name, i, errname(errno));
		}
	}
	fill_pattern(big, sizeof(big), 77);
	if (setxattr("f", "user.big", big, BIG, XATTR_CREATE) < 0) {
		if ((errno == ENOSPC || errno == E2BIG) && !on_fuse())
			return skip_limit("user.big", N);
		FAIL("setxattr of a %d-byte value after %d attributes: %s", BIG, N, errname(errno));
	}
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "user.attr%d", i);
		fill_pattern(val, VLEN, (unsigned)i);
		n = getxattr("f", name, rd, sizeof(rd));
		CHECK(n == VLEN && !memcmp(rd, val, VLEN), "getxattr %s: %zd (%s)", name, n,
		      n < 0 ? errname(errno) : "value differs");
	}
	n = getxattr("f", "user.big", NULL, 0);
	CHECK(n == BIG, "getxattr size query of user.big gave %zd", n);
	n = getxattr("f", "user.big", got, sizeof(got));
	CHECK(n == BIG && !memcmp(got, big, BIG), "getxattr user.big: %zd", n);
	EXPECT_ERR(getxattr("f", "user.big", got, 100), ERANGE);
	/* the flags, on the first attribute set and on the last */
	for (k = 0; k < 2; k++) {
		snprintf(name, sizeof(name), "user.attr%d", k ? N - 1 : 0);
		EXPECT_ERR(setxattr("f", name, "x", 1, XATTR_CREATE), EEXIST);
		SYS(setxattr("f", name, "changed", 7, XATTR_REPLACE));
		TRY(xattr_is("f", name, "changed", 7));
		fill_pattern(val, VLEN, (unsigned)(k ? N - 1 : 0));
		SYS(setxattr("f", name, val, VLEN, 0));
	}
	EXPECT_ERR(setxattr("f", "user.nosuch", "x", 1, XATTR_REPLACE), ENODATA);
	EXPECT_ERR(getxattr("f", "user.nosuch", rd, sizeof(rd)), ENODATA);
	EXPECT_ERR(setxattr("f", "user.toobig", big, 65537, 0), E2BIG);
	/* each name listed exactly once */
	n = listxattr("f", NULL, 0);
	CHECK(n > 0 && n <= (ssize_t)sizeof(list), "listxattr size query: %zd", n);
	EXPECT_ERR(listxattr("f", list, 10), ERANGE);
	n = listxattr("f", list, sizeof(list));
	CHECK(n > 0, "listxattr: %s", errname(errno));
	k = 0;
	for (off = 0; off < n; off += (ssize_t)strlen(list + off) + 1) {
		if (sscanf(list + off, "user.attr%d", &i) == 1 && i >= 0 && i < N) {
			CHECK(!seen[i], "user.attr%d listed twice", i);
			seen[i] = 1;
		} else if (!strcmp(list + off, "user.big")) {
			k++;
		}
	}
	CHECK(k == 1, "user.big listed %d times", k);
	for (i = 0; i < N; i++)
		CHECK(seen[i], "user.attr%d not listed", i);
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "user.attr%d", i);
		if (removexattr("f", name) < 0)
			FAIL("removexattr %s: %s", name, errname(errno));
		EXPECT_ERR(getxattr("f", name, rd, sizeof(rd)), ENODATA);
	}
	SYS(removexattr("f", "user.big"));
	EXPECT_ERR(removexattr("f", "user.big"), ENODATA);
	n = listxattr("f", list, sizeof(list));
	CHECK(n == 0, "listxattr after removing all: %zd", n);
	/* again, and the file goes with them */
	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "user.attr%d", i);
		SYS(setxattr("f", name, "v", 1, 0));
	}
	SYS(unlink("f"));
	return 0;
}

/* Child side of the lock cases: wait for a byte, run fn, report its result. */
struct peer {
	pid_t pid;
	int to_child, from_child;
};

static int peer_start(struct peer *p, int (*fn)(int step))
{
	int a[2], b[2];

	SYS(pipe(a));
	SYS(pipe(b));
	p->pid = fork();
	SYS(p->pid);
	if (p->pid == 0) {
		char step;
		close(a[1]);
		close(b[0]);
		while (read(a[0], &step, 1) == 1) {
			char res = (char)fn(step);
			if (write(b[1], &res, 1) != 1)
				_exit(3);
		}
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	p->to_child = a[1];
	p->from_child = b[0];
	return 0;
}

/* Ask the child to run step; returns its result byte or -1. */
static int peer_ask(struct peer *p, char step)
{
	char res;

	if (write(p->to_child, &step, 1) != 1 || read(p->from_child, &res, 1) != 1)
		FAIL("lost contact with child process");
	return res;
}

static void peer_stop(struct peer *p)
{
	close(p->to_child);
	close(p->from_child);
	waitpid(p->pid, NULL, 0);
}

static int setlk(int fd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };

	return fcntl(fd, F_SETLK, &fl) == 0 ? 0 : errno;
}

/* Result codes of the child: 0 granted, 1 refused (EAGAIN/EACCES), 2 other error. */
static int lock_child(int step)
{
	static int fd = -1;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 50, .l_len = 10 };
	int e;

	if (fd < 0 && (fd = open("f", O_RDWR)) < 0)
		return 2;
	switch (step) {
	case 'w': e = setlk(fd, F_WRLCK, 50, 10); break;
	case 'r': e = setlk(fd, F_RDLCK, 50, 10); break;
	case 'o': e = setlk(fd, F_WRLCK, 100, 100); break;
	case 'u': e = setlk(fd, F_UNLCK, 0, 0); break;
	case 'g':
		if (fcntl(fd, F_GETLK, &fl) < 0)
			return 2;
		return fl.l_type == F_WRLCK && fl.l_pid == getppid() && fl.l_start == 0 ? 1 : 0;
	default: return 2;
	}
	return e == 0 ? 0 : (e == EAGAIN || e == EACCES) ? 1 : 2;
}

static int lock_steps(struct peer *p, int fd)
{
	SYS(setlk(fd, F_WRLCK, 0, 100) == 0 ? 0 : -1);
	CHECK(peer_ask(p, 'w') == 1, "child write lock on [50,60) not refused while parent holds [0,100)");
	CHECK(peer_ask(p, 'r') == 1, "child read lock not refused under parent write lock");
	CHECK(peer_ask(p, 'g') == 1, "child F_GETLK does not report parent's write lock");
	CHECK(peer_ask(p, 'o') == 0, "child lock on disjoint [100,200) refused");
	CHECK(setlk(fd, F_WRLCK, 150, 10) != 0, "parent got lock inside child's range");
	SYS(setlk(fd, F_UNLCK, 0, 100) == 0 ? 0 : -1);
	CHECK(peer_ask(p, 'w') == 0, "child lock refused after parent unlocked");
	CHECK(peer_ask(p, 'u') == 0, "child unlock failed");
	SYS(setlk(fd, F_RDLCK, 0, 100) == 0 ? 0 : -1);
	CHECK(peer_ask(p, 'r') == 0, "shared read locks conflict");
	CHECK(peer_ask(p, 'w') == 1, "child write lock granted under parent read lock");
	return 0;
}

int case_posix_lock_conflict(void)
{
	struct peer p;
	int fd, r;

	TRY(put_file("f", "0123456789", 10));
	fd = open("f", O_RDWR);
	SYS(fd);
	TRY(peer_start(&p, lock_child));
	r = lock_steps(&p, fd);
	peer_stop(&p);
	close(fd);
	return r;
}

static int flock_child(int step)
{
	static int fd = -1;
	int op = step == 'x' ? LOCK_EX : step == 's' ? LOCK_SH : LOCK_UN;

	if (fd < 0 && (fd = open("f", O_RDONLY)) < 0)
		return 2;
	if (flock(fd, op | LOCK_NB) == 0)
		return 0;
	return errno == EWOULDBLOCK ? 1 : 2;
}

static int flock_steps(struct peer *p, int fd)
{
	SYS(flock(fd, LOCK_EX | LOCK_NB));
	CHECK(peer_ask(p, 'x') == 1, "child LOCK_EX not refused while parent holds LOCK_EX");
	CHECK(peer_ask(p, 's') == 1, "child LOCK_SH not refused while parent holds LOCK_EX");
	SYS(flock(fd, LOCK_UN));
	CHECK(peer_ask(p, 's') == 0, "child LOCK_SH refused after unlock");
	SYS(flock(fd, LOCK_SH | LOCK_NB));
	EXPECT_ERR(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK(peer_ask(p, 'u') == 0, "child unlock failed");
	SYS(flock(fd, LOCK_EX | LOCK_NB));
	CHECK(peer_ask(p, 'x') == 1, "child LOCK_EX granted after parent upgraded");
	return 0;
}

int case_flock_conflict(void)
{
	struct peer p;
	int fd, r;

	TRY(put_file("f", "x", 1));
	fd = open("f", O_RDONLY);
	SYS(fd);
	TRY(peer_start(&p, flock_child));
	r = flock_steps(&p, fd);
	peer_stop(&p);
	close(fd);
	return r;
}

int case_mknod_fifo(void)
{
	struct stat st;
	char buf[16];
	int fd;

	SYS(mkfifo("p", 0640));
	SYS(mknod("q", S_IFIFO | 0600, 0));
	SYS(stat("p", &st));
	CHECK(S_ISFIFO(st.st_mode) && (st.st_mode & 0777) == 0640, "mkfifo made mode %o", st.st_mode);
	SYS(stat("q", &st));
	CHECK(S_ISFIFO(st.st_mode), "mknod S_IFIFO made mode %o", st.st_mode);
	fd = open("p", O_RDWR | O_NONBLOCK); /* Linux: no blocking on O_RDWR */
	SYS(fd);
	CHECK(write(fd, "through", 7) == 7, "write to fifo");
	CHECK(read(fd, buf, sizeof(buf)) == 7 && !memcmp(buf, "through", 7), "fifo read back");
	close(fd);
	EXPECT_ERR(mkfifo("p", 0644), EEXIST);
	return 0;
}

int case_mknod_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	char buf[8];
	int s, c, a;

	SYS(mknod("node", S_IFSOCK | 0644, 0));
	SYS(stat("node", &st));
	CHECK(S_ISSOCK(st.st_mode), "mknod S_IFSOCK made mode %o", st.st_mode);
	strcpy(sa.sun_path, "live.sock");
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	SYS(s);
	SYS(bind(s, (struct sockaddr *)&sa, sizeof(sa)));
	SYS(listen(s, 1));
	SYS(stat("live.sock", &st));
	CHECK(S_ISSOCK(st.st_mode), "bound socket has mode %o", st.st_mode);
	c = socket(AF_UNIX, SOCK_STREAM, 0);
	SYS(c);
	SYS(connect(c, (struct sockaddr *)&sa, sizeof(sa)));
	a = accept(s, NULL, NULL);
	SYS(a);
	CHECK(write(c, "ping", 4) == 4 && read(a, buf, 4) == 4 && !memcmp(buf, "ping", 4),
	      "data through socket on this file system");
	close(a);
	close(c);
	close(s);
	return 0;
}

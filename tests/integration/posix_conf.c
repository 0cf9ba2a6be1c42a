/*
 * posix_conf.c - posix_suite cases on the corners a conformance suite
 * (pjdfstest and the like) checks: device nodes, exact creation modes
 * under a umask, set-id clearing by chown, utimensat through symlinks and
 * with UTIME_NOW/UTIME_OMIT, rename over every file type, link counts, and
 * the errno of each refused namespace call as ext4 gives it, and the ctime
 * a chown(-1, -1) moves.
 */
#include "posix_cases.h"
#include "util.h"

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int skip(const char *why)
{
	snprintf(g_reason, sizeof(g_reason), "%s", why);
	return 1;
}

static int lstat_is(const char *path, mode_t type, mode_t mode)
{
	struct stat st;

	SYS(lstat(path, &st));
	CHECK((st.st_mode & S_IFMT) == type, "'%s' type %o, expected %o", path,
	      st.st_mode & S_IFMT, type);
	CHECK((st.st_mode & 07777) == mode, "'%s' mode %04o, expected %04o", path,
	      st.st_mode & 07777, mode);
	return 0;
}

static int nlink_is(const char *path, nlink_t want)
{
	struct stat st;

	SYS(lstat(path, &st));
	CHECK(st.st_nlink == want, "'%s' nlink %lu, expected %lu", path,
	      (unsigned long)st.st_nlink, (unsigned long)want);
	return 0;
}

int case_mknod_devices(void)
{
	struct stat st, st2;

	if (geteuid() != 0)
		return skip("device nodes need root (CAP_MKNOD)");
	umask(0);
	SYS(mknod("chr", S_IFCHR | 0640, makedev(1, 3)));
	SYS(mknod("blk", S_IFBLK | 0604, makedev(7, 200)));
	TRY(lstat_is("chr", S_IFCHR, 0640));
	TRY(lstat_is("blk", S_IFBLK, 0604));
	SYS(lstat("chr", &st));
	CHECK(major(st.st_rdev) == 1 && minor(st.st_rdev) == 3, "chr rdev %u:%u, expected 1:3",
	      major(st.st_rdev), minor(st.st_rdev));
	SYS(lstat("blk", &st));
	CHECK(major(st.st_rdev) == 7 && minor(st.st_rdev) == 200, "blk rdev %u:%u, expected 7:200",
	      major(st.st_rdev), minor(st.st_rdev));
	CHECK(st.st_size == 0, "blk size %lld", (long long)st.st_size);
	/* a large dev number (major > 255, minor > 255) round-trips */
	SYS(mknod("big", S_IFCHR | 0600, makedev(300, 70000)));
	SYS(lstat("big", &st));
	CHECK(major(st.st_rdev) == 300 && minor(st.st_rdev) == 70000,
	      "big rdev %u:%u, expected 300:70000", major(st.st_rdev), minor(st.st_rdev));
	EXPECT_ERR(mknod("chr", S_IFCHR | 0600, makedev(1, 3)), EEXIST);
	EXPECT_ERR(mknod("blk", S_IFIFO | 0600, 0), EEXIST);
	SYS(chmod("chr", 0606));
	TRY(lstat_is("chr", S_IFCHR, 0606));
	SYS(chown("blk", 4321, 8765));
	SYS(lstat("blk", &st));
	CHECK(st.st_uid == 4321 && st.st_gid == 8765, "blk owner %u:%u", st.st_uid, st.st_gid);
	SYS(link("chr", "chr2"));
	TRY(nlink_is("chr", 2));
	SYS(lstat("chr2", &st2));
	SYS(lstat("chr", &st));
	CHECK(st.st_ino == st2.st_ino && st2.st_rdev == st.st_rdev, "link of a device differs");
	SYS(rename("chr2", "moved"));
	SYS(lstat("moved", &st2));
	CHECK(S_ISCHR(st2.st_mode) && st2.st_rdev == makedev(1, 3), "renamed device changed");
	SYS(unlink("moved"));
	TRY(nlink_is("chr", 1));
	SYS(unlink("chr"));
	SYS(unlink("blk"));
	SYS(unlink("big"));
	EXPECT_ERR(lstat("chr", &st), ENOENT);
	return 0;
}

/* Every creating call, with umask 0 and with umask 022/077, gives exactly mode & ~umask. */
int case_create_modes_exact(void)
{
	static const mode_t modes[] = { 0151, 0000, 0777, 0421, 0707, 0070, 0007, 0644 };
	static const mode_t masks[] = { 0, 022, 077, 0151 };
	char name[64];
	int fd;
	bool root = geteuid() == 0;

	for (size_t k = 0; k < sizeof(masks) / sizeof(masks[0]); k++) {
		umask(masks[k]);
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
			mode_t want = modes[i] & ~masks[k];

			snprintf(name, sizeof(name), "d%zu.%zu", k, i);
			SYS(mkdir(name, modes[i]));
			TRY(lstat_is(name, S_IFDIR, want));
			snprintf(name, sizeof(name), "f%zu.%zu", k, i);
			fd = open(name, O_CREAT | O_EXCL | O_WRONLY, modes[i]);
			SYS(fd);
			close(fd);
			TRY(lstat_is(name, S_IFREG, want));
			snprintf(name, sizeof(name), "r%zu.%zu", k, i);
			SYS(mknod(name, S_IFREG | modes[i], 0));
			TRY(lstat_is(name, S_IFREG, want));
			snprintf(name, sizeof(name), "p%zu.%zu", k, i);
			SYS(mknod(name, S_IFIFO | modes[i], 0));
			TRY(lstat_is(name, S_IFIFO, want));
			snprintf(name, sizeof(name), "s%zu.%zu", k, i);
			SYS(mknod(name, S_IFSOCK | modes[i], 0));
			TRY(lstat_is(name, S_IFSOCK, want));
			if (root) {
				snprintf(name, sizeof(name), "c%zu.%zu", k, i);
				SYS(mknod(name, S_IFCHR | modes[i], makedev(1, 5)));
				TRY(lstat_is(name, S_IFCHR, want));
				snprintf(name, sizeof(name), "b%zu.%zu", k, i);
				SYS(mknod(name, S_IFBLK | modes[i], makedev(7, 1)));
				TRY(lstat_is(name, S_IFBLK, want));
			}
		}
	}
	/* mkdir keeps the sticky bit and drops set-id bits the parent does not imply */
	umask(0);
	SYS(mkdir("sticky", 01755));
	TRY(lstat_is("sticky", S_IFDIR, 01755));
	SYS(mkdir("setid", 06755));
	TRY(lstat_is("setid", S_IFDIR, 0755));
	if (root) {
		/* root keeps set-id bits asked for at create */
		fd = open("suid", O_CREAT | O_EXCL | O_WRONLY, 06755);
		SYS(fd);
		close(fd);
		TRY(lstat_is("suid", S_IFREG, 06755));
	}
	umask(022);
	return 0;
}

/* chown clears set-user-ID, and set-group-ID of a group-executable file, even for root */
int case_chown_clears_setid(void)
{
	struct stat st;

	if (geteuid() != 0)
		return skip("chown to another owner needs root");
	TRY(put_file("f", "x", 1));
	SYS(chmod("f", 06755));
	SYS(chown("f", 1000, 1000));
	TRY(lstat_is("f", S_IFREG, 0755));
	SYS(chmod("f", 06755));
	SYS(chown("f", (uid_t)-1, (gid_t)-1));
	TRY(lstat_is("f", S_IFREG, 0755));
	/* set-group-ID without group execute is mandatory locking, not a privilege: kept */
	SYS(chmod("f", 06745));
	SYS(chown("f", 2000, 2000));
	TRY(lstat_is("f", S_IFREG, 02745));
	/* directories keep their set-id bits */
	SYS(mkdir("d", 0755));
	SYS(chmod("d", 07755));
	SYS(chown("d", 1000, 1000));
	TRY(lstat_is("d", S_IFDIR, 07755));
	/* chmod leaves the owner alone; chown to the same owner is fine */
	SYS(chown("f", 2000, 2000));
	SYS(lstat("f", &st));
	CHECK(st.st_uid == 2000 && st.st_gid == 2000, "owner %u:%u", st.st_uid, st.st_gid);
	/* a fifo and a symlink change owner (lchown does not follow) */
	SYS(mkfifo("p", 04755));
	SYS(chown("p", 3000, 3000));
	SYS(lstat("p", &st));
	CHECK(st.st_uid == 3000 && st.st_gid == 3000, "fifo owner %u:%u", st.st_uid, st.st_gid);
	SYS(symlink("f", "l"));
	SYS(lchown("l", 4000, 4001));
	SYS(lstat("l", &st));
	CHECK(st.st_uid == 4000 && st.st_gid == 4001, "symlink owner %u:%u", st.st_uid,
	      st.st_gid);
	SYS(stat("f", &st));
	CHECK(st.st_uid == 2000, "lchown followed the link");
	/* chown through the link changes the target */
	SYS(chown("l", 5000, 5000));
	SYS(stat("f", &st));
	CHECK(st.st_uid == 5000 && st.st_gid == 5000, "chown through link: target %u:%u",
	      st.st_uid, st.st_gid);
	SYS(lstat("l", &st));
	CHECK(st.st_uid == 4000, "chown through link changed the link");
	return 0;
}

static bool ts_eq(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int ts_check(const char *what, const struct timespec *got, const struct timespec *want)
{
	CHECK(ts_eq(got, want), "%s %lld.%09ld, expected %lld.%09ld", what, (long long)got->tv_sec,
	      got->tv_nsec, (long long)want->tv_sec, want->tv_nsec);
	return 0;
}

static int ts_recent(const char *what, const struct timespec *got, time_t t0)
{
	CHECK(got->tv_sec >= t0 - 2 && got->tv_sec <= time(NULL) + 2,
	      "%s %lld is not now (%lld)", what, (long long)got->tv_sec, (long long)time(NULL));
	return 0;
}

int case_utimensat_corners(void)
{
	const struct timespec t1[2] = { { 1100000000, 111 }, { 1200000000, 222 } };
	const struct timespec t2[2] = { { 1300000000, 333 }, { 1400000000, 444 } };
	const struct timespec omit_both[2] = { { 5, UTIME_OMIT }, { 6, UTIME_OMIT } };
	const struct timespec now_omit[2] = { { 0, UTIME_NOW }, { 0, UTIME_OMIT } };
	const struct timespec omit_now[2] = { { 0, UTIME_OMIT }, { 0, UTIME_NOW } };
	const struct timespec now_set[2] = { { 0, UTIME_NOW }, { 1500000000, 555 } };
	struct stat st, lst;
	time_t t0 = time(NULL);
	int fd;

	TRY(put_file("f", "x", 1));
	SYS(symlink("f", "l"));
	SYS(utimensat(AT_FDCWD, "f", t1, 0));
	SYS(utimensat(AT_FDCWD, "l", t2, AT_SYMLINK_NOFOLLOW));
	/* through the link (no flag): the target changes, the link keeps its times */
	SYS(utimensat(AT_FDCWD, "l", t1, 0));
	SYS(stat("f", &st));
	TRY(ts_check("target atime", &st.st_atim, &t1[0]));
	TRY(ts_check("target mtime", &st.st_mtim, &t1[1]));
	/* (following the link may update its atime under relatime: only mtime is checked) */
	SYS(lstat("l", &lst));
	TRY(ts_check("link mtime", &lst.st_mtim, &t2[1]));
	/* UTIME_OMIT for both: nothing changes */
	SYS(utimensat(AT_FDCWD, "f", omit_both, 0));
	SYS(stat("f", &st));
	TRY(ts_check("omit/omit atime", &st.st_atim, &t1[0]));
	TRY(ts_check("omit/omit mtime", &st.st_mtim, &t1[1]));
	/* UTIME_NOW for one, UTIME_OMIT for the other */
	SYS(utimensat(AT_FDCWD, "f", now_omit, 0));
	SYS(stat("f", &st));
	TRY(ts_recent("now/omit atime", &st.st_atim, t0));
	TRY(ts_check("now/omit mtime", &st.st_mtim, &t1[1]));
	SYS(utimensat(AT_FDCWD, "f", t1, 0));
	SYS(utimensat(AT_FDCWD, "f", omit_now, 0));
	SYS(stat("f", &st));
	TRY(ts_check("omit/now atime", &st.st_atim, &t1[0]));
	TRY(ts_recent("omit/now mtime", &st.st_mtim, t0));
	/* UTIME_NOW for atime with an explicit mtime */
	SYS(utimensat(AT_FDCWD, "f", now_set, 0));
	SYS(stat("f", &st));
	TRY(ts_recent("now/set atime", &st.st_atim, t0));
	TRY(ts_check("now/set mtime", &st.st_mtim, &now_set[1]));
	/* UTIME_NOW and UTIME_OMIT on the link itself */
	SYS(utimensat(AT_FDCWD, "l", omit_now, AT_SYMLINK_NOFOLLOW));
	SYS(lstat("l", &lst));
	TRY(ts_recent("link omit/now mtime", &lst.st_mtim, t0));
	SYS(stat("f", &st));
	TRY(ts_check("target after link-only change", &st.st_mtim, &now_set[1]));
	/* futimens on an open file, and on a fifo and a directory by name */
	fd = open("f", O_RDONLY);
	SYS(fd);
	SYS(futimens(fd, t2));
	close(fd);
	SYS(stat("f", &st));
	TRY(ts_check("futimens mtime", &st.st_mtim, &t2[1]));
	SYS(mkfifo("p", 0644));
	SYS(utimensat(AT_FDCWD, "p", t1, 0));
	SYS(stat("p", &st));
	TRY(ts_check("fifo mtime", &st.st_mtim, &t1[1]));
	SYS(mkdir("d", 0755));
	SYS(utimensat(AT_FDCWD, "d", now_set, 0));
	SYS(stat("d", &st));
	TRY(ts_check("dir mtime", &st.st_mtim, &now_set[1]));
	/* an invalid nanosecond value is EINVAL */
	{
		const struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };

		EXPECT_ERR(utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
	}
	return 0;
}

/* The object types a rename can move or replace. */
enum obj { O_REG, O_FIFO, O_SOCK, O_LNK, O_CHR, O_BLK, O_DIR, O_NOBJ };
static const char *const obj_names[O_NOBJ] = { "reg", "fifo", "sock", "lnk", "chr", "blk", "dir" };
static const mode_t obj_types[O_NOBJ] = { S_IFREG, S_IFIFO, S_IFSOCK, S_IFLNK,
					  S_IFCHR, S_IFBLK, S_IFDIR };

static int make_obj(const char *name, enum obj o)
{
	switch (o) {
	case O_REG:
		return put_file(name, "data", 4);
	case O_FIFO:
		SYS(mknod(name, S_IFIFO | 0644, 0));
		return 0;
	case O_SOCK:
		SYS(mknod(name, S_IFSOCK | 0644, 0));
		return 0;
	case O_LNK:
		SYS(symlink("some/target", name));
		return 0;
	case O_CHR:
		SYS(mknod(name, S_IFCHR | 0644, makedev(1, 7)));
		return 0;
	case O_BLK:
		SYS(mknod(name, S_IFBLK | 0644, makedev(7, 9)));
		return 0;
	default:
		SYS(mkdir(name, 0755));
		return 0;
	}
}

static int remove_obj(const char *name)
{
	struct stat st;

	SYS(lstat(name, &st));
	if (S_ISDIR(st.st_mode))
		SYS(rmdir(name));
	else
		SYS(unlink(name));
	return 0;
}

static int rename_pair(enum obj s, enum obj d, const char *dst)
{
	struct stat before, after;
	char buf[64];
	int e = 0;

	TRY(make_obj("src", s));
	TRY(make_obj(dst, d));
	SYS(lstat("src", &before));
	errno = 0;
	if (rename("src", dst) < 0)
		e = errno;
	if (s != O_DIR && d == O_DIR) {
		CHECK(e == EISDIR, "rename %s over %s: %s, expected EISDIR", obj_names[s],
		      obj_names[d], errname(e));
		TRY(remove_obj("src"));
		return remove_obj(dst);
	}
	if (s == O_DIR && d != O_DIR) {
		CHECK(e == ENOTDIR, "rename %s over %s: %s, expected ENOTDIR", obj_names[s],
		      obj_names[d], errname(e));
		TRY(remove_obj("src"));
		return remove_obj(dst);
	}
	CHECK(e == 0, "rename %s over %s: %s", obj_names[s], obj_names[d], errname(e));
	EXPECT_ERR(lstat("src", &after), ENOENT);
	SYS(lstat(dst, &after));
	CHECK((after.st_mode & S_IFMT) == obj_types[s] && after.st_ino == before.st_ino,
	      "after rename %s over %s the target is type %o ino %llu (expected %o ino %llu)",
	      obj_names[s], obj_names[d], after.st_mode & S_IFMT,
	      (unsigned long long)after.st_ino, obj_types[s], (unsigned long long)before.st_ino);
	CHECK(after.st_rdev == before.st_rdev, "rdev changed by rename");
	if (s == O_LNK) {
		ssize_t n = readlink(dst, buf, sizeof(buf));

		CHECK(n == 11 && !memcmp(buf, "some/target", 11), "symlink target lost in rename");
	}
	if (s == O_REG)
		TRY(check_path(dst, "data", 4));
	return remove_obj(dst);
}

int case_rename_over_types(void)
{
	char longname[201];
	bool root = geteuid() == 0;

	memset(longname, 'L', 200);
	longname[200] = '\0';
	for (int s = 0; s < O_NOBJ; s++) {
		for (int d = 0; d < O_NOBJ; d++) {
			if (!root && (s == O_CHR || s == O_BLK || d == O_CHR || d == O_BLK))
				continue;
			TRY(rename_pair(s, d, "dst"));
			/* a long destination name (a side file on an encrypting fs) */
			TRY(rename_pair(s, d, longname));
		}
	}
	/* a non-empty directory cannot be replaced */
	SYS(mkdir("a", 0755));
	SYS(mkdir("b", 0755));
	TRY(put_file("b/x", "", 0));
	EXPECT_ERR2(rename("a", "b"), ENOTEMPTY, EEXIST);
	/* a directory cannot move into itself */
	SYS(mkdir("a/sub", 0755));
	EXPECT_ERR(rename("a", "a/sub/a"), EINVAL);
	/* renaming a name over another link of the same file does nothing */
	TRY(put_file("h1", "h", 1));
	SYS(link("h1", "h2"));
	SYS(rename("h1", "h2"));
	TRY(nlink_is("h1", 2));
	TRY(nlink_is("h2", 2));
	if (!root)
		note("rename_over_types: device nodes left out (not root)");
	return 0;
}

int case_link_counts(void)
{
	bool root = geteuid() == 0;

	/* files and other non-directories */
	TRY(put_file("f", "x", 1));
	TRY(nlink_is("f", 1));
	SYS(link("f", "f2"));
	SYS(link("f", "f3"));
	TRY(nlink_is("f", 3));
	SYS(rename("f2", "f4"));
	TRY(nlink_is("f", 3));
	TRY(nlink_is("f4", 3));
	SYS(mkdir("other", 0755));
	SYS(rename("f3", "other/f3"));
	TRY(nlink_is("other/f3", 3));
	SYS(unlink("f4"));
	TRY(nlink_is("f", 2));
	TRY(put_file("g", "y", 1));
	SYS(rename("g", "other/f3")); /* replacing a link drops the count */
	TRY(nlink_is("f", 1));
	TRY(nlink_is("other/f3", 1));
	SYS(mkfifo("p", 0644));
	SYS(link("p", "p2"));
	TRY(nlink_is("p", 2));
	SYS(mknod("s", S_IFSOCK | 0644, 0));
	SYS(link("s", "s2"));
	TRY(nlink_is("s2", 2));
	SYS(symlink("f", "l"));
	SYS(linkat(AT_FDCWD, "l", AT_FDCWD, "l2", 0)); /* links the symlink itself */
	TRY(nlink_is("l", 2));
	TRY(lstat_is("l2", S_IFLNK, 0777));
	TRY(nlink_is("f", 1));
	SYS(linkat(AT_FDCWD, "l", AT_FDCWD, "f5", AT_SYMLINK_FOLLOW));
	TRY(nlink_is("f", 2));
	if (root) {
		SYS(mknod("c", S_IFCHR | 0600, makedev(1, 3)));
		SYS(link("c", "c2"));
		TRY(nlink_is("c", 2));
		SYS(unlink("c2"));
		TRY(nlink_is("c", 1));
	}
	/* directories: 2 + subdirectories */
	SYS(mkdir("d", 0755));
	TRY(nlink_is("d", 2));
	SYS(mkdir("d/a", 0755));
	SYS(mkdir("d/b", 0755));
	TRY(put_file("d/file", "", 0));
	TRY(nlink_is("d", 4));
	SYS(mkdir("e", 0755));
	SYS(rename("d/a", "e/a"));
	TRY(nlink_is("d", 3));
	TRY(nlink_is("e", 3));
	SYS(rename("d/b", "e/a")); /* replaces the empty e/a */
	TRY(nlink_is("d", 2));
	TRY(nlink_is("e", 3));
	SYS(rmdir("e/a"));
	TRY(nlink_is("e", 2));
	SYS(rename("e", "d/e"));
	TRY(nlink_is("d", 3));
	EXPECT_ERR(link("d", "dlink"), EPERM);
	return 0;
}

static int long_path(char *buf, size_t len)
{
	/* "a/a/a/..." of len bytes with existing-looking parts is not needed: length alone */
	for (size_t i = 0; i < len; i++)
		buf[i] = (i % 2) ? '/' : 'a';
	buf[len] = '\0';
	return 0;
}

int case_errno_namespace(void)
{
	char n256[257], n255[256], pathmax[PATH_MAX + 2];
	struct stat st;
	int fd;

	memset(n256, 'x', 256);
	n256[256] = '\0';
	memset(n255, 'y', 255);
	n255[255] = '\0';
	TRY(put_file("f", "x", 1));
	SYS(mkdir("d", 0755));
	SYS(mkdir("full", 0755));
	TRY(put_file("full/x", "", 0));
	SYS(symlink("loop1", "loop2"));
	SYS(symlink("loop2", "loop1"));
	SYS(symlink("nowhere", "dangling"));
	SYS(symlink("d", "dlink"));

	/* ENAMETOOLONG: a 256-byte final or middle component, a path of PATH_MAX bytes */
	EXPECT_ERR(lstat(n256, &st), ENAMETOOLONG);
	EXPECT_ERR(unlink(n256), ENAMETOOLONG);
	EXPECT_ERR(rmdir(n256), ENAMETOOLONG);
	EXPECT_ERR(chmod(n256, 0644), ENAMETOOLONG);
	EXPECT_ERR(truncate(n256, 0), ENAMETOOLONG);
	EXPECT_ERR(rename("f", n256), ENAMETOOLONG);
	EXPECT_ERR(rename(n256, "g"), ENAMETOOLONG);
	EXPECT_ERR(mkfifo(n256, 0644), ENAMETOOLONG);
	EXPECT_ERR(utimensat(AT_FDCWD, n256, NULL, 0), ENAMETOOLONG);
	snprintf(pathmax, sizeof(pathmax), "%s/x", n256);
	EXPECT_ERR(open(pathmax, O_CREAT | O_WRONLY, 0644), ENAMETOOLONG);
	snprintf(pathmax, sizeof(pathmax), "d/%s", n255);
	fd = open(pathmax, O_CREAT | O_EXCL | O_WRONLY, 0644); /* 255 is fine */
	SYS(fd);
	close(fd);
	SYS(unlink(pathmax));
	long_path(pathmax, PATH_MAX);
	EXPECT_ERR(lstat(pathmax, &st), ENAMETOOLONG);
	EXPECT_ERR(mkdir(pathmax, 0755), ENAMETOOLONG);
	EXPECT_ERR(symlink(pathmax, "toolongtarget"), ENAMETOOLONG);

	/* ELOOP: a loop in the last or a middle component */
	EXPECT_ERR(stat("loop1", &st), ELOOP);
	EXPECT_ERR(open("loop1", O_RDONLY), ELOOP);
	EXPECT_ERR(open("loop1", O_CREAT | O_WRONLY, 0644), ELOOP);
	EXPECT_ERR(chmod("loop1", 0644), ELOOP);
	EXPECT_ERR(chown("loop1", 0, 0), ELOOP);
	EXPECT_ERR(truncate("loop1", 0), ELOOP);
	EXPECT_ERR(mkdir("loop1/x", 0755), ELOOP);
	EXPECT_ERR(unlink("loop1/x"), ELOOP);
	EXPECT_ERR(rename("f", "loop1/x"), ELOOP);
	EXPECT_ERR(open("dlink", O_RDONLY | O_NOFOLLOW), ELOOP);
	SYS(lstat("loop1", &st)); /* the link itself is fine */
	SYS(unlink("loop1"));
	SYS(symlink("loop2", "loop1"));

	/* ENOTDIR: a file used as a directory */
	EXPECT_ERR(lstat("f/x", &st), ENOTDIR);
	EXPECT_ERR(open("f/x", O_CREAT | O_WRONLY, 0644), ENOTDIR);
	EXPECT_ERR(mkdir("f/x", 0755), ENOTDIR);
	EXPECT_ERR(unlink("f/x"), ENOTDIR);
	EXPECT_ERR(rename("f/x", "g"), ENOTDIR);
	EXPECT_ERR(rename("d", "f/x"), ENOTDIR);
	EXPECT_ERR(rmdir("f"), ENOTDIR);
	EXPECT_ERR(rmdir("dlink"), ENOTDIR);
	EXPECT_ERR(rename("d", "f"), ENOTDIR);
	EXPECT_ERR(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERR(symlink("x", "f/x"), ENOTDIR);
	EXPECT_ERR(link("f", "f/x"), ENOTDIR);

	/* EEXIST: creating over every kind of existing name, a dangling symlink included */
	EXPECT_ERR(mkdir("f", 0755), EEXIST);
	EXPECT_ERR(mkdir("d", 0755), EEXIST);
	EXPECT_ERR(mkdir("dangling", 0755), EEXIST);
	EXPECT_ERR(mkdir("dlink", 0755), EEXIST);
	EXPECT_ERR(mkfifo("f", 0644), EEXIST);
	EXPECT_ERR(mkfifo("dangling", 0644), EEXIST);
	EXPECT_ERR(mknod("d", S_IFSOCK | 0644, 0), EEXIST);
	EXPECT_ERR(symlink("x", "f"), EEXIST);
	EXPECT_ERR(symlink("x", "d"), EEXIST);
	EXPECT_ERR(symlink("x", "dangling"), EEXIST);
	EXPECT_ERR(link("f", "d"), EEXIST);
	EXPECT_ERR(link("f", "dangling"), EEXIST);
	EXPECT_ERR(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	EXPECT_ERR(open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	EXPECT_ERR(open("d", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	EXPECT_ERR(lstat("nowhere", &st), ENOENT); /* O_EXCL did not follow the link */

	/* ENOTEMPTY, EISDIR, EINVAL, ENOENT */
	EXPECT_ERR2(rmdir("full"), ENOTEMPTY, EEXIST);
	EXPECT_ERR2(rename("d", "full"), ENOTEMPTY, EEXIST);
	EXPECT_ERR(unlink("d"), EISDIR);
	EXPECT_ERR(rename("f", "d"), EISDIR);
	EXPECT_ERR(open("d", O_WRONLY), EISDIR);
	EXPECT_ERR(rmdir("."), EINVAL);
	EXPECT_ERR2(rmdir("d/.."), ENOTEMPTY, EEXIST);
	EXPECT_ERR(rename("d", "d/sub"), EINVAL);
	EXPECT_ERR(unlink("missing"), ENOENT);
	EXPECT_ERR(rmdir("missing"), ENOENT);
	EXPECT_ERR(rename("missing", "x"), ENOENT);
	EXPECT_ERR(link("missing", "x"), ENOENT);
	EXPECT_ERR(mkdir("missing/x", 0755), ENOENT);
	EXPECT_ERR(open("", O_RDONLY), ENOENT);
	EXPECT_ERR(stat("dangling", &st), ENOENT);
	/* nothing above left a stray entry behind */
	SYS(lstat("full/x", &st));
	EXPECT_ERR(lstat("g", &st), ENOENT);
	EXPECT_ERR(lstat("x", &st), ENOENT);
	EXPECT_ERR(lstat("toolongtarget", &st), ENOENT);
	return 0;
}

/* A symlink to a target of len bytes reads back whole, with st_size len. */
static int long_link_is(const char *name, size_t len)
{
	static char t[PATH_MAX], got[PATH_MAX + 1];
	struct stat st;
	ssize_t n;
	size_t i;

	for (i = 0; i < len; i++)
		t[i] = (i % 10 == 9) ? '/' : (char)('a' + (char)(i % 26));
	t[len] = '\0';
	SYS(symlink(t, name));
	SYS(n = readlink(name, got, sizeof(got)));
	CHECK((size_t)n == len && !memcmp(got, t, len), "%s: readlink gave %zd bytes of %zu, or "
	      "other bytes", name, n, len);
	SYS(lstat(name, &st));
	CHECK(S_ISLNK(st.st_mode) && st.st_size == (off_t)len, "%s: st_size %lld, not %zu", name,
	      (long long)st.st_size, len);
	return 0;
}

/*
 * Symlink targets up to PATH_MAX - 1 bytes, as ext4 stores them: the encrypted target of
 * such a one does not fit the lower limit, so veilfs stores it out of line.
 */
int case_symlink_targets_path_max(void)
{
	static char over[PATH_MAX + 1];
	struct stat st;

	TRY(long_link_is("l1000", 1000));
	TRY(long_link_is("l3500", 3500));
	TRY(long_link_is("lmax", PATH_MAX - 1));
	memset(over, 'o', PATH_MAX);
	over[PATH_MAX] = '\0';
	EXPECT_ERR(symlink(over, "lover"), ENAMETOOLONG);
	SYS(link("lmax", "lmax2"));
	SYS(unlink("lmax"));
	SYS(lstat("lmax2", &st));
	CHECK(st.st_size == PATH_MAX - 1, "lmax2: st_size %lld after unlinking lmax",
	      (long long)st.st_size);
	TRY(put_file("f", "x", 1));
	SYS(rename("f", "l3500"));
	SYS(rename("lmax2", "l1000"));
	SYS(lstat("l1000", &st));
	CHECK(S_ISLNK(st.st_mode) && st.st_size == PATH_MAX - 1, "l1000 after rename");
	SYS(unlink("l1000"));
	return 0;
}

/* Wait until the (coarse) clock that stamps ctimes has passed t, so that a ctime set now
 * is later than t; false if it does not within 10 s (a clock that stands still). */
static bool clock_passes(const struct timespec *t)
{
	struct timespec now;
	const struct timespec tick = { 0, 5 * 1000 * 1000 };

	for (int i = 0; i < 2000; i++) {
		clock_gettime(CLOCK_REALTIME_COARSE, &now);
		if (now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec > t->tv_nsec))
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

/* One object: chown(-1, -1) (lchown for a symlink) leaves the owner and moves the ctime. */
static int noop_chown_moves_ctime(const char *path)
{
	struct stat before, after;

	SYS(lstat(path, &before));
	CHECK(clock_passes(&before.st_ctim), "the clock did not pass the ctime of '%s'", path);
	SYS(lchown(path, (uid_t)-1, (gid_t)-1));
	SYS(lstat(path, &after));
	CHECK(after.st_uid == before.st_uid && after.st_gid == before.st_gid,
	      "'%s': owner %u:%u -> %u:%u", path, (unsigned)before.st_uid,
	      (unsigned)before.st_gid, (unsigned)after.st_uid, (unsigned)after.st_gid);
	CHECK(after.st_ctim.tv_sec > before.st_ctim.tv_sec ||
		      (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
		       after.st_ctim.tv_nsec > before.st_ctim.tv_nsec),
	      "'%s': ctime %lld.%09ld unchanged by chown(-1, -1) (ext4 moves it)", path,
	      (long long)after.st_ctim.tv_sec, after.st_ctim.tv_nsec);
	return 0;
}

/*
 * chown(f, -1, -1) changes nothing but the ctime, which Linux file systems move for every
 * type (pjdfstest chown/00.t marks it "need not be updated"; ext4 does): a regular file, a
 * directory, a FIFO, a socket, a symlink by lchown, a device as root, and chown through
 * a symlink moves its target's.
 */
int case_chown_noop_ctime(void)
{
	struct stat st;

	TRY(put_file("f", "x", 1));
	SYS(mkdir("d", 0755));
	SYS(mkfifo("p", 0644));
	SYS(mknod("s", S_IFSOCK | 0644, 0));
	SYS(symlink("d", "l"));
	TRY(noop_chown_moves_ctime("f"));
	TRY(noop_chown_moves_ctime("d"));
	TRY(noop_chown_moves_ctime("p"));
	TRY(noop_chown_moves_ctime("s"));
	TRY(noop_chown_moves_ctime("l"));
	if (geteuid() == 0) {
		SYS(mknod("c", S_IFCHR | 0600, makedev(1, 3)));
		TRY(noop_chown_moves_ctime("c"));
	}
	/* through the link: the target's ctime moves */
	SYS(stat("d", &st));
	CHECK(clock_passes(&st.st_ctim), "the clock did not pass the ctime of 'd'");
	SYS(chown("l", (uid_t)-1, (gid_t)-1));
	{
		struct stat after;

		SYS(stat("d", &after));
		CHECK(after.st_ctim.tv_sec > st.st_ctim.tv_sec ||
			      (after.st_ctim.tv_sec == st.st_ctim.tv_sec &&
			       after.st_ctim.tv_nsec > st.st_ctim.tv_nsec),
		      "'d': ctime unchanged by chown(-1, -1) through the link 'l'");
	}
	return 0;
}

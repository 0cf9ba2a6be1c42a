/*
 * posix_perm.c - posix_suite --perm cases: permission semantics seen by
 * other users. Run as root on a mount made with
 * -o allow_other,default_permissions. Each probe forks a child that
 * drops to another uid/gid, tries one operation relative to the case
 * directory and exits with 0 or the errno it got.
 */
#include "posix_cases.h"
#include "util.h"

#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

enum {
	U1 = 65534, G1 = 65534, /* nobody:nogroup */
	U2 = 60002, G2 = 60002, /* an unnamed second user */
	GX = 60010,		/* a group neither user belongs to */
	EXIT_SCRIPT = 42,
};

enum op { OP_READ, OP_WRITE, OP_TRUNC, OP_EXEC, OP_STAT, OP_LIST, OP_CREATE, OP_UNLINK, OP_RENAME,
	  OP_CHOWN, OP_CHMOD, OP_UTIME_SET, OP_UTIME_NOW, OP_LIST_TRUSTED, OP_GET_TRUSTED,
	  OP_MKNOD_CHR, OP_MKNOD_FIFO };

struct probe {
	enum op op;
	const char *a, *b;
	uid_t uid;
	gid_t gid;
};

static int do_op(const struct probe *p)
{
	const struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };
	char *argv[] = { (char *)p->a, NULL };
	int fd;

	switch (p->op) {
	case OP_READ: fd = open(p->a, O_RDONLY); break;
	case OP_WRITE:
		fd = open(p->a, O_WRONLY);
		if (fd >= 0 && write(fd, "w", 1) != 1)
			return errno;
		break;
	case OP_TRUNC: return truncate(p->a, 0) ? errno : 0;
	case OP_EXEC: execv(p->a, argv); return errno;
	case OP_STAT: {
		struct stat st;
		return stat(p->a, &st) ? errno : 0;
	}
	case OP_LIST: fd = open(p->a, O_RDONLY | O_DIRECTORY); break;
	case OP_CREATE: fd = open(p->a, O_WRONLY | O_CREAT | O_EXCL, 0644); break;
	case OP_UNLINK: return unlink(p->a) ? errno : 0;
	case OP_RENAME: return rename(p->a, p->b) ? errno : 0;
	case OP_CHOWN: return chown(p->a, (uid_t)strtol(p->b, NULL, 0), (gid_t)-1) ? errno : 0;
	case OP_CHMOD: return chmod(p->a, 0777) ? errno : 0;
	case OP_UTIME_SET: return utimensat(AT_FDCWD, p->a, ts, 0) ? errno : 0;
	case OP_UTIME_NOW: return utimensat(AT_FDCWD, p->a, NULL, 0) ? errno : 0;
	case OP_LIST_TRUSTED: { /* EEXIST when a trusted.* name is listed */
		char list[1024];
		ssize_t len = listxattr(p->a, list, sizeof(list));

		if (len < 0)
			return errno;
		return memmem(list, (size_t)len, "trusted.", 8) ? EEXIST : 0;
	}
	case OP_GET_TRUSTED: {
		char v[64];

		return getxattr(p->a, p->b, v, sizeof(v)) < 0 ? errno : 0;
	}
	case OP_MKNOD_CHR: return mknod(p->a, S_IFCHR | 0666, makedev(1, 3)) ? errno : 0;
	case OP_MKNOD_FIFO: return mknod(p->a, S_IFIFO | 0666, 0) ? errno : 0;
	default: return EINVAL;
	}
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* Run the probe as uid/gid; returns 0, the errno, or 255 on a crash. */
static int run_as(const struct probe *p)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return 255;
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(p->gid) < 0 || setuid(p->uid) < 0)
			_exit(254);
		_exit(do_op(p));
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status))
		return 255;
	return WEXITSTATUS(status);
}

static const char *op_name(enum op op)
{
	static const char *const names[] = { "read",  "write", "truncate", "exec",   "stat",
					     "list",  "create", "unlink",  "rename", "chown",
					     "chmod", "utime(times)", "utime(now)",
					     "listxattr (EEXIST: trusted.* listed)", "getxattr" };
	return names[op];
}

/* Expect the probe to end with want (0 or an errno; EXIT_SCRIPT for a run script). */
static int expect_as(enum op op, const char *a, const char *b, uid_t uid, gid_t gid, int want)
{
	struct probe p = { op, a, b, uid, gid };
	int got = run_as(&p);

	if (got == want)
		return 0;
	FAIL("%s '%s' as uid %u gid %u: got %s, expected %s", op_name(op), a, uid, gid,
	     got == 0 ? "success" : got == EXIT_SCRIPT ? "script ran" : got >= 254 ? "child failure" : errname(got),
	     want == 0 ? "success" : want == EXIT_SCRIPT ? "script runs" : errname(want));
}

#define AS(op, a, b, uid, gid, want) TRY(expect_as(op, a, b, uid, gid, want))

static int make(const char *path, mode_t mode, uid_t uid, gid_t gid, const char *content)
{
	TRY(put_file(path, content, strlen(content)));
	SYS(chown(path, uid, gid));
	SYS(chmod(path, mode));
	return 0;
}

static int mode_of(const char *path, mode_t *mode, gid_t *gid)
{
	struct stat st;

	SYS(stat(path, &st));
	*mode = st.st_mode & 07777;
	*gid = st.st_gid;
	return 0;
}

int case_perm_read_bits(void)
{
	/* reachability first: without allow_other nothing below can work */
	AS(OP_STAT, ".", NULL, U1, G1, 0);
	TRY(make("f", 0600, 0, 0, "secret"));
	AS(OP_READ, "f", NULL, U1, G1, EACCES);
	SYS(chmod("f", 0604));
	AS(OP_READ, "f", NULL, U1, G1, 0);
	TRY(make("g", 0640, 0, G1, "group"));
	AS(OP_READ, "g", NULL, U1, G1, 0);
	AS(OP_READ, "g", NULL, U2, G2, EACCES);
	TRY(make("o", 0044, U1, G1, "owner class wins"));
	AS(OP_READ, "o", NULL, U1, G1, EACCES);
	AS(OP_READ, "o", NULL, U2, G2, 0);
	return 0;
}

int case_perm_write_bits(void)
{
	TRY(make("f", 0644, 0, 0, "orig"));
	AS(OP_WRITE, "f", NULL, U1, G1, EACCES);
	AS(OP_TRUNC, "f", NULL, U1, G1, EACCES);
	TRY(check_path("f", "orig", 4));
	SYS(chmod("f", 0646));
	AS(OP_WRITE, "f", NULL, U1, G1, 0);
	TRY(check_path("f", "wrig", 4));
	AS(OP_TRUNC, "f", NULL, U1, G1, 0);
	return check_path("f", "", 0);
}

int case_perm_exec_bits(void)
{
	static const char script[] = "#!/bin/sh\nexit 42\n";

	TRY(make("s", 0744, 0, 0, script));
	AS(OP_EXEC, "./s", NULL, U1, G1, EACCES);
	SYS(chmod("s", 0745));
	AS(OP_EXEC, "./s", NULL, U1, G1, EXIT_SCRIPT);
	TRY(make("t", 0700, U1, G1, script));
	AS(OP_EXEC, "./t", NULL, U1, G1, EXIT_SCRIPT);
	AS(OP_EXEC, "./t", NULL, U2, G2, EACCES);
	SYS(chmod("t", 0600));
	AS(OP_EXEC, "./t", NULL, U1, G1, EACCES);
	return 0;
}

int case_perm_dir_search(void)
{
	SYS(mkdir("d", 0700));
	TRY(make("d/f", 0644, 0, 0, "x"));
	AS(OP_STAT, "d/f", NULL, U1, G1, EACCES);
	AS(OP_LIST, "d", NULL, U1, G1, EACCES);
	SYS(chmod("d", 0701)); /* search only */
	AS(OP_STAT, "d/f", NULL, U1, G1, 0);
	AS(OP_READ, "d/f", NULL, U1, G1, 0);
	AS(OP_LIST, "d", NULL, U1, G1, EACCES);
	SYS(chmod("d", 0704)); /* list only */
	AS(OP_LIST, "d", NULL, U1, G1, 0);
	AS(OP_STAT, "d/f", NULL, U1, G1, EACCES);
	SYS(chmod("d", 0755));
	AS(OP_CREATE, "d/new", NULL, U1, G1, EACCES);
	AS(OP_UNLINK, "d/f", NULL, U1, G1, EACCES);
	SYS(chmod("d", 0757));
	AS(OP_CREATE, "d/new", NULL, U1, G1, 0);
	AS(OP_UNLINK, "d/f", NULL, U1, G1, 0);
	return 0;
}

int case_perm_sticky_dir(void)
{
	SYS(mkdir("t", 0777));
	SYS(chmod("t", 01777));
	AS(OP_CREATE, "t/a", NULL, U1, G1, 0);
	AS(OP_CREATE, "t/b", NULL, U2, G2, 0);
	AS(OP_UNLINK, "t/a", NULL, U2, G2, EPERM);
	AS(OP_RENAME, "t/a", "t/x", U2, G2, EPERM);
	AS(OP_RENAME, "t/b", "t/a", U2, G2, EPERM);
	CHECK(access("t/a", F_OK) == 0 && access("t/b", F_OK) == 0, "a name vanished");
	AS(OP_RENAME, "t/b", "t/c", U2, G2, 0);
	AS(OP_UNLINK, "t/a", NULL, U1, G1, 0);
	SYS(unlink("t/c"));
	/* control: without the sticky bit the same unlink is allowed */
	SYS(chmod("t", 0777));
	AS(OP_CREATE, "t/a", NULL, U1, G1, 0);
	AS(OP_UNLINK, "t/a", NULL, U2, G2, 0);
	return 0;
}

int case_perm_setgid_dir(void)
{
	mode_t mode;
	gid_t gid;

	SYS(mkdir("plain", 0777));
	SYS(chown("plain", 0, GX));
	TRY(put_file("plain/f", "", 0));
	TRY(mode_of("plain/f", &mode, &gid));
	CHECK(gid == 0, "file in non-setgid dir got group %u, expected creator's 0", gid);
	SYS(mkdir("s", 0777));
	SYS(chown("s", 0, GX));
	SYS(chmod("s", 02777));
	TRY(put_file("s/f", "", 0));
	TRY(mode_of("s/f", &mode, &gid));
	CHECK(gid == GX, "file in setgid dir has group %u, expected %u", gid, GX);
	SYS(mkdir("s/sub", 0755));
	TRY(mode_of("s/sub", &mode, &gid));
	CHECK(gid == GX, "subdir of setgid dir has group %u, expected %u", gid, GX);
	CHECK(mode & S_ISGID, "subdir of setgid dir lacks the setgid bit (mode %o)", mode);
	AS(OP_CREATE, "s/byother", NULL, U1, G1, 0);
	TRY(mode_of("s/byother", &mode, &gid));
	CHECK(gid == GX, "other user's file in setgid dir has group %u, expected %u", gid, GX);
	return 0;
}

int case_perm_chown_refused(void)
{
	char u2[16], root[] = "0";

	snprintf(u2, sizeof(u2), "%d", U2);
	TRY(make("f", 0644, U1, G1, "x"));
	AS(OP_CHOWN, "f", u2, U1, G1, EPERM);
	AS(OP_CHOWN, "f", root, U1, G1, EPERM);
	AS(OP_CHOWN, "f", u2, U2, G2, EPERM);
	SYS(lchown("f", (uid_t)-1, (gid_t)-1));
	struct stat st;
	SYS(stat("f", &st));
	CHECK(st.st_uid == U1, "owner changed to %u", st.st_uid);
	if (chown("f", U2, G2) < 0)
		FAIL("root chown: %s", errname(errno));
	SYS(stat("f", &st));
	CHECK(st.st_uid == U2 && st.st_gid == G2, "root chown gave %u:%u", st.st_uid, st.st_gid);
	return 0;
}

int case_perm_chmod_utime_nonowner(void)
{
	TRY(make("f", 0666, 0, 0, "x"));
	AS(OP_CHMOD, "f", NULL, U1, G1, EPERM);
	AS(OP_UTIME_SET, "f", NULL, U1, G1, EPERM);
	AS(OP_UTIME_NOW, "f", NULL, U1, G1, 0);
	SYS(chmod("f", 0644));
	AS(OP_UTIME_NOW, "f", NULL, U1, G1, EACCES);
	TRY(make("mine", 0600, U1, G1, "x"));
	AS(OP_CHMOD, "mine", NULL, U1, G1, 0);
	AS(OP_UTIME_SET, "mine", NULL, U1, G1, 0);
	return 0;
}

int case_perm_write_clears_suid(void)
{
	mode_t mode;
	gid_t gid;

	TRY(make("f", 06777, 0, 0, "x"));
	AS(OP_WRITE, "f", NULL, U1, G1, 0);
	TRY(mode_of("f", &mode, &gid));
	CHECK(!(mode & 06000), "write by non-owner left mode %o (setuid/setgid not cleared)", mode);
	return 0;
}

/* A named-user ACL entry grants what the mode bits do not; trusted.* stays root's. */
int case_perm_acl_and_trusted(void)
{
	/* user::rw- user:U2:r-- group::--- mask::r-- other::--- */
	static const uint8_t acl[] = {
		2, 0, 0, 0,
		0x01, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,
		0x02, 0, 4, 0, U2 & 0xff, (U2 >> 8) & 0xff, 0, 0,
		0x04, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
		0x10, 0, 4, 0, 0xff, 0xff, 0xff, 0xff,
		0x20, 0, 0, 0, 0xff, 0xff, 0xff, 0xff,
	};

	TRY(make("f", 0600, 0, 0, "x"));
	AS(OP_READ, "f", NULL, U2, G2, EACCES);
	if (setxattr("f", "system.posix_acl_access", acl, sizeof(acl), 0) < 0)
		FAIL("setxattr system.posix_acl_access: %s", errname(errno));
	AS(OP_READ, "f", NULL, U2, G2, 0);
	AS(OP_WRITE, "f", NULL, U2, G2, EACCES);
	AS(OP_READ, "f", NULL, U1, G1, EACCES);
	SYS(chmod("f", 0600)); /* the mask goes to ---: the entry grants nothing now */
	AS(OP_READ, "f", NULL, U2, G2, EACCES);
	SYS(chmod("f", 0644));
	if (setxattr("f", "trusted.t", "root", 4, 0) < 0)
		FAIL("setxattr trusted.t as root: %s", errname(errno));
	AS(OP_LIST_TRUSTED, "f", NULL, U1, G1, 0);
	AS(OP_GET_TRUSTED, "f", "trusted.t", U1, G1, ENODATA);
	return 0;
}

int case_perm_mknod_device(void)
{
	struct stat st;

	SYS(mkdir("d", 0777));
	SYS(chmod("d", 0777));
	AS(OP_MKNOD_CHR, "d/chr", NULL, U1, G1, EPERM); /* no CAP_MKNOD */
	EXPECT_ERR(lstat("d/chr", &st), ENOENT);
	AS(OP_MKNOD_FIFO, "d/fifo", NULL, U1, G1, 0);
	SYS(lstat("d/fifo", &st));
	CHECK(S_ISFIFO(st.st_mode) && st.st_uid == U1, "fifo type %o owner %u", st.st_mode & S_IFMT,
	      st.st_uid);
	SYS(mknod("d/rootchr", S_IFCHR | 0600, makedev(1, 3))); /* root may */
	SYS(lstat("d/rootchr", &st));
	CHECK(S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3), "root's device node is wrong");
	return 0;
}

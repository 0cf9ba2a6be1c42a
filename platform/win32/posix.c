/*
 * The POSIX calls of platform/win32/compat.h that the front end (cli/) makes on local
 * files and on the process, over the Microsoft runtime (linked into every .exe of the
 * Windows build).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Here st_atime & co. are the runtime's members (struct _stat64), not compat.h's macros. */
#undef st_atime
#undef st_mtime
#undef st_ctime

static void from_crt(const struct _stat64 *c, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = (uint64_t)c->st_dev;
	st->st_mode = c->st_mode & (mode_t)~077; /* access is by ACL: the owner's bits only */
	st->st_nlink = (nlink_t)c->st_nlink;
	st->st_size = c->st_size;
	st->st_blksize = 4096;
	st->st_blocks = (c->st_size + 511) / 512;
	st->st_atim.tv_sec = c->st_atime;
	st->st_mtim.tv_sec = c->st_mtime;
	st->st_ctim.tv_sec = c->st_ctime;
}

int stat(const char *path, struct stat *st)
{
	struct _stat64 c;

	if (_stat64(path, &c) < 0)
		return -1;
	from_crt(&c, st);
	return 0;
}

int lstat(const char *path, struct stat *st)
{
	return stat(path, st);
}

int fstat(int fd, struct stat *st)
{
	struct _stat64 c;

	if (_fstat64(fd, &c) < 0)
		return -1;
	from_crt(&c, st);
	return 0;
}

char *realpath(const char *path, char *resolved)
{
	struct stat st;
	char *r;

	if (stat(path, &st) < 0)
		return NULL;
	r = _fullpath(resolved, path, resolved ? _MAX_PATH : 0);
	if (!r)
		errno = ENAMETOOLONG;
	return r;
}

int setenv(const char *name, const char *value, int overwrite)
{
	if (!overwrite && getenv(name))
		return 0;
	if (_putenv_s(name, value) != 0) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

ssize_t readlink(const char *path, char *buf, size_t n)
{
	(void)path;
	(void)buf;
	(void)n;
	errno = EINVAL;
	return -1;
}

int fsync(int fd)
{
	return _commit(fd);
}

int sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	void (*prev)(int) = SIG_DFL;

	if (sa && (prev = signal(sig, sa->sa_handler)) == SIG_ERR) {
		errno = EINVAL;
		return -1;
	}
	if (old) {
		memset(old, 0, sizeof(*old));
		old->sa_handler = prev;
	}
	return 0;
}

/*
 * Mount table, unmount and pid-file helpers of the mount and umount commands (Linux:
 * /proc/self/mountinfo, umount2, fusermount3). See mounts.h for the pid-file layout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "base/buf.h"
#include "cli/mounts.h"
#include "coord/registry.h"

extern char **environ;

int mounts_canonical(const char *path, char **out)
{
	char *copy1 = NULL, *copy2 = NULL, *parent = NULL, *res;
	const char *name;
	struct buf b;
	int r;

	*out = NULL;
	res = realpath(path, NULL);
	if (res) {
		*out = res;
		return 0;
	}
	copy1 = strdup(path);
	copy2 = strdup(path);
	if (!copy1 || !copy2) {
		r = -ENOMEM;
		goto out;
	}
	name = basename(copy2);
	if (!strcmp(name, ".") || !strcmp(name, "..") || !strcmp(name, "/")) {
		r = -ENOTCONN;
		goto out;
	}
	parent = realpath(dirname(copy1), NULL);
	if (!parent) {
		r = -errno;
		goto out;
	}
	buf_init(&b);
	if ((r = buf_append_str(&b, parent)) < 0 ||
	    (strcmp(parent, "/") && (r = buf_append_str(&b, "/")) < 0) ||
	    (r = buf_append_str(&b, name)) < 0) {
		buf_release(&b);
		goto out;
	}
	*out = (char *)buf_detach(&b, NULL);
	r = 0;
out:
	free(copy1);
	free(copy2);
	free(parent);
	return r;
}

/* Undo the octal escapes (\040 for space, \011, \012, \134) of a mountinfo field, in place. */
static void unescape_field(char *s)
{
	char *w = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

int mounts_find(const char *canon, bool *mounted, char **fstype)
{
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	char *found = NULL;
	int r = 0;

	*mounted = false;
	if (fstype)
		*fstype = NULL;
	fp = fopen("/proc/self/mountinfo", "re");
	if (!fp)
		return -errno;
	while (getline(&line, &cap, fp) > 0) {
		char *save = NULL, *field, *mnt = NULL, *type = NULL;
		int i;

		/* id parent major:minor root mountpoint options [optional...] - type source super
		 */
		field = strtok_r(line, " \n", &save);
		for (i = 1; field; i++) {
			if (i == 5)
				mnt = field;
			if (i > 6 && !strcmp(field, "-")) {
				type = strtok_r(NULL, " \n", &save);
				break;
			}
			field = strtok_r(NULL, " \n", &save);
		}
		if (!mnt || !type)
			continue;
		unescape_field(mnt);
		if (strcmp(mnt, canon))
			continue;
		free(found);
		found = strdup(type); /* later lines are mounted on top of earlier ones */
		if (!found) {
			r = -ENOMEM;
			break;
		}
	}
	free(line);
	fclose(fp);
	if (r < 0) {
		free(found);
		return r;
	}
	*mounted = found != NULL;
	if (fstype)
		*fstype = found;
	else
		free(found);
	return 0;
}

int mounts_unmount(const char *canon)
{
	char *argv[] = {(char *)"fusermount3", (char *)"-u", (char *)canon, NULL};
	pid_t pid;
	int status, r;

	if (geteuid() == 0) {
		if (umount2(canon, UMOUNT_NOFOLLOW) != 0)
			return -errno;
		return 0;
	}
	r = posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ);
	if (r != 0)
		return -r;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -ECANCELED; /* fusermount3 printed why */
	return 0;
}

/* The pid-file directory of this user; created 0700 and checked when create is set. */
static int pidfile_dir(bool create, struct buf *b)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int r;

	if (geteuid() == 0)
		r = buf_append_str(b, "/run/veilfs");
	else if (xdg && xdg[0] == '/')
		r = buf_printf(b, "%s/veilfs", xdg);
	else
		r = buf_printf(b, "/tmp/veilfs-%u", (unsigned)geteuid());
	if (r < 0 || !create)
		return r;
	if (mkdir((const char *)b->data, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (lstat((const char *)b->data, &st) != 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM; /* someone else's directory, or a symlink: refuse to use it */
	return 0;
}

int mounts_pidfile_path(const char *canon, bool create, char **out)
{
	char digest[REGISTRY_DIGEST_HEX_LEN + 1];
	struct buf b;
	int r;

	*out = NULL;
	buf_init(&b);
	if ((r = pidfile_dir(create, &b)) < 0)
		goto out;
	if ((r = registry_mountpoint_digest(canon, digest)) < 0)
		goto out;
	if ((r = buf_printf(&b, "/%s.pid", digest)) < 0)
		goto out;
	*out = (char *)buf_detach(&b, NULL);
	r = 0;
out:
	buf_release(&b);
	return r;
}

int mounts_pidfile_write(const char *path, pid_t pid, const char *canon)
{
	struct buf tmp, body;
	int fd = -1, r;
	ssize_t w;

	buf_init(&tmp);
	buf_init(&body);
	if ((r = buf_printf(&tmp, "%s.tmp.%ld", path, (long)pid)) < 0 ||
	    (r = buf_printf(&body, "%ld\n%s\n", (long)pid, canon)) < 0)
		goto out;
	fd = open((const char *)tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
		  0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	w = write(fd, body.data, body.len);
	if (w < 0 || (size_t)w != body.len) {
		r = w < 0 ? -errno : -EIO;
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		r = -errno;
		goto out;
	}
	fd = -1;
	if (rename((const char *)tmp.data, path) != 0) {
		r = -errno;
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r < 0)
		unlink((const char *)tmp.data);
	buf_release(&tmp);
	buf_release(&body);
	return r;
}

int mounts_pidfile_read(const char *path, const char *canon, pid_t *pid)
{
	char data[PATH_MAX + 64];
	char *nl, *end;
	ssize_t n;
	long v;
	int fd;

	*pid = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -errno;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return n < 0 ? -errno : -EPROTO;
	data[n] = '\0';
	nl = strchr(data, '\n');
	if (!nl)
		return -EPROTO;
	*nl = '\0';
	errno = 0;
	v = strtol(data, &end, 10);
	if (errno || *end || v <= 0 || v > INT32_MAX)
		return -EPROTO;
	end = strchr(nl + 1, '\n');
	if (!end)
		return -EPROTO;
	*end = '\0';
	if (strcmp(nl + 1, canon))
		return -EPROTO;
	*pid = (pid_t)v;
	return 0;
}

void mounts_pidfile_remove(const char *path, pid_t pid)
{
	char data[64];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return;
	data[n] = '\0';
	if (strtol(data, NULL, 10) == (long)pid)
		unlink(path);
}

/* Whether process pid runs a program of the same name (comm) as this one. */
static bool same_comm(pid_t pid)
{
	char path[64], mine[32] = "", theirs[32] = "";
	ssize_t n;
	int fd;

	fd = open("/proc/self/comm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return true;
	n = read(fd, mine, sizeof(mine) - 1);
	close(fd);
	if (n <= 0)
		return true;
	snprintf(path, sizeof(path), "/proc/%ld/comm", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, theirs, sizeof(theirs) - 1);
	close(fd);
	if (n <= 0)
		return true;
	return !strcmp(mine, theirs);
}

bool mounts_process_alive(pid_t pid)
{
	char path[64], data[512], *p;
	ssize_t n;
	int fd;

	if (pid <= 0)
		return false;
	if (kill(pid, 0) != 0 && errno == ESRCH)
		return false;
	/* A zombie has exited: its parent just has not reaped it yet. */
	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno != ENOENT;
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n <= 0)
		return true;
	data[n] = '\0';
	p = strrchr(data, ')'); /* "pid (comm) S ..." where comm may hold spaces and ')' */
	if (p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X'))
		return false;
	/* A stale pid file may name a reused pid: the daemon runs this same program. */
	return same_comm(pid);
}

/*
 * Store helpers built only on the store_ops interface, so that they work (and can be
 * fault-injected) over any store: whole-file reads, atomic replacement, full-length I/O.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stdatomic.h>
#include "base/log.h"
#include "store/store.h"

enum { PLANTED_LOG_MAX = 32 };

static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFCHR:
	case S_IFBLK:
		return "a device";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

/*
 * Something planted where veilfs expects one of its small files. Logged, but at most
 * PLANTED_LOG_MAX times per process, so that a listing of a directory with a planted IV
 * file cannot flood the log.
 */
static void log_planted(const char *name, const char *kind)
{
	static atomic_uint logged;
	unsigned n = atomic_fetch_add(&logged, 1);

	if (n < PLANTED_LOG_MAX)
		log_error("'%s' in the cipher directory is %s, not a regular file: ignored (EIO)%s",
			  name, kind, n + 1 == PLANTED_LOG_MAX ? "; further such lines suppressed" : "");
}

int store_open_dir(const char *where, struct store **out, int *rootfd)
{
	if (store_is_smb_url(where))
		return store_smb_new(where, NULL, out, rootfd);
	return store_posix_new(where, out, rootfd);
}

void store_free(struct store *s)
{
	if (!s)
		return;
	if (s->ops && s->ops->destroy)
		s->ops->destroy(s->ctx);
	free(s);
}

ssize_t store_pread_full(struct store *s, int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = store_pread(s, fd, (uint8_t *)buf + done, n - done, off + done);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

int store_pwrite_full(struct store *s, int fd, const void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	ssize_t r;

	while (done < n) {
		r = store_pwrite(s, fd, (const uint8_t *)buf + done, n - done, off + done);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -EIO;
		done += (size_t)r;
	}
	return 0;
}

int store_read_file(struct store *s, int dirfd, const char *name, size_t max, uint8_t **data,
		    size_t *len)
{
	struct stat st;
	uint8_t *p = NULL;
	ssize_t got;
	int fd, r;

	*data = NULL;
	*len = 0;
	/*
	 * Look before opening: opening a device can have effects of its own. A look that
	 * fails for another reason than a missing name (a store that cannot stat a file
	 * another client is removing) leaves the checks to the open and fstat below. A
	 * store without devices, FIFOs or sockets (SMB) skips the look: over SMB a stat just
	 * before the open made the open fail with EINVAL while another client created or
	 * removed the file (a lock file), measured in 28 of 200 rounds.
	 */
	r = s->ops->no_special_files ? 0 : store_fstatat(s, dirfd, name, &st, STORE_AT_NOFOLLOW);
	if (r == -ENOENT || r == -ENOTDIR)
		return r;
	if (r == 0 && !s->ops->no_special_files && !S_ISREG(st.st_mode)) {
		log_planted(name, file_kind(st.st_mode));
		return -EIO;
	}
	/* and never block, should it have been swapped meanwhile */
	fd = store_openat(s, dirfd, name, STORE_RDONLY | STORE_NOFOLLOW | STORE_NONBLOCK, 0);
	if (fd == -ELOOP || fd == -ENXIO || fd == -EISDIR) {
		/* a symlink (O_NOFOLLOW), a FIFO with no writer or a socket, a directory */
		log_planted(name, fd == -ELOOP ? "a symbolic link" : fd == -EISDIR ? "a directory" :
			    "a FIFO or socket");
		return -EIO;
	}
	if (fd < 0)
		return fd;
	if ((r = store_fstat(s, fd, &st)) < 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		log_planted(name, file_kind(st.st_mode));
		r = -EIO;
		goto out;
	}
	r = -EFBIG;
	if ((uint64_t)st.st_size > max)
		goto out;
	r = -ENOMEM;
	/* One byte more than the size: a file that grew meanwhile is caught as too big. */
	if (!(p = malloc((size_t)st.st_size + 1)))
		goto out;
	got = store_pread_full(s, fd, p, (size_t)st.st_size + 1, 0);
	if (got < 0) {
		r = (int)got;
		goto out;
	}
	r = -EFBIG;
	if ((size_t)got > (size_t)st.st_size)
		goto out;
	*data = p;
	*len = (size_t)got;
	p = NULL;
	r = 0;
out:
	free(p);
	(void)store_close(s, fd); /* a read-only handle: nothing to lose */
	return r;
}

static void tmp_name(char *out, size_t n, const char *name)
{
	static unsigned counter;
	unsigned c = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);

	snprintf(out, n, "%s.tmp.%ld.%u", name, (long)getpid(), c);
}

int store_write_atomic(struct store *s, int dirfd, const char *name, const uint8_t *data,
		       size_t len, mode_t mode)
{
	char tmp[512];
	int fd, r;

	if (strlen(name) > sizeof(tmp) - 40)
		return -ENAMETOOLONG;
	tmp_name(tmp, sizeof(tmp), name);
	fd = store_openat(s, dirfd, tmp, STORE_WRONLY | STORE_CREAT | STORE_EXCL | STORE_NOFOLLOW,
			  mode);
	if (fd < 0)
		return fd;
	if ((r = store_pwrite_full(s, fd, data, len, 0)) < 0)
		goto out_unlink;
	if ((r = store_fsync(s, fd, false)) < 0)
		goto out_unlink;
	if ((r = store_close(s, fd)) < 0) {
		fd = -1;
		goto out_unlink;
	}
	fd = -1;
	if ((r = store_renameat(s, dirfd, tmp, dirfd, name, STORE_RENAME_ATOMIC)) < 0)
		goto out_unlink;
	/* The rename is durable only once the directory is synced. */
	return store_fsync(s, dirfd, false);
out_unlink:
	/* r is reported and name is intact; every name veilfs writes this way starts with
	 * "veilfs.", so a temp file left behind stays hidden from the view */
	if (fd >= 0)
		(void)store_close(s, fd);
	(void)store_unlinkat(s, dirfd, tmp, 0);
	return r;
}

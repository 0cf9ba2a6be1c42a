/*
 * util.c - shared helpers for the integration test tools; see util.h.
 */
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

char g_reason[REASON_MAX];

void failf_at(const char *file, int line, const char *fmt, ...)
{
	char msg[REASON_MAX - 100];
	va_list ap;
	const char *base = strrchr(file, '/');

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(g_reason, sizeof(g_reason), "%s [%.40s:%d]", msg, base ? base + 1 : file, line);
}

void note(const char *fmt, ...)
{
	va_list ap;

	fputs("# note: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

const char *errname(int e)
{
	const char *n = e ? strerrorname_np(e) : "no error";

	return n ? n : "unknown errno";
}

int write_at(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			FAIL("pwrite(len %zu, off %lld): %s", len, (long long)off, errname(errno));
		if (n == 0)
			FAIL("pwrite(len %zu, off %lld) returned 0", len, (long long)off);
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

ssize_t read_at(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			FAIL("pread(len %zu, off %lld): %s", len - done, (long long)(off + (off_t)done),
			     errname(errno));
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int put_file(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int r;

	if (fd < 0)
		FAIL("open('%s'): %s", path, errname(errno));
	r = write_at(fd, buf, len, 0);
	if (close(fd) < 0 && r == 0)
		FAIL("close('%s'): %s", path, errname(errno));
	return r;
}

int check_size(int fd, off_t want, const char *what)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		FAIL("fstat(%s): %s", what, errname(errno));
	if (st.st_size != want)
		FAIL("%s: st_size %lld, expected %lld", what, (long long)st.st_size,
		     (long long)want);
	return 0;
}

int check_fd(int fd, const void *exp, size_t len, const char *what)
{
	uint8_t *got = malloc(len + 1);
	ssize_t n, d;
	int r = -1;

	if (!got)
		FAIL("out of memory");
	if (check_size(fd, (off_t)len, what) < 0)
		goto out;
	n = read_at(fd, got, len + 1, 0);
	if (n < 0)
		goto out;
	if ((size_t)n != len) {
		failf_at(__FILE__, __LINE__, "%s: read %zd bytes, expected %zu", what, n, len);
		goto out;
	}
	if (exp)
		d = first_diff(got, exp, len);
	else
		for (d = 0; (size_t)d < len && got[d] == 0; d++)
			;
	if (d >= 0 && (size_t)d < len) {
		failf_at(__FILE__, __LINE__, "%s: content differs at offset %zd (got 0x%02x, want 0x%02x)",
			 what, d, got[d], exp ? ((const uint8_t *)exp)[d] : 0);
		goto out;
	}
	r = 0;
out:
	free(got);
	return r;
}

int check_path(const char *path, const void *exp, size_t len)
{
	int fd = open(path, O_RDONLY);
	int r;

	if (fd < 0)
		FAIL("open('%s'): %s", path, errname(errno));
	r = check_fd(fd, exp, len, path);
	close(fd);
	return r;
}

void fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)seed * 0x100000001b3ULL);
	uint8_t *p = buf;

	for (size_t i = 0; i < len; i++) {
		if (i % 8 == 0)
			rng_next(&s);
		p[i] = (uint8_t)(s >> (8 * (i % 8)));
	}
}

ssize_t first_diff(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;

	if (memcmp(a, b, len) == 0)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (x[i] != y[i])
			return (ssize_t)i;
	return -1;
}

bool all_zero(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static int rm_children(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int r = 0;

	if (!d) {
		close(fd);
		FAIL("fdopendir: %s", errname(errno));
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (rm_rf_at(dirfd(d), e->d_name) < 0)
			r = -1;
	}
	closedir(d);
	return r;
}

int rm_rf_at(int dirfd, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		FAIL("stat('%s') for removal: %s", name, errname(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0)
			FAIL("unlink('%s'): %s", name, errname(errno));
		return 0;
	}
	fchmodat(dirfd, name, 0700, 0);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	if (fd < 0)
		FAIL("open dir '%s' for removal: %s", name, errname(errno));
	if (rm_children(fd) < 0)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		FAIL("rmdir('%s'): %s", name, errname(errno));
	return 0;
}

uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s ? *s : 0x2545f4914f6cdd1dULL;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

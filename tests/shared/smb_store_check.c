/*
 * smb_store_check: the SMB store (src/store/store_smb.c) against a real smbd, one
 * numbered case per check, then the cost of a 4 KiB write and read through the store.
 *
 * Usage: smb_store_check URL ROUNDS
 *   URL     smb://HOST:PORT/SHARE/PATH of an existing, empty directory; credentials from
 *           VEILFS_SMB_USER / VEILFS_SMB_PASSWORD
 *   ROUNDS  4 KiB writes and reads timed (reported, never asserted)
 * Prints "ok N - what" or "FAIL N - what (detail)" per case, "timing: ..." and ends with
 * "N passed, N failed"; exits 1 on any failure. Built by tests/shared/smb_store.sh against
 * build/libveilfs-core.a.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "store/store.h"

static int passed, failed, case_no;

static void check(bool ok, const char *what, long detail)
{
	case_no++;
	if (ok) {
		passed++;
		printf("ok %d - %s\n", case_no, what);
	} else {
		failed++;
		printf("FAIL %d - %s (got %ld)\n", case_no, what, detail);
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static bool dir_has(struct store *s, int dirfd, const char *name, unsigned char type)
{
	struct store_dir *d;
	struct store_dirent e;
	bool found = false;

	if (store_dir_open(s, dirfd, &d) < 0)
		return false;
	while (store_dir_next(s, d, &e) == 1)
		if (!strcmp(e.name, name) && e.type == type)
			found = true;
	store_dir_close(s, d);
	return found;
}

static int dir_count_prefix(struct store *s, int dirfd, const char *prefix)
{
	struct store_dir *d;
	struct store_dirent e;
	int n = 0;

	if (store_dir_open(s, dirfd, &d) < 0)
		return -1;
	while (store_dir_next(s, d, &e) == 1)
		if (!strncmp(e.name, prefix, strlen(prefix)))
			n++;
	store_dir_close(s, d);
	return n;
}

static void timing(struct store *s, int root, long rounds)
{
	uint8_t buf[4096];
	double t0, tw, tr;
	long i;
	int fd;

	memset(buf, 0x5a, sizeof(buf));
	fd = store_openat(s, root, "timing", STORE_RDWR | STORE_CREAT | STORE_TRUNC, 0600);
	if (fd < 0) {
		check(false, "timing file opens", fd);
		return;
	}
	t0 = now_us();
	for (i = 0; i < rounds; i++)
		if (store_pwrite_full(s, fd, buf, sizeof(buf), (uint64_t)(i % 64) * 4096) < 0)
			break;
	tw = now_us() - t0;
	check(i == rounds, "timed 4 KiB writes all succeed", i);
	t0 = now_us();
	for (i = 0; i < rounds; i++)
		if (store_pread_full(s, fd, buf, sizeof(buf), (uint64_t)(i % 64) * 4096) != 4096)
			break;
	tr = now_us() - t0;
	check(i == rounds, "timed 4 KiB reads all succeed", i);
	printf("timing: %ld x 4 KiB: write %.0f us/op, read %.0f us/op\n", rounds, tw / rounds,
	       tr / rounds);
	(void)store_close(s, fd);
	(void)store_unlinkat(s, root, "timing", 0);
}

int main(int argc, char **argv)
{
	static const struct store_smb_auth bad = { "root", "not-the-password", NULL };
	uint8_t w[4096], r[4096], z[4096];
	struct store *s = NULL, *s2 = NULL, *sx = NULL;
	int root = -1, root2 = -1, rootx = -1, fd, fd2, pfd, iofd, dfd, g;
	uint8_t *data = NULL;
	size_t len = 0;
	struct stat st;
	ssize_t n;
	int e;

	if (argc != 3) {
		fprintf(stderr, "usage: smb_store_check URL ROUNDS\n");
		return 2;
	}
	memset(z, 0, sizeof(z));
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)(i * 7 + 1);

	e = store_smb_new(argv[1], NULL, &s, &root);
	check(e == 0 && root >= 0, "store_smb_new connects (credentials from the environment)", e);
	if (e < 0)
		goto out;
	e = store_smb_new(argv[1], &bad, &sx, &rootx);
	check(e < 0, "a wrong password is refused (no guest fallback)", e);
	e = store_smb_new("smb://127.0.0.1/", NULL, &sx, &rootx);
	check(e == -EINVAL, "a URL without a share is -EINVAL", e);

	fd = store_openat(s, root, "f1", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	check(fd >= 0, "O_EXCL create of a new file", fd);
	e = store_openat(s, root, "f1", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	check(e == -EEXIST, "a second O_EXCL create is -EEXIST", e);
	n = store_pwrite(s, fd, w, sizeof(w), 8192);
	check(n == 4096, "pwrite 4 KiB at offset 8192", (long)n);
	e = store_fstat(s, fd, &st);
	check(e == 0 && st.st_size == 12288 && S_ISREG(st.st_mode), "fstat: size 12288, regular",
	      e ? e : (long)st.st_size);
	n = store_pread(s, fd, r, sizeof(r), 8192);
	check(n == 4096 && !memcmp(r, w, sizeof(w)), "pread at 8192 returns the bytes", (long)n);
	n = store_pread(s, fd, r, sizeof(r), 0);
	check(n == 4096 && !memcmp(r, z, sizeof(z)), "pread of the gap reads zeros", (long)n);
	n = store_pread(s, fd, r, sizeof(r), 12288);
	check(n == 0, "pread at EOF returns 0", (long)n);
	e = store_ftruncate(s, fd, 100);
	check(e == 0 && store_fstat(s, fd, &st) == 0 && st.st_size == 100, "ftruncate to 100", e);
	e = store_fsync(s, fd, false);
	check(e == 0, "fsync of an I/O handle answers 0 (writes are synchronous)", e);
	check(store_lock(s, fd, 0, 10, true, false) == -EOPNOTSUPP,
	      "byte-range lock is -EOPNOTSUPP", 0);
	check(store_fgetxattr(s, fd, "user.x", r, sizeof(r)) == -EOPNOTSUPP,
	      "xattrs are -EOPNOTSUPP", 0);

	pfd = store_openat(s, root, "f1", STORE_PATH | STORE_NOFOLLOW, 0);
	check(pfd >= 0, "STORE_PATH handle on f1", pfd);
	iofd = store_reopen(s, pfd, STORE_RDWR);
	check(iofd >= 0, "reopen of the path handle for I/O", iofd);
	n = store_pwrite(s, iofd, "abc", 3, 0);
	check(n == 3 && store_pread(s, fd, r, 3, 0) == 3 && !memcmp(r, "abc", 3),
	      "a write through the reopened handle is read through the first", (long)n);
	e = store_fstatat(s, root, "missing", &st, STORE_AT_NOFOLLOW);
	check(e == -ENOENT, "fstatat of a missing name is -ENOENT", e);
	e = store_openat(s, root, "a/b", STORE_RDONLY, 0);
	check(e == -EINVAL, "a name with '/' is refused", e);
	e = store_openat(s, root, "..", STORE_PATH, 0);
	check(e == -EINVAL, "'..' is refused", e);
	e = store_openat(s, root, "f1:stream", STORE_RDONLY, 0);
	check(e == -EINVAL, "a stream name (':') is refused", e);

	e = store_mkdirat(s, root, "d", 0700);
	check(e == 0, "mkdir d", e);
	dfd = store_openat(s, root, "d", STORE_RDONLY | STORE_DIRECTORY, 0);
	check(dfd >= 0, "open d as a directory", dfd);
	e = store_openat(s, root, "f1", STORE_RDONLY | STORE_DIRECTORY, 0);
	check(e == -ENOTDIR, "STORE_DIRECTORY on a file is -ENOTDIR", e);
	g = store_openat(s, dfd, "g", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	check(g >= 0, "create d/g through the directory handle", g);
	check(dir_has(s, root, "d", DT_DIR) && dir_has(s, root, "f1", DT_REG) &&
	      dir_has(s, dfd, "g", DT_REG), "listings show d (dir), f1 and d/g (files)", 0);

	e = store_renameat(s, root, "f1", root, "d", STORE_RENAME_NOREPLACE);
	check(e == -EEXIST, "rename NOREPLACE onto an existing name is -EEXIST", e);
	e = store_renameat(s, root, "f1", root, "f2", STORE_RENAME_NOREPLACE);
	check(e == 0, "rename NOREPLACE of an open file to a new name", e);
	check(store_fstatat(s, root, "f1", &st, 0) == -ENOENT &&
	      store_fstatat(s, root, "f2", &st, 0) == 0, "the old name is gone, the new is there",
	      0);
	n = store_pread(s, fd, r, 3, 0);
	check(n == 3 && !memcmp(r, "abc", 3), "the open handles follow the rename", (long)n);
	e = store_fstat(s, pfd, &st);
	check(e == 0 && st.st_size == 100, "the path handle follows the rename", e);
	e = store_renameat(s, root, "d", root, "d2", 0);
	check(e == 0, "rename of a directory with a file open inside", e);
	n = store_pwrite(s, g, "xyz", 3, 0);
	check(n == 3 && store_fstatat(s, root, "d2", &st, 0) == 0,
	      "the handle inside the renamed directory still writes", (long)n);

	e = store_unlinkat(s, root, "f2", 0);
	check(e == 0 && store_fstatat(s, root, "f2", &st, 0) == -ENOENT,
	      "unlink of a file this store holds open: the name goes", e);
	n = store_pread(s, fd, r, 3, 0);
	check(n == 3 && !memcmp(r, "abc", 3) && store_fstat(s, fd, &st) == 0 && st.st_nlink == 0,
	      "its open handles still read it, with no link", (long)n);
	check(dir_count_prefix(s, root, "veilfs.unlinked.") == 1,
	      "meanwhile it is hidden as veilfs.unlinked.* in the root", 0);
	(void)store_close(s, iofd);
	(void)store_close(s, fd);
	check(dir_count_prefix(s, root, "veilfs.unlinked.") == 0,
	      "and removed at the last close of its I/O handles", 0);
	(void)store_close(s, pfd);
	fd = store_openat(s, root, "t1", STORE_RDWR | STORE_CREAT, 0600);
	fd2 = store_openat(s, root, "t2", STORE_RDWR | STORE_CREAT, 0600);
	n = store_pwrite(s, fd, "new", 3, 0) + store_pwrite(s, fd2, "old", 3, 0);
	(void)store_close(s, fd);
	e = store_renameat(s, root, "t1", root, "t2", 0);
	check(n == 6 && e == 0 && store_pread(s, fd2, r, 3, 0) == 3 && !memcmp(r, "old", 3),
	      "rename over a file this store holds open: its handle keeps the old file", e);
	(void)store_close(s, fd2);
	check(store_read_file(s, root, "t2", 100, &data, &len) == 0 && len == 3 &&
	      !memcmp(data, "new", 3) && dir_count_prefix(s, root, "veilfs.unlinked.") == 0,
	      "the name has the new file, nothing hidden is left", 0);
	free(data);
	data = NULL;

	e = store_write_atomic(s, root, "conf", (const uint8_t *)"one", 3, 0600);
	check(e == 0, "store_write_atomic of a new name", e);
	e = store_write_atomic(s, root, "conf", (const uint8_t *)"twotwo", 6, 0600);
	check(e == -EOPNOTSUPP && store_read_file(s, root, "conf", 100, &data, &len) == 0 &&
	      len == 3 && !memcmp(data, "one", 3),
	      "store_write_atomic over an existing name is refused, the old file intact", e);
	free(data);
	data = NULL;
	check(dir_count_prefix(s, root, "conf.tmp.") == 0, "and its temp file is removed", 0);
	fd = store_openat(s, root, "other", STORE_WRONLY | STORE_CREAT, 0600);
	(void)store_close(s, fd);
	e = store_renameat(s, root, "other", root, "conf", 0);
	check(e == 0 && store_fstatat(s, root, "other", &st, 0) == -ENOENT &&
	      store_fstatat(s, root, "conf", &st, 0) == 0 && st.st_size == 0,
	      "a plain rename over an existing name replaces it (not atomic)", e);

	e = store_smb_new(argv[1], NULL, &s2, &root2);
	check(e == 0, "a second store (a second SMB session)", e);
	if (e == 0) {
		fd = store_openat(s, root, "shared", STORE_RDWR | STORE_CREAT, 0600);
		fd2 = store_openat(s2, root2, "shared", STORE_RDWR, 0);
		n = store_pwrite(s, fd, w, sizeof(w), 0);
		check(fd >= 0 && fd2 >= 0 && n == 4096 &&
		      store_pread(s2, fd2, r, sizeof(r), 0) == 4096 && !memcmp(r, w, sizeof(w)),
		      "the other session reads a write at once (no client cache)", (long)n);
		e = store_unlinkat(s2, root2, "shared", 0);
		check(e == -EBUSY, "unlink of a file the other session holds open is -EBUSY", e);
		(void)store_close(s, fd);
		(void)store_close(s2, fd2);
		e = store_unlinkat(s2, root2, "shared", 0);
		check(e == 0, "unlink once the other session closed it", e);
	}
	{
		struct statvfs sv;

		e = store_fstatvfs(s, root, &sv);
		check(e == 0 && sv.f_frsize >= 512 && sv.f_blocks > 0 && sv.f_bfree <= sv.f_blocks &&
		      sv.f_namemax == 255, "statvfs: a block size of at least 512, sane counts", e);
		printf("statvfs: frsize %lu, %llu blocks, %llu free\n", sv.f_frsize,
		       (unsigned long long)sv.f_blocks, (unsigned long long)sv.f_bfree);
	}
	timing(s, root, strtol(argv[2], NULL, 10));
	(void)store_close(s, g);
	(void)store_close(s, dfd);
out:
	store_free(s);
	store_free(s2);
	store_free(sx);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

/*
 * Unit tests of the Win32 store (store_win32.c; the Windows build only, under wine in the
 * windows stage): positional I/O, creation and replace, the Windows name rules, names
 * that differ only in case refused rather than taken for each other, listings, byte-range
 * locks between two handles (exclusive, shared, and never blocking I/O), and the clean
 * refusals of what the store cannot do.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"
#include "helpers.h"
#include "test.h"

/* The store on a fresh temp dir, or NULL (the test then fails). */
static struct store *new_store(char **dir, int *root)
{
	struct store *s = NULL;

	*dir = test_temp_dir("w32store");
	if (!EXPECT(*dir != NULL) || !EXPECT(store_posix_new(*dir, &s, root) == 0))
		return NULL;
	return s;
}

static void done(struct store *s, int root, char *dir)
{
	store_close(s, root);
	store_free(s);
	EXPECT(test_rm_tree(dir) == 0);
	free(dir);
}

static int entries(struct store *s, int dirfd, const char *want)
{
	struct store_dir *d;
	struct store_dirent e;
	int r, n = 0, found = 0;

	if (store_dir_open(s, dirfd, &d) < 0)
		return -1;
	while ((r = store_dir_next(s, d, &e)) == 1) {
		if (!strcmp(e.name, ".") || !strcmp(e.name, ".."))
			continue;
		n++;
		found += want && !strcmp(e.name, want) && e.type == DT_REG;
	}
	store_dir_close(s, d);
	return r < 0 || (want && !found) ? -1 : n;
}

TEST(win32_store_io_and_replace)
{
	struct store *s;
	struct statvfs sv;
	struct stat st;
	char *dir, buf[16] = { 0 };
	uint8_t *data;
	size_t len;
	int root, fd;

	if (!(s = new_store(&dir, &root)))
		return;
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	EXPECT(fd >= 0);
	EXPECT(store_openat(s, root, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600) == -EEXIST);
	EXPECT(store_pwrite_full(s, fd, "hello", 5, 10) == 0);
	EXPECT(store_fstat(s, fd, &st) == 0 && st.st_size == 15 && S_ISREG(st.st_mode));
	EXPECT(store_pread_full(s, fd, buf, sizeof(buf), 10) == 5 && !memcmp(buf, "hello", 5));
	EXPECT(store_pread(s, fd, buf, sizeof(buf), 100) == 0);
	EXPECT(store_lseek(s, fd, 0, SEEK_END) == 15);
	EXPECT(store_fstatvfs(s, fd, &sv) == 0 && sv.f_bsize == 4096 && sv.f_blocks > 0 &&
	       sv.f_bavail <= sv.f_blocks);
	EXPECT(store_ftruncate(s, fd, 3) == 0);
	EXPECT(store_fstatat(s, root, "f", &st, STORE_AT_NOFOLLOW) == 0 && st.st_size == 3);
	EXPECT(store_close(s, fd) == 0);
	EXPECT(store_write_atomic(s, root, "c", (const uint8_t *)"one", 3, 0600) == 0);
	EXPECT(store_write_atomic(s, root, "c", (const uint8_t *)"second", 6, 0600) == 0);
	EXPECT(store_read_file(s, root, "c", 64, &data, &len) == 0 && len == 6 &&
	       !memcmp(data, "second", 6));
	free(data);
	EXPECT(store_mkdirat(s, root, "d", 0700) == 0);
	EXPECT(store_fstatat(s, root, "d", &st, 0) == 0 && S_ISDIR(st.st_mode));
	EXPECT(store_renameat(s, root, "f", root, "c", STORE_RENAME_NOREPLACE) == -EEXIST);
	EXPECT(store_renameat(s, root, "f", root, "c", STORE_RENAME_ATOMIC) == 0);
	EXPECT(entries(s, root, "c") == 2);
	EXPECT(store_unlinkat(s, root, "d", 0) == -EISDIR);
	EXPECT(store_unlinkat(s, root, "c", STORE_AT_REMOVEDIR) == -ENOTDIR);
	EXPECT(store_unlinkat(s, root, "d", STORE_AT_REMOVEDIR) == 0);
	EXPECT(store_unlinkat(s, root, "c", 0) == 0);
	EXPECT(entries(s, root, NULL) == 0);
	done(s, root, dir);
}

/* Reserved device names, trailing dots and spaces, separators: refused, nothing made. */
TEST(win32_store_name_rules)
{
	static const char *const bad[] = { "CON", "nul", "Aux.txt", "COM1", "lpt9.x", "a.",
					   "a ", "a:b", "a\\b", "a*", "a?", "a|b", "<", "\x01" };
	struct store *s;
	char *dir;
	int root, fd;

	if (!(s = new_store(&dir, &root)))
		return;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = store_openat(s, root, bad[i], STORE_RDWR | STORE_CREAT, 0600);
		EXPECTF(fd == -EINVAL, "row %zu: %d", i, fd);
		EXPECTF(store_mkdirat(s, root, bad[i], 0700) == -EINVAL, "row %zu", i);
	}
	/* legal look-alikes, and the names veilfs makes */
	fd = store_openat(s, root, "CONSOLE", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0 && store_close(s, fd) == 0);
	fd = store_openat(s, root, "veilfs.lname.AbC_-09.name", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0 && store_close(s, fd) == 0);
	EXPECT(entries(s, root, NULL) == 2);
	done(s, root, dir);
}

/* NTFS finds "ABC" for "abc"; base64url names are case-sensitive: another name. */
TEST(win32_store_case_variants_are_other_names)
{
	struct store *s;
	struct stat st;
	char *dir;
	int root, fd;

	if (!(s = new_store(&dir, &root)))
		return;
	fd = store_openat(s, root, "aBc", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	EXPECT(fd >= 0 && store_close(s, fd) == 0);
	EXPECT(store_openat(s, root, "abc", STORE_RDONLY, 0) == -ENOENT);
	EXPECT(store_openat(s, root, "ABC", STORE_RDWR | STORE_CREAT, 0600) == -EEXIST);
	EXPECT(store_fstatat(s, root, "abc", &st, 0) == -ENOENT);
	EXPECT(store_unlinkat(s, root, "ABC", 0) == -ENOENT);
	EXPECT(store_renameat(s, root, "abc", root, "x", 0) == -ENOENT);
	fd = store_openat(s, root, "x", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0 && store_close(s, fd) == 0);
	EXPECT(store_renameat(s, root, "x", root, "ABC", 0) == -EEXIST);
	EXPECT(store_fstatat(s, root, "aBc", &st, 0) == 0);
	EXPECT(entries(s, root, "aBc") == 2);
	done(s, root, dir);
}

/* Two handles of one file: exclusive and shared locks exclude as fcntl's do, and a held
 * lock never blocks reads or writes through the other handle (the ranges are moved). */
TEST(win32_store_locks_between_handles)
{
	struct store *s;
	char *dir, buf[4];
	int root, a, b;

	if (!(s = new_store(&dir, &root)))
		return;
	a = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT, 0600);
	b = store_openat(s, root, "f", STORE_RDWR, 0);
	EXPECT(a >= 0 && b >= 0);
	EXPECT(store_pwrite_full(s, a, "data", 4, 0) == 0);
	EXPECT(store_lock(s, a, 0, 4096, true, false) == 0);
	EXPECT(store_lock(s, b, 0, 4096, false, false) == -EAGAIN);
	EXPECT(store_lock(s, b, 4096, 4096, true, false) == 0); /* another range */
	EXPECT(store_pread_full(s, b, buf, 4, 0) == 4 && !memcmp(buf, "data", 4));
	EXPECT(store_pwrite_full(s, b, "DATA", 4, 0) == 0);
	EXPECT(store_unlock(s, a, 0, 4096) == 0);
	EXPECT(store_lock(s, b, 0, 4096, false, false) == 0);
	EXPECT(store_lock(s, a, 0, 4096, false, false) == 0); /* shared beside shared */
	EXPECT(store_lock(s, a, 0, 0, true, false) == -EAGAIN); /* len 0: to the end */
	EXPECT(store_close(s, a) == 0 && store_close(s, b) == 0);
	done(s, root, dir);
}

/* What the store cannot do is refused cleanly, and changes nothing. */
TEST(win32_store_refusals)
{
	struct store *s;
	char *dir, buf[8];
	int root, fd;

	if (!(s = new_store(&dir, &root)))
		return;
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0);
	EXPECT(store_symlinkat(s, "target", root, "l") == -EPERM);
	EXPECT(store_mknodat(s, root, "p", S_IFIFO | 0600, 0) == -EPERM);
	EXPECT(store_fchownat(s, root, "f", 0, 0, 0) == -EPERM);
	EXPECT(store_fsetxattr(s, fd, "user.x", "v", 1, 0) == -ENOTSUP);
	EXPECT(store_fgetxattr(s, fd, "user.x", buf, sizeof(buf)) == -ENOTSUP);
	EXPECT(store_flistxattr(s, fd, buf, sizeof(buf)) == -ENOTSUP);
	EXPECT(store_readlinkat(s, root, "f", buf, sizeof(buf)) == -EINVAL);
	EXPECT(store_reopen(s, fd, STORE_RDONLY | STORE_DIRECT) == -EINVAL);
	EXPECT(store_lseek(s, fd, 0, 4 /* SEEK_HOLE */) == -EINVAL);
	EXPECT(store_renameat(s, root, "f", root, "g", STORE_RENAME_EXCHANGE) == -EINVAL);
	EXPECT(store_close(s, fd) == 0);
	EXPECT(entries(s, root, "f") == 1);
	done(s, root, dir);
}

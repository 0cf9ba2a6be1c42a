/*
 * Unit tests for store/: the POSIX store on a real temp directory, the helpers built on
 * the store interface, and the fault-injecting store.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "store/store.h"
#include "store/store_fault.h"
#include "helpers.h"
#include "test.h"

static int count_entries(struct store *s, int dirfd)
{
	struct store_dir *d;
	struct store_dirent e;
	int n = 0, r;

	if (store_dir_open(s, dirfd, &d) < 0)
		return -1;
	while ((r = store_dir_next(s, d, &e)) == 1)
		if (strcmp(e.name, ".") && strcmp(e.name, ".."))
			n++;
	store_dir_close(s, d);
	return r < 0 ? -1 : n;
}

TEST(store_posix_basic_io)
{
	char *dir = test_temp_dir("store");
	struct store *s;
	struct stat st;
	char buf[16] = { 0 };
	int root, fd, pfd, rw;

	EXPECT(dir != NULL);
	if (!dir || store_posix_new(dir, &s, &root) < 0)
		return;
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	EXPECT(fd >= 0);
	EXPECT(store_openat(s, root, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600) == -EEXIST);
	EXPECT(store_pwrite_full(s, fd, "hello", 5, 10) == 0);
	EXPECT(store_fstat(s, fd, &st) == 0 && st.st_size == 15);
	EXPECT(store_pread_full(s, fd, buf, sizeof(buf), 10) == 5 && !memcmp(buf, "hello", 5));
	EXPECT(store_ftruncate(s, fd, 3) == 0);
	EXPECT(store_fstatat(s, root, "f", &st, STORE_AT_NOFOLLOW) == 0 && st.st_size == 3);
	store_close(s, fd);
	pfd = store_openat(s, root, "f", STORE_PATH | STORE_NOFOLLOW, 0);
	EXPECT(pfd >= 0);
	rw = store_reopen(s, pfd, STORE_RDWR);
	EXPECT(rw >= 0);
	EXPECT(store_pwrite_full(s, rw, "xyz", 3, 0) == 0);
	/* xattrs through a path handle (the temp dir is on ext4 or tmpfs, both have user.*) */
	EXPECT(store_fsetxattr(s, pfd, "user.t", "v", 1, STORE_XATTR_CREATE) == 0);
	EXPECT(store_fsetxattr(s, pfd, "user.t", "v", 1, STORE_XATTR_CREATE) == -EEXIST);
	EXPECT(store_fgetxattr(s, pfd, "user.t", buf, sizeof(buf)) == 1 && buf[0] == 'v');
	EXPECT(store_fremovexattr(s, pfd, "user.t") == 0);
	EXPECT(store_fgetxattr(s, pfd, "user.t", buf, sizeof(buf)) == -ENODATA);
	store_close(s, rw);
	/* by handle, whatever the object's names are now: chmod and link */
	EXPECT(store_renameat(s, root, "f", root, "f2", 0) == 0);
	EXPECT(store_fchmodat(s, pfd, "", 0640, STORE_AT_EMPTY_PATH) == 0);
	EXPECT(store_fstatat(s, root, "f2", &st, STORE_AT_NOFOLLOW) == 0 &&
	       (st.st_mode & 07777) == 0640);
	EXPECT(store_linkat(s, pfd, "", root, "f") == 0);
	EXPECT(store_fstatat(s, root, "f", &st, STORE_AT_NOFOLLOW) == 0 && st.st_size == 3 &&
	       st.st_nlink == 2);
	EXPECT(store_unlinkat(s, root, "f2", 0) == 0);
	store_close(s, pfd);
	EXPECT(store_mkdirat(s, root, "d", 0700) == 0);
	EXPECT(store_renameat(s, root, "f", root, "d", STORE_RENAME_NOREPLACE) == -EEXIST);
	EXPECT(store_renameat(s, root, "f", root, "g", 0) == 0);
	EXPECT(count_entries(s, root) == 2);
	EXPECT(store_unlinkat(s, root, "d", STORE_AT_REMOVEDIR) == 0);
	EXPECT(store_unlinkat(s, root, "g", 0) == 0);
	EXPECT(count_entries(s, root) == 0);
	store_close(s, root);
	store_free(s);
	test_rm_tree(dir);
	free(dir);
}

TEST(store_write_atomic_replaces_and_reads_back)
{
	char *dir = test_temp_dir("store");
	struct store *s;
	uint8_t *data;
	size_t len;
	int root;

	if (!dir || store_posix_new(dir, &s, &root) < 0) {
		EXPECT(0);
		return;
	}
	EXPECT(store_write_atomic(s, root, "c", (const uint8_t *)"one", 3, 0600) == 0);
	EXPECT(store_write_atomic(s, root, "c", (const uint8_t *)"second", 6, 0600) == 0);
	EXPECT(store_read_file(s, root, "c", 64, &data, &len) == 0 && len == 6 &&
	       !memcmp(data, "second", 6));
	free(data);
	EXPECT(store_read_file(s, root, "c", 5, &data, &len) == -EFBIG);
	EXPECT(store_read_file(s, root, "missing", 5, &data, &len) == -ENOENT);
	EXPECT(count_entries(s, root) == 1); /* no temp file left behind */
	store_close(s, root);
	store_free(s);
	test_rm_tree(dir);
	free(dir);
}

static const struct {
	enum store_fault_op op;
	int err;
} atomic_faults[] = {
	/* 1 */ { STORE_FAULT_OPENAT, ENOSPC },
	/* 2 */ { STORE_FAULT_PWRITE, ENOSPC },
	/* 3 */ { STORE_FAULT_FSYNC, EIO },
	/* 4 */ { STORE_FAULT_RENAMEAT, EIO },
};

TEST(store_write_atomic_keeps_old_file_on_fault)
{
	char *dir = test_temp_dir("store");
	struct store *inner, *s;
	uint8_t *data;
	size_t len, i;
	int root;

	if (!dir || store_posix_new(dir, &inner, &root) < 0 || store_fault_new(inner, &s) < 0) {
		EXPECT(0);
		return;
	}
	EXPECT(store_write_atomic(s, root, "c", (const uint8_t *)"old", 3, 0600) == 0);
	for (i = 0; i < ARRAY_SIZE(atomic_faults); i++) {
		struct store_fault_plan p = { .op = atomic_faults[i].op, .nth = 1,
					      .err = atomic_faults[i].err };

		store_fault_arm(s, &p);
		EXPECTF(store_write_atomic(s, root, "c", (const uint8_t *)"new", 3, 0600) ==
				-atomic_faults[i].err,
			"case %zu", i + 1);
		EXPECTF(store_fault_hits(s) == 1, "case %zu", i + 1);
		store_fault_disarm(s);
		EXPECTF(store_read_file(s, root, "c", 64, &data, &len) == 0 && len == 3 &&
				!memcmp(data, "old", 3),
			"case %zu: old contents kept", i + 1);
		free(data);
		EXPECTF(count_entries(s, root) == 1, "case %zu: no temp file left", i + 1);
	}
	store_close(s, root);
	store_free(s);
	test_rm_tree(dir);
	free(dir);
}

TEST(store_fault_short_write_and_persistent)
{
	char *dir = test_temp_dir("store");
	struct store *inner, *s;
	struct store_fault_plan shortw = { .op = STORE_FAULT_PWRITE, .nth = 1, .short_write = true };
	struct store_fault_plan persist = { .op = STORE_FAULT_PREAD, .nth = 2, .err = EIO,
					    .persistent = true };
	char buf[8];
	int root, fd;

	if (!dir || store_posix_new(dir, &inner, &root) < 0 || store_fault_new(inner, &s) < 0) {
		EXPECT(0);
		return;
	}
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT, 0600);
	store_fault_arm(s, &shortw);
	EXPECT(store_pwrite(s, fd, "abcdefgh", 8, 0) == 4);
	/* the full-write helper finishes a short write */
	EXPECT(store_pwrite_full(s, fd, "abcdefgh", 8, 0) == 0);
	store_fault_arm(s, &persist);
	EXPECT(store_pread(s, fd, buf, 8, 0) == 8);
	EXPECT(store_pread(s, fd, buf, 8, 0) == -EIO);
	EXPECT(store_pread(s, fd, buf, 8, 0) == -EIO);
	EXPECT(store_fault_hits(s) == 2);
	store_fault_disarm(s);
	EXPECT(store_pread(s, fd, buf, 8, 0) == 8 && !memcmp(buf, "abcdefgh", 8));
	store_close(s, fd);
	store_close(s, root);
	store_free(s);
	test_rm_tree(dir);
	free(dir);
}

/*
 * The SMB store's URL handling, without a server (the store itself is tested against a
 * real smbd in tests/shared/smb_store.sh): one case per line, the URL and the public form
 * (NULL: refused with -EINVAL). A URL's user part never reaches the public form.
 */
TEST(store_smb_url_public_form)
{
	static const struct {
		const char *url, *public;
	} cases[] = {
		/* 1 */ { "smb://host/share/dir", "smb://host/share/dir" },
		/* 2 */ { "smb://host:4455/share/dir/", "smb://host:4455/share/dir" },
		/* 3 */ { "smb://user:secret@host/share/v", "smb://host/share/v" },
		/* 4 */ { "smb://DOM;user:p%40ss@host:445/share", "smb://host:445/share" },
		/* 5 */ { "smb://user@host/share//", "smb://host/share" },
		/* 6 */ { "smb://host", NULL },
		/* 7 */ { "smb://host/", NULL },
		/* 8 */ { "smb:///share/dir", NULL },
		/* 9 */ { "smb://user@/share", NULL },
		/* 10 */ { "smb://u:bad%zz@host/share", NULL },
		/* 11 */ { "/local/dir", NULL },
		/* 12 */ { "smb://host//share", NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *pub = NULL;
		int r = store_smb_set_auth(cases[i].url, NULL, &pub);

		if (cases[i].public) {
			EXPECTF(r == 0 && pub && !strcmp(pub, cases[i].public),
				"case %zu: '%s' -> %d '%s'", i + 1, cases[i].url, r,
				pub ? pub : "(null)");
		} else {
			EXPECTF(r == -EINVAL && !pub, "case %zu: '%s' -> %d", i + 1, cases[i].url, r);
		}
		free(pub);
	}
	EXPECT(store_is_smb_url("smb://h/s") && !store_is_smb_url("/smb://") &&
	       !store_is_smb_url(NULL));
}

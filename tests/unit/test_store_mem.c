/*
 * Unit tests for store/store_mem.c: the same table of calls on the POSIX store (a temp
 * directory on the machine's file system) and on the in-memory store must give the same
 * results and leave the same names, types, modes, link counts and sizes; snapshots are
 * deep, independent copies; the byte limit holds; a vault runs over the memory store and
 * over a snapshot of it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "base/secmem.h"
#include "crypto/kdf.h"
#include "format/config.h"
#include "keys/config_file.h"
#include "keys/keys.h"
#include "names/names.h"
#include "store/store.h"
#include "store/store_mem.h"
#include "vault/vault.h"
#include "helpers.h"
#include "test.h"

enum mop { M_MKDIR, M_CREATE, M_OPEN, M_WRITE, M_TRUNC, M_UNLINK, M_RMDIR, M_RENAME, M_LINK,
	   M_SYMLINK, M_FIFO, M_XSET, M_CHMOD };

/* dir 0 is the root, 1 is "d", 2 is "d/e" (opened before the table runs) */
struct mrow {
	enum mop op;
	int da;
	const char *a;
	int db;
	const char *b;
	long arg;
};

static const struct mrow rows[] = {
	{ M_CREATE, 0, "f", 0, NULL, 0640 },
	{ M_CREATE, 0, "f", 0, NULL, 0640 }, /* EEXIST */
	{ M_WRITE, 0, "f", 0, NULL, 5000 },
	{ M_LINK, 0, "f", 1, "hard", 0 },
	{ M_LINK, 0, "f", 1, "hard", 0 }, /* EEXIST */
	{ M_LINK, 0, "d", 1, "dl", 0 },	  /* EPERM */
	{ M_RENAME, 0, "f", 2, "moved", 0 },
	{ M_RENAME, 0, "f", 2, "moved", 0 }, /* ENOENT */
	{ M_MKDIR, 1, "sub", 0, NULL, 0751 },
	{ M_MKDIR, 1, "sub", 0, NULL, 0751 },	/* EEXIST */
	{ M_RENAME, 1, "hard", 1, "sub", 0 },	/* EISDIR */
	{ M_RENAME, 1, "sub", 1, "hard", 0 },	/* ENOTDIR */
	{ M_RENAME, 1, "sub", 2, "sub2", 0 },	/* dir moves, link counts */
	{ M_RENAME, 0, "d", 2, "x", 0 },	/* EINVAL: into itself */
	{ M_SYMLINK, 0, "ln", 0, "some/target", 0 },
	{ M_OPEN, 0, "ln", 0, NULL, 0 },	/* ELOOP */
	{ M_FIFO, 2, "p", 0, NULL, 0604 },
	{ M_RENAME, 2, "p", 2, "moved", 0 },	/* over a file with a second link */
	{ M_TRUNC, 1, "hard", 0, NULL, 123 },
	{ M_UNLINK, 1, "hard", 0, NULL, 0 },
	{ M_UNLINK, 1, "hard", 0, NULL, 0 },	/* ENOENT */
	{ M_RMDIR, 0, "d", 0, NULL, 0 },	/* ENOTEMPTY */
	{ M_UNLINK, 0, "d", 0, NULL, 0 },	/* EISDIR */
	{ M_RMDIR, 0, "ln", 0, NULL, 0 },	/* ENOTDIR */
	{ M_MKDIR, 0, "empty", 0, NULL, 0700 },
	{ M_RENAME, 2, "sub2", 0, "empty", 0 }, /* dir over an empty dir */
	{ M_RENAME, 0, "ln", 0, "empty", STORE_RENAME_NOREPLACE }, /* EEXIST */
	{ M_RENAME, 0, "ln", 2, "moved", STORE_RENAME_EXCHANGE },
	{ M_XSET, 0, "empty", 0, "user.a", 0 },
	{ M_CHMOD, 0, "empty", 0, NULL, 01777 },
	{ M_CREATE, 0, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 0, NULL, 0600 }, /* 259: ENAMETOOLONG */
	{ M_UNLINK, 2, "moved", 0, NULL, 0 },
	{ M_RMDIR, 0, "empty", 0, NULL, 0 },
};

static int run_row(struct store *s, const int dirs[3], const struct mrow *r)
{
	char data[8192];
	int fd, rc;

	switch (r->op) {
	case M_MKDIR: return store_mkdirat(s, dirs[r->da], r->a, (mode_t)r->arg);
	case M_CREATE:
		fd = store_openat(s, dirs[r->da], r->a, STORE_WRONLY | STORE_CREAT | STORE_EXCL,
				  (mode_t)r->arg);
		return fd < 0 ? fd : store_close(s, fd);
	case M_OPEN:
		fd = store_openat(s, dirs[r->da], r->a, STORE_RDONLY | STORE_NOFOLLOW, 0);
		return fd < 0 ? fd : store_close(s, fd);
	case M_WRITE:
	case M_TRUNC:
		fd = store_openat(s, dirs[r->da], r->a, STORE_RDWR, 0);
		if (fd < 0)
			return fd;
		memset(data, 'w', sizeof(data));
		rc = r->op == M_WRITE ? store_pwrite_full(s, fd, data, (size_t)r->arg, 100)
				      : store_ftruncate(s, fd, (uint64_t)r->arg);
		(void)store_close(s, fd);
		return rc;
	case M_UNLINK: return store_unlinkat(s, dirs[r->da], r->a, 0);
	case M_RMDIR: return store_unlinkat(s, dirs[r->da], r->a, STORE_AT_REMOVEDIR);
	case M_RENAME: return store_renameat(s, dirs[r->da], r->a, dirs[r->db], r->b, (int)r->arg);
	case M_LINK: return store_linkat(s, dirs[r->da], r->a, dirs[r->db], r->b);
	case M_SYMLINK: return store_symlinkat(s, r->b, dirs[r->da], r->a);
	case M_FIFO: return store_mknodat(s, dirs[r->da], r->a, S_IFIFO | (mode_t)r->arg, 0);
	case M_XSET:
		fd = store_openat(s, dirs[r->da], r->a, STORE_RDONLY, 0);
		if (fd < 0)
			return fd;
		rc = store_fsetxattr(s, fd, r->b, "v", 1, STORE_XATTR_CREATE);
		(void)store_close(s, fd);
		return rc;
	case M_CHMOD: return store_fchmodat(s, dirs[r->da], r->a, (mode_t)r->arg, 0);
	}
	return -EINVAL;
}

/* A one-line description of every name in the three directories. */
static void describe(struct store *s, const int dirs[3], char *out, size_t cap)
{
	static const char *const names[] = { "f", "d", "e", "hard", "sub", "sub2", "moved",
					     "ln", "p", "empty", "x" };
	struct stat st;
	size_t at = 0;

	out[0] = '\0';
	for (int d = 0; d < 3; d++) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (store_fstatat(s, dirs[d], names[i], &st, STORE_AT_NOFOLLOW) < 0)
				continue;
			at += (size_t)snprintf(out + at, cap - at, "%d/%s:%o:%lu:%lld ", d, names[i],
					       st.st_mode, (unsigned long)st.st_nlink,
					       S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
			if (at >= cap)
				return;
		}
	}
}

static int open_dirs(struct store *s, int root, int dirs[3])
{
	dirs[0] = root;
	if (store_mkdirat(s, root, "d", 0755) < 0 ||
	    (dirs[1] = store_openat(s, root, "d", STORE_RDONLY | STORE_DIRECTORY, 0)) < 0 ||
	    store_mkdirat(s, dirs[1], "e", 0755) < 0 ||
	    (dirs[2] = store_openat(s, dirs[1], "e", STORE_RDONLY | STORE_DIRECTORY, 0)) < 0)
		return -1;
	return 0;
}

TEST(store_mem_matches_posix_store)
{
	char *dir = test_temp_dir("memdiff");
	static char want[4096], got[4096];
	struct store *px = NULL, *mem = NULL;
	int proot, mroot, pd[3], md[3];
	mode_t old = umask(0);

	EXPECT(dir != NULL);
	if (!dir || store_posix_new(dir, &px, &proot) < 0 || store_mem_new(0, &mem, &mroot) < 0) {
		EXPECT(0);
		umask(old);
		test_rm_tree(dir);
		free(dir);
		return;
	}
	EXPECT(open_dirs(px, proot, pd) == 0 && open_dirs(mem, mroot, md) == 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int a = run_row(px, pd, &rows[i]), b = run_row(mem, md, &rows[i]);

		EXPECTF(a == b, "row %zu: posix %d, mem %d", i, a, b);
		describe(px, pd, want, sizeof(want));
		describe(mem, md, got, sizeof(got));
		EXPECTF(!strcmp(want, got), "row %zu:\n  posix %s\n  mem   %s", i, want, got);
	}
	for (int i = 2; i >= 0; i--) {
		(void)store_close(px, pd[i]);
		(void)store_close(mem, md[i]);
	}
	store_free(px);
	store_free(mem);
	umask(old);
	EXPECT(test_rm_tree(dir) == 0);
	free(dir);
}

TEST(store_mem_snapshot_is_deep_and_independent)
{
	struct store *s, *c;
	struct stat a, b;
	char buf[8];
	int root, croot, fd, keep;

	EXPECT(store_mem_new(0, &s, &root) == 0);
	EXPECT(store_mkdirat(s, root, "d", 0700) == 0);
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0 && store_pwrite_full(s, fd, "hello", 5, 0) == 0);
	EXPECT(store_fsetxattr(s, fd, "user.k", "val", 3, 0) == 0);
	EXPECT(store_linkat(s, root, "f", root, "g") == 0);
	/* an open file without a name is not part of a snapshot */
	keep = store_openat(s, root, "gone", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(keep >= 0 && store_pwrite_full(s, keep, "zzz", 3, 0) == 0);
	EXPECT(store_unlinkat(s, root, "gone", 0) == 0);
	EXPECT(store_mem_bytes(s) == 11);
	EXPECT(store_mem_snapshot(s, &c, &croot) == 0);
	EXPECT(store_mem_bytes(c) == 8);
	/* change the original: the copy keeps what it had */
	EXPECT(store_pwrite_full(s, fd, "HELLO", 5, 0) == 0);
	EXPECT(store_unlinkat(s, root, "g", 0) == 0);
	EXPECT(store_fstatat(c, croot, "f", &a, STORE_AT_NOFOLLOW) == 0);
	EXPECT(store_fstatat(c, croot, "g", &b, STORE_AT_NOFOLLOW) == 0);
	EXPECT(a.st_ino == b.st_ino && a.st_nlink == 2 && a.st_size == 5);
	EXPECT(store_fstatat(c, croot, "gone", &a, STORE_AT_NOFOLLOW) == -ENOENT);
	store_close(s, fd);
	fd = store_openat(c, croot, "g", STORE_RDWR, 0);
	EXPECT(fd >= 0 && store_pread_full(c, fd, buf, sizeof(buf), 0) == 5 &&
	       !memcmp(buf, "hello", 5));
	EXPECT(store_fgetxattr(c, fd, "user.k", buf, sizeof(buf)) == 3 && !memcmp(buf, "val", 3));
	/* a hard link in the copy is one object: a write through one name shows in the other */
	EXPECT(store_pwrite_full(c, fd, "J", 1, 0) == 0);
	store_close(c, fd);
	fd = store_openat(c, croot, "f", STORE_RDONLY, 0);
	EXPECT(fd >= 0 && store_pread_full(c, fd, buf, 1, 0) == 1 && buf[0] == 'J');
	store_close(c, fd);
	EXPECT(store_fstatat(c, croot, "d", &a, STORE_AT_NOFOLLOW) == 0 && S_ISDIR(a.st_mode) &&
	       (a.st_mode & 07777) == 0700);
	store_close(s, keep);
	EXPECT(store_mem_bytes(s) == 8); /* 5 + 3 (xattr); "gone" freed with its last handle */
	store_close(s, root);
	store_close(c, croot);
	store_free(s);
	store_free(c);
}

/* store_mem_set_contents(): by inode, inside a directory, through a hard link; refusals. */
TEST(store_mem_set_contents_by_inode)
{
	struct store *s;
	struct stat st, d;
	char buf[8];
	int root, fd;

	EXPECT(store_mem_new(16, &s, &root) == 0);
	EXPECT(store_mkdirat(s, root, "d", 0700) == 0);
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0 && store_pwrite_full(s, fd, "hello", 5, 0) == 0);
	EXPECT(store_fstat(s, fd, &st) == 0);
	EXPECT(store_close(s, fd) == 0);
	EXPECT(store_linkat(s, root, "f", root, "g") == 0);
	EXPECT(store_mem_set_contents(s, (uint64_t)st.st_ino, (const uint8_t *)"ab", 2) == 0);
	fd = store_openat(s, root, "g", STORE_RDONLY, 0);
	EXPECT(fd >= 0 && store_pread_full(s, fd, buf, sizeof(buf), 0) == 2 && !memcmp(buf, "ab", 2));
	EXPECT(store_close(s, fd) == 0);
	EXPECT(store_mem_bytes(s) == 2);
	EXPECT(store_fstatat(s, root, "d", &d, STORE_AT_NOFOLLOW) == 0);
	EXPECT(store_mem_set_contents(s, (uint64_t)d.st_ino, NULL, 0) == -EINVAL);
	EXPECT(store_mem_set_contents(s, 999999, NULL, 0) == -ENOENT);
	EXPECT(store_mem_set_contents(s, (uint64_t)st.st_ino, (const uint8_t *)buf, 17) == -ENOSPC);
	EXPECT(store_mem_set_contents(s, (uint64_t)st.st_ino, NULL, 0) == 0);
	EXPECT(store_mem_bytes(s) == 0);
	store_close(s, root);
	store_free(s);
}

TEST(store_mem_limits_and_errors)
{
	struct store *s;
	char buf[300];
	int root, fd;

	EXPECT(store_mem_new(10000, &s, &root) == 0);
	fd = store_openat(s, root, "f", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0);
	EXPECT(store_pwrite(s, fd, "x", 1, 9999) == 1);
	EXPECT(store_pwrite(s, fd, "x", 1, 10000) == -ENOSPC);
	EXPECT(store_ftruncate(s, fd, (uint64_t)STORE_MEM_FILE_MAX + 1) == -EFBIG);
	EXPECT(store_ftruncate(s, fd, 0) == 0 && store_mem_bytes(s) == 0);
	EXPECT(store_pread(s, root, buf, 1, 0) == -EISDIR);
	store_close(s, fd);
	fd = store_openat(s, root, "f", STORE_RDONLY, 0);
	EXPECT(store_pwrite(s, fd, "x", 1, 0) == -EBADF);
	store_close(s, fd);
	EXPECT(store_close(s, fd) == -EBADF);
	memset(buf, 'n', 256);
	buf[256] = '\0';
	EXPECT(store_mkdirat(s, root, buf, 0700) == -ENAMETOOLONG);
	EXPECT(store_mkdirat(s, root, "a/b", 0700) == -EINVAL);
	EXPECT(store_openat(s, root, "", STORE_RDONLY, 0) == -ENOENT);
	EXPECT(store_fgetxattr(s, root, "user.none", buf, sizeof(buf)) == -ENODATA);
	store_close(s, root);
	store_free(s);
}

/* A real vault (config, root IV) on the memory store, opened with its password. */
static int mem_vault(struct store **s, int *root)
{
	struct config c;
	uint8_t *master = secmem_alloc(MASTER_KEY_LEN), iv[DIRIV_LEN];
	int r;

	memset(&c, 0, sizeof(c));
	c.version = CONFIG_VERSION;
	c.cipher = CONFIG_CIPHER_AES256_GCM;
	c.kdf = CONFIG_KDF_ARGON2ID;
	c.block_size = CONFIG_BLOCK_SIZE;
	c.kdf_time = CONFIG_KDF_TIME_MIN;
	c.kdf_memory_kib = CONFIG_KDF_MEMORY_MIN_KIB;
	c.kdf_lanes = 1;
	if (!master)
		return -ENOMEM;
	if ((r = store_mem_new(0, s, root)) < 0)
		goto out;
	if ((r = random_bytes(c.vault_id, VAULT_ID_LEN)) < 0 ||
	    (r = random_bytes(master, MASTER_KEY_LEN)) < 0 ||
	    (r = keys_wrap(&c, master, "pw", 2)) < 0 || (r = config_file_save(*s, *root, &c)) < 0 ||
	    (r = random_bytes(iv, sizeof(iv))) < 0)
		goto out;
	r = store_write_atomic(*s, *root, NAMES_DIRIV_FILE, iv, sizeof(iv), 0444);
out:
	secmem_free(master);
	return r;
}

TEST(store_mem_carries_a_vault_and_its_snapshot)
{
	const struct vault_options o = { 0 };
	const struct vault_caller who = { 0, 0 };
	struct store *s = NULL, *c = NULL;
	struct vault *v = NULL;
	struct vnode *root, *d, *f;
	struct stat st;
	struct buf target;
	bool created = false;
	static uint8_t data[20000], back[20000];
	char longname[241];
	int rootfd, croot;

	memset(longname, 'q', 240);
	longname[240] = '\0';
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	EXPECT(mem_vault(&s, &rootfd) == 0);
	EXPECT(vault_open_store(s, rootfd, "pw", 2, &o, &v) == 0);
	if (!v)
		return;
	root = vault_root(v);
	EXPECT(vault_mkdir(v, root, "dir", 0755, &who, &d, &st) == 0);
	EXPECT(vault_create(v, d, longname, 0600, O_RDWR, &who, &f, &st, &created) == 0 && created);
	EXPECT(vault_write(v, f, data, sizeof(data), 0, false, NULL) == (ssize_t)sizeof(data));
	EXPECT(vault_setxattr(v, f, "user.x", "val", 3, 0) == 0);
	EXPECT(vault_fsync(v, f, false) == 0);
	EXPECT(vault_release_file(v, f) == 0);
	vnode_unref(v, f);
	EXPECT(vault_symlink(v, d, "ln", "../somewhere", &who, &f, &st) == 0);
	vnode_unref(v, f);
	vnode_unref(v, d);
	vnode_unref(v, root);
	/* a snapshot of the running vault's store opens as a vault of its own */
	EXPECT(store_mem_snapshot(s, &c, &croot) == 0);
	vault_close(v);
	v = NULL;
	EXPECT(vault_open_store(c, croot, "pw", 2, &o, &v) == 0);
	if (!v)
		return;
	root = vault_root(v);
	EXPECT(vault_lookup(v, root, "dir", &d, &st) == 0);
	EXPECT(vault_lookup(v, d, longname, &f, &st) == 0 && st.st_size == sizeof(data));
	EXPECT(vault_open_file(v, f, O_RDONLY) == 0);
	EXPECT(vault_read(v, f, back, sizeof(back), 0) == (ssize_t)sizeof(back));
	EXPECT_MEM(back, data, sizeof(data));
	EXPECT(vault_getxattr(v, f, "user.x", back, sizeof(back)) == 3 && !memcmp(back, "val", 3));
	EXPECT(vault_release_file(v, f) == 0);
	vnode_unref(v, f);
	EXPECT(vault_lookup(v, d, "ln", &f, &st) == 0);
	buf_init(&target);
	EXPECT(vault_readlink(v, f, &target) == 0 && target.len == 12 &&
	       !memcmp(target.data, "../somewhere", 12));
	buf_release(&target);
	vnode_unref(v, f);
	vnode_unref(v, d);
	vnode_unref(v, root);
	vault_close(v);
}

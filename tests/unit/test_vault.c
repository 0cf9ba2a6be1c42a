/*
 * Unit tests for the vault's names and metadata (vault.c, nodes.c, vault_names.c,
 * vault_dir.c, vault_readdir.c, vault_rename.c, vault_rmdir.c, vault_attr.c,
 * vault_xattr.c, vault_symlink.c), driven through the vault API on a real temp cipher
 * directory: open errors, lookup/readdir round trips incl. 255-byte names, renames,
 * rmdir, symlinks, xattrs, special files, setattr, plaintext-names mode, undecryptable
 * entries, and that no plaintext marker reaches the cipher directory.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "base/buf.h"
#include "base/clock.h"
#include "names/names.h"
#include "vault/vault.h"
#include "test.h"
#include "test_vault_util.h"

#define MARKER "ZQXMARKERQXZ"

/* A plaintext name of exactly len bytes made of c, starting with prefix. */
static void make_name(char *out, size_t len, const char *prefix, char c)
{
	size_t p = strlen(prefix);

	memset(out, c, len);
	memcpy(out, prefix, p);
	out[len] = '\0';
}

/* Is name in dir's listing (and how often)? */
static int listed(struct tv *t, struct vnode *dir, const char *name)
{
	struct vdir *d = NULL;
	const char *e;
	uint64_t ino;
	unsigned char type;
	size_t i;
	int hits = 0;

	if (vault_opendir(t->v, dir, &d) < 0)
		return -1;
	for (i = 0; vault_dir_entry(d, i, &e, &ino, &type); i++)
		hits += strcmp(e, name) == 0;
	vault_closedir(d);
	return hits;
}

/* Number of entries of a listing other than "." and "..". */
static int count_entries(struct tv *t, struct vnode *dir)
{
	struct vdir *d = NULL;
	const char *e;
	uint64_t ino;
	unsigned char type;
	size_t i;
	int n = 0;

	if (vault_opendir(t->v, dir, &d) < 0)
		return -1;
	for (i = 0; vault_dir_entry(d, i, &e, &ino, &type); i++)
		n += strcmp(e, ".") && strcmp(e, "..");
	vault_closedir(d);
	return n;
}

/* Entries of a lower directory (all names, reserved ones included). */
static int lower_count(struct tv *t, const char *sub)
{
	char path[1024];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", t->dir, sub);
	if (!(d = opendir(path)))
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* The lower name (in the root) of the only non-reserved root entry other than skip. */
static int lower_other(struct tv *t, const char *skip, char *out)
{
	struct dirent *e;
	DIR *d;
	int found = 0;

	if (!(d = opendir(t->dir)))
		return -1;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    !strncmp(e->d_name, NAMES_RESERVED_PREFIX, strlen(NAMES_RESERVED_PREFIX)) ||
		    !strcmp(e->d_name, skip))
			continue;
		found++;
		snprintf(out, 512, "%s", e->d_name);
	}
	closedir(d);
	return found == 1 ? 0 : -1;
}

TEST(vault_open_errors)
{
	struct vault_options o = { 0 };
	struct vault *v = NULL;
	struct tv t;

	EXPECT(vault_open("/nonexistent/veilfs", TV_PW, strlen(TV_PW), &o, &v) == -ENOENT);
	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_open(t.dir, "wrong", 5, &o, &v) == -EPERM && v == NULL);
	EXPECT(vault_open(t.dir, TV_PW, strlen(TV_PW), &o, &v) == 0);
	vault_close(v);
	v = NULL;
	EXPECT(vault_open("/tmp", TV_PW, strlen(TV_PW), &o, &v) == -ENOENT);
out:
	tv_free(&t);
}

TEST(vault_names_round_trip_and_long_names)
{
	static const size_t lens[] = { 1, 15, 16, 17, 100, 143, 176, 200, 254, 255 };
	char name[300], lower[512];
	struct vnode *n, *m;
	struct stat st;
	struct tv t;
	size_t i;
	int before;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	for (i = 0; i < ARRAY_SIZE(lens); i++) {
		make_name(name, lens[i], MARKER, 'n');
		n = tv_create(&t, t.root, name);
		if (!EXPECTF(n != NULL, "len %zu", lens[i]))
			continue;
		EXPECTF(vault_write(t.v, n, name, lens[i], 0, false, NULL) == (ssize_t)lens[i],
			"len %zu", lens[i]);
		tv_close(&t, n);
		EXPECTF(vault_lookup(t.v, t.root, name, &m, &st) == 0 && st.st_size == (off_t)lens[i],
			"len %zu", lens[i]);
		vnode_unref(t.v, m);
		EXPECTF(listed(&t, t.root, name) == 1, "len %zu", lens[i]);
	}
	EXPECT(count_entries(&t, t.root) == (int)ARRAY_SIZE(lens));
	make_name(name, 256, "x", 'n');
	EXPECT(vault_lookup(t.v, t.root, name, &m, &st) == -ENAMETOOLONG);
	EXPECT(vault_lookup(t.v, t.root, "..", &m, &st) == -EINVAL);
	EXPECT(vault_lookup(t.v, t.root, "missing", &m, &st) == -ENOENT);
	/* long names: entry + side file; unlink removes both */
	before = lower_count(&t, "");
	make_name(name, 255, MARKER, 'n');
	EXPECT(vault_unlink(t.v, t.root, name) == 0);
	EXPECT(lower_count(&t, "") == before - 2);
	make_name(name, 1, MARKER, 'n');
	EXPECT(vault_unlink(t.v, t.root, name) == 0);
	EXPECT(lower_count(&t, "") == before - 3);
	EXPECT(tv_scan_marker(t.dir, MARKER) == 0);
	EXPECT(tv_scan_marker(t.dir, "nnnnnnnnnnnnnnnnn") == 0);
	(void)lower;
out:
	tv_free(&t);
}

TEST(vault_dirs_rename_rmdir)
{
	char longname[300], longname2[300], la[512] = "", lb[512] = "", fa[512], fb[512];
	struct vnode *a = NULL, *b = NULL, *n, *m = NULL;
	struct stat st;
	struct tv t;
	uint8_t buf[16];

	make_name(longname, 255, "L1", 'l');
	make_name(longname2, 250, "L2", 'k');
	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_mkdir(t.v, t.root, "a", 0755, &t.who, &a, &st) == 0 && S_ISDIR(st.st_mode));
	EXPECT(tv_only_lower(&t, "", la) == 0);
	EXPECT(vault_mkdir(t.v, t.root, "b", 0700, &t.who, &b, &st) == 0 &&
	       (st.st_mode & 07777) == 0700);
	if (!a || !b)
		goto out;
	EXPECT(lower_other(&t, la, lb) == 0);
	n = tv_create(&t, a, "file");
	EXPECT(n && vault_write(t.v, n, "content", 7, 0, false, NULL) == 7);
	tv_close(&t, n);
	/* equal names in different dirs encrypt differently */
	n = tv_create(&t, b, "file");
	tv_close(&t, n);
	EXPECT(tv_only_lower(&t, la, fa) == 0 && tv_only_lower(&t, lb, fb) == 0);
	EXPECT(strcmp(fa + strlen(la), fb + strlen(lb)) != 0);
	EXPECT(vault_unlink(t.v, b, "file") == 0);
	/* short -> long across dirs, long -> long, long -> short */
	EXPECT(vault_rename(t.v, a, "file", b, longname, 0) == 0);
	EXPECT(listed(&t, a, "file") == 0 && listed(&t, b, longname) == 1);
	EXPECT(vault_rename(t.v, b, longname, b, longname2, 0) == 0);
	EXPECT(vault_rename(t.v, b, longname2, a, "back", 0) == 0);
	/* the root: veilfs.conf, veilfs.diriv, a and b; b: only its veilfs.diriv (no side files) */
	EXPECT_EQ(lower_count(&t, ""), 4);
	EXPECT_EQ(lower_count(&t, lb), 1);
	EXPECT(count_entries(&t, b) == 0);
	EXPECT(vault_lookup(t.v, a, "back", &m, &st) == 0 && st.st_size == 7);
	if (m) {
		EXPECT(vault_read(t.v, m, buf, sizeof(buf), 0) == 7 && !memcmp(buf, "content", 7));
		vnode_unref(t.v, m);
	}
	/* b holds only its IV again: no side files left behind */
	vnode_unref(t.v, b);
	b = NULL;
	EXPECT(vault_lookup(t.v, t.root, "b", &b, &st) == 0);
	/* NOREPLACE, EXCHANGE, replace */
	n = tv_create(&t, a, "other");
	EXPECT(n && vault_write(t.v, n, "OTHER", 5, 0, false, NULL) == 5);
	tv_close(&t, n);
	EXPECT(vault_rename(t.v, a, "back", a, "other", VAULT_RENAME_NOREPLACE) == -EEXIST);
	EXPECT(vault_rename(t.v, a, "back", a, "other", VAULT_RENAME_EXCHANGE) == 0);
	EXPECT(vault_lookup(t.v, a, "other", &m, &st) == 0 && st.st_size == 7);
	vnode_unref(t.v, m);
	EXPECT(vault_rename(t.v, a, "back", a, "other", 0) == 0);
	EXPECT(vault_lookup(t.v, a, "other", &m, &st) == 0 && st.st_size == 5);
	vnode_unref(t.v, m);
	EXPECT(count_entries(&t, a) == 1);
	/* move a directory: its contents stay readable */
	EXPECT(vault_rename(t.v, t.root, "a", b, longname, 0) == 0);
	vnode_unref(t.v, a);
	a = NULL;
	EXPECT(vault_lookup(t.v, b, longname, &a, &st) == 0 && S_ISDIR(st.st_mode));
	EXPECT(a && vault_lookup(t.v, a, "other", &m, &st) == 0 && st.st_size == 5);
	vnode_unref(t.v, m);
	/* rmdir */
	EXPECT(vault_rmdir(t.v, b, longname) == -ENOTEMPTY);
	EXPECT(vault_unlink(t.v, a, "other") == 0);
	EXPECT(vault_rmdir(t.v, t.root, "b") == -ENOTEMPTY);
	EXPECT(vault_rmdir(t.v, b, longname) == 0);
	EXPECT(vault_rmdir(t.v, t.root, "b") == 0);
	EXPECT(vault_rmdir(t.v, t.root, "b") == -ENOENT);
	EXPECT(lower_count(&t, "") == 2); /* veilfs.conf + veilfs.diriv */
out:
	vnode_unref(t.v, a);
	vnode_unref(t.v, b);
	tv_free(&t);
}

TEST(vault_rename_dir_over_dir)
{
	struct vnode *src = NULL, *empty = NULL, *full = NULL, *n, *m = NULL;
	struct stat st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_mkdir(t.v, t.root, "src", 0755, &t.who, &src, &st) == 0);
	EXPECT(vault_mkdir(t.v, t.root, "empty", 0755, &t.who, &empty, &st) == 0);
	EXPECT(vault_mkdir(t.v, t.root, "full", 0755, &t.who, &full, &st) == 0);
	if (!src || !full)
		goto out;
	n = tv_create(&t, src, "inside");
	tv_close(&t, n);
	n = tv_create(&t, full, "occupant");
	tv_close(&t, n);
	EXPECT(vault_rename(t.v, t.root, "src", t.root, "full", 0) == -ENOTEMPTY);
	/* the refused target keeps its IV: its entries still decrypt */
	EXPECT(listed(&t, full, "occupant") == 1);
	EXPECT(vault_rename(t.v, t.root, "src", t.root, "empty", 0) == 0);
	EXPECT(vault_lookup(t.v, t.root, "empty", &m, &st) == 0 && m == src);
	EXPECT(listed(&t, src, "inside") == 1);
	EXPECT(count_entries(&t, t.root) == 2);
	vnode_unref(t.v, m);
out:
	vnode_unref(t.v, src);
	vnode_unref(t.v, empty);
	vnode_unref(t.v, full);
	tv_free(&t);
}

TEST(vault_readdir_types_and_bad_entries)
{
	struct vnode *d = NULL, *n = NULL;
	struct vdir *vd = NULL;
	const char *e;
	uint64_t ino;
	unsigned char type;
	struct stat st;
	char path[512];
	struct tv t;
	size_t i;
	int fd, seen = 0;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_mkdir(t.v, t.root, "dir", 0755, &t.who, &d, &st) == 0);
	n = tv_create(&t, t.root, "file");
	tv_close(&t, n);
	EXPECT(vault_symlink(t.v, t.root, "link", "target", &t.who, &n, &st) == 0);
	vnode_unref(t.v, n);
	EXPECT(vault_mknod(t.v, t.root, "fifo", S_IFIFO | 0600, 0, &t.who, &n, &st) == 0 &&
	       S_ISFIFO(st.st_mode));
	vnode_unref(t.v, n);
	/* a lower name that is not a valid encrypted name is left out and logged */
	snprintf(path, sizeof(path), "%s/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", t.dir);
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	EXPECT(fd >= 0);
	close(fd);
	tv_log_capture(true);
	EXPECT(vault_opendir(t.v, t.root, &vd) == 0);
	for (i = 0; vd && vault_dir_entry(vd, i, &e, &ino, &type); i++) {
		if (!strcmp(e, "dir"))
			seen += EXPECT(type == DT_DIR && ino == vnode_ino(d));
		else if (!strcmp(e, "file"))
			seen += EXPECT(type == DT_REG);
		else if (!strcmp(e, "link"))
			seen += EXPECT(type == DT_LNK);
		else if (!strcmp(e, "fifo"))
			seen += EXPECT(type == DT_FIFO);
		else
			EXPECTF(!strcmp(e, ".") || !strcmp(e, ".."), "unexpected '%s'", e);
	}
	EXPECT(seen == 4);
	vault_closedir(vd);
	EXPECTF(strstr(tv_log_last(), "AAAAAAAA") != NULL, "log: %s", tv_log_last());
	tv_log_capture(false);
	n = tv_create(&t, d, "plain");
	EXPECT(n && vault_opendir(t.v, n, &vd) == -ENOTDIR);
	tv_close(&t, n);
out:
	vnode_unref(t.v, d);
	tv_free(&t);
}

/* Device nodes: the lower object is a device node of the same number under an encrypted name. */
TEST(vault_mknod_devices)
{
	struct vnode *n = NULL;
	struct stat st, lst;
	struct dirent *de;
	struct tv t;
	DIR *dir;
	int found = 0, r;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		return;
	r = vault_mknod(t.v, t.root, "chr", S_IFCHR | 0640, makedev(1, 3), &t.who, &n, &st);
	if (geteuid() != 0) {
		EXPECT(r == -EPERM && !n); /* the lower file system's answer for a non-root daemon */
	} else {
		EXPECT(r == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3) &&
		       (st.st_mode & 07777) == 0640);
		vnode_unref(t.v, n);
		n = NULL;
		EXPECT(vault_mknod(t.v, t.root, "blk", S_IFBLK | 0600, makedev(7, 9), &t.who, &n,
				   &st) == 0 && S_ISBLK(st.st_mode));
		vnode_unref(t.v, n);
		n = NULL;
		EXPECT(vault_lookup(t.v, t.root, "chr", &n, &st) == 0 && S_ISCHR(st.st_mode) &&
		       st.st_rdev == makedev(1, 3));
		vnode_unref(t.v, n);
		n = NULL;
		dir = opendir(t.dir);
		while (dir && (de = readdir(dir))) {
			char path[600];

			snprintf(path, sizeof(path), "%s/%s", t.dir, de->d_name);
			if (lstat(path, &lst) == 0 && S_ISCHR(lst.st_mode)) {
				found++;
				EXPECTF(strcmp(de->d_name, "chr") && lst.st_rdev == makedev(1, 3),
					"lower device '%s'", de->d_name);
			}
		}
		if (dir)
			closedir(dir);
		EXPECT(found == 1);
		EXPECT(vault_unlink(t.v, t.root, "chr") == 0 && vault_unlink(t.v, t.root, "blk") == 0);
	}
	/* a type mknod does not make */
	EXPECT(vault_mknod(t.v, t.root, "d", S_IFDIR | 0700, 0, &t.who, &n, &st) == -EINVAL && !n);
	tv_free(&t);
}

TEST(vault_long_name_side_file_checked)
{
	char name[300], side[600], path[1200];
	struct vnode *n;
	struct stat st;
	struct tv t;
	int fd;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	make_name(name, 240, "side", 's');
	n = tv_create(&t, t.root, name);
	tv_close(&t, n);
	EXPECT(listed(&t, t.root, name) == 1);
	/* the side file is the one reserved name ending in ".name" */
	{
		DIR *d = opendir(t.dir);
		struct dirent *e;

		side[0] = '\0';
		while (d && (e = readdir(d)))
			if (strstr(e->d_name, ".name"))
				snprintf(side, sizeof(side), "%s", e->d_name);
		if (d)
			closedir(d);
	}
	EXPECT(strncmp(side, "veilfs.lname.", 13) == 0);
	snprintf(path, sizeof(path), "%s/%s", t.dir, side);
	fd = open(path, O_RDWR);
	{
		char c = 0;

		EXPECT(fd >= 0 && pread(fd, &c, 1, 5) == 1);
		c = c == 'A' ? 'B' : 'A';
		EXPECT(pwrite(fd, &c, 1, 5) == 1);
	}
	close(fd);
	tv_log_capture(true);
	EXPECT(listed(&t, t.root, name) == 0);
	EXPECTF(strstr(tv_log_last(), "veilfs.lname.") != NULL, "log: %s", tv_log_last());
	tv_log_capture(false);
	/* lookup by name needs no side file: the entry name is the hash */
	EXPECT(vault_lookup(t.v, t.root, name, &n, &st) == 0);
	vnode_unref(t.v, n);
out:
	tv_free(&t);
}

TEST(vault_symlinks)
{
	static const char target[] = "../some/where/" MARKER "/x";
	struct vnode *n = NULL;
	struct stat st;
	struct buf out;
	struct tv t;

	buf_init(&out);
	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_symlink(t.v, t.root, "sl", target, &t.who, &n, &st) == 0);
	EXPECT(S_ISLNK(st.st_mode) && st.st_size == (off_t)strlen(target));
	EXPECT(n && vault_readlink(t.v, n, &out) == 0 && !strcmp((char *)out.data, target));
	EXPECT(n && vault_getattr(t.v, n, &st) == 0 && st.st_size == (off_t)strlen(target));
	EXPECT(n && vault_open_file(t.v, n, O_RDONLY) == -EINVAL);
	EXPECT(vault_readlink(t.v, t.root, &out) == -EINVAL);
	EXPECT(tv_scan_marker(t.dir, MARKER) == 0);
	EXPECT(tv_scan_marker(t.dir, "some/where") == 0);
	vnode_unref(t.v, n);
out:
	buf_release(&out);
	tv_free(&t);
}

TEST(vault_xattrs)
{
	char list[512], val[64], big[200];
	struct vnode *n = NULL, *d = NULL;
	struct stat st;
	struct tv t;
	ssize_t len;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	n = tv_create(&t, t.root, "x");
	if (!EXPECT(n != NULL))
		goto out;
	EXPECT(vault_setxattr(t.v, n, "user." MARKER, "value-" MARKER, 18, 0) == 0);
	EXPECT(vault_setxattr(t.v, n, "user.b", "", 0, 0) == 0);
	EXPECT(vault_setxattr(t.v, n, "user.b", "2", 1, VAULT_XATTR_CREATE) == -EEXIST);
	EXPECT(vault_setxattr(t.v, n, "user.c", "2", 1, VAULT_XATTR_REPLACE) == -ENODATA);
	EXPECT(vault_setxattr(t.v, n, "security.x", "2", 1, 0) == -EOPNOTSUPP);
	EXPECT(vault_setxattr(t.v, n, "trusted.x", "2", 1, 0) == 0);
	EXPECT(vault_getxattr(t.v, n, "trusted.x", val, sizeof(val)) == 1 && val[0] == '2');
	EXPECT(vault_setxattr(t.v, n, "trusted.", "2", 1, 0) == -EINVAL);
	EXPECT(vault_setxattr(t.v, n, VAULT_ACL_ACCESS, "junk", 4, 0) == -EINVAL);
	EXPECT(vault_getxattr(t.v, n, "security.selinux", val, sizeof(val)) == -EOPNOTSUPP);
	make_name(big, 160, "user.", 'b');
	EXPECT(vault_setxattr(t.v, n, big, "v", 1, 0) == -ERANGE);
	make_name(big, 159, "user.", 'b');
	EXPECT(vault_setxattr(t.v, n, big, "v", 1, 0) == 0);
	EXPECT(vault_getxattr(t.v, n, "user." MARKER, NULL, 0) == 18);
	EXPECT(vault_getxattr(t.v, n, "user." MARKER, val, 5) == -ERANGE);
	EXPECT(vault_getxattr(t.v, n, "user." MARKER, val, sizeof(val)) == 18 &&
	       !memcmp(val, "value-" MARKER, 18));
	EXPECT(vault_getxattr(t.v, n, "user.b", val, sizeof(val)) == 0);
	EXPECT(vault_getxattr(t.v, n, "user.none", val, sizeof(val)) == -ENODATA);
	len = vault_listxattr(t.v, n, NULL, 0);
	EXPECT(len == (ssize_t)(strlen("user." MARKER) + 1 + strlen("user.b") + 1 + 160 +
				strlen("trusted.x") + 1));
	EXPECT(vault_listxattr(t.v, n, list, 10) == -ERANGE);
	EXPECT(vault_listxattr(t.v, n, list, sizeof(list)) == len);
	EXPECT(memmem(list, (size_t)len, "user." MARKER, strlen("user." MARKER) + 1) != NULL);
	EXPECT(memmem(list, (size_t)len, "user.b", 7) != NULL);
	EXPECT(vault_removexattr(t.v, n, "user.b") == 0);
	EXPECT(vault_removexattr(t.v, n, "user.b") == -ENODATA);
	EXPECT(vault_listxattr(t.v, n, NULL, 0) == len - 7);
	/* directories carry xattrs too */
	EXPECT(vault_mkdir(t.v, t.root, "d", 0755, &t.who, &d, &st) == 0);
	EXPECT(d && vault_setxattr(t.v, d, "user.dir", "dv", 2, 0) == 0);
	EXPECT(d && vault_getxattr(t.v, d, "user.dir", val, sizeof(val)) == 2);
	EXPECT(tv_scan_marker(t.dir, MARKER) == 0);
	tv_close(&t, n);
	vnode_unref(t.v, d);
out:
	tv_free(&t);
}

TEST(vault_setattr_and_owner)
{
	struct vnode *n = NULL, *d = NULL, *sub = NULL;
	struct stat in, st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	n = tv_create(&t, t.root, "f");
	if (!EXPECT(n != NULL))
		goto out;
	EXPECT(vault_write(t.v, n, "0123456789", 10, 0, false, NULL) == 10);
	memset(&in, 0, sizeof(in));
	in.st_mode = 0640;
	in.st_size = 4;
	in.st_mtim.tv_sec = 1000000000;
	in.st_mtim.tv_nsec = 123456789;
	EXPECT(vault_setattr(t.v, n, &in, VAULT_SET_MODE | VAULT_SET_SIZE | VAULT_SET_MTIME,
			     &st) == 0);
	EXPECT((st.st_mode & 07777) == 0640 && st.st_size == 4);
	EXPECT(st.st_mtim.tv_sec == 1000000000 && st.st_mtim.tv_nsec == 123456789);
	/* after a rename into another directory, chmod still finds the file */
	{
		struct vnode *dd = NULL;

		EXPECT(vault_mkdir(t.v, t.root, "dd", 0755, &t.who, &dd, &st) == 0);
		EXPECT(dd && vault_rename(t.v, t.root, "f", dd, "moved", 0) == 0);
		in.st_mode = 0604;
		EXPECT(vault_setattr(t.v, n, &in, VAULT_SET_MODE, &st) == 0 &&
		       (st.st_mode & 07777) == 0604);
		EXPECT(dd && vault_rename(t.v, dd, "moved", t.root, "f", 0) == 0);
		vnode_unref(t.v, dd);
	}
	in.st_uid = 4242;
	in.st_gid = 4343;
	EXPECT(vault_setattr(t.v, n, &in, VAULT_SET_UID | VAULT_SET_GID, &st) == 0);
	EXPECT(st.st_uid == 4242 && st.st_gid == 4343);
	/* setgid directories hand their group and the bit on */
	EXPECT(vault_mkdir(t.v, t.root, "sg", 02775, &t.who, &d, &st) == 0);
	EXPECT((st.st_mode & 07777) == 02775);
	in.st_gid = 4343;
	EXPECT(d && vault_setattr(t.v, d, &in, VAULT_SET_GID, &st) == 0);
	EXPECT(d && vault_mkdir(t.v, d, "child", 0755, &t.who, &sub, &st) == 0);
	EXPECT((st.st_mode & S_ISGID) && st.st_gid == 4343);
	tv_close(&t, n);
	vnode_unref(t.v, sub);
	vnode_unref(t.v, d);
out:
	tv_free(&t);
}

/* Wait until the clock is 50 ms past t, so that the coarse clock (one tick behind at
 * most) that stamps ctimes is past it too (false after 10 s). */
static bool clock_past(const struct timespec *t)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	struct timespec now;
	long long want = (long long)t->tv_sec * 1000000000LL + t->tv_nsec + 50000000LL;

	for (int i = 0; i < 2000; i++) {
		clock_gettime(CLOCK_REALTIME, &now);
		if ((long long)now.tv_sec * 1000000000LL + now.tv_nsec > want)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}

static bool ts_after(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec > b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec > b->tv_nsec);
}

/* VAULT_SET_CTIME alone (chown(f, -1, -1)) moves the ctime and nothing else */
TEST(vault_setattr_ctime_only)
{
	struct vnode *d = NULL;
	struct stat in, before, st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_mkdir(t.v, t.root, "d", 0750, &t.who, &d, &before) == 0);
	if (d && EXPECT(clock_past(&before.st_ctim))) {
		memset(&in, 0, sizeof(in));
		EXPECT(vault_setattr(t.v, d, &in, VAULT_SET_CTIME, &st) == 0);
		EXPECT(ts_after(&st.st_ctim, &before.st_ctim));
		EXPECT((st.st_mode & 07777) == 0750 && st.st_uid == before.st_uid &&
		       st.st_gid == before.st_gid);
		EXPECT(st.st_mtim.tv_sec == before.st_mtim.tv_sec &&
		       st.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
	}
	EXPECT(d != NULL);
	vnode_unref(t.v, d);
out:
	tv_free(&t);
}

TEST(vault_access_atime_rules)
{
	struct vnode *n = NULL;
	struct stat in, st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	n = tv_create(&t, t.root, "f");
	if (!EXPECT(n != NULL))
		goto out;
	memset(&in, 0, sizeof(in));
	in.st_atim.tv_sec = 1000000000; /* older than mtime (now) */
	EXPECT(vault_setattr(t.v, n, &in, VAULT_SET_ATIME, &st) == 0);
	EXPECT(vault_access(t.v, n, VAULT_ATIME_NOATIME) == 0);
	EXPECT(vault_getattr(t.v, n, &st) == 0 && st.st_atim.tv_sec == 1000000000);
	EXPECT(vault_access(t.v, n, VAULT_ATIME_RELATIME) == 1);
	EXPECT(vault_getattr(t.v, n, &st) == 0 && st.st_atim.tv_sec > 1000000000);
	/* its own update (ctime = atime) calls for no other; strictatime always updates */
	EXPECT(vault_access(t.v, n, VAULT_ATIME_RELATIME) == 0);
	EXPECT(vault_access(t.v, n, VAULT_ATIME_STRICT) == 1);
	tv_close(&t, n);
out:
	tv_free(&t);
}

/* Linux xattr ACL: version 2, then (tag, perm, id) entries, little-endian. */
static size_t acl_make(uint8_t *out, const unsigned (*e)[3], size_t n)
{
	size_t i;

	memcpy(out, "\x02\0\0\0", 4);
	for (i = 0; i < n; i++) {
		uint8_t *p = out + 4 + 8 * i;

		p[0] = (uint8_t)e[i][0];
		p[1] = 0;
		p[2] = (uint8_t)e[i][1];
		p[3] = 0;
		p[4] = (uint8_t)e[i][2];
		p[5] = (uint8_t)(e[i][2] >> 8);
		p[6] = (uint8_t)(e[i][2] >> 16);
		p[7] = (uint8_t)(e[i][2] >> 24);
	}
	return 4 + 8 * n;
}

TEST(vault_posix_acls)
{
	static const unsigned ext[][3] = {
	    {1, 7, ~0u}, {2, 4, 1234}, {4, 5, ~0u}, {0x10, 6, ~0u}, {0x20, 1, ~0u}};
	static const unsigned bad[][3] = {{1, 7, ~0u}, {2, 4, 1234}, {4, 5, ~0u}, {0x20, 1, ~0u}};
	struct vnode *n = NULL, *d = NULL;
	struct vault_acl_new na;
	uint8_t acl[64], got[64];
	struct stat in, st;
	mode_t mode;
	size_t len;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	n = tv_create(&t, t.root, "f");
	if (!EXPECT(n != NULL))
		goto out;
	len = acl_make(acl, bad, 4); /* a named entry without a mask */
	EXPECT(vault_setxattr(t.v, n, VAULT_ACL_ACCESS, acl, len, 0) == -EINVAL);
	len = acl_make(acl, ext, 5);
	EXPECT(vault_setxattr(t.v, n, VAULT_ACL_ACCESS, acl, len, 0) == 0);
	EXPECT(vault_getattr(t.v, n, &st) == 0 && (st.st_mode & 0777) == 0761);
	memset(&in, 0, sizeof(in));
	in.st_mode = 0604;
	EXPECT(vault_setattr(t.v, n, &in, VAULT_SET_MODE, &st) == 0);
	EXPECT(vault_getxattr(t.v, n, VAULT_ACL_ACCESS, got, sizeof(got)) == (ssize_t)len);
	/* owner rw-, mask --- (the group bits), other r--; named user and group untouched */
	EXPECT(got[4 + 2] == 6 && got[12 + 2] == 4 && got[20 + 2] == 5 && got[28 + 2] == 0 &&
	       got[36 + 2] == 4);
	/* a directory with a default ACL hands it on, masked by the create mode */
	EXPECT(vault_mkdir(t.v, t.root, "d", 0755, &t.who, &d, &st) == 0);
	len = acl_make(acl, ext, 5);
	EXPECT(d && vault_setxattr(t.v, n, VAULT_ACL_DEFAULT, acl, len, 0) == -EACCES);
	mode = 0666;
	EXPECT(d && vault_acl_inherit(t.v, d, S_IFREG, &mode, 022, &na) == 0);
	EXPECT(mode == 0644 && na.access.len == 0 && na.dflt.len == 0); /* none yet: umask */
	vault_acl_new_release(&na);
	EXPECT(d && vault_setxattr(t.v, d, VAULT_ACL_DEFAULT, acl, len, 0) == 0);
	mode = 0644;
	EXPECT(d && vault_acl_inherit(t.v, d, S_IFDIR, &mode, 022, &na) == 0);
	/* owner 7&6, mask 6&4 = 4, other 1&4 = 0: mode 0640; both ACLs handed on */
	EXPECT(mode == 0640 && na.access.len == len && na.dflt.len == len);
	EXPECT(na.access.len == len && na.access.data[4 + 2] == 6 && na.access.data[28 + 2] == 4 &&
	       na.access.data[36 + 2] == 0);
	vault_acl_new_release(&na);
	tv_close(&t, n);
	vnode_unref(t.v, d);
out:
	tv_free(&t);
}

TEST(vault_apply_owner)
{
	struct vault_options o = { .apply_owner = true };
	struct vault_caller who = { 1234, 5678 };
	struct vnode *n = NULL, *d = NULL;
	struct vault *v = NULL;
	struct stat st, in;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	if (geteuid() != 0) {
		EXPECTF(false, "needs root to chown");
		goto out;
	}
	if (!EXPECT(vault_open(t.dir, TV_PW, strlen(TV_PW), &o, &v) == 0))
		goto out;
	{
		struct vnode *root = vault_root(v);

		bool created = false;

		EXPECT(vault_create(v, root, "mine", 0644, O_RDWR, &who, &n, &st, &created) == 0);
		EXPECT(created);
		EXPECT(st.st_uid == 1234 && st.st_gid == 5678);
		EXPECT(vault_mkdir(v, root, "sgid", 02755, &who, &d, &st) == 0);
		memset(&in, 0, sizeof(in));
		in.st_gid = 999;
		EXPECT(d && vault_setattr(v, d, &in, VAULT_SET_GID, &st) == 0);
		if (n) {
			EXPECT(vault_release_file(v, n) == 0);
			vnode_unref(v, n);
			n = NULL;
		}
		EXPECT(d && vault_mknod(v, d, "f", S_IFREG | 0600, 0, &who, &n, &st) == 0);
		EXPECT(st.st_uid == 1234 && st.st_gid == 999);
		vnode_unref(v, n);
		vnode_unref(v, d);
		vnode_unref(v, root);
	}
	vault_close(v);
out:
	tv_free(&t);
}

TEST(vault_plaintext_names_mode)
{
	struct tv_params p = { .plaintext_names = true };
	struct vnode *n = NULL, *d = NULL;
	struct stat st;
	char path[512];
	struct tv t;

	if (!EXPECT(tv_make(&t, &p) == 0))
		goto out;
	n = tv_create(&t, t.root, "plain.txt");
	EXPECT(n != NULL);
	tv_close(&t, n);
	snprintf(path, sizeof(path), "%s/plain.txt", t.dir);
	EXPECT(access(path, F_OK) == 0);
	EXPECT(vault_create(t.v, t.root, "veilfs.conf", 0644, O_RDWR, &t.who, &n, &st, NULL) == -EPERM);
	EXPECT(vault_lookup(t.v, t.root, "veilfs.conf", &n, &st) == -ENOENT);
	EXPECT(listed(&t, t.root, "veilfs.conf") == 0);
	EXPECT(vault_mkdir(t.v, t.root, "sub", 0755, &t.who, &d, &st) == 0);
	snprintf(path, sizeof(path), "%s/sub/veilfs.diriv", t.dir);
	EXPECT(access(path, F_OK) < 0);
	n = d ? tv_create(&t, d, "veilfs.ok-below-root") : NULL;
	EXPECT(n != NULL);
	tv_close(&t, n);
	EXPECT(d && listed(&t, d, "veilfs.ok-below-root") == 1);
	EXPECT(vault_unlink(t.v, d, "veilfs.ok-below-root") == 0);
	EXPECT(vault_rmdir(t.v, t.root, "sub") == 0);
	vnode_unref(t.v, d);
out:
	tv_free(&t);
}

TEST(vault_nodes_shared_and_stable)
{
	struct vnode *a = NULL, *b = NULL, *root2;
	struct stat st1, st2;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	a = tv_create(&t, t.root, "same");
	EXPECT(a && vault_lookup(t.v, t.root, "same", &b, &st1) == 0 && a == b);
	EXPECT(a && vault_getattr(t.v, a, &st2) == 0 && st1.st_ino == st2.st_ino);
	EXPECT(a && vnode_ino(a) == (uint64_t)st1.st_ino && vnode_type(a) == S_IFREG);
	root2 = vault_root(t.v);
	EXPECT(root2 == t.root && vnode_type(root2) == S_IFDIR);
	vnode_unref(t.v, root2);
	EXPECT(vault_statfs(t.v, &(struct statvfs){ 0 }) == 0);
	vnode_unref(t.v, b);
	tv_close(&t, a);
out:
	tv_free(&t);
}

TEST(vault_no_plaintext_below)
{
	static const char content[] = "file content " MARKER " end";
	struct vnode *d = NULL, *n = NULL, *l = NULL;
	char name[300];
	struct stat st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_mkdir(t.v, t.root, "dir-" MARKER, 0755, &t.who, &d, &st) == 0);
	make_name(name, 255, "long-" MARKER, 'z');
	n = d ? tv_create(&t, d, name) : NULL;
	EXPECT(n && vault_write(t.v, n, content, sizeof(content), 5000, false, NULL) ==
			    (ssize_t)sizeof(content));
	EXPECT(n && vault_setxattr(t.v, n, "user.x-" MARKER, MARKER, strlen(MARKER), 0) == 0);
	EXPECT(d && vault_symlink(t.v, d, "ln-" MARKER, "/target/" MARKER, &t.who, &l, &st) == 0);
	EXPECT(vault_fsync(t.v, n, false) == 0);
	EXPECT(tv_scan_marker(t.dir, MARKER) == 0);
	/* the scanner itself finds a marker it should */
	EXPECT(vault_lookup(t.v, t.root, "dir-" MARKER, &d, &st) == 0);
	{
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/control", t.dir);
		fd = open(path, O_CREAT | O_WRONLY, 0600);
		EXPECT(fd >= 0 && write(fd, MARKER, strlen(MARKER)) == (ssize_t)strlen(MARKER));
		close(fd);
		EXPECT(tv_scan_marker(t.dir, MARKER) == 1);
	}
	vnode_unref(t.v, d);
	vnode_unref(t.v, d);
	vnode_unref(t.v, l);
	tv_close(&t, n);
out:
	tv_free(&t);
}

struct hidden_arg {
	char path[700];
	unsigned delay_ms;
};

static void *remove_later(void *p)
{
	struct hidden_arg *h = p;

	clock_sleep_ms(h->delay_ms);
	unlink(h->path);
	return NULL;
}

/* Create an empty lower file at path; 0 or -1. */
static int touch_lower(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0600);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * A lower client's hidden leftover (sshfs's ".fuse_hidden<N>" of a file unlinked while
 * still open below) in an otherwise empty directory: rmdir waits for it to go; one that
 * stays is removed (libfuse can miss it at the last close). Beside a real entry it is
 * left alone: ENOTEMPTY, and the directory keeps its IV.
 */
TEST(vault_rmdir_clears_lower_hidden_leftovers)
{
	struct hidden_arg h = { "", 150 };
	struct vnode *d = NULL;
	char lower[512], other[600];
	struct stat st;
	pthread_t th;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		return;
	EXPECT(vault_mkdir(t.v, t.root, "d", 0755, &t.who, &d, &st) == 0);
	vnode_unref(t.v, d);
	if (!EXPECT(tv_only_lower(&t, "", lower) == 0))
		goto out;
	snprintf(h.path, sizeof(h.path), "%s/%s/.fuse_hidden0000000100000001", t.dir, lower);
	snprintf(other, sizeof(other), "%s/%s/AAAAAAAAAAAAAAAAAAAAAA", t.dir, lower);
	/* beside an entry: not empty, the leftover stays, the directory keeps its IV */
	EXPECT(touch_lower(h.path) == 0 && touch_lower(other) == 0);
	EXPECT(vault_rmdir(t.v, t.root, "d") == -ENOTEMPTY);
	EXPECT(listed(&t, t.root, "d") == 1);
	EXPECT(access(h.path, F_OK) == 0);
	EXPECT(unlink(other) == 0);
	/* it goes after 150 ms, as when the lower client serves the last close */
	EXPECT(pthread_create(&th, NULL, remove_later, &h) == 0);
	EXPECT(vault_rmdir(t.v, t.root, "d") == 0);
	pthread_join(th, NULL);
	EXPECT(listed(&t, t.root, "d") == 0);
	/* it stays: removed after the wait, and so is the directory */
	EXPECT(vault_mkdir(t.v, t.root, "d", 0755, &t.who, &d, &st) == 0);
	vnode_unref(t.v, d);
	if (!EXPECT(tv_only_lower(&t, "", lower) == 0))
		goto out;
	snprintf(h.path, sizeof(h.path), "%s/%s/.fuse_hidden0000000200000002", t.dir, lower);
	EXPECT(touch_lower(h.path) == 0);
	EXPECT(vault_rmdir(t.v, t.root, "d") == 0);
	EXPECT(listed(&t, t.root, "d") == 0);
	EXPECT(access(h.path, F_OK) != 0);
out:
	tv_free(&t);
}

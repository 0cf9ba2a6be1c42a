/*
 * Unit tests for symlink targets of any length (vault/link_target.c, docs/FORMAT.md
 * "Symlink targets"): targets up to PATH_MAX - 1 bytes round-trip, those too long to
 * encode inline go to a sealed blob in veilfs.links/, the blob follows the symlink's
 * last link, and a blob that is tampered with, swapped, missing or not a regular file
 * gives an error for that link (never its bytes); fsck reports blobs no link names.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "base/buf.h"
#include "crypto/aead.h"
#include "fsck/fsck.h"
#include "vault/link_target.h"
#include "vault/vault.h"
#include "test.h"
#include "test_vault_util.h"

#define MARKER "ZQXMARKERQXZ"

/* A target of len bytes: path components holding MARKER, so a plaintext leak shows. */
static char *long_target(size_t len)
{
	char *t = malloc(len + 1);
	size_t i;

	for (i = 0; t && i < len; i++)
		t[i] = (i % 16 == 15) ? '/' : MARKER[i % 12];
	if (t)
		t[len] = '\0';
	return t;
}

/* The lower target of dir/<only entry>; out holds 4096 bytes. Returns its length or -1. */
static long lower_target(struct tv *t, char *out)
{
	char lname[512], path[640];
	ssize_t n;

	if (tv_only_lower(t, "", lname) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", t->dir, lname);
	n = readlink(path, out, 4095);
	if (n >= 0)
		out[n] = '\0';
	return n;
}

/* Entries of CIPHERDIR/veilfs.links (-1 when it does not exist). */
static int blob_count(struct tv *t)
{
	char cmd[128], path[96];
	int n = 0;
	FILE *p;

	snprintf(path, sizeof(path), "%s/" LINK_BLOB_DIR, t->dir);
	if (access(path, F_OK) != 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "ls -A '%s' | wc -l", path);
	if (!(p = popen(cmd, "r")))
		return -1;
	if (fscanf(p, "%d", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

/* Makes dir/name -> a target of len bytes and checks it reads back; returns the node. */
static struct vnode *make_link(struct tv *t, const char *name, size_t len)
{
	char *target = long_target(len);
	struct vnode *n = NULL;
	struct stat st;
	struct buf out;

	buf_init(&out);
	if (!target)
		return NULL;
	EXPECTF(vault_symlink(t->v, t->root, name, target, &t->who, &n, &st) == 0, "len %zu", len);
	EXPECTF(n && st.st_size == (off_t)len, "len %zu: st_size %lld", len, (long long)st.st_size);
	EXPECTF(n && vault_readlink(t->v, n, &out) == 0 && out.len == len &&
		    !memcmp(out.data, target, len), "len %zu", len);
	EXPECTF(n && vault_getattr(t->v, n, &st) == 0 && st.st_size == (off_t)len, "len %zu", len);
	buf_release(&out);
	free(target);
	return n;
}

/* The longest inline target: base64url of nonce + target + tag in 4095 characters. */
static void targets_up_to_path_max(uint8_t cipher, size_t inline_max)
{
	char lower[4096];
	struct tv_params p = { .cipher = cipher };
	struct vnode *n;
	struct tv t;
	char *target = long_target(LINK_TARGET_MAX + 1);

	if (!EXPECT(tv_make(&t, &p) == 0))
		goto out;
	n = make_link(&t, "inline", inline_max);
	EXPECTF(lower_target(&t, lower) == 4095,
		"cipher %u: inline %zu", cipher, inline_max);
	EXPECT(blob_count(&t) == -1);
	EXPECT(n && vault_unlink(t.v, t.root, "inline") == 0);
	vnode_unref(t.v, n);
	n = make_link(&t, "long", inline_max + 1);
	EXPECT_EQ(lower_target(&t, lower), LINK_MARKER_LEN);
	EXPECT(!strncmp(lower, LINK_BLOB_DIR "/", 13));
	EXPECT_EQ(blob_count(&t), 1);
	EXPECT(vault_unlink(t.v, t.root, "long") == 0);
	EXPECT_EQ(blob_count(&t), 0);
	vnode_unref(t.v, n);
	n = make_link(&t, "max", LINK_TARGET_MAX);
	vnode_unref(t.v, n);
	EXPECT(tv_scan_marker(t.dir, MARKER) == 0);
	n = NULL;
	EXPECT(vault_symlink(t.v, t.root, "over", target, &t.who, &n, &(struct stat){ 0 }) ==
	       -ENAMETOOLONG);
	EXPECT(n == NULL && blob_count(&t) == 1);
out:
	free(target);
	tv_free(&t);
}

TEST(vault_symlink_targets_up_to_path_max)
{
	targets_up_to_path_max(AEAD_AES256_GCM, 3043);
	targets_up_to_path_max(AEAD_XCHACHA20_POLY1305, 3031);
}

TEST(vault_symlink_blob_follows_last_link)
{
	struct vnode *n, *m = NULL;
	struct stat st;
	struct buf out;
	struct tv t;

	buf_init(&out);
	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	n = make_link(&t, "a", 4000);
	EXPECT(n && vault_link(t.v, n, t.root, "b", &st) == 0);
	EXPECT(vault_unlink(t.v, t.root, "a") == 0);
	EXPECT_EQ(blob_count(&t), 1);
	EXPECT(vault_lookup(t.v, t.root, "b", &m, &st) == 0 && st.st_size == 4000);
	EXPECT(m && vault_readlink(t.v, m, &out) == 0 && out.len == 4000);
	EXPECT(vault_unlink(t.v, t.root, "b") == 0);
	EXPECT_EQ(blob_count(&t), 0);
	if (m)
		vnode_unref(t.v, m);
	vnode_unref(t.v, n);
	/* renamed over: by a file, the blob goes; by another link of itself, it stays */
	n = make_link(&t, "c", 4000);
	EXPECT(n && vault_link(t.v, n, t.root, "c2", &st) == 0);
	EXPECT(vault_rename(t.v, t.root, "c2", t.root, "c", 0) == 0);
	EXPECT_EQ(blob_count(&t), 1);
	m = tv_create(&t, t.root, "f");
	tv_close(&t, m);
	EXPECT(vault_rename(t.v, t.root, "f", t.root, "c", 0) == 0);
	EXPECT_EQ(blob_count(&t), 1); /* c2, a link of the same symlink, still names it */
	m = NULL;
	EXPECT(vault_lookup(t.v, t.root, "c2", &m, &st) == 0 && S_ISLNK(st.st_mode));
	if (m)
		vnode_unref(t.v, m);
	m = make_link(&t, "d", 3900);
	EXPECT_EQ(blob_count(&t), 2);
	EXPECT(vault_rename(t.v, t.root, "d", t.root, "c2", 0) == 0);
	EXPECT_EQ(blob_count(&t), 1); /* c2's blob went with its last link; d's stays */
	if (m)
		vnode_unref(t.v, m);
	if (n)
		vnode_unref(t.v, n);
out:
	buf_release(&out);
	tv_free(&t);
}

/* Path of the blob the only entry's marker names; out holds 256 bytes. */
static int blob_path(struct tv *t, char *out)
{
	char lower[4096];

	if (lower_target(t, lower) != LINK_MARKER_LEN)
		return -1;
	lower[LINK_MARKER_LEN] = '\0';
	snprintf(out, 256, "%s/%.*s", t->dir, (int)LINK_MARKER_LEN, lower);
	return 0;
}

static int flip_byte(const char *path)
{
	int fd = open(path, O_RDWR), r = -1;
	unsigned char c;

	if (fd >= 0 && pread(fd, &c, 1, 40) == 1) {
		c ^= 1;
		r = pwrite(fd, &c, 1, 40) == 1 ? 0 : -1;
	}
	if (fd >= 0)
		close(fd);
	return r;
}

static int make_fifo(const char *path)
{
	return unlink(path) == 0 ? mkfifo(path, 0644) : -1;
}

static int make_huge(const char *path)
{
	return truncate(path, 1 << 20);
}

static int remove_blob(const char *path)
{
	return unlink(path);
}

/* Another valid blob (of another link) copied over this one: bound to its id, it fails. */
static int swap_blob(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[256], other[600];
	uint8_t data[8192];
	struct dirent *e;
	ssize_t n = -1;
	DIR *d;
	int fd;

	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (!(d = opendir(dir)))
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, slash + 1)) {
			snprintf(other, sizeof(other), "%s/%s", dir, e->d_name);
			if ((fd = open(other, O_RDONLY)) >= 0) {
				n = read(fd, data, sizeof(data));
				close(fd);
			}
			break;
		}
	closedir(d);
	if (n <= 0 || (fd = open(path, O_WRONLY | O_TRUNC)) < 0)
		return -1;
	if (write(fd, data, (size_t)n) != n)
		n = -1;
	close(fd);
	return n > 0 ? 0 : -1;
}

static const struct {
	const char *what;
	int (*damage)(const char *path);
	int err1, err2; /* readlink's answer: one of these */
} damages[] = {
	{ "flipped byte", flip_byte, -EBADMSG, -EBADMSG },
	{ "fifo in its place", make_fifo, -EPROTO, -EIO },
	{ "1 MiB file", make_huge, -EPROTO, -EPROTO },
	{ "missing", remove_blob, -EPROTO, -EPROTO },
	{ "another link's blob", swap_blob, -EBADMSG, -EBADMSG },
};

TEST(vault_symlink_blob_damaged)
{
	char path[256];
	struct vnode *n, *keep = NULL;
	struct buf out;
	struct tv t;
	size_t i;
	int r;

	for (i = 0; i < sizeof(damages) / sizeof(damages[0]); i++) {
		buf_init(&out);
		if (!EXPECTF(tv_make(&t, NULL) == 0, "%s", damages[i].what))
			continue;
		n = make_link(&t, "victim", 3500);
		EXPECTF(blob_path(&t, path) == 0, "%s", damages[i].what);
		/* a second link in a subdirectory supplies the other blob */
		keep = NULL;
		{
			struct vnode *d = NULL;
			struct stat st;
			char *tg = long_target(3600);

			EXPECT(vault_mkdir(t.v, t.root, "d", 0755, &t.who, &d, &st) == 0);
			EXPECT(d && tg && vault_symlink(t.v, d, "other", tg, &t.who, &keep, &st) == 0);
			free(tg);
			if (d)
				vnode_unref(t.v, d);
		}
		EXPECTF(damages[i].damage(path) == 0, "%s: damage", damages[i].what);
		tv_log_capture(true);
		r = n ? vault_readlink(t.v, n, &out) : -1;
		tv_log_capture(false);
		EXPECTF(r == damages[i].err1 || r == damages[i].err2, "%s: readlink %d", damages[i].what,
			r);
		EXPECTF(out.len == 0, "%s: bytes returned", damages[i].what);
		if (keep)
			vnode_unref(t.v, keep);
		if (n)
			vnode_unref(t.v, n);
		buf_release(&out);
		tv_free(&t);
	}
}

static void count_report(void *arg, const struct fsck_finding *p)
{
	(void)p;
	(*(int *)arg)++;
}

TEST(fsck_checks_symlink_blobs)
{
	char path[256], orphan[256];
	struct fsck_counts c;
	struct vnode *n;
	struct tv t;
	int reports = 0, fd;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	n = make_link(&t, "l", 4000);
	vnode_unref(t.v, n);
	EXPECT(blob_path(&t, path) == 0);
	EXPECT(fsck_run(t.dir, TV_PW, strlen(TV_PW), count_report, &reports, &c) == 0);
	EXPECT(reports == 0 && c.problems == 0 && c.symlinks == 1);
	snprintf(orphan, sizeof(orphan), "%s/" LINK_BLOB_DIR "/AAAAAAAAAAAAAAAAAAAAAA", t.dir);
	fd = open(orphan, O_CREAT | O_WRONLY, 0644);
	EXPECT(fd >= 0);
	if (fd >= 0)
		close(fd);
	EXPECT(fsck_run(t.dir, TV_PW, strlen(TV_PW), count_report, &reports, &c) == 0);
	EXPECT(reports == 1 && c.problems == 1);
	reports = 0;
	EXPECT(flip_byte(path) == 0);
	EXPECT(fsck_run(t.dir, TV_PW, strlen(TV_PW), count_report, &reports, &c) == 0);
	/* the damaged blob's link is invalid, and its blob (no valid link names it) too */
	EXPECT_EQ(c.problems, 3);
out:
	tv_free(&t);
}

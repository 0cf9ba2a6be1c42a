/*
 * Unit tests for the vault's error paths, over the fault-injecting store: a failed or
 * short lower write, a failed read, truncate, mkdir (IV creation) and long-name side-file
 * creation each return the error (or complete the short write) and leave the vault
 * consistent: old contents intact, no half-created entries.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "store/store.h"
#include "store/store_fault.h"
#include "vault/vault.h"
#include "test.h"
#include "test_vault_util.h"

struct fv {
	struct tv t;           /* owns the temp dir (its own vault stays open, unused) */
	struct store *fs;      /* the fault store (owned by v) */
	struct vault *v;
	struct vnode *root;
	struct vault_caller who;
};

static int fv_make(struct fv *f)
{
	struct vault_options o = { 0 };
	struct store *inner = NULL;
	int rootfd = -1, r;

	memset(f, 0, sizeof(*f));
	if ((r = tv_make(&f->t, NULL)) < 0)
		return r;
	if ((r = store_posix_new(f->t.dir, &inner, &rootfd)) < 0)
		return r;
	if ((r = store_fault_new(inner, &f->fs)) < 0) {
		store_free(inner);
		return r;
	}
	if ((r = vault_open_store(f->fs, rootfd, TV_PW, strlen(TV_PW), &o, &f->v)) < 0)
		return r;
	f->root = vault_root(f->v);
	f->who = f->t.who;
	return 0;
}

static void fv_free(struct fv *f)
{
	if (f->root)
		vnode_unref(f->v, f->root);
	vault_close(f->v);
	tv_free(&f->t);
}

static void arm(struct fv *f, enum store_fault_op op, unsigned nth, int err, bool short_write)
{
	struct store_fault_plan p = { .op = op, .nth = nth, .err = err, .short_write = short_write };

	store_fault_arm(f->fs, &p);
}

static struct vnode *fv_create(struct fv *f, const char *name)
{
	struct vnode *n = NULL;
	struct stat st;

	if (vault_create(f->v, f->root, name, 0644, O_RDWR, &f->who, &n, &st, NULL) < 0)
		return NULL;
	return n;
}

/* A fresh vault with one new file "f" open: its vnode, or NULL (f is freeable either way). */
static struct vnode *fv_with_file(struct fv *f)
{
	return fv_make(f) == 0 ? fv_create(f, "f") : NULL;
}

static void fv_close(struct fv *f, struct vnode *n)
{
	if (!n)
		return;
	if (vault_release_file(f->v, n) < 0)
		fprintf(stderr, "release failed\n");
	vnode_unref(f->v, n);
}

static int entries(struct fv *f)
{
	struct dirent *e;
	DIR *d = opendir(f->t.dir);
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

TEST(vault_fault_write_errors_keep_old_contents)
{
	uint8_t buf[10000], back[10000];
	struct vnode *n;
	struct fv f;

	memset(buf, 'o', sizeof(buf));
	n = fv_with_file(&f);
	if (!EXPECT(n != NULL))
		goto out;
	EXPECT(vault_write(f.v, n, buf, sizeof(buf), 0, false, NULL) == (ssize_t)sizeof(buf));
	arm(&f, STORE_FAULT_PWRITE, 1, ENOSPC, false);
	EXPECT(vault_write(f.v, n, "new", 3, 5000, false, NULL) == -ENOSPC);
	EXPECT(store_fault_hits(f.fs) == 1);
	store_fault_disarm(f.fs);
	EXPECT(vault_read(f.v, n, back, sizeof(back), 0) == (ssize_t)sizeof(buf) &&
	       !memcmp(back, buf, sizeof(buf)));
	/* a short lower write is completed */
	arm(&f, STORE_FAULT_PWRITE, 1, 0, true);
	memset(buf, 's', sizeof(buf));
	EXPECT(vault_write(f.v, n, buf, sizeof(buf), 0, false, NULL) == (ssize_t)sizeof(buf));
	store_fault_disarm(f.fs);
	EXPECT(vault_read(f.v, n, back, sizeof(back), 0) == (ssize_t)sizeof(buf) &&
	       !memcmp(back, buf, sizeof(buf)));
	/* a failed read is an error, not data */
	arm(&f, STORE_FAULT_PREAD, 1, EIO, false);
	EXPECT(vault_read(f.v, n, back, 100, 4096) == -EIO);
	store_fault_disarm(f.fs);
	/* a failed truncate leaves the file as it was */
	arm(&f, STORE_FAULT_FTRUNCATE, 1, EIO, false);
	EXPECT(vault_truncate(f.v, n, 5000) == -EIO);
	store_fault_disarm(f.fs);
	EXPECT(vault_read(f.v, n, back, sizeof(back), 0) == (ssize_t)sizeof(buf) &&
	       !memcmp(back, buf, sizeof(buf)));
	fv_close(&f, n);
out:
	fv_free(&f);
}

enum { FULL_BIG = 40000 };

/* The lower disk fills up while a write grows the file: ENOSPC, and the file reads as before. */
static void full_disk_case(uint64_t old_size, uint64_t at, size_t len, bool torn)
{
	static uint8_t buf[3 * 4096 + 100], back[3 * 4096 + 100], big[FULL_BIG];
	struct store_fault_plan plan = { .op = STORE_FAULT_PWRITE, .nth = 1, .err = ENOSPC,
					 .short_write = torn };
	struct vnode *n;
	struct stat st;
	struct fv f;

	memset(buf, 'o', sizeof(buf));
	memset(big, 'n', sizeof(big));
	n = fv_with_file(&f);
	if (!EXPECT(n != NULL))
		goto out;
	EXPECT(vault_write(f.v, n, buf, old_size, 0, false, NULL) == (ssize_t)old_size);
	/* torn: the first lower write is cut short and the next fails (the restore after it
	 * works: truncation freed the space); else the first lower write (the separate
	 * re-seal of the old last block) works and the second fails */
	plan.nth = torn ? 1 : 2;
	store_fault_arm(f.fs, &plan);
	EXPECT(vault_write(f.v, n, big, len, at, false, NULL) == -ENOSPC);
	store_fault_disarm(f.fs);
	EXPECT(vault_getattr(f.v, n, &st) == 0 && (uint64_t)st.st_size == old_size);
	EXPECT(vault_read(f.v, n, back, sizeof(back), 0) == (ssize_t)old_size &&
	       !memcmp(back, buf, old_size));
	/* and the disk has room again: the same write works */
	EXPECT(vault_write(f.v, n, big, len, at, false, NULL) == (ssize_t)len);
	EXPECT(vault_read(f.v, n, back, 100, at) == 100 && !memcmp(back, big, 100));
	fv_close(&f, n);
out:
	fv_free(&f);
}

TEST(vault_fault_full_disk_leaves_file_as_it_was)
{
	/* old size block-aligned, write past a gap: the old last block is re-sealed separately */
	full_disk_case(2 * 4096, 5 * 4096 + 7, 3000, false);
	/* the lower write of a growing span is cut short, then the disk is full */
	full_disk_case(4096 + 100, 4096 + 50, FULL_BIG, true);
	/* same, from a partial last block re-sealed inside the span */
	full_disk_case(3 * 4096, 3 * 4096, FULL_BIG, true);
}

/* Each 4 KiB block of got is new or zeros (a hole a failed write left as it was). */
static bool blocks_new_or_hole(const uint8_t *got, size_t len, uint8_t new_byte)
{
	for (size_t i = 0; i < len; i++)
		if (got[i] != (got[i - i % 4096] ? new_byte : 0))
			return false;
	return true;
}

TEST(vault_fault_full_disk_in_a_hole_leaves_a_hole)
{
	static uint8_t big[3 * 4096], back[5 * 4096];
	struct store_fault_plan plan = { .op = STORE_FAULT_PWRITE, .nth = 1, .err = ENOSPC,
					 .short_write = true };
	struct vnode *n;
	struct fv f;

	memset(big, 'n', sizeof(big));
	n = fv_with_file(&f);
	if (!EXPECT(n != NULL))
		goto out;
	/* blocks 1..3 are holes */
	EXPECT(vault_write(f.v, n, "head", 4, 0, false, NULL) == 4);
	EXPECT(vault_write(f.v, n, "tail", 4, 5 * 4096 - 4, false, NULL) == 4);
	store_fault_arm(f.fs, &plan);
	EXPECT(vault_write(f.v, n, big, sizeof(big), 4096, false, NULL) == -ENOSPC);
	store_fault_disarm(f.fs);
	EXPECT(vault_read(f.v, n, back, sizeof(back), 0) == (ssize_t)sizeof(back));
	EXPECT(!memcmp(back, "head", 4) && !memcmp(back + sizeof(back) - 4, "tail", 4));
	EXPECT(blocks_new_or_hole(back + 4096, sizeof(big), 'n'));
	fv_close(&f, n);
out:
	fv_free(&f);
}

TEST(vault_fault_mkdir_and_long_names_leave_nothing)
{
	struct vnode *d = NULL, *n = NULL;
	char name[256];
	struct stat st;
	struct fv f;
	int before;

	if (!EXPECT(fv_make(&f) == 0))
		goto out;
	before = entries(&f);
	/* the IV's temp file cannot be renamed into place: no directory is left */
	arm(&f, STORE_FAULT_RENAMEAT, 1, EIO, false);
	EXPECT(vault_mkdir(f.v, f.root, "d", 0755, &f.who, &d, &st) == -EIO && d == NULL);
	store_fault_disarm(f.fs);
	EXPECT(entries(&f) == before);
	EXPECT(vault_lookup(f.v, f.root, "d", &d, &st) == -ENOENT);
	/* the long-name side file cannot be written: no entry is created */
	memset(name, 'q', 255);
	name[255] = '\0';
	arm(&f, STORE_FAULT_RENAMEAT, 1, ENOSPC, false);
	EXPECT(vault_create(f.v, f.root, name, 0644, O_RDWR, &f.who, &n, &st, NULL) == -ENOSPC);
	store_fault_disarm(f.fs);
	EXPECT(entries(&f) == before);
	/* the entry cannot be created after its side file: the side file goes again */
	arm(&f, STORE_FAULT_OPENAT, 2, EIO, false);
	EXPECT(vault_create(f.v, f.root, name, 0644, O_RDWR, &f.who, &n, &st, NULL) == -EIO);
	store_fault_disarm(f.fs);
	EXPECT(entries(&f) == before);
	n = fv_create(&f, name);
	EXPECT(n != NULL && entries(&f) == before + 2);
	fv_close(&f, n);
out:
	fv_free(&f);
}

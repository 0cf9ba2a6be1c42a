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

	if (vault_create(f->v, f->root, name, 0644, O_RDWR, &f->who, &n, &st) < 0)
		return NULL;
	return n;
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
	if (!EXPECT(fv_make(&f) == 0))
		goto out;
	n = fv_create(&f, "f");
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
	EXPECT(vault_create(f.v, f.root, name, 0644, O_RDWR, &f.who, &n, &st) == -ENOSPC);
	store_fault_disarm(f.fs);
	EXPECT(entries(&f) == before);
	/* the entry cannot be created after its side file: the side file goes again */
	arm(&f, STORE_FAULT_OPENAT, 2, EIO, false);
	EXPECT(vault_create(f.v, f.root, name, 0644, O_RDWR, &f.who, &n, &st) == -EIO);
	store_fault_disarm(f.fs);
	EXPECT(entries(&f) == before);
	n = fv_create(&f, name);
	EXPECT(n != NULL && entries(&f) == before + 2);
	fv_close(&f, n);
out:
	fv_free(&f);
}

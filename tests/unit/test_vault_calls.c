/*
 * Unit tests that pin how many lower (store) calls the vault's write path costs, counted
 * by the fault store: ten appends of 100 bytes to a new file, and ten overwrites of 100
 * bytes inside a file of ten blocks (read-modify-write of one block each), in single-client
 * mode and in the shared modes (locks and lock files), and ten ACL queries (ls -l) of closed
 * files in single-client mode. A regression that adds a lower read or fstat
 * per write shows up here before it shows up as a slow mount on a network share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include "store/store.h"
#include "store/store_fault.h"
#include "vault/vault.h"
#include "test.h"
#include "test_vault_util.h"

struct cv {
	struct tv t;       /* owns the temp dir (its own vault stays open, unused) */
	struct store *fs;  /* the counting store (owned by v) */
	struct vault *v;
	struct vnode *root;
};

static int cv_make(struct cv *c, enum vault_shared_mode shared)
{
	struct vault_options o = { .shared = shared };
	struct store *inner = NULL;
	int rootfd = -1, r;

	memset(c, 0, sizeof(*c));
	if ((r = tv_make(&c->t, NULL)) < 0)
		return r;
	if ((r = store_posix_new(c->t.dir, &inner, &rootfd)) < 0)
		return r;
	if ((r = store_fault_new(inner, &c->fs)) < 0) {
		store_free(inner);
		return r;
	}
	if ((r = vault_open_store(c->fs, rootfd, TV_PW, strlen(TV_PW), &o, &c->v)) < 0)
		return r;
	c->root = vault_root(c->v);
	return 0;
}

static void cv_free(struct cv *c)
{
	if (c->root)
		vnode_unref(c->v, c->root);
	vault_close(c->v);
	tv_free(&c->t);
}

/*
 * Create "f", then count the lower calls of ten 100-byte appends (after the create, before
 * the release) into *calls. Returns 0 when every write and the read-back succeeded.
 */
static int ten_appends(struct cv *c, struct store_fault_calls *calls)
{
	uint8_t buf[100], back[1000];
	struct vnode *n = NULL;
	struct stat st;
	int r = -1;

	if (vault_create(c->v, c->root, "f", 0644, O_RDWR, &c->t.who, &n, &st, NULL) < 0)
		return -1;
	store_fault_calls_reset(c->fs);
	for (int i = 0; i < 10; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		if (vault_write(c->v, n, buf, sizeof(buf), 100 * (uint64_t)i, false, NULL) != 100)
			goto out;
	}
	store_fault_calls_get(c->fs, calls);
	if (vault_read(c->v, n, back, sizeof(back), 0) != 1000)
		goto out;
	r = 0;
	for (int i = 0; i < 1000; i++)
		if (back[i] != 'a' + i / 100)
			r = -1;
out:
	if (vault_release_file(c->v, n) < 0)
		r = -1;
	vnode_unref(c->v, n);
	return r;
}

/*
 * Create "g" of ten 4 KiB blocks, then count the lower calls of ten 100-byte overwrites,
 * one inside each block (each a read-modify-write), into *calls. 0 when every write and
 * the read-back succeeded.
 */
static int ten_overwrites(struct cv *c, struct store_fault_calls *calls)
{
	static uint8_t back[40960];
	uint8_t buf[100];
	struct vnode *n = NULL;
	struct stat st;
	int r = -1;

	if (vault_create(c->v, c->root, "g", 0644, O_RDWR, &c->t.who, &n, &st, NULL) < 0)
		return -1;
	memset(back, 'z', sizeof(back));
	if (vault_write(c->v, n, back, sizeof(back), 0, false, NULL) != (ssize_t)sizeof(back))
		goto out;
	store_fault_calls_reset(c->fs);
	for (int i = 0; i < 10; i++) {
		memset(buf, 'a' + i, sizeof(buf));
		if (vault_write(c->v, n, buf, sizeof(buf), 4096 * (uint64_t)i + 1000, false,
				NULL) != 100)
			goto out;
	}
	store_fault_calls_get(c->fs, calls);
	if (vault_read(c->v, n, back, sizeof(back), 0) != (ssize_t)sizeof(back))
		goto out;
	r = 0;
	for (int i = 0; i < (int)sizeof(back); i++) {
		int at = i % 4096;

		if (back[i] != (at >= 1000 && at < 1100 ? 'a' + i / 4096 : 'z'))
			r = -1;
	}
out:
	if (vault_release_file(c->v, n) < 0)
		r = -1;
	vnode_unref(c->v, n);
	return r;
}

/*
 * Create ten files and close them, then count the lower calls of asking each for its
 * access ACL (what `ls -l` asks of every entry): none has one, each answer is -ENODATA.
 */
static int ten_acl_queries(struct cv *c, struct store_fault_calls *calls)
{
	struct vnode *n[10] = { NULL };
	struct stat st;
	char name[16];
	int r = 0, i;

	for (i = 0; i < 10 && r == 0; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		if (vault_create(c->v, c->root, name, 0644, O_RDWR, &c->t.who, &n[i], &st, NULL) <
			0 ||
		    vault_release_file(c->v, n[i]) < 0)
			r = -1;
	}
	store_fault_calls_reset(c->fs);
	for (i = 0; i < 10 && r == 0; i++)
		if (vault_getxattr(c->v, n[i], VAULT_ACL_ACCESS, NULL, 0) != -ENODATA)
			r = -1;
	store_fault_calls_get(c->fs, calls);
	for (i = 0; i < 10; i++)
		if (n[i])
			vnode_unref(c->v, n[i]);
	return r;
}

/* Upper bounds: the counts measured (header creation at the first write included). A change
 * that needs more lower calls must say why here. The old last block is read once per
 * append, for both its rewrite and the undo (it was read twice: 18 preads single-client,
 * 27 with locks, 47 with lock files). */
static const struct store_fault_calls max_local = { .pread = 9, .pwrite = 11, .fstat = 11,
						     .reserve = 10 };
static const struct store_fault_calls max_locks = { .pread = 18, .pwrite = 11, .fstat = 31,
						     .reserve = 10, .lock = 22 };
static const struct store_fault_calls max_lockfiles = { .pread = 38, .pwrite = 21, .fstat = 51,
							 .reserve = 10, .other = 30 };

/* Ten overwrites: one pread of the block each (no undo save: the size stays). In-place
 * writes took the whole-file path before the write path was one, after the queued path
 * had read the size: 20 fstats single-client, now 10. */
static const struct store_fault_calls max_over_local = { .pread = 10, .pwrite = 10,
							  .fstat = 10, .reserve = 10 };
static const struct store_fault_calls max_over_locks = { .pread = 20, .pwrite = 10,
							  .fstat = 30, .reserve = 10, .lock = 20 };
static const struct store_fault_calls max_over_lockfiles = { .pread = 40, .pwrite = 20,
							      .fstat = 50, .reserve = 10,
							      .other = 30 };

/* Ten ACL queries of closed files without attributes: one lower listxattr each, no open
 * (they reopened the I/O handle and read the value and the blob marker: 30 other calls). */
static const struct store_fault_calls max_acl_local = { .other = 10 };

static void expect_at_most(const struct store_fault_calls *k, const struct store_fault_calls *m)
{
	EXPECTF(k->pread <= m->pread, "%u preads", k->pread);
	EXPECTF(k->pwrite <= m->pwrite, "%u pwrites", k->pwrite);
	EXPECTF(k->fstat <= m->fstat, "%u fstats", k->fstat);
	EXPECTF(k->ftruncate <= m->ftruncate, "%u ftruncates", k->ftruncate);
	EXPECTF(k->fsync <= m->fsync, "%u fsyncs", k->fsync);
	EXPECTF(k->reserve <= m->reserve, "%u reserves", k->reserve);
	EXPECTF(k->lock <= m->lock, "%u locks", k->lock);
	EXPECTF(k->other <= m->other, "%u other calls", k->other);
}

static void report(const char *what, const char *mode, const struct store_fault_calls *k)
{
	printf("# 10 %s, %s: %u pread, %u pwrite, %u fstat, %u ftruncate, "
	       "%u fsync, %u reserve, %u lock, %u other\n",
	       what, mode, k->pread, k->pwrite, k->fstat, k->ftruncate, k->fsync, k->reserve, k->lock,
	       k->other);
}

/* One workload in one shared mode: counted, reported, held to its limits. */
static void calls_case(enum vault_shared_mode mode,
		       int (*workload)(struct cv *, struct store_fault_calls *), const char *what,
		       const char *mode_name, const struct store_fault_calls *max)
{
	struct store_fault_calls k = { 0 };
	struct cv c;

	EXPECT(cv_make(&c, mode) == 0);
	EXPECT(workload(&c, &k) == 0);
	report(what, mode_name, &k);
	expect_at_most(&k, max);
	cv_free(&c);
}

TEST(vault_calls_small_appends_local)
{
	calls_case(VAULT_SHARED_OFF, ten_appends, "appends of 100 bytes", "single client", &max_local);
}

TEST(vault_calls_small_appends_shared_locks)
{
	calls_case(VAULT_SHARED_LOCKS, ten_appends, "appends of 100 bytes", "shared locks", &max_locks);
}

TEST(vault_calls_small_appends_shared_lockfiles)
{
	calls_case(VAULT_SHARED_LOCKFILES, ten_appends, "appends of 100 bytes", "shared lockfiles", &max_lockfiles);
}

TEST(vault_calls_small_overwrites_local)
{
	calls_case(VAULT_SHARED_OFF, ten_overwrites, "overwrites of 100 bytes", "single client", &max_over_local);
}

TEST(vault_calls_small_overwrites_shared_locks)
{
	calls_case(VAULT_SHARED_LOCKS, ten_overwrites, "overwrites of 100 bytes", "shared locks", &max_over_locks);
}

TEST(vault_calls_small_overwrites_shared_lockfiles)
{
	calls_case(VAULT_SHARED_LOCKFILES, ten_overwrites, "overwrites of 100 bytes", "shared lockfiles", &max_over_lockfiles);
}

TEST(vault_calls_acl_queries_local)
{
	calls_case(VAULT_SHARED_OFF, ten_acl_queries, "ACL queries of closed files", "single client",
		   &max_acl_local);
}

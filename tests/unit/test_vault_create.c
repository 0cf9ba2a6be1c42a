/*
 * Unit tests for the handles create and mkdir keep: a created file does its I/O through
 * the handle it was created with, a new directory's IV is known without reading it back,
 * and both agree with what a fresh mount reads from the cipher directory.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include "vault/vault.h"
#include "test.h"
#include "test_vault_util.h"

/* Read name in dir through a fresh lookup; 0 when it holds exactly want. */
static int read_back(struct tv *t, struct vnode *dir, const char *name, const char *want)
{
	struct vnode *n = NULL;
	struct stat st;
	char buf[64] = { 0 };
	ssize_t got = -1;
	size_t len = strlen(want);

	if (vault_lookup(t->v, dir, name, &n, &st) < 0)
		return -1;
	if (vault_open_file(t->v, n, O_RDONLY) == 0) {
		got = vault_read(t->v, n, buf, sizeof(buf), 0);
		if (vault_release_file(t->v, n) < 0)
			got = -1;
	}
	vnode_unref(t->v, n);
	return (size_t)st.st_size == len && got == (ssize_t)len && !memcmp(buf, want, len) ? 0 : -1;
}

TEST(vault_create_writes_through_its_handle)
{
	struct vnode *n = NULL, *again = NULL;
	struct stat st;
	bool created = false;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_create(t.v, t.root, "f", 0600, O_WRONLY | O_CREAT | O_EXCL | O_TRUNC, &t.who,
			    &n, &st, &created) == 0);
	EXPECT(created);
	EXPECT(n && st.st_size == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600);
	if (!n)
		goto out;
	EXPECT(vault_write(t.v, n, "created", 7, 0, false, NULL) == 7);
	EXPECT(vault_getattr(t.v, n, &st) == 0 && st.st_size == 7);
	EXPECT(vault_release_file(t.v, n) == 0);
	/* the same file again without O_EXCL: it exists, O_TRUNC empties it */
	EXPECT(vault_create(t.v, t.root, "f", 0600, O_RDWR | O_CREAT | O_TRUNC, &t.who, &again,
			    &st, &created) == 0);
	EXPECT(!created); /* opened */
	EXPECT(again == n && st.st_size == 0);
	EXPECT(again && vault_write(t.v, again, "second", 6, 0, false, NULL) == 6);
	if (again) {
		EXPECT(vault_release_file(t.v, again) == 0);
		vnode_unref(t.v, again);
	}
	EXPECT(vault_create(t.v, t.root, "f", 0600, O_RDWR | O_CREAT | O_EXCL, &t.who, &again,
			    &st, NULL) == -EEXIST);
	vnode_unref(t.v, n);
	n = NULL;
	EXPECT(tv_reopen(&t, NULL) == 0);
	EXPECT(read_back(&t, t.root, "f", "second") == 0);
out:
	vnode_unref(t.v, n);
	tv_free(&t);
}

TEST(vault_mkdir_keeps_its_iv_and_mode)
{
	struct vnode *d = NULL, *n;
	struct stat st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	EXPECT(vault_mkdir(t.v, t.root, "d", 0750, &t.who, &d, &st) == 0);
	EXPECT(d && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0750);
	if (!d)
		goto out;
	/* names in the new directory are encrypted with the IV mkdir remembered ... */
	n = tv_create(&t, d, "inner");
	EXPECT(n && vault_write(t.v, n, "in d", 4, 0, false, NULL) == 4);
	tv_close(&t, n);
	EXPECT(vault_getattr(t.v, d, &st) == 0 && (st.st_mode & 07777) == 0750);
	vnode_unref(t.v, d);
	d = NULL;
	/* ... which must be the IV a fresh mount reads from the cipher directory */
	EXPECT(tv_reopen(&t, NULL) == 0);
	EXPECT(vault_lookup(t.v, t.root, "d", &d, &st) == 0);
	EXPECT(d && read_back(&t, d, "inner", "in d") == 0);
out:
	vnode_unref(t.v, d);
	tv_free(&t);
}

/* O_TRUNC is the vault's, once, for every access mode (Linux truncates on O_RDONLY too). */
TEST(vault_open_file_applies_o_trunc)
{
	static const int modes[] = { O_RDONLY, O_WRONLY, O_RDWR };
	struct vnode *n = NULL;
	struct stat st;
	struct tv t;

	if (!EXPECT(tv_make(&t, NULL) == 0))
		goto out;
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (!EXPECTF((n = tv_create(&t, t.root, "f")) != NULL, "mode %zu", i))
			break;
		EXPECT(vault_write(t.v, n, "contents", 8, 0, false, NULL) == 8);
		tv_close(&t, n);
		n = NULL;
		EXPECT(vault_lookup(t.v, t.root, "f", &n, &st) == 0 && st.st_size == 8);
		if (!n)
			break;
		EXPECTF(vault_open_file(t.v, n, modes[i] | O_TRUNC) == 0, "mode %zu", i);
		EXPECTF(vault_getattr(t.v, n, &st) == 0 && st.st_size == 0, "mode %zu", i);
		EXPECT(vault_release_file(t.v, n) == 0);
		vnode_unref(t.v, n);
		n = NULL;
	}
	/* without O_TRUNC nothing is cut */
	if ((n = tv_create(&t, t.root, "g"))) {
		EXPECT(vault_write(t.v, n, "kept", 4, 0, false, NULL) == 4);
		EXPECT(vault_open_file(t.v, n, O_RDONLY) == 0);
		EXPECT(vault_getattr(t.v, n, &st) == 0 && st.st_size == 4);
		EXPECT(vault_release_file(t.v, n) == 0);
		tv_close(&t, n);
	}
out:
	tv_free(&t);
}

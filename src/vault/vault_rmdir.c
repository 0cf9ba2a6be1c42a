/*
 * rmdir: a lower directory always holds its veilfs.diriv, so removing a plaintext-empty
 * directory means checking it holds nothing else, removing the IV, removing the directory,
 * and putting the IV back when the directory turned out not to be empty after all.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/clock.h"
#include "base/log.h"
#include "vault/vault_internal.h"

enum {
	/* a lower client's hidden leftover of a file still open below: waited for */
	HIDDEN_WAIT_TRIES = 50,
	HIDDEN_WAIT_MS = 20,
};

/*
 * sshfs (without -o hard_remove) renames a file that is unlinked while still open to
 * ".fuse_hidden<N>" and removes it at its last close. veilfs's own lower handle of a file
 * the application just closed goes only when the kernel's asynchronous RELEASE is served,
 * so an rmdir right after an rm can find such a name for a moment. No encrypted name
 * starts with a dot, so in that mode it is never one of the vault's entries.
 */
static bool is_lower_hidden(const struct vault *v, const char *name)
{
	return !v->plaintext_names && !strncmp(name, ".fuse_hidden", 12);
}

/*
 * 0 when the lower directory fd holds only ".", ".." and reserved non-entry files;
 * -EBUSY when it also holds a lower client's hidden leftovers (is_lower_hidden), and
 * nothing else; -ENOTEMPTY otherwise.
 */
static int dir_is_empty(struct vault *v, int fd)
{
	struct store_dir *d;
	struct store_dirent ent;
	bool hidden = false;
	size_t len;
	int r;

	if ((r = SOP(v, dir_open, fd, &d)) < 0)
		return r;
	while ((r = SOP(v, dir_next, d, &ent)) == 1) {
		len = strlen(ent.name);
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (is_lower_hidden(v, ent.name)) {
			hidden = true;
			continue;
		}
		if (v->plaintext_names || !names_is_reserved(ent.name, len) ||
		    names_is_long(ent.name, len)) {
			r = -ENOTEMPTY;
			break;
		}
	}
	SOP(v, dir_close, d);
	return r == 0 && hidden ? -EBUSY : r;
}

/* dir_is_empty, waiting a moment for hidden leftovers to go (at most 1 s). */
static int dir_is_empty_soon(struct vault *v, int fd)
{
	int r, tries;

	for (tries = 0; (r = dir_is_empty(v, fd)) == -EBUSY && tries < HIDDEN_WAIT_TRIES; tries++)
		clock_sleep_ms(HIDDEN_WAIT_MS);
	return r == -EBUSY ? -ENOTEMPTY : r;
}

int vault_dir_unseal(struct vault *v, int parentfd, const char *lname, struct dir_iv_save *save)
{
	int r;

	save->iv = NULL;
	save->len = 0;
	save->fd = SOP(v, openat, parentfd, lname, STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW,
		       0);
	if (save->fd < 0)
		return save->fd;
	if ((r = dir_is_empty_soon(v, save->fd)) < 0)
		goto fail;
	r = store_read_file(v->store, save->fd, NAMES_DIRIV_FILE, DIRIV_LEN + 1, &save->iv,
			    &save->len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || (r = SOP(v, unlinkat, save->fd, NAMES_DIRIV_FILE, 0)) < 0)
		goto fail;
	return 0;
fail:
	vault_dir_save_release(v, save);
	return r;
}

void vault_dir_reseal(struct vault *v, struct dir_iv_save *save, const char *lname)
{
	if (save->fd < 0 || !save->iv)
		return;
	if (store_write_atomic(v->store, save->fd, NAMES_DIRIV_FILE, save->iv, save->len, 0444) < 0)
		log_error("cannot restore directory IV of '%s'", lname);
}

void vault_dir_save_release(struct vault *v, struct dir_iv_save *save)
{
	free(save->iv);
	save->iv = NULL;
	if (save->fd >= 0)
		(void)SOP(v, close, save->fd);
	save->fd = -1;
}

static int rmdir_encrypted(struct vault *v, struct vnode *dir, const char *lname)
{
	struct dir_iv_save save;
	int r;

	if ((r = vault_dir_unseal(v, dir->fd, lname, &save)) < 0)
		return r;
	r = SOP(v, unlinkat, dir->fd, lname, STORE_AT_REMOVEDIR);
	if (r < 0)
		vault_dir_reseal(v, &save, lname);
	vault_dir_save_release(v, &save);
	return r;
}

int vault_rmdir(struct vault *v, struct vnode *dir, const char *name)
{
	struct lower_name ln;
	struct stat st;
	const char *lname;
	int r;

	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (vault_is_ro(v))
		return -EROFS;
	lower_name_init(&ln);
	r = vault_lower_name(v, dir, name, &ln);
	if (r == -EPERM)
		r = -ENOENT;
	if (r < 0)
		goto out;
	lname = (const char *)ln.name.data;
	if ((r = SOP(v, fstatat, dir->fd, lname, &st, STORE_AT_NOFOLLOW)) < 0)
		goto out;
	if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	else if (v->plaintext_names)
		r = SOP(v, unlinkat, dir->fd, lname, STORE_AT_REMOVEDIR);
	else
		r = rmdir_encrypted(v, dir, lname);
	if (r == 0)
		vault_name_forget(v, dir, &ln);
out:
	lower_name_release(&ln);
	return r;
}

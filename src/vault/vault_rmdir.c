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
	/* a lower client's hidden leftovers in a directory being removed: waited for */
	HIDDEN_WAIT_TRIES = 50,
	HIDDEN_WAIT_MS = 20,
};

/*
 * sshfs (libfuse's high-level API without -o hard_remove) renames a file that is unlinked
 * while still open through it to ".fuse_hidden<N>", and removes it at its last close. A
 * close reaches sshfs as an asynchronous RELEASE, so a name veilfs unlinks right after
 * closing its own handle (the IV it read a moment ago, a cipher file the application just
 * closed) can be hidden instead of removed; and libfuse can miss the removal at the close
 * when the two cross, which leaves the name for good. No encrypted name starts with a dot,
 * so in that mode such a name is never one of the vault's entries.
 */
static bool is_lower_hidden(const struct vault *v, const char *name)
{
	return !v->plaintext_names && !strncmp(name, ".fuse_hidden", 12);
}

/*
 * 0 when the lower directory fd holds only ".", "..", reserved non-entry files and hidden
 * leftovers (is_lower_hidden); -ENOTEMPTY otherwise. *hidden: how many leftovers (and, if
 * unlink is set, each one is unlinked on the way).
 */
static int dir_scan(struct vault *v, int fd, bool unlink, unsigned *hidden)
{
	struct store_dir *d;
	struct store_dirent ent;
	size_t len;
	int r;

	*hidden = 0;
	if ((r = store_dir_open(v->store, fd, &d)) < 0)
		return r;
	while ((r = store_dir_next(v->store, d, &ent)) == 1) {
		len = strlen(ent.name);
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, ".."))
			continue;
		if (is_lower_hidden(v, ent.name)) {
			(*hidden)++;
			/* a leftover still open through this lower mount is hidden again */
			/* a leftover that stays makes the lower rmdir fail with ENOTEMPTY, which is
			 * reported */
			if (unlink)
				(void)store_unlinkat(v->store, fd, ent.name, 0);
			continue;
		}
		if (v->plaintext_names || !names_is_reserved(ent.name, len) ||
		    names_is_long(ent.name, len)) {
			r = -ENOTEMPTY;
			break;
		}
	}
	store_dir_close(v->store, d);
	return r;
}

bool vault_dir_clear_leftovers(struct vault *v, const struct dir_iv_save *save)
{
	unsigned hidden = 0;
	int tries;

	if (save->fd < 0 || v->plaintext_names)
		return false;
	for (tries = 0; tries < HIDDEN_WAIT_TRIES; tries++) {
		if (dir_scan(v, save->fd, false, &hidden) < 0)
			return false;
		if (hidden == 0)
			return tries > 0;
		clock_sleep_ms(HIDDEN_WAIT_MS);
	}
	log_info("removing %u leftover(s) of the lower file system's hidden names from a "
		 "directory being removed", hidden);
	return dir_scan(v, save->fd, true, &hidden) == 0 &&
	       dir_scan(v, save->fd, false, &hidden) == 0 && hidden == 0;
}

int vault_dir_unseal(struct vault *v, int parentfd, const char *lname, struct dir_iv_save *save)
{
	unsigned hidden;
	int r;

	save->iv = NULL;
	save->len = 0;
	save->fd = store_openat(v->store, parentfd, lname,
				STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
	if (save->fd < 0)
		return save->fd;
	if ((r = dir_scan(v, save->fd, false, &hidden)) < 0)
		goto fail;
	r = store_read_file(v->store, save->fd, NAMES_DIRIV_FILE, DIRIV_LEN + 1, &save->iv,
			    &save->len);
	if (r == -ENOENT)
		return 0;
	if (r < 0 || (r = store_unlinkat(v->store, save->fd, NAMES_DIRIV_FILE, 0)) < 0)
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
	/* a directory handle, only read */
	if (save->fd >= 0)
		(void)store_close(v->store, save->fd);
	save->fd = -1;
}

static int rmdir_encrypted(struct vault *v, struct vnode *dir, const char *lname)
{
	struct dir_iv_save save;
	int r;

	if ((r = vault_dir_unseal(v, dir->fd, lname, &save)) < 0)
		return r;
	r = store_unlinkat(v->store, dir->fd, lname, STORE_AT_REMOVEDIR);
	if (r == -ENOTEMPTY && vault_dir_clear_leftovers(v, &save))
		r = store_unlinkat(v->store, dir->fd, lname, STORE_AT_REMOVEDIR);
	if (r < 0)
		vault_dir_reseal(v, &save, lname);
	vault_dir_save_release(v, &save);
	return r;
}

int vault_rmdir(struct vault *v, struct vnode *dir, const char *name)
{
	struct lower_name ln;
	struct xattr_probe xprobe = { .last = false };
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
	if ((r = store_fstatat(v->store, dir->fd, lname, &st, STORE_AT_NOFOLLOW)) < 0)
		goto out;
	(void)vault_xattr_probe(v, dir->fd, lname, &xprobe); /* fills xprobe */
	if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	else if (v->plaintext_names)
		r = store_unlinkat(v->store, dir->fd, lname, STORE_AT_REMOVEDIR);
	else
		r = rmdir_encrypted(v, dir, lname);
	if (r == 0) {
		vault_xattr_drop(v, &xprobe);
		vault_name_forget(v, dir, &ln);
	}
out:
	lower_name_release(&ln);
	return r;
}

/*
 * Directory listings: a snapshot of one directory's decrypted entries, taken at opendir.
 * Reserved lower names (config, IVs, side files) are hidden; long names are resolved
 * through their side file; entries that fail to decrypt are left out and logged by their
 * lower name. "." and ".." pass through as the lower listing has them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "vault/vault_internal.h"

struct vdir_entry {
	size_t name_off;  /* into vdir.names */
	size_t lname_off; /* into vdir.lnames */
	uint64_t ino;
	unsigned char type;
};

struct vdir {
	struct buf names;  /* NUL-separated plaintext names */
	struct buf lnames; /* NUL-separated lower names, for vault_lookup_entry */
	struct vdir_entry *ents;
	size_t count;
	size_t cap;
};

static int vdir_add(struct vdir *d, const struct store_dirent *ent, size_t name_off)
{
	struct vdir_entry *e;
	size_t cap, lname_off = d->lnames.len;
	int r;

	if (d->count == d->cap) {
		cap = d->cap ? d->cap * 2 : 32;
		e = realloc(d->ents, cap * sizeof(*e));
		if (!e)
			return -ENOMEM;
		d->ents = e;
		d->cap = cap;
	}
	if ((r = buf_append(&d->lnames, ent->name, strlen(ent->name) + 1)) < 0)
		return r;
	d->ents[d->count++] = (struct vdir_entry){ name_off, lname_off, ent->ino, ent->type };
	return 0;
}

static int vdir_entry_add(struct vault *v, struct vnode *dir, struct vdir *d,
			  const struct store_dirent *ent)
{
	size_t off = d->names.len;
	char what[VAULT_WHAT_MAX];
	int r;

	r = vault_decrypt_entry(v, dir, ent->name, &d->names);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		d->names.len = off;
		d->names.data[off] = '\0';
		vnode_name(v, dir, what, sizeof(what));
		log_warn("cannot decrypt name '%s' in '%s': %s", ent->name, what, strerror(-r));
		return 0;
	}
	if (r == 0)
		return 0;
	if ((r = buf_append(&d->names, "", 1)) < 0)
		return r;
	return vdir_add(d, ent, off);
}

/*
 * The listing of a directory without an IV (iv_err: why it could not be read): mkdir makes
 * the lower directory first and its IV (temp file, rename) after it, so a crash between
 * leaves a directory without IV that holds nothing but, perhaps, the IV's temp file. No
 * name in it needs the IV to be listed: it lists as empty ("." and ".." as the lower
 * listing has them). Any other lower name was encrypted under an IV that is gone: iv_err.
 * Nothing is written here (the IV stays missing until something creates a name inside,
 * which fails, or fsck reports it).
 */
static int vdir_fill_without_iv(struct vault *v, struct vnode *dir, struct vdir *d, int iv_err)
{
	struct store_dir *sd;
	struct store_dirent ent;
	char what[VAULT_WHAT_MAX];
	int r;

	if ((r = store_dir_open(v->store, dir->fd, &sd)) < 0)
		return r;
	while ((r = store_dir_next(v->store, sd, &ent)) == 1) {
		if (!strcmp(ent.name, ".") || !strcmp(ent.name, "..")) {
			if ((r = vdir_entry_add(v, dir, d, &ent)) < 0)
				break;
		} else if (!names_is_reserved(ent.name, strlen(ent.name))) {
			r = iv_err;
			break;
		}
	}
	store_dir_close(v->store, sd);
	if (r == 0) {
		vnode_name(v, dir, what, sizeof(what));
		log_warn("directory '%s' has no IV and is empty (a mkdir cut short): listed empty",
			 what);
	}
	return r;
}

static int vdir_fill(struct vault *v, struct vnode *dir, struct vdir *d)
{
	struct store_dir *sd;
	struct store_dirent ent;
	uint8_t iv[DIRIV_LEN];
	bool replaced;
	int r;

	/* a listing shows the directory as it is now (an unreadable IV: vault_dir_iv says so) */
	(void)vault_dir_iv_revalidate(v, dir, &replaced);
	if (!v->plaintext_names && (r = vault_dir_iv(v, dir, iv)) < 0)
		return r == -ENOENT ? vdir_fill_without_iv(v, dir, d, r) : r;
	if ((r = store_dir_open(v->store, dir->fd, &sd)) < 0)
		return r;
	while ((r = store_dir_next(v->store, sd, &ent)) == 1)
		if ((r = vdir_entry_add(v, dir, d, &ent)) < 0)
			break;
	store_dir_close(v->store, sd);
	return r;
}

int vault_opendir(struct vault *v, struct vnode *dir, struct vdir **out)
{
	struct vdir *d;
	int r;

	*out = NULL;
	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	buf_init(&d->names);
	buf_init(&d->lnames);
	if ((r = vdir_fill(v, dir, d)) < 0) {
		vault_closedir(d);
		return r;
	}
	*out = d;
	return 0;
}

bool vault_dir_entry(const struct vdir *d, size_t i, const char **name, uint64_t *ino,
		     unsigned char *type)
{
	if (i >= d->count)
		return false;
	*name = (const char *)d->names.data + d->ents[i].name_off;
	*ino = d->ents[i].ino;
	*type = d->ents[i].type;
	return true;
}

int vault_lookup_entry(struct vault *v, struct vnode *dir, const struct vdir *d, size_t i,
		       struct vnode **out, struct stat *st)
{
	int r;

	*out = NULL;
	if (i >= d->count)
		return -ENOENT;
	r = nodes_get_listed(v, dir, (const char *)d->lnames.data + d->ents[i].lname_off,
			     d->ents[i].ino, out, st);
	if (r == 0 && (r = vault_convert_stat(v, *out, st)) < 0) {
		vnode_unref(v, *out);
		*out = NULL;
	}
	return r;
}

void vault_closedir(struct vdir *d)
{
	if (!d)
		return;
	buf_release(&d->names);
	buf_release(&d->lnames);
	free(d->ents);
	free(d);
}

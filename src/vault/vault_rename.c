/*
 * rename (plain, RENAME_NOREPLACE and RENAME_EXCHANGE) between any two directories. A
 * directory keeps its own IV when it moves, so nothing below it is re-encrypted; only the
 * moved entry's own lower name changes (and long-name side files follow it).
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "vault/vault_internal.h"

static int rename_flags(unsigned flags)
{
	int f = 0;

	if (flags & ~(unsigned)(VAULT_RENAME_NOREPLACE | VAULT_RENAME_EXCHANGE))
		return -EINVAL;
	if ((flags & VAULT_RENAME_NOREPLACE) && (flags & VAULT_RENAME_EXCHANGE))
		return -EINVAL;
	if (flags & VAULT_RENAME_NOREPLACE)
		f |= STORE_RENAME_NOREPLACE;
	if (flags & VAULT_RENAME_EXCHANGE)
		f |= STORE_RENAME_EXCHANGE;
	return f;
}

static bool same_entry(struct vnode *d1, const struct lower_name *a, struct vnode *d2,
		       const struct lower_name *b)
{
	return d1 == d2 && strcmp((const char *)a->name.data, (const char *)b->name.data) == 0;
}

/*
 * A directory renamed over an empty directory: the target's IV must go first (the lower
 * rename refuses a non-empty target), and comes back if the rename fails.
 */
static int unseal_target(struct vault *v, struct vnode *olddir, struct lower_name *on,
			 struct vnode *newdir, struct lower_name *nn, struct dir_iv_save *save)
{
	struct stat ost, nst;

	save->fd = -1;
	save->iv = NULL;
	if (v->plaintext_names ||
	    store_fstatat(v->store, newdir->fd, (const char *)nn->name.data, &nst,
			  STORE_AT_NOFOLLOW) < 0 ||
	    !S_ISDIR(nst.st_mode) ||
	    store_fstatat(v->store, olddir->fd, (const char *)on->name.data, &ost,
			  STORE_AT_NOFOLLOW) < 0 ||
	    !S_ISDIR(ost.st_mode) || (ost.st_ino == nst.st_ino && ost.st_dev == nst.st_dev))
		return 0;
	return vault_dir_unseal(v, newdir->fd, (const char *)nn->name.data, save);
}

/*
 * A rename over a symlink whose target is out of line drops the target's blob with its
 * last link, unless old and new are links of one object (then nothing is replaced).
 */
static bool replaced_link(struct vault *v, struct vnode *olddir, const struct lower_name *on,
			  struct vnode *newdir, const struct lower_name *nn, struct link_probe *p)
{
	struct stat st;

	if (!vault_link_probe(v, newdir->fd, (const char *)nn->name.data, p))
		return false;
	if (store_fstatat(v->store, olddir->fd, (const char *)on->name.data, &st, STORE_AT_NOFOLLOW) < 0 ||
	    (uint64_t)st.st_ino == p->ino)
		p->last = false;
	return p->last;
}

/* The same for a file or directory replaced whose attributes are partly out of line. */
static void replaced_attrs(struct vault *v, struct vnode *olddir, const struct lower_name *on,
			   struct vnode *newdir, const struct lower_name *nn, struct xattr_probe *p)
{
	struct stat st;

	if (!vault_xattr_probe(v, newdir->fd, (const char *)nn->name.data, p))
		return;
	if (store_fstatat(v->store, olddir->fd, (const char *)on->name.data, &st, STORE_AT_NOFOLLOW) < 0 ||
	    (uint64_t)st.st_ino == p->ino)
		p->last = false;
}

static int do_rename(struct vault *v, struct vnode *olddir, struct lower_name *on,
		     struct vnode *newdir, struct lower_name *nn, unsigned flags, int sflags)
{
	struct dir_iv_save save = { .fd = -1 };
	struct link_probe probe = { .last = false };
	struct xattr_probe xprobe = { .last = false };
	bool created = false;
	int r;

	if (!flags && (r = unseal_target(v, olddir, on, newdir, nn, &save)) < 0)
		return r;
	/* exchange: both entries exist before and after, and so do their side files */
	if (!(flags & VAULT_RENAME_EXCHANGE) &&
	    (r = vault_name_prepare(v, newdir, nn, &created)) < 0) {
		vault_dir_reseal(v, &save, (const char *)nn->name.data);
		vault_dir_save_release(v, &save);
		return r;
	}
	if (!(flags & VAULT_RENAME_EXCHANGE)) {
		(void)replaced_link(v, olddir, on, newdir, nn, &probe); /* fills probe */
		replaced_attrs(v, olddir, on, newdir, nn, &xprobe);
	}
	r = store_renameat(v->store, olddir->fd, (const char *)on->name.data, newdir->fd,
			   (const char *)nn->name.data, sflags);
	if (r == -ENOTEMPTY && vault_dir_clear_leftovers(v, &save))
		r = store_renameat(v->store, olddir->fd, (const char *)on->name.data, newdir->fd,
				   (const char *)nn->name.data, sflags);
	if (r < 0) {
		vault_dir_reseal(v, &save, (const char *)nn->name.data);
		vault_dir_save_release(v, &save);
		vault_name_undo(v, newdir, nn, created);
		return r;
	}
	vault_dir_save_release(v, &save);
	vault_link_drop(v, &probe);
	vault_xattr_drop(v, &xprobe);
	if (!(flags & VAULT_RENAME_EXCHANGE) && !same_entry(olddir, on, newdir, nn))
		vault_name_forget(v, olddir, on);
	nodes_moved(v, newdir, (const char *)nn->name.data);
	if (flags & VAULT_RENAME_EXCHANGE)
		nodes_moved(v, olddir, (const char *)on->name.data);
	return 0;
}

int vault_rename(struct vault *v, struct vnode *olddir, const char *oldname, struct vnode *newdir,
		 const char *newname, unsigned flags)
{
	struct lower_name on, nn;
	int sflags, r;

	if (olddir->type != S_IFDIR || newdir->type != S_IFDIR)
		return -ENOTDIR;
	if (vault_is_ro(v))
		return -EROFS;
	if ((sflags = rename_flags(flags)) < 0)
		return sflags;
	lower_name_init(&on);
	lower_name_init(&nn);
	r = vault_lower_name(v, olddir, oldname, &on);
	if (r == -EPERM)
		r = -ENOENT;
	if (r == 0)
		r = vault_lower_name_fresh(v, newdir, newname, &nn);
	if (r == 0)
		r = do_rename(v, olddir, &on, newdir, &nn, flags, sflags);
	lower_name_release(&on);
	lower_name_release(&nn);
	return r;
}

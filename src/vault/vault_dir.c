/*
 * Directory operations: lookup, creation of every object type, link, unlink, rmdir and
 * rename. Every call is relative to the parent vnode's directory handle; names go through
 * vault_names.c (encryption, long names, plaintext-names mode).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "base/secmem.h"
#include "vault/vault_internal.h"

struct make_args {
	mode_t mode;
	dev_t rdev;
	int flags;
	const char *target; /* symlinks: the encoded target */
	bool keep_fd;       /* regular files: create read-write and keep the handle in fd */
	/* Out: a handle on the new object (a regular file's read-write handle, a directory's
	 * readable handle) or -1; a new directory's IV when has_iv. */
	int fd;
	bool created; /* create: the file is new (nothing to truncate) */
	bool has_iv;
	uint8_t iv[DIRIV_LEN];
};

/* Creates the lower object dirfd/lname. *existed: it was already there (create w/o O_EXCL). */
typedef int (*make_fn)(struct vault *v, int dirfd, const char *lname, struct make_args *a,
		       bool *existed);

static int check_dir(struct vault *v, struct vnode *dir, bool modify)
{
	if (dir->type != S_IFDIR)
		return -ENOTDIR;
	if (modify && vault_is_ro(v))
		return -EROFS;
	return 0;
}

static int lookup_lower(struct vault *v, struct vnode *dir, const char *name,
			struct lower_name *ln, struct vnode **out, struct stat *st)
{
	int r = vault_lower_name(v, dir, name, ln);

	if (r == -EPERM)
		return -ENOENT; /* a reserved name in plaintext-names mode is never visible */
	return r < 0 ? r : nodes_get_at(v, dir, (const char *)ln->name.data, out, st);
}

int vault_lookup(struct vault *v, struct vnode *dir, const char *name, struct vnode **out,
		 struct stat *st)
{
	struct lower_name ln;
	bool replaced = false;
	int r;

	*out = NULL;
	if ((r = check_dir(v, dir, false)) < 0)
		return r;
	lower_name_init(&ln);
	r = lookup_lower(v, dir, name, &ln, out, st);
	/* an IV that cannot be read again leaves the -ENOENT the lookup found */
	if (r == -ENOENT && vault_dir_iv_revalidate(v, dir, &replaced) == 0 && replaced) {
		lower_name_release(&ln);
		lower_name_init(&ln);
		r = lookup_lower(v, dir, name, &ln, out, st);
	}
	if (r == 0 && (r = vault_convert_stat(v, *out, st)) < 0) {
		vnode_unref(v, *out);
		*out = NULL;
	}
	lower_name_release(&ln);
	return r;
}

/* Undo a create: a directory goes with its IV. */
static void remove_lower(struct vault *v, int dirfd, const char *lname, bool is_dir)
{
	int fd;

	/* best-effort: the caller reports the create's error, fsck what stays behind */
	if (is_dir && !v->plaintext_names) {
		fd = store_openat(v->store, dirfd, lname,
				  STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
		if (fd >= 0) {
			(void)store_unlinkat(v->store, fd, NAMES_DIRIV_FILE, 0);
			(void)store_close(v->store, fd);
		}
	}
	(void)store_unlinkat(v->store, dirfd, lname, is_dir ? STORE_AT_REMOVEDIR : 0);
}

/* A new directory knows its IV already: no need to read it back at its first name. */
static void node_set_iv(struct vnode *n, const struct make_args *a)
{
	if (!a->has_iv || n->type != S_IFDIR)
		return;
	pthread_mutex_lock(&n->mutex);
	if (!n->have_iv) {
		memcpy(n->diriv, a->iv, DIRIV_LEN);
		n->have_iv = true;
	}
	pthread_mutex_unlock(&n->mutex);
}

/*
 * The owner and vnode of the new object. With a handle from mk (a->fd, consumed here) its
 * attributes come from the handle, and the handle becomes the vnode's. *keep: a failure
 * came after the object was complete, so it stays.
 */
static int make_node(struct vault *v, struct vnode *dir, const char *lname, bool existed,
		     const struct vault_caller *who, struct make_args *a, struct vnode **out,
		     struct stat *st, bool *keep)
{
	bool owner_changed = false;
	int fd = a->fd, r;

	a->fd = -1;
	*keep = false;
	if (fd < 0) {
		if (!existed && (r = vault_apply_owner(v, dir, lname, who, NULL, NULL)) < 0)
			return r;
		*keep = true;
		return nodes_get_at(v, dir, lname, out, st);
	}
	r = store_fstat(v->store, fd, st);
	if (r == 0 && !existed)
		r = vault_apply_owner(v, dir, lname, who, st, &owner_changed);
	if (r == 0 && owner_changed) /* and with the owner the ctime */
		r = store_fstat(v->store, fd, st);
	if (r < 0) {
		/* r is reported; nothing was written through the new handle */
		(void)store_close(v->store, fd);
		return r;
	}
	*keep = true;
	if ((r = nodes_get_new(v, dir, lname, fd, st, out)) < 0)
		return r;
	node_set_iv(*out, a);
	return 0;
}

/* Shared path of every create: name, side file, the object, its owner, its vnode. */
static int make_entry(struct vault *v, struct vnode *dir, const char *name,
		      const struct vault_caller *who, bool is_dir, make_fn mk, struct make_args *a,
		      struct vnode **out, struct stat *st)
{
	struct lower_name ln;
	bool side_created = false, existed = false, keep = false;
	const char *lname;
	int r;

	*out = NULL;
	a->fd = -1;
	a->has_iv = false;
	if ((r = check_dir(v, dir, true)) < 0)
		return r;
	lower_name_init(&ln);
	if ((r = vault_lower_name_fresh(v, dir, name, &ln)) < 0 ||
	    (r = vault_name_prepare(v, dir, &ln, &side_created)) < 0)
		goto out;
	lname = (const char *)ln.name.data;
	if ((r = mk(v, dir->fd, lname, a, &existed)) < 0)
		goto undo;
	if ((r = make_node(v, dir, lname, existed, who, a, out, st, &keep)) < 0)
		goto remove;
	r = vault_convert_stat(v, *out, st);
	goto out;
remove:
	if (keep)
		goto out;
	remove_lower(v, dir->fd, lname, is_dir);
undo:
	vault_name_undo(v, dir, &ln, side_created);
out:
	if (r < 0 && *out) {
		vnode_unref(v, *out);
		*out = NULL;
	}
	secure_wipe(a->iv, sizeof(a->iv));
	lower_name_release(&ln);
	return r;
}

static int mk_file(struct vault *v, int dirfd, const char *lname, struct make_args *a,
		   bool *existed)
{
	int flags = STORE_CREAT | STORE_EXCL | STORE_NOFOLLOW, fd;

	/* a handle create will use for I/O is opened as vnode_io_get() would open it */
	if (a->keep_fd)
		flags |= STORE_RDWR | (v->opts.lower_direct ? STORE_DIRECT : 0);
	else
		flags |= STORE_WRONLY;
	fd = store_openat(v->store, dirfd, lname, flags, a->mode & 07777);
	if (fd == -EEXIST && !(a->flags & O_EXCL)) {
		*existed = true;
		return 0;
	}
	if (fd < 0)
		return fd;
	a->created = true;
	/* the node was created with its mode; nothing was written through the handle */
	if (a->keep_fd)
		a->fd = fd;
	else
		(void)store_close(v->store, fd);
	return 0;
}

static int mk_node(struct vault *v, int dirfd, const char *lname, struct make_args *a,
		   bool *existed)
{
	(void)existed;
	return store_mknodat(v->store, dirfd, lname, a->mode, a->rdev);
}

static int mk_symlink(struct vault *v, int dirfd, const char *lname, struct make_args *a,
		      bool *existed)
{
	(void)existed;
	return store_symlinkat(v->store, a->target, dirfd, lname);
}

/*
 * Fix the mode after the directory IV was written (the IV needs an owner-writable dir):
 * through the directory's handle fd when there is one, else by name.
 */
static int dir_fix_mode(struct vault *v, int dirfd, const char *lname, int fd, mode_t mode)
{
	struct stat st;
	int r;

	r = fd >= 0 ? store_fstat(v->store, fd, &st)
		    : store_fstatat(v->store, dirfd, lname, &st, STORE_AT_NOFOLLOW);
	if (r < 0)
		return r;
	/* keep the set-group-ID bit the lower fs inherited from a set-group-ID parent */
	mode = (mode & 07777) | (st.st_mode & S_ISGID);
	if ((st.st_mode & 07777) == mode)
		return 0;
	if (fd >= 0)
		return store_fchmodat(v->store, fd, ".", mode, 0);
	return store_fchmodat(v->store, dirfd, lname, mode, 0);
}

/* The new directory's handle (kept in a->fd for its vnode) is where its IV goes. */
static int mk_dir(struct vault *v, int dirfd, const char *lname, struct make_args *a,
		  bool *existed)
{
	int fd = -1, r;

	(void)existed;
	if ((r = store_mkdirat(v->store, dirfd, lname, (a->mode & 07777) | S_IRWXU)) < 0)
		return r;
	if (!v->plaintext_names) {
		fd = store_openat(v->store, dirfd, lname,
				  STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
		r = fd < 0 ? fd : vault_dir_iv_create(v, fd, a->iv);
		if (r < 0) {
			log_error("cannot create directory IV in '%s': %s", lname, strerror(-r));
			goto fail;
		}
		a->has_iv = true;
	}
	if ((r = dir_fix_mode(v, dirfd, lname, fd, a->mode)) < 0)
		goto fail;
	a->fd = fd;
	return 0;
fail:
	/* r is reported; the directory is removed below */
	if (fd >= 0)
		(void)store_close(v->store, fd);
	a->has_iv = false;
	remove_lower(v, dirfd, lname, true);
	return r;
}

int vault_mknod(struct vault *v, struct vnode *dir, const char *name, mode_t mode, dev_t rdev,
		const struct vault_caller *who, struct vnode **out, struct stat *st)
{
	struct make_args a = { .mode = mode, .rdev = rdev, .flags = O_EXCL };

	*out = NULL;
	if (S_ISREG(mode))
		return make_entry(v, dir, name, who, false, mk_file, &a, out, st);
	/* device nodes too: the kernel checked CAP_MKNOD of the caller (vfs_mknod), and
	 * whether they may be opened is the mount's nodev, the administrator's choice */
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return make_entry(v, dir, name, who, false, mk_node, &a, out, st);
}

int vault_create(struct vault *v, struct vnode *dir, const char *name, mode_t mode, int flags,
		 const struct vault_caller *who, struct vnode **out, struct stat *st,
		 bool *created)
{
	struct make_args a = { .mode = mode, .flags = flags, .keep_fd = true };
	int r;

	if (created)
		*created = false;
	if ((r = make_entry(v, dir, name, who, false, mk_file, &a, out, st)) < 0)
		return r;
	if ((*out)->type != S_IFREG) {
		r = (*out)->type == S_IFDIR ? -EISDIR : -EEXIST;
	} else if (a.created) {
		r = vault_open_file(v, *out, flags & ~O_TRUNC);
	} else if ((r = vault_open_file(v, *out, flags)) == 0 && (flags & O_TRUNC)) {
		r = vault_getattr(v, *out, st);
		if (r < 0)
			vnode_io_put(v, *out);
	}
	if (r < 0) {
		vnode_unref(v, *out);
		*out = NULL;
		return r;
	}
	if (created)
		*created = a.created;
	return 0;
}

int vault_mkdir(struct vault *v, struct vnode *dir, const char *name, mode_t mode,
		const struct vault_caller *who, struct vnode **out, struct stat *st)
{
	struct make_args a = { .mode = mode };

	return make_entry(v, dir, name, who, true, mk_dir, &a, out, st);
}

int vault_symlink(struct vault *v, struct vnode *dir, const char *name, const char *target,
		  const struct vault_caller *who, struct vnode **out, struct stat *st)
{
	struct make_args a = { 0 };
	struct buf enc;
	bool blob = false;
	int r;

	*out = NULL;
	if (vault_is_ro(v))
		return -EROFS;
	if (!*target)
		return -ENOENT;
	buf_init(&enc);
	if ((r = vault_link_encrypt(v, target, &enc, &blob)) == 0) {
		a.target = (const char *)enc.data;
		r = make_entry(v, dir, name, who, false, mk_symlink, &a, out, st);
	}
	/* no link names the new blob: remove it (fsck reports one a crash leaves) */
	if (r < 0 && blob && vault_link_forget(v, (const char *)enc.data, enc.len) < 0)
		log_warn("cannot remove an unused symlink target blob");
	buf_release(&enc);
	return r;
}

/*
 * linkat() of the object itself (an empty old name); stores that cannot do that get the
 * object's last known name, and the new entry is checked to be the same object.
 */
static int link_by_handle(struct vault *v, struct vnode *n, struct vnode *newdir,
			  const char *lname)
{
	struct vnode *parent = NULL;
	struct buf old;
	struct stat st;
	int r;

	r = store_linkat(v->store, n->fd, "", newdir->fd, lname);
	if (r != -ENOENT && r != -EINVAL)
		return r;
	buf_init(&old);
	if ((r = vnode_locate(v, n, &parent, &old)) == 0)
		r = store_linkat(v->store, parent->fd, (const char *)old.data, newdir->fd, lname);
	if (r == 0 && (store_fstatat(v->store, newdir->fd, lname, &st, STORE_AT_NOFOLLOW) < 0 ||
		       (uint64_t)st.st_ino != n->ino)) {
		/* -ENOENT is reported: the new name points elsewhere; if the unlink fails it stays
		 * a second name of that file */
		(void)store_unlinkat(v->store, newdir->fd, lname, 0);
		r = -ENOENT;
	}
	vnode_unref(v, parent);
	buf_release(&old);
	return r;
}

int vault_link(struct vault *v, struct vnode *n, struct vnode *newdir, const char *newname,
	       struct stat *st)
{
	struct lower_name ln;
	bool created = false;
	int r;

	if ((r = check_dir(v, newdir, true)) < 0)
		return r;
	if (n->type == S_IFDIR)
		return -EPERM;
	lower_name_init(&ln);
	if ((r = vault_lower_name_fresh(v, newdir, newname, &ln)) < 0 ||
	    (r = vault_name_prepare(v, newdir, &ln, &created)) < 0)
		goto out;
	r = link_by_handle(v, n, newdir, (const char *)ln.name.data);
	if (r < 0) {
		vault_name_undo(v, newdir, &ln, created);
		goto out;
	}
	r = vault_getattr(v, n, st);
out:
	lower_name_release(&ln);
	return r;
}

/*
 * Unlinks dir/lname, with the target blob of a symlink's last link (link_target.h) and
 * the attribute blob of a file's last link (xattr_blob.h).
 */
static int unlink_entry(struct vault *v, struct vnode *dir, const char *lname)
{
	struct link_probe p;
	struct xattr_probe x;
	int r;

	(void)vault_link_probe(v, dir->fd, lname, &p);
	(void)vault_xattr_probe(v, dir->fd, lname, &x); /* fills x */
	if ((r = store_unlinkat(v->store, dir->fd, lname, 0)) == 0) {
		vault_link_drop(v, &p);
		vault_xattr_drop(v, &x);
	}
	return r;
}

int vault_unlink(struct vault *v, struct vnode *dir, const char *name)
{
	struct lower_name ln;
	int r;

	if ((r = check_dir(v, dir, true)) < 0)
		return r;
	lower_name_init(&ln);
	r = vault_lower_name(v, dir, name, &ln);
	if (r == -EPERM)
		r = -ENOENT;
	if (r == 0)
		r = unlink_entry(v, dir, (const char *)ln.name.data);
	if (r == 0)
		vault_name_forget(v, dir, &ln);
	lower_name_release(&ln);
	return r;
}

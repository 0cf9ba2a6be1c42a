/*
 * The libfuse3 low-level request handlers. Each one is thin: it maps node ids to vnodes
 * through the inode table, calls one vault_*() function, translates the result once
 * (-EBADMSG and -EPROTO become EIO; the vault has already logged the cipher file and
 * block) and replies exactly once.
 *
 * Not implemented on purpose: getlk/setlk/flock (the kernel then keeps POSIX record locks
 * and flock locks locally, per mount; cross-client locking is the vault's shared mode),
 * access (default_permissions makes the kernel check), ioctl, poll, bmap, copy_file_range
 * (the kernel falls back to read + write).
 *
 * Lookup counts: every reply that hands the kernel an entry (lookup, mknod, mkdir, symlink,
 * link, create and each readdirplus entry other than "." and "..") adds one count to the
 * inode table; forget and forget_multi remove them. A reply that fails to reach the kernel
 * takes its count back.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include "base/buf.h"
#include "base/log.h"
#include "base/secmem.h"
#include "fuse/fuse_internal.h"
#include "fuse/inode_table.h"
#include "fuse/killpriv.h"
#include "vault/vault.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* An open directory: the snapshot taken by the last read at offset 0. */
struct dir_handle {
	pthread_mutex_t lock;
	struct vdir *snap; /* owned, NULL before the first read; protected by lock */
};

static struct frontend *req_frontend(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The one translation of a vault result into a FUSE errno (STYLE rule 12). */
static int to_errno(long long r)
{
	int e;

	if (r >= 0)
		return 0;
	if (r < -4095)
		return EIO;
	e = (int)-r;
	if (e == EBADMSG || e == EPROTO)
		return EIO;
	return e;
}

/* An errno from the lower file system that means the share (server, lower mount) is gone. */
static bool is_share_error(long long r)
{
	switch (-r) {
	case EIO: /* from the lower fs: our own -EBADMSG/-EPROTO are logged by the vault */
	case ENOTCONN:
	case ECONNABORTED:
	case ECONNRESET:
	case ECONNREFUSED:
	case EHOSTDOWN:
	case EHOSTUNREACH:
	case ENETUNREACH:
	case ETIMEDOUT:
	case ESHUTDOWN:
		return true;
	default:
		return false;
	}
}

static void reply_result(fuse_req_t req, long long r)
{
	/* One clear line when the share fails, not one per request (at most every 30 s). */
	static _Atomic long long last_logged;
	long long now = (long long)time(NULL), prev = atomic_load(&last_logged);

	if (r < 0 && is_share_error(r) && now - prev >= 30 &&
	    atomic_compare_exchange_strong(&last_logged, &prev, now))
		log_error("lower file system error: %s (share or lower mount unreachable?); "
			  "requests fail with this error until it is back; not repeated for 30 s",
			  strerror((int)-r));
	fuse_reply_err(req, to_errno(r));
}

static struct vault_caller req_caller(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct vault_caller who = {ctx->uid, ctx->gid};

	return who;
}

static void fill_entry(const struct frontend *f, struct fuse_entry_param *e, uint64_t id,
		       const struct stat *st)
{
	memset(e, 0, sizeof(*e));
	e->ino = id;
	e->generation = f->generation;
	e->attr = *st;
	e->attr_timeout = f->opts.attr_timeout;
	e->entry_timeout = f->opts.entry_timeout;
}

/* Reply with an entry for n (parent/name), taking over the caller's reference to n. */
static void reply_new_entry(fuse_req_t req, struct frontend *f, struct vnode *n, fuse_ino_t parent,
			    const char *name, const struct stat *st)
{
	struct fuse_entry_param e;
	uint64_t id;
	int r;

	r = inode_table_add(f->inodes, n, parent, name, &id);
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	fill_entry(f, &e, id, st);
	if (fuse_reply_entry(req, &e) != 0)
		inode_table_forget(f->inodes, id, 1);
}

/*
 * The mode of a new object: masked by its directory's default ACL, or by the caller's
 * umask (FUSE_CAP_DONT_MASK). *acl must be released by the caller either way.
 */
static int new_mode(fuse_req_t req, struct frontend *f, struct vnode *dir, mode_t type,
		    mode_t *mode, struct vault_acl_new *acl)
{
	return vault_acl_inherit(f->vault, dir, type, mode, fuse_req_ctx(req)->umask, acl);
}

/* Store the inherited ACLs on n; the object exists, so a failure is logged, not returned. */
static void apply_acl(struct frontend *f, struct vnode *n, const struct vault_acl_new *acl)
{
	int r = vault_acl_apply(f->vault, n, acl);

	if (r < 0)
		log_warn("cannot store the inherited ACL of inode %llu: %s",
			 (unsigned long long)vnode_ino(n), strerror(to_errno(r)));
}

/* Undo an open on an error path; the failure that got us here is the one reported. */
static void release_quietly(struct frontend *f, struct vnode *n)
{
	int r = vault_release_file(f->vault, n);

	if (r < 0)
		log_warn("cannot release inode %llu: %s", (unsigned long long)vnode_ino(n),
			 strerror(to_errno(r)));
}

/* Look up node id `ino`; replies ESTALE and returns NULL when the kernel's id is unknown. */
static struct vnode *get_node(fuse_req_t req, struct frontend *f, fuse_ino_t ino)
{
	struct vnode *n;

	frontend_after_init(f);
	n = inode_table_get(f->inodes, ino);

	if (!n) {
		log_warn("request for unknown node id %llu", (unsigned long long)ino);
		fuse_reply_err(req, ESTALE);
	}
	return n;
}

/* --- session --- */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	struct frontend *f = userdata;

	/* Large writes: libfuse raises max_pages with max_write (its buffer holds 1 MiB). */
	conn->max_write = 1u << 20;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	if (conn->capable & FUSE_CAP_PARALLEL_DIROPS)
		conn->want |= FUSE_CAP_PARALLEL_DIROPS;
	/*
	 * POSIX ACLs: the kernel checks them and caches them; the vault keeps the mode in
	 * step and does the inheritance, for which it needs the unmasked mode and the umask.
	 */
	if ((conn->capable & FUSE_CAP_POSIX_ACL) && (conn->capable & FUSE_CAP_DONT_MASK))
		conn->want |= FUSE_CAP_POSIX_ACL | FUSE_CAP_DONT_MASK;
	/*
	 * Writeback cache (single client only, see frontend.h): the kernel coalesces small
	 * writes into max_write requests and owns size and mtime while pages are dirty; it
	 * sends setattr for the times and reads pages that a partial-page write needs.
	 */
	if (f->opts.writeback && (conn->capable & FUSE_CAP_WRITEBACK_CACHE))
		conn->want |= FUSE_CAP_WRITEBACK_CACHE;
	else
		conn->want &= ~(unsigned)FUSE_CAP_WRITEBACK_CACHE;
	/*
	 * Off: splice (not measured to help: every block is decrypted into a buffer anyway),
	 * export (node ids are not persistent), remote locks (kernel-local locks instead).
	 */
	conn->want &=
	    ~(unsigned)(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE |
			FUSE_CAP_EXPORT_SUPPORT | FUSE_CAP_POSIX_LOCKS | FUSE_CAP_FLOCK_LOCKS |
			FUSE_CAP_HANDLE_KILLPRIV);
	conn->time_gran = 1;
	killpriv_conn_init(f, conn);
	log_info("fuse protocol %u.%u, max_write %u, max_readahead %u, writeback cache %s",
		 conn->proto_major, conn->proto_minor, conn->max_write, conn->max_readahead,
		 (conn->want & FUSE_CAP_WRITEBACK_CACHE) ? "on" : "off");
}

static void op_destroy(void *userdata)
{
	struct frontend *f = userdata;

	/* The kernel sends no forgets at unmount: drop every node but the root here. */
	log_info("session ends with %llu node ids still known to the kernel (root included)",
		 (unsigned long long)inode_table_count(f->inodes));
	inode_table_clear(f->inodes);
}

/* --- names --- */

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_lookup(f->vault, dir, name, &n, &st);
	vnode_unref(f->vault, dir);
	if (r == -ENOENT && f->opts.negative_timeout > 0) {
		/* node id 0: the kernel keeps a negative entry for entry_timeout */
		struct fuse_entry_param e;

		memset(&e, 0, sizeof(e));
		e.entry_timeout = f->opts.negative_timeout;
		fuse_reply_entry(req, &e);
		return;
	}
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	reply_new_entry(req, f, n, parent, name, &st);
}

static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	inode_table_forget(req_frontend(req)->inodes, ino, nlookup);
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	struct frontend *f = req_frontend(req);
	size_t i;

	for (i = 0; i < count; i++)
		inode_table_forget(f->inodes, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	struct stat st;
	int r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_getattr(f->vault, n, &st);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_attr(req, &st, f->opts.attr_timeout);
}

static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	struct stat st;
	int set = 0, r = 0;
	bool kill = killpriv_take();

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	/* chown(f, -1, -1) arrives as a SETATTR with nothing to set: under killpriv_v2 the
	 * kernel drops its kill bits and leaves them to us, and the VFS clears set-id bits */
	if (!(to_set & ~FUSE_SET_ATTR_CTIME) && atomic_load(&f->killpriv.active))
		kill = true;
	if (to_set & FUSE_SET_ATTR_MODE)
		set |= VAULT_SET_MODE;
	if (to_set & FUSE_SET_ATTR_UID)
		set |= VAULT_SET_UID;
	if (to_set & FUSE_SET_ATTR_GID)
		set |= VAULT_SET_GID;
	if (to_set & FUSE_SET_ATTR_ATIME_NOW)
		set |= VAULT_SET_ATIME_NOW;
	else if (to_set & FUSE_SET_ATTR_ATIME)
		set |= VAULT_SET_ATIME;
	if (to_set & FUSE_SET_ATTR_MTIME_NOW)
		set |= VAULT_SET_MTIME_NOW;
	else if (to_set & FUSE_SET_ATTR_MTIME)
		set |= VAULT_SET_MTIME;
	if (to_set & FUSE_SET_ATTR_CTIME)
		set |= VAULT_SET_CTIME;
	if (to_set & FUSE_SET_ATTR_SIZE) {
		if (attr->st_size < 0)
			r = -EINVAL;
		else
			r = vault_truncate(f->vault, n, (uint64_t)attr->st_size);
	}
	if (r >= 0 && set)
		r = vault_setattr(f->vault, n, attr, set, &st);
	/* truncate or chown under killpriv_v2 (after the chown); an explicit mode wins */
	if (r >= 0 && kill && !(set & VAULT_SET_MODE))
		r = killpriv_apply(f, n, 0); /* the reply carries the new mode */
	if (r >= 0 && (!set || kill))
		r = vault_getattr(f->vault, n, &st);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_attr(req, &st, f->opts.attr_timeout);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	struct buf target;
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	buf_init(&target);
	r = vault_readlink(f->vault, n, &target);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_readlink(req, (const char *)target.data);
	buf_release(&target);
}

static void op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	struct vault_acl_new acl;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = new_mode(req, f, dir, mode & S_IFMT, &mode, &acl);
	if (r >= 0)
		r = vault_mknod(f->vault, dir, name, mode, rdev, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r >= 0)
		apply_acl(f, n, &acl);
	vault_acl_new_release(&acl);
	if (r < 0)
		reply_result(req, r);
	else
		reply_new_entry(req, f, n, parent, name, &st);
}

static void op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	struct vault_acl_new acl;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = new_mode(req, f, dir, S_IFDIR, &mode, &acl);
	if (r >= 0)
		r = vault_mkdir(f->vault, dir, name, mode & 07777, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r >= 0)
		apply_acl(f, n, &acl);
	vault_acl_new_release(&acl);
	if (r < 0)
		reply_result(req, r);
	else
		reply_new_entry(req, f, n, parent, name, &st);
}

static void op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_unlink(f->vault, dir, name);
	vnode_unref(f->vault, dir);
	reply_result(req, r);
}

static void op_rmdir(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_rmdir(f->vault, dir, name);
	vnode_unref(f->vault, dir);
	reply_result(req, r);
}

static void op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct stat st;
	int r;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = vault_symlink(f->vault, dir, name, link, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r < 0)
		reply_result(req, r);
	else
		reply_new_entry(req, f, n, parent, name, &st);
}

static void op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		      const char *newname, unsigned int flags)
{
	struct frontend *f = req_frontend(req);
	struct vnode *dir, *newdir;
	unsigned vflags = 0;
	int r;

	if (flags & ~(unsigned)(RENAME_NOREPLACE | RENAME_EXCHANGE)) {
		fuse_reply_err(req, EINVAL); /* RENAME_WHITEOUT: overlayfs only */
		return;
	}
	if (flags & RENAME_NOREPLACE)
		vflags |= VAULT_RENAME_NOREPLACE;
	if (flags & RENAME_EXCHANGE)
		vflags |= VAULT_RENAME_EXCHANGE;
	if (!(dir = get_node(req, f, parent)))
		return;
	if (!(newdir = get_node(req, f, newparent))) {
		vnode_unref(f->vault, dir);
		return;
	}
	r = vault_rename(f->vault, dir, name, newdir, newname, vflags);
	vnode_unref(f->vault, newdir);
	vnode_unref(f->vault, dir);
	reply_result(req, r);
}

static void op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n, *newdir;
	struct stat st;
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	if (!(newdir = get_node(req, f, newparent))) {
		vnode_unref(f->vault, n);
		return;
	}
	r = vault_link(f->vault, n, newdir, newname, &st);
	vnode_unref(f->vault, newdir);
	if (r < 0) {
		vnode_unref(f->vault, n);
		reply_result(req, r);
		return;
	}
	/* Our reference becomes the entry's lookup. */
	reply_new_entry(req, f, n, newparent, newname, &st);
}

/* --- file contents --- */

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	bool kill = killpriv_take();
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	/*
	 * Shared mode, close-to-open: another client may have changed the file since we
	 * last looked. Drop the vault's per-file state and the kernel's attributes (offset
	 * -1: attributes only, which takes no page lock and so is safe inside a request);
	 * the page cache goes because keep_cache is off in shared mode.
	 */
	if (f->opts.shared && vault_invalidate(f->vault, n))
		(void)fuse_lowlevel_notify_inval_inode(f->se, ino, -1, 0);
	r = vault_open_file(f->vault, n, fi->flags);
	if (r >= 0 && (fi->flags & O_TRUNC) && (fi->flags & O_ACCMODE) != O_RDONLY) {
		r = vault_truncate(f->vault, n, 0);
		/* O_TRUNC by a caller without CAP_FSETID under killpriv_v2 */
		if (r >= 0 && kill)
			r = killpriv_apply(f, n, ino);
		if (r < 0)
			release_quietly(f, n);
	}
	/* atime (frontend.h); attributes-only invalidation is safe inside a request */
	if (r >= 0 && (fi->flags & O_ACCMODE) != O_WRONLY && !(fi->flags & O_TRUNC) &&
	    vault_access(f->vault, n, f->opts.atime) > 0)
		(void)fuse_lowlevel_notify_inval_inode(f->se, ino, -1, 0);
	vnode_unref(f->vault, n);
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	fi->fh = 0;
	fi->keep_cache = f->opts.keep_cache;
	if (fuse_reply_open(req, fi) != 0) {
		/* The kernel will send no release for an open it never saw. */
		if ((n = inode_table_get(f->inodes, ino))) {
			release_quietly(f, n);
			vnode_unref(f->vault, n);
		}
	}
}

static void op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		      struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vault_caller who = req_caller(req);
	struct vnode *dir, *n = NULL;
	struct fuse_entry_param e;
	struct stat st;
	uint64_t id;
	bool kill = killpriv_take();
	int r;

	struct vault_acl_new acl;

	if (!(dir = get_node(req, f, parent)))
		return;
	r = new_mode(req, f, dir, S_IFREG, &mode, &acl);
	if (r >= 0)
		r = vault_create(f->vault, dir, name, mode, fi->flags, &who, &n, &st);
	vnode_unref(f->vault, dir);
	if (r == 1) /* created; an existing file opened here keeps its ACLs */
		apply_acl(f, n, &acl);
	vault_acl_new_release(&acl);
	if (r < 0) {
		reply_result(req, r);
		return;
	}
	/* An existing file opened through create (no O_EXCL) still honours O_TRUNC. */
	if ((fi->flags & O_TRUNC) && st.st_size > 0) {
		r = vault_truncate(f->vault, n, 0);
		/*
		 * The kernel marks any O_TRUNC create without O_EXCL; only a file that existed
		 * (reached here when the kernel's entry was negative) is killed, and an empty
		 * one keeps its bits.
		 */
		if (r >= 0 && kill)
			r = killpriv_apply(f, n, 0); /* the reply carries the new mode */
		if (r >= 0)
			r = vault_getattr(f->vault, n, &st);
		if (r < 0) {
			release_quietly(f, n);
			vnode_unref(f->vault, n);
			reply_result(req, r);
			return;
		}
	}
	vnode_ref(n); /* kept across the reply; the table takes the other one */
	r = inode_table_add(f->inodes, n, parent, name, &id);
	if (r < 0) {
		release_quietly(f, n);
		vnode_unref(f->vault, n);
		reply_result(req, r);
		return;
	}
	fill_entry(f, &e, id, &st);
	fi->fh = 0;
	fi->keep_cache = f->opts.keep_cache;
	if (fuse_reply_create(req, &e, fi) != 0) {
		release_quietly(f, n);
		inode_table_forget(f->inodes, id, 1);
	}
	vnode_unref(f->vault, n);
}

/*
 * Free a reply buffer that held plaintext (file data, directory entries with plaintext
 * names, xattr names and values) after wiping all n bytes of it, so that freed heap does
 * not keep plaintext for a later core dump or heap read. (readlink's struct buf wipes
 * itself in buf_release().)
 */
static void free_wiped(void *p, size_t n)
{
	if (!p)
		return;
	secure_wipe(p, n);
	free(p);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	ssize_t r;
	char *data;

	(void)fi;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	data = malloc(size ? size : 1);
	if (!data) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(n = get_node(req, f, ino))) {
		free(data);
		return;
	}
	r = vault_read(f->vault, n, data, size, (uint64_t)off);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_buf(req, data, (size_t)r);
	free_wiped(data, size ? size : 1);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	ssize_t r = 0;
	bool kill = killpriv_take();

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!(n = get_node(req, f, ino)))
		return;
	/* Under killpriv_v2, a writer without CAP_FSETID: first the set-id bits, as the VFS. */
	if (kill)
		r = killpriv_apply(f, n, ino);
	/*
	 * O_APPEND: the kernel has already placed off at its (refreshed) end of file and
	 * serialises writers on the inode, so the offset is used as given -- except in
	 * shared mode, where another client may have appended since: then the vault
	 * appends at the lower end of file under the shared-storage lock.
	 */
	if (r >= 0)
		r = vault_write(f->vault, n, data, size, (uint64_t)off,
				f->opts.shared && (fi->flags & O_APPEND), NULL);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_write(req, (size_t)r);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);

	(void)ino;
	(void)fi;
	/*
	 * close(): the vault writes through (with the writeback cache, the kernel writes the
	 * dirty pages before it sends FLUSH); durability is fsync's job. In single-client mode
	 * ENOSYS tells the kernel to stop sending FLUSH at all: one round trip less per close.
	 */
	fuse_reply_err(req, f->opts.writeback ? ENOSYS : 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_release_file(f->vault, n);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_fsync(f->vault, n, datasync != 0);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

static void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)fi;
	if (off < 0 || len <= 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (!(n = get_node(req, f, ino)))
		return;
	r = killpriv_fallocate(f, req, n, ino);
	if (r >= 0)
		r = vault_fallocate(f->vault, n,
				    (mode & ~FALLOC_FL_KEEP_SIZE) ? -1
				    : (mode & FALLOC_FL_KEEP_SIZE) ? VAULT_FALLOC_KEEP_SIZE
								   : 0,
				    (uint64_t)off, (uint64_t)len);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

static void op_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence,
		     struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int64_t r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	/*
	 * With the writeback cache the kernel may hold dirty pages the lower file does not
	 * have yet, and the answer comes from the lower file. Have the kernel write the file's
	 * dirty pages first: invalidating its page range launders each dirty page through a
	 * WRITE, which other threads serve, before the notification returns (the LSEEK
	 * request holds the inode lock, no page lock). Clean pages are dropped with them.
	 */
	if (f->opts.writeback && (r = fuse_lowlevel_notify_inval_inode(f->se, ino, 0, 0)) < 0 &&
	    r != -ENOENT)
		log_debug("cannot write back inode %llu before lseek: %s",
			  (unsigned long long)ino, strerror((int)-r));
	r = vault_lseek(f->vault, n, off, whence);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_lseek(req, r);
}

/* --- directories --- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct dir_handle *dh;
	struct vnode *n;
	int r;

	dh = calloc(1, sizeof(*dh));
	if (!dh) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(n = get_node(req, f, ino))) {
		free(dh);
		return;
	}
	/* The listing is read at the first readdir: entries created in between are in it. */
	r = vnode_type(n) == S_IFDIR ? 0 : -ENOTDIR;
	vnode_unref(f->vault, n);
	if (r < 0) {
		free(dh);
		reply_result(req, r);
		return;
	}
	pthread_mutex_init(&dh->lock, NULL);
	fi->fh = (uint64_t)(uintptr_t)dh;
	if (fuse_reply_open(req, fi) != 0) {
		vault_closedir(dh->snap);
		pthread_mutex_destroy(&dh->lock);
		free(dh);
	}
}

/*
 * Directory offsets: position 0 is ".", 1 is "..", 2 + i is entry i of the snapshot; the
 * offset stored with an entry is the position of the next one. Every read at offset 0 (the
 * first one, and each after rewinddir, which the kernel does not report otherwise) takes a
 * fresh snapshot, which then stays fixed, so the offsets handed out stay valid.
 */
static void do_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi, bool plus)
{
	struct frontend *f = req_frontend(req);
	struct dir_handle *dh = (struct dir_handle *)(uintptr_t)fi->fh;
	struct vnode *dir;
	size_t used = 0;
	char *out;
	int err = 0;
	off_t pos;

	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	out = malloc(size ? size : 1);
	if (!out) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(dir = get_node(req, f, ino))) {
		free(out);
		return;
	}
	pthread_mutex_lock(&dh->lock);
	if (off == 0 || !dh->snap) {
		struct vdir *fresh = NULL;
		int r = vault_opendir(f->vault, dir, &fresh);

		if (r < 0) {
			err = to_errno(r);
			goto out;
		}
		vault_closedir(dh->snap);
		dh->snap = fresh;
	}
	for (pos = off;; pos++) {
		const char *name;
		uint64_t eino;
		unsigned char type;
		struct fuse_entry_param e;
		struct vnode *n = NULL;
		uint64_t id = 0;
		size_t entsize;
		int r;

		if (pos == 0 || pos == 1) {
			name = pos == 0 ? "." : "..";
			eino = vnode_ino(dir);
			type = DT_DIR;
		} else {
			r = vault_dir_entry(dh->snap, (size_t)(pos - 2), &name, &eino, &type);
			if (r <= 0)
				break;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
		}
		memset(&e, 0, sizeof(e));
		e.attr.st_ino = (ino_t)eino;
		e.attr.st_mode = (mode_t)type << 12;
		if (!plus) {
			entsize =
			    fuse_add_direntry(req, out + used, size - used, name, &e.attr, pos + 1);
			if (entsize > size - used)
				break;
			used += entsize;
			continue;
		}
		if (pos >= 2) {
			/* readdirplus: the kernel counts one lookup per entry with a node id. */
			struct stat st;

			r = vault_lookup(f->vault, dir, name, &n, &st);
			if (r == -ENOENT)
				continue; /* removed since the snapshot */
			if (r < 0) {
				if (!used)
					err = to_errno(r);
				break;
			}
			r = inode_table_add(f->inodes, n, ino, name, &id);
			if (r < 0) {
				if (!used)
					err = to_errno(r);
				break;
			}
			fill_entry(f, &e, id, &st);
		}
		entsize = fuse_add_direntry_plus(req, out + used, size - used, name, &e, pos + 1);
		if (entsize > size - used) {
			if (id)
				inode_table_forget(f->inodes, id, 1);
			break;
		}
		used += entsize;
	}
out:
	pthread_mutex_unlock(&dh->lock);
	vnode_unref(f->vault, dir);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_buf(req, out, used);
	free_wiped(out, size ? size : 1);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, false);
}

static void op_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
			   struct fuse_file_info *fi)
{
	do_readdir(req, ino, size, off, fi, true);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct dir_handle *dh = (struct dir_handle *)(uintptr_t)fi->fh;

	(void)ino;
	vault_closedir(dh->snap);
	pthread_mutex_destroy(&dh->lock);
	free(dh);
	fuse_reply_err(req, 0);
}

static void op_fsyncdir(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	(void)fi;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_fsync(f->vault, n, datasync != 0);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

static void op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct frontend *f = req_frontend(req);
	struct statvfs sv;
	int r;

	(void)ino;
	r = vault_statfs(f->vault, &sv);
	if (r < 0)
		reply_result(req, r);
	else
		fuse_reply_statfs(req, &sv);
}

/* --- extended attributes --- */

static void op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
			size_t size, int flags)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int vflags = 0, r;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE)) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if (flags & XATTR_CREATE)
		vflags |= VAULT_XATTR_CREATE;
	if (flags & XATTR_REPLACE)
		vflags |= VAULT_XATTR_REPLACE;
	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_setxattr(f->vault, n, name, value, size, vflags);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

static void op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	char *data = NULL;
	ssize_t r;

	if (size && !(data = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (!(n = get_node(req, f, ino))) {
		free(data);
		return;
	}
	r = vault_getxattr(f->vault, n, name, data, size);
	vnode_unref(f->vault, n);
	if (r < 0)
		reply_result(req, r);
	else if (!size)
		fuse_reply_xattr(req, (size_t)r);
	else
		fuse_reply_buf(req, data, (size_t)r);
	free_wiped(data, size); /* the value is plaintext */
}

/* Drop the trusted.* names from a NUL-separated list; returns the new length. */
static size_t drop_trusted(char *list, size_t len)
{
	size_t at = 0, out = 0, one;

	while (at < len) {
		one = strnlen(list + at, len - at) + 1;
		if (strncmp(list + at, "trusted.", 8) != 0) {
			memmove(list + out, list + at, one);
			out += one;
		}
		at += one;
	}
	return out;
}

/* The list as the caller may see it: trusted.* only for CAP_SYS_ADMIN, as on ext4. */
static ssize_t list_for_caller(fuse_req_t req, struct frontend *f, struct vnode *n, char **data,
			       size_t *cap)
{
	ssize_t len;

	*data = NULL;
	*cap = 0;
	if ((len = vault_listxattr(f->vault, n, NULL, 0)) <= 0)
		return len;
	if (!(*data = malloc((size_t)len)))
		return -ENOMEM;
	*cap = (size_t)len;
	len = vault_listxattr(f->vault, n, *data, (size_t)len);
	if (len > 0 && memmem(*data, (size_t)len, "trusted.", 8) &&
	    !killpriv_caller_capable(req, CAP_SYS_ADMIN))
		len = (ssize_t)drop_trusted(*data, (size_t)len);
	return len;
}

static void op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	char *data = NULL;
	size_t cap = 0;
	ssize_t r;

	if (!(n = get_node(req, f, ino)))
		return;
	r = list_for_caller(req, f, n, &data, &cap);
	vnode_unref(f->vault, n);
	if (r > 0 && size && (size_t)r > size)
		r = -ERANGE;
	if (r < 0)
		reply_result(req, r);
	else if (!size)
		fuse_reply_xattr(req, (size_t)r);
	else
		fuse_reply_buf(req, data, (size_t)r);
	free_wiped(data, cap); /* the names are plaintext: wipe all that was allocated */
}

static void op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	struct frontend *f = req_frontend(req);
	struct vnode *n;
	int r;

	if (!(n = get_node(req, f, ino)))
		return;
	r = vault_removexattr(f->vault, n, name);
	vnode_unref(f->vault, n);
	reply_result(req, r);
}

const struct fuse_lowlevel_ops frontend_ops = {
    .init = op_init,
    .destroy = op_destroy,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = op_mknod,
    .mkdir = op_mkdir,
    .unlink = op_unlink,
    .rmdir = op_rmdir,
    .symlink = op_symlink,
    .rename = op_rename,
    .link = op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .readdirplus = op_readdirplus,
    .releasedir = op_releasedir,
    .fsyncdir = op_fsyncdir,
    .statfs = op_statfs,
    .setxattr = op_setxattr,
    .getxattr = op_getxattr,
    .listxattr = op_listxattr,
    .removexattr = op_removexattr,
    .create = op_create,
    .fallocate = op_fallocate,
    .lseek = op_lseek,
};

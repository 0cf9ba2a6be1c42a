/*
 * The in-memory store (store_mem.h): a tree of nodes in malloc'ed memory behind the
 * store_ops table. Owns the node tree, the handle table and the logical clock; knows
 * nothing of what the bytes mean. Every refusal uses the errno ext4 gives for it.
 *
 * Lifetime of a node: it lives while a name (nlink) or a handle (opens) refers to it;
 * node_put() frees it when both reach zero. A directory's nlink is 2 + its subdirectories
 * while it has a name, and 0 once removed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"
#include "store/store_mem.h"

enum {
	MEM_FD_BASE = 3, /* handles start above stdio, as on POSIX */
	MEM_DEFAULT_LIMIT = 64 << 20,
	MEM_BLOCK = 4096,
};

struct mnode;

struct mentry {
	char *name;
	struct mnode *node;
};

struct mxattr {
	char *name;
	uint8_t *val;
	size_t len;
};

struct mnode {
	mode_t mode; /* type and permission bits */
	uid_t uid;
	gid_t gid;
	dev_t rdev;
	uint64_t ino;
	nlink_t nlink;
	unsigned opens;
	int64_t atime, mtime, ctime; /* logical clock values (seconds) */
	uint8_t *data;		     /* file contents or symlink target */
	size_t size;
	struct mxattr *xattrs;
	size_t nxattrs;
	struct mentry *ents; /* directories */
	size_t nents;
	struct mnode *parent; /* directories: the directory holding it */
	struct mnode *copy;   /* store_mem_snapshot(): the node's copy, NULL otherwise */
};

struct mfd {
	struct mnode *node; /* NULL: free slot */
	int flags;
};

struct mem {
	struct mnode *root;
	struct mfd *fds;
	size_t nfds;
	uint64_t next_ino;
	int64_t clock;
	size_t bytes, limit;
	size_t xattr_space; /* names + values of one node (0: no cap) */
};

struct dirslot {
	char *name;
	uint64_t ino;
	unsigned char type;
};

struct store_dir {
	struct dirslot *slots;
	size_t n, pos;
};

static const struct store_ops mem_ops;

/* --- nodes --- */

static int64_t tick(struct mem *m)
{
	return ++m->clock;
}

static struct mnode *node_new(struct mem *m, mode_t mode)
{
	struct mnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->mode = mode;
	n->ino = m->next_ino++;
	n->atime = n->mtime = n->ctime = tick(m);
	return n;
}

static void node_put(struct mem *m, struct mnode *n);

/* Drop one name of child (a directory loses its only one). */
static void unlink_node(struct mem *m, struct mnode *child)
{
	if (S_ISDIR(child->mode)) {
		child->nlink = 0;
		child->parent = NULL;
	}
	else if (child->nlink)
		child->nlink--;
	node_put(m, child);
}

static void node_free(struct mem *m, struct mnode *n)
{
	for (size_t i = 0; i < n->nents; i++) {
		free(n->ents[i].name);
		unlink_node(m, n->ents[i].node);
	}
	free(n->ents);
	for (size_t i = 0; i < n->nxattrs; i++) {
		m->bytes -= n->xattrs[i].len;
		free(n->xattrs[i].name);
		free(n->xattrs[i].val);
	}
	free(n->xattrs);
	m->bytes -= n->size;
	free(n->data);
	free(n);
}

static void node_put(struct mem *m, struct mnode *n)
{
	if (n && !n->nlink && !n->opens)
		node_free(m, n);
}

static unsigned char dtype(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return 8;   /* DT_REG */
	case S_IFDIR: return 4;   /* DT_DIR */
	case S_IFLNK: return 10;  /* DT_LNK */
	case S_IFIFO: return 1;   /* DT_FIFO */
	case S_IFSOCK: return 12; /* DT_SOCK */
	case S_IFCHR: return 2;   /* DT_CHR */
	case S_IFBLK: return 6;   /* DT_BLK */
	default: return 0;
	}
}

/* Resize n's data to size (new bytes zero), within the limits. */
static int node_resize(struct mem *m, struct mnode *n, uint64_t size)
{
	uint8_t *p;

	if (size > STORE_MEM_FILE_MAX)
		return -EFBIG;
	if (size > n->size && size - n->size > m->limit - m->bytes)
		return -ENOSPC;
	if (size == n->size)
		return 0;
	if (!size) {
		free(n->data);
		n->data = NULL;
	} else {
		if (!(p = realloc(n->data, (size_t)size)))
			return -ENOMEM;
		if (size > n->size)
			memset(p + n->size, 0, (size_t)size - n->size);
		n->data = p;
	}
	m->bytes = m->bytes - n->size + (size_t)size;
	n->size = (size_t)size;
	return 0;
}

/* --- handles and names --- */

static struct mnode *fd_node(struct mem *m, int fd)
{
	if (fd < MEM_FD_BASE || (size_t)(fd - MEM_FD_BASE) >= m->nfds)
		return NULL;
	return m->fds[fd - MEM_FD_BASE].node;
}

static int fd_new(struct mem *m, struct mnode *n, int flags)
{
	size_t i;
	struct mfd *p;

	for (i = 0; i < m->nfds && m->fds[i].node; i++)
		;
	if (i == m->nfds) {
		if (!(p = realloc(m->fds, (m->nfds * 2 + 8) * sizeof(*p))))
			return -ENOMEM;
		memset(p + m->nfds, 0, (m->nfds + 8) * sizeof(*p));
		m->fds = p;
		m->nfds = m->nfds * 2 + 8;
	}
	m->fds[i].node = n;
	m->fds[i].flags = flags;
	n->opens++;
	return (int)i + MEM_FD_BASE;
}

static int check_name(const char *name)
{
	size_t len = strlen(name);

	if (!len)
		return -ENOENT;
	if (len > STORE_MEM_NAME_MAX)
		return -ENAMETOOLONG;
	if (memchr(name, '/', len))
		return -EINVAL; /* single components only */
	return 0;
}

static bool is_dot(const char *name)
{
	return !strcmp(name, ".") || !strcmp(name, "..");
}

static struct mentry *dir_find(struct mnode *dir, const char *name)
{
	for (size_t i = 0; i < dir->nents; i++)
		if (!strcmp(dir->ents[i].name, name))
			return &dir->ents[i];
	return NULL;
}

/* The directory behind dirfd, or NULL with *err set. */
static struct mnode *dir_of(struct mem *m, int dirfd, int *err)
{
	struct mnode *d = fd_node(m, dirfd);

	*err = !d ? -EBADF : !S_ISDIR(d->mode) ? -ENOTDIR : 0;
	return *err ? NULL : d;
}

/*
 * Resolve dirfd/name to a node: "" with STORE_AT_EMPTY_PATH is dirfd's own object, "."
 * and ".." the directory and its parent. Returns NULL with *err set.
 */
static struct mnode *resolve(struct mem *m, int dirfd, const char *name, int at_flags, int *err)
{
	struct mnode *d;
	struct mentry *e;

	if (!*name && (at_flags & STORE_AT_EMPTY_PATH)) {
		d = fd_node(m, dirfd);
		*err = d ? 0 : -EBADF;
		return d;
	}
	if (!(d = dir_of(m, dirfd, err)))
		return NULL;
	if (!strcmp(name, "."))
		return d;
	if (!d->nlink) {
		*err = -ENOENT; /* a removed directory holds nothing, not even ".." */
		return NULL;
	}
	if (!strcmp(name, ".."))
		return d->parent ? d->parent : d;
	if ((*err = check_name(name)) < 0)
		return NULL;
	if (!(e = dir_find(d, name))) {
		*err = -ENOENT;
		return NULL;
	}
	return e->node;
}

static int dir_add(struct mem *m, struct mnode *dir, const char *name, struct mnode *n)
{
	struct mentry *p;
	char *copy;

	if (!(copy = strdup(name)))
		return -ENOMEM;
	if (!(p = realloc(dir->ents, (dir->nents + 1) * sizeof(*p)))) {
		free(copy);
		return -ENOMEM;
	}
	dir->ents = p;
	dir->ents[dir->nents].name = copy;
	dir->ents[dir->nents].node = n;
	dir->nents++;
	if (S_ISDIR(n->mode)) {
		n->parent = dir;
		if (!n->nlink)
			n->nlink = 2; /* a new directory; a moved one keeps 2 + subdirectories */
		dir->nlink++;
	} else {
		n->nlink++;
	}
	dir->mtime = dir->ctime = n->ctime = tick(m);
	return 0;
}

/* Take entry e out of dir (the node is not released). */
static struct mnode *dir_take(struct mem *m, struct mnode *dir, struct mentry *e)
{
	struct mnode *n = e->node;

	free(e->name);
	*e = dir->ents[--dir->nents];
	if (S_ISDIR(n->mode))
		dir->nlink--;
	dir->mtime = dir->ctime = n->ctime = tick(m);
	return n;
}

/* Create a new node of mode under dirfd/name; *out borrows it. */
static int make_at(struct mem *m, int dirfd, const char *name, mode_t mode, struct mnode **out)
{
	struct mnode *d, *n;
	int r;

	if (!(d = dir_of(m, dirfd, &r)))
		return r;
	if (is_dot(name))
		return -EEXIST;
	if ((r = check_name(name)) < 0)
		return r;
	if (!d->nlink)
		return -ENOENT;
	if (dir_find(d, name))
		return -EEXIST;
	if (!(n = node_new(m, mode)))
		return -ENOMEM;
	if ((r = dir_add(m, d, name, n)) < 0) {
		free(n);
		return r;
	}
	*out = n;
	return 0;
}

/* --- the operations --- */

static int mem_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	struct mem *m = ctx;
	struct mnode *n;
	int r;

	n = resolve(m, dirfd, name, 0, &r);
	if (!n && r == -ENOENT && (flags & STORE_CREAT) && !(flags & STORE_DIRECTORY) &&
	    !is_dot(name)) {
		if ((r = make_at(m, dirfd, name, S_IFREG | (mode & 07777), &n)) < 0)
			return r;
	} else if (!n) {
		return r;
	} else if ((flags & (STORE_CREAT | STORE_EXCL)) == (STORE_CREAT | STORE_EXCL)) {
		return -EEXIST;
	}
	if (S_ISLNK(n->mode) && !((flags & STORE_PATH) && (flags & STORE_NOFOLLOW)))
		return -ELOOP;
	if ((flags & STORE_DIRECTORY) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!(flags & STORE_PATH)) {
		if (S_ISDIR(n->mode) && (flags & (STORE_WRONLY | STORE_RDWR | STORE_CREAT)))
			return -EISDIR;
		if ((flags & STORE_TRUNC) && S_ISREG(n->mode) &&
		    (flags & (STORE_WRONLY | STORE_RDWR)) && n->size) {
			if ((r = node_resize(m, n, 0)) < 0)
				return r;
			n->mtime = n->ctime = tick(m);
		}
	}
	return fd_new(m, n, flags);
}

static int mem_close(void *ctx, int fd)
{
	struct mem *m = ctx;
	struct mnode *n = fd_node(m, fd);

	if (!n)
		return -EBADF;
	m->fds[fd - MEM_FD_BASE].node = NULL;
	n->opens--;
	node_put(m, n);
	return 0;
}

static int mem_reopen(void *ctx, int fd, int flags)
{
	struct mem *m = ctx;
	struct mnode *n = fd_node(m, fd);

	if (!n)
		return -EBADF;
	if (S_ISLNK(n->mode) && !(flags & STORE_PATH))
		return -ELOOP;
	if (S_ISDIR(n->mode) && (flags & (STORE_WRONLY | STORE_RDWR)))
		return -EISDIR;
	return fd_new(m, n, flags & ~(STORE_CREAT | STORE_EXCL | STORE_TRUNC));
}

/* The regular file behind an I/O handle; want is STORE_RDONLY (read) or STORE_WRONLY. */
static struct mnode *io_node(struct mem *m, int fd, int want, int *err)
{
	struct mnode *n = fd_node(m, fd);
	int flags;

	*err = 0;
	if (!n)
		*err = -EBADF;
	else if ((flags = m->fds[fd - MEM_FD_BASE].flags) & STORE_PATH)
		*err = -EBADF;
	else if (S_ISDIR(n->mode))
		*err = -EISDIR;
	else if (!S_ISREG(n->mode))
		*err = -EINVAL;
	else if (want == STORE_RDONLY && (flags & STORE_WRONLY))
		*err = -EBADF;
	else if (want != STORE_RDONLY && !(flags & (STORE_WRONLY | STORE_RDWR)))
		*err = -EBADF;
	return *err ? NULL : n;
}

static ssize_t mem_pread(void *ctx, int fd, void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;
	struct mnode *n;
	int r;

	if (!(n = io_node(m, fd, STORE_RDONLY, &r)))
		return r;
	if (off >= n->size)
		return 0;
	if (len > n->size - off)
		len = n->size - (size_t)off;
	memcpy(buf, n->data + off, len);
	return (ssize_t)len;
}

static ssize_t mem_pwrite(void *ctx, int fd, const void *buf, size_t len, uint64_t off)
{
	struct mem *m = ctx;
	struct mnode *n;
	int r;

	if (!(n = io_node(m, fd, STORE_WRONLY, &r)))
		return r;
	if (!len)
		return 0;
	if (off > STORE_MEM_FILE_MAX || len > STORE_MEM_FILE_MAX - off)
		return -EFBIG;
	if (off + len > n->size && (r = node_resize(m, n, off + len)) < 0)
		return r;
	memcpy(n->data + off, buf, len);
	n->mtime = n->ctime = tick(m);
	return (ssize_t)len;
}

static void fill_stat(const struct mnode *n, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = 1;
	st->st_ino = (ino_t)n->ino;
	st->st_mode = n->mode;
	st->st_nlink = n->nlink;
	st->st_uid = n->uid;
	st->st_gid = n->gid;
	st->st_rdev = n->rdev;
	st->st_size = S_ISDIR(n->mode) ? MEM_BLOCK : (off_t)n->size;
	st->st_blksize = MEM_BLOCK;
	st->st_blocks = (blkcnt_t)((n->size + 511) / 512);
	st->st_atim.tv_sec = (time_t)n->atime;
	st->st_mtim.tv_sec = (time_t)n->mtime;
	st->st_ctim.tv_sec = (time_t)n->ctime;
}

static int mem_fstat(void *ctx, int fd, struct stat *st)
{
	struct mnode *n = fd_node(ctx, fd);

	if (!n)
		return -EBADF;
	fill_stat(n, st);
	return 0;
}

static int mem_fstatat(void *ctx, int dirfd, const char *name, struct stat *st, int flags)
{
	struct mnode *n;
	int r;

	if (!(n = resolve(ctx, dirfd, name, flags, &r)))
		return r;
	fill_stat(n, st);
	return 0;
}

static int mem_ftruncate(void *ctx, int fd, uint64_t size)
{
	struct mem *m = ctx;
	struct mnode *n;
	int r;

	if (!(n = io_node(m, fd, STORE_WRONLY, &r)))
		return r;
	if ((r = node_resize(m, n, size)) < 0)
		return r;
	n->mtime = n->ctime = tick(m);
	return 0;
}

static int mem_fsync(void *ctx, int fd, bool datasync)
{
	(void)datasync;
	return fd_node(ctx, fd) ? 0 : -EBADF;
}

static int64_t mem_lseek(void *ctx, int fd, int64_t off, int whence)
{
	struct mnode *n = fd_node(ctx, fd);
	int64_t size;

	if (!n)
		return -EBADF;
	size = (int64_t)n->size;
	switch (whence) {
	case SEEK_SET: return off < 0 ? -EINVAL : off;
	case SEEK_END: return size + off < 0 ? -EINVAL : size + off;
#ifdef SEEK_DATA
	case SEEK_DATA: return off < 0 ? -EINVAL : off >= size ? -ENXIO : off;
	case SEEK_HOLE: return off < 0 ? -EINVAL : off >= size ? -ENXIO : size;
#endif
	default: return -EINVAL;
	}
}

static int mem_mkdirat(void *ctx, int dirfd, const char *name, mode_t mode)
{
	struct mnode *n;

	return make_at(ctx, dirfd, name, S_IFDIR | (mode & 07777), &n);
}

static bool dir_is_empty(const struct mnode *d)
{
	return d->nents == 0;
}

static int mem_unlinkat(void *ctx, int dirfd, const char *name, int flags)
{
	struct mem *m = ctx;
	struct mnode *d, *n;
	struct mentry *e;
	int r;

	if (!(d = dir_of(m, dirfd, &r)))
		return r;
	if (is_dot(name))
		return (flags & STORE_AT_REMOVEDIR) ? (name[1] ? -ENOTEMPTY : -EINVAL) : -EISDIR;
	if ((r = check_name(name)) < 0)
		return r;
	if (!(e = dir_find(d, name)))
		return -ENOENT;
	n = e->node;
	if (flags & STORE_AT_REMOVEDIR) {
		if (!S_ISDIR(n->mode))
			return -ENOTDIR;
		if (!dir_is_empty(n))
			return -ENOTEMPTY;
	} else if (S_ISDIR(n->mode)) {
		return -EISDIR;
	}
	unlink_node(m, dir_take(m, d, e));
	return 0;
}

/* Is a (a directory) d itself or one of d's ancestors? */
static bool is_ancestor(const struct mnode *a, const struct mnode *d)
{
	for (; d; d = d->parent == d ? NULL : d->parent)
		if (d == a)
			return true;
	return false;
}

static int rename_exchange(struct mem *m, struct mnode *od, struct mentry *oe, struct mnode *nd,
			   struct mentry *ne)
{
	struct mnode *a = oe->node, *b = ne->node;

	if ((S_ISDIR(a->mode) && is_ancestor(a, nd)) || (S_ISDIR(b->mode) && is_ancestor(b, od)))
		return -EINVAL;
	oe->node = b;
	ne->node = a;
	if (S_ISDIR(a->mode)) {
		od->nlink--;
		nd->nlink++;
		a->parent = nd;
	}
	if (S_ISDIR(b->mode)) {
		nd->nlink--;
		od->nlink++;
		b->parent = od;
	}
	od->mtime = od->ctime = nd->mtime = nd->ctime = a->ctime = b->ctime = tick(m);
	return 0;
}

static int mem_renameat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
			const char *newname, int flags)
{
	struct mem *m = ctx;
	struct mnode *od, *nd, *src, *dst;
	struct mentry *oe, *ne;
	int r;

	if (!(od = dir_of(m, olddirfd, &r)) || !(nd = dir_of(m, newdirfd, &r)))
		return r;
	if (is_dot(oldname) || is_dot(newname))
		return -EBUSY;
	if ((r = check_name(oldname)) < 0 || (r = check_name(newname)) < 0)
		return r;
	if ((flags & STORE_RENAME_NOREPLACE) && (flags & STORE_RENAME_EXCHANGE))
		return -EINVAL;
	if (!(oe = dir_find(od, oldname)) || !nd->nlink)
		return -ENOENT;
	ne = dir_find(nd, newname);
	src = oe->node;
	if (flags & STORE_RENAME_EXCHANGE)
		return ne ? rename_exchange(m, od, oe, nd, ne) : -ENOENT;
	if (S_ISDIR(src->mode) && is_ancestor(src, nd))
		return -EINVAL;
	if (ne && (flags & STORE_RENAME_NOREPLACE))
		return -EEXIST;
	if (ne && ne->node == src)
		return 0; /* two names of one file: nothing happens */
	if (ne) {
		dst = ne->node;
		if (S_ISDIR(src->mode) && !S_ISDIR(dst->mode))
			return -ENOTDIR;
		if (!S_ISDIR(src->mode) && S_ISDIR(dst->mode))
			return -EISDIR;
		if (S_ISDIR(dst->mode) && !dir_is_empty(dst))
			return -ENOTEMPTY;
		/* the new name now means src (no allocation: this cannot fail halfway) */
		ne->node = src;
		if (S_ISDIR(src->mode)) {
			src->parent = nd;
			nd->nlink++;
		} else {
			src->nlink++;
		}
		if (S_ISDIR(dst->mode))
			nd->nlink--;
		unlink_node(m, dst);
	} else if ((r = dir_add(m, nd, newname, src)) < 0) {
		return r;
	}
	dir_take(m, od, dir_find(od, oldname)); /* found again: dir_add may have moved it */
	if (!S_ISDIR(src->mode))
		src->nlink--;
	nd->mtime = nd->ctime = tick(m);
	return 0;
}

static int mem_linkat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		      const char *newname)
{
	struct mem *m = ctx;
	struct mnode *n, *d;
	int r;

	if (!(n = resolve(m, olddirfd, oldname, *oldname ? 0 : STORE_AT_EMPTY_PATH, &r)))
		return r;
	if (S_ISDIR(n->mode))
		return -EPERM;
	if (!n->nlink)
		return -ENOENT;
	if (!(d = dir_of(m, newdirfd, &r)))
		return r;
	if (is_dot(newname))
		return -EEXIST;
	if ((r = check_name(newname)) < 0)
		return r;
	if (!d->nlink)
		return -ENOENT;
	if (dir_find(d, newname))
		return -EEXIST;
	return dir_add(m, d, newname, n);
}

static int mem_symlinkat(void *ctx, const char *target, int dirfd, const char *name)
{
	struct mem *m = ctx;
	size_t len = strlen(target);
	struct mnode *n;
	struct mnode *d;
	int r;

	if (!len)
		return -ENOENT;
	if (len > STORE_MEM_LINK_MAX)
		return -ENAMETOOLONG;
	if (!(d = dir_of(m, dirfd, &r)))
		return r;
	if (len > m->limit - m->bytes)
		return -ENOSPC;
	if ((r = make_at(m, dirfd, name, S_IFLNK | 0777, &n)) < 0)
		return r;
	if ((r = node_resize(m, n, len)) < 0) {
		unlink_node(m, dir_take(m, d, dir_find(d, name)));
		return r;
	}
	memcpy(n->data, target, len);
	return 0;
}

static ssize_t mem_readlinkat(void *ctx, int dirfd, const char *name, char *buf, size_t len)
{
	struct mnode *n;
	int r;

	if (!(n = resolve(ctx, dirfd, name, *name ? 0 : STORE_AT_EMPTY_PATH, &r)))
		return r;
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	if (len > n->size)
		len = n->size;
	memcpy(buf, n->data, len);
	return (ssize_t)len;
}

static int mem_mknodat(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	struct mnode *n;
	int r;

	switch (mode & S_IFMT) {
	case 0:
		mode |= S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
	case S_IFCHR:
	case S_IFBLK:
		break;
	default:
		return -EINVAL;
	}
	if ((r = make_at(ctx, dirfd, name, mode & (S_IFMT | 07777), &n)) < 0)
		return r;
	if (S_ISCHR(mode) || S_ISBLK(mode))
		n->rdev = dev;
	return 0;
}

static int mem_fchmodat(void *ctx, int dirfd, const char *name, mode_t mode, int flags)
{
	struct mem *m = ctx;
	struct mnode *n;
	int r;

	if (!(n = resolve(m, dirfd, name, flags, &r)))
		return r;
	if (S_ISLNK(n->mode))
		return -EOPNOTSUPP; /* would follow the link, which this store never does */
	n->mode = (n->mode & S_IFMT) | (mode & 07777);
	n->ctime = tick(m);
	return 0;
}

static int mem_fchownat(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	struct mem *m = ctx;
	struct mnode *n;
	int r;

	if (!(n = resolve(m, dirfd, name, flags, &r)))
		return r;
	if (uid != (uid_t)-1)
		n->uid = uid;
	if (gid != (gid_t)-1)
		n->gid = gid;
	/* as the VFS: chown clears set-user-ID, and set-group-ID with group execute */
	if (!S_ISDIR(n->mode) && !S_ISLNK(n->mode)) {
		n->mode &= ~(mode_t)S_ISUID;
		if (n->mode & S_IXGRP)
			n->mode &= ~(mode_t)S_ISGID;
	}
	n->ctime = tick(m);
	return 0;
}

static int mem_utimensat(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			 int flags)
{
	struct mem *m = ctx;
	struct mnode *n;
	int64_t now;
	int r;

	if (!(n = resolve(m, dirfd, name, flags, &r)))
		return r;
	for (int i = 0; ts && i < 2; i++)
		if (ts[i].tv_nsec != UTIME_NOW && ts[i].tv_nsec != UTIME_OMIT &&
		    (ts[i].tv_nsec < 0 || ts[i].tv_nsec >= 1000000000L))
			return -EINVAL;
	now = tick(m);
	if (!ts || ts[0].tv_nsec != UTIME_OMIT)
		n->atime = !ts || ts[0].tv_nsec == UTIME_NOW ? now : (int64_t)ts[0].tv_sec;
	if (!ts || ts[1].tv_nsec != UTIME_OMIT)
		n->mtime = !ts || ts[1].tv_nsec == UTIME_NOW ? now : (int64_t)ts[1].tv_sec;
	n->ctime = now;
	return 0;
}

static int mem_fstatvfs(void *ctx, int fd, struct statvfs *sv)
{
	struct mem *m = ctx;

	if (!fd_node(m, fd))
		return -EBADF;
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = MEM_BLOCK;
	sv->f_blocks = m->limit / MEM_BLOCK;
	sv->f_bfree = sv->f_bavail = (m->limit - m->bytes) / MEM_BLOCK;
	sv->f_files = sv->f_ffree = sv->f_favail = 1u << 20;
	sv->f_namemax = STORE_MEM_NAME_MAX;
	return 0;
}

static struct mxattr *xattr_find(struct mnode *n, const char *name)
{
	for (size_t i = 0; i < n->nxattrs; i++)
		if (!strcmp(n->xattrs[i].name, name))
			return &n->xattrs[i];
	return NULL;
}

/* The xattr space n uses: names and values, as store_mem_set_xattr_space() counts it. */
static size_t xattr_used(const struct mnode *n)
{
	size_t used = 0;

	for (size_t i = 0; i < n->nxattrs; i++)
		used += strlen(n->xattrs[i].name) + n->xattrs[i].len;
	return used;
}

static ssize_t mem_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t len)
{
	struct mnode *n = fd_node(ctx, fd);
	struct mxattr *x;

	if (!n)
		return -EBADF;
	if (!(x = xattr_find(n, name)))
		return -ENODATA;
	if (!len)
		return (ssize_t)x->len;
	if (len < x->len)
		return -ERANGE;
	if (x->len)
		memcpy(buf, x->val, x->len);
	return (ssize_t)x->len;
}

static int mem_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t len,
			 int flags)
{
	struct mem *m = ctx;
	struct mnode *n = fd_node(m, fd);
	struct mxattr *x, *p;
	uint8_t *val = NULL;

	if (!n)
		return -EBADF;
	if (!*name || strlen(name) > STORE_MEM_NAME_MAX)
		return -ERANGE;
	if (len > STORE_MEM_XATTR_MAX)
		return -E2BIG;
	x = xattr_find(n, name);
	if (x && (flags & STORE_XATTR_CREATE))
		return -EEXIST;
	if (!x && (flags & STORE_XATTR_REPLACE))
		return -ENODATA;
	if (len > m->limit - m->bytes + (x ? x->len : 0))
		return -ENOSPC;
	if (m->xattr_space && xattr_used(n) - (x ? strlen(x->name) + x->len : 0) + strlen(name) + len >
				      m->xattr_space)
		return -ENOSPC;
	if (len && !(val = malloc(len)))
		return -ENOMEM;
	if (len)
		memcpy(val, buf, len);
	if (!x) {
		if (!(p = realloc(n->xattrs, (n->nxattrs + 1) * sizeof(*p)))) {
			free(val);
			return -ENOMEM;
		}
		n->xattrs = p;
		x = &n->xattrs[n->nxattrs];
		if (!(x->name = strdup(name))) {
			free(val);
			return -ENOMEM;
		}
		x->val = NULL;
		x->len = 0;
		n->nxattrs++;
	}
	m->bytes = m->bytes - x->len + len;
	free(x->val);
	x->val = val;
	x->len = len;
	n->ctime = tick(m);
	return 0;
}

static ssize_t mem_flistxattr(void *ctx, int fd, char *buf, size_t len)
{
	struct mnode *n = fd_node(ctx, fd);
	size_t need = 0, at = 0, l;

	if (!n)
		return -EBADF;
	for (size_t i = 0; i < n->nxattrs; i++)
		need += strlen(n->xattrs[i].name) + 1;
	if (!len)
		return (ssize_t)need;
	if (len < need)
		return -ERANGE;
	for (size_t i = 0; i < n->nxattrs; i++) {
		l = strlen(n->xattrs[i].name) + 1;
		memcpy(buf + at, n->xattrs[i].name, l);
		at += l;
	}
	return (ssize_t)need;
}

static int mem_fremovexattr(void *ctx, int fd, const char *name)
{
	struct mem *m = ctx;
	struct mnode *n = fd_node(m, fd);
	struct mxattr *x;

	if (!n)
		return -EBADF;
	if (!(x = xattr_find(n, name)))
		return -ENODATA;
	m->bytes -= x->len;
	free(x->name);
	free(x->val);
	*x = n->xattrs[--n->nxattrs];
	n->ctime = tick(m);
	return 0;
}

static void dir_free(struct store_dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free(d->slots[i].name);
	free(d->slots);
	free(d);
}

static int dir_slot(struct store_dir *d, const char *name, const struct mnode *n)
{
	if (!(d->slots[d->n].name = strdup(name)))
		return -ENOMEM;
	d->slots[d->n].ino = n->ino;
	d->slots[d->n].type = dtype(n->mode);
	d->n++;
	return 0;
}

/* A snapshot of the listing, "." and ".." first, then the entries in creation order. */
static int mem_dir_open(void *ctx, int dirfd, struct store_dir **out)
{
	struct mem *m = ctx;
	struct mnode *dir;
	struct store_dir *d;
	int r;

	*out = NULL;
	if (!(dir = dir_of(m, dirfd, &r)))
		return r;
	if (!(d = calloc(1, sizeof(*d))) ||
	    !(d->slots = calloc(dir->nents + 2, sizeof(*d->slots)))) {
		free(d);
		return -ENOMEM;
	}
	if (dir->nlink && ((r = dir_slot(d, ".", dir)) < 0 ||
			   (r = dir_slot(d, "..", dir->parent ? dir->parent : dir)) < 0))
		goto fail;
	for (size_t i = 0; dir->nlink && i < dir->nents; i++)
		if ((r = dir_slot(d, dir->ents[i].name, dir->ents[i].node)) < 0)
			goto fail;
	*out = d;
	return 0;
fail:
	dir_free(d);
	return r;
}

static int mem_dir_next(void *ctx, struct store_dir *d, struct store_dirent *ent)
{
	(void)ctx;
	if (d->pos >= d->n)
		return 0;
	ent->name = d->slots[d->pos].name;
	ent->ino = d->slots[d->pos].ino;
	ent->type = d->slots[d->pos].type;
	d->pos++;
	return 1;
}

static void mem_dir_close(void *ctx, struct store_dir *d)
{
	(void)ctx;
	dir_free(d);
}

static int mem_lock(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait)
{
	(void)off, (void)len, (void)exclusive, (void)wait;
	return fd_node(ctx, fd) ? 0 : -EBADF;
}

static int mem_unlock(void *ctx, int fd, uint64_t off, uint64_t len)
{
	(void)off, (void)len;
	return fd_node(ctx, fd) ? 0 : -EBADF;
}

static void mem_destroy(void *ctx)
{
	struct mem *m = ctx;
	struct mnode *root = m->root;

	for (size_t i = 0; i < m->nfds; i++) {
		if (m->fds[i].node) {
			m->fds[i].node->opens--;
			if (m->fds[i].node != root)
				node_put(m, m->fds[i].node);
		}
	}
	root->nlink = 0;
	node_put(m, root);
	free(m->fds);
	free(m);
}

static const struct store_ops mem_ops = {
	.openat = mem_openat,
	.close = mem_close,
	.reopen = mem_reopen,
	.pread = mem_pread,
	.pwrite = mem_pwrite,
	.fstat = mem_fstat,
	.fstatat = mem_fstatat,
	.ftruncate = mem_ftruncate,
	.fsync = mem_fsync,
	.lseek = mem_lseek,
	.mkdirat = mem_mkdirat,
	.unlinkat = mem_unlinkat,
	.renameat = mem_renameat,
	.linkat = mem_linkat,
	.symlinkat = mem_symlinkat,
	.readlinkat = mem_readlinkat,
	.mknodat = mem_mknodat,
	.fchmodat = mem_fchmodat,
	.fchownat = mem_fchownat,
	.utimensat = mem_utimensat,
	.fstatvfs = mem_fstatvfs,
	.fgetxattr = mem_fgetxattr,
	.fsetxattr = mem_fsetxattr,
	.flistxattr = mem_flistxattr,
	.fremovexattr = mem_fremovexattr,
	.dir_open = mem_dir_open,
	.dir_next = mem_dir_next,
	.dir_close = mem_dir_close,
	.lock = mem_lock,
	.unlock = mem_unlock,
	.advise = NULL,
	.reserve = NULL,
	.destroy = mem_destroy,
};

/* --- construction and snapshots --- */

static struct mem *mem_new(size_t limit)
{
	struct mem *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->limit = limit ? limit : MEM_DEFAULT_LIMIT;
	m->next_ino = 2; /* the root's number on ext4 */
	return m;
}

static int store_wrap(struct mem *m, struct store **out, int *rootfd)
{
	struct store *s = calloc(1, sizeof(*s));
	int fd;

	if (!s || (fd = fd_new(m, m->root, STORE_RDONLY | STORE_DIRECTORY)) < 0) {
		free(s);
		return -ENOMEM;
	}
	s->ops = &mem_ops;
	s->ctx = m;
	*out = s;
	*rootfd = fd;
	return 0;
}

int store_mem_new(size_t limit, struct store **out, int *rootfd)
{
	struct mem *m = mem_new(limit);
	int r;

	*out = NULL;
	*rootfd = -1;
	if (!m)
		return -ENOMEM;
	if (!(m->root = node_new(m, S_IFDIR | 0755))) {
		free(m);
		return -ENOMEM;
	}
	m->root->nlink = 2;
	if ((r = store_wrap(m, out, rootfd)) < 0)
		mem_destroy(m);
	return r;
}

static void copy_clear(struct mnode *n)
{
	n->copy = NULL;
	for (size_t i = 0; i < n->nents; i++)
		if (n->ents[i].node->copy)
			copy_clear(n->ents[i].node);
}

/* Copy n (and, for a directory, everything below) into d; hard links stay shared. */
static struct mnode *copy_node(struct mem *d, struct mnode *n, struct mnode *parent)
{
	struct mnode *c;

	if (n->copy)
		return n->copy;
	if (!(c = calloc(1, sizeof(*c))))
		return NULL;
	*c = *n;
	c->data = NULL;
	c->xattrs = NULL;
	c->ents = NULL;
	c->nxattrs = c->nents = c->size = 0;
	c->opens = 0;
	c->parent = parent;
	c->copy = NULL;
	n->copy = c;
	if (n->size && !(c->data = malloc(n->size)))
		return NULL;
	if (n->size)
		memcpy(c->data, n->data, n->size);
	c->size = n->size;
	d->bytes += n->size;
	if (n->nxattrs && !(c->xattrs = calloc(n->nxattrs, sizeof(*c->xattrs))))
		return NULL;
	for (size_t i = 0; i < n->nxattrs; i++) {
		struct mxattr *x = &c->xattrs[i];

		if (!(x->name = strdup(n->xattrs[i].name)))
			return NULL;
		c->nxattrs++;
		x->len = n->xattrs[i].len;
		if (x->len && !(x->val = malloc(x->len)))
			return NULL;
		if (x->len)
			memcpy(x->val, n->xattrs[i].val, x->len);
		d->bytes += x->len;
	}
	if (n->nents && !(c->ents = calloc(n->nents, sizeof(*c->ents))))
		return NULL;
	for (size_t i = 0; i < n->nents; i++) {
		struct mnode *child = copy_node(d, n->ents[i].node, c);

		if (!child || !(c->ents[i].name = strdup(n->ents[i].name)))
			return NULL;
		c->ents[i].node = child;
		c->nents++;
	}
	return c;
}

/* Free a partial copy: every copied node is reachable from n's tree through ->copy. */
static void copy_abort(struct mem *d, struct mnode *n)
{
	for (size_t i = 0; i < n->nents; i++)
		if (n->ents[i].node->copy)
			copy_abort(d, n->ents[i].node);
	if (n->copy) {
		struct mnode *c = n->copy;

		/* children are freed through their originals; hard links once */
		n->copy = NULL;
		for (size_t i = 0; i < c->nents; i++)
			free(c->ents[i].name);
		c->nents = 0;
		c->nlink = 0;
		node_free(d, c);
	}
}

int store_mem_snapshot(struct store *s, struct store **out, int *rootfd)
{
	struct mem *src = s->ctx, *d;
	int r;

	*out = NULL;
	*rootfd = -1;
	if (s->ops != &mem_ops)
		return -EINVAL;
	if (!(d = mem_new(src->limit)))
		return -ENOMEM;
	d->xattr_space = src->xattr_space;
	d->next_ino = src->next_ino;
	d->clock = src->clock;
	d->root = copy_node(d, src->root, NULL);
	if (!d->root) {
		copy_abort(d, src->root);
		free(d);
		return -ENOMEM;
	}
	copy_clear(src->root);
	if ((r = store_wrap(d, out, rootfd)) < 0)
		mem_destroy(d);
	return r;
}

/* The node with inode number ino reachable from n (hard links: the first found), or NULL. */
static struct mnode *node_by_ino(struct mnode *n, uint64_t ino)
{
	struct mnode *f;

	if (n->ino == ino)
		return n;
	for (size_t i = 0; i < n->nents; i++)
		if ((f = node_by_ino(n->ents[i].node, ino)))
			return f;
	return NULL;
}

int store_mem_set_contents(struct store *s, uint64_t ino, const uint8_t *data, size_t len)
{
	struct mem *m = s->ctx;
	struct mnode *n;
	int r;

	if (s->ops != &mem_ops)
		return -EINVAL;
	if (!(n = node_by_ino(m->root, ino)))
		return -ENOENT;
	if (!S_ISREG(n->mode))
		return -EINVAL;
	if ((r = node_resize(m, n, len)) < 0)
		return r;
	if (len)
		memcpy(n->data, data, len);
	return 0;
}

size_t store_mem_bytes(struct store *s)
{
	return ((struct mem *)s->ctx)->bytes;
}

void store_mem_set_xattr_space(struct store *s, size_t bytes)
{
	((struct mem *)s->ctx)->xattr_space = bytes;
}

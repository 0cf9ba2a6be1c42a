/*
 * The node table: a hash map from the lower (st_dev, st_ino) to struct vnode, so that hard
 * links share one vnode and one lower I/O handle. Each vnode holds a handle on its lower
 * object; nothing here knows names beyond the last lower name kept for log lines.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "base/secmem.h"
#include "vault/vault_internal.h"

static size_t node_hash(uint64_t dev, uint64_t ino)
{
	uint64_t h = ino * 0x9e3779b97f4a7c15ull ^ dev * 0xc2b2ae3d27d4eb4full;

	return (size_t)(h >> 32) % VAULT_TABLE_BUCKETS;
}

int nodes_init(struct vault *v)
{
	v->table = calloc(VAULT_TABLE_BUCKETS, sizeof(*v->table));
	return v->table ? 0 : -ENOMEM;
}

static void node_free(struct vault *v, struct vnode *n)
{
	vnode_unref(v, n->parent);
	vnode_file_release(n);
	/* the node is gone: its path and directory handles were only read, and write errors on the
	 * I/O handle were reported by pwrite and fsync (vnode_io_put) */
	if (n->iofd >= 0)
		(void)store_close(v->store, n->iofd);
	if (n->dfd >= 0)
		(void)store_close(v->store, n->dfd);
	(void)store_close(v->store, n->fd);
	free(n->lower_name);
	rangelock_release(&n->rl);
	pthread_mutex_destroy(&n->write_mutex);
	pthread_mutex_destroy(&n->mutex);
	coord_file_release(&n->cf);
	secure_wipe(n->diriv, sizeof(n->diriv));
	free(n);
}

void nodes_release(struct vault *v)
{
	struct vnode *n;
	size_t i;

	if (!v->table)
		return;
	for (i = 0; i < VAULT_TABLE_BUCKETS; i++) {
		while ((n = v->table[i])) {
			v->table[i] = n->hash_next;
			n->parent = NULL; /* freed by this loop, not through the table */
			node_free(v, n);
		}
	}
	free(v->table);
	v->table = NULL;
}

static void node_unhash(struct vault *v, struct vnode *n)
{
	struct vnode **pp = &v->table[node_hash(n->dev, n->ino)];

	for (; *pp; pp = &(*pp)->hash_next) {
		if (*pp == n) {
			*pp = n->hash_next;
			n->hashed = false;
			v->nnodes--;
			return;
		}
	}
}

void vnode_unref(struct vault *v, struct vnode *n)
{
	if (!n)
		return;
	pthread_mutex_lock(&v->table_lock);
	if (atomic_fetch_sub(&n->refs, 1) != 1) {
		pthread_mutex_unlock(&v->table_lock);
		return;
	}
	if (n->hashed)
		node_unhash(v, n);
	pthread_mutex_unlock(&v->table_lock);
	node_free(v, n);
}

static struct vnode *node_find(struct vault *v, uint64_t dev, uint64_t ino)
{
	struct vnode *n = v->table[node_hash(dev, ino)];

	for (; n; n = n->hash_next)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

static struct vnode *node_new(int fd, const struct stat *st, struct vnode *parent,
			      const char *lname)
{
	struct vnode *n = calloc(1, sizeof(*n));

	if (!n)
		return NULL;
	n->lower_name = strdup(lname);
	if (!n->lower_name) {
		free(n);
		return NULL;
	}
	n->dev = (uint64_t)st->st_dev;
	n->ino = (uint64_t)st->st_ino;
	n->type = st->st_mode & S_IFMT;
	n->fd = fd;
	n->iofd = -1;
	n->dfd = -1;
	n->parent = parent;
	if (parent)
		vnode_ref(parent);
	atomic_init(&n->refs, 1);
	atomic_init(&n->mtime_seen, 0);
	pthread_mutex_init(&n->mutex, NULL);
	coord_file_init(&n->cf);
	rangelock_init(&n->rl);
	pthread_mutex_init(&n->write_mutex, NULL);
	return n;
}

/*
 * A table entry whose lower object was deleted (and whose inode number the lower fs may
 * have reused) must not be handed out for a new object: compare type and link count.
 */
static bool node_is_stale(struct vault *v, struct vnode *n, const struct stat *st)
{
	struct stat cur;

	if (n->type != (st->st_mode & S_IFMT))
		return true;
	if (store_fstat(v->store, n->fd, &cur) < 0)
		return true;
	return cur.st_nlink == 0 || cur.st_ino != st->st_ino;
}

/* A new reference on the table's node for (dev, ino), or NULL. */
static struct vnode *node_get(struct vault *v, uint64_t dev, uint64_t ino)
{
	struct vnode *n;

	pthread_mutex_lock(&v->table_lock);
	n = node_find(v, dev, ino);
	if (n)
		atomic_fetch_add(&n->refs, 1);
	pthread_mutex_unlock(&v->table_lock);
	return n;
}

/*
 * The live table node for the object st describes (a new reference), or NULL. A stale
 * entry is taken out of the table (it lives on while referenced). The check runs outside
 * the table lock: it makes a syscall.
 */
static struct vnode *node_lookup_live(struct vault *v, const struct stat *st)
{
	struct vnode *n = node_get(v, (uint64_t)st->st_dev, (uint64_t)st->st_ino);

	if (!n || !node_is_stale(v, n, st))
		return n;
	pthread_mutex_lock(&v->table_lock);
	if (n->hashed)
		node_unhash(v, n);
	pthread_mutex_unlock(&v->table_lock);
	vnode_unref(v, n);
	return NULL;
}

/* Insert n unless another thread inserted a node for its object first (returned, ref'd). */
static struct vnode *node_add(struct vault *v, struct vnode *n)
{
	struct vnode *cur;
	size_t h = node_hash(n->dev, n->ino);

	pthread_mutex_lock(&v->table_lock);
	cur = node_find(v, n->dev, n->ino);
	if (cur) {
		atomic_fetch_add(&cur->refs, 1);
	} else {
		n->hash_next = v->table[h];
		v->table[h] = n;
		n->hashed = true;
		v->nnodes++;
	}
	pthread_mutex_unlock(&v->table_lock);
	return cur;
}

/* Insert a fresh node for fd, or return the existing one (closing fd). */
static int node_insert(struct vault *v, int fd, const struct stat *st, struct vnode *parent,
		       const char *lname, struct vnode **out)
{
	struct vnode *n, *old;

	*out = node_lookup_live(v, st);
	if (!*out) {
		n = node_new(fd, st, parent, lname);
		if (!n) {
			/* -ENOMEM is reported; fd (a path or directory handle) was only read */
			(void)store_close(v->store, fd);
			return -ENOMEM;
		}
		if (!(old = node_add(v, n))) {
			*out = n;
			return 0;
		}
		*out = old;
		node_free(v, n);
	} else {
		/* the live node has its own handle; this duplicate was only read */
		(void)store_close(v->store, fd);
	}
	if (parent)
		vnode_set_location(v, *out, parent, lname);
	return 0;
}

/* A directory vnode needs a readable handle (listing, fsync, xattrs), not only a path. */
static int node_upgrade_dir(struct vault *v, int *fd)
{
	int dfd = store_openat(v->store, *fd, ".", STORE_RDONLY | STORE_DIRECTORY, 0);

	if (dfd < 0)
		return dfd == -EACCES ? 0 : dfd;
	/* the path handle, replaced by the readable directory handle */
	(void)store_close(v->store, *fd);
	*fd = dfd;
	return 0;
}

int nodes_get_fd(struct vault *v, int fd, const char *lname, struct vnode **out, struct stat *st)
{
	int r;

	*out = NULL;
	if ((r = store_fstat(v->store, fd, st)) < 0) {
		/* the fstat error is reported; fd was only read */
		(void)store_close(v->store, fd);
		return r;
	}
	return node_insert(v, fd, st, NULL, lname, out);
}

/* Open dir/lname by path, stat the handle, and give the table's node for it. */
static int node_open_at(struct vault *v, struct vnode *dir, const char *lname,
			struct vnode **out, struct stat *st)
{
	int fd = store_openat(v->store, dir->fd, lname, STORE_PATH | STORE_NOFOLLOW, 0), r;

	if (fd < 0)
		return fd;
	if ((r = store_fstat(v->store, fd, st)) < 0)
		goto fail;
	if (S_ISDIR(st->st_mode) && (r = node_upgrade_dir(v, &fd)) < 0)
		goto fail;
	return node_insert(v, fd, st, dir, lname, out);
fail:
	/* r is reported; fd was only read */
	(void)store_close(v->store, fd);
	return r;
}

int nodes_get_at(struct vault *v, struct vnode *dir, const char *lname, struct vnode **out,
		 struct stat *st)
{
	int dirfd = dir->fd, r;

	*out = NULL;
	if ((r = store_fstatat(v->store, dirfd, lname, st, STORE_AT_NOFOLLOW)) < 0)
		return r;
	*out = node_lookup_live(v, st);
	if (*out) {
		vnode_set_location(v, *out, dir, lname);
		return 0;
	}
	return node_open_at(v, dir, lname, out, st);
}

/*
 * As nodes_get_at, for a name a listing gave with its lower inode number: when the table
 * has no node of that number (a listing after a cold start), the object is opened and its
 * handle stat'ed at once, saving the stat by name. The number is a hint only: node_insert
 * matches by the handle's own attributes.
 */
int nodes_get_listed(struct vault *v, struct vnode *dir, const char *lname, uint64_t ino,
		     struct vnode **out, struct stat *st)
{
	struct vnode *n = node_get(v, dir->dev, ino);

	if (n) {
		vnode_unref(v, n);
		return nodes_get_at(v, dir, lname, out, st);
	}
	*out = NULL;
	return node_open_at(v, dir, lname, out, st);
}

/*
 * A regular file just created through the read-write handle iofd: that handle becomes the
 * vnode's lower I/O handle (as vnode_io_get() would have opened it, saving the reopen),
 * unless the vnode already has one.
 */
static void node_prime_io(struct vault *v, struct vnode *n, int iofd)
{
	pthread_mutex_lock(&n->mutex);
	if (n->type == S_IFREG && n->iofd < 0 && n->io_users == 0) {
		n->iofd = iofd;
		n->io_writable = true;
		n->io_write_err = 0;
		iofd = -1;
	}
	pthread_mutex_unlock(&n->mutex);
	/* a spare read-write handle that nothing was written through */
	if (iofd >= 0)
		(void)store_close(v->store, iofd);
}

int nodes_get_new(struct vault *v, struct vnode *dir, const char *lname, int fd,
		  struct stat *st, struct vnode **out)
{
	int pfd, r;

	*out = NULL;
	if (!S_ISREG(st->st_mode))
		return node_insert(v, fd, st, dir, lname, out);
	/* the path handle of the very object fd refers to; else look the name up */
	pfd = store_reopen(v->store, fd, STORE_PATH);
	if (pfd < 0) {
		/* the name is looked up again instead; nothing was written through fd */
		(void)store_close(v->store, fd);
		return nodes_get_at(v, dir, lname, out, st);
	}
	if ((r = node_insert(v, pfd, st, dir, lname, out)) < 0) {
		/* r is reported; nothing was written through fd */
		(void)store_close(v->store, fd);
		return r;
	}
	node_prime_io(v, *out, fd);
	return 0;
}

void vnode_set_location(struct vault *v, struct vnode *n, struct vnode *parent,
			const char *lname)
{
	struct vnode *old = NULL;
	char *copy = NULL;

	if (n == parent)
		return;
	vnode_ref(parent);
	pthread_mutex_lock(&n->mutex);
	if (strcmp(n->lower_name, lname) != 0 && (copy = strdup(lname))) {
		free(n->lower_name);
		n->lower_name = copy;
	}
	old = n->parent;
	n->parent = parent;
	pthread_mutex_unlock(&n->mutex);
	vnode_unref(v, old);
}

void nodes_moved(struct vault *v, struct vnode *dir, const char *lname)
{
	struct stat st;
	struct vnode *n;

	if (store_fstatat(v->store, dir->fd, lname, &st, STORE_AT_NOFOLLOW) < 0)
		return;
	if ((n = node_lookup_live(v, &st))) {
		vnode_set_location(v, n, dir, lname);
		vnode_unref(v, n);
	}
}

int vnode_locate(struct vault *v, struct vnode *n, struct vnode **parent, struct buf *lname)
{
	struct stat st;
	int r = -ENOENT;

	pthread_mutex_lock(&n->mutex);
	*parent = n->parent;
	if (*parent)
		vnode_ref(*parent);
	r = buf_append_str(lname, n->lower_name);
	pthread_mutex_unlock(&n->mutex);
	if (r == 0 && !*parent)
		r = -ENOENT;
	if (r == 0)
		r = store_fstatat(v->store, (*parent)->fd, (const char *)lname->data, &st,
				  STORE_AT_NOFOLLOW);
	if (r == 0 && ((uint64_t)st.st_dev != n->dev || (uint64_t)st.st_ino != n->ino))
		r = -ENOENT;
	if (r < 0) {
		vnode_unref(v, *parent);
		*parent = NULL;
	}
	return r;
}

/* Append the names from the root down to n (at most NAME_DEPTH levels) to out. */
void vnode_name(struct vault *v, struct vnode *n, char *out, size_t size)
{
	enum { NAME_DEPTH = 32 };
	char *names[NAME_DEPTH];
	struct vnode *cur = n, *p;
	size_t used = 0;
	int depth = 0, i;

	vnode_ref(cur);
	while (cur && depth < NAME_DEPTH) {
		pthread_mutex_lock(&cur->mutex);
		p = cur->parent;
		names[depth] = p ? strdup(cur->lower_name) : NULL; /* the root is "" */
		if (p)
			vnode_ref(p);
		pthread_mutex_unlock(&cur->mutex);
		depth += names[depth] != NULL;
		vnode_unref(v, cur);
		cur = p;
	}
	out[0] = '\0';
	if (cur) {
		vnode_unref(v, cur);
		used = (size_t)snprintf(out, size, ".../");
	}
	for (i = depth - 1; i >= 0; i--) {
		if (used < size)
			used += (size_t)snprintf(out + used, size - used, "%s%s", names[i],
						 i ? "/" : "");
		free(names[i]);
	}
	if (!depth && !cur)
		snprintf(out, size, ".");
}

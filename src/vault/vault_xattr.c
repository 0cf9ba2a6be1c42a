/*
 * Extended attributes (docs/FORMAT.md, "Extended attributes"). Offered: user.*, trusted.*
 * (the kernel lets only CAP_SYS_ADMIN callers at them; the front end hides them from the
 * lists of others) and the POSIX ACLs system.posix_acl_access / _default, whose meaning
 * vault_acl.c adds. All are stored alike: the lower name is "user.veilfs." || base64url(AES-256-SIV(xattr names key,
 * no AD, padded full plaintext name)) and the lower value is nonce || AEAD(xattr values
 * key, nonce, AD = lower name, value). Size-0 queries and -ERANGE behave like the syscalls.
 * Only regular files and directories carry user xattrs (as on Linux).
 *
 * What the lower file has no room for (ENOSPC, E2BIG from the store) goes out of line into
 * the file's one attribute blob (xattr_blob.h): an attribute lives either in line or in the
 * blob. Lookups try in line first; a set that finds the name in the blob changes it there.
 * Blob changes (read, change, write a new blob, move the marker, remove the old blob) are
 * serialized by blob_mutex in this process and, in a shared mode, by the file's header lock
 * across clients (coord/filelock.h). Readers take no lock: a blob removed under them shows
 * as a moved marker, and they read again.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "names/sealed.h"
#include "vault/vault_internal.h"
#include "vault/xattr_blob.h"

enum {
	LOWER_XATTR_LIST_MAX = 1 << 20,
	BLOB_READ_TRIES = 3, /* a reader racing writers that move the marker each time */
	EVICT_MAX = 16,      /* in-line attributes moved out to make room for the marker */
};

_Static_assert(sizeof(((struct xattr_probe *)0)->id) == XATTR_BLOB_ID_LEN + 1,
	       "struct xattr_probe holds a blob id");

/* Orders the blob changes of this process (below the file's cross-client lock). */
static pthread_mutex_t blob_mutex = PTHREAD_MUTEX_INITIALIZER;

/* 0 for an offered name, else -EOPNOTSUPP (other namespace) or -EINVAL (bare prefix). */
static int check_name(const char *name)
{
	static const char *const prefixes[] = {"user.", "trusted."};
	size_t i, plen;

	if (!strcmp(name, VAULT_ACL_ACCESS) || !strcmp(name, VAULT_ACL_DEFAULT))
		return 0;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		plen = strlen(prefixes[i]);
		if (!strncmp(name, prefixes[i], plen))
			return name[plen] ? 0 : -EINVAL;
	}
	return -EOPNOTSUPP;
}

/* Slot of name in v->acl_lname, or -1 for a name that is not cached. */
static int acl_slot(const char *name)
{
	if (!strcmp(name, VAULT_ACL_ACCESS))
		return 0;
	return strcmp(name, VAULT_ACL_DEFAULT) ? -1 : 1;
}

/* Keep a copy of the ACL name just encrypted into out (best effort: else it is made again). */
static void acl_name_keep(struct vault *v, int slot, const struct buf *out)
{
	char *copy = malloc(out->len + 1), *none = NULL;

	if (copy) { /* strndup is not in C17 (nor in the Windows runtime) */
		memcpy(copy, out->data, out->len);
		copy[out->len] = '\0';
	}
	if (copy && !atomic_compare_exchange_strong(&v->acl_lname[slot], &none, copy))
		free(copy); /* another thread was first */
}

static int xattr_lower_name(struct vault *v, const char *name, struct buf *out)
{
	size_t len = strlen(name);
	int slot, r;
	const char *cached;

	if ((r = check_name(name)) < 0)
		return r;
	slot = acl_slot(name);
	if (slot >= 0 && (cached = atomic_load(&v->acl_lname[slot])))
		return buf_append_str(out, cached);
	r = names_xattr_encrypt(v->keys->xattr_names, name, len, out);
	if (r == 0 && slot >= 0)
		acl_name_keep(v, slot, out);
	return r == -ENAMETOOLONG ? -ERANGE : r;
}

void vault_xattr_names_release(struct vault *v)
{
	int i;

	for (i = 0; i < 2; i++)
		free(atomic_exchange(&v->acl_lname[i], NULL));
}

/*
 * A handle attribute reads can use: the directory handle; a regular file's path handle in
 * single-client mode (the store reads attributes through path handles too), which spares
 * the open and close of the I/O handle that `ls -l` paid for the ACL of every file it
 * lists; in a shared mode the file's I/O handle, as before. *io: an I/O handle, given back
 * by xattr_fd_put().
 */
static int xattr_fd(struct vault *v, struct vnode *n, int *fd, bool *io)
{
	*io = false;
	if (n->type != S_IFDIR && n->type != S_IFREG)
		return -EPERM;
	if (n->type == S_IFDIR || !vault_lock_is_shared(v)) {
		*fd = n->fd;
		return 0;
	}
	*io = true;
	return vnode_io_get(v, n, fd, NULL);
}

static void xattr_fd_put(struct vault *v, struct vnode *n, bool io)
{
	if (io)
		vnode_io_put(v, n);
}

static ssize_t value_decrypt(struct vault *v, const char *lname, const uint8_t *raw, size_t len,
			     void *buf, size_t size)
{
	struct aead_ctx *c;
	struct buf pt;
	ssize_t r;

	if (len < v->nonce_len + AEAD_TAG_LEN)
		return -EPROTO;
	if (size == 0)
		return (ssize_t)(len - v->nonce_len - AEAD_TAG_LEN);
	if (!(c = vault_aead_get(v)))
		return -ENOMEM;
	buf_init(&pt);
	r = sealed_open(c, v->keys->xattr_values, (const uint8_t *)lname, strlen(lname), raw, len,
			&pt);
	vault_aead_put(v, c);
	if (r == 0 && pt.len > size)
		r = -ERANGE;
	if (r == 0) {
		memcpy(buf, pt.data, pt.len);
		r = (ssize_t)pt.len;
	}
	buf_release(&pt);
	return r;
}

static ssize_t get_lower(struct vault *v, int fd, const char *lname, void *buf, size_t size)
{
	size_t cap = VAULT_XATTR_VALUE_MAX + v->nonce_len + AEAD_TAG_LEN;
	uint8_t *raw = malloc(cap);
	ssize_t n;

	if (!raw)
		return -ENOMEM;
	n = store_fgetxattr(v->store, fd, lname, raw, cap);
	if (n >= 0)
		n = value_decrypt(v, lname, raw, (size_t)n, buf, size);
	free(raw);
	return n;
}

static struct xattr_blob_ctx blob_ctx_of(struct vault *v, struct aead_ctx *c)
{
	struct xattr_blob_ctx b = { v->store, v->rootfd, c, v->keys->xattr_values };

	return b;
}

static void log_blob(struct vault *v, struct vnode *n, const char *id, int r)
{
	char what[VAULT_WHAT_MAX];

	vnode_name(v, n, what, sizeof(what));
	log_error("cannot read the out-of-line attributes '%s' of '%s': %s", id, what,
		  r == -EPROTO ? "missing, oversized or malformed blob" : strerror(-r));
}

/*
 * The out-of-line attributes of n (lower handle fd) into s (empty); id gets the blob id,
 * "" when n has none. Returns 0, -EIO for a marker or blob that does not open (logged),
 * or another -errno.
 */
static int blob_load(struct vault *v, struct vnode *n, int fd, char id[static XATTR_BLOB_ID_LEN + 1],
		     struct xattr_set *s)
{
	char again[XATTR_BLOB_ID_LEN + 1];
	struct xattr_blob_ctx b;
	struct aead_ctx *c;
	int r, tries;

	r = xattr_marker_get(v->store, fd, id);
	if (r == -ENODATA) {
		id[0] = '\0';
		return 0;
	}
	if (r == -EPROTO) {
		log_blob(v, n, "(marker)", r);
		return -EIO;
	}
	if (r < 0)
		return r;
	if (!(c = vault_aead_get(v)))
		return -ENOMEM;
	b = blob_ctx_of(v, c);
	for (tries = 1;; tries++) {
		r = xattr_blob_read(&b, id, s);
		if (r != -EPROTO || tries >= BLOB_READ_TRIES)
			break;
		/* a writer may have moved the marker and removed the blob read from */
		if (xattr_marker_get(v->store, fd, again) == -ENODATA) {
			id[0] = '\0';
			r = 0;
			break;
		}
		if (!again[0] || !strcmp(again, id))
			break;
		memcpy(id, again, sizeof(again));
	}
	vault_aead_put(v, c);
	if (r == -EPROTO || r == -EBADMSG) {
		log_blob(v, n, id, r);
		r = -EIO;
	}
	return r;
}

ssize_t vault_getxattr(struct vault *v, struct vnode *n, const char *name, void *buf, size_t size)
{
	return vault_xattr_get(v, n, name, buf, size);
}

/* name from the out-of-line attributes of n: the size semantics of getxattr(2). */
static ssize_t get_blob(struct vault *v, struct vnode *n, int fd, const char *name, void *buf,
			size_t size)
{
	char id[XATTR_BLOB_ID_LEN + 1];
	const struct xattr_entry *e;
	struct xattr_set set;
	ssize_t r;

	xattr_set_init(&set);
	if ((r = blob_load(v, n, fd, id, &set)) < 0)
		goto out;
	r = -ENODATA;
	if (!(e = xattr_set_find(&set, name)))
		goto out;
	r = (ssize_t)e->len;
	if (size && e->len > size)
		r = -ERANGE;
	else if (size && e->len)
		memcpy(buf, e->value, e->len);
out:
	xattr_set_release(&set);
	return r;
}

ssize_t vault_xattr_get(struct vault *v, struct vnode *n, const char *name, void *buf, size_t size)
{
	bool io = false;
	struct buf lname;
	ssize_t r;
	int fd;

	buf_init(&lname);
	if ((r = xattr_lower_name(v, name, &lname)) < 0)
		goto out;
	if ((r = xattr_fd(v, n, &fd, &io)) < 0) {
		if (r == -EPERM)
			r = -ENODATA;
		goto out;
	}
	/*
	 * Single-client mode: a lower object without any attribute (the common case, and the
	 * answer to every `ls -l` ACL query) is known by one list call, not a read of the
	 * value and one of the blob marker.
	 */
	if (!vault_lock_is_shared(v) && store_flistxattr(v->store, fd, NULL, 0) == 0)
		r = -ENODATA;
	else if ((r = get_lower(v, fd, (const char *)lname.data, buf, size)) == -ENODATA)
		r = get_blob(v, n, fd, name, buf, size);
	xattr_fd_put(v, n, io);
	if (r == -EBADMSG || r == -EPROTO)
		log_error("cannot decrypt xattr value '%s': %s", (const char *)lname.data,
			  strerror((int)-r));
out:
	buf_release(&lname);
	return r;
}

static int value_encrypt(struct vault *v, const char *lname, const void *value, size_t size,
			 struct buf *out)
{
	struct aead_ctx *c = vault_aead_get(v);
	int r;

	if (!c)
		return -ENOMEM;
	r = sealed_seal(c, v->keys->xattr_values, NULL, (const uint8_t *)lname, strlen(lname),
			value, size, out);
	vault_aead_put(v, c);
	return r;
}

static int xattr_store_flags(int flags)
{
	return ((flags & VAULT_XATTR_CREATE) ? STORE_XATTR_CREATE : 0) |
	       ((flags & VAULT_XATTR_REPLACE) ? STORE_XATTR_REPLACE : 0);
}

int vault_setxattr(struct vault *v, struct vnode *n, const char *name, const void *value,
		   size_t size, int flags)
{
	if (!strcmp(name, VAULT_ACL_ACCESS) || !strcmp(name, VAULT_ACL_DEFAULT))
		return vault_acl_set(v, n, name, value, size, flags);
	return vault_xattr_set(v, n, name, value, size, flags);
}

static ssize_t list_lower(struct vault *v, int fd, char **out);

/* One attribute change: its lower handle and its locks (change_begin .. change_end). */
struct xchange {
	struct fileop op; /* regular files: the I/O handle and the cross-client locks */
	bool file;
	bool locked;
	int fd;
};

static int change_begin(struct vault *v, struct vnode *n, struct xchange *x)
{
	int r;

	x->file = false;
	x->locked = false;
	x->fd = n->fd;
	if (n->type == S_IFREG) {
		if ((r = fileop_begin(&x->op, v, n)) < 0)
			return r;
		x->file = true;
		x->fd = x->op.fd;
		/* the header range: no block lock waits for it, other clients' changes do */
		if ((r = filelock_header(&x->op.lock)) < 0) {
			fileop_end(&x->op);
			return r;
		}
		x->locked = true;
	} else if (n->type != S_IFDIR) {
		return -EPERM;
	}
	pthread_mutex_lock(&blob_mutex);
	return 0;
}

static void change_end(struct xchange *x)
{
	pthread_mutex_unlock(&blob_mutex);
	if (x->locked)
		filelock_unlock_header(&x->op.lock);
	if (x->file)
		fileop_end(&x->op);
}

/*
 * Make s the out-of-line attributes of fd, whose blob was oldid ("" for none): a new blob
 * and the marker moved to it, or neither when s is empty; the old blob goes last (a
 * failure to remove it is logged; fsck reports what is left). *marker_full is set when
 * only the marker did not fit the lower file.
 */
static int blob_save(struct vault *v, int fd, const char *oldid, const struct xattr_set *s,
		     bool *marker_full)
{
	char id[XATTR_BLOB_ID_LEN + 1];
	struct xattr_blob_ctx b;
	struct aead_ctx *c;
	int r, e;

	*marker_full = false;
	if (!(c = vault_aead_get(v)))
		return -ENOMEM;
	b = blob_ctx_of(v, c);
	if (s->n == 0) {
		r = store_fremovexattr(v->store, fd, XATTR_MARKER_NAME);
		if (r < 0 && r != -ENODATA)
			goto out;
	} else {
		if ((r = xattr_blob_write(&b, s, id)) < 0)
			goto out;
		r = store_fsetxattr(v->store, fd, XATTR_MARKER_NAME, id, XATTR_BLOB_ID_LEN, 0);
		if (r < 0) {
			*marker_full = !oldid[0] && (r == -ENOSPC || r == -E2BIG);
			if ((e = xattr_blob_remove(&b, id)) < 0)
				log_warn("cannot remove the unused attribute blob '%s': %s", id,
					 strerror(-e));
			goto out;
		}
	}
	r = 0;
	if (oldid[0] && (e = xattr_blob_remove(&b, oldid)) < 0 && e != -ENOENT)
		log_warn("cannot remove the replaced attribute blob '%s': %s", oldid, strerror(-e));
out:
	vault_aead_put(v, c);
	return r;
}

/* An in-line attribute moved out to make room for the marker, kept to put it back. */
struct evicted {
	struct buf lname;
	struct buf raw;
};

/*
 * Move one in-line attribute of fd into s: read its name and value, add them to s, remove
 * it from the lower file (saved in *e). -ENOSPC when none is left to move.
 */
static int evict_one(struct vault *v, int fd, struct xattr_set *s, struct evicted *e)
{
	size_t plen = strlen(NAMES_XATTR_PREFIX), at, cap = VAULT_XATTR_VALUE_MAX + 64; /* nonce and tag */
	struct buf pname, val;
	char *list = NULL;
	ssize_t n, got, rawlen;
	int r = -ENOSPC;

	buf_init(&pname);
	buf_init(&val);
	if ((n = list_lower(v, fd, &list)) < 0) {
		r = (int)n;
		goto out;
	}
	for (at = 0; at < (size_t)n; at += strlen(list + at) + 1) {
		const char *ln = list + at;

		if (strncmp(ln, NAMES_XATTR_PREFIX, plen) != 0)
			continue;
		buf_reset(&pname);
		if (names_xattr_decrypt(v->keys->xattr_names, ln, strlen(ln), &pname) < 0 ||
		    buf_append(&pname, "", 1) < 0)
			continue; /* not one of ours to move: list and fsck report it */
		if (xattr_set_find(s, (const char *)pname.data))
			continue; /* the old in-line copy of the value being set: removed after */
		if ((r = buf_grow(&val, cap)) < 0 || (r = buf_grow(&e->raw, cap)) < 0)
			goto out;
		rawlen = store_fgetxattr(v->store, fd, ln, e->raw.data, cap);
		got = rawlen < 0 ? rawlen
				 : value_decrypt(v, ln, e->raw.data, (size_t)rawlen, val.data, cap);
		if (got < 0) {
			r = -ENOSPC;
			continue; /* one that does not open stays where it is */
		}
		e->raw.len = (size_t)rawlen;
		val.len = (size_t)got;
		if ((r = xattr_set_put(s, (const char *)pname.data, val.data, val.len)) < 0)
			goto out;
		if ((r = buf_append_str(&e->lname, ln)) < 0 || (r = buf_append(&e->lname, "", 1)) < 0)
			goto out;
		r = store_fremovexattr(v->store, fd, ln);
		goto out;
	}
out:
	free(list);
	buf_release(&val);
	buf_release(&pname);
	return r;
}

/*
 * name = value out of line (the lower file is full): into the blob, with the marker; when
 * even the marker does not fit, in-line attributes move out with it.
 */
static int set_spill(struct vault *v, struct vnode *n, int fd, const char *lname, const char *oldid,
		     struct xattr_set *set, const char *name, const void *value, size_t size)
{
	struct evicted ev[EVICT_MAX];
	size_t nev = 0, i;
	bool full;
	int r, e;

	(void)n;
	if ((r = xattr_set_put(set, name, value, size)) < 0)
		return r;
	while ((r = blob_save(v, fd, oldid, set, &full)) < 0 && full && nev < EVICT_MAX) {
		buf_init(&ev[nev].lname);
		buf_init(&ev[nev].raw);
		nev++;
		if ((r = evict_one(v, fd, set, &ev[nev - 1])) < 0)
			break;
	}
	if (r == 0) {
		/* a value too large in line may still have an older one there */
		if ((e = store_fremovexattr(v->store, fd, lname)) < 0 && e != -ENODATA)
			log_warn("cannot remove the in-line copy of an attribute moved out of line: %s",
				 strerror(-e));
	}
	for (i = 0; i < nev; i++) {
		if (r < 0 && ev[i].lname.len &&
		    (e = store_fsetxattr(v->store, fd, (const char *)ev[i].lname.data,
					 ev[i].raw.data, ev[i].raw.len, 0)) < 0)
			log_error("cannot put back in-line attribute '%s': %s",
				  (const char *)ev[i].lname.data, strerror(-e));
		buf_release(&ev[i].lname);
		buf_release(&ev[i].raw);
	}
	return r;
}

/* The set of vault_xattr_set, under change_begin: in line, else in the blob. */
static int set_locked(struct vault *v, struct vnode *n, int fd, const char *name,
		      const char *lname, const struct buf *raw, const void *value, size_t size,
		      int flags)
{
	char id[XATTR_BLOB_ID_LEN + 1];
	struct xattr_set set;
	bool full;
	int r;

	xattr_set_init(&set);
	if ((r = blob_load(v, n, fd, id, &set)) < 0)
		goto out;
	if (xattr_set_find(&set, name)) {
		r = -EEXIST;
		if (flags & VAULT_XATTR_CREATE)
			goto out;
		if ((r = xattr_set_put(&set, name, value, size)) < 0)
			goto out;
		r = blob_save(v, fd, id, &set, &full);
		goto out;
	}
	r = store_fsetxattr(v->store, fd, lname, raw->data, raw->len, xattr_store_flags(flags));
	if (r == -ENOSPC || r == -E2BIG)
		r = set_spill(v, n, fd, lname, id, &set, name, value, size);
out:
	xattr_set_release(&set);
	return r;
}

int vault_xattr_set(struct vault *v, struct vnode *n, const char *name, const void *value,
		    size_t size, int flags)
{
	struct xchange x;
	struct buf lname, raw;
	int r;

	if (vault_is_ro(v))
		return -EROFS;
	if (size > VAULT_XATTR_VALUE_MAX)
		return -E2BIG;
	buf_init(&lname);
	buf_init(&raw);
	if ((r = xattr_lower_name(v, name, &lname)) < 0)
		goto out;
	if ((r = value_encrypt(v, (const char *)lname.data, value, size, &raw)) < 0)
		goto out;
	if ((r = change_begin(v, n, &x)) < 0)
		goto out;
	r = set_locked(v, n, x.fd, name, (const char *)lname.data, &raw, value, size, flags);
	change_end(&x);
	if (!strcmp(name, VAULT_ACL_DEFAULT))
		vault_acl_forget(n); /* after the value landed: see vnode.acl_gen */
out:
	buf_release(&raw);
	buf_release(&lname);
	return r;
}

/* name out of the blob of fd (under change_begin). */
static int remove_blob(struct vault *v, struct vnode *n, int fd, const char *name)
{
	char id[XATTR_BLOB_ID_LEN + 1];
	struct xattr_set set;
	bool full;
	int r;

	xattr_set_init(&set);
	if ((r = blob_load(v, n, fd, id, &set)) == 0 && (r = xattr_set_remove(&set, name)) == 0)
		r = blob_save(v, fd, id, &set, &full);
	xattr_set_release(&set);
	return r;
}

int vault_removexattr(struct vault *v, struct vnode *n, const char *name)
{
	struct xchange x;
	struct buf lname;
	int r;

	if (vault_is_ro(v))
		return -EROFS;
	buf_init(&lname);
	if ((r = xattr_lower_name(v, name, &lname)) < 0)
		goto out;
	if ((r = change_begin(v, n, &x)) < 0) {
		if (r == -EPERM)
			r = -ENODATA;
		goto out;
	}
	r = store_fremovexattr(v->store, x.fd, (const char *)lname.data);
	if (r == -ENODATA)
		r = remove_blob(v, n, x.fd, name);
	change_end(&x);
out:
	buf_release(&lname);
	return r;
}

static ssize_t list_lower(struct vault *v, int fd, char **out)
{
	ssize_t n = store_flistxattr(v->store, fd, NULL, 0);

	*out = NULL;
	if (n <= 0)
		return n;
	if (n > LOWER_XATTR_LIST_MAX)
		return -E2BIG;
	*out = malloc((size_t)n + 1);
	if (!*out)
		return -ENOMEM;
	n = store_flistxattr(v->store, fd, *out, (size_t)n);
	if (n >= 0)
		(*out)[n] = '\0';
	return n;
}

/*
 * Decrypt every veilfs name of the lower list into NUL-separated plaintext names, leaving
 * out those set holds too (a crash between writing a blob and removing the in-line copy).
 */
static int list_decrypt(struct vault *v, const char *list, size_t len, const struct xattr_set *set,
			struct buf *out)
{
	size_t plen = strlen(NAMES_XATTR_PREFIX), at, before;
	const char *name;
	int r;

	for (at = 0; at < len; at += strlen(list + at) + 1) {
		name = list + at;
		if (strncmp(name, NAMES_XATTR_PREFIX, plen) != 0)
			continue;
		before = out->len;
		r = names_xattr_decrypt(v->keys->xattr_names, name, strlen(name), out);
		if (r == -ENOMEM)
			return r;
		if (r < 0) {
			out->len = before;
			out->data[before] = '\0';
			log_warn("cannot decrypt xattr name '%s': %s", name, strerror(-r));
			continue;
		}
		if ((r = buf_append(out, "", 1)) < 0)
			return r;
		if (xattr_set_find(set, (const char *)out->data + before)) {
			out->len = before;
			out->data[before] = '\0';
		}
	}
	for (at = 0; at < set->n; at++) {
		if ((r = buf_append(out, set->e[at].name, strlen(set->e[at].name) + 1)) < 0)
			return r;
	}
	return 0;
}

static bool list_has(const char *list, size_t len, const char *name)
{
	size_t at;

	for (at = 0; at < len; at += strlen(list + at) + 1)
		if (!strcmp(list + at, name))
			return true;
	return false;
}

ssize_t vault_listxattr(struct vault *v, struct vnode *n, char *buf, size_t size)
{
	bool io = false;
	char id[XATTR_BLOB_ID_LEN + 1];
	struct xattr_set set;
	struct buf names;
	char *list = NULL;
	ssize_t r, len;
	int fd;

	if ((r = xattr_fd(v, n, &fd, &io)) < 0)
		return r == -EPERM ? 0 : r;
	xattr_set_init(&set);
	buf_init(&names);
	len = list_lower(v, fd, &list);
	if (len > 0 && list_has(list, (size_t)len, XATTR_MARKER_NAME))
		r = blob_load(v, n, fd, id, &set);
	xattr_fd_put(v, n, io);
	if (len <= 0 || r < 0) {
		r = len < 0 ? len : r;
		goto out;
	}
	if ((r = list_decrypt(v, list, (size_t)len, &set, &names)) == 0) {
		r = (ssize_t)names.len;
		if (size && names.len > size)
			r = -ERANGE;
		else if (size)
			memcpy(buf, names.data, names.len);
	}
out:
	buf_release(&names);
	xattr_set_release(&set);
	free(list);
	return r;
}

bool vault_xattr_probe(struct vault *v, int dirfd, const char *lname, struct xattr_probe *p)
{
	struct stat st;
	int fd, r;

	p->last = false;
	p->id[0] = '\0';
	if (store_fstatat(v->store, v->rootfd, XATTR_BLOB_DIR, &st, STORE_AT_NOFOLLOW) < 0)
		return false; /* no attribute of the vault is out of line: the common case */
	if (store_fstatat(v->store, dirfd, lname, &st, STORE_AT_NOFOLLOW) < 0)
		return false;
	if (!(S_ISREG(st.st_mode) && st.st_nlink == 1) && !S_ISDIR(st.st_mode))
		return false; /* other links keep the attributes (and the blob) */
	fd = store_openat(v->store, dirfd, lname,
			  STORE_RDONLY | STORE_NOFOLLOW | STORE_NONBLOCK |
				  (S_ISDIR(st.st_mode) ? STORE_DIRECTORY : 0),
			  0);
	if (fd < 0)
		return false; /* unreadable: a blob left behind is reported by fsck */
	r = xattr_marker_get(v->store, fd, p->id);
	(void)store_close(v->store, fd); /* a read-only handle: nothing to lose */
	if (r < 0)
		return false;
	p->ino = (uint64_t)st.st_ino;
	p->last = true;
	return true;
}

void vault_xattr_drop(struct vault *v, const struct xattr_probe *p)
{
	struct xattr_blob_ctx b = { v->store, v->rootfd, NULL, NULL };
	int r;

	if (p->last && (r = xattr_blob_remove(&b, p->id)) < 0 && r != -ENOENT)
		log_warn("cannot remove the attribute blob '%s' of a removed file: %s", p->id,
			 strerror(-r));
}

/*
 * Extended attributes (docs/FORMAT.md, "Extended attributes"). Offered: user.*, trusted.*
 * (the kernel lets only CAP_SYS_ADMIN callers at them; the front end hides them from the
 * lists of others) and the POSIX ACLs system.posix_acl_access / _default, whose meaning
 * vault_acl.c adds. All are stored alike: the lower name is "user.veilfs." || base64url(AES-256-SIV(xattr names key,
 * no AD, padded full plaintext name)) and the lower value is nonce || AEAD(xattr values
 * key, nonce, AD = lower name, value). Size-0 queries and -ERANGE behave like the syscalls.
 * Only regular files and directories carry user xattrs (as on Linux).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/log.h"
#include "names/sealed.h"
#include "vault/vault_internal.h"

enum {
	LOWER_XATTR_LIST_MAX = 1 << 20,
};

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

static int xattr_lower_name(struct vault *v, const char *name, struct buf *out)
{
	size_t len = strlen(name);
	int r;

	if ((r = check_name(name)) < 0)
		return r;
	r = names_xattr_encrypt(v->keys->xattr_names, name, len, out);
	return r == -ENAMETOOLONG ? -ERANGE : r;
}

/* A handle xattr calls can use: the directory handle, or the file's I/O handle. */
static int xattr_fd(struct vault *v, struct vnode *n, int *fd)
{
	if (n->type == S_IFDIR) {
		*fd = n->fd;
		return 0;
	}
	if (n->type != S_IFREG)
		return -EPERM;
	return vnode_io_get(v, n, fd, NULL);
}

static void xattr_fd_put(struct vault *v, struct vnode *n)
{
	if (n->type == S_IFREG)
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

ssize_t vault_getxattr(struct vault *v, struct vnode *n, const char *name, void *buf, size_t size)
{
	return vault_xattr_get(v, n, name, buf, size);
}

ssize_t vault_xattr_get(struct vault *v, struct vnode *n, const char *name, void *buf, size_t size)
{
	struct buf lname;
	ssize_t r;
	int fd;

	buf_init(&lname);
	if ((r = xattr_lower_name(v, name, &lname)) < 0)
		goto out;
	if ((r = xattr_fd(v, n, &fd)) < 0) {
		if (r == -EPERM)
			r = -ENODATA;
		goto out;
	}
	r = get_lower(v, fd, (const char *)lname.data, buf, size);
	xattr_fd_put(v, n);
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

int vault_xattr_set(struct vault *v, struct vnode *n, const char *name, const void *value,
		    size_t size, int flags)
{
	struct buf lname, raw;
	int fd, r;


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
	if ((r = xattr_fd(v, n, &fd)) < 0)
		goto out;
	r = store_fsetxattr(v->store, fd, (const char *)lname.data, raw.data, raw.len,
			    xattr_store_flags(flags));
	xattr_fd_put(v, n);
	if (!strcmp(name, VAULT_ACL_DEFAULT))
		vault_acl_forget(n); /* after the value landed: see vnode.acl_gen */
out:
	buf_release(&raw);
	buf_release(&lname);
	return r;
}

int vault_removexattr(struct vault *v, struct vnode *n, const char *name)
{
	struct buf lname;
	int fd, r;

	if (vault_is_ro(v))
		return -EROFS;
	buf_init(&lname);
	if ((r = xattr_lower_name(v, name, &lname)) < 0)
		goto out;
	if ((r = xattr_fd(v, n, &fd)) < 0) {
		if (r == -EPERM)
			r = -ENODATA;
		goto out;
	}
	r = store_fremovexattr(v->store, fd, (const char *)lname.data);
	xattr_fd_put(v, n);
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

/* Decrypt every veilfs name of the lower list into NUL-separated plaintext names. */
static int list_decrypt(struct vault *v, const char *list, size_t len, struct buf *out)
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
	}
	return 0;
}

ssize_t vault_listxattr(struct vault *v, struct vnode *n, char *buf, size_t size)
{
	struct buf names;
	char *list = NULL;
	ssize_t r;
	int fd;

	if ((r = xattr_fd(v, n, &fd)) < 0)
		return r == -EPERM ? 0 : r;
	r = list_lower(v, fd, &list);
	xattr_fd_put(v, n);
	if (r <= 0)
		return r;
	buf_init(&names);
	if ((r = list_decrypt(v, list, (size_t)r, &names)) == 0) {
		r = (ssize_t)names.len;
		if (size && names.len > size)
			r = -ERANGE;
		else if (size)
			memcpy(buf, names.data, names.len);
	}
	buf_release(&names);
	free(list);
	return r;
}

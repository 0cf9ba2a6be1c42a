/*
 * POSIX ACLs over the extended attributes system.posix_acl_access and _default, in the
 * Linux xattr format (little-endian u32 version 2, then entries of u16 tag, u16 perm,
 * u32 id). The kernel checks permissions against them (FUSE_POSIX_ACL); what a file
 * system does itself is done here, as ext4 does it: the mode follows a new access ACL
 * (and an ACL the mode says in full is not stored), a chmod rewrites the access ACL's
 * owner, group-or-mask and other entries, and a new object inherits its directory's
 * default ACL, masked by the mode it is created with. The values are stored like every
 * other xattr (sealed, vault_xattr.c); this file only reads and rewrites them.
 */
#include <errno.h>
#include <string.h>
#include "vault/vault_internal.h"

enum {
	ACL_VERSION = 2,
	ACL_HEADER_LEN = 4,
	ACL_ENTRY_LEN = 8,
	ACL_USER_OBJ = 0x01,
	ACL_USER = 0x02,
	ACL_GROUP_OBJ = 0x04,
	ACL_GROUP = 0x08,
	ACL_MASK = 0x10,
	ACL_OTHER = 0x20,
	ACL_MAX_ENTRIES = 1024,
};

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The entry count of a well-formed ACL, or -EINVAL. */
static int acl_check(const uint8_t *p, size_t len)
{
	size_t n, i;
	unsigned tag, seen = 0, named = 0;

	if (len < ACL_HEADER_LEN || (len - ACL_HEADER_LEN) % ACL_ENTRY_LEN ||
	    get32(p) != ACL_VERSION)
		return -EINVAL;
	n = (len - ACL_HEADER_LEN) / ACL_ENTRY_LEN;
	if (n > ACL_MAX_ENTRIES)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		const uint8_t *e = p + ACL_HEADER_LEN + i * ACL_ENTRY_LEN;

		tag = get16(e);
		if (get16(e + 2) & ~7u)
			return -EINVAL;
		switch (tag) {
		case ACL_USER_OBJ:
		case ACL_GROUP_OBJ:
		case ACL_MASK:
		case ACL_OTHER:
			if (seen & tag)
				return -EINVAL;
			seen |= tag;
			break;
		case ACL_USER:
		case ACL_GROUP:
			named++;
			break;
		default:
			return -EINVAL;
		}
	}
	if ((seen & (ACL_USER_OBJ | ACL_GROUP_OBJ | ACL_OTHER)) !=
	    (ACL_USER_OBJ | ACL_GROUP_OBJ | ACL_OTHER))
		return -EINVAL;
	if (named && !(seen & ACL_MASK))
		return -EINVAL;
	return (int)n;
}

static uint8_t *entry(uint8_t *p, size_t i)
{
	return p + ACL_HEADER_LEN + i * ACL_ENTRY_LEN;
}

static void set_perm(uint8_t *e, unsigned perm)
{
	e[2] = (uint8_t)perm;
	e[3] = 0;
}

/* The permission bits an ACL gives; true when the mode cannot say it all (named or mask). */
static bool acl_mode(const uint8_t *p, size_t n, mode_t *mode)
{
	unsigned user = 0, group = 0, other = 0, mask = 0;
	bool has_mask = false, extended = false;
	size_t i;

	for (i = 0; i < n; i++) {
		const uint8_t *e = p + ACL_HEADER_LEN + i * ACL_ENTRY_LEN;
		unsigned perm = get16(e + 2);

		switch (get16(e)) {
		case ACL_USER_OBJ:
			user = perm;
			break;
		case ACL_GROUP_OBJ:
			group = perm;
			break;
		case ACL_OTHER:
			other = perm;
			break;
		case ACL_MASK:
			mask = perm;
			has_mask = true;
			extended = true;
			break;
		default:
			extended = true;
		}
	}
	*mode = (mode_t)(user << 6 | (has_mask ? mask : group) << 3 | other);
	return extended;
}

/* chmod: the owner, group-or-mask and other entries take the mode's bits. */
static void acl_chmod(uint8_t *p, size_t n, mode_t mode)
{
	bool has_mask = false;
	size_t i;

	for (i = 0; i < n; i++)
		has_mask |= get16(entry(p, i)) == ACL_MASK;
	for (i = 0; i < n; i++) {
		uint8_t *e = entry(p, i);

		switch (get16(e)) {
		case ACL_USER_OBJ:
			set_perm(e, (mode >> 6) & 7);
			break;
		case ACL_GROUP_OBJ:
			if (!has_mask)
				set_perm(e, (mode >> 3) & 7);
			break;
		case ACL_MASK:
			set_perm(e, (mode >> 3) & 7);
			break;
		case ACL_OTHER:
			set_perm(e, mode & 7);
			break;
		}
	}
}

/* Inheritance: mask the ACL by the create mode and the mode by the ACL (both in place). */
static void acl_create_masq(uint8_t *p, size_t n, mode_t *mode)
{
	uint8_t *group = NULL, *mask = NULL;
	mode_t m = *mode;
	unsigned perm;
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t *e = entry(p, i);

		perm = get16(e + 2);
		switch (get16(e)) {
		case ACL_USER_OBJ:
			perm &= (m >> 6) & 7;
			set_perm(e, perm);
			m &= (mode_t)(perm << 6) | ~(mode_t)0700;
			break;
		case ACL_GROUP_OBJ:
			group = e;
			break;
		case ACL_MASK:
			mask = e;
			break;
		case ACL_OTHER:
			perm &= m & 7;
			set_perm(e, perm);
			m &= (mode_t)perm | ~(mode_t)07;
			break;
		}
	}
	if (mask || group) {
		uint8_t *e = mask ? mask : group;

		perm = get16(e + 2) & ((m >> 3) & 7);
		set_perm(e, perm);
		m &= (mode_t)(perm << 3) | ~(mode_t)070;
	}
	*mode = m;
}

/* Read the ACL `name` of n into out (empty when there is none). */
static int acl_read(struct vault *v, struct vnode *n, const char *name, struct buf *out)
{
	ssize_t len = vault_xattr_get(v, n, name, NULL, 0);
	int r;

	/* a lower fs without xattrs (SMB, sshfs: EOPNOTSUPP) has no ACLs either */
	if (len == -ENODATA || len == -EPERM || len == -EOPNOTSUPP)
		return 0;
	if (len < 0)
		return (int)len;
	if ((r = buf_grow(out, (size_t)len)) < 0)
		return r;
	len = vault_xattr_get(v, n, name, out->data, (size_t)len);
	if (len == -ENODATA)
		return 0;
	if (len < 0)
		return (int)len;
	out->len = (size_t)len;
	out->data[out->len] = '\0';
	if (acl_check(out->data, out->len) < 0) {
		buf_reset(out);
		return -EPROTO; /* authenticated, but not an ACL: written by a broken client */
	}
	return 0;
}

static int set_mode_bits(struct vault *v, struct vnode *n, mode_t perms)
{
	struct stat st, in;
	int r;

	if ((r = vault_getattr(v, n, &st)) < 0)
		return r;
	if ((st.st_mode & 0777) == perms)
		return 0;
	memset(&in, 0, sizeof(in));
	in.st_mode = (st.st_mode & 07000) | perms;
	/* vault_setattr's chmod hook rewrites a stored ACL the same way: no change */
	return vault_setattr(v, n, &in, VAULT_SET_MODE, &st);
}

int vault_acl_set(struct vault *v, struct vnode *n, const char *name, const void *value,
		  size_t size, int flags)
{
	bool is_access = !strcmp(name, VAULT_ACL_ACCESS), extended;
	mode_t perms;
	int count, r;

	if (vault_is_ro(v))
		return -EROFS;
	if ((count = acl_check(value, size)) < 0)
		return count;
	if (!is_access) {
		if (n->type != S_IFDIR)
			return -EACCES;
		return vault_xattr_set(v, n, name, value, size, flags);
	}
	extended = acl_mode(value, (size_t)count, &perms);
	if (extended) {
		r = vault_xattr_set(v, n, name, value, size, flags);
	} else {
		/* the mode says it all: no ACL is kept (flags as for a value that is gone) */
		r = vault_removexattr(v, n, name);
		if (r == -ENODATA)
			r = (flags & VAULT_XATTR_REPLACE) ? -ENODATA : 0;
	}
	if (r < 0)
		return r;
	return set_mode_bits(v, n, perms);
}

int vault_acl_chmod(struct vault *v, struct vnode *n, mode_t mode)
{
	struct buf acl;
	int r;

	if (n->type != S_IFREG && n->type != S_IFDIR)
		return 0;
	buf_init(&acl);
	r = acl_read(v, n, VAULT_ACL_ACCESS, &acl);
	if (r == 0 && acl.len) {
		acl_chmod(acl.data, (acl.len - ACL_HEADER_LEN) / ACL_ENTRY_LEN, mode);
		r = vault_xattr_set(v, n, VAULT_ACL_ACCESS, acl.data, acl.len, 0);
	}
	buf_release(&acl);
	return r;
}

/*
 * Whether dir may have a default ACL (single client: remembered once read as absent);
 * *gen gets the count of sets to hand to acl_default_none().
 */
static bool acl_default_maybe(struct vault *v, struct vnode *dir, unsigned *gen)
{
	bool maybe;

	pthread_mutex_lock(&dir->mutex);
	maybe = v->opts.shared != VAULT_SHARED_OFF || !dir->no_default_acl;
	*gen = dir->acl_gen;
	pthread_mutex_unlock(&dir->mutex);
	return maybe;
}

/* Remember that dir has none, unless one was set since the read began (gen). */
static void acl_default_none(struct vault *v, struct vnode *dir, unsigned gen)
{
	if (v->opts.shared != VAULT_SHARED_OFF)
		return;
	pthread_mutex_lock(&dir->mutex);
	if (dir->acl_gen == gen)
		dir->no_default_acl = true;
	pthread_mutex_unlock(&dir->mutex);
}

void vault_acl_forget(struct vnode *n)
{
	pthread_mutex_lock(&n->mutex);
	n->no_default_acl = false;
	n->acl_gen++;
	pthread_mutex_unlock(&n->mutex);
}

int vault_acl_inherit(struct vault *v, struct vnode *dir, mode_t type, mode_t *mode,
		      mode_t umask, struct vault_acl_new *out)
{
	mode_t perms;
	size_t count;
	unsigned gen;
	int r;

	buf_init(&out->access);
	buf_init(&out->dflt);
	if (type == S_IFLNK)
		return 0;
	if (!acl_default_maybe(v, dir, &gen)) {
		*mode &= ~umask;
		return 0;
	}
	if ((r = acl_read(v, dir, VAULT_ACL_DEFAULT, &out->dflt)) < 0)
		return r;
	if (!out->dflt.len) {
		acl_default_none(v, dir, gen);
		*mode &= ~umask;
		return 0;
	}
	if ((r = buf_append(&out->access, out->dflt.data, out->dflt.len)) < 0)
		return r;
	count = (out->access.len - ACL_HEADER_LEN) / ACL_ENTRY_LEN;
	perms = *mode & 0777;
	acl_create_masq(out->access.data, count, &perms);
	*mode = (*mode & ~(mode_t)0777) | perms;
	if (!acl_mode(out->access.data, count, &perms))
		buf_reset(&out->access); /* the mode says it all */
	if (type != S_IFDIR)
		buf_reset(&out->dflt);
	return 0;
}

int vault_acl_apply(struct vault *v, struct vnode *n, const struct vault_acl_new *acl)
{
	int r = 0;

	if (acl->access.len)
		r = vault_xattr_set(v, n, VAULT_ACL_ACCESS, acl->access.data, acl->access.len, 0);
	if (r == 0 && acl->dflt.len)
		r = vault_xattr_set(v, n, VAULT_ACL_DEFAULT, acl->dflt.data, acl->dflt.len, 0);
	return r;
}

void vault_acl_new_release(struct vault_acl_new *acl)
{
	buf_release(&acl->access);
	buf_release(&acl->dflt);
}

/*
 * Helpers every handler group of fuse/ shares: the one errno translation (and the
 * rate-limited line when the share fails), the caller of a request, entry replies, ACL
 * inheritance of new objects, and node-id lookup.
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
#include "fuse/inode_table.h"
#include "fuse/killpriv.h"
#include "vault/vault.h"
#include "fuse/ops_internal.h"

struct frontend *req_frontend(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

/* The one translation of a vault result into a FUSE errno (STYLE rule 12). */
int to_errno(long long r)
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
bool is_share_error(long long r)
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

void reply_result(fuse_req_t req, long long r)
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

struct vault_caller req_caller(fuse_req_t req)
{
	const struct fuse_ctx *ctx = fuse_req_ctx(req);
	struct vault_caller who = {ctx->uid, ctx->gid};

	return who;
}

void fill_entry(const struct frontend *f, struct fuse_entry_param *e, uint64_t id,
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
void reply_new_entry(fuse_req_t req, struct frontend *f, struct vnode *n, fuse_ino_t parent,
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
int new_mode(fuse_req_t req, struct frontend *f, struct vnode *dir, mode_t type,
	     mode_t *mode, struct vault_acl_new *acl)
{
	return vault_acl_inherit(f->vault, dir, type, mode, fuse_req_ctx(req)->umask, acl);
}

/* Store the inherited ACLs on n; the object exists, so a failure is logged, not returned. */
void apply_acl(struct frontend *f, struct vnode *n, const struct vault_acl_new *acl)
{
	int r = vault_acl_apply(f->vault, n, acl);

	if (r < 0)
		log_warn("cannot store the inherited ACL of inode %llu: %s",
			 (unsigned long long)vnode_ino(n), strerror(to_errno(r)));
}

/* Undo an open on an error path; the failure that got us here is the one reported. */
void release_quietly(struct frontend *f, struct vnode *n)
{
	int r = vault_release_file(f->vault, n);

	if (r < 0)
		log_warn("cannot release inode %llu: %s", (unsigned long long)vnode_ino(n),
			 strerror(to_errno(r)));
}

/* Look up node id `ino`; replies ESTALE and returns NULL when the kernel's id is unknown. */
struct vnode *get_node(fuse_req_t req, struct frontend *f, fuse_ino_t ino)
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

/*
 * Free a reply buffer that held plaintext (file data, directory entries with plaintext
 * names, xattr names and values) after wiping all n bytes of it, so that freed heap does
 * not keep plaintext for a later core dump or heap read. (readlink's struct buf wipes
 * itself in buf_release().)
 */
void free_wiped(void *p, size_t n)
{
	if (!p)
		return;
	secure_wipe(p, n);
	free(p);
}

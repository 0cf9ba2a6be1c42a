/*
 * Metadata of vnodes: getattr (plaintext sizes for files and symlinks), setattr, statfs,
 * readlink, ownership of new objects, and vault_invalidate().
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "base/log.h"
#include "vault/vault_internal.h"

enum { SIZE_SETTLE_TRIES = 5 }; /* 1, 2, 4, 8, 16 ms */

/*
 * A lower size no valid cipher file can have: transient while a write that extends the
 * file is under way (here or on another client), so the size is read again a few times;
 * a size that stays malformed is damage, and the file reads as EIO (never as empty).
 */
static int settle_size(struct vault *v, struct vnode *n, struct stat *st, uint64_t *plain)
{
	struct timespec ts = { 0, 1000000L };
	char what[VAULT_WHAT_MAX];
	struct stat again;
	int tries;

	for (tries = 0; tries < SIZE_SETTLE_TRIES; tries++) {
		nanosleep(&ts, NULL);
		ts.tv_nsec *= 2;
		if (store_fstat(v->store, n->fd, &again) < 0)
			break;
		if (block_plain_size(&v->geom, (uint64_t)again.st_size, plain) == 0) {
			*st = again;
			return 0;
		}
	}
	vnode_name(v, n, what, sizeof(what));
	log_error("malformed size %lld of '%s': no valid cipher file has it (EIO)",
		  (long long)st->st_size, what);
	return -EIO;
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

int vault_convert_stat(struct vault *v, struct vnode *n, struct stat *st)
{
	uint64_t plain = 0;
	int r;

	if (S_ISREG(st->st_mode)) {
		if (block_plain_size(&v->geom, (uint64_t)st->st_size, &plain) < 0 &&
		    (r = settle_size(v, n, st, &plain)) < 0)
			return r;
		st->st_size = (off_t)plain;
		atomic_store(&n->mtime_seen, ts_ns(&st->st_mtim));
	} else if (S_ISLNK(st->st_mode)) {
		st->st_size = (off_t)vault_link_plain_len(v, n, (uint64_t)st->st_size);
	}
	return 0;
}

int vault_getattr(struct vault *v, struct vnode *n, struct stat *st)
{
	int r;

	if ((r = store_fstat(v->store, n->fd, st)) < 0)
		return r;
	if (S_ISREG(st->st_mode))
		vnode_snapshot(n, st);
	return vault_convert_stat(v, n, st);
}

static int ts_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	return a->tv_nsec < b->tv_nsec ? -1 : a->tv_nsec > b->tv_nsec;
}

enum { RELATIME_MAX_AGE = 24 * 3600 }; /* seconds, as the kernel's relatime */

int vault_access(struct vault *v, struct vnode *n, enum vault_atime rule)
{
	struct timespec ts[2] = {{0, UTIME_NOW}, {0, UTIME_OMIT}}, now;
	struct stat st;
	int r;

	if (rule == VAULT_ATIME_NOATIME || vault_is_ro(v))
		return 0;
	if (rule == VAULT_ATIME_RELATIME) {
		if ((r = store_fstat(v->store, n->fd, &st)) < 0)
			return r;
		if (clock_gettime(CLOCK_REALTIME, &now) < 0)
			return -errno;
		if (ts_cmp(&st.st_atim, &st.st_mtim) > 0 && ts_cmp(&st.st_atim, &st.st_ctim) >= 0 &&
		    now.tv_sec - st.st_atim.tv_sec < RELATIME_MAX_AGE)
			return 0;
	}
	r = store_utimensat(v->store, n->fd, "", ts, STORE_AT_EMPTY_PATH | STORE_AT_NOFOLLOW);
	return r < 0 ? r : 1;
}

static int set_times(struct vault *v, struct vnode *n, const struct stat *in, int to_set)
{
	struct timespec ts[2];

	if (!(to_set & (VAULT_SET_ATIME | VAULT_SET_MTIME | VAULT_SET_ATIME_NOW |
			VAULT_SET_MTIME_NOW)))
		return 0;
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = ts[0];
	if (to_set & VAULT_SET_ATIME_NOW)
		ts[0].tv_nsec = UTIME_NOW;
	else if (to_set & VAULT_SET_ATIME)
		ts[0] = in->st_atim;
	if (to_set & VAULT_SET_MTIME_NOW)
		ts[1].tv_nsec = UTIME_NOW;
	else if (to_set & VAULT_SET_MTIME)
		ts[1] = in->st_mtim;
	return store_utimensat(v->store, n->fd, "", ts, STORE_AT_EMPTY_PATH | STORE_AT_NOFOLLOW);
}

static int set_owner(struct vault *v, struct vnode *n, const struct stat *in, int to_set)
{
	uid_t uid = (to_set & VAULT_SET_UID) ? in->st_uid : (uid_t)-1;
	gid_t gid = (to_set & VAULT_SET_GID) ? in->st_gid : (gid_t)-1;

	if (!(to_set & (VAULT_SET_UID | VAULT_SET_GID)))
		return 0;
	return store_fchownat(v->store, n->fd, "", uid, gid,
			      STORE_AT_EMPTY_PATH | STORE_AT_NOFOLLOW);
}

/*
 * A change of nothing but the ctime: chown(f, -1, -1), which moves the ctime on Linux file
 * systems (ext4) for every type. The kernel keeps a ctime of its own only for regular files
 * in writeback mode; for the others, and for a later stat past the attribute cache, the
 * ctime is the lower object's, so the same chown is made on it. A store without owners
 * (SMB: EOPNOTSUPP) has no such call; its ctime stays, as it stays on such a file system.
 */
static int touch_ctime(struct vault *v, struct vnode *n)
{
	int r = store_fchownat(v->store, n->fd, "", (uid_t)-1, (gid_t)-1,
			       STORE_AT_EMPTY_PATH | STORE_AT_NOFOLLOW);

	return r == -EOPNOTSUPP ? 0 : r;
}

/*
 * chmod by handle. A directory handle names itself as "."; other objects by an empty name
 * with STORE_AT_EMPTY_PATH, or, where the store cannot do that, by their last known name
 * (checked to still be the same object).
 */
static int set_mode(struct vault *v, struct vnode *n, mode_t mode)
{
	struct vnode *parent = NULL;
	struct buf lname;
	int r;

	if (n->type == S_IFDIR)
		return store_fchmodat(v->store, n->fd, ".", mode, 0);
	if (n->type == S_IFLNK)
		return -EOPNOTSUPP;
	r = store_fchmodat(v->store, n->fd, "", mode, STORE_AT_EMPTY_PATH);
	if (r != -EINVAL && r != -ENOENT && r != -EOPNOTSUPP)
		return r;
	buf_init(&lname);
	if ((r = vnode_locate(v, n, &parent, &lname)) == 0)
		r = store_fchmodat(v->store, parent->fd, (const char *)lname.data, mode, 0);
	vnode_unref(v, parent);
	buf_release(&lname);
	return r;
}

static bool ts_equal(const struct timespec *a, const struct timespec *b)
{
	return ts_cmp(a, b) == 0;
}

/*
 * A change of times that an unlinked file would not show. After an unlink (and a rename
 * or link) the kernel flushes a writeback-mode file's mtime and ctime with a SETATTR: the
 * mtime is the one it was last told. Once the lower file has no name left (nlink 0), that
 * lower unlink has moved its ctime already, and an mtime equal to the lower one changes
 * nothing: the calls are skipped, and the fstat that proves it is the reply. Only a
 * request whose mtime is the one last reported (or that has none) pays that fstat.
 * Returns 1 (done, *out filled), 0 (go on), -errno.
 */
static int setattr_unlinked(struct vault *v, struct vnode *n, const struct stat *in,
			    int to_set, struct stat *out)
{
	int r;

	if (n->type != S_IFREG || !to_set || (to_set & ~(VAULT_SET_MTIME | VAULT_SET_CTIME)))
		return 0;
	/* a new mtime (utimensat, or writes the kernel cached) is applied without a probe */
	if ((to_set & VAULT_SET_MTIME) && ts_ns(&in->st_mtim) != atomic_load(&n->mtime_seen))
		return 0;
	if ((r = store_fstat(v->store, n->fd, out)) < 0)
		return r;
	if (out->st_nlink != 0)
		return 0;
	if ((to_set & VAULT_SET_MTIME) && !ts_equal(&in->st_mtim, &out->st_mtim))
		return 0;
	vnode_snapshot(n, out);
	return (r = vault_convert_stat(v, n, out)) < 0 ? r : 1;
}

int vault_setattr(struct vault *v, struct vnode *n, const struct stat *in, int to_set,
		  struct stat *out)
{
	int r;

	if (vault_is_ro(v) && (to_set & ~VAULT_SET_CTIME))
		return -EROFS;
	if ((r = setattr_unlinked(v, n, in, to_set, out)) != 0)
		return r < 0 ? r : 0;
	if ((to_set & VAULT_SET_SIZE) && (r = vault_truncate(v, n, (uint64_t)in->st_size)) < 0)
		return r;
	if ((r = set_owner(v, n, in, to_set)) < 0)
		return r;
	/* after chown, which may clear set-id bits the caller asks to keep */
	if ((to_set & VAULT_SET_MODE) && (r = set_mode(v, n, in->st_mode & 07777)) < 0)
		return r;
	if ((to_set & VAULT_SET_MODE) && (r = vault_acl_chmod(v, n, in->st_mode & 0777)) < 0)
		return r;
	if ((r = set_times(v, n, in, to_set)) < 0)
		return r;
	if (to_set == VAULT_SET_CTIME && !vault_is_ro(v) && (r = touch_ctime(v, n)) < 0)
		return r;
	return vault_getattr(v, n, out);
}

int vault_statfs(struct vault *v, struct statvfs *sv)
{
	int r;

	if ((r = store_fstatvfs(v->store, v->rootfd, sv)) < 0)
		return r;
	/* long-name storage lets every plaintext name up to NAME_PLAIN_MAX through */
	sv->f_namemax = NAME_PLAIN_MAX;
	return 0;
}

int vault_readlink(struct vault *v, struct vnode *n, struct buf *out)
{
	char *enc;
	ssize_t len;
	char what[VAULT_WHAT_MAX];
	int r;

	if (n->type != S_IFLNK)
		return -EINVAL;
	enc = malloc(VAULT_LINK_MAX);
	if (!enc)
		return -ENOMEM;
	len = store_readlinkat(v->store, n->fd, "", enc, VAULT_LINK_MAX);
	if (len < 0) {
		r = (int)len;
	} else if (len >= VAULT_LINK_MAX) {
		r = -EPROTO;
	} else {
		r = vault_link_decrypt(v, enc, (size_t)len, out);
	}
	if (r == -EBADMSG || r == -EPROTO) {
		vnode_name(v, n, what, sizeof(what));
		log_error("cannot decrypt symlink target of '%s': %s", what, strerror(-r));
	}
	free(enc);
	return r;
}

int vault_apply_owner(struct vault *v, struct vnode *dir, const char *lname,
		      const struct vault_caller *who, const struct stat *cur, bool *changed)
{
	struct stat pst, st;
	gid_t gid;
	int r;

	if (changed)
		*changed = false;
	if (!v->opts.apply_owner || !who)
		return 0;
	if ((r = store_fstat(v->store, dir->fd, &pst)) < 0)
		return r;
	gid = (pst.st_mode & S_ISGID) ? pst.st_gid : who->gid;
	/*
	 * Skip the chown when the owner is right already: one round trip less on a network
	 * share, and SFTP (sshfs) cannot chown a symlink itself (its setstat follows the
	 * link, so a new symlink fails with ENOENT).
	 */
	if (!cur && store_fstatat(v->store, dir->fd, lname, &st, STORE_AT_NOFOLLOW) == 0)
		cur = &st;
	if (cur && cur->st_uid == who->uid && cur->st_gid == gid)
		return 0;
	if ((r = store_fchownat(v->store, dir->fd, lname, who->uid, gid, STORE_AT_NOFOLLOW)) < 0)
		return r;
	if (changed)
		*changed = true;
	return 0;
}

bool vault_invalidate(struct vault *v, struct vnode *n)
{
	struct stat st;
	bool changed = true;

	if (store_fstat(v->store, n->fd, &st) < 0)
		return true;
	pthread_mutex_lock(&n->mutex);
	if (n->snap_valid)
		changed = n->snap_size != (uint64_t)st.st_size ||
			  n->snap_mtime.tv_sec != st.st_mtim.tv_sec ||
			  n->snap_mtime.tv_nsec != st.st_mtim.tv_nsec ||
			  n->snap_ctime.tv_sec != st.st_ctim.tv_sec ||
			  n->snap_ctime.tv_nsec != st.st_ctim.tv_nsec;
	pthread_mutex_unlock(&n->mutex);
	vnode_snapshot(n, &st);
	if (n->type == S_IFREG)
		vnode_forget_header(n);
	if (n->type == S_IFDIR)
		vault_acl_forget(n);
	if (n->type == S_IFDIR && changed && !v->plaintext_names) {
		/* the IV never changes, but a directory replaced below us has a new one */
		pthread_mutex_lock(&n->mutex);
		n->have_iv = false;
		pthread_mutex_unlock(&n->mutex);
	}
	return changed;
}

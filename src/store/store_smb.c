/*
 * The SMB backing store: the cipher directory on an SMB share, spoken to directly through
 * libsmbclient (Samba's client library), so that no kernel or FUSE client with caches of
 * its own sits between veilfs and the server. The only file that includes libsmbclient.
 *
 * Handles are slots of a table holding a share URL and, for I/O handles, a libsmbclient
 * file; STORE_PATH and directory handles are the URL only, and *at() calls resolve a
 * name against the URL of their directory handle. What SMB (as libsmbclient offers it)
 * cannot do, and what this file does instead (docs/SHARED.md, "SMB through veilfs's own
 * client"):
 *  - no pread/pwrite: lseek (client-side, no round trip) + read/write under the mutex;
 *  - no fsync: a write returns once the server has the bytes (one synchronous SMB2 WRITE
 *    per call, no client cache), so fsync answers 0; whether the server has them on disk
 *    is the server's setting (strict sync / sync always);
 *  - no byte-range locks: lock/unlock answer -EOPNOTSUPP, shared mode is lock files;
 *  - rename over an existing name is not atomic (the library unlinks, then renames): done
 *    for the vault's renames, refused (-EOPNOTSUPP) where atomicity is asked for
 *    (STORE_RENAME_ATOMIC: store_write_atomic, e.g. veilfs.conf in passwd);
 *  - no delete sharing: unlink or rename of a file another client holds open fails with
 *    EBUSY; a short open (another client reading a lock file) is waited out, this store's
 *    own handles on a renamed file are closed around the rename and reopened, and a file
 *    this store holds open is hidden instead of removed (hide_open_file);
 *  - no symlinks, hard links, device nodes, owners or xattrs: -EOPNOTSUPP;
 *  - handles are names: a handle follows renames made through this store, not those of
 *    other clients.
 * libsmbclient is not thread-safe (TESTBEDS.md): one process-wide mutex covers every
 * library call, context creation and freeing included, and every handle table.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/time.h>
#include <libsmbclient.h>
#include "base/secmem.h"
#include "store/store.h"
#include "store_internal.h"

enum {
	SMB_HANDLES_MAX = 1 << 20,
	SMB_TIMEOUT_MS = 20000,	  /* per server request */
	SMB_BUSY_TRIES = 12,	  /* EBUSY retries of unlink/rename: 1 ms doubling to 64 ms */
	SMB_BUSY_SLEEP_MAX_US = 64000,
	SMB_CRED_MAX = SMB_URL_CRED_MAX,
	SMB_DIRENT_NAME_MAX = SMB_URL_NAME_MAX,
	SMB_SEEK_DATA = 3, /* the Linux values of SEEK_DATA and SEEK_HOLE (vault_seek.c) */
	SMB_SEEK_HOLE = 4,
};

struct smb_handle {
	char *url;	/* owned; NULL: a free slot */
	SMBCFILE *file; /* NULL: a path-only handle (STORE_PATH, directories) */
	int flags;	/* the store flags the handle was opened with */
	bool reopen;	/* closed around a rename, to be reopened */
	bool unlinked;	/* removed while open: url is a hidden name, gone at the last close */
};

struct smb_ctx {
	SMBCCTX *smb;
	struct smb_handle *h; /* protected by smb_mutex */
	size_t nh;
	char user[SMB_CRED_MAX];
	char workgroup[SMB_CRED_MAX];
	char *password; /* secmem, SMB_CRED_MAX bytes */
	char *root_url;	/* the cipher directory: where removed open files hide */
	unsigned hidden_seq;
};

struct store_dir {
	SMBCFILE *dir;
	char name[SMB_DIRENT_NAME_MAX];
};

/* Every libsmbclient call, the handle tables and the default credentials. */
static pthread_mutex_t smb_mutex = PTHREAD_MUTEX_INITIALIZER;

/* Credentials set by the front end (store_smb_set_auth), used when store_smb_new gets none. */
static char default_user[SMB_CRED_MAX], default_workgroup[SMB_CRED_MAX];
static char *default_password; /* secmem */
static bool default_set;

/* --- handles (all under smb_mutex) --- */

static struct smb_handle *handle_get(struct smb_ctx *c, int fd)
{
	if (fd < 0 || (size_t)fd >= c->nh || !c->h[fd].url)
		return NULL;
	return &c->h[fd];
}

/* Take ownership of url and file into a new slot. The slot number, or -ENOMEM/-EMFILE. */
static int handle_add(struct smb_ctx *c, char *url, SMBCFILE *file, int flags)
{
	struct smb_handle *h;
	size_t i, n;

	for (i = 0; i < c->nh; i++)
		if (!c->h[i].url)
			break;
	if (i == c->nh) {
		n = c->nh ? 2 * c->nh : 64;
		if (n > SMB_HANDLES_MAX)
			return -EMFILE;
		if (!(h = realloc(c->h, n * sizeof(*h))))
			return -ENOMEM;
		memset(h + c->nh, 0, (n - c->nh) * sizeof(*h));
		c->h = h;
		c->nh = n;
	}
	c->h[i].url = url;
	c->h[i].file = file;
	c->h[i].flags = flags;
	c->h[i].reopen = false;
	c->h[i].unlinked = false;
	return (int)i;
}

/* The URL of name under handle dirfd ("" and "." are the handle itself), malloc'd. */
static int child_url(struct smb_ctx *c, int dirfd, const char *name, char **out)
{
	struct smb_handle *h = handle_get(c, dirfd);

	*out = NULL;
	if (!h)
		return -EBADF;
	if (!*name || !strcmp(name, ".")) {
		*out = strdup(h->url);
		return *out ? 0 : -ENOMEM;
	}
	return smb_url_join(h->url, name, out);
}

/* url itself, or a path below it. */
static bool is_at_or_below(const char *path, const char *url, size_t len)
{
	return !strncmp(path, url, len) && (path[len] == '\0' || path[len] == '/');
}

/* True when a handle of this store has url (or a path below it) open for I/O. */
static bool has_open_below(struct smb_ctx *c, const char *url)
{
	size_t i, len = strlen(url);

	for (i = 0; i < c->nh; i++)
		if (c->h[i].url && c->h[i].file && is_at_or_below(c->h[i].url, url, len))
			return true;
	return false;
}

/* True when a handle of this store has exactly url open for I/O. */
static bool has_open_file(struct smb_ctx *c, const char *url)
{
	size_t i;

	for (i = 0; i < c->nh; i++)
		if (c->h[i].url && c->h[i].file && !strcmp(c->h[i].url, url))
			return true;
	return false;
}

/* --- libsmbclient calls (all under smb_mutex); each returns 0 or -errno --- */

static int open_flags(int flags)
{
	int o = O_RDONLY;

	if (flags & STORE_RDWR)
		o = O_RDWR;
	else if (flags & STORE_WRONLY)
		o = O_WRONLY;
	if (flags & STORE_CREAT)
		o |= O_CREAT;
	if (flags & STORE_EXCL)
		o |= O_EXCL;
	if (flags & STORE_TRUNC)
		o |= O_TRUNC;
	return o;
}

static int smb_errno(void)
{
	return errno ? -errno : -EIO;
}

static int smb_stat_url(struct smb_ctx *c, const char *url, struct stat *st)
{
	if (smbc_getFunctionStat(c->smb)(c->smb, url, st) < 0)
		return smb_errno();
	return 0;
}

/*
 * Open url as the store flags say: a path-only handle (*file = NULL) for STORE_PATH and
 * for directories, checked to exist; an SMB file otherwise. There are no symlinks to
 * follow (the library neither makes nor shows them), so NOFOLLOW holds, and no client
 * cache to bypass, so STORE_DIRECT holds.
 */
static int open_url(struct smb_ctx *c, const char *url, int flags, mode_t mode, SMBCFILE **file)
{
	struct stat st;
	int r;

	*file = NULL;
	if ((flags & (STORE_PATH | STORE_DIRECTORY)) && !(flags & STORE_CREAT)) {
		if ((r = smb_stat_url(c, url, &st)) < 0)
			return r;
		if ((flags & STORE_DIRECTORY) && !S_ISDIR(st.st_mode))
			return -ENOTDIR;
		if (S_ISDIR(st.st_mode) || (flags & STORE_PATH))
			return 0;
	}
	errno = 0;
	*file = smbc_getFunctionOpen(c->smb)(c->smb, url, open_flags(flags), mode);
	if (!*file)
		return smb_errno();
	return 0;
}

static void close_file(struct smb_ctx *c, SMBCFILE *f)
{
	if (f)
		(void)smbc_getFunctionClose(c->smb)(c->smb, f);
}

static void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * EBUSY from the server is a sharing violation or a delete pending: another client has
 * the file open or is removing it (a lock file, for a few milliseconds). True when the
 * caller should try r's call again: then this slept (1 ms doubling to 64 ms, with the
 * mutex released by the caller), at most SMB_BUSY_TRIES times per call.
 */
static bool busy_again(long r, int *tries, unsigned *us)
{
	if (r != -EBUSY || *tries >= SMB_BUSY_TRIES)
		return false;
	++*tries;
	sleep_us(*us);
	if (*us < SMB_BUSY_SLEEP_MAX_US)
		*us *= 2;
	return true;
}

/* --- store ops --- */

static int openat_once(struct smb_ctx *c, int dirfd, const char *name, int flags, mode_t mode)
{
	SMBCFILE *f = NULL;
	char *url = NULL;
	int r;

	pthread_mutex_lock(&smb_mutex);
	if ((r = child_url(c, dirfd, name, &url)) < 0)
		goto out;
	if ((r = open_url(c, url, flags, mode, &f)) < 0)
		goto out;
	if ((r = handle_add(c, url, f, flags)) >= 0)
		url = NULL, f = NULL;
out:
	close_file(c, f);
	free(url);
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static int sm_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	unsigned us = 1000;
	int r, tries = 0;

	do
		r = openat_once(ctx, dirfd, name, flags, mode);
	while (busy_again(r, &tries, &us));
	return r;
}

static int sm_close(void *ctx, int fd)
{
	struct smb_ctx *c = ctx;
	struct smb_handle *h;
	int r = -EBADF;

	pthread_mutex_lock(&smb_mutex);
	if ((h = handle_get(c, fd))) {
		char *url = h->url;
		bool hidden = h->unlinked && h->file;

		r = 0;
		if (h->file && smbc_getFunctionClose(c->smb)(c->smb, h->file) < 0)
			r = smb_errno();
		h->url = NULL;
		h->file = NULL;
		/* the last I/O handle of a file removed while open: now it goes */
		if (hidden && !has_open_file(c, url))
			(void)smbc_getFunctionUnlink(c->smb)(c->smb, url);
		free(url);
	}
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static int reopen_once(struct smb_ctx *c, int fd, int flags)
{
	struct smb_handle *h;
	SMBCFILE *f = NULL;
	char *url = NULL;
	int r = -EBADF;

	flags &= ~(STORE_CREAT | STORE_EXCL | STORE_TRUNC);
	pthread_mutex_lock(&smb_mutex);
	if (!(h = handle_get(c, fd)))
		goto out;
	r = -ENOMEM;
	if (!(url = strdup(h->url)))
		goto out;
	if ((r = open_url(c, url, flags, 0, &f)) < 0)
		goto out;
	if ((r = handle_add(c, url, f, flags)) >= 0) {
		c->h[r].unlinked = c->h[fd].unlinked;
		url = NULL, f = NULL;
	}
out:
	close_file(c, f);
	free(url);
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static int sm_reopen(void *ctx, int fd, int flags)
{
	unsigned us = 1000;
	int r, tries = 0;

	do
		r = reopen_once(ctx, fd, flags);
	while (busy_again(r, &tries, &us));
	return r;
}

/* The I/O file of fd, positioned at off (lseek is client-side: no round trip). */
static int seek_file(struct smb_ctx *c, int fd, uint64_t off, SMBCFILE **f)
{
	struct smb_handle *h = handle_get(c, fd);

	if (!h || !h->file)
		return -EBADF;
	if (off > INT64_MAX)
		return -EINVAL;
	if (smbc_getFunctionLseek(c->smb)(c->smb, h->file, (off_t)off, SEEK_SET) < 0)
		return smb_errno();
	*f = h->file;
	return 0;
}

static ssize_t sm_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	struct smb_ctx *c = ctx;
	SMBCFILE *f;
	ssize_t r;

	pthread_mutex_lock(&smb_mutex);
	r = seek_file(c, fd, off, &f);
	if (r == 0 && (r = smbc_getFunctionRead(c->smb)(c->smb, f, buf, n)) < 0)
		r = smb_errno();
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static ssize_t sm_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	struct smb_ctx *c = ctx;
	SMBCFILE *f;
	ssize_t r;

	pthread_mutex_lock(&smb_mutex);
	r = seek_file(c, fd, off, &f);
	if (r == 0 && (r = smbc_getFunctionWrite(c->smb)(c->smb, f, buf, n)) < 0)
		r = smb_errno();
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static int fstat_locked(struct smb_ctx *c, int fd, struct stat *st)
{
	struct smb_handle *h = handle_get(c, fd);

	int r;

	if (!h)
		return -EBADF;
	if (h->file)
		r = smbc_getFunctionFstat(c->smb)(c->smb, h->file, st) < 0 ? smb_errno() : 0;
	else
		r = smb_stat_url(c, h->url, st);
	if (r == 0 && h->unlinked)
		st->st_nlink = 0; /* hidden until its last close: it has no name */
	return r;
}

static int sm_fstat(void *ctx, int fd, struct stat *st)
{
	unsigned us = 1000;
	int r, tries = 0;

	do {
		pthread_mutex_lock(&smb_mutex);
		r = fstat_locked(ctx, fd, st);
		pthread_mutex_unlock(&smb_mutex);
	} while (busy_again(r, &tries, &us));
	return r;
}

static int fstatat_once(struct smb_ctx *c, int dirfd, const char *name, struct stat *st,
			int flags)
{
	char *url = NULL;
	int r;

	pthread_mutex_lock(&smb_mutex);
	if (!*name && (flags & STORE_AT_EMPTY_PATH))
		r = fstat_locked(c, dirfd, st);
	else if ((r = child_url(c, dirfd, name, &url)) == 0)
		r = smb_stat_url(c, url, st);
	pthread_mutex_unlock(&smb_mutex);
	free(url);
	return r;
}

static int sm_fstatat(void *ctx, int dirfd, const char *name, struct stat *st, int flags)
{
	unsigned us = 1000;
	int r, tries = 0;

	do
		r = fstatat_once(ctx, dirfd, name, st, flags);
	while (busy_again(r, &tries, &us));
	return r;
}

static int sm_ftruncate(void *ctx, int fd, uint64_t size)
{
	struct smb_ctx *c = ctx;
	struct smb_handle *h;
	int r = -EBADF;

	if (size > INT64_MAX)
		return -EFBIG;
	pthread_mutex_lock(&smb_mutex);
	if ((h = handle_get(c, fd)) && h->file) {
		r = 0;
		if (smbc_getFunctionFtruncate(c->smb)(c->smb, h->file, (off_t)size) < 0)
			r = smb_errno();
	}
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

/*
 * libsmbclient has no flush call. Every write was one synchronous SMB2 WRITE that the
 * server answered after taking the bytes (no client-side cache), so the data is at the
 * server: 0. On the server's disk only as its "strict sync"/"sync always" settings say.
 */
static int sm_fsync(void *ctx, int fd, bool datasync)
{
	struct smb_ctx *c = ctx;
	int r;

	(void)datasync;
	pthread_mutex_lock(&smb_mutex);
	r = handle_get(c, fd) ? 0 : -EBADF;
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

/* SEEK_DATA/SEEK_HOLE: SMB as the library offers it reports no holes: all is data. */
static int64_t sm_lseek(void *ctx, int fd, int64_t off, int whence)
{
	struct smb_ctx *c = ctx;
	struct smb_handle *h;
	struct stat st;
	int64_t r;

	pthread_mutex_lock(&smb_mutex);
	if (!(h = handle_get(c, fd))) {
		r = -EBADF;
	} else if (whence == SMB_SEEK_DATA || whence == SMB_SEEK_HOLE) {
		r = fstat_locked(c, fd, &st);
		if (r == 0 && (off < 0 || off >= st.st_size))
			r = -ENXIO;
		else if (r == 0)
			r = whence == SMB_SEEK_DATA ? off : (int64_t)st.st_size;
	} else if (!h->file) {
		r = -EBADF;
	} else {
		r = smbc_getFunctionLseek(c->smb)(c->smb, h->file, (off_t)off, whence);
		if (r < 0)
			r = smb_errno();
	}
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static int sm_mkdirat(void *ctx, int dirfd, const char *name, mode_t mode)
{
	struct smb_ctx *c = ctx;
	char *url = NULL;
	int r;

	pthread_mutex_lock(&smb_mutex);
	if ((r = child_url(c, dirfd, name, &url)) == 0 &&
	    smbc_getFunctionMkdir(c->smb)(c->smb, url, mode) < 0)
		r = smb_errno();
	pthread_mutex_unlock(&smb_mutex);
	free(url);
	return r;
}

static int hide_open_file(struct smb_ctx *c, const char *url);

static int unlink_once(struct smb_ctx *c, int dirfd, const char *name, int flags, bool *own)
{
	char *url = NULL;
	int r;

	if ((r = child_url(c, dirfd, name, &url)) < 0)
		return r;
	*own = has_open_below(c, url);
	if (!(flags & STORE_AT_REMOVEDIR) && has_open_file(c, url)) {
		*own = false; /* a busy rename is another client's open: waited for */
		r = hide_open_file(c, url);
	} else if (flags & STORE_AT_REMOVEDIR) {
		r = smbc_getFunctionRmdir(c->smb)(c->smb, url) < 0 ? smb_errno() : 0;
	} else {
		r = smbc_getFunctionUnlink(c->smb)(c->smb, url) < 0 ? smb_errno() : 0;
	}
	free(url);
	return r;
}

/*
 * Another client's short open (reading a lock file) makes an unlink fail with EBUSY:
 * wait it out, with the mutex released. A file this store holds open stays busy.
 */
static int sm_unlinkat(void *ctx, int dirfd, const char *name, int flags)
{
	unsigned us = 1000;
	bool own = false;
	int r, tries = 0;

	do {
		pthread_mutex_lock(&smb_mutex);
		r = unlink_once(ctx, dirfd, name, flags, &own);
		pthread_mutex_unlock(&smb_mutex);
	} while (!own && busy_again(r, &tries, &us));
	return r;
}

/*
 * Close this store's files at or below from (SMB renames no open file), rename, then
 * point every handle there at its new URL and reopen the files. A file that cannot be
 * reopened leaves its handle without I/O (-EBADF), never on a different file.
 */
static int rename_locked(struct smb_ctx *c, const char *from, const char *to)
{
	size_t i, flen = strlen(from);
	char **nurls;
	int r = 0;

	/* the new URLs first: after the rename no handle may be left on its old name */
	if (!(nurls = calloc(c->nh ? c->nh : 1, sizeof(*nurls))))
		return -ENOMEM;
	for (i = 0; i < c->nh; i++) {
		struct smb_handle *h = &c->h[i];

		if (!h->url || !is_at_or_below(h->url, from, flen))
			continue;
		if (!(nurls[i] = malloc(strlen(to) + strlen(h->url + flen) + 1))) {
			r = -ENOMEM;
			goto out;
		}
		sprintf(nurls[i], "%s%s", to, h->url + flen);
	}
	for (i = 0; i < c->nh; i++) {
		struct smb_handle *h = &c->h[i];

		if (h->url && h->file && is_at_or_below(h->url, from, flen)) {
			close_file(c, h->file);
			h->file = NULL;
			h->reopen = true;
		}
	}
	if (smbc_getFunctionRename(c->smb)(c->smb, from, c->smb, to) < 0)
		r = smb_errno();
	for (i = 0; i < c->nh; i++) {
		struct smb_handle *h = &c->h[i];

		if (!nurls[i])
			continue;
		if (r == 0) {
			free(h->url);
			h->url = nurls[i];
			nurls[i] = NULL;
		}
		if (!h->reopen)
			continue;
		h->reopen = false;
		if (open_url(c, h->url, h->flags & ~(STORE_CREAT | STORE_EXCL | STORE_TRUNC), 0,
			     &h->file) < 0)
			h->file = NULL;
	}
out:
	for (i = 0; i < c->nh; i++)
		free(nurls[i]);
	free(nurls);
	return r;
}

/*
 * POSIX lets an open file be removed or replaced and stay readable through its handles;
 * SMB refuses (no delete sharing). A file this store holds open is renamed instead to a
 * fresh "veilfs.unlinked.<pid>.<time>.<n>" in the cipher root (a reserved name that no
 * listing shows, names/names.h) and removed when its last I/O handle closes. Another
 * client holding it open still gives EBUSY. A crash leaves the hidden file (fsck shows it).
 */
static int hide_open_file(struct smb_ctx *c, const char *url)
{
	size_t i, n = strlen(c->root_url) + 80;
	struct timespec ts;
	struct stat st;
	int r = 0, tries;
	char *to;

	if (!(to = malloc(n)))
		return -ENOMEM;
	/* a fresh name; bounded, as a server that says every name exists must not hang us */
	for (tries = 0; tries < 8 && r == 0; tries++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(to, n, "%s/veilfs.unlinked.%ld.%lld%09ld.%u", c->root_url, (long)getpid(),
			 (long long)ts.tv_sec, ts.tv_nsec, ++c->hidden_seq);
		r = smb_stat_url(c, to, &st);
	}
	if (r == 0)
		r = -EBUSY;
	if (r == -ENOENT && (r = rename_locked(c, url, to)) == 0)
		for (i = 0; i < c->nh; i++)
			if (c->h[i].url && !strcmp(c->h[i].url, to))
				c->h[i].unlinked = true;
	free(to);
	return r;
}

static int rename_once(struct smb_ctx *c, int olddirfd, const char *oldname, int newdirfd,
		       const char *newname, int flags)
{
	char *from = NULL, *to = NULL;
	struct stat st;
	int r;

	if ((r = child_url(c, olddirfd, oldname, &from)) < 0 ||
	    (r = child_url(c, newdirfd, newname, &to)) < 0)
		goto out;
	if (flags & (STORE_RENAME_NOREPLACE | STORE_RENAME_ATOMIC)) {
		/* check, then rename to a (then) new name: one server operation. The
		 * library would replace an existing name by unlink + rename: not for
		 * veilfs's own atomic replaces (veilfs.conf), which are refused. */
		r = smb_stat_url(c, to, &st);
		if (r == 0)
			r = flags & STORE_RENAME_NOREPLACE ? -EEXIST : -EOPNOTSUPP;
		if (r != -ENOENT)
			goto out;
	}
	/* a target this store holds open keeps its contents for its handles */
	if (!flags && has_open_file(c, to) && (r = hide_open_file(c, to)) < 0)
		goto out;
	r = rename_locked(c, from, to);
	/* the library's unlink of an existing target failed: that file is open somewhere */
	if (r == -EEXIST && !flags && smb_stat_url(c, to, &st) == 0 && S_ISREG(st.st_mode))
		r = -EBUSY;
out:
	free(from);
	free(to);
	return r;
}

static int sm_renameat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		       const char *newname, int flags)
{
	unsigned us = 1000;
	int r, tries = 0;

	if (flags & STORE_RENAME_EXCHANGE)
		return -EINVAL;
	do {
		pthread_mutex_lock(&smb_mutex);
		r = rename_once(ctx, olddirfd, oldname, newdirfd, newname, flags);
		pthread_mutex_unlock(&smb_mutex);
	} while (busy_again(r, &tries, &us));
	return r;
}

static int sm_linkat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		     const char *newname)
{
	(void)ctx, (void)olddirfd, (void)oldname, (void)newdirfd, (void)newname;
	return -EOPNOTSUPP;
}

static int sm_symlinkat(void *ctx, const char *target, int dirfd, const char *name)
{
	(void)ctx, (void)target, (void)dirfd, (void)name;
	return -EOPNOTSUPP;
}

static ssize_t sm_readlinkat(void *ctx, int dirfd, const char *name, char *buf, size_t n)
{
	(void)ctx, (void)dirfd, (void)name, (void)buf, (void)n;
	return -EINVAL; /* nothing over SMB is a symlink */
}

static int sm_mknodat(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	(void)ctx, (void)dirfd, (void)name, (void)mode, (void)dev;
	return -EOPNOTSUPP;
}

/*
 * Without SMB UNIX extensions a mode is one DOS attribute: read-only when no write bit is
 * set (the library's chmod). The server's create/directory masks give the mode stat shows.
 */
static int sm_fchmodat(void *ctx, int dirfd, const char *name, mode_t mode, int flags)
{
	struct smb_ctx *c = ctx;
	char *url = NULL;
	int r;

	(void)flags;
	pthread_mutex_lock(&smb_mutex);
	if ((r = child_url(c, dirfd, name, &url)) == 0 &&
	    smbc_getFunctionChmod(c->smb)(c->smb, url, mode) < 0)
		r = smb_errno();
	pthread_mutex_unlock(&smb_mutex);
	free(url);
	return r;
}

static int sm_fchownat(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	(void)ctx, (void)dirfd, (void)name, (void)uid, (void)gid, (void)flags;
	return -EOPNOTSUPP;
}

static void to_timeval(const struct timespec *ts, const struct timespec *cur, struct timeval *tv)
{
	struct timespec now;

	if (ts->tv_nsec == UTIME_OMIT) {
		ts = cur;
	} else if (ts->tv_nsec == UTIME_NOW) {
		clock_gettime(CLOCK_REALTIME, &now);
		ts = &now;
	}
	tv->tv_sec = ts->tv_sec;
	tv->tv_usec = ts->tv_nsec / 1000;
}

static int sm_utimensat(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			int flags)
{
	static const struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
	struct smb_ctx *c = ctx;
	struct timeval tv[2];
	struct stat st;
	char *url = NULL;
	int r;

	(void)flags;
	if (!ts)
		ts = now;
	pthread_mutex_lock(&smb_mutex);
	if ((r = child_url(c, dirfd, name, &url)) < 0 || (r = smb_stat_url(c, url, &st)) < 0)
		goto out;
	to_timeval(&ts[0], &st.st_atim, &tv[0]);
	to_timeval(&ts[1], &st.st_mtim, &tv[1]);
	if (smbc_getFunctionUtimes(c->smb)(c->smb, url, tv) < 0)
		r = smb_errno();
out:
	pthread_mutex_unlock(&smb_mutex);
	free(url);
	return r;
}

/*
 * libsmbclient (4.17) puts the bytes per sector in f_bsize and the sectors per allocation
 * unit in f_frsize, and counts blocks in allocation units: make both sizes the unit
 * (a real fragment size, not smaller than a sector, is kept). No name limit is given.
 */
static void statvfs_fix(struct statvfs *sv)
{
	if (sv->f_frsize && sv->f_frsize < sv->f_bsize) {
		sv->f_frsize *= sv->f_bsize;
		sv->f_bsize = sv->f_frsize;
	}
	if (!sv->f_namemax)
		sv->f_namemax = 255;
}

static int sm_fstatvfs(void *ctx, int fd, struct statvfs *sv)
{
	struct smb_ctx *c = ctx;
	struct smb_handle *h;
	int r = -EBADF;

	pthread_mutex_lock(&smb_mutex);
	if ((h = handle_get(c, fd))) {
		r = 0;
		if (smbc_getFunctionStatVFS(c->smb)(c->smb, h->url, sv) < 0)
			r = smb_errno();
		else
			statvfs_fix(sv);
	}
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

/* Only system.* attributes exist over SMB (user.* is EINVAL): the vault's xattrs are not. */
static ssize_t sm_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t n)
{
	(void)ctx, (void)fd, (void)name, (void)buf, (void)n;
	return -EOPNOTSUPP;
}

static int sm_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t n, int flags)
{
	(void)ctx, (void)fd, (void)name, (void)buf, (void)n, (void)flags;
	return -EOPNOTSUPP;
}

static ssize_t sm_flistxattr(void *ctx, int fd, char *buf, size_t n)
{
	(void)ctx, (void)fd, (void)buf, (void)n;
	return -EOPNOTSUPP;
}

static int sm_fremovexattr(void *ctx, int fd, const char *name)
{
	(void)ctx, (void)fd, (void)name;
	return -EOPNOTSUPP;
}

static int sm_dir_open(void *ctx, int dirfd, struct store_dir **out)
{
	struct smb_ctx *c = ctx;
	struct smb_handle *h;
	struct store_dir *d;
	int r = -EBADF;

	if (!(d = calloc(1, sizeof(*d))))
		return -ENOMEM;
	pthread_mutex_lock(&smb_mutex);
	if ((h = handle_get(c, dirfd))) {
		r = 0;
		errno = 0;
		d->dir = smbc_getFunctionOpendir(c->smb)(c->smb, h->url);
		if (!d->dir)
			r = smb_errno();
	}
	pthread_mutex_unlock(&smb_mutex);
	if (r < 0) {
		free(d);
		return r;
	}
	*out = d;
	return 0;
}

static int sm_dir_next(void *ctx, struct store_dir *d, struct store_dirent *ent)
{
	struct smb_ctx *c = ctx;
	const struct libsmb_file_info *fi;
	struct stat st;
	int r;

	pthread_mutex_lock(&smb_mutex);
	for (;;) {
		memset(&st, 0, sizeof(st));
		errno = 0;
		fi = smbc_getFunctionReaddirPlus2(c->smb)(c->smb, d->dir, &st);
		if (!fi) {
			r = errno && errno != ENOENT ? -errno : 0;
			break;
		}
		/* a longer name than any server file system has: not one of ours */
		if (!fi->name || strlen(fi->name) >= sizeof(d->name))
			continue;
		strcpy(d->name, fi->name);
		ent->name = d->name;
		ent->ino = st.st_ino;
		ent->type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
		r = 1;
		break;
	}
	pthread_mutex_unlock(&smb_mutex);
	return r;
}

static void sm_dir_close(void *ctx, struct store_dir *d)
{
	struct smb_ctx *c = ctx;

	if (!d)
		return;
	pthread_mutex_lock(&smb_mutex);
	(void)smbc_getFunctionClosedir(c->smb)(c->smb, d->dir);
	pthread_mutex_unlock(&smb_mutex);
	free(d);
}

/* libsmbclient offers no SMB byte-range locks: shared mode over SMB is lock files. */
static int sm_lock(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait)
{
	(void)ctx, (void)fd, (void)off, (void)len, (void)exclusive, (void)wait;
	return -EOPNOTSUPP;
}

static int sm_unlock(void *ctx, int fd, uint64_t off, uint64_t len)
{
	(void)ctx, (void)fd, (void)off, (void)len;
	return -EOPNOTSUPP;
}

/* Called with smb_mutex held. Accepts NULL. */
static void ctx_free_locked(struct smb_ctx *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nh; i++) {
		if (c->h[i].url && c->h[i].file) {
			close_file(c, c->h[i].file);
			if (c->h[i].unlinked)
				(void)smbc_getFunctionUnlink(c->smb)(c->smb, c->h[i].url);
		}
		free(c->h[i].url);
	}
	free(c->root_url);
	free(c->h);
	if (c->smb)
		smbc_free_context(c->smb, 1);
	secmem_free(c->password);
	secure_wipe(c, sizeof(*c));
	free(c);
}

static void sm_destroy(void *ctx)
{
	pthread_mutex_lock(&smb_mutex);
	ctx_free_locked(ctx);
	pthread_mutex_unlock(&smb_mutex);
}

static const struct store_ops smb_ops = {
	.openat = sm_openat,
	.close = sm_close,
	.reopen = sm_reopen,
	.pread = sm_pread,
	.pwrite = sm_pwrite,
	.fstat = sm_fstat,
	.fstatat = sm_fstatat,
	.ftruncate = sm_ftruncate,
	.fsync = sm_fsync,
	.lseek = sm_lseek,
	.mkdirat = sm_mkdirat,
	.unlinkat = sm_unlinkat,
	.renameat = sm_renameat,
	.linkat = sm_linkat,
	.symlinkat = sm_symlinkat,
	.readlinkat = sm_readlinkat,
	.mknodat = sm_mknodat,
	.fchmodat = sm_fchmodat,
	.fchownat = sm_fchownat,
	.utimensat = sm_utimensat,
	.fstatvfs = sm_fstatvfs,
	.fgetxattr = sm_fgetxattr,
	.fsetxattr = sm_fsetxattr,
	.flistxattr = sm_flistxattr,
	.fremovexattr = sm_fremovexattr,
	.dir_open = sm_dir_open,
	.dir_next = sm_dir_next,
	.dir_close = sm_dir_close,
	.lock = sm_lock,
	.unlock = sm_unlock,
	.destroy = sm_destroy,
	.no_special_files = true,
};

/* --- connecting --- */

static void auth_fn(SMBCCTX *smb, const char *srv, const char *shr, char *wg, int wglen, char *un,
		    int unlen, char *pw, int pwlen)
{
	struct smb_ctx *c = smbc_getOptionUserData(smb);

	(void)srv, (void)shr;
	if (c->workgroup[0] && wglen > 0)
		snprintf(wg, (size_t)wglen, "%s", c->workgroup);
	if (unlen > 0)
		snprintf(un, (size_t)unlen, "%s", c->user);
	if (pwlen > 0)
		snprintf(pw, (size_t)pwlen, "%s", c->password);
}

static void pick(char *out, const char *a, const char *b, const char *c)
{
	const char *v = a && *a ? a : b && *b ? b : c && *c ? c : "";

	snprintf(out, SMB_CRED_MAX, "%s", v);
}

/* Credentials: auth, else store_smb_set_auth's, else the URL's, else the environment. */
static void take_credentials(struct smb_ctx *c, const struct store_smb_auth *auth,
			     const char *url_wg, const char *url_user, const char *url_pw)
{
	const struct store_smb_auth dflt = { default_user, default_password, default_workgroup };

	if (!auth && default_set)
		auth = &dflt;
	pick(c->user, auth ? auth->user : NULL, url_user, getenv("VEILFS_SMB_USER"));
	pick(c->workgroup, auth ? auth->workgroup : NULL, url_wg, getenv("VEILFS_SMB_DOMAIN"));
	pick(c->password, auth ? auth->password : NULL, url_pw, getenv("VEILFS_SMB_PASSWORD"));
}

/* A new context for url; *root is the URL without its user part. Under smb_mutex. */
static int connect_locked(const char *url, const struct store_smb_auth *auth,
			  struct smb_ctx **out, char **root)
{
	char wg[SMB_CRED_MAX], user[SMB_CRED_MAX];
	char *pw = secmem_alloc(SMB_CRED_MAX);
	struct smb_ctx *c = NULL;
	int r = -ENOMEM;

	*out = NULL;
	*root = NULL;
	if (!pw || !(c = calloc(1, sizeof(*c))) || !(c->password = secmem_alloc(SMB_CRED_MAX)))
		goto out;
	if ((r = smb_url_parse(url, root, wg, user, pw)) < 0)
		goto out;
	take_credentials(c, auth, wg, user, pw);
	r = -ENOMEM;
	if (!(c->smb = smbc_new_context()))
		goto out;
	smbc_setDebug(c->smb, 0);
	smbc_setOptionDebugToStderr(c->smb, true);
	smbc_setOptionUserData(c->smb, c);
	smbc_setFunctionAuthDataWithContext(c->smb, auth_fn);
	smbc_setTimeout(c->smb, SMB_TIMEOUT_MS);
	/* wrong credentials fail; they never fall back to a guest session */
	smbc_setOptionNoAutoAnonymousLogin(c->smb, true);
	errno = 0;
	if (!smbc_init_context(c->smb)) {
		r = smb_errno();
		smbc_free_context(c->smb, 1);
		c->smb = NULL;
		goto out;
	}
	*out = c;
	c = NULL;
	r = 0;
out:
	if (r < 0) {
		free(*root);
		*root = NULL;
	}
	ctx_free_locked(c);
	secmem_free(pw);
	secure_wipe(wg, sizeof(wg));
	secure_wipe(user, sizeof(user));
	return r;
}

int store_smb_new(const char *url, const struct store_smb_auth *auth, struct store **out,
		  int *rootfd)
{
	struct smb_ctx *c = NULL;
	struct store *s = NULL;
	struct stat st;
	char *root = NULL;
	int r;

	*out = NULL;
	*rootfd = -1;
	pthread_mutex_lock(&smb_mutex);
	if ((r = connect_locked(url, auth, &c, &root)) < 0)
		goto out;
	if ((r = smb_stat_url(c, root, &st)) < 0)
		goto out;
	r = -ENOTDIR;
	if (!S_ISDIR(st.st_mode))
		goto out;
	r = -ENOMEM;
	if (!(s = calloc(1, sizeof(*s))))
		goto out;
	if (!(c->root_url = strdup(root)))
		goto out;
	if ((r = handle_add(c, root, NULL, STORE_DIRECTORY)) < 0)
		goto out;
	root = NULL;
	s->ops = &smb_ops;
	s->ctx = c;
	*rootfd = r;
	*out = s;
	s = NULL;
	c = NULL;
	r = 0;
out:
	ctx_free_locked(c);
	pthread_mutex_unlock(&smb_mutex);
	free(root);
	free(s);
	return r;
}

int store_smb_mkdir(const char *url, const struct store_smb_auth *auth, mode_t mode)
{
	struct smb_ctx *c = NULL;
	char *root = NULL;
	int r;

	pthread_mutex_lock(&smb_mutex);
	if ((r = connect_locked(url, auth, &c, &root)) == 0 &&
	    smbc_getFunctionMkdir(c->smb)(c->smb, root, mode) < 0)
		r = smb_errno();
	ctx_free_locked(c);
	pthread_mutex_unlock(&smb_mutex);
	free(root);
	return r;
}

int store_smb_set_auth(const char *url, const struct store_smb_auth *auth, char **public_url)
{
	char wg[SMB_CRED_MAX], user[SMB_CRED_MAX];
	char *pw = secmem_alloc(SMB_CRED_MAX);
	int r = -ENOMEM;

	*public_url = NULL;
	pthread_mutex_lock(&smb_mutex);
	if (!pw || (!default_password && !(default_password = secmem_alloc(SMB_CRED_MAX))))
		goto out;
	if ((r = smb_url_parse(url, public_url, wg, user, pw)) < 0)
		goto out;
	pick(default_user, auth ? auth->user : NULL, user, NULL);
	pick(default_workgroup, auth ? auth->workgroup : NULL, wg, NULL);
	pick(default_password, auth ? auth->password : NULL, pw, NULL);
	default_set = true;
	r = 0;
out:
	pthread_mutex_unlock(&smb_mutex);
	secmem_free(pw);
	secure_wipe(wg, sizeof(wg));
	secure_wipe(user, sizeof(user));
	return r;
}

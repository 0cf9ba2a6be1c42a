/*
 * The Win32 store (store.h) for the Windows build, chosen by `make windows` instead of
 * store_posix.c and store_smb.c: the local-directory store of that build, so it is the
 * one store_posix_new() returns there (UNC paths reach SMB shares through Windows' own
 * redirector).
 *
 * Win32 has no *at() calls, so a store handle is an entry of a table that keeps the
 * object's full path ("\\?\"-prefixed UTF-16, so no MAX_PATH limit and no silent name
 * rewriting) and, for files opened for I/O, a HANDLE. Directories and STORE_PATH handles
 * keep only the path. Files are opened sharing read, write and delete, so that renames and
 * removals of open files work as POSIX callers expect.
 *
 * - I/O is positional: ReadFile/WriteFile with the offset in an OVERLAPPED (synchronous
 *   handles), so handles have no position and SEEK_CUR is refused.
 * - Names: every component passes w32_name_check (store_names_win32.c). NTFS looks names
 *   up case-insensitively; encrypted names are case-sensitive base64url, so an object
 *   found under another case than the one asked for is a different name: opening,
 *   stat-ing, removing or renaming it is refused (-ENOENT, or -EEXIST for a creation),
 *   never done on the wrong object.
 * - Locks: LockFileEx/UnlockFileEx on the handle (per handle, as the OFD locks of
 *   store_posix.c). Windows locks are mandatory (a locked range cannot be read or written
 *   through another handle), so the lock ranges are moved up by W32_LOCK_BASE, past any
 *   real offset: between veilfs clients on Windows they exclude each other as the ranges
 *   they stand for, and they never block I/O. They do not meet the fcntl() locks of a
 *   Linux client of the same share.
 * - Atomic replace: MoveFileExW(MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH).
 * - Not on this store: symbolic links, device nodes and FIFOs (-EPERM), xattrs
 *   (-ENOTSUP), ownership (-EPERM), O_DIRECT reads (-EINVAL: coord/fresh.c then reads
 *   through the ordinary handle), SEEK_DATA/SEEK_HOLE (-EINVAL). Modes: only the owner's
 *   write bit is kept, as the read-only attribute; permissions are the directory's ACLs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include "store/store.h"
#include "store/store_win32_internal.h"

#define W32_LOCK_BASE (UINT64_C(1) << 62)
#define W32_LOCK_ALL (UINT64_C(1) << 61) /* len 0: to the end of any file */
#define W32_EPOCH_DIFF UINT64_C(116444736000000000) /* 1601 to 1970 in 100 ns */

struct w32_handle {
	bool used, dir;
	HANDLE h; /* INVALID_HANDLE_VALUE for directories and STORE_PATH handles */
	wchar_t *path;
};

struct w32_store {
	SRWLOCK lock;
	struct w32_handle *tab;
	int n;
	wchar_t *root; /* the store's root directory, for the volume's free space */
};

struct store_dir {
	HANDLE find;
	WIN32_FIND_DATAW data;
	bool pending, end;
	char *name;
};

/* ---- the handle table ---- */

/* A new handle owning path (and h); on failure both are released. */
static int h_add(struct w32_store *s, HANDLE h, wchar_t *path, bool dir)
{
	struct w32_handle *t;
	int fd;

	AcquireSRWLockExclusive(&s->lock);
	for (fd = 0; fd < s->n && s->tab[fd].used; fd++)
		;
	if (fd == s->n) {
		t = realloc(s->tab, (size_t)(s->n + 16) * sizeof(*t));
		if (!t) {
			ReleaseSRWLockExclusive(&s->lock);
			if (h != INVALID_HANDLE_VALUE)
				CloseHandle(h);
			free(path);
			return -ENOMEM;
		}
		memset(t + s->n, 0, 16 * sizeof(*t));
		s->tab = t;
		s->n += 16;
	}
	s->tab[fd] = (struct w32_handle){ .used = true, .dir = dir, .h = h, .path = path };
	ReleaseSRWLockExclusive(&s->lock);
	return fd;
}

/* A copy of handle fd (its path stays valid until fd is closed). 0 or -EBADF. */
static int h_get(struct w32_store *s, int fd, struct w32_handle *out)
{
	int r = -EBADF;

	AcquireSRWLockShared(&s->lock);
	if (fd >= 0 && fd < s->n && s->tab[fd].used) {
		*out = s->tab[fd];
		r = 0;
	}
	ReleaseSRWLockShared(&s->lock);
	return r;
}

/* The I/O handle of fd: -EBADF for none, -EISDIR for a directory. */
static int h_io(struct w32_store *s, int fd, HANDLE *h)
{
	struct w32_handle e;
	int r = h_get(s, fd, &e);

	if (r < 0)
		return r;
	if (e.h == INVALID_HANDLE_VALUE)
		return e.dir ? -EISDIR : -EBADF;
	*h = e.h;
	return 0;
}

static int w32_close(void *ctx, int fd)
{
	struct w32_store *s = ctx;
	struct w32_handle e = { 0 };

	AcquireSRWLockExclusive(&s->lock);
	if (fd >= 0 && fd < s->n && s->tab[fd].used) {
		e = s->tab[fd];
		memset(&s->tab[fd], 0, sizeof(s->tab[fd]));
	}
	ReleaseSRWLockExclusive(&s->lock);
	if (!e.used)
		return -EBADF;
	if (e.h != INVALID_HANDLE_VALUE)
		CloseHandle(e.h);
	free(e.path);
	return 0;
}

/* ---- paths ---- */

static wchar_t *wdup(const wchar_t *w)
{
	size_t n = (wcslen(w) + 1) * sizeof(*w);
	wchar_t *d = malloc(n);

	return d ? memcpy(d, w, n) : NULL;
}

/* *out (malloc'd) = the path of dirfd joined with name ("" and "." are dirfd itself). */
static int path_join(struct w32_store *s, int dirfd, const char *name, wchar_t **out)
{
	struct w32_handle e;
	wchar_t *wname, *p;
	size_t a, b;
	int r;

	if ((r = h_get(s, dirfd, &e)) < 0)
		return r;
	if (!*name || strcmp(name, ".") == 0) {
		*out = wdup(e.path);
		return *out ? 0 : -ENOMEM;
	}
	if (!e.dir)
		return -ENOTDIR;
	if ((r = w32_name_check(name)) < 0 || (r = w32_to_wide(name, &wname)) < 0)
		return r;
	a = wcslen(e.path);
	b = wcslen(wname);
	if ((p = malloc((a + b + 2) * sizeof(*p)))) {
		memcpy(p, e.path, a * sizeof(*p));
		p[a] = L'\\';
		memcpy(p + a + 1, wname, (b + 1) * sizeof(*p));
	}
	free(wname);
	*out = p;
	return p ? 0 : -ENOMEM;
}

/*
 * 0 when the last component of path exists under exactly that name, -ENOENT when it does
 * not exist, 1 when it exists under another case (another name: see the top).
 */
static int exact_case(const wchar_t *path)
{
	const wchar_t *last = wcsrchr(path, L'\\');
	WIN32_FIND_DATAW fd;
	HANDLE f = FindFirstFileExW(path, FindExInfoBasic, &fd, FindExSearchNameMatch, NULL, 0);
	int r;

	if (f == INVALID_HANDLE_VALUE)
		return -ENOENT;
	FindClose(f);
	r = wcscmp(fd.cFileName, last ? last + 1 : path) == 0 ? 0 : 1;
	return r;
}

/* Join and check the case; -ENOENT for an object found under another case. */
static int path_existing(struct w32_store *s, int dirfd, const char *name, wchar_t **out)
{
	int r = path_join(s, dirfd, name, out);

	if (r < 0 || !*name || strcmp(name, ".") == 0)
		return r;
	if ((r = exact_case(*out)) != 0) {
		free(*out);
		*out = NULL; /* callers free what they got on every path */
		return r < 0 ? r : -ENOENT;
	}
	return 0;
}

/* ---- stat ---- */

static struct timespec ft_to_ts(FILETIME ft)
{
	uint64_t t = ((uint64_t)ft.dwHighDateTime << 32 | ft.dwLowDateTime) - W32_EPOCH_DIFF;

	return (struct timespec){ .tv_sec = (time_t)(t / 10000000),
				  .tv_nsec = (long)(t % 10000000) * 100 };
}

static void fill_stat(const BY_HANDLE_FILE_INFORMATION *fi, bool link, struct stat *st)
{
	bool dir = fi->dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY;

	memset(st, 0, sizeof(*st));
	st->st_dev = fi->dwVolumeSerialNumber;
	st->st_ino = (uint64_t)fi->nFileIndexHigh << 32 | fi->nFileIndexLow;
	st->st_mode = link ? S_IFLNK | 0777 : dir ? S_IFDIR | 0755 : S_IFREG | 0644;
	if (!link && (fi->dwFileAttributes & FILE_ATTRIBUTE_READONLY))
		st->st_mode &= (mode_t)~0222;
	st->st_nlink = fi->nNumberOfLinks;
	st->st_size = dir ? 0 : (int64_t)((uint64_t)fi->nFileSizeHigh << 32 | fi->nFileSizeLow);
	st->st_blksize = 4096;
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_atim = ft_to_ts(fi->ftLastAccessTime);
	st->st_mtim = ft_to_ts(fi->ftLastWriteTime);
	st->st_ctim = ft_to_ts(fi->ftLastWriteTime); /* no change time in this call */
}

static int stat_handle(HANDLE h, bool nofollow, struct stat *st)
{
	BY_HANDLE_FILE_INFORMATION fi;

	if (!GetFileInformationByHandle(h, &fi))
		return w32_errno(GetLastError());
	fill_stat(&fi, nofollow && (fi.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT), st);
	return 0;
}

/* A handle for attributes only (files and directories alike). */
static HANDLE open_attrs(const wchar_t *path, DWORD access, bool nofollow)
{
	return CreateFileW(path, access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			   NULL, OPEN_EXISTING,
			   FILE_FLAG_BACKUP_SEMANTICS | (nofollow ? FILE_FLAG_OPEN_REPARSE_POINT : 0),
			   NULL);
}

static int stat_path(const wchar_t *path, bool nofollow, struct stat *st)
{
	HANDLE h = open_attrs(path, FILE_READ_ATTRIBUTES, nofollow);
	int r;

	if (h == INVALID_HANDLE_VALUE)
		return w32_errno(GetLastError());
	r = stat_handle(h, nofollow, st);
	CloseHandle(h);
	return r;
}

static int w32_fstat(void *ctx, int fd, struct stat *st)
{
	struct w32_handle e;
	int r = h_get(ctx, fd, &e);

	if (r < 0)
		return r;
	if (e.h != INVALID_HANDLE_VALUE)
		return stat_handle(e.h, false, st);
	return stat_path(e.path, false, st);
}

static int w32_fstatat(void *ctx, int dirfd, const char *name, struct stat *st, int flags)
{
	wchar_t *path;
	int r;

	if (!*name && !(flags & STORE_AT_EMPTY_PATH))
		return -ENOENT;
	if ((r = path_existing(ctx, dirfd, name, &path)) < 0)
		return r;
	r = stat_path(path, flags & STORE_AT_NOFOLLOW, st);
	free(path);
	return r;
}

/* ---- open ---- */

static DWORD disposition(int flags)
{
	if ((flags & STORE_CREAT) && (flags & STORE_EXCL))
		return CREATE_NEW;
	if (flags & STORE_CREAT)
		return (flags & STORE_TRUNC) ? CREATE_ALWAYS : OPEN_ALWAYS;
	return (flags & STORE_TRUNC) ? TRUNCATE_EXISTING : OPEN_EXISTING;
}

static DWORD access_of(int flags)
{
	if (flags & STORE_RDWR)
		return GENERIC_READ | GENERIC_WRITE;
	return (flags & STORE_WRONLY) ? GENERIC_WRITE : GENERIC_READ;
}

/* Open path (owned: kept by the new handle or freed) with flags; a handle or -errno. */
static int open_path(struct w32_store *s, wchar_t *path, int flags)
{
	DWORD attrs = GetFileAttributesW(path);
	bool exists = attrs != INVALID_FILE_ATTRIBUTES, dir = exists && (attrs & FILE_ATTRIBUTE_DIRECTORY);
	HANDLE h;
	int r = 0;

	if (flags & STORE_DIRECT)
		r = -EINVAL;
	else if (exists && (flags & STORE_CREAT) && (flags & STORE_EXCL))
		r = -EEXIST;
	else if (exists && (attrs & FILE_ATTRIBUTE_REPARSE_POINT) && (flags & STORE_NOFOLLOW))
		r = -ELOOP;
	else if (!exists && (flags & STORE_DIRECTORY))
		r = -ENOENT;
	else if (exists && !dir && (flags & STORE_DIRECTORY))
		r = -ENOTDIR;
	else if (dir && (flags & (STORE_WRONLY | STORE_RDWR | STORE_TRUNC)))
		r = -EISDIR;
	if (r < 0) {
		free(path);
		return r;
	}
	if (dir || (exists && (flags & STORE_PATH)))
		return h_add(s, INVALID_HANDLE_VALUE, path, dir);
	h = CreateFileW(path, access_of(flags), FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
			NULL, disposition(flags), FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		free(path);
		return w32_errno(GetLastError());
	}
	return h_add(s, h, path, false);
}

static int w32_openat(void *ctx, int dirfd, const char *name, int flags, mode_t mode)
{
	wchar_t *path;
	int r;

	(void)mode; /* permissions are the directory's ACLs (see the top) */
	if ((r = path_join(ctx, dirfd, name, &path)) < 0)
		return r;
	if (*name && strcmp(name, ".") != 0 && (r = exact_case(path)) == 1) {
		free(path);
		return (flags & STORE_CREAT) ? -EEXIST : -ENOENT;
	}
	return open_path(ctx, path, flags);
}

static int w32_reopen(void *ctx, int fd, int flags)
{
	struct w32_handle e;
	wchar_t *path;
	int r;

	if ((r = h_get(ctx, fd, &e)) < 0)
		return r;
	if (!(path = wdup(e.path)))
		return -ENOMEM;
	return open_path(ctx, path, flags & ~(STORE_CREAT | STORE_EXCL | STORE_NOFOLLOW));
}

/* ---- I/O ---- */

static OVERLAPPED at(uint64_t off)
{
	OVERLAPPED ov = { 0 };

	ov.Offset = (DWORD)off;
	ov.OffsetHigh = (DWORD)(off >> 32);
	return ov;
}

static DWORD io_len(size_t n)
{
	return n > (1u << 30) ? (1u << 30) : (DWORD)n;
}

static ssize_t w32_pread(void *ctx, int fd, void *buf, size_t n, uint64_t off)
{
	OVERLAPPED ov = at(off);
	DWORD got = 0, err;
	HANDLE h;
	int r;

	if ((r = h_io(ctx, fd, &h)) < 0)
		return r;
	if (!n)
		return 0;
	if (!ReadFile(h, buf, io_len(n), &got, &ov)) {
		err = GetLastError();
		return err == ERROR_HANDLE_EOF ? 0 : w32_errno(err);
	}
	return (ssize_t)got;
}

static ssize_t w32_pwrite(void *ctx, int fd, const void *buf, size_t n, uint64_t off)
{
	OVERLAPPED ov = at(off);
	DWORD done = 0;
	HANDLE h;
	int r;

	if ((r = h_io(ctx, fd, &h)) < 0)
		return r;
	if (!n)
		return 0;
	if (!WriteFile(h, buf, io_len(n), &done, &ov))
		return w32_errno(GetLastError());
	return (ssize_t)done;
}

static int w32_ftruncate(void *ctx, int fd, uint64_t size)
{
	FILE_END_OF_FILE_INFO eof;
	HANDLE h;
	int r;

	if ((r = h_io(ctx, fd, &h)) < 0)
		return r;
	eof.EndOfFile.QuadPart = (LONGLONG)size;
	if (!SetFileInformationByHandle(h, FileEndOfFileInfo, &eof, sizeof(eof)))
		return w32_errno(GetLastError());
	return 0;
}

/* Directories have nothing to flush here: NTFS journals its metadata, and the renames
 * that publish files are MOVEFILE_WRITE_THROUGH. A read-only handle has nothing either. */
static int w32_fsync(void *ctx, int fd, bool datasync)
{
	struct w32_handle e;
	int r;

	(void)datasync;
	if ((r = h_get(ctx, fd, &e)) < 0)
		return r;
	if (e.h == INVALID_HANDLE_VALUE || FlushFileBuffers(e.h))
		return 0;
	return GetLastError() == ERROR_ACCESS_DENIED ? 0 : w32_errno(GetLastError());
}

static int64_t w32_lseek(void *ctx, int fd, int64_t off, int whence)
{
	LARGE_INTEGER size;
	HANDLE h;
	int r;

	if (whence == SEEK_SET)
		return off < 0 ? -EINVAL : off;
	if (whence != SEEK_END)
		return -EINVAL; /* no position (SEEK_CUR); no SEEK_DATA / SEEK_HOLE */
	if ((r = h_io(ctx, fd, &h)) < 0)
		return r;
	if (!GetFileSizeEx(h, &size))
		return w32_errno(GetLastError());
	return size.QuadPart + off < 0 ? -EINVAL : size.QuadPart + off;
}

/* ---- names ---- */

static int w32_mkdirat(void *ctx, int dirfd, const char *name, mode_t mode)
{
	wchar_t *path;
	int r;

	(void)mode;
	if ((r = path_join(ctx, dirfd, name, &path)) < 0)
		return r;
	r = CreateDirectoryW(path, NULL) ? 0 : w32_errno(GetLastError());
	free(path);
	return r;
}

static int w32_unlinkat(void *ctx, int dirfd, const char *name, int flags)
{
	bool rmdir = flags & STORE_AT_REMOVEDIR, dir;
	wchar_t *path;
	DWORD attrs;
	int r;

	if ((r = path_existing(ctx, dirfd, name, &path)) < 0)
		return r;
	attrs = GetFileAttributesW(path);
	dir = attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_DIRECTORY);
	if (attrs == INVALID_FILE_ATTRIBUTES)
		r = w32_errno(GetLastError());
	else if (dir != rmdir)
		r = dir ? -EISDIR : -ENOTDIR;
	else if (!(rmdir ? RemoveDirectoryW(path) : DeleteFileW(path)))
		r = w32_errno(GetLastError());
	free(path);
	return r;
}

/* MoveFileExW replaces atomically on NTFS (one rename of the directory entry). */
static int w32_renameat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
			const char *newname, int flags)
{
	DWORD how = MOVEFILE_WRITE_THROUGH;
	wchar_t *from = NULL, *to = NULL;
	int r;

	if (flags & STORE_RENAME_EXCHANGE)
		return -EINVAL;
	if (!(flags & STORE_RENAME_NOREPLACE))
		how |= MOVEFILE_REPLACE_EXISTING;
	if ((r = path_existing(ctx, olddirfd, oldname, &from)) < 0 ||
	    (r = path_join(ctx, newdirfd, newname, &to)) < 0)
		goto out;
	if (exact_case(to) == 1) { /* would replace another name */
		r = -EEXIST;
		goto out;
	}
	r = MoveFileExW(from, to, how) ? 0 : w32_errno(GetLastError());
out:
	free(from);
	free(to);
	return r;
}

/* An empty old name links the object olddirfd itself refers to. */
static int w32_linkat(void *ctx, int olddirfd, const char *oldname, int newdirfd,
		      const char *newname)
{
	wchar_t *from = NULL, *to = NULL;
	int r;

	if ((r = path_existing(ctx, olddirfd, oldname, &from)) < 0 ||
	    (r = path_join(ctx, newdirfd, newname, &to)) < 0)
		goto out;
	r = CreateHardLinkW(to, from, NULL) ? 0 : w32_errno(GetLastError());
out:
	free(from);
	free(to);
	return r;
}

/* Symbolic links need a privilege (or developer mode) on Windows: not on this store. */
static int w32_symlinkat(void *ctx, const char *target, int dirfd, const char *name)
{
	(void)ctx;
	(void)target;
	(void)dirfd;
	(void)name;
	return -EPERM;
}

/* Nothing here is a link this store made: -EINVAL as readlink() of a non-link. */
static ssize_t w32_readlinkat(void *ctx, int dirfd, const char *name, char *buf, size_t n)
{
	struct stat st;
	int r;

	(void)buf;
	(void)n;
	if ((r = w32_fstatat(ctx, dirfd, name, &st, STORE_AT_NOFOLLOW)) < 0)
		return r;
	return S_ISLNK(st.st_mode) ? -ENOTSUP : -EINVAL;
}

static int w32_mknodat(void *ctx, int dirfd, const char *name, mode_t mode, dev_t dev)
{
	(void)ctx;
	(void)dirfd;
	(void)name;
	(void)mode;
	(void)dev;
	return -EPERM;
}

/* Only the owner's write bit maps onto Windows: the read-only attribute. */
static int w32_fchmodat(void *ctx, int dirfd, const char *name, mode_t mode, int flags)
{
	wchar_t *path;
	DWORD attrs;
	int r;

	(void)flags;
	if ((r = path_existing(ctx, dirfd, name, &path)) < 0)
		return r;
	attrs = GetFileAttributesW(path);
	if (attrs == INVALID_FILE_ATTRIBUTES) {
		r = w32_errno(GetLastError());
	} else if (!(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
		attrs = (mode & S_IWUSR) ? attrs & ~(DWORD)FILE_ATTRIBUTE_READONLY
					 : attrs | FILE_ATTRIBUTE_READONLY;
		if (!SetFileAttributesW(path, attrs))
			r = w32_errno(GetLastError());
	}
	free(path);
	return r;
}

static int w32_fchownat(void *ctx, int dirfd, const char *name, uid_t uid, gid_t gid, int flags)
{
	(void)ctx;
	(void)dirfd;
	(void)name;
	(void)uid;
	(void)gid;
	(void)flags;
	return -EPERM;
}

/* ts[i] as a FILETIME in *ft; false for UTIME_OMIT (leave that time alone). */
static bool ts_to_ft(const struct timespec *ts, FILETIME *ft)
{
	uint64_t t;

	if (ts->tv_nsec == UTIME_OMIT)
		return false;
	if (ts->tv_nsec == UTIME_NOW) {
		GetSystemTimeAsFileTime(ft);
		return true;
	}
	t = (uint64_t)ts->tv_sec * 10000000 + (uint64_t)ts->tv_nsec / 100 + W32_EPOCH_DIFF;
	ft->dwLowDateTime = (DWORD)t;
	ft->dwHighDateTime = (DWORD)(t >> 32);
	return true;
}

static int w32_utimensat(void *ctx, int dirfd, const char *name, const struct timespec ts[2],
			 int flags)
{
	FILETIME a, m, now;
	wchar_t *path;
	HANDLE h;
	int r;

	if ((r = path_existing(ctx, dirfd, name, &path)) < 0)
		return r;
	h = open_attrs(path, FILE_WRITE_ATTRIBUTES, flags & STORE_AT_NOFOLLOW);
	free(path);
	if (h == INVALID_HANDLE_VALUE)
		return w32_errno(GetLastError());
	GetSystemTimeAsFileTime(&now);
	a = m = now;
	if (!SetFileTime(h, NULL, !ts || ts_to_ft(&ts[0], &a) ? &a : NULL,
			 !ts || ts_to_ft(&ts[1], &m) ? &m : NULL))
		r = w32_errno(GetLastError());
	CloseHandle(h);
	return r;
}

/* ---- the volume, xattrs ---- */

/* The free space of the volume the store's root is on (any handle of a store is). */
static int w32_fstatvfs(void *ctx, int fd, struct statvfs *sv)
{
	struct w32_store *s = ctx;
	ULARGE_INTEGER avail, total, free_bytes;
	struct w32_handle e;
	int r;

	if ((r = h_get(s, fd, &e)) < 0)
		return r;
	if (!GetDiskFreeSpaceExW(s->root, &avail, &total, &free_bytes))
		return w32_errno(GetLastError());
	memset(sv, 0, sizeof(*sv));
	sv->f_bsize = sv->f_frsize = 4096;
	sv->f_blocks = total.QuadPart / 4096;
	sv->f_bfree = free_bytes.QuadPart / 4096;
	sv->f_bavail = avail.QuadPart / 4096;
	sv->f_files = sv->f_ffree = sv->f_favail = UINT32_MAX;
	sv->f_namemax = 255;
	return 0;
}

/* No xattrs on this store (NTFS extended attributes and streams are not mapped). */
static ssize_t w32_fgetxattr(void *ctx, int fd, const char *name, void *buf, size_t n)
{
	(void)ctx;
	(void)fd;
	(void)name;
	(void)buf;
	(void)n;
	return -ENOTSUP;
}

static int w32_fsetxattr(void *ctx, int fd, const char *name, const void *buf, size_t n,
			 int flags)
{
	(void)ctx;
	(void)fd;
	(void)name;
	(void)buf;
	(void)n;
	(void)flags;
	return -ENOTSUP;
}

static ssize_t w32_flistxattr(void *ctx, int fd, char *buf, size_t n)
{
	(void)ctx;
	(void)fd;
	(void)buf;
	(void)n;
	return -ENOTSUP;
}

static int w32_fremovexattr(void *ctx, int fd, const char *name)
{
	(void)ctx;
	(void)fd;
	(void)name;
	return -ENOTSUP;
}

/* ---- directories ---- */

static int w32_dir_open(void *ctx, int dirfd, struct store_dir **out)
{
	static const wchar_t all[] = L"\\*";
	struct store_dir *d;
	struct w32_handle e;
	wchar_t *pattern;
	size_t n;
	int r;

	if ((r = h_get(ctx, dirfd, &e)) < 0)
		return r;
	if (!e.dir)
		return -ENOTDIR;
	n = wcslen(e.path);
	if (!(d = calloc(1, sizeof(*d))) || !(pattern = malloc((n + 3) * sizeof(wchar_t)))) {
		free(d);
		return -ENOMEM;
	}
	memcpy(pattern, e.path, n * sizeof(wchar_t));
	memcpy(pattern + n, all, sizeof(all));
	d->find = FindFirstFileExW(pattern, FindExInfoBasic, &d->data, FindExSearchNameMatch, NULL,
				   FIND_FIRST_EX_LARGE_FETCH);
	free(pattern);
	if (d->find == INVALID_HANDLE_VALUE && GetLastError() != ERROR_FILE_NOT_FOUND) {
		r = w32_errno(GetLastError());
		free(d);
		return r;
	}
	d->pending = d->find != INVALID_HANDLE_VALUE;
	d->end = !d->pending;
	*out = d;
	return 0;
}

static unsigned char dirent_type(DWORD attrs)
{
	if (attrs & FILE_ATTRIBUTE_REPARSE_POINT)
		return DT_LNK;
	return (attrs & FILE_ATTRIBUTE_DIRECTORY) ? DT_DIR : DT_REG;
}

/* Names that are not valid UTF-16 (unpaired surrogates) cannot be veilfs's: skipped. */
static int w32_dir_next(void *ctx, struct store_dir *d, struct store_dirent *ent)
{
	int r;

	(void)ctx;
	for (;;) {
		if (d->end)
			return 0;
		if (!d->pending && !FindNextFileW(d->find, &d->data)) {
			d->end = true;
			return GetLastError() == ERROR_NO_MORE_FILES ? 0 : w32_errno(GetLastError());
		}
		d->pending = false;
		free(d->name);
		d->name = NULL;
		if ((r = w32_to_utf8(d->data.cFileName, &d->name)) == -ENOMEM)
			return r;
		if (r == 0)
			break;
	}
	ent->name = d->name;
	ent->ino = 0; /* not in a listing on Windows; fstatat gives it */
	ent->type = dirent_type(d->data.dwFileAttributes);
	return 1;
}

static void w32_dir_close(void *ctx, struct store_dir *d)
{
	(void)ctx;
	if (!d)
		return;
	if (d->find != INVALID_HANDLE_VALUE)
		FindClose(d->find);
	free(d->name);
	free(d);
}

/* ---- locks ---- */

/* The moved range of [off, off + len) (len 0: to the end of any file); see the top. */
static OVERLAPPED lock_range(uint64_t off, uint64_t len, DWORD *lo, DWORD *hi)
{
	uint64_t n = len ? len : W32_LOCK_ALL;

	if (off >= W32_LOCK_ALL)
		off = W32_LOCK_ALL - 1;
	if (n > W32_LOCK_ALL - off)
		n = W32_LOCK_ALL - off;
	*lo = (DWORD)n;
	*hi = (DWORD)(n >> 32);
	return at(W32_LOCK_BASE + off);
}

static int w32_lock(void *ctx, int fd, uint64_t off, uint64_t len, bool exclusive, bool wait)
{
	DWORD lo, hi, how = (exclusive ? LOCKFILE_EXCLUSIVE_LOCK : 0) |
			    (wait ? 0 : LOCKFILE_FAIL_IMMEDIATELY);
	OVERLAPPED ov = lock_range(off, len, &lo, &hi);
	HANDLE h;
	int r;

	if ((r = h_io(ctx, fd, &h)) < 0)
		return r;
	if (!LockFileEx(h, how, 0, lo, hi, &ov))
		return w32_errno(GetLastError()); /* ERROR_LOCK_VIOLATION: -EAGAIN */
	return 0;
}

static int w32_unlock(void *ctx, int fd, uint64_t off, uint64_t len)
{
	DWORD lo, hi;
	OVERLAPPED ov = lock_range(off, len, &lo, &hi);
	HANDLE h;
	int r;

	if ((r = h_io(ctx, fd, &h)) < 0)
		return r;
	if (!UnlockFileEx(h, 0, lo, hi, &ov))
		return w32_errno(GetLastError());
	return 0;
}

/* ---- the store ---- */

static void w32_destroy(void *ctx)
{
	struct w32_store *s = ctx;

	for (int fd = 0; fd < s->n; fd++)
		if (s->tab[fd].used)
			(void)w32_close(s, fd);
	free(s->tab);
	free(s->root);
	free(s);
}

static const struct store_ops win32_ops = {
	.openat = w32_openat,
	.close = w32_close,
	.reopen = w32_reopen,
	.pread = w32_pread,
	.pwrite = w32_pwrite,
	.fstat = w32_fstat,
	.fstatat = w32_fstatat,
	.ftruncate = w32_ftruncate,
	.fsync = w32_fsync,
	.lseek = w32_lseek,
	.mkdirat = w32_mkdirat,
	.unlinkat = w32_unlinkat,
	.renameat = w32_renameat,
	.linkat = w32_linkat,
	.symlinkat = w32_symlinkat,
	.readlinkat = w32_readlinkat,
	.mknodat = w32_mknodat,
	.fchmodat = w32_fchmodat,
	.fchownat = w32_fchownat,
	.utimensat = w32_utimensat,
	.fstatvfs = w32_fstatvfs,
	.fgetxattr = w32_fgetxattr,
	.fsetxattr = w32_fsetxattr,
	.flistxattr = w32_flistxattr,
	.fremovexattr = w32_fremovexattr,
	.dir_open = w32_dir_open,
	.dir_next = w32_dir_next,
	.dir_close = w32_dir_close,
	.lock = w32_lock,
	.unlock = w32_unlock,
	.destroy = w32_destroy,
	.no_special_files = true,
};

/* *out (malloc'd) = the absolute "\\?\" (or "\\?\UNC\") form of path. */
static int root_path(const char *path, wchar_t **out)
{
	wchar_t *w, *full, *p;
	DWORD n;
	int r;

	if ((r = w32_to_wide(path, &w)) < 0)
		return r;
	n = GetFullPathNameW(w, 0, NULL, NULL);
	full = n ? malloc(n * sizeof(*full)) : NULL;
	p = full ? malloc((n + 8) * sizeof(*p)) : NULL;
	r = -ENOMEM;
	if (p && GetFullPathNameW(w, n, full, NULL) < n) {
		if (wcsncmp(full, L"\\\\?\\", 4) == 0)
			wcscpy(p, full);
		else if (wcsncmp(full, L"\\\\", 2) == 0)
			swprintf(p, n + 8, L"\\\\?\\UNC\\%ls", full + 2);
		else
			swprintf(p, n + 8, L"\\\\?\\%ls", full);
		n = (DWORD)wcslen(p);
		while (n > 7 && p[n - 1] == L'\\' && p[n - 2] != L':')
			p[--n] = 0; /* no trailing separator but a drive root's */
		*out = p;
		p = NULL;
		r = 0;
	}
	free(w);
	free(full);
	free(p);
	return r;
}

int store_posix_new(const char *path, struct store **out, int *rootfd)
{
	struct w32_store *ctx;
	struct store *s;
	wchar_t *root;
	DWORD attrs;
	int r;

	if ((r = root_path(path, &root)) < 0)
		return r;
	attrs = GetFileAttributesW(root);
	if (attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_DIRECTORY)) {
		r = attrs == INVALID_FILE_ATTRIBUTES ? w32_errno(GetLastError()) : -ENOTDIR;
		free(root);
		return r;
	}
	ctx = calloc(1, sizeof(*ctx));
	s = calloc(1, sizeof(*s));
	if (!ctx || !s) {
		free(ctx);
		free(s);
		free(root);
		return -ENOMEM;
	}
	InitializeSRWLock(&ctx->lock);
	s->ops = &win32_ops;
	s->ctx = ctx;
	if (!(ctx->root = wdup(root))) {
		free(root);
		store_free(s);
		return -ENOMEM;
	}
	if ((r = h_add(ctx, INVALID_HANDLE_VALUE, root, true)) < 0) {
		store_free(s);
		return r;
	}
	*out = s;
	*rootfd = r;
	return 0;
}

/*
 * The POSIX types and constants the portable core names, for the Windows build only:
 * `make windows` force-includes this header first in every file (-include), so that the
 * core keeps no #ifdef _WIN32 of its own. It lives outside src/ because it is not a module
 * and compiles only with mingw-w64.
 *
 * struct stat: the Microsoft runtime's has 16-bit inode numbers and no nanosecond times,
 * block counts or block size, so the core's struct stat is a POSIX one of its own (filled
 * by the Win32 store, store_win32.c); the runtime's stat()/fstat() are renamed out of the
 * way, so that calling them with this struct does not compile.
 */
#ifndef VEILFS_PLATFORM_WIN32_COMPAT_H
#define VEILFS_PLATFORM_WIN32_COMPAT_H

#define stat veilfs_crt_stat
#define fstat veilfs_crt_fstat
#define wstat veilfs_crt_wstat
#include <sys/types.h>
#include <sys/stat.h>
#include <wchar.h>
#undef stat
#undef fstat
#undef wstat
#include <errno.h>
#include <stdint.h>
#include <time.h>

typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef uint32_t nlink_t;
typedef int64_t blksize_t;
typedef int64_t blkcnt_t;
typedef uint64_t fsblkcnt_t;
typedef uint64_t fsfilcnt_t;

struct stat {
	uint64_t st_dev;
	uint64_t st_ino;
	mode_t st_mode;
	nlink_t st_nlink;
	uid_t st_uid;
	gid_t st_gid;
	uint64_t st_rdev;
	int64_t st_size;
	blksize_t st_blksize;
	blkcnt_t st_blocks;
	struct timespec st_atim, st_mtim, st_ctim;
};
#define st_atime st_atim.tv_sec
#define st_mtime st_mtim.tv_sec
#define st_ctime st_ctim.tv_sec

struct statvfs {
	unsigned long f_bsize, f_frsize;
	fsblkcnt_t f_blocks, f_bfree, f_bavail;
	fsfilcnt_t f_files, f_ffree, f_favail;
	unsigned long f_fsid, f_flag, f_namemax;
};

/* The file types and mode bits the runtime's <sys/stat.h> lacks (POSIX values). */
#define S_IFLNK 0xA000
#define S_IFSOCK 0xC000
#define S_ISLNK(m) (((m) & S_IFMT) == S_IFLNK)
#define S_ISSOCK(m) (((m) & S_IFMT) == S_IFSOCK)
#define S_ISUID 04000
#define S_ISGID 02000
#define S_ISVTX 01000

enum { DT_UNKNOWN = 0, DT_FIFO = 1, DT_CHR = 2, DT_DIR = 4, DT_BLK = 6, DT_REG = 8, DT_LNK = 10,
       DT_SOCK = 12 };

#define UTIME_NOW ((1L << 30) - 1L)
#define UTIME_OMIT ((1L << 30) - 2L)

/* errno values POSIX has and the runtime lacks (Linux's numbers, unused by the runtime). */
#ifndef ESTALE
#define ESTALE 116
#endif
#ifndef EMEDIUMTYPE
#define EMEDIUMTYPE 124
#endif
#ifndef ENOKEY
#define ENOKEY 126
#endif

/* ---- for the front end (cli/): local files, the process, signals ---- */

#include <direct.h>
#include <io.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>

/* open(2) flags the runtime lacks: nothing to do on Windows (no exec, no tty, no links
 * a plain open follows) */
#define O_CLOEXEC 0
#define O_NOCTTY 0
#define O_NOFOLLOW 0
#define O_DIRECTORY 0

#define mkdir(path, mode) _mkdir(path)

/* platform/win32/posix.c: over _stat64/_fstat64 into the struct stat above. */
int stat(const char *path, struct stat *st);
int lstat(const char *path, struct stat *st);
int fstat(int fd, struct stat *st);
/* _fullpath of an existing path; resolved NULL: malloc'd. */
char *realpath(const char *path, char *resolved);
int setenv(const char *name, const char *value, int overwrite);
/* No symbolic links here: -1 with EINVAL. */
ssize_t readlink(const char *path, char *buf, size_t n);
/* _commit(): the file's buffers to the disk. */
int fsync(int fd);

/* One user as far as POSIX ids go: Windows access is by ACL, not by uid. */
static inline uid_t getuid(void) { return 0; }
static inline uid_t geteuid(void) { return 0; }
static inline gid_t getgid(void) { return 0; }

/* sigaction over signal(): only sa_handler is kept (the runtime has no masks). */
#ifndef SIGHUP
#define SIGHUP 1
#endif
typedef unsigned long sigset_t;
struct sigaction {
	void (*sa_handler)(int);
	sigset_t sa_mask;
	int sa_flags;
};
static inline int sigemptyset(sigset_t *set) { *set = 0; return 0; }
int sigaction(int sig, const struct sigaction *sa, struct sigaction *old);

#endif

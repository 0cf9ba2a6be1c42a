/*
 * util.h - helpers shared by the integration test tools (posix_suite,
 * fsx, concurrency): failure reasons, checked I/O, patterns, and a
 * recursive remove that works on trees deeper than PATH_MAX.
 * Linux test tools only: built with _GNU_SOURCE.
 */
#ifndef ITEST_UTIL_H
#define ITEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

enum { BLK = 4096, REASON_MAX = 2048 };

/* Reason of the last failure, filled by failf(); one per process. */
extern char g_reason[REASON_MAX];

void failf_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print "# note: ..." on stdout (recorded facts, not failures). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
const char *errname(int e);

#define FAIL(...)                                         \
	do {                                              \
		failf_at(__FILE__, __LINE__, __VA_ARGS__); \
		return -1;                                \
	} while (0)
#define CHECK(c, ...)                  \
	do {                           \
		if (!(c))              \
			FAIL(__VA_ARGS__); \
	} while (0)
/* Fail with the call text and errno when a syscall returns < 0. */
#define SYS(call)                                                         \
	do {                                                              \
		if ((call) < 0) {                                         \
			int e_ = errno;                                   \
			FAIL("%s: %s", #call, errname(e_));               \
		}                                                         \
	} while (0)
/* Expect a syscall to fail with errno e1 or e2 (pass e2 = e1 for one). */
#define EXPECT_ERR2(call, e1, e2)                                              \
	do {                                                                   \
		errno = 0;                                                     \
		long r_ = (long)(call);                                        \
		int e_ = errno;                                                \
		if (r_ != -1 || (e_ != (e1) && e_ != (e2)))                    \
			FAIL("%s: expected %s, got %s", #call, errname(e1),    \
			     r_ == -1 ? errname(e_) : "success");              \
	} while (0)
#define EXPECT_ERR(call, e) EXPECT_ERR2(call, e, e)
/* Run a helper returning 0/-1 that already set the reason. */
#define TRY(call)                   \
	do {                        \
		if ((call) < 0)     \
			return -1;  \
	} while (0)

/* Checked I/O: return 0 on success, -1 with g_reason set. */
int write_at(int fd, const void *buf, size_t len, off_t off);
/* Read up to len bytes at off (loops over short reads); -1 on error. */
ssize_t read_at(int fd, void *buf, size_t len, off_t off);
int put_file(const char *path, const void *buf, size_t len);
/* File at fd must have size len and content exp (exp NULL: all zero). */
int check_fd(int fd, const void *exp, size_t len, const char *what);
int check_path(const char *path, const void *exp, size_t len);
int check_size(int fd, off_t want, const char *what);

/* Deterministic pseudo-random bytes for a seed. */
void fill_pattern(void *buf, size_t len, uint32_t seed);
/* Index of first differing byte, or -1 when equal. */
ssize_t first_diff(const void *a, const void *b, size_t len);
bool all_zero(const void *buf, size_t len);

/* Remove name under dirfd recursively, with fds (no PATH_MAX limit). */
int rm_rf_at(int dirfd, const char *name);

/* xorshift64* generator */
uint64_t rng_next(uint64_t *state);
uint64_t rng_below(uint64_t *state, uint64_t n);

#endif

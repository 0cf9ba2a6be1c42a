/*
 * Compiler helpers shared by every module: result checking and survivable-invariant checks.
 */
#ifndef VEILFS_BASE_COMPILER_H
#define VEILFS_BASE_COMPILER_H

#include <assert.h>
#include <errno.h>

#define MUST_CHECK __attribute__((warn_unused_result))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * CHECK(x): for states that should be impossible but are survivable. Asserts in debug
 * builds; in release builds (NDEBUG) makes the calling function return -EIO.
 */
#ifdef NDEBUG
#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if (!(x))                                                                          \
			return -EIO;                                                                \
	} while (0)
#else
#define CHECK(x) assert(x)
#endif

#endif

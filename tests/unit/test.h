/*
 * Minimal unit-test harness. Each TEST(name) registers itself at load time; the runner
 * (runner.c) runs them in file order, prints "ok N - name" / "not ok N - name" and ends
 * with "N passed, N failed". A test fails when any EXPECT in it fails.
 * Table-driven tests loop over a static table and pass the row number to EXPECTF.
 */
#ifndef VEILFS_TESTS_UNIT_TEST_H
#define VEILFS_TESTS_UNIT_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef void (*test_fn)(void);

void test_register(const char *name, const char *file, test_fn fn);
bool test_check(bool ok, const char *expr, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
#define TEST(name)                                                                                 \
	static void name(void);                                                                    \
	__attribute__((constructor)) static void test_reg_##name(void)                             \
	{                                                                                          \
		test_register(#name, __FILE__, name);                                              \
	}                                                                                          \
	static void name(void)

#define EXPECT(cond) test_check((cond), #cond, __FILE__, __LINE__, NULL)
#define EXPECTF(cond, ...) test_check((cond), #cond, __FILE__, __LINE__, __VA_ARGS__)
/* Each argument is evaluated exactly once. */
#define EXPECT_EQ(a, b)                                                                            \
	do {                                                                                       \
		long long test_a_ = (long long)(a), test_b_ = (long long)(b);                      \
		test_check(test_a_ == test_b_, #a " == " #b, __FILE__, __LINE__, "%lld != %lld",  \
			   test_a_, test_b_);                                                      \
	} while (0)
#define EXPECT_MEM(a, b, n) test_check(memcmp((a), (b), (n)) == 0, "memcmp(" #a ", " #b ")",   \
				       __FILE__, __LINE__, NULL)

#endif

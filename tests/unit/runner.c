/*
 * Unit-test runner: runs every registered TEST (optionally only those whose name contains
 * argv[1]) and prints a TAP-like line per test and a final "N passed, N failed".
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "test.h"

enum { MAX_TESTS = 1024 };

struct test_entry {
	const char *name;
	const char *file;
	test_fn fn;
};

static struct test_entry tests[MAX_TESTS];
static int ntests;
static int current_failures;

void test_register(const char *name, const char *file, test_fn fn)
{
	if (ntests == MAX_TESTS) {
		fprintf(stderr, "too many tests\n");
		exit(2);
	}
	tests[ntests++] = (struct test_entry){ name, file, fn };
}

bool test_check(bool ok, const char *expr, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return true;
	current_failures++;
	fprintf(stdout, "#   %s:%d: expected %s", file, line, expr);
	if (fmt) {
		fputs(" (", stdout);
		va_start(ap, fmt);
		vfprintf(stdout, fmt, ap);
		va_end(ap);
		fputs(")", stdout);
	}
	fputc('\n', stdout);
	return false;
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	int passed = 0, failed = 0, n = 0, i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < ntests; i++) {
		if (filter && !strstr(tests[i].name, filter))
			continue;
		current_failures = 0;
		tests[i].fn();
		n++;
		if (current_failures) {
			failed++;
			printf("not ok %d - %s (%s)\n", n, tests[i].name, tests[i].file);
		} else {
			passed++;
			printf("ok %d - %s\n", n, tests[i].name);
		}
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed || n == 0 ? 1 : 0;
}

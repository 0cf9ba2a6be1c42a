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

char *test_temp_dir(const char *what)
{
	char tmpl[256];

	snprintf(tmpl, sizeof(tmpl), "/tmp/veilfs-%s.XXXXXX", what);
	return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

void test_rm_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove '%s'\n", dir);
}

const char *test_vectors_dir(void)
{
	const char *d = getenv("VEILFS_TEST_VECTORS");

	return d && *d ? d : "tests/vectors";
}

long test_unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex), i;
	unsigned v;

	if (n % 2 || n / 2 > max)
		return -1;
	for (i = 0; i < n / 2; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	return (long)(n / 2);
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

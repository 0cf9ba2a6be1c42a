/*
 * Helpers shared by every unit-test file; declared in helpers.h. No TEST() here: the
 * harness is runner.c, vault set-up is test_vault_util.c.
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "helpers.h"
#include "test.h"

char *test_temp_dir_in(const char *base, const char *what)
{
	const char *env = getenv("TMPDIR");
	char tmpl[4096];
	int n;

	if (!base)
		base = env && *env ? env : "/tmp";
	n = snprintf(tmpl, sizeof(tmpl), "%s/veilfs-%s.XXXXXX", base, what);
	if (n < 0 || (size_t)n >= sizeof(tmpl)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	return mkdtemp(tmpl) ? strdup(tmpl) : NULL;
}

char *test_temp_dir(const char *what)
{
	return test_temp_dir_in(NULL, what);
}

static int rm_failures; /* entries rm_entry could not remove, per test_rm_tree call */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0) {
		fprintf(stderr, "cannot remove '%s'\n", path);
		rm_failures++;
	}
	return 0;
}

int test_rm_tree(const char *dir)
{
	if (!dir || !*dir)
		return 0;
	rm_failures = 0;
	if (nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0) {
		fprintf(stderr, "cannot remove '%s'\n", dir);
		return -1;
	}
	return rm_failures ? -1 : 0;
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

size_t test_hex(const char *hex, uint8_t *out, size_t max)
{
	long n = test_unhex(hex, out, max);

	EXPECTF(n >= 0, "bad hex literal %.20s", hex);
	return n < 0 ? 0 : (size_t)n;
}

bool test_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

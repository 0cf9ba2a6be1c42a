/*
 * The temporary-directory helpers of helpers.h over POSIX (mkdtemp, nftw).
 */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "helpers.h"

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

/*
 * The temporary-directory helpers of helpers.h for the Windows build (instead of
 * helpers_fs.c): CreateDirectoryA under $TMPDIR, %TEMP% or the current directory, and a
 * recursive removal with FindFirstFileA. Test paths are ASCII, so the ANSI calls do.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include "helpers.h"

char *test_temp_dir_in(const char *base, const char *what)
{
	const char *env = getenv("TMPDIR");
	char path[MAX_PATH];
	int n;

	if (!base)
		base = env && *env ? env : getenv("TEMP") ? getenv("TEMP") : ".";
	for (unsigned i = 0; i < 1000; i++) {
		n = snprintf(path, sizeof(path), "%s\\veilfs-%s.%lu.%u", base, what,
			     GetCurrentProcessId(), i);
		if (n < 0 || (size_t)n >= sizeof(path)) {
			errno = ENAMETOOLONG;
			return NULL;
		}
		if (CreateDirectoryA(path, NULL))
			return strdup(path);
		if (GetLastError() != ERROR_ALREADY_EXISTS)
			break;
	}
	errno = EIO;
	return NULL;
}

char *test_temp_dir(const char *what)
{
	return test_temp_dir_in(NULL, what);
}

/* Remove dir's contents and dir; the count of entries left behind. */
static int rm_rec(const char *dir)
{
	char pattern[MAX_PATH], sub[MAX_PATH];
	WIN32_FIND_DATAA fd;
	HANDLE f;
	int left = 0;

	snprintf(pattern, sizeof(pattern), "%s\\*", dir);
	f = FindFirstFileA(pattern, &fd);
	while (f != INVALID_HANDLE_VALUE) {
		if (strcmp(fd.cFileName, ".") && strcmp(fd.cFileName, "..")) {
			snprintf(sub, sizeof(sub), "%s\\%s", dir, fd.cFileName);
			if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				left += rm_rec(sub);
			else if (!SetFileAttributesA(sub, FILE_ATTRIBUTE_NORMAL) || !DeleteFileA(sub))
				left += (fprintf(stderr, "cannot remove '%s'\n", sub), 1);
		}
		if (!FindNextFileA(f, &fd)) {
			FindClose(f);
			break;
		}
	}
	if (!RemoveDirectoryA(dir))
		left += (fprintf(stderr, "cannot remove '%s'\n", dir), 1);
	return left;
}

int test_rm_tree(const char *dir)
{
	if (!dir || !*dir)
		return 0;
	return rm_rec(dir) ? -1 : 0;
}

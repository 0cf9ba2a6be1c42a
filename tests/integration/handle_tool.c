/*
 * handle_tool - file handles from the shell, for tests/mount/run.sh (stage handles):
 *
 *   handle_tool save PATH FILE   name_to_handle_at(PATH) into FILE; prints "saved", or
 *                                the errno name and exits 3
 *   handle_tool open DIR FILE    open_by_handle_at(DIR's mount, the handle in FILE);
 *                                prints "ino N" (the inode it opened), or the errno name
 *                                and exits 1
 *
 * open needs CAP_DAC_READ_SEARCH (root).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "util.h"

enum { HANDLE_MAX = 128 };

static int save(const char *path, const char *file)
{
	struct file_handle *h = calloc(1, sizeof(*h) + HANDLE_MAX);
	int mount_id, e;
	FILE *fp;

	if (!h)
		return 2;
	h->handle_bytes = HANDLE_MAX;
	if (name_to_handle_at(AT_FDCWD, path, h, &mount_id, 0) < 0) {
		e = errno;
		printf("%s\n", errname(e));
		free(h);
		return 3;
	}
	fp = fopen(file, "wb");
	if (!fp || fwrite(h, sizeof(*h) + h->handle_bytes, 1, fp) != 1 || fclose(fp) != 0) {
		perror(file);
		free(h);
		return 2;
	}
	free(h);
	printf("saved\n");
	return 0;
}

static int open_saved(const char *dir, const char *file)
{
	struct file_handle *h = calloc(1, sizeof(*h) + HANDLE_MAX);
	struct stat st;
	size_t n;
	int mfd, fd, e;
	FILE *fp;

	if (!h)
		return 2;
	fp = fopen(file, "rb");
	n = fp ? fread(h, 1, sizeof(*h) + HANDLE_MAX, fp) : 0;
	if (fp)
		fclose(fp);
	if (n < sizeof(*h) || h->handle_bytes > HANDLE_MAX || n != sizeof(*h) + h->handle_bytes) {
		fprintf(stderr, "%s: not a saved handle\n", file);
		free(h);
		return 2;
	}
	mfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (mfd < 0) {
		perror(dir);
		free(h);
		return 2;
	}
	fd = open_by_handle_at(mfd, h, O_RDONLY);
	e = errno;
	free(h);
	close(mfd);
	if (fd < 0) {
		printf("%s\n", errname(e));
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		perror("fstat");
		close(fd);
		return 2;
	}
	close(fd);
	printf("ino %llu\n", (unsigned long long)st.st_ino);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "save"))
		return save(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "open"))
		return open_saved(argv[2], argv[3]);
	fprintf(stderr, "usage: handle_tool save PATH FILE | handle_tool open DIR FILE\n");
	return 2;
}

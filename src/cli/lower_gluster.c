/*
 * The translators of a GlusterFS FUSE client (lower.h): the client shows its active graph
 * under the hidden directory MOUNT/.meta/graphs/active, one directory per translator,
 * named VOLUME-TRANSLATOR, whose file "type" holds the translator's type. A volume
 * option that switches a translator off removes it from the graph the client runs.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/lower.h"

static const char QR_SUFFIX[] = "-quick-read";
static const char QR_TYPE[] = "performance/quick-read";

/* True when the translator directory NAME (under the open graph dir) has type QR_TYPE. */
static bool is_quick_read(int graph, const char *name)
{
	char path[LOWER_FIELD_MAX], type[64] = "";
	ssize_t n;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/type", name) >= sizeof(path))
		return false;
	fd = openat(graph, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, type, sizeof(type) - 1);
	close(fd);
	if (n <= 0)
		return false;
	type[n] = '\0';
	type[strcspn(type, "\n")] = '\0';
	return !strcmp(type, QR_TYPE);
}

int lower_gluster_quick_read(const char *mountpoint, char *volume, size_t volume_len)
{
	char path[LOWER_FIELD_MAX];
	struct dirent *e;
	int found = 0, graph;
	size_t len;
	DIR *d;

	if ((size_t)snprintf(path, sizeof(path), "%s/.meta/graphs/active", mountpoint) >= sizeof(path))
		return -1;
	graph = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (graph < 0)
		return -1;
	d = fdopendir(graph);
	if (!d) {
		close(graph);
		return -1;
	}
	while (!found && (e = readdir(d))) {
		len = strlen(e->d_name);
		if (len <= sizeof(QR_SUFFIX) - 1 ||
		    strcmp(e->d_name + len - (sizeof(QR_SUFFIX) - 1), QR_SUFFIX) ||
		    !is_quick_read(graph, e->d_name))
			continue;
		snprintf(volume, volume_len, "%.*s", (int)(len - (sizeof(QR_SUFFIX) - 1)), e->d_name);
		found = 1;
	}
	closedir(d);
	return found;
}

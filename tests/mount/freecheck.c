/*
 * freecheck.so: an LD_PRELOAD wrapper of free() for the mount stage "wipe". Before a
 * block goes back to the allocator it is searched for the marker in FREECHECK_MARKER;
 * each hit appends one line to the file FREECHECK_LOG, and the number of blocks searched
 * is written there every 256 blocks and at exit (so the test knows the wrapper ran, also
 * in a process that ends with _exit(), as the veilfs daemon does). Test tool only (glibc:
 * RTLD_NEXT, malloc_usable_size, memmem).
 *
 * Built with: cc -shared -fPIC -O1 -o freecheck.so freecheck.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void (*real_free)(void *);
static const char *marker;
static size_t marker_len;
static int log_fd = -1;
static atomic_ulong searched, hits;
static _Thread_local int busy;

static void report(unsigned long n)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "searched %lu hits %lu pid %d\n", n,
			   (unsigned long)atomic_load(&hits), (int)getpid());

	if (len > 0 && log_fd >= 0)
		(void)!write(log_fd, line, (size_t)len);
}

__attribute__((constructor)) static void freecheck_init(void)
{
	const char *path = getenv("FREECHECK_LOG");

	marker = getenv("FREECHECK_MARKER");
	marker_len = marker ? strlen(marker) : 0;
	if (path)
		log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
}

__attribute__((destructor)) static void freecheck_fini(void)
{
	report((unsigned long)atomic_load(&searched));
}

void free(void *p)
{
	if (!real_free) {
		if (busy)
			return; /* dlsym's own frees during the lookup: leak them */
		busy = 1;
		real_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
		busy = 0;
		if (!real_free)
			return;
	}
	if (p && marker_len && log_fd >= 0 && !busy) {
		size_t n = malloc_usable_size(p);

		busy = 1;
		if ((atomic_fetch_add(&searched, 1) + 1) % 256 == 0)
			report((unsigned long)atomic_load(&searched));
		if (n >= marker_len && memmem(p, n, marker, marker_len)) {
			char line[64];
			int len = snprintf(line, sizeof(line), "hit %zu bytes pid %d\n", n,
					   (int)getpid());

			atomic_fetch_add(&hits, 1);
			if (len > 0)
				(void)!write(log_fd, line, (size_t)len);
		}
		busy = 0;
	}
	real_free(p);
}

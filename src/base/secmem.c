/*
 * Secure memory: page-aligned allocations that are mlock()ed and, where the platform has
 * MADV_DONTDUMP, kept out of core dumps. Each block remembers its size in a header page
 * slot so that secmem_free() can wipe the whole block.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "base/secmem.h"

enum { SECMEM_ALIGN = 64 };

static void *(*volatile wipe_memset)(void *, int, size_t) = memset;

void secure_wipe(void *p, size_t n)
{
	if (p && n)
		wipe_memset(p, 0, n);
}

static size_t page_round(size_t n)
{
	long ps = sysconf(_SC_PAGESIZE);
	size_t page = ps > 0 ? (size_t)ps : 4096;

	return (n + page - 1) / page * page;
}

void *secmem_alloc(size_t n)
{
	size_t total;
	void *base = NULL;

	if (n > SIZE_MAX / 2)
		return NULL;
	total = page_round(n + SECMEM_ALIGN);
	if (posix_memalign(&base, (size_t)sysconf(_SC_PAGESIZE), total) != 0)
		return NULL;
	memset(base, 0, total);
	(void)mlock(base, total); /* best effort: RLIMIT_MEMLOCK may refuse */
#ifdef MADV_DONTDUMP
	(void)madvise(base, total, MADV_DONTDUMP);
#endif
	memcpy(base, &total, sizeof(total));
	return (uint8_t *)base + SECMEM_ALIGN;
}

void secmem_free(void *p)
{
	uint8_t *base;
	size_t total;

	if (!p)
		return;
	base = (uint8_t *)p - SECMEM_ALIGN;
	memcpy(&total, base, sizeof(total));
	secure_wipe(base, total);
	(void)munlock(base, total);
	free(base);
}

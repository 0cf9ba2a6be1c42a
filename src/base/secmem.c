/*
 * Secure memory: allocations that are mlock()ed (best effort) and, where the platform has
 * MADV_DONTDUMP, kept out of core dumps; wiped on free.
 *
 * Small blocks (keys: up to SECMEM_SLOT bytes) come from a pool of slots carved out of
 * chunks that were locked and marked once, so that a per-file key costs no system call;
 * a freed slot is wiped before it goes back to the pool. Chunks live until the process
 * exits. Larger blocks are page-aligned allocations of their own that remember their size
 * in a header slot, so that secmem_free() can wipe the whole block. Address-sanitizer
 * builds use only the second kind, so that a use after free of a key is still caught.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "base/secmem.h"

enum {
	SECMEM_ALIGN = 64,
	SECMEM_SLOT = 64,            /* pool slot size; also its alignment */
	SECMEM_CHUNK = 64 * 1024,    /* pool chunk size: 1024 slots */
};

#if defined(__SANITIZE_ADDRESS__)
#define SECMEM_POOL 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SECMEM_POOL 0
#endif
#endif
#ifndef SECMEM_POOL
#define SECMEM_POOL 1
#endif

static void *(*volatile wipe_memset)(void *, int, size_t) = memset;

void secure_wipe(void *p, size_t n)
{
	if (p && n)
		wipe_memset(p, 0, n);
}

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

static size_t page_round(size_t n)
{
	size_t page = page_size();

	return (n + page - 1) / page * page;
}

/* Zeroed, locked, not dumped, page-aligned memory of total bytes (a page multiple). */
static void *locked_pages(size_t total)
{
	void *base = NULL;

	if (posix_memalign(&base, page_size(), total) != 0)
		return NULL;
	memset(base, 0, total);
	(void)mlock(base, total); /* best effort: RLIMIT_MEMLOCK may refuse */
#ifdef MADV_DONTDUMP
	(void)madvise(base, total, MADV_DONTDUMP);
#endif
	return base;
}

/* The pool. Free slots are linked through their first word (all else is zero). */
struct chunk {
	struct chunk *next;
	uint8_t *base;
};

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static struct chunk *pool_chunks;
static void *pool_free;
static bool pool_atfork_done;

static void pool_prepare(void)
{
	pthread_mutex_lock(&pool_lock);
}

static void pool_parent(void)
{
	pthread_mutex_unlock(&pool_lock);
}

/* A child does not inherit memory locks: lock the chunks again. */
static void pool_child(void)
{
	struct chunk *c;

	for (c = pool_chunks; c; c = c->next)
		(void)mlock(c->base, SECMEM_CHUNK);
	pthread_mutex_unlock(&pool_lock);
}

static bool pool_grow_locked(void)
{
	struct chunk *c = malloc(sizeof(*c));
	size_t off;

	if (!c)
		return false;
	if (!pool_atfork_done)
		pool_atfork_done = pthread_atfork(pool_prepare, pool_parent, pool_child) == 0;
	if (!pool_atfork_done || !(c->base = locked_pages(SECMEM_CHUNK))) {
		free(c);
		return false;
	}
	c->next = pool_chunks;
	pool_chunks = c;
	for (off = SECMEM_CHUNK; off >= SECMEM_SLOT; off -= SECMEM_SLOT) {
		void *slot = c->base + off - SECMEM_SLOT;

		memcpy(slot, &pool_free, sizeof(pool_free));
		pool_free = slot;
	}
	return true;
}

static void *pool_alloc(void)
{
	void *p = NULL;

	pthread_mutex_lock(&pool_lock);
	if (pool_free || pool_grow_locked()) {
		p = pool_free;
		memcpy(&pool_free, p, sizeof(pool_free));
		memset(p, 0, sizeof(pool_free));
	}
	pthread_mutex_unlock(&pool_lock);
	return p;
}

/* Give p back when it is a pool slot; false for a block of its own. */
static bool pool_release(void *p)
{
	struct chunk *c;
	uintptr_t a = (uintptr_t)p, b;
	bool found = false;

	pthread_mutex_lock(&pool_lock);
	for (c = pool_chunks; c && !found; c = c->next) {
		b = (uintptr_t)c->base;
		found = a >= b && a < b + SECMEM_CHUNK;
	}
	if (found) {
		secure_wipe(p, SECMEM_SLOT);
		memcpy(p, &pool_free, sizeof(pool_free));
		pool_free = p;
	}
	pthread_mutex_unlock(&pool_lock);
	return found;
}

void *secmem_alloc(size_t n)
{
	size_t total;
	uint8_t *base;

	if (SECMEM_POOL && n <= SECMEM_SLOT)
		return pool_alloc();
	if (n > SIZE_MAX / 2)
		return NULL;
	total = page_round(n + SECMEM_ALIGN);
	if (!(base = locked_pages(total)))
		return NULL;
	memcpy(base, &total, sizeof(total));
	return base + SECMEM_ALIGN;
}

void secmem_free(void *p)
{
	uint8_t *base;
	size_t total;

	if (!p || (SECMEM_POOL && pool_release(p)))
		return;
	base = (uint8_t *)p - SECMEM_ALIGN;
	memcpy(&total, base, sizeof(total));
	secure_wipe(base, total);
	(void)munlock(base, total); /* best effort, as the mlock was */
#ifdef MADV_DODUMP
	/* the pages go back to the heap: ordinary memory again (and the VMA can merge back) */
	(void)madvise(base, total, MADV_DODUMP);
#endif
	free(base);
}

/*
 * Memory for key material: locked in RAM (best effort), excluded from core dumps where
 * the platform can, and wiped on free. Small blocks (keys) share pooled locked pages, so
 * allocating one makes no system call; the pool's pages stay locked until exit.
 */
#ifndef VEILFS_BASE_SECMEM_H
#define VEILFS_BASE_SECMEM_H

#include <stddef.h>

/* Zeroed, locked allocation of n bytes; NULL on failure. Free with secmem_free(). */
void *secmem_alloc(size_t n);
/* Wipe and free a secmem_alloc() block; accepts NULL. */
void secmem_free(void *p);
/* Overwrite n bytes with zeros in a way the compiler cannot elide. */
void secure_wipe(void *p, size_t n);

#endif

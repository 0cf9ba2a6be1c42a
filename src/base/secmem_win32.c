/*
 * Secure memory for the Windows build (chosen by `make windows` instead of secmem.c):
 * every block is pages of its own from VirtualAlloc (zeroed by the system), locked into
 * the working set with VirtualLock (best effort: the process's minimum working-set size
 * bounds it), and wiped, unlocked and released on free. Windows writes no core dump of a
 * process unless a debugger or Windows Error Reporting's LocalDumps is set up to, and
 * offers no per-page exclusion from such dumps: locking and wiping is all this file does.
 * There is no pool of small slots here (each block costs a VirtualAlloc), which matters
 * only for speed.
 */
#include <stdint.h>
#include <string.h>
#include <windows.h>
#include "base/secmem.h"

enum { SECMEM_ALIGN = 64 }; /* header slot holding the block's total size */

static void *(*volatile wipe_memset)(void *, int, size_t) = memset;

void secure_wipe(void *p, size_t n)
{
	if (p && n)
		wipe_memset(p, 0, n);
}

void *secmem_alloc(size_t n)
{
	uint8_t *base;
	size_t total;

	if (n > SIZE_MAX / 2)
		return NULL;
	total = n + SECMEM_ALIGN;
	base = VirtualAlloc(NULL, total, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
	if (!base)
		return NULL;
	(void)VirtualLock(base, total); /* best effort, as mlock() is on Linux */
	memcpy(base, &total, sizeof(total));
	return base + SECMEM_ALIGN;
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
	(void)VirtualUnlock(base, total);
	(void)VirtualFree(base, 0, MEM_RELEASE);
}

/*
 * <sys/resource.h> for the Windows build: only what main.c's hardening names. Windows
 * writes no core dump of a process unless Windows Error Reporting's LocalDumps (or a
 * debugger) is set up to, and has no per-process switch for it: setrlimit(RLIMIT_CORE)
 * succeeds and changes nothing (docs/WINDOWS.md).
 */
#ifndef VEILFS_PLATFORM_WIN32_SYS_RESOURCE_H
#define VEILFS_PLATFORM_WIN32_SYS_RESOURCE_H

typedef unsigned long long rlim_t;
struct rlimit {
	rlim_t rlim_cur, rlim_max;
};
enum { RLIMIT_CORE = 4 };

static inline int setrlimit(int resource, const struct rlimit *rl)
{
	(void)resource;
	(void)rl;
	return 0;
}

#endif

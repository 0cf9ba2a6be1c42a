/*
 * This machine, for the mount registry: the host name (gethostname), this boot's id
 * (/proc/sys/kernel/random/boot_id: pids are comparable only within one boot), and pid
 * liveness (kill(pid, 0), and /proc/PID/comm must name veilfs, so that a reused pid of
 * another program does not keep a dead mount's registration alive).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/registry_platform.h"

static char host[REGISTRY_FIELD_MAX];
static char boot[64];

static bool pid_alive(long pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	f = fopen(path, "re");
	if (!f)
		return true; /* no /proc: the pid runs, trust it */
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	return !strcmp(comm, "veilfs");
}

const struct registry_platform *registry_platform_get(void)
{
	static struct registry_platform p;
	FILE *f;

	if (p.host)
		return &p;
	if (gethostname(host, sizeof(host) - 1) < 0)
		snprintf(host, sizeof(host), "unknown");
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f) {
		if (!fgets(boot, sizeof(boot), f))
			boot[0] = '\0';
		fclose(f);
		boot[strcspn(boot, "\n")] = '\0';
	}
	p.boot = boot;
	p.pid_alive = pid_alive;
	p.host = host;
	return &p;
}

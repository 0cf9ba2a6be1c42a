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

/* From /proc/PID/stat "PID (COMM) STATE ...": the state letter, or 0. */
static char proc_state(long pid, char *comm, size_t size)
{
	char path[64], line[512], *open, *close;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (!(f = fopen(path, "re")))
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	open = strchr(line, '(');
	close = strrchr(line, ')');
	if (!open || !close || close < open || close[1] != ' ')
		return 0;
	snprintf(comm, size, "%.*s", (int)(close - open - 1), open + 1);
	return close[2];
}

static bool pid_alive(long pid)
{
	char comm[64] = "", state;

	if (pid <= 0 || (kill((pid_t)pid, 0) < 0 && errno != EPERM))
		return false;
	state = proc_state(pid, comm, sizeof(comm));
	if (!state)
		return true; /* no /proc: the pid runs, trust it */
	/* a killed daemon nobody has reaped yet is a zombie: dead */
	return state != 'Z' && state != 'X' && !strcmp(comm, "veilfs");
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

/*
 * This machine, for the mount registry, in the Windows build (instead of
 * registry_platform.c): the computer name, no boot id (""), so no pid is ever trusted, and
 * no pid is taken for a live veilfs mount (there are no mounts on Windows): registrations
 * of mounts elsewhere (a Linux client of the same share) count by their heartbeat alone.
 */
#include <stdio.h>
#include <windows.h>
#include "cli/registry_platform.h"

static char host[REGISTRY_FIELD_MAX];

static bool pid_alive(long pid)
{
	(void)pid;
	return false;
}

const struct registry_platform *registry_platform_get(void)
{
	static struct registry_platform p;
	DWORD n = sizeof(host) - 1;

	if (p.host)
		return &p;
	if (!GetComputerNameA(host, &n))
		snprintf(host, sizeof(host), "unknown");
	p.boot = "";
	p.pid_alive = pid_alive;
	p.host = host;
	return &p;
}

/*
 * The mount registry's view of this machine (coord/registry.h): host name, boot id, and
 * whether a local pid is a running veilfs process. Linux: /proc.
 */
#ifndef VEILFS_CLI_REGISTRY_PLATFORM_H
#define VEILFS_CLI_REGISTRY_PLATFORM_H

#include "coord/registry.h"

/* This machine's registry platform (static storage, filled on first use). */
const struct registry_platform *registry_platform_get(void);

/*
 * Count the registered mounts of the vault at dir: *live (live, or on another host and
 * recently beating) and *stale. Returns 0 or -errno.
 */
int registry_count(const char *dir, int *live, int *stale);

#endif

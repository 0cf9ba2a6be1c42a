/*
 * The mount registry's view of this machine (coord/registry.h): host name, boot id, and
 * whether a local pid is a running veilfs process. Linux: /proc.
 */
#ifndef VEILFS_CLI_REGISTRY_PLATFORM_H
#define VEILFS_CLI_REGISTRY_PLATFORM_H

#include "coord/registry.h"

/* This machine's registry platform (static storage, filled on first use). */
const struct registry_platform *registry_platform_get(void);

#endif

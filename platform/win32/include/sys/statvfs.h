/*
 * <sys/statvfs.h> for the Windows build: struct statvfs is declared in
 * platform/win32/compat.h (force-included first); this file only lets the portable
 * core's `#include <sys/statvfs.h>` resolve.
 */
#ifndef VEILFS_PLATFORM_WIN32_SYS_STATVFS_H
#define VEILFS_PLATFORM_WIN32_SYS_STATVFS_H
#include "../../compat.h"
#endif

/*
 * Private declarations of the Win32 store (the Windows build only: store_win32.c and
 * store_names_win32.c). No Windows types here, so that the header compiles alone anywhere.
 */
#ifndef VEILFS_STORE_STORE_WIN32_INTERNAL_H
#define VEILFS_STORE_STORE_WIN32_INTERNAL_H

#include <stddef.h>
#include <wchar.h>
#include "base/compiler.h"

/* store_names_win32.c */

/* *out (malloc'd, NUL-terminated) = s in UTF-16. 0, -EINVAL (not UTF-8) or -ENOMEM. */
int w32_to_wide(const char *s, wchar_t **out) MUST_CHECK;
/* *out (malloc'd) = w in UTF-8. 0, -EILSEQ (an unpaired surrogate) or -ENOMEM. */
int w32_to_utf8(const wchar_t *w, char **out) MUST_CHECK;
/*
 * 0 when name is one component Windows stores as given: not empty, not "." or "..", no
 * control characters and none of <>:"/\|?*, no trailing dot or space, not a reserved
 * device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with or without an extension, in any
 * case). Else -EINVAL: the name cannot exist on Windows.
 */
int w32_name_check(const char *name) MUST_CHECK;
/* The negative errno for a Win32 error code (GetLastError()); -EIO for unknown ones. */
int w32_errno(unsigned long err);

#endif

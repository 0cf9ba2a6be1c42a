/*
 * Names for the Win32 store: UTF-8 <-> UTF-16 (MultiByteToWideChar, strict both ways), the
 * Windows rules for a name component, and Win32 error codes as errno values.
 *
 * Every lower name veilfs makes is legal on NTFS: encrypted names and long-name hashes are
 * base64url ([A-Za-z0-9_-], 22 characters or more), the others are veilfs.* names with
 * ASCII letters, digits and dots inside (docs/FORMAT.md). None is a device name, and none
 * ends in a dot or a space; the check below is for names planted in the share and for a
 * front end passing plaintext paths of its own.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include "store/store_win32_internal.h"

int w32_to_wide(const char *s, wchar_t **out)
{
	int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
	wchar_t *w;

	if (n <= 0)
		return -EINVAL;
	if (!(w = malloc((size_t)n * sizeof(*w))))
		return -ENOMEM;
	if (MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n) != n) {
		free(w);
		return -EINVAL;
	}
	*out = w;
	return 0;
}

int w32_to_utf8(const wchar_t *w, char **out)
{
	int n = WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, NULL, 0, NULL, NULL);
	char *s;

	if (n <= 0)
		return -EILSEQ;
	if (!(s = malloc((size_t)n)))
		return -ENOMEM;
	if (WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, w, -1, s, n, NULL, NULL) != n) {
		free(s);
		return -EILSEQ;
	}
	*out = s;
	return 0;
}

/* CON, PRN, AUX, NUL, COM1-9, LPT1-9 as the whole name or before its first dot. */
static bool is_device_name(const char *name)
{
	static const char *const three[] = { "CON", "PRN", "AUX", "NUL" };
	size_t len = strcspn(name, ".");

	if (len == 3) {
		for (size_t i = 0; i < sizeof(three) / sizeof(three[0]); i++)
			if (_strnicmp(name, three[i], 3) == 0)
				return true;
	}
	return len == 4 && (_strnicmp(name, "COM", 3) == 0 || _strnicmp(name, "LPT", 3) == 0) &&
	       name[3] >= '1' && name[3] <= '9';
}

int w32_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p < 0x20 || strchr("<>:\"/\\|?*", *p))
			return -EINVAL;
	if (name[n - 1] == '.' || name[n - 1] == ' ' || is_device_name(name))
		return -EINVAL;
	return 0;
}

int w32_errno(unsigned long err)
{
	switch (err) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
	case ERROR_INVALID_DRIVE:
		return -ENOENT;
	case ERROR_ACCESS_DENIED:
	case ERROR_PRIVILEGE_NOT_HELD:
		return -EACCES;
	case ERROR_FILE_EXISTS:
	case ERROR_ALREADY_EXISTS:
		return -EEXIST;
	case ERROR_DIR_NOT_EMPTY:
		return -ENOTEMPTY;
	case ERROR_DIRECTORY:
		return -ENOTDIR;
	case ERROR_INVALID_NAME:
	case ERROR_BAD_PATHNAME:
	case ERROR_INVALID_PARAMETER:
		return -EINVAL;
	case ERROR_FILENAME_EXCED_RANGE:
		return -ENAMETOOLONG;
	case ERROR_DISK_FULL:
	case ERROR_HANDLE_DISK_FULL:
		return -ENOSPC;
	case ERROR_LOCK_VIOLATION:
		return -EAGAIN;
	case ERROR_SHARING_VIOLATION:
		return -EBUSY;
	case ERROR_NOT_ENOUGH_MEMORY:
	case ERROR_OUTOFMEMORY:
		return -ENOMEM;
	case ERROR_TOO_MANY_OPEN_FILES:
		return -EMFILE;
	case ERROR_INVALID_HANDLE:
		return -EBADF;
	case ERROR_NOT_SAME_DEVICE:
		return -EXDEV;
	case ERROR_WRITE_PROTECT:
		return -EROFS;
	case ERROR_NOT_SUPPORTED:
	case ERROR_INVALID_FUNCTION:
		return -EOPNOTSUPP;
	}
	return -EIO;
}

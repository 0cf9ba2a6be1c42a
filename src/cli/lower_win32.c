/*
 * The lower file system of a cipher directory, in the Windows build (instead of
 * lower.c): a UNC path or a drive that GetDriveTypeA calls remote is a share reached
 * through Windows' SMB redirector ("smb-redirector"), anything else is local ("local").
 * The redirector keeps its cache coherent with the server through oplocks and leases and
 * forwards byte-range locks, so --shared=auto picks `locks` there; veilfs cannot bypass
 * that cache (the Win32 store has no direct reads), so no fresh-I/O mode is set
 * (docs/WINDOWS.md).
 */
#include <stdio.h>
#include <string.h>
#include <windows.h>
#include "cli/lower.h"

void lower_describe(const char *path, struct lower_info *li)
{
	char root[4] = "C:\\";
	bool remote;

	memset(li, 0, sizeof(*li));
	if ((path[0] == '\\' || path[0] == '/') && (path[1] == '\\' || path[1] == '/')) {
		remote = true;
	} else {
		root[0] = path[0] && path[1] == ':' ? path[0] : 'C';
		remote = GetDriveTypeA(root) == DRIVE_REMOTE;
	}
	snprintf(li->fstype, sizeof(li->fstype), "%s", remote ? "smb-redirector" : "local");
	snprintf(li->mountpoint, sizeof(li->mountpoint), "%s", remote ? path : root);
}

bool lower_is_local(const struct lower_info *li)
{
	return !strcmp(li->fstype, "local");
}

bool lower_has_shared_locks(const struct lower_info *li)
{
	return !strcmp(li->fstype, "smb-redirector");
}

int lower_check_shared(const struct lower_info *li, enum coord_fresh *fresh)
{
	(void)li;
	*fresh = COORD_FRESH_NONE;
	return 0;
}

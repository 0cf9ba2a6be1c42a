/*
 * The SMB store in the Windows build (chosen by `make windows` instead of store_smb.c):
 * there is no libsmbclient for mingw-w64, and none is needed there, since Windows reaches
 * shares through its own redirector: a UNC path (\\server\share\dir) is a local directory
 * to the Win32 store. smb:// URLs are refused with -EOPNOTSUPP.
 */
#include "store/store.h"

int store_smb_new(const char *url, const struct store_smb_auth *auth, struct store **out,
		  int *rootfd)
{
	(void)url;
	(void)auth;
	(void)out;
	(void)rootfd;
	return -EOPNOTSUPP;
}

int store_smb_mkdir(const char *url, const struct store_smb_auth *auth, mode_t mode)
{
	(void)url;
	(void)auth;
	(void)mode;
	return -EOPNOTSUPP;
}

int store_smb_set_auth(const char *url, const struct store_smb_auth *auth, char **public_url)
{
	(void)url;
	(void)auth;
	(void)public_url;
	return -EOPNOTSUPP;
}

/*
 * Private declarations of store/, by file.
 */
#ifndef VEILFS_STORE_STORE_INTERNAL_H
#define VEILFS_STORE_STORE_INTERNAL_H

#include "base/compiler.h"

/* store_smb_url.c */
enum {
	SMB_URL_CRED_MAX = 256, /* user, password and domain buffers, NUL included */
	SMB_URL_NAME_MAX = 1024, /* longest lower name joined onto a URL, in bytes */
};
/* *out (malloc'd) = base + "/" + name percent-encoded; name is one component, checked. */
int smb_url_join(const char *base, const char *name, char **out) MUST_CHECK;
/*
 * Split smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH] into *root (malloc'd,
 * no user part, no trailing '/') and the decoded user part (buffers of SMB_URL_CRED_MAX).
 * 0, -EINVAL (not such a URL), -ENAMETOOLONG or -ENOMEM.
 */
int smb_url_parse(const char *url, char **root, char *workgroup, char *user,
		  char *password) MUST_CHECK;

#endif

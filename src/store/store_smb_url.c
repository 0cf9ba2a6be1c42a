/*
 * smb:// URLs of the SMB store (store_smb_url.c): parsing the user's URL and joining
 * lower names onto a directory's URL. Pure string work, no libsmbclient and no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "store/store.h"
#include "store_internal.h"

static bool is_unreserved(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '-' || ch == '_' || ch == '.' || ch == '~';
}

/*
 * A single lower name, checked: no separators ('/' and SMB's '\'), no stream names (':'),
 * no wildcards, not "..". Names come from the vault, but also from listings of the share.
 */
static bool is_valid_name(const char *name)
{
	if (!strcmp(name, ".."))
		return false;
	return !strpbrk(name, "/\\:*?\"<>|");
}

/* *out = base + "/" + percent-encoded name (libsmbclient decodes URLs). 0 or -errno. */
int smb_url_join(const char *base, const char *name, char **out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t blen = strlen(base), nlen = strlen(name), i;
	char *p;

	if (!nlen || !is_valid_name(name))
		return -EINVAL;
	if (nlen > SMB_URL_NAME_MAX)
		return -ENAMETOOLONG;
	if (!(*out = malloc(blen + 2 + 3 * nlen)))
		return -ENOMEM;
	memcpy(*out, base, blen);
	p = *out + blen;
	*p++ = '/';
	for (i = 0; i < nlen; i++) {
		unsigned char ch = (unsigned char)name[i];

		if (is_unreserved(ch)) {
			*p++ = (char)ch;
		} else {
			*p++ = '%';
			*p++ = hex[ch >> 4];
			*p++ = hex[ch & 15];
		}
	}
	*p = '\0';
	return 0;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decode [s, s + n) into out (size bytes). 0 or -EINVAL/-ENAMETOOLONG. */
static int url_decode(const char *s, size_t n, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;

			if (hi < 0 || lo < 0)
				return -EINVAL;
			ch = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= size)
			return -ENAMETOOLONG;
		out[o++] = ch;
	}
	out[o] = '\0';
	return 0;
}

/*
 * Split smb://[[DOMAIN;]USER[:PASSWORD]@]HOST[:PORT]/SHARE[/PATH] into the URL without
 * the user part and trailing slashes (*root, malloc'd) and the decoded user part.
 */
int smb_url_parse(const char *url, char **root, char *workgroup, char *user, char *password)
{
	const char *p, *slash, *at, *colon, *semi, *share;
	size_t len;
	int r;

	*root = NULL;
	workgroup[0] = user[0] = password[0] = '\0';
	if (!store_is_smb_url(url))
		return -EINVAL;
	p = url + strlen("smb://");
	slash = strchr(p, '/');
	if (!slash || slash == p)
		return -EINVAL;
	at = memchr(p, '@', (size_t)(slash - p));
	if (at) {
		const char *u = p;

		semi = memchr(u, ';', (size_t)(at - u));
		if (semi) {
			if ((r = url_decode(u, (size_t)(semi - u), workgroup, SMB_URL_CRED_MAX)) < 0)
				return r;
			u = semi + 1;
		}
		colon = memchr(u, ':', (size_t)(at - u));
		if ((r = url_decode(u, (size_t)((colon ? colon : at) - u), user, SMB_URL_CRED_MAX)) < 0)
			return r;
		if (colon && (r = url_decode(colon + 1, (size_t)(at - colon - 1), password,
					     SMB_URL_CRED_MAX)) < 0)
			return r;
		p = at + 1;
	}
	if (p == slash)
		return -EINVAL;
	share = slash + 1;
	if (!*share || *share == '/')
		return -EINVAL; /* a share name is required */
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		len--;
	if (!(*root = malloc(len + strlen("smb://") + 1)))
		return -ENOMEM;
	snprintf(*root, len + strlen("smb://") + 1, "smb://%.*s", (int)len, p);
	return 0;
}

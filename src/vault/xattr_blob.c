/*
 * Out-of-line extended attributes (xattr_blob.h). A blob is
 *   nonce || AEAD(xattr values key, nonce, AD = "veilfs.xattrs/" || id, payload)
 * and its payload is
 *   version (1 byte) || count (be32) || count x (name length (1 byte) || name ||
 *   value length (be32) || value), names strictly ascending, nothing after.
 * The AD binds the blob to its id, so a blob renamed to another id fails to open.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "base/b64.h"
#include "base/bytes.h"
#include "crypto/kdf.h"
#include "names/sealed.h"
#include "store/store.h"
#include "vault/xattr_blob.h"

#define AD_PREFIX XATTR_BLOB_DIR "/"

enum {
	HEAD_LEN = 5,       /* version, count */
	ENTRY_FIXED = 1 + 4, /* name length, value length */
	AD_LEN = sizeof(AD_PREFIX) - 1 + XATTR_BLOB_ID_LEN,
};

_Static_assert(XATTR_NAME_PLAIN_MAX <= 255, "a name length fits one byte");
_Static_assert(XATTR_BLOB_VALUE_MAX <= UINT32_MAX, "a value length fits be32");

void xattr_set_init(struct xattr_set *s)
{
	s->e = NULL;
	s->n = 0;
	s->payload = HEAD_LEN;
}

void xattr_set_release(struct xattr_set *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->e[i].name);
		free(s->e[i].value);
	}
	free(s->e);
	xattr_set_init(s);
}

/* Index of name, or of where it would go (*found false). */
static size_t set_search(const struct xattr_set *s, const char *name, bool *found)
{
	size_t lo = 0, hi = s->n, mid;
	int c;

	*found = false;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strcmp(s->e[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct xattr_entry *xattr_set_find(const struct xattr_set *s, const char *name)
{
	bool found;
	size_t i = set_search(s, name, &found);

	return found ? &s->e[i] : NULL;
}

int xattr_set_put(struct xattr_set *s, const char *name, const void *value, size_t len)
{
	size_t nlen = strlen(name), i, payload;
	struct xattr_entry *grown;
	uint8_t *copy;
	bool found;

	if (nlen == 0 || nlen > XATTR_NAME_PLAIN_MAX)
		return -ERANGE;
	if (len > XATTR_BLOB_VALUE_MAX)
		return -E2BIG;
	i = set_search(s, name, &found);
	payload = s->payload + len - (found ? s->e[i].len : 0) + (found ? 0 : ENTRY_FIXED + nlen);
	if (payload > XATTR_BLOB_PAYLOAD_MAX || (!found && s->n >= XATTR_BLOB_COUNT_MAX))
		return -ENOSPC;
	if (!(copy = malloc(len ? len : 1)))
		return -ENOMEM;
	if (len)
		memcpy(copy, value, len);
	if (found) {
		free(s->e[i].value);
		s->e[i].value = copy;
		s->e[i].len = len;
		s->payload = payload;
		return 0;
	}
	if (!(grown = realloc(s->e, (s->n + 1) * sizeof(*grown)))) {
		free(copy);
		return -ENOMEM;
	}
	s->e = grown;
	memmove(&s->e[i + 1], &s->e[i], (s->n - i) * sizeof(*grown));
	s->e[i].value = copy;
	s->e[i].len = len;
	if (!(s->e[i].name = strdup(name))) {
		free(copy);
		memmove(&s->e[i], &s->e[i + 1], (s->n - i) * sizeof(*grown));
		return -ENOMEM;
	}
	s->n++;
	s->payload = payload;
	return 0;
}

int xattr_set_remove(struct xattr_set *s, const char *name)
{
	bool found;
	size_t i = set_search(s, name, &found);

	if (!found)
		return -ENODATA;
	s->payload -= ENTRY_FIXED + strlen(s->e[i].name) + s->e[i].len;
	free(s->e[i].name);
	free(s->e[i].value);
	memmove(&s->e[i], &s->e[i + 1], (s->n - i - 1) * sizeof(s->e[0]));
	s->n--;
	return 0;
}

/* Parse one entry at p[*at]; appended to s (which stays sorted: checked). */
static int parse_entry(struct xattr_set *s, const uint8_t *p, size_t len, size_t *at)
{
	size_t nlen, vlen;
	struct xattr_entry *e = &s->e[s->n];

	if (len - *at < 1)
		return -EPROTO;
	nlen = p[(*at)++];
	if (nlen == 0 || nlen > XATTR_NAME_PLAIN_MAX || len - *at < nlen + 4)
		return -EPROTO;
	if (memchr(p + *at, '\0', nlen))
		return -EPROTO;
	if (!(e->name = malloc(nlen + 1)))
		return -ENOMEM;
	memcpy(e->name, p + *at, nlen);
	e->name[nlen] = '\0';
	e->value = NULL;
	*at += nlen;
	vlen = get_be32(p + *at);
	*at += 4;
	if (vlen > XATTR_BLOB_VALUE_MAX || len - *at < vlen ||
	    (s->n > 0 && strcmp(s->e[s->n - 1].name, e->name) >= 0)) {
		free(e->name);
		return -EPROTO;
	}
	if (!(e->value = malloc(vlen ? vlen : 1))) {
		free(e->name);
		return -ENOMEM;
	}
	if (vlen)
		memcpy(e->value, p + *at, vlen);
	e->len = vlen;
	*at += vlen;
	s->payload += ENTRY_FIXED + nlen + vlen;
	s->n++;
	return 0;
}

int xattr_set_parse(struct xattr_set *s, const uint8_t *p, size_t len)
{
	size_t at = HEAD_LEN, count, i;
	int r;

	if (len < HEAD_LEN || len > XATTR_BLOB_PAYLOAD_MAX || p[0] != XATTR_BLOB_VERSION)
		return -EPROTO;
	count = get_be32(p + 1);
	/* every entry takes at least ENTRY_FIXED + 1 bytes: bounds the allocation */
	if (count > XATTR_BLOB_COUNT_MAX || count > (len - HEAD_LEN) / (ENTRY_FIXED + 1))
		return -EPROTO;
	if (count && !(s->e = calloc(count, sizeof(*s->e))))
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		if ((r = parse_entry(s, p, len, &at)) < 0)
			goto fail;
	}
	if (at != len) {
		r = -EPROTO;
		goto fail;
	}
	return 0;
fail:
	xattr_set_release(s);
	return r;
}

int xattr_set_encode(const struct xattr_set *s, struct buf *out)
{
	uint8_t head[HEAD_LEN], be[4], nlen;
	size_t i;
	int r;

	head[0] = XATTR_BLOB_VERSION;
	put_be32(head + 1, (uint32_t)s->n);
	if ((r = buf_grow(out, s->payload)) < 0 || (r = buf_append(out, head, sizeof(head))) < 0)
		return r;
	for (i = 0; i < s->n; i++) {
		nlen = (uint8_t)strlen(s->e[i].name);
		put_be32(be, (uint32_t)s->e[i].len);
		if ((r = buf_append(out, &nlen, 1)) < 0 ||
		    (r = buf_append(out, s->e[i].name, nlen)) < 0 ||
		    (r = buf_append(out, be, sizeof(be))) < 0 ||
		    (r = buf_append(out, s->e[i].value, s->e[i].len)) < 0)
			return r;
	}
	return 0;
}

bool xattr_blob_id_valid(const char *id, size_t len)
{
	size_t i;

	if (len != XATTR_BLOB_ID_LEN)
		return false;
	for (i = 0; i < len; i++) {
		char ch = id[i];

		if (!(ch >= 'A' && ch <= 'Z') && !(ch >= 'a' && ch <= 'z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_')
			return false;
	}
	return true;
}

int xattr_marker_get(struct store *s, int fd, char id[static XATTR_BLOB_ID_LEN + 1])
{
	char raw[XATTR_BLOB_ID_LEN + 1];
	ssize_t n = store_fgetxattr(s, fd, XATTR_MARKER_NAME, raw, sizeof(raw));

	id[0] = '\0';
	if (n == -ERANGE)
		return -EPROTO; /* longer than any id */
	if (n < 0)
		return (int)n;
	if (!xattr_blob_id_valid(raw, (size_t)n))
		return -EPROTO;
	memcpy(id, raw, XATTR_BLOB_ID_LEN);
	id[XATTR_BLOB_ID_LEN] = '\0';
	return 0;
}

static void blob_ad(const char *id, uint8_t ad[static AD_LEN])
{
	memcpy(ad, AD_PREFIX, sizeof(AD_PREFIX) - 1);
	memcpy(ad + sizeof(AD_PREFIX) - 1, id, XATTR_BLOB_ID_LEN);
}

/* Opens CIPHERDIR/veilfs.xattrs, creating it when create is set. An fd or -errno. */
static int open_blob_dir(const struct xattr_blob_ctx *b, bool create)
{
	int r;

	if (create && (r = store_mkdirat(b->s, b->rootfd, XATTR_BLOB_DIR, 0755)) < 0 &&
	    r != -EEXIST)
		return r;
	return store_openat(b->s, b->rootfd, XATTR_BLOB_DIR,
			    STORE_RDONLY | STORE_DIRECTORY | STORE_NOFOLLOW, 0);
}

int xattr_blob_read(const struct xattr_blob_ctx *b, const char *id, struct xattr_set *s)
{
	size_t over = aead_nonce_len(aead_ctx_alg(b->aead)) + AEAD_TAG_LEN, n = 0;
	uint8_t ad[AD_LEN], *data = NULL;
	struct buf pt;
	int dfd, r;

	if (!xattr_blob_id_valid(id, strlen(id)))
		return -EPROTO;
	if ((dfd = open_blob_dir(b, false)) < 0)
		return dfd == -ENOENT || dfd == -ENOTDIR || dfd == -ELOOP ? -EPROTO : dfd;
	r = store_read_file(b->s, dfd, id, XATTR_BLOB_PAYLOAD_MAX + over, &data, &n);
	(void)store_close(b->s, dfd); /* read-only directory handle: nothing to lose */
	if (r == -ENOENT || r == -EFBIG || r == -EIO)
		return -EPROTO; /* gone, oversized, or not a regular file */
	if (r < 0)
		return r;
	blob_ad(id, ad);
	buf_init(&pt);
	r = sealed_open(b->aead, b->key, ad, sizeof(ad), data, n, &pt);
	free(data);
	if (r == 0)
		r = xattr_set_parse(s, pt.data, pt.len);
	buf_release(&pt);
	return r;
}

int xattr_blob_write(const struct xattr_blob_ctx *b, const struct xattr_set *s,
		     char id[static XATTR_BLOB_ID_LEN + 1])
{
	uint8_t rnd[16], ad[AD_LEN];
	struct buf pt, sealed;
	int dfd = -1, r;

	buf_init(&pt);
	buf_init(&sealed);
	if ((r = random_bytes(rnd, sizeof(rnd))) < 0)
		goto out;
	b64url_encode(rnd, sizeof(rnd), id);
	blob_ad(id, ad);
	if ((r = xattr_set_encode(s, &pt)) < 0)
		goto out;
	if ((r = sealed_seal(b->aead, b->key, NULL, ad, sizeof(ad), pt.data, pt.len, &sealed)) < 0)
		goto out;
	if ((dfd = open_blob_dir(b, true)) < 0) {
		r = dfd;
		goto out;
	}
	r = store_write_atomic(b->s, dfd, id, sealed.data, sealed.len, 0644);
out:
	if (dfd >= 0)
		(void)store_close(b->s, dfd); /* read-only directory handle: nothing to lose */
	buf_release(&sealed);
	buf_release(&pt);
	return r;
}

int xattr_blob_remove(const struct xattr_blob_ctx *b, const char *id)
{
	int dfd, r;

	if (!xattr_blob_id_valid(id, strlen(id)))
		return -EPROTO;
	if ((dfd = open_blob_dir(b, false)) < 0)
		return dfd;
	r = store_unlinkat(b->s, dfd, id, 0);
	(void)store_close(b->s, dfd); /* read-only directory handle: nothing to lose */
	return r;
}

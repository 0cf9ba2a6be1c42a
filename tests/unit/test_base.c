/*
 * Unit tests for base/: base64url codec (RFC 4648 vectors, strictness), buf, secmem.
 */
#include <stdlib.h>
#include <string.h>
#include "base/b64.h"
#include "base/buf.h"
#include "base/secmem.h"
#include "helpers.h"
#include "test.h"

static const struct {
	const char *plain;
	const char *enc;
} b64_cases[] = {
	/* 1 */ { "", "" },
	/* 2 */ { "f", "Zg" },
	/* 3 */ { "fo", "Zm8" },
	/* 4 */ { "foo", "Zm9v" },
	/* 5 */ { "foob", "Zm9vYg" },
	/* 6 */ { "fooba", "Zm9vYmE" },
	/* 7 */ { "foobar", "Zm9vYmFy" },
	/* 8 */ { "\xfb\xff", "-_8" },
};

TEST(b64url_rfc4648_vectors)
{
	char enc[64];
	uint8_t dec[64];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(b64_cases); i++) {
		size_t pl = strlen(b64_cases[i].plain);

		b64url_encode((const uint8_t *)b64_cases[i].plain, pl, enc);
		EXPECTF(strcmp(enc, b64_cases[i].enc) == 0, "case %zu: %s", i + 1, enc);
		EXPECTF(b64url_encoded_len(pl) == strlen(b64_cases[i].enc), "case %zu", i + 1);
		EXPECTF(b64url_decode(b64_cases[i].enc, strlen(b64_cases[i].enc), dec, &n) == 0 &&
				n == pl && memcmp(dec, b64_cases[i].plain, n) == 0,
			"case %zu", i + 1);
	}
}

static const char *const b64_bad[] = {
	/* 1 */ "Z",    /* impossible length */
	/* 2 */ "Zg==", /* padding not allowed */
	/* 3 */ "Zh",   /* non-canonical trailing bits */
	/* 4 */ "Zm9+", /* standard alphabet, not url */
	/* 5 */ "Zm 9", /* space */
};

TEST(b64url_rejects_malformed)
{
	uint8_t dec[16];
	size_t i, n;

	for (i = 0; i < ARRAY_SIZE(b64_bad); i++)
		EXPECTF(b64url_decode(b64_bad[i], strlen(b64_bad[i]), dec, &n) == -EPROTO,
			"case %zu", i + 1);
}

TEST(buf_grows_and_detaches)
{
	struct buf b;
	uint8_t *p;
	size_t len, i;

	buf_init(&b);
	EXPECT(b.data != NULL && b.len == 0);
	for (i = 0; i < 1000; i++)
		EXPECT(buf_append(&b, "ab", 2) == 0);
	EXPECT(buf_printf(&b, "%d", 42) == 0);
	EXPECT_EQ(b.len, 2002);
	EXPECT(b.data[b.len] == 0);
	p = buf_detach(&b, &len);
	EXPECT_EQ(len, 2002);
	EXPECT(memcmp(p + 2000, "42", 2) == 0);
	EXPECT(b.len == 0 && b.data != NULL);
	free(p);
	buf_release(&b);
}

TEST(secmem_alloc_is_zeroed_and_writable)
{
	uint8_t *k = secmem_alloc(100);
	size_t i;
	bool zero = true;

	EXPECT(k != NULL);
	if (!k)
		return;
	for (i = 0; i < 100; i++)
		zero &= k[i] == 0;
	EXPECT(zero);
	memset(k, 0xaa, 100);
	secmem_free(k);
	secmem_free(NULL);
}

/* Small blocks come from a pool of reused slots: a reused slot must come back wiped. */
TEST(secmem_small_blocks_are_wiped_and_distinct)
{
	enum { N = 2100, SIZES = 4 }; /* more than one pool chunk */
	static const size_t sizes[SIZES] = {1, 32, 64, 65};
	uint8_t **p = calloc(N, sizeof(*p));
	size_t i, j, n;
	bool ok = true;

	EXPECT(p != NULL);
	if (!p)
		return;
	for (j = 0; j < SIZES; j++) {
		n = sizes[j];
		for (i = 0; i < N && ok; i++) {
			p[i] = secmem_alloc(n);
			ok = p[i] && test_all_zero(p[i], n);
			if (ok)
				memset(p[i], 0xa5, n);
		}
		EXPECT(ok);
		for (i = 1; i < N && ok; i++)
			ok = p[i] != p[i - 1] && p[i][n - 1] == 0xa5; /* no overlap with the next */
		EXPECT(ok);
		for (i = 0; i < N; i++) {
			secmem_free(p[i]);
			p[i] = NULL;
		}
		/* the same slots again: none may keep a byte of the old contents */
		for (i = 0; i < N && ok; i++) {
			p[i] = secmem_alloc(n);
			ok = p[i] && test_all_zero(p[i], n);
		}
		EXPECT(ok);
		for (i = 0; i < N; i++) {
			secmem_free(p[i]);
			p[i] = NULL;
		}
	}
	free(p);
}

/*
 * libFuzzer target for the name codecs. Byte 0 picks the decoder; the rest is its input:
 *   0: names_decrypt (an accepted name re-encrypts to the same encoding: SIV is
 *      deterministic and decoding is canonical)
 *   1: b64url_decode (accepted input re-encodes to itself)
 *   2: names_long_verify / names_is_long, input split at the first '\n' into lower name
 *      and side-file contents
 *   3: names_xattr_decrypt (round trip as for 0)
 *   4: symlink_target_decrypt with both ciphers
 * Keys are those of the test vectors.
 */
#include <stdlib.h>
#include <string.h>
#include "base/b64.h"
#include "base/buf.h"
#include "crypto/aead.h"
#include "fuzz_common.h"
#include "names/names.h"
#include "names/sealed.h"

static uint8_t diriv[DIRIV_LEN];

static void fuzz_name(const char *p, size_t n)
{
	struct buf dec, enc;
	int r;

	buf_init(&dec);
	buf_init(&enc);
	r = names_decrypt(fuzz_keys()->names, diriv, p, n, &dec);
	FUZZ_ASSERT(r == 0 || r == -EPROTO || r == -EBADMSG);
	if (r == 0) {
		FUZZ_ASSERT(!names_is_invalid_plain((char *)dec.data, dec.len));
		FUZZ_ASSERT(names_encrypt(fuzz_keys()->names, diriv, (char *)dec.data, dec.len,
					  &enc) == 0);
		FUZZ_ASSERT(enc.len == n && memcmp(enc.data, p, n) == 0);
	} else {
		FUZZ_ASSERT(dec.len == 0);
	}
	buf_release(&dec);
	buf_release(&enc);
}

static void fuzz_b64(const char *p, size_t n)
{
	uint8_t *out = malloc(b64url_decoded_max(n) + 1);
	char *again;
	size_t len = 0;

	FUZZ_ASSERT(out != NULL);
	if (b64url_decode(p, n, out, &len) == 0) {
		FUZZ_ASSERT(len <= b64url_decoded_max(n) && b64url_encoded_len(len) == n);
		again = malloc(n + 1);
		FUZZ_ASSERT(again != NULL);
		b64url_encode(out, len, again);
		FUZZ_ASSERT(memcmp(again, p, n) == 0);
		free(again);
	}
	free(out);
}

static void fuzz_long(const char *p, size_t n)
{
	const char *nl = memchr(p, '\n', n);
	size_t ln = nl ? (size_t)(nl - p) : n;
	int r = names_long_verify(p, ln, nl ? nl + 1 : "", nl ? n - ln - 1 : 0);

	FUZZ_ASSERT(r == 0 || r == -EPROTO || r == -EBADMSG);
	if (r != -EPROTO || names_is_long(p, ln))
		FUZZ_ASSERT(names_is_long(p, ln) && names_is_reserved(p, ln));
}

static void fuzz_xattr(const char *p, size_t n)
{
	struct buf dec, enc;
	int r;

	buf_init(&dec);
	buf_init(&enc);
	r = names_xattr_decrypt(fuzz_keys()->xattr_names, p, n, &dec);
	FUZZ_ASSERT(r == 0 || r == -EPROTO || r == -EBADMSG);
	if (r == 0) {
		FUZZ_ASSERT(names_xattr_encrypt(fuzz_keys()->xattr_names, (char *)dec.data,
						dec.len, &enc) == 0);
		FUZZ_ASSERT(enc.len == n && memcmp(enc.data, p, n) == 0);
	}
	buf_release(&dec);
	buf_release(&enc);
}

static void fuzz_symlink(const char *p, size_t n)
{
	static struct aead_ctx *ctx[2];
	struct buf dec;
	int i, r;

	if (!ctx[0]) {
		ctx[0] = aead_ctx_new(AEAD_AES256_GCM);
		ctx[1] = aead_ctx_new(AEAD_XCHACHA20_POLY1305);
		FUZZ_ASSERT(ctx[0] && ctx[1]);
	}
	for (i = 0; i < 2; i++) {
		buf_init(&dec);
		r = symlink_target_decrypt(ctx[i], fuzz_keys()->symlinks, p, n, &dec);
		FUZZ_ASSERT(r == 0 || r == -EPROTO || r == -EBADMSG);
		FUZZ_ASSERT(r == 0 || dec.len == 0);
		buf_release(&dec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data + 1;

	if (size < 1)
		return 0;
	fuzz_fill(diriv, sizeof(diriv), 0xe0);
	switch (data[0] % 5) {
	case 0: fuzz_name(p, size - 1); break;
	case 1: fuzz_b64(p, size - 1); break;
	case 2: fuzz_long(p, size - 1); break;
	case 3: fuzz_xattr(p, size - 1); break;
	default: fuzz_symlink(p, size - 1); break;
	}
	return 0;
}

/*
 * Declarations private to names/: the padded-SIV-base64url transform that file names and
 * xattr names share.
 */
#ifndef VEILFS_NAMES_NAMES_INTERNAL_H
#define VEILFS_NAMES_NAMES_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "base/buf.h"
#include "base/compiler.h"

/* siv_codec.c */

/*
 * PKCS#7-pad (RFC 5652 section 6.3) len bytes to a multiple of NAME_PAD, seal with
 * AES-256-SIV (AD = ad, or no AD when adlen == 0) and append base64url to out.
 * len must be 1 ... NAME_PLAIN_MAX. Returns 0 or -EIO/-ENOMEM/-EINVAL.
 */
int siv_name_seal(const uint8_t *key, const uint8_t *ad, size_t adlen, const char *name,
		  size_t len, struct buf *out) MUST_CHECK;
/*
 * Inverse of siv_name_seal: base64url-decode, open, strip and check the padding, append
 * the plaintext to out. Returns 0, -EPROTO (malformed), -EBADMSG (authentication).
 * The plaintext is not checked against any naming rule here.
 */
int siv_name_open(const uint8_t *key, const uint8_t *ad, size_t adlen, const char *enc,
		  size_t len, struct buf *out) MUST_CHECK;

/* Wipe bytes [len, b->len) of b and cut it back to len (undo a rejected append). */
void name_buf_truncate(struct buf *b, size_t len);

#endif

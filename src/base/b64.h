/*
 * Unpadded base64url (RFC 4648 section 5) for encrypted names, symlink targets and xattr
 * names. Decoding is strict: padding, characters outside the alphabet and non-canonical
 * trailing bits are rejected with -EPROTO.
 */
#ifndef VEILFS_BASE_B64_H
#define VEILFS_BASE_B64_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

/* Length of the encoding of n bytes (no NUL). */
size_t b64url_encoded_len(size_t n);
/* Largest decoded length for an encoding of n characters. */
size_t b64url_decoded_max(size_t n);
/* Encode n bytes into out (room for b64url_encoded_len(n) + 1; NUL-terminated). */
void b64url_encode(const uint8_t *in, size_t n, char *out);
/*
 * Decode n characters into out (room for b64url_decoded_max(n)); sets *outlen.
 * Returns 0 or -EPROTO.
 */
int b64url_decode(const char *in, size_t n, uint8_t *out, size_t *outlen) MUST_CHECK;

#endif

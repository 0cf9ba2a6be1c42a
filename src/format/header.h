/*
 * On-disk layout of the per-file header (docs/FORMAT.md, "File header"): a magic, the
 * header version and the file id that every block of the file binds as associated data.
 * Version 1 (key epoch 0): 16 random bytes of file id. Version 2 (key epoch e >= 1): the
 * same 20 bytes, but the file id's first 4 bytes are the epoch (big-endian) and 12 are
 * random, so the epoch is bound by every block and the header keeps its length (a file's
 * plaintext size stays a function of its cipher size alone).
 */
#ifndef VEILFS_FORMAT_HEADER_H
#define VEILFS_FORMAT_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	FILE_HEADER_VERSION = 1,
	FILE_HEADER_VERSION_EPOCH = 2,
	FILE_ID_LEN = 16,
	FILE_HEADER_LEN = 20,
	FILE_ID_EPOCH_LEN = 4, /* version 2: bytes [0, 4) of the file id */
};

/* A version-1 header (key epoch 0). */
void header_encode(const uint8_t file_id[static FILE_ID_LEN], uint8_t out[static FILE_HEADER_LEN]);
/* Parse exactly FILE_HEADER_LEN bytes of a version-1 header. Returns 0 or -EPROTO. */
int header_decode(const uint8_t *p, size_t len, uint8_t file_id[static FILE_ID_LEN]) MUST_CHECK;

/* For key epoch e >= 1, write e into the first 4 bytes of file_id (the rest stay random);
 * nothing for e = 0. */
void header_id_set_epoch(uint8_t file_id[static FILE_ID_LEN], uint32_t e);
/* The header of a file of key epoch e: version 1 for e = 0, else version 2 (file_id must
 * carry e, header_id_set_epoch). */
void header_encode_epoch(const uint8_t file_id[static FILE_ID_LEN], uint32_t e,
			 uint8_t out[static FILE_HEADER_LEN]);
/* Parse a header of either version: *e gets 0 (version 1) or the epoch (version 2, which
 * must be >= 1). Returns 0 or -EPROTO (file_id and *e zeroed). */
int header_decode_epoch(const uint8_t *p, size_t len, uint8_t file_id[static FILE_ID_LEN],
			uint32_t *e) MUST_CHECK;

#endif

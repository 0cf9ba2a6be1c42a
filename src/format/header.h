/*
 * On-disk layout of the per-file header (docs/FORMAT.md, "File header"): a magic, the
 * header version and the random file id that every block of the file binds as
 * associated data.
 */
#ifndef VEILFS_FORMAT_HEADER_H
#define VEILFS_FORMAT_HEADER_H

#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	FILE_HEADER_VERSION = 1,
	FILE_ID_LEN = 16,
	FILE_HEADER_LEN = 20,
};

void header_encode(const uint8_t file_id[static FILE_ID_LEN], uint8_t out[static FILE_HEADER_LEN]);
/* Parse exactly FILE_HEADER_LEN bytes. Returns 0 or -EPROTO. */
int header_decode(const uint8_t *p, size_t len, uint8_t file_id[static FILE_ID_LEN]) MUST_CHECK;

#endif

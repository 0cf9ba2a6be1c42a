/*
 * The 20-byte file header (docs/FORMAT.md, "File header"): magic "VF", version 1, and the
 * file id that every content block binds as associated data. Choosing the id (random)
 * and writing the header belong to vault/.
 */
#include <assert.h>
#include <string.h>
#include "base/bytes.h"
#include "base/errors.h"
#include "format/header.h"

enum {
	HEADER_MAGIC = 0x5646, /* "VF" */
	OFF_MAGIC = 0,
	OFF_VERSION = 2,
	OFF_FILE_ID = 4,
};

static_assert((int)OFF_FILE_ID + (int)FILE_ID_LEN == (int)FILE_HEADER_LEN,
	      "FORMAT.md: header is 20 bytes");

void header_encode(const uint8_t file_id[static FILE_ID_LEN], uint8_t out[static FILE_HEADER_LEN])
{
	put_be16(out + OFF_MAGIC, HEADER_MAGIC);
	put_be16(out + OFF_VERSION, FILE_HEADER_VERSION);
	memcpy(out + OFF_FILE_ID, file_id, FILE_ID_LEN);
}

int header_decode(const uint8_t *p, size_t len, uint8_t file_id[static FILE_ID_LEN])
{
	if (len != FILE_HEADER_LEN)
		return -EPROTO;
	if (get_be16(p + OFF_MAGIC) != HEADER_MAGIC)
		return -EPROTO;
	if (get_be16(p + OFF_VERSION) != FILE_HEADER_VERSION)
		return -EPROTO;
	memcpy(file_id, p + OFF_FILE_ID, FILE_ID_LEN);
	return 0;
}

/*
 * The 20-byte file header (docs/FORMAT.md, "File header"): magic "VF", version 1 or 2,
 * and the file id that every content block binds as associated data; in version 2 the
 * file id starts with the file's key epoch. Choosing the id (random) and writing the
 * header belong to vault/.
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
	header_encode_epoch(file_id, 0, out);
}

int header_decode(const uint8_t *p, size_t len, uint8_t file_id[static FILE_ID_LEN])
{
	uint32_t e;
	int r = header_decode_epoch(p, len, file_id, &e);

	if (r == 0 && e != 0) {
		memset(file_id, 0, FILE_ID_LEN);
		return -EPROTO;
	}
	return r;
}

void header_id_set_epoch(uint8_t file_id[static FILE_ID_LEN], uint32_t e)
{
	if (e > 0)
		put_be32(file_id, e);
}

void header_encode_epoch(const uint8_t file_id[static FILE_ID_LEN], uint32_t e,
			 uint8_t out[static FILE_HEADER_LEN])
{
	put_be16(out + OFF_MAGIC, HEADER_MAGIC);
	put_be16(out + OFF_VERSION, e > 0 ? FILE_HEADER_VERSION_EPOCH : FILE_HEADER_VERSION);
	memcpy(out + OFF_FILE_ID, file_id, FILE_ID_LEN);
}

int header_decode_epoch(const uint8_t *p, size_t len, uint8_t file_id[static FILE_ID_LEN],
			uint32_t *e)
{
	uint16_t version;

	memset(file_id, 0, FILE_ID_LEN);
	*e = 0;
	if (len != FILE_HEADER_LEN || get_be16(p + OFF_MAGIC) != HEADER_MAGIC)
		return -EPROTO;
	version = get_be16(p + OFF_VERSION);
	if (version == FILE_HEADER_VERSION_EPOCH) {
		*e = get_be32(p + OFF_FILE_ID);
		if (*e == 0)
			return -EPROTO;
	} else if (version != FILE_HEADER_VERSION) {
		return -EPROTO;
	}
	memcpy(file_id, p + OFF_FILE_ID, FILE_ID_LEN);
	return 0;
}

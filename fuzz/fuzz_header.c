/*
 * libFuzzer target: header_decode_epoch on arbitrary bytes (versions 1 and 2); an accepted
 * header re-encodes to the same 20 bytes, and header_decode (version 1 only) agrees.
 */
#include <string.h>
#include "format/header.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[FILE_ID_LEN], id1[FILE_ID_LEN], out[FILE_HEADER_LEN];
	uint32_t e;

	if (header_decode_epoch(data, size, id, &e) < 0) {
		FUZZ_ASSERT(header_decode(data, size, id1) < 0);
		return 0;
	}
	FUZZ_ASSERT(size == FILE_HEADER_LEN);
	FUZZ_ASSERT((header_decode(data, size, id1) == 0) == (e == 0));
	header_encode_epoch(id, e, out);
	FUZZ_ASSERT(memcmp(out, data, FILE_HEADER_LEN) == 0);
	return 0;
}

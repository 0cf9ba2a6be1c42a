/*
 * libFuzzer target: header_decode on arbitrary bytes; an accepted header re-encodes to
 * the same 20 bytes.
 */
#include <string.h>
#include "format/header.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[FILE_ID_LEN], out[FILE_HEADER_LEN];

	if (header_decode(data, size, id) < 0)
		return 0;
	FUZZ_ASSERT(size == FILE_HEADER_LEN);
	header_encode(id, out);
	FUZZ_ASSERT(memcmp(out, data, FILE_HEADER_LEN) == 0);
	return 0;
}

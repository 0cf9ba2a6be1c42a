/*
 * libFuzzer target: config_decode on arbitrary bytes. Anything accepted must encode back
 * to exactly the same 140 bytes (no field is silently normalised).
 */
#include <string.h>
#include "format/config.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	uint8_t out[CONFIG_SIZE];

	if (config_decode(&c, data, size) < 0)
		return 0;
	FUZZ_ASSERT(size == CONFIG_SIZE);
	FUZZ_ASSERT(config_validate(&c) == 0 && config_invalid_field(&c) == NULL);
	FUZZ_ASSERT(config_encode(&c, out) == 0);
	FUZZ_ASSERT(memcmp(out, data, CONFIG_SIZE) == 0);
	return 0;
}

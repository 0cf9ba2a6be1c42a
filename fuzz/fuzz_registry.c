/*
 * libFuzzer target: registry_parse on arbitrary bytes (a mount registration is anything a
 * writer of the share planted). Anything accepted has a host and a mode, NUL-terminated
 * fields within their bounds.
 */
#include <string.h>
#include "coord/registry.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry_entry e;

	if (registry_parse((const char *)data, size, &e) < 0)
		return 0;
	FUZZ_ASSERT(e.host[0] != '\0' && e.mode[0] != '\0');
	FUZZ_ASSERT(strlen(e.host) < sizeof(e.host) && strlen(e.mode) < sizeof(e.mode));
	FUZZ_ASSERT(strlen(e.mnt) < sizeof(e.mnt) && strlen(e.boot) < sizeof(e.boot));
	return 0;
}

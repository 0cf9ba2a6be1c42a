/*
 * libFuzzer target: config_v2_decode on arbitrary bytes (veilfs.conf version 2 and its
 * key slots). Anything accepted must be valid, and encode back to exactly the same bytes
 * (no field silently normalised); the slot AD of every slot must build, and be the
 * vault-wide bytes with the key epoch and the key-epochs feature bit read as zero. Also
 * runs the version peek that config_any_load dispatches on.
 */
#include <string.h>
#include "base/bytes.h"
#include "format/config_v2.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[CONFIG_V2_SIZE_MAX];
	uint8_t ad[CONFIG_V2_AD_LEN], head[CONFIG_V2_HEADER_AD_LEN];
	struct config_v2 c;
	char buf[64];
	unsigned i;

	(void)config_peek_version(data, size);
	if (config_v2_decode(&c, data, size) < 0)
		return 0;
	FUZZ_ASSERT(size >= CONFIG_V2_SIZE_MIN && size <= CONFIG_V2_SIZE_MAX);
	FUZZ_ASSERT(config_peek_version(data, size) == CONFIG_V2_VERSION);
	FUZZ_ASSERT(config_v2_invalid_field(&c, buf, sizeof(buf)) == NULL);
	FUZZ_ASSERT(config_v2_size(&c) == size);
	FUZZ_ASSERT(config_v2_encode(&c, out, sizeof(out)) == 0);
	FUZZ_ASSERT(memcmp(out, data, size) == 0);
	memcpy(head, data, sizeof(head));
	put_be32(head + 10, get_be32(head + 10) & ~(uint32_t)CONFIG_V2_FEATURE_EPOCHS);
	put_be32(head + 20, 0);
	for (i = 0; i < c.nslots; i++) {
		FUZZ_ASSERT(config_v2_slot_ad(&c, i, ad) == 0);
		FUZZ_ASSERT(memcmp(ad, head, CONFIG_V2_HEADER_AD_LEN) == 0);
		FUZZ_ASSERT(config_v2_find_label(&c, c.slots[i].label) == (int)i);
	}
	return 0;
}

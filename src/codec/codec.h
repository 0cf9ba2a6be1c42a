/*
 * The content codec (docs/FORMAT.md, "Content blocks"): sealing and opening one content
 * block of a file with its per-file key, its associated data (file id, block number,
 * final flag) and a fresh random nonce per seal, and the hole rule. Pure: no I/O, no
 * logging, no vault state; the vault (vault/file_state.c, vault_file.c) and fsck (fsck/)
 * move the bytes and say which file a failure concerns, and fuzz/fuzz_codec.c drives it
 * directly.
 *
 * The byte layouts it builds on are format/'s: the file header (format/header.h) and the
 * block geometry with the plaintext/cipher size and offset arithmetic (format/block.h),
 * included here so that one include gives a user of the codec all of it.
 */
#ifndef VEILFS_CODEC_CODEC_H
#define VEILFS_CODEC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"
#include "format/block.h"
#include "format/header.h"

struct aead_ctx;

/* The cipher state of one file for one operation. Every pointer is borrowed. */
struct codec {
	const struct block_geom *geom;
	struct aead_ctx *aead;
	const uint8_t *file_id; /* FILE_ID_LEN bytes */
	const uint8_t *key;     /* FILE_KEY_LEN bytes (keys_file_key) */
	/*
	 * Fresh random nonces drawn in one call for a multi-block write (NULL when none):
	 * codec_seal() takes the next one and advances, each is used once.
	 */
	const uint8_t *nonces;
	size_t nonces_left;
};

/*
 * True when the stored block of len bytes is a hole: not the file's last block (final
 * false), a full stored block, and all zero (a sparse region of the lower file). A hole
 * reads as a block of zeros.
 */
bool codec_is_hole(const struct codec *c, bool final, const uint8_t *stored, size_t len);
/*
 * Open block n from stored (storedlen bytes) into plain (room for a full block). final:
 * n is the file's last block. A hole opens as a full block of zeros. *plainlen receives
 * the plaintext length. Returns 0, -EPROTO for a length no block of this file can have
 * (empty, too short for nonce and tag, too long, or a short block that is not the last),
 * or -EBADMSG when it fails authentication (plain wiped).
 */
int codec_open(const struct codec *c, uint64_t n, bool final, const uint8_t *stored,
	       size_t storedlen, uint8_t *plain, size_t *plainlen) MUST_CHECK;
/*
 * The state an append across a block boundary leaves when a crash cuts it between writing
 * its new blocks and sealing the old last block again as an inner one (docs/FORMAT.md,
 * "Crash consistency"): block n is not the file's last, is a full stored block, and
 * authenticates only with the final flag. codec_open_unsealed() opens such a block as
 * codec_open() would with final set (-EBADMSG for any other block); the caller accepts it
 * only when the next block of the file that is not a hole authenticates at its own
 * position (codec_check_next()), as the appended blocks do: a stale block of the file put
 * back past its end passes that only together with its own successors, which docs/FORMAT.md
 * concedes (putting back old blocks).
 */
int codec_open_unsealed(const struct codec *c, uint64_t n, const uint8_t *stored,
			size_t storedlen, uint8_t *plain, size_t *plainlen) MUST_CHECK;
/*
 * Whether stored block m (last: it is the file's last block) proves that an unsealed block
 * before it is the state of an interrupted append: 0 when it authenticates (with the
 * final flag when last; an inner block also when it is itself a full block still sealed
 * final), 1 when it is a hole (the caller looks at the next block), or -EBADMSG/-EPROTO.
 * scratch: room for a full plaintext block, wiped before return.
 */
int codec_check_next(const struct codec *c, uint64_t m, bool last, const uint8_t *stored,
		     size_t storedlen, uint8_t *scratch) MUST_CHECK;
/*
 * Seal plainlen bytes (1 .. a full block) as block n with a fresh nonce (the next of
 * c->nonces, else drawn now) into out (room for plainlen + overhead bytes). 0 or -errno.
 */
int codec_seal(struct codec *c, uint64_t n, bool final, const uint8_t *plain,
	       size_t plainlen, uint8_t *out) MUST_CHECK;

#endif

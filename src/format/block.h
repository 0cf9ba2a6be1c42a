/*
 * Geometry of content blocks (docs/FORMAT.md, "Content blocks"): where block n lives in a
 * cipher file, how plaintext and ciphertext sizes map onto each other, the associated
 * data each block binds, and hole detection. Pure arithmetic: no keys, no I/O.
 *
 * A cipher file is FILE_HEADER_LEN bytes of header followed by blocks; block n holds
 * plaintext bytes [n * plain, (n+1) * plain) and is stored as nonce || ciphertext || tag.
 * Only the last block may be shorter than a full block. An all-zero stored block that is
 * not the last one is a hole and reads as zeros.
 */
#ifndef VEILFS_FORMAT_BLOCK_H
#define VEILFS_FORMAT_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "base/compiler.h"

enum {
	BLOCK_PLAIN_SIZE = 4096,
	BLOCK_TAG_LEN = 16,
	/* file id (16) || block number (u64 BE) || final flag (u8) */
	BLOCK_AD_LEN = 25,
};

struct block_geom {
	uint32_t plain_size;  /* plaintext bytes in a full block */
	uint32_t nonce_len;   /* 12 for AES-GCM, 24 for XChaCha20-Poly1305 */
	uint32_t overhead;    /* nonce_len + BLOCK_TAG_LEN */
	uint32_t cipher_size; /* plain_size + overhead */
};

void block_geom_init(struct block_geom *g, uint32_t plain_size, uint32_t nonce_len);
/* Offset in the cipher file where block n starts. */
uint64_t block_cipher_offset(const struct block_geom *g, uint64_t n);
/* Cipher file size for a plaintext size (0 stays 0: an empty file has no header). */
uint64_t block_cipher_size(const struct block_geom *g, uint64_t plain_size);
/*
 * Plaintext size of a cipher file of cipher_size bytes. Returns 0, or -EPROTO when the
 * size cannot come from a valid file (partial header, or a last block too short to
 * hold nonce and tag).
 */
int block_plain_size(const struct block_geom *g, uint64_t cipher_size, uint64_t *plain_size) MUST_CHECK;
/* Number of blocks holding plain_size bytes. */
uint64_t block_count(const struct block_geom *g, uint64_t plain_size);
/* The block holding cipher-file offset off (the header counts as block 0's). */
uint64_t block_at_cipher_offset(const struct block_geom *g, uint64_t off);
/*
 * Stored length of block n in a cipher file of cipher_size bytes: cipher_size for an
 * inner block, less for a short last one, 0 for a block past the end.
 */
uint64_t block_stored_len(const struct block_geom *g, uint64_t cipher_size, uint64_t n);
/* Build the associated data of block n. final is true for the last block of the file. */
void block_ad(uint8_t out[static BLOCK_AD_LEN], const uint8_t *file_id, uint64_t n, bool final);
/* True when all len bytes are zero (a sparse region of the lower file); false for len 0. */
bool block_is_hole(const uint8_t *p, size_t len);

#endif

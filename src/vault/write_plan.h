/*
 * The write planner: which blocks a write of len plaintext bytes at off touches and how,
 * from the plaintext size and the block size alone. Pure arithmetic, no I/O, no keys: the
 * write path carries the plan out (vault_file.c), and tests/unit/test_write_plan.c checks
 * it against a byte-by-byte model on every small geometry.
 */
#ifndef VEILFS_VAULT_WRITE_PLAN_H
#define VEILFS_VAULT_WRITE_PLAN_H

#include <stdbool.h>
#include <stdint.h>

/* How a block at either end of the written range gets its new plaintext. */
enum write_plan_edge {
	WRITE_PLAN_WHOLE = 0,    /* the write covers the block's whole new length */
	WRITE_PLAN_READ_MODIFY,  /* old bytes of the block survive: read, merge, re-seal */
	WRITE_PLAN_ZERO_FILL,    /* partly covered, no old bytes in it: the rest is zeros */
};

struct write_plan {
	uint64_t old_size, new_size;   /* plaintext sizes before and after */
	uint64_t old_blocks, new_blocks;
	uint64_t first, count;         /* blocks first .. first + count - 1 are sealed anew;
					* count 0 for an empty write */
	enum write_plan_edge head;     /* how block first is composed */
	enum write_plan_edge tail;     /* how block first + count - 1 is composed (== head
					* when count is 1) */
	uint64_t final_block;          /* the new final block (new_blocks - 1; 0 if empty) */
	/* The old final block stops being final and lies outside the written range: it is
	 * re-sealed, whole and non-final, from its old plaintext (zeros to the block size). */
	bool reseal;
	uint64_t reseal_block;         /* old_blocks - 1 when reseal */
	bool reseal_adjacent;          /* reseal_block + 1 == first (one contiguous span) */
	uint64_t holes_first, holes;   /* new blocks neither old nor written (read as zeros) */
};

/* Plan a write of len bytes at off into a file of size bytes, in blocks of block_size
 * (> 0) plaintext bytes. off + len must not overflow. */
void write_plan_make(struct write_plan *p, uint64_t size, uint64_t off, uint64_t len,
		     uint32_t block_size);
/* The new plaintext length of block nb (block_size except for the final block). */
uint32_t write_plan_block_len(const struct write_plan *p, uint64_t nb, uint32_t block_size);

#endif

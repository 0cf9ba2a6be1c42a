/*
 * Unit tests of the write planner (vault/write_plan.c): every block size 4..16, every old
 * size, offset and length up to four blocks, each plan held against a reference model that
 * looks at single bytes: which bytes the write covers, which old bytes exist, which block
 * was final before and is final after.
 */
#include <stdio.h>
#include "vault/write_plan.h"
#include "test.h"

enum { MAX_BLOCKS = 4 };

/* The reference: how block nb of the new file gets its plaintext, byte by byte. */
static enum write_plan_edge model_edge(uint64_t nb, uint32_t bs, uint64_t size, uint64_t off,
				       uint64_t len, uint64_t new_size)
{
	bool partial = false, old = false;

	for (uint64_t i = nb * bs; i < (nb + 1) * bs && i < new_size; i++) {
		if (i >= off && i < off + len)
			continue;
		partial = true;
		old |= i < size;
	}
	if (!partial)
		return WRITE_PLAN_WHOLE;
	return old ? WRITE_PLAN_READ_MODIFY : WRITE_PLAN_ZERO_FILL;
}

static bool block_written(uint64_t nb, uint32_t bs, uint64_t off, uint64_t len)
{
	for (uint64_t i = off; i < off + len; i++)
		if (i / bs == nb)
			return true;
	return false;
}

/* Check one plan against the model; returns false (and says why) on the first mismatch. */
static bool check_one(uint32_t bs, uint64_t size, uint64_t off, uint64_t len)
{
	uint64_t new_size = len && off + len > size ? off + len : size;
	uint64_t old_blocks = (size + bs - 1) / bs, new_blocks = (new_size + bs - 1) / bs;
	uint64_t first = 0, count = 0, holes = 0;
	bool reseal;
	struct write_plan p;

	write_plan_make(&p, size, off, len, bs);
	for (uint64_t nb = 0; nb < new_blocks; nb++) {
		if (!block_written(nb, bs, off, len))
			continue;
		if (count == 0)
			first = nb;
		count++;
		/* every block between the ends is covered whole */
		if (nb != p.first && nb != p.first + p.count - 1 &&
		    model_edge(nb, bs, size, off, len, new_size) != WRITE_PLAN_WHOLE)
			return false;
	}
	for (uint64_t nb = old_blocks; nb < new_blocks; nb++)
		holes += !block_written(nb, bs, off, len) && nb < first;
	/* the old final block stops being final and the write does not rewrite it */
	reseal = old_blocks > 0 && new_blocks > old_blocks &&
		 !block_written(old_blocks - 1, bs, off, len);
	if (p.new_size != new_size || p.old_size != size || p.old_blocks != old_blocks ||
	    p.new_blocks != new_blocks || p.count != count || (count && p.first != first))
		return false;
	if (p.final_block != (new_blocks ? new_blocks - 1 : 0) || p.reseal != reseal)
		return false;
	if (reseal && (p.reseal_block != old_blocks - 1 ||
		       p.reseal_adjacent != (old_blocks == first)))
		return false;
	if (!reseal && p.reseal_adjacent)
		return false;
	if (p.holes != holes || (holes && p.holes_first != old_blocks))
		return false;
	if (count && (p.head != model_edge(first, bs, size, off, len, new_size) ||
		      p.tail != model_edge(first + count - 1, bs, size, off, len, new_size)))
		return false;
	for (uint64_t nb = 0; nb <= new_blocks; nb++) {
		uint64_t want = nb * bs >= new_size ? 0 : new_size - nb * bs;

		if (write_plan_block_len(&p, nb, bs) != (want < bs ? want : bs))
			return false;
	}
	return true;
}

TEST(write_plan_matches_byte_model)
{
	unsigned cases = 0, bad = 0;

	for (uint32_t bs = 4; bs <= 16; bs++) {
		uint64_t max = (uint64_t)MAX_BLOCKS * bs;

		for (uint64_t size = 0; size <= max; size++)
			for (uint64_t off = 0; off <= max; off++)
				for (uint64_t len = 0; off + len <= max + bs; len++) {
					cases++;
					if (check_one(bs, size, off, len))
						continue;
					if (bad++ < 5)
						EXPECTF(false, "bs %u size %llu off %llu len %llu",
							bs, (unsigned long long)size,
							(unsigned long long)off,
							(unsigned long long)len);
				}
	}
	EXPECTF(bad == 0, "%u of %u plans differ from the model", bad, cases);
	printf("# %u plans checked\n", cases);
}

/* A few plans written out by hand (block size 4096), one per line of the table. */
static const struct {
	uint64_t size, off, len;
	uint64_t new_size, first, count;
	enum write_plan_edge head, tail;
	bool reseal;
	uint64_t holes;
} hand[] = {
	/* 1: first append to an empty file, 100 bytes */
	{ 0, 0, 100, 100, 0, 1, WRITE_PLAN_WHOLE, WRITE_PLAN_WHOLE, false, 0 },
	/* 2: small append to a partial last block: read-modify-write of that block */
	{ 100, 100, 100, 200, 0, 1, WRITE_PLAN_READ_MODIFY, WRITE_PLAN_READ_MODIFY, false, 0 },
	/* 3: append that crosses into a new block */
	{ 4000, 4000, 200, 4200, 0, 2, WRITE_PLAN_READ_MODIFY, WRITE_PLAN_WHOLE, false, 0 },
	/* 4: write past the end over a gap: old last block re-sealed, one hole */
	{ 100, 8192, 10, 8202, 2, 1, WRITE_PLAN_WHOLE, WRITE_PLAN_WHOLE, true, 1 },
	/* 8: write past the end, not at a block start: zeros before it in its block */
	{ 100, 8200, 10, 8210, 2, 1, WRITE_PLAN_ZERO_FILL, WRITE_PLAN_ZERO_FILL, true, 1 },
	/* 5: whole-block overwrite inside the file */
	{ 16384, 4096, 4096, 16384, 1, 1, WRITE_PLAN_WHOLE, WRITE_PLAN_WHOLE, false, 0 },
	/* 6: unaligned overwrite spanning three blocks */
	{ 16384, 100, 8192, 16384, 0, 3, WRITE_PLAN_READ_MODIFY, WRITE_PLAN_READ_MODIFY, false, 0 },
	/* 7: append at a block boundary after a full last block: re-seal it, adjacent */
	{ 4096, 4096, 10, 4106, 1, 1, WRITE_PLAN_WHOLE, WRITE_PLAN_WHOLE, true, 0 },
};

TEST(write_plan_hand_cases)
{
	for (size_t i = 0; i < sizeof(hand) / sizeof(hand[0]); i++) {
		struct write_plan p;

		write_plan_make(&p, hand[i].size, hand[i].off, hand[i].len, 4096);
		EXPECTF(p.new_size == hand[i].new_size && p.first == hand[i].first &&
				p.count == hand[i].count && p.head == hand[i].head &&
				p.tail == hand[i].tail && p.reseal == hand[i].reseal &&
				p.holes == hand[i].holes,
			"case %zu", i + 1);
	}
}

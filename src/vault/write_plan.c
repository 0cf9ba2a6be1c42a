/*
 * The write planner (write_plan.h): block arithmetic of one write. It decides nothing the
 * lower file could change; the caller plans against the size it holds under its locks.
 */
#include "vault/write_plan.h"

static uint64_t blocks_for(uint64_t size, uint32_t bs)
{
	return size / bs + (size % bs != 0);
}

/* How block nb, partly or wholly covered by [off, end), gets its new plaintext. */
static enum write_plan_edge edge(const struct write_plan *p, uint64_t nb, uint64_t off,
				 uint64_t end, uint32_t bs)
{
	uint64_t bstart = nb * bs, bend = bstart + write_plan_block_len(p, nb, bs);

	if (off <= bstart && end >= bend)
		return WRITE_PLAN_WHOLE;
	/* an uncovered byte below the old size is an old byte to keep */
	return bstart < p->old_size ? WRITE_PLAN_READ_MODIFY : WRITE_PLAN_ZERO_FILL;
}

void write_plan_make(struct write_plan *p, uint64_t size, uint64_t off, uint64_t len,
		     uint32_t bs)
{
	uint64_t end = off + len, last;

	*p = (struct write_plan){ .old_size = size, .new_size = size };
	p->old_blocks = blocks_for(size, bs);
	if (len > 0 && end > size)
		p->new_size = end;
	p->new_blocks = blocks_for(p->new_size, bs);
	p->final_block = p->new_blocks ? p->new_blocks - 1 : 0;
	if (len == 0)
		return;
	p->first = off / bs;
	last = (end - 1) / bs;
	p->count = last - p->first + 1;
	p->head = edge(p, p->first, off, end, bs);
	p->tail = edge(p, last, off, end, bs);
	p->reseal = p->old_blocks > 0 && p->new_blocks > p->old_blocks &&
		    p->old_blocks - 1 < p->first;
	if (p->reseal) {
		p->reseal_block = p->old_blocks - 1;
		p->reseal_adjacent = p->reseal_block + 1 == p->first;
	}
	if (p->first > p->old_blocks) {
		p->holes_first = p->old_blocks;
		p->holes = p->first - p->old_blocks;
	}
}

uint32_t write_plan_block_len(const struct write_plan *p, uint64_t nb, uint32_t bs)
{
	uint64_t bstart = nb * bs;

	if (bstart >= p->new_size)
		return 0;
	return p->new_size - bstart < bs ? (uint32_t)(p->new_size - bstart) : bs;
}

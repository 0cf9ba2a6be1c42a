/*
 * readdirplus with or without attributes. Attributes cost a lower stat and a node per
 * entry (a disk read per inode table block on a cold cache), and a tree walk that only
 * reads names and types (find) pays them for nothing; without them, each entry that is
 * then stat'ed costs a LOOKUP request. So a reply without attributes is a probe: when the
 * kernel then looks up at least half of its entries that are not directories (a walker
 * opens directories in any case), the next PLUS_RUN listings carry attributes (counted at
 * their first reply, at offset 0), and the one after them probes again. An entry without attributes is a plain directory entry (node
 * id 0: the kernel links nothing, and looks the name up when it needs it), so either form
 * is correct, in every shared mode; this only picks the cheaper one.
 */
#include "fuse/plus_policy.h"

enum { PLUS_RUN = 32 };

bool plus_policy_take(struct plus_policy *p, bool first)
{
	uint32_t left = atomic_load_explicit(&p->plus_left, memory_order_relaxed);

	if (!first)
		return left > 0;
	while (left > 0)
		if (atomic_compare_exchange_weak_explicit(&p->plus_left, &left, left - 1,
							  memory_order_relaxed,
							  memory_order_relaxed))
			return true;
	return false;
}

void plus_policy_listed(struct plus_policy *p, uint64_t dir, uint32_t names)
{
	if (atomic_load_explicit(&p->probe_dir, memory_order_relaxed) == dir) {
		atomic_fetch_add_explicit(&p->probe_names, names, memory_order_relaxed);
		return;
	}
	atomic_store_explicit(&p->probe_names, names, memory_order_relaxed);
	atomic_store_explicit(&p->probe_hits, 0, memory_order_relaxed);
	atomic_store_explicit(&p->probe_dir, dir, memory_order_relaxed);
}

void plus_policy_looked_up(struct plus_policy *p, uint64_t dir)
{
	uint32_t hits, names;

	if (dir == 0 || atomic_load_explicit(&p->probe_dir, memory_order_relaxed) != dir)
		return;
	hits = atomic_fetch_add_explicit(&p->probe_hits, 1, memory_order_relaxed) + 1;
	names = atomic_load_explicit(&p->probe_names, memory_order_relaxed);
	if (2 * (uint64_t)hits < names)
		return;
	atomic_store_explicit(&p->probe_dir, 0, memory_order_relaxed);
	atomic_store_explicit(&p->plus_left, PLUS_RUN, memory_order_relaxed);
}

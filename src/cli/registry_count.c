/*
 * The registered mounts of a vault, counted through the store (registry_platform.h): the
 * same on every platform; only registry_platform_get() is the platform's.
 */
#include <stdlib.h>
#include "store/store.h"
#include "cli/registry_platform.h"

int registry_count(const char *dir, int *live, int *stale)
{
	struct registry_entry *e = calloc(REGISTRY_ENTRIES_MAX, sizeof(*e));
	enum registry_state *st = calloc(REGISTRY_ENTRIES_MAX, sizeof(*st));
	struct store *s = NULL;
	struct coord c;
	int rootfd = -1, n = -ENOMEM, i;

	*live = *stale = 0;
	if (!e || !st)
		goto out;
	if ((n = store_open_dir(dir, &s, &rootfd)) < 0)
		goto out;
	if ((n = coord_init(&c, s, rootfd, COORD_OFF, COORD_FRESH_NONE, 0)) < 0 ||
	    (n = registry_list(&c, registry_platform_get(), e, st, REGISTRY_ENTRIES_MAX)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if (st[i] == REGISTRY_STALE)
			(*stale)++;
		else
			(*live)++;
	}
	n = 0;
out:
	if (s) {
		(void)store_close(s, rootfd); /* read-only use */
		store_free(s);
	}
	free(e);
	free(st);
	return n;
}

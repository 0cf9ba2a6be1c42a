/*
 * The node id <-> vnode table with kernel lookup counts. Two chained hash tables share the
 * entries: one keyed by node id (every request), one by vnode pointer (every lookup, so that
 * a second lookup of the same object returns the same node id). The vault returns the same
 * vnode for one lower object while a reference is held, which the table always does.
 *
 * Locking: one mutex (t->lock) protects the buckets, every entry and the counters.
 * vnode_unref() is never called with it held, since dropping the last reference may do I/O.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "fuse/inode_table.h"
#include "vault/vault.h"

enum { INODE_TABLE_MIN_BUCKETS = 1024 };

struct inode_entry {
	uint64_t id;
	struct vnode *node;	       /* one reference owned by the entry */
	uint64_t nlookup;	       /* kernel lookups not yet forgotten */
	struct inode_entry *id_next;   /* chain in by_id */
	struct inode_entry *node_next; /* chain in by_node */
	uint64_t parent;	       /* last lookup: directory node id ... */
	char *name;		       /* ... and name in it (owned; NULL for the root) */
	struct inode_entry *lru_prev;  /* towards the most recently used end */
	struct inode_entry *lru_next;  /* towards the least recently used end */
};

struct inode_table {
	struct vault *vault; /* borrowed */
	pthread_mutex_t lock;
	struct inode_entry **by_id;   /* protected by lock */
	struct inode_entry **by_node; /* protected by lock */
	size_t nbuckets;	      /* power of two; protected by lock */
	uint64_t count;		      /* entries; protected by lock */
	uint64_t next_id;	      /* protected by lock */
	uint64_t gets;		      /* inode_table_get() calls; protected by lock */
	struct inode_entry *root;     /* fixed after inode_table_new; never in the LRU list */
	struct inode_entry *lru_head; /* most recently used; protected by lock */
	struct inode_entry *lru_tail; /* least recently used; protected by lock */
};

static void lru_unlink(struct inode_table *t, struct inode_entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else if (t->lru_head == e)
		t->lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else if (t->lru_tail == e)
		t->lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void lru_push_head(struct inode_table *t, struct inode_entry *e)
{
	e->lru_prev = NULL;
	e->lru_next = t->lru_head;
	if (t->lru_head)
		t->lru_head->lru_prev = e;
	t->lru_head = e;
	if (!t->lru_tail)
		t->lru_tail = e;
}

/* Mark e as just used (the root stays out of the list). */
static void lru_touch(struct inode_table *t, struct inode_entry *e)
{
	if (e == t->root || t->lru_head == e)
		return;
	lru_unlink(t, e);
	lru_push_head(t, e);
}

static size_t hash_u64(uint64_t x)
{
	/* A 64-bit finalizer (splitmix64) spreads sequential ids and aligned pointers. */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

static size_t id_slot(const struct inode_table *t, uint64_t id)
{
	return hash_u64(id) & (t->nbuckets - 1);
}

static size_t node_slot(const struct inode_table *t, const struct vnode *n)
{
	return hash_u64((uint64_t)(uintptr_t)n) & (t->nbuckets - 1);
}

static void link_entry(struct inode_table *t, struct inode_entry *e)
{
	size_t i = id_slot(t, e->id), j = node_slot(t, e->node);

	e->id_next = t->by_id[i];
	t->by_id[i] = e;
	e->node_next = t->by_node[j];
	t->by_node[j] = e;
}

static void unlink_entry(struct inode_table *t, struct inode_entry *e)
{
	struct inode_entry **pp;

	for (pp = &t->by_id[id_slot(t, e->id)]; *pp; pp = &(*pp)->id_next)
		if (*pp == e) {
			*pp = e->id_next;
			break;
		}
	for (pp = &t->by_node[node_slot(t, e->node)]; *pp; pp = &(*pp)->node_next)
		if (*pp == e) {
			*pp = e->node_next;
			break;
		}
}

static struct inode_entry *find_id(const struct inode_table *t, uint64_t id)
{
	struct inode_entry *e;

	for (e = t->by_id[id_slot(t, id)]; e; e = e->id_next)
		if (e->id == id)
			return e;
	return NULL;
}

static struct inode_entry *find_node(const struct inode_table *t, const struct vnode *n)
{
	struct inode_entry *e;

	for (e = t->by_node[node_slot(t, n)]; e; e = e->node_next)
		if (e->node == n)
			return e;
	return NULL;
}

/* Double the bucket arrays when the load passes 1; on allocation failure keep the old ones. */
static void maybe_grow(struct inode_table *t)
{
	struct inode_entry **old_id = t->by_id, *e, *next;
	size_t old_n = t->nbuckets, i;
	struct inode_entry **nid, **nnode;

	if (t->count < t->nbuckets)
		return;
	nid = calloc(old_n * 2, sizeof(*nid));
	nnode = calloc(old_n * 2, sizeof(*nnode));
	if (!nid || !nnode) {
		free(nid);
		free(nnode);
		return;
	}
	free(t->by_node);
	t->by_id = nid;
	t->by_node = nnode;
	t->nbuckets = old_n * 2;
	for (i = 0; i < old_n; i++)
		for (e = old_id[i]; e; e = next) {
			next = e->id_next;
			link_entry(t, e);
		}
	free(old_id);
}

int inode_table_new(struct vault *v, struct inode_table **out)
{
	struct inode_table *t;

	*out = NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->vault = v;
	t->nbuckets = INODE_TABLE_MIN_BUCKETS;
	t->by_id = calloc(t->nbuckets, sizeof(*t->by_id));
	t->by_node = calloc(t->nbuckets, sizeof(*t->by_node));
	t->root = calloc(1, sizeof(*t->root));
	if (!t->by_id || !t->by_node || !t->root) {
		free(t->by_id);
		free(t->by_node);
		free(t->root);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->root->id = INODE_TABLE_ROOT_ID;
	t->root->node = vault_root(v);
	t->root->nlookup = 1;
	link_entry(t, t->root);
	t->count = 1;
	t->next_id = INODE_TABLE_ROOT_ID + 1;
	*out = t;
	return 0;
}

/* Take every entry (but the root unless with_root) out, then unref outside the lock. */
static void drop_entries(struct inode_table *t, bool with_root)
{
	struct inode_entry *list = NULL, *e, *next;
	size_t i;

	pthread_mutex_lock(&t->lock);
	for (i = 0; i < t->nbuckets; i++) {
		for (e = t->by_id[i]; e; e = next) {
			next = e->id_next;
			if (e == t->root && !with_root)
				continue;
			e->id_next = list;
			list = e;
		}
		t->by_id[i] = NULL;
		t->by_node[i] = NULL;
	}
	t->count = 0;
	t->lru_head = t->lru_tail = NULL;
	if (!with_root) {
		link_entry(t, t->root);
		t->count = 1;
	}
	pthread_mutex_unlock(&t->lock);
	for (e = list; e; e = next) {
		next = e->id_next;
		vnode_unref(t->vault, e->node);
		free(e->name);
		free(e);
	}
}

void inode_table_clear(struct inode_table *t)
{
	if (t)
		drop_entries(t, false);
}

void inode_table_free(struct inode_table *t)
{
	if (!t)
		return;
	drop_entries(t, true);
	pthread_mutex_destroy(&t->lock);
	free(t->by_id);
	free(t->by_node);
	free(t);
}

struct vnode *inode_table_get(struct inode_table *t, uint64_t id)
{
	struct inode_entry *e;
	struct vnode *n = NULL;

	pthread_mutex_lock(&t->lock);
	t->gets++;
	e = find_id(t, id);
	if (e) {
		n = e->node;
		vnode_ref(n);
		lru_touch(t, e);
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

int inode_table_add(struct inode_table *t, struct vnode *n, uint64_t parent, const char *name,
		    uint64_t *id)
{
	struct inode_entry *e, *fresh;
	char *copy;

	/* Allocate before locking; freed again when not needed. */
	fresh = calloc(1, sizeof(*fresh));
	copy = strdup(name);
	pthread_mutex_lock(&t->lock);
	e = find_node(t, n);
	if (e) {
		e->nlookup++;
		*id = e->id;
		if (e != t->root && copy &&
		    (!e->name || e->parent != parent || strcmp(e->name, copy))) {
			char *old = e->name;

			e->name = copy;
			e->parent = parent;
			copy = old; /* freed below */
		}
		lru_touch(t, e);
		pthread_mutex_unlock(&t->lock);
		free(copy);
		free(fresh);
		vnode_unref(t->vault, n); /* the entry already holds one */
		return 0;
	}
	if (!fresh || !copy) {
		pthread_mutex_unlock(&t->lock);
		free(fresh);
		free(copy);
		vnode_unref(t->vault, n);
		return -ENOMEM;
	}
	fresh->id = t->next_id++;
	fresh->node = n;
	fresh->nlookup = 1;
	fresh->parent = parent;
	fresh->name = copy;
	link_entry(t, fresh);
	lru_push_head(t, fresh);
	t->count++;
	maybe_grow(t);
	*id = fresh->id;
	pthread_mutex_unlock(&t->lock);
	return 0;
}

void inode_table_forget(struct inode_table *t, uint64_t id, uint64_t count)
{
	struct inode_entry *e;

	if (id == INODE_TABLE_ROOT_ID)
		return;
	pthread_mutex_lock(&t->lock);
	e = find_id(t, id);
	if (!e) {
		pthread_mutex_unlock(&t->lock);
		return;
	}
	if (e->nlookup > count) {
		e->nlookup -= count;
		pthread_mutex_unlock(&t->lock);
		return;
	}
	unlink_entry(t, e);
	lru_unlink(t, e);
	t->count--;
	pthread_mutex_unlock(&t->lock);
	vnode_unref(t->vault, e->node);
	free(e->name);
	free(e);
}

size_t inode_table_oldest(struct inode_table *t, struct inode_name *out, size_t max)
{
	struct inode_entry *e;
	size_t k = 0, seen;

	pthread_mutex_lock(&t->lock);
	for (seen = 0; k < max && seen < max && (e = t->lru_tail); seen++) {
		out[k].parent = e->parent;
		out[k].name = e->name ? strdup(e->name) : NULL;
		if (out[k].name)
			k++;
		lru_touch(t, e); /* second chance: back to the head */
	}
	pthread_mutex_unlock(&t->lock);
	return k;
}

uint64_t inode_table_count(struct inode_table *t)
{
	uint64_t c;

	pthread_mutex_lock(&t->lock);
	c = t->count;
	pthread_mutex_unlock(&t->lock);
	return c;
}

uint64_t inode_table_gets(struct inode_table *t)
{
	uint64_t n;

	pthread_mutex_lock(&t->lock);
	n = t->gets;
	pthread_mutex_unlock(&t->lock);
	return n;
}

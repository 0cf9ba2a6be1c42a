/*
 * FIFO range lock (rangelock.h). The queue is a doubly linked list in arrival order; a
 * request is granted when no earlier request overlaps it with either side exclusive.
 * Removal broadcasts: queues are short (the requests in flight on one file).
 */
#include <stddef.h>
#include "base/rangelock.h"

void rangelock_init(struct rangelock *l)
{
	pthread_mutex_init(&l->mutex, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->head = l->tail = NULL;
}

void rangelock_release(struct rangelock *l)
{
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->mutex);
}

void rangelock_enter(struct rangelock *l)
{
	pthread_mutex_lock(&l->mutex);
}

void rangelock_leave(struct rangelock *l)
{
	pthread_mutex_unlock(&l->mutex);
}

void rangelock_add(struct rangelock *l, struct range_req *r, uint64_t first, uint64_t last,
		   bool exclusive)
{
	r->first = first;
	r->last = last;
	r->exclusive = exclusive;
	r->next = NULL;
	r->prev = l->tail;
	if (l->tail)
		l->tail->next = r;
	else
		l->head = r;
	l->tail = r;
}

static bool conflicts(const struct range_req *a, const struct range_req *b)
{
	return (a->exclusive || b->exclusive) && a->first <= b->last && b->first <= a->last;
}

static bool is_blocked(const struct range_req *r)
{
	const struct range_req *e;

	for (e = r->prev; e; e = e->prev)
		if (conflicts(e, r))
			return true;
	return false;
}

bool rangelock_has_exclusive(const struct rangelock *l)
{
	const struct range_req *e;

	for (e = l->head; e; e = e->next)
		if (e->exclusive)
			return true;
	return false;
}

bool rangelock_granted(struct rangelock *l, const struct range_req *r)
{
	bool g;

	pthread_mutex_lock(&l->mutex);
	g = !is_blocked(r);
	pthread_mutex_unlock(&l->mutex);
	return g;
}

void rangelock_wait(struct rangelock *l, struct range_req *r)
{
	pthread_mutex_lock(&l->mutex);
	while (is_blocked(r))
		pthread_cond_wait(&l->cond, &l->mutex);
	pthread_mutex_unlock(&l->mutex);
}

void rangelock_remove(struct rangelock *l, struct range_req *r)
{
	pthread_mutex_lock(&l->mutex);
	if (r->prev)
		r->prev->next = r->next;
	else
		l->head = r->next;
	if (r->next)
		r->next->prev = r->prev;
	else
		l->tail = r->prev;
	r->prev = r->next = NULL;
	pthread_cond_broadcast(&l->cond);
	pthread_mutex_unlock(&l->mutex);
}

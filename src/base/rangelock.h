/*
 * A FIFO range lock over [first, last] ranges of uint64_t (block numbers), shared or
 * exclusive, built on one pthread mutex and condition variable. A request waits only for
 * the requests queued before it that overlap it (and either is exclusive), so requests are
 * granted in queue order per range and a thread may hold several requests queued together
 * without deadlock. Callers can queue requests and read or update their own state
 * atomically between rangelock_enter() and rangelock_leave() (the mutex is held there).
 */
#ifndef VEILFS_BASE_RANGELOCK_H
#define VEILFS_BASE_RANGELOCK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define RANGELOCK_TO_END UINT64_MAX

/* One queued request; lives on the caller's stack from rangelock_add() to _remove(). */
struct range_req {
	uint64_t first, last;
	bool exclusive;
	struct range_req *prev, *next; /* protected by rangelock.mutex */
};

struct rangelock {
	pthread_mutex_t mutex;
	pthread_cond_t cond;
	struct range_req *head, *tail; /* queue, oldest first; protected by mutex */
};

void rangelock_init(struct rangelock *l);
/* The queue must be empty. */
void rangelock_release(struct rangelock *l);

/* Take / drop the mutex around rangelock_add() and the caller's own state. */
void rangelock_enter(struct rangelock *l);
void rangelock_leave(struct rangelock *l);
/* Queue r for [first, last] (caller holds the mutex). */
void rangelock_add(struct rangelock *l, struct range_req *r, uint64_t first, uint64_t last,
		   bool exclusive);
/* Is an exclusive request queued (granted or waiting)? Caller holds the mutex. */
bool rangelock_has_exclusive(const struct rangelock *l);
/* Is r granted now (no earlier conflicting request)? Caller does not hold the mutex. */
bool rangelock_granted(struct rangelock *l, const struct range_req *r);
/* Block until r is granted (caller does not hold the mutex). */
void rangelock_wait(struct rangelock *l, struct range_req *r);
/* Dequeue r (granted or not) and wake the waiters (caller does not hold the mutex). */
void rangelock_remove(struct rangelock *l, struct range_req *r);

#endif

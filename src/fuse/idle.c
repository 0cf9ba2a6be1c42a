/*
 * --idle: unmount after a stretch without FUSE requests (frontend_options.idle_ms). The
 * request reader (killpriv.c's custom read) notes the time of each request; a thread
 * looks every half second and, once the mount has been idle that long, unmounts it through
 * the caller's frontend_options.idle_unmount (cli/ does it the way umount(8) would): not
 * lazily, so a mount with files still open (EBUSY) stays and is tried again after another
 * idle stretch. The session loop then ends as after any unmount.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include "base/clock.h"
#include "base/log.h"
#include "fuse/fuse_internal.h"

enum { IDLE_POLL_MS = 500 };

void idle_note_request(struct frontend *f)
{
	atomic_store_explicit(&f->last_request_ms, clock_mono_ms(), memory_order_relaxed);
}

static void *idle_main(void *arg)
{
	struct frontend *f = arg;
	bool told_busy = false;
	uint64_t last;
	int r;

	while (!atomic_load(&f->stopping)) {
		clock_sleep_ms(IDLE_POLL_MS);
		last = atomic_load_explicit(&f->last_request_ms, memory_order_relaxed);
		if (clock_mono_ms() - last < f->opts.idle_ms)
			continue;
		r = f->opts.idle_unmount(f->idle_mountpoint);
		if (r == 0) {
			log_info("idle for %llu s: unmounted '%s'",
				 (unsigned long long)(f->opts.idle_ms / 1000), f->idle_mountpoint);
			return NULL;
		}
		if (!told_busy)
			log_info("idle, but cannot unmount '%s' yet (%s): trying again after "
				 "another idle stretch",
				 f->idle_mountpoint, r == -EBUSY ? "files are open" : strerror(-r));
		told_busy = true;
		idle_note_request(f);
	}
	return NULL;
}

int idle_start(struct frontend *f, const char *mountpoint)
{
	if (!f->opts.idle_ms)
		return 0;
	if (!f->opts.idle_unmount)
		return -EINVAL;
	if (!(f->idle_mountpoint = strdup(mountpoint)))
		return -ENOMEM;
	idle_note_request(f);
	if (pthread_create(&f->idle_thread, NULL, idle_main, f) != 0)
		return -EAGAIN;
	f->idle_started = true;
	return 0;
}

void idle_stop(struct frontend *f)
{
	if (f->idle_started)
		pthread_join(f->idle_thread, NULL);
	f->idle_started = false;
}

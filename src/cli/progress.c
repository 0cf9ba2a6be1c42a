/*
 * The delayed progress note of progress.h: a timer thread waits on a condition variable
 * for the delay, then prints the note unless the step has ended. The note is a complete
 * line of its own ("...\n"), so later messages never share its line.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "cli/cli.h"
#include "cli/progress.h"

enum { PROGRESS_DELAY_MS = 1000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t done_cond = PTHREAD_COND_INITIALIZER;
static pthread_t timer;
static bool running; /* a timer thread exists; only the main thread changes this */
static bool done;    /* protected by lock: the step has ended */
static char note[160];

static long delay_ms(void)
{
	const char *env = getenv("VEILFS_PROGRESS_DELAY_MS");
	char *end = NULL;
	long v;

	if (!env || !*env)
		return PROGRESS_DELAY_MS;
	v = strtol(env, &end, 10);
	return *end || v < 0 || v > 600000 ? PROGRESS_DELAY_MS : v;
}

static void *timer_main(void *arg)
{
	struct timespec until;
	long ms = *(long *)arg;
	int r = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&lock);
	while (!done && r != ETIMEDOUT)
		r = pthread_cond_timedwait(&done_cond, &lock, &until);
	if (!done)
		fprintf(stderr, CLI_PROG ": %s\n", note);
	pthread_mutex_unlock(&lock);
	return NULL;
}

void progress_kdf_begin(const char *what, uint32_t memory_kib, uint32_t passes)
{
	static long ms;

	if (running)
		progress_end();
	if (memory_kib % 1024 == 0)
		snprintf(note, sizeof(note), "%s: Argon2id %u MiB, %u pass%s...", what,
			 (unsigned)(memory_kib / 1024), (unsigned)passes, passes == 1 ? "" : "es");
	else
		snprintf(note, sizeof(note), "%s: Argon2id %u KiB, %u pass%s...", what,
			 (unsigned)memory_kib, (unsigned)passes, passes == 1 ? "" : "es");
	ms = delay_ms();
	done = false;
	running = pthread_create(&timer, NULL, timer_main, &ms) == 0;
}

void progress_end(void)
{
	if (!running)
		return;
	pthread_mutex_lock(&lock);
	done = true;
	pthread_cond_signal(&done_cond);
	pthread_mutex_unlock(&lock);
	pthread_join(timer, NULL);
	running = false;
}

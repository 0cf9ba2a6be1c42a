/*
 * Monotonic milliseconds and signal-proof sleeps (clock.h).
 */
#include <errno.h>
#include <time.h>
#include "base/clock.h"

uint64_t clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t clock_boot_ms(void)
{
#ifdef CLOCK_BOOTTIME
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) == 0)
		return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
#endif
	return clock_mono_ms();
}

void clock_sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000u, .tv_nsec = (long)(us % 1000000u) * 1000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void clock_sleep_ms(unsigned ms)
{
	clock_sleep_us(ms * 1000u);
}

/*
 * Time for waits and timeouts: a monotonic clock in milliseconds (never jumps with the
 * wall clock, so leases and deadlines are immune to clock changes) and sleeps that resume
 * after signals.
 */
#ifndef VEILFS_BASE_CLOCK_H
#define VEILFS_BASE_CLOCK_H

#include <stdint.h>

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t clock_mono_ms(void);
/*
 * Milliseconds of a clock that also counts time the machine was suspended (Linux
 * CLOCK_BOOTTIME; CLOCK_MONOTONIC where there is none): for "how long did I hold this",
 * which another machine's clock may have measured across our suspend.
 */
uint64_t clock_boot_ms(void);
/* Sleep ms milliseconds (the whole time, across EINTR). */
void clock_sleep_ms(unsigned ms);
/* Sleep us microseconds (the whole time, across EINTR). */
void clock_sleep_us(unsigned us);

#endif

/*
 * probe_util.h: what the two-writer probes (appendlog, twoclient_block) share:
 * millisecond clock and sleep, and the SIGALRM handler that stops a run hung in
 * a FUSE request.  Header-only (each probe is one translation unit built by
 * tests/beds/lib.sh); include it after the system headers.
 */
#ifndef VEILFS_BEDS_PROBE_UTIL_H
#define VEILFS_BEDS_PROBE_UTIL_H

#include <signal.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* the two writer processes; on_alarm kills them */
static pid_t children[2];

/* SIGALRM: the run hung (typically in a FUSE request); report, stop the
 * writers and exit.  Async-signal-safe calls only. */
static void on_alarm(int sig)
{
	static const char msg[] = "result=FAIL timeout: the run did not finish in time "
				  "(hung mount?)\n";

	(void)sig;
	for (int w = 0; w < 2; w++)
		if (children[w] > 0)
			kill(children[w], SIGKILL);
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	_exit(3);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

#endif

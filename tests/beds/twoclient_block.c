/*
 * twoclient_block: the two-client same-block experiment.
 *
 * Two processes write the two halves of one 4096-byte block of one file
 * through two different mounts ("machines"): A writes bytes [0,2048) via
 * FILE_VIA_A, B writes [2048,4096) via FILE_VIA_B, each round doing
 * open/pwrite/close (optionally fsync before close).  Each half is filled
 * with 16-byte records naming its writer and the round number, so a read
 * tells which round of which writer a half holds.  At the end the file is
 * read through both mounts: each half must hold its writer's last round,
 * no read may fail (EIO = a block an encrypted layer could not
 * authenticate) and the two mounts must agree.  Exit 0 only then.
 *
 * Usage: twoclient_block [--fsync] [--wait-ms N] [--odirect-read] [--keep]
 *                        [--timeout S] FILE_VIA_A FILE_VIA_B ROUNDS
 *   --wait-ms N     re-read every 100 ms for up to N ms until the result
 *                   is clean (measures convergence); first and last
 *                   reading are both reported
 *   --odirect-read  read back with O_DIRECT (bypass the client page cache)
 *   --timeout S     kill the whole run (writers too) after S seconds
 *                   (default 300): a hung mount must not hang a test suite
 *   --keep          do not recreate the file first (default: A creates it
 *                   with 4096 zero bytes and B waits to see that size)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "probe_util.h"

enum {
	BLOCK_SIZE = 4096,
	HALF_SIZE = 2048,
	RECORD_SIZE = 16,
	MAX_ROUNDS = 1000000,
	POLL_MS = 100,
};

struct reading {
	int err;	/* errno of open/read, 0 if the read worked */
	ssize_t got;	/* bytes read */
	long round[2];	/* round found in half 0 (A) and half 1 (B); -1 zeros, -2 garbled */
	unsigned char data[BLOCK_SIZE];
};

static bool opt_fsync, opt_odirect, opt_keep;
static long opt_wait_ms;
static long opt_timeout = 300;	/* seconds; alarm() kills a run stuck in a hung mount */

static void fill_half(unsigned char *p, char who, long round)
{
	char rec[48];

	for (int i = 0; i < HALF_SIZE; i += RECORD_SIZE) {
		/* exactly 16 bytes: who, 8-digit round, ':', 5-digit index, '\n' */
		snprintf(rec, sizeof(rec), "%c%08ld:%05d\n", who, round % 100000000,
			 i / RECORD_SIZE);
		memcpy(p + i, rec, RECORD_SIZE);
	}
}

/* Which round of writer `who` does this half hold: -1 all zeros, -2 other. */
static long decode_half(const unsigned char *p, char who)
{
	unsigned char want[HALF_SIZE];
	long round;
	int i;

	for (i = 0; i < HALF_SIZE && p[i] == 0; i++)
		;
	if (i == HALF_SIZE)
		return -1;
	if (p[0] != (unsigned char)who || sscanf((const char *)p + 1, "%8ld", &round) != 1 ||
	    round < 0)
		return -2;
	fill_half(want, who, round);
	return memcmp(want, p, HALF_SIZE) == 0 ? round : -2;
}

/* Writer process: ROUNDS times open/pwrite/[fsync]/close one half. */
static int writer(const char *path, char who, off_t off, long rounds)
{
	unsigned char buf[HALF_SIZE];
	long errors = 0;
	int first_err = 0;

	for (long r = 0; r < rounds; r++) {
		int fd = open(path, O_WRONLY);
		int e = 0;

		fill_half(buf, who, r);
		if (fd < 0) {
			e = errno;
		} else {
			ssize_t n = pwrite(fd, buf, HALF_SIZE, off);

			if (n != HALF_SIZE)
				e = n < 0 ? errno : EIO;
			if (!e && opt_fsync && fsync(fd) != 0)
				e = errno;
			if (close(fd) != 0 && !e)
				e = errno;
		}
		if (e) {
			if (!errors)
				first_err = e;
			errors++;
		}
	}
	printf("writer %c: rounds=%ld write_errors=%ld%s%s\n", who, rounds, errors,
	       errors ? " first_error=" : "", errors ? strerror(first_err) : "");
	fflush(stdout);
	return errors > 255 ? 255 : (int)errors;
}

static void read_via(const char *path, struct reading *rd)
{
	unsigned char *buf = NULL;
	int flags = O_RDONLY | (opt_odirect ? O_DIRECT : 0);
	int fd;

	memset(rd, 0, sizeof(*rd));
	rd->round[0] = rd->round[1] = -2;
	if (posix_memalign((void **)&buf, BLOCK_SIZE, BLOCK_SIZE) != 0) {
		rd->err = ENOMEM;
		return;
	}
	memset(buf, 0, BLOCK_SIZE);
	fd = open(path, flags);
	if (fd < 0) {
		rd->err = errno;
		goto out;
	}
	rd->got = pread(fd, buf, BLOCK_SIZE, 0);
	if (rd->got < 0)
		rd->err = errno;
	close(fd);
	if (rd->err)
		goto out;
	memcpy(rd->data, buf, BLOCK_SIZE);
	rd->round[0] = decode_half(rd->data, 'A');
	rd->round[1] = decode_half(rd->data + HALF_SIZE, 'B');
out:
	free(buf);
}

static const char *round_str(long r, char *s, size_t n)
{
	if (r == -1)
		snprintf(s, n, "zeros");
	else if (r == -2)
		snprintf(s, n, "garbled");
	else
		snprintf(s, n, "%ld", r);
	return s;
}

static long lost(long seen, long rounds)
{
	return seen < 0 ? rounds : rounds - 1 - seen;
}

/* Print one reading; return its lost-round count and add errors to *errs. */
static long report(const char *label, const struct reading *rd, long rounds, long *errs)
{
	char a[32], b[32];

	if (rd->err) {
		printf("  via_%s: read_error=%s\n", label, strerror(rd->err));
		(*errs)++;
		return 0;
	}
	printf("  via_%s: bytes=%zd A_half=%s B_half=%s lost_A=%ld lost_B=%ld\n", label, rd->got,
	       round_str(rd->round[0], a, sizeof(a)), round_str(rd->round[1], b, sizeof(b)),
	       lost(rd->round[0], rounds), lost(rd->round[1], rounds));
	if (rd->got != BLOCK_SIZE)
		(*errs)++;
	return lost(rd->round[0], rounds) + lost(rd->round[1], rounds);
}

/* One reading through both mounts; returns true if clean. */
static bool check(const char *pa, const char *pb, long rounds, const char *when, long *lost_out,
		  long *errs_out, bool *agree_out)
{
	static struct reading ra, rb;
	long errs = 0, l = 0;
	bool agree;

	read_via(pa, &ra);
	read_via(pb, &rb);
	printf("reading %s%s:\n", when, opt_odirect ? " (O_DIRECT)" : "");
	l += report("A", &ra, rounds, &errs);
	l += report("B", &rb, rounds, &errs);
	agree = !ra.err && !rb.err && ra.got == rb.got && memcmp(ra.data, rb.data, BLOCK_SIZE) == 0;
	printf("  mounts_agree=%s\n", agree ? "yes" : "no");
	*lost_out = l;
	*errs_out = errs;
	*agree_out = agree;
	return l == 0 && errs == 0 && agree;
}

static int prepare(const char *pa, const char *pb)
{
	unsigned char zero[BLOCK_SIZE] = { 0 };
	struct stat st;
	int fd, e = 0;

	fd = open(pa, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		fprintf(stderr, "twoclient_block: cannot create '%s': %s\n", pa, strerror(errno));
		return -1;
	}
	if (pwrite(fd, zero, BLOCK_SIZE, 0) != BLOCK_SIZE)
		e = errno ? errno : EIO;
	if ((opt_fsync && fsync(fd) != 0) || close(fd) != 0)
		e = errno;
	if (e) {
		fprintf(stderr, "twoclient_block: cannot write '%s': %s\n", pa, strerror(e));
		return -1;
	}
	/* Wait (bounded, 30 s) until the other mount sees the full size. */
	for (int i = 0; i < 300; i++) {
		if (stat(pb, &st) == 0 && st.st_size == BLOCK_SIZE)
			return 0;
		sleep_ms(POLL_MS);
	}
	fprintf(stderr, "twoclient_block: '%s' never showed %d bytes\n", pb, BLOCK_SIZE);
	return -1;
}

static void usage(void)
{
	fprintf(stderr, "usage: twoclient_block [--fsync] [--wait-ms N] [--odirect-read] [--keep] [--timeout S] "
			"FILE_VIA_A FILE_VIA_B ROUNDS\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *pa, *pb;
	long rounds, lost_n = 0, errs = 0, werrs = 0, t0;
	bool agree = false, clean;
	static struct reading poll_a, poll_b;
	char when[64];
	pid_t pid[2];
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--fsync"))
			opt_fsync = true;
		else if (!strcmp(argv[i], "--odirect-read"))
			opt_odirect = true;
		else if (!strcmp(argv[i], "--keep"))
			opt_keep = true;
		else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc)
			opt_wait_ms = strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			opt_timeout = strtol(argv[++i], NULL, 10);
		else
			usage();
	}
	if (argc - i != 3 || opt_timeout < 1 || opt_timeout > 86400)
		usage();
	signal(SIGALRM, on_alarm);
	alarm((unsigned)opt_timeout);
	pa = argv[i];
	pb = argv[i + 1];
	rounds = strtol(argv[i + 2], NULL, 10);
	if (rounds < 1 || rounds > MAX_ROUNDS || opt_wait_ms < 0 || opt_wait_ms > 600000)
		usage();
	if (!opt_keep && prepare(pa, pb) != 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("twoclient_block: rounds=%ld fsync=%s A=%s B=%s\n", rounds, opt_fsync ? "yes" : "no",
	       pa, pb);
	fflush(stdout);
	for (int w = 0; w < 2; w++) {
		pid[w] = fork();
		if (pid[w] < 0) {
			perror("fork");
			return 2;
		}
		if (pid[w] == 0) {
			signal(SIGALRM, SIG_DFL);
			alarm((unsigned)opt_timeout);
			_exit(w == 0 ? writer(pa, 'A', 0, rounds) : writer(pb, 'B', HALF_SIZE, rounds));
		}
	}
	children[0] = pid[0];
	children[1] = pid[1];
	for (int w = 0; w < 2; w++) {
		int st;

		if (waitpid(pid[w], &st, 0) < 0 || !WIFEXITED(st))
			werrs++;
		else
			werrs += WEXITSTATUS(st);
	}
	t0 = now_ms();
	clean = check(pa, pb, rounds, "right after the writers", &lost_n, &errs, &agree);
	if (!clean && opt_wait_ms > 0) {
		long deadline = t0 + opt_wait_ms;

		while (!clean && now_ms() < deadline) {
			sleep_ms(POLL_MS);
			read_via(pa, &poll_a);
			read_via(pb, &poll_b);
			clean = !poll_a.err && !poll_b.err && poll_a.got == BLOCK_SIZE &&
				poll_b.got == BLOCK_SIZE && poll_a.round[0] == rounds - 1 &&
				poll_a.round[1] == rounds - 1 &&
				memcmp(poll_a.data, poll_b.data, BLOCK_SIZE) == 0;
		}
		snprintf(when, sizeof(when), "after %ld ms", now_ms() - t0);
		clean = check(pa, pb, rounds, when, &lost_n, &errs, &agree);
	}
	printf("result=%s lost_rounds=%ld read_errors=%ld write_errors=%ld mounts_agree=%s\n",
	       clean && werrs == 0 ? "PASS" : "FAIL", lost_n, errs, werrs, agree ? "yes" : "no");
	return clean && werrs == 0 ? 0 : 1;
}

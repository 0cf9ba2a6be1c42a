/*
 * appendlog: two clients append fixed-size numbered records to one file
 * through two mounts, then a checker verifies that every record is present
 * exactly once and intact.
 *
 * Usage:
 *   appendlog run   [--lock] [--fsync] [--wait-ms N] [--timeout S] FILE_VIA_A FILE_VIA_B COUNT
 *       truncate the file via A, fork writer 'A' (via A) and writer 'B'
 *       (via B), each appending COUNT records, then check via both mounts.
 *   appendlog write [--lock] [--fsync] FILE ID COUNT      one writer only (creates FILE)
 *   appendlog check FILE IDS COUNT                        e.g. IDS=AB
 * --timeout S (default 300) kills the run, writers too, after S seconds.
 * Each record is 64 bytes: "<id> seq=<8 digits> ...padding...\n".
 * Appends use O_APPEND; with --lock each append takes an F_OFD_SETLKW
 * write lock on the whole file, writes at the end and unlocks (the lock is
 * only meaningful where the share forwards locks to the server).
 * Exit 0 only if every record of every writer is present exactly once,
 * nothing else is in the file, and (run) both mounts read the same bytes.
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
	RECORD_SIZE = 64,
	MAX_COUNT = 100000,
	MAX_IDS = 8,
	POLL_MS = 100,
};

static bool opt_lock, opt_fsync;
static long opt_wait_ms;
static long opt_timeout = 300;	/* seconds; alarm() kills a run stuck in a hung mount */

static void make_record(char *rec, char id, long seq)
{
	char tmp[RECORD_SIZE + 32];
	int n = snprintf(tmp, sizeof(tmp), "%c seq=%08ld ", id, seq % 100000000);

	memset(tmp + n, '.', sizeof(tmp) - (size_t)n);
	tmp[RECORD_SIZE - 1] = '\n';
	memcpy(rec, tmp, RECORD_SIZE);
}

static int lock_whole(int fd, short type)
{
	struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0 };

	return fcntl(fd, F_OFD_SETLKW, &fl);
}

static int write_records(const char *path, char id, long count)
{
	char rec[RECORD_SIZE];
	long errors = 0;
	int first = 0;

	for (long s = 0; s < count; s++) {
		int e = 0, fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0644);

		make_record(rec, id, s);
		if (fd < 0) {
			e = errno;
		} else {
			if (opt_lock && lock_whole(fd, F_WRLCK) != 0)
				e = errno;
			if (!e) {
				ssize_t n = write(fd, rec, RECORD_SIZE);

				if (n != RECORD_SIZE)
					e = n < 0 ? errno : EIO;
			}
			if (!e && opt_fsync && fsync(fd) != 0)
				e = errno;
			if (opt_lock)
				lock_whole(fd, F_UNLCK);
			if (close(fd) != 0 && !e)
				e = errno;
		}
		if (e) {
			if (!errors)
				first = e;
			errors++;
		}
	}
	printf("writer %c: records=%ld errors=%ld%s%s\n", id, count, errors,
	       errors ? " first_error=" : "", errors ? strerror(first) : "");
	fflush(stdout);
	return errors ? 1 : 0;
}

static int read_all(const char *path, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int fd = open(path, O_RDONLY), e = 0;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) == 0 && st.st_size > 0)
		cap = (size_t)st.st_size;
	cap += 65536;
	buf = malloc(cap);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			char *nb = realloc(buf, cap * 2);

			if (!nb) {
				e = ENOMEM;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			e = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (e) {
		free(buf);
		return -e;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* Check one reading; print a summary line; return true if complete. */
static bool check_data(const char *label, const char *buf, size_t len, const char *ids, long count,
		       bool quiet)
{
	size_t nid = strlen(ids);
	unsigned char *seen = calloc(nid * (size_t)count, 1);
	long missing = 0, dup = 0, garbled = 0, records = 0;
	char want[RECORD_SIZE];
	size_t off;

	if (!seen)
		return false;
	for (off = 0; off + RECORD_SIZE <= len; off += RECORD_SIZE) {
		const char *r = buf + off, *p = strchr(ids, r[0]);
		long seq;

		records++;
		if (!r[0] || !p || sscanf(r + 1, " seq=%8ld", &seq) != 1 || seq < 0 ||
		    seq >= count) {
			garbled++;
			continue;
		}
		make_record(want, r[0], seq);
		if (memcmp(want, r, RECORD_SIZE) != 0) {
			garbled++;
			continue;
		}
		if (seen[(size_t)(p - ids) * (size_t)count + (size_t)seq]++)
			dup++;
	}
	if (off != len)
		garbled++; /* trailing partial record */
	for (size_t i = 0; i < nid * (size_t)count; i++)
		if (!seen[i])
			missing++;
	free(seen);
	if (!quiet)
		printf("  via_%s: bytes=%zu records=%ld expected=%ld missing=%ld duplicate=%ld "
		       "garbled=%ld\n",
		       label, len, records, (long)nid * count, missing, dup, garbled);
	return missing == 0 && dup == 0 && garbled == 0;
}

static bool check_path(const char *label, const char *path, const char *ids, long count,
		       char **data, size_t *len, bool quiet)
{
	int r = read_all(path, data, len);

	if (r < 0) {
		if (!quiet)
			printf("  via_%s: read_error=%s\n", label, strerror(-r));
		*data = NULL;
		*len = 0;
		return false;
	}
	return check_data(label, *data, *len, ids, count, quiet);
}

static int cmd_run(const char *pa, const char *pb, long count)
{
	char *da = NULL, *db = NULL;
	size_t la = 0, lb = 0;
	bool ok_a, ok_b, agree, writers_ok = true;
	pid_t pid[2];
	long t0, waited = 0;
	int fd = open(pa, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || close(fd) != 0) {
		fprintf(stderr, "appendlog: cannot create '%s': %s\n", pa, strerror(errno));
		return 2;
	}
	for (int i = 0; i < 300; i++) { /* bounded: 30 s for B to see the file */
		struct stat st;

		if (stat(pb, &st) == 0 && st.st_size == 0)
			break;
		sleep_ms(POLL_MS);
	}
	printf("appendlog: count=%ld lock=%s fsync=%s A=%s B=%s\n", count, opt_lock ? "yes" : "no",
	       opt_fsync ? "yes" : "no", pa, pb);
	fflush(stdout);
	for (int w = 0; w < 2; w++) {
		pid[w] = fork();
		if (pid[w] < 0)
			return 2;
		if (pid[w] == 0) {
			signal(SIGALRM, SIG_DFL);
			alarm((unsigned)opt_timeout);
			_exit(write_records(w ? pb : pa, w ? 'B' : 'A', count));
		}
	}
	children[0] = pid[0];
	children[1] = pid[1];
	for (int w = 0; w < 2; w++) {
		int st;

		if (waitpid(pid[w], &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			writers_ok = false;
	}
	t0 = now_ms();
	for (;;) { /* bounded by --wait-ms */
		ok_a = check_path("A", pa, "AB", count, &da, &la, true);
		ok_b = check_path("B", pb, "AB", count, &db, &lb, true);
		agree = da && db && la == lb && memcmp(da, db, la) == 0;
		waited = now_ms() - t0;
		if ((ok_a && ok_b && agree) || waited >= opt_wait_ms)
			break;
		free(da);
		free(db);
		da = db = NULL;
		sleep_ms(POLL_MS);
	}
	printf("reading after %ld ms:\n", waited);
	check_path("A", pa, "AB", count, &da, &la, false);
	check_path("B", pb, "AB", count, &db, &lb, false);
	printf("  mounts_agree=%s\n", agree ? "yes" : "no");
	free(da);
	free(db);
	printf("result=%s\n", ok_a && ok_b && agree && writers_ok ? "PASS" : "FAIL");
	return ok_a && ok_b && agree && writers_ok ? 0 : 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: appendlog run [--lock] [--fsync] [--wait-ms N] [--timeout S] FILE_A FILE_B COUNT\n"
			"       appendlog write [--lock] [--fsync] FILE ID COUNT\n"
			"       appendlog check FILE IDS COUNT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *cmd;
	long count;
	int i;

	if (argc < 2)
		usage();
	cmd = argv[1];
	for (i = 2; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		if (!strcmp(argv[i], "--lock"))
			opt_lock = true;
		else if (!strcmp(argv[i], "--fsync"))
			opt_fsync = true;
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
	count = strtol(argv[i + 2], NULL, 10);
	if (count < 1 || count > MAX_COUNT || opt_wait_ms < 0 || opt_wait_ms > 600000)
		usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "run"))
		return cmd_run(argv[i], argv[i + 1], count);
	if (!strcmp(cmd, "write")) {
		if (strlen(argv[i + 1]) != 1)
			usage();
		return write_records(argv[i], argv[i + 1][0], count);
	}
	if (!strcmp(cmd, "check")) {
		char *d = NULL;
		size_t l = 0;
		bool ok;

		if (!argv[i + 1][0] || strlen(argv[i + 1]) > MAX_IDS)
			usage();
		ok = check_path("file", argv[i], argv[i + 1], count, &d, &l, false);
		free(d);
		printf("result=%s\n", ok ? "PASS" : "FAIL");
		return ok ? 0 : 1;
	}
	usage();
	return 2;
}

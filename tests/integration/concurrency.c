/*
 * concurrency.c - several threads and processes writing one file at once.
 *
 *   concurrency [-X] [-w WRITERS] [-r ROUNDS] DIR
 *
 * Writers own interleaved slots (64 bytes, so several writers share every
 * 4096-byte block, or 100 bytes, so slots straddle block boundaries) and
 * rewrite them for several rounds; afterwards every slot must hold its
 * owner's last round (no lost update). Overlapping writers must leave
 * every byte equal to some writer's value (no torn garbage); readers
 * during writes must see only valid values; O_APPEND records from many
 * processes must all be present exactly once; concurrent extending
 * writes must not lose data or size. -X injects a fault into every test
 * (a skipped slot, a stray byte, a duplicate record) to prove the
 * checkers fail. Prints "N passed, N failed".
 */
#include "util.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { MAX_WRITERS = 32, NBLOCKS = 64, REC_HDR = 12 };

static bool g_inject;
static int g_writers = 4;
static int g_rounds = 8;

/* One concurrent writer: index, how it runs, and its private state. */
struct writer {
	int id;
	int fd; /* fd used by threads; processes open their own */
	const char *path;
	const struct job *job;
	int err;
	char reason[256];
};

struct job {
	size_t slot;	  /* slot size in bytes (disjoint tests) */
	size_t nslots;	  /* total slots */
	int nwriters;
	int (*fn)(struct writer *w);
};

static uint8_t slot_byte(int w, int round, size_t pos)
{
	return (uint8_t)(1 + (pos * 131 + (size_t)w * 59 + (size_t)round * 17) % 255);
}

static void shuffle(size_t *a, size_t n, uint64_t *rng)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(rng, i), t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

static int wfail(struct writer *w, const char *what)
{
	w->err = errno ? errno : EIO;
	snprintf(w->reason, sizeof(w->reason), "writer %d: %s: %s", w->id, what, errname(w->err));
	return -1;
}

/* Disjoint slots: slot s belongs to writer s % nwriters. */
static int disjoint_writer(struct writer *w)
{
	const struct job *j = w->job;
	size_t n = 0, *mine = malloc(j->nslots * sizeof(*mine));
	uint8_t buf[256];
	uint64_t rng = (uint64_t)w->id * 7919 + 1;

	if (!mine)
		return wfail(w, "malloc");
	for (size_t s = (size_t)w->id; s < j->nslots; s += (size_t)j->nwriters)
		mine[n++] = s;
	for (int r = 0; r < g_rounds; r++) {
		shuffle(mine, n, &rng);
		for (size_t i = 0; i < n; i++) {
			size_t off = mine[i] * j->slot;
			if (g_inject && w->id == 0 && r == g_rounds - 1 && i == 0)
				continue; /* -X: a lost update */
			for (size_t b = 0; b < j->slot; b++)
				buf[b] = slot_byte(w->id, r, off + b);
			if (pwrite(w->fd, buf, j->slot, (off_t)off) != (ssize_t)j->slot) {
				free(mine);
				return wfail(w, "pwrite");
			}
		}
	}
	free(mine);
	return 0;
}

static void *thread_main(void *arg)
{
	struct writer *w = arg;

	w->job->fn(w);
	return NULL;
}

/* Run a process writer: own open, result through the exit status. */
static void process_main(struct writer *w, int gate)
{
	char c;

	w->fd = open(w->path, O_RDWR);
	if (w->fd < 0)
		_exit(100);
	if (read(gate, &c, 1) < 0)
		_exit(101);
	if (w->job->fn(w) < 0) {
		fprintf(stderr, "concurrency: %s\n", w->reason);
		_exit(1);
	}
	close(w->fd);
	_exit(0);
}

/* In a child process: run nthr writer threads ws[0..nthr), then _exit. */
static void process_with_threads(struct writer *ws, int nthr, const char *path, int gate)
{
	pthread_t th[MAX_WRITERS];
	int myfd = open(path, O_RDWR);
	char c;

	if (myfd < 0 || read(gate, &c, 1) < 0)
		_exit(100);
	for (int t = 0; t < nthr; t++) {
		ws[t].fd = (t % 2) ? open(path, O_RDWR) : myfd; /* own open or shared fd */
		pthread_create(&th[t], NULL, thread_main, &ws[t]);
	}
	for (int t = 0; t < nthr; t++) {
		pthread_join(th[t], NULL);
		if (t % 2)
			close(ws[t].fd);
		if (ws[t].err) {
			fprintf(stderr, "concurrency: %s\n", ws[t].reason);
			_exit(1);
		}
	}
	_exit(0);
}

/* Threads of this process; odd ones use their own open file. */
static int run_local_threads(struct writer *ws, int n, const char *path)
{
	pthread_t th[MAX_WRITERS];

	for (int i = 0; i < n; i++) {
		if (i % 2)
			ws[i].fd = open(path, O_RDWR);
		pthread_create(&th[i], NULL, thread_main, &ws[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		if (i % 2)
			close(ws[i].fd);
	}
	for (int i = 0; i < n; i++)
		CHECK(!ws[i].err, "%s", ws[i].reason);
	return 0;
}

/* Start nproc processes, each with nthr threads (nproc 0: threads in this process only). */
static int run_writers(const struct job *j, const char *path, int nproc, int nthr)
{
	static struct writer ws[MAX_WRITERS];
	int gate[2], fd = open(path, O_RDWR), status, bad = 0, r = 0;
	pid_t pids[MAX_WRITERS];

	SYS(fd);
	SYS(pipe(gate));
	for (int i = 0; i < j->nwriters; i++)
		ws[i] = (struct writer){ .id = i, .fd = fd, .path = path, .job = j };
	for (int p = 0; p < nproc; p++) {
		pids[p] = fork();
		SYS(pids[p]);
		if (pids[p] == 0) {
			close(gate[1]);
			if (nthr <= 1)
				process_main(&ws[p], gate[0]);
			process_with_threads(&ws[p * nthr], nthr, path, gate[0]);
		}
	}
	close(gate[0]);
	close(gate[1]); /* releases all processes at once */
	if (nproc == 0)
		r = run_local_threads(ws, j->nwriters, path);
	for (int p = 0; p < nproc; p++)
		if (waitpid(pids[p], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			bad = p + 1;
	close(fd);
	CHECK(!bad, "writer process %d failed (see stderr)", bad - 1);
	return r;
}

/* Which round of writer w produced slot content got, or -1. */
static int slot_round(const uint8_t *got, int w, size_t off, size_t len)
{
	for (int r = g_rounds - 1; r >= 0; r--) {
		size_t b = 0;
		while (b < len && got[b] == slot_byte(w, r, off + b))
			b++;
		if (b == len)
			return r;
	}
	return -1;
}

static int verify_disjoint(const struct job *j, const char *path)
{
	size_t size = j->slot * j->nslots;
	uint8_t *got = malloc(size + 1);
	int fd = open(path, O_RDONLY), r = 0;

	CHECK(got, "malloc");
	SYS(fd);
	if (read_at(fd, got, size + 1, 0) != (ssize_t)size) {
		failf_at(__FILE__, __LINE__, "file size is not %zu", size);
		r = -1;
	}
	for (size_t s = 0; s < j->nslots && r == 0; s++) {
		int owner = (int)(s % (size_t)j->nwriters);
		int round = slot_round(got + s * j->slot, owner, s * j->slot, j->slot);
		if (round != g_rounds - 1) {
			char held[48] = "garbage (no round of its owner)";
			if (round >= 0)
				snprintf(held, sizeof(held), "round %d", round);
			failf_at(__FILE__, __LINE__,
				 "slot %zu (offset %zu, block %zu) of writer %d holds %s, expected "
				 "last round %d",
				 s, s * j->slot, s * j->slot / BLK, owner, held, g_rounds - 1);
			r = -1;
		}
	}
	close(fd);
	free(got);
	return r;
}

static int fresh_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);

	SYS(fd);
	close(fd);
	return 0;
}

static int disjoint_test(size_t slot, int nproc, int nthr)
{
	struct job j = { .slot = slot, .nwriters = g_writers, .fn = disjoint_writer };

	if (nproc && nthr > 1)
		j.nwriters = nproc * nthr;
	j.nslots = NBLOCKS * BLK / slot;
	j.nslots -= j.nslots % (size_t)j.nwriters;
	TRY(fresh_file("conc.dat"));
	TRY(run_writers(&j, "conc.dat", nproc, nthr));
	return verify_disjoint(&j, "conc.dat");
}

static int t_threads_64(void)
{
	return disjoint_test(64, 0, 1);
}

static int t_processes_64(void)
{
	return disjoint_test(64, g_writers, 1);
}

static int t_mixed_64(void)
{
	return disjoint_test(64, 2, 2);
}

static int t_threads_100(void)
{
	return disjoint_test(100, 0, 1);
}

static int t_processes_100(void)
{
	return disjoint_test(100, g_writers, 1);
}

/* Overlapping writers: every writer covers the whole region, then random ranges. */
enum { OVL_SIZE = 16 * BLK };

static uint8_t ovl_byte(int w, size_t pos)
{
	return slot_byte(w, 0, pos);
}

static int overlap_writer(struct writer *w)
{
	static __thread uint8_t buf[OVL_SIZE];
	uint64_t rng = (uint64_t)w->id * 104729 + 3;

	for (int i = 0; i < 40 * g_rounds; i++) {
		size_t off = i ? rng_below(&rng, OVL_SIZE) : 0;
		size_t len = i ? 1 + rng_below(&rng, OVL_SIZE - off) : OVL_SIZE;
		for (size_t b = 0; b < len; b++)
			buf[b] = ovl_byte(w->id, off + b);
		if (pwrite(w->fd, buf, len, (off_t)off) != (ssize_t)len)
			return wfail(w, "pwrite");
	}
	return 0;
}

static int verify_overlap(const char *path, int nwriters)
{
	static uint8_t got[OVL_SIZE + 1];
	int fd = open(path, O_RDONLY);

	SYS(fd);
	CHECK(read_at(fd, got, sizeof(got), 0) == OVL_SIZE, "file size is not %d", OVL_SIZE);
	close(fd);
	for (size_t i = 0; i < OVL_SIZE; i++) {
		int w = 0;
		while (w < nwriters && got[i] != ovl_byte(w, i))
			w++;
		CHECK(w < nwriters, "byte at offset %zu (block %zu) is 0x%02x, no writer's value", i,
		      i / BLK, got[i]);
	}
	return 0;
}

/* -X: overwrite one byte with a value no writer writes there. */
static int inject_byte(const char *path, off_t at, uint8_t value)
{
	int fd = open(path, O_WRONLY);

	SYS(fd);
	CHECK(pwrite(fd, &value, 1, at) == 1, "inject: pwrite: %s", errname(errno));
	close(fd);
	return 0;
}

static int t_overlap_mixed(void)
{
	struct job j = { .nwriters = 4, .fn = overlap_writer };

	TRY(fresh_file("ovl.dat"));
	TRY(run_writers(&j, "ovl.dat", 2, 2));
	if (g_inject)
		TRY(inject_byte("ovl.dat", 12345, 0));
	return verify_overlap("ovl.dat", 4);
}

/* Readers during disjoint writes may only see 0 or a valid round of the owner. */
static volatile int g_stop_readers;

/* Read [off, off+len) and check each byte; returns a malloc'd reason or NULL. */
static char *reader_check(const struct job *j, size_t off, size_t len)
{
	static __thread uint8_t buf[NBLOCKS * BLK];
	int fd = open("conc.dat", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : pread(fd, buf, len, (off_t)off);
	char *bad = NULL;

	if (n < 0 && asprintf(&bad, "read at %zu: %s", off, errname(errno)) < 0)
		bad = NULL;
	for (ssize_t i = 0; i < n && !bad; i++) {
		size_t pos = off + (size_t)i;
		int owner = (int)(pos / j->slot % (size_t)j->nwriters), r = g_rounds - 1;
		while (r >= 0 && buf[i] != slot_byte(owner, r, pos))
			r--;
		if (buf[i] && r < 0 && asprintf(&bad, "reader saw 0x%02x at %zu", buf[i], pos) < 0)
			bad = NULL;
	}
	if (fd >= 0)
		close(fd);
	return bad;
}

static void *reader_main(void *arg)
{
	const struct job *j = arg;
	uint64_t rng = (uint64_t)pthread_self();
	char *bad = NULL;

	while (!g_stop_readers && !bad)
		bad = reader_check(j, rng_below(&rng, j->nslots * j->slot - 2 * BLK), 2 * BLK);
	return bad;
}

static int t_readers_during_writes(void)
{
	struct job j = { .slot = 64, .nwriters = g_writers, .fn = disjoint_writer };
	pthread_t rd[2];
	void *res[2];
	int r;

	j.nslots = NBLOCKS * BLK / j.slot;
	TRY(fresh_file("conc.dat"));
	g_stop_readers = 0;
	for (int i = 0; i < 2; i++)
		pthread_create(&rd[i], NULL, reader_main, &j);
	r = run_writers(&j, "conc.dat", g_writers, 1);
	g_stop_readers = 1;
	for (int i = 0; i < 2; i++)
		pthread_join(rd[i], &res[i]);
	for (int i = 0; i < 2; i++)
		if (res[i] && r == 0) {
			failf_at(__FILE__, __LINE__, "%s", (char *)res[i]);
			r = -1;
		}
	free(res[0]);
	free(res[1]);
	if (r == 0 && g_inject) { /* -X: garbage that a final full read must flag */
		char *bad;
		uint8_t v = 1;
		int owner = (int)(4000 / j.slot % (size_t)j.nwriters);
		for (int rr = 0; rr < g_rounds; rr++)
			for (int k = 0; k < g_rounds; k++)
				v += v == slot_byte(owner, k, 4000);
		TRY(inject_byte("conc.dat", 4000, v));
		bad = reader_check(&j, 0, j.nslots * j.slot);
		if (bad) {
			failf_at(__FILE__, __LINE__, "%s", bad);
			free(bad);
			return -1;
		}
	}
	return r < 0 ? r : verify_disjoint(&j, "conc.dat");
}

/* O_APPEND records: "R" + writer(2 hex) + seq(5) + len(4), body, '\n'. */
enum { APP_RECS = 300 };

static size_t rec_len(int w, int seq)
{
	return 16 + (size_t)((w * 31 + seq * 17) % 285);
}

static char rec_body(int w, int seq, size_t i)
{
	return (char)('a' + (w * 7 + seq + (int)i) % 26);
}

static int append_writer(struct writer *w)
{
	char rec[320];
	int fd = open(w->path, O_WRONLY | O_APPEND);

	if (fd < 0)
		return wfail(w, "open O_APPEND");
	for (int seq = 0; seq < APP_RECS; seq++) {
		size_t len = rec_len(w->id, seq);
		snprintf(rec, sizeof(rec), "R%02x%05d%04zu", w->id, seq, len);
		for (size_t i = REC_HDR; i < len - 1; i++)
			rec[i] = rec_body(w->id, seq, i);
		rec[len - 1] = '\n';
		int times = (g_inject && w->id == 1 && seq == 5) ? 2 : 1; /* -X: duplicate */
		while (times--)
			if (write(fd, rec, len) != (ssize_t)len) {
				close(fd);
				return wfail(w, "append write");
			}
	}
	close(fd);
	return 0;
}

static int parse_record(const char *p, size_t avail, int *w, int *seq, size_t *len)
{
	char hdr[REC_HDR + 1];

	if (avail < REC_HDR || p[0] != 'R')
		return -1;
	memcpy(hdr, p, REC_HDR);
	hdr[REC_HDR] = 0;
	if (sscanf(hdr, "R%2x%5d%4zu", (unsigned *)w, seq, len) != 3 || *w < 0 ||
	    *w >= MAX_WRITERS || *seq < 0 || *seq >= APP_RECS || *len != rec_len(*w, *seq) ||
	    *len > avail || p[*len - 1] != '\n')
		return -1;
	for (size_t i = REC_HDR; i < *len - 1; i++)
		if (p[i] != rec_body(*w, *seq, i))
			return -1;
	return 0;
}

static int verify_append(const char *path, int nwriters)
{
	static unsigned char seen[MAX_WRITERS][APP_RECS];
	struct stat st;
	char *data;
	size_t off = 0;
	int fd = open(path, O_RDONLY);

	SYS(fd);
	SYS(fstat(fd, &st));
	data = malloc((size_t)st.st_size + 1);
	CHECK(data, "malloc");
	CHECK(read_at(fd, data, (size_t)st.st_size, 0) == st.st_size, "short read");
	close(fd);
	memset(seen, 0, sizeof(seen));
	while (off < (size_t)st.st_size) {
		int w, seq;
		size_t len;
		if (parse_record(data + off, (size_t)st.st_size - off, &w, &seq, &len) < 0) {
			free(data);
			FAIL("garbage or torn record at offset %zu", off);
		}
		if (seen[w][seq]++) {
			free(data);
			FAIL("record writer %d seq %d present twice (second at %zu)", w, seq, off);
		}
		off += len;
	}
	free(data);
	for (int w = 0; w < nwriters; w++)
		for (int s = 0; s < APP_RECS; s++)
			CHECK(seen[w][s] == 1, "record writer %d seq %d missing", w, s);
	return 0;
}

static int t_append_processes(void)
{
	struct job j = { .nwriters = 6, .fn = append_writer };

	TRY(fresh_file("app.dat"));
	TRY(run_writers(&j, "app.dat", 3, 2));
	return verify_append("app.dat", 6);
}

/* Extending writers: chunk k*W+w of 3000 bytes, each past the current EOF. */
enum { EXT_CHUNK = 3000, EXT_PER_WRITER = 200 };

static int extend_writer(struct writer *w)
{
	uint8_t buf[EXT_CHUNK];

	for (int k = 0; k < EXT_PER_WRITER; k++) {
		size_t idx = (size_t)k * (size_t)w->job->nwriters + (size_t)w->id;
		if (g_inject && idx == 7)
			continue;
		for (size_t b = 0; b < EXT_CHUNK; b++)
			buf[b] = slot_byte(w->id, 0, idx * EXT_CHUNK + b);
		if (pwrite(w->fd, buf, EXT_CHUNK, (off_t)(idx * EXT_CHUNK)) != EXT_CHUNK)
			return wfail(w, "pwrite");
	}
	return 0;
}

static int t_extend_concurrently(void)
{
	struct job j = { .nwriters = 4, .fn = extend_writer, .slot = EXT_CHUNK };
	int r;

	j.nslots = (size_t)EXT_PER_WRITER * 4;
	TRY(fresh_file("ext.dat"));
	TRY(run_writers(&j, "ext.dat", 2, 2));
	r = g_rounds;
	g_rounds = 1; /* every chunk written once, as "round 0" */
	int v = verify_disjoint(&j, "ext.dat");
	g_rounds = r;
	return v;
}

struct ctest {
	const char *name;
	int (*fn)(void);
};

static const struct ctest tests[] = {
	{ "threads_disjoint_64B_slots", t_threads_64 },
	{ "processes_disjoint_64B_slots", t_processes_64 },
	{ "threads_in_processes_disjoint_64B_slots", t_mixed_64 },
	{ "threads_disjoint_100B_slots_straddling_blocks", t_threads_100 },
	{ "processes_disjoint_100B_slots_straddling_blocks", t_processes_100 },
	{ "overlapping_ranges_no_torn_garbage", t_overlap_mixed },
	{ "readers_during_writes_see_valid_bytes", t_readers_during_writes },
	{ "append_records_exactly_once", t_append_processes },
	{ "extending_writes_keep_all_data", t_extend_concurrently },
};

static void usage(void)
{
	fprintf(stderr, "usage: concurrency [-X] [-w WRITERS] [-r ROUNDS] DIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int opt, pass = 0, fail = 0, root;

	while ((opt = getopt(argc, argv, "Xw:r:")) != -1) {
		if (opt == 'X')
			g_inject = true;
		else if (opt == 'w')
			g_writers = atoi(optarg);
		else if (opt == 'r')
			g_rounds = atoi(optarg);
		else
			usage();
	}
	if (optind != argc - 1 || g_writers < 2 || g_writers > 8 || g_rounds < 1)
		usage();
	root = open(argv[optind], O_RDONLY | O_DIRECTORY);
	if (root < 0 || fchdir(root) < 0) {
		fprintf(stderr, "concurrency: cannot enter '%s': %s\n", argv[optind], strerror(errno));
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		char sub[32];
		snprintf(sub, sizeof(sub), "conc%02zu", i + 1);
		g_reason[0] = 0;
		int r = (rm_rf_at(root, sub) == 0 && mkdirat(root, sub, 0755) == 0 &&
			 chdir(sub) == 0) ? tests[i].fn() : -1;
		if (fchdir(root) < 0)
			r = -1;
		if (r == 0 && rm_rf_at(root, sub) < 0)
			r = -1;
		if (r == 0)
			printf("ok %zu - %s\n", i + 1, tests[i].name), pass++;
		else
			printf("not ok %zu - %s: %s\n", i + 1, tests[i].name, g_reason), fail++;
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}

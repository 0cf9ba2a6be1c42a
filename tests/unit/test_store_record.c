/*
 * Unit tests for store/store_record.c: which calls are reported, in which order and with
 * which lengths; torn writes put exactly their prefix on the inner store and the whole
 * write after; failed calls are not reported; the inner store ends as without recording.
 */
#include <stdio.h>
#include <string.h>
#include "store/store.h"
#include "store/store_mem.h"
#include "store/store_record.h"
#include "test.h"

enum { REC_MAX = 32 };

struct rec_log {
	struct store *mem;
	int rootfd;
	int n;
	struct store_record_event e[REC_MAX];
	uint64_t size_at[REC_MAX]; /* size of "f" on the inner store at each event */
};

static void on_event(void *arg, const struct store_record_event *e)
{
	struct rec_log *l = arg;
	struct stat st;

	if (l->n == REC_MAX)
		return;
	l->size_at[l->n] = store_fstatat(l->mem, l->rootfd, "f", &st, STORE_AT_NOFOLLOW) == 0
				   ? (uint64_t)st.st_size
				   : UINT64_MAX;
	l->e[l->n++] = *e;
}

/*
 * Each row: pwrite of len bytes at off on an empty file; the torn lengths expected (cut
 * only at 512-byte sector boundaries of the file: a write within one sector is not torn).
 */
static const struct {
	uint64_t off;
	size_t len;
	size_t torn[2];
	int ntorn;
} write_rows[] = {
	{ 0, 1, { 0, 0 }, 0 },
	{ 0, 2, { 0, 0 }, 0 },
	{ 0, 512, { 0, 0 }, 0 },
	{ 0, 1000, { 512, 0 }, 1 },
	{ 0, 1024, { 512, 0 }, 1 },
	{ 0, 4124, { 2048, 4096 }, 2 },
	{ 20, 148, { 0, 0 }, 0 },	      /* a header and a small first block */
	{ 20, 4124, { 2028, 4076 }, 2 },      /* block 0 after the header */
	{ 4144, 4124, { 2000, 4048 }, 2 },    /* block 1 */
	{ 500, 100, { 12, 0 }, 1 },	      /* across one boundary */
};

TEST(store_record_torn_writes)
{
	static uint8_t data[8192], back[8192];

	for (size_t i = 0; i < sizeof(write_rows) / sizeof(write_rows[0]); i++) {
		struct rec_log log = { 0 };
		struct store *mem, *rec;
		size_t len = write_rows[i].len;
		int rootfd, fd, k;

		for (size_t j = 0; j < len; j++)
			data[j] = (uint8_t)(j * 13 + i);
		if (!EXPECT(store_mem_new(0, &mem, &rootfd) == 0))
			return;
		log.mem = mem;
		log.rootfd = rootfd;
		EXPECT(store_record_new(mem, on_event, &log, &rec) == 0);
		fd = store_openat(rec, rootfd, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
		EXPECT(fd >= 0);
		EXPECT(store_pwrite(rec, fd, data, len, write_rows[i].off) == (ssize_t)len);
		EXPECTF(log.n == 2 + write_rows[i].ntorn, "row %zu: %d events", i, log.n);
		EXPECT(log.e[0].op == STORE_RECORD_CREATE && log.e[0].ino != 0);
		for (k = 0; k < write_rows[i].ntorn && k + 1 < log.n; k++) {
			EXPECTF(log.e[k + 1].op == STORE_RECORD_TORN &&
					log.e[k + 1].len == write_rows[i].torn[k] &&
					log.size_at[k + 1] == write_rows[i].off + write_rows[i].torn[k],
				"row %zu cut %d", i, k);
		}
		k = log.n - 1;
		EXPECTF(log.e[k].op == STORE_RECORD_PWRITE && log.e[k].len == len &&
				log.size_at[k] == write_rows[i].off + len && log.e[k].index == (unsigned)k,
			"row %zu", i);
		EXPECT(store_pread_full(rec, fd, back, len, write_rows[i].off) == (ssize_t)len);
		EXPECTF(memcmp(back, data, len) == 0, "row %zu", i);
		EXPECT(store_close(rec, fd) == 0);
		EXPECT(store_close(rec, rootfd) == 0);
		store_free(rec);
	}
}

TEST(store_record_reports_changes_only)
{
	static const enum store_record_op want[] = {
		STORE_RECORD_MKDIRAT,	STORE_RECORD_CREATE,   STORE_RECORD_FTRUNCATE,
		STORE_RECORD_FSYNC,	STORE_RECORD_RENAMEAT, STORE_RECORD_SYMLINKAT,
		STORE_RECORD_FSETXATTR, STORE_RECORD_UNLINKAT,
	};
	struct rec_log log = { 0 };
	struct store *mem, *rec;
	struct stat st;
	char b[16];
	int rootfd, fd;

	if (!EXPECT(store_mem_new(0, &mem, &rootfd) == 0))
		return;
	log.mem = mem;
	log.rootfd = rootfd;
	EXPECT(store_record_new(mem, on_event, &log, &rec) == 0);
	EXPECT(store_mkdirat(rec, rootfd, "d", 0755) == 0);
	EXPECT(store_mkdirat(rec, rootfd, "d", 0755) == -EEXIST); /* failed: not reported */
	fd = store_openat(rec, rootfd, "g", STORE_RDWR | STORE_CREAT, 0600);
	EXPECT(fd >= 0);
	EXPECT(store_ftruncate(rec, fd, 100) == 0);
	EXPECT(store_pread(rec, fd, b, sizeof(b), 0) == (ssize_t)sizeof(b)); /* reads: not */
	EXPECT(store_fstat(rec, fd, &st) == 0);
	EXPECT(store_fsync(rec, fd, false) == 0);
	EXPECT(store_renameat(rec, rootfd, "g", rootfd, "h", 0) == 0);
	EXPECT(store_symlinkat(rec, "target", rootfd, "l") == 0);
	EXPECT(store_fsetxattr(rec, fd, "user.x", "v", 1, 0) == 0);
	EXPECT(store_close(rec, fd) == 0);
	EXPECT(store_unlinkat(rec, rootfd, "h", 0) == 0);
	EXPECT_EQ(log.n, (int)(sizeof(want) / sizeof(want[0])));
	for (int i = 0; i < log.n && i < (int)(sizeof(want) / sizeof(want[0])); i++)
		EXPECTF(log.e[i].op == want[i] && log.e[i].index == (unsigned)i, "event %d: %s", i,
			store_record_op_name(log.e[i].op));
	EXPECT(log.e[2].off == 100 && log.e[3].ino == (uint64_t)st.st_ino);
	EXPECT(strcmp(store_record_op_name(STORE_RECORD_TORN), "torn") == 0);
	EXPECT(store_close(rec, rootfd) == 0);
	store_free(rec);
}

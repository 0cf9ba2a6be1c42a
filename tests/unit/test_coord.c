/*
 * Unit tests of coord/: the mount registry's line parser (table-driven), registrations
 * through a real store (stale by pid, refused conflicts, read-only check-only joins),
 * fresh lower I/O on a local file (direct reads of unaligned ranges, sizes that the
 * contents confirm), and a file's block and header locks as byte ranges (filelock.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "coord/coord.h"
#include "coord/filelock.h"
#include "format/block.h"
#include "format/header.h"
#include "coord/registry.h"
#include "store/store.h"
#include "helpers.h"
#include "test.h"

static const struct {
	const char *line;
	int want; /* 0 or -EPROTO */
} parse_cases[] = {
	/* 0 */ { "veilfs-mount v1 host=h boot=b pid=1 mode=off started=1 beat=2 seq=3 mnt=/m\n", 0 },
	/* 1 */ { "veilfs-mount v1 host=h boot=- pid=1 mode=locks started=1 beat=2 seq=3 mnt=%2Fa%20b\n", 0 },
	/* 2 */ { "veilfs-mount v1 host=h pid=1 mode=off beat=2 seq=3 future=x\n", 0 },
	/* 3 */ { "veilfs-mount v2 host=h pid=1 mode=off beat=2 seq=3\n", -EPROTO },
	/* 4 */ { "veilfs-mount v1 pid=1 mode=off beat=2 seq=3\n", -EPROTO },
	/* 5 */ { "veilfs-mount v1 host=h pid=x mode=off beat=2 seq=3\n", -EPROTO },
	/* 6 */ { "veilfs-mount v1 host=h pid=1 mode=off beat=2 seq=3 mnt=%4\n", -EPROTO },
	/* 7 */ { "veilfs-mount v1 host=h pid=1 mode=off beat=2 seq=3 junk\n", -EPROTO },
	/* 8 */ { "", -EPROTO },
	/* 9 */ { "veilfs-mount v1 host=h pid=1 mode=off beat=2 seq=99999999999999999999\n", -EPROTO },
};

TEST(registry_parse_table)
{
	struct registry_entry e;
	size_t i;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		int r = registry_parse(parse_cases[i].line, strlen(parse_cases[i].line), &e);

		EXPECTF(r == parse_cases[i].want, "case %zu: %d", i, r);
	}
	EXPECT(registry_parse(parse_cases[1].line, strlen(parse_cases[1].line), &e) == 0);
	EXPECT(!strcmp(e.mnt, "/a b") && e.boot[0] == '\0' && !strcmp(e.mode, "locks"));
	EXPECT(e.pid == 1 && e.beat == 2 && e.seq == 3);
}

static bool dead_pid(long pid)
{
	(void)pid;
	return false;
}

static bool live_pid(long pid)
{
	(void)pid;
	return true;
}

static int count_registrations(const char *d)
{
	struct dirent *e;
	DIR *dir = opendir(d);
	int n = 0;

	if (!dir)
		return -1;
	while ((e = readdir(dir)))
		n += !strncmp(e->d_name, "veilfs.mount.", 13);
	closedir(dir);
	return n;
}

/* Vectors from sha256sum(1) of the same bytes (printf '%s'). */
static const struct {
	const char *canon, *hex;
} digest_cases[] = {
	/* 0 */ { "/", "8a5edab282632443219e051e4ade2d1d5bbc671c781051bf1437897cbdfea0f1" },
	/* 1 */ { "/mnt/a b", "2713cd21872bcfea8240faf45c11502aa73ecd82c2e5983af5c434ceb9644011" },
};

TEST(registry_mountpoint_digest_vectors)
{
	char hex[REGISTRY_DIGEST_HEX_LEN + 1];

	for (size_t i = 0; i < sizeof(digest_cases) / sizeof(digest_cases[0]); i++) {
		EXPECTF(registry_mountpoint_digest(digest_cases[i].canon, hex) == 0, "case %zu", i);
		EXPECTF(strcmp(hex, digest_cases[i].hex) == 0, "case %zu: %s", i, hex);
	}
}

TEST(registry_join_conflicts_and_stale)
{
	struct registry_platform live = { "h", "boot1", live_pid }, dead = { "h", "boot1", dead_pid };
	struct registry a, b, ro;
	struct registry_entry other;
	struct store *s = NULL;
	struct coord ca, cb;
	int rootfd = -1;
	char *d = test_temp_dir("coord");

	EXPECT(d != NULL);
	if (!d)
		return;
	EXPECT(store_posix_new(d, &s, &rootfd) == 0);
	EXPECT(coord_init(&ca, s, rootfd, COORD_LOCKS, COORD_FRESH_NONE, 0) == 0);
	EXPECT(coord_init(&cb, s, rootfd, COORD_LOCKS, COORD_FRESH_NONE, 0) == 0);
	EXPECT(registry_join(&a, &ca, &live, "locks", "/m1", true, &other) == 0);
	EXPECT_EQ(count_registrations(d), 1);
	/* the same mode beside it: fine; another mode or off: refused, nothing left */
	EXPECT(registry_join(&b, &cb, &live, "lockfiles", "/m2", true, &other) == -EBUSY);
	EXPECT(!strcmp(other.mode, "locks") && !strcmp(other.mnt, "/m1"));
	EXPECT(registry_join(&b, &cb, &live, "off", "/m2", true, &other) == -EBUSY);
	EXPECT_EQ(count_registrations(d), 1);
	/* a read-only check-only join is refused the same way and writes nothing */
	EXPECT(registry_join(&ro, &cb, &live, "off", "/m3", false, &other) == -EBUSY);
	EXPECT(registry_join(&b, &cb, &live, "locks", "/m2", true, &other) == 0);
	EXPECT_EQ(count_registrations(d), 2);
	registry_leave(&b);
	/* a's pid is dead for this platform: stale, removed by the next join */
	EXPECT(registry_join(&b, &cb, &dead, "off", "/m2", true, &other) == 0);
	EXPECT_EQ(count_registrations(d), 1);
	registry_leave(&b);
	EXPECT_EQ(count_registrations(d), 0);
	registry_leave(&a); /* its registration is already gone: no error */
	EXPECT(store_close(s, rootfd) == 0);
	store_free(s);
	test_rm_tree(d);
	free(d);
}

TEST(coord_fresh_reads_unaligned_ranges_and_sizes)
{
	struct store *s = NULL;
	struct coord c;
	int rootfd = -1, fd, pfd, dfd;
	uint8_t data[20000], got[20000];
	uint64_t size = 0;
	size_t i;
	ssize_t n;
	char *d = test_temp_dir("coord");

	EXPECT(d != NULL);
	if (!d)
		return;
	for (i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);
	EXPECT(store_posix_new(d, &s, &rootfd) == 0);
	EXPECT(coord_init(&c, s, rootfd, COORD_LOCKS, COORD_FRESH_ALL, 0) == 0);
	fd = store_openat(s, rootfd, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	EXPECT(fd >= 0);
	EXPECT(store_pwrite_full(s, fd, data, 10001, 0) == 0);
	pfd = store_openat(s, rootfd, "f", STORE_PATH | STORE_NOFOLLOW, 0);
	EXPECT(pfd >= 0);
	dfd = coord_direct_open(&c, pfd);
	/* tmpfs without O_DIRECT gives an error: the reads then go through fd */
	EXPECT(coord_fresh_size(&c, fd, dfd >= 0 ? dfd : -1, &size) == 0);
	EXPECT_EQ(size, 10001);
	n = coord_fresh_pread(&c, fd, dfd, got, 5000, 4097);
	EXPECT_EQ(n, 5000);
	EXPECT_MEM(got, data + 4097, 5000);
	n = coord_fresh_pread(&c, fd, dfd, got, 9000, 9000); /* across the end */
	EXPECT_EQ(n, 1001);
	EXPECT_MEM(got, data + 9000, 1001);
	EXPECT(store_pwrite_full(s, fd, data, 20000, 0) == 0); /* it grows */
	EXPECT(coord_fresh_publish(&c, fd) == 0);
	EXPECT(coord_fresh_size(&c, fd, dfd, &size) == 0);
	EXPECT_EQ(size, 20000);
	EXPECT(store_ftruncate(s, fd, 0) == 0); /* and shrinks to nothing */
	EXPECT(coord_fresh_size(&c, fd, dfd, &size) == 0);
	EXPECT_EQ(size, 0);
	if (dfd >= 0)
		EXPECT(store_close(s, dfd) == 0);
	EXPECT(store_close(s, pfd) == 0);
	EXPECT(store_close(s, fd) == 0);
	EXPECT(store_close(s, rootfd) == 0);
	store_free(s);
	test_rm_tree(d);
	free(d);
}

static const char *filelock_test_path(void *arg)
{
	return arg;
}

/* Free for another open file description: [off, off + len) can be locked without waiting. */
static bool range_free(struct store *s, int fd, uint64_t off, uint64_t len)
{
	int r = store_lock(s, fd, off, len, true, false);

	if (r == 0)
		(void)store_unlock(s, fd, off, len);
	return r == 0;
}

TEST(filelock_maps_blocks_and_header_onto_byte_ranges)
{
	struct store *s = NULL;
	struct coord c;
	struct coord_file cf;
	struct block_geom g;
	struct filelock l;
	int rootfd = -1, fd, fd2;
	char path[] = "f";
	char *d = test_temp_dir("filelock");

	EXPECT(d != NULL);
	if (!d)
		return;
	block_geom_init(&g, BLOCK_PLAIN_SIZE, 12);
	coord_file_init(&cf);
	EXPECT(store_posix_new(d, &s, &rootfd) == 0);
	EXPECT(coord_init(&c, s, rootfd, COORD_LOCKS, COORD_FRESH_NONE, 0) == 0);
	fd = store_openat(s, rootfd, "f", STORE_RDWR | STORE_CREAT | STORE_EXCL, 0600);
	fd2 = store_openat(s, rootfd, "f", STORE_RDWR, 0);
	EXPECT(fd >= 0 && fd2 >= 0);
	l = (struct filelock){ .coord = &c, .geom = &g, .cf = &cf, .fd = fd,
			       .path = filelock_test_path, .arg = path };
	EXPECT(filelock_blocks(&l, 1, 2, true) == 0);
	EXPECT(range_free(s, fd2, 0, FILE_HEADER_LEN));
	EXPECT(range_free(s, fd2, block_cipher_offset(&g, 0), g.cipher_size));
	EXPECT(!range_free(s, fd2, block_cipher_offset(&g, 1), 1));
	EXPECT(!range_free(s, fd2, block_cipher_offset(&g, 3) - 1, 1));
	EXPECT(range_free(s, fd2, block_cipher_offset(&g, 3), g.cipher_size));
	EXPECT(filelock_header(&l) == 0);
	EXPECT(!range_free(s, fd2, FILE_HEADER_LEN - 1, 1));
	filelock_unlock_header(&l);
	filelock_unlock_blocks(&l, 1, 2);
	EXPECT(range_free(s, fd2, 0, 0));
	EXPECT(filelock_blocks(&l, 2, FILELOCK_TO_END, false) == 0); /* to the end and beyond */
	EXPECT(range_free(s, fd2, 0, block_cipher_offset(&g, 2)));
	EXPECT(!range_free(s, fd2, block_cipher_offset(&g, 1000), 1));
	filelock_unlock_blocks(&l, 2, FILELOCK_TO_END);
	EXPECT(range_free(s, fd2, 0, 0));
	c.mode = COORD_OFF; /* single client: the hooks take nothing */
	EXPECT(filelock_blocks(&l, 0, 0, true) == 0);
	EXPECT(range_free(s, fd2, 0, 0));
	EXPECT(store_close(s, fd2) == 0);
	EXPECT(store_close(s, fd) == 0);
	EXPECT(store_close(s, rootfd) == 0);
	coord_file_release(&cf);
	store_free(s);
	test_rm_tree(d);
	free(d);
}

/* The content of d/name into out (NUL-terminated), or "" when there is no such file. */
static void lockfile_content(const char *d, const char *name, char *out, size_t size)
{
	char path[1024];
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	if ((f = fopen(path, "r"))) {
		n = fread(out, 1, size - 1, f);
		fclose(f);
	}
	out[n] = '\0';
}

/*
 * Release unlinks a lock file without reading it back only within half a lease of taking
 * it. Client A holds past the lease, so client B breaks A's lock and takes its own under
 * the same name: A's release must then leave B's lock file in place (an unconditional
 * fast release would remove it, and a third client would join B in the lock).
 */
TEST(lockfile_release_after_the_lease_leaves_a_breakers_lock)
{
	struct store *s = NULL;
	struct coord a, b;
	struct coord_file fa, fb;
	char cur[COORD_LOCKFILE_CONTENT_MAX];
	int rootfd = -1;
	char *d = test_temp_dir("lockfile-release");

	EXPECT(d != NULL);
	if (!d)
		return;
	coord_file_init(&fa);
	coord_file_init(&fb);
	EXPECT(store_posix_new(d, &s, &rootfd) == 0);
	EXPECT(coord_init(&a, s, rootfd, COORD_LOCKFILES, COORD_FRESH_NONE, 200) == 0);
	EXPECT(coord_init(&b, s, rootfd, COORD_LOCKFILES, COORD_FRESH_NONE, 200) == 0);
	/* held briefly: released at once, the name is free */
	EXPECT(coord_lockfile_acquire(&a, &fa, "f") == 0);
	lockfile_content(d, fa.name, cur, sizeof(cur));
	EXPECT(strcmp(cur, fa.content) == 0);
	coord_lockfile_release(&a, &fa);
	lockfile_content(d, fa.name, cur, sizeof(cur));
	EXPECT(cur[0] == '\0');
	/* held past the lease: B waits it out, breaks it, takes the name */
	EXPECT(coord_lockfile_acquire(&a, &fa, "f") == 0);
	EXPECT(coord_lockfile_acquire(&b, &fb, "f") == 0);
	EXPECT(strcmp(fa.name, fb.name) == 0 && strcmp(fa.content, fb.content) != 0);
	coord_lockfile_release(&a, &fa);
	lockfile_content(d, fb.name, cur, sizeof(cur));
	EXPECTF(strcmp(cur, fb.content) == 0, "B's lock file after A's late release: '%s'", cur);
	coord_lockfile_release(&b, &fb);
	lockfile_content(d, fb.name, cur, sizeof(cur));
	EXPECT(cur[0] == '\0');
	EXPECT(store_close(s, rootfd) == 0);
	coord_file_release(&fa);
	coord_file_release(&fb);
	store_free(s);
	test_rm_tree(d);
	free(d);
}

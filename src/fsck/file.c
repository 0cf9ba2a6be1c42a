/*
 * fsck of regular files: the cipher size, the header, and every content block opened
 * through the content codec (codec/), as the mount reads it; an all-zero last block and a
 * block sealed with the other final flag are told apart from a damaged block, and the mark
 * of an interrupted rekey (format/rekey_mark.h) from a damaged size.
 */
#include <errno.h>
#include <stdlib.h>
#include "base/secmem.h"
#include "format/rekey_mark.h"
#include "fsck/fsck_internal.h"
#include "keys/keys.h"
#include "store/store.h"
#include "vault/file_tail.h"

static const char *size_reason(uint64_t size)
{
	if (size < FILE_HEADER_LEN)
		return "shorter than the file header";
	return "last block too short to hold nonce, tag and data";
}

/*
 * A file of a size no cipher file has (now): is it the old file of a rekey killed between
 * its mark and its rename (whole below the mark)? Reported either way; with --repair the
 * mark is cut off, and true says the file now has the valid size now->st_size.
 */
static bool check_marked(struct fsck *f, int fd, int dirfd, const char *name, struct stat *now)
{
	uint64_t size = (uint64_t)now->st_size, max = rekey_mark_len_max(&f->geom);
	size_t len = (size_t)(size < max ? size : max);
	uint8_t *tail = malloc(len ? len : 1);
	struct rekey_mark m;
	bool marked, cut;

	marked = tail && store_pread_full(f->s, fd, tail, len, size - len) == (ssize_t)len &&
		 rekey_mark_decode(&f->geom, size, tail, len, &m) == 0;
	free(tail);
	if (!marked) {
		fsck_report(f, FSCK_FILE_SIZE, size_reason(size));
		return false;
	}
	if (f->repair)
		f->repaired = fsck_repair_unmark(f, dirfd, name, (uint64_t)now->st_ino, &m);
	cut = f->repaired != NULL; /* the report takes it */
	fsck_report(f, FSCK_FILE_SIZE,
		    "marked by an interrupted rekey: the old file is whole below the mark (the "
		    "next rekey, or --repair, cuts it off)");
	if (!cut)
		return false;
	now->st_size = (off_t)m.size;
	return true;
}

/* Open block n as the mount reads it: 0, -EBADMSG, or another -errno. Wipes the output. */
static int open_block(struct fsck *f, uint64_t n, bool final, const uint8_t *p, size_t len)
{
	size_t plen;
	int r = codec_open(&f->codec, n, final, p, len, f->pbuf, &plen);

	secure_wipe(f->pbuf, f->geom.plain_size);
	return r;
}

/* The file whose blocks are being checked: its handle, cipher size and block count. */
struct file_blocks {
	int fd;
	uint64_t csize, nblocks;
	int dirfd; /* the file is dirfd/name, inode ino (for a repair) */
	const char *name;
	uint64_t ino;
};

/*
 * Whether inner block n, a full block sealed final, is the old last block of an append a
 * crash cut before re-sealing it (codec_open_unsealed): the first later block that is not
 * a hole authenticates at its position. The mount reads such a block (vault/file_state.c).
 */
static bool unsealed_proven(struct fsck *f, const struct file_blocks *fb, uint64_t n)
{
	uint8_t *stored = malloc(f->geom.cipher_size), *scratch = malloc(f->geom.plain_size);
	bool proven = false;
	uint64_t m;
	size_t len;
	int r = 1;

	if (!stored || !scratch)
		r = -ENOMEM; /* unproven: reported as the block it looks like */
	for (m = n + 1; m < fb->nblocks && r == 1; m++) {
		len = (size_t)block_stored_len(&f->geom, fb->csize, m);
		if (store_pread_full(f->s, fb->fd, stored, len, block_cipher_offset(&f->geom, m)) !=
		    (ssize_t)len)
			break;
		r = codec_check_next(&f->codec, m, m + 1 == fb->nblocks, stored, len, scratch);
		proven = r == 0;
	}
	free(stored);
	free(scratch); /* codec_check_next() wiped it */
	return proven;
}

/*
 * The last block n (len bytes stored) from the file's truncate copy (vault/file_tail.h),
 * as the mount reads it: true when the copy has that length and authenticates as that
 * block; reported, and with --repair written in place.
 */
static bool tail_reads(struct fsck *f, const struct file_blocks *fb, uint64_t n, size_t len)
{
	uint8_t *copy = malloc(f->geom.cipher_size);
	ssize_t got;
	bool reads;

	if (!copy)
		return false;
	got = store_fgetxattr(f->s, fb->fd, FILE_TAIL_XATTR, copy, f->geom.cipher_size);
	reads = got > 0 && (size_t)got == len && open_block(f, n, true, copy, len) == 0;
	if (reads && f->repair)
		f->repaired = fsck_repair_tail(f, fb->dirfd, fb->name, fb->ino, n, copy, len);
	if (reads)
		fsck_report_at(f, NULL, NULL, FSCK_BLOCK_TAIL, n, NULL,
			       "last block is a piece of the old one (a truncate cut by a crash); "
			       "its truncate copy reads",
			       0);
	f->tail_used = reads;
	free(copy);
	return reads;
}

/*
 * A truncate copy the last block did not need: left over by a crash after the write
 * (removed by --repair only when every block of the file is fine: with a damaged one,
 * the copy may be what someone recovers it from).
 */
static void tail_leftover(struct fsck *f, const struct file_blocks *fb, bool blocks_ok)
{
	uint8_t probe[1];
	ssize_t got = store_fgetxattr(f->s, fb->fd, FILE_TAIL_XATTR, probe, 0);

	if (f->tail_used || (got < 0 && got != -ERANGE))
		return;
	if (f->repair && blocks_ok)
		f->repaired = fsck_repair_tail(f, fb->dirfd, fb->name, fb->ino, 0, NULL, 0);
	fsck_report_at(f, NULL, NULL, FSCK_BLOCK_TAIL, FSCK_NO_BLOCK, NULL,
		       "a truncate copy of the last block is left over (not needed)", 0);
}

/*
 * A block that fails authentication: tell a file cut or extended at a block boundary
 * (the block opens with the other final flag) from a damaged block, and an append cut by
 * a crash (an inner block still sealed final, followed by valid blocks) from both.
 */
static void report_bad_block(struct fsck *f, const struct file_blocks *fb, uint64_t n, bool last,
			     const uint8_t *p, size_t len)
{
	size_t plen;
	bool unsealed = !last && codec_open_unsealed(&f->codec, n, p, len, f->pbuf, &plen) == 0;

	if (last && tail_reads(f, fb, n, len))
		return;
	if (unsealed && (unsealed = unsealed_proven(f, fb, n)) && f->repair)
		f->repaired = fsck_repair_reseal(f, fb->dirfd, fb->name, fb->ino, n, f->pbuf);
	secure_wipe(f->pbuf, f->geom.plain_size);
	if (unsealed)
		fsck_report_at(f, NULL, NULL, FSCK_BLOCK_FINAL_FLAG, n, NULL,
			       "inner block is still sealed as the last block, valid blocks follow "
			       "(an append cut by a crash; it reads)",
			       0);
	else if (open_block(f, n, !last, p, len) == 0)
		fsck_report_at(f, NULL, NULL, FSCK_BLOCK_FINAL_FLAG, n, NULL,
			       last ? "last block is sealed as an inner block (file cut at a "
				      "block boundary)"
				    : "inner block is sealed as the last block (stale blocks "
				      "appended after it)",
			       0);
	else
		fsck_report_at(f, NULL, NULL, FSCK_BLOCK_AUTH, n, NULL,
			       "authentication failed (torn write or tampering: restore the file "
			       "from a backup)",
			       0);
}

/*
 * Check one stored block of len bytes (the last one when last). An inner all-zero block
 * is a hole; the last block must always authenticate with the final flag set.
 */
static void check_block(struct fsck *f, const struct file_blocks *fb, uint64_t n, bool last,
			const uint8_t *p, size_t len)
{
	int r;

	f->counts->blocks++;
	if (last && block_is_hole(p, len)) {
		fsck_report_at(f, NULL, NULL, FSCK_LAST_BLOCK_ZERO, n, NULL,
			       "last block is all zero", 0);
		return;
	}
	if (codec_is_hole(&f->codec, last, p, len)) {
		f->counts->holes++;
		return;
	}
	r = open_block(f, n, last, p, len);
	if (r == -EBADMSG)
		report_bad_block(f, fb, n, last, p, len);
	else if (r < 0)
		fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, n, NULL, "cannot check block", r);
}

/*
 * Read and check blocks of the file fd (cipher size csize, plaintext size psize), which is
 * dirfd/name of inode ino.
 */
static void check_blocks(struct fsck *f, int fd, uint64_t csize, uint64_t psize, int dirfd,
			 const char *name, uint64_t ino)
{
	uint64_t nblocks = block_count(&f->geom, psize), n = 0, i, chunk, off, want;
	const struct file_blocks fb = { fd, csize, nblocks, dirfd, name, ino };
	uint64_t problems = f->counts->problems;
	ssize_t got;

	f->tail_used = false;
	while (n < nblocks) {
		chunk = nblocks - n < FSCK_CHUNK_BLOCKS ? nblocks - n : FSCK_CHUNK_BLOCKS;
		off = block_cipher_offset(&f->geom, n);
		want = (n + chunk == nblocks ? csize : block_cipher_offset(&f->geom, n + chunk)) - off;
		got = store_pread_full(f->s, fd, f->cbuf, (size_t)want, off);
		if (got < 0 || (uint64_t)got != want) {
			fsck_report_at(f, NULL, NULL, FSCK_IO_ERROR, n, NULL,
				       got < 0 ? "cannot read blocks"
					       : "file shrank during the check",
				       got < 0 ? (int)got : -EAGAIN);
			return;
		}
		for (i = 0; i < chunk; i++)
			check_block(f, &fb, n + i, n + i == nblocks - 1, f->cbuf + i * f->geom.cipher_size,
				    (size_t)block_stored_len(&f->geom, csize, n + i));
		n += chunk;
	}
	tail_leftover(f, &fb, f->counts->problems == problems);
}

/*
 * Open dirfd/name for reading and check that it is still the regular file st described.
 * Returns the handle, or -1 after reporting why not.
 */
static int open_file(struct fsck *f, int dirfd, const char *name, const struct stat *st,
		     struct stat *now)
{
	int fd, r;

	fd = store_openat(f->s, dirfd, name, STORE_RDONLY | STORE_NOFOLLOW, 0);
	if (fd < 0) {
		fsck_report_io(f, NULL, "cannot open file", fd);
		return -1;
	}
	if ((r = store_fstat(f->s, fd, now)) < 0)
		fsck_report_io(f, NULL, "cannot stat file", r);
	else if (!S_ISREG(now->st_mode) || now->st_ino != st->st_ino)
		fsck_report_io(f, NULL, "file replaced during the check", -EAGAIN);
	else
		return fd;
	(void)store_close(f->s, fd); /* a read-only handle: nothing to lose */
	return -1;
}

/* Read and decode the header of fd into f->file_id. True when it is valid. */
static bool read_header(struct fsck *f, int fd)
{
	uint8_t hdr[FILE_HEADER_LEN];
	ssize_t got;

	got = store_pread_full(f->s, fd, hdr, sizeof(hdr), 0);
	if (got != (ssize_t)sizeof(hdr)) {
		fsck_report_io(f, NULL, got < 0 ? "cannot read header" : "file shrank during the check",
			       got < 0 ? (int)got : -EAGAIN);
		return false;
	}
	if (header_decode_epoch(hdr, sizeof(hdr), f->file_id, &f->file_epoch) < 0) {
		fsck_report(f, FSCK_HEADER_INVALID, "bad magic or unknown header version");
		return false;
	}
	return true;
}

void fsck_check_file(struct fsck *f, int dirfd, const char *name, const struct stat *st)
{
	struct stat now;
	uint64_t psize;
	bool size_ok;
	int fd, r;

	f->counts->files++;
	if ((fd = open_file(f, dirfd, name, st, &now)) < 0)
		return;
	fsck_check_xattrs(f, fd);
	if (now.st_size == 0)
		goto out; /* an empty file has no header */
	size_ok = block_plain_size(&f->geom, (uint64_t)now.st_size, &psize) == 0;
	if (!size_ok && check_marked(f, fd, dirfd, name, &now))
		size_ok = block_plain_size(&f->geom, (uint64_t)now.st_size, &psize) == 0;
	if ((uint64_t)now.st_size < FILE_HEADER_LEN || !read_header(f, fd) || !size_ok)
		goto out;
	r = keys_file_key_epoch(f->keys, f->file_epoch, f->file_id, f->file_key);
	if (r == -ENOKEY) {
		fsck_report(f, FSCK_HEADER_INVALID, "key epoch not known to this unlock");
		goto out;
	}
	if (r < 0) {
		fsck_report_io(f, NULL, "cannot derive the file key", r);
		goto out;
	}
	check_blocks(f, fd, (uint64_t)now.st_size, psize, dirfd, name, (uint64_t)now.st_ino);
out:
	secure_wipe(f->file_key, FILE_KEY_LEN);
	(void)store_close(f->s, fd); /* a read-only handle: nothing to lose */
}

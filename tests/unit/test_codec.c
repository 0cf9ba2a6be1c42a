/*
 * Unit tests for codec/: every block length a file can hold round-trips under both
 * ciphers; every single-bit change of a stored block, and a wrong block number, final
 * flag, file id or key, fails with -EBADMSG and a wiped output; impossible lengths
 * (empty, truncated, oversized, short inner blocks) fail with -EPROTO before any tag
 * check; holes open as zeros only where the format allows them; the nonces of a
 * multi-block write are used in order; a full block sealed final opens as the state of an
 * interrupted append only through codec_open_unsealed(). Then the size and offset arithmetic the vault and
 * fsck use (format/block.h), exhaustively on small block sizes.
 */
#include <errno.h>
#include <string.h>
#include "codec/codec.h"
#include "crypto/aead.h"
#include "helpers.h"
#include "test.h"

enum { MAX_NONCE = 24, BIG = BLOCK_PLAIN_SIZE + 64 };

/* A codec over a fixed key and file id for one cipher (or small block size). */
struct fixture {
	struct block_geom g;
	struct codec c;
	uint8_t key[AEAD_KEY_LEN];
	uint8_t id[FILE_ID_LEN];
};

static bool fixture_init(struct fixture *f, enum aead_alg alg, uint32_t plain_size)
{
	memset(f, 0, sizeof(*f));
	memset(f->key, 0x42, sizeof(f->key));
	memset(f->id, 0xa0, sizeof(f->id));
	block_geom_init(&f->g, plain_size, (uint32_t)aead_nonce_len(alg));
	f->c.geom = &f->g;
	f->c.file_id = f->id;
	f->c.key = f->key;
	f->c.aead = aead_ctx_new(alg);
	return f->c.aead != NULL;
}

static void fixture_release(struct fixture *f)
{
	aead_ctx_free(f->c.aead);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + 1);
}

static const enum aead_alg algs[] = { AEAD_AES256_GCM, AEAD_XCHACHA20_POLY1305 };

TEST(codec_roundtrip_every_length_kind)
{
	static const size_t lens[] = { 1, 2, 100, BLOCK_PLAIN_SIZE - 1, BLOCK_PLAIN_SIZE };
	static uint8_t plain[BIG], out[BIG], back[BIG];
	struct fixture f;
	size_t a, i, got;
	int final;

	for (a = 0; a < 2; a++) {
		EXPECT(fixture_init(&f, algs[a], BLOCK_PLAIN_SIZE));
		for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			for (final = 0; final <= 1; final++) {
				if (!final && lens[i] != BLOCK_PLAIN_SIZE)
					continue; /* only the last block is short */
				fill(plain, lens[i], (unsigned)i);
				EXPECT(codec_seal(&f.c, 7, final, plain, lens[i], out) == 0);
				EXPECTF(codec_open(&f.c, 7, final, out, lens[i] + f.g.overhead, back,
						   &got) == 0, "alg %zu len %zu final %d", a, lens[i],
					final);
				EXPECT_EQ(got, lens[i]);
				EXPECT_MEM(back, plain, lens[i]);
			}
		}
		fixture_release(&f);
	}
}

/* Every bit of nonce, ciphertext and tag, flipped alone: -EBADMSG, output wiped. */
TEST(codec_every_bit_flip_fails_authentication)
{
	static uint8_t plain[64], out[64 + 40], back[BIG];
	struct fixture f;
	size_t a, i, n, got;
	unsigned bit;
	int r;

	for (a = 0; a < 2; a++) {
		EXPECT(fixture_init(&f, algs[a], BLOCK_PLAIN_SIZE));
		fill(plain, sizeof(plain), 3);
		EXPECT(codec_seal(&f.c, 1, true, plain, sizeof(plain), out) == 0);
		n = sizeof(plain) + f.g.overhead;
		for (i = 0; i < n; i++) {
			for (bit = 0; bit < 8; bit++) {
				out[i] ^= (uint8_t)(1u << bit);
				memset(back, 0x5a, sizeof(back));
				r = codec_open(&f.c, 1, true, out, n, back, &got);
				EXPECTF(r == -EBADMSG, "alg %zu byte %zu bit %u: %d", a, i, bit, r);
				EXPECT(got == 0 && test_all_zero(back, sizeof(plain)));
				out[i] ^= (uint8_t)(1u << bit);
			}
		}
		EXPECT(codec_open(&f.c, 1, true, out, n, back, &got) == 0);
		fixture_release(&f);
	}
}

/* One row per binding: what is changed between seal and open. */
enum bind { WRONG_BLOCK, WRONG_FINAL, WRONG_FILE_ID, WRONG_KEY };

TEST(codec_binds_block_number_final_flag_file_and_key)
{
	static const enum bind rows[] = { WRONG_BLOCK, WRONG_FINAL, WRONG_FILE_ID, WRONG_KEY };
	static uint8_t plain[BLOCK_PLAIN_SIZE], out[BIG], back[BIG];
	struct fixture f;
	uint64_t n;
	size_t i, got;
	bool final;

	EXPECT(fixture_init(&f, AEAD_XCHACHA20_POLY1305, BLOCK_PLAIN_SIZE));
	fill(plain, sizeof(plain), 9);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		EXPECT(codec_seal(&f.c, 5, false, plain, sizeof(plain), out) == 0);
		n = 5;
		final = false;
		switch (rows[i]) {
		case WRONG_BLOCK:
			n = 6;
			break;
		case WRONG_FINAL:
			final = true;
			break;
		case WRONG_FILE_ID:
			f.id[FILE_ID_LEN - 1] ^= 1;
			break;
		case WRONG_KEY:
			f.key[0] ^= 1;
			break;
		}
		EXPECTF(codec_open(&f.c, n, final, out, f.g.cipher_size, back, &got) == -EBADMSG,
			"row %zu", i);
		EXPECT(test_all_zero(back, sizeof(plain)));
		memset(f.id, 0xa0, sizeof(f.id));
		memset(f.key, 0x42, sizeof(f.key));
	}
	fixture_release(&f);
}

/* Lengths no block can have: -EPROTO before the tag is looked at, output untouched. */
TEST(codec_rejects_impossible_lengths)
{
	static uint8_t stored[BIG], back[BIG];
	struct fixture f;
	size_t i, got;
	struct {
		size_t len;
		bool final;
	} rows[6];

	EXPECT(fixture_init(&f, AEAD_AES256_GCM, BLOCK_PLAIN_SIZE));
	rows[0].len = 0, rows[0].final = true;                      /* empty */
	rows[1].len = f.g.nonce_len, rows[1].final = true;          /* nonce only */
	rows[2].len = f.g.overhead, rows[2].final = true;           /* no plaintext byte */
	rows[3].len = f.g.cipher_size + 1, rows[3].final = true;    /* oversized */
	rows[4].len = f.g.cipher_size - 1, rows[4].final = false;   /* short inner block */
	rows[5].len = f.g.overhead + 1, rows[5].final = false;      /* short inner block */
	fill(stored, sizeof(stored), 1);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(back, 0x5a, sizeof(back));
		got = 99;
		EXPECTF(codec_open(&f.c, 0, rows[i].final, stored, rows[i].len, back, &got) ==
				-EPROTO, "row %zu", i);
		EXPECT_EQ(got, 0);
		EXPECT(back[0] == 0x5a);
	}
	fixture_release(&f);
}

/* A hole is a full, all-zero, non-final block; an all-zero last block is damage. */
TEST(codec_zero_blocks_are_holes_only_inside_the_file)
{
	static uint8_t zero[BIG], back[BIG];
	struct fixture f;
	size_t got;

	EXPECT(fixture_init(&f, AEAD_AES256_GCM, BLOCK_PLAIN_SIZE));
	memset(back, 0x5a, sizeof(back));
	EXPECT(codec_is_hole(&f.c, false, zero, f.g.cipher_size));
	EXPECT(codec_open(&f.c, 3, false, zero, f.g.cipher_size, back, &got) == 0);
	EXPECT_EQ(got, BLOCK_PLAIN_SIZE);
	EXPECT(test_all_zero(back, BLOCK_PLAIN_SIZE));
	EXPECT(!codec_is_hole(&f.c, true, zero, f.g.cipher_size));
	EXPECT(codec_open(&f.c, 3, true, zero, f.g.cipher_size, back, &got) == -EBADMSG);
	EXPECT(!codec_is_hole(&f.c, true, zero, 100));
	EXPECT(codec_open(&f.c, 3, true, zero, 100, back, &got) == -EBADMSG);
	EXPECT(!codec_is_hole(&f.c, false, zero, f.g.cipher_size - 1));
	EXPECT(codec_open(&f.c, 3, false, zero, f.g.cipher_size - 1, back, &got) == -EPROTO);
	zero[f.g.cipher_size - 1] = 1;
	EXPECT(!codec_is_hole(&f.c, false, zero, f.g.cipher_size));
	fixture_release(&f);
}

/* Nonces drawn ahead are used once each, in order; then fresh random ones. */
TEST(codec_uses_prepared_nonces_in_order)
{
	static uint8_t plain[16], out[3][64];
	uint8_t nonces[2 * MAX_NONCE];
	struct fixture f;
	size_t nl;

	EXPECT(fixture_init(&f, AEAD_XCHACHA20_POLY1305, BLOCK_PLAIN_SIZE));
	nl = f.g.nonce_len;
	fill(nonces, sizeof(nonces), 4);
	f.c.nonces = nonces;
	f.c.nonces_left = 2;
	EXPECT(codec_seal(&f.c, 0, false, plain, sizeof(plain), out[0]) == 0);
	EXPECT(codec_seal(&f.c, 1, false, plain, sizeof(plain), out[1]) == 0);
	EXPECT(codec_seal(&f.c, 2, true, plain, sizeof(plain), out[2]) == 0);
	EXPECT_MEM(out[0], nonces, nl);
	EXPECT_MEM(out[1], nonces + nl, nl);
	EXPECT(f.c.nonces_left == 0);
	EXPECT(memcmp(out[2], nonces, nl) != 0 && memcmp(out[2], nonces + nl, nl) != 0);
	fixture_release(&f);
}

/* On a small geometry: seal a whole file, then open every block as the vault does. */
TEST(codec_small_blocks_file_roundtrip)
{
	uint8_t plain[40], stored[40 * (5 + 28)], back[8];
	uint64_t csize, psize, n, nb, at;
	struct fixture f;
	size_t len, got;
	uint32_t bs;

	for (bs = 1; bs <= 5; bs++) {
		EXPECT(fixture_init(&f, AEAD_AES256_GCM, bs));
		for (psize = 1; psize <= sizeof(plain); psize++) {
			fill(plain, (size_t)psize, bs);
			nb = block_count(&f.g, psize);
			csize = block_cipher_size(&f.g, psize);
			for (n = 0; n < nb; n++) {
				len = (size_t)(psize - n * bs < bs ? psize - n * bs : bs);
				at = block_cipher_offset(&f.g, n) - FILE_HEADER_LEN;
				EXPECT(codec_seal(&f.c, n, n + 1 == nb, plain + n * bs, len,
						  stored + at) == 0);
			}
			for (n = 0; n < nb; n++) {
				at = block_cipher_offset(&f.g, n) - FILE_HEADER_LEN;
				len = (size_t)block_stored_len(&f.g, csize, n);
				EXPECTF(codec_open(&f.c, n, n + 1 == nb, stored + at, len, back,
						   &got) == 0, "bs %u psize %llu n %llu", bs,
					(unsigned long long)psize, (unsigned long long)n);
				EXPECT_MEM(back, plain + n * bs, got);
			}
		}
		fixture_release(&f);
	}
}

/*
 * Size arithmetic on block sizes 1..5 (both nonce lengths): every cipher size up to a
 * bound maps back exactly or is rejected, every plaintext size round-trips, block counts
 * and stored lengths add up, and offsets map to the block that holds them.
 */
TEST(codec_size_arithmetic_small_blocks)
{
	static const uint32_t nonces[] = { 12, 24 };
	struct block_geom g;
	uint64_t p, c, n, sum, plain, valid;
	uint32_t bs;
	size_t k;

	for (k = 0; k < 2; k++) {
		for (bs = 1; bs <= 5; bs++) {
			block_geom_init(&g, bs, nonces[k]);
			for (p = 0; p <= 60; p++) {
				c = block_cipher_size(&g, p);
				EXPECT(block_plain_size(&g, c, &plain) == 0 && plain == p);
				EXPECT_EQ(block_count(&g, p), (p + bs - 1) / bs);
				for (sum = 0, n = 0; n < block_count(&g, p); n++)
					sum += block_stored_len(&g, c, n) - g.overhead;
				EXPECT_EQ(sum, p);
				EXPECT_EQ(block_stored_len(&g, c, block_count(&g, p)), 0);
			}
			valid = 0;
			for (c = 0; c <= block_cipher_size(&g, 60); c++) {
				if (block_plain_size(&g, c, &plain) < 0) {
					EXPECT_EQ(plain, 0);
					continue;
				}
				valid++;
				EXPECTF(block_cipher_size(&g, plain) == c || c == FILE_HEADER_LEN,
					"bs %u cipher %llu", bs, (unsigned long long)c);
			}
			/* sizes 0..60, plus 20 (a header alone, read as empty) */
			EXPECT_EQ(valid, 62);
			for (c = 0; c < block_cipher_offset(&g, 12); c++) {
				n = block_at_cipher_offset(&g, c);
				EXPECT(c < FILE_HEADER_LEN ? n == 0
							   : block_cipher_offset(&g, n) <= c &&
								     c < block_cipher_offset(&g, n + 1));
			}
		}
	}
}

/*
 * The state of an append cut by a crash: a full block sealed final opens through
 * codec_open_unsealed() (a short one, an inner-sealed one or one of another position does
 * not), and codec_check_next() accepts as its proof only a block that authenticates at its
 * own position (a hole: look further, 1).
 */
TEST(codec_unsealed_block_of_an_interrupted_append)
{
	static uint8_t plain[BLOCK_PLAIN_SIZE], full_final[BIG], inner[BIG], short_final[BIG];
	static uint8_t back[BIG], zero[BIG];
	struct fixture f;
	size_t got, cs;

	EXPECT(fixture_init(&f, AEAD_AES256_GCM, BLOCK_PLAIN_SIZE));
	cs = f.g.cipher_size;
	fill(plain, sizeof(plain), 3);
	EXPECT(codec_seal(&f.c, 4, true, plain, sizeof(plain), full_final) == 0);
	EXPECT(codec_seal(&f.c, 4, false, plain, sizeof(plain), inner) == 0);
	EXPECT(codec_seal(&f.c, 5, true, plain, 100, short_final) == 0);
	EXPECT(codec_open_unsealed(&f.c, 4, full_final, cs, back, &got) == 0);
	EXPECT(got == sizeof(plain) && !memcmp(back, plain, sizeof(plain)));
	EXPECT(codec_open_unsealed(&f.c, 5, full_final, cs, back, &got) == -EBADMSG);
	EXPECT(codec_open_unsealed(&f.c, 4, inner, cs, back, &got) == -EBADMSG);
	EXPECT(codec_open_unsealed(&f.c, 5, short_final, 100 + f.g.overhead, back, &got) ==
	       -EBADMSG);
	EXPECT(codec_open_unsealed(&f.c, 4, zero, cs, back, &got) == -EBADMSG);
	/* the proof: the next block at its position, with its own flag, or unsealed itself */
	EXPECT(codec_check_next(&f.c, 5, true, short_final, 100 + f.g.overhead, back) == 0);
	EXPECT(test_all_zero(back, sizeof(plain)));
	EXPECT(codec_check_next(&f.c, 6, true, short_final, 100 + f.g.overhead, back) ==
	       -EBADMSG);
	EXPECT(codec_check_next(&f.c, 4, false, inner, cs, back) == 0);
	EXPECT(codec_check_next(&f.c, 4, false, full_final, cs, back) == 0);
	EXPECT(codec_check_next(&f.c, 4, true, inner, cs, back) == -EBADMSG);
	EXPECT(codec_check_next(&f.c, 4, false, zero, cs, back) == 1);
	EXPECT(codec_check_next(&f.c, 4, true, zero, cs, back) < 0);
	fixture_release(&f);
}

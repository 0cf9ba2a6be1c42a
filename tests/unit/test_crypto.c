/*
 * Unit tests for crypto/: known-answer vectors for every primitive (sources cited per
 * table), and tamper tests: any flipped bit in ciphertext, tag, AD or nonce must give
 * -EBADMSG with the output wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include "crypto/aead.h"
#include "crypto/crypto_internal.h"
#include "crypto/kdf.h"
#include "crypto/siv.h"
#include "helpers.h"
#include "test.h"

enum { BIG = 512 };

struct aead_kat {
	enum aead_alg alg;
	const char *key, *nonce, *ad, *pt, *ct, *tag;
};

/*
 * Rows 1-3: McGrew & Viega, "The Galois/Counter Mode of Operation (GCM)", test cases
 * 13, 14 and 16 (256-bit key). Row 4: draft-irtf-cfrg-xchacha-03 appendix A.3.1.
 */
static const struct aead_kat aead_kats[] = {
	/* 1 */ { AEAD_AES256_GCM, "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
	/* 2 */ { AEAD_AES256_GCM, "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", "00000000000000000000000000000000",
		  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
	/* 3 */ { AEAD_AES256_GCM, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
		  "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
		  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b" },
	/* 4 */ { AEAD_XCHACHA20_POLY1305,
		  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
		  "404142434445464748494a4b4c4d4e4f5051525354555657", "50515253c0c1c2c3c4c5c6c7",
		  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
		  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
		  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
		  "637265656e20776f756c642062652069742e",
		  "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
		  "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
		  "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
		  "21f9664c97637da9768812f615c68b13b52e",
		  "c0875924c1c7987947deafd8780acf49" },
};

TEST(aead_known_answers)
{
	uint8_t key[32], nonce[24], ad[64], pt[BIG], want[BIG], out[BIG], back[BIG];
	size_t i, adlen, ptlen, ctlen;

	for (i = 0; i < ARRAY_SIZE(aead_kats); i++) {
		const struct aead_kat *k = &aead_kats[i];
		struct aead_ctx *c;

		if (test_alg_refused(k->alg))
			continue;
		c = aead_ctx_new(k->alg);
		EXPECTF(c != NULL, "row %zu", i + 1);
		if (!c)
			continue;
		test_hex(k->key, key, sizeof(key));
		test_hex(k->nonce, nonce, sizeof(nonce));
		adlen = test_hex(k->ad, ad, sizeof(ad));
		ptlen = test_hex(k->pt, pt, sizeof(pt));
		ctlen = test_hex(k->ct, want, sizeof(want));
		ctlen += test_hex(k->tag, want + ctlen, sizeof(want) - ctlen);
		EXPECTF(ctlen == ptlen + AEAD_TAG_LEN, "row %zu", i + 1);
		EXPECTF(aead_seal(c, key, nonce, ad, adlen, pt, ptlen, out) == 0, "row %zu", i + 1);
		EXPECTF(memcmp(out, want, ctlen) == 0, "row %zu: sealed bytes", i + 1);
		EXPECTF(aead_open(c, key, nonce, ad, adlen, want, ctlen, back) == 0, "row %zu", i + 1);
		EXPECTF(memcmp(back, pt, ptlen) == 0, "row %zu: opened bytes", i + 1);
		/* in place, both directions */
		memcpy(out, pt, ptlen);
		EXPECTF(aead_seal(c, key, nonce, ad, adlen, out, ptlen, out) == 0 &&
				memcmp(out, want, ctlen) == 0,
			"row %zu: in-place seal", i + 1);
		EXPECTF(aead_open(c, key, nonce, ad, adlen, out, ctlen, out) == 0 &&
				memcmp(out, pt, ptlen) == 0,
			"row %zu: in-place open", i + 1);
		aead_ctx_free(c);
	}
}

/* One sealed message per cipher; every single-bit flip of each input must be refused. */
static void tamper_one(enum aead_alg alg)
{
	struct aead_ctx *c = aead_ctx_new(alg);
	uint8_t key[32], nonce[24], ad[25], pt[40], ct[40 + AEAD_TAG_LEN], out[40];
	size_t nlen = aead_nonce_len(alg), i;
	int bad = 0;

	EXPECT(c != NULL);
	if (!c)
		return;
	memset(key, 0x11, sizeof(key));
	memset(nonce, 0x22, sizeof(nonce));
	memset(ad, 0x33, sizeof(ad));
	memset(pt, 0x44, sizeof(pt));
	EXPECT(aead_seal(c, key, nonce, ad, sizeof(ad), pt, sizeof(pt), ct) == 0);
	for (i = 0; i < 8 * sizeof(ct); i++) { /* ciphertext and tag */
		ct[i / 8] ^= (uint8_t)(1u << i % 8);
		memset(out, 0xaa, sizeof(out));
		bad += aead_open(c, key, nonce, ad, sizeof(ad), ct, sizeof(ct), out) != -EBADMSG ||
		       !test_all_zero(out, sizeof(out));
		ct[i / 8] ^= (uint8_t)(1u << i % 8);
	}
	for (i = 0; i < 8 * sizeof(ad); i++) {
		ad[i / 8] ^= (uint8_t)(1u << i % 8);
		memset(out, 0xaa, sizeof(out));
		bad += aead_open(c, key, nonce, ad, sizeof(ad), ct, sizeof(ct), out) != -EBADMSG ||
		       !test_all_zero(out, sizeof(out));
		ad[i / 8] ^= (uint8_t)(1u << i % 8);
	}
	for (i = 0; i < 8 * nlen; i++) {
		nonce[i / 8] ^= (uint8_t)(1u << i % 8);
		memset(out, 0xaa, sizeof(out));
		bad += aead_open(c, key, nonce, ad, sizeof(ad), ct, sizeof(ct), out) != -EBADMSG ||
		       !test_all_zero(out, sizeof(out));
		nonce[i / 8] ^= (uint8_t)(1u << i % 8);
	}
	EXPECTF(bad == 0, "%s: %d flips accepted or not wiped", aead_alg_name(alg), bad);
	/* dropped AD, truncated input, and the untouched message still opens */
	EXPECT(aead_open(c, key, nonce, NULL, 0, ct, sizeof(ct), out) == -EBADMSG);
	EXPECT(aead_open(c, key, nonce, ad, sizeof(ad), ct, AEAD_TAG_LEN - 1, out) == -EBADMSG);
	EXPECT(aead_open(c, key, nonce, ad, sizeof(ad), ct, sizeof(ct) - 1, out) == -EBADMSG);
	EXPECT(aead_open(c, key, nonce, ad, sizeof(ad), ct, sizeof(ct), out) == 0);
	EXPECT(memcmp(out, pt, sizeof(pt)) == 0);
	aead_ctx_free(c);
}

/*
 * One context, keys alternating (the GCM context keeps its key schedule between calls and
 * must notice every change, down to one bit): each result equals a fresh context's.
 */
static void key_switch_one(enum aead_alg alg)
{
	struct aead_ctx *c = aead_ctx_new(alg), *fresh = aead_ctx_new(alg);
	uint8_t keys[3][32], nonce[24], pt[100], ct[100 + AEAD_TAG_LEN], want[sizeof(ct)];
	uint8_t out[100];
	int i, k, bad = 0;

	EXPECT(c != NULL && fresh != NULL);
	if (!c || !fresh)
		goto out;
	memset(keys[0], 0x5a, sizeof(keys[0]));
	memcpy(keys[1], keys[0], sizeof(keys[0]));
	keys[1][31] ^= 0x01; /* one bit apart */
	memset(keys[2], 0xc3, sizeof(keys[2]));
	memset(nonce, 0x77, sizeof(nonce));
	memset(pt, 0x42, sizeof(pt));
	for (i = 0; i < 12; i++) {
		k = i % 3;
		nonce[0] = (uint8_t)i;
		bad += aead_seal(c, keys[k], nonce, NULL, 0, pt, sizeof(pt), ct) != 0;
		bad += aead_seal(fresh, keys[k], nonce, NULL, 0, pt, sizeof(pt), want) != 0;
		bad += memcmp(ct, want, sizeof(ct)) != 0;
		/* the wrong key (the one a bit away, or another) must fail, the right one open */
		bad += aead_open(c, keys[(k + 1) % 3], nonce, NULL, 0, ct, sizeof(ct), out) !=
		       -EBADMSG;
		bad += aead_open(c, keys[k], nonce, NULL, 0, ct, sizeof(ct), out) != 0;
		bad += memcmp(out, pt, sizeof(pt)) != 0;
		aead_ctx_free(fresh);
		fresh = aead_ctx_new(alg);
		if (!fresh) {
			bad++;
			break;
		}
	}
	EXPECTF(bad == 0, "%s: %d mismatches across key switches", aead_alg_name(alg), bad);
out:
	aead_ctx_free(c);
	aead_ctx_free(fresh);
}

TEST(aead_key_switch_gcm)
{
	key_switch_one(AEAD_AES256_GCM);
}

TEST(aead_key_switch_xchacha)
{
	if (!test_alg_refused(AEAD_XCHACHA20_POLY1305))
		key_switch_one(AEAD_XCHACHA20_POLY1305);
}

TEST(aead_tamper_gcm)
{
	tamper_one(AEAD_AES256_GCM);
}

TEST(aead_tamper_xchacha)
{
	if (!test_alg_refused(AEAD_XCHACHA20_POLY1305))
		tamper_one(AEAD_XCHACHA20_POLY1305);
}

TEST(aead_empty_plaintext_and_ctx_reuse)
{
	static const enum aead_alg algs[] = { AEAD_AES256_GCM, AEAD_XCHACHA20_POLY1305 };
	uint8_t key[32] = { 1 }, nonce[24] = { 2 }, ct[AEAD_TAG_LEN], big[4096 + AEAD_TAG_LEN];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(algs); i++) {
		struct aead_ctx *c;

		if (test_alg_refused(algs[i]))
			continue;
		c = aead_ctx_new(algs[i]);
		EXPECT(c != NULL && aead_ctx_alg(c) == algs[i]);
		if (!c)
			continue;
		EXPECT(aead_seal(c, key, nonce, NULL, 0, NULL, 0, ct) == 0);
		EXPECT(aead_open(c, key, nonce, NULL, 0, ct, sizeof(ct), NULL) == 0);
		ct[0] ^= 1;
		EXPECT(aead_open(c, key, nonce, NULL, 0, ct, sizeof(ct), NULL) == -EBADMSG);
		/* a reused context alternating directions keeps working */
		for (j = 0; j < 4; j++) {
			memset(big, (int)j, 4096);
			nonce[0] = (uint8_t)j;
			EXPECT(aead_seal(c, key, nonce, key, 8, big, 4096, big) == 0);
			EXPECT(aead_open(c, key, nonce, key, 8, big, sizeof(big), big) == 0);
			EXPECT(big[0] == j && big[4095] == j);
		}
		aead_ctx_free(c);
	}
	aead_ctx_free(NULL);
	EXPECT(aead_ctx_new((enum aead_alg)3) == NULL);
}

static const struct {
	const char *name;
	int ret;
	unsigned alg;
	size_t nonce;
} alg_cases[] = {
	/* 1 */ { "aes-256-gcm", 0, AEAD_AES256_GCM, 12 },
	/* 2 */ { "xchacha20-poly1305", 0, AEAD_XCHACHA20_POLY1305, 24 },
	/* 3 */ { "AES-256-GCM", -EINVAL, 0, 0 },
	/* 4 */ { "aes-256-gcm ", -EINVAL, 0, 0 },
	/* 5 */ { "", -EINVAL, 0, 0 },
};

TEST(aead_alg_names)
{
	enum aead_alg alg;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(alg_cases); i++) {
		int r = aead_alg_parse(alg_cases[i].name, &alg);

		EXPECTF(r == alg_cases[i].ret, "row %zu", i + 1);
		if (r == 0) {
			EXPECTF(alg == alg_cases[i].alg, "row %zu", i + 1);
			EXPECTF(aead_nonce_len(alg) == alg_cases[i].nonce, "row %zu", i + 1);
			EXPECTF(strcmp(aead_alg_name(alg), alg_cases[i].name) == 0, "row %zu", i + 1);
		}
	}
	EXPECT(!aead_alg_is_valid(0) && !aead_alg_is_valid(3));
	EXPECT(aead_nonce_len((enum aead_alg)0) == 0);
}

struct siv_kat {
	const char *key, *ad, *pt, *out;
};

/*
 * AES-256-SIV (64-byte key): Wycheproof testvectors/aes_siv_cmac_test.json, keySize 512,
 * tcId 320, 322 and 326; the "aad" there is one S2V component. Output = tag || ct.
 */
static const struct siv_kat siv_kats[] = {
	/* 1 */ { "139383f3f82dc78e0b380027f9e5fcd2ed23716404be5c554452e4dc73d23702"
		  "6594491820c6b8297185cc1fa84f49a5c7d7cd05c5de090ff1c3397bc2740437",
		  "d39da73ffc03ad0a9213ffc7", "48604944a80fadf50d55b87727934458c8",
		  "a9cf73951cb39823777f35c96c845169476e2ec2317cb6b8dd8b6172fdceabff9d" },
	/* 2 */ { "c0f4bede68c6ed5ad14918e2ddeced692dfd5419c04204d5b96f4ca47078b070"
		  "28c6fb87b1b490d875f070bbe4d790f65e5df19947f02c9d3a4e493b542d0291",
		  "b411e4d2facca67ea4a9f2a1",
		  "2f358d4534559ac99dd71798b7925705d6f013f6b848ffe01cc86cef09d88f",
		  "d27ae26dfe02e3eedf544e1b452cb0f0c9303a4e4819318315ae08839bcce558"
		  "e4741817ec08dae406bbfc09f59aa9" },
	/* 3 */ { "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
		  "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f",
		  "000102030405060708090a0b0c0d0e0f", "bfa1733d07afa03cb3f2eeb81bbde037",
		  "000000000000000000000000000000004ce637d6ca9cdf1c2feb0d140865cddb" },
};

TEST(siv_known_answers)
{
	uint8_t key[64], ad[32], pt[64], want[96], out[96], back[64];
	size_t i, adlen, ptlen, outlen;

	for (i = 0; i < ARRAY_SIZE(siv_kats); i++) {
		EXPECTF(test_hex(siv_kats[i].key, key, sizeof(key)) == SIV_KEY_LEN, "row %zu", i + 1);
		adlen = test_hex(siv_kats[i].ad, ad, sizeof(ad));
		ptlen = test_hex(siv_kats[i].pt, pt, sizeof(pt));
		outlen = test_hex(siv_kats[i].out, want, sizeof(want));
		EXPECTF(outlen == ptlen + SIV_TAG_LEN, "row %zu", i + 1);
		EXPECTF(siv_seal(key, ad, adlen, pt, ptlen, out) == 0, "row %zu", i + 1);
		EXPECTF(memcmp(out, want, outlen) == 0, "row %zu: sealed bytes", i + 1);
		EXPECTF(siv_open(key, ad, adlen, want, outlen, back) == 0 &&
				memcmp(back, pt, ptlen) == 0,
			"row %zu: open", i + 1);
	}
}

TEST(siv_tamper_and_lengths)
{
	uint8_t key[64], ad[16], pt[32], out[48], back[32];
	size_t i;
	int bad = 0;

	memset(key, 7, sizeof(key));
	memset(ad, 8, sizeof(ad));
	memset(pt, 9, sizeof(pt));
	EXPECT(siv_seal(key, ad, sizeof(ad), pt, sizeof(pt), out) == 0);
	for (i = 0; i < 8 * sizeof(out); i++) {
		out[i / 8] ^= (uint8_t)(1u << i % 8);
		memset(back, 0xaa, sizeof(back));
		bad += siv_open(key, ad, sizeof(ad), out, sizeof(out), back) != -EBADMSG ||
		       !test_all_zero(back, sizeof(back));
		out[i / 8] ^= (uint8_t)(1u << i % 8);
	}
	for (i = 0; i < 8 * sizeof(ad); i++) {
		ad[i / 8] ^= (uint8_t)(1u << i % 8);
		bad += siv_open(key, ad, sizeof(ad), out, sizeof(out), back) != -EBADMSG;
		ad[i / 8] ^= (uint8_t)(1u << i % 8);
	}
	EXPECTF(bad == 0, "%d flips accepted or not wiped", bad);
	/* no AD is not the same as the AD: the component count is bound */
	EXPECT(siv_open(key, NULL, 0, out, sizeof(out), back) == -EBADMSG);
	EXPECT(siv_open(key, ad, sizeof(ad), out, SIV_TAG_LEN, back) == -EPROTO);
	EXPECT(siv_open(key, ad, sizeof(ad), out, 3, back) == -EPROTO);
	EXPECT(siv_seal(key, ad, sizeof(ad), pt, 0, out) == -EINVAL);
	/* deterministic: the same input seals to the same bytes */
	{
		uint8_t again[48];

		EXPECT(siv_seal(key, ad, sizeof(ad), pt, sizeof(pt), again) == 0);
		EXPECT(memcmp(again, out, sizeof(out)) == 0);
	}
	EXPECT(siv_open(key, ad, sizeof(ad), out, sizeof(out), back) == 0);
}

/*
 * siv.c caches keyed contexts per thread (a few keys): interleaving more keys than it
 * keeps, keys that differ only in their last byte, and a fresh thread (empty cache, freed
 * at thread exit) must all give the same bytes as a one-off seal.
 */
struct siv_thread_arg {
	uint8_t key[3][SIV_KEY_LEN];
	uint8_t out[3][48];
	int rc;
};

static void *siv_thread(void *p)
{
	struct siv_thread_arg *a = p;
	uint8_t ad[16], pt[32];

	memset(ad, 8, sizeof(ad));
	memset(pt, 9, sizeof(pt));
	for (size_t k = 0; k < 3; k++)
		a->rc |= siv_seal(a->key[k], ad, sizeof(ad), pt, sizeof(pt), a->out[k]);
	return NULL;
}

TEST(siv_key_cache)
{
	struct siv_thread_arg fresh;
	uint8_t ad[16], pt[32], out[48], back[32];
	pthread_t th;
	int bad = 0;

	memset(&fresh, 0, sizeof(fresh));
	for (size_t k = 0; k < 3; k++)
		memset(fresh.key[k], 0x40, SIV_KEY_LEN);
	fresh.key[1][SIV_KEY_LEN - 1] ^= 1;
	fresh.key[2][0] ^= 1;
	EXPECT(pthread_create(&th, NULL, siv_thread, &fresh) == 0);
	EXPECT(pthread_join(th, NULL) == 0);
	EXPECT(fresh.rc == 0);
	EXPECT(memcmp(fresh.out[0], fresh.out[1], 48) != 0);
	EXPECT(memcmp(fresh.out[0], fresh.out[2], 48) != 0);
	memset(ad, 8, sizeof(ad));
	memset(pt, 9, sizeof(pt));
	for (size_t round = 0; round < 4; round++) {
		for (size_t k = 0; k < 3; k++) {
			size_t kk = (k + round) % 3;

			bad += siv_seal(fresh.key[kk], ad, sizeof(ad), pt, sizeof(pt), out) != 0 ||
			       memcmp(out, fresh.out[kk], sizeof(out)) != 0;
			bad += siv_open(fresh.key[kk], ad, sizeof(ad), fresh.out[kk], 48, back) != 0 ||
			       memcmp(back, pt, sizeof(pt)) != 0;
			/* the other keys must not open it */
			bad += siv_open(fresh.key[(kk + 1) % 3], ad, sizeof(ad), fresh.out[kk], 48,
					back) != -EBADMSG;
		}
	}
	EXPECTF(bad == 0, "%d mismatches", bad);
}

/*
 * Whether the mapping holding p is excluded from core dumps (VmFlags "dd" in
 * /proc/self/smaps): what secmem's MADV_DONTDUMP gives, and malloc's heap has not.
 * -1 when smaps cannot tell (not Linux).
 */
static int dontdump(const void *p)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	char line[512];
	unsigned long lo, hi, a = (unsigned long)(uintptr_t)p;
	int in = 0, r = -1;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && !strncmp(line, "VmFlags:", 8)) {
			r = strstr(line, " dd") != NULL;
			break;
		}
	}
	if (f)
		fclose(f);
	return r;
}

static void *siv_cache_thread(void *arg)
{
	uint8_t key[SIV_KEY_LEN], pt[16], out[32];
	const void **where = arg;

	memset(key, 0x33, sizeof(key));
	memset(pt, 1, sizeof(pt));
	where[0] = siv_thread_cache();
	if (siv_seal(key, NULL, 0, pt, sizeof(pt), out) == 0)
		where[1] = siv_thread_cache();
	return NULL;
}

TEST(siv_key_cache_in_secure_memory)
{
	const void *where[2] = { NULL, NULL };
	uint8_t key[SIV_KEY_LEN], pt[16], out[32];
	pthread_t th;
	void *heap = malloc(64 * 1024);
	int d;

	/* a fresh thread has no cache until its first SIV call, then one in secmem memory */
	EXPECT(pthread_create(&th, NULL, siv_cache_thread, where) == 0);
	EXPECT(pthread_join(th, NULL) == 0);
	if (!siv_keeps_thread_cache()) { /* libgcrypt: no key copy outlives a call */
		EXPECT(where[0] == NULL && where[1] == NULL && siv_thread_cache() == NULL);
		free(heap);
		return;
	}
	EXPECT(where[0] == NULL && where[1] != NULL);
	/* this thread's cache, made by its own first seal (the test may run alone), is
	 * excluded from dumps */
	memset(key, 0x44, sizeof(key));
	memset(pt, 2, sizeof(pt));
	EXPECT(siv_seal(key, NULL, 0, pt, sizeof(pt), out) == 0);
	d = dontdump(siv_thread_cache());
	if (d < 0) {
		EXPECTF(siv_thread_cache() != NULL, "no cache");
	} else {
		EXPECTF(siv_thread_cache() && d == 1, "SIV cache not in MADV_DONTDUMP memory");
		/* the control: ordinary heap is dumped, so the check can fail */
		EXPECT(heap && dontdump(heap) == 0);
	}
	free(heap);
}

/* RFC 5869 appendix A.1 (test case 1) and A.3 (test case 3: empty salt and info). */
static const struct {
	const char *ikm, *salt, *info, *okm;
} hkdf_kats[] = {
	/* 1 */ { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "000102030405060708090a0b0c",
		  "f0f1f2f3f4f5f6f7f8f9",
		  "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		  "34007208d5b887185865" },
	/* 2 */ { "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "", "",
		  "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		  "9d201395faa4b61a96c8" },
};

TEST(hkdf_rfc5869)
{
	uint8_t ikm[32], salt[16], info[16], want[64], out[64];
	size_t i, il, sl, nl, ol;

	for (i = 0; i < ARRAY_SIZE(hkdf_kats); i++) {
		il = test_hex(hkdf_kats[i].ikm, ikm, sizeof(ikm));
		sl = test_hex(hkdf_kats[i].salt, salt, sizeof(salt));
		nl = test_hex(hkdf_kats[i].info, info, sizeof(info));
		ol = test_hex(hkdf_kats[i].okm, want, sizeof(want));
		EXPECTF(hkdf_sha256(ikm, il, salt, sl, info, nl, out, ol) == 0, "row %zu", i + 1);
		EXPECTF(memcmp(out, want, ol) == 0, "row %zu", i + 1);
	}
	memset(out, 0xaa, sizeof(out));
	EXPECT(hkdf_sha256(ikm, 0, NULL, 0, NULL, 0, out, 32) == -EINVAL && test_all_zero(out, 32));
}

TEST(sha256_fips180)
{
	uint8_t out[SHA256_LEN], want[SHA256_LEN];

	EXPECT(sha256((const uint8_t *)"abc", 3, out) == 0);
	test_hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, 32);
	EXPECT_MEM(out, want, 32);
	EXPECT(sha256(NULL, 0, out) == 0);
	test_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want, 32);
	EXPECT_MEM(out, want, 32);
}

/* RFC 9106 section 5.3: Argon2id, m = 32 KiB, t = 3, p = 4, with secret and AD. */
TEST(argon2id_rfc9106)
{
	uint8_t pw[32], salt[16], secret[8], ad[12], out[32], want[32];
	struct argon2id_input in = {
		.password = (const char *)pw, .pwlen = 32, .salt = salt, .saltlen = 16,
		.secret = secret, .secretlen = 8, .ad = ad, .adlen = 12,
		.time_cost = 3, .memory_kib = 32, .lanes = 4,
	};

	memset(pw, 1, sizeof(pw));
	memset(salt, 2, sizeof(salt));
	memset(secret, 3, sizeof(secret));
	memset(ad, 4, sizeof(ad));
	test_hex("0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", want, 32);
	EXPECT(argon2id_raw(&in, out, sizeof(out)) == 0);
	EXPECT_MEM(out, want, 32);
}

/* argon2id_derive is argon2id_raw without secret/AD, inside veilfs's bounds only. */
TEST(argon2id_bounds_and_consistency)
{
	static const struct {
		uint32_t t, m, p;
		int ret;
	} rows[] = {
		/* 1 */ { 1, 8192, 1, 0 },
		/* 2 */ { 0, 8192, 1, -EINVAL },
		/* 3 */ { 65, 8192, 1, -EINVAL },
		/* 4 */ { 1, 8191, 1, -EINVAL },
		/* 5 */ { 1, 4 * 1024 * 1024 + 1, 1, -EINVAL },
		/* 6 */ { 1, 8192, 0, -EINVAL },
		/* 7 */ { 1, 8192, 17, -EINVAL },
	};
	uint8_t salt[32] = { 5 }, a[32], b[32];
	struct argon2id_input in = { .password = "pw", .pwlen = 2, .salt = salt, .saltlen = 32,
				     .time_cost = 1, .memory_kib = 8192, .lanes = 1 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		memset(a, 0xaa, sizeof(a));
		int r = argon2id_derive("pw", 2, salt, 32, rows[i].t, rows[i].m, rows[i].p, a, 32);

		EXPECTF(r == rows[i].ret, "row %zu: %d", i + 1, r);
		if (r < 0)
			EXPECTF(test_all_zero(a, 32), "row %zu: output wiped", i + 1);
	}
	EXPECT(argon2id_derive("pw", 2, salt, 32, 1, 8192, 1, a, 32) == 0);
	EXPECT(argon2id_raw(&in, b, 32) == 0);
	EXPECT_MEM(a, b, 32);
	EXPECT(argon2id_derive("pX", 2, salt, 32, 1, 8192, 1, b, 32) == 0);
	EXPECT(memcmp(a, b, 32) != 0);
	EXPECT(argon2id_derive("pw", 2, salt, 4, 1, 8192, 1, b, 32) == -EINVAL);
}

TEST(random_and_secure_equal)
{
	uint8_t a[64] = { 0 }, b[64] = { 0 };

	EXPECT(random_bytes(a, sizeof(a)) == 0);
	EXPECT(random_bytes(b, sizeof(b)) == 0);
	EXPECT(!test_all_zero(a, sizeof(a)));
	EXPECT(!secure_equal(a, b, sizeof(a)));
	memcpy(b, a, sizeof(a));
	EXPECT(secure_equal(a, b, sizeof(a)));
	b[63] ^= 0x80;
	EXPECT(!secure_equal(a, b, sizeof(a)));
	EXPECT(random_bytes(a, 0) == 0);
}

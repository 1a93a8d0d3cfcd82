/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum: te_csum_add()/te_csum_fold() against a
 * word-by-word reference, te_csum_update16() (RFC 1624 eq. 3) against a
 * full recompute, and published vectors.
 */
#include "common.h"

#include <stdint.h>

#include "checksum.h"
#include "reference.h"

/* ------------------------------------------------------------------ */
/* Reference implementation and helpers                               */
/* ------------------------------------------------------------------ */

/* The value a checksum field holds for @len bytes of data. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	return (uint16_t)~ref_sum(p, len);
}

/* The folded, un-complemented sum as the library computes it. */
static uint16_t lib_sum(const void *p, size_t len)
{
	return (uint16_t)~te_csum_fold(te_csum_add(0, p, len));
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* A buffer whose checksum verifies: its whole sum is -0 (0xffff). */
static int verifies(const uint8_t *p, size_t len)
{
	return ref_sum(p, len) == 0xffff;
}

/* ------------------------------------------------------------------ */
/* te_csum_add / te_csum_fold                                         */
/* ------------------------------------------------------------------ */

enum { RANDOM_BUFFERS = 10000, MAX_LEN = 1500 };

START_TEST(test_add_matches_reference_on_random_buffers)
{
	/* A few bytes of slack so the data can start at any alignment. */
	static uint8_t buf[MAX_LEN + 8];

	rng_seed(0x7e57c5u);
	for (int n = 0; n < RANDOM_BUFFERS; n++) {
		size_t len = rng_upto(MAX_LEN);
		size_t off = rng_upto(7);
		const uint8_t *p = buf + off;

		rng_fill(buf, sizeof(buf));
		ck_assert_msg(lib_sum(p, len) == ref_sum(p, len),
			      "buffer %d (len %zu, offset %zu): sum %#06x, reference %#06x", n, len,
			      off, lib_sum(p, len), ref_sum(p, len));
		ck_assert_uint_eq(te_csum_fold(te_csum_add(0, p, len)), ref_csum(p, len));
	}
}
END_TEST

START_TEST(test_add_chained_over_even_split_equals_one_call)
{
	static uint8_t buf[MAX_LEN];

	rng_seed(0x5b117u);
	for (int n = 0; n < RANDOM_BUFFERS; n++) {
		size_t len = rng_upto(MAX_LEN);
		size_t first = rng_upto(len) & ~(size_t)1; /* even */
		size_t second = first + (rng_upto(len - first) & ~(size_t)1);
		uint32_t whole, two, three;

		rng_fill(buf, len);
		whole = te_csum_add(0, buf, len);
		two = te_csum_add(te_csum_add(0, buf, first), buf + first, len - first);
		three = te_csum_add(
		    te_csum_add(te_csum_add(0, buf, first), buf + first, second - first),
		    buf + second, len - second);
		ck_assert_msg(te_csum_fold(two) == te_csum_fold(whole),
			      "len %zu split at %zu: %#06x != %#06x", len, first, te_csum_fold(two),
			      te_csum_fold(whole));
		ck_assert_msg(te_csum_fold(three) == te_csum_fold(whole),
			      "len %zu split at %zu and %zu", len, first, second);
	}
}
END_TEST

START_TEST(test_add_accepts_any_running_sum)
{
	/* The running sum is a uint32_t: any value, folded, is a valid start. */
	static const uint32_t starts[] = {0, 1, 0xffff, 0x10000, 0x1fffe, 0xfffeffff, 0xffffffff};
	uint8_t buf[64];

	rng_seed(42);
	for (size_t i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		for (int n = 0; n < 200; n++) {
			size_t len = rng_upto(sizeof(buf));
			uint32_t s = starts[i];
			uint16_t start = ones_add((uint16_t)(s >> 16), (uint16_t)s);
			uint16_t want;

			rng_fill(buf, len);
			want = (uint16_t)~ones_add(start, ref_sum(buf, len));
			ck_assert_msg(te_csum_fold(te_csum_add(s, buf, len)) == want,
				      "start %#x, len %zu", s, len);
		}
	}
}
END_TEST

START_TEST(test_add_empty_and_all_ones)
{
	static uint8_t ones[MAX_LEN];
	static const uint8_t zeros[MAX_LEN];

	memset(ones, 0xff, sizeof(ones));
	/* Nothing summed is +0, and its checksum is -0. */
	ck_assert_uint_eq(te_csum_fold(te_csum_add(0, NULL, 0)), 0xffff);
	ck_assert_uint_eq(te_csum_fold(te_csum_add(0, zeros, sizeof(zeros))), 0xffff);
	/* -0 added to anything non-zero leaves it alone; all ones sum to -0. */
	for (size_t len = 2; len <= sizeof(ones); len += 2)
		ck_assert_uint_eq(lib_sum(ones, len), 0xffff);
	/* An odd 0xff is 0xff00 after padding. */
	ck_assert_uint_eq(lib_sum(ones, 1), 0xff00);
	ck_assert_uint_eq(lib_sum(ones, 3), 0xff00);
}
END_TEST

START_TEST(test_fold_folds_every_carry)
{
	static const struct {
		uint32_t sum;
		uint16_t field;
	} cases[] = {
	    {0x00000000, 0xffff}, {0x0000ffff, 0x0000}, {0x00010000, 0xfffe}, {0x0001fffe, 0x0000},
	    {0x0002ddf0, 0x220d}, {0xffffffff, 0x0000}, {0xffff0000, 0x0000}, {0x12345678, 0x9753},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(te_csum_fold(cases[i].sum) == cases[i].field,
			      "fold(%#x) = %#06x, want %#06x", cases[i].sum,
			      te_csum_fold(cases[i].sum), cases[i].field);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Known vectors                                                      */
/* ------------------------------------------------------------------ */

START_TEST(test_rfc1071_example_sums_to_ddf2)
{
	/* RFC 1071 §3: these bytes sum to 0x2ddf0, folded 0xddf2. */
	static const uint8_t v[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	ck_assert_uint_eq(lib_sum(v, sizeof(v)), 0xddf2);
	ck_assert_uint_eq(ref_sum(v, sizeof(v)), 0xddf2);
	ck_assert_uint_eq(te_csum_fold(te_csum_add(0, v, sizeof(v))), 0x220d);
	/* The same sum in two even parts. */
	ck_assert_uint_eq(te_csum_fold(te_csum_add(te_csum_add(0, v, 4), v + 4, 4)), 0x220d);
}
END_TEST

START_TEST(test_ipv4_header_checksum_ad8d)
{
	/* An IPv4/UDP header, 198.18.0.1 -> 198.18.0.199, csum 0xad8d (summed by
	 * hand: 0x4500 + 0x0073 + 0x4000 + 0x4011 + 0xc612 + 0x0001 + 0xc612 +
	 * 0x00c7 = 0x25270, folded 0x5272, complemented 0xad8d). */
	static const uint8_t hdr[20] = {
	    0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
	    0xad, 0x8d, 0xc6, 0x12, 0x00, 0x01, 0xc6, 0x12, 0x00, 0xc7,
	};
	uint8_t zeroed[20];

	/* A valid header sums to -0: its checksum over itself is 0. */
	ck_assert_uint_eq(te_csum_fold(te_csum_add(0, hdr, sizeof(hdr))), 0);
	memcpy(zeroed, hdr, sizeof(zeroed));
	put16(zeroed + 10, 0);
	ck_assert_uint_eq(te_csum_fold(te_csum_add(0, zeroed, sizeof(zeroed))), 0xad8d);
}
END_TEST

START_TEST(test_real_icmp_echo_odd_length)
{
	/*
	 * ICMP echo request, id 0x1234, seq 1, data "abc": by hand,
	 * 0x0800 + 0x1234 + 0x0001 + 0x6162 + 0x6300 = 0xde97, field 0x2168.
	 */
	static const uint8_t msg[] = {0x08, 0x00, 0x21, 0x68, 0x12, 0x34,
				      0x00, 0x01, 0x61, 0x62, 0x63};

	ck_assert_uint_eq(ref_csum(msg, sizeof(msg)), 0);
	ck_assert_uint_eq(te_csum_fold(te_csum_add(0, msg, sizeof(msg))), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* te_csum_update16 (RFC 1624 eq. 3)                                  */
/* ------------------------------------------------------------------ */

/*
 * What eq. 3 guarantees, and what these tests check exactly:
 *
 * A checksum computed from scratch is ~S, where S is the one's complement
 * sum of the data. S is +0 (0x0000) only when every word is zero, so a
 * from-scratch checksum is 0xffff only for all-zero data; for any other
 * data whose sum is a zero (S == 0xffff, -0) it is 0x0000.
 *
 * Eq. 3 adds ~HC + ~m + m' in one's complement and can yield +0 only when
 * all three are zero. With a from-scratch HC that never happens (HC ==
 * 0xffff means all-zero data, so m == 0 and ~m != 0), so eq. 3 always
 * yields the from-scratch checksum of the new data -- except when the new
 * data is all zero: then the from-scratch value is 0xffff and eq. 3 gives
 * 0x0000. No function of (HC, m, m') alone can tell that case apart from
 * the same update on data that also holds, say, a 0xffff word (see
 * test_update16_cannot_see_all_zero_data), which is why RFC 1624 §3 relies
 * on "at least one non-zero field in the IP header". Callers whose data can
 * become all zero must handle it themselves (packet.c does, for an ICMPv4
 * reply that is all zeros).
 *
 * When HC is not what a from-scratch computation gives (0xffff, -0, in
 * place of 0x0000: both verify), eq. 3 is still exact unless m == 0xffff
 * and m' == 0; then the result is the other zero, which verifies just as
 * well. The tests check equality everywhere else and verification there.
 */

enum { MAX_WORDS = 48 };

/* Random words, one of them (@c) the checksum field, filled in. */
static size_t make_data(uint8_t *buf, size_t *c)
{
	size_t words = 2 + rng_upto(MAX_WORDS - 2);

	rng_fill(buf, words * 2);
	*c = rng_upto(words - 1);
	put16(buf + 2 * *c, 0);
	put16(buf + 2 * *c, ref_csum(buf, words * 2));
	return words * 2;
}

static int all_zero_but(const uint8_t *p, size_t len, size_t skip)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] && i / 2 != skip)
			return 0;
	return 1;
}

/*
 * Change word @w of @buf (checksum field at word @c, from scratch or -0)
 * to @new, update the field incrementally and compare with a recompute.
 */
static void check_update(uint8_t *buf, size_t len, size_t c, size_t w, uint16_t new)
{
	uint16_t hc = get16(buf + 2 * c);
	uint16_t old = get16(buf + 2 * w);
	uint16_t inc, full;
	int canonical;

	put16(buf + 2 * c, 0);
	canonical = hc == ref_csum(buf, len);
	put16(buf + 2 * w, new);
	full = ref_csum(buf, len);
	inc = te_csum_update16(hc, old, new);
	put16(buf + 2 * c, inc);

	if (inc != full && all_zero_but(buf, len, c)) {
		/* The one case eq. 3 cannot get right (see above). */
		ck_assert_msg(canonical && inc == 0x0000 && full == 0xffff,
			      "all-zero data: hc %#06x, %#06x -> %#06x: %#06x", hc, old, new, inc);
		return;
	}
	if (canonical || !(old == 0xffff && new == 0)) {
		ck_assert_msg(inc == full,
			      "hc %#06x, word %zu: %#06x -> %#06x: incremental %#06x, full %#06x",
			      hc, w, old, new, inc, full);
		return;
	}
	/* -0 in, m == 0xffff, m' == 0: +0 and -0 both verify. */
	ck_assert_msg(verifies(buf, len), "hc %#06x, %#06x -> %#06x: %#06x does not verify", hc,
		      old, new, inc);
}

static size_t other_word(size_t len, size_t c)
{
	size_t w;

	do
		w = rng_upto(len / 2 - 1);
	while (w == c);
	return w;
}

START_TEST(test_update16_equals_full_recompute_random)
{
	uint8_t buf[2 * MAX_WORDS];

	rng_seed(1624);
	for (int n = 0; n < 100000; n++) {
		size_t c, len = make_data(buf, &c);

		check_update(buf, len, c, other_word(len, c), (uint16_t)rng());
	}
}
END_TEST

/* Values that sit on one's complement's two zeros, and their neighbours. */
static const uint16_t edge_words[] = {0x0000, 0xffff, 0x0001, 0xfffe, 0x8000, 0x7fff};
#define N_EDGE (sizeof(edge_words) / sizeof(edge_words[0]))

START_TEST(test_update16_edge_old_and_new_words)
{
	uint8_t buf[2 * MAX_WORDS];

	rng_seed(0xffff);
	for (int n = 0; n < 20000; n++) {
		size_t c, len = make_data(buf, &c);
		size_t w = other_word(len, c);

		put16(buf + 2 * w, edge_words[rng_upto(N_EDGE - 1)]);
		put16(buf + 2 * c, 0);
		put16(buf + 2 * c, ref_csum(buf, len));
		check_update(buf, len, c, w, edge_words[rng_upto(N_EDGE - 1)]);
	}
}
END_TEST

/*
 * Data whose sum is -0, so the field is 0x0000 from scratch; with
 * @minus_zero it holds 0xffff instead, the other zero, which verifies too.
 * Word *@w (not the field) is set to @wval; another word balances the sum.
 */
static size_t make_zero_sum_data(uint8_t *buf, size_t *c, size_t *w, uint16_t wval, int minus_zero)
{
	size_t len, b;

	do
		len = make_data(buf, c);
	while (len < 6);
	*w = other_word(len, *c);
	do
		b = other_word(len, *c);
	while (b == *w);
	put16(buf + 2 * *c, 0);
	put16(buf + 2 * *w, wval);
	put16(buf + 2 * b, 0);
	put16(buf + 2 * b, (uint16_t)~ref_sum(buf, len));
	ck_assert_uint_eq(ref_sum(buf, len), 0xffff);
	ck_assert_uint_eq(ref_csum(buf, len), 0x0000);
	put16(buf + 2 * *c, minus_zero ? 0xffff : 0x0000);
	ck_assert(verifies(buf, len));
	return len;
}

static uint16_t edge_or_random(int n)
{
	return n % 2 ? (uint16_t)rng() : edge_words[rng_upto(N_EDGE - 1)];
}

START_TEST(test_update16_checksum_field_0000)
{
	uint8_t buf[2 * MAX_WORDS];

	rng_seed(0);
	for (int n = 0; n < 20000; n++) {
		size_t c, w;
		size_t len = make_zero_sum_data(buf, &c, &w, edge_or_random(n / 2), 0);

		check_update(buf, len, c, w, edge_or_random(n / 3));
	}
}
END_TEST

START_TEST(test_update16_checksum_field_ffff)
{
	uint8_t buf[2 * MAX_WORDS];

	rng_seed(0xfffe);
	/* 0xffff as the other zero, in place of 0x0000. */
	for (int n = 0; n < 20000; n++) {
		size_t c, w;
		/* Every fourth: m == 0xffff, m' == 0, the update that flips the zero. */
		uint16_t m = n % 4 ? edge_or_random(n / 4) : 0xffff;
		uint16_t new = n % 4 ? edge_or_random(n / 3) : 0x0000;
		size_t len = make_zero_sum_data(buf, &c, &w, m, 1);

		check_update(buf, len, c, w, new);
	}
	/* 0xffff from scratch: all-zero data. Any non-zero new word: exact. */
	memset(buf, 0, sizeof(buf));
	for (uint32_t v = 1; v <= 0xffff; v++) {
		ck_assert_uint_eq(te_csum_update16(0xffff, 0x0000, (uint16_t)v), (uint16_t)~v);
		put16(buf, 0xffff);
		put16(buf + 2, 0);
		check_update(buf, 8, 0, 1, (uint16_t)v);
	}
}
END_TEST

START_TEST(test_update16_exhaustive_small_data)
{
	/*
	 * Two data words and the field: every old value of word 1 with a
	 * spread of word 2 values and every new value. Covers all four
	 * zero-zero combinations exhaustively.
	 */
	static const uint16_t others[] = {0x0000, 0x0001, 0x7fff, 0x8000, 0xfffe, 0xffff, 0x1234};
	uint8_t buf[6];

	for (size_t k = 0; k < sizeof(others) / sizeof(others[0]); k++) {
		for (uint32_t old = 0; old <= 0xffff; old += 0x0101) {
			for (uint32_t new = 0; new <= 0xffff; new += 0x00ff) {
				put16(buf, 0);
				put16(buf + 2, (uint16_t)old);
				put16(buf + 4, others[k]);
				put16(buf, ref_csum(buf, 6));
				check_update(buf, 6, 0, 1, (uint16_t) new);
			}
		}
	}
}
END_TEST

START_TEST(test_update16_rfc1624_examples)
{
	/* RFC 1624 §4: eq. 2 gives -0 (0xffff) here, eq. 3 the right +0. */
	ck_assert_uint_eq(te_csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000);
	/*
	 * Erratum 4782's example, a no-op update of a +0 checksum: computed
	 * with a real end-around carry, eq. 3 leaves it +0 (the erratum's
	 * 0xffff comes from dropping the carry; erratum 5864 points that out).
	 */
	ck_assert_uint_eq(te_csum_update16(0x0000, 0x5555, 0x5555), 0x0000);
	/* A no-op update leaves any from-scratch checksum alone. */
	for (uint32_t hc = 0; hc < 0xffff; hc += 7)
		ck_assert_uint_eq(te_csum_update16((uint16_t)hc, 0xabcd, 0xabcd), hc);
	/* TTL 57 -> 64 on the IPv4 header of test-packet's golden request. */
	ck_assert_uint_eq(te_csum_update16(0x394f, 0x3901, 0x4001), 0x324f);
}
END_TEST

START_TEST(test_update16_cannot_see_all_zero_data)
{
	/*
	 * Same (HC, m, m') on two buffers with different right answers: eq. 3
	 * must pick one, and picks the one for non-zero data.
	 */
	uint8_t a[2] = {0x12, 0x34};		 /* [m]           */
	uint8_t b[4] = {0x12, 0x34, 0xff, 0xff}; /* [m, 0xffff]   */

	ck_assert_uint_eq(ref_csum(a, 2), 0xedcb);
	ck_assert_uint_eq(ref_csum(b, 4), 0xedcb);
	put16(a, 0);
	put16(b, 0);
	ck_assert_uint_eq(ref_csum(a, 2), 0xffff); /* all zero */
	ck_assert_uint_eq(ref_csum(b, 4), 0x0000);
	ck_assert_uint_eq(te_csum_update16(0xedcb, 0x1234, 0x0000), 0x0000);
}
END_TEST

static Suite *checksum_suite(void)
{
	Suite *s = suite_create("checksum");
	TCase *tc;

	tc = tcase_create("add");
	tcase_add_test(tc, test_add_matches_reference_on_random_buffers);
	tcase_add_test(tc, test_add_chained_over_even_split_equals_one_call);
	tcase_add_test(tc, test_add_accepts_any_running_sum);
	tcase_add_test(tc, test_add_empty_and_all_ones);
	tcase_add_test(tc, test_fold_folds_every_carry);
	suite_add_tcase(s, tc);

	tc = tcase_create("vectors");
	tcase_add_test(tc, test_rfc1071_example_sums_to_ddf2);
	tcase_add_test(tc, test_ipv4_header_checksum_ad8d);
	tcase_add_test(tc, test_real_icmp_echo_odd_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("update16");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_update16_equals_full_recompute_random);
	tcase_add_test(tc, test_update16_edge_old_and_new_words);
	tcase_add_test(tc, test_update16_checksum_field_0000);
	tcase_add_test(tc, test_update16_checksum_field_ffff);
	tcase_add_test(tc, test_update16_exhaustive_small_data);
	tcase_add_test(tc, test_update16_rfc1624_examples);
	tcase_add_test(tc, test_update16_cannot_see_all_zero_data);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return te_test_run(checksum_suite());
}

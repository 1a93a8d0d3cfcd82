/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of tunecho-load, alone: the request format and reply
 * verification (probe.c), the RTT histogram and its chart (hist.c).
 */
#include "common.h"

#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>

#include "hist.h"
#include "probe.h"

#define COOKIE	0x0123456789abcdefull
#define ID_BASE 0xfff0 /* the targets' identifiers wrap past 0xffff */
#define SIZE	56

static const struct probe_run run = {
    .cookie = COOKIE, .id_base = ID_BASE, .n_targets = 32, .size = SIZE};

/* A reply to request @seq of target @k as the IPv4 raw socket reads it:
 * a 20-byte IP header, then the request turned into a reply. */
static size_t v4_reply(uint8_t *b, unsigned k, uint64_t seq)
{
	uint16_t sum;

	memset(b, 0, 20);
	b[0] = 0x45;
	probe_build(b + 20, false, (uint16_t)(ID_BASE + k), COOKIE, seq, 12345, SIZE);
	b[20] = ICMP_ECHOREPLY;
	b[22] = b[23] = 0;
	sum = inet_checksum(b + 20, ICMP_HDR + SIZE);
	b[22] = (uint8_t)(sum >> 8);
	b[23] = (uint8_t)sum;
	return 20 + ICMP_HDR + SIZE;
}

/* The same for ICMPv6 (no IP header; the kernel checked the checksum). */
static size_t v6_reply(uint8_t *b, unsigned k, uint64_t seq)
{
	probe_build(b, true, (uint16_t)(ID_BASE + k), COOKIE, seq, 12345, SIZE);
	b[0] = ICMP6_ECHO_REPLY;
	return ICMP_HDR + SIZE;
}

static enum reply_verdict verify(bool v6, const uint8_t *b, size_t len, uint32_t *k,
				 struct probe *p)
{
	return reply_verify(&run, v6, b, len, false, k, p);
}

START_TEST(an_intact_reply_is_ok_with_its_probe)
{
	uint8_t b[256];
	struct probe p;
	uint32_t k = 99;

	/* target 20: identifier 0xfff0 + 20 wraps to 0x0004 */
	ck_assert_int_eq(verify(false, b, v4_reply(b, 20, 70000), &k, &p), REPLY_OK);
	ck_assert_uint_eq(k, 20);
	ck_assert_uint_eq(p.seq, 70000);
	ck_assert_uint_eq(p.sent_ns, 12345);
	ck_assert_uint_eq(p.cookie, COOKIE);
	k = 99;
	ck_assert_int_eq(verify(true, b, v6_reply(b, 3, 5), &k, &p), REPLY_OK);
	ck_assert_uint_eq(k, 3);
	ck_assert_uint_eq(p.seq, 5);
}
END_TEST

START_TEST(a_request_built_carries_a_correct_checksum)
{
	uint8_t b[ICMP_HDR + SIZE];

	probe_build(b, false, 7, COOKIE, 1, 2, SIZE);
	ck_assert_uint_eq(b[0], ICMP_ECHO);
	ck_assert_uint_eq(inet_checksum(b, sizeof(b)), 0);
	probe_build(b, true, 7, COOKIE, 1, 2, SIZE);
	ck_assert_uint_eq(b[0], ICMP6_ECHO_REQUEST);
	ck_assert_uint_eq(b[2] | b[3], 0); /* the kernel's job */
}
END_TEST

START_TEST(every_damaged_byte_is_corrupt)
{
	uint8_t b[256];
	size_t len = v6_reply(b, 1, 9);
	struct probe p;
	uint32_t k;

	/* ICMPv6: the kernel vouches for the checksum, so every byte after
	 * the identifier is ours to check (the cookie's bytes make it
	 * someone else's reply or a suspect, never OK). */
	for (size_t i = 1; i < len; i++) {
		enum reply_verdict v;

		if (i >= 2 && i < 6)
			continue; /* checksum, identifier */
		b[i] ^= 0x10;
		v = verify(true, b, len, &k, &p);
		if (i >= 16 && i < 24) /* the send time: the ring says it is wrong */
			ck_assert(v == REPLY_OK && p.sent_ns != 12345);
		else
			ck_assert_msg(v == REPLY_CORRUPT ||
					  (i >= 8 && i < 16 && v == REPLY_SUSPECT),
				      "byte %zu: %d", i, v);
		b[i] ^= 0x10;
	}
	ck_assert_int_eq(verify(true, b, len, &k, &p), REPLY_OK);
}
END_TEST

START_TEST(an_ipv4_checksum_error_or_truncation_is_corrupt)
{
	uint8_t b[256];
	size_t len = v4_reply(b, 0, 1);
	struct probe p;
	uint32_t k;

	b[22] ^= 1;
	ck_assert_int_eq(verify(false, b, len, &k, &p), REPLY_CORRUPT);
	b[22] ^= 1;
	ck_assert_int_eq(reply_verify(&run, false, b, len, true, &k, &p), REPLY_CORRUPT);
	/* one byte short, checksum fixed: the size is wrong */
	b[22] = b[23] = 0;
	{
		uint16_t sum = inet_checksum(b + 20, len - 21);

		b[22] = (uint8_t)(sum >> 8);
		b[23] = (uint8_t)sum;
	}
	ck_assert_int_eq(verify(false, b, len - 1, &k, &p), REPLY_CORRUPT);
}
END_TEST

START_TEST(others_replies_are_ignored)
{
	uint8_t b[256];
	size_t len = v4_reply(b, 0, 1);
	struct probe p;
	uint32_t k;

	/* an identifier outside ours */
	v4_reply(b, 40, 1);
	ck_assert_int_eq(verify(false, b, len, &k, &p), REPLY_IGNORE);
	/* a request, not a reply */
	len = v6_reply(b, 0, 1);
	b[0] = ICMP6_ECHO_REQUEST;
	ck_assert_int_eq(verify(true, b, len, &k, &p), REPLY_IGNORE);
	/* too short for an ICMP header */
	ck_assert_int_eq(verify(true, b, 7, &k, &p), REPLY_IGNORE);
	ck_assert_int_eq(verify(false, b, 27, &k, &p), REPLY_IGNORE);
}
END_TEST

START_TEST(another_run_s_intact_reply_is_ignored_a_damaged_one_suspect)
{
	struct probe_run other = run;
	uint8_t b[256];
	size_t len;
	struct probe p;
	uint32_t k;

	other.cookie = ~COOKIE;
	len = v6_reply(b, 2, 1);
	ck_assert_int_eq(reply_verify(&other, true, b, len, false, &k, &p), REPLY_IGNORE);
	b[len - 1] ^= 1;
	ck_assert_int_eq(reply_verify(&other, true, b, len, false, &k, &p), REPLY_SUSPECT);
	ck_assert_uint_eq(k, 2);
	/* ours by identifier, too short to hold a probe */
	ck_assert_int_eq(verify(true, b, ICMP_HDR + PROBE_LEN - 1, &k, &p), REPLY_SUSPECT);
}
END_TEST

START_TEST(every_value_falls_in_its_bucket)
{
	static const uint64_t probes[] = {0,
					  1,
					  15,
					  16,
					  1023,
					  1024,
					  1025,
					  2047,
					  2048,
					  30000,
					  999999,
					  1ull << 35,
					  (1ull << 36) - 1};

	for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		uint64_t v = probes[i];
		unsigned b = hist_index(v);

		ck_assert_uint_lt(b, HIST_BUCKETS);
		ck_assert_msg(hist_lower(b) <= v && v < hist_lower(b + 1), "%llu in bucket %u",
			      (unsigned long long)v, b);
		/* within 1/64 of its value from 1 µs up */
		if (v >= 1024)
			ck_assert(hist_lower(b + 1) - hist_lower(b) <= v / 64 + 1);
	}
	ck_assert_uint_eq(hist_index(UINT64_MAX), HIST_BUCKETS - 1);
	for (unsigned b = 0; b < HIST_BUCKETS; b++)
		ck_assert(hist_lower(b) < hist_lower(b + 1));
}
END_TEST

START_TEST(quantiles_are_bucket_middles_capped_at_max)
{
	uint64_t h[HIST_BUCKETS] = {0};

	for (uint64_t v = 1; v <= 100; v++)
		h[hist_index(v * 1000)]++;
	ck_assert_uint_eq(hist_count(h), 100);
	ck_assert(fabs(hist_quantile(h, 100, 0.5, 100000) - 50000) < 50000 / 64.0);
	ck_assert(fabs(hist_quantile(h, 100, 0.99, 100000) - 99000) < 99000 / 64.0);
	ck_assert(hist_quantile(h, 100, 1.0, 100000) <= 100000);
}
END_TEST

/* hist_print() into a string. */
static char *chart(const uint64_t *h)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);

	ck_assert_ptr_nonnull(f);
	hist_print(f, h, "> ");
	fclose(f);
	return buf;
}

START_TEST(the_chart_has_a_row_per_quarter_doubling_and_bars_to_scale)
{
	uint64_t h[HIST_BUCKETS] = {0};
	char *out, *line;
	unsigned rows = 0;
	unsigned long long sum = 0;
	double lo, hi, pct, cum = 0;
	unsigned long long count;
	int bars[8];

	/* 16 µs: 100 samples; 20 µs: 50; 32 µs: 25 */
	h[hist_index(16000)] = 100;
	h[hist_index(20000)] = 50;
	h[hist_index(32000)] = 25;
	out = chart(h);
	line = strtok(out, "\n");
	ck_assert_str_eq(line, ">                RTT us        count       %   cum %");
	while ((line = strtok(NULL, "\n"))) {
		const char *bar;

		ck_assert_int_eq(strncmp(line, "> ", 2), 0);
		ck_assert_int_eq(
		    sscanf(line + 2, "%lf - %lf %llu %lf %lf", &lo, &hi, &count, &pct, &cum), 5);
		bar = strchr(line, '#');
		ck_assert_uint_lt(rows, 8);
		bars[rows] = bar ? (int)strspn(bar, "#") : 0;
		/* a quarter of a doubling each: 16.384, 20.48, 24.576, 28.672, 32.768 */
		ck_assert(hi / lo > 1.1 && hi / lo < 1.3);
		sum += count;
		rows++;
	}
	/* from the bucket of 16 µs (starting at 16.384 µs... or the one below) to 32 µs */
	ck_assert_uint_eq(sum, 175);
	ck_assert(fabs(cum - 100) < 0.01);
	ck_assert_uint_ge(rows, 4);
	ck_assert_uint_le(rows, 6);
	ck_assert_int_eq(bars[0], HIST_BAR_WIDTH); /* the fullest row */
	ck_assert_int_eq(bars[rows - 1], HIST_BAR_WIDTH / 4);
	free(out);
}
END_TEST

START_TEST(a_wide_spread_gets_a_row_per_doubling_and_empty_says_so)
{
	uint64_t h[HIST_BUCKETS] = {0};
	char *out;
	unsigned rows = 0;

	out = chart(h);
	ck_assert_str_eq(out, "> (no replies)\n");
	free(out);
	h[hist_index(2000)] = 1;
	h[hist_index(30ull * 1000 * 1000 * 1000)] = 1; /* 30 s */
	out = chart(h);
	for (char *p = out; (p = strchr(p, '\n')); p++)
		rows++;
	/* 2^10 .. 2^35 ns in doublings: 25 rows and the header */
	ck_assert_msg(rows >= 20 && rows <= 30, "%u rows:\n%s", rows, out);
	free(out);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("load-parts");
	TCase *tc = tcase_create("load-parts");

	tcase_add_test(tc, an_intact_reply_is_ok_with_its_probe);
	tcase_add_test(tc, a_request_built_carries_a_correct_checksum);
	tcase_add_test(tc, every_damaged_byte_is_corrupt);
	tcase_add_test(tc, an_ipv4_checksum_error_or_truncation_is_corrupt);
	tcase_add_test(tc, others_replies_are_ignored);
	tcase_add_test(tc, another_run_s_intact_reply_is_ignored_a_damaged_one_suspect);
	tcase_add_test(tc, every_value_falls_in_its_bucket);
	tcase_add_test(tc, quantiles_are_bucket_middles_capped_at_max);
	tcase_add_test(tc, the_chart_has_a_row_per_quarter_doubling_and_bars_to_scale);
	tcase_add_test(tc, a_wide_spread_gets_a_row_per_doubling_and_empty_says_so);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

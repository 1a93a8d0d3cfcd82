/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of tunecho-load, alone: the request format and reply
 * verification (probe.c), the RTT histogram and its chart (hist.c), and
 * the statistics of --expect (bounds.c) on synthetic samples: cases that
 * pass and cases that must fail; the open loop's schedule and the arrival
 * time of a reply (timing.c).
 */
#include "common.h"

#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>

#include "bounds.h"
#include "hist.h"
#include "probe.h"
#include "timing.h"

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

/* ---- --expect's statistics (bounds.c) ---------------------------------- */

/* A straightforward binomial pmf table, by the recurrence, in long double. */
static void binom_table(uint64_t n, double p, long double *pmf)
{
	long double q = 1 - (long double)p;

	pmf[0] = powl(q, (long double)n);
	for (uint64_t k = 0; k < n; k++)
		pmf[k + 1] = pmf[k] * (long double)(n - k) / (long double)(k + 1) * p / q;
}

/* [lo, hi] is the interval: tails outside at most 0.05 % each, and one
 * more count on either side would make that tail larger. */
static void check_tails(const long double *pmf, uint64_t n, uint64_t lo, uint64_t hi)
{
	long double below = 0, above = 0, a = 0.0005L;

	for (uint64_t k = 0; k < lo; k++)
		below += pmf[k];
	for (uint64_t k = hi + 1; k <= n; k++)
		above += pmf[k];
	ck_assert_msg(below <= a && below + pmf[lo] > a, "lo %" PRIu64 ": below %Lg", lo, below);
	ck_assert_msg(above <= a && above + pmf[hi] > a, "hi %" PRIu64 ": above %Lg", hi, above);
}

START_TEST(the_binomial_interval_is_exact)
{
	static const struct {
		uint64_t n;
		double p;
	} cases[] = {{1000, 0.02}, {600, 0.5}, {50, 0.1}, {3000, 0.001}, {200, 0.97}};
	static long double pmf[3001];
	uint64_t lo, hi;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		binom_table(cases[i].n, cases[i].p, pmf);
		binom_interval(cases[i].n, cases[i].p, BOUND_CONF, &lo, &hi);
		ck_assert_uint_le(lo, hi);
		check_tails(pmf, cases[i].n, lo, hi);
	}
	binom_interval(1000, 0, BOUND_CONF, &lo, &hi);
	ck_assert(lo == 0 && hi == 0);
	binom_interval(1000, 1, BOUND_CONF, &lo, &hi);
	ck_assert(lo == 1000 && hi == 1000);
	/* large n: the normal approximation's mean +- 3.29 sd, 1645 here */
	binom_interval(1000000, 0.5, BOUND_CONF, &lo, &hi);
	ck_assert_msg(llabs((long long)lo - (500000 - 1645)) <= 3 &&
			  llabs((long long)hi - (500000 + 1645)) <= 3,
		      "[%" PRIu64 ", %" PRIu64 "]", lo, hi);
}
END_TEST

START_TEST(the_burst_interval_is_the_negative_binomial_s)
{
	/* 20 runs of mean 4: the excess over 20 is NegBin(20, 1/4) */
	static long double pmf[2000];
	long double r = 0.25L, below = 0, above = 1, a = 0.0005L;
	uint64_t lo, hi;

	pmf[0] = powl(r, 20);
	for (unsigned f = 0; f + 1 < 2000; f++)
		pmf[f + 1] = pmf[f] * (f + 20) / (f + 1) * (1 - r);
	burst_interval(20, 4, BOUND_CONF, &lo, &hi);
	ck_assert_uint_gt(lo, 20);
	for (uint64_t f = 0; f < lo - 20; f++)
		below += pmf[f];
	for (uint64_t f = 0; f <= hi - 20; f++)
		above -= pmf[f];
	ck_assert_msg(below <= a && below + pmf[lo - 20] > a, "lo %" PRIu64, lo);
	ck_assert_msg(above <= a && above + pmf[hi - 20] > a, "hi %" PRIu64, hi);
	/* mean 1: every run is one loss long */
	burst_interval(7, 1, BOUND_CONF, &lo, &hi);
	ck_assert(lo == 7 && hi == 7);
}
END_TEST

START_TEST(runs_and_the_gilbert_inflation)
{
	struct runs r = {0};
	static const bool seq[] = {0, 1, 1, 0, 1, 0, 0, 1, 1, 1};

	for (size_t i = 0; i < sizeof(seq); i++)
		runs_add(&r, seq[i]);
	ck_assert(r.n == 10 && r.lost == 6 && r.runs == 3);
	ck_assert(fabs(runs_mean(&r) - 2) < 1e-12);
	/* independent losses: no inflation; 2 % in runs of 4: (1+l)/(1-l) */
	ck_assert(fabs(ge_inflation(0.02, 1 / 0.98) - 1) < 1e-9);
	{
		double rr = 0.25, p = 0.02 * rr / 0.98, l = 1 - p - rr;

		ck_assert(fabs(ge_inflation(0.02, 4) - (1 + l) / (1 - l)) < 1e-9);
	}
	ck_assert(ge_inflation(0, 4) == 1);
}
END_TEST

static uint64_t xs(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static double unit(uint64_t *x)
{
	return (double)(xs(x) >> 11) / 9007199254740992.0;
}

/* @n requests through the simple Gilbert model of rate @l, runs of @b. */
static struct runs gilbert(uint64_t seed, uint64_t n, double l, double b)
{
	double r = 1 / b, p = l * r / (1 - l);
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
	struct runs out = {0};
	bool bad = false;

	for (uint64_t i = 0; i < n; i++) {
		bad = unit(&x) < (bad ? 1 - r : p);
		runs_add(&out, bad);
	}
	return out;
}

START_TEST(loss_and_burst_verdicts_pass_the_right_model_and_fail_a_wrong_one)
{
	struct verdict v;
	unsigned loss_fail = 0, burst_fail = 0;

	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct runs g = gilbert(seed, 5000, 0.02, 4);

		judge_loss(&v, g.n, g.lost, 0.02, 4);
		ck_assert(v.judged);
		loss_fail += !v.ok;
		judge_burst(&v, &g, 0.02, 4);
		ck_assert(v.judged);
		burst_fail += !v.ok;
	}
	/* 99.9 % each: none of 20 should fail (these seeds do not) */
	ck_assert_uint_eq(loss_fail, 0);
	ck_assert_uint_eq(burst_fail, 0);

	/* independent losses judged as runs of 4: the burst verdict fails */
	{
		struct runs g = gilbert(3, 5000, 0.02, 1 / 0.98);

		judge_burst(&v, &g, 0.02, 4);
		ck_assert_msg(v.judged && !v.ok, "%s", v.text);
		ck_assert_ptr_nonnull(strstr(v.text, "NOT in"));
		judge_burst(&v, &g, 0.02, 1 / 0.98);
		ck_assert_msg(v.ok, "%s", v.text);
	}
	/* 5 % judged as 2 %, and none judged as 2 %: loss fails */
	{
		struct runs g = gilbert(4, 5000, 0.05, 1 / 0.95);

		judge_loss(&v, g.n, g.lost, 0.02, 1 / 0.98);
		ck_assert_msg(v.judged && !v.ok, "%s", v.text);
		judge_loss(&v, 5000, 0, 0.02, 1 / 0.98);
		ck_assert_msg(!v.ok, "%s", v.text);
		judge_loss(&v, 5000, 0, 0, 1);
		ck_assert_msg(v.ok, "%s", v.text);
		judge_loss(&v, 5000, 3, 0, 1);
		ck_assert_msg(!v.ok, "one request of slack, not three: %s", v.text);
	}
	/* no runs, no loss expected: not judged */
	{
		struct runs none = {.n = 100};

		judge_burst(&v, &none, 0.02, 4);
		ck_assert(!v.judged && v.ok);
		judge_burst(&v, &none, 0, 1);
		ck_assert(!v.judged && v.ok);
	}
}
END_TEST

/* Uniform delay in [25, 35] ms, as a profile of 30 ms +- 5 ms says. */
static double uniform_30_5(const void *arg, double q)
{
	(void)arg;
	return 30e6 + 5e6 * (2 * q - 1);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

START_TEST(delay_verdicts_on_synthetic_samples)
{
	static const double qs[3] = {0.1, 0.5, 0.9}, hi[3] = {5e5, 5e5, 2e6};
	static double s[1000];
	double meas[3];
	struct verdict v;
	uint64_t x = 42;

	for (int i = 0; i < 1000; i++)
		s[i] = 25e6 + 10e6 * unit(&x) + 30e3; /* plus 30 us of tunecho */
	qsort(s, 1000, sizeof(s[0]), cmp_double);
	for (int i = 0; i < 3; i++)
		meas[i] = s[(int)(qs[i] * 1000)];
	judge_delay(&v, meas, qs, 3, 1000, uniform_30_5, NULL, 1e5, hi, 0.05);
	ck_assert_msg(v.judged && v.ok, "%s", v.text);
	/* 4 ms more than the profile says: past the 5 % and the 0.5 (2) ms */
	for (int i = 0; i < 3; i++)
		meas[i] += 4e6;
	judge_delay(&v, meas, qs, 3, 1000, uniform_30_5, NULL, 1e5, hi, 0.05);
	ck_assert_msg(v.judged && !v.ok, "%s", v.text);
	/* no jitter where the profile has 5 ms: p10 and p90 are off */
	meas[0] = meas[1] = meas[2] = 30e6;
	judge_delay(&v, meas, qs, 3, 1000, uniform_30_5, NULL, 1e5, hi, 0.05);
	ck_assert_msg(!v.ok && strstr(v.text, "p10 30.000 NOT in"), "%s", v.text);
	ck_assert_msg(strstr(v.text, "p50 30.000 in"), "%s", v.text);
	/* few samples widen the band: 10 samples' p10 at 26 ms passes */
	meas[0] = 25.2e6;
	meas[1] = 30e6;
	meas[2] = 34.8e6;
	judge_delay(&v, meas, qs, 3, 10, uniform_30_5, NULL, 1e5, hi, 0.05);
	ck_assert_msg(v.ok, "%s", v.text);
	judge_delay(&v, meas, qs, 3, 0, uniform_30_5, NULL, 1e5, hi, 0.05);
	ck_assert(!v.judged && v.ok);
}
END_TEST

START_TEST(rate_duplicate_silent_and_ttl_verdicts)
{
	struct verdict v;

	/* 100/s burst 20 for 3 s, offered 200/s: at most 320 answered */
	judge_rate(&v, 600, 319, 3, 100, 20, 0);
	ck_assert_msg(v.judged && v.ok, "%s", v.text);
	judge_rate(&v, 600, 400, 3, 100, 20, 0); /* the limit is not applied */
	ck_assert_msg(!v.ok, "%s", v.text);
	judge_rate(&v, 600, 160, 3, 100, 20, 0); /* a lower limit than the file says */
	ck_assert_msg(!v.ok, "%s", v.text);
	judge_rate(&v, 150, 150, 3, 100, 20, 0); /* offered 50/s: all through */
	ck_assert_msg(v.ok, "%s", v.text);

	judge_dup(&v, 100, 100, 1);
	ck_assert(v.judged && v.ok);
	judge_dup(&v, 1000, 1, 0);
	ck_assert(!v.ok);
	judge_dup(&v, 10000, 10, 0.001);
	ck_assert_msg(v.ok, "%s", v.text);
	judge_dup(&v, 10000, 40, 0.001);
	ck_assert_msg(!v.ok, "%s", v.text);

	judge_silent(&v, false, 100, 0, 0, 0);
	ck_assert(v.judged && v.ok);
	judge_silent(&v, false, 100, 1, 0, 0);
	ck_assert(!v.ok);
	judge_silent(&v, false, 100, 0, 100, 0); /* unreachable where down is said */
	ck_assert(!v.ok);
	judge_silent(&v, true, 100, 0, 100, 0);
	ck_assert_msg(v.ok, "%s", v.text);
	judge_silent(&v, true, 100, 0, 0, 0); /* silent where unreachable is said */
	ck_assert(!v.ok);
	judge_silent(&v, true, 100, 100, 0, 0);
	ck_assert(!v.ok);

	judge_ttl(&v, true, 128, 128, 128);
	ck_assert(v.judged && v.ok);
	judge_ttl(&v, true, 64, 64, 128);
	ck_assert(!v.ok && strstr(v.text, "ttl NOT 128"));
	judge_ttl(&v, false, 0, 0, 128);
	ck_assert(!v.judged && v.ok);
}
END_TEST

/* What a flap of 300 ms up, 300 ms down does to requests every 5 ms from
 * @phase_ns into the cycle: the lost ones and their runs. */
static struct runs flapped(uint64_t phase_ns, uint64_t n)
{
	struct runs r = {0};

	for (uint64_t i = 0; i < n; i++)
		runs_add(&r, (phase_ns + i * 5000000) % 600000000 >= 300000000);
	return r;
}

START_TEST(flap_verdicts_and_bounds)
{
	struct flap_bounds b;
	struct verdict v;

	flap_bounds(300000000, 300000000, false, 600, 5000000, &b);
	/* 3 s: five cycles, 300 requests down whatever the phase */
	ck_assert_uint_eq(b.lost_lo, 300);
	ck_assert_uint_eq(b.lost_hi, 300);
	ck_assert(b.runs_lo == 5 && b.runs_hi == 6);
	for (uint64_t phase = 0; phase < 600000000; phase += 37000000) {
		struct runs r = flapped(phase, 600);

		judge_flap(&v, 300000000, 300000000, false, 600, r.lost, r.runs, 3, 5000000);
		ck_assert_msg(v.judged && v.ok, "phase %" PRIu64 ": %s", phase, v.text);
	}
	judge_flap(&v, 300000000, 300000000, false, 600, 0, 0, 3, 5000000); /* never down */
	ck_assert_msg(!v.ok, "%s", v.text);
	judge_flap(&v, 300000000, 300000000, false, 600, 300, 1, 3, 5000000); /* one long outage */
	ck_assert_msg(!v.ok, "%s", v.text);
	/* a faster flap than the file says: as many lost, twice the phases */
	judge_flap(&v, 300000000, 300000000, false, 600, 300, 10, 3, 5000000);
	ck_assert_msg(!v.ok, "%s", v.text);
	judge_flap(&v, 50000000000, 10000000000, false, 600, 0, 0, 3, 5000000);
	ck_assert_msg(!v.judged && v.ok && strstr(v.text, "shorter than a cycle"), "%s", v.text);
}
END_TEST

START_TEST(an_unreachable_quoting_our_request_names_its_target)
{
	uint8_t b[256] = {0}, req[ICMP_HDR + SIZE];
	const uint8_t *dst = NULL;
	uint32_t k = 99;

	/* IPv4: [IP 20][ICMP 3/1 8][quoted IP 20][quoted request] */
	probe_build(req, false, (uint16_t)(ID_BASE + 5), COOKIE, 9, 1, SIZE);
	b[0] = 0x45;
	b[20] = 3;
	b[21] = 1;
	b[28] = 0x45;
	b[28 + 9] = 1;
	memcpy(b + 28 + 16, "\xc6\x12\x00\x0a", 4);
	memcpy(b + 48, req, sizeof(req));
	ck_assert(unreach_parse(&run, false, b, 48 + sizeof(req), &k, &dst));
	ck_assert_uint_eq(k, 5);
	ck_assert(dst == b + 44 && !memcmp(dst, "\xc6\x12\x00\x0a", 4));
	/* quoted to the ICMP header only: still ours */
	ck_assert(unreach_parse(&run, false, b, 48 + ICMP_HDR, &k, &dst));
	/* another run's cookie, an echo reply, a foreign identifier: not ours */
	b[48 + ICMP_HDR] ^= 1;
	ck_assert(!unreach_parse(&run, false, b, 48 + sizeof(req), &k, &dst));
	b[48 + ICMP_HDR] ^= 1;
	b[20] = ICMP_ECHOREPLY;
	ck_assert(!unreach_parse(&run, false, b, 48 + sizeof(req), &k, &dst));
	b[20] = 3;
	b[48 + 4] = 0x10;
	ck_assert(!unreach_parse(&run, false, b, 48 + sizeof(req), &k, &dst));

	/* IPv6: [ICMPv6 1/3 8][quoted IPv6 40][quoted request] */
	memset(b, 0, sizeof(b));
	probe_build(req, true, (uint16_t)(ID_BASE + 7), COOKIE, 9, 1, SIZE);
	b[0] = 1;
	b[1] = 3;
	b[8] = 0x60;
	b[8 + 6] = 58;
	b[8 + 24] = 0x20;
	memcpy(b + 48, req, sizeof(req));
	k = 99;
	ck_assert(unreach_parse(&run, true, b, 48 + sizeof(req), &k, &dst));
	ck_assert_uint_eq(k, 7);
	ck_assert(dst == b + 32);
	ck_assert(!unreach_parse(&run, true, b, 40, &k, &dst)); /* cut short */
}
END_TEST

/* The open loop: the targets take turns, each at its rate, the requests
 * of all of them evenly spread; the turns say which target's is next. */
START_TEST(the_open_loop_spreads_the_targets_requests_evenly)
{
	const size_t n = 7;
	const double rate = 1000; /* per target: one each 1 ms, a turn each 1/7 ms */
	uint64_t prev[7] = {0}, turns_prev = 0;

	/* At the start, target 0's first request only; all of them by 6/7 ms. */
	ck_assert_uint_eq(timing_due(rate, 0, 0, n), 1);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_eq(timing_due(rate, 0, i, n), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(timing_due(rate, 857143, i, n), 1);
	/* Every 10 us for 0.2 s: each target's count rises by one each 1 ms, at
	 * its own phase i/7 ms; the turns rise by one at a time, always for
	 * the target whose count rose, and sum to the counts. */
	for (uint64_t ns = 0; ns <= 200000000u; ns += 10000) {
		uint64_t turns = timing_turns(rate, ns, n), sum = 0;

		ck_assert_uint_le(turns - turns_prev, 1);
		for (size_t i = 0; i < n; i++) {
			uint64_t due = timing_due(rate, ns, i, n);

			ck_assert_uint_le(due - prev[i], 1);
			if (due != prev[i]) {
				ck_assert_uint_eq(turns - turns_prev, 1);
				ck_assert_uint_eq((turns - 1) % n, i);
				/* request due-1 of target i leaves at (due-1 + i/7) ms */
				ck_assert_uint_ge(ns * 7, ((due - 1) * 7 + i) * 1000000u);
				ck_assert_uint_lt(ns * 7,
						  ((due - 1) * 7 + i) * 1000000u + 7 * 10000u);
			}
			prev[i] = due;
			sum += due;
		}
		ck_assert_uint_eq(sum, turns);
		turns_prev = turns;
	}
	ck_assert_uint_eq(prev[0], 201);
	ck_assert_uint_eq(prev[6], 200);
	/* and far on, without drifting: 1000 s */
	ck_assert_uint_eq(timing_due(rate, 1000000000000ull, 0, n), 1000001);
	ck_assert_uint_eq(timing_due(rate, 1000000000000ull, 6, n), 1000000);
	ck_assert_uint_eq(timing_turns(rate, 1000000000000ull, n), 7000001);
}
END_TEST

/* A reply's arrival from the kernel's realtime stamp, and where it is not
 * believed: before the request left or after it was read. */
START_TEST(a_reply_arrives_at_the_kernel_s_stamp_when_plausible)
{
	const int64_t offset = 1700000000ll * 1000000000ll; /* realtime - monotonic */
	struct timespec rt = {.tv_sec = 1700000005, .tv_nsec = 250};

	/* 5 s + 250 ns monotonic, read at 5.001 s, sent at 4.9 s */
	ck_assert_uint_eq(timing_arrival(&rt, offset, 4900000000u, 5001000000u), 5000000250u);
	/* sent after it "arrived": the realtime clock stepped back; the read time */
	ck_assert_uint_eq(timing_arrival(&rt, offset, 5000000251u, 5001000000u), 5001000000u);
	/* "arrived" after it was read: stepped forward */
	ck_assert_uint_eq(timing_arrival(&rt, offset, 4900000000u, 5000000000u), 5000000000u);
	/* before the monotonic clock's zero */
	ck_assert_uint_eq(timing_arrival(&rt, offset + 6000000000ll, 0, 7), 7);
	/* at the bounds themselves */
	ck_assert_uint_eq(timing_arrival(&rt, offset, 5000000250u, 5000000250u), 5000000250u);
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
	tcase_add_test(tc, the_binomial_interval_is_exact);
	tcase_add_test(tc, the_burst_interval_is_the_negative_binomial_s);
	tcase_add_test(tc, runs_and_the_gilbert_inflation);
	tcase_add_test(tc, loss_and_burst_verdicts_pass_the_right_model_and_fail_a_wrong_one);
	tcase_add_test(tc, delay_verdicts_on_synthetic_samples);
	tcase_add_test(tc, rate_duplicate_silent_and_ttl_verdicts);
	tcase_add_test(tc, flap_verdicts_and_bounds);
	tcase_add_test(tc, an_unreachable_quoting_our_request_names_its_target);
	tcase_add_test(tc, the_open_loop_spreads_the_targets_requests_evenly);
	tcase_add_test(tc, a_reply_arrives_at_the_kernel_s_stamp_when_plausible);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

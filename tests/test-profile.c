/* SPDX-License-Identifier: MIT */
/*
 * Behaviour profiles, the pure parts: the key parser, the decision (loss
 * model, token bucket, flap, keep-order, jitter), the random numbers, the
 * delay store and the longest-prefix matcher. Every random test has a
 * fixed seed, and its bounds are statistical ones (about 6 standard
 * errors), not tuned to the seed.
 */
#include "common.h"

#include <arpa/inet.h>
#include <malloc.h>
#include <math.h>
#include <stdint.h>

#include "delay.h"
#include "hosts.h"
#include "lpm.h"
#include "profile.h"
#include "rng.h"

/*
 * For loops of many thousands: Check's ck_assert_*() records its place on
 * every pass (a write), which made this suite take seconds.
 */
#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c))                                                                          \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                         \
	} while (0)

/* ---- the parser ---- */

static struct te_profile prof(void)
{
	struct te_profile p;

	te_profile_defaults(&p);
	return p;
}

static void set_ok(struct te_profile *p, const char *key, const char *value)
{
	char err[256] = "";

	ck_assert_msg(te_profile_set(p, key, value, err, sizeof(err)) == 0, "%s = %s: %s", key,
		      value, err);
}

/* The value is refused, @p is left as it was, and the message starts with @msg. */
static void set_bad(const char *key, const char *value, const char *msg)
{
	struct te_profile p = prof(), before;
	char err[512] = "";

	p.delay_ns = 7; /* something not default, to see it stays */
	before = p;
	ck_assert_int_eq(te_profile_set(&p, key, value, err, sizeof(err)), -EINVAL);
	ck_assert_msg(!memcmp(&p, &before, sizeof(p)), "%s = %s changed the profile", key, value);
	ck_assert_msg(!strncmp(err, msg, strlen(msg)), "%s = %s: '%s' does not start with '%s'",
		      key, value, err, msg);
}

START_TEST(defaults)
{
	struct te_profile p = prof();

	ck_assert_uint_eq(p.delay_ns, 0);
	ck_assert_uint_eq(p.jitter_ns, 0);
	ck_assert_int_eq(p.dist, TE_DIST_UNIFORM);
	ck_assert_uint_eq(p.loss_ppb, 0);
	ck_assert_uint_eq(p.burst_x100, 100);
	ck_assert_uint_eq(p.ttl, 64);
	ck_assert_uint_eq(p.rate, 0);
	ck_assert(!p.keep_order && !p.down && !p.unreachable);
	ck_assert_int_eq(p.unreachable_family, 0);
	ck_assert_uint_eq(p.flap_up_ns, 0);
}
END_TEST

START_TEST(durations)
{
	static const struct {
		const char *s;
		uint64_t ns;
	} good[] = {
	    {"0", 0},
	    {"0s", 0},
	    {"250us", 250000},
	    {"30ms", 30000000},
	    {"5ms", 5000000},
	    {"10s", 10000000000ull},
	    {"1.5s", 1500000000},
	    {"0.5ms", 500000},
	    {"10000ms", 10000000000ull},
	    {"2.25us", 2250},
	    {"1ns", 1},
	    {"9.999999999s", 9999999999ull},
	};
	static const char *const bad[] = {
	    "",
	    "30",
	    "-1ms",
	    "ms",
	    "1.ms",
	    ".5ms",
	    "30 ms",
	    "30msec",
	    "1.0000000001s",
	    "0.5ns",
	    "1e3ms",
	    "10.000000001s",
	    "11s",
	    "99999999999999999999s",
	    "3 0ms",
	};
	struct te_profile p = prof();
	uint64_t ns;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_msg(te_profile_parse_duration(good[i].s, &ns), "%s", good[i].s);
		ck_assert_uint_eq(ns, good[i].ns);
		set_ok(&p, "delay", good[i].s);
		ck_assert_uint_eq(p.delay_ns, good[i].ns);
		set_ok(&p, "jitter", good[i].s);
		ck_assert_uint_eq(p.jitter_ns, good[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		set_bad("delay", bad[i], "delay: '");
		set_bad("jitter", bad[i], "jitter: '");
	}
	set_bad("delay", "30",
		"delay: '30' is not a duration from 0 to 10s (a number with us, "
		"ms or s: 250us, 30ms, 1.5s)");
	set_bad("jitter", "11s", "jitter: '11s' is not a duration from 0 to 10s");
}
END_TEST

START_TEST(percentages_and_loss)
{
	struct te_profile p = prof();

	set_ok(&p, "loss", "2%");
	ck_assert_uint_eq(p.loss_ppb, 20000000);
	ck_assert_uint_eq(p.burst_x100, 100);
	set_ok(&p, "loss", "0.1%");
	ck_assert_uint_eq(p.loss_ppb, 1000000);
	set_ok(&p, "loss", "0.0000001%");
	ck_assert_uint_eq(p.loss_ppb, 1);
	set_ok(&p, "loss", "100%");
	ck_assert_uint_eq(p.loss_ppb, 1000000000);
	set_ok(&p, "loss", "0%");
	ck_assert_uint_eq(p.loss_ppb, 0);
	set_ok(&p, "loss", "2% burst 4");
	ck_assert_uint_eq(p.loss_ppb, 20000000);
	ck_assert_uint_eq(p.burst_x100, 400);
	ck_assert_double_eq_tol(p.ge_r, 0.25, 1e-12);
	ck_assert_double_eq_tol(p.ge_p, 0.02 * 0.25 / 0.98, 1e-12);
	set_ok(&p, "loss", "2%  burst\t2.5");
	ck_assert_uint_eq(p.burst_x100, 250);
	set_ok(&p, "loss", "60% burst 2");
	ck_assert_uint_eq(p.burst_x100, 200);
	set_ok(&p, "loss", "5% burst 10000");
	set_ok(&p, "loss", "2% burst 1");
	ck_assert_uint_eq(p.burst_x100, 100);
	/* A later value replaces the burst too. */
	set_ok(&p, "loss", "3%");
	ck_assert_uint_eq(p.burst_x100, 100);

	static const char *const bad[] = {
	    "2",
	    "2 %",
	    "100.0000001%",
	    "101%",
	    "0.00000001%",
	    "-1%",
	    "2% burst",
	    "2% bursts 4",
	    "2% burst 0.5",
	    "2% burst 0",
	    "2% burst 4x",
	    "2% burst 1.234",
	    "2% burst 10001",
	    "2% 4",
	    "%",
	    "2% burst 4 more",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		set_bad("loss", bad[i], "loss: '");
	set_bad("loss", "2",
		"loss: '2' is not a rate from 0% to 100% (up to 7 decimals), "
		"optionally followed by 'burst B', the mean run of losses from 1 to "
		"10000 (up to 2 decimals): 2%, 0.1%, 2% burst 4");
	/* 60 % in runs averaging 1.2 cannot be: runs are at least 0.6/0.4 long. */
	set_bad("loss", "60% burst 1.2",
		"loss: '60% burst 1.2': at that rate a run of losses "
		"lasts at least 1.50 on average");

	set_ok(&p, "duplicate", "0.1%");
	ck_assert_uint_eq(p.duplicate_ppb, 1000000);
	set_ok(&p, "duplicate", "100%");
	ck_assert_uint_eq(p.duplicate_ppb, 1000000000);
	set_bad("duplicate", "0.1",
		"duplicate: '0.1' is not a rate from 0% to 100% (up to 7 "
		"decimals: 0.1%)");
	set_bad("duplicate", "1% burst 2", "duplicate: '");
}
END_TEST

START_TEST(ttl_distribution_booleans_address)
{
	struct te_profile p = prof();
	uint8_t a6[16];

	set_ok(&p, "ttl", "128");
	ck_assert_uint_eq(p.ttl, 128);
	set_ok(&p, "ttl", "1");
	ck_assert_uint_eq(p.ttl, 1);
	set_ok(&p, "ttl", "255");
	ck_assert_uint_eq(p.ttl, 255);
	set_bad("ttl", "0", "ttl: '0' is not a number from 1 to 255");
	set_bad("ttl", "256", "ttl: '256' is not a number from 1 to 255");
	set_bad("ttl", "64.5", "ttl: '");
	set_bad("ttl", "-1", "ttl: '");
	set_bad("ttl", "", "ttl: '");

	static const char *const dists[] = {"uniform", "normal", "pareto", "paretonormal"};
	for (int i = 3; i >= 0; i--) {
		set_ok(&p, "distribution", dists[i]);
		ck_assert_int_eq(p.dist, i);
	}
	set_bad("distribution", "gaussian",
		"distribution: 'gaussian' is not one of uniform, normal, pareto, paretonormal");

	static const char *const keys[] = {"keep-order", "down", "unreachable"};
	for (size_t k = 0; k < 3; k++) {
		bool *field = k == 0 ? &p.keep_order : k == 1 ? &p.down : &p.unreachable;
		char msg[64];

		set_ok(&p, keys[k], "yes");
		ck_assert(*field);
		set_ok(&p, keys[k], "off");
		ck_assert(!*field);
		set_ok(&p, keys[k], "TRUE");
		ck_assert(*field);
		set_ok(&p, keys[k], "0");
		ck_assert(!*field);
		snprintf(msg, sizeof(msg), "%s: 'maybe' is not yes or no", keys[k]);
		set_bad(keys[k], "maybe", msg);
	}

	set_ok(&p, "unreachable-from", "198.18.9.1");
	ck_assert_int_eq(p.unreachable_family, AF_INET);
	ck_assert_mem_eq(p.unreachable_from, "\xc6\x12\x09\x01", 4);
	set_ok(&p, "unreachable-from", "2001:db8::1");
	ck_assert_int_eq(p.unreachable_family, AF_INET6);
	inet_pton(AF_INET6, "2001:db8::1", a6);
	ck_assert_mem_eq(p.unreachable_from, a6, 16);
	set_bad("unreachable-from", "198.18.9",
		"unreachable-from: '198.18.9' is not an IPv4 or "
		"IPv6 address");
	set_bad("unreachable-from", "198.18.9.0/24", "unreachable-from: '");
}
END_TEST

START_TEST(rate_limit_and_flap_values)
{
	struct te_profile p = prof();

	set_ok(&p, "rate-limit", "100/s burst 20");
	ck_assert_uint_eq(p.rate, 100);
	ck_assert_uint_eq(p.bucket, 20);
	ck_assert_uint_eq(p.gcra_t_ns, 10000000);
	ck_assert_uint_eq(p.gcra_tau_ns, 190000000);
	set_ok(&p, "rate-limit", "3/s");
	ck_assert_uint_eq(p.rate, 3);
	ck_assert_uint_eq(p.bucket, 1);
	ck_assert_uint_eq(p.gcra_t_ns, 333333333);
	ck_assert_uint_eq(p.gcra_t_frac, 1);
	ck_assert_uint_eq(p.gcra_tau_ns, 0);
	set_ok(&p, "rate-limit", "10000000/s burst 10000000");
	set_ok(&p, "rate-limit", "no");
	ck_assert_uint_eq(p.rate, 0);

	static const char *const bad_rate[] = {
	    "100",	     "0/s",	 "100/min",	    "100/s burst",
	    "100/s burst 0", "100/s 20", "10000001/s",	    "100/s burst 10000001",
	    "1.5/s",	     "yes",	 "100/s burst 2 x",
	};
	for (size_t i = 0; i < sizeof(bad_rate) / sizeof(bad_rate[0]); i++)
		set_bad("rate-limit", bad_rate[i], "rate-limit: '");
	set_bad("rate-limit", "100",
		"rate-limit: '100' is not 'R/s' or 'R/s burst B' (replies "
		"per second per host from 1 to 10000000, a bucket of 1 to "
		"10000000, default 1) or 'no'");

	set_ok(&p, "flap", "50s up 10s down");
	ck_assert_uint_eq(p.flap_up_ns, 50 * TE_NS_PER_S);
	ck_assert_uint_eq(p.flap_down_ns, 10 * TE_NS_PER_S);
	ck_assert(!p.flap_starts_down);
	set_ok(&p, "flap", "500ms down 1.5s up");
	ck_assert_uint_eq(p.flap_up_ns, 1500000000);
	ck_assert_uint_eq(p.flap_down_ns, 500000000);
	ck_assert(p.flap_starts_down);
	set_ok(&p, "flap", "86400s up 1ms down");
	set_ok(&p, "flap", "no");
	ck_assert_uint_eq(p.flap_up_ns, 0);

	static const char *const bad_flap[] = {
	    "50s up",
	    "50s up 10s",
	    "0s up 10s down",
	    "50s up 0.5ms down",
	    "50 up 10 down",
	    "50s up 10s up",
	    "50s down 10s down",
	    "86401s up 1s down",
	    "50s up 10s down x",
	    "yes",
	};
	for (size_t i = 0; i < sizeof(bad_flap) / sizeof(bad_flap[0]); i++)
		set_bad("flap", bad_flap[i], "flap: '");
	set_bad("flap", "50s up",
		"flap: '50s up' is not 'U up D down' or 'D down U up' (each a "
		"duration from 1ms to 86400s, as 50s, 500ms) or 'no'");
}
END_TEST

START_TEST(unknown_key_and_no_err_buffer)
{
	struct te_profile p = prof();

	set_bad("latency", "30ms",
		"unknown key 'latency' in a profile (known: delay, jitter, "
		"distribution, loss, duplicate, ttl, rate-limit, keep-order, "
		"down, unreachable, unreachable-from, flap)");
	/* No room for a message: still refused, nothing written. */
	ck_assert_int_eq(te_profile_set(&p, "ttl", "0", NULL, 0), -EINVAL);
	ck_assert_uint_eq(p.ttl, 64);
	ck_assert_str_eq(te_profile_drop_name(TE_PROFILE_LOST), "lost");
	ck_assert_str_eq(te_profile_drop_name(TE_PROFILE_DOWN), "down");
	ck_assert_str_eq(te_profile_drop_name(TE_PROFILE_RATE_LIMITED), "rate_limited");
	ck_assert_str_eq(te_profile_drop_name(TE_PROFILE_FLAPPED), "flapped");
	ck_assert_str_eq(te_profile_drop_name(TE_PROFILE_DROPS), "?");
}
END_TEST

/* ---- the random numbers ---- */

START_TEST(rng_is_reproducible)
{
	struct te_rng a, b, c;
	uint64_t first;
	double sum = 0;

	te_rng_seed(&a, 42, 0);
	te_rng_seed(&b, 42, 0);
	te_rng_seed(&c, 42, 1);
	first = te_rng_next(&a);
	ck_assert_uint_eq(first, te_rng_next(&b));
	ck_assert_uint_ne(first, te_rng_next(&c));
	for (int i = 0; i < 1000; i++)
		CHECK((te_rng_next(&a)) == (te_rng_next(&b)));
	for (int i = 0; i < 100000; i++) {
		double u = te_rng_unit(&a), v = te_rng_unit_open0(&a);

		CHECK(u >= 0 && u < 1);
		CHECK(v > 0 && v <= 1);
		CHECK((te_rng_below(&a, 7)) < (7));
		sum += u;
	}
	/* The mean of 10^5 uniforms: 0.5, standard error 0.0009. */
	ck_assert_double_eq_tol(sum / 100000, 0.5, 0.006);
}
END_TEST

/* ---- the decision ---- */

struct runs {
	uint64_t n, lost, runs;
};

/* @n decisions for one host, 1 ms apart, counting losses and runs of them. */
static struct runs count_losses(const struct te_profile *p, uint64_t n, uint64_t seed)
{
	struct te_host_state h = {0};
	struct te_rng rng;
	struct te_decision d;
	struct runs r = {n, 0, 0};
	bool prev = false;

	te_rng_seed(&rng, seed, 0);
	for (uint64_t i = 0; i < n; i++) {
		bool lost = te_profile_decide(p, &h, i * 1000000, &rng, &d) == TE_VERDICT_DROP;

		if (lost)
			CHECK((d.reason) == (TE_PROFILE_LOST));
		r.lost += lost;
		r.runs += lost && !prev;
		prev = lost;
	}
	return r;
}

START_TEST(gilbert_elliott_rate_and_burst)
{
	struct te_profile p = prof();
	struct runs r;

	/*
	 * 2 % in runs of 4: r = 0.25, p = 0.0051. Losses of a Markov chain
	 * are correlated (lag-1 correlation 1 - p - r = 0.745), which widens
	 * the rate's standard error by sqrt((1+rho)/(1-rho)) = 2.6: 0.00037
	 * over 10^6 draws. About 5000 runs of a geometric length (sd 3.5):
	 * the mean's standard error is 0.05.
	 */
	set_ok(&p, "loss", "2% burst 4");
	r = count_losses(&p, 1000000, 1);
	ck_assert_double_eq_tol((double)r.lost / r.n, 0.02, 0.0022);
	ck_assert_double_eq_tol((double)r.lost / r.runs, 4.0, 0.3);
	ck_assert_double_eq_tol(te_profile_mean_burst(&p), 4.0, 1e-12);
	ck_assert_double_eq_tol(te_profile_loss_rate(&p), 0.02, 1e-12);

	/* Long runs: 10 % in runs of 50 (about 2000 runs, sd 49.5: se 1.1;
	 * rho = 0.978, the rate's se 0.0028). */
	set_ok(&p, "loss", "10% burst 50");
	r = count_losses(&p, 1000000, 2);
	ck_assert_double_eq_tol((double)r.lost / r.n, 0.10, 0.017);
	ck_assert_double_eq_tol((double)r.lost / r.runs, 50.0, 7);

	/* Independent (burst 1): runs of 1/(1-L) on average. 10 %: se 0.0003
	 * for the rate; 90000 runs, sd 0.35: se 0.0012. */
	set_ok(&p, "loss", "10%");
	r = count_losses(&p, 1000000, 3);
	ck_assert_double_eq_tol((double)r.lost / r.n, 0.10, 0.0018);
	ck_assert_double_eq_tol((double)r.lost / r.runs, 1 / 0.9, 0.008);
	ck_assert_double_eq_tol(te_profile_mean_burst(&p), 1 / 0.9, 1e-12);

	/* The ends: nothing lost, everything lost. */
	set_ok(&p, "loss", "0%");
	ck_assert_uint_eq(count_losses(&p, 10000, 4).lost, 0);
	set_ok(&p, "loss", "100% burst 3");
	ck_assert_uint_eq(count_losses(&p, 10000, 4).lost, 10000);
}
END_TEST

START_TEST(token_bucket_rate_and_burst)
{
	struct te_profile p = prof();
	struct te_host_state h = {0}, other = {0};
	struct te_rng rng;
	struct te_decision d;
	uint64_t t0 = 5 * TE_NS_PER_S, passed = 0;

	te_rng_seed(&rng, 9, 0);
	set_ok(&p, "rate-limit", "100/s burst 20");
	/* A burst at one instant: the bucket's 20, then nothing. */
	for (int i = 0; i < 50; i++)
		passed += te_profile_decide(&p, &h, t0, &rng, &d) == TE_VERDICT_SEND;
	ck_assert_uint_eq(passed, 20);
	ck_assert_int_eq(d.kind, TE_VERDICT_DROP);
	ck_assert_int_eq(d.reason, TE_PROFILE_RATE_LIMITED);
	/* Another host has a bucket of its own. */
	ck_assert_int_eq(te_profile_decide(&p, &other, t0, &rng, &d), TE_VERDICT_SEND);
	/* Then 1000/s offered for 10 s: 100/s get through, one per 10 ms. */
	passed = 0;
	for (uint64_t i = 1; i <= 10000; i++)
		passed += te_profile_decide(&p, &h, t0 + i * 1000000, &rng, &d) == TE_VERDICT_SEND;
	ck_assert_uint_ge(passed, 999);
	ck_assert_uint_le(passed, 1001);
	/* Idle for a second refills the bucket to 20, not more. */
	passed = 0;
	for (int i = 0; i < 50; i++)
		passed +=
		    te_profile_decide(&p, &h, t0 + 12 * TE_NS_PER_S, &rng, &d) == TE_VERDICT_SEND;
	ck_assert_uint_eq(passed, 20);

	/* A rate that is no whole number of nanoseconds apart: 3/s for 1000 s,
	 * offered every millisecond. With room for one token more than the
	 * one in use, the fractions carry over: 3000 and the bucket's 2, no
	 * drift. */
	set_ok(&p, "rate-limit", "3/s burst 2");
	memset(&h, 0, sizeof(h));
	passed = 0;
	for (uint64_t i = 0; i < 1000000; i++)
		passed += te_profile_decide(&p, &h, t0 + i * 1000000, &rng, &d) == TE_VERDICT_SEND;
	ck_assert_uint_ge(passed, 3000);
	ck_assert_uint_le(passed, 3002);
	/* A bucket of one cannot bank the time between a token and the next
	 * request: a reply every 334 ms, as a real bucket of one gives. */
	set_ok(&p, "rate-limit", "3/s");
	memset(&h, 0, sizeof(h));
	passed = 0;
	for (uint64_t i = 0; i < 1000000; i++)
		passed += te_profile_decide(&p, &h, t0 + i * 1000000, &rng, &d) == TE_VERDICT_SEND;
	ck_assert_uint_eq(passed, 1 + 1000000 / 334);

	/* A lost request never reaches the host: it takes no token. */
	set_ok(&p, "loss", "100%");
	memset(&h, 0, sizeof(h));
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(te_profile_decide(&p, &h, t0, &rng, &d), TE_VERDICT_DROP);
	ck_assert_int_eq(d.reason, TE_PROFILE_LOST);
	ck_assert_uint_eq(h.tat_ns, 0);

	/* A reload to another rate keeps the host's state usable. */
	set_ok(&p, "loss", "0%");
	set_ok(&p, "rate-limit", "7/s burst 2");
	h.tat_ns = t0;
	h.tat_frac = 2; /* a fraction of the old rate (3/s) */
	set_ok(&p, "rate-limit", "2/s");
	ck_assert_int_eq(te_profile_decide(&p, &h, t0 + TE_NS_PER_S, &rng, &d), TE_VERDICT_SEND);
	ck_assert_uint_lt(h.tat_frac, 2);
}
END_TEST

START_TEST(flap_phase)
{
	struct te_profile p = prof();
	struct te_host_state h1 = {0}, h2 = {0};
	struct te_rng rng;
	struct te_decision d;
	const uint64_t s = TE_NS_PER_S, e = 1000 * s;

	te_rng_seed(&rng, 1, 0);
	ck_assert(te_profile_flap_up(&p, 0)); /* no flap: always up */
	set_ok(&p, "flap", "50s up 10s down");
	p.epoch_ns = e;
	ck_assert(te_profile_flap_up(&p, e));
	ck_assert(te_profile_flap_up(&p, e + 50 * s - 1));
	ck_assert(!te_profile_flap_up(&p, e + 50 * s));
	ck_assert(!te_profile_flap_up(&p, e + 60 * s - 1));
	ck_assert(te_profile_flap_up(&p, e + 60 * s));
	ck_assert(te_profile_flap_up(&p, e + 600 * s + 49 * s));
	ck_assert(!te_profile_flap_up(&p, e + 600 * s + 55 * s));
	/* Before the epoch the cycle runs backwards the same way. */
	ck_assert(!te_profile_flap_up(&p, e - 1));
	ck_assert(!te_profile_flap_up(&p, e - 10 * s));
	ck_assert(te_profile_flap_up(&p, e - 10 * s - 1));
	ck_assert(te_profile_flap_up(&p, e - 60 * s));
	/* Every host of the profile sees the same phase. */
	ck_assert_int_eq(te_profile_decide(&p, &h1, e + 51 * s, &rng, &d), TE_VERDICT_DROP);
	ck_assert_int_eq(d.reason, TE_PROFILE_FLAPPED);
	ck_assert_int_eq(te_profile_decide(&p, &h2, e + 51 * s, &rng, &d), TE_VERDICT_DROP);
	ck_assert_int_eq(te_profile_decide(&p, &h2, e + 61 * s, &rng, &d), TE_VERDICT_SEND);
	/* Up time over a long stretch: 50/60 of it, sampled every 10 ms. */
	{
		uint64_t up = 0;

		for (uint64_t t = 0; t < 600 * s; t += 10000000)
			up += te_profile_flap_up(&p, e + t);
		ck_assert_uint_eq(up, 50000);
	}
	/* Starting down. */
	set_ok(&p, "flap", "10s down 50s up");
	ck_assert(!te_profile_flap_up(&p, e));
	ck_assert(!te_profile_flap_up(&p, e + 10 * s - 1));
	ck_assert(te_profile_flap_up(&p, e + 10 * s));
	ck_assert(!te_profile_flap_up(&p, e + 60 * s));
}
END_TEST

START_TEST(down_unreachable_ttl_duplicate)
{
	struct te_profile p = prof();
	struct te_host_state h = {0};
	struct te_rng rng;
	struct te_decision d;
	uint64_t now = 77, twice = 0;

	te_rng_seed(&rng, 5, 0);
	ck_assert_int_eq(te_profile_decide(&p, &h, now, &rng, &d), TE_VERDICT_SEND);
	ck_assert_uint_eq(d.copies, 1);
	ck_assert_uint_eq(d.due_ns[0], now); /* no delay: at once */
	ck_assert_uint_eq(d.ttl, 64);
	set_ok(&p, "ttl", "128");
	set_ok(&p, "unreachable", "yes");
	set_ok(&p, "delay", "30ms");
	ck_assert_int_eq(te_profile_decide(&p, &h, now, &rng, &d), TE_VERDICT_UNREACHABLE);
	ck_assert_uint_eq(d.ttl, 128);
	ck_assert_uint_eq(d.due_ns[0], now + 30000000);
	set_ok(&p, "down", "yes");
	ck_assert_int_eq(te_profile_decide(&p, &h, now, &rng, &d), TE_VERDICT_DROP);
	ck_assert_int_eq(d.reason, TE_PROFILE_DOWN);
	ck_assert_uint_eq(d.copies, 0);

	/* 10 % duplicated over 10^5: se 0.00095. Each copy its own jitter. */
	p = prof();
	set_ok(&p, "duplicate", "10%");
	set_ok(&p, "delay", "10ms");
	set_ok(&p, "jitter", "5ms");
	for (int i = 0; i < 100000; i++) {
		CHECK((te_profile_decide(&p, &h, now, &rng, &d)) == (TE_VERDICT_SEND));
		if (d.copies == 2) {
			twice++;
			CHECK((d.due_ns[1]) >= (now + 5000000));
			CHECK((d.due_ns[1]) <= (now + 15000000));
		}
		CHECK((d.due_ns[0]) >= (now + 5000000));
		CHECK((d.due_ns[0]) <= (now + 15000000));
	}
	ck_assert_double_eq_tol(twice / 100000.0, 0.10, 0.006);
	set_ok(&p, "duplicate", "100%");
	ck_assert_int_eq(te_profile_decide(&p, &h, now, &rng, &d), TE_VERDICT_SEND);
	ck_assert_uint_eq(d.copies, 2);
	ck_assert_uint_ne(d.due_ns[0], d.due_ns[1]);
}
END_TEST

/* How many replies leave before one sent earlier, over @n requests 10 us apart. */
static uint64_t reorders(bool keep_order)
{
	struct te_profile p = prof();
	struct te_host_state h = {0};
	struct te_rng rng;
	struct te_decision d;
	uint64_t last = 0, n = 0;

	te_rng_seed(&rng, 11, 0);
	set_ok(&p, "delay", "10ms");
	set_ok(&p, "jitter", "10ms");
	set_ok(&p, "duplicate", "5%");
	set_ok(&p, "keep-order", keep_order ? "yes" : "no");
	for (uint64_t i = 0; i < 100000; i++) {
		uint64_t now = 1000000000 + i * 10000;

		CHECK((te_profile_decide(&p, &h, now, &rng, &d)) == (TE_VERDICT_SEND));
		for (unsigned c = 0; c < d.copies; c++) {
			CHECK((d.due_ns[c]) >= (now));
			n += d.due_ns[c] < last;
			if (d.due_ns[c] > last)
				last = d.due_ns[c];
		}
	}
	return n;
}

START_TEST(keep_order)
{
	ck_assert_uint_gt(reorders(false), 1000); /* jitter does reorder */
	ck_assert_uint_eq(reorders(true), 0);
}
END_TEST

START_TEST(normal_quantile)
{
	/* Against erfc, the other way round, over the whole range. */
	for (int i = 1; i < 10000; i++) {
		double q = i / 10000.0, x = te_normal_quantile(q);

		ck_assert_double_eq_tol(0.5 * erfc(-x / sqrt(2)), q,
					1e-7 * (q < 0.5 ? q : 1 - q) + 1e-12);
	}
	ck_assert_double_eq_tol(te_normal_quantile(0.975), 1.959963985, 1e-8);
	ck_assert_double_eq_tol(te_normal_quantile(1e-6), -4.753424309, 1e-7);
	ck_assert_double_eq(te_normal_quantile(0.5), 0);
}
END_TEST

/*
 * The moments netem's generators give each shape (their quantile
 * functions written out again here, then integrated by the midpoint rule).
 */
static double clamp4(double x)
{
	return fmax(-4.0, fmin(32767.0 / 8192, x));
}

static double netem_quantile(enum te_dist d, double q)
{
	double pareto = clamp4((pow(1 - q, -1.0 / 3) - 1.5) * 4 / 3);
	/* The normal part by bisection on erfc: slow, and not the library's. */
	double lo = -10, hi = 10;

	if (d == TE_DIST_UNIFORM)
		return 2 * q - 1;
	if (d == TE_DIST_PARETO)
		return pareto;
	for (int i = 0; i < 60; i++) {
		double mid = (lo + hi) / 2;

		if (0.5 * erfc(-mid / sqrt(2)) < q)
			lo = mid;
		else
			hi = mid;
	}
	if (d == TE_DIST_NORMAL)
		return clamp4(lo);
	return clamp4((clamp4(lo) + 3 * pareto) / 4);
}

START_TEST(jitter_distributions)
{
	static const char *const names[] = {"uniform", "normal", "pareto", "paretonormal"};
	const double delay = 1e9, jitter = 1e7;
	const int n = 1000000, grid = 20000;

	for (int k = 0; k < 4; k++) {
		struct te_profile p = prof();
		struct te_rng rng;
		double m = 0, m2 = 0, want_m = 0, want_m2 = 0, sd, want_sd, lo = 1e30, hi = 0;

		for (int i = 0; i < grid; i++) {
			double x = netem_quantile((enum te_dist)k, (i + 0.5) / grid);

			want_m += x / grid;
			want_m2 += x * x / grid;
		}
		want_sd = sqrt(want_m2 - want_m * want_m);
		set_ok(&p, "delay", "1s");
		set_ok(&p, "jitter", "10ms");
		set_ok(&p, "distribution", names[k]);
		te_rng_seed(&rng, 100 + (uint64_t)k, 0);
		for (int i = 0; i < n; i++) {
			double x = ((double)te_profile_sample_delay(&p, &rng) - delay) / jitter;

			m += x;
			m2 += x * x;
			lo = fmin(lo, x);
			hi = fmax(hi, x);
		}
		m /= n;
		sd = sqrt(m2 / n - m * m);
		/* The mean within 6 standard errors; the spread within 3 %
		 * (pareto's heavy tail makes its sd the noisiest). */
		ck_assert_msg(fabs(m - want_m) < 6 * want_sd / sqrt(n), "%s: mean %f, want %f",
			      names[k], m, want_m);
		ck_assert_msg(fabs(sd / want_sd - 1) < 0.03, "%s: sd %f, want %f", names[k], sd,
			      want_sd);
		ck_assert_msg(lo >= -4.0 - 1e-6 && hi <= 4.0, "%s: range %f to %f", names[k], lo,
			      hi);
	}
	/* The shapes themselves: uniform spans +-1 with sd 1/sqrt(3); normal sd 1. */
	ck_assert_double_eq_tol(netem_quantile(TE_DIST_UNIFORM, 0.999), 0.998, 1e-9);
	{
		double s2 = 0;

		for (int i = 0; i < grid; i++)
			s2 += pow(netem_quantile(TE_DIST_NORMAL, (i + 0.5) / grid), 2) / grid;
		ck_assert_double_eq_tol(sqrt(s2), 1.0, 0.01);
	}
}
END_TEST

START_TEST(delay_quantiles)
{
	static const char *const names[] = {"uniform", "normal", "pareto", "paretonormal"};
	static const double qs[] = {0.01, 0.1, 0.5, 0.9, 0.99};
	const int n = 200000;

	for (int k = 0; k < 4; k++) {
		struct te_profile p = prof();
		struct te_rng rng;
		uint64_t below[5] = {0}, prev = 0;

		set_ok(&p, "delay", "5ms");
		set_ok(&p, "jitter", "2ms");
		set_ok(&p, "distribution", names[k]);
		for (int i = 1; i < 1000; i++) {
			uint64_t v = te_profile_delay_quantile(&p, i / 1000.0);

			ck_assert_uint_ge(v, prev); /* a quantile function does not go down */
			prev = v;
		}
		te_rng_seed(&rng, 55 + (uint64_t)k, 0);
		for (int i = 0; i < n; i++) {
			uint64_t v = te_profile_sample_delay(&p, &rng);

			for (int j = 0; j < 5; j++)
				below[j] += v <= te_profile_delay_quantile(&p, qs[j]);
		}
		/* The share of draws at or below each quantile is that quantile:
		 * binomial, se at most 0.0011 over 2 10^5 draws. Where the shape
		 * is cut (pareto's top 1.1 %, at netem's table limit) the cut
		 * value holds all the mass above it. */
		for (int j = 0; j < 5; j++) {
			double share = (double)below[j] / n;
			bool cut = te_profile_delay_quantile(&p, qs[j]) ==
				   te_profile_delay_quantile(&p, 0.99999);

			ck_assert_msg(cut ? share > qs[j] - 0.007 : fabs(share - qs[j]) < 0.007,
				      "%s q %.2f: %f", names[k], qs[j], share);
		}
	}
	{
		struct te_profile p = prof();

		set_ok(&p, "delay", "30ms");
		ck_assert_uint_eq(te_profile_delay_quantile(&p, 0.99), 30000000);
		set_ok(&p, "jitter", "5ms");
		ck_assert_uint_eq(te_profile_delay_quantile(&p, 0.5), 30000000);
		ck_assert_uint_eq(te_profile_delay_quantile(&p, 0.75), 32500000);
		set_ok(&p, "distribution", "normal");
		ck_assert_uint_eq(te_profile_delay_quantile(&p, 0.5), 30000000);
		ck_assert_uint_le(llabs((long long)te_profile_delay_quantile(&p, 0.975) -
					(long long)(30000000 + 5000000 * 1.959963985)),
				  1);
	}
}
END_TEST

START_TEST(delay_never_negative)
{
	static const char *const names[] = {"uniform", "normal", "pareto", "paretonormal"};

	for (int k = 0; k < 4; k++) {
		struct te_profile p = prof();
		struct te_rng rng;
		uint64_t zeros = 0, max = 0;

		set_ok(&p, "delay", "1ms");
		set_ok(&p, "jitter", "10ms");
		set_ok(&p, "distribution", names[k]);
		te_rng_seed(&rng, 7, 0);
		for (int i = 0; i < 100000; i++) {
			uint64_t ns = te_profile_sample_delay(&p, &rng);

			zeros += ns == 0;
			if (ns > max)
				max = ns;
		}
		/* Clamped at 0, not wrapped around to 2^64 - x. */
		ck_assert_uint_le(max, 1000000 + 40000000);
		ck_assert_uint_gt(zeros, 0);
	}
}
END_TEST

/* ---- the delay store ---- */

struct popped {
	size_t n;
	uint64_t due[20000];
	uintptr_t ctx[20000];
	struct te_delay *push_back; /* when set, each pop pushes one more, later */
};

static void on_pop(void *arg, void *ctx, const uint8_t *bytes, size_t len, uint64_t due)
{
	struct popped *pp = arg;

	ck_assert_uint_eq(len, (uintptr_t)ctx % 200);
	for (size_t i = 0; i < len; i++)
		CHECK((bytes[i]) == ((uint8_t)((uintptr_t)ctx + i)));
	pp->due[pp->n] = due;
	pp->ctx[pp->n++] = (uintptr_t)ctx;
	if (pp->push_back && pp->n == 1) {
		uint8_t b[200] = {0};
		uintptr_t c = 100000 * 200; /* len 0 */

		ck_assert_int_eq(te_delay_push(pp->push_back, due + 1, b, 0, (void *)c), 0);
	}
}

/* Push reply @i: its length and bytes follow from @i, to check they come back. */
static int push(struct te_delay *d, uint64_t due, uintptr_t i)
{
	uint8_t b[200];
	size_t len = i % 200;

	for (size_t k = 0; k < len; k++)
		b[k] = (uint8_t)(i + k);
	return te_delay_push(d, due, b, len, (void *)i);
}

static void check_order(const struct popped *pp)
{
	for (size_t i = 1; i < pp->n; i++) {
		CHECK((pp->due[i - 1]) <= (pp->due[i]));
		if (pp->due[i - 1] == pp->due[i])
			ck_assert_uint_lt(pp->ctx[i - 1], pp->ctx[i]); /* as pushed */
	}
}

START_TEST(delay_store_order)
{
	static struct popped pp;
	struct te_delay *d;
	struct te_delay_stats st;
	struct te_rng rng;
	size_t rest;

	te_rng_seed(&rng, 3, 0);
	ck_assert_int_eq(te_delay_new(&d, 100000, 100u << 20), 0);
	ck_assert_uint_eq(te_delay_next_due(d), UINT64_MAX);
	/* Jitter: random times, many equal. */
	for (uintptr_t i = 0; i < 20000; i++)
		ck_assert_int_eq(push(d, 1000 + te_rng_below(&rng, 500), i), 0);
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.count, 20000);
	ck_assert_uint_gt(st.in_heap, 0);
	ck_assert_uint_ge(te_delay_next_due(d), 1000);
	/* Nothing is due before its time. */
	ck_assert_uint_eq(te_delay_pop_due(d, 999, SIZE_MAX, on_pop, &pp), 0);
	/* Small batches, as a timer with a budget takes them. */
	for (uint64_t now = 1000; now < 1500; now += 7)
		while (te_delay_pop_due(d, now, 64, on_pop, &pp) == 64)
			;
	rest = 20000 - pp.n;
	ck_assert_uint_eq(te_delay_pop_due(d, UINT64_MAX, SIZE_MAX, on_pop, &pp), rest);
	ck_assert_uint_eq(pp.n, 20000);
	check_order(&pp);
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_uint_eq(st.bytes, 0);
	ck_assert_uint_eq(st.memory, 0);
	ck_assert_uint_eq(st.pushed, 20000);
	ck_assert_uint_eq(st.popped, 20000);
	ck_assert_uint_eq(te_delay_next_due(d), UINT64_MAX);
	te_delay_free(d);
}
END_TEST

static void on_pop_where(void *arg, void *ctx, const uint8_t *bytes, size_t len, uint64_t due)
{
	const uint8_t **where = arg;

	(void)due;
	ck_assert_uint_eq(len, 84);
	for (size_t i = 0; i < len; i++)
		CHECK((bytes[i]) == ((uint8_t)((uintptr_t)ctx + i)));
	*where = bytes;
}

/* A reply handed out leaves its memory for the next of its length (a run of
 * pings), with that one's bytes, and any other length gets its own. */
START_TEST(delay_store_reuses_what_it_handed_out)
{
	struct te_delay *d;
	struct te_delay_stats st;
	const uint8_t *first = NULL, *again = NULL;
	uint8_t b[84];

	ck_assert_int_eq(te_delay_new(&d, 1000, 1u << 20), 0);
	for (size_t k = 0; k < sizeof(b); k++)
		b[k] = (uint8_t)(1 + k);
	ck_assert_int_eq(te_delay_push(d, 1, b, sizeof(b), (void *)1), 0);
	ck_assert_uint_eq(te_delay_pop_due(d, 1, 1, on_pop_where, &first), 1);
	for (size_t k = 0; k < sizeof(b); k++)
		b[k] = (uint8_t)(2 + k);
	ck_assert_int_eq(te_delay_push(d, 2, b, sizeof(b), (void *)2), 0);
	ck_assert_uint_eq(te_delay_pop_due(d, 2, 1, on_pop_where, &again), 1);
	ck_assert_ptr_eq(first, again);
	/* Other lengths around it: each still intact (on_pop checks). */
	for (uintptr_t i = 0; i < 400; i++)
		ck_assert_int_eq(push(d, 10 + i, i), 0);
	while (te_delay_pop_due(d, UINT64_MAX, 1, on_pop, &(struct popped){0}))
		;
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_uint_eq(st.memory, 0);
	te_delay_free(d); /* the spares too: ASan sees no leak */
}
END_TEST

START_TEST(delay_store_lanes_for_constant_delays)
{
	static struct popped pp;
	static const uint64_t delays[] = {10000000, 30000000, 5000000};
	struct te_delay *d;
	struct te_delay_stats st;

	/* Three profiles with constant delays, interleaved, one batch time for
	 * every four requests: all in lanes, no sorting. */
	ck_assert_int_eq(te_delay_new(&d, 100000, 100u << 20), 0);
	for (uintptr_t i = 0; i < 15000; i++)
		ck_assert_int_eq(push(d, (i / 4) * 1000 + delays[i % 3], i), 0);
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.in_heap, 0);
	ck_assert_uint_eq(te_delay_next_due(d), 5000000);
	/* A callback may push: the reply it adds comes out in order too. */
	pp.push_back = d;
	ck_assert_uint_eq(te_delay_pop_due(d, UINT64_MAX, SIZE_MAX, on_pop, &pp), 15001);
	check_order(&pp);
	te_delay_free(d);
}
END_TEST

START_TEST(delay_store_bounds_and_memory)
{
	struct te_delay *d;
	struct te_delay_stats st;
	uint8_t *big = malloc(65535);
	size_t cost = 0;

	ck_assert_int_eq(te_delay_new(&d, 0, 1000), -EINVAL);
	ck_assert_int_eq(te_delay_new(&d, 10, 0), -EINVAL);
	/* The count. */
	ck_assert_int_eq(te_delay_new(&d, 10, 1u << 20), 0);
	for (uintptr_t i = 0; i < 10; i++)
		CHECK((push(d, 5, i)) == (0));
	ck_assert_int_eq(push(d, 5, 10), -ENOSPC);
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.full, 1);
	ck_assert_uint_eq(st.count, 10);
	for (uintptr_t i = 0; i < 10; i++)
		cost += te_delay_cost(i % 200);
	ck_assert_uint_eq(st.memory, cost);
	ck_assert_uint_eq(st.bytes, 45);
	/* Raised limits take more at once. */
	te_delay_set_limits(d, 11, 1u << 20);
	ck_assert_int_eq(push(d, 5, 10), 0);
	te_delay_free(d);

	/* The bytes: a whole 64 KiB datagram, copied and handed back intact. */
	ck_assert_int_eq(te_delay_new(&d, 1000, 2 * te_delay_cost(65535)), 0);
	for (size_t i = 0; i < 65535; i++)
		big[i] = (uint8_t)(i * 7);
	ck_assert_int_eq(te_delay_push(d, 1, big, 65535, NULL), 0);
	ck_assert_int_eq(te_delay_push(d, 2, big, 65535, NULL), 0);
	ck_assert_int_eq(te_delay_push(d, 3, big, 1, NULL), -ENOSPC);
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.memory, 2 * te_delay_cost(65535));
	ck_assert_uint_eq(st.bytes, 2 * 65535);
	te_delay_free(d); /* freed unsent: ASan sees no leak */
	free(big);

	/*
	 * What a reply costs: its allocation (the header and its bytes, as
	 * te_delay_cost() minus the heap slot) in the chunk glibc's malloc
	 * carves for it (request2size(): 8 bytes of size word, rounded up to
	 * 16), plus the heap slot: at most len + 64. (malloc_usable_size()
	 * can say more: a free chunk up to 31 bytes bigger is handed out
	 * whole, which depends on the heap's history, not on the store.)
	 */
	for (size_t len = 0; len <= 2000; len++) {
		size_t alloc = te_delay_cost(len) - sizeof(void *);
		size_t chunk = (alloc + sizeof(size_t) + 15) & ~(size_t)15;
		void *p = malloc(alloc);

		CHECK((malloc_usable_size(p)) >= (alloc));
		ck_assert_msg(chunk + sizeof(void *) <= len + 64, "%zu bytes cost %zu", len,
			      chunk + sizeof(void *));
		CHECK((te_delay_cost(len)) <= (len + 64));
		free(p);
	}
}
END_TEST

START_TEST(delay_store_purge)
{
	static struct popped pp;
	struct te_delay *d;
	struct te_delay_stats st;
	struct te_rng rng;
	size_t odd = 0;

	te_rng_seed(&rng, 8, 0);
	ck_assert_int_eq(te_delay_new(&d, 100000, 100u << 20), 0);
	for (uintptr_t i = 0; i < 4000; i++) {
		/* Every third reply has ctx 201 (never another's index): the purge
		 * takes those. */
		uintptr_t c = i % 3 == 0 ? 201 : i;

		odd += c == 201;
		CHECK((push(d, te_rng_below(&rng, 100), c)) == (0));
	}
	ck_assert_uint_eq(te_delay_purge(d, (void *)(uintptr_t)201), odd);
	te_delay_get_stats(d, &st);
	ck_assert_uint_eq(st.count, 4000 - odd);
	ck_assert_uint_eq(st.purged, odd);
	ck_assert_uint_eq(te_delay_pop_due(d, UINT64_MAX, SIZE_MAX, on_pop, &pp), 4000 - odd);
	for (size_t i = 0; i < pp.n; i++)
		CHECK((pp.ctx[i]) != (201));
	for (size_t i = 1; i < pp.n; i++)
		CHECK((pp.due[i - 1]) <= (pp.due[i]));
	te_delay_free(d);
	te_delay_free(NULL);
}
END_TEST

/* ---- the hosts' state ---- */

START_TEST(hosts_table)
{
	struct te_hosts *t;
	struct te_hosts_stats st;
	struct te_host_state *a, *b;
	uint8_t v4[4] = {198, 18, 0, 1}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	uint8_t same[16] = {198, 18, 0, 1};

	ck_assert_int_eq(te_hosts_new(&t, ((size_t)1 << 28) + 1, 1), -EINVAL);
	ck_assert_int_eq(te_hosts_new(&t, 1000, 1), 0);
	te_hosts_get_stats(t, &st);
	ck_assert_uint_eq(st.capacity, 1024);
	a = te_hosts_get(t, AF_INET, v4, 1);
	ck_assert_ptr_nonnull(a);
	ck_assert_uint_eq(a->tat_ns, 0); /* new: zeroed */
	a->tat_ns = 42;
	ck_assert_ptr_eq(te_hosts_get(t, AF_INET, v4, 2), a);
	ck_assert_uint_eq(a->tat_ns, 42);
	/* The same first bytes in the other family are another host. */
	b = te_hosts_get(t, AF_INET6, same, 3);
	ck_assert_ptr_ne(b, a);
	ck_assert_uint_eq(b->tat_ns, 0);
	ck_assert_ptr_nonnull(te_hosts_get(t, AF_INET6, v6, 4));
	ck_assert_ptr_null(te_hosts_get(t, AF_UNIX, v4, 5));
	/* 100 hosts in 1024 slots: everyone kept, each its own state. */
	for (uint32_t i = 0; i < 100; i++) {
		uint8_t x[4] = {198, 18, 1, (uint8_t)i};

		te_hosts_get(t, AF_INET, x, 10 + i)->last_due_ns = i + 1000;
	}
	for (uint32_t i = 0; i < 100; i++) {
		uint8_t x[4] = {198, 18, 1, (uint8_t)i};

		CHECK((te_hosts_get(t, AF_INET, x, 200)->last_due_ns) == (i + 1000));
	}
	te_hosts_get_stats(t, &st);
	ck_assert_uint_eq(st.count, 103);
	ck_assert_uint_eq(st.forgotten, 0);
	te_hosts_clear(t);
	te_hosts_get_stats(t, &st);
	ck_assert_uint_eq(st.count, 0);
	ck_assert_uint_eq(te_hosts_get(t, AF_INET, v4, 300)->tat_ns, 0);
	te_hosts_free(t);

	/* A sweep over 100000 addresses stays in 16 slots; the latest host is
	 * always there, and the forgotten are counted. */
	ck_assert_int_eq(te_hosts_new(&t, 1, 7), 0);
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t x[16] = {0x20,
				 0x01,
				 0x0d,
				 0xb8,
				 [12] = (uint8_t)(i >> 24),
				 (uint8_t)(i >> 16),
				 (uint8_t)(i >> 8),
				 (uint8_t)i};

		te_hosts_get(t, AF_INET6, x, i)->tat_ns = i + 1;
		CHECK((te_hosts_get(t, AF_INET6, x, i)->tat_ns) == (i + 1));
	}
	te_hosts_get_stats(t, &st);
	ck_assert_uint_eq(st.capacity, 16);
	ck_assert_uint_le(st.count, 16);
	ck_assert_uint_eq(st.count + st.forgotten, 100000);
	te_hosts_free(t);
	te_hosts_free(NULL);
}
END_TEST

/* ---- longest-prefix matching ---- */

static void mask(uint8_t *a, unsigned bits, unsigned len)
{
	for (unsigned b = len; b < bits; b++)
		a[b / 8] &= (uint8_t) ~(0x80u >> (b % 8));
}

static bool covers(const struct te_lpm_entry *e, const uint8_t *a)
{
	for (unsigned b = 0; b < e->len; b++) {
		unsigned m = 0x80u >> (b % 8);

		if ((e->addr[b / 8] & m) != (a[b / 8] & m))
			return false;
	}
	return true;
}

/* The reference: a straightforward scan, the longest match wins. */
static int linear(const struct te_lpm_entry *e, size_t n, int family, const uint8_t *a)
{
	int best = -ENOENT, best_len = -1;

	for (size_t i = 0; i < n; i++)
		if (e[i].family == family && (int)e[i].len > best_len && covers(&e[i], a)) {
			best = (int)e[i].value;
			best_len = (int)e[i].len;
		}
	return best;
}

static bool same_prefix(const struct te_lpm_entry *x, const struct te_lpm_entry *y)
{
	return x->family == y->family && x->len == y->len && !memcmp(x->addr, y->addr, 16);
}

/*
 * A random table of @n prefixes of both families, nested on purpose:
 * each new prefix is, half the time, inside one already there.
 */
static size_t random_table(struct te_rng *rng, struct te_lpm_entry *e, size_t n)
{
	size_t k = 0;

	while (k < n) {
		struct te_lpm_entry x = {0};
		unsigned bits;
		bool dup = false;

		if (k && te_rng_below(rng, 2)) {
			const struct te_lpm_entry *in = &e[te_rng_below(rng, k)];

			x = *in;
			bits = x.family == AF_INET6 ? 128 : 32;
			for (unsigned b = x.len; b < bits; b++)
				if (te_rng_below(rng, 2))
					x.addr[b / 8] |= (uint8_t)(0x80u >> (b % 8));
			x.len += (unsigned)te_rng_below(rng, bits - x.len + 1);
		} else {
			x.family = te_rng_below(rng, 2) ? AF_INET6 : AF_INET;
			bits = x.family == AF_INET6 ? 128 : 32;
			for (unsigned i = 0; i < bits / 8; i++)
				x.addr[i] = (uint8_t)te_rng_next(rng);
			/* Mostly the lengths configs use, some anywhere. */
			x.len = te_rng_below(rng, 4) ? (unsigned)(bits * 3 / 4) -
							   (unsigned)te_rng_below(rng, bits / 4)
						     : (unsigned)te_rng_below(rng, bits + 1);
		}
		mask(x.addr, bits, x.len);
		x.value = (uint32_t)te_rng_below(rng, 50);
		for (size_t i = 0; i < k && !dup; i++)
			dup = same_prefix(&e[i], &x);
		if (!dup)
			e[k++] = x;
	}
	return k;
}

START_TEST(lpm_against_linear_scan)
{
	static struct te_lpm_entry e[3000];
	struct te_rng rng;

	te_rng_seed(&rng, 2026, 0);
	for (int table = 0; table < 4; table++) {
		size_t n = table == 0 ? 20 : 3000;
		struct te_lpm *t;

		n = random_table(&rng, e, n);
		CHECK((te_lpm_new(&t, e, n)) == (0));
		ck_assert_uint_le(te_lpm_ranges(t, AF_INET) + te_lpm_ranges(t, AF_INET6),
				  2 * n + 2);
		for (int i = 0; i < 20000; i++) {
			const struct te_lpm_entry *near = &e[te_rng_below(&rng, n)];
			int family = near->family;
			unsigned bits = family == AF_INET6 ? 128 : 32;
			uint8_t a[16] = {0};
			int kind = (int)te_rng_below(&rng, 4);

			memcpy(a, near->addr, 16);
			if (kind == 0) { /* anywhere */
				for (unsigned b = 0; b < bits / 8; b++)
					a[b] = (uint8_t)te_rng_next(&rng);
			} else if (kind == 1) { /* inside a prefix */
				for (unsigned b = near->len; b < bits; b++)
					if (te_rng_below(&rng, 2))
						a[b / 8] |= (uint8_t)(0x80u >> (b % 8));
			} else { /* at its edges: the first, the last, and one either side */
				bool last = kind == 3;

				for (unsigned b = near->len; b < bits; b++)
					if (last)
						a[b / 8] |= (uint8_t)(0x80u >> (b % 8));
				if (te_rng_below(&rng, 2)) {
					/* one step out: below the first, above the last */
					for (int b = (int)bits / 8 - 1; b >= 0; b--) {
						if (last ? ++a[b] != 0 : a[b]-- != 0)
							break;
					}
				}
			}
			CHECK((te_lpm_lookup(t, family, a)) == (linear(e, n, family, a)));
		}
		te_lpm_free(t);
	}
}
END_TEST

static struct te_lpm_entry entry(const char *s, unsigned len, uint32_t value)
{
	struct te_lpm_entry x = {0};

	x.family = strchr(s, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(x.family, s, x.addr), 1);
	x.len = len;
	x.value = value;
	return x;
}

static int look(const struct te_lpm *t, const char *s)
{
	uint8_t a[16];
	int family = strchr(s, ':') ? AF_INET6 : AF_INET;

	ck_assert_int_eq(inet_pton(family, s, a), 1);
	return te_lpm_lookup(t, family, a);
}

START_TEST(lpm_cases)
{
	struct te_lpm_entry e[] = {
	    entry("198.18.0.0", 15, 1),
	    entry("198.18.128.0", 24, 2),
	    entry("198.18.128.7", 32, 3),
	    entry("198.18.128.0", 25, 4),
	    entry("198.19.255.255", 32, 5),
	    entry("2001:db8::", 32, 6),
	    entry("2001:db8:1::", 48, 7),
	    entry("2001:db8:1::ff", 128, 8),
	    entry("198.18.200.9", 16, 9) /* host bits ignored: 198.18.0.0/16 */,
	    entry("198.18.0.0", 15, 1) /* the same twice: once */,
	};
	struct te_lpm_entry bad[] = {entry("198.18.0.0", 15, 1), entry("198.18.0.0", 15, 2)};
	struct te_lpm *t;

	ck_assert_int_eq(te_lpm_new(&t, e, sizeof(e) / sizeof(e[0])), 0);
	ck_assert_int_eq(look(t, "198.17.255.255"), -ENOENT);
	ck_assert_int_eq(look(t, "198.18.0.0"), 9);
	ck_assert_int_eq(look(t, "198.19.0.0"), 1);
	ck_assert_int_eq(look(t, "198.18.128.6"), 4);
	ck_assert_int_eq(look(t, "198.18.128.7"), 3);
	ck_assert_int_eq(look(t, "198.18.128.8"), 4);
	ck_assert_int_eq(look(t, "198.18.128.128"), 2);
	ck_assert_int_eq(look(t, "198.18.129.0"), 9);
	ck_assert_int_eq(look(t, "198.19.255.254"), 1);
	ck_assert_int_eq(look(t, "198.19.255.255"), 5);
	ck_assert_int_eq(look(t, "198.20.0.0"), -ENOENT);
	ck_assert_int_eq(look(t, "2001:db8::1"), 6);
	ck_assert_int_eq(look(t, "2001:db8:1::fe"), 7);
	ck_assert_int_eq(look(t, "2001:db8:1::ff"), 8);
	ck_assert_int_eq(look(t, "2001:db8:1::100"), 7);
	ck_assert_int_eq(look(t, "2001:db9::"), -ENOENT);
	ck_assert_int_eq(look(t, "::"), -ENOENT);
	ck_assert_int_eq(te_lpm_lookup(t, AF_UNIX, (const uint8_t *)"abcd"), -EINVAL);
	te_lpm_free(t);

	ck_assert_int_eq(te_lpm_new(&t, bad, 2), -EEXIST);
	bad[1].len = 33;
	ck_assert_int_eq(te_lpm_new(&t, bad, 2), -EINVAL);
	bad[1] = entry("::", 129, 1);
	ck_assert_int_eq(te_lpm_new(&t, bad, 2), -EINVAL);
	bad[1] = entry("::", 0, 0x80000000u);
	ck_assert_int_eq(te_lpm_new(&t, bad, 2), -EINVAL);

	/* Empty, and the default routes with the top of the space. */
	ck_assert_int_eq(te_lpm_new(&t, NULL, 0), 0);
	ck_assert_int_eq(look(t, "198.18.0.1"), -ENOENT);
	ck_assert_int_eq(look(t, "2001:db8::1"), -ENOENT);
	te_lpm_free(t);
	{
		struct te_lpm_entry d[] = {
		    entry("0.0.0.0", 0, 10), entry("::", 0, 11), entry("255.255.255.255", 32, 12),
		    entry("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 128, 13)};

		ck_assert_int_eq(te_lpm_new(&t, d, 4), 0);
		ck_assert_int_eq(look(t, "0.0.0.0"), 10);
		ck_assert_int_eq(look(t, "255.255.255.254"), 10);
		ck_assert_int_eq(look(t, "255.255.255.255"), 12);
		ck_assert_int_eq(look(t, "::1"), 11);
		ck_assert_int_eq(look(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 13);
		ck_assert_uint_eq(te_lpm_ranges(t, AF_INET), 2);
		te_lpm_free(t);
	}
	te_lpm_free(NULL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("profile");
	TCase *parse = tcase_create("parse"), *decide = tcase_create("decide"),
	      *store = tcase_create("delay"), *lpm = tcase_create("lpm");

	tcase_add_test(parse, defaults);
	tcase_add_test(parse, durations);
	tcase_add_test(parse, percentages_and_loss);
	tcase_add_test(parse, ttl_distribution_booleans_address);
	tcase_add_test(parse, rate_limit_and_flap_values);
	tcase_add_test(parse, unknown_key_and_no_err_buffer);
	suite_add_tcase(s, parse);

	/* Millions of draws: generous under the sanitizers on a shared machine. */
	tcase_set_timeout(decide, 120);
	tcase_add_test(decide, rng_is_reproducible);
	tcase_add_test(decide, gilbert_elliott_rate_and_burst);
	tcase_add_test(decide, token_bucket_rate_and_burst);
	tcase_add_test(decide, flap_phase);
	tcase_add_test(decide, down_unreachable_ttl_duplicate);
	tcase_add_test(decide, keep_order);
	tcase_add_test(decide, normal_quantile);
	tcase_add_test(decide, jitter_distributions);
	tcase_add_test(decide, delay_never_negative);
	tcase_add_test(decide, delay_quantiles);
	suite_add_tcase(s, decide);

	tcase_set_timeout(store, 60);
	tcase_add_test(store, delay_store_order);
	tcase_add_test(store, delay_store_lanes_for_constant_delays);
	tcase_add_test(store, delay_store_reuses_what_it_handed_out);
	tcase_add_test(store, delay_store_bounds_and_memory);
	tcase_add_test(store, delay_store_purge);
	tcase_add_test(store, hosts_table);
	suite_add_tcase(s, store);

	tcase_set_timeout(lpm, 120);
	tcase_add_test(lpm, lpm_against_linear_scan);
	tcase_add_test(lpm, lpm_cases);
	suite_add_tcase(s, lpm);
	return te_test_run(s);
}

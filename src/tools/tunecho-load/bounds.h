/* SPDX-License-Identifier: MIT */
/*
 * The statistics of --expect (expect.c), pure: no I/O, no clock, no
 * config. Each judge_*() takes what was measured and what the profile
 * implies, as plain numbers, and says whether they agree, within which
 * bounds, in words (struct verdict).
 *
 * Confidence: every statistical bound is a two-sided 99.9 % interval
 * (BOUND_CONF), so a correct simulation fails one verdict in a thousand.
 */
#ifndef TL_BOUNDS_H
#define TL_BOUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOUND_CONF 0.999
#define BOUND_Z	   3.2905267 /* the standard normal's two-sided 99.9 % point */

/*
 * The counts Bin(@n, @p) gives with probability >= @conf: [*lo, *hi], the
 * tails below and above each at most (1 - @conf) / 2. Exact (log-gamma
 * sums over the mean +- 12 standard deviations).
 */
void binom_interval(uint64_t n, double p, double conf, uint64_t *lo, uint64_t *hi);

/*
 * The total length of @runs runs of losses, each geometric (at least 1)
 * with mean @mean: [*lo, *hi] with probability >= @conf (exact: the
 * excess over @runs is negative binomial with r = 1 / @mean).
 */
void burst_interval(uint64_t runs, double mean, double conf, uint64_t *lo, uint64_t *hi);

/*
 * How much more a loss count varies under the Gilbert model of loss rate
 * @loss and mean run @mean_burst than under independent losses: for the
 * chain's second eigenvalue l = 1 - p - r (r = 1/B, p = L r / (1 - L)),
 * (1 + l) / (1 - l). 1 for independent losses (B = 1 / (1 - L)).
 */
double ge_inflation(double loss, double mean_burst);

/* Runs of losses in sequence order. */
struct runs {
	uint64_t n, lost, runs; /* requests, lost ones, runs of lost ones */
	bool in_run;
};

void runs_add(struct runs *r, bool lost);

/* The mean length of a run of losses; 0 without one. */
double runs_mean(const struct runs *r);

/*
 * The band the @q-quantile of @n samples falls in, as quantiles of the
 * distribution: q -+ @z sqrt(q (1 - q) / n), kept inside (0, 1).
 */
void quantile_band(double q, uint64_t n, double z, double *lo, double *hi);

/*
 * What a flap of @up_ns up and @down_ns down (@starts_down: the cycle
 * begins with its down phase) does to @n requests sent @interval_ns
 * apart, at any phase of the cycle (a grid of 1000 phases): the fewest
 * and most lost, and the fewest and most runs of losses (down phases seen).
 */
struct flap_bounds {
	uint64_t lost_lo, lost_hi, runs_lo, runs_hi;
};

void flap_bounds(uint64_t up_ns, uint64_t down_ns, bool starts_down, uint64_t n,
		 uint64_t interval_ns, struct flap_bounds *b);

/* A verdict: judged or not, ok or not, and what it compared, in words. */
struct verdict {
	bool judged, ok;
	char text[200];
};

/*
 * Loss: @lost of @sent against a rate @p in runs of mean @mean_burst:
 * inside the binomial 99.9 % interval of sent / inflation effective
 * requests, scaled back, one request of slack either side.
 */
void judge_loss(struct verdict *v, uint64_t sent, uint64_t lost, double p, double mean_burst);

/*
 * The mean run of losses of @r against @mean_burst (@p: the loss rate;
 * nothing to judge without runs, or when none is expected): the total
 * length of the runs seen inside burst_interval().
 */
void judge_burst(struct verdict *v, const struct runs *r, double p, double mean_burst);

/*
 * Delay percentiles: @meas[i] (ns, the baseline subtracted) the @qs[i]
 * quantile of @n replies; each must lie in [@qf(lo) - slack_lo, @qf(hi) +
 * slack_hi[i]], lo and hi the quantile_band() of qs[i], where @qf(@arg, q)
 * is the profile's delay at quantile q (ns); slack_lo is @lo_abs_ns and
 * slack_hi[i] @hi_abs_ns[i], each plus @rel times the expected value
 * (below, the baseline's spread; above, scheduling and timer wake-ups,
 * which hit the upper quantiles most). Not judged without replies.
 */
typedef double quantile_fn(const void *arg, double q);
void judge_delay(struct verdict *v, const double *meas, const double *qs, size_t nq, uint64_t n,
		 quantile_fn *qf, const void *arg, double lo_abs_ns, const double *hi_abs_ns,
		 double rel);

/* Duplicates: @dups of @received replies against a rate @p (binomial 99.9 %). */
void judge_dup(struct verdict *v, uint64_t received, uint64_t dups, double p);

/*
 * Rate limit @rate/s with a bucket of @bucket, requests sent over
 * @seconds: received at most (rate * seconds + bucket) * 1.02 + 2, and at
 * least 0.9 * min(sent, rate * seconds) * (1 - @loss) - 2.
 */
void judge_rate(struct verdict *v, uint64_t sent, uint64_t received, double seconds, double rate,
		double bucket, double loss);

/*
 * Flap: not judged when @seconds is shorter than one cycle; else @lost of
 * @sent and @runs runs against flap_bounds() for requests @interval_ns
 * apart, two requests and one run of slack.
 */
void judge_flap(struct verdict *v, uint64_t up_ns, uint64_t down_ns, bool starts_down,
		uint64_t sent, uint64_t lost, uint64_t runs, double seconds, uint64_t interval_ns);

/*
 * Down (@unreachable false): no reply and no unreachable at all.
 * Unreachable: no echo reply, and ICMP unreachables for at least the
 * requests a loss of @loss leaves (binomial 99.9 %, at least one).
 */
void judge_silent(struct verdict *v, bool unreachable, uint64_t sent, uint64_t received,
		  uint64_t unreach, double loss);

/* TTL: every reply's between @min and @max (@seen: any) must be @want. */
void judge_ttl(struct verdict *v, bool seen, unsigned min, unsigned max, unsigned want);

#endif

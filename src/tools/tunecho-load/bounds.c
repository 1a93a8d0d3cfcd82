/* SPDX-License-Identifier: MIT */
/* The statistics of --expect, pure (bounds.h). */
#define _GNU_SOURCE
#include "bounds.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SPAN 12 /* standard deviations summed either side of a mean */

/* [from, to]: where a distribution of @mean and @sd has its mass, within [0, @max]. */
static void span(double mean, double sd, uint64_t max, uint64_t *from, uint64_t *to)
{
	double f = floor(mean - SPAN * sd - 2), t = ceil(mean + SPAN * sd + 2);

	*from = f <= 0 ? 0 : (uint64_t)f;
	*to = t >= (double)max ? max : (uint64_t)t;
}

/* The interval of a discrete distribution by its log pmf over [from, to]. */
static void interval(double (*logpmf)(const double *, uint64_t), const double *par, uint64_t from,
		     uint64_t to, double conf, uint64_t *lo, uint64_t *hi)
{
	double a = (1 - conf) / 2, cum = 0;
	uint64_t k = from;

	for (; k < to; k++) {
		double pk = exp(logpmf(par, k));

		if (cum + pk > a)
			break;
		cum += pk;
	}
	*lo = k;
	cum = 0;
	for (k = to; k > *lo; k--) {
		double pk = exp(logpmf(par, k));

		if (cum + pk > a)
			break;
		cum += pk;
	}
	*hi = k;
}

/* par: n, log p, log(1 - p), lgamma(n + 1) */
static double binom_logpmf(const double *par, uint64_t k)
{
	double n = par[0], x = (double)k;

	return par[3] - lgamma(x + 1) - lgamma(n - x + 1) + x * par[1] + (n - x) * par[2];
}

void binom_interval(uint64_t n, double p, double conf, uint64_t *lo, uint64_t *hi)
{
	double par[4] = {(double)n, log(p), log1p(-p), lgamma((double)n + 1)};
	uint64_t from, to;

	if (!n || p <= 0) {
		*lo = *hi = 0;
		return;
	}
	if (p >= 1) {
		*lo = *hi = n;
		return;
	}
	span((double)n * p, sqrt((double)n * p * (1 - p)), n, &from, &to);
	interval(binom_logpmf, par, from, to, conf, lo, hi);
}

/* par: runs R, log r, log(1 - r), lgamma(R): failures before the R-th success */
static double negbin_logpmf(const double *par, uint64_t k)
{
	double x = (double)k;

	return lgamma(x + par[0]) - lgamma(x + 1) - par[3] + par[0] * par[1] + x * par[2];
}

void burst_interval(uint64_t runs, double mean, double conf, uint64_t *lo, uint64_t *hi)
{
	double r = mean > 1 ? 1 / mean : 1, R = (double)runs;
	double par[4] = {R, log(r), log1p(-r), lgamma(R)};
	uint64_t from, to;

	if (!runs || r >= 1 || !isfinite(mean)) {
		*lo = *hi = runs;
		return;
	}
	span(R * (1 - r) / r, sqrt(R * (1 - r)) / r, UINT64_MAX / 2, &from, &to);
	interval(negbin_logpmf, par, from, to, conf, lo, hi);
	*lo += runs;
	*hi += runs;
}

double ge_inflation(double loss, double mean_burst)
{
	double r, p, l;

	if (loss <= 0 || loss >= 1 || !(mean_burst >= 1) || !isfinite(mean_burst))
		return 1;
	r = 1 / mean_burst;
	p = loss * r / (1 - loss);
	l = 1 - p - r;
	if (l <= -0.999)
		l = -0.999;
	if (l >= 0.999999)
		l = 0.999999;
	return (1 + l) / (1 - l);
}

void runs_add(struct runs *r, bool lost)
{
	r->n++;
	if (lost) {
		r->lost++;
		r->runs += !r->in_run;
	}
	r->in_run = lost;
}

double runs_mean(const struct runs *r)
{
	return r->runs ? (double)r->lost / (double)r->runs : 0;
}

void quantile_band(double q, uint64_t n, double z, double *lo, double *hi)
{
	double d = n ? z * sqrt(q * (1 - q) / (double)n) : 1;

	*lo = q - d < 1e-9 ? 1e-9 : q - d;
	*hi = q + d > 1 - 1e-9 ? 1 - 1e-9 : q + d;
}

void flap_bounds(uint64_t up_ns, uint64_t down_ns, bool starts_down, uint64_t n,
		 uint64_t interval_ns, struct flap_bounds *b)
{
	uint64_t cycle = up_ns + down_ns, phases = 1000;

	*b = (struct flap_bounds){.lost_lo = UINT64_MAX, .runs_lo = UINT64_MAX};
	if (!cycle) {
		b->lost_lo = b->runs_lo = 0;
		return;
	}
	if (n && n * phases > 20000000)
		phases = 20000000 / n < 50 ? 50 : 20000000 / n;
	for (uint64_t j = 0; j < phases; j++) {
		uint64_t t = (uint64_t)((double)cycle * (double)j / (double)phases);
		struct runs r = {0};

		for (uint64_t i = 0; i < n; i++, t += interval_ns) {
			uint64_t pos = t % cycle;

			runs_add(&r, starts_down ? pos < down_ns : pos >= up_ns);
		}
		b->lost_lo = r.lost < b->lost_lo ? r.lost : b->lost_lo;
		b->lost_hi = r.lost > b->lost_hi ? r.lost : b->lost_hi;
		b->runs_lo = r.runs < b->runs_lo ? r.runs : b->runs_lo;
		b->runs_hi = r.runs > b->runs_hi ? r.runs : b->runs_hi;
	}
}

__attribute__((format(printf, 4, 5))) static void set(struct verdict *v, bool judged, bool ok,
						      const char *fmt, ...)
{
	va_list ap;

	v->judged = judged;
	v->ok = ok || !judged;
	va_start(ap, fmt);
	vsnprintf(v->text, sizeof(v->text), fmt, ap);
	va_end(ap);
}

static uint64_t sub_sat(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

void judge_loss(struct verdict *v, uint64_t sent, uint64_t lost, double p, double mean_burst)
{
	double f = ge_inflation(p, mean_burst),
	       pct = sent ? 100.0 * (double)lost / (double)sent : 0;
	uint64_t lo, hi, n_eff = (uint64_t)llround((double)sent / f);
	char why[40];
	bool ok;

	if (!sent) {
		set(v, false, true, "loss: not judged (nothing sent)");
		return;
	}
	binom_interval(n_eff ? n_eff : 1, p, BOUND_CONF, &lo, &hi);
	lo = sub_sat((uint64_t)floor((double)lo * f), 1);
	hi = (uint64_t)ceil((double)hi * f) + 1;
	hi = hi > sent ? sent : hi;
	ok = lost >= lo && lost <= hi;
	why[0] = '\0';
	if (f > 1.0001)
		snprintf(why, sizeof(why), ", runs: variance x%.2f", f);
	set(v, true, ok,
	    "loss %.2f%% (%" PRIu64 " of %" PRIu64 ") %sin [%.2f, %.2f]%% (99.9%% binomial%s)", pct,
	    lost, sent, ok ? "" : "NOT ", 100.0 * (double)lo / (double)sent,
	    100.0 * (double)hi / (double)sent, why);
}

void judge_burst(struct verdict *v, const struct runs *r, double p, double mean_burst)
{
	uint64_t lo, hi;
	bool ok;

	if (p <= 0 || p >= 1 || !isfinite(mean_burst)) {
		set(v, false, true, "burst: not judged (no loss rate below 100%% to judge)");
		return;
	}
	if (!r->runs) {
		set(v, false, true, "burst: not judged (no run of losses seen)");
		return;
	}
	burst_interval(r->runs, mean_burst, BOUND_CONF, &lo, &hi);
	ok = r->lost >= lo && r->lost <= hi;
	set(v, true, ok,
	    "burst %.2f (%" PRIu64 " runs) %sin [%.2f, %.2f] (99.9%% negative binomial of %" PRIu64
	    " runs of mean %.2f)",
	    runs_mean(r), r->runs, ok ? "" : "NOT ", (double)lo / (double)r->runs,
	    (double)hi / (double)r->runs, r->runs, mean_burst);
}

void judge_delay(struct verdict *v, const double *meas, const double *qs, size_t nq, uint64_t n,
		 quantile_fn *qf, const void *arg, double lo_abs_ns, const double *hi_abs_ns,
		 double rel)
{
	size_t used = 0;
	bool ok = true;

	if (!n) {
		set(v, false, true, "delay: not judged (no reply)");
		return;
	}
	used = (size_t)snprintf(v->text, sizeof(v->text), "delay");
	for (size_t i = 0; i < nq; i++) {
		double qlo, qhi, lo, hi;
		bool in;

		quantile_band(qs[i], n, BOUND_Z, &qlo, &qhi);
		lo = qf(arg, qlo);
		hi = qf(arg, qhi);
		lo -= lo_abs_ns + rel * lo;
		hi += hi_abs_ns[i] + rel * hi;
		in = meas[i] >= lo && meas[i] <= hi;
		ok = ok && in;
		if (used < sizeof(v->text))
			used += (size_t)snprintf(v->text + used, sizeof(v->text) - used,
						 " p%g %.3f %sin [%.3f, %.3f]%s", 100 * qs[i],
						 meas[i] / 1e6, in ? "" : "NOT ", lo / 1e6,
						 hi / 1e6, i + 1 < nq ? "," : "");
	}
	if (used < sizeof(v->text))
		snprintf(v->text + used, sizeof(v->text) - used,
			 " ms (99.9%% order-statistic band; slack -%.2f/+%.2f..%.2f ms, %g%%)",
			 lo_abs_ns / 1e6, hi_abs_ns[0] / 1e6, hi_abs_ns[nq - 1] / 1e6, 100 * rel);
	v->judged = true;
	v->ok = ok;
}

void judge_dup(struct verdict *v, uint64_t received, uint64_t dups, double p)
{
	uint64_t lo, hi;
	bool ok;

	if (!received) {
		set(v, false, true, "duplicates: not judged (no reply)");
		return;
	}
	binom_interval(received, p, BOUND_CONF, &lo, &hi);
	ok = dups >= lo && dups <= hi;
	set(v, true, ok, "duplicates %.2f%% (%" PRIu64 ") %sin [%.2f, %.2f]%% (99.9%% binomial)",
	    100.0 * (double)dups / (double)received, dups, ok ? "" : "NOT ",
	    100.0 * (double)lo / (double)received, 100.0 * (double)hi / (double)received);
}

void judge_rate(struct verdict *v, uint64_t sent, uint64_t received, double seconds, double rate,
		double bucket, double loss)
{
	double most = (rate * seconds + bucket) * 1.02 + 2;
	double allowed = rate * seconds < (double)sent ? rate * seconds : (double)sent;
	double least = 0.9 * allowed * (1 - loss) - 2;
	bool ok;

	if (seconds <= 0) {
		set(v, false, true, "rate: not judged (no time)");
		return;
	}
	least = least < 0 ? 0 : least;
	ok = (double)received <= most && (double)received >= least;
	set(v, true, ok,
	    "rate %.1f/s (%" PRIu64 " in %.2f s) %sin [%.1f, %.1f]/s (min(offered, %g/s) x 0.9 .. "
	    "(%g/s + burst %g / %.2f s) x 1.02)",
	    (double)received / seconds, received, seconds, ok ? "" : "NOT ", least / seconds,
	    most / seconds, rate, rate, bucket, seconds);
}

void judge_flap(struct verdict *v, uint64_t up_ns, uint64_t down_ns, bool starts_down,
		uint64_t sent, uint64_t lost, uint64_t runs, double seconds, uint64_t interval_ns)
{
	double cycle = (double)(up_ns + down_ns) / 1e9;
	struct flap_bounds b;
	bool ok;

	if (seconds < cycle) {
		set(v, false, true,
		    "flap: not judged (run of %.1f s shorter than a cycle of %.1f s)", seconds,
		    cycle);
		return;
	}
	flap_bounds(up_ns, down_ns, starts_down, sent, interval_ns, &b);
	b.lost_lo = sub_sat(b.lost_lo, 2);
	b.lost_hi += 2;
	b.runs_lo = sub_sat(b.runs_lo, 1);
	b.runs_hi += 1;
	ok = lost >= b.lost_lo && lost <= b.lost_hi && runs >= b.runs_lo && runs <= b.runs_hi;
	set(v, true, ok,
	    "flap: %" PRIu64 " lost in %" PRIu64 " down phases %sin [%" PRIu64 ", %" PRIu64
	    "] lost, [%" PRIu64 ", %" PRIu64 "] phases (any phase of a %.1f s cycle)",
	    lost, runs, ok ? "" : "NOT ", b.lost_lo, b.lost_hi, b.runs_lo, b.runs_hi, cycle);
}

void judge_silent(struct verdict *v, bool unreachable, uint64_t sent, uint64_t received,
		  uint64_t unreach, double loss)
{
	uint64_t lo = 0, hi = 0;
	bool ok;

	if (!unreachable) {
		ok = !received && !unreach;
		set(v, true, ok,
		    "down: %" PRIu64 " replies, %" PRIu64 " unreachables of %" PRIu64
		    " requests (want 100%% loss)",
		    received, unreach, sent);
		return;
	}
	binom_interval(sent, 1 - loss, BOUND_CONF, &lo, &hi);
	lo = lo ? lo : 1;
	ok = !received && unreach >= lo;
	set(v, true, ok,
	    "unreachable: %" PRIu64 " ICMP unreachables, %" PRIu64 " echo replies of %" PRIu64
	    " requests (want no reply, unreachables >= %" PRIu64 ")",
	    unreach, received, sent, lo);
}

void judge_ttl(struct verdict *v, bool seen, unsigned min, unsigned max, unsigned want)
{
	if (!seen) {
		set(v, false, true, "ttl: not judged (none seen)");
		return;
	}
	if (min == want && max == want)
		set(v, true, true, "ttl %u seen", want);
	else
		set(v, true, false, "ttl NOT %u: seen %u to %u", want, min, max);
}

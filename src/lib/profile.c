/* SPDX-License-Identifier: MIT */
#include "profile.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util.h"

void te_profile_defaults(struct te_profile *p)
{
	memset(p, 0, sizeof(*p));
	p->dist = TE_DIST_UNIFORM;
	p->burst_x100 = 100;
	p->ttl = TE_PROFILE_TTL;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/*
 * A decimal number "I" or "I.F" at *@s with at most @decimals digits after
 * the point and an integer part at most @max_int, as the integer
 * round(x * 10^decimals) (exact: no floating point, so "0.1%" is exactly
 * 10^6 parts per billion). *@s moves past it.
 */
static bool parse_fixed(const char **s, unsigned decimals, uint64_t max_int, uint64_t *out)
{
	const char *c = *s;
	uint64_t n = 0, scale = 1;
	unsigned d = 0;

	if (!isdigit((unsigned char)*c))
		return false;
	while (isdigit((unsigned char)*c)) {
		n = n * 10 + (uint64_t)(*c++ - '0');
		if (n > max_int)
			return false;
	}
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	n *= scale;
	if (*c == '.') {
		c++;
		if (!isdigit((unsigned char)*c))
			return false;
		while (isdigit((unsigned char)*c)) {
			if (++d > decimals)
				return false;
			scale /= 10;
			n += (uint64_t)(*c++ - '0') * scale;
		}
	}
	*s = c;
	*out = n;
	return true;
}

/* A duration at *@s up to the end or a space; *@s moves past it. */
static bool parse_duration_at(const char **s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t div; /* from nanoseconds times 10^9 */
	} units[] = {{"s", 1}, {"ms", 1000}, {"us", 1000000}, {"ns", 1000000000}};
	const char *c = *s;
	uint64_t n;

	/* 10^9 whole units at most: a day in seconds is far below, and
	 * 10^9 * 10^9 still fits in 64 bits. */
	if (!parse_fixed(&c, 9, 1000000000u, &n))
		return false;
	if (*c == '\0' || *c == ' ') {
		if (n)
			return false; /* a bare number needs a unit, but 0 is 0 in any */
		*s = c;
		*ns = 0;
		return true;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t len = strlen(units[i].unit);

		if (!strncmp(c, units[i].unit, len) && (c[len] == '\0' || c[len] == ' ')) {
			if (n % units[i].div)
				return false; /* finer than a nanosecond */
			*ns = n / units[i].div;
			*s = c + len;
			return true;
		}
	}
	return false;
}

bool te_profile_parse_duration(const char *s, uint64_t *ns)
{
	return parse_duration_at(&s, ns) && *s == '\0';
}

/* A percentage "2%", "0.1%" into parts per billion (7 decimals: 1 ppb). */
static bool parse_percent(const char *s, uint32_t *ppb)
{
	uint64_t n;

	if (!parse_fixed(&s, 7, 100, &n) || strcmp(s, "%") || n > TE_PROFILE_PPB)
		return false;
	*ppb = (uint32_t)n;
	return true;
}

static bool parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t n;

	if (!parse_fixed(&s, 0, max, &n) || *s || n < min)
		return false;
	*out = n;
	return true;
}

static bool is_no(const char *v)
{
	bool b;

	return te_parse_bool(v, &b) && !b;
}

#define MAX_WORDS 5

/*
 * Split @v at runs of blanks into at most MAX_WORDS words, copied into
 * @buf; the count, or -1 when there are more or @v is too long.
 */
static int split(const char *v, char *buf, size_t size, const char *w[MAX_WORDS])
{
	int n = 0;
	char *c;

	if (strlen(v) >= size)
		return -1;
	strcpy(buf, v);
	for (c = buf; *c;) {
		while (*c == ' ' || *c == '\t')
			*c++ = '\0';
		if (!*c)
			break;
		if (n == MAX_WORDS)
			return -1;
		w[n++] = c;
		while (*c && *c != ' ' && *c != '\t')
			c++;
	}
	return n;
}

/* loss = L% [burst B]: the Gilbert-Elliott parameters follow. */
static int set_loss(struct te_profile *p, const char *value, char *err, size_t errlen)
{
	static const char form[] = "a rate from 0%% to 100%% (up to 7 decimals), optionally "
				   "followed by 'burst B', the mean run of losses from 1 to %u "
				   "(up to 2 decimals): 2%%, 0.1%%, 2%% burst 4";
	char buf[128], msg[256];
	const char *w[MAX_WORDS];
	int n = split(value, buf, sizeof(buf), w);
	uint32_t ppb;
	uint64_t burst = 100;
	double l, r, gp;

	snprintf(msg, sizeof(msg), form, TE_PROFILE_MAX_BURST);
	if ((n != 1 && n != 3) || !parse_percent(w[0], &ppb))
		return fail(err, errlen, "loss: '%s' is not %s", value, msg);
	if (n == 3) {
		const char *b = w[2];

		if (strcmp(w[1], "burst") || !parse_fixed(&b, 2, TE_PROFILE_MAX_BURST, &burst) ||
		    *b || burst < 100 || burst > TE_PROFILE_MAX_BURST * 100u)
			return fail(err, errlen, "loss: '%s' is not %s", value, msg);
	}
	/*
	 * The simple Gilbert model (netem's "gemodel p r 100 0"): the good
	 * state loses nothing, the bad state everything. A run of losses is a
	 * stay in the bad state, geometric with mean 1/r; the long-run rate
	 * is p/(p+r). So r = 1/B and p = L r/(1-L), which must not exceed 1:
	 * a high rate cannot come in short runs.
	 */
	l = (double)ppb / TE_PROFILE_PPB;
	r = 100.0 / (double)burst;
	gp = ppb < TE_PROFILE_PPB ? l * r / (1 - l) : 1;
	if (burst != 100 && ppb && ppb < TE_PROFILE_PPB && gp > 1)
		return fail(err, errlen,
			    "loss: '%s': at that rate a run of losses lasts at least %.2f on "
			    "average (L/(1-L)); give a longer burst or a lower rate",
			    value, l / (1 - l));
	p->loss_ppb = ppb;
	p->burst_x100 = (uint32_t)burst;
	p->ge_p = gp;
	p->ge_r = r;
	return 0;
}

/* rate-limit = R/s [burst B], or no. */
static int set_rate(struct te_profile *p, const char *value, char *err, size_t errlen)
{
	char buf[128];
	const char *w[MAX_WORDS];
	int n = split(value, buf, sizeof(buf), w);
	uint64_t rate, bucket = 1, tau;
	const char *c;

	if (n == 1 && is_no(w[0])) {
		p->rate = p->bucket = 0;
		return 0;
	}
	c = n >= 1 ? w[0] : "";
	if ((n != 1 && n != 3) || !parse_fixed(&c, 0, TE_PROFILE_MAX_RATE, &rate) || !rate ||
	    strcmp(c, "/s") ||
	    (n == 3 &&
	     (strcmp(w[1], "burst") || !parse_uint(w[2], 1, TE_PROFILE_MAX_BUCKET, &bucket))))
		return fail(err, errlen,
			    "rate-limit: '%s' is not 'R/s' or 'R/s burst B' (replies per second "
			    "per host from 1 to %u, a bucket of 1 to %u, default 1) or 'no'",
			    value, TE_PROFILE_MAX_RATE, TE_PROFILE_MAX_BUCKET);
	/*
	 * A token bucket run as GCRA (ITU-T I.371's virtual scheduling): one
	 * time per host instead of a count and a time, the same verdicts. The
	 * emission interval 10^9/R ns and the tolerance (B-1) of them are
	 * kept as whole nanoseconds and a remainder in 1/R ns, so no rate
	 * drifts by rounding.
	 */
	tau = (bucket - 1) * TE_NS_PER_S;
	p->rate = (uint32_t)rate;
	p->bucket = (uint32_t)bucket;
	p->gcra_t_ns = TE_NS_PER_S / rate;
	p->gcra_t_frac = (uint32_t)(TE_NS_PER_S % rate);
	p->gcra_tau_ns = tau / rate;
	p->gcra_tau_frac = (uint32_t)(tau % rate);
	return 0;
}

/* flap = U up D down, D down U up, or no. */
static int set_flap(struct te_profile *p, const char *value, char *err, size_t errlen)
{
	char buf[128];
	const char *w[MAX_WORDS];
	int n = split(value, buf, sizeof(buf), w);
	uint64_t a, b;
	bool starts_down;

	if (n == 1 && is_no(w[0])) {
		p->flap_up_ns = p->flap_down_ns = 0;
		return 0;
	}
	if (n != 4 || !te_profile_parse_duration(w[0], &a) ||
	    !te_profile_parse_duration(w[2], &b) || a < TE_PROFILE_MIN_FLAP ||
	    b < TE_PROFILE_MIN_FLAP || a > TE_PROFILE_MAX_FLAP || b > TE_PROFILE_MAX_FLAP ||
	    !((!strcmp(w[1], "up") && !strcmp(w[3], "down")) ||
	      (!strcmp(w[1], "down") && !strcmp(w[3], "up"))))
		return fail(err, errlen,
			    "flap: '%s' is not 'U up D down' or 'D down U up' (each a duration "
			    "from 1ms to 86400s, as 50s, 500ms) or 'no'",
			    value);
	starts_down = !strcmp(w[1], "down");
	p->flap_starts_down = starts_down;
	p->flap_up_ns = starts_down ? b : a;
	p->flap_down_ns = starts_down ? a : b;
	return 0;
}

static int set_bool(const char *key, const char *value, bool *out, char *err, size_t errlen)
{
	if (!te_parse_bool(value, out))
		return fail(err, errlen, "%s: '%s' is not yes or no", key, value);
	return 0;
}

static const char *const dist_names[] = {"uniform", "normal", "pareto", "paretonormal"};

int te_profile_set(struct te_profile *p, const char *key, const char *value, char *err,
		   size_t errlen)
{
	if (!strcmp(key, "delay") || !strcmp(key, "jitter")) {
		uint64_t ns;

		if (!te_profile_parse_duration(value, &ns) || ns > TE_PROFILE_MAX_DELAY)
			return fail(err, errlen,
				    "%s: '%s' is not a duration from 0 to 10s (a number with us, "
				    "ms or s: 250us, 30ms, 1.5s)",
				    key, value);
		*(key[0] == 'd' ? &p->delay_ns : &p->jitter_ns) = ns;
		return 0;
	}
	if (!strcmp(key, "distribution")) {
		for (size_t i = 0; i < 4; i++) {
			if (!strcmp(value, dist_names[i])) {
				p->dist = (enum te_dist)i;
				return 0;
			}
		}
		return fail(err, errlen,
			    "distribution: '%s' is not one of uniform, normal, pareto, "
			    "paretonormal",
			    value);
	}
	if (!strcmp(key, "loss"))
		return set_loss(p, value, err, errlen);
	if (!strcmp(key, "duplicate")) {
		if (!parse_percent(value, &p->duplicate_ppb))
			return fail(err, errlen,
				    "duplicate: '%s' is not a rate from 0%% to 100%% (up to 7 "
				    "decimals: 0.1%%)",
				    value);
		return 0;
	}
	if (!strcmp(key, "ttl")) {
		uint64_t ttl;

		if (!parse_uint(value, 1, 255, &ttl))
			return fail(err, errlen, "ttl: '%s' is not a number from 1 to 255", value);
		p->ttl = (uint8_t)ttl;
		return 0;
	}
	if (!strcmp(key, "rate-limit"))
		return set_rate(p, value, err, errlen);
	if (!strcmp(key, "keep-order"))
		return set_bool(key, value, &p->keep_order, err, errlen);
	if (!strcmp(key, "down"))
		return set_bool(key, value, &p->down, err, errlen);
	if (!strcmp(key, "unreachable"))
		return set_bool(key, value, &p->unreachable, err, errlen);
	if (!strcmp(key, "unreachable-from")) {
		uint8_t a[16];

		if (inet_pton(AF_INET, value, a) == 1) {
			p->unreachable_family = AF_INET;
		} else if (inet_pton(AF_INET6, value, a) == 1) {
			p->unreachable_family = AF_INET6;
		} else {
			return fail(err, errlen,
				    "unreachable-from: '%s' is not an IPv4 or IPv6 address", value);
		}
		memcpy(p->unreachable_from, a, sizeof(a));
		return 0;
	}
	if (!strcmp(key, "flap"))
		return set_flap(p, value, err, errlen);
	return fail(err, errlen,
		    "unknown key '%s' in a profile (known: delay, jitter, distribution, loss, "
		    "duplicate, ttl, rate-limit, keep-order, down, unreachable, "
		    "unreachable-from, flap)",
		    key);
}

const char *te_profile_drop_name(enum te_profile_drop why)
{
	static const char *const names[] = {"lost", "down", "rate_limited", "flapped"};

	return (unsigned)why < TE_PROFILE_DROPS ? names[why] : "?";
}

bool te_profile_flap_up(const struct te_profile *p, uint64_t now_ns)
{
	uint64_t period = p->flap_up_ns + p->flap_down_ns, t;

	if (!p->flap_up_ns)
		return true;
	/* The phase counts from the profile's epoch, forwards or backwards. */
	if (now_ns >= p->epoch_ns)
		t = (now_ns - p->epoch_ns) % period;
	else
		t = (period - (p->epoch_ns - now_ns) % period) % period;
	return p->flap_starts_down ? t >= p->flap_down_ns : t < p->flap_up_ns;
}

double te_normal_quantile(double q)
{
	/* P. J. Acklam's rational approximations, central and tails. */
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
				   -2.759285104469687e+02, 1.383577518672690e+02,
				   -3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
				   -1.556989798598866e+02, 6.680131188771972e+01,
				   -1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
				   -2.400758277161838e+00, -2.549732539343734e+00,
				   4.374664141464968e+00,  2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
				   2.445134137142996e+00, 3.754408661907416e+00};
	const double low = 0.02425;
	double x, r;

	if (q <= 0)
		return -INFINITY;
	if (q >= 1)
		return INFINITY;
	if (q < low || q > 1 - low) {
		x = sqrt(-2 * log(q < low ? q : 1 - q));
		r = (((((c[0] * x + c[1]) * x + c[2]) * x + c[3]) * x + c[4]) * x + c[5]) /
		    ((((d[0] * x + d[1]) * x + d[2]) * x + d[3]) * x + 1);
		return q < low ? r : -r;
	}
	x = q - 0.5;
	r = x * x;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * x /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/* netem's tables hold int16 values in units of 1/8192 of the jitter. */
#define DIST_MIN (-32768.0 / 8192)
#define DIST_MAX (32767.0 / 8192)

static double clamp(double x)
{
	return x < DIST_MIN ? DIST_MIN : x > DIST_MAX ? DIST_MAX : x;
}

/* iproute2's pareto.c: a Pareto of shape 3 and scale 1 (mean 1.5), centred, times 4/3. */
static double pareto_of(double u)
{
	return clamp((1 / cbrt(u) - 1.5) * (4.0 / 3));
}

double te_dist_quantile(enum te_dist d, double q)
{
	switch (d) {
	case TE_DIST_NORMAL:
		return clamp(te_normal_quantile(q));
	case TE_DIST_PARETO:
		return pareto_of(1 - q);
	case TE_DIST_PARETONORMAL:
		/* iproute2's paretonormal.c: (normal + 3 pareto) / 4 at the same
		 * quantile (a blend of the two inverse CDFs, not a mixture). */
		return clamp((clamp(te_normal_quantile(q)) + 3 * pareto_of(1 - q)) / 4);
	case TE_DIST_UNIFORM:
	default:
		return 2 * q - 1;
	}
}

/*
 * netem draws a random entry of a 4096-value table of the distribution's
 * inverse CDF; here the inverse CDF is computed at a uniform draw instead:
 * the same shape without the table's steps, and no table to load.
 */
double te_dist_draw(enum te_dist d, struct te_rng *rng)
{
	/* (0, 1), never either end: both quantile functions stay finite. */
	return te_dist_quantile(d, ((double)(te_rng_next(rng) >> 11) + 0.5) * 0x1p-53);
}

uint64_t te_profile_delay_quantile(const struct te_profile *p, double q)
{
	double d;

	if (!p->jitter_ns)
		return p->delay_ns;
	d = (double)p->delay_ns + (double)p->jitter_ns * te_dist_quantile(p->dist, q);
	return d <= 0 ? 0 : (uint64_t)llround(d);
}

uint64_t te_profile_sample_delay(const struct te_profile *p, struct te_rng *rng)
{
	double d;

	if (!p->jitter_ns)
		return p->delay_ns;
	/* Clamped at 0 (a reply cannot leave before its request came), which
	 * raises the mean when the jitter reaches below zero. */
	d = (double)p->delay_ns + (double)p->jitter_ns * te_dist_draw(p->dist, rng);
	return d <= 0 ? 0 : (uint64_t)llround(d);
}

/* Bernoulli with probability @ppb parts per billion. */
static bool chance(struct te_rng *rng, uint32_t ppb)
{
	return ppb && (ppb >= TE_PROFILE_PPB || te_rng_below(rng, TE_PROFILE_PPB) < ppb);
}

static bool lost(const struct te_profile *p, struct te_host_state *h, struct te_rng *rng)
{
	if (!p->loss_ppb)
		return false;
	if (p->burst_x100 == 100 || p->loss_ppb >= TE_PROFILE_PPB)
		return chance(rng, p->loss_ppb);
	/* One step of the chain per request, then the state says. */
	h->ge_bad = te_rng_unit(rng) < (h->ge_bad ? 1 - p->ge_r : p->ge_p);
	return h->ge_bad;
}

/* GCRA: conforming when the host's theoretical arrival time is at most tau ahead. */
static bool conforms(const struct te_profile *p, struct te_host_state *h, uint64_t now_ns)
{
	uint64_t ahead;

	if (h->tat_frac >= p->rate) { /* the rate changed under this host (a reload) */
		h->tat_ns += h->tat_frac / p->rate;
		h->tat_frac %= p->rate;
	}
	if (h->tat_ns < now_ns) {
		h->tat_ns = now_ns;
		h->tat_frac = 0;
	}
	ahead = h->tat_ns - now_ns;
	if (ahead > p->gcra_tau_ns || (ahead == p->gcra_tau_ns && h->tat_frac > p->gcra_tau_frac))
		return false;
	h->tat_ns += p->gcra_t_ns;
	h->tat_frac += p->gcra_t_frac;
	if (h->tat_frac >= p->rate) {
		h->tat_frac -= p->rate;
		h->tat_ns++;
	}
	return true;
}

static enum te_verdict_kind drop(struct te_decision *out, enum te_profile_drop why)
{
	out->kind = TE_VERDICT_DROP;
	out->reason = why;
	out->copies = 0;
	return out->kind;
}

enum te_verdict_kind te_profile_decide(const struct te_profile *p, struct te_host_state *h,
				       uint64_t now_ns, struct te_rng *rng, struct te_decision *out)
{
	out->ttl = p->ttl;
	out->due_ns[0] = out->due_ns[1] = now_ns;
	if (p->down)
		return drop(out, TE_PROFILE_DOWN);
	if (!te_profile_flap_up(p, now_ns))
		return drop(out, TE_PROFILE_FLAPPED);
	if (lost(p, h, rng))
		return drop(out, TE_PROFILE_LOST);
	if (p->rate && !conforms(p, h, now_ns))
		return drop(out, TE_PROFILE_RATE_LIMITED);
	out->kind = p->unreachable ? TE_VERDICT_UNREACHABLE : TE_VERDICT_SEND;
	out->reason = TE_PROFILE_LOST; /* unused */
	out->copies = chance(rng, p->duplicate_ppb) ? 2 : 1;
	for (unsigned i = 0; i < out->copies; i++) {
		uint64_t due = now_ns + te_profile_sample_delay(p, rng);

		if (p->keep_order && due < h->last_due_ns)
			due = h->last_due_ns;
		if (due > h->last_due_ns)
			h->last_due_ns = due;
		out->due_ns[i] = due;
	}
	return out->kind;
}

double te_profile_loss_rate(const struct te_profile *p)
{
	return (double)p->loss_ppb / TE_PROFILE_PPB;
}

double te_profile_mean_burst(const struct te_profile *p)
{
	double l = te_profile_loss_rate(p);

	if (l >= 1)
		return INFINITY;
	if (p->burst_x100 == 100 || l == 0)
		return 1 / (1 - l);
	return (double)p->burst_x100 / 100;
}

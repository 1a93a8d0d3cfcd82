/* SPDX-License-Identifier: MIT */
/*
 * --expect: each target of the config against what its behaviour profile
 * says: a row of what was configured and what was measured, then one line
 * per verdict with the bounds it used (the statistics are bounds.c's, all
 * 99.9 % two-sided), a summary per profile, and exit 1 when one failed.
 *
 * Baseline: the RTT percentiles are those of the target minus the median
 * RTT of a reference measured in the same run, the interface's own
 * address of the same family (added as a target, row "(baseline)"): the
 * kernel answers it, so it holds the sockets' and the stack's round trip
 * and no delay. tunecho's own cost per reply (tens of microseconds over a
 * TUN device) stays in and is covered by the delay slack.
 *
 * Verdicts, as they apply:
 *   delay   p10, p50, p90 each inside the profile's delay at the quantiles
 *           of its 99.9 % order-statistic band (te_profile_delay_quantile:
 *           delay + the jitter's distribution), with a slack of -0.1 ms
 *           and +0.5 ms (+2 ms for p90), and 1 % of the value, for
 *           scheduling and timers;
 *           the upper slack grows by the p90 of how late tunecho-load's
 *           own periodic tick woke up in the same run (what a loaded
 *           machine does to tunecho's delay timer too);
 *   loss    lost (late counted as lost) of sent inside the binomial
 *           99.9 % interval, over sent / inflation effective requests
 *           when losses come in runs (bounds.h, ge_inflation());
 *   burst   the mean run of losses: the runs' total length inside the
 *           negative binomial 99.9 % interval of that many runs;
 *   dup     duplicates of replies inside the binomial 99.9 % interval;
 *   rate    rate-limit: replies/s between 0.9 x min(offered, rate) and
 *           (rate + burst / duration) x 1.02 (loss then not judged);
 *   flap    lost requests and down phases seen against what the cycle
 *           does to this schedule at any phase; not judged when the run is
 *           shorter than a cycle;
 *   down    no reply and no unreachable at all (100 % loss);
 *   unreachable  no echo reply, and ICMP unreachables quoting our requests;
 *   ttl     every reply's TTL / hop limit the profile's.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "load.h"

#define N_QS	      3
#define SLACK_LO      (0.1 * NS_PER_MS)
#define SLACK_HI      (0.5 * NS_PER_MS)
#define SLACK_HI_TAIL (2.0 * NS_PER_MS) /* p90: wake-ups hit the tail most */
#define SLACK_REL     0.01
#define N_VERDICTS    6

static const double qs[N_QS] = {0.1, 0.5, 0.9};

static double delay_at(const void *arg, double q)
{
	return (double)te_profile_delay_quantile(arg, q);
}

static double rtt_q(const struct target *t, double q)
{
	return hist_quantile(t->hist, t->c.received, q, t->rtt_max);
}

/* How late our own tick woke up at quantile @q (ns): this machine's timer
 * wake-ups in this run, which tunecho's delay timer suffers too. */
static double wake_q(const struct run *r, double q)
{
	uint64_t n = hist_count(r->wake);

	return n ? hist_quantile(r->wake, n, q, r->wake_max) : 0;
}

/* The baseline for @t: the median RTT of its interface's own address of
 * its family, else of any interface's; 0 without one. */
static double baseline_ns(const struct run *r, const struct target *t)
{
	const struct target *any = NULL;

	for (size_t i = 0; i < r->n_targets; i++) {
		const struct target *b = &r->targets[i];

		if (!b->baseline || b->fam != t->fam || !b->c.received)
			continue;
		if (b->iface == t->iface)
			return rtt_q(b, 0.5);
		any = any ? any : b;
	}
	return any ? rtt_q(any, 0.5) : 0;
}

/* How long @t was sent to, in seconds, and its requests' spacing. */
static double send_seconds(const struct run *r, const struct target *t)
{
	uint64_t end = t->done_ns > r->start_ns ? t->done_ns : r->stop_ns;

	return end > r->start_ns ? (double)(end - r->start_ns) / NS_PER_S : 0;
}

/* Judge @t: fill @v (N_VERDICTS), return how many. */
static size_t judge(const struct run *r, const struct target *t, double base, struct verdict *v)
{
	const struct te_profile *p = &t->prof;
	uint64_t lost = t->c.lost + t->c.late;
	double loss = te_profile_loss_rate(p), burst = te_profile_mean_burst(p);
	double secs = send_seconds(r, t);
	size_t n = 0;

	if (p->down || p->unreachable) {
		judge_silent(&v[n++], p->unreachable, t->c.sent, t->c.received, t->unreach, loss);
		return n;
	}
	if (t->c.received) {
		double meas[N_QS], hi[N_QS];

		for (int i = 0; i < N_QS; i++) {
			meas[i] = rtt_q(t, qs[i]) - base;
			hi[i] = (qs[i] >= 0.9 ? SLACK_HI_TAIL : SLACK_HI) + wake_q(r, 0.9);
		}
		judge_delay(&v[n++], meas, qs, N_QS, t->c.received, delay_at, p, SLACK_LO, hi,
			    SLACK_REL);
	} else {
		/* every request lost: wrong unless the profile loses them all */
		snprintf(v[n].text, sizeof(v[n].text), "delay: no reply to measure");
		v[n].judged = true;
		v[n++].ok = loss >= 1;
	}
	if (p->rate) {
		judge_rate(&v[n++], t->c.sent, t->c.received, secs, p->rate, p->bucket, loss);
	} else if (p->flap_up_ns) {
		uint64_t spacing = r->opt.rate > 0 ? (uint64_t)(NS_PER_S / r->opt.rate)
				   : t->c.sent	   ? (uint64_t)(secs * NS_PER_S / (double)t->c.sent)
						   : 0;

		if (loss > 0) {
			snprintf(v[n].text, sizeof(v[n].text),
				 "flap: not judged (flap and loss together)");
			v[n].judged = false;
			v[n++].ok = true;
		} else {
			judge_flap(&v[n++], p->flap_up_ns, p->flap_down_ns, p->flap_starts_down,
				   t->c.sent, lost, t->runs.runs, secs, spacing);
		}
	} else {
		judge_loss(&v[n++], t->c.sent, lost, loss, burst);
		judge_burst(&v[n++], &t->runs, loss, burst);
	}
	judge_dup(&v[n++], t->c.received, t->c.dup, (double)p->duplicate_ppb / TE_PROFILE_PPB);
	judge_ttl(&v[n++], t->ttl_seen, t->ttl_min, t->ttl_max, p->ttl);
	return n;
}

/* What failed, "delay, loss", into @out. */
static void failed_names(const struct verdict *v, size_t n, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && used < len; i++) {
		size_t w = strcspn(v[i].text, " :");

		if (v[i].ok)
			continue;
		used += (size_t)snprintf(out + used, len - used, "%s%.*s", used ? ", " : "", (int)w,
					 v[i].text);
	}
}

/* Per profile: how many of its targets passed, what failed. */
static void profile_summary(const struct run *r, const bool *ok)
{
	bool *done = calloc(r->n_targets, sizeof(*done));

	if (!done)
		return;
	printf("\nper profile:\n");
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct target *t = &r->targets[i];
		size_t n = 0, good = 0;

		if (done[i] || t->baseline)
			continue;
		for (size_t j = i; j < r->n_targets; j++) {
			const struct target *u = &r->targets[j];

			if (u->baseline || strcmp(u->profile, t->profile))
				continue;
			done[j] = true;
			n++;
			good += ok[j];
		}
		printf("  %-12s %zu of %zu targets ok%s\n", t->profile[0] ? t->profile : "(none)",
		       good, n, good == n ? "" : ": FAILED");
	}
	free(done);
}

static void fmt_or_dash(char *buf, size_t len, bool have, const char *fmt, double x)
{
	if (have)
		snprintf(buf, len, fmt, x);
	else
		snprintf(buf, len, "-");
}

int expect_report(const struct run *r)
{
	bool *ok = calloc(r->n_targets ? r->n_targets : 1, sizeof(*ok));
	size_t failed = 0, judged = 0;
	int width = 6;

	if (!ok) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < r->n_targets; i++) {
		int len = (int)strlen(r->targets[i].name);

		width = len > width ? len : width;
	}
	printf("\nexpect: %s loop%s; RTTs minus the baseline's median; bounds 99.9%%\n",
	       r->opt.rate > 0 ? "open" : "closed",
	       r->opt.rate > 0 ? "" : " (lossy targets send few)");
	if (r->opt.rate > 0)
		printf("expect: %g requests/s per target\n", r->opt.rate);
	printf("expect: timer wake-ups here, this run: p50 %.3f, p90 %.3f, max %.3f ms late (the "
	       "p90 is added to the delay's upper slack)\n",
	       wake_q(r, 0.5) / 1e6, wake_q(r, 0.9) / 1e6, (double)r->wake_max / 1e6);
	printf("%-*s %-10s %8s %8s %7s %6s %6s %4s %9s | %8s %8s %8s %8s %7s %6s %7s %7s %9s | "
	       "%s\n",
	       width, "target", "profile", "delay ms", "jitter", "loss %", "burst", "dup %", "ttl",
	       "rate/s", "p10 ms", "p50 ms", "p90 ms", "p99 ms", "loss %", "burst", "dup %", "ttl",
	       "replies/s", "verdict");
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct target *t = &r->targets[i];
		const struct te_profile *p = &t->prof;
		struct verdict v[N_VERDICTS];
		double base = t->baseline ? 0 : baseline_ns(r, t), secs = send_seconds(r, t);
		double sent = (double)t->c.sent, lost = (double)(t->c.lost + t->c.late);
		char m[4][16], rate[24] = "-", ttl[12] = "-", burst[12], dup[12], names[120];
		size_t n;
		bool all = true;

		for (int k = 0; k < 4; k++)
			fmt_or_dash(m[k], sizeof(m[k]), t->c.received, "%.3f",
				    (rtt_q(t, k < 3 ? qs[k] : 0.99) - base) / 1e6);
		if (p->rate)
			snprintf(rate, sizeof(rate), "%u+%u", p->rate, p->bucket);
		if (t->ttl_seen && t->ttl_min == t->ttl_max)
			snprintf(ttl, sizeof(ttl), "%u", t->ttl_min);
		else if (t->ttl_seen)
			snprintf(ttl, sizeof(ttl), "%u-%u", t->ttl_min, t->ttl_max);
		fmt_or_dash(burst, sizeof(burst), t->runs.runs, "%.2f", runs_mean(&t->runs));
		fmt_or_dash(dup, sizeof(dup), t->c.received, "%.3f",
			    t->c.received ? 100.0 * (double)t->c.dup / (double)t->c.received : 0);
		n = t->baseline ? 0 : judge(r, t, base, v);
		for (size_t k = 0; k < n; k++)
			all = all && v[k].ok;
		ok[i] = all;
		failed += !all;
		judged += !t->baseline;
		failed_names(v, n, names, sizeof(names));
		printf(
		    "%-*s %-10s %8.3f %8.3f %7.3f %6.2f %6.3f %4u %9s | %8s %8s %8s %8s %7.3f %6s "
		    "%7s %7s %9.1f | %s%s\n",
		    width, t->name,
		    t->baseline	    ? "(baseline)"
		    : t->profile[0] ? t->profile
				    : "(none)",
		    (double)p->delay_ns / 1e6, (double)p->jitter_ns / 1e6,
		    100 * te_profile_loss_rate(p),
		    isfinite(te_profile_mean_burst(p)) ? te_profile_mean_burst(p) : 0,
		    100.0 * p->duplicate_ppb / TE_PROFILE_PPB, p->ttl, rate, m[0], m[1], m[2], m[3],
		    sent > 0 ? 100 * lost / sent : 0, burst, dup, ttl,
		    secs > 0 ? (double)t->c.received / secs : 0,
		    t->baseline ? "reference, not judged"
		    : all	? "ok"
				: "FAIL: ",
		    all ? "" : names);
		if (!t->baseline && p->flap_up_ns)
			printf("    flap %.3f s up, %.3f s down%s\n", (double)p->flap_up_ns / 1e9,
			       (double)p->flap_down_ns / 1e9,
			       p->flap_starts_down ? ", starting down" : "");
		for (size_t k = 0; k < n; k++)
			printf("    %-4s %s\n",
			       !v[k].judged ? "--"
			       : v[k].ok    ? "ok"
					    : "FAIL",
			       v[k].text);
	}
	profile_summary(r, ok);
	printf("expect: %zu of %zu targets as their profiles say%s\n", judged - failed, judged,
	       failed ? ": FAILED" : "");
	fflush(stdout);
	free(ok);
	return failed ? 1 : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * --expect: each target of the config against what its behaviour profile
 * says, with a verdict and the tolerance it used.
 *
 * Delay: the measured median RTT against the profile's median delay
 * (te_profile_delay_quantile(0.5): delay + the distribution's median
 * jitter), within 1 ms + 10 % of it. No baseline is subtracted: an
 * undelayed reply over a TUN device takes tens of microseconds, well
 * inside the 1 ms.
 * Loss: lost / sent against the profile's long-run rate, within a 99.9 %
 * interval: 3.29 standard deviations of a binomial of that many requests,
 * widened by sqrt(2B - 1) for a mean burst of B (runs of losses make the
 * count vary more), plus one request. A down or unreachable host must give
 * no echo reply at all. A rate limit or a flap makes the loss depend on the
 * load and the run's length: not checked, and said so.
 * TTL: every reply's must be the profile's (IPv4: the raw socket sees the
 * IP header; IPv6: the kernel reports the hop limit, IPV6_RECVHOPLIMIT).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "load.h"

#define Z_999 3.29 /* two-sided 99.9 % of a normal distribution */

static double median_ms(const struct target *t)
{
	return hist_quantile(t->hist, t->c.received, 0.5, t->rtt_max) / 1e6;
}

int expect_report(const struct run *r)
{
	size_t failed = 0;
	int width = 6;

	for (size_t i = 0; i < r->n_targets; i++) {
		int len = (int)strlen(r->targets[i].name);

		width = len > width ? len : width;
	}
	printf("\n%-*s %-12s %9s %9s %8s %4s | %9s %8s | %s\n", width, "target", "profile",
	       "delay ms", "jitter ms", "loss %", "ttl", "p50 ms", "loss %", "verdict");
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct target *t = &r->targets[i];
		double sent = (double)t->c.sent, lost = (double)(t->c.lost + t->c.late);
		double loss = sent > 0 ? lost / sent : 0, want = t->exp_p50_ns / 1e6;
		char verdict[200] = "ok", p50[16] = "-";
		bool ok = true;

		if (t->c.received)
			snprintf(p50, sizeof(p50), "%.3f", median_ms(t));
		if (t->exp_silent) {
			ok = t->c.received == 0;
			snprintf(verdict, sizeof(verdict), "%s: no reply wanted (down/unreachable)",
				 ok ? "ok" : "FAIL");
		} else {
			double tol_ms = 1 + 0.1 * want, p = t->exp_loss;
			double sd = sent > 0 ? sqrt(p * (1 - p) / sent) : 0;
			double tol =
			    Z_999 * sd * sqrt(2 * (t->exp_burst > 1 ? t->exp_burst : 1) - 1) +
			    (sent > 0 ? 1 / sent : 0);
			bool delay_ok = !t->c.received || fabs(median_ms(t) - want) <= tol_ms;
			bool loss_ok = t->exp_unchecked_loss || fabs(loss - p) <= tol;
			bool ttl_ok =
			    !t->ttl_seen || (t->ttl_min == t->exp_ttl && t->ttl_max == t->exp_ttl);
			char ttl[48] = "no ttl seen";

			if (t->ttl_seen && ttl_ok)
				snprintf(ttl, sizeof(ttl), "ttl %u seen", t->exp_ttl);
			else if (t->ttl_seen)
				snprintf(ttl, sizeof(ttl), "ttl NOT %u: seen %u to %u", t->exp_ttl,
					 t->ttl_min, t->ttl_max);
			if (!t->c.received && p < 1)
				delay_ok = false; /* every request lost: no delay to check */
			ok = delay_ok && loss_ok && ttl_ok;
			snprintf(verdict, sizeof(verdict),
				 "%s: p50 %swithin %.3f ms of %.3f; loss %s; %s",
				 ok ? "ok" : "FAIL", delay_ok ? "" : "NOT ", tol_ms, want,
				 t->exp_unchecked_loss ? "not checked (rate-limit or flap)"
						       : (loss_ok ? "within the 99.9% interval"
								  : "OUTSIDE the 99.9% interval"),
				 ttl);
		}
		failed += !ok;
		printf("%-*s %-12s %9.3f %9.3f %8.3f %4u | %9s %8.3f | %s\n", width, t->name,
		       t->profile[0] ? t->profile : "(none)", t->exp_delay_ns / 1e6,
		       t->exp_jitter_ns / 1e6, 100 * t->exp_loss, t->exp_ttl, p50, 100 * loss,
		       verdict);
	}
	printf("expect: %zu of %zu targets as their profiles say%s\n", r->n_targets - failed,
	       r->n_targets, failed ? ": FAILED" : "");
	fflush(stdout);
	return failed ? 1 : 0;
}

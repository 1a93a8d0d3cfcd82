/* SPDX-License-Identifier: MIT */
/* What tunecho-load prints at the end: the table or the JSON, and with
 * --histogram the RTT charts. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <string.h>

#include "load.h"

/* One row of the report: a target or the total. */
struct row {
	const char *name;
	struct counts c;
	const uint64_t *hist;
	uint64_t rtt_max;
	uint64_t end_ns; /* the last reply, or the end of sending if later */
};

static double row_rate(const struct run *r, const struct row *w)
{
	if (!w->c.received || w->end_ns <= r->start_ns)
		return 0;
	return (double)w->c.received * NS_PER_S / (double)(w->end_ns - r->start_ns);
}

/* p50, p90, p99, p99.9 and max of @w, in µs. */
static void row_rtt_us(const struct row *w, double us[5])
{
	static const double q[4] = {0.5, 0.9, 0.99, 0.999};

	for (int i = 0; i < 4; i++)
		us[i] = hist_quantile(w->hist, w->c.received, q[i], w->rtt_max) / 1000;
	us[4] = (double)w->rtt_max / 1000;
}

static void print_row(const struct run *r, const struct row *w, int width)
{
	double us[5];

	printf("%-*s %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
	       " %11.1f",
	       width, w->name, w->c.sent, w->c.received, w->c.lost, w->c.late, w->c.dup,
	       w->c.corrupt, row_rate(r, w));
	row_rtt_us(w, us);
	for (int i = 0; i < 5; i++)
		if (w->c.received)
			printf(" %9.1f", us[i]);
		else
			printf(" %9s", "-");
	putchar('\n');
}

static void print_json_row(const struct run *r, const struct row *w)
{
	double us[5];

	printf(
	    "\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"late\":%" PRIu64
	    ",\"duplicate\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"rate\":%.1f,",
	    w->c.sent, w->c.received, w->c.lost, w->c.late, w->c.dup, w->c.corrupt, row_rate(r, w));
	if (r->opt.histogram) {
		/* The non-empty buckets as they are, for a CDF to be drawn from. */
		bool first = true;

		fputs("\"histogram\":[", stdout);
		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			if (w->hist[i]) {
				printf("%s[%.3f,%.3f,%" PRIu64 "]", first ? "" : ",",
				       (double)hist_lower(i) / 1000,
				       (double)hist_lower(i + 1) / 1000, w->hist[i]);
				first = false;
			}
		fputs("],", stdout);
	}
	fputs("\"rtt_us\":", stdout);
	if (!w->c.received) {
		fputs("null}", stdout);
		return;
	}
	row_rtt_us(w, us);
	printf("{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}}", us[0], us[1],
	       us[2], us[3], us[4]);
}

/* --histogram: the total's chart; with -v, each target's before it. */
static void print_histograms(const struct run *r)
{
	FILE *out = stdout;

	if (r->opt.verbose)
		for (size_t i = 0; i < r->n_targets; i++) {
			fprintf(out, "\nRTT histogram, %s:\n", r->targets[i].name);
			hist_print(out, r->targets[i].hist, "  ");
		}
	fputs("\nRTT histogram, total:\n", out);
	hist_print(out, r->hist, "  ");
}

/* Print the table (or JSON); return the exit status it implies. */
int report(const struct run *r)
{
	struct row total = {.name = "total",
			    .hist = r->hist,
			    .rtt_max = r->rtt_max,
			    .end_ns = max_u64(r->last_reply_ns, r->stop_ns)};
	int width = 6;

	for (size_t i = 0; i < r->n_targets; i++) {
		const struct counts *c = &r->targets[i].c;
		int len = (int)strlen(r->targets[i].name);

		total.c.sent += c->sent;
		total.c.received += c->received;
		total.c.lost += c->lost;
		total.c.late += c->late;
		total.c.dup += c->dup;
		total.c.corrupt += c->corrupt;
		width = len > width ? len : width;
	}
	if (!r->opt.json)
		printf("%-*s %10s %10s %8s %8s %8s %8s %11s %9s %9s %9s %9s %9s\n", width, "target",
		       "sent", "received", "lost", "late", "dup", "corrupt", "replies/s", "p50 us",
		       "p90 us", "p99 us", "p99.9 us", "max us");
	else
		fputs("{\"targets\":[", stdout);
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct target *t = &r->targets[i];
		struct row w = {.name = t->name,
				.c = t->c,
				.hist = t->hist,
				.rtt_max = t->rtt_max,
				.end_ns = max_u64(t->last_reply_ns, t->done_ns)};

		if (!r->opt.json) {
			print_row(r, &w, width);
			continue;
		}
		printf("%s{\"target\":\"%s\",", i ? "," : "", t->name);
		print_json_row(r, &w);
	}
	if (!r->opt.json) {
		print_row(r, &total, width);
		if (r->opt.histogram)
			print_histograms(r);
	} else {
		fputs("],\"total\":{", stdout);
		print_json_row(r, &total);
		fputs("}\n", stdout);
	}
	fflush(stdout);

	double loss = total.c.sent ? 100.0 * (double)total.c.lost / (double)total.c.sent : 0;

	return loss <= r->opt.max_loss && total.c.corrupt <= r->opt.max_corrupt ? 0 : 1;
}

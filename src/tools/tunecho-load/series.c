/* SPDX-License-Identifier: MIT */
/*
 * --series FILE: one CSV row per second of the run, for plotting
 * (tests/plot-load.py, or any spreadsheet):
 *
 *   time_s,sent,received,lost,p50_us,p99_us
 *
 * time_s is the end of the second, from the start of the run; sent,
 * received and lost are what happened within it (lost: the requests whose
 * timeout ran out in that second); p50_us and p99_us are over the RTTs of
 * that second's replies, empty when there were none. After the end of the
 * run one more row covers the time since the last one.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "load.h"

int series_open(struct run *r)
{
	r->series = fopen(r->opt.series, "w");
	if (!r->series) {
		fprintf(stderr, PROG ": --series: %s: %s\n", r->opt.series, strerror(errno));
		return -1;
	}
	fputs("time_s,sent,received,lost,p50_us,p99_us\n", r->series);
	return 0;
}

void series_row(struct run *r, uint64_t now)
{
	uint64_t n = hist_count(r->hist_sec);

	fprintf(r->series, "%.3f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
		(double)(now - r->start_ns) / NS_PER_S, r->sec_sent, r->sec_received, r->sec_lost);
	if (n)
		fprintf(r->series, "%.1f,%.1f\n",
			hist_quantile(r->hist_sec, n, 0.5, UINT64_MAX) / 1000,
			hist_quantile(r->hist_sec, n, 0.99, UINT64_MAX) / 1000);
	else
		fputs(",\n", r->series);
}

/* Flush and close: a full disk is said, and fails the run. */
int series_close(struct run *r)
{
	FILE *f = r->series;

	if (!f)
		return 0;
	r->series = NULL;
	if (ferror(f) | fclose(f)) {
		fprintf(stderr, PROG ": --series: %s: write error\n", r->opt.series);
		return -1;
	}
	return 0;
}

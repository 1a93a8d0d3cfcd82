/* SPDX-License-Identifier: MIT */
/* tunecho-load's main: options, targets, set-up, the run, the report. */
#define _GNU_SOURCE
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "load.h"

int main(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	int status;

	if (!r) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	r->fams[FAM_V4] = (struct fam){.run = r, .family = AF_INET, .fd = -1};
	r->fams[FAM_V6] = (struct fam){.run = r, .family = AF_INET6, .fd = -1};
	status = parse_options(&r->opt, argc, argv);
	if (status >= 0)
		goto out;
	status = 2;
	if (collect_targets(r, argc, argv, optind) < 0)
		goto out;
	if (r->opt.expect_rate && (double)r->n_targets * r->opt.rate > EXPECT_MAX_PPS) {
		r->opt.rate = (double)EXPECT_MAX_PPS / (double)r->n_targets;
		if (r->opt.rate < EXPECT_MIN_RATE)
			r->opt.rate = EXPECT_MIN_RATE;
	}
	if (r->opt.list) {
		for (size_t i = 0; i < r->n_targets; i++)
			puts(r->targets[i].name);
		status = 0;
		goto out;
	}
	if (r->opt.series && series_open(r) < 0)
		goto out;
	status = 1;
	if (setup(r) < 0)
		goto out;
	run_load(r);
	status = report(r);
	if (r->opt.expect) {
		tally_rest(r);
		status = expect_report(r);
	}
	if (series_close(r) < 0)
		status = 1;
out:
	if (r->series)
		fclose(r->series);
	teardown(r);
	free(r);
	return status;
}

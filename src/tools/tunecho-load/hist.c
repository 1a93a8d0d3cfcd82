/* SPDX-License-Identifier: MIT */
/* The RTT histogram: buckets, quantiles and its terminal chart (hist.h). */
#include "hist.h"

#include <math.h>

unsigned hist_index(uint64_t ns)
{
	unsigned e;

	if (ns < (1u << HIST_MIN_SHIFT))
		return (unsigned)(ns >> (HIST_MIN_SHIFT - HIST_SUB_BITS));
	if (ns >= 1ull << HIST_MAX_SHIFT)
		return HIST_BUCKETS - 1;
	e = 63 - (unsigned)__builtin_clzll(ns);
	return (e - HIST_MIN_SHIFT + 1) * HIST_SUB +
	       (unsigned)((ns >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

uint64_t hist_lower(unsigned i)
{
	if (i < HIST_SUB)
		return (uint64_t)i << (HIST_MIN_SHIFT - HIST_SUB_BITS);
	return (uint64_t)(HIST_SUB + i % HIST_SUB)
	       << (i / HIST_SUB + HIST_MIN_SHIFT - 1 - HIST_SUB_BITS);
}

double hist_middle(unsigned i)
{
	unsigned shift;

	if (i < HIST_SUB)
		return (i + 0.5) * (1u << (HIST_MIN_SHIFT - HIST_SUB_BITS));
	shift = i / HIST_SUB + HIST_MIN_SHIFT - 1 - HIST_SUB_BITS;
	return ldexp(HIST_SUB + i % HIST_SUB + 0.5, (int)shift);
}

double hist_quantile(const uint64_t *h, uint64_t n, double q, uint64_t max)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n), seen = 0;

	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= rank)
			return fmin(hist_middle(i), (double)max);
	}
	return (double)max;
}

uint64_t hist_count(const uint64_t *h)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		n += h[i];
	return n;
}

/* The chart's row of fine bucket @i, @per rows per doubling: row 0 is
 * everything below 1024 ns (the linear part, where RTTs hardly fall). */
static unsigned row_of(unsigned i, unsigned per)
{
	if (i < HIST_SUB)
		return 0;
	return 1 + (i / HIST_SUB - 1) * per + i % HIST_SUB / (HIST_SUB / per);
}

/* The first fine bucket of row @row. */
static unsigned first_of(unsigned row, unsigned per)
{
	if (!row)
		return 0;
	return HIST_SUB * (1 + (row - 1) / per) + (row - 1) % per * (HIST_SUB / per);
}

void hist_print(FILE *out, const uint64_t *h, const char *indent)
{
	unsigned first = HIST_BUCKETS, last = 0, per = 4, rows;
	uint64_t n = 0, most = 0, cum = 0;

	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		if (!h[i])
			continue;
		first = i < first ? i : first;
		last = i;
		n += h[i];
	}
	if (!n) {
		fprintf(out, "%s(no replies)\n", indent);
		return;
	}
	if (row_of(last, per) - row_of(first, per) >= 48)
		per = 1;
	first = row_of(first, per);
	last = row_of(last, per);
	rows = last - first + 1;
	uint64_t counts[HIST_BUCKETS] = {0};

	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		if (h[i])
			counts[row_of(i, per) - first] += h[i];
	for (unsigned k = 0; k < rows; k++)
		most = counts[k] > most ? counts[k] : most;
	fprintf(out, "%s%21s %12s %7s %7s\n", indent, "RTT us", "count", "%", "cum %");
	for (unsigned k = 0; k < rows; k++) {
		unsigned row = first + k, lo = first_of(row, per), hi = first_of(row + 1, per);
		int bar = (int)((counts[k] * HIST_BAR_WIDTH + most - 1) / most);

		cum += counts[k];
		fprintf(out, "%s%9.1f - %9.1f %12llu %7.2f %7.2f ", indent,
			(double)hist_lower(lo) / 1000,
			(double)hist_lower(hi > HIST_BUCKETS ? HIST_BUCKETS : hi) / 1000,
			(unsigned long long)counts[k], 100.0 * (double)counts[k] / (double)n,
			100.0 * (double)cum / (double)n);
		while (bar-- > 0)
			fputc('#', out);
		fputc('\n', out);
	}
}

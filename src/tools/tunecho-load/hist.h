/* SPDX-License-Identifier: MIT */
/*
 * RTT histogram of tunecho-load, log-linear like HdrHistogram: below
 * 1024 ns, 64 linear buckets of 16 ns; above, 64 buckets per power of two
 * up to 2^36 ns (69 s). A bucket is at most 1/64 of its value wide, and a
 * percentile is reported as the bucket's middle: within 0.8 % from 1 µs to
 * 69 s, in 13.5 KiB. Pure code: no I/O but the FILE it prints to.
 */
#ifndef TL_HIST_H
#define TL_HIST_H

#include <stdint.h>
#include <stdio.h>

#define HIST_SUB_BITS  6
#define HIST_SUB       (1u << HIST_SUB_BITS)
#define HIST_MIN_SHIFT 10
#define HIST_MAX_SHIFT 36
#define HIST_BUCKETS   (HIST_SUB * (1 + HIST_MAX_SHIFT - HIST_MIN_SHIFT))

/* The bucket of an RTT of @ns. */
unsigned hist_index(uint64_t ns);

/* The smallest value of bucket @i, in ns (@i may be HIST_BUCKETS: the end). */
uint64_t hist_lower(unsigned i);

/* The middle of bucket @i, in ns. */
double hist_middle(unsigned i);

/* The @q-quantile (0..1) of @n samples in @h, capped at the exact @max. */
double hist_quantile(const uint64_t *h, uint64_t n, double q, uint64_t max);

/* Samples in @h. */
uint64_t hist_count(const uint64_t *h);

/* Columns of the bar at most; the bar of the fullest row has them all. */
#define HIST_BAR_WIDTH 40

/*
 * Print @h to @out as a bar chart, one row per log-scaled bucket (four per
 * doubling; one per doubling when that would make more than 48 rows),
 * from the first non-empty bucket to the last: range in µs, count, share,
 * cumulative share, and a bar of '#' proportional to the count. Every line
 * starts with @indent. Prints "(no replies)" for an empty histogram.
 */
void hist_print(FILE *out, const uint64_t *h, const char *indent);

#endif

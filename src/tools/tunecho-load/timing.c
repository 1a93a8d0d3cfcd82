/* SPDX-License-Identifier: MIT */
#include "timing.h"

#define NS_PER_S 1e9

uint64_t timing_turns(double rate, uint64_t elapsed_ns, size_t n)
{
	return (uint64_t)(rate * (double)elapsed_ns / NS_PER_S * (double)n) + 1;
}

/* From the turns, so that the two never disagree by a rounding. */
uint64_t timing_due(double rate, uint64_t elapsed_ns, size_t i, size_t n)
{
	uint64_t turns = timing_turns(rate, elapsed_ns, n);

	return turns > i ? (turns - 1 - i) / n + 1 : 0;
}

uint64_t timing_arrival(const struct timespec *rt, int64_t rt_offset, uint64_t sent, uint64_t now)
{
	int64_t at = (int64_t)rt->tv_sec * 1000000000 + rt->tv_nsec - rt_offset;

	return at >= 0 && (uint64_t)at >= sent && (uint64_t)at <= now ? (uint64_t)at : now;
}

/* SPDX-License-Identifier: MIT */
/* Small helpers shared by the library's files. */
#ifndef TE_UTIL_H
#define TE_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdint.h>
#include <strings.h>
#include <time.h>

/*
 * Make room in the array *@arr of @n elements of @size bytes for one more.
 * Capacity doubles at every power of two, so callers keep only the count.
 * Returns 0 or -ENOMEM (the array is then unchanged).
 */
static inline int te_grow(void **arr, size_t n, size_t size)
{
	void *p;

	if (n && (n & (n - 1)))
		return 0; /* not a power of two: capacity is 2^k > n */
	p = reallocarray(*arr, n ? 2 * n : 1, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

/*
 * Make room in an array grown by te_grow() for @need elements in all,
 * keeping te_grow()'s rule (capacity at least the power of two >= count).
 * Returns 0 or -ENOMEM (the array is then unchanged).
 */
static inline int te_grow_to(void **arr, size_t need, size_t size)
{
	size_t cap = 1;
	void *p;

	while (cap < need)
		cap *= 2;
	p = reallocarray(*arr, cap, size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

/*
 * A boolean as config files write it: yes/no, true/false, on/off, 1/0, in
 * any case. Returns false (and leaves *@out) for anything else.
 */
static inline bool te_parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (!strcasecmp(v, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcasecmp(v, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/* Milliseconds of CLOCK_MONOTONIC_COARSE: the clock of reassembly and of TAP's limits. */
static inline uint64_t te_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * Longest-prefix matching of IPv4 and IPv6 addresses to a value (a
 * profile's index), built once per config. The prefixes are flattened
 * into sorted, disjoint address ranges, each carrying the value of the
 * most specific prefix that covers it; a lookup is a binary search over
 * the range starts: O(log n), 20 bytes per range, at most 2n + 1 ranges
 * for n prefixes, and nothing to follow but one array. Pure and
 * read-only once built: workers can share one table.
 */
#ifndef TE_LPM_H
#define TE_LPM_H

#include <stddef.h>
#include <stdint.h>

struct te_lpm;

struct te_lpm_entry {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; bits past len are ignored */
	unsigned len;	  /* 0 to 32, or 0 to 128 */
	uint32_t value;	  /* up to INT32_MAX */
};

/*
 * Build a table from the @n entries at @e (not kept). The same prefix
 * twice with the same value counts once. 0; -EINVAL (a family, length or
 * value out of range); -EEXIST (the same prefix with two values);
 * -ENOMEM. An empty table (n = 0) matches nothing.
 */
int te_lpm_new(struct te_lpm **out, const struct te_lpm_entry *e, size_t n);

void te_lpm_free(struct te_lpm *t);

/*
 * The value of the longest prefix of @family that holds @addr (4 or 16
 * bytes, network order), or -ENOENT when none does (-EINVAL: no such family).
 */
int te_lpm_lookup(const struct te_lpm *t, int family, const uint8_t *addr);

/* How many ranges the table holds for @family (a measure of its size). */
size_t te_lpm_ranges(const struct te_lpm *t, int family);

#endif

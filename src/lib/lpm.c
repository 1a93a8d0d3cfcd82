/* SPDX-License-Identifier: MIT */
#include "lpm.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

#define NONE (-1)

/* One family's ranges: range i is [start[i], start[i + 1]) and has value[i]. */
struct ranges {
	u128 *start;
	int32_t *value;
	size_t n;
};

struct te_lpm {
	struct ranges r[2]; /* [0] IPv4, [1] IPv6 */
};

struct prefix {
	u128 start, end;
	unsigned len;
	int32_t value;
};

static u128 key_of(int family, const uint8_t *a)
{
	size_t n = family == AF_INET6 ? 16 : 4;
	u128 k = 0;

	for (size_t i = 0; i < n; i++)
		k = k << 8 | a[i];
	return k;
}

static int cmp_prefix(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

/* Append the range starting at @k, or replace the value of one starting there. */
static void emit(struct ranges *r, u128 k, int32_t value)
{
	if (r->n && r->start[r->n - 1] == k) {
		r->value[r->n - 1] = value;
		return;
	}
	r->start[r->n] = k;
	r->value[r->n++] = value;
}

/*
 * Flatten @n prefixes (sorted by start, then shorter first) of a family of
 * @width bits. Prefixes either nest or are disjoint, so a stack of the
 * ones open at the sweep's position (at most width + 1 deep) is enough:
 * a prefix starts a range with its value, and where one ends the range
 * goes back to the value of the one around it.
 */
static int flatten(struct ranges *r, struct prefix *p, size_t n, unsigned width)
{
	u128 max = width == 128 ? ~(u128)0 : ((u128)1 << width) - 1;
	struct prefix *stack[129];
	size_t depth = 0, w = 0;

	r->start = malloc((2 * n + 1) * sizeof(*r->start));
	r->value = malloc((2 * n + 1) * sizeof(*r->value));
	if (!r->start || !r->value)
		return -ENOMEM;
	r->n = 0;
	emit(r, 0, NONE);
	for (size_t i = 0; i <= n; i++) {
		/* Close what ends before the next prefix (all of them at the end). */
		while (depth && (i == n || stack[depth - 1]->end < p[i].start)) {
			const struct prefix *t = stack[--depth];

			if (t->end != max)
				emit(r, t->end + 1, depth ? stack[depth - 1]->value : NONE);
		}
		if (i == n)
			break;
		stack[depth++] = &p[i];
		emit(r, p[i].start, p[i].value);
	}
	/* Neighbours with the same value are one range. */
	for (size_t i = 0; i < r->n; i++)
		if (!w || r->value[i] != r->value[w - 1]) {
			r->start[w] = r->start[i];
			r->value[w++] = r->value[i];
		}
	r->n = w;
	return 0;
}

static int build_family(struct ranges *r, const struct te_lpm_entry *e, size_t n, int family)
{
	unsigned width = family == AF_INET6 ? 128 : 32;
	struct prefix *p;
	size_t m = 0, k = 0;
	int err;

	for (size_t i = 0; i < n; i++)
		m += e[i].family == family;
	p = calloc(m ? m : 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		u128 host;

		if (e[i].family != family)
			continue;
		/* Host bits: all ones below the prefix; none for a full-length one. */
		host = e[i].len == width ? 0
		       : e[i].len == 0	 ? (width == 128 ? ~(u128)0 : ((u128)1 << width) - 1)
					 : (((u128)1 << (width - e[i].len)) - 1);
		p[k].start = key_of(family, e[i].addr) & ~host;
		p[k].end = p[k].start | host;
		p[k].len = e[i].len;
		p[k].value = (int32_t)e[i].value;
		k++;
	}
	qsort(p, m, sizeof(*p), cmp_prefix);
	/* The same prefix twice: once if it says the same, an error if not. */
	k = 0;
	for (size_t i = 0; i < m; i++) {
		if (k && p[k - 1].start == p[i].start && p[k - 1].len == p[i].len) {
			if (p[k - 1].value != p[i].value) {
				free(p);
				return -EEXIST;
			}
			continue;
		}
		p[k++] = p[i];
	}
	err = flatten(r, p, k, width);
	free(p);
	return err;
}

void te_lpm_free(struct te_lpm *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < 2; i++) {
		free(t->r[i].start);
		free(t->r[i].value);
	}
	free(t);
}

int te_lpm_new(struct te_lpm **out, const struct te_lpm_entry *e, size_t n)
{
	struct te_lpm *t;
	int err;

	for (size_t i = 0; i < n; i++)
		if ((e[i].family != AF_INET && e[i].family != AF_INET6) ||
		    e[i].len > (e[i].family == AF_INET6 ? 128u : 32u) || e[i].value > INT32_MAX)
			return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	err = build_family(&t->r[0], e, n, AF_INET);
	if (!err)
		err = build_family(&t->r[1], e, n, AF_INET6);
	if (err) {
		te_lpm_free(t);
		return err;
	}
	*out = t;
	return 0;
}

int te_lpm_lookup(const struct te_lpm *t, int family, const uint8_t *addr)
{
	const struct ranges *r;
	const u128 *base;
	u128 k;
	size_t n;

	if (family != AF_INET && family != AF_INET6)
		return -EINVAL;
	r = &t->r[family == AF_INET6];
	k = key_of(family, addr);
	/* The last range starting at or before k (the first starts at 0):
	 * a branch-free binary search. */
	base = r->start;
	n = r->n;
	while (n > 1) {
		size_t half = n / 2;

		base = base[half] <= k ? base + half : base;
		n -= half;
	}
	return r->value[base - r->start] == NONE ? -ENOENT : r->value[base - r->start];
}

size_t te_lpm_ranges(const struct te_lpm *t, int family)
{
	return t->r[family == AF_INET6].n;
}

/* SPDX-License-Identifier: MIT */
#include "delay.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* One held reply: this header and its bytes, one allocation. */
struct entry {
	struct entry *next; /* in its lane */
	uint64_t due;
	void *ctx;
	uint32_t len;
	uint32_t seq; /* arrival order, for equal due times (wraps: compared as a difference) */
	uint8_t data[];
};

#define LANES 4

/*
 * Entries handed out are kept, up to SPARE_MAX of up to SPARE_LEN bytes,
 * for the next pushes of the same length (a run of pings has one): malloc
 * and free were 2 % of a delayed reply's cost. Spares hold no reply and
 * are not counted against the limits.
 */
#define SPARE_MAX 64
#define SPARE_LEN 512

struct lane {
	struct entry *head, *tail;
};

struct te_delay {
	size_t max_count, max_bytes;
	struct lane lane[LANES];
	struct entry **heap; /* a binary min-heap, grown by te_grow() */
	size_t n_heap;
	uint32_t seq;
	struct entry *spare; /* a list, by next, of n_spare entries of spare_len */
	size_t n_spare;
	uint32_t spare_len;
	struct te_delay_stats st;
};

size_t te_delay_cost(size_t len)
{
	/* The header, the bytes, and a heap slot whether used or not: the
	 * count stays the same wherever the reply sits. */
	return sizeof(struct entry) + len + sizeof(struct entry *);
}

int te_delay_new(struct te_delay **out, size_t max_count, size_t max_bytes)
{
	struct te_delay *d;

	if (!max_count || !max_bytes)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	te_delay_set_limits(d, max_count, max_bytes);
	*out = d;
	return 0;
}

void te_delay_set_limits(struct te_delay *d, size_t max_count, size_t max_bytes)
{
	d->max_count = max_count;
	d->max_bytes = max_bytes;
}

static struct entry *entry_new(struct te_delay *d, size_t len)
{
	struct entry *e = d->spare;

	if (e && len == d->spare_len) {
		d->spare = e->next;
		d->n_spare--;
		return e;
	}
	return malloc(sizeof(*e) + len);
}

static void entry_free(struct te_delay *d, struct entry *e)
{
	if (e->len > SPARE_LEN || d->n_spare >= SPARE_MAX ||
	    (d->n_spare && e->len != d->spare_len)) {
		free(e);
		return;
	}
	d->spare_len = e->len;
	e->next = d->spare;
	d->spare = e;
	d->n_spare++;
}

void te_delay_free(struct te_delay *d)
{
	if (!d)
		return;
	for (struct entry *e = d->spare, *next; e; e = next) {
		next = e->next;
		free(e);
	}
	for (size_t i = 0; i < LANES; i++) {
		for (struct entry *e = d->lane[i].head, *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	for (size_t i = 0; i < d->n_heap; i++)
		free(d->heap[i]);
	free(d->heap);
	free(d);
}

/* Whether @a leaves before @b: earlier, or as early and pushed first. */
static bool before(const struct entry *a, const struct entry *b)
{
	return a->due != b->due ? a->due < b->due : (int32_t)(a->seq - b->seq) < 0;
}

static void sift_up(struct entry **h, size_t i)
{
	struct entry *e = h[i];

	while (i) {
		size_t parent = (i - 1) / 2;

		if (!before(e, h[parent]))
			break;
		h[i] = h[parent];
		i = parent;
	}
	h[i] = e;
}

static void sift_down(struct entry **h, size_t n, size_t i)
{
	struct entry *e = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(h[c + 1], h[c]))
			c++;
		if (!before(h[c], e))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = e;
}

/* The lane @e can join: the latest tail not after it, else an empty lane; or NULL. */
static struct lane *lane_for(struct te_delay *d, const struct entry *e)
{
	struct lane *best = NULL, *empty = NULL;

	for (size_t i = 0; i < LANES; i++) {
		struct lane *l = &d->lane[i];

		if (!l->tail) {
			if (!empty)
				empty = l;
		} else if (l->tail->due <= e->due && (!best || l->tail->due > best->tail->due)) {
			best = l;
		}
	}
	return best ? best : empty;
}

int te_delay_push(struct te_delay *d, uint64_t due_ns, const void *bytes, size_t len, void *ctx)
{
	size_t cost = te_delay_cost(len);
	struct entry *e;
	struct lane *l;

	if (len > UINT32_MAX)
		return -EINVAL;
	if (d->st.count >= d->max_count || cost > d->max_bytes ||
	    d->st.memory > d->max_bytes - cost) {
		d->st.full++;
		return -ENOSPC;
	}
	e = entry_new(d, len);
	if (!e)
		return -ENOMEM;
	e->next = NULL;
	e->due = due_ns;
	e->ctx = ctx;
	e->len = (uint32_t)len;
	e->seq = d->seq++;
	if (len)
		memcpy(e->data, bytes, len);
	l = lane_for(d, e);
	if (l) {
		if (l->tail)
			l->tail->next = e;
		else
			l->head = e;
		l->tail = e;
	} else {
		if (te_grow((void **)&d->heap, d->n_heap, sizeof(*d->heap))) {
			entry_free(d, e);
			return -ENOMEM;
		}
		d->heap[d->n_heap] = e;
		sift_up(d->heap, d->n_heap++);
	}
	d->st.count++;
	d->st.bytes += len;
	d->st.memory += cost;
	d->st.pushed++;
	return 0;
}

/* The lane whose head leaves first, or NULL for the heap's top (or nothing). */
static struct lane *first_lane(const struct te_delay *d, const struct entry **first)
{
	const struct entry *best = d->n_heap ? d->heap[0] : NULL;
	struct lane *from = NULL;

	for (size_t i = 0; i < LANES; i++) {
		const struct entry *h = d->lane[i].head;

		if (h && (!best || before(h, best))) {
			best = h;
			from = (struct lane *)&d->lane[i];
		}
	}
	*first = best;
	return from;
}

uint64_t te_delay_next_due(const struct te_delay *d)
{
	const struct entry *e;

	first_lane(d, &e);
	return e ? e->due : UINT64_MAX;
}

/* Take @e (the first, from lane @l or the heap) out of the store's structures. */
static void unlink_first(struct te_delay *d, struct lane *l, struct entry *e)
{
	if (l) {
		l->head = e->next;
		if (!l->head)
			l->tail = NULL;
	} else {
		d->heap[0] = d->heap[--d->n_heap];
		if (d->n_heap)
			sift_down(d->heap, d->n_heap, 0);
	}
	d->st.count--;
	d->st.bytes -= e->len;
	d->st.memory -= te_delay_cost(e->len);
}

size_t te_delay_pop_due(struct te_delay *d, uint64_t now_ns, size_t max, te_delay_fn *fn, void *arg)
{
	size_t n = 0;

	while (n < max) {
		const struct entry *first;
		struct lane *l = first_lane(d, &first);
		struct entry *e = (struct entry *)first;

		if (!e || e->due > now_ns)
			break;
		unlink_first(d, l, e);
		d->st.popped++;
		n++;
		if (l && l->head) /* the next one is wanted soon, and cold by now */
			__builtin_prefetch(l->head);
		fn(arg, e->ctx, e->data, e->len, e->due);
		entry_free(d, e);
	}
	return n;
}

size_t te_delay_purge(struct te_delay *d, const void *ctx)
{
	size_t n = 0, kept = 0;

	for (size_t i = 0; i < LANES; i++) {
		struct lane *l = &d->lane[i];
		struct entry **pp = &l->head, *e;

		l->tail = NULL;
		while ((e = *pp)) {
			if (e->ctx == ctx) {
				*pp = e->next;
				d->st.bytes -= e->len;
				d->st.memory -= te_delay_cost(e->len);
				free(e);
				n++;
			} else {
				l->tail = e;
				pp = &e->next;
			}
		}
	}
	for (size_t i = 0; i < d->n_heap; i++) {
		struct entry *e = d->heap[i];

		if (e->ctx == ctx) {
			d->st.bytes -= e->len;
			d->st.memory -= te_delay_cost(e->len);
			free(e);
			n++;
		} else {
			d->heap[kept++] = e;
		}
	}
	d->n_heap = kept;
	for (size_t i = kept / 2; i-- > 0;)
		sift_down(d->heap, kept, i);
	d->st.count -= n;
	d->st.purged += n;
	return n;
}

void te_delay_get_stats(const struct te_delay *d, struct te_delay_stats *out)
{
	*out = d->st;
	out->in_heap = d->n_heap;
}

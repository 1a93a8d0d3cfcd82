/* SPDX-License-Identifier: MIT */
/*
 * The delay store: replies a profile holds back, copied out of the
 * receive buffer, until their time comes. Bounded in count and bytes;
 * driven by one timer: the caller arms it for te_delay_next_due() and,
 * when it fires, hands the due replies out with te_delay_pop_due().
 *
 * Why this shape. A timing wheel costs O(1) but rounds every time to its
 * slot (a 100 us slot alone spends the whole accuracy goal) unless each
 * slot is sorted anyway; a binary heap is exact and O(log n). Most
 * replies, though, come from a profile with a constant delay and leave in
 * the order they came, and those need no sorting at all: a FIFO is exact
 * and O(1). So the store keeps a few FIFO lanes and a heap: a reply joins
 * the lane whose last reply is due the latest but not after it (patience
 * sorting), and only when no lane can take it (jitter, or more distinct
 * delays than lanes) the heap. Constant delays cost O(1), jitter O(log n),
 * and the order is exact in every case: by due time, then by arrival.
 *
 * Each reply is one allocation: a 32-byte header and its bytes (plus 8
 * bytes of heap index when it is in the heap), so a reply of N bytes
 * costs at most N + 64 bytes with glibc's malloc; up to 64 small ones
 * handed out are kept for the next replies of their length, sparing
 * malloc and free in a run of pings. Pure: no I/O, no clock.
 */
#ifndef TE_DELAY_H
#define TE_DELAY_H

#include <stddef.h>
#include <stdint.h>

struct te_delay;

struct te_delay_stats {
	size_t count;	 /* replies held now (gauge) */
	size_t bytes;	 /* their bytes (gauge) */
	size_t memory;	 /* what they cost as counted against the limit (gauge) */
	size_t in_heap;	 /* how many of them are in the heap, not a lane (gauge) */
	uint64_t pushed; /* replies taken in */
	uint64_t popped; /* replies handed out when due */
	uint64_t full;	 /* pushes refused: over the limits (-ENOSPC) */
	uint64_t purged; /* replies thrown away by te_delay_purge() */
};

/*
 * A new store holding at most @max_count replies and @max_bytes of
 * memory as te_delay_cost() counts it. 0, -EINVAL (a zero limit) or -ENOMEM.
 */
int te_delay_new(struct te_delay **out, size_t max_count, size_t max_bytes);

/* Free @d and every reply it holds (unsent). Accepts NULL. */
void te_delay_free(struct te_delay *d);

/* Change the limits; replies held over the new ones stay until due. */
void te_delay_set_limits(struct te_delay *d, size_t max_count, size_t max_bytes);

/* The memory one reply of @len bytes is counted for. */
size_t te_delay_cost(size_t len);

/*
 * Hold a copy of the @len bytes at @bytes until @due_ns, with @ctx (the
 * caller's: its interface, say) handed back with it. 0; -ENOSPC when the
 * store is full (the caller counts the reply as "queue_full"); -EINVAL
 * for a length over 4 GiB; -ENOMEM.
 */
int te_delay_push(struct te_delay *d, uint64_t due_ns, const void *bytes, size_t len, void *ctx);

/* When the earliest reply is due, or UINT64_MAX when the store is empty. */
uint64_t te_delay_next_due(const struct te_delay *d);

/*
 * Called for each reply handed out, with its bytes (valid only during the
 * call), its @ctx and the time it was due. It may push new replies.
 */
typedef void te_delay_fn(void *arg, void *ctx, const uint8_t *bytes, size_t len, uint64_t due_ns);

/*
 * Hand out, earliest first (equal times in the order they were pushed),
 * at most @max replies due at or before @now_ns, to @fn; each is freed
 * after the call. Returns how many were handed out: when that is @max,
 * more may be due.
 */
size_t te_delay_pop_due(struct te_delay *d, uint64_t now_ns, size_t max, te_delay_fn *fn,
			void *arg);

/* Throw away, unsent, every reply whose ctx is @ctx (an interface that went). */
size_t te_delay_purge(struct te_delay *d, const void *ctx);

void te_delay_get_stats(const struct te_delay *d, struct te_delay_stats *out);

#endif

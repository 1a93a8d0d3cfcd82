/* SPDX-License-Identifier: MIT */
/*
 * The simulated hosts' state (struct te_host_state, profile.h) by
 * address: a bounded hash table, so a sweep over a /64 cannot grow it.
 * Open addressing with a short probe window; when a window is full, the
 * host seen least recently in it is forgotten (it comes back as new: a
 * full token bucket, the good loss state), the way a router's per-source
 * limiter forgets. Keyed with a seed, so which hosts share a window cannot
 * be chosen from outside. One table per responder, or one per worker of a
 * multi-queue responder (queues hashed by address give each host one
 * worker): tables share nothing. Pure: the time is passed in.
 */
#ifndef TE_HOSTS_H
#define TE_HOSTS_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct te_hosts;

/*
 * A table for @capacity hosts (rounded up to a power of two, at least 16),
 * hashing with @seed. 0, -EINVAL (capacity over 2^28) or -ENOMEM.
 */
int te_hosts_new(struct te_hosts **out, size_t capacity, uint64_t seed);

void te_hosts_free(struct te_hosts *t);

/*
 * The state of host @addr (4 or 16 bytes, network order, of @family),
 * seen at @now_ns: found, or made fresh (zeroed), forgetting another when
 * its window is full. NULL for a family other than AF_INET/AF_INET6; the
 * pointer is valid until the next call.
 */
struct te_host_state *te_hosts_get(struct te_hosts *t, int family, const uint8_t *addr,
				   uint64_t now_ns);

/* Forget every host (a reload that changed the profiles may want it). */
void te_hosts_clear(struct te_hosts *t);

struct te_hosts_stats {
	size_t count;	    /* hosts held (gauge) */
	size_t capacity;    /* slots */
	uint64_t forgotten; /* hosts evicted to make room */
};

void te_hosts_get_stats(const struct te_hosts *t, struct te_hosts_stats *out);

#endif

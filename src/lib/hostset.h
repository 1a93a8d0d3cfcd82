/* SPDX-License-Identifier: MIT */
/*
 * The simulated hosts of one interface, as its config gives them: every
 * host of the on-link prefix of each `address` (its peer's prefix when it
 * has one), of each `route` and of each `hosts` line, except the device's
 * own addresses (the kernel has them) and, in a prefix with room for them
 * (IPv4 shorter than /31, IPv6 than /127), its all-zeros host (the
 * network, IPv6's subnet-router anycast) and in IPv4 its all-ones one (the
 * broadcast), judged in the most specific prefix that holds the address.
 * Built once per config (lpm.c underneath: O(log n) a lookup); pure and
 * read-only once built. What ARP and NDP answer for on a TAP, and on a TUN
 * with `hosts` lines what is answered at all.
 */
#ifndef TE_HOSTSET_H
#define TE_HOSTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "link.h"

struct te_hostset;

/* The set of @ic into *@out (freed with te_hostset_free()). 0 or -ENOMEM. */
int te_hostset_new(struct te_hostset **out, const struct te_iface_config *ic);
void te_hostset_free(struct te_hostset *hs);

/* What @addr (4 or 16 bytes of @family) is: a te_link_lookup_fn for @hs. */
enum te_link_kind te_hostset_lookup(void *hs, int family, const uint8_t *addr);

/*
 * Walk the hosts in order, for announcements: from the position *@pos
 * (start at 0), the next host into @family and @addr; returns false at the
 * end. Each host comes once, under the most specific prefix that holds
 * it; a prefix is walked from its first host, and only its first
 * TE_HOSTSET_WALK_MAX hosts are (an IPv6 /64 has 2^64).
 */
#define TE_HOSTSET_WALK_MAX 65536u
struct te_hostset_pos {
	size_t prefix;
	uint64_t host;
};
bool te_hostset_next(const struct te_hostset *hs, struct te_hostset_pos *pos, int *family,
		     uint8_t addr[16]);

/* Whether some prefix of @hs has more hosts than te_hostset_next() walks. */
bool te_hostset_walk_cut(const struct te_hostset *hs);

#endif

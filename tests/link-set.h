/* SPDX-License-Identifier: MIT */
/*
 * A lookup over a few prefixes for struct te_link (link.h), for the link
 * tests and the link fuzz target: an address is TE_LINK_OWN when it
 * equals one of @own, else TE_LINK_HOST when inside one of @hosts and a
 * host of it by te_link_is_host_of() (the rule the responder's host sets,
 * hostset.c, follow too). Linear in the prefixes.
 */
#ifndef TE_TEST_LINK_SET_H
#define TE_TEST_LINK_SET_H

#include <string.h>

#include "link.h"

struct te_link_prefix {
	int family;	  /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network order; 4 bytes used for AF_INET */
	unsigned len;	  /* prefix length; ignored for @own */
};

struct te_link_set {
	const struct te_link_prefix *hosts;
	size_t n_hosts;
	const struct te_link_prefix *own;
	size_t n_own;
};

static inline enum te_link_kind te_link_set_lookup(void *arg, int family, const uint8_t *addr)
{
	const struct te_link_set *set = arg;
	size_t alen = family == AF_INET ? 4 : 16;

	for (size_t i = 0; i < set->n_own; i++)
		if (set->own[i].family == family && !memcmp(set->own[i].addr, addr, alen))
			return TE_LINK_OWN;
	for (size_t i = 0; i < set->n_hosts; i++) {
		const struct te_link_prefix *p = &set->hosts[i];
		unsigned len = p->len > alen * 8 ? (unsigned)alen * 8 : p->len;
		unsigned whole = len / 8, rest = len % 8;

		if (p->family != family || memcmp(addr, p->addr, whole) ||
		    (rest && ((addr[whole] ^ p->addr[whole]) & (0xff00u >> rest))))
			continue;
		if (te_link_is_host_of(family, addr, len))
			return TE_LINK_HOST;
	}
	return TE_LINK_NONE;
}

#endif

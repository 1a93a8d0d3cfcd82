/* SPDX-License-Identifier: MIT */
#include "hostset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lpm.h"

struct te_hostset {
	struct te_prefix *prefixes; /* sorted, each once; host bits clear */
	size_t n;
	struct te_lpm *lpm; /* address -> index into prefixes */
	struct te_prefix *own;
	size_t n_own;
};

static int cmp_prefix(const void *a, const void *b)
{
	const struct te_prefix *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr.bytes, y->addr.bytes, 16);
}

/* @p with its host bits cleared (an address's on-link prefix). */
static struct te_prefix network_of(const struct te_prefix *p)
{
	struct te_prefix n = *p;
	size_t alen = te_addr_len(p->family);

	memset(n.addr.bytes + alen, 0, sizeof(n.addr.bytes) - alen);
	for (unsigned bit = p->len; bit < alen * 8; bit++)
		n.addr.bytes[bit / 8] &= (uint8_t) ~(0x80u >> (bit % 8));
	return n;
}

void te_hostset_free(struct te_hostset *hs)
{
	if (!hs)
		return;
	te_lpm_free(hs->lpm);
	free(hs->prefixes);
	free(hs->own);
	free(hs);
}

int te_hostset_new(struct te_hostset **out, const struct te_iface_config *ic)
{
	size_t total = ic->n_addrs + ic->n_routes + ic->n_hosts, n = 0;
	struct te_hostset *hs = calloc(1, sizeof(*hs));
	struct te_lpm_entry *e = NULL;
	int r = -ENOMEM;

	if (!hs)
		return -ENOMEM;
	hs->prefixes = calloc(total ? total : 1, sizeof(*hs->prefixes));
	hs->own = calloc(ic->n_addrs ? ic->n_addrs : 1, sizeof(*hs->own));
	if (!hs->prefixes || !hs->own)
		goto fail;
	for (size_t i = 0; i < ic->n_addrs; i++) {
		const struct te_address *a = &ic->addrs[i];

		hs->own[hs->n_own++] = a->local;
		hs->prefixes[n++] = network_of(a->has_peer ? &a->peer : &a->local);
	}
	for (size_t i = 0; i < ic->n_routes; i++)
		hs->prefixes[n++] = network_of(&ic->routes[i]);
	for (size_t i = 0; i < ic->n_hosts; i++)
		hs->prefixes[n++] = network_of(&ic->hosts[i]);
	if (n)
		qsort(hs->prefixes, n, sizeof(*hs->prefixes), cmp_prefix);
	hs->n = 0;
	for (size_t i = 0; i < n; i++)
		if (!hs->n || cmp_prefix(&hs->prefixes[hs->n - 1], &hs->prefixes[i]))
			hs->prefixes[hs->n++] = hs->prefixes[i];
	e = calloc(hs->n ? hs->n : 1, sizeof(*e));
	if (!e)
		goto fail;
	for (size_t i = 0; i < hs->n; i++) {
		e[i].family = hs->prefixes[i].family;
		memcpy(e[i].addr, hs->prefixes[i].addr.bytes, 16);
		e[i].len = hs->prefixes[i].len;
		e[i].value = (uint32_t)i;
	}
	r = te_lpm_new(&hs->lpm, e, hs->n);
	free(e);
	if (r)
		goto fail;
	*out = hs;
	return 0;
fail:
	te_hostset_free(hs);
	return r == -ENOMEM ? r : -ENOMEM;
}

enum te_link_kind te_hostset_lookup(void *arg, int family, const uint8_t *addr)
{
	const struct te_hostset *hs = arg;
	size_t alen = te_addr_len(family);
	int i;

	for (size_t k = 0; k < hs->n_own; k++)
		if (hs->own[k].family == family && !memcmp(hs->own[k].addr.bytes, addr, alen))
			return TE_LINK_OWN;
	i = te_lpm_lookup(hs->lpm, family, addr);
	if (i < 0 || !te_link_is_host_of(family, addr, hs->prefixes[i].len))
		return TE_LINK_NONE;
	return TE_LINK_HOST;
}

/* The host number @k of prefix @p (k below 2^(host bits)) into @addr. */
static void nth_host(const struct te_prefix *p, uint64_t k, uint8_t addr[16])
{
	size_t alen = te_addr_len(p->family);

	memcpy(addr, p->addr.bytes, 16);
	for (size_t i = alen; i-- > 0 && k; k >>= 8)
		addr[i] |= (uint8_t)k;
}

/* How many addresses prefix @p holds, capped at TE_HOSTSET_WALK_MAX + 1. */
static uint64_t span(const struct te_prefix *p)
{
	unsigned bits = (unsigned)te_addr_len(p->family) * 8 - p->len;

	return bits > 16 ? TE_HOSTSET_WALK_MAX + 1ull : 1ull << bits;
}

bool te_hostset_next(const struct te_hostset *hs, struct te_hostset_pos *pos, int *family,
		     uint8_t addr[16])
{
	for (; pos->prefix < hs->n; pos->prefix++, pos->host = 0) {
		const struct te_prefix *p = &hs->prefixes[pos->prefix];
		uint64_t end = span(p);

		if (end > TE_HOSTSET_WALK_MAX)
			end = TE_HOSTSET_WALK_MAX;
		while (pos->host < end) {
			nth_host(p, pos->host++, addr);
			/* Under its most specific prefix only, and a host there. */
			if (te_lpm_lookup(hs->lpm, p->family, addr) != (int)pos->prefix ||
			    te_hostset_lookup((void *)hs, p->family, addr) != TE_LINK_HOST)
				continue;
			*family = p->family;
			return true;
		}
	}
	return false;
}

bool te_hostset_walk_cut(const struct te_hostset *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		if (span(&hs->prefixes[i]) > TE_HOSTSET_WALK_MAX)
			return true;
	return false;
}

/* SPDX-License-Identifier: MIT */
/*
 * The targets of tunecho-load: addresses from the command line, and what a
 * tunecho config implies (peers, hosts of on-link and routed prefixes),
 * each once.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "config.h" /* the parsed config (the library's internal header) */
#include "lpm.h"
#include "load.h"
#include "tunecho.h"

bool same_addr(const struct target *t, const union inet_addr *a)
{
	if (t->fam == FAM_V4)
		return a->sa.sa_family == AF_INET &&
		       a->v4.sin_addr.s_addr == t->addr.v4.sin_addr.s_addr;
	return a->sa.sa_family == AF_INET6 &&
	       !memcmp(&a->v6.sin6_addr, &t->addr.v6.sin6_addr, sizeof(struct in6_addr));
}

/* Add a target at @bytes; @src: our address towards it (IPv6), or NULL. */
static int add_target(struct run *r, int family, const uint8_t *bytes, const uint8_t *src)
{
	struct target *t;

	if (r->n_targets == MAX_TARGETS) {
		fprintf(stderr, PROG ": more than %d targets (one ICMP identifier each)\n",
			MAX_TARGETS);
		return -1;
	}
	if (r->n_targets == r->cap_targets) {
		size_t cap = r->cap_targets ? 2 * r->cap_targets : 16;
		struct target *n = realloc(r->targets, cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, PROG ": out of memory\n");
			return -1;
		}
		r->targets = n;
		r->cap_targets = cap;
	}
	t = &r->targets[r->n_targets++];
	memset(t, 0, sizeof(*t));
	te_profile_defaults(&t->prof);
	if (family == AF_INET) {
		t->fam = FAM_V4;
		t->addr.v4.sin_family = AF_INET;
		memcpy(&t->addr.v4.sin_addr, bytes, 4);
		inet_ntop(AF_INET, bytes, t->name, sizeof(t->name));
	} else {
		t->fam = FAM_V6;
		t->addr.v6.sin6_family = AF_INET6;
		memcpy(&t->addr.v6.sin6_addr, bytes, 16);
		inet_ntop(AF_INET6, bytes, t->name, sizeof(t->name));
		t->has_src = src != NULL;
		if (src)
			memcpy(&t->src, src, 16);
	}
	return 0;
}

static int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Bit @i of address @a, counting from the most significant. */
static bool bit(const uint8_t *a, int i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

/* The address after @a inside network @p, wrapping to the network's first. */
static void next_in_prefix(const struct te_prefix *p, uint8_t *a)
{
	int i;

	for (i = addr_bits(p->family) / 8 - 1; i >= 0 && ++a[i] == 0; i--)
		;
	for (i = 0; i < p->len; i++)
		if (bit(a, i) != bit(p->addr.bytes, i)) {
			memcpy(a, p->addr.bytes, 16);
			return;
		}
}

/* Host part all zeros, or (IPv4) all ones: not a host to ping. The
 * smallest prefixes (/31, /32, /127, /128) are hosts only. */
static bool network_or_broadcast(const struct te_prefix *p, const uint8_t *a)
{
	bool zeros = true, ones = true;

	if (addr_bits(p->family) - p->len < 2)
		return false;
	for (int i = p->len; i < addr_bits(p->family); i++) {
		zeros = zeros && !bit(a, i);
		ones = ones && bit(a, i);
	}
	return zeros || (ones && p->family == AF_INET);
}

/*
 * Add up to @n hosts of prefix @p: those after @after (the interface's own
 * address, skipped) or, without it, from the start of the prefix.
 */
static int add_hosts(struct run *r, const struct te_prefix *p, const uint8_t *after, uint64_t n,
		     const uint8_t *src)
{
	int host_bits = addr_bits(p->family) - p->len;
	uint64_t size = host_bits >= 63 ? UINT64_MAX : 1ull << host_bits;
	uint8_t a[16];

	memcpy(a, after ? after : p->addr.bytes, 16);
	if (after)
		next_in_prefix(p, a);
	for (uint64_t tried = 0; n && tried < size; tried++, next_in_prefix(p, a)) {
		if (network_or_broadcast(p, a) ||
		    (after && !memcmp(a, after, p->family == AF_INET ? 4 : 16)))
			continue;
		if (add_target(r, p->family, a, src) < 0)
			return -1;
		n--;
	}
	return 0;
}

/* The first address of @ic in @family, or NULL. */
static const uint8_t *own_address(const struct te_iface_config *ic, int family)
{
	for (size_t i = 0; i < ic->n_addrs; i++)
		if (ic->addrs[i].local.family == family)
			return ic->addrs[i].local.addr.bytes;
	return NULL;
}

/*
 * --expect: give targets [@from, n_targets) of @ic what their profile says:
 * the longest prefix of ic's profile lines that holds them, else ic's own
 * profile, else none (the defaults: no delay, no loss).
 */
static int set_expected(struct run *r, const struct te_iface_config *ic, size_t iface, size_t from)
{
	struct te_lpm_entry *e = calloc(ic->n_prefs ? ic->n_prefs : 1, sizeof(*e));
	struct te_lpm *lpm = NULL;

	if (!e) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < ic->n_prefs; i++) {
		e[i].family = ic->prefs[i].prefix.family;
		memcpy(e[i].addr, ic->prefs[i].prefix.addr.bytes, 16);
		e[i].len = ic->prefs[i].prefix.len;
		e[i].value = ic->prefs[i].profile;
	}
	if (te_lpm_new(&lpm, e, ic->n_prefs) < 0) {
		free(e);
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	free(e);
	for (size_t i = from; i < r->n_targets; i++) {
		struct target *t = &r->targets[i];
		const uint8_t *a = t->fam == FAM_V4 ? (const uint8_t *)&t->addr.v4.sin_addr
						    : (const uint8_t *)&t->addr.v6.sin6_addr;
		int k = te_lpm_lookup(lpm, t->fam == FAM_V4 ? AF_INET : AF_INET6, a);
		struct te_profile none;
		const struct te_profile *p = &none;

		if (k < 0)
			k = ic->profile;
		te_profile_defaults(&none);
		if (k >= 0 && (size_t)k < ic->n_profiles) {
			p = &ic->profiles[k];
			snprintf(t->profile, sizeof(t->profile), "%s", ic->profile_names[k]);
		}
		t->prof = *p;
		t->iface = iface;
	}
	te_lpm_free(lpm);
	return 0;
}

/* Every target a config implies: peers, hosts of on-link prefixes next to
 * the interface's own address, hosts of routed prefixes, and with
 * --expect the `hosts` lines' hosts too. */
static int add_config_targets(struct run *r, const char *path)
{
	struct tunecho_config *cfg;
	char err[512];
	int ret = -1;

	if (tunecho_config_load_file(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct te_iface_config *ic = &cfg->ifaces[i];
		size_t from = r->n_targets;

		for (size_t j = 0; j < ic->n_addrs; j++) {
			const struct te_address *a = &ic->addrs[j];
			int bits = addr_bits(a->local.family);

			if (a->has_peer) {
				if (add_target(r, a->peer.family, a->peer.addr.bytes,
					       a->local.addr.bytes) < 0)
					goto out;
			} else if (a->local.len < bits) {
				struct te_prefix net = a->local;

				/* its network: the host bits cleared */
				for (int b = net.len; b < bits; b++)
					net.addr.bytes[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
				if (add_hosts(r, &net, a->local.addr.bytes, r->opt.hosts,
					      a->local.addr.bytes) < 0)
					goto out;
			}
		}
		for (size_t j = 0; j < ic->n_routes; j++)
			if (add_hosts(r, &ic->routes[j], NULL, r->opt.hosts,
				      own_address(ic, ic->routes[j].family)) < 0)
				goto out;
		for (size_t j = 0; r->opt.expect && j < ic->n_hosts; j++)
			if (add_hosts(r, &ic->hosts[j], NULL, r->opt.hosts,
				      own_address(ic, ic->hosts[j].family)) < 0)
				goto out;
		if (r->opt.expect && set_expected(r, ic, i, from) < 0)
			goto out;
		/* --expect: the undelayed reference of each family, answered by
		 * the kernel itself. */
		for (int fam = 0; r->opt.expect && fam < 2; fam++) {
			const uint8_t *own = own_address(ic, fam ? AF_INET6 : AF_INET);

			if (!own)
				continue;
			if (add_target(r, fam ? AF_INET6 : AF_INET, own, NULL) < 0)
				goto out;
			r->targets[r->n_targets - 1].baseline = true;
			r->targets[r->n_targets - 1].iface = i;
		}
	}
	ret = 0;
out:
	tunecho_config_free(cfg);
	return ret;
}

static int cmp_target(const void *a, const void *b, void *arg)
{
	const struct run *r = arg;
	const struct target *x = &r->targets[*(const uint32_t *)a];
	const struct target *y = &r->targets[*(const uint32_t *)b];
	int d = x->fam - y->fam;

	if (!d)
		d = x->fam == FAM_V4 ? memcmp(&x->addr.v4.sin_addr, &y->addr.v4.sin_addr, 4)
				     : memcmp(&x->addr.v6.sin6_addr, &y->addr.v6.sin6_addr, 16);
	if (!d)
		d = (*(const uint32_t *)a > *(const uint32_t *)b) -
		    (*(const uint32_t *)a < *(const uint32_t *)b);
	return d;
}

/* Drop repeated targets (a peer inside a route, an address given twice),
 * keeping the first of each in its place. */
static int dedup_targets(struct run *r)
{
	uint32_t *order = malloc(r->n_targets * sizeof(*order) + 1);
	bool *dup = calloc(r->n_targets + 1, sizeof(*dup));
	size_t n = 0;

	if (!order || !dup) {
		free(order);
		free(dup);
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < r->n_targets; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, r->n_targets, sizeof(*order), cmp_target, r);
	for (size_t i = 1; i < r->n_targets; i++) {
		const struct target *x = &r->targets[order[i - 1]], *y = &r->targets[order[i]];

		dup[order[i]] = x->fam == y->fam && same_addr(x, &y->addr);
	}
	for (size_t i = 0; i < r->n_targets; i++)
		if (!dup[i])
			r->targets[n++] = r->targets[i];
	r->n_targets = n;
	free(order);
	free(dup);
	return 0;
}

/* Targets from -c and the command line, each once; -1 after a message. */
int collect_targets(struct run *r, int argc, char **argv, int first)
{
	if (r->opt.config && add_config_targets(r, r->opt.config) < 0)
		return -1;
	for (int i = first; i < argc; i++) {
		uint8_t a[16];

		if (inet_pton(AF_INET, argv[i], a) == 1) {
			if (add_target(r, AF_INET, a, NULL) < 0)
				return -1;
		} else if (inet_pton(AF_INET6, argv[i], a) == 1) {
			if (add_target(r, AF_INET6, a, NULL) < 0)
				return -1;
		} else {
			fprintf(stderr, PROG ": '%s' is not an IPv4 or IPv6 address\n", argv[i]);
			usage_hint();
			return -1;
		}
	}
	if (!r->n_targets) {
		fprintf(stderr, PROG ": no targets: give addresses, or a config with -c FILE\n");
		usage_hint();
		return -1;
	}
	return dedup_targets(r);
}

/* SPDX-License-Identifier: MIT */
/*
 * The simulated hosts of an interface (src/lib/hostset.c): what is a host,
 * the device's own address, networks and broadcasts, the most specific
 * prefix winning, against a straightforward scan on random tables; the
 * walk of announcements; and the link reasons' place among the drop
 * reasons.
 */
#include "common.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>

#include "config.h"
#include "hostset.h"
#include "link.h"

static struct te_prefix pfx(const char *text)
{
	struct te_prefix p = {0};
	char addr[64];
	const char *slash = strchr(text, '/');
	size_t n = slash ? (size_t)(slash - text) : strlen(text);

	memcpy(addr, text, n);
	addr[n] = '\0';
	p.family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	ck_assert_int_eq(inet_pton(p.family, addr, p.addr.bytes), 1);
	p.len = (uint8_t)(slash ? atoi(slash + 1) : p.family == AF_INET ? 32 : 128);
	return p;
}

static enum te_link_kind kind(struct te_hostset *hs, const char *text)
{
	struct te_prefix p = pfx(text);

	return te_hostset_lookup(hs, p.family, p.addr.bytes);
}

START_TEST(test_what_is_a_host)
{
	struct te_address addrs[] = {
	    {.local = pfx("198.18.4.1/24")},
	    {.local = pfx("2001:db8:0:4::1/64")},
	    {.local = pfx("198.18.9.1/32"), .peer = pfx("198.18.9.0/30"), .has_peer = true}};
	struct te_prefix routes[] = {pfx("198.18.128.0/24"), pfx("198.18.200.0/31")};
	struct te_prefix hosts[] = {pfx("198.18.4.0/28"), pfx("198.18.128.0/32"),
				    pfx("2001:db8:0:9::7/128")};
	struct te_iface_config ic = {.addrs = addrs,
				     .n_addrs = 3,
				     .routes = routes,
				     .n_routes = 2,
				     .hosts = hosts,
				     .n_hosts = 3};
	struct te_hostset *hs = NULL;

	ck_assert_int_eq(te_hostset_new(&hs, &ic), 0);
	ck_assert_int_eq(kind(hs, "198.18.4.1"), TE_LINK_OWN);
	ck_assert_int_eq(kind(hs, "2001:db8:0:4::1"), TE_LINK_OWN);
	ck_assert_int_eq(kind(hs, "198.18.4.2"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "198.18.4.254"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "198.18.4.255"), TE_LINK_NONE); /* broadcast */
	/* 198.18.4.0 is the network of the /24 and of the /28 alike. */
	ck_assert_int_eq(kind(hs, "198.18.4.0"), TE_LINK_NONE);
	/* 198.18.4.15, the /28's broadcast, is judged in the /28. */
	ck_assert_int_eq(kind(hs, "198.18.4.15"), TE_LINK_NONE);
	ck_assert_int_eq(kind(hs, "198.18.4.16"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "198.18.5.1"), TE_LINK_NONE);
	ck_assert_int_eq(kind(hs, "2001:db8:0:4::"), TE_LINK_NONE); /* subnet-router anycast */
	ck_assert_int_eq(kind(hs, "2001:db8:0:4:ffff:ffff:ffff:ffff"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "2001:db8:0:5::1"), TE_LINK_NONE);
	/* The peer's prefix is the on-link one. */
	ck_assert_int_eq(kind(hs, "198.18.9.2"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "198.18.9.1"), TE_LINK_OWN);
	ck_assert_int_eq(kind(hs, "198.18.9.3"), TE_LINK_NONE);
	/* A /32 hosts line makes the route's network a host. */
	ck_assert_int_eq(kind(hs, "198.18.128.0"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "198.18.128.255"), TE_LINK_NONE);
	/* A /31 has no network or broadcast (RFC 3021). */
	ck_assert_int_eq(kind(hs, "198.18.200.0"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "198.18.200.1"), TE_LINK_HOST);
	ck_assert_int_eq(kind(hs, "2001:db8:0:9::7"), TE_LINK_HOST);
	te_hostset_free(hs);
}
END_TEST

/* The rule, written out: the longest prefix holding @a decides. */
static enum te_link_kind reference(const struct te_iface_config *ic, uint32_t a)
{
	int best = -1;
	unsigned len;

	for (size_t i = 0; i < ic->n_addrs; i++)
		if (ntohl(ic->addrs[i].local.addr.v4.s_addr) == a)
			return TE_LINK_OWN;
	for (size_t i = 0; i < ic->n_hosts; i++) {
		uint32_t net = ntohl(ic->hosts[i].addr.v4.s_addr);
		uint32_t mask = ic->hosts[i].len ? ~0u << (32 - ic->hosts[i].len) : 0;

		if ((a & mask) == (net & mask) &&
		    (best < 0 || ic->hosts[i].len > ic->hosts[best].len))
			best = (int)i;
	}
	if (best < 0)
		return TE_LINK_NONE;
	len = ic->hosts[best].len;
	if (len < 31) {
		uint32_t hostmask = ~0u >> len;

		if ((a & hostmask) == 0 || (a & hostmask) == hostmask)
			return TE_LINK_NONE;
	}
	return TE_LINK_HOST;
}

START_TEST(test_against_a_scan)
{
	unsigned seed = 20261202;

	for (int round = 0; round < 50; round++) {
		struct te_prefix hosts[40];
		struct te_address own[3];
		struct te_iface_config ic = {.hosts = hosts, .addrs = own, .n_addrs = 3};
		struct te_hostset *hs = NULL;

		ic.n_hosts = 1 + (size_t)(rand_r(&seed) % 40);
		for (size_t i = 0; i < ic.n_hosts; i++) {
			unsigned len = 20 + (unsigned)(rand_r(&seed) % 13);
			uint32_t a = 0xc6120000u | ((uint32_t)rand_r(&seed) & 0x0fffu);

			a &= len ? ~0u << (32 - len) : 0;
			hosts[i] = (struct te_prefix){.family = AF_INET, .len = (uint8_t)len};
			hosts[i].addr.v4.s_addr = htonl(a);
		}
		for (size_t i = 0; i < 3; i++) {
			own[i] = (struct te_address){.local = {.family = AF_INET, .len = 32}};
			own[i].local.addr.v4.s_addr =
			    htonl(0xc6120000u | ((uint32_t)rand_r(&seed) & 0x0fffu));
		}
		ck_assert_int_eq(te_hostset_new(&hs, &ic), 0);
		for (uint32_t a = 0xc6120000u; a < 0xc6121000u; a++) {
			uint32_t n = htonl(a);

			ck_assert_int_eq(te_hostset_lookup(hs, AF_INET, (const uint8_t *)&n),
					 reference(&ic, a));
		}
		te_hostset_free(hs);
	}
}
END_TEST

/* Announcements walk every host once, and nothing else. */
START_TEST(test_walk)
{
	struct te_address addrs[] = {{.local = pfx("198.18.4.1/28")}};
	struct te_prefix hosts[] = {pfx("198.18.4.8/29"), pfx("198.18.4.7/32"),
				    pfx("2001:db8::/126")};
	struct te_iface_config ic = {.addrs = addrs, .n_addrs = 1, .hosts = hosts, .n_hosts = 3};
	struct te_hostset *hs = NULL;
	struct te_hostset_pos pos = {0};
	uint8_t addr[16], seen[16] = {0};
	int family, v4 = 0, v6 = 0;

	ck_assert_int_eq(te_hostset_new(&hs, &ic), 0);
	ck_assert(!te_hostset_walk_cut(hs));
	while (te_hostset_next(hs, &pos, &family, addr)) {
		ck_assert_int_eq(te_hostset_lookup(hs, family, addr), TE_LINK_HOST);
		if (family == AF_INET) {
			ck_assert_mem_eq(addr, "\xc6\x12\x04", 3);
			ck_assert_uint_lt(addr[3], 16);
			ck_assert_uint_eq(seen[addr[3]]++, 0);
			v4++;
		} else {
			v6++;
		}
	}
	/* .2 to .14 (.1 is the device's, .0 and .15 none), .7 once; but .8 is
	 * the network of the /29, the most specific prefix holding it. */
	ck_assert_int_eq(v4, 12);
	ck_assert_uint_eq(seen[8], 0);
	ck_assert_uint_eq(seen[7], 1);
	ck_assert_int_eq(v6, 3); /* 2001:db8::1 to ::3: ::0 is the anycast */
	ck_assert(!te_hostset_next(hs, &pos, &family, addr));
	te_hostset_free(hs);
}
END_TEST

START_TEST(test_walk_is_cut)
{
	struct te_prefix hosts[] = {pfx("2001:db8:0:4::/64")};
	struct te_iface_config ic = {.hosts = hosts, .n_hosts = 1};
	struct te_hostset *hs = NULL;
	struct te_hostset_pos pos = {0};
	uint8_t addr[16];
	int family;
	size_t n = 0;

	ck_assert_int_eq(te_hostset_new(&hs, &ic), 0);
	ck_assert(te_hostset_walk_cut(hs));
	while (te_hostset_next(hs, &pos, &family, addr))
		n++;
	ck_assert_uint_eq(n, TE_HOSTSET_WALK_MAX - 1); /* less the anycast ::0 */
	te_hostset_free(hs);
}
END_TEST

/* The link stage's reasons are the public ones from not_for_us on, in order. */
START_TEST(test_link_reasons_are_public)
{
	ck_assert_int_eq(TUNECHO_DROP_NDP_OTHER - TUNECHO_DROP_NOT_FOR_US + 1, TE_LINK_REASONS);
	for (int r = 0; r < TE_LINK_REASONS; r++)
		ck_assert_str_eq(tunecho_drop_reason_name(
				     (enum tunecho_drop_reason)(TUNECHO_DROP_NOT_FOR_US + r)),
				 te_link_reason_name((enum te_link_reason)r));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hostset");
	TCase *tc = tcase_create("hostset");

	tcase_add_test(tc, test_what_is_a_host);
	tcase_add_test(tc, test_against_a_scan);
	tcase_add_test(tc, test_walk);
	tcase_add_test(tc, test_walk_is_cut);
	tcase_add_test(tc, test_link_reasons_are_public);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

/* SPDX-License-Identifier: MIT */
/*
 * Link in and link out for TAP devices (src/lib/link.c): every drop reason,
 * ARP replies, RFC 5227 probes and gratuitous ARP, NS validation (RFC 4861
 * §7.1.1) and the NA answering it, DAD defence, IP datagrams handed on,
 * mac = auto and a fixed MAC, the Ethernet header of link out,
 * announcements and MLD reports.
 *
 * Frames are built here, checksummed with tests/reference.h, never the
 * library; the golden frames were made offline with scapy 2 (Ether/ARP,
 * IPv6/ICMPv6ND_NS/ICMPv6ND_NA, ICMPv6MLReport2), so a mistake shared by the
 * builders here and the library would still show.
 */
#include "common.h"

#include <arpa/inet.h>
#include <stdint.h>

#include "link-set.h"
#include "link.h"
#include "reference.h"

/* scapy: the host 198.18.4.5 / 2001:db8:0:4::5 at 02:00:5e:10:00:01 (a fixed
 * MAC), the peer 198.18.4.200 / 2001:db8:0:5::7 at 02:00:00:00:00:aa. */
static const uint8_t golden_ns[86] = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x86, 0xdd, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x05,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x05, 0x87, 0x00, 0x1b, 0x69, 0x00, 0x00,
    0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x01, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
};
static const uint8_t golden_na[86] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x86, 0xdd, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00,
    0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x88, 0x00, 0x2c, 0x49, 0x60, 0x00,
    0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x02, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01,
};
static const uint8_t golden_arp_req[42] = {
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa,
    0xc6, 0x12, 0x04, 0xc8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc6, 0x12, 0x04, 0x05,
};
static const uint8_t golden_arp_rep[42] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01,
    0xc6, 0x12, 0x04, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0xc6, 0x12, 0x04, 0xc8,
};
static const uint8_t golden_dad[78] = {
    0x33, 0x33, 0xff, 0x00, 0x00, 0x05, 0x02, 0x00, 0x00, 0x00, 0x00, 0xaa, 0x86, 0xdd, 0x60, 0x00,
    0x00, 0x00, 0x00, 0x18, 0x3a, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x01, 0xff, 0x00, 0x00, 0x05, 0x87, 0x00, 0x4c, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x20, 0x01,
    0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
};
static const uint8_t golden_dad_na[86] = {
    0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x86, 0xdd, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x20, 0x3a, 0xff, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x88, 0x00, 0x9b, 0x0a, 0x20, 0x00,
    0x00, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x05, 0x02, 0x01, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01,
};
static const uint8_t golden_mld[90] = {
    0x33, 0x33, 0x00, 0x00, 0x00, 0x16, 0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 0x86, 0xdd, 0x60,
    0x00, 0x00, 0x00, 0x00, 0x24, 0x00, 0x01, 0xfe, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x5e, 0xff, 0xfe, 0x10, 0x00, 0x01, 0xff, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x16, 0x3a, 0x00, 0x05, 0x02, 0x00, 0x00,
    0x01, 0x00, 0x8f, 0x00, 0x13, 0xf3, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0xff,
    0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x05,
};

static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 0xaa};
static const uint8_t fixed_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static struct te_link_prefix hosts[2], own[2];
static struct te_link_set set = {hosts, 2, own, 2};
static struct te_link lk_auto, lk_fixed;
static uint8_t host4[4], peer4[4], own4[4], other4[4];
static uint8_t host6[16], peer6[16], own6[16], other6[16];

static void pton(int af, const char *s, uint8_t *out)
{
	ck_assert_int_eq(inet_pton(af, s, out), 1);
}

static void setup(void)
{
	hosts[0] = (struct te_link_prefix){.family = AF_INET, .len = 24};
	pton(AF_INET, "198.18.4.0", hosts[0].addr);
	hosts[1] = (struct te_link_prefix){.family = AF_INET6, .len = 64};
	pton(AF_INET6, "2001:db8:0:4::", hosts[1].addr);
	own[0] = (struct te_link_prefix){.family = AF_INET};
	pton(AF_INET, "198.18.4.1", own[0].addr);
	own[1] = (struct te_link_prefix){.family = AF_INET6};
	pton(AF_INET6, "2001:db8:0:4::1", own[1].addr);
	pton(AF_INET, "198.18.4.5", host4);
	pton(AF_INET, "198.18.4.200", peer4);
	pton(AF_INET, "198.18.4.1", own4);
	pton(AF_INET, "198.18.5.5", other4);
	pton(AF_INET6, "2001:db8:0:4::5", host6);
	pton(AF_INET6, "2001:db8:0:5::7", peer6);
	pton(AF_INET6, "2001:db8:0:4::1", own6);
	pton(AF_INET6, "2001:db8:0:6::5", other6);
	lk_auto =
	    (struct te_link){.ifname = "tap0", .lookup = te_link_set_lookup, .lookup_arg = &set};
	lk_fixed = lk_auto;
	lk_fixed.mac_fixed = true;
	memcpy(lk_fixed.mac, fixed_mac, 6);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The sum of the pseudo-header (RFC 8200 §8.1) and the ICMPv6 message of @ip. */
static uint16_t ref_sum6(const uint8_t *ip, size_t plen)
{
	uint16_t s = ones_add(ref_sum(ip + 8, 32), ones_add((uint16_t)plen, 58));

	return ones_add(s, ref_sum(ip + 40, plen));
}

static uint8_t frame[2048];
static struct te_link_result res;

/* Link in on a copy of exactly @len bytes: under ASan, a read past it shows. */
static enum te_link_status in(const struct te_link *lk, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	enum te_link_status st;

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, frame, len);
	memset(&res, 0x5a, sizeof(res));
	st = te_link_in(lk, copy, len, &res);
	ck_assert_mem_eq(copy, frame, len);
	free(copy);
	return st;
}

static void expect_drop(const struct te_link *lk, size_t len, enum te_link_reason why)
{
	enum te_link_status st = in(lk, len);

	ck_assert_msg(st == TE_LINK_DROP, "status %d, want drop %s", st, te_link_reason_name(why));
	ck_assert_msg(res.reason == why, "reason %s, want %s", te_link_reason_name(res.reason),
		      te_link_reason_name(why));
}

static void eth(const uint8_t *dst, const uint8_t *src, unsigned type)
{
	memcpy(frame, dst, 6);
	memcpy(frame + 6, src, 6);
	put16(frame + 12, type);
}

/* An ARP frame into frame[]: 42 bytes. */
static size_t arp(const uint8_t *dst, unsigned op, const uint8_t *sha, const uint8_t *spa,
		  const uint8_t *tpa)
{
	uint8_t *a = frame + 14;

	eth(dst, sha, 0x0806);
	put16(a, 1);
	put16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, spa, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, tpa, 4);
	return 42;
}

static void solicited(const uint8_t *a, uint8_t *g)
{
	static const uint8_t p[13] = {0xff, 0x02, [11] = 1, [12] = 0xff};

	memcpy(g, p, 13);
	memcpy(g + 13, a + 13, 3);
}

static void group_mac(const uint8_t *g, uint8_t *m)
{
	m[0] = m[1] = 0x33;
	memcpy(m + 2, g + 12, 4);
}

/* Fix the ICMPv6 checksum of the frame's IPv6 packet (payload @plen). */
static void csum6(size_t plen)
{
	uint8_t *ip = frame + 14;

	put16(ip + 42, 0);
	put16(ip + 42, (uint16_t)~ref_sum6(ip, plen));
}

/*
 * An NS for @target from @src (NULL: ::) to @dst (NULL: the target's
 * solicited-node group, at its MAC), with a source link-layer option
 * unless @src is NULL or !@with_slla. Returns the frame's length.
 */
static size_t ns(const uint8_t *dst_mac, const uint8_t *src, const uint8_t *dst,
		 const uint8_t *target, bool with_slla)
{
	uint8_t *ip = frame + 14, *icmp = ip + 40, g[16], gm[6];
	size_t plen = 24 + (src && with_slla ? 8 : 0);

	if (!dst) {
		solicited(target, g);
		dst = g;
	}
	if (!dst_mac) {
		group_mac(dst, gm);
		dst_mac = gm;
	}
	eth(dst_mac, peer_mac, 0x86dd);
	memset(ip, 0, 40 + plen);
	ip[0] = 0x60;
	put16(ip + 4, (unsigned)plen);
	ip[6] = 58;
	ip[7] = 255;
	if (src)
		memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	icmp[0] = 135;
	memcpy(icmp + 8, target, 16);
	if (plen > 24) {
		icmp[24] = 1;
		icmp[25] = 1;
		memcpy(icmp + 26, peer_mac, 6);
	}
	csum6(plen);
	return 14 + 40 + plen;
}

/* An echo request frame: IPv4 (28 bytes of IP) or IPv6 (48). */
static size_t echo4(const uint8_t *dst_mac, const uint8_t *dst)
{
	uint8_t *ip = frame + 14;

	eth(dst_mac, peer_mac, 0x0800);
	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, 28);
	ip[8] = 64;
	ip[9] = 1;
	memcpy(ip + 12, peer4, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, (uint16_t)~ref_sum(ip, 20));
	ip[20] = 8;
	put16(ip + 22, (uint16_t)~ref_sum(ip + 20, 8));
	return 14 + 28;
}

static size_t echo6(const uint8_t *dst_mac, const uint8_t *dst, unsigned nh, unsigned type)
{
	uint8_t *ip = frame + 14;

	eth(dst_mac, peer_mac, 0x86dd);
	memset(ip, 0, 48);
	ip[0] = 0x60;
	put16(ip + 4, 8);
	ip[6] = (uint8_t)nh;
	ip[7] = 64;
	memcpy(ip + 8, peer6, 16);
	memcpy(ip + 24, dst, 16);
	ip[40] = (uint8_t)type;
	csum6(8);
	return 14 + 48;
}

static void mac_of(const struct te_link *lk, int af, const uint8_t *a, uint8_t *m)
{
	te_link_host_mac(lk, af, a, m);
}

/* ------------------------------------------------------------------ */
/* Names and counters                                                 */
/* ------------------------------------------------------------------ */

START_TEST(test_reason_names)
{
	static const char *const want[TE_LINK_REASONS] = {
	    "not_for_us",     "vlan",	      "runt",	   "unknown_ethertype",
	    "bad_source_mac", "bad_ip",	      "bad_arp",   "arp_not_ours",
	    "bad_ndp",	      "ndp_not_ours", "ndp_other",
	};

	for (int i = 0; i < TE_LINK_REASONS; i++)
		ck_assert_str_eq(te_link_reason_name((enum te_link_reason)i), want[i]);
	ck_assert_str_eq(te_link_reason_name(TE_LINK_REASONS), "?");
	ck_assert_str_eq(te_link_reason_name((enum te_link_reason) - 1), "?");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Ethernet                                                           */
/* ------------------------------------------------------------------ */

START_TEST(test_runt)
{
	uint8_t m[6];

	memset(frame, 0, sizeof(frame));
	expect_drop(&lk_auto, 0, TE_LINK_RUNT);
	expect_drop(&lk_auto, 13, TE_LINK_RUNT);
	arp(bcast, 1, peer_mac, peer4, host4);
	expect_drop(&lk_auto, 41, TE_LINK_RUNT); /* a truncated ARP */
	expect_drop(&lk_auto, 14, TE_LINK_RUNT);
	mac_of(&lk_auto, AF_INET, host4, m);
	echo4(m, host4);
	expect_drop(&lk_auto, 14 + 19, TE_LINK_RUNT);
	mac_of(&lk_auto, AF_INET6, host6, m);
	echo6(m, host6, 58, 128);
	expect_drop(&lk_auto, 14 + 39, TE_LINK_RUNT);
	/* An NS whose payload length runs past the frame. */
	expect_drop(&lk_auto, ns(NULL, peer6, NULL, host6, true) - 1, TE_LINK_RUNT);
}
END_TEST

START_TEST(test_vlan)
{
	static const unsigned tpid[] = {0x8100, 0x88a8, 0x9100};
	uint8_t m[6];

	mac_of(&lk_auto, AF_INET, host4, m);
	for (size_t i = 0; i < 3; i++) {
		size_t n = echo4(m, host4);

		put16(frame + 12, tpid[i]);
		expect_drop(&lk_auto, n, TE_LINK_VLAN);
		expect_drop(&lk_auto, 14, TE_LINK_VLAN);
	}
}
END_TEST

START_TEST(test_unknown_ethertype)
{
	static const unsigned types[] = {0x88cc /* LLDP */, 0x0026 /* 802.3 length (STP) */,
					 0x8035 /* RARP */, 0x0000, 0xffff};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n = arp(bcast, 1, peer_mac, peer4, host4);

		put16(frame + 12, types[i]);
		expect_drop(&lk_auto, n, TE_LINK_UNKNOWN_ETHERTYPE);
	}
}
END_TEST

START_TEST(test_bad_source_mac)
{
	static const uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1}, zero[6];
	size_t n = arp(bcast, 1, peer_mac, peer4, host4);

	memcpy(frame + 6, mcast, 6);
	expect_drop(&lk_auto, n, TE_LINK_BAD_SOURCE);
	memcpy(frame + 6, zero, 6);
	expect_drop(&lk_auto, n, TE_LINK_BAD_SOURCE);
	memcpy(frame + 6, bcast, 6);
	expect_drop(&lk_auto, n, TE_LINK_BAD_SOURCE);
}
END_TEST

START_TEST(test_bad_ip_version)
{
	uint8_t m[6];
	size_t n;

	mac_of(&lk_auto, AF_INET, host4, m);
	n = echo4(m, host4);
	frame[14] = 0x65;
	expect_drop(&lk_auto, n, TE_LINK_BAD_IP);
	mac_of(&lk_auto, AF_INET6, host6, m);
	n = echo6(m, host6, 58, 128);
	frame[14] = 0x45;
	expect_drop(&lk_auto, n, TE_LINK_BAD_IP);
}
END_TEST

/* ------------------------------------------------------------------ */
/* IP datagrams                                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_ip4_to_host)
{
	uint8_t m[6];
	size_t n;

	mac_of(&lk_auto, AF_INET, host4, m);
	n = echo4(m, host4);
	memset(frame + n, 0, 60 - n); /* Ethernet padding to the minimum frame */
	ck_assert_int_eq(in(&lk_auto, 60), TE_LINK_IP);
	ck_assert_int_eq(res.family, AF_INET);
	ck_assert_uint_eq(res.ip_off, 14);
	ck_assert_uint_eq(res.ip_len, 60 - 14);
	ck_assert_mem_eq(res.peer_mac, peer_mac, 6);
	ck_assert_mem_eq(res.host_mac, m, 6);
	ck_assert_uint_eq(res.reply_len, 0);
}
END_TEST

START_TEST(test_ip6_to_host)
{
	uint8_t m[6];
	size_t n;

	mac_of(&lk_auto, AF_INET6, host6, m);
	n = echo6(m, host6, 58, 128);
	ck_assert_int_eq(in(&lk_auto, n), TE_LINK_IP);
	ck_assert_int_eq(res.family, AF_INET6);
	ck_assert_uint_eq(res.ip_off, 14);
	ck_assert_uint_eq(res.ip_len, 48);
	ck_assert_mem_eq(res.peer_mac, peer_mac, 6);
	ck_assert_mem_eq(res.host_mac, m, 6);
	/* Not ICMPv6 (UDP): still a datagram for the host, for IP in to judge. */
	n = echo6(m, host6, 17, 0);
	ck_assert_int_eq(in(&lk_auto, n), TE_LINK_IP);
}
END_TEST

START_TEST(test_ip_not_for_us)
{
	uint8_t m[6], m2[6], g[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
	static const uint8_t stranger[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

	mac_of(&lk_auto, AF_INET, host4, m);
	/* Echo to a host must come to that host's MAC. */
	expect_drop(&lk_auto, echo4(bcast, host4), TE_LINK_NOT_FOR_US);
	expect_drop(&lk_auto, echo4(g, host4), TE_LINK_NOT_FOR_US);
	expect_drop(&lk_auto, echo4(stranger, host4), TE_LINK_NOT_FOR_US);
	pton(AF_INET, "198.18.4.6", g);
	mac_of(&lk_auto, AF_INET, g, m2);
	expect_drop(&lk_auto, echo4(m2, host4), TE_LINK_NOT_FOR_US); /* another host's MAC */
	mac_of(&lk_auto, AF_INET, own4, m2);
	expect_drop(&lk_auto, echo4(m2, own4), TE_LINK_NOT_FOR_US); /* the device's own */
	mac_of(&lk_auto, AF_INET, other4, m2);
	expect_drop(&lk_auto, echo4(m2, other4), TE_LINK_NOT_FOR_US);

	mac_of(&lk_auto, AF_INET6, host6, m);
	expect_drop(&lk_auto, echo6(stranger, host6, 58, 128), TE_LINK_NOT_FOR_US);
	mac_of(&lk_auto, AF_INET6, own6, m2);
	expect_drop(&lk_auto, echo6(m2, own6, 58, 128), TE_LINK_NOT_FOR_US);
	mac_of(&lk_auto, AF_INET6, other6, m2);
	expect_drop(&lk_auto, echo6(m2, other6, 58, 128), TE_LINK_NOT_FOR_US);
	/* Multicast that is not ICMPv6 is nothing a host here hears. */
	group_mac(host6, g);
	expect_drop(&lk_auto, echo6(g, host6, 17, 0), TE_LINK_NOT_FOR_US);
}
END_TEST

/* ------------------------------------------------------------------ */
/* ARP                                                                */
/* ------------------------------------------------------------------ */

static void check_arp(const uint8_t *f, const uint8_t *eth_dst, unsigned op, const uint8_t *sha,
		      const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	const uint8_t *a = f + 14;

	ck_assert_mem_eq(f, eth_dst, 6);
	ck_assert_mem_eq(f + 6, sha, 6);
	ck_assert_uint_eq(get16(f + 12), 0x0806);
	ck_assert_uint_eq(get16(a), 1);
	ck_assert_uint_eq(get16(a + 2), 0x0800);
	ck_assert_uint_eq(a[4], 6);
	ck_assert_uint_eq(a[5], 4);
	ck_assert_uint_eq(get16(a + 6), op);
	ck_assert_mem_eq(a + 8, sha, 6);
	ck_assert_mem_eq(a + 14, spa, 4);
	ck_assert_mem_eq(a + 18, tha, 6);
	ck_assert_mem_eq(a + 24, tpa, 4);
}

START_TEST(test_arp_golden)
{
	memcpy(frame, golden_arp_req, sizeof(golden_arp_req));
	ck_assert_int_eq(in(&lk_fixed, sizeof(golden_arp_req)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_ARP_REPLY);
	ck_assert_uint_eq(res.reply_len, sizeof(golden_arp_rep));
	ck_assert_mem_eq(res.reply, golden_arp_rep, sizeof(golden_arp_rep));
}
END_TEST

/* IEEE 802 hardware (6): Linux answers it on Ethernet, as type 1
 * (test-link-kernel checks the kernel's reply is golden_arp_rep). */
START_TEST(test_arp_ieee802_answered)
{
	memcpy(frame, golden_arp_req, sizeof(golden_arp_req));
	put16(frame + 14, 6);
	ck_assert_int_eq(in(&lk_fixed, sizeof(golden_arp_req)), TE_LINK_REPLY);
	ck_assert_uint_eq(res.reply_len, sizeof(golden_arp_rep));
	ck_assert_mem_eq(res.reply, golden_arp_rep, sizeof(golden_arp_rep));
}
END_TEST

/* An RFC 5227 probe: golden_arp_rep with target IP 0.0.0.0 (test-link-kernel:
 * the kernel's reply is that too). */
START_TEST(test_arp_probe_golden)
{
	memcpy(frame, golden_arp_req, sizeof(golden_arp_req));
	memset(frame + 14 + 14, 0, 4);
	ck_assert_int_eq(in(&lk_fixed, sizeof(golden_arp_req)), TE_LINK_REPLY);
	ck_assert_uint_eq(res.reply_len, sizeof(golden_arp_rep));
	ck_assert_mem_eq(res.reply, golden_arp_rep, 14 + 24);
	ck_assert_mem_eq(res.reply + 14 + 24, "\0\0\0\0", 4);
}
END_TEST

START_TEST(test_arp_reply_fields)
{
	uint8_t m[6];
	size_t n = arp(bcast, 1, peer_mac, peer4, host4);

	memset(frame + n, 0xee, 60 - n); /* padding is ignored */
	mac_of(&lk_auto, AF_INET, host4, m);
	ck_assert_int_eq(in(&lk_auto, 60), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_ARP_REPLY);
	ck_assert_uint_eq(res.reply_len, 42);
	/* op 2, sender = the host at its MAC, target = the requester. */
	check_arp(res.reply, peer_mac, 2, m, host4, peer_mac, peer4);
	/* Unicast to the host's MAC (Linux revalidating its entry): answered too. */
	arp(m, 1, peer_mac, peer4, host4);
	ck_assert_int_eq(in(&lk_auto, 42), TE_LINK_REPLY);
	check_arp(res.reply, peer_mac, 2, m, host4, peer_mac, peer4);
}
END_TEST

START_TEST(test_arp_unicast_elsewhere)
{
	static const uint8_t stranger[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1};

	expect_drop(&lk_auto, arp(stranger, 1, peer_mac, peer4, host4), TE_LINK_NOT_FOR_US);
	expect_drop(&lk_auto, arp(mcast, 1, peer_mac, peer4, host4), TE_LINK_NOT_FOR_US);
}
END_TEST

START_TEST(test_arp_probe_defended)
{
	static const uint8_t zero4[4];
	uint8_t m[6];

	mac_of(&lk_auto, AF_INET, host4, m);
	/* RFC 5227 probe: sender IP 0.0.0.0. Answered as Linux's arp_process()
	 * does: a reply to the prober, target IP 0.0.0.0. */
	ck_assert_int_eq(in(&lk_auto, arp(bcast, 1, peer_mac, zero4, host4)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_ARP_REPLY);
	check_arp(res.reply, peer_mac, 2, m, host4, peer_mac, zero4);
}
END_TEST

START_TEST(test_arp_gratuitous_defended)
{
	static const uint8_t zero6[6];
	uint8_t m[6];

	mac_of(&lk_auto, AF_INET, host4, m);
	/* Another MAC announces a host's address: defend with an announcement. */
	ck_assert_int_eq(in(&lk_auto, arp(bcast, 1, peer_mac, host4, host4)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_ARP_DEFEND);
	ck_assert_uint_eq(res.reply_len, 42);
	check_arp(res.reply, bcast, 1, m, host4, zero6, host4);
	/* Our own announcement coming back is no conflict. */
	expect_drop(&lk_auto, arp(bcast, 1, m, host4, host4), TE_LINK_NOT_FOR_US);
	expect_drop(&lk_auto, arp(bcast, 1, m, peer4, host4), TE_LINK_NOT_FOR_US);
}
END_TEST

START_TEST(test_arp_bad)
{
	static const uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0, 0, 1}, zero6[6];
	static const uint8_t b4[4] = {255, 255, 255, 255}, m4[4] = {224, 0, 0, 1};
	size_t n;

	n = arp(bcast, 1, peer_mac, peer4, host4);
	put16(frame + 14, 8); /* Token Ring's successor, say: not Ethernet */
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	put16(frame + 14, 0);
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	put16(frame + 14, 0x0100);
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	arp(bcast, 1, peer_mac, peer4, host4);
	put16(frame + 16, 0x86dd);
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	arp(bcast, 1, peer_mac, peer4, host4);
	frame[18] = 8;
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	arp(bcast, 1, peer_mac, peer4, host4);
	frame[19] = 16;
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	for (unsigned op = 0; op < 10; op++) {
		if (op == 1)
			continue;
		expect_drop(&lk_auto, arp(bcast, op, peer_mac, peer4, host4), TE_LINK_BAD_ARP);
	}
	/* A sender hardware address no reply can go to. */
	arp(bcast, 1, peer_mac, peer4, host4);
	memcpy(frame + 22, mcast, 6);
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	memcpy(frame + 22, zero6, 6);
	expect_drop(&lk_auto, n, TE_LINK_BAD_ARP);
	/* Multicast or broadcast sender or target protocol addresses. */
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, b4, host4), TE_LINK_BAD_ARP);
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, m4, host4), TE_LINK_BAD_ARP);
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, peer4, m4), TE_LINK_BAD_ARP);
}
END_TEST

START_TEST(test_arp_not_ours)
{
	uint8_t a[4];

	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, peer4, own4), TE_LINK_ARP_NOT_OURS);
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, peer4, other4), TE_LINK_ARP_NOT_OURS);
	pton(AF_INET, "198.18.4.0", a); /* the network */
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, peer4, a), TE_LINK_ARP_NOT_OURS);
	pton(AF_INET, "198.18.4.255", a); /* the broadcast: in b4's test as all-ones */
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, peer4, a), TE_LINK_ARP_NOT_OURS);
	/* The device's own address, probed: the kernel defends it, not us. */
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, (uint8_t[4]){0}, own4), TE_LINK_ARP_NOT_OURS);
	/* No lookup at all: nobody is here. */
	lk_auto.lookup = NULL;
	expect_drop(&lk_auto, arp(bcast, 1, peer_mac, peer4, host4), TE_LINK_ARP_NOT_OURS);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Neighbour discovery                                                */
/* ------------------------------------------------------------------ */

static void check_na(const uint8_t *f, size_t len, const uint8_t *eth_dst, const uint8_t *mac,
		     const uint8_t *target, const uint8_t *dst, unsigned flags)
{
	const uint8_t *ip = f + 14, *icmp = ip + 40;

	ck_assert_uint_eq(len, 14 + 40 + 32);
	ck_assert_mem_eq(f, eth_dst, 6);
	ck_assert_mem_eq(f + 6, mac, 6);
	ck_assert_uint_eq(get16(f + 12), 0x86dd);
	ck_assert_uint_eq(ip[0], 0x60);
	ck_assert_uint_eq(ip[1] | ip[2] | ip[3], 0);
	ck_assert_uint_eq(get16(ip + 4), 32);
	ck_assert_uint_eq(ip[6], 58);
	ck_assert_uint_eq(ip[7], 255);
	ck_assert_mem_eq(ip + 8, target, 16);
	ck_assert_mem_eq(ip + 24, dst, 16);
	ck_assert_uint_eq(icmp[0], 136);
	ck_assert_uint_eq(icmp[1], 0);
	ck_assert_uint_eq(ref_sum6(ip, 32), 0xffff); /* checksum valid */
	ck_assert_uint_eq(icmp[4], flags);	     /* R clear: a host, not a router */
	ck_assert_uint_eq(icmp[5] | icmp[6] | icmp[7], 0);
	ck_assert_mem_eq(icmp + 8, target, 16);
	ck_assert_uint_eq(icmp[24], 2); /* target link-layer address */
	ck_assert_uint_eq(icmp[25], 1);
	ck_assert_mem_eq(icmp + 26, mac, 6);
}

START_TEST(test_ns_golden)
{
	memcpy(frame, golden_ns, sizeof(golden_ns));
	ck_assert_int_eq(in(&lk_fixed, sizeof(golden_ns)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_NA);
	ck_assert_uint_eq(res.reply_len, sizeof(golden_na));
	ck_assert_mem_eq(res.reply, golden_na, sizeof(golden_na));
	memcpy(frame, golden_dad, sizeof(golden_dad));
	ck_assert_int_eq(in(&lk_fixed, sizeof(golden_dad)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_NA_DEFEND);
	ck_assert_uint_eq(res.reply_len, sizeof(golden_dad_na));
	ck_assert_mem_eq(res.reply, golden_dad_na, sizeof(golden_dad_na));
}
END_TEST

START_TEST(test_ns_na_fields)
{
	uint8_t m[6];

	mac_of(&lk_auto, AF_INET6, host6, m);
	ck_assert_int_eq(in(&lk_auto, ns(NULL, peer6, NULL, host6, true)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_NA);
	check_na(res.reply, res.reply_len, peer_mac, m, host6, peer6, 0x60); /* S, O */
}
END_TEST

START_TEST(test_ns_without_slla)
{
	static const uint8_t other_src[6] = {0x02, 0x99, 0, 0, 0, 1};
	uint8_t m[6];
	size_t n = ns(NULL, peer6, NULL, host6, false);

	/* No source link-layer option: to the frame's source MAC. */
	memcpy(frame + 6, other_src, 6);
	mac_of(&lk_auto, AF_INET6, host6, m);
	ck_assert_int_eq(in(&lk_auto, n), TE_LINK_REPLY);
	check_na(res.reply, res.reply_len, other_src, m, host6, peer6, 0x60);
	/* With one, to it, whatever the frame's source. */
	n = ns(NULL, peer6, NULL, host6, true);
	memcpy(frame + 6, other_src, 6);
	ck_assert_int_eq(in(&lk_auto, n), TE_LINK_REPLY);
	check_na(res.reply, res.reply_len, peer_mac, m, host6, peer6, 0x60);
}
END_TEST

START_TEST(test_ns_unicast)
{
	static const uint8_t stranger[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
	uint8_t m[6];

	/* NUD: unicast to the target at its MAC. */
	mac_of(&lk_auto, AF_INET6, host6, m);
	ck_assert_int_eq(in(&lk_auto, ns(m, peer6, host6, host6, true)), TE_LINK_REPLY);
	check_na(res.reply, res.reply_len, peer_mac, m, host6, peer6, 0x60);
	expect_drop(&lk_auto, ns(stranger, peer6, host6, host6, true), TE_LINK_NOT_FOR_US);
	/* Unicast to another address than the target. */
	expect_drop(&lk_auto, ns(m, peer6, peer6, host6, true), TE_LINK_NOT_FOR_US);
}
END_TEST

START_TEST(test_ns_wrong_group)
{
	uint8_t g[16], gm[6], a[16];
	size_t n;

	/* The solicited-node group of another address: a host is not in it. */
	pton(AF_INET6, "2001:db8:0:4::6", a);
	solicited(a, g);
	expect_drop(&lk_auto, ns(NULL, peer6, g, host6, true), TE_LINK_NOT_FOR_US);
	/* The right group at the wrong MAC. */
	solicited(host6, g);
	group_mac(g, gm);
	gm[5] ^= 1;
	expect_drop(&lk_auto, ns(gm, peer6, NULL, host6, true), TE_LINK_NOT_FOR_US);
	/* Our own solicitation looped back: the host's own MAC as source. */
	n = ns(NULL, peer6, NULL, host6, false);
	mac_of(&lk_auto, AF_INET6, host6, frame + 6);
	expect_drop(&lk_auto, n, TE_LINK_NOT_FOR_US);
}
END_TEST

START_TEST(test_dad_defended)
{
	uint8_t m[6];
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};

	mac_of(&lk_auto, AF_INET6, host6, m);
	ck_assert_int_eq(in(&lk_auto, ns(NULL, NULL, NULL, host6, false)), TE_LINK_REPLY);
	ck_assert_int_eq(res.answer, TE_LINK_NA_DEFEND);
	/* To all nodes, without the solicited flag. */
	check_na(res.reply, res.reply_len, all_nodes_mac, m, host6, all_nodes, 0x20);
}
END_TEST

START_TEST(test_ns_invalid)
{
	uint8_t m[6], *ip = frame + 14, *icmp = frame + 54;
	size_t n;

	mac_of(&lk_auto, AF_INET6, host6, m);
	/* hop limit 254 (checksum still valid: the hop limit is not covered) */
	n = ns(NULL, peer6, NULL, host6, true);
	ip[7] = 254;
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* bad checksum */
	n = ns(NULL, peer6, NULL, host6, true);
	icmp[3] ^= 1;
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* code 1 */
	n = ns(NULL, peer6, NULL, host6, true);
	icmp[1] = 1;
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* ICMP length under 24 */
	n = ns(NULL, peer6, NULL, host6, false);
	put16(ip + 4, 20);
	csum6(20);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* only the type: the rest of the header is not there to read */
	n = ns(NULL, peer6, NULL, host6, false);
	put16(ip + 4, 1);
	expect_drop(&lk_auto, 14 + 40 + 1, TE_LINK_BAD_NDP);
	/* a multicast target */
	n = ns(NULL, peer6, NULL, host6, true);
	icmp[8] = 0xff;
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* an option of length 0 */
	n = ns(NULL, peer6, NULL, host6, true);
	icmp[25] = 0;
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* an option running past the message */
	n = ns(NULL, peer6, NULL, host6, true);
	icmp[25] = 2;
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* a source link-layer option that is not 6 bytes (Linux drops it) */
	n = ns(NULL, peer6, NULL, host6, true);
	memset(icmp + 32, 0, 8);
	put16(ip + 4, 40);
	icmp[25] = 2;
	csum6(40);
	expect_drop(&lk_auto, n + 8, TE_LINK_BAD_NDP);
	/* a multicast source link-layer address */
	n = ns(NULL, peer6, NULL, host6, true);
	icmp[26] = 0x33;
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* source ::, destination not a solicited-node group */
	n = ns(m, NULL, host6, host6, false);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* source ::, with a source link-layer option */
	n = ns(NULL, peer6, NULL, host6, true);
	memset(ip + 8, 0, 16);
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* a multicast source */
	n = ns(NULL, peer6, NULL, host6, true);
	ip[8] = 0xff;
	csum6(32);
	expect_drop(&lk_auto, n, TE_LINK_BAD_NDP);
	/* Unknown options are skipped (§7.1.1), as is a nonce (RFC 7527). */
	n = ns(NULL, peer6, NULL, host6, true);
	memset(icmp + 32, 0, 8);
	icmp[32] = 14;
	icmp[33] = 1;
	put16(ip + 4, 40);
	csum6(40);
	ck_assert_int_eq(in(&lk_auto, n + 8), TE_LINK_REPLY);
}
END_TEST

START_TEST(test_ns_not_ours)
{
	uint8_t a[16];

	expect_drop(&lk_auto, ns(NULL, peer6, NULL, own6, true), TE_LINK_NDP_NOT_OURS);
	expect_drop(&lk_auto, ns(NULL, peer6, NULL, other6, true), TE_LINK_NDP_NOT_OURS);
	expect_drop(&lk_auto, ns(NULL, NULL, NULL, own6, false), TE_LINK_NDP_NOT_OURS);
	pton(AF_INET6, "2001:db8:0:4::", a); /* subnet-router anycast */
	expect_drop(&lk_auto, ns(NULL, peer6, NULL, a, true), TE_LINK_NDP_NOT_OURS);
}
END_TEST

START_TEST(test_ndp_other)
{
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	static const unsigned types[] = {133, 134, 136, 137};
	uint8_t m[6];

	mac_of(&lk_auto, AF_INET6, host6, m);
	for (size_t i = 0; i < 4; i++) {
		size_t n = ns(NULL, peer6, NULL, host6, false);

		frame[54] = (uint8_t)types[i];
		csum6(24);
		expect_drop(&lk_auto, n, TE_LINK_NDP_OTHER);
		/* unicast to the host too: NDP never reaches the handlers */
		n = ns(m, peer6, host6, host6, false);
		frame[54] = (uint8_t)types[i];
		csum6(24);
		expect_drop(&lk_auto, n, TE_LINK_NDP_OTHER);
	}
	/* An MLD query, an echo to all nodes. */
	expect_drop(&lk_auto, echo6(all_nodes_mac, all_nodes, 58, 130), TE_LINK_NDP_OTHER);
	expect_drop(&lk_auto, echo6(all_nodes_mac, all_nodes, 58, 128), TE_LINK_NDP_OTHER);
	/* MLD as the kernel sends it, behind a Hop-by-Hop header. */
	{
		uint8_t ll[16], g[1][16];
		size_t n = 0;

		te_link_ll_from_mac(peer_mac, ll);
		te_link_solicited_node(peer6, g[0]);
		ck_assert_int_eq(te_link_mld_report(peer_mac, ll, (const uint8_t(*)[16])g, 1,
						    TE_MLD_CHANGE_TO_EXCLUDE, frame, sizeof(frame),
						    &n),
				 0);
		expect_drop(&lk_auto, n, TE_LINK_NDP_OTHER);
		/* the same as a query (type 130) to all nodes */
		memcpy(frame, all_nodes_mac, 6);
		memcpy(frame + 14 + 24, all_nodes, 16);
		frame[14 + 48] = 130;
		expect_drop(&lk_auto, n, TE_LINK_NDP_OTHER);
		/* Hop-by-Hop before something else, to a group: not for a host. */
		frame[14 + 40] = 17;
		expect_drop(&lk_auto, n, TE_LINK_NOT_FOR_US);
	}
	/* No ICMPv6 header at all: a datagram, for IP in to refuse. */
	echo6(m, host6, 58, 135);
	put16(frame + 18, 0);
	ck_assert_int_eq(in(&lk_auto, 14 + 40), TE_LINK_IP);
}
END_TEST

/* ------------------------------------------------------------------ */
/* MACs                                                               */
/* ------------------------------------------------------------------ */

START_TEST(test_mac_auto_stable)
{
	uint8_t a[6], b[6];
	struct te_link again = {.ifname = "tap0"};

	te_link_host_mac(&lk_auto, AF_INET, host4, a);
	te_link_host_mac(&again, AF_INET, host4, b);
	ck_assert_mem_eq(a, b, 6);
	/*
	 * Pinned: a restart, an upgrade or another machine must give the same
	 * MAC, or every neighbour's cache goes stale. Changing the derivation
	 * changes these values: do not, without a reason in the release notes.
	 */
	{
		static const uint8_t want4[6] = {0x32, 0x6b, 0xf5, 0x06, 0x4a, 0xf3};
		static const uint8_t want6[6] = {0xbe, 0x62, 0x1a, 0xf5, 0x46, 0x7a};

		ck_assert_mem_eq(a, want4, 6);
		te_link_host_mac(&lk_auto, AF_INET6, host6, b);
		ck_assert_mem_eq(b, want6, 6);
	}
}
END_TEST

static int cmp_mac(const void *a, const void *b)
{
	return memcmp(a, b, 6);
}

START_TEST(test_mac_auto_distinct)
{
	enum { N = 2048 };
	static uint8_t macs[2 * N + 2][6];
	size_t k = 0;
	uint8_t a[16];

	/* A /21 of IPv4 hosts and as many IPv6 ones: all distinct, all locally
	 * administered unicast. */
	for (unsigned i = 0; i < N; i++) {
		pton(AF_INET, "198.18.0.0", a);
		a[2] = (uint8_t)(i >> 8);
		a[3] = (uint8_t)i;
		te_link_host_mac(&lk_auto, AF_INET, a, macs[k++]);
		pton(AF_INET6, "2001:db8:0:4::", a);
		a[14] = (uint8_t)(i >> 8);
		a[15] = (uint8_t)i;
		te_link_host_mac(&lk_auto, AF_INET6, a, macs[k++]);
	}
	/* The same address on another link, and the same bytes as the other family. */
	{
		struct te_link other = lk_auto;

		other.ifname = "tap1";
		te_link_host_mac(&other, AF_INET, host4, macs[k++]);
		memset(a, 0, 16);
		memcpy(a, host4, 4);
		te_link_host_mac(&lk_auto, AF_INET6, a, macs[k++]);
	}
	for (size_t i = 0; i < k; i++)
		ck_assert_uint_eq(macs[i][0] & 0x03, 0x02);
	qsort(macs, k, sizeof(macs[0]), cmp_mac);
	for (size_t i = 1; i < k; i++)
		ck_assert_msg(memcmp(macs[i - 1], macs[i], 6), "two hosts share a MAC");
}
END_TEST

START_TEST(test_mac_fixed)
{
	uint8_t m[6], a[4];

	te_link_host_mac(&lk_fixed, AF_INET, host4, m);
	ck_assert_mem_eq(m, fixed_mac, 6);
	te_link_host_mac(&lk_fixed, AF_INET6, host6, m);
	ck_assert_mem_eq(m, fixed_mac, 6);
	/* Two hosts, one MAC: both answer from it, and take frames to it. */
	pton(AF_INET, "198.18.4.77", a);
	ck_assert_int_eq(in(&lk_fixed, arp(bcast, 1, peer_mac, peer4, a)), TE_LINK_REPLY);
	check_arp(res.reply, peer_mac, 2, fixed_mac, a, peer_mac, peer4);
	ck_assert_int_eq(in(&lk_fixed, echo4(fixed_mac, a)), TE_LINK_IP);
	ck_assert_int_eq(in(&lk_fixed, echo4(fixed_mac, host4)), TE_LINK_IP);
	ck_assert_mem_eq(res.host_mac, fixed_mac, 6);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Link out, announcements, MLD                                       */
/* ------------------------------------------------------------------ */

START_TEST(test_link_header)
{
	uint8_t h[14];

	ck_assert_int_eq(te_link_header(h, peer_mac, fixed_mac, 0x45), 0);
	ck_assert_mem_eq(h, peer_mac, 6);
	ck_assert_mem_eq(h + 6, fixed_mac, 6);
	ck_assert_uint_eq(get16(h + 12), 0x0800);
	ck_assert_int_eq(te_link_header(h, peer_mac, fixed_mac, 0x60), 0);
	ck_assert_uint_eq(get16(h + 12), 0x86dd);
	ck_assert_int_eq(te_link_header(h, peer_mac, fixed_mac, 0x50), -EINVAL);
	ck_assert_int_eq(te_link_header(h, peer_mac, fixed_mac, 0x00), -EINVAL);
}
END_TEST

START_TEST(test_link_in_then_out)
{
	uint8_t m[6], h[14];

	/* The header link out writes for a datagram link in took answers it. */
	mac_of(&lk_auto, AF_INET6, host6, m);
	ck_assert_int_eq(in(&lk_auto, echo6(m, host6, 58, 128)), TE_LINK_IP);
	ck_assert_int_eq(te_link_header(h, res.peer_mac, res.host_mac, frame[res.ip_off]), 0);
	ck_assert_mem_eq(h, frame + 6, 6);
	ck_assert_mem_eq(h + 6, frame, 6);
	ck_assert_mem_eq(h + 12, frame + 12, 2);
}
END_TEST

START_TEST(test_announce)
{
	static const uint8_t zero6[6];
	static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
	static const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
	uint8_t out[TE_LINK_FRAME_MAX], m[6];
	size_t len = 0;

	mac_of(&lk_auto, AF_INET, host4, m);
	ck_assert_int_eq(te_link_announce(&lk_auto, AF_INET, host4, out, sizeof(out), &len), 0);
	ck_assert_uint_eq(len, 42);
	check_arp(out, bcast, 1, m, host4, zero6, host4);
	mac_of(&lk_auto, AF_INET6, host6, m);
	ck_assert_int_eq(te_link_announce(&lk_auto, AF_INET6, host6, out, sizeof(out), &len), 0);
	check_na(out, len, all_nodes_mac, m, host6, all_nodes, 0x20);
	ck_assert_int_eq(te_link_announce(&lk_auto, AF_PACKET, host6, out, sizeof(out), &len),
			 -EINVAL);
	ck_assert_int_eq(te_link_announce(&lk_auto, AF_INET, host4, out, 41, &len), -EINVAL);
}
END_TEST

START_TEST(test_mld_golden)
{
	uint8_t out[1500], ll[16], g[1][16];
	size_t len = 0;

	te_link_ll_from_mac(fixed_mac, ll);
	te_link_solicited_node(host6, g[0]);
	ck_assert_int_eq(te_link_mld_report(fixed_mac, ll, (const uint8_t(*)[16])g, 1,
					    TE_MLD_CHANGE_TO_EXCLUDE, out, sizeof(out), &len),
			 0);
	ck_assert_uint_eq(len, sizeof(golden_mld));
	ck_assert_mem_eq(out, golden_mld, sizeof(golden_mld));
}
END_TEST

START_TEST(test_mld_many)
{
	static uint8_t g[TE_MLD_MAX_RECORDS + 1][16];
	uint8_t out[1514], ll[16] = {0};
	size_t len = 0;

	for (size_t i = 0; i <= TE_MLD_MAX_RECORDS; i++) {
		host6[15] = (uint8_t)i;
		te_link_solicited_node(host6, g[i]);
	}
	ck_assert_int_eq(te_link_mld_report(fixed_mac, ll, (const uint8_t(*)[16])g,
					    TE_MLD_MAX_RECORDS, TE_MLD_MODE_IS_EXCLUDE, out,
					    sizeof(out), &len),
			 0);
	ck_assert_uint_le(len - 14, 1500); /* fits the MTU */
	ck_assert_uint_eq(get16(out + 14 + 4), len - 14 - 40);
	{
		/* The checksum, over the pseudo-header and the message past the HbH. */
		const uint8_t *ip = out + 14, *m = ip + 48;
		size_t mlen = len - 14 - 48;
		uint16_t s = ones_add(ref_sum(ip + 8, 32), ones_add((uint16_t)mlen, 58));

		ck_assert_uint_eq(ones_add(s, ref_sum(m, mlen)), 0xffff);
		ck_assert_uint_eq(get16(m + 6), TE_MLD_MAX_RECORDS);
		ck_assert_uint_eq(m[8 + 20 * 70], TE_MLD_MODE_IS_EXCLUDE);
		ck_assert_mem_eq(m + 8 + 20 * 70 + 4, g[70], 16);
	}
	ck_assert_int_eq(te_link_mld_report(fixed_mac, ll, (const uint8_t(*)[16])g,
					    TE_MLD_MAX_RECORDS + 1, TE_MLD_MODE_IS_EXCLUDE, out,
					    sizeof(out), &len),
			 -EINVAL);
	ck_assert_int_eq(te_link_mld_report(fixed_mac, ll, (const uint8_t(*)[16])g, 0,
					    TE_MLD_MODE_IS_EXCLUDE, out, sizeof(out), &len),
			 -EINVAL);
	ck_assert_int_eq(te_link_mld_report(fixed_mac, ll, (const uint8_t(*)[16])g, 2,
					    TE_MLD_MODE_IS_EXCLUDE, out, 14 + 40 + 8 + 8 + 39,
					    &len),
			 -EINVAL);
}
END_TEST

START_TEST(test_set_lookup)
{
	struct te_link_prefix h[3] = {{.family = AF_INET, .len = 31},
				      {.family = AF_INET, .len = 32},
				      {.family = AF_INET6, .len = 127}};
	struct te_link_set s = {h, 3, NULL, 0};
	uint8_t a[16];

	pton(AF_INET, "198.18.6.0", h[0].addr);
	pton(AF_INET, "198.18.7.9", h[1].addr);
	pton(AF_INET6, "2001:db8:0:7::", h[2].addr);
	/* A /31 has no network nor broadcast (RFC 3021); a /32 is one host. */
	pton(AF_INET, "198.18.6.0", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET, a), TE_LINK_HOST);
	pton(AF_INET, "198.18.6.1", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET, a), TE_LINK_HOST);
	pton(AF_INET, "198.18.6.2", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET, a), TE_LINK_NONE);
	pton(AF_INET, "198.18.7.9", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET, a), TE_LINK_HOST);
	pton(AF_INET, "198.18.7.8", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET, a), TE_LINK_NONE);
	pton(AF_INET6, "2001:db8:0:7::", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET6, a), TE_LINK_HOST);
	pton(AF_INET6, "2001:db8:0:7::1", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET6, a), TE_LINK_HOST);
	pton(AF_INET6, "2001:db8:0:7::2", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET6, a), TE_LINK_NONE);
	/* Families never mix; the device's own addresses win over hosts. */
	memset(a, 0, 16);
	pton(AF_INET, "198.18.7.9", a);
	ck_assert_int_eq(te_link_set_lookup(&s, AF_INET6, a), TE_LINK_NONE);
	ck_assert_int_eq(te_link_set_lookup(&set, AF_INET, own4), TE_LINK_OWN);
	ck_assert_int_eq(te_link_set_lookup(&set, AF_INET6, own6), TE_LINK_OWN);
	ck_assert_int_eq(te_link_set_lookup(&set, AF_INET6, host6), TE_LINK_HOST);
	/* IPv6 in a /64: the last address is a host, the first is anycast. */
	pton(AF_INET6, "2001:db8:0:4:ffff:ffff:ffff:ffff", a);
	ck_assert_int_eq(te_link_set_lookup(&set, AF_INET6, a), TE_LINK_HOST);
}
END_TEST

START_TEST(test_solicited_and_ll)
{
	uint8_t g[16], want[16], ll[16];

	te_link_solicited_node(host6, g);
	pton(AF_INET6, "ff02::1:ff00:5", want);
	ck_assert_mem_eq(g, want, 16);
	te_link_ll_from_mac(fixed_mac, ll);
	pton(AF_INET6, "fe80::5eff:fe10:1", want);
	ck_assert_mem_eq(ll, want, 16);
}
END_TEST

/* Random frames: no crash, and every answer is a whole frame. */
START_TEST(test_random_frames)
{
	rng_seed(14);
	for (int i = 0; i < 20000; i++) {
		size_t n = rng_upto(120);
		enum te_link_status st;

		/* Start from a valid request, then flip a few bytes. */
		switch (i % 4) {
		case 0:
			arp(bcast, 1, peer_mac, peer4, host4);
			break;
		case 1:
			ns(NULL, peer6, NULL, host6, true);
			break;
		case 2:
			ns(NULL, NULL, NULL, host6, false);
			break;
		default:
			rng_fill(frame, 120);
		}
		for (int k = rng_upto(3); k > 0; k--)
			frame[rng_upto(n ? n - 1 : 0)] = (uint8_t)rng();
		st = in(&lk_auto, n);
		ck_assert(st == TE_LINK_IP || st == TE_LINK_REPLY || st == TE_LINK_DROP);
		if (st == TE_LINK_REPLY)
			ck_assert(res.reply_len == 42 || res.reply_len == 86);
		if (st == TE_LINK_IP)
			ck_assert_uint_eq(res.ip_off + res.ip_len, n);
		if (st == TE_LINK_DROP)
			ck_assert_uint_lt(res.reason, TE_LINK_REASONS);
	}
}
END_TEST

static Suite *link_suite(void)
{
	Suite *s = suite_create("link");
	TCase *tc = tcase_create("names");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reason_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("ethernet");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_runt);
	tcase_add_test(tc, test_vlan);
	tcase_add_test(tc, test_unknown_ethertype);
	tcase_add_test(tc, test_bad_source_mac);
	tcase_add_test(tc, test_bad_ip_version);
	tcase_add_test(tc, test_ip4_to_host);
	tcase_add_test(tc, test_ip6_to_host);
	tcase_add_test(tc, test_ip_not_for_us);
	suite_add_tcase(s, tc);

	tc = tcase_create("arp");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_arp_golden);
	tcase_add_test(tc, test_arp_ieee802_answered);
	tcase_add_test(tc, test_arp_probe_golden);
	tcase_add_test(tc, test_arp_reply_fields);
	tcase_add_test(tc, test_arp_unicast_elsewhere);
	tcase_add_test(tc, test_arp_probe_defended);
	tcase_add_test(tc, test_arp_gratuitous_defended);
	tcase_add_test(tc, test_arp_bad);
	tcase_add_test(tc, test_arp_not_ours);
	suite_add_tcase(s, tc);

	tc = tcase_create("ndp");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_ns_golden);
	tcase_add_test(tc, test_ns_na_fields);
	tcase_add_test(tc, test_ns_without_slla);
	tcase_add_test(tc, test_ns_unicast);
	tcase_add_test(tc, test_ns_wrong_group);
	tcase_add_test(tc, test_dad_defended);
	tcase_add_test(tc, test_ns_invalid);
	tcase_add_test(tc, test_ns_not_ours);
	tcase_add_test(tc, test_ndp_other);
	suite_add_tcase(s, tc);

	tc = tcase_create("mac");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_mac_auto_stable);
	tcase_add_test(tc, test_mac_auto_distinct);
	tcase_add_test(tc, test_mac_fixed);
	suite_add_tcase(s, tc);

	tc = tcase_create("out");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_link_header);
	tcase_add_test(tc, test_link_in_then_out);
	tcase_add_test(tc, test_announce);
	tcase_add_test(tc, test_mld_golden);
	tcase_add_test(tc, test_mld_many);
	tcase_add_test(tc, test_set_lookup);
	tcase_add_test(tc, test_solicited_and_ll);
	tcase_add_test(tc, test_random_frames);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return te_test_run(link_suite());
}

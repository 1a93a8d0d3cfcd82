/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for link in (src/lib/link.c): arbitrary frames as read
 * from a TAP, on a link whose hosts are 198.18.4.0/24 and
 * 2001:db8:0:4::/64, whose device has 198.18.4.1 and 2001:db8:0:4::1.
 *
 * Input: one mode byte, then the frame.
 *   bit 0 of the mode byte set:   one fixed MAC (02:00:5e:10:00:01) for all
 *                                 hosts, so the fuzzer reaches unicast
 *                                 paths without guessing hashes;
 *   bit 0 clear:                  mac = auto.
 * The other bits are reserved and ignored.
 *
 * The frame is copied to a heap buffer of exactly its length, so ASan
 * reports any read beyond it.
 *
 * Invariants, checked with abort() on violation:
 *  - the status is one of the enum's, a drop's reason one of its reasons,
 *    with a name that is not "?";
 *  - TE_LINK_IP only for an IPv4/IPv6 frame to the unicast MAC of a host
 *    that is its IP destination, the datagram exactly the rest of the
 *    frame, the peer MAC the frame's source;
 *  - TE_LINK_REPLY only for an ARP request or an NS valid by this file's
 *    own reading of RFC 826 (hardware type 1 or, as Linux, 6) and RFC 4861 §7.1.1 (hop limit 255,
 * checksum, code 0), for a host; the reply lies within its buffer and parses back as a valid ARP
 * frame (Ethernet/IPv4, op 2, or op 1 for a defence, from the host's MAC) or NA (hop limit 255,
 * checksum valid, R clear, O set, S set unless sent to ff02::1 at 33:33:00:00:00:01, target the
 * host and the source, a target link-layer option with the source MAC).
 *
 * The checksum here is this file's own, not the library's.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "../link-set.h"
#include "link.h"

#define MODE_FIXED 0x01

/* RFC 1071, 16 bits at a time, end-around carry. */
static uint16_t oc_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

static uint16_t oc_sum(uint16_t s, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s = oc_add(s, (uint16_t)te_get16(p + i));
	if (i < len)
		s = oc_add(s, (uint16_t)(p[i] << 8));
	return s;
}

/* Whether the ICMPv6 message of @plen bytes after the IPv6 header @ip sums to -0. */
static int icmp6_ok(const uint8_t *ip, size_t plen)
{
	uint16_t s = oc_add(oc_sum(0, ip + 8, 32), oc_add((uint16_t)(plen >> 16), (uint16_t)plen));

	s = oc_add(s, 58);
	return oc_sum(s, ip + 40, plen) == 0xffff;
}

static const uint8_t fixed_mac[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};

/* The link's addresses, written out rather than asked of te_link_set_lookup() (link-set.h). */
static int is_host4(const uint8_t *a)
{
	return a[0] == 198 && a[1] == 18 && a[2] == 4 && a[3] != 0 && a[3] != 1 && a[3] != 255;
}

static int is_host6(const uint8_t *a)
{
	static const uint8_t net[8] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 4};
	static const uint8_t zero[8], one[8] = {[7] = 1};

	return !memcmp(a, net, 8) && memcmp(a + 8, zero, 8) && memcmp(a + 8, one, 8);
}

static void check_ip(const struct te_link *lk, const uint8_t *f, size_t len,
		     const struct te_link_result *r)
{
	unsigned type = te_get16(f + 12);
	const uint8_t *ip = f + 14;
	uint8_t mac[6];

	CHECK(r->ip_off == 14 && r->ip_len == len - 14, "the datagram is the rest of the frame");
	CHECK(!memcmp(r->peer_mac, f + 6, 6), "the peer is the frame's source");
	CHECK(!memcmp(r->host_mac, f, 6), "the frame came to the host's MAC");
	CHECK(!(f[0] & 1), "never a group address");
	if (type == 0x0800) {
		CHECK(r->family == AF_INET && len >= 14 + 20 && ip[0] >> 4 == 4, "IPv4");
		CHECK(is_host4(ip + 16), "IPv4 to a host");
		te_link_host_mac(lk, AF_INET, ip + 16, mac);
	} else {
		CHECK(type == 0x86dd, "IPv4 or IPv6 only");
		CHECK(r->family == AF_INET6 && len >= 14 + 40 && ip[0] >> 4 == 6, "IPv6");
		CHECK(is_host6(ip + 24), "IPv6 to a host");
		CHECK(!(ip[6] == 58 && len > 54 && ip[40] >= 133 && ip[40] <= 137),
		      "NDP never goes on to IP in");
		te_link_host_mac(lk, AF_INET6, ip + 24, mac);
	}
	CHECK(!memcmp(mac, r->host_mac, 6), "the host MAC is its address's");
}

static void check_arp(const struct te_link *lk, const uint8_t *f, size_t len,
		      const struct te_link_result *r)
{
	const uint8_t *q = f + 14, *a = r->reply + 14;
	uint8_t mac[6];

	/* The request. */
	CHECK(len >= 14 + 28, "a whole ARP request");
	CHECK((te_get16(q) == 1 || te_get16(q) == 6) && te_get16(q + 2) == 0x0800 && q[4] == 6 &&
		  q[5] == 4 && te_get16(q + 6) == 1,
	      "an Ethernet/IPv4 ARP request");
	CHECK(is_host4(q + 24), "for a host");
	te_link_host_mac(lk, AF_INET, q + 24, mac);
	CHECK(!(f[0] & 1) ? !memcmp(f, mac, 6) : !memcmp(f, "\xff\xff\xff\xff\xff\xff", 6),
	      "broadcast, or to the host's MAC");
	/* The reply. */
	CHECK(r->reply_len == 42, "ARP reply length");
	CHECK(!memcmp(r->reply + 6, mac, 6) && te_get16(r->reply + 12) == 0x0806, "from the host");
	CHECK(te_get16(a) == 1 && te_get16(a + 2) == 0x0800 && a[4] == 6 && a[5] == 4,
	      "ARP header");
	CHECK(!memcmp(a + 8, mac, 6) && !memcmp(a + 14, q + 24, 4), "sender: the host");
	if (r->answer == TE_LINK_ARP_REPLY) {
		CHECK(te_get16(a + 6) == 2, "op reply");
		CHECK(!memcmp(a + 18, q + 8, 6) && !memcmp(a + 24, q + 14, 4),
		      "target: the requester");
		CHECK(!memcmp(r->reply, q + 8, 6), "to the requester's MAC");
	} else {
		CHECK(r->answer == TE_LINK_ARP_DEFEND, "an ARP answer");
		CHECK(!memcmp(q + 14, q + 24, 4), "a defence only against a gratuitous ARP");
		CHECK(te_get16(a + 6) == 1 && !memcmp(a + 24, q + 24, 4), "an announcement");
		CHECK(!memcmp(r->reply, "\xff\xff\xff\xff\xff\xff", 6), "broadcast");
	}
}

static void check_na(const struct te_link *lk, const uint8_t *f, size_t len,
		     const struct te_link_result *r)
{
	const uint8_t *q = f + 14, *ip = r->reply + 14, *icmp = ip + 40;
	static const uint8_t zero[16];
	uint8_t mac[6];
	size_t plen;

	/* The request. */
	CHECK(te_get16(f + 12) == 0x86dd && len >= 14 + 40 + 24, "an IPv6 NS");
	plen = te_get16(q + 4);
	CHECK(plen >= 24 && plen <= len - 54, "whole");
	CHECK(q[6] == 58 && q[7] == 255 && q[40] == 135 && q[41] == 0, "hop limit 255, code 0");
	CHECK(icmp6_ok(q, plen), "checksum valid");
	CHECK(q[48] != 0xff && is_host6(q + 48), "for a host");
	te_link_host_mac(lk, AF_INET6, q + 48, mac);
	/* The reply. */
	CHECK(r->reply_len == 14 + 40 + 32, "NA length");
	CHECK(!memcmp(r->reply + 6, mac, 6) && te_get16(r->reply + 12) == 0x86dd, "from the host");
	CHECK(ip[0] == 0x60 && te_get16(ip + 4) == 32 && ip[6] == 58 && ip[7] == 255,
	      "IPv6 header");
	CHECK(!memcmp(ip + 8, q + 48, 16) && !memcmp(icmp + 8, q + 48, 16), "from the target");
	CHECK(icmp[0] == 136 && icmp[1] == 0 && icmp6_ok(ip, 32), "a valid NA");
	CHECK(!(icmp[4] & 0x80) && (icmp[4] & 0x20), "R clear, O set");
	CHECK(icmp[24] == 2 && icmp[25] == 1 && !memcmp(icmp + 26, mac, 6), "TLLA");
	if (!memcmp(q + 8, zero, 16)) {
		CHECK(r->answer == TE_LINK_NA_DEFEND && !(icmp[4] & 0x40), "DAD: not solicited");
		CHECK(!memcmp(ip + 24, all_nodes, 16), "to all nodes");
		CHECK(!memcmp(r->reply, "\x33\x33\x00\x00\x00\x01", 6), "at their MAC");
	} else {
		CHECK(r->answer == TE_LINK_NA && (icmp[4] & 0x40), "solicited");
		CHECK(!memcmp(ip + 24, q + 8, 16), "to the source");
		CHECK(!(r->reply[0] & 1), "at a unicast MAC");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct te_link_prefix hosts[2] = {
	    {.family = AF_INET, .addr = {198, 18, 4, 0}, .len = 24},
	    {.family = AF_INET6, .addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 4}, .len = 64},
	};
	static const struct te_link_prefix own[2] = {
	    {.family = AF_INET, .addr = {198, 18, 4, 1}},
	    {.family = AF_INET6, .addr = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 4, [15] = 1}},
	};
	struct te_link_set set = {hosts, 2, own, 2};
	struct te_link lk = {.ifname = "fuzz0", .lookup = te_link_set_lookup, .lookup_arg = &set};
	struct te_link_result r;
	enum te_link_status st;
	uint8_t *f;
	size_t len;

	if (size < 1)
		return 0;
	if (data[0] & MODE_FIXED) {
		lk.mac_fixed = true;
		memcpy(lk.mac, fixed_mac, 6);
	}
	len = size - 1;
	f = malloc(len ? len : 1);
	if (!f)
		abort();
	memcpy(f, data + 1, len);
	memset(&r, 0xa5, sizeof(r));

	st = te_link_in(&lk, f, len, &r);
	CHECK(st == TE_LINK_IP || st == TE_LINK_REPLY || st == TE_LINK_DROP, "a known status");
	CHECK(!memcmp(f, data + 1, len), "the frame is left as it was");
	switch (st) {
	case TE_LINK_DROP:
		CHECK((unsigned)r.reason < TE_LINK_REASONS, "a known reason");
		CHECK(strcmp(te_link_reason_name(r.reason), "?"), "a named reason");
		break;
	case TE_LINK_IP:
		check_ip(&lk, f, len, &r);
		break;
	case TE_LINK_REPLY:
		CHECK(r.reply_len <= sizeof(r.reply), "the reply fits its buffer");
		CHECK(len >= 14 && !(f[6] & 1), "an answer only to a unicast source");
		if (te_get16(f + 12) == 0x0806)
			check_arp(&lk, f, len, &r);
		else
			check_na(&lk, f, len, &r);
		break;
	}
	free(f);
	return 0;
}

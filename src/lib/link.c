/* SPDX-License-Identifier: MIT */
#include "link.h"
#include "siphash.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "checksum.h"

/* Offsets: frames are read at any alignment, so bytes, never structs. */
enum {
	ETH_DST = 0,
	ETH_SRC = 6,
	ETH_TYPE = 12,
	ARP_LEN = 28, /* Ethernet/IPv4 ARP: htype, ptype, hlen, plen, op, sha, spa, tha, tpa */
	ARP_HTYPE = 0,
	ARP_PTYPE = 2,
	ARP_HLEN = 4,
	ARP_PLEN = 5,
	ARP_OP = 6,
	ARP_SHA = 8,
	ARP_SPA = 14,
	ARP_THA = 18,
	ARP_TPA = 24,
	IP4_HLEN = 20,
	IP6_HLEN = 40,
	IP6_PLEN = 4,
	IP6_NH = 6,
	IP6_HOPS = 7,
	IP6_SRC = 8,
	IP6_DST = 24,
	NH_HOP = 0,
	NH_ICMPV6 = 58,
	ICMP6_RS = 133,
	ICMP6_REDIRECT = 137,
	ICMP6_NS = 135,
	ICMP6_NA = 136,
	ICMP6_MLD2_REPORT = 143,
	ND_LEN = 24, /* NS and NA: type, code, checksum, flags/reserved, target */
	ND_TARGET = 8,
	OPT_SLLA = 1,
	OPT_TLLA = 2,
	NA_ROUTER = 0x80,
	NA_SOLICITED = 0x40,
	NA_OVERRIDE = 0x20,
	NA_FRAME = 14 + 40 + 24 + 8,
	ARP_FRAME = 14 + 28,
};

static const uint8_t bcast_mac[TE_ETH_ALEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t all_nodes[16] = {0xff, 0x02, [15] = 1};
static const uint8_t unspecified[16];

static inline unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static const char *const reason_names[TE_LINK_REASONS] = {
    [TE_LINK_NOT_FOR_US] = "not_for_us",
    [TE_LINK_VLAN] = "vlan",
    [TE_LINK_RUNT] = "runt",
    [TE_LINK_UNKNOWN_ETHERTYPE] = "unknown_ethertype",
    [TE_LINK_BAD_SOURCE] = "bad_source_mac",
    [TE_LINK_BAD_IP] = "bad_ip",
    [TE_LINK_BAD_ARP] = "bad_arp",
    [TE_LINK_ARP_NOT_OURS] = "arp_not_ours",
    [TE_LINK_BAD_NDP] = "bad_ndp",
    [TE_LINK_NDP_NOT_OURS] = "ndp_not_ours",
    [TE_LINK_NDP_OTHER] = "ndp_other",
};

const char *te_link_reason_name(enum te_link_reason r)
{
	if ((unsigned)r >= TE_LINK_REASONS)
		return "?";
	return reason_names[r];
}

/* ------------------------------------------------------------------ */
/* MACs                                                               */
/* ------------------------------------------------------------------ */

void te_link_host_mac(const struct te_link *lk, int family, const uint8_t *addr,
		      uint8_t mac[TE_ETH_ALEN])
{
	/* ifname (at most IFNAMSIZ-1), a 0, the family's length, the address. */
	uint8_t in[16 + 1 + 1 + 16];
	size_t n = 0, alen = family == AF_INET ? 4 : 16;
	uint64_t h;

	if (lk->mac_fixed) {
		memcpy(mac, lk->mac, TE_ETH_ALEN);
		return;
	}
	for (const char *c = lk->ifname ? lk->ifname : ""; *c && n < 16; c++)
		in[n++] = (uint8_t)*c;
	in[n++] = 0;
	in[n++] = (uint8_t)alen;
	memcpy(in + n, addr, alen);
	n += alen;
	/* The key: "tunecho mac auto", fixed so the MACs outlive restarts. */
	h = te_siphash(0x6f6863656e7574ull, 0x6f747561206361ull, in, n);
	for (unsigned i = 0; i < TE_ETH_ALEN; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

static inline bool mac_multicast(const uint8_t *m)
{
	return m[0] & 1;
}

static inline bool mac_zero(const uint8_t *m)
{
	return !(m[0] | m[1] | m[2] | m[3] | m[4] | m[5]);
}

/* Whether the frame's destination is the MAC of the host @addr. */
static bool to_host_mac(const struct te_link *lk, const uint8_t *frame, int family,
			const uint8_t *addr, uint8_t mac[TE_ETH_ALEN])
{
	te_link_host_mac(lk, family, addr, mac);
	return !memcmp(frame + ETH_DST, mac, TE_ETH_ALEN);
}

int te_link_header(uint8_t hdr[TE_ETH_HLEN], const uint8_t dst[TE_ETH_ALEN],
		   const uint8_t src[TE_ETH_ALEN], uint8_t ip0)
{
	unsigned type;

	switch (ip0 >> 4) {
	case 4:
		type = TE_ETH_P_IP;
		break;
	case 6:
		type = TE_ETH_P_IPV6;
		break;
	default:
		return -EINVAL;
	}
	memcpy(hdr + ETH_DST, dst, TE_ETH_ALEN);
	memcpy(hdr + ETH_SRC, src, TE_ETH_ALEN);
	put16(hdr + ETH_TYPE, type);
	return 0;
}

static void eth_header(uint8_t *out, const uint8_t *dst, const uint8_t *src, unsigned type)
{
	memcpy(out + ETH_DST, dst, TE_ETH_ALEN);
	memcpy(out + ETH_SRC, src, TE_ETH_ALEN);
	put16(out + ETH_TYPE, type);
}

/* 33:33 and the last four bytes of the IPv6 multicast group (RFC 2464 §7). */
static void group_mac(const uint8_t *group, uint8_t mac[TE_ETH_ALEN])
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, group + 12, 4);
}

/* ------------------------------------------------------------------ */
/* Lookups                                                            */
/* ------------------------------------------------------------------ */

/* All host bits (past @len of @alen bytes) equal to @v (0 or 1). */
static bool host_bits_all(const uint8_t *addr, size_t alen, unsigned len, unsigned v)
{
	for (unsigned bit = len; bit < alen * 8; bit++)
		if (((addr[bit / 8] >> (7 - bit % 8)) & 1) != v)
			return false;
	return true;
}

bool te_link_is_host_of(int family, const uint8_t *addr, unsigned len)
{
	size_t alen = family == AF_INET ? 4 : 16;

	if (len + 1 < alen * 8 && host_bits_all(addr, alen, len, 0))
		return false; /* network, subnet-router anycast */
	return !(family == AF_INET && len < 31 &&
		 host_bits_all(addr, alen, len, 1)); /* broadcast */
}

static enum te_link_kind lookup(const struct te_link *lk, int family, const uint8_t *addr)
{
	return lk->lookup ? lk->lookup(lk->lookup_arg, family, addr) : TE_LINK_NONE;
}

static enum te_link_status drop(struct te_link_result *res, enum te_link_reason why)
{
	res->reason = why;
	return TE_LINK_DROP;
}

/* ------------------------------------------------------------------ */
/* ARP                                                                */
/* ------------------------------------------------------------------ */

static void arp_frame(uint8_t *out, const uint8_t *eth_dst, unsigned op, const uint8_t *sha,
		      const uint8_t *spa, const uint8_t *tha, const uint8_t *tpa)
{
	uint8_t *a = out + TE_ETH_HLEN;

	eth_header(out, eth_dst, sha, TE_ETH_P_ARP);
	put16(a + ARP_HTYPE, 1);
	put16(a + ARP_PTYPE, TE_ETH_P_IP);
	a[ARP_HLEN] = TE_ETH_ALEN;
	a[ARP_PLEN] = 4;
	put16(a + ARP_OP, op);
	memcpy(a + ARP_SHA, sha, TE_ETH_ALEN);
	memcpy(a + ARP_SPA, spa, 4);
	memcpy(a + ARP_THA, tha, TE_ETH_ALEN);
	memcpy(a + ARP_TPA, tpa, 4);
}

static bool ip4_multicast_or_bcast(const uint8_t *a)
{
	return (a[0] & 0xf0) == 0xe0 ||
	       (a[0] == 0xff && a[1] == 0xff && a[2] == 0xff && a[3] == 0xff);
}

static enum te_link_status arp_in(const struct te_link *lk, const uint8_t *frame, size_t len,
				  struct te_link_result *res)
{
	const uint8_t *a = frame + TE_ETH_HLEN, *sha = a + ARP_SHA, *spa = a + ARP_SPA;
	const uint8_t *tpa = a + ARP_TPA;
	static const uint8_t zero4[4];
	uint8_t mac[TE_ETH_ALEN];
	bool probe;

	if (len - TE_ETH_HLEN < ARP_LEN)
		return drop(res, TE_LINK_RUNT);
	/* Hardware type 1, or 6 (IEEE 802), which Linux's arp_process() takes on
	 * Ethernet too, answering as type 1. */
	if ((get16(a + ARP_HTYPE) != 1 && get16(a + ARP_HTYPE) != 6) ||
	    get16(a + ARP_PTYPE) != TE_ETH_P_IP || a[ARP_HLEN] != TE_ETH_ALEN || a[ARP_PLEN] != 4 ||
	    get16(a + ARP_OP) != 1)
		return drop(res, TE_LINK_BAD_ARP);
	/* A sender no reply could go to, or an address no host may have. */
	if (mac_multicast(sha) || mac_zero(sha) || ip4_multicast_or_bcast(spa) ||
	    ip4_multicast_or_bcast(tpa))
		return drop(res, TE_LINK_BAD_ARP);
	if (lookup(lk, AF_INET, tpa) != TE_LINK_HOST)
		return drop(res, TE_LINK_ARP_NOT_OURS);
	/* Broadcast, or unicast to the host (Linux revalidates that way). */
	if (!to_host_mac(lk, frame, AF_INET, tpa, mac) &&
	    memcmp(frame + ETH_DST, bcast_mac, TE_ETH_ALEN))
		return drop(res, TE_LINK_NOT_FOR_US);
	if (!memcmp(sha, mac, TE_ETH_ALEN))
		return drop(res, TE_LINK_NOT_FOR_US); /* our own, looped back */
	res->reply_len = ARP_FRAME;
	probe = !memcmp(spa, zero4, 4);
	if (!probe && !memcmp(spa, tpa, 4)) {
		/* Someone else claims the host's address: announce it back. */
		static const uint8_t zero_mac[TE_ETH_ALEN];

		arp_frame(res->reply, bcast_mac, 1, mac, tpa, zero_mac, tpa);
		res->answer = TE_LINK_ARP_DEFEND;
		return TE_LINK_REPLY;
	}
	/* A reply to the sender; to a probe with target IP 0.0.0.0 (its spa). */
	arp_frame(res->reply, sha, 2, mac, tpa, sha, spa);
	res->answer = TE_LINK_ARP_REPLY;
	return TE_LINK_REPLY;
}

/* ------------------------------------------------------------------ */
/* Neighbour discovery                                                */
/* ------------------------------------------------------------------ */

/* The ICMPv6 checksum sum (RFC 8200 §8.1) over @ip's pseudo-header and @len bytes at @msg. */
static uint16_t icmp6_csum(const uint8_t *ip, const uint8_t *msg, size_t len)
{
	uint8_t tail[8] = {(uint8_t)(len >> 24),
			   (uint8_t)(len >> 16),
			   (uint8_t)(len >> 8),
			   (uint8_t)len,
			   0,
			   0,
			   0,
			   NH_ICMPV6};
	uint32_t sum = te_csum_add(0, ip + IP6_SRC, 32);

	sum = te_csum_add(sum, tail, 8);
	return te_csum_fold(te_csum_add(sum, msg, len));
}

static bool solicited_node_of(const uint8_t *group, const uint8_t *target)
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 1, [12] = 0xff};

	return !memcmp(group, prefix, 13) && !memcmp(group + 13, target + 13, 3);
}

static bool is_solicited_node(const uint8_t *group)
{
	return solicited_node_of(group, group);
}

void te_link_solicited_node(const uint8_t addr[16], uint8_t group[16])
{
	static const uint8_t prefix[13] = {0xff, 0x02, [11] = 1, [12] = 0xff};

	memcpy(group, prefix, 13);
	memcpy(group + 13, addr + 13, 3);
}

void te_link_ll_from_mac(const uint8_t mac[TE_ETH_ALEN], uint8_t addr[16])
{
	memset(addr, 0, 16);
	addr[0] = 0xfe;
	addr[1] = 0x80;
	addr[8] = mac[0] ^ 0x02;
	addr[9] = mac[1];
	addr[10] = mac[2];
	addr[11] = 0xff;
	addr[12] = 0xfe;
	addr[13] = mac[3];
	addr[14] = mac[4];
	addr[15] = mac[5];
}

/* A whole NA frame: from the host @target at @mac, to @dst at @dst_mac. */
static void na_frame(uint8_t *out, const uint8_t *dst_mac, const uint8_t *mac,
		     const uint8_t *target, const uint8_t *dst, unsigned flags)
{
	uint8_t *ip = out + TE_ETH_HLEN, *icmp = ip + IP6_HLEN;

	eth_header(out, dst_mac, mac, TE_ETH_P_IPV6);
	memset(ip, 0, IP6_HLEN + ND_LEN + 8);
	ip[0] = 0x60;
	put16(ip + IP6_PLEN, ND_LEN + 8);
	ip[IP6_NH] = NH_ICMPV6;
	ip[IP6_HOPS] = 255;
	memcpy(ip + IP6_SRC, target, 16);
	memcpy(ip + IP6_DST, dst, 16);
	icmp[0] = ICMP6_NA;
	icmp[4] = (uint8_t)flags;
	memcpy(icmp + ND_TARGET, target, 16);
	icmp[ND_LEN] = OPT_TLLA;
	icmp[ND_LEN + 1] = 1;
	memcpy(icmp + ND_LEN + 2, mac, TE_ETH_ALEN);
	put16(icmp + 2, icmp6_csum(ip, icmp, ND_LEN + 8));
}

/* RFC 4861 §7.1.1, and what §7.2.3 needs to answer it. */
static enum te_link_status ns_in(const struct te_link *lk, const uint8_t *frame, const uint8_t *ip,
				 size_t plen, struct te_link_result *res)
{
	const uint8_t *icmp = ip + IP6_HLEN, *target = icmp + ND_TARGET, *slla = NULL;
	const uint8_t *src = ip + IP6_SRC, *dst = ip + IP6_DST;
	bool dad = !memcmp(src, unspecified, 16);
	uint8_t mac[TE_ETH_ALEN], gmac[TE_ETH_ALEN];
	enum te_link_kind kind;

	if (plen < ND_LEN || ip[IP6_HOPS] != 255 || icmp[1] != 0 || target[0] == 0xff ||
	    icmp6_csum(ip, icmp, plen) != 0)
		return drop(res, TE_LINK_BAD_NDP);
	for (size_t off = ND_LEN; off < plen;) {
		size_t olen;

		if (plen - off < 2 || !icmp[off + 1] || (olen = icmp[off + 1] * 8u) > plen - off)
			return drop(res, TE_LINK_BAD_NDP);
		if (icmp[off] == OPT_SLLA) {
			/* Linux's ndisc takes only an Ethernet-sized address. */
			if (olen != 8 || dad)
				return drop(res, TE_LINK_BAD_NDP);
			slla = icmp + off + 2;
		}
		off += olen;
	}
	if (dad && !is_solicited_node(dst))
		return drop(res, TE_LINK_BAD_NDP);
	if (src[0] == 0xff || (slla && (mac_multicast(slla) || mac_zero(slla))))
		return drop(res, TE_LINK_BAD_NDP);
	kind = lookup(lk, AF_INET6, target);
	if (kind != TE_LINK_HOST)
		return drop(res, TE_LINK_NDP_NOT_OURS);
	/* Heard as a host would: at its group's MAC, or unicast to it. */
	te_link_host_mac(lk, AF_INET6, target, mac);
	if (dst[0] == 0xff) {
		group_mac(dst, gmac);
		if (!solicited_node_of(dst, target) || memcmp(frame + ETH_DST, gmac, TE_ETH_ALEN))
			return drop(res, TE_LINK_NOT_FOR_US);
	} else if (memcmp(dst, target, 16) || memcmp(frame + ETH_DST, mac, TE_ETH_ALEN)) {
		return drop(res, TE_LINK_NOT_FOR_US);
	}
	if (!memcmp(frame + ETH_SRC, mac, TE_ETH_ALEN))
		return drop(res, TE_LINK_NOT_FOR_US); /* our own, looped back */
	res->reply_len = NA_FRAME;
	if (dad) {
		group_mac(all_nodes, gmac);
		na_frame(res->reply, gmac, mac, target, all_nodes, NA_OVERRIDE);
		res->answer = TE_LINK_NA_DEFEND;
	} else {
		na_frame(res->reply, slla ? slla : frame + ETH_SRC, mac, target, src,
			 NA_SOLICITED | NA_OVERRIDE);
		res->answer = TE_LINK_NA;
	}
	return TE_LINK_REPLY;
}

static enum te_link_status ip6_in(const struct te_link *lk, const uint8_t *frame, size_t len,
				  struct te_link_result *res)
{
	const uint8_t *ip = frame + TE_ETH_HLEN;
	size_t avail = len - TE_ETH_HLEN, plen;
	uint8_t mac[TE_ETH_ALEN];

	if (avail < IP6_HLEN)
		return drop(res, TE_LINK_RUNT);
	if (ip[0] >> 4 != 6)
		return drop(res, TE_LINK_BAD_IP);
	plen = get16(ip + IP6_PLEN);
	if (ip[IP6_NH] == NH_ICMPV6 && avail > IP6_HLEN) {
		unsigned type = ip[IP6_HLEN];

		if (type == ICMP6_NS) {
			if (plen > avail - IP6_HLEN)
				return drop(res, TE_LINK_RUNT);
			return ns_in(lk, frame, ip, plen, res);
		}
		if (type >= ICMP6_RS && type <= ICMP6_REDIRECT)
			return drop(res, TE_LINK_NDP_OTHER);
		if (mac_multicast(frame + ETH_DST))
			return drop(res, TE_LINK_NDP_OTHER); /* echo to a group, ... */
	}
	/* MLD rides behind a Hop-by-Hop header with Router Alert (RFC 3810 §5). */
	if (ip[IP6_NH] == NH_HOP && mac_multicast(frame + ETH_DST) && avail >= IP6_HLEN + 8 &&
	    ip[IP6_HLEN] == NH_ICMPV6)
		return drop(res, TE_LINK_NDP_OTHER);
	if (mac_multicast(frame + ETH_DST) || lookup(lk, AF_INET6, ip + IP6_DST) != TE_LINK_HOST ||
	    !to_host_mac(lk, frame, AF_INET6, ip + IP6_DST, mac))
		return drop(res, TE_LINK_NOT_FOR_US);
	res->family = AF_INET6;
	memcpy(res->host_mac, mac, TE_ETH_ALEN);
	return TE_LINK_IP;
}

static enum te_link_status ip4_in(const struct te_link *lk, const uint8_t *frame, size_t len,
				  struct te_link_result *res)
{
	const uint8_t *ip = frame + TE_ETH_HLEN;
	uint8_t mac[TE_ETH_ALEN];

	if (len - TE_ETH_HLEN < IP4_HLEN)
		return drop(res, TE_LINK_RUNT);
	if (ip[0] >> 4 != 4)
		return drop(res, TE_LINK_BAD_IP);
	if (mac_multicast(frame + ETH_DST) || lookup(lk, AF_INET, ip + 16) != TE_LINK_HOST ||
	    !to_host_mac(lk, frame, AF_INET, ip + 16, mac))
		return drop(res, TE_LINK_NOT_FOR_US);
	res->family = AF_INET;
	memcpy(res->host_mac, mac, TE_ETH_ALEN);
	return TE_LINK_IP;
}

enum te_link_status te_link_in(const struct te_link *lk, const uint8_t *frame, size_t len,
			       struct te_link_result *res)
{
	enum te_link_status st;
	unsigned type;

	res->reply_len = 0;
	res->ip_off = res->ip_len = 0;
	res->family = 0;
	if (len < TE_ETH_HLEN)
		return drop(res, TE_LINK_RUNT);
	type = get16(frame + ETH_TYPE);
	if (type == TE_ETH_P_8021Q || type == TE_ETH_P_8021AD || type == TE_ETH_P_QINQ1)
		return drop(res, TE_LINK_VLAN);
	if (type != TE_ETH_P_IP && type != TE_ETH_P_IPV6 && type != TE_ETH_P_ARP)
		return drop(res, TE_LINK_UNKNOWN_ETHERTYPE);
	/* IEEE 802.3 §3.2.3: a group address is never a source. */
	if (mac_multicast(frame + ETH_SRC) || mac_zero(frame + ETH_SRC))
		return drop(res, TE_LINK_BAD_SOURCE);
	if (type == TE_ETH_P_ARP)
		return arp_in(lk, frame, len, res);
	st = type == TE_ETH_P_IP ? ip4_in(lk, frame, len, res) : ip6_in(lk, frame, len, res);
	if (st == TE_LINK_IP) {
		res->ip_off = TE_ETH_HLEN;
		res->ip_len = len - TE_ETH_HLEN;
		memcpy(res->peer_mac, frame + ETH_SRC, TE_ETH_ALEN);
	}
	return st;
}

/* ------------------------------------------------------------------ */
/* Announcements and MLD                                              */
/* ------------------------------------------------------------------ */

int te_link_announce(const struct te_link *lk, int family, const uint8_t *addr, uint8_t *out,
		     size_t room, size_t *len)
{
	static const uint8_t zero_mac[TE_ETH_ALEN];
	uint8_t mac[TE_ETH_ALEN], gmac[TE_ETH_ALEN];

	if ((family != AF_INET && family != AF_INET6) || room < TE_LINK_FRAME_MAX)
		return -EINVAL;
	te_link_host_mac(lk, family, addr, mac);
	if (family == AF_INET) {
		arp_frame(out, bcast_mac, 1, mac, addr, zero_mac, addr);
		*len = ARP_FRAME;
		return 0;
	}
	group_mac(all_nodes, gmac);
	na_frame(out, gmac, mac, addr, all_nodes, NA_OVERRIDE);
	*len = NA_FRAME;
	return 0;
}

int te_link_mld_report(const uint8_t src_mac[TE_ETH_ALEN], const uint8_t src_ip[16],
		       const uint8_t (*groups)[16], size_t n, unsigned type, uint8_t *out,
		       size_t room, size_t *len)
{
	static const uint8_t mld_routers[16] = {0xff, 0x02, [15] = 0x16};
	const size_t hbh = 8, mld = 8 + 20 * n;
	uint8_t *ip = out + TE_ETH_HLEN, *h = ip + IP6_HLEN, *m = h + hbh, gmac[TE_ETH_ALEN];
	uint32_t sum;
	uint8_t tail[8] = {0};

	if (!n || n > TE_MLD_MAX_RECORDS || room < TE_ETH_HLEN + IP6_HLEN + hbh + mld)
		return -EINVAL;
	group_mac(mld_routers, gmac);
	eth_header(out, gmac, src_mac, TE_ETH_P_IPV6);
	memset(ip, 0, IP6_HLEN + hbh + mld);
	ip[0] = 0x60;
	put16(ip + IP6_PLEN, (unsigned)(hbh + mld));
	ip[IP6_NH] = NH_HOP;
	ip[IP6_HOPS] = 1;
	memcpy(ip + IP6_SRC, src_ip, 16);
	memcpy(ip + IP6_DST, mld_routers, 16);
	/* Hop-by-Hop: next ICMPv6, length 0, Router Alert (MLD), PadN of 0. */
	h[0] = NH_ICMPV6;
	h[2] = 5;
	h[3] = 2;
	h[6] = 1;
	m[0] = ICMP6_MLD2_REPORT;
	put16(m + 6, (unsigned)n);
	for (size_t i = 0; i < n; i++) {
		uint8_t *r = m + 8 + 20 * i;

		r[0] = (uint8_t)type; /* no aux data, no sources: EXCLUDE {} is "all of it" */
		memcpy(r + 4, groups[i], 16);
	}
	/* The checksum covers the pseudo-header with the upper-layer length. */
	tail[2] = (uint8_t)(mld >> 8);
	tail[3] = (uint8_t)mld;
	tail[7] = NH_ICMPV6;
	sum = te_csum_add(te_csum_add(0, ip + IP6_SRC, 32), tail, 8);
	put16(m + 2, te_csum_fold(te_csum_add(sum, m, mld)));
	*len = TE_ETH_HLEN + IP6_HLEN + hbh + mld;
	return 0;
}

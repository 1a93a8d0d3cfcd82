/* SPDX-License-Identifier: MIT */
#include "packet.h"

#include <string.h>

#include "checksum.h"
#include "ipopt.h"

/*
 * Offsets into the headers. Working on byte offsets rather than on
 * <netinet/ip.h> structs keeps the code free of alignment assumptions: a
 * TUN read buffer gives no guarantee about where the packet starts.
 */
enum {
	IP4_HLEN = 20,
	IP4_TOTLEN = 2,
	IP4_FRAG = 6,
	IP4_TTL = 8,
	IP4_PROTO = 9,
	IP4_CSUM = 10,
	IP4_SRC = 12,
	IP4_DST = 16,
	IP6_HLEN = 40,
	IP6_PLEN = 4,
	IP6_NEXT = 6,
	IP6_HOPS = 7,
	IP6_SRC = 8,
	IP6_DST = 24,
	ICMP_HLEN = 8,
	ICMP_CSUM = 2,
	PROTO_ICMP = 1,
	PROTO_ICMPV6 = 58,
	ICMP_ECHO_REPLY = 0,
	ICMP_ECHO_REQUEST = 8,
	ICMPV6_ECHO_REQUEST = 128,
	ICMPV6_ECHO_REPLY = 129,
};

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return 0;
	return 1;
}

static enum tunecho_verdict drop(struct tunecho_packet *pkt, enum tunecho_drop_reason why)
{
	pkt->reason = why;
	return TUNECHO_DROP;
}

static enum tunecho_verdict pass(struct tunecho_packet *pkt, enum tunecho_drop_reason why)
{
	pkt->reason = why;
	return TUNECHO_PASS;
}

/* Martian sources as Linux's ip_route_input_slow() sees them. */
static int ip4_bad_source(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffff;
}

static int ip4_bad_destination(uint32_t a)
{
	return (a >> 24) == 0 || (a >> 24) == 127 || (a >> 28) == 0xe || a == 0xffffffff;
}

enum tunecho_drop_reason te_ip4_validate(const uint8_t *p, size_t len, size_t *hlen_out,
					 size_t *totlen_out, int verify_checksums)
{
	size_t hlen, totlen;
	enum tunecho_drop_reason why;

	if (len < IP4_HLEN)
		return TUNECHO_DROP_TRUNCATED;
	hlen = (size_t)(p[0] & 0x0f) * 4;
	if (hlen < IP4_HLEN)
		return TUNECHO_DROP_BAD_HEADER;
	if (hlen > len)
		return TUNECHO_DROP_TRUNCATED;
	if (verify_checksums && te_csum_fold(te_csum_add(0, p, hlen)) != 0)
		return TUNECHO_DROP_BAD_IP_CHECKSUM;
	totlen = get16(p + IP4_TOTLEN);
	if (totlen < hlen)
		return TUNECHO_DROP_BAD_HEADER;
	if (totlen > len)
		return TUNECHO_DROP_TRUNCATED;
	if (ip4_bad_source(get32(p + IP4_SRC)))
		return TUNECHO_DROP_BAD_SOURCE;
	if (ip4_bad_destination(get32(p + IP4_DST)))
		return TUNECHO_DROP_BAD_DESTINATION;
	if (hlen > IP4_HLEN && (why = te_ipopt_check(p + IP4_HLEN, hlen - IP4_HLEN)))
		return why;
	*hlen_out = hlen;
	*totlen_out = totlen;
	return 0;
}

enum tunecho_verdict te_icmp4_echo_ex(struct tunecho_packet *pkt, int verify_checksums,
				      uint32_t now)
{
	uint8_t *p = pkt->data;
	size_t hlen, totlen, icmplen, olen = 0;
	uint8_t *icmp;
	uint8_t opts[TE_IPOPT_MAX];
	enum tunecho_drop_reason why;
	uint32_t src;
	uint16_t csum;

	if (pkt->len < 1 || p[0] >> 4 != 4)
		return TUNECHO_PASS;
	why = te_ip4_validate(p, pkt->len, &hlen, &totlen, verify_checksums);
	if (why)
		return drop(pkt, why);
	/* MF set or a non-zero offset: IP in reassembles before the handlers. */
	if (get16(p + IP4_FRAG) & 0x3fff)
		return drop(pkt, TUNECHO_DROP_FRAGMENT);
	if (p[IP4_PROTO] != PROTO_ICMP)
		return pass(pkt, TUNECHO_DROP_NOT_ICMP);

	icmp = p + hlen;
	icmplen = totlen - hlen;
	if (icmplen < ICMP_HLEN)
		return drop(pkt, TUNECHO_DROP_TRUNCATED);
	if (verify_checksums && te_csum_fold(te_csum_add(0, icmp, icmplen)) != 0)
		return drop(pkt, TUNECHO_DROP_BAD_ICMP_CHECKSUM);
	if (icmp[0] != ICMP_ECHO_REQUEST)
		return pass(pkt, TUNECHO_DROP_NOT_ECHO);
	if (icmp[1] != 0)
		return pass(pkt, TUNECHO_DROP_BAD_CODE);
	if (hlen > IP4_HLEN) {
		int n = te_ipopt_echo(p + IP4_HLEN, hlen - IP4_HLEN, p + IP4_DST, now, opts, &why);

		if (n < 0)
			return drop(pkt, why);
		olen = (size_t)n;
	}

	/* The reply: type 0, identifier, sequence and data untouched. */
	csum =
	    te_csum_update16(get16(icmp + ICMP_CSUM), ICMP_ECHO_REQUEST << 8, ICMP_ECHO_REPLY << 8);
	/*
	 * Eq. 3 assumes a non-zero word somewhere in the data (RFC 1624 §3).
	 * A reply whose identifier, sequence and data are all zero has none:
	 * its sum is +0 and only 0xffff verifies, where eq. 3 gives 0x0000.
	 */
	if (csum == 0 && all_zero(icmp + 4, icmplen - 4))
		csum = 0xffff;
	icmp[0] = ICMP_ECHO_REPLY;
	put16(icmp + ICMP_CSUM, csum);

	src = get32(p + IP4_SRC);
	memcpy(p + IP4_SRC, p + IP4_DST, 4);
	p[IP4_DST] = (uint8_t)(src >> 24);
	p[IP4_DST + 1] = (uint8_t)(src >> 16);
	p[IP4_DST + 2] = (uint8_t)(src >> 8);
	p[IP4_DST + 3] = (uint8_t)src;

	if (hlen == IP4_HLEN) {
		/* Swapping addresses leaves the sum alone; only TTL and the
		 * flags move: like Linux's, the reply never carries DF, so one
		 * too big for the MTU leaves in fragments. */
		csum = te_csum_update16(get16(p + IP4_CSUM), get16(p + IP4_TTL),
					(uint16_t)(TE_REPLY_TTL << 8 | PROTO_ICMP));
		csum = te_csum_update16(csum, get16(p + IP4_FRAG), 0);
		p[IP4_TTL] = TE_REPLY_TTL;
		put16(p + IP4_FRAG, 0);
		put16(p + IP4_CSUM, csum);
	} else {
		/* The options of the reply (never longer than the request's)
		 * in a new header, summed afresh. */
		memmove(p + IP4_HLEN + olen, icmp, icmplen);
		memcpy(p + IP4_HLEN, opts, olen);
		totlen = IP4_HLEN + olen + icmplen;
		p[0] = (uint8_t)(0x40 | (IP4_HLEN + olen) / 4);
		put16(p + IP4_TOTLEN, (uint16_t)totlen);
		put16(p + IP4_FRAG, 0);
		p[IP4_TTL] = TE_REPLY_TTL;
		put16(p + IP4_CSUM, 0);
		put16(p + IP4_CSUM, te_csum_fold(te_csum_add(0, p, IP4_HLEN + olen)));
	}
	pkt->len = totlen;
	return TUNECHO_ANSWER;
}

enum tunecho_verdict te_icmp4_echo(void *arg, struct tunecho_packet *pkt)
{
	const struct te_clock *clock = arg;

	return te_icmp4_echo_ex(pkt, 1, clock ? clock->now(clock->arg) : 0);
}

static int ip6_is_unspecified(const uint8_t *a)
{
	static const uint8_t zero[16];

	return memcmp(a, zero, 16) == 0;
}

static int ip6_is_loopback(const uint8_t *a)
{
	static const uint8_t one[16] = {[15] = 1};

	return memcmp(a, one, 16) == 0;
}

static int ip6_is_v4mapped(const uint8_t *a)
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};

	return memcmp(a, prefix, 12) == 0;
}

/* Next-header values that are IPv6 extension headers (RFC 8200 §4, RFC 7045). */
static int ip6_is_ext_header(uint8_t nh)
{
	switch (nh) {
	case 0:	  /* hop-by-hop options */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return 1;
	default:
		return 0;
	}
}

enum tunecho_drop_reason te_ip6_validate(const uint8_t *p, size_t len, size_t *plen_out)
{
	size_t plen;

	if (len < IP6_HLEN)
		return TUNECHO_DROP_TRUNCATED;
	plen = get16(p + IP6_PLEN);
	/* Zero means a jumbogram, which needs a hop-by-hop header: not ours. */
	if (plen == 0)
		return TUNECHO_DROP_BAD_HEADER;
	if (plen > len - IP6_HLEN)
		return TUNECHO_DROP_TRUNCATED;
	if (p[IP6_SRC] == 0xff || ip6_is_unspecified(p + IP6_SRC) || ip6_is_loopback(p + IP6_SRC) ||
	    ip6_is_v4mapped(p + IP6_SRC))
		return TUNECHO_DROP_BAD_SOURCE;
	if (p[IP6_DST] == 0xff || ip6_is_unspecified(p + IP6_DST) || ip6_is_loopback(p + IP6_DST))
		return TUNECHO_DROP_BAD_DESTINATION;
	*plen_out = plen;
	return 0;
}

enum tunecho_verdict te_icmp6_echo_ex(struct tunecho_packet *pkt, int verify_checksums)
{
	uint8_t *p = pkt->data;
	uint8_t *icmp = p + IP6_HLEN;
	enum tunecho_drop_reason why;
	size_t plen;
	uint8_t tmp[16];
	uint16_t csum;

	if (pkt->len < 1 || p[0] >> 4 != 6)
		return TUNECHO_PASS;
	why = te_ip6_validate(p, pkt->len, &plen);
	if (why)
		return drop(pkt, why);
	if (ip6_is_ext_header(p[IP6_NEXT]))
		return pass(pkt, TUNECHO_DROP_EXT_HEADER);
	if (p[IP6_NEXT] != PROTO_ICMPV6)
		return pass(pkt, TUNECHO_DROP_NOT_ICMP);
	if (plen < ICMP_HLEN)
		return drop(pkt, TUNECHO_DROP_TRUNCATED);
	if (verify_checksums) {
		/* Pseudo-header (RFC 8200 §8.1): addresses, length, next header. */
		uint8_t tail[4] = {(uint8_t)(plen >> 8), (uint8_t)plen, 0, PROTO_ICMPV6};
		uint32_t sum = te_csum_add(0, p + IP6_SRC, 32);

		sum = te_csum_add(sum, tail, sizeof(tail));
		if (te_csum_fold(te_csum_add(sum, icmp, plen)) != 0)
			return drop(pkt, TUNECHO_DROP_BAD_ICMP_CHECKSUM);
	}
	if (icmp[0] != ICMPV6_ECHO_REQUEST)
		return pass(pkt, TUNECHO_DROP_NOT_ECHO);
	if (icmp[1] != 0)
		return pass(pkt, TUNECHO_DROP_BAD_CODE);

	/* The pseudo-header sum does not change when the addresses swap. */
	csum = te_csum_update16(get16(icmp + ICMP_CSUM), ICMPV6_ECHO_REQUEST << 8,
				ICMPV6_ECHO_REPLY << 8);
	icmp[0] = ICMPV6_ECHO_REPLY;
	put16(icmp + ICMP_CSUM, csum);
	memcpy(tmp, p + IP6_SRC, 16);
	memcpy(p + IP6_SRC, p + IP6_DST, 16);
	memcpy(p + IP6_DST, tmp, 16);
	p[IP6_HOPS] = TE_REPLY_TTL;
	pkt->len = IP6_HLEN + plen;
	return TUNECHO_ANSWER;
}

enum tunecho_verdict te_icmp6_echo(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	return te_icmp6_echo_ex(pkt, 1);
}

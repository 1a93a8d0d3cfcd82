/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the packet path: bytes in, reply or no reply out,
 * through the built-in handlers in the responder's order (ICMPv4, then
 * ICMPv6 when the first passes).
 *
 * Input: one mode byte, then the packet.
 *   bit 0 of the mode byte set:   the handlers verify checksums (what the
 *                                 daemon does);
 *   bit 0 clear:                  they accept any checksum, so the fuzzer
 *                                 gets past them to everything behind.
 * The other bits are reserved and ignored.
 *
 * The packet is copied to a heap buffer of exactly its length, with room
 * equal to its length, so ASan reports any read or write beyond it.
 *
 * Invariants, checked here with abort() on violation (see DESIGN.md,
 * "Packet rules"):
 *  - the verdict is PASS, DROP or ANSWER, the reason one of the enum's,
 *    and the buffer stays where it was;
 *  - ANSWER only for a valid echo request, as re-validated here
 *    independently of packet.c: version, header and total/payload
 *    lengths, no fragment, well-formed IPv4 options without source
 *    routes, no unspecified or multicast source (IPv4: nor loopback or
 *    broadcast), no multicast (IPv4: nor broadcast) destination,
 *    ICMP(v6) directly after the header, type 8/128 code 0 and, when
 *    verifying, valid checksums;
 *  - conversely a plainly valid request (no options, ordinary unicast
 *    addresses, checksums valid or not verified) is answered;
 *  - the reply is a valid echo reply: version, IHL 5 (options are
 *    stripped), the request's declared length less its options, type
 *    0/129 code 0, identifier, sequence and data byte-identical,
 *    addresses swapped, TTL/hop limit 64, and checksums valid whenever
 *    the request's were (IPv4 header, ICMP; ICMPv6 over the
 *    pseudo-header). A checksum the request had wrong (no-verify mode)
 *    must be the request's updated by RFC 1624 eq. 3 for the changed word;
 *  - without ANSWER the buffer and length are left exactly as they were.
 *
 * The checksums here are this file's own, not the library's, so that a
 * bug there cannot hide itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "packet.h"

#define MODE_VERIFY 0x01

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ------------------------------------------------------------------ */
/* A reference Internet checksum (RFC 1071), 16 bits at a time        */
/* ------------------------------------------------------------------ */

/* One's complement addition with end-around carry. */
static uint16_t oc_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/* The one's complement sum of @len bytes as big-endian words, odd byte padded. */
static uint16_t oc_sum(uint16_t s, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s = oc_add(s, te_get16(p + i));
	if (i < len)
		s = oc_add(s, (uint16_t)(p[i] << 8));
	return s;
}

/* A region with its checksum field verifies when everything sums to -0. */
static int sum_ok(uint16_t s)
{
	return s == 0xffff;
}

/* The ICMPv6 pseudo-header (RFC 8200 §8.1) of the packet at @ip, summed. */
static uint16_t pseudo6(const uint8_t *ip, size_t plen)
{
	return oc_add(oc_sum(0, ip + 8, 32), oc_add((uint16_t)plen, 58));
}

/* RFC 1624 eq. 3: HC' = ~(~HC + ~m + m'). */
static uint16_t rfc1624(uint16_t hc, uint16_t m, uint16_t m_new)
{
	return (uint16_t)~oc_add(oc_add((uint16_t)~hc, (uint16_t)~m), m_new);
}

/* ------------------------------------------------------------------ */
/* The oracle: what the request is                                    */
/* ------------------------------------------------------------------ */

struct request {
	int family;	  /* 4 or 6 when the request is a valid echo request, else 0 */
	int plain;	  /* valid and with nothing that may lawfully be refused */
	size_t hlen;	  /* IP header, options included */
	size_t msglen;	  /* the ICMP message */
	int ip_csum_ok;	  /* IPv4 header checksum */
	int icmp_csum_ok; /* ICMP, or ICMPv6 with its pseudo-header */
};

/* The options are well-formed TLVs and none is a source route. */
static int ip4_options_ok(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len) {
		if (opt[i] == 0) /* end of list */
			return 1;
		if (opt[i] == 1) { /* no-op */
			i++;
			continue;
		}
		if (len - i < 2 || opt[i + 1] < 2 || opt[i + 1] > len - i)
			return 0;
		if (opt[i] == 131 || opt[i] == 137) /* LSRR, SSRR */
			return 0;
		i += opt[i + 1];
	}
	return 1;
}

/* Neither unspecified, loopback, multicast nor broadcast. */
static int ip4_source_ok(uint32_t a)
{
	return a != 0 && a >> 24 != 127 && a >> 28 != 0xe && a != 0xffffffff;
}

static int ip4_destination_ok(uint32_t a)
{
	return a >> 28 != 0xe && a != 0xffffffff;
}

/* Unicast from 1.0.0.0 to 223.255.255.255, loopback excepted. */
static int ip4_ordinary(uint32_t a)
{
	return a >> 24 != 0 && a >> 24 != 127 && a >> 24 < 224;
}

static void classify4(const uint8_t *p, size_t len, int verify, struct request *r)
{
	size_t totlen;
	const uint8_t *icmp;
	uint32_t src, dst;

	if (len < 20 || p[0] >> 4 != 4)
		return;
	r->hlen = (size_t)(p[0] & 0x0f) * 4;
	if (r->hlen < 20 || r->hlen > len)
		return;
	totlen = te_get16(p + 2);
	if (totlen < r->hlen + 8 || totlen > len)
		return;
	if (te_get16(p + 6) & 0x3fff) /* MF or an offset */
		return;
	if (!ip4_options_ok(p + 20, r->hlen - 20))
		return;
	src = get32(p + 12);
	dst = get32(p + 16);
	if (!ip4_source_ok(src) || !ip4_destination_ok(dst))
		return;
	if (p[9] != 1)
		return;
	icmp = p + r->hlen;
	r->msglen = totlen - r->hlen;
	if (icmp[0] != 8 || icmp[1] != 0)
		return;
	r->ip_csum_ok = sum_ok(oc_sum(0, p, r->hlen));
	r->icmp_csum_ok = sum_ok(oc_sum(0, icmp, r->msglen));
	if (verify && (!r->ip_csum_ok || !r->icmp_csum_ok))
		return;
	r->family = 4;
	r->plain = r->hlen == 20 && ip4_ordinary(src) && ip4_ordinary(dst);
}

/* Neither unspecified, loopback, IPv4-mapped nor multicast: 0x01 to 0xfe first. */
static int ip6_ordinary(const uint8_t *a)
{
	return a[0] != 0 && a[0] != 0xff;
}

static void classify6(const uint8_t *p, size_t len, int verify, struct request *r)
{
	static const uint8_t zero[16];
	size_t plen;

	if (len < 40 || p[0] >> 4 != 6)
		return;
	r->hlen = 40;
	plen = te_get16(p + 4);
	if (plen < 8 || plen > len - 40)
		return;
	/* Sources: RFC 4443 §4.1; a multicast destination would make the
	 * reply's source multicast (the handler knows no unicast address). */
	if (p[8] == 0xff || !memcmp(p + 8, zero, 16) || p[24] == 0xff)
		return;
	if (p[6] != 58)
		return;
	if (p[40] != 128 || p[41] != 0)
		return;
	r->msglen = plen;
	r->icmp_csum_ok = sum_ok(oc_sum(pseudo6(p, plen), p + 40, plen));
	if (verify && !r->icmp_csum_ok)
		return;
	r->family = 6;
	r->plain = ip6_ordinary(p + 8) && ip6_ordinary(p + 24);
}

/* ------------------------------------------------------------------ */
/* The reply                                                          */
/* ------------------------------------------------------------------ */

/* The reply's options: only Record Route and Timestamp, whole, then EOL. */
static int reply_options_ok(const uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len && opt[i] != 0) {
		if ((opt[i] != 7 && opt[i] != 68) || len - i < 2 || opt[i + 1] < 3 ||
		    opt[i + 1] > len - i)
			return 0;
		i += opt[i + 1];
	}
	for (; i < len; i++)
		if (opt[i] != 0)
			return 0;
	return 1;
}

static void check_reply4(const uint8_t *req, const uint8_t *rep, size_t replen,
			 const struct request *r)
{
	size_t rhlen = (size_t)(rep[0] & 0x0f) * 4;
	const uint8_t *qicmp = req + r->hlen, *icmp = rep + rhlen;
	uint16_t want;

	CHECK(rep[0] >> 4 == 4 && rhlen >= 20 && rhlen <= r->hlen,
	      "IPv4 reply: version 4, options never more than the request's");
	CHECK(replen == rhlen + r->msglen, "IPv4 reply length is its header and the message");
	CHECK(reply_options_ok(rep + 20, rhlen - 20), "IPv4 reply echoes only RR and TS");
	CHECK(te_get16(rep + 2) == replen, "IPv4 reply: total length field");
	CHECK(te_get16(rep + 6) == 0, "IPv4 reply: no fragment, no DF (as Linux's replies)");
	CHECK(rep[8] == TE_REPLY_TTL, "IPv4 reply TTL");
	CHECK(rep[9] == 1, "IPv4 reply protocol ICMP");
	CHECK(!memcmp(rep + 12, req + 16, 4), "IPv4 reply source is the request's destination");
	CHECK(!memcmp(rep + 16, req + 12, 4), "IPv4 reply destination is the request's source");
	if (r->ip_csum_ok || r->hlen > 20) {
		/* Valid in, or a header rebuilt with its options: valid out. */
		CHECK(sum_ok(oc_sum(0, rep, rhlen)), "IPv4 reply header checksum valid");
	} else {
		/* The TTL/protocol and flags words changed; the address swap sums the same. */
		want = rfc1624(te_get16(req + 10), te_get16(req + 8), TE_REPLY_TTL << 8 | 1);
		want = rfc1624(want, te_get16(req + 6), 0);
		CHECK(te_get16(rep + 10) == want, "IPv4 header checksum updated by RFC 1624");
	}

	CHECK(icmp[0] == 0 && icmp[1] == 0, "ICMP reply: type 0 code 0");
	CHECK(!memcmp(icmp + 4, qicmp + 4, r->msglen - 4),
	      "ICMP reply: identifier, sequence and data identical");
	if (r->icmp_csum_ok) {
		CHECK(sum_ok(oc_sum(0, icmp, r->msglen)), "ICMP reply checksum valid");
	} else {
		want = rfc1624(te_get16(qicmp + 2), 8 << 8, 0 << 8);
		CHECK(te_get16(icmp + 2) == want, "ICMP checksum updated by RFC 1624");
	}
}

static void check_reply6(const uint8_t *req, const uint8_t *rep, size_t replen,
			 const struct request *r)
{
	const uint8_t *icmp = rep + 40;
	uint16_t want;

	CHECK(replen == 40 + r->msglen, "IPv6 reply length is the request's");
	CHECK(rep[0] >> 4 == 6, "IPv6 reply version");
	CHECK(te_get16(rep + 4) == r->msglen, "IPv6 reply payload length");
	CHECK(rep[6] == 58, "IPv6 reply next header ICMPv6");
	CHECK(rep[7] == TE_REPLY_TTL, "IPv6 reply hop limit");
	CHECK(!memcmp(rep + 8, req + 24, 16), "IPv6 reply source is the request's destination");
	CHECK(!memcmp(rep + 24, req + 8, 16), "IPv6 reply destination is the request's source");
	CHECK(icmp[0] == 129 && icmp[1] == 0, "ICMPv6 reply: type 129 code 0");
	CHECK(!memcmp(icmp + 4, req + 44, r->msglen - 4),
	      "ICMPv6 reply: identifier, sequence and data identical");
	if (r->icmp_csum_ok) {
		CHECK(sum_ok(oc_sum(pseudo6(rep, r->msglen), icmp, r->msglen)),
		      "ICMPv6 reply checksum valid over the pseudo-header");
	} else {
		want = rfc1624(te_get16(req + 42), 128 << 8, 129 << 8);
		CHECK(te_get16(icmp + 2) == want, "ICMPv6 checksum updated by RFC 1624");
	}
}

/* ------------------------------------------------------------------ */
/* The target                                                         */
/* ------------------------------------------------------------------ */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *req;
	uint8_t *buf;
	size_t len;
	int verify;
	struct tunecho_packet pkt;
	enum tunecho_verdict v;
	struct request r = {0};

	if (size < 1)
		return 0;
	verify = data[0] & MODE_VERIFY;
	req = data + 1;
	len = size - 1;

	/* Exactly the packet: ASan guards the byte after it. */
	buf = malloc(len);
	if (!buf && len)
		abort();
	if (len)
		memcpy(buf, req, len);
	pkt = (struct tunecho_packet){
	    .data = buf,
	    .len = len,
	    .room = len,
	    .reason = TUNECHO_DROP_UNHANDLED,
	    .ifname = "fuzz0",
	    .ifindex = 1,
	};

	v = te_icmp4_echo_ex(&pkt, verify, 0);
	if (v == TUNECHO_PASS)
		v = te_icmp6_echo_ex(&pkt, verify);
	CHECK(v == TUNECHO_PASS || v == TUNECHO_DROP || v == TUNECHO_ANSWER, "a known verdict");
	CHECK(pkt.data == buf, "the handlers keep the buffer");
	CHECK((unsigned)pkt.reason < TUNECHO_DROP_REASONS, "a known drop reason");

	classify4(req, len, verify, &r);
	if (!r.family) {
		memset(&r, 0, sizeof(r));
		classify6(req, len, verify, &r);
	}

	if (v == TUNECHO_ANSWER) {
		CHECK(r.family != 0, "an answer only to a valid echo request");
		CHECK(pkt.len <= pkt.room, "the reply fits the buffer");
		if (r.family == 4)
			check_reply4(req, buf, pkt.len, &r);
		else
			check_reply6(req, buf, pkt.len, &r);
	} else {
		CHECK(!r.plain, "a plainly valid echo request is answered");
		CHECK(pkt.len == len, "no answer: length unchanged");
		CHECK(len == 0 || !memcmp(buf, req, len), "no answer: buffer byte-identical");
	}
	free(buf);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The echo handlers against DESIGN.md, "Packet rules": golden request and
 * reply pairs, every rule as a case that must not be answered (with the
 * verdict and reason packet.c documents), IPv4 options, checksum edge
 * values, the _ex variants and randomized properties.
 *
 * Requests are built here and checksummed with this file's own reference
 * implementation, never the library's; replies are checked field by field
 * against the request they answer.
 */
#include "common.h"

#include <stdint.h>

#include "packet.h"
#include "reference.h"

/* ------------------------------------------------------------------ */
/* Reference checksum and byte helpers                                */
/* ------------------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* The sum of @len bytes without the 16-bit word at even offset @at. */
static uint16_t ref_sum_skip(const uint8_t *p, size_t len, size_t at)
{
	return ones_add(ref_sum(p, at), ref_sum(p + at + 2, len - at - 2));
}

/* The checksum a from-scratch computation puts in the field at @at. */
static uint16_t ref_csum_at(const uint8_t *p, size_t len, size_t at)
{
	return (uint16_t)~ref_sum_skip(p, len, at);
}

/* Residue mod 0xffff: +0 and -0 are the same number. */
static unsigned residue(uint16_t s)
{
	return s % 0xffffu;
}

/* IPv6: the pseudo-header (RFC 8200 §8.1) plus the ICMPv6 message. */
static uint16_t ref_sum6(const uint8_t *p)
{
	size_t plen = get16(p + 4);
	uint16_t s = ref_sum(p + 8, 32);

	s = ones_add(s, ones_add((uint16_t)plen, 58));
	return ones_add(s, ref_sum(p + 40, plen));
}

/* The from-scratch ICMPv6 checksum field of the packet at @p. */
static uint16_t ref_csum6(const uint8_t *p)
{
	size_t plen = get16(p + 4);
	uint16_t s = ones_add(ref_sum(p + 8, 32), ones_add((uint16_t)plen, 58));

	return (uint16_t)~ones_add(s, ref_sum_skip(p + 40, plen, 2));
}

/* Big enough for the largest IPv6 packet (40 + 65535) plus trailing bytes. */
enum { BUF = 40 + 0xffff + 512 };
static uint8_t req_buf[BUF], rep_buf[BUF], data_buf[BUF];

/* ------------------------------------------------------------------ */
/* Request builders                                                   */
/* ------------------------------------------------------------------ */

struct v4 {
	uint8_t tos, ttl, proto;
	uint16_t ipid, frag;
	uint32_t src, dst;
	uint8_t opts[40];
	size_t optlen; /* a multiple of 4 */
	uint8_t type, code;
	uint16_t id, seq;
	const uint8_t *data;
	size_t dlen;
};

struct v6 {
	uint32_t vtcfl; /* version, traffic class, flow label */
	uint8_t next, hops;
	uint8_t src[16], dst[16];
	uint8_t type, code;
	uint16_t id, seq;
	const uint8_t *data;
	size_t dlen;
};

static const uint8_t data4[16] = "tunecho!0123456";
static const uint8_t data6[11] = {'h', 'e', 'l', 'l', 'o', ',', ' ', 't', 'u', 'n', '!'};

/* The golden IPv4 request: 192.0.2.1 -> 198.51.100.7, DF, TTL 57. */
static struct v4 v4_default(void)
{
	return (struct v4){
	    .ttl = 57,
	    .proto = 1,
	    .ipid = 0x1c46,
	    .frag = 0x4000,
	    .src = 0xc0000201,
	    .dst = 0xc6336407,
	    .type = 8,
	    .id = 0x1234,
	    .seq = 1,
	    .data = data4,
	    .dlen = sizeof(data4),
	};
}

/* The golden IPv6 request: 2001:db8::1 -> 2001:db8:0:1::2, hop limit 255. */
static struct v6 v6_default(void)
{
	return (struct v6){
	    .vtcfl = 0x60012345,
	    .next = 58,
	    .hops = 255,
	    .src = {0x20, 0x01, 0x0d, 0xb8, [15] = 1},
	    .dst = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 2},
	    .type = 128,
	    .id = 0xbeef,
	    .seq = 7,
	    .data = data6,
	    .dlen = sizeof(data6),
	};
}

static size_t build4(uint8_t *b, const struct v4 *s)
{
	size_t hlen = 20 + s->optlen, len = hlen + 8 + s->dlen;
	uint8_t *icmp = b + hlen;

	ck_assert(s->optlen % 4 == 0 && s->optlen <= 40);
	ck_assert_uint_le(len, 0xffff);
	memset(b, 0, hlen + 8);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	b[1] = s->tos;
	put16(b + 2, (uint16_t)len);
	put16(b + 4, s->ipid);
	put16(b + 6, s->frag);
	b[8] = s->ttl;
	b[9] = s->proto;
	put32(b + 12, s->src);
	put32(b + 16, s->dst);
	memcpy(b + 20, s->opts, s->optlen);
	icmp[0] = s->type;
	icmp[1] = s->code;
	put16(icmp + 4, s->id);
	put16(icmp + 6, s->seq);
	if (s->dlen)
		memcpy(icmp + 8, s->data, s->dlen);
	put16(icmp + 2, ref_csum_at(icmp, 8 + s->dlen, 2));
	put16(b + 10, ref_csum_at(b, hlen, 10));
	return len;
}

static size_t build6(uint8_t *b, const struct v6 *s)
{
	size_t plen = 8 + s->dlen;

	ck_assert_uint_le(plen, 0xffff);
	memset(b, 0, 48);
	put32(b, s->vtcfl);
	put16(b + 4, (uint16_t)plen);
	b[6] = s->next;
	b[7] = s->hops;
	memcpy(b + 8, s->src, 16);
	memcpy(b + 24, s->dst, 16);
	b[40] = s->type;
	b[41] = s->code;
	put16(b + 44, s->id);
	put16(b + 46, s->seq);
	if (s->dlen)
		memcpy(b + 48, s->data, s->dlen);
	put16(b + 42, ref_csum6(b));
	return 40 + plen;
}

/* Recompute the IPv4 header checksum after a change, when the IHL allows. */
static void fix_ip4(uint8_t *b, size_t len)
{
	size_t hlen = (size_t)(b[0] & 0x0f) * 4;

	if (hlen < 20)
		hlen = 20;
	if (hlen <= len)
		put16(b + 10, ref_csum_at(b, hlen, 10));
}

/* Recompute the ICMPv4 checksum over the declared ICMP message. */
static void fix_icmp4(uint8_t *b)
{
	size_t hlen = (size_t)(b[0] & 0x0f) * 4;

	put16(b + hlen + 2, ref_csum_at(b + hlen, get16(b + 2) - hlen, 2));
}

static void fix_icmp6(uint8_t *b)
{
	put16(b + 42, ref_csum6(b));
}

/*
 * Set the 16-bit word at even offset @at of @msg so that the whole of
 * @len bytes sums to -0 (0xffff): then a checksum field holding 0x0000
 * (from scratch) or 0xffff (the other zero) verifies.
 */
static void balance(uint8_t *msg, size_t len, size_t at)
{
	put16(msg + at, 0);
	put16(msg + at, (uint16_t)~ref_sum(msg, len));
	ck_assert_uint_eq(ref_sum(msg, len), 0xffff);
}

/* The same over the ICMPv6 pseudo-header and message. */
static void balance6(uint8_t *b, size_t at)
{
	put16(b + at, 0);
	put16(b + at, (uint16_t)~ref_sum6(b));
	ck_assert_uint_eq(ref_sum6(b), 0xffff);
}

/* ------------------------------------------------------------------ */
/* Running a handler and checking replies                             */
/* ------------------------------------------------------------------ */

typedef enum tunecho_verdict handler_fn(void *arg, struct tunecho_packet *pkt);

/* Not a reason: what pkt->reason holds when the handler left it alone. */
#define REASON_UNSET ((enum tunecho_drop_reason)TUNECHO_DROP_REASONS)

static enum tunecho_verdict ex4_lax(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	return te_icmp4_echo_ex(pkt, 0, 0);
}

static enum tunecho_verdict ex4_strict(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	return te_icmp4_echo_ex(pkt, 1, 0);
}

static enum tunecho_verdict ex6_lax(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	return te_icmp6_echo_ex(pkt, 0);
}

static enum tunecho_verdict ex6_strict(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	return te_icmp6_echo_ex(pkt, 1);
}

static const char *verdict_name(enum tunecho_verdict v)
{
	switch (v) {
	case TUNECHO_PASS:
		return "PASS";
	case TUNECHO_ANSWER:
		return "ANSWER";
	case TUNECHO_DROP:
		return "DROP";
	}
	return "?";
}

static const char *reason_name(enum tunecho_drop_reason r)
{
	return r == REASON_UNSET ? "(unset)" : tunecho_drop_reason_name(r);
}

struct outcome {
	enum tunecho_verdict verdict;
	enum tunecho_drop_reason reason;
	size_t len;
};

/*
 * Hand the @len bytes of @buf to @fn in a heap block of exactly that size,
 * so the sanitizers see any read past the packet, and copy the result
 * back. Whatever is not answered must come back byte for byte unchanged.
 */
static struct outcome run(handler_fn *fn, uint8_t *buf, size_t len)
{
	uint8_t *copy = malloc(len);
	struct tunecho_packet pkt = {.data = copy, .len = len, .room = len, .reason = REASON_UNSET};
	struct outcome o;

	ck_assert(copy != NULL || len == 0);
	if (len)
		memcpy(copy, buf, len);
	o.verdict = fn(NULL, &pkt);
	o.reason = pkt.reason;
	o.len = pkt.len;
	ck_assert_ptr_eq(pkt.data, copy);
	ck_assert_uint_eq(pkt.room, len);
	switch (o.verdict) {
	case TUNECHO_ANSWER:
		ck_assert_uint_ge(o.len, 1);
		ck_assert_uint_le(o.len, len);
		memcpy(buf, copy, len);
		break;
	case TUNECHO_DROP:
		ck_assert_msg(o.reason < TUNECHO_DROP_REASONS, "DROP without a reason");
		/* fall through */
	case TUNECHO_PASS:
		ck_assert_uint_eq(o.len, len);
		ck_assert_msg(len == 0 || memcmp(copy, buf, len) == 0, "%s left the buffer changed",
			      verdict_name(o.verdict));
		break;
	default:
		ck_abort_msg("verdict %d", (int)o.verdict);
	}
	free(copy);
	return o;
}

/* @fn must not answer @len bytes of @pkt, and say why with @v and @r. */
static void expect(const char *what, handler_fn *fn, const uint8_t *pkt, size_t len,
		   enum tunecho_verdict v, enum tunecho_drop_reason r)
{
	struct outcome o;

	memcpy(rep_buf, pkt, len);
	o = run(fn, rep_buf, len);
	ck_assert_msg(o.verdict == v && o.reason == r, "%s: got %s %s, want %s %s", what,
		      verdict_name(o.verdict), reason_name(o.reason), verdict_name(v),
		      reason_name(r));
}

/*
 * @rep (@replen bytes) must be the echo reply to the IPv4 request @req:
 * a 20-byte header (options stripped) with the request's TOS,
 * identification and flags, TTL 64, addresses swapped, the ICMP message
 * moved behind it as type 0 code 0, identifier, sequence and data
 * byte-identical. @verified: the request's checksums were valid, so the
 * reply's must be the from-scratch ones; otherwise the incremental update
 * must carry the request's error over unchanged (same sum mod 0xffff).
 */
static void check_reply4(const uint8_t *req, const uint8_t *rep, size_t replen, int verified)
{
	size_t hlen = (size_t)(req[0] & 0x0f) * 4, rhlen = (size_t)(rep[0] & 0x0f) * 4;
	size_t icmplen = get16(req + 2) - hlen;
	const uint8_t *qi = req + hlen, *ri = rep + rhlen;

	ck_assert_uint_eq(replen, rhlen + icmplen);
	ck_assert_uint_eq(rep[0] >> 4, 4);
	ck_assert_uint_le(rhlen, hlen); /* echoed options never grow */
	ck_assert_uint_eq(rep[1], req[1]);
	ck_assert_uint_eq(get16(rep + 2), replen);
	ck_assert_mem_eq(rep + 4, req + 4, 2); /* identification */
	ck_assert_uint_eq(get16(rep + 6), 0);  /* never DF, as Linux's replies */
	ck_assert_uint_eq(rep[8], TE_REPLY_TTL);
	ck_assert_uint_eq(rep[9], 1);
	ck_assert_mem_eq(rep + 12, req + 16, 4);
	ck_assert_mem_eq(rep + 16, req + 12, 4);
	if (verified || hlen > 20) {
		/* With options the header is summed afresh, so always valid. */
		ck_assert_uint_eq(ref_sum(rep, rhlen), 0xffff);
		ck_assert_uint_eq(get16(rep + 10), ref_csum_at(rep, rhlen, 10));
	} else {
		ck_assert_uint_eq(residue(ref_sum(rep, 20)), residue(ref_sum(req, 20)));
	}

	ck_assert_uint_eq(ri[0], 0);
	ck_assert_uint_eq(ri[1], 0);
	ck_assert_mem_eq(ri + 4, qi + 4, icmplen - 4);
	if (verified) {
		ck_assert_uint_eq(ref_sum(ri, icmplen), 0xffff);
		ck_assert_uint_eq(get16(ri + 2), ref_csum_at(ri, icmplen, 2));
	} else {
		ck_assert_uint_eq(residue(ref_sum(ri, icmplen)), residue(ref_sum(qi, icmplen)));
	}
}

/*
 * The same for IPv6: version, traffic class, flow label and payload length
 * kept, next header 58, hop limit 64, addresses swapped, type 129 code 0,
 * the rest identical; the checksum over the pseudo-header.
 */
static void check_reply6(const uint8_t *req, const uint8_t *rep, size_t replen, int verified)
{
	size_t plen = get16(req + 4);

	ck_assert_uint_eq(replen, 40 + plen);
	ck_assert_mem_eq(rep, req, 6);
	ck_assert_uint_eq(rep[6], 58);
	ck_assert_uint_eq(rep[7], TE_REPLY_TTL);
	ck_assert_mem_eq(rep + 8, req + 24, 16);
	ck_assert_mem_eq(rep + 24, req + 8, 16);
	ck_assert_uint_eq(rep[40], 129);
	ck_assert_uint_eq(rep[41], 0);
	ck_assert_mem_eq(rep + 44, req + 44, plen - 4);
	if (verified) {
		ck_assert_uint_eq(ref_sum6(rep), 0xffff);
		ck_assert_uint_eq(get16(rep + 42), ref_csum6(rep));
	} else {
		ck_assert_uint_eq(residue(ref_sum6(rep)), residue(ref_sum6(req)));
	}
}

/* @fn must answer the request of @len bytes at @req; check the reply. */
static size_t expect_reply4(handler_fn *fn, const uint8_t *req, size_t len, int verified)
{
	struct outcome o;

	memcpy(rep_buf, req, len);
	o = run(fn, rep_buf, len);
	ck_assert_msg(o.verdict == TUNECHO_ANSWER, "not answered: %s %s", verdict_name(o.verdict),
		      reason_name(o.reason));
	check_reply4(req, rep_buf, o.len, verified);
	return o.len;
}

static size_t expect_reply6(handler_fn *fn, const uint8_t *req, size_t len, int verified)
{
	struct outcome o;

	memcpy(rep_buf, req, len);
	o = run(fn, rep_buf, len);
	ck_assert_msg(o.verdict == TUNECHO_ANSWER, "not answered: %s %s", verdict_name(o.verdict),
		      reason_name(o.reason));
	check_reply6(req, rep_buf, o.len, verified);
	return o.len;
}

/* ------------------------------------------------------------------ */
/* Golden pairs (computed independently, in Python)                   */
/* ------------------------------------------------------------------ */

static const uint8_t v4_req[] = {
    0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x40, 0x00, /* version 4, IHL 5, length 44, id, DF */
    0x39, 0x01, 0x39, 0x4f, 0xc0, 0x00, 0x02, 0x01, /* TTL 57, ICMP, checksum, 192.0.2.1 */
    0xc6, 0x33, 0x64, 0x07, 0x08, 0x00, 0x63, 0xcc, /* 198.51.100.7; type 8, code 0, checksum */
    0x12, 0x34, 0x00, 0x01, 0x74, 0x75, 0x6e, 0x65, /* identifier 0x1234, sequence 1, data */
    0x63, 0x68, 0x6f, 0x21, 0x30, 0x31, 0x32, 0x33, /* data "tunecho!0123456" */
    0x34, 0x35, 0x36, 0x00,			    /* data */
};
static const uint8_t v4_rep[] = {
    0x45, 0x00, 0x00, 0x2c, 0x1c, 0x46, 0x00, 0x00, /* DF off, as Linux's replies */
    0x40, 0x01, 0x72, 0x4f, 0xc6, 0x33, 0x64, 0x07, /* TTL 64, checksum, 198.51.100.7 */
    0xc0, 0x00, 0x02, 0x01, 0x00, 0x00, 0x6b, 0xcc, /* 192.0.2.1; type 0, code 0, checksum */
    0x12, 0x34, 0x00, 0x01, 0x74, 0x75, 0x6e, 0x65, /* identifier, sequence, data unchanged */
    0x63, 0x68, 0x6f, 0x21, 0x30, 0x31, 0x32, 0x33, /* data */
    0x34, 0x35, 0x36, 0x00,			    /* data */
};

/* With a NOP and an empty record-route option, TTL 1, 5 data bytes. */
static const uint8_t v4opt_req[] = {
    0x47, 0x00, 0x00, 0x29, 0xbe, 0xef, 0x00, 0x00, /* IHL 7, length 41, id 0xbeef */
    0x01, 0x01, 0x04, 0x9e, 0xc0, 0x00, 0x02, 0x01, /* TTL 1, ICMP, checksum, 192.0.2.1 */
    0xc6, 0x33, 0x64, 0x07, 0x01, 0x07, 0x07, 0x04, /* 198.51.100.7; NOP, RR len 7 ptr 4 */
    0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x2a, 0x73, /* RR slot; type 8, code 0, checksum */
    0x01, 0x02, 0x03, 0x04, 0x41, 0x42, 0x43, 0x44, /* identifier 0x0102, sequence 0x0304, "ABCD" */
    0x45,					    /* "E" */
};
/* Record Route echoed as Linux does: our address in its one slot, then EOL. */
static const uint8_t v4opt_rep[] = {
    0x47, 0x00, 0x00, 0x29, 0xbe, 0xef, 0x00, 0x00, /* IHL 7, length 41 */
    0x40, 0x01, 0x00, 0x00, 0xc6, 0x33, 0x64, 0x07, /* TTL 64, checksum, 198.51.100.7 */
    0xc0, 0x00, 0x02, 0x01, 0x07, 0x07, 0x08, 0xc6, /* 192.0.2.1; RR len 7 ptr 8, */
    0x33, 0x64, 0x07, 0x00, 0x00, 0x00, 0x32, 0x73, /* 198.51.100.7, EOL; type 0, checksum */
    0x01, 0x02, 0x03, 0x04, 0x41, 0x42, 0x43, 0x44, /* identifier, sequence, "ABCD" */
    0x45,					    /* "E" */
};

static const uint8_t v6_req[] = {
    0x60, 0x01, 0x23, 0x45, 0x00, 0x13, 0x3a, 0xff, /* flow 0x12345, length 19, ICMPv6, hops 255 */
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* source 2001:db8::1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01, /* destination 2001:db8:0:1::2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x80, 0x00, 0x6a, 0x64, 0xbe, 0xef, 0x00, 0x07, /* type 128, code 0, checksum, id, seq 7 */
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x74, /* data "hello, tun!" */
    0x75, 0x6e, 0x21,				    /* data */
};
static const uint8_t v6_rep[] = {
    0x60, 0x01, 0x23, 0x45, 0x00, 0x13, 0x3a, 0x40, /* hop limit 64 */
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01, /* source 2001:db8:0:1::2 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, /* destination 2001:db8::1 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
    0x81, 0x00, 0x69, 0x64, 0xbe, 0xef, 0x00, 0x07, /* type 129, code 0, checksum, id, seq 7 */
    0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x2c, 0x20, 0x74, /* data unchanged */
    0x75, 0x6e, 0x21,				    /* data */
};

static struct v4 v4opt_default(void)
{
	static const uint8_t data[] = {'A', 'B', 'C', 'D', 'E'};
	struct v4 s = v4_default();

	s.ttl = 1;
	s.ipid = 0xbeef;
	s.frag = 0;
	memcpy(s.opts, (const uint8_t[]){1, 7, 7, 4, 0, 0, 0, 0}, 8);
	s.optlen = 8;
	s.id = 0x0102;
	s.seq = 0x0304;
	s.data = data;
	s.dlen = sizeof(data);
	return s;
}

/* The golden arrays are self-consistent, and the builder reproduces them. */
START_TEST(test_golden_vectors_are_valid)
{
	struct v4 s4 = v4_default(), so = v4opt_default();
	struct v6 s6 = v6_default();

	ck_assert_uint_eq(ref_sum(v4_req, 20), 0xffff);
	ck_assert_uint_eq(ref_sum(v4_req + 20, sizeof(v4_req) - 20), 0xffff);
	ck_assert_uint_eq(ref_sum(v4_rep, 20), 0xffff);
	ck_assert_uint_eq(ref_sum(v4_rep + 20, sizeof(v4_rep) - 20), 0xffff);
	ck_assert_uint_eq(ref_sum(v4opt_req, 28), 0xffff);
	ck_assert_uint_eq(ref_sum(v4opt_req + 28, sizeof(v4opt_req) - 28), 0xffff);
	ck_assert_uint_eq(ref_sum(v4opt_rep + 28, sizeof(v4opt_rep) - 28), 0xffff);
	ck_assert_uint_eq(ref_sum6(v6_req), 0xffff);
	ck_assert_uint_eq(ref_sum6(v6_rep), 0xffff);

	ck_assert_uint_eq(build4(req_buf, &s4), sizeof(v4_req));
	ck_assert_mem_eq(req_buf, v4_req, sizeof(v4_req));
	ck_assert_uint_eq(build4(req_buf, &so), sizeof(v4opt_req));
	ck_assert_mem_eq(req_buf, v4opt_req, sizeof(v4opt_req));
	ck_assert_uint_eq(build6(req_buf, &s6), sizeof(v6_req));
	ck_assert_mem_eq(req_buf, v6_req, sizeof(v6_req));
}
END_TEST

START_TEST(test_golden_ipv4_reply)
{
	struct outcome o;

	memcpy(req_buf, v4_req, sizeof(v4_req));
	o = run(te_icmp4_echo, req_buf, sizeof(v4_req));
	ck_assert_int_eq(o.verdict, TUNECHO_ANSWER);
	ck_assert_uint_eq(o.len, sizeof(v4_rep));
	ck_assert_mem_eq(req_buf, v4_rep, sizeof(v4_rep));
	check_reply4(v4_req, req_buf, o.len, 1);
}
END_TEST

START_TEST(test_golden_ipv4_reply_echoes_record_route)
{
	struct outcome o;
	uint8_t got[sizeof(v4opt_rep)];

	memcpy(req_buf, v4opt_req, sizeof(v4opt_req));
	o = run(te_icmp4_echo, req_buf, sizeof(v4opt_req));
	ck_assert_int_eq(o.verdict, TUNECHO_ANSWER);
	ck_assert_uint_eq(o.len, sizeof(v4opt_rep));
	ck_assert_uint_eq(ref_sum(req_buf, 28), 0xffff);
	memcpy(got, req_buf, sizeof(got));
	put16(got + 10, 0); /* the header checksum, checked above */
	ck_assert_mem_eq(got, v4opt_rep, sizeof(v4opt_rep));
	check_reply4(v4opt_req, req_buf, o.len, 1);
}
END_TEST

START_TEST(test_golden_ipv6_reply)
{
	struct outcome o;

	memcpy(req_buf, v6_req, sizeof(v6_req));
	o = run(te_icmp6_echo, req_buf, sizeof(v6_req));
	ck_assert_int_eq(o.verdict, TUNECHO_ANSWER);
	ck_assert_uint_eq(o.len, sizeof(v6_rep));
	ck_assert_mem_eq(req_buf, v6_rep, sizeof(v6_rep));
	check_reply6(v6_req, req_buf, o.len, 1);
}
END_TEST

START_TEST(test_each_handler_passes_the_other_family)
{
	expect("IPv6 request to the ICMPv4 handler", te_icmp4_echo, v6_req, sizeof(v6_req),
	       TUNECHO_PASS, REASON_UNSET);
	expect("IPv4 request to the ICMPv6 handler", te_icmp6_echo, v4_req, sizeof(v4_req),
	       TUNECHO_PASS, REASON_UNSET);
	expect("empty packet, ICMPv4 handler", te_icmp4_echo, v4_req, 0, TUNECHO_PASS,
	       REASON_UNSET);
	expect("empty packet, ICMPv6 handler", te_icmp6_echo, v6_req, 0, TUNECHO_PASS,
	       REASON_UNSET);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lengths                                                            */
/* ------------------------------------------------------------------ */

/* Data lengths: empty, odd, even, a full Ethernet MTU, and the maximum. */
static const size_t dlens4[] = {0, 1, 2, 3, 7, 8, 9, 56, 57, 63, 255, 1472, 1473, 65000, 65507};
static const size_t dlens6[] = {0, 1, 2, 3, 7, 8, 9, 56, 57, 63, 255, 1452, 1453, 65000, 65527};

START_TEST(test_ipv4_data_lengths_answered)
{
	struct v4 s = v4_default();
	size_t len;

	rng_seed(4);
	rng_fill(data_buf, BUF);
	s.data = data_buf;
	s.dlen = dlens4[_i];
	len = build4(req_buf, &s);
	ck_assert_uint_eq(len, 28 + s.dlen);
	ck_assert_uint_eq(expect_reply4(te_icmp4_echo, req_buf, len, 1), len);
}
END_TEST

START_TEST(test_ipv6_data_lengths_answered)
{
	struct v6 s = v6_default();
	size_t len;

	rng_seed(6);
	rng_fill(data_buf, BUF);
	s.data = data_buf;
	s.dlen = dlens6[_i];
	len = build6(req_buf, &s);
	ck_assert_uint_eq(len, 48 + s.dlen);
	ck_assert_uint_eq(expect_reply6(te_icmp6_echo, req_buf, len, 1), len);
}
END_TEST

START_TEST(test_ipv4_short_packets_never_answered)
{
	/* Every prefix of a 28-byte request (no data), and headers that claim it. */
	struct v4 s = v4_default();
	char what[64];

	s.dlen = 0;
	ck_assert_uint_eq(build4(req_buf, &s), 28);
	for (size_t len = 0; len < 28; len++) {
		snprintf(what, sizeof(what), "first %zu bytes", len);
		expect(what, te_icmp4_echo, req_buf, len, len ? TUNECHO_DROP : TUNECHO_PASS,
		       len ? TUNECHO_DROP_TRUNCATED : REASON_UNSET);
		expect(what, te_icmp6_echo, req_buf, len, TUNECHO_PASS, REASON_UNSET);
		expect(what, ex4_lax, req_buf, len, len ? TUNECHO_DROP : TUNECHO_PASS,
		       len ? TUNECHO_DROP_TRUNCATED : REASON_UNSET);
	}
	/* A consistent header whose ICMP part is 0..7 bytes. */
	for (size_t len = 20; len < 28; len++) {
		build4(req_buf, &s);
		put16(req_buf + 2, (uint16_t)len);
		fix_ip4(req_buf, len);
		snprintf(what, sizeof(what), "total length %zu", len);
		expect(what, te_icmp4_echo, req_buf, len, TUNECHO_DROP, TUNECHO_DROP_TRUNCATED);
		expect(what, ex4_lax, req_buf, len, TUNECHO_DROP, TUNECHO_DROP_TRUNCATED);
	}
}
END_TEST

START_TEST(test_ipv6_short_packets_never_answered)
{
	struct v6 s = v6_default();
	char what[64];

	s.dlen = 0;
	ck_assert_uint_eq(build6(req_buf, &s), 48);
	for (size_t len = 0; len < 48; len++) {
		snprintf(what, sizeof(what), "first %zu bytes", len);
		expect(what, te_icmp6_echo, req_buf, len, len ? TUNECHO_DROP : TUNECHO_PASS,
		       len ? TUNECHO_DROP_TRUNCATED : REASON_UNSET);
		expect(what, te_icmp4_echo, req_buf, len, TUNECHO_PASS, REASON_UNSET);
		expect(what, ex6_lax, req_buf, len, len ? TUNECHO_DROP : TUNECHO_PASS,
		       len ? TUNECHO_DROP_TRUNCATED : REASON_UNSET);
	}
	/* Payload length matching the bytes: 0 is a jumbogram, 1..7 too short. */
	for (size_t len = 40; len < 48; len++) {
		build6(req_buf, &s);
		put16(req_buf + 4, (uint16_t)(len - 40));
		snprintf(what, sizeof(what), "payload length %zu", len - 40);
		expect(what, te_icmp6_echo, req_buf, len, TUNECHO_DROP,
		       len == 40 ? TUNECHO_DROP_BAD_HEADER : TUNECHO_DROP_TRUNCATED);
		expect(what, ex6_lax, req_buf, len, TUNECHO_DROP,
		       len == 40 ? TUNECHO_DROP_BAD_HEADER : TUNECHO_DROP_TRUNCATED);
	}
}
END_TEST

START_TEST(test_version_neither_4_nor_6_passes_both_handlers)
{
	char what[64];

	for (unsigned version = 0; version < 16; version++) {
		if (version == 4 || version == 6)
			continue;
		memcpy(req_buf, v4_req, sizeof(v4_req));
		req_buf[0] = (uint8_t)(version << 4 | 5);
		snprintf(what, sizeof(what), "version %u (IPv4 body)", version);
		expect(what, te_icmp4_echo, req_buf, sizeof(v4_req), TUNECHO_PASS, REASON_UNSET);
		expect(what, te_icmp6_echo, req_buf, sizeof(v4_req), TUNECHO_PASS, REASON_UNSET);
		expect(what, te_icmp6_echo, req_buf, 1, TUNECHO_PASS, REASON_UNSET);
		memcpy(req_buf, v6_req, sizeof(v6_req));
		req_buf[0] = (uint8_t)(version << 4);
		snprintf(what, sizeof(what), "version %u (IPv6 body)", version);
		expect(what, te_icmp4_echo, req_buf, sizeof(v6_req), TUNECHO_PASS, REASON_UNSET);
		expect(what, te_icmp6_echo, req_buf, sizeof(v6_req), TUNECHO_PASS, REASON_UNSET);
		expect(what, ex4_lax, req_buf, 1, TUNECHO_PASS, REASON_UNSET);
	}
}
END_TEST

START_TEST(test_ipv4_trailing_bytes_ignored)
{
	static const size_t extra[] = {1, 2, 3, 64, 300};
	struct v4 s = v4_default();

	rng_seed(0x7a11);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		for (int opts = 0; opts < 2; opts++) {
			size_t len;

			s = opts ? v4opt_default() : v4_default();
			len = build4(req_buf, &s);
			rng_fill(req_buf + len, extra[i]);
			/* v4opt_default()'s one-slot Record Route is echoed at its size. */
			ck_assert_uint_eq(expect_reply4(te_icmp4_echo, req_buf, len + extra[i], 1),
					  len);
		}
	}
}
END_TEST

START_TEST(test_ipv6_trailing_bytes_ignored)
{
	static const size_t extra[] = {1, 2, 3, 64, 300};

	rng_seed(0x7a16);
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		memcpy(req_buf, v6_req, sizeof(v6_req));
		rng_fill(req_buf + sizeof(v6_req), extra[i]);
		ck_assert_uint_eq(
		    expect_reply6(te_icmp6_echo, req_buf, sizeof(v6_req) + extra[i], 1),
		    sizeof(v6_req));
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Checksum edge values                                               */
/* ------------------------------------------------------------------ */

/* The first data word chosen so the request's ICMP sum is -0. */
START_TEST(test_ipv4_icmp_checksum_field_0000_and_ffff)
{
	static const size_t dlens[] = {2, 3, 8, 57, 1472};
	struct v4 s = v4_default();

	rng_seed(0);
	for (size_t i = 0; i < sizeof(dlens) / sizeof(dlens[0]); i++) {
		for (uint16_t field = 0; field < 2; field++) {
			size_t len;
			uint8_t *icmp = req_buf + 20;

			rng_fill(data_buf, dlens[i]);
			s.data = data_buf;
			s.dlen = dlens[i];
			len = build4(req_buf, &s);
			put16(icmp + 2, 0);
			balance(icmp, len - 20, 8); /* first data word */
			ck_assert_uint_eq(ref_csum_at(icmp, len - 20, 2), 0x0000);
			put16(icmp + 2, field ? 0xffff : 0x0000);
			ck_assert_uint_eq(ref_sum(icmp, len - 20), 0xffff);
			expect_reply4(te_icmp4_echo, req_buf, len, 1);
		}
	}
}
END_TEST

/* The reply's ICMP sum is -0: its checksum is 0x0000. */
START_TEST(test_ipv4_icmp_reply_checksum_0000)
{
	struct v4 s = v4_default();
	uint8_t *icmp = req_buf + 20;
	size_t len = build4(req_buf, &s);

	icmp[0] = 0; /* reply form */
	put16(icmp + 2, 0);
	balance(icmp, len - 20, 8);
	icmp[0] = 8;
	fix_icmp4(req_buf);
	len = expect_reply4(te_icmp4_echo, req_buf, len, 1);
	ck_assert_uint_eq(get16(rep_buf + 22), 0x0000);

	/* Zero data but identifier 0xffff: the sum is -0, not +0: 0x0000 again. */
	s.id = 0xffff;
	s.seq = 0;
	s.data = (const uint8_t[8]){0};
	s.dlen = 8;
	len = build4(req_buf, &s);
	expect_reply4(te_icmp4_echo, req_buf, len, 1);
	ck_assert_uint_eq(get16(rep_buf + 22), 0x0000);
}
END_TEST

/*
 * Identifier 0, sequence 0 and zero data: the reply is all zeros, whose
 * only valid checksum is 0xffff (RFC 1624's eq. 3 alone would give 0x0000,
 * which no receiver accepts).
 */
START_TEST(test_ipv4_all_zero_reply_checksum_ffff)
{
	static const uint8_t zeros[64];
	static const size_t dlens[] = {0, 1, 2, 8, 57, 64};
	struct v4 s = v4_default();

	for (size_t i = 0; i < sizeof(dlens) / sizeof(dlens[0]); i++) {
		size_t len;

		s.id = 0;
		s.seq = 0;
		s.data = zeros;
		s.dlen = dlens[i];
		len = build4(req_buf, &s);
		ck_assert_uint_eq(get16(req_buf + 22), 0xf7ff);
		expect_reply4(te_icmp4_echo, req_buf, len, 1);
		ck_assert_uint_eq(get16(rep_buf + 22), 0xffff);
		expect_reply4(ex4_lax, req_buf, len, 1);
		ck_assert_uint_eq(get16(rep_buf + 22), 0xffff);
	}
}
END_TEST

/* Identification chosen so the IPv4 header sums to -0. */
START_TEST(test_ipv4_header_checksum_0000_and_ffff)
{
	static const uint8_t ttls[] = {1, 57, 63, 64, 65, 255};
	struct v4 s = v4_default();

	for (size_t i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
		for (int field = 0; field < 2; field++) {
			size_t len;

			s.ttl = ttls[i];
			len = build4(req_buf, &s);
			put16(req_buf + 10, 0);
			balance(req_buf, 20, 4);
			put16(req_buf + 10, field ? 0xffff : 0x0000);
			ck_assert_uint_eq(ref_sum(req_buf, 20), 0xffff);
			expect_reply4(te_icmp4_echo, req_buf, len, 1);
		}
	}
}
END_TEST

/* Identification chosen so the reply's header sums to -0 (field 0x0000). */
START_TEST(test_ipv4_header_reply_checksum_0000)
{
	static const uint8_t ttls[] = {1, 57, 64, 255};
	struct v4 s = v4_default();

	for (size_t i = 0; i < sizeof(ttls) / sizeof(ttls[0]); i++) {
		size_t len;

		s.ttl = TE_REPLY_TTL;
		s.frag = 0; /* the reply clears DF: without it only the TTL moves */
		len = build4(req_buf, &s);
		put16(req_buf + 10, 0);
		balance(req_buf, 20, 4);
		req_buf[8] = ttls[i];
		fix_ip4(req_buf, len);
		expect_reply4(te_icmp4_echo, req_buf, len, 1);
		ck_assert_uint_eq(get16(rep_buf + 10), 0x0000);
	}
}
END_TEST

START_TEST(test_ipv6_checksum_field_0000_and_ffff)
{
	static const size_t dlens[] = {2, 3, 8, 57, 1452};
	struct v6 s = v6_default();

	rng_seed(66);
	for (size_t i = 0; i < sizeof(dlens) / sizeof(dlens[0]); i++) {
		for (int field = 0; field < 2; field++) {
			size_t len;

			rng_fill(data_buf, dlens[i]);
			s.data = data_buf;
			s.dlen = dlens[i];
			len = build6(req_buf, &s);
			put16(req_buf + 42, 0);
			balance6(req_buf, 48);
			ck_assert_uint_eq(ref_csum6(req_buf), 0x0000);
			put16(req_buf + 42, field ? 0xffff : 0x0000);
			ck_assert_uint_eq(ref_sum6(req_buf), 0xffff);
			expect_reply6(te_icmp6_echo, req_buf, len, 1);
		}
	}
}
END_TEST

START_TEST(test_ipv6_reply_checksum_0000)
{
	struct v6 s = v6_default();
	size_t len = build6(req_buf, &s);

	req_buf[40] = 129; /* reply form */
	put16(req_buf + 42, 0);
	balance6(req_buf, 48);
	req_buf[40] = 128;
	fix_icmp6(req_buf);
	expect_reply6(te_icmp6_echo, req_buf, len, 1);
	ck_assert_uint_eq(get16(rep_buf + 42), 0x0000);
}
END_TEST

/* ------------------------------------------------------------------ */
/* IPv4 options                                                       */
/* ------------------------------------------------------------------ */

/* Options with what the reply carries (Linux's ip_options_echo()): */
struct echo_case {
	const char *name;
	uint8_t opts[40];
	size_t len;
	uint8_t want[40];
	size_t want_len;
};

/* Our address (the request's destination), a stranger's, the clock of ex4_clock. */
#define SELF  0xc6, 0x33, 0x64, 0x07
#define OTHER 0xc6, 0x12, 0x00, 0x09
#define NOW   0x01, 0x02, 0x03, 0x04

static const struct echo_case valid_options[] = {
    {"four NOPs", {1, 1, 1, 1}, 4, {0}, 0},
    {"END and padding", {0, 0, 0, 0}, 4, {0}, 0},
    {"record route, one slot: stamped on receipt only",
     {7, 7, 4, 0, 0, 0, 0, 0},
     8,
     {7, 7, 8, SELF, 0},
     8},
    {"record route, full", {7, 7, 8, 192, 0, 2, 9, 0}, 8, {7, 7, 8, 192, 0, 2, 9, 0}, 8},
    {"record route, nine slots: stamped twice", {7, 39, 4}, 40, {7, 39, 12, SELF, SELF}, 40},
    {"timestamp: stamped twice", {68, 12, 5, 0}, 12, {68, 12, 13, 0, NOW, NOW}, 12},
    {"timestamp with addresses: stamped twice",
     {68, 20, 5, 1},
     20,
     {68, 20, 21, 1, SELF, NOW, SELF, NOW},
     20},
    {"prespecified timestamp, ours then another's",
     {68, 20, 5, 3, SELF, 0, 0, 0, 0, OTHER, 0, 0, 0, 0},
     20,
     {68, 20, 13, 3, SELF, NOW, OTHER, 0, 0, 0, 0},
     20},
    {"prespecified timestamp, another's first",
     {68, 12, 5, 3, OTHER, 0, 0, 0, 0},
     12,
     {68, 12, 5, 3, OTHER, 0, 0, 0, 0},
     12},
    {"full timestamp: overflow raised once",
     {68, 8, 9, 0x20, 1, 2, 3, 4},
     8,
     {68, 8, 9, 0x30, 1, 2, 3, 4},
     8},
    {"router alert: not echoed", {148, 4, 0, 0}, 4, {0}, 0},
    {"NOP, RR, TS, END: RR first, then TS, padded",
     {1, 7, 7, 4, 0, 0, 0, 0, 68, 8, 5, 0, 0, 0, 0, 0},
     16,
     {7, 7, 8, SELF, 68, 8, 9, 0, NOW, 0},
     16},
    {"TS before RR: RR first in the reply",
     {68, 8, 5, 0, 0, 0, 0, 0, 7, 7, 4, 0, 0, 0, 0, 0},
     16,
     {7, 7, 8, SELF, 68, 8, 9, 0, NOW, 0},
     16},
    {"unknown option, well formed: not echoed", {0x9e, 6, 1, 2, 3, 4, 1, 0}, 8, {0}, 0},
    {"garbage after END", {0, 131, 3, 4, 0xff, 0xff, 0xff, 0xff}, 8, {0}, 0},
    {"forty NOPs",
     {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
      1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},
     40,
     {0},
     0},
};

static enum tunecho_verdict ex4_clock(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	return te_icmp4_echo_ex(pkt, 1, 0x01020304);
}

START_TEST(test_ipv4_valid_options_echoed)
{
	const struct echo_case *c = &valid_options[_i];
	struct v4 s = v4_default();
	size_t len;

	memcpy(s.opts, c->opts, sizeof(s.opts));
	s.optlen = c->len;
	len = build4(req_buf, &s);
	ck_assert_uint_eq(req_buf[0], 0x45 + c->len / 4);
	ck_assert_msg(expect_reply4(ex4_clock, req_buf, len, 1) == len - c->len + c->want_len, "%s",
		      c->name);
	ck_assert_uint_eq(rep_buf[0], 0x45 + c->want_len / 4);
	ck_assert_mem_eq(rep_buf + 20, c->want, c->want_len);
	ck_assert_mem_eq(rep_buf + 28 + c->want_len, req_buf + 28 + c->len, len - 28 - c->len);
}
END_TEST

struct opt_case {
	const char *name;
	uint8_t opts[40];
	size_t len;
	enum tunecho_drop_reason why;
	bool at_reply; /* found only when the reply is built, after the ICMP checks */
};

#define BAD TUNECHO_DROP_BAD_OPTIONS
#define SRR TUNECHO_DROP_SOURCE_ROUTE

static const struct opt_case bad_options[] = {
    {"option length 0", {0x94, 0, 0, 0}, 4, BAD, false},
    {"option length 1", {0x94, 1, 0, 0}, 4, BAD, false},
    {"option length beyond the header", {0x94, 8, 0, 0}, 4, BAD, false},
    {"second option beyond the header", {1, 0x94, 4, 0, 0x94, 5, 0, 0}, 8, BAD, false},
    {"type byte alone at the end", {1, 1, 1, 0x94}, 4, BAD, false},
    {"router alert of length 2", {148, 2, 1, 1}, 4, BAD, false},
    {"record route length 0", {7, 0, 4, 0}, 4, BAD, false},
    {"record route length 2", {7, 2, 1, 0}, 4, BAD, false},
    {"record route pointer 3", {7, 7, 3, 0, 0, 0, 0, 0}, 8, BAD, false},
    {"record route beyond the header", {7, 11, 4, 0, 0, 0, 0, 0}, 8, BAD, false},
    {"record route twice", {7, 3, 4, 7, 3, 4, 0, 0}, 8, BAD, false},
    {"record route: no whole slot left for the reply's stamp",
     {7, 9, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0},
     12,
     BAD,
     true},
    {"timestamp length 3", {68, 3, 5, 0}, 4, BAD, false},
    {"timestamp pointer 4", {68, 8, 4, 0, 0, 0, 0, 0}, 8, BAD, false},
    {"timestamp twice", {68, 4, 5, 0, 68, 4, 5, 0}, 8, BAD, false},
    {"full timestamp whose overflow is at 15", {68, 8, 9, 0xf0, 0, 0, 0, 0}, 8, BAD, false},
    {"record route pointer mid-slot", {7, 7, 5, 0, 0, 0, 0, 0}, 8, BAD, false},
    {"timestamp with addresses, no room", {68, 8, 5, 1, 0, 0, 0, 0}, 8, BAD, false},
    {"CIPSO (no DOI configured)", {134, 6, 0, 0, 0, 1, 0, 0}, 8, BAD, false},
    {"loose source route", {131, 7, 4, 192, 0, 2, 9, 0}, 8, SRR, false},
    {"strict source route", {137, 7, 4, 192, 0, 2, 9, 0}, 8, SRR, false},
    {"loose source route after NOPs", {1, 1, 1, 131, 7, 4, 192, 0, 2, 9, 0, 0}, 12, SRR, false},
    {"strict source route after RR", {7, 3, 4, 137, 3, 4, 0, 0}, 8, SRR, false},
};

START_TEST(test_ipv4_bad_options_dropped)
{
	const struct opt_case *c = &bad_options[_i];
	struct v4 s = v4_default();
	size_t len;

	memcpy(s.opts, c->opts, sizeof(s.opts));
	s.optlen = c->len;
	len = build4(req_buf, &s);
	expect(c->name, te_icmp4_echo, req_buf, len, TUNECHO_DROP, c->why);
	expect(c->name, ex4_lax, req_buf, len, TUNECHO_DROP, c->why);
	/* A header-only packet: options must not be read past the header. */
	len = 20 + c->len;
	put16(req_buf + 2, (uint16_t)len);
	fix_ip4(req_buf, len);
	expect(c->name, te_icmp4_echo, req_buf, len, TUNECHO_DROP,
	       c->at_reply ? TUNECHO_DROP_TRUNCATED : c->why);
}
END_TEST

START_TEST(test_ipv4_total_length_inside_options_dropped)
{
	/* 28-byte header, total length 20..27: shorter than the header. */
	for (uint16_t totlen = 20; totlen < 28; totlen++) {
		memcpy(req_buf, v4opt_req, sizeof(v4opt_req));
		put16(req_buf + 2, totlen);
		fix_ip4(req_buf, sizeof(v4opt_req));
		expect("total length inside the options", te_icmp4_echo, req_buf, sizeof(v4opt_req),
		       TUNECHO_DROP, TUNECHO_DROP_BAD_HEADER);
		expect("total length inside the options", ex4_lax, req_buf, sizeof(v4opt_req),
		       TUNECHO_DROP, TUNECHO_DROP_BAD_HEADER);
	}
}
END_TEST

/* ------------------------------------------------------------------ */
/* Rules: the packets that are not answered                           */
/* ------------------------------------------------------------------ */

enum { FIX_IP = 1, FIX_ICMP = 2, FIX_ICMP_NO_PSEUDO = 4 };

/* A valid request with @n bytes at offset @at replaced, then refixed. */
struct rule_case {
	const char *name;
	size_t at, n;
	uint8_t bytes[16];
	int fix;
	enum tunecho_verdict verdict;
	enum tunecho_drop_reason reason;
};

#define AT(off, ...) .at = (off), .n = sizeof((uint8_t[]){__VA_ARGS__}), .bytes = {__VA_ARGS__}
#define DROP(r)	     .verdict = TUNECHO_DROP, .reason = TUNECHO_DROP_##r
#define PASS(r)	     .verdict = TUNECHO_PASS, .reason = TUNECHO_DROP_##r

/* Offsets in the golden IPv4 request (44 bytes: 20 header, 8 ICMP, 16 data). */
static const struct rule_case rules4[] = {
    {"IHL 0", AT(0, 0x40), 0, DROP(BAD_HEADER)},
    {"IHL 4", AT(0, 0x44), 0, DROP(BAD_HEADER)},
    {"IHL 4 with a matching checksum", AT(0, 0x44), FIX_IP, DROP(BAD_HEADER)},
    {"IHL 12 beyond 44 bytes", AT(0, 0x4c), 0, DROP(TRUNCATED)},
    {"IHL 15 beyond 44 bytes", AT(0, 0x4f), 0, DROP(TRUNCATED)},
    {"IP checksum wrong: TOS changed", AT(1, 0x10), 0, DROP(BAD_IP_CHECKSUM)},
    {"IP checksum wrong: field zeroed", AT(10, 0, 0), 0, DROP(BAD_IP_CHECKSUM)},
    {"IP checksum wrong: field 0xffff", AT(10, 0xff, 0xff), 0, DROP(BAD_IP_CHECKSUM)},
    {"IP checksum wrong: source changed", AT(15, 0x03), 0, DROP(BAD_IP_CHECKSUM)},
    {"IP checksum wrong: TTL changed", AT(8, 64), 0, DROP(BAD_IP_CHECKSUM)},
    {"total length 0", AT(2, 0, 0), FIX_IP, DROP(BAD_HEADER)},
    {"total length 19 < header", AT(2, 0, 19), FIX_IP, DROP(BAD_HEADER)},
    {"total length 45 > 44 bytes", AT(2, 0, 45), FIX_IP, DROP(TRUNCATED)},
    {"total length 65535", AT(2, 0xff, 0xff), FIX_IP, DROP(TRUNCATED)},
    {"fragment: MF", AT(6, 0x20, 0x00), FIX_IP, DROP(FRAGMENT)},
    {"fragment: MF and DF", AT(6, 0x60, 0x00), FIX_IP, DROP(FRAGMENT)},
    {"fragment: offset 1", AT(6, 0x00, 0x01), FIX_IP, DROP(FRAGMENT)},
    {"fragment: offset 0x1fff", AT(6, 0x1f, 0xff), FIX_IP, DROP(FRAGMENT)},
    {"fragment: MF and offset 185", AT(6, 0x20, 0xb9), FIX_IP, DROP(FRAGMENT)},
    {"source 0.0.0.0", AT(12, 0, 0, 0, 0), FIX_IP, DROP(BAD_SOURCE)},
    {"source 0.1.2.3", AT(12, 0, 1, 2, 3), FIX_IP, DROP(BAD_SOURCE)},
    {"source 127.0.0.1", AT(12, 127, 0, 0, 1), FIX_IP, DROP(BAD_SOURCE)},
    {"source 127.255.255.254", AT(12, 127, 255, 255, 254), FIX_IP, DROP(BAD_SOURCE)},
    {"source 224.0.0.1", AT(12, 224, 0, 0, 1), FIX_IP, DROP(BAD_SOURCE)},
    {"source 239.255.255.255", AT(12, 239, 255, 255, 255), FIX_IP, DROP(BAD_SOURCE)},
    {"source 255.255.255.255", AT(12, 255, 255, 255, 255), FIX_IP, DROP(BAD_SOURCE)},
    {"destination 0.0.0.0", AT(16, 0, 0, 0, 0), FIX_IP, DROP(BAD_DESTINATION)},
    {"destination 0.0.0.7", AT(16, 0, 0, 0, 7), FIX_IP, DROP(BAD_DESTINATION)},
    {"destination 127.0.0.1", AT(16, 127, 0, 0, 1), FIX_IP, DROP(BAD_DESTINATION)},
    {"destination 224.0.0.1", AT(16, 224, 0, 0, 1), FIX_IP, DROP(BAD_DESTINATION)},
    {"destination 239.1.2.3", AT(16, 239, 1, 2, 3), FIX_IP, DROP(BAD_DESTINATION)},
    {"destination 255.255.255.255", AT(16, 255, 255, 255, 255), FIX_IP, DROP(BAD_DESTINATION)},
    {"protocol UDP", AT(9, 17), FIX_IP, PASS(NOT_ICMP)},
    {"protocol TCP", AT(9, 6), FIX_IP, PASS(NOT_ICMP)},
    {"protocol ICMPv6 over IPv4", AT(9, 58), FIX_IP, PASS(NOT_ICMP)},
    {"protocol 0", AT(9, 0), FIX_IP, PASS(NOT_ICMP)},
    {"ICMP checksum wrong: data changed", AT(28, 0xee), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"ICMP checksum wrong: last byte changed", AT(43, 0x01), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"ICMP checksum wrong: field zeroed", AT(22, 0, 0), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"ICMP checksum wrong: identifier changed", AT(24, 0x43, 0x21), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"ICMP type 0, echo reply", AT(20, 0), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 3, destination unreachable", AT(20, 3), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 4, source quench", AT(20, 4), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 5, redirect", AT(20, 5), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 11, time exceeded", AT(20, 11), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 12, parameter problem", AT(20, 12), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 13, timestamp", AT(20, 13), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 14, timestamp reply", AT(20, 14), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 17, address mask", AT(20, 17), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 42, extended echo", AT(20, 42), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 128, ICMPv6's echo", AT(20, 128), FIX_ICMP, PASS(NOT_ECHO)},
    {"ICMP type 255", AT(20, 255), FIX_ICMP, PASS(NOT_ECHO)},
    {"echo code 1", AT(21, 1), FIX_ICMP, PASS(BAD_CODE)},
    {"echo code 255", AT(21, 255), FIX_ICMP, PASS(BAD_CODE)},
    {"ICMP 0 bytes", AT(2, 0, 20), FIX_IP, DROP(TRUNCATED)},
    {"ICMP 4 bytes", AT(2, 0, 24), FIX_IP, DROP(TRUNCATED)},
    {"ICMP 7 bytes", AT(2, 0, 27), FIX_IP, DROP(TRUNCATED)},
};

static void apply(uint8_t *b, const struct rule_case *c)
{
	ck_assert_msg(memcmp(b + c->at, c->bytes, c->n) != 0, "%s: changes nothing", c->name);
	memcpy(b + c->at, c->bytes, c->n);
}

START_TEST(test_ipv4_rule_not_answered)
{
	const struct rule_case *c = &rules4[_i];
	size_t len = sizeof(v4_req);

	memcpy(req_buf, v4_req, len);
	apply(req_buf, c);
	if (c->fix & FIX_ICMP)
		fix_icmp4(req_buf);
	if (c->fix & FIX_IP)
		fix_ip4(req_buf, len);
	expect(c->name, te_icmp4_echo, req_buf, len, c->verdict, c->reason);
	expect(c->name, ex4_strict, req_buf, len, c->verdict, c->reason);
	expect(c->name, te_icmp6_echo, req_buf, len, TUNECHO_PASS, REASON_UNSET);
	/* Without checksum checks, the other rules still hold. */
	if (c->reason != TUNECHO_DROP_BAD_IP_CHECKSUM &&
	    c->reason != TUNECHO_DROP_BAD_ICMP_CHECKSUM)
		expect(c->name, ex4_lax, req_buf, len, c->verdict, c->reason);
}
END_TEST

/* Offsets in the golden IPv6 request (59 bytes: 40 header, 8 ICMPv6, 11 data). */
static const struct rule_case rules6[] = {
    {"payload length 0", AT(4, 0, 0), 0, DROP(BAD_HEADER)},
    {"payload length 20 > 19 bytes", AT(4, 0, 20), 0, DROP(TRUNCATED)},
    {"payload length 65535", AT(4, 0xff, 0xff), 0, DROP(TRUNCATED)},
    {"ICMPv6 4 bytes", AT(4, 0, 4), 0, DROP(TRUNCATED)},
    {"ICMPv6 7 bytes", AT(4, 0, 7), 0, DROP(TRUNCATED)},
    {"source ff02::1", AT(8, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), FIX_ICMP,
     DROP(BAD_SOURCE)},
    {"source ff0e::1:2", AT(8, 0xff, 0x0e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2), FIX_ICMP,
     DROP(BAD_SOURCE)},
    {"source ::", AT(8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), FIX_ICMP,
     DROP(BAD_SOURCE)},
    {"source ::1", AT(8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), FIX_ICMP,
     DROP(BAD_SOURCE)},
    {"source ::ffff:198.18.0.1", AT(8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 18, 0, 1),
     FIX_ICMP, DROP(BAD_SOURCE)},
    {"destination ff02::1", AT(24, 0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), FIX_ICMP,
     DROP(BAD_DESTINATION)},
    {"destination ff05::1:3", AT(24, 0xff, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 3),
     FIX_ICMP, DROP(BAD_DESTINATION)},
    {"destination ::", AT(24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), FIX_ICMP,
     DROP(BAD_DESTINATION)},
    {"destination ::1", AT(24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), FIX_ICMP,
     DROP(BAD_DESTINATION)},
    {"next header 0, hop-by-hop", AT(6, 0), 0, PASS(EXT_HEADER)},
    {"next header 43, routing", AT(6, 43), 0, PASS(EXT_HEADER)},
    {"next header 44, fragment", AT(6, 44), 0, PASS(EXT_HEADER)},
    {"next header 50, ESP", AT(6, 50), 0, PASS(EXT_HEADER)},
    {"next header 51, AH", AT(6, 51), 0, PASS(EXT_HEADER)},
    {"next header 60, destination options", AT(6, 60), 0, PASS(EXT_HEADER)},
    {"next header 135, mobility", AT(6, 135), 0, PASS(EXT_HEADER)},
    {"next header 17, UDP", AT(6, 17), 0, PASS(NOT_ICMP)},
    {"next header 6, TCP", AT(6, 6), 0, PASS(NOT_ICMP)},
    {"next header 1, ICMPv4", AT(6, 1), 0, PASS(NOT_ICMP)},
    {"next header 59, no next header", AT(6, 59), 0, PASS(NOT_ICMP)},
    {"checksum wrong: data changed", AT(48, 0xee), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"checksum wrong: odd last byte changed", AT(58, 0x00), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"checksum wrong: field zeroed", AT(42, 0, 0), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"checksum wrong: source changed", AT(23, 0x05), 0, DROP(BAD_ICMP_CHECKSUM)},
    {"checksum wrong: without the pseudo-header", AT(42, 0, 0), FIX_ICMP_NO_PSEUDO,
     DROP(BAD_ICMP_CHECKSUM)},
    {"type 1, destination unreachable", AT(40, 1), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 2, packet too big", AT(40, 2), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 3, time exceeded", AT(40, 3), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 4, parameter problem", AT(40, 4), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 129, echo reply", AT(40, 129), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 133, router solicitation", AT(40, 133), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 135, neighbour solicitation", AT(40, 135), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 143, MLDv2 report", AT(40, 143), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 8, ICMPv4's echo", AT(40, 8), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 160, extended echo", AT(40, 160), FIX_ICMP, PASS(NOT_ECHO)},
    {"type 255", AT(40, 255), FIX_ICMP, PASS(NOT_ECHO)},
    {"echo code 1", AT(41, 1), FIX_ICMP, PASS(BAD_CODE)},
    {"echo code 255", AT(41, 255), FIX_ICMP, PASS(BAD_CODE)},
};

START_TEST(test_ipv6_rule_not_answered)
{
	const struct rule_case *c = &rules6[_i];
	size_t len = sizeof(v6_req);

	memcpy(req_buf, v6_req, len);
	apply(req_buf, c);
	if (c->fix & FIX_ICMP)
		fix_icmp6(req_buf);
	if (c->fix & FIX_ICMP_NO_PSEUDO) {
		put16(req_buf + 42, ref_csum_at(req_buf + 40, len - 40, 2));
		ck_assert_uint_ne(ref_sum6(req_buf), 0xffff);
	}
	expect(c->name, te_icmp6_echo, req_buf, len, c->verdict, c->reason);
	expect(c->name, ex6_strict, req_buf, len, c->verdict, c->reason);
	expect(c->name, te_icmp4_echo, req_buf, len, TUNECHO_PASS, REASON_UNSET);
	if (c->reason != TUNECHO_DROP_BAD_ICMP_CHECKSUM)
		expect(c->name, ex6_lax, req_buf, len, c->verdict, c->reason);
}
END_TEST

/* The controls: what the rules allow is answered. */
START_TEST(test_allowed_variations_answered)
{
	struct v4 s4 = v4_default();
	struct v6 s6 = v6_default();
	size_t len;

	s4.frag = 0; /* DF clear */
	expect_reply4(te_icmp4_echo, req_buf, build4(req_buf, &s4), 1);
	s4 = v4_default();
	s4.tos = 0xb8;
	s4.ttl = 1;
	s4.src = 0xc613fffe; /* 198.19.255.254, the top of the benchmarking range */
	s4.dst = 0xdfffffff; /* 223.255.255.255, the last unicast */
	expect_reply4(te_icmp4_echo, req_buf, build4(req_buf, &s4), 1);
	s4.src = 0x01000000; /* 1.0.0.0 */
	s4.dst = 0x80000001;
	s4.ttl = 255;
	expect_reply4(te_icmp4_echo, req_buf, build4(req_buf, &s4), 1);

	s6.vtcfl = 0x6fffffff;
	s6.hops = 1;
	memcpy(s6.src, (const uint8_t[16]){0xfe, 0x80, [15] = 1}, 16);
	memcpy(s6.dst, (const uint8_t[16]){0xfe, 0x80, [14] = 0x12, [15] = 0x34}, 16);
	expect_reply6(te_icmp6_echo, req_buf, build6(req_buf, &s6), 1);
	/* Hop limit is not covered by the checksum: any value is answered. */
	len = build6(req_buf, &s6);
	req_buf[7] = 0;
	expect_reply6(te_icmp6_echo, req_buf, len, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The _ex variants                                                   */
/* ------------------------------------------------------------------ */

/* The test's own RFC 1624 eq. 3, for the expected field values. */
static uint16_t eq3(uint16_t hc, uint16_t old, uint16_t new)
{
	return (uint16_t)~ones_add(ones_add((uint16_t)~hc, (uint16_t)~old), new);
}

START_TEST(test_ipv4_ex_without_verification_updates_wrong_checksums)
{
	static const uint16_t errors[] = {0x0001, 0x1234, 0x8000, 0xfffe};

	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		uint16_t ip_field, icmp_field;

		memcpy(req_buf, v4_req, sizeof(v4_req));
		ip_field = (uint16_t)(get16(req_buf + 10) + errors[i]);
		icmp_field = (uint16_t)(get16(req_buf + 22) ^ errors[i]);
		put16(req_buf + 10, ip_field);
		put16(req_buf + 22, icmp_field);
		expect("both checksums wrong", te_icmp4_echo, req_buf, sizeof(v4_req), TUNECHO_DROP,
		       TUNECHO_DROP_BAD_IP_CHECKSUM);
		expect("both checksums wrong", ex4_strict, req_buf, sizeof(v4_req), TUNECHO_DROP,
		       TUNECHO_DROP_BAD_IP_CHECKSUM);
		ck_assert_uint_eq(expect_reply4(ex4_lax, req_buf, sizeof(v4_req), 0),
				  sizeof(v4_req));
		/* Type 8 -> 0, TTL 57 -> 64, DF off: exactly eq. 3 of the wrong fields. */
		ck_assert_uint_eq(get16(rep_buf + 22), eq3(icmp_field, 0x0800, 0x0000));
		ck_assert_uint_eq(get16(rep_buf + 10),
				  eq3(eq3(ip_field, 0x3901, 0x4001), 0x4000, 0x0000));
		ck_assert_uint_ne(ref_sum(rep_buf + 20, sizeof(v4_req) - 20), 0xffff);

		/* Only the ICMP checksum wrong. */
		memcpy(req_buf, v4_req, sizeof(v4_req));
		put16(req_buf + 22, icmp_field);
		expect("ICMP checksum wrong", ex4_strict, req_buf, sizeof(v4_req), TUNECHO_DROP,
		       TUNECHO_DROP_BAD_ICMP_CHECKSUM);
		expect_reply4(ex4_lax, req_buf, sizeof(v4_req), 0);
		ck_assert_uint_eq(get16(rep_buf + 22), eq3(icmp_field, 0x0800, 0x0000));
		ck_assert_uint_eq(get16(rep_buf + 10), get16(v4_rep + 10));
	}
}
END_TEST

START_TEST(test_ipv4_ex_without_verification_with_options)
{
	/* A header with options is summed afresh: valid even from a wrong one. */
	memcpy(req_buf, v4opt_req, sizeof(v4opt_req));
	put16(req_buf + 10, 0x1111);
	put16(req_buf + 30, 0x2222);
	expect("wrong checksums and options", te_icmp4_echo, req_buf, sizeof(v4opt_req),
	       TUNECHO_DROP, TUNECHO_DROP_BAD_IP_CHECKSUM);
	expect_reply4(ex4_lax, req_buf, sizeof(v4opt_req), 0);
	ck_assert_uint_eq(ref_sum(rep_buf, 28), 0xffff);
	ck_assert_uint_eq(get16(rep_buf + 30), eq3(0x2222, 0x0800, 0x0000));
}
END_TEST

START_TEST(test_ipv6_ex_without_verification_updates_wrong_checksum)
{
	static const uint16_t errors[] = {0x0001, 0x1234, 0x8000, 0xfffe};

	for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++) {
		uint16_t field;

		memcpy(req_buf, v6_req, sizeof(v6_req));
		field = (uint16_t)(get16(req_buf + 42) + errors[i]);
		put16(req_buf + 42, field);
		expect("checksum wrong", te_icmp6_echo, req_buf, sizeof(v6_req), TUNECHO_DROP,
		       TUNECHO_DROP_BAD_ICMP_CHECKSUM);
		expect("checksum wrong", ex6_strict, req_buf, sizeof(v6_req), TUNECHO_DROP,
		       TUNECHO_DROP_BAD_ICMP_CHECKSUM);
		ck_assert_uint_eq(expect_reply6(ex6_lax, req_buf, sizeof(v6_req), 0),
				  sizeof(v6_req));
		ck_assert_uint_eq(get16(rep_buf + 42), eq3(field, 0x8000, 0x8100));
		ck_assert_uint_ne(ref_sum6(rep_buf), 0xffff);
	}
	/* A checksum computed without the pseudo-header, answered as is. */
	memcpy(req_buf, v6_req, sizeof(v6_req));
	put16(req_buf + 42, ref_csum_at(req_buf + 40, sizeof(v6_req) - 40, 2));
	expect_reply6(ex6_lax, req_buf, sizeof(v6_req), 0);
}
END_TEST

START_TEST(test_ex_with_verification_is_the_handler)
{
	uint8_t a[sizeof(v4_req)], b[sizeof(v4_req)];
	uint8_t c[sizeof(v6_req)], d[sizeof(v6_req)];

	memcpy(a, v4_req, sizeof(a));
	memcpy(b, v4_req, sizeof(b));
	ck_assert_int_eq(run(te_icmp4_echo, a, sizeof(a)).verdict, TUNECHO_ANSWER);
	ck_assert_int_eq(run(ex4_strict, b, sizeof(b)).verdict, TUNECHO_ANSWER);
	ck_assert_mem_eq(a, b, sizeof(a));
	memcpy(c, v6_req, sizeof(c));
	memcpy(d, v6_req, sizeof(d));
	ck_assert_int_eq(run(te_icmp6_echo, c, sizeof(c)).verdict, TUNECHO_ANSWER);
	ck_assert_int_eq(run(ex6_strict, d, sizeof(d)).verdict, TUNECHO_ANSWER);
	ck_assert_mem_eq(c, d, sizeof(c));
	/* Valid requests: the lax variants give the same replies. */
	memcpy(b, v4_req, sizeof(b));
	ck_assert_int_eq(run(ex4_lax, b, sizeof(b)).verdict, TUNECHO_ANSWER);
	ck_assert_mem_eq(b, v4_rep, sizeof(b));
	memcpy(d, v6_req, sizeof(d));
	ck_assert_int_eq(run(ex6_lax, d, sizeof(d)).verdict, TUNECHO_ANSWER);
	ck_assert_mem_eq(d, v6_rep, sizeof(d));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Randomized properties                                              */
/* ------------------------------------------------------------------ */

/* A unicast address the rules accept: 1.0.0.0 to 223.255.255.255, not 127/8. */
static uint32_t random_src4(void)
{
	uint32_t a;

	do
		a = rng();
	while ((a >> 24) == 0 || (a >> 24) == 127 || (a >> 24) >= 224);
	return a;
}

static void random_addr6(uint8_t *a)
{
	static const uint8_t prefixes[][2] = {{0x20, 0x01}, {0xfe, 0x80}, {0xfd, 0x00}};

	rng_fill(a, 16);
	memcpy(a, prefixes[rng_upto(2)], 2);
}

/* Well-formed options (NOP, RR, TS, router alert), END-padded to 4 bytes. */
static size_t random_options(uint8_t *o)
{
	size_t want = 4 * rng_upto(10), n = 0;
	bool rr = false, ts = false; /* Linux refuses a second of either */

	memset(o, 0, 40);
	while (n < want) {
		size_t room = want - n, k;

		switch (rng() % 5) {
		case 0:
			o[n++] = 1;
			break;
		case 1: /* record route, pointer anywhere from the first slot to full */
			if (room < 7 || rr)
				break;
			rr = true;
			k = 1 + rng_upto((room - 3) / 4 - 1);
			o[n] = 7;
			o[n + 1] = (uint8_t)(3 + 4 * k);
			o[n + 2] = (uint8_t)(4 + 4 * rng_upto(k));
			rng_fill(o + n + 3, 4 * k);
			n += 3 + 4 * k;
			break;
		case 2: /* timestamps only */
			if (room < 8 || ts)
				break;
			ts = true;
			k = 1 + rng_upto((room - 4) / 4 - 1);
			o[n] = 68;
			o[n + 1] = (uint8_t)(4 + 4 * k);
			o[n + 2] = (uint8_t)(5 + 4 * rng_upto(k));
			o[n + 3] = 0;
			rng_fill(o + n + 4, 4 * k);
			n += 4 + 4 * k;
			break;
		case 3:
			if (room < 4)
				break;
			memcpy(o + n, (const uint8_t[]){148, 4, 0, 0}, 4);
			n += 4;
			break;
		default: /* END: the rest stays zero */
			n = want;
			break;
		}
	}
	return want;
}

/* A random valid request in req_buf, with random trailing bytes; its length. */
static size_t random_request(int *v6, size_t *declared)
{
	size_t maxdata = rng_upto(20) == 0 ? 65000 : 1500;
	size_t trailing = rng_upto(3) == 0 ? rng_upto(40) : 0;
	size_t len;

	*v6 = (int)(rng() & 1);
	if (*v6) {
		struct v6 s = v6_default();

		s.vtcfl = 0x60000000 | (rng() & 0x0fffffff);
		s.hops = (uint8_t)rng();
		random_addr6(s.src);
		random_addr6(s.dst);
		s.id = (uint16_t)rng();
		s.seq = (uint16_t)rng();
		s.dlen = rng_upto(maxdata);
		rng_fill(data_buf, s.dlen);
		s.data = data_buf;
		len = build6(req_buf, &s);
	} else {
		struct v4 s = v4_default();

		s.tos = (uint8_t)rng();
		s.ttl = (uint8_t)rng();
		s.ipid = (uint16_t)rng();
		s.frag = rng() & 1 ? 0x4000 : 0;
		s.src = random_src4();
		s.dst = random_src4();
		s.optlen = rng_upto(3) == 0 ? random_options(s.opts) : 0;
		s.id = (uint16_t)rng();
		s.seq = (uint16_t)rng();
		s.dlen = rng_upto(maxdata);
		rng_fill(data_buf, s.dlen);
		s.data = data_buf;
		len = build4(req_buf, &s);
	}
	*declared = len;
	rng_fill(req_buf + len, trailing);
	return len + trailing;
}

START_TEST(test_random_valid_requests_answered)
{
	rng_seed(0xec40u);
	for (int n = 0; n < 4000; n++) {
		size_t declared, optlen, len;
		int v6;

		len = random_request(&v6, &declared);
		if (v6) {
			ck_assert_uint_eq(expect_reply6(te_icmp6_echo, req_buf, len, 1), declared);
			expect("IPv6 request", te_icmp4_echo, req_buf, len, TUNECHO_PASS,
			       REASON_UNSET);
		} else {
			size_t got;

			/* Options echoed or not, never grown (check_reply4 sees the rest). */
			optlen = (size_t)(req_buf[0] & 0x0f) * 4 - 20;
			got = expect_reply4(te_icmp4_echo, req_buf, len, 1);
			ck_assert_uint_le(got, declared);
			ck_assert_uint_ge(got, declared - optlen);
			expect("IPv4 request", te_icmp6_echo, req_buf, len, TUNECHO_PASS,
			       REASON_UNSET);
		}
	}
}
END_TEST

/*
 * Damage a valid request one random way. Whatever the handler says, it
 * must not crash or read past the packet (run() gives it an exact-size
 * heap block), must leave what it does not answer unchanged, and what it
 * answers must be a valid reply to the damaged request itself.
 */
START_TEST(test_random_mutations_never_answered_wrongly)
{
	unsigned answered = 0, total = 0;

	rng_seed(0xbadc0deu);
	for (int n = 0; n < 6000; n++) {
		size_t declared, len;
		int v6;
		struct outcome o;

		len = random_request(&v6, &declared);
		switch (rng() % 4) {
		case 0: /* flip one bit */
			req_buf[rng_upto(len - 1)] ^= (uint8_t)(1u << (rng() % 8));
			break;
		case 1: { /* one byte to any value, half the time in the first 64 */
			size_t span = rng() & 1 && len > 64 ? 64 : len;

			req_buf[rng_upto(span - 1)] = (uint8_t)rng();
			break;
		}
		case 2: /* cut short */
			len = rng_upto(len - 1);
			break;
		default: /* two bit flips: may cancel out in the checksum */
			req_buf[rng_upto(len - 1)] ^= (uint8_t)(1u << (rng() % 8));
			req_buf[rng_upto(len - 1)] ^= (uint8_t)(1u << (rng() % 8));
			break;
		}
		for (int lax = 0; lax < 2; lax++) {
			handler_fn *fn =
			    v6 ? (lax ? ex6_lax : te_icmp6_echo) : (lax ? ex4_lax : te_icmp4_echo);
			int version = len ? req_buf[0] >> 4 : 0;

			memcpy(rep_buf, req_buf, len);
			o = run(fn, rep_buf, len);
			total++;
			if (o.verdict != TUNECHO_ANSWER)
				continue;
			answered++;
			if (version == 4)
				check_reply4(req_buf, rep_buf, o.len, !lax);
			else if (version == 6)
				check_reply6(req_buf, rep_buf, o.len, !lax);
			else
				ck_abort_msg("answered a version %d packet", version);
		}
	}
	/* Damage past the declared length is harmless, so some are answered. */
	ck_assert_uint_gt(answered, 0);
	ck_assert_uint_lt(answered, total);
}
END_TEST

static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_test(tc, test_golden_vectors_are_valid);
	tcase_add_test(tc, test_golden_ipv4_reply);
	tcase_add_test(tc, test_golden_ipv4_reply_echoes_record_route);
	tcase_add_test(tc, test_golden_ipv6_reply);
	tcase_add_test(tc, test_each_handler_passes_the_other_family);
	tcase_add_test(tc, test_allowed_variations_answered);
	suite_add_tcase(s, tc);

	tc = tcase_create("lengths");
	tcase_add_loop_test(tc, test_ipv4_data_lengths_answered, 0,
			    sizeof(dlens4) / sizeof(dlens4[0]));
	tcase_add_loop_test(tc, test_ipv6_data_lengths_answered, 0,
			    sizeof(dlens6) / sizeof(dlens6[0]));
	tcase_add_test(tc, test_ipv4_short_packets_never_answered);
	tcase_add_test(tc, test_ipv6_short_packets_never_answered);
	tcase_add_test(tc, test_version_neither_4_nor_6_passes_both_handlers);
	tcase_add_test(tc, test_ipv4_trailing_bytes_ignored);
	tcase_add_test(tc, test_ipv6_trailing_bytes_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("checksum edges");
	tcase_add_test(tc, test_ipv4_icmp_checksum_field_0000_and_ffff);
	tcase_add_test(tc, test_ipv4_icmp_reply_checksum_0000);
	tcase_add_test(tc, test_ipv4_all_zero_reply_checksum_ffff);
	tcase_add_test(tc, test_ipv4_header_checksum_0000_and_ffff);
	tcase_add_test(tc, test_ipv4_header_reply_checksum_0000);
	tcase_add_test(tc, test_ipv6_checksum_field_0000_and_ffff);
	tcase_add_test(tc, test_ipv6_reply_checksum_0000);
	suite_add_tcase(s, tc);

	tc = tcase_create("options");
	tcase_add_loop_test(tc, test_ipv4_valid_options_echoed, 0,
			    sizeof(valid_options) / sizeof(valid_options[0]));
	tcase_add_loop_test(tc, test_ipv4_bad_options_dropped, 0,
			    sizeof(bad_options) / sizeof(bad_options[0]));
	tcase_add_test(tc, test_ipv4_total_length_inside_options_dropped);
	suite_add_tcase(s, tc);

	tc = tcase_create("rules");
	tcase_add_loop_test(tc, test_ipv4_rule_not_answered, 0, sizeof(rules4) / sizeof(rules4[0]));
	tcase_add_loop_test(tc, test_ipv6_rule_not_answered, 0, sizeof(rules6) / sizeof(rules6[0]));
	suite_add_tcase(s, tc);

	tc = tcase_create("ex");
	tcase_add_test(tc, test_ipv4_ex_without_verification_updates_wrong_checksums);
	tcase_add_test(tc, test_ipv4_ex_without_verification_with_options);
	tcase_add_test(tc, test_ipv6_ex_without_verification_updates_wrong_checksum);
	tcase_add_test(tc, test_ex_with_verification_is_the_handler);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_random_valid_requests_answered);
	tcase_add_test(tc, test_random_mutations_never_answered_wrongly);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return te_test_run(packet_suite());
}

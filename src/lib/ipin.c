/* SPDX-License-Identifier: MIT */
#include "ipin.h"

#include <netinet/in.h>
#include <string.h>

#include "packet.h"

enum {
	IP4_HLEN = 20,
	IP6_HLEN = 40,
	NH_HOP = 0,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_ICMPV6 = 58,
	NH_DSTOPTS = 60,
	OPT_PAD1 = 0,
	OPT_PADN = 1,
	OPT_ROUTER_ALERT = 5,
	MAX_OPTS = 8, /* Linux's max_hbh_opts_cnt and max_dst_opts_cnt */
};

static inline unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static enum te_ipin_status refuse(struct tunecho_packet *pkt, enum tunecho_drop_reason why)
{
	pkt->reason = why;
	return TE_IPIN_DROP;
}

size_t te_ipin_broadcasts(uint32_t addr, unsigned len, uint32_t out[2])
{
	uint32_t mask = len ? ~0u << (32 - len) : 0;

	if (len >= 31)
		return 0;
	out[0] = addr & mask;
	out[1] = addr | ~mask;
	return 2;
}

static bool is_broadcast(const struct te_ipin_link *link, uint32_t dst)
{
	size_t lo = 0, hi = link->n_bcast;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (link->bcast[mid] == dst)
			return true;
		if (link->bcast[mid] < dst)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

static enum te_ipin_status reassemble(struct te_ipin *in, const struct te_ipin_link *link,
				      const struct te_frag_in *f, struct tunecho_packet *pkt)
{
	size_t len = 0;
	enum tunecho_drop_reason why = TUNECHO_DROP_FRAGMENT;

	in->now_ms = in->clock(in->clock_arg);
	switch (te_reasm_add(in->reasm, f, link->ifindex, in->now_ms, in->drop, in->drop_arg,
			     in->buf, TE_REASM_ROOM, &len, &why)) {
	case TE_REASM_HELD:
		return TE_IPIN_HELD;
	case TE_REASM_DONE:
		pkt->data = in->buf;
		pkt->len = len;
		pkt->room = TE_REASM_ROOM;
		return TE_IPIN_DATAGRAM;
	case TE_REASM_DROP:
	default:
		return refuse(pkt, why);
	}
}

static enum te_ipin_status ip4_in(struct te_ipin *in, const struct te_ipin_link *link,
				  struct tunecho_packet *pkt, unsigned *flags)
{
	const uint8_t *p = pkt->data;
	unsigned frag = get16(p + 6);
	enum tunecho_drop_reason why;
	struct te_frag_in f;
	size_t hlen, totlen;
	enum te_ipin_status st;

	/* Linux ignores echo to a broadcast (icmp_echo_ignore_broadcasts). */
	if (link->n_bcast && is_broadcast(link, get32(p + 16)))
		return refuse(pkt, TUNECHO_DROP_BAD_DESTINATION);
	if (!(frag & 0x3fff))
		return TE_IPIN_DATAGRAM;
	/* A fragment is judged as a datagram would be before it is kept. */
	why = te_ip4_validate(p, pkt->len, &hlen, &totlen, 1);
	if (why)
		return refuse(pkt, why);
	f = (struct te_frag_in){
	    .family = AF_INET,
	    .src = p + 12,
	    .dst = p + 16,
	    .proto = p[9],
	    .id = get16(p + 4),
	    .offset = (frag & 0x1fff) * 8,
	    .more = frag & 0x2000,
	    .hdr = p,
	    .hlen = hlen,
	    .data = p + hlen,
	    .len = totlen - hlen,
	};
	*flags |= TE_IPIN_FRAGMENT;
	st = reassemble(in, link, &f, pkt);
	if (st == TE_IPIN_DATAGRAM)
		*flags |= TE_IPIN_REASSEMBLED;
	return st;
}

/*
 * The TLV options of a Hop-by-Hop or Destination Options header (RFC 8200
 * §4.2), as Linux's ip6_parse_tlv() checks them: padding at most 7 bytes
 * in a row and PadN all zero, at most 8 other options, and an unknown
 * option handled by the top two bits of its type (00 skip, else discard;
 * where Linux also sends a Parameter Problem, nothing is sent here).
 */
static bool options_ok(const uint8_t *o, size_t len, bool hop)
{
	size_t i = 2, pad = 0, count = 0;

	while (i < len) {
		size_t olen;

		if (o[i] == OPT_PAD1) {
			if (++pad > 7)
				return false;
			i++;
			continue;
		}
		if (len - i < 2 || (olen = (size_t)o[i + 1] + 2) > len - i)
			return false;
		if (o[i] == OPT_PADN) {
			pad += olen;
			if (pad > 7)
				return false;
			for (size_t k = 2; k < olen; k++)
				if (o[i + k])
					return false;
		} else {
			pad = 0;
			if (++count > MAX_OPTS)
				return false;
			if (hop && o[i] == OPT_ROUTER_ALERT) {
				if (olen != 4)
					return false;
			} else if (o[i] >> 6) {
				return false;
			}
		}
		i += olen;
	}
	return true;
}

/* Skip the option headers at @p (@len bytes) from @nh; the upper layer's offset, or @len. */
static size_t upper_offset(const uint8_t *p, size_t len, uint8_t *nh)
{
	size_t off = 0;

	while ((*nh == NH_HOP || *nh == NH_DSTOPTS || *nh == NH_ROUTING) && len - off >= 8) {
		size_t hl = ((size_t)p[off + 1] + 1) * 8;

		if (hl > len - off)
			return len;
		*nh = p[off];
		off += hl;
	}
	return off;
}

static enum te_ipin_status ip6_in(struct te_ipin *in, const struct te_ipin_link *link,
				  struct tunecho_packet *pkt, unsigned *flags)
{
	uint8_t *p = pkt->data;
	uint8_t nh = p[6];
	size_t plen, end, off = IP6_HLEN, cut;
	enum tunecho_drop_reason why;
	bool first = true; /* the header right after IPv6's: Hop-by-Hop may be only there */

	if (nh != NH_HOP && nh != NH_DSTOPTS && nh != NH_ROUTING && nh != NH_FRAGMENT)
		return TE_IPIN_DATAGRAM;
	why = te_ip6_validate(p, pkt->len, &plen);
	if (why)
		return refuse(pkt, why);
	end = IP6_HLEN + plen;
	for (;;) {
		size_t hl;

		if (nh != NH_HOP && nh != NH_DSTOPTS && nh != NH_ROUTING && nh != NH_FRAGMENT)
			break;
		if (end - off < 8)
			return refuse(pkt, TUNECHO_DROP_TRUNCATED);
		hl = nh == NH_FRAGMENT ? 8 : ((size_t)p[off + 1] + 1) * 8;
		if (hl > end - off)
			return refuse(pkt, TUNECHO_DROP_TRUNCATED);
		if (nh == NH_HOP && !first)
			return refuse(pkt, TUNECHO_DROP_EXT_HEADER); /* only right after IPv6 */
		first = false;
		if ((nh == NH_HOP || nh == NH_DSTOPTS) && !options_ok(p + off, hl, nh == NH_HOP))
			return refuse(pkt, TUNECHO_DROP_EXT_HEADER);
		if (nh == NH_ROUTING) {
			/* Segments left: a source route, refused; types 2 (Mobile
			 * IPv6), 3 (RPL) and 4 (SRv6) are off in Linux by default
			 * and dropped even when done; any other, type 0 included
			 * (RFC 5095), is skipped when done. */
			unsigned type = p[off + 2], left = p[off + 3];

			if (left || type == 2 || type == 3 || type == 4)
				return refuse(pkt, TUNECHO_DROP_SOURCE_ROUTE);
		}
		if (nh == NH_FRAGMENT) {
			unsigned fo = get16(p + off + 2);
			struct te_frag_in f;
			uint8_t upper = p[off];
			enum te_ipin_status st;

			if (*flags & TE_IPIN_REASSEMBLED)
				return refuse(pkt,
					      TUNECHO_DROP_EXT_HEADER); /* fragments in fragments */
			if (fo & 0xfff9) {
				f = (struct te_frag_in){
				    .family = AF_INET6,
				    .src = p + 8,
				    .dst = p + 24,
				    .proto = upper,
				    .id = get32(p + off + 4),
				    .offset = fo & 0xfff8,
				    .more = fo & 1,
				    .hdr = p,
				    .hlen = IP6_HLEN,
				    .data = p + off + 8,
				    .len = end - off - 8,
				    .unfrag = off - IP6_HLEN,
				};
				*flags |= TE_IPIN_FRAGMENT;
				/* RFC 8200 §4.5: the first fragment holds every header
				 * up to and with the upper layer's (ICMPv6: 8 bytes). */
				if (f.offset == 0) {
					uint8_t last = upper;
					size_t at = upper_offset(f.data, f.len, &last);

					if (at >= f.len || (last == NH_ICMPV6 && f.len - at < 8))
						return refuse(pkt, TUNECHO_DROP_FRAGMENT);
				}
				st = reassemble(in, link, &f, pkt);
				if (st != TE_IPIN_DATAGRAM)
					return st;
				/* Whole: walk on from the Fragment header's next. */
				*flags |= TE_IPIN_REASSEMBLED;
				p = pkt->data;
				nh = p[6];
				off = IP6_HLEN;
				end = pkt->len;
				continue;
			}
			/* An atomic fragment (RFC 6946): processed at once. */
		}
		nh = p[off];
		off += hl;
	}
	/* The handlers get the IPv6 header right before the upper layer. */
	cut = off - IP6_HLEN;
	if (cut) {
		memmove(p + cut, p, IP6_HLEN);
		p += cut;
		p[4] = (uint8_t)((end - off) >> 8);
		p[5] = (uint8_t)(end - off);
		p[6] = nh;
		pkt->data = p;
		pkt->room -= cut;
	}
	pkt->len = end - cut;
	return TE_IPIN_DATAGRAM;
}

enum te_ipin_status te_ip_in(struct te_ipin *in, const struct te_ipin_link *link,
			     struct tunecho_packet *pkt, unsigned *flags)
{
	const uint8_t *p = pkt->data;

	*flags = 0;
	if (pkt->len >= IP4_HLEN && p[0] >> 4 == 4)
		return ip4_in(in, link, pkt, flags);
	if (pkt->len >= IP6_HLEN && p[0] >> 4 == 6)
		return ip6_in(in, link, pkt, flags);
	return TE_IPIN_DATAGRAM; /* the handlers judge the rest */
}

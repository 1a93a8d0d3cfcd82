/* SPDX-License-Identifier: MIT */
#include "frag.h"

#include <string.h>

#include "checksum.h"

enum { IP4_HLEN = 20, IP6_HLEN = 40, FRAG6_HLEN = 8, NH_FRAGMENT = 44 };

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

bool te_frag_begin(struct te_frag_iter *it, const uint8_t *dgram, size_t len, unsigned mtu,
		   uint32_t ident)
{
	unsigned version = len ? dgram[0] >> 4 : 0;
	size_t room;

	memset(it, 0, sizeof(*it));
	if (version == 4 && len >= IP4_HLEN) {
		mtu = mtu < TE_MIN_MTU4 ? TE_MIN_MTU4 : mtu;
		it->hlen = (size_t)(dgram[0] & 0x0f) * 4;
		room = mtu - it->hlen;
	} else if (version == 6 && len >= IP6_HLEN) {
		mtu = mtu < TE_MIN_MTU6 ? TE_MIN_MTU6 : mtu;
		it->hlen = IP6_HLEN;
		room = mtu - IP6_HLEN - FRAG6_HLEN;
	} else {
		return false;
	}
	if (len <= mtu || it->hlen > len)
		return false;
	it->dgram = dgram;
	it->len = len;
	it->step = room & ~(size_t)7;
	it->offset = 0;
	it->ident = ident ? ident : 1;
	return true;
}

/* Turn the options not copied into fragments (RR, TS...) into NOPs. */
static void blank_uncopied(uint8_t *opt, size_t len)
{
	size_t i = 0;

	while (i < len && opt[i] != 0) {
		size_t olen;

		if (opt[i] == 1) {
			i++;
			continue;
		}
		olen = i + 1 < len ? opt[i + 1] : 0;
		if (olen < 2 || olen > len - i)
			return;
		if (!(opt[i] & 0x80))
			memset(opt + i, 1, olen);
		i += olen;
	}
}

bool te_frag_next(struct te_frag_iter *it, const uint8_t **payload, size_t *plen)
{
	size_t total = it->len - it->hlen, n;
	bool more;

	if (!it->dgram || it->offset >= total)
		return false;
	n = total - it->offset > it->step ? it->step : total - it->offset;
	more = it->offset + n < total;
	*payload = it->dgram + it->hlen + it->offset;
	*plen = n;
	if (it->dgram[0] >> 4 == 4) {
		memcpy(it->hdr, it->dgram, it->hlen);
		if (it->offset)
			blank_uncopied(it->hdr + IP4_HLEN, it->hlen - IP4_HLEN);
		put16(it->hdr + 2, it->hlen + n);
		put16(it->hdr + 6, (more ? 0x2000 : 0) | it->offset / 8);
		put16(it->hdr + 10, 0);
		put16(it->hdr + 10, te_csum_fold(te_csum_add(0, it->hdr, it->hlen)));
		it->hdr_len = it->hlen;
	} else {
		uint8_t *fh = it->hdr + IP6_HLEN;

		memcpy(it->hdr, it->dgram, IP6_HLEN);
		put16(it->hdr + 4, FRAG6_HLEN + n);
		it->hdr[6] = NH_FRAGMENT;
		fh[0] = it->dgram[6];
		fh[1] = 0;
		put16(fh + 2, it->offset | (more ? 1 : 0));
		fh[4] = (uint8_t)(it->ident >> 24);
		fh[5] = (uint8_t)(it->ident >> 16);
		fh[6] = (uint8_t)(it->ident >> 8);
		fh[7] = (uint8_t)it->ident;
		it->hdr_len = IP6_HLEN + FRAG6_HLEN;
	}
	it->offset += n;
	return true;
}

/* SPDX-License-Identifier: MIT */
#include "ipopt.h"

#include <stdbool.h>
#include <string.h>

enum {
	OPT_END = 0,
	OPT_NOOP = 1,
	OPT_RR = 7,
	OPT_TS = 68,
	OPT_RA = 148,
	OPT_LSRR = 131,
	OPT_SSRR = 137,
	OPT_CIPSO = 134,
	TS_TSONLY = 0,
	TS_TSANDADDR = 1,
	TS_PRESPEC = 3,
};

/* What the receive pass found: where RR and TS are, and what they still need. */
struct compiled {
	size_t rr, ts; /* offset + 1 in the option bytes, 0: absent */
	bool srr;
	bool rr_needaddr, ts_needaddr, ts_needtime;
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Whether a prespecified Timestamp entry names us. Linux stamps unless the
 * address is of type unicast in its local table: its own addresses, but
 * also 0/8, broadcast and multicast. Ours is the address pinged.
 */
static bool names_us(const uint8_t *a, const uint8_t self[4])
{
	return !memcmp(a, self, 4) || a[0] == 0 || (a[0] & 0xf0) == 0xe0 ||
	       (a[0] == 255 && a[1] == 255 && a[2] == 255 && a[3] == 255);
}

/*
 * The receive pass of ip_options_compile() over @w (@len bytes, changed in
 * place when @self is given: the stamps of receipt, a raised overflow
 * count, bytes after EOL cleared). Returns 0 or the reason to drop.
 */
static enum tunecho_drop_reason compile(uint8_t *w, size_t len, const uint8_t *self, uint32_t now,
					struct compiled *c)
{
	size_t i = 0;

	memset(c, 0, sizeof(*c));
	while (i < len) {
		uint8_t *o = w + i;
		size_t olen;

		if (o[0] == OPT_END) {
			if (self)
				memset(o, OPT_END, len - i);
			break;
		}
		if (o[0] == OPT_NOOP) {
			i++;
			continue;
		}
		if (len - i < 2 || (olen = o[1]) < 2 || olen > len - i)
			return TUNECHO_DROP_BAD_OPTIONS;
		switch (o[0]) {
		case OPT_LSRR:
		case OPT_SSRR:
			if (olen < 3 || o[2] < 4 || c->srr)
				return TUNECHO_DROP_BAD_OPTIONS;
			c->srr = true;
			break;
		case OPT_RR:
			if (c->rr || olen < 3 || o[2] < 4)
				return TUNECHO_DROP_BAD_OPTIONS;
			if (o[2] <= olen) {
				if (o[2] + 3u > olen)
					return TUNECHO_DROP_BAD_OPTIONS;
				if (self)
					memcpy(o + o[2] - 1, self, 4);
				o[2] += 4;
				c->rr_needaddr = true;
			}
			c->rr = i + 1;
			break;
		case OPT_TS: {
			unsigned flags = olen >= 4 ? o[3] & 0x0f : 0;
			uint8_t *time = NULL;

			if (c->ts || olen < 4 || o[2] < 5)
				return TUNECHO_DROP_BAD_OPTIONS;
			if (o[2] <= olen) {
				if (o[2] + 3u > olen)
					return TUNECHO_DROP_BAD_OPTIONS;
				switch (flags) {
				case TS_TSONLY:
					time = o + o[2] - 1;
					c->ts_needtime = true;
					o[2] += 4;
					break;
				case TS_TSANDADDR:
				case TS_PRESPEC:
					if (o[2] + 7u > olen)
						return TUNECHO_DROP_BAD_OPTIONS;
					if (flags == TS_TSANDADDR) {
						if (self)
							memcpy(o + o[2] - 1, self, 4);
						c->ts_needaddr = true;
					} else if (!self || !names_us(o + o[2] - 1, self)) {
						break;
					}
					time = o + o[2] + 3;
					c->ts_needtime = true;
					o[2] += 8;
					break;
				default:
					break; /* other flags: left alone on receipt */
				}
				if (time && self)
					put32(time, now);
			} else if (flags != TS_PRESPEC) {
				unsigned overflow = o[3] >> 4;

				if (overflow == 15)
					return TUNECHO_DROP_BAD_OPTIONS;
				if (self)
					o[3] = (uint8_t)(flags | (overflow + 1) << 4);
			}
			c->ts = i + 1;
			break;
		}
		case OPT_RA:
			if (olen < 4)
				return TUNECHO_DROP_BAD_OPTIONS;
			break;
		case OPT_CIPSO:
			return TUNECHO_DROP_BAD_OPTIONS;
		default:
			break;
		}
		i += olen;
	}
	return c->srr ? TUNECHO_DROP_SOURCE_ROUTE : 0;
}

enum tunecho_drop_reason te_ipopt_check(const uint8_t *opt, size_t len)
{
	uint8_t w[TE_IPOPT_MAX];
	struct compiled c;

	if (len > sizeof(w))
		return TUNECHO_DROP_BAD_OPTIONS;
	memcpy(w, opt, len);
	return compile(w, len, NULL, 0, &c);
}

int te_ipopt_echo(const uint8_t *opt, size_t len, const uint8_t self[4], uint32_t now, uint8_t *out,
		  enum tunecho_drop_reason *why)
{
	uint8_t w[TE_IPOPT_MAX];
	struct compiled c;
	size_t n = 0;

	if (len > sizeof(w)) {
		*why = TUNECHO_DROP_BAD_OPTIONS;
		return -1;
	}
	memcpy(w, opt, len);
	*why = compile(w, len, self, now, &c);
	if (*why)
		return -1;
	/* ip_options_echo(): RR first, then TS, each copied as received. */
	*why = TUNECHO_DROP_BAD_OPTIONS;
	if (c.rr) {
		const uint8_t *s = w + c.rr - 1;
		uint8_t *d = out + n;
		unsigned ptr = s[2];

		memcpy(d, s, s[1]);
		if (c.rr_needaddr && ptr <= s[1]) {
			if (ptr + 3 > s[1])
				return -1;
			d[2] = (uint8_t)(ptr + 4);
			memcpy(d + d[2] - 5, self, 4); /* ip_options_build() */
		}
		n += s[1];
	}
	if (c.ts) {
		const uint8_t *s = w + c.ts - 1;
		uint8_t *d = out + n;
		unsigned ptr = s[2];
		bool needaddr = false, needtime = false;

		memcpy(d, s, s[1]);
		if (ptr <= s[1]) {
			if (c.ts_needaddr) {
				if (ptr + 3 > s[1])
					return -1;
				needaddr = true;
				ptr += 4;
			}
			if (c.ts_needtime) {
				if (ptr + 3 > s[1])
					return -1;
				if ((d[3] & 0x0f) != TS_PRESPEC) {
					needtime = true;
					ptr += 4;
				} else if (ptr + 7 <= s[1] && names_us(d + ptr - 1, self)) {
					needtime = true;
					ptr += 8;
				}
			}
			d[2] = (uint8_t)ptr;
			if (needaddr)
				memcpy(d + ptr - 9, self, 4);
			if (needtime)
				put32(d + ptr - 5, now);
		}
		n += s[1];
	}
	while (n & 3)
		out[n++] = OPT_END;
	return (int)n;
}

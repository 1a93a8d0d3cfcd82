/* SPDX-License-Identifier: MIT */
/*
 * IP in: what the stack does to a datagram addressed to it before any
 * protocol sees it. IPv4: broadcasts of the link refused, fragments
 * checked and reassembled. IPv6: Hop-by-Hop, Destination Options, Routing
 * and Fragment headers walked to the upper layer (RFC 8200 §4), fragments
 * reassembled, and the headers walked removed, so the handlers see an IPv6
 * header followed directly by the upper-layer header. Everything else is
 * left to the handlers. Pure: time and the reassembly table are given.
 */
#ifndef TE_IPIN_H
#define TE_IPIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "reasm.h"
#include "tunecho.h"

/* What the stage needs of the responder. */
struct te_ipin {
	struct te_reasm *reasm;
	uint8_t *buf;		      /* TE_REASM_ROOM bytes: reassembled datagrams are put here */
	uint64_t (*clock)(void *arg); /* monotonic milliseconds, read for fragments only */
	void *clock_arg;
	uint64_t now_ms;	/* out: what the clock said, 0 when it was not read */
	te_reasm_drop_fn *drop; /* told of datagrams the table drops on its own */
	void *drop_arg;
};

/* What it needs of the link the packet came in on. */
struct te_ipin_link {
	const uint32_t *bcast; /* IPv4 broadcast addresses of its prefixes, sorted */
	size_t n_bcast;
	int ifindex;
};

enum te_ipin_status {
	TE_IPIN_DATAGRAM, /* *pkt now describes a whole datagram for the handlers */
	TE_IPIN_HELD,	  /* a fragment, kept for reassembly */
	TE_IPIN_DROP,	  /* refused: pkt->reason says why */
};

/* What te_ip_in() says about the packet besides its status. */
enum {
	TE_IPIN_FRAGMENT = 1,	 /* it was a fragment (held, dropped, or the last one) */
	TE_IPIN_REASSEMBLED = 2, /* it completed a datagram, now in in->buf */
};

/*
 * Take the packet @pkt (data, len, room of what was read) through IP in.
 * On TE_IPIN_DATAGRAM, pkt->data, len and room describe the datagram,
 * which may now lie in in->buf (TE_IPIN_REASSEMBLED), or a little further
 * into the read buffer (extension headers removed). *@flags receives the
 * TE_IPIN_ flags.
 */
enum te_ipin_status te_ip_in(struct te_ipin *in, const struct te_ipin_link *link,
			     struct tunecho_packet *pkt, unsigned *flags);

/*
 * The broadcast addresses of an IPv4 prefix @addr/@len (host order), as
 * Linux adds them to its local table for an address on a link: the
 * network and the all-ones host, for prefixes shorter than /31. Writes
 * up to 2 into @out; returns how many.
 */
size_t te_ipin_broadcasts(uint32_t addr, unsigned len, uint32_t out[2]);

#endif

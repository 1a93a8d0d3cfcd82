/* SPDX-License-Identifier: MIT */
/*
 * IP out: a reply bigger than the link's MTU, cut into fragments as Linux
 * cuts its own (ip_do_fragment(), ip6_fragment()). Pure: the fragments are
 * described, header and a slice of the datagram's payload, for the caller
 * to write with writev(); nothing is copied but the headers.
 */
#ifndef TE_FRAG_H
#define TE_FRAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The smallest MTUs the families allow (RFC 791, RFC 8200 §5). */
#define TE_MIN_MTU4 68u
#define TE_MIN_MTU6 1280u

struct te_frag_iter {
	const uint8_t *dgram;
	size_t len;	 /* the whole datagram */
	size_t hlen;	 /* its header: IPv4 with options, IPv6's fixed 40 bytes */
	size_t step;	 /* payload bytes per fragment, a multiple of 8 */
	size_t offset;	 /* of the next fragment's payload */
	uint32_t ident;	 /* IPv6 identification */
	uint8_t hdr[60]; /* the current fragment's header */
	size_t hdr_len;
};

/*
 * Start cutting the IPv4 or IPv6 datagram @dgram of @len bytes (a valid
 * header: the handlers' reply) for a link of @mtu bytes (raised to the
 * family's minimum). @ident is the IPv6 Fragment header's identification
 * (RFC 7739: random, non-zero); IPv4 keeps the datagram's own. Returns
 * false when the datagram fits, or is not IP: then it goes out whole.
 */
bool te_frag_begin(struct te_frag_iter *it, const uint8_t *dgram, size_t len, unsigned mtu,
		   uint32_t ident);

/*
 * The next fragment: its header in it->hdr (it->hdr_len bytes), then
 * *@plen bytes of payload at *@payload. False when none is left. IPv4
 * fragments have DF clear and carry in every fragment but the first only
 * the options whose copied flag is set (the rest become NOPs, as Linux's
 * ip_options_fragment() does); IPv6 ones a Fragment header.
 */
bool te_frag_next(struct te_frag_iter *it, const uint8_t **payload, size_t *plen);

#endif

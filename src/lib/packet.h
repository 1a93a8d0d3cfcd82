/* SPDX-License-Identifier: MIT */
/*
 * The built-in echo handlers: validate an IPv4/ICMPv4 or IPv6/ICMPv6 echo
 * request and turn it into the echo reply in place. Pure: bytes in, bytes
 * and a verdict out, no I/O, no allocation, no global state.
 */
#ifndef TE_PACKET_H
#define TE_PACKET_H

#include "tunecho.h"

/* The hop limit of every reply (RFC 1700's recommended default TTL). */
#define TE_REPLY_TTL 64

/*
 * The ICMPv4 echo handler. Passes packets that are not IPv4, and IPv4
 * packets that are not ICMP echo requests (with pkt->reason set), so later
 * handlers can take them; drops malformed IPv4 packets; answers valid echo
 * requests by rewriting pkt->data into the reply and setting pkt->len.
 * Record Route and Timestamp options are echoed as Linux echoes them; the
 * reply never has DF. @arg is a const struct te_clock *, or NULL.
 */
enum tunecho_verdict te_icmp4_echo(void *arg, struct tunecho_packet *pkt);

/*
 * The ICMPv6 echo handler, with the same contract for IPv6. IP in has
 * removed the extension headers it walked; any left make it pass. @arg
 * is unused.
 */
enum tunecho_verdict te_icmp6_echo(void *arg, struct tunecho_packet *pkt);

/*
 * The clock of the ICMPv4 handler, its @arg: @now(@arg) gives the time
 * that Timestamp options record, in milliseconds since midnight UT. With
 * a NULL @arg the handler stamps 0.
 */
struct te_clock {
	uint32_t (*now)(void *arg);
	void *arg;
};

/*
 * The IP header checks every datagram passes before anything else looks
 * at it, shared by IP in (for fragments) and the handlers: version aside,
 * lengths, the header checksum, martian addresses, and (IPv4) the
 * options. Return 0 and the header and total lengths (IPv6: the payload
 * length), or the reason to drop.
 */
enum tunecho_drop_reason te_ip4_validate(const uint8_t *p, size_t len, size_t *hlen, size_t *totlen,
					 int verify_checksums);
enum tunecho_drop_reason te_ip6_validate(const uint8_t *p, size_t len, size_t *plen);

/*
 * Fuzzing and testing aid: with @verify_checksums 0 the handlers accept any
 * checksum (and still produce correctly updated ones). Only the two
 * functions below take it; the handlers above always verify. @now is the
 * time Timestamp options record (see struct te_clock).
 */
enum tunecho_verdict te_icmp4_echo_ex(struct tunecho_packet *pkt, int verify_checksums,
				      uint32_t now);
enum tunecho_verdict te_icmp6_echo_ex(struct tunecho_packet *pkt, int verify_checksums);

#endif

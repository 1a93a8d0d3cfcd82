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
 * @arg is unused.
 */
enum tunecho_verdict te_icmp4_echo(void *arg, struct tunecho_packet *pkt);

/* The ICMPv6 echo handler, with the same contract for IPv6. */
enum tunecho_verdict te_icmp6_echo(void *arg, struct tunecho_packet *pkt);

/*
 * Fuzzing and testing aid: with @verify_checksums 0 the handlers accept any
 * checksum (and still produce correctly updated ones). Only the two
 * functions below take it; the handlers above always verify.
 */
enum tunecho_verdict te_icmp4_echo_ex(struct tunecho_packet *pkt, int verify_checksums);
enum tunecho_verdict te_icmp6_echo_ex(struct tunecho_packet *pkt, int verify_checksums);

#endif

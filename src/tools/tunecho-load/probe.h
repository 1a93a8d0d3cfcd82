/* SPDX-License-Identifier: MIT */
/*
 * The request format and reply verification of tunecho-load: pure code,
 * no I/O and no clock, so that every check has a unit test.
 *
 * Every request carries, after the ICMP header, a probe: the run's random
 * 64-bit cookie, its send time (CLOCK_MONOTONIC ns) and its 64-bit sequence,
 * then a pattern derived from cookie and sequence up to the data size, so
 * every byte of a reply can be checked without remembering what was sent.
 */
#ifndef TL_PROBE_H
#define TL_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ICMP_HDR  8
#define PROBE_LEN 24	/* struct probe as it travels */
#define MAX_SIZE  65487 /* the most data an IPv6 echo request can carry */

/* The start of every request's data, in host byte order (only we read it). */
struct probe {
	uint64_t cookie;
	uint64_t sent_ns;
	uint64_t seq;
};

/* RFC 1071 checksum; 0 over a message that carries a correct one. */
uint16_t inet_checksum(const uint8_t *p, size_t len);

/*
 * The data after the probe: a stream seeded by cookie and sequence. With
 * @check, compare @p against it instead of writing it; true if all equal.
 */
bool pattern(uint8_t *p, size_t len, uint64_t cookie, uint64_t seq, bool check);

/*
 * Write echo request @seq into @buf: the ICMP header (identifier @ident)
 * and @size data bytes (at least PROBE_LEN). @v6: ICMPv6, whose checksum
 * the kernel fills in; else ICMPv4, checksummed here.
 */
void probe_build(uint8_t *buf, bool v6, uint16_t ident, uint64_t cookie, uint64_t seq,
		 uint64_t sent_ns, uint32_t size);

/* What the run's constants say of a reply (the rest needs the target). */
struct probe_run {
	uint64_t cookie;
	uint16_t id_base; /* target i uses identifier id_base + i */
	size_t n_targets;
	uint32_t size; /* data bytes of every request */
};

enum reply_verdict {
	REPLY_IGNORE,  /* not an echo reply with one of our identifiers */
	REPLY_SUSPECT, /* our identifier, not our probe: corrupt if it came from the target */
	REPLY_CORRUPT, /* ours, and something in it is wrong */
	REPLY_OK,      /* intact; the caller checks its source and that @seq was sent */
};

/*
 * Check the reply in @msg (@len bytes as read; @v6 says which raw socket:
 * an IPv4 one includes the IP header) byte for byte. @truncated: the
 * socket said MSG_TRUNC. On anything but REPLY_IGNORE, *@target is the
 * target index the identifier names; on REPLY_OK, *@p is the probe.
 */
enum reply_verdict reply_verify(const struct probe_run *pr, bool v6, const uint8_t *msg, size_t len,
				bool truncated, uint32_t *target, struct probe *p);

/*
 * An ICMP destination unreachable (IPv4 type 3, IPv6 type 1) in @msg (as
 * reply_verify() takes it) quoting one of our requests: true, with
 * *@target the index its identifier names and *@dst the quoted
 * destination (4 or 16 bytes inside @msg) for the caller to compare. A
 * quote long enough to hold the cookie must hold ours.
 */
bool unreach_parse(const struct probe_run *pr, bool v6, const uint8_t *msg, size_t len,
		   uint32_t *target, const uint8_t **dst);

#endif

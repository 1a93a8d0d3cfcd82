/* SPDX-License-Identifier: MIT */
/* Requests built and replies checked, byte for byte (probe.h). */
#include "probe.h"

#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <string.h>

uint16_t inet_checksum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Seeding with the cookie too lets a reply of another run be recognised as
 * intact (its own cookie explains all its bytes) rather than as damage. */
bool pattern(uint8_t *p, size_t len, uint64_t cookie, uint64_t seq, bool check)
{
	uint64_t state = cookie ^ (seq * 0xd6e8feb86659fd93ull);

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&state);
		size_t n = len - i < 8 ? len - i : 8;

		if (!check)
			memcpy(p + i, &v, n);
		else if (memcmp(p + i, &v, n))
			return false;
	}
	return true;
}

void probe_build(uint8_t *buf, bool v6, uint16_t ident, uint64_t cookie, uint64_t seq,
		 uint64_t sent_ns, uint32_t size)
{
	struct probe p = {.cookie = cookie, .sent_ns = sent_ns, .seq = seq};

	buf[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(ident >> 8);
	buf[5] = (uint8_t)ident;
	buf[6] = (uint8_t)(seq >> 8); /* the wire has 16 bits; the probe all 64 */
	buf[7] = (uint8_t)seq;
	memcpy(buf + ICMP_HDR, &p, PROBE_LEN);
	pattern(buf + ICMP_HDR + PROBE_LEN, size - PROBE_LEN, cookie, seq, false);
	/* ICMPv6: the kernel fills the checksum in (IPV6_CHECKSUM is implied). */
	if (!v6) {
		uint16_t sum = inet_checksum(buf, ICMP_HDR + size);

		buf[2] = (uint8_t)(sum >> 8);
		buf[3] = (uint8_t)sum;
	}
}

enum reply_verdict reply_verify(const struct probe_run *pr, bool v6, const uint8_t *msg, size_t len,
				bool truncated, uint32_t *target, struct probe *p)
{
	const uint8_t *icmp = msg;
	bool intact = !truncated;
	uint16_t k;

	if (!v6) {
		/* IPv4 raw sockets see the IP header, and nobody checked the ICMP
		 * checksum for us (the kernel does for ICMPv6). */
		size_t ihl = (size_t)(msg[0] & 0x0f) * 4;

		if (len < 20 || ihl < 20 || len < ihl + ICMP_HDR)
			return REPLY_IGNORE;
		icmp += ihl;
		len -= ihl;
		intact = intact && inet_checksum(icmp, len) == 0;
	} else if (len < ICMP_HDR) {
		return REPLY_IGNORE;
	}
	if (icmp[0] != (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
		return REPLY_IGNORE;
	k = (uint16_t)(((icmp[4] << 8) | icmp[5]) - pr->id_base);
	if ((size_t)k >= pr->n_targets)
		return REPLY_IGNORE; /* not our identifier: another program's */
	*target = k;
	if (len < ICMP_HDR + PROBE_LEN)
		return REPLY_SUSPECT;
	memcpy(p, icmp + ICMP_HDR, PROBE_LEN);
	if (p->cookie != pr->cookie) {
		/* Someone else's conversation (a parallel run that drew the same
		 * identifier, or another target), or ours with the cookie damaged:
		 * intact under its own cookie, it is someone else's. */
		if (intact && pattern((uint8_t *)icmp + ICMP_HDR + PROBE_LEN,
				      len - ICMP_HDR - PROBE_LEN, p->cookie, p->seq, true))
			return REPLY_IGNORE;
		return REPLY_SUSPECT;
	}
	if (!intact || icmp[1] != 0 || len != ICMP_HDR + pr->size ||
	    (uint64_t)((icmp[6] << 8) | icmp[7]) != (p->seq & 0xffff) ||
	    !pattern((uint8_t *)icmp + ICMP_HDR + PROBE_LEN, pr->size - PROBE_LEN, pr->cookie,
		     p->seq, true))
		return REPLY_CORRUPT;
	return REPLY_OK;
}

bool unreach_parse(const struct probe_run *pr, bool v6, const uint8_t *msg, size_t len,
		   uint32_t *target, const uint8_t **dst)
{
	size_t ihl = v6 ? 0 : (size_t)(msg[0] & 0x0f) * 4, qhl;
	const uint8_t *icmp, *q, *qicmp;
	uint64_t cookie;
	uint16_t k;

	if ((!v6 && (len < 20 || ihl < 20)) || len < ihl + ICMP_HDR)
		return false;
	icmp = msg + ihl;
	len -= ihl + ICMP_HDR;
	q = icmp + ICMP_HDR;
	if (icmp[0] != (v6 ? ICMP6_DST_UNREACH : ICMP_DEST_UNREACH))
		return false;
	/* The quoted request: its IP header, then its ICMP header at least. */
	if (v6) {
		qhl = 40;
		if (len < qhl + ICMP_HDR || q[0] >> 4 != 6 || q[6] != IPPROTO_ICMPV6)
			return false;
	} else {
		qhl = (size_t)(q[0] & 0x0f) * 4;
		if (len < 20 || qhl < 20 || len < qhl + ICMP_HDR || q[0] >> 4 != 4 ||
		    q[9] != IPPROTO_ICMP)
			return false;
	}
	qicmp = q + qhl;
	if (qicmp[0] != (v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO))
		return false;
	k = (uint16_t)(((qicmp[4] << 8) | qicmp[5]) - pr->id_base);
	if ((size_t)k >= pr->n_targets)
		return false;
	/* Quoted far enough to hold the cookie: it must be ours. */
	if (len >= qhl + ICMP_HDR + sizeof(cookie)) {
		memcpy(&cookie, qicmp + ICMP_HDR, sizeof(cookie));
		if (cookie != pr->cookie)
			return false;
	}
	*target = k;
	*dst = q + (v6 ? 24 : 16);
	return true;
}

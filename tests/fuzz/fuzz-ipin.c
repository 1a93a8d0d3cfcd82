/* SPDX-License-Identifier: MIT */
/*
 * IP in and IP out: a sequence of packets through te_ip_in() on one
 * reassembly table, each datagram that comes out through the built-in echo
 * handlers, and each reply through te_frag_begin()/te_frag_next() at an MTU
 * the input picks. Invariants: a datagram comes out inside its buffer and
 * starts with a whole IP header of its version; IPv6 ones carry no walked
 * extension header; a drop names a known reason; every fragment fits the
 * MTU, is a multiple of 8 but the last, and the fragments put back in order
 * give the reply byte for byte; memory never above the cap.
 *
 * Input: records of [MTU selector (1), time step (1), length (2, LE), bytes].
 */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "frag.h"
#include "ipin.h"
#include "packet.h"
#include "reasm.h"

#define CAP (256u << 10)

static uint64_t now;

static uint64_t clock_ms(void *arg)
{
	(void)arg;
	return now;
}

/* Cut @reply at @mtu and check the fragments against it. */
static void check_fragments(const uint8_t *reply, size_t len, unsigned mtu)
{
	static uint8_t joined[TE_REASM_ROOM];
	struct te_frag_iter it;
	const uint8_t *payload;
	size_t plen, at = 0, hlen;
	bool v4 = reply[0] >> 4 == 4;

	if (!te_frag_begin(&it, reply, len, mtu, 0x12345678)) {
		CHECK(len <= (v4 ? (mtu < TE_MIN_MTU4 ? TE_MIN_MTU4 : mtu)
				 : (mtu < TE_MIN_MTU6 ? TE_MIN_MTU6 : mtu)),
		      "a datagram not cut fits the MTU");
		return;
	}
	hlen = v4 ? (size_t)(reply[0] & 0x0f) * 4 : 40;
	while (te_frag_next(&it, &payload, &plen)) {
		unsigned limit = v4 ? (mtu < TE_MIN_MTU4 ? TE_MIN_MTU4 : mtu)
				    : (mtu < TE_MIN_MTU6 ? TE_MIN_MTU6 : mtu);
		unsigned field = v4 ? te_get16(it.hdr + 6) : te_get16(it.hdr + 42);
		unsigned offset = v4 ? (field & 0x1fff) * 8 : field & 0xfff8;
		bool more = v4 ? field & 0x2000 : field & 1;

		CHECK(it.hdr_len + plen <= limit, "a fragment fits the MTU");
		CHECK(offset == at, "fragments follow each other");
		CHECK(!more || plen % 8 == 0, "a non-final fragment is a multiple of 8");
		CHECK(!v4 || !(field & 0x4000), "no DF on a fragment");
		CHECK(at + plen <= len - hlen, "fragments stay inside the reply");
		memcpy(joined + at, payload, plen);
		at += plen;
		CHECK(more == (at < len - hlen), "MF on all but the last");
	}
	CHECK(at == len - hlen && !memcmp(joined, reply + hlen, at), "the fragments are the reply");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t bcast[] = {0xc6120100, 0xc61201ff}; /* 198.18.1.0/24 */
	static uint8_t out[TE_REASM_ROOM];
	struct te_reasm *r = NULL;
	struct te_ipin in = {.buf = out, .clock = clock_ms};
	struct te_ipin_link link = {bcast, 2, 1};
	struct te_reasm_stats rs;

	if (te_reasm_new(&r, CAP, 30000, 60000))
		abort();
	in.reasm = r;
	now = 1;
	while (size >= 4) {
		unsigned mtu = 68 + (unsigned)data[0] * 64;
		size_t len = (size_t)(data[2] | data[3] << 8);
		uint8_t *buf;
		struct tunecho_packet pkt;
		unsigned flags;
		enum te_ipin_status st;

		now += (uint64_t)data[1] * 500;
		data += 4;
		size -= 4;
		if (len > size)
			len = size;
		buf = malloc(len ? len : 1);
		if (!buf)
			abort();
		memcpy(buf, data, len);
		pkt = (struct tunecho_packet){.data = buf, .len = len, .room = len};
		st = te_ip_in(&in, &link, &pkt, &flags);
		if (st == TE_IPIN_DATAGRAM && pkt.len) {
			bool inside = (pkt.data >= buf && pkt.data + pkt.len <= buf + len) ||
				      (pkt.data == out && pkt.len <= sizeof(out));

			CHECK(inside, "the datagram lies in the read buffer or the reassembly one");
			CHECK(pkt.room >= pkt.len, "room for the datagram");
			if (pkt.len >= 40 && pkt.data[0] >> 4 == 6 && (flags & TE_IPIN_REASSEMBLED))
				CHECK(pkt.data[6] != 44,
				      "no Fragment header left after reassembly");
			if (te_icmp4_echo_ex(&pkt, 0, 0) == TUNECHO_ANSWER ||
			    te_icmp6_echo_ex(&pkt, 0) == TUNECHO_ANSWER)
				check_fragments(pkt.data, pkt.len, mtu);
		} else if (st == TE_IPIN_DROP) {
			CHECK((unsigned)pkt.reason < TUNECHO_DROP_REASONS, "a known reason");
		}
		te_reasm_get_stats(r, &rs);
		CHECK(rs.memory <= CAP, "reassembly memory within its cap");
		free(buf);
		data += len;
		size -= len;
	}
	te_reasm_free(r);
	return 0;
}

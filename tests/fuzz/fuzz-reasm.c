/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for reassembly (reasm.c): sequences of fragments into
 * one table of 256 KiB, checked step by step against a model kept here.
 *
 * Input: operations of 8 bytes each (a shorter tail is ignored):
 *   byte 0  bit 0: family (0 IPv4, 1 IPv6)      bit 1: MF
 *           bits 2-4: identification, low bits  bit 5: interface (1 or 2)
 *           bit 6: IPv4 header with 40 bytes of options (IHL 15)
 *           bit 7: no fragment: call te_reasm_expire() instead
 *   1-2     fragment offset in 8-byte units (13 bits)
 *   3-4     length: (low 13 bits) * 8 less (top 3 bits), so mostly aligned
 *   5       time step: 0-127 ms, else (n - 127) * 512 ms (timeouts come)
 *   6       seed of the fragment's bytes and of its header's TOS/TTL/DF
 *   7       identification, high bits (5): 256 per family and interface,
 *           enough for floods of datagrams that never complete
 * A fragment's byte at payload position p is a function of the seed and
 * p, so copies of one position from two fragments usually differ.
 *
 * The model keeps, per key (family, interface, identification), whether
 * the table holds a datagram for it, since when, which payload bytes it
 * holds (first copy wins), its end and first header. The drop callback
 * names only an interface; the model works out which datagram went (a
 * timeout: the family's oldest expired, IPv4 first, as te_reasm_expire()
 * runs; an eviction: the oldest other than the one being added, ties to
 * IPv4) and checks the interface. Invariants, abort() on violation:
 *  - memory never above the cap; pending 0 exactly when memory is 0;
 *    pending equals the datagrams the model holds; none held is expired;
 *  - a fragment is held only when its bytes are all new or all held
 *    already (a duplicate): a partial overlap never is; an overlap drop
 *    needs a held byte in its range;
 *  - held only while incomplete: when the model has offset 0, the end
 *    and every byte to it, the table must have said DONE;
 *  - DONE only when complete, with the model's bytes exactly, the first
 *    fragment's header (IPv4: total length, MF and offset cleared, DF
 *    kept, a valid checksum, 65535 bytes at most; IPv6: payload length
 *    and next header), and no byte more;
 *  - held data never beyond the limits (65535 with the IPv4 header);
 *  - te_reasm_expire() returns the model's next expiry.
 */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "reasm.h"

#define CAP   (256u << 10)
#define T4_MS 30000u
#define T6_MS 60000u
#define NKEYS 1024
#define OP    8

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The one's complement sum of a header, 16 bits at a time (RFC 1071). */
static unsigned oc_sum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += te_get16(p + i);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

struct key_model {
	bool live;
	int family, ifindex;
	uint32_t id;
	uint64_t born, seq;
	bool have_end, have_first;
	unsigned end;	 /* with have_end */
	unsigned extent; /* highest byte held + 1 */
	unsigned count;	 /* bytes held */
	uint8_t hdr[60]; /* with have_first */
	size_t hlen;
	struct piece { /* what it holds: the fragments taken, never overlapping */
		unsigned start, end;
		uint8_t seed;
	} * pieces;
	size_t n_pieces, room;
};

static struct key_model km[NKEYS];
static uint64_t seq;
static uint64_t now;
static int current = -1; /* the key being added, or -1 */

static const uint8_t src4[4] = {198, 18, 0, 1}, dst4[4] = {198, 18, 0, 2};
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};

static uint8_t frag_data[65536], frag_hdr[60], out[TE_REASM_ROOM];

/*
 * A fragment of seed s carries at payload position p the byte
 * noise[s * 256 + p]: random bytes, so two seeds differ almost
 * everywhere, and whole fragments are copied and compared with memcpy().
 */
static uint8_t noise[255 * 256 + 2 * 65536]; /* offset and length: 16 bits each */

static const uint8_t *bytes_of(uint8_t seed, unsigned p)
{
	return noise + (size_t)seed * 256 + p;
}

static void make_noise(void)
{
	uint64_t x = 0x9e3779b97f4a7c15u;

	if (noise[0] | noise[1] | noise[2] | noise[3])
		return;
	for (size_t i = 0; i < sizeof(noise); i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		noise[i] = (uint8_t)(x >> 24);
	}
}

static unsigned timeout_of(const struct key_model *k)
{
	return k->family == AF_INET ? T4_MS : T6_MS;
}

static void forget(struct key_model *k)
{
	k->n_pieces = 0;
	k->live = false;
	k->have_end = k->have_first = false;
	k->extent = 0;
	k->count = 0;
}

static size_t live_count(void)
{
	size_t n = 0;

	for (int i = 0; i < NKEYS; i++)
		n += km[i].live;
	return n;
}

/* Before @b in the table's eviction order (older, IPv4 on a tie, created first)? */
static bool older(const struct key_model *a, const struct key_model *b)
{
	if (a->born != b->born)
		return a->born < b->born;
	if (a->family != b->family)
		return a->family == AF_INET;
	return a->seq < b->seq;
}

static void on_drop(void *arg, int ifindex, enum tunecho_drop_reason why)
{
	struct key_model *victim = NULL;

	CHECK(arg == km, "the callback's argument");
	if (why == TUNECHO_DROP_REASM_TIMEOUT) {
		/* te_reasm_expire(): each family's list from its head, IPv4 first. */
		for (int fam = 0; fam < 2 && !victim; fam++)
			for (int i = 0; i < NKEYS; i++) {
				struct key_model *k = &km[i];

				if (!k->live || (k->family == AF_INET6) != fam ||
				    now - k->born < timeout_of(k))
					continue;
				if (!victim || k->seq < victim->seq)
					victim = k;
			}
		CHECK(victim != NULL, "a timeout only for an expired datagram");
	} else {
		CHECK(why == TUNECHO_DROP_REASM_EVICTED, "the callback: timeout or eviction");
		for (int i = 0; i < NKEYS; i++)
			if (km[i].live && i != current && (!victim || older(&km[i], victim)))
				victim = &km[i];
		CHECK(victim != NULL, "an eviction of a datagram other than the one added");
	}
	CHECK(victim->ifindex == ifindex, "the interface of the datagram dropped");
	forget(victim);
}

static void check_gauges(struct te_reasm *r)
{
	struct te_reasm_stats st;

	te_reasm_get_stats(r, &st);
	CHECK(st.memory <= CAP, "memory never above the cap");
	CHECK(st.pending ? st.memory > 0 : st.memory == 0, "memory 0 exactly when nothing held");
	CHECK(st.pending == live_count(), "pending: what the model holds");
	for (int i = 0; i < NKEYS; i++)
		CHECK(!km[i].live || now - km[i].born < timeout_of(&km[i]),
		      "nothing expired is held");
}

static size_t pending(struct te_reasm *r)
{
	struct te_reasm_stats st;

	te_reasm_get_stats(r, &st);
	return st.pending;
}

/* No partial overlap is ever taken (checked), so the count is exact. */
static bool complete(const struct key_model *k)
{
	return k->have_end && k->have_first && k->extent == k->end && k->count == k->end;
}

/* The datagram that came out against the model's. */
static void check_output(const struct key_model *k, size_t len, uint8_t proto)
{
	CHECK(len == k->hlen + k->end, "DONE: header and payload, no byte more");
	for (size_t i = 0; i < k->n_pieces; i++) {
		const struct piece *pc = &k->pieces[i];

		CHECK(!memcmp(out + k->hlen + pc->start, bytes_of(pc->seed, pc->start),
			      pc->end - pc->start),
		      "DONE: the bytes the fragments carried, first copy");
	}
	if (k->family == AF_INET) {
		CHECK(len <= 65535, "DONE: an IPv4 datagram of 65535 bytes at most");
		CHECK(out[0] == k->hdr[0] && out[1] == k->hdr[1], "IPv4: version, IHL, TOS");
		CHECK(te_get16(out + 2) == len, "IPv4: total length");
		CHECK(!memcmp(out + 4, k->hdr + 4, 2), "IPv4: identification");
		CHECK(te_get16(out + 6) == (te_get16(k->hdr + 6) & 0x4000u),
		      "IPv4: DF kept, MF/offset 0");
		CHECK(!memcmp(out + 8, k->hdr + 8, 2), "IPv4: TTL, protocol");
		CHECK(!memcmp(out + 12, k->hdr + 12, k->hlen - 12), "IPv4: addresses, options");
		CHECK(oc_sum(out, k->hlen) == 0xffff, "IPv4: header checksum valid");
	} else {
		CHECK(len <= 40 + 65535, "DONE: an IPv6 payload of 65535 bytes at most");
		CHECK(!memcmp(out, k->hdr, 4), "IPv6: version, class, flow");
		CHECK(te_get16(out + 4) == k->end, "IPv6: payload length");
		CHECK(out[6] == proto, "IPv6: the Fragment header's next header");
		CHECK(!memcmp(out + 7, k->hdr + 7, 33), "IPv6: hop limit, addresses");
	}
}

static void build(struct te_frag_in *f, const uint8_t *op, int *key)
{
	bool v6 = op[0] & 1, more = op[0] & 2, opts = !v6 && (op[0] & 0x40);
	unsigned idx = (op[7] & 0x1fu) << 3 | ((op[0] >> 2) & 7), ifx = (op[0] >> 5) & 1;
	unsigned off = (te_get16(op + 1) & 0x1fff) * 8, l16 = te_get16(op + 3), seed = op[6];
	size_t len = (l16 & 0x1fff) * 8, hlen = v6 ? 40 : opts ? 60 : 20;
	size_t max = v6 ? 65535 - 8 : 65535 - hlen;

	len = len >= (l16 >> 13) ? len - (l16 >> 13) : 0;
	if (len > max)
		len = max;
	memcpy(frag_data, bytes_of((uint8_t)seed, off), len);
	memset(frag_hdr, 0, sizeof(frag_hdr));
	if (!v6) {
		frag_hdr[0] = (uint8_t)(0x40 | hlen / 4);
		frag_hdr[1] = (uint8_t)seed;
		put16(frag_hdr + 2, (unsigned)(hlen + len));
		put16(frag_hdr + 4, idx);
		put16(frag_hdr + 6, (seed & 1 ? 0x4000u : 0) | (more ? 0x2000u : 0) | off / 8);
		frag_hdr[8] = (uint8_t)(seed | 1);
		frag_hdr[9] = 1;
		memcpy(frag_hdr + 12, src4, 4);
		memcpy(frag_hdr + 16, dst4, 4);
		memset(frag_hdr + 20, 1, hlen - 20); /* NOPs */
	} else {
		frag_hdr[0] = 0x60;
		frag_hdr[3] = (uint8_t)seed; /* flow label */
		put16(frag_hdr + 4, (unsigned)(8 + len));
		frag_hdr[6] = 44;
		frag_hdr[7] = (uint8_t)seed;
		memcpy(frag_hdr + 8, src6, 16);
		memcpy(frag_hdr + 24, dst6, 16);
	}
	*f = (struct te_frag_in){
	    .family = v6 ? AF_INET6 : AF_INET,
	    .src = v6 ? src6 : src4,
	    .dst = v6 ? dst6 : dst4,
	    .proto = v6 ? 58 : 1,
	    .id = v6 ? 0x10000u * idx + 7 : idx,
	    .offset = off,
	    .more = more,
	    .hdr = frag_hdr,
	    .hlen = hlen,
	    .data = frag_data,
	    .len = len,
	};
	*key = (int)(v6 << 9 | ifx << 8 | idx);
	km[*key].family = f->family;
	km[*key].ifindex = 1 + (int)ifx;
	km[*key].id = f->id;
}

/* How many of the model's bytes in [start, end) are held. */
static unsigned held_in(const struct key_model *k, unsigned start, unsigned end)
{
	unsigned n = 0;

	for (size_t i = 0; i < k->n_pieces; i++) {
		unsigned a = k->pieces[i].start > start ? k->pieces[i].start : start;
		unsigned b = k->pieces[i].end < end ? k->pieces[i].end : end;

		n += b > a ? b - a : 0;
	}
	return n;
}

static void add_one(struct te_reasm *r, const uint8_t *op)
{
	struct te_frag_in f;
	struct key_model *k;
	int key;
	size_t p_before, p_after, out_len = 0;
	enum tunecho_drop_reason why = TUNECHO_DROP_REASONS;
	enum te_reasm_status s;
	unsigned start, end;
	bool was_live, is_new;

	build(&f, op, &key);
	k = &km[key];
	start = f.offset;
	end = f.offset + (unsigned)f.len;
	if (f.family == AF_INET && f.more)
		end &= ~7u; /* Linux's cut of a non-final IPv4 fragment */

	current = key;
	s = te_reasm_add(r, &f, k->ifindex, now, on_drop, km, out, sizeof(out), &out_len, &why);
	current = -1;
	CHECK(s == TE_REASM_HELD || s == TE_REASM_DONE || s == TE_REASM_DROP, "a known status");

	/* The model after the callbacks: what was held before this fragment. */
	was_live = k->live;
	p_before = live_count();
	p_after = pending(r);

	if (s == TE_REASM_DROP) {
		CHECK((unsigned)why < TUNECHO_DROP_REASONS, "a known reason");
		if (why == TUNECHO_DROP_REASM_OVERLAP)
			CHECK(was_live && end > start && held_in(k, start, end) > 0,
			      "an overlap drop overlaps held data");
		if (was_live && p_after + 1 == p_before) {
			forget(k);
		} else {
			CHECK(p_after == p_before, "a drop releases at most its own datagram");
			CHECK(!was_live ||
				  (f.family == AF_INET6 && (why == TUNECHO_DROP_FRAGMENT ||
							    why == TUNECHO_DROP_REASM_OVERSIZE)),
			      "only an IPv6 fragment refused alone leaves its datagram");
		}
		check_gauges(r);
		return;
	}

	/* Held or done: the fragment was taken. Its bytes all new, or all held. */
	CHECK(end > start, "an empty fragment is not taken");
	if (!was_live) {
		CHECK(s == TE_REASM_DONE ? p_after == p_before : p_after == p_before + 1,
		      "a new datagram is counted");
		forget(k);
		k->live = true;
		k->born = now;
		k->seq = ++seq;
	} else {
		CHECK(s == TE_REASM_DONE ? p_after + 1 == p_before : p_after == p_before,
		      "a datagram made whole is released");
	}
	/* A later fragment's own IPv4 header does not count: the first's, or
	 * the smallest one until it comes. */
	CHECK(end <= (f.family == AF_INET ? 65535 - (k->have_first ? k->hlen : 20) : 65535),
	      "nothing past 65535 is taken");
	if (f.more)
		CHECK(!k->have_end || end <= k->end, "nothing past the end is taken");
	else
		CHECK((!k->have_end || end == k->end) && end >= k->extent,
		      "one end, with nothing held past it");
	{
		unsigned h = held_in(k, start, end);

		CHECK(h == 0 || h == end - start, "a partial overlap is never taken");
		is_new = h == 0;
	}
	CHECK(is_new || s == TE_REASM_HELD, "a duplicate does not complete a datagram");
	if (is_new) {
		if (k->n_pieces == k->room) {
			k->room = k->room ? 2 * k->room : 16;
			k->pieces = realloc(k->pieces, k->room * sizeof(*k->pieces));
			if (!k->pieces)
				abort();
		}
		k->pieces[k->n_pieces++] = (struct piece){start, end, op[6]};
		k->count += end - start;
		if (end > k->extent)
			k->extent = end;
		if (start == 0) {
			memcpy(k->hdr, f.hdr, f.hlen);
			k->hlen = f.hlen;
			k->have_first = true;
		}
	}
	/* The end is learnt even from a duplicate, as Linux's ip_frag_queue()
	 * marks it before it finds the duplicate. */
	if (!f.more) {
		k->have_end = true;
		k->end = end;
	}
	if (s == TE_REASM_HELD) {
		/* A duplicate that brings the end makes no datagram: Linux
		 * does not reassemble on a duplicate either (it stays, and times
		 * out). */
		CHECK(!complete(k) || !is_new, "a complete datagram is not held back");
	} else {
		CHECK(complete(k), "DONE only when complete");
		check_output(k, out_len, f.proto);
		forget(k);
	}
	check_gauges(r);
}

static void expire_now(struct te_reasm *r)
{
	uint64_t next = te_reasm_expire(r, now, on_drop, km), want = UINT64_MAX;

	for (int i = 0; i < NKEYS; i++)
		if (km[i].live && km[i].born + timeout_of(&km[i]) < want)
			want = km[i].born + timeout_of(&km[i]);
	CHECK(next == want, "te_reasm_expire(): the next expiry");
	check_gauges(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct te_reasm *r;

	make_noise();
	if (te_reasm_new(&r, CAP, T4_MS, T6_MS))
		abort();
	for (int i = 0; i < NKEYS; i++)
		forget(&km[i]);
	seq = 0;
	now = 1000;
	for (size_t at = 0; at + OP <= size; at += OP) {
		const uint8_t *op = data + at;

		now += op[5] < 128 ? op[5] : (uint64_t)(op[5] - 127) * 512;
		if (op[0] & 0x80)
			expire_now(r);
		else
			add_one(r, op);
	}
	te_reasm_free(r);
	for (int i = 0; i < NKEYS; i++) {
		free(km[i].pieces);
		km[i].pieces = NULL;
		km[i].room = 0;
	}
	return 0;
}

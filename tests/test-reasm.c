/* SPDX-License-Identifier: MIT */
/*
 * Reassembly (reasm.c), fragmentation (frag.c) and IP in (ipin.c) against
 * the rules of Linux's inet_fragment code and of RFC 791, 8200, 5722 and
 * 6946: orders, duplicates, overlaps, limits, timeouts with injected time,
 * the memory cap and its eviction order, the header of what comes out; a
 * round trip through te_frag_begin/te_frag_next and back; and the IPv6
 * extension header walk.
 *
 * Datagrams are built and checksummed here with reference.h's checksum,
 * never the library's. Every te_reasm_add() goes through add(), which
 * checks after each call that the memory gauge is within the cap and
 * agrees with the pending count.
 *
 * Six cases say "found by this suite and fixed": reasm.c or ipin.c broke
 * the rule (once with a crash) when they were written.
 */
#include "common.h"

#include <netinet/in.h>
#include <stdint.h>

#include "frag.h"
#include "ipin.h"
#include "packet.h"
#include "reasm.h"
#include "reference.h"

/* ------------------------------------------------------------------ */
/* Bytes, checksums and datagrams                                     */
/* ------------------------------------------------------------------ */

static unsigned get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

#define SRC4 0xc6120001u /* 198.18.0.1 */
#define DST4 0xc6120002u /* 198.18.0.2 */
static const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
static const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 2};
#define ID6 0x5eed1234u /* the Fragment headers' identification */
#define IFX 3		/* the interface index of most adds */

enum { BUF = TE_REASM_ROOM + 256 };
static uint8_t dg[BUF], alt[BUF], pkt_buf[BUF];

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131u + seed * 7u + (i >> 8));
}

/* ICMPv6's pseudo-header (RFC 8200 §8.1) for @len bytes, summed. */
static uint16_t pseudo6(const uint8_t *ip, size_t len)
{
	uint16_t s = ref_sum(ip + 8, 32);

	s = ones_add(s, (uint16_t)(len >> 16));
	s = ones_add(s, (uint16_t)len);
	return ones_add(s, 58);
}

/*
 * An IPv4 ICMP echo request of @total bytes with options @opt, as the
 * handlers write replies: no DF, no fragment bits.
 */
static size_t dgram4(uint8_t *b, size_t total, const uint8_t *opt, size_t optlen, uint16_t ipid,
		     unsigned seed)
{
	size_t hlen = 20 + optlen;
	uint8_t *icmp = b + hlen;

	ck_assert(optlen % 4 == 0 && optlen <= 40);
	ck_assert(total >= hlen + 8 && total <= 65535);
	memset(b, 0, hlen + 8);
	b[0] = (uint8_t)(0x40 | hlen / 4);
	put16(b + 2, (unsigned)total);
	put16(b + 4, ipid);
	b[8] = 64;
	b[9] = 1;
	put32(b + 12, SRC4);
	put32(b + 16, DST4);
	if (optlen)
		memcpy(b + 20, opt, optlen);
	icmp[0] = 8;
	put16(icmp + 4, 0x1234);
	put16(icmp + 6, seed);
	fill(icmp + 8, total - hlen - 8, seed);
	put16(icmp + 2, (uint16_t)~ref_sum(icmp, total - hlen));
	put16(b + 10, (uint16_t)~ref_sum(b, hlen));
	return total;
}

/* An IPv6 ICMPv6 echo request of @total bytes (40 + payload). */
static size_t dgram6(uint8_t *b, size_t total, unsigned seed)
{
	size_t plen = total - 40;
	uint8_t *icmp = b + 40;

	ck_assert(total >= 48 && plen <= 65535);
	memset(b, 0, 48);
	put32(b, 0x60012345);
	put16(b + 4, (unsigned)plen);
	b[6] = 58;
	b[7] = 64;
	memcpy(b + 8, src6, 16);
	memcpy(b + 24, dst6, 16);
	icmp[0] = 128;
	put16(icmp + 4, 0xbeef);
	put16(icmp + 6, seed);
	fill(icmp + 8, plen - 8, seed);
	put16(icmp + 2, (uint16_t)~ones_add(pseudo6(b, plen), ref_sum(icmp, plen)));
	return total;
}

static size_t dgram(int fam, uint8_t *b, size_t total, unsigned seed)
{
	return fam == AF_INET ? dgram4(b, total, NULL, 0, 0x4242, seed) : dgram6(b, total, seed);
}

static size_t hlen_of(const uint8_t *d)
{
	return d[0] >> 4 == 4 ? (size_t)(d[0] & 0x0f) * 4 : 40;
}

/* A whole IPv4 datagram: lengths, header and ICMP checksums. */
static void check4(const uint8_t *p, size_t len)
{
	size_t hlen = hlen_of(p);

	ck_assert_uint_eq(p[0] >> 4, 4);
	ck_assert_uint_eq(get16(p + 2), len);
	ck_assert_uint_eq(get16(p + 6) & 0x3fff, 0);
	ck_assert_uint_eq(ref_sum(p, hlen), 0xffff);
	ck_assert_uint_eq(ref_sum(p + hlen, len - hlen), 0xffff);
}

/* A whole IPv6 datagram: payload length, ICMPv6 checksum. */
static void check6(const uint8_t *p, size_t len)
{
	size_t plen = len - 40;

	ck_assert_uint_eq(p[0] >> 4, 6);
	ck_assert_uint_eq(get16(p + 4), plen);
	ck_assert_uint_eq(p[6], 58);
	ck_assert_uint_eq(ones_add(pseudo6(p, plen), ref_sum(p + 40, plen)), 0xffff);
}

static void check_dgram(const uint8_t *p, size_t len)
{
	if (p[0] >> 4 == 4)
		check4(p, len);
	else
		check6(p, len);
}

/* @got is @want byte for byte; the first difference is named. */
static void same_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	ck_assert_uint_eq(got_len, want_len);
	if (!memcmp(got, want, want_len))
		return; /* (each ck_assert is a message to Check's parent: not per byte) */
	for (size_t i = 0; i < want_len; i++)
		ck_assert_msg(got[i] == want[i], "byte %zu: 0x%02x, expected 0x%02x", i, got[i],
			      want[i]);
}

/* ------------------------------------------------------------------ */
/* The table, through add()                                           */
/* ------------------------------------------------------------------ */

static struct te_reasm *R;
static size_t CAP;
static uint8_t out[TE_REASM_ROOM];
static size_t out_len;
static enum tunecho_drop_reason why;

struct drop_rec {
	int ifindex;
	enum tunecho_drop_reason why;
};
static struct drop_rec drops[1024];
static size_t n_drops;

static void on_drop(void *arg, int ifindex, enum tunecho_drop_reason w)
{
	ck_assert_ptr_eq(arg, drops);
	ck_assert(w == TUNECHO_DROP_REASM_TIMEOUT || w == TUNECHO_DROP_REASM_EVICTED);
	if (n_drops < sizeof(drops) / sizeof(drops[0]))
		drops[n_drops] = (struct drop_rec){ifindex, w};
	n_drops++;
}

static void table(size_t cap)
{
	te_reasm_free(R);
	ck_assert_int_eq(te_reasm_new(&R, cap, 30000, 60000), 0);
	CAP = cap;
	n_drops = 0;
}

static void teardown(void)
{
	te_reasm_free(R);
	R = NULL;
}

static struct te_reasm_stats stats(void)
{
	struct te_reasm_stats st;

	te_reasm_get_stats(R, &st);
	return st;
}

/* The gauges after any call: within the cap, zero exactly when nothing is held. */
static void check_gauges(void)
{
	struct te_reasm_stats st = stats();

	ck_assert_msg(st.memory <= CAP, "memory %zu over the cap %zu", st.memory, CAP);
	ck_assert_msg(st.pending ? st.memory > 0 : st.memory == 0, "pending %zu, memory %zu",
		      st.pending, st.memory);
}

static enum te_reasm_status add_on(const struct te_frag_in *f, int ifindex, uint64_t now)
{
	enum te_reasm_status s;

	out_len = 0;
	why = TUNECHO_DROP_REASONS;
	s = te_reasm_add(R, f, ifindex, now, on_drop, drops, out, sizeof(out), &out_len, &why);
	ck_assert(s == TE_REASM_HELD || s == TE_REASM_DONE || s == TE_REASM_DROP);
	if (s == TE_REASM_DROP)
		ck_assert_uint_lt(why, TUNECHO_DROP_REASONS);
	if (s == TE_REASM_DONE)
		ck_assert_uint_le(out_len, sizeof(out));
	check_gauges();
	return s;
}

static enum te_reasm_status add(const struct te_frag_in *f, uint64_t now)
{
	return add_on(f, IFX, now);
}

/* The piece [@off, @off + @len) of datagram @d's payload, as a fragment of it. */
static struct te_frag_in piece(const uint8_t *d, size_t off, size_t len, bool more)
{
	bool v4 = d[0] >> 4 == 4;
	size_t hlen = hlen_of(d);

	return (struct te_frag_in){
	    .family = v4 ? AF_INET : AF_INET6,
	    .src = d + (v4 ? 12 : 8),
	    .dst = d + (v4 ? 16 : 24),
	    .proto = v4 ? d[9] : d[6],
	    .id = v4 ? get16(d + 4) : ID6,
	    .offset = (unsigned)off,
	    .more = more,
	    .hdr = d,
	    .hlen = hlen,
	    .data = d + hlen + off,
	    .len = len,
	};
}

static size_t payload_len(const uint8_t *d)
{
	return d[0] >> 4 == 4 ? get16(d + 2) - hlen_of(d) : get16(d + 4);
}

static struct te_frag_in frags[9000];
static size_t order[9000];

/* Cut @d's payload into pieces of @step bytes (a multiple of 8). */
static size_t cut(const uint8_t *d, size_t step)
{
	size_t total = payload_len(d), n = 0;

	for (size_t off = 0; off < total; off += step) {
		size_t len = total - off < step ? total - off : step;

		ck_assert_uint_lt(n, sizeof(frags) / sizeof(frags[0]));
		frags[n++] = piece(d, off, len, off + len < total);
	}
	return n;
}

/* Cut into pieces of random sizes, multiples of 8 from 8 to @max. */
static size_t cut_random(const uint8_t *d, size_t max)
{
	size_t total = payload_len(d), n = 0;

	for (size_t off = 0; off < total;) {
		size_t step = 8 * (1 + rng_upto(max / 8 - 1));
		size_t len = total - off < step ? total - off : step;

		ck_assert_uint_lt(n, sizeof(frags) / sizeof(frags[0]));
		frags[n++] = piece(d, off, len, off + len < total);
		off += len;
	}
	return n;
}

static void order_forward(size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = i;
}

static void order_reverse(size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = n - 1 - i;
}

static void order_shuffle(size_t n)
{
	order_forward(n);
	for (size_t i = n - 1; i > 0; i--) {
		size_t j = rng_upto(i), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
}

/* Feed frags[order[...]]: held until the last, which gives back @want. */
static void feed_whole(size_t n, const uint8_t *want, size_t want_len)
{
	struct te_reasm_stats before = stats();

	for (size_t i = 0; i < n; i++) {
		enum te_reasm_status s = add(&frags[order[i]], 1000);

		if (i + 1 < n)
			ck_assert_msg(s == TE_REASM_HELD, "fragment %zu of %zu (#%zu): status %d",
				      i, n, order[i], s);
		else
			ck_assert_msg(s == TE_REASM_DONE, "last fragment: status %d, why %d", s,
				      why);
	}
	same_bytes(out, out_len, want, want_len);
	check_dgram(out, out_len);
	ck_assert_uint_eq(stats().reassembled, before.reassembled + 1);
	ck_assert_uint_eq(stats().pending, before.pending);
}

static const int fams[2] = {AF_INET, AF_INET6};

/* ------------------------------------------------------------------ */
/* Orders                                                             */
/* ------------------------------------------------------------------ */

START_TEST(test_in_order)
{
	int fam = fams[_i];
	size_t len = dgram(fam, dg, 3000, 1), n;

	table(4u << 20);
	n = cut(dg, fam == AF_INET ? 1480 : 1232);
	ck_assert_uint_eq(n, 3);
	order_forward(n);
	feed_whole(n, dg, len);
	ck_assert_uint_eq(stats().memory, 0);
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(n_drops, 0);
}
END_TEST

START_TEST(test_reverse)
{
	int fam = fams[_i];
	size_t len = dgram(fam, dg, 5000, 2), n;

	table(4u << 20);
	n = cut(dg, 1000);
	order_reverse(n);
	feed_whole(n, dg, len);
	ck_assert_uint_eq(stats().memory, 0);
}
END_TEST

/* Twenty fixed seeds, random sizes and random piece sizes. */
START_TEST(test_shuffled)
{
	table(4u << 20);
	rng_seed(0x5eed0000u + (uint64_t)_i);
	for (int k = 0; k < 2; k++) {
		int fam = fams[k];
		size_t total = (fam == AF_INET ? 29 : 49) + rng_upto(20000);
		size_t len = dgram(fam, dg, total, (unsigned)_i), n;

		n = cut_random(dg, 2048);
		order_shuffle(n);
		feed_whole(n, dg, len);
	}
	ck_assert_uint_eq(stats().memory, 0);
	ck_assert_uint_eq(stats().reassembled, 2);
}
END_TEST

/* 8-byte fragments are fine in both families, however they come. */
START_TEST(test_eight_byte_fragments)
{
	int fam = fams[_i];
	size_t len = dgram(fam, dg, 1200, 3), n;

	table(4u << 20);
	n = cut(dg, 8);
	order_forward(n);
	feed_whole(n, dg, len);
	rng_seed(8);
	order_shuffle(n);
	feed_whole(n, dg, len);
}
END_TEST

/* The key: interface, addresses, identification (and IPv4's protocol) part it. */
START_TEST(test_keys_keep_datagrams_apart)
{
	size_t len = dgram4(dg, 1000, NULL, 0, 0x4242, 4);
	struct te_frag_in a = piece(dg, 0, 480, true), b = piece(dg, 480, len - 500, false);
	uint8_t other[4] = {198, 18, 0, 9};
	struct te_frag_in c;

	table(4u << 20);
	ck_assert_int_eq(add(&a, 0), TE_REASM_HELD);
	c = b, c.id = 0x4243;
	ck_assert_int_eq(add(&c, 0), TE_REASM_HELD);
	c = b, c.src = other;
	ck_assert_int_eq(add(&c, 0), TE_REASM_HELD);
	c = b, c.dst = other;
	ck_assert_int_eq(add(&c, 0), TE_REASM_HELD);
	c = b, c.proto = 17;
	ck_assert_int_eq(add(&c, 0), TE_REASM_HELD);
	ck_assert_int_eq(add_on(&b, IFX + 1, 0), TE_REASM_HELD);
	ck_assert_uint_eq(stats().pending, 6);
	ck_assert_int_eq(add(&b, 0), TE_REASM_DONE);
	same_bytes(out, out_len, dg, len);
	ck_assert_uint_eq(stats().pending, 5);
}
END_TEST

/*
 * RFC 8200 §4.5 keys IPv6 fragments by source, destination and
 * identification, and so does Linux (frag_v6_compare_key): the Next
 * Header of a later fragment's Fragment header is not part of the key;
 * the first fragment's is the datagram's (ip6_frag_reasm()).
 */
START_TEST(test_ipv6_key_without_next_header)
{
	size_t len = dgram6(dg, 1000, 5);
	struct te_frag_in a = piece(dg, 0, 480, true), b = piece(dg, 480, len - 520, false);

	table(4u << 20);
	b.proto = 17;
	ck_assert_int_eq(add(&a, 0), TE_REASM_HELD);
	/* Found by this suite and fixed: reasm.c find() compares proto for IPv6 too. */
	ck_assert_int_eq(add(&b, 0), TE_REASM_DONE);
	same_bytes(out, out_len, dg, len);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Duplicates                                                         */
/* ------------------------------------------------------------------ */

/* Every fragment twice: the copies are ignored and counted. */
START_TEST(test_exact_duplicates_ignored)
{
	int fam = fams[_i];
	size_t len = dgram(fam, dg, 4000, 6), n = cut(dg, 800);

	table(4u << 20);
	/* The last first, twice: a duplicate of the tail run. */
	ck_assert_int_eq(add(&frags[n - 1], 0), TE_REASM_HELD);
	ck_assert_int_eq(add(&frags[n - 1], 0), TE_REASM_HELD);
	for (size_t i = 0; i + 1 < n; i++) {
		ck_assert_int_eq(add(&frags[i], 0), i + 2 == n ? TE_REASM_DONE : TE_REASM_HELD);
		if (i + 2 < n)
			ck_assert_int_eq(add(&frags[i], 0), TE_REASM_HELD);
	}
	same_bytes(out, out_len, dg, len);
	ck_assert_uint_eq(stats().duplicates, n - 1);
	ck_assert_uint_eq(stats().pending, 0);
}
END_TEST

/*
 * A fragment wholly inside one run (fragments that came in order) is a
 * duplicate even when its bytes differ, and even when it straddles the
 * fragments the run was made of: the first copy wins.
 */
START_TEST(test_duplicate_inside_run_first_copy_wins)
{
	int fam = fams[_i];
	size_t len = dgram(fam, dg, 1000, 7), plen = payload_len(dg);
	struct te_frag_in f;

	memcpy(alt, dg, len);
	for (size_t i = hlen_of(dg); i < len; i++)
		alt[i] ^= 0xa5;
	table(4u << 20);
	for (size_t off = 0; off < 64; off += 16) {
		f = piece(dg, off, 16, true);
		ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	}
	f = piece(alt, 8, 48, true); /* [8, 56) inside the run [0, 64) */
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	f = piece(alt, 0, 64, true); /* the whole run */
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	ck_assert_uint_eq(stats().duplicates, 2);
	f = piece(dg, 64, plen - 64, false);
	ck_assert_int_eq(add(&f, 0), TE_REASM_DONE);
	same_bytes(out, out_len, dg, len);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Overlaps (RFC 5722): the whole datagram goes                       */
/* ------------------------------------------------------------------ */

static void hold(const uint8_t *d, size_t off, size_t len, bool more)
{
	struct te_frag_in f = piece(d, off, len, more);

	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
}

static void expect_overlap(const uint8_t *d, size_t off, size_t len, bool more)
{
	struct te_frag_in f = piece(d, off, len, more);

	ck_assert_int_eq(add(&f, 0), TE_REASM_DROP);
	ck_assert_int_eq(why, TUNECHO_DROP_REASM_OVERLAP);
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(stats().memory, 0);
	ck_assert_uint_eq(n_drops, 0); /* told through the status, not the callback */
}

/* Past the end of the highest run, starting inside it: same bytes, still an overlap. */
START_TEST(test_overlap_with_tail)
{
	int fam = fams[_i];

	dgram(fam, dg, 1000, 8);
	table(4u << 20);
	hold(dg, 0, 16, true);
	expect_overlap(dg, 8, 16, true);
	/* What comes next starts a new datagram. */
	hold(dg, 16, 16, true);
	ck_assert_uint_eq(stats().pending, 1);
}
END_TEST

/* Below the highest run, partly over one run (Linux's binary search). */
START_TEST(test_overlap_inside)
{
	int fam = fams[_i];

	dgram(fam, dg, 1000, 9);
	table(4u << 20);
	hold(dg, 0, 8, true);
	hold(dg, 24, 16, true);
	expect_overlap(dg, 16, 16, true); /* [16, 32) over [24, 40) */
	hold(dg, 0, 8, true);
	hold(dg, 24, 16, true);
	expect_overlap(dg, 0, 16, true); /* [0, 16) holds [0, 8) and more */
}
END_TEST

/*
 * Fragments that came out of order are runs of their own, even when
 * they touch: one fragment over two of them is an overlap, though every
 * byte it carries is already held (inet_frag_queue_insert()).
 */
START_TEST(test_overlap_spanning_two_runs)
{
	int fam = fams[_i];

	dgram(fam, dg, 1000, 10);
	table(4u << 20);
	hold(dg, 0, 8, true);
	hold(dg, 16, 8, true);
	hold(dg, 32, 8, true);
	expect_overlap(dg, 0, 24, true); /* [0, 8) gap [16, 24) */
	hold(dg, 0, 8, true);
	hold(dg, 16, 8, true);
	hold(dg, 32, 8, true);
	expect_overlap(dg, 8, 16, true); /* the gap and [16, 24) */
	/* Touching runs, in reverse: [8, 16) then [0, 8); [0, 16) is over both. */
	hold(dg, 32, 8, true);
	hold(dg, 8, 8, true);
	hold(dg, 0, 8, true);
	expect_overlap(dg, 0, 16, true);
}
END_TEST

/* An overlapping last fragment, and one ending inside held data. */
START_TEST(test_overlap_by_last_fragment)
{
	int fam = fams[_i];
	size_t plen;

	dgram(fam, dg, 1000, 11);
	plen = payload_len(dg);
	table(4u << 20);
	hold(dg, 0, 64, true);
	expect_overlap(dg, 56, plen - 56, false);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Malformed sequences                                                */
/* ------------------------------------------------------------------ */

static void expect_drop(const struct te_frag_in *f, enum tunecho_drop_reason want)
{
	ck_assert_int_eq(add(f, 0), TE_REASM_DROP);
	ck_assert_int_eq(why, want);
}

/* Two different ends, and data past a known end: the datagram is corrupt. */
START_TEST(test_conflicting_ends)
{
	int fam = fams[_i];
	size_t plen;
	struct te_frag_in f;

	dgram(fam, dg, 1000, 12);
	plen = payload_len(dg);
	table(4u << 20);
	hold(dg, 0, 64, true);
	hold(dg, 128, plen - 128, false);
	f = piece(dg, 64, 32, false); /* a second end, short of the first */
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);

	hold(dg, 128, plen - 128, false);
	f = piece(dg, 0, 8, false);
	f.len = plen + 8; /* a longer end: dg has the bytes */
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);

	hold(dg, 128, plen - 128, false);
	f = piece(dg, 64, plen - 64 + 8, true); /* data past the end */
	f.len = (f.len + 7) & ~(size_t)7;
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(stats().memory, 0);
}
END_TEST

/* Without the last fragment nothing comes out; the timeout takes it. */
START_TEST(test_missing_last_fragment)
{
	int fam = fams[_i];
	size_t n;
	uint64_t timeout = fam == AF_INET ? 30000 : 60000;

	dgram(fam, dg, 6000, 13);
	table(4u << 20);
	n = cut(dg, 1000);
	for (size_t i = 0; i + 1 < n; i++)
		ck_assert_int_eq(add(&frags[i], 5), TE_REASM_HELD);
	/* Every fragment but the last again, in reverse: duplicates. */
	for (size_t i = n - 1; i-- > 0;)
		ck_assert_int_eq(add(&frags[i], 6), TE_REASM_HELD);
	ck_assert_uint_eq(stats().pending, 1);
	ck_assert_uint_eq(te_reasm_expire(R, 5 + timeout - 1, on_drop, drops), 5 + timeout);
	ck_assert_uint_eq(n_drops, 0);
	ck_assert_uint_eq(te_reasm_expire(R, 5 + timeout, on_drop, drops), UINT64_MAX);
	ck_assert_uint_eq(n_drops, 1);
	ck_assert_int_eq(drops[0].why, TUNECHO_DROP_REASM_TIMEOUT);
	ck_assert_int_eq(drops[0].ifindex, IFX);
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(stats().memory, 0);
}
END_TEST

/*
 * IPv4 (Linux's ip_frag_queue()): a non-final fragment's tail past a
 * multiple of 8 is cut off; with nothing left (4 bytes) it is dropped,
 * and with it the datagram (discard_qp).
 */
START_TEST(test_ipv4_nonfinal_tail_cut)
{
	size_t len = dgram4(dg, 200, NULL, 0, 0x1111, 14), plen = len - 20;
	struct te_frag_in f;

	memcpy(alt, dg, len);
	for (size_t i = 20; i < len; i++)
		alt[i] ^= 0xff;
	table(4u << 20);
	/* [0, 12) with MF: [0, 8) is kept; bytes 8..11 come from the next one. */
	f = piece(alt, 0, 12, true);
	memcpy(alt + 20, dg + 20, 8);
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	f = piece(dg, 8, plen - 8, false);
	ck_assert_int_eq(add(&f, 0), TE_REASM_DONE);
	same_bytes(out, out_len, dg, len);
}
END_TEST

START_TEST(test_ipv4_nonfinal_four_bytes_dropped)
{
	struct te_frag_in f;

	dgram4(dg, 200, NULL, 0, 0x1112, 15);
	table(4u << 20);
	f = piece(dg, 8, 4, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
	/* With a datagram held, it goes too (as Linux's discard_qp). */
	hold(dg, 0, 8, true);
	f = piece(dg, 8, 4, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(stats().memory, 0);
	/* At offset 0 too. */
	f = piece(dg, 0, 4, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
}
END_TEST

/*
 * IPv6 (RFC 8200 §4.5; Linux's ip6_frag_queue()): a non-final fragment
 * not a multiple of 8 is refused by itself; the datagram stays.
 */
START_TEST(test_ipv6_nonfinal_unaligned_refused)
{
	size_t len = dgram6(dg, 400, 16), plen = len - 40;
	struct te_frag_in f;

	table(4u << 20);
	f = piece(dg, 0, 12, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
	hold(dg, 0, 16, true);
	f = piece(dg, 16, 100, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 1);
	f = piece(dg, 16, 4, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 1);
	f = piece(dg, 16, plen - 16, false);
	ck_assert_int_eq(add(&f, 0), TE_REASM_DONE);
	same_bytes(out, out_len, dg, len);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The 65535 limit                                                    */
/* ------------------------------------------------------------------ */

/* IPv4: 65535 bytes with the header; one more is refused. */
START_TEST(test_ipv4_largest_datagram)
{
	size_t len = dgram4(dg, 65535, NULL, 0, 0x2222, 17), n;

	table(4u << 20);
	n = cut(dg, 1480);
	rng_seed(17);
	order_shuffle(n);
	feed_whole(n, dg, len);
	ck_assert_uint_eq(get16(out + 2), 65535);
}
END_TEST

START_TEST(test_ipv4_oversize)
{
	struct te_frag_in f;

	dgram4(dg, 65535, NULL, 0, 0x2223, 18);
	table(4u << 20);
	/* The last fragment alone: 20 + 65512 + 4 = 65536. */
	f = piece(dg, 65512, 4, false);
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
	ck_assert_uint_eq(stats().pending, 0);
	/* The same after other fragments: the datagram goes. */
	hold(dg, 0, 1480, true);
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
	ck_assert_uint_eq(stats().pending, 0);
	/* The largest offset with MF. */
	f = piece(dg, 65528, 8, true);
	f.data = dg;
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
	/* 65535 exactly is held. */
	f = piece(dg, 65512, 3, false);
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
}
END_TEST

/* With 40 bytes of options the payload may be 65475 bytes at most. */
START_TEST(test_ipv4_oversize_with_options)
{
	uint8_t opt[40];
	struct te_frag_in f;

	memset(opt, 1, sizeof(opt));
	opt[39] = 0;
	dgram4(dg, 65535, opt, sizeof(opt), 0x2224, 19);
	table(4u << 20);
	hold(dg, 0, 1480, true); /* the first: hlen 60 */
	f = piece(dg, 65472, 8, false);
	f.data = dg;
	f.hlen = 20; /* later fragments' headers do not count */
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
	ck_assert_uint_eq(stats().pending, 0);
}
END_TEST

/*
 * The first fragment, with options, arrives last, after later ones with
 * plain 20-byte headers took the payload to 65515 bytes: Linux checks
 * ip_hdrlen(head) + q.len > 65535 when it reassembles (ip_frag_reasm(),
 * out_oversize) and drops the datagram.
 */
START_TEST(test_ipv4_oversize_first_fragment_last)
{
	uint8_t opt[40];
	size_t plen = 65515;
	struct te_frag_in f;

	memset(opt, 1, sizeof(opt));
	opt[39] = 0;
	/* The bytes: a 60-byte header then data; only offsets matter here. */
	dgram4(dg, 65535, opt, sizeof(opt), 0x2225, 20);
	table(4u << 20);
	for (size_t off = 1480; off < plen; off += 1480) {
		size_t len = plen - off < 1480 ? plen - off : 1480;

		f = piece(dg, 0, len, off + len < plen);
		f.offset = (unsigned)off;
		f.hlen = 20;
		ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	}
	f = piece(dg, 0, 1480, true);
	ck_assert_uint_eq(f.hlen, 60);
	/* Found by this suite and fixed: reasm.c te_reasm_add() checks only the new fragment's end
	 * against 65535 - hlen, never the datagram's max_end when the first fragment brings a
	 * longer header. */
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
}
END_TEST

/*
 * A duplicate final fragment still marks the end, as Linux's
 * ip_frag_queue() learns it before inet_frag_queue_insert() finds the
 * duplicate: data past that end then discards the datagram (review finding).
 */
START_TEST(test_duplicate_final_fragment_marks_the_end)
{
	int fam = fams[_i];
	struct te_frag_in f;

	dgram(fam, dg, 1000, 31);
	table(4u << 20);
	hold(dg, 0, 16, true);
	f = piece(dg, 8, 8, false); /* inside [0, 16): a duplicate, ending at 16 */
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	ck_assert_uint_eq(stats().duplicates, 1);
	f = piece(dg, 16, 8, true);
	expect_drop(&f, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
}
END_TEST

/*
 * The last fragment arrives first with a longer header than the first
 * fragment will have: only the first fragment's header counts (Linux judges
 * ip_hdrlen(head) + len at reassembly), so it is held, not refused.
 */
START_TEST(test_ipv4_later_fragment_header_does_not_count)
{
	struct te_frag_in f;

	dgram4(dg, 65520, NULL, 0, 0x2225, 23); /* 20 + 65500 */
	table(4u << 20);
	f = piece(dg, 65472, 28, false);
	f.hlen = 60; /* its own header, with 40 bytes of options */
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	ck_assert_uint_eq(stats().pending, 1);
}
END_TEST

/* IPv6: a payload of 65535 bytes; one more is refused. */
START_TEST(test_ipv6_largest_datagram)
{
	size_t len = dgram6(dg, 40 + 65535, 21), n;
	struct te_frag_in f;

	table(4u << 20);
	n = cut(dg, 1232);
	rng_seed(21);
	order_shuffle(n);
	feed_whole(n, dg, len);
	ck_assert_uint_eq(get16(out + 4), 65535);

	f = piece(dg, 65528, 8, false); /* ends at 65536 */
	f.data = dg;
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
	hold(dg, 0, 1232, true);
	expect_drop(&f, TUNECHO_DROP_REASM_OVERSIZE);
	/* Only that fragment goes: Linux's ip6_frag_queue() keeps the queue. */
	ck_assert_uint_eq(stats().pending, 1);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Timeouts: from the first fragment, never extended                  */
/* ------------------------------------------------------------------ */

START_TEST(test_timeout_from_first_fragment)
{
	int fam = fams[_i];
	uint64_t t0 = 1000000, timeout = fam == AF_INET ? 30000 : 60000;
	size_t n;

	dgram(fam, dg, 3000, 22);
	table(4u << 20);
	n = cut(dg, 1000);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(add(&frags[0], t0), TE_REASM_HELD);
	ck_assert_int_eq(add(&frags[1], t0 + timeout - 10), TE_REASM_HELD);
	/* The later fragment did not extend it. */
	ck_assert_uint_eq(te_reasm_expire(R, t0 + timeout - 1, on_drop, drops), t0 + timeout);
	ck_assert_uint_eq(n_drops, 0);
	/* Its time is up when the last comes: dropped first, the last held anew. */
	ck_assert_int_eq(add(&frags[2], t0 + timeout), TE_REASM_HELD);
	ck_assert_uint_eq(n_drops, 1);
	ck_assert_int_eq(drops[0].why, TUNECHO_DROP_REASM_TIMEOUT);
	ck_assert_int_eq(drops[0].ifindex, IFX);
	ck_assert_uint_eq(stats().pending, 1);
	ck_assert_uint_eq(te_reasm_expire(R, t0 + timeout, on_drop, drops), t0 + 2 * timeout);
}
END_TEST

/* A millisecond before the timeout, the datagram still comes out. */
START_TEST(test_complete_just_in_time)
{
	int fam = fams[_i];
	uint64_t t0 = 5, timeout = fam == AF_INET ? 30000 : 60000;
	size_t len = dgram(fam, dg, 3000, 23), n = cut(dg, 1000);

	table(4u << 20);
	ck_assert_int_eq(add(&frags[0], t0), TE_REASM_HELD);
	ck_assert_int_eq(add(&frags[1], t0), TE_REASM_HELD);
	ck_assert_int_eq(add(&frags[2], t0 + timeout - 1), TE_REASM_DONE);
	same_bytes(out, out_len, dg, len);
	ck_assert_uint_eq(n_drops, 0);
	(void)n;
}
END_TEST

/* Each family has its own timeout; te_reasm_expire() says the next one. */
START_TEST(test_timeouts_per_family)
{
	struct te_frag_in f;

	table(4u << 20);
	ck_assert_uint_eq(te_reasm_expire(R, 0, on_drop, drops), UINT64_MAX);
	dgram6(alt, 3000, 24);
	f = piece(alt, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 6, 100), TE_REASM_HELD);
	dgram4(dg, 3000, NULL, 0, 0x3333, 24);
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 4, 200), TE_REASM_HELD);
	ck_assert_uint_eq(te_reasm_expire(R, 300, on_drop, drops), 30200);
	ck_assert_uint_eq(te_reasm_expire(R, 30200, on_drop, drops), 60100);
	ck_assert_uint_eq(n_drops, 1);
	ck_assert_int_eq(drops[0].ifindex, 4);
	ck_assert_uint_eq(te_reasm_expire(R, 60099, on_drop, drops), 60100);
	ck_assert_uint_eq(te_reasm_expire(R, 60100, on_drop, drops), UINT64_MAX);
	ck_assert_uint_eq(n_drops, 2);
	ck_assert_int_eq(drops[1].ifindex, 6);
	ck_assert_int_eq(drops[1].why, TUNECHO_DROP_REASM_TIMEOUT);
	ck_assert_uint_eq(stats().memory, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The memory cap                                                     */
/* ------------------------------------------------------------------ */

/* What one datagram holding one fragment of @len bytes costs. */
static size_t cost_of_one(size_t len)
{
	struct te_frag_in f;
	size_t m;

	table(4u << 20);
	dgram4(dg, 3000, NULL, 0, 0x4444, 25);
	f = piece(dg, 0, len, true);
	ck_assert_int_eq(add(&f, 0), TE_REASM_HELD);
	m = stats().memory;
	ck_assert_uint_gt(m, len);
	return m;
}

/*
 * Full, a new datagram takes the place of the oldest, across families
 * (the interface index tells which went).
 */
START_TEST(test_eviction_oldest_first)
{
	size_t m = cost_of_one(1000);
	struct te_frag_in f;

	table(3 * m + m / 2);
	dgram4(dg, 3000, NULL, 0, 0x4444, 25);
	dgram6(alt, 3000, 25);
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 1, 10), TE_REASM_HELD);
	f = piece(alt, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 2, 20), TE_REASM_HELD);
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 3, 30), TE_REASM_HELD);
	ck_assert_uint_eq(stats().memory, 3 * m);
	ck_assert_uint_eq(n_drops, 0);
	for (int k = 4; k <= 7; k++) {
		f = piece(k % 2 ? alt : dg, 0, 1000, true);
		ck_assert_int_eq(add_on(&f, k, 10 * (uint64_t)k), TE_REASM_HELD);
		ck_assert_uint_eq(n_drops, (size_t)k - 3);
		ck_assert_int_eq(drops[k - 4].ifindex, k - 3);
		ck_assert_int_eq(drops[k - 4].why, TUNECHO_DROP_REASM_EVICTED);
		ck_assert_uint_eq(stats().pending, 3);
	}
	/* The survivors are whole when their last fragments come (room made for them). */
	te_reasm_set_limits(R, 4u << 20, 30000, 60000);
	CAP = 4u << 20;
	for (int k = 5; k <= 7; k++) {
		const uint8_t *d = k % 2 ? alt : dg;

		f = piece(d, 1000, payload_len(d) - 1000, false);
		ck_assert_int_eq(add_on(&f, k, 100), TE_REASM_DONE);
		same_bytes(out, out_len, d, 3000);
	}
	ck_assert_uint_eq(n_drops, 4);
	ck_assert_uint_eq(stats().memory, 0);
}
END_TEST

/*
 * A datagram growing past the cap evicts the others, oldest first, even
 * when it is itself the oldest; when nothing else is left it goes.
 */
START_TEST(test_eviction_spares_the_growing_datagram)
{
	size_t m = cost_of_one(1000);
	struct te_frag_in f;

	table(2 * m);
	dgram4(dg, 8000, NULL, 0, 0x4445, 26);
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 1, 10), TE_REASM_HELD); /* A, the oldest */
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 2, 20), TE_REASM_HELD); /* B */
	ck_assert_uint_eq(stats().memory, 2 * m);
	f = piece(dg, 2000, 1000, true);
	ck_assert_int_eq(add_on(&f, 1, 30), TE_REASM_HELD); /* A grows: B goes */
	ck_assert_uint_eq(n_drops, 1);
	ck_assert_int_eq(drops[0].ifindex, 2);
	ck_assert_int_eq(drops[0].why, TUNECHO_DROP_REASM_EVICTED);
	ck_assert_uint_eq(stats().pending, 1);
	/* A alone over the cap: A goes, told through the status. */
	f = piece(dg, 4000, 2000, true);
	ck_assert_int_eq(add_on(&f, 1, 40), TE_REASM_DROP);
	ck_assert_int_eq(why, TUNECHO_DROP_REASM_EVICTED);
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(stats().memory, 0);
	ck_assert_uint_eq(n_drops, 1);
}
END_TEST

/* Appending to the highest run of the oldest datagram evicts the others too. */
START_TEST(test_eviction_while_appending)
{
	size_t m = cost_of_one(1000);
	struct te_frag_in f;

	/* Room for three, and for the first alone once whole (runs grow by doubling). */
	table(m + 7100);
	dgram4(dg, 8000, NULL, 0, 0x4446, 27);
	for (int k = 1; k <= 3; k++) {
		f = piece(dg, 0, 1000, true);
		ck_assert_int_eq(add_on(&f, k, (uint64_t)k), TE_REASM_HELD);
	}
	for (size_t off = 1000; off < 7000; off += 1000) {
		f = piece(dg, off, 1000, true);
		ck_assert_int_eq(add_on(&f, 1, 10), TE_REASM_HELD);
	}
	ck_assert_uint_eq(n_drops, 2);
	ck_assert_int_eq(drops[0].ifindex, 2);
	ck_assert_int_eq(drops[1].ifindex, 3);
	f = piece(dg, 7000, payload_len(dg) - 7000, false);
	ck_assert_int_eq(add_on(&f, 1, 10), TE_REASM_DONE);
	same_bytes(out, out_len, dg, 8000);
}
END_TEST

/* Many datagrams at a small cap, random fragments: the gauge holds (add() checks). */
START_TEST(test_cap_under_load)
{
	struct te_frag_in f;
	uint64_t now = 0;

	table(TUNECHO_REASSEMBLY_MEMORY_MIN);
	rng_seed(28);
	dgram4(dg, 20000, NULL, 0, 0x4447, 28);
	dgram6(alt, 20000, 28);
	for (int i = 0; i < 20000; i++) {
		const uint8_t *d = rng() & 1 ? dg : alt;
		size_t off = 8 * rng_upto(2400), len = 8 * (1 + rng_upto(200));

		f = piece(d, off, len, true);
		f.id = rng() % 64;
		(void)add_on(&f, 1 + (int)(rng() % 4), now);
		now += rng() % 50;
	}
	ck_assert_uint_gt(n_drops, 0);
}
END_TEST

/*
 * A lower cap is enforced by the next add that stores. (An IPv6 datagram
 * is held too, the newest, so that the IPv4 list never runs empty while
 * evicting: see test_new_datagram_over_cap_one_family.)
 */
START_TEST(test_lower_cap)
{
	size_t m = cost_of_one(1000);
	struct te_frag_in f;

	table(8 * m);
	dgram4(dg, 8000, NULL, 0, 0x4448, 29);
	dgram6(alt, 8000, 29);
	for (int k = 1; k <= 4; k++) {
		f = piece(dg, 0, 1000, true);
		ck_assert_int_eq(add_on(&f, k, 10 * (uint64_t)k), TE_REASM_HELD);
	}
	f = piece(alt, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 9, 45), TE_REASM_HELD);
	te_reasm_set_limits(R, 3 * m, 30000, 60000);
	CAP = 3 * m;
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(add_on(&f, 5, 50), TE_REASM_HELD);
	ck_assert_uint_eq(n_drops, 3);
	for (int k = 0; k < 3; k++) {
		ck_assert_int_eq(drops[k].ifindex, k + 1);
		ck_assert_int_eq(drops[k].why, TUNECHO_DROP_REASM_EVICTED);
	}
	ck_assert_uint_eq(stats().pending, 3);
}
END_TEST

/*
 * The table full of one family's datagrams, a new datagram's first
 * fragment: the oldest goes to make room for it.
 */
START_TEST(test_new_datagram_over_cap_one_family)
{
	int fam = fams[_i];
	size_t m = cost_of_one(1000);
	struct te_frag_in f;

	table(2 * m);
	dgram(fam, dg, 8000, 30);
	for (int k = 1; k <= 2; k++) {
		f = piece(dg, 0, 1000, true);
		ck_assert_int_eq(add_on(&f, k, (uint64_t)k), TE_REASM_HELD);
	}
	ck_assert_uint_eq(stats().memory, 2 * m);
	f = piece(dg, 0, 1000, true);
	/* Found by this suite and fixed: a crash in reasm.c's oldest() with one family held. */
	ck_assert_int_eq(add_on(&f, 3, 3), TE_REASM_HELD);
	ck_assert_uint_eq(n_drops, 1);
	ck_assert_int_eq(drops[0].ifindex, 1);
	ck_assert_int_eq(drops[0].why, TUNECHO_DROP_REASM_EVICTED);
	ck_assert_uint_eq(stats().pending, 2);
}
END_TEST

/*
 * te_reasm_set_limits(): "what is held over the new cap is evicted at
 * the next add". An add that stores nothing (a duplicate) leaves it over.
 */
START_TEST(test_lower_cap_then_duplicate)
{
	size_t m = cost_of_one(1000);
	struct te_frag_in f;
	struct te_reasm_stats st;

	table(8 * m);
	dgram4(dg, 8000, NULL, 0, 0x4449, 30);
	for (int k = 1; k <= 4; k++) {
		f = piece(dg, 0, 1000, true);
		ck_assert_int_eq(add_on(&f, k, (uint64_t)k), TE_REASM_HELD);
	}
	te_reasm_set_limits(R, 2 * m, 30000, 60000);
	f = piece(dg, 0, 1000, true);
	ck_assert_int_eq(
	    te_reasm_add(R, &f, 4, 5, on_drop, drops, out, sizeof(out), &out_len, &why),
	    TE_REASM_HELD);
	te_reasm_get_stats(R, &st);
	/* Found by this suite and fixed: minor; reasm.c evicts only in make_room(), which a
	 * duplicate never reaches. */
	ck_assert_uint_le(st.memory, 2 * m);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The header of what comes out                                       */
/* ------------------------------------------------------------------ */

/* IPv4: the first fragment's header, total length set, MF and offset gone. */
START_TEST(test_ipv4_assembled_header)
{
	size_t len = dgram4(dg, 2000, NULL, 0, 0xabcd, 31), plen = len - 20;
	uint8_t h[3][20];
	struct te_frag_in f[3];
	static const size_t offs[3] = {0, 800, 1600};

	table(4u << 20);
	for (int i = 0; i < 3; i++) {
		size_t n = i < 2 ? 800 : plen - 1600;

		memcpy(h[i], dg, 20);
		h[i][1] = (uint8_t)(0x10 + i); /* TOS, TTL: the first's are kept */
		h[i][8] = (uint8_t)(33 + i);
		put16(h[i] + 2, (unsigned)(20 + n));
		put16(h[i] + 6, 0x4000 | (i < 2 ? 0x2000 : 0) | (unsigned)offs[i] / 8);
		put16(h[i] + 10, 0);
		put16(h[i] + 10, (uint16_t)~ref_sum(h[i], 20));
		f[i] = piece(dg, offs[i], n, i < 2);
		f[i].hdr = h[i];
	}
	ck_assert_int_eq(add(&f[2], 0), TE_REASM_HELD);
	ck_assert_int_eq(add(&f[0], 0), TE_REASM_HELD);
	ck_assert_int_eq(add(&f[1], 0), TE_REASM_DONE);
	ck_assert_uint_eq(out_len, len);
	ck_assert_uint_eq(get16(out + 2), len);
	ck_assert_uint_eq(get16(out + 6), 0x4000); /* DF as the first had it */
	ck_assert_uint_eq(out[1], 0x10);
	ck_assert_uint_eq(out[8], 33);
	ck_assert_uint_eq(get16(out + 4), 0xabcd);
	ck_assert_uint_eq(ref_sum(out, 20), 0xffff);
	same_bytes(out + 20, len - 20, dg + 20, len - 20);
	ck_assert_uint_eq(ref_sum(out + 20, len - 20), 0xffff);
}
END_TEST

/* IPv6: the first's fixed header, payload length and next header restored. */
START_TEST(test_ipv6_assembled_header)
{
	size_t len = dgram6(dg, 2040, 32), plen = len - 40;
	uint8_t h[2][40];
	struct te_frag_in f[2];

	table(4u << 20);
	for (int i = 0; i < 2; i++) {
		memcpy(h[i], dg, 40);
		h[i][6] = 44;
		h[i][7] = (uint8_t)(99 + i);
		put16(h[i] + 4, 8 + (i ? (unsigned)plen - 1000 : 1000));
		f[i] = piece(dg, i ? 1000 : 0, i ? plen - 1000 : 1000, !i);
		f[i].hdr = h[i];
		f[i].proto = 58;
	}
	ck_assert_int_eq(add(&f[1], 0), TE_REASM_HELD);
	ck_assert_int_eq(add(&f[0], 0), TE_REASM_DONE);
	ck_assert_uint_eq(out_len, len);
	ck_assert_uint_eq(get16(out + 4), plen);
	ck_assert_uint_eq(out[6], 58);
	ck_assert_uint_eq(out[7], 99);
	same_bytes(out, 4, dg, 4);
	same_bytes(out + 8, len - 8, dg + 8, len - 8);
	check6(out, out_len);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Round trip: te_frag cuts, te_reasm puts back                       */
/* ------------------------------------------------------------------ */

/* NOP, RR, TS (not copied), Router Alert 0x94 and 0x82 (copied), EOL. */
static const uint8_t rt_opts[32] = {
    1,	  7,  7,    4,	  0, 0, 0, 0,		  /* NOP, Record Route */
    68,	  12, 5,    0,	  0, 0, 0, 0, 0, 0, 0, 0, /* Timestamp */
    0x94, 4,  0,    0,				  /* Router Alert */
    0x82, 4,  0x12, 0x34,			  /* copied, class 0 number 2 */
    0,	  0,  0,    0,				  /* EOL */
};
/* The same after ip_options_fragment(). */
static const uint8_t rt_opts_later[32] = {
    1, 1, 1, 1, 1,    1, 1, 1, 1,    1, 1,    1,    1, 1, 1, 1,
    1, 1, 1, 1, 0x94, 4, 0, 0, 0x82, 4, 0x12, 0x34, 0, 0, 0, 0,
};

struct rt_case {
	int fam;
	unsigned mtu;
	size_t total;
	bool opts;
};

static const struct rt_case rt_cases[] = {
    {AF_INET, 1280, 1280, false},    {AF_INET, 1280, 1281, false},
    {AF_INET, 1280, 65535, false},   {AF_INET, 1500, 1500, false},
    {AF_INET, 1500, 1501, false},    {AF_INET, 1500, 3028, false},
    {AF_INET, 1500, 65535, false},   {AF_INET, 9000, 9000, false},
    {AF_INET, 9000, 9001, false},    {AF_INET, 9000, 65535, false},
    {AF_INET, 65535, 65535, false},  {AF_INET, 1500, 3028, true},
    {AF_INET, 1280, 65535, true},    {AF_INET, 9000, 20000, true},
    {AF_INET, 68, 300, true},	     {AF_INET, 20, 300, false}, /* raised to 68 */
    {AF_INET6, 1280, 1280, false},   {AF_INET6, 1280, 1281, false},
    {AF_INET6, 1280, 65575, false},  {AF_INET6, 1500, 1500, false},
    {AF_INET6, 1500, 1501, false},   {AF_INET6, 1500, 3000, false},
    {AF_INET6, 1500, 65575, false},  {AF_INET6, 9000, 9000, false},
    {AF_INET6, 9000, 9001, false},   {AF_INET6, 9000, 65575, false},
    {AF_INET6, 65535, 65535, false}, {AF_INET6, 65535, 65536, false},
    {AF_INET6, 65535, 65575, false}, {AF_INET6, 1000, 3000, false}, /* raised to 1280 */
};

static uint8_t pool[2 * BUF];

START_TEST(test_round_trip)
{
	const struct rt_case *c = &rt_cases[_i];
	bool v4 = c->fam == AF_INET;
	unsigned mtu =
	    c->mtu < (v4 ? TE_MIN_MTU4 : TE_MIN_MTU6) ? (v4 ? TE_MIN_MTU4 : TE_MIN_MTU6) : c->mtu;
	size_t len = v4 ? dgram4(dg, c->total, c->opts ? rt_opts : NULL, c->opts ? 32 : 0, 0x5151,
				 (unsigned)_i)
			: dgram6(dg, c->total, (unsigned)_i);
	size_t hlen = hlen_of(dg), plen = len - hlen, used = 0, n = 0, expect_off = 0;
	size_t fhlen = v4 ? hlen : 48, step = (mtu - fhlen) & ~(size_t)7;
	struct te_frag_iter it;
	const uint8_t *payload;
	size_t pl;

	table(4u << 20);
	if (len <= mtu) {
		ck_assert(!te_frag_begin(&it, dg, len, c->mtu, ID6));
		return;
	}
	ck_assert(te_frag_begin(&it, dg, len, c->mtu, ID6));
	while (te_frag_next(&it, &payload, &pl)) {
		uint8_t *p = pool + used;
		bool last = expect_off + pl == plen;
		struct te_frag_in *f = &frags[n];

		ck_assert_uint_lt(n, sizeof(frags) / sizeof(frags[0]));
		ck_assert_uint_eq(it.hdr_len, fhlen);
		ck_assert_uint_le(it.hdr_len + pl, mtu);
		ck_assert(payload == dg + hlen + expect_off);
		ck_assert_uint_gt(pl, 0);
		if (!last) {
			ck_assert_uint_eq(pl % 8, 0);
			ck_assert_uint_eq(pl, step); /* as full as Linux makes them */
		}
		memcpy(p, it.hdr, it.hdr_len);
		memcpy(p + it.hdr_len, payload, pl);
		if (v4) {
			unsigned fo = get16(p + 6);

			ck_assert_uint_eq(get16(p + 2), hlen + pl);
			ck_assert_uint_eq(fo & 0x4000, 0);		  /* DF clear */
			ck_assert_uint_eq(!!(fo & 0x2000), !last);	  /* MF */
			ck_assert_uint_eq((fo & 0x1fff) * 8, expect_off); /* offset */
			ck_assert_uint_eq(ref_sum(p, hlen), 0xffff);
			same_bytes(p, 2, dg, 2);
			same_bytes(p + 4, 2, dg + 4, 2);   /* identification */
			same_bytes(p + 8, 2, dg + 8, 2);   /* TTL, protocol */
			same_bytes(p + 12, 8, dg + 12, 8); /* addresses */
			if (c->opts)
				same_bytes(p + 20, 32, expect_off ? rt_opts_later : rt_opts, 32);
			*f = (struct te_frag_in){
			    .family = AF_INET,
			    .src = p + 12,
			    .dst = p + 16,
			    .proto = p[9],
			    .id = get16(p + 4),
			    .offset = (fo & 0x1fff) * 8,
			    .more = fo & 0x2000,
			    .hdr = p,
			    .hlen = hlen,
			    .data = p + hlen,
			    .len = get16(p + 2) - hlen,
			};
		} else {
			unsigned fo = get16(p + 42);

			ck_assert_uint_eq(get16(p + 4), 8 + pl);
			ck_assert_uint_eq(p[6], 44);
			same_bytes(p, 4, dg, 4);
			same_bytes(p + 7, 33, dg + 7, 33);
			ck_assert_uint_eq(p[40], 58);
			ck_assert_uint_eq(p[41], 0);
			ck_assert_uint_eq(fo & 6, 0);
			ck_assert_uint_eq(fo & 1, !last);
			ck_assert_uint_eq(fo & 0xfff8, expect_off);
			ck_assert_uint_eq(get32(p + 44), ID6);
			*f = (struct te_frag_in){
			    .family = AF_INET6,
			    .src = p + 8,
			    .dst = p + 24,
			    .proto = p[40],
			    .id = get32(p + 44),
			    .offset = fo & 0xfff8,
			    .more = fo & 1,
			    .hdr = p,
			    .hlen = 40,
			    .data = p + 48,
			    .len = get16(p + 4) - 8,
			};
		}
		used += it.hdr_len + pl;
		ck_assert_uint_le(used, sizeof(pool));
		expect_off += pl;
		n++;
	}
	ck_assert_uint_eq(expect_off, plen);
	ck_assert_uint_ge(n, 2);
	ck_assert(!te_frag_next(&it, &payload, &pl));

	order_forward(n);
	feed_whole(n, dg, len);
	order_reverse(n);
	feed_whole(n, dg, len);
	rng_seed(0x7007 + (uint64_t)_i);
	order_shuffle(n);
	feed_whole(n, dg, len);
	ck_assert_uint_eq(stats().memory, 0);
}
END_TEST

/* What fits, or is not IP, is not cut; an identification 0 is never sent. */
START_TEST(test_frag_begin_edges)
{
	struct te_frag_iter it;
	const uint8_t *payload;
	size_t pl, len;

	memset(dg, 0, 2000);
	dg[0] = 0x20;
	ck_assert(!te_frag_begin(&it, dg, 2000, 1280, ID6));
	ck_assert(!te_frag_begin(&it, dg, 0, 1280, ID6));
	ck_assert(!te_frag_next(&it, &payload, &pl));
	len = dgram6(dg, 2000, 33);
	ck_assert(te_frag_begin(&it, dg, len, 1280, 0));
	ck_assert(te_frag_next(&it, &payload, &pl));
	ck_assert_uint_ne(get32(it.hdr + 44), 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* IP in                                                              */
/* ------------------------------------------------------------------ */

static uint64_t now_ms;
static uint8_t ibuf[TE_REASM_ROOM];
static struct te_ipin IN;
static uint32_t bcast[8];
static size_t n_bcast;

static uint64_t test_clock(void *arg)
{
	ck_assert_ptr_eq(arg, &now_ms);
	return now_ms;
}

static void ipin_setup(void)
{
	table(4u << 20);
	IN = (struct te_ipin){
	    .reasm = R,
	    .buf = ibuf,
	    .clock = test_clock,
	    .clock_arg = &now_ms,
	    .drop = on_drop,
	    .drop_arg = drops,
	};
	now_ms = 1000;
	n_bcast = 0;
}

static struct tunecho_packet pkt;
static unsigned flags;

/* @len bytes at @p (copied to pkt_buf, room BUF) through te_ip_in(). */
static enum te_ipin_status ip_in(const uint8_t *p, size_t len)
{
	struct te_ipin_link link = {bcast, n_bcast, IFX};
	enum te_ipin_status st;

	ck_assert_uint_le(len, sizeof(pkt_buf));
	memmove(pkt_buf, p, len);
	pkt = (struct tunecho_packet){
	    .data = pkt_buf,
	    .len = len,
	    .room = sizeof(pkt_buf),
	    .reason = TUNECHO_DROP_UNHANDLED,
	    .ifname = "te0",
	    .ifindex = IFX,
	};
	st = te_ip_in(&IN, &link, &pkt, &flags);
	ck_assert(st == TE_IPIN_DATAGRAM || st == TE_IPIN_HELD || st == TE_IPIN_DROP);
	check_gauges();
	return st;
}

static void expect_in_drop(const uint8_t *p, size_t len, enum tunecho_drop_reason want)
{
	ck_assert_int_eq(ip_in(p, len), TE_IPIN_DROP);
	ck_assert_int_eq(pkt.reason, want);
}

START_TEST(test_broadcasts_of_prefix)
{
	uint32_t b[2] = {0, 0};

	ck_assert_uint_eq(te_ipin_broadcasts(0xc6120001u, 24, b), 2);
	ck_assert_uint_eq(b[0], 0xc6120000u);
	ck_assert_uint_eq(b[1], 0xc61200ffu);
	ck_assert_uint_eq(te_ipin_broadcasts(0xc6130405u, 30, b), 2);
	ck_assert_uint_eq(b[0], 0xc6130404u);
	ck_assert_uint_eq(b[1], 0xc6130407u);
	ck_assert_uint_eq(te_ipin_broadcasts(0xc6120001u, 15, b), 2);
	ck_assert_uint_eq(b[0], 0xc6120000u);
	ck_assert_uint_eq(b[1], 0xc613ffffu);
	ck_assert_uint_eq(te_ipin_broadcasts(0xc6120001u, 31, b), 0);
	ck_assert_uint_eq(te_ipin_broadcasts(0xc6120001u, 32, b), 0);
}
END_TEST

/* Echo to a broadcast of the link is not answered (icmp_echo_ignore_broadcasts). */
START_TEST(test_ipv4_broadcast_refused)
{
	size_t len;
	struct tunecho_packet copy;

	ipin_setup();
	n_bcast = te_ipin_broadcasts(0xc6120001u, 24, bcast);
	n_bcast += te_ipin_broadcasts(0xc6130405u, 30, bcast + n_bcast);
	ck_assert_uint_eq(n_bcast, 4);
	len = dgram4(dg, 100, NULL, 0, 1, 34);
	for (size_t i = 0; i < 5; i++) {
		static const uint32_t dsts[5] = {0xc6120000u, 0xc61200ffu, 0xc6130404u, 0xc6130407u,
						 0xc6120002u};

		put32(dg + 16, dsts[i]);
		put16(dg + 10, 0);
		put16(dg + 10, (uint16_t)~ref_sum(dg, 20));
		if (i < 4) {
			expect_in_drop(dg, len, TUNECHO_DROP_BAD_DESTINATION);
		} else {
			ck_assert_int_eq(ip_in(dg, len), TE_IPIN_DATAGRAM);
			ck_assert_uint_eq(flags, 0);
			ck_assert_ptr_eq(pkt.data, pkt_buf);
			ck_assert_uint_eq(pkt.len, len);
			same_bytes(pkt.data, pkt.len, dg, len);
			ck_assert_uint_eq(IN.now_ms, 0); /* no fragment, no clock */
			copy = pkt;
			ck_assert_int_eq(te_icmp4_echo(NULL, &copy), TUNECHO_ANSWER);
		}
	}
	/* A fragment to a broadcast is refused before it is kept. */
	put32(dg + 16, 0xc61200ffu);
	put16(dg + 6, 0x2000);
	put16(dg + 2, 28);
	put16(dg + 10, 0);
	put16(dg + 10, (uint16_t)~ref_sum(dg, 20));
	expect_in_drop(dg, 28, TUNECHO_DROP_BAD_DESTINATION);
	ck_assert_uint_eq(stats().pending, 0);
}
END_TEST

/* Write IPv4 fragment [@off, @off + @n) of dg at @p: its length. */
static size_t frag4_packet(uint8_t *p, size_t off, size_t n, bool more)
{
	size_t hlen = hlen_of(dg);

	memcpy(p, dg, hlen);
	memcpy(p + hlen, dg + hlen + off, n);
	put16(p + 2, (unsigned)(hlen + n));
	put16(p + 6, (more ? 0x2000 : 0) | (unsigned)off / 8);
	put16(p + 10, 0);
	put16(p + 10, (uint16_t)~ref_sum(p, hlen));
	return hlen + n;
}

START_TEST(test_ipv4_fragments_through_ip_in)
{
	size_t len = dgram4(dg, 3000, NULL, 0, 0x6161, 35), n;
	struct tunecho_packet copy;

	ipin_setup();
	n = frag4_packet(alt, 1480, 1480, true);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_HELD);
	ck_assert_uint_eq(flags, TE_IPIN_FRAGMENT);
	ck_assert_uint_eq(IN.now_ms, 1000);
	n = frag4_packet(alt, 2960, len - 20 - 2960, false);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_HELD);
	n = frag4_packet(alt, 0, 1480, true);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_DATAGRAM);
	ck_assert_uint_eq(flags, TE_IPIN_FRAGMENT | TE_IPIN_REASSEMBLED);
	ck_assert_ptr_eq(pkt.data, ibuf);
	ck_assert_uint_eq(pkt.room, TE_REASM_ROOM);
	same_bytes(pkt.data, pkt.len, dg, len);
	copy = pkt;
	ck_assert_int_eq(te_icmp4_echo(NULL, &copy), TUNECHO_ANSWER);
}
END_TEST

/* A fragment is judged as a datagram before it is kept: a bad header checksum. */
START_TEST(test_ipv4_fragment_bad_checksum_refused)
{
	size_t n;

	ipin_setup();
	dgram4(dg, 3000, NULL, 0, 0x6262, 36);
	n = frag4_packet(alt, 0, 1480, true);
	alt[10] ^= 0x01;
	expect_in_drop(alt, n, TUNECHO_DROP_BAD_IP_CHECKSUM);
	ck_assert_uint_eq(stats().pending, 0);
	/* A later one too. */
	n = frag4_packet(alt, 1480, 1480, true);
	alt[11] ^= 0x80;
	expect_in_drop(alt, n, TUNECHO_DROP_BAD_IP_CHECKSUM);
	ck_assert_uint_eq(stats().pending, 0);
	/* And the 4-byte non-final fragment comes through IP in to reassembly. */
	n = frag4_packet(alt, 8, 4, true);
	expect_in_drop(alt, n, TUNECHO_DROP_FRAGMENT);
}
END_TEST

/* IPv6 extension headers: each a whole header; its first byte is set by build6x(). */
struct xh {
	uint8_t type;
	uint8_t len;
	uint8_t b[24];
};

#define XH_FRAG(off_m)                                                                             \
	{                                                                                          \
		44, 8,                                                                             \
		{                                                                                  \
			0, 0, (uint8_t)((off_m) >> 8), (uint8_t)(off_m), 0x12, 0x34, 0x56, 0x78    \
		}                                                                                  \
	}

/* An echo request behind @n headers @x, @dlen bytes of data; its length. */
static size_t build6x(uint8_t *b, const struct xh *x, size_t n, size_t dlen, size_t *icmp_at)
{
	size_t off = 40;
	uint8_t *icmp;

	dgram6(b, 48 + dlen, 37); /* for the header fields */
	b[6] = n ? x[0].type : 58;
	for (size_t i = 0; i < n; i++) {
		memcpy(b + off, x[i].b, x[i].len);
		b[off] = i + 1 < n ? x[i + 1].type : 58;
		off += x[i].len;
	}
	icmp = b + off;
	memset(icmp, 0, 8);
	icmp[0] = 128;
	put16(icmp + 4, 0xbeef);
	put16(icmp + 6, 37);
	fill(icmp + 8, dlen, 37);
	put16(b + 4, (unsigned)(off - 40 + 8 + dlen));
	put16(icmp + 2, (uint16_t)~ones_add(pseudo6(b, 8 + dlen), ref_sum(icmp, 8 + dlen)));
	*icmp_at = off;
	return off + 8 + dlen;
}

/* What the handlers get is a plain IPv6 header + ICMPv6, answered. */
static void expect_plain(const uint8_t *req, size_t icmp_at, size_t icmp_len)
{
	struct tunecho_packet copy;
	uint8_t rep_icmp0;

	ck_assert_uint_eq(pkt.len, 40 + icmp_len);
	ck_assert_uint_eq(pkt.data[6], 58);
	ck_assert_uint_eq(get16(pkt.data + 4), icmp_len);
	same_bytes(pkt.data, 4, req, 4);
	same_bytes(pkt.data + 7, 33, req + 7, 33);
	same_bytes(pkt.data + 40, icmp_len, req + icmp_at, icmp_len);
	check6(pkt.data, pkt.len);
	copy = pkt;
	ck_assert_int_eq(te_icmp6_echo(NULL, &copy), TUNECHO_ANSWER);
	rep_icmp0 = copy.data[40];
	ck_assert_uint_eq(rep_icmp0, 129);
	ck_assert_uint_eq(ones_add(pseudo6(copy.data, icmp_len), ref_sum(copy.data + 40, icmp_len)),
			  0xffff);
}

struct ext_case {
	const char *name;
	struct xh x[6];
	size_t n;
	enum te_ipin_status want;
	enum tunecho_drop_reason reason;
};

static const struct ext_case ext_cases[] = {
    {"hbh padn", {{0, 8, {0, 0, 1, 4}}}, 1, TE_IPIN_DATAGRAM, 0},
    {"hbh pad1 x6", {{0, 8, {0, 0}}}, 1, TE_IPIN_DATAGRAM, 0},
    {"dstopt padn", {{60, 8, {0, 0, 1, 4}}}, 1, TE_IPIN_DATAGRAM, 0},
    {"hbh then dstopt", {{0, 8, {0, 0, 1, 4}}, {60, 8, {0, 0, 1, 4}}}, 2, TE_IPIN_DATAGRAM, 0},
    {"hbh not first",
     {{60, 8, {0, 0, 1, 4}}, {0, 8, {0, 0, 1, 4}}},
     2,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"hbh twice",
     {{0, 8, {0, 0, 1, 4}}, {0, 8, {0, 0, 1, 4}}},
     2,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"hbh after atomic fragment",
     {XH_FRAG(0), {0, 8, {0, 0, 1, 4}}},
     2,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"dstopt 0x3e skipped", {{60, 8, {0, 0, 0x3e, 4, 1, 2, 3, 4}}}, 1, TE_IPIN_DATAGRAM, 0},
    {"dstopt 0x7e discards",
     {{60, 8, {0, 0, 0x7e, 4, 1, 2, 3, 4}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"dstopt 0xbe discards",
     {{60, 8, {0, 0, 0xbe, 4, 1, 2, 3, 4}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"dstopt 0xfe discards",
     {{60, 8, {0, 0, 0xfe, 4, 1, 2, 3, 4}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"hbh 0x7e discards",
     {{0, 8, {0, 0, 0x7e, 4, 1, 2, 3, 4}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"padn nonzero", {{60, 8, {0, 0, 1, 4, 0, 0, 1, 0}}}, 1, TE_IPIN_DROP, TUNECHO_DROP_EXT_HEADER},
    {"padn 14 bytes", {{60, 16, {0, 1, 1, 12}}}, 1, TE_IPIN_DROP, TUNECHO_DROP_EXT_HEADER},
    {"pad1 x14", {{60, 16, {0, 1}}}, 1, TE_IPIN_DROP, TUNECHO_DROP_EXT_HEADER},
    {"padn 6 + option + padn 6",
     {{60, 16, {0, 1, 1, 4, 0, 0, 0, 0, 0x3e, 0, 1, 4}}},
     1,
     TE_IPIN_DATAGRAM,
     0},
    {"option past the header",
     {{60, 8, {0, 0, 0x3e, 5, 1, 2, 3, 4}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_EXT_HEADER},
    {"routing 0, segments left 0", {{43, 24, {0, 2, 0, 0}}}, 1, TE_IPIN_DATAGRAM, 0},
    {"routing 0, segments left 1",
     {{43, 24, {0, 2, 0, 1}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_SOURCE_ROUTE},
    {"routing 253, segments left 0", {{43, 8, {0, 0, 253, 0}}}, 1, TE_IPIN_DATAGRAM, 0},
    {"atomic fragment", {XH_FRAG(0)}, 1, TE_IPIN_DATAGRAM, 0},
    {"atomic fragment, reserved bits", {XH_FRAG(6)}, 1, TE_IPIN_DATAGRAM, 0},
    {"all of them",
     {{0, 8, {0, 0, 1, 4}},
      {60, 8, {0, 0, 0x3e, 0, 1, 2}},
      {43, 24, {0, 2, 0, 0}},
      XH_FRAG(0),
      {60, 16, {0, 1, 0x1e, 10}}},
     5,
     TE_IPIN_DATAGRAM,
     0},
    {"header past the payload",
     {{60, 24, {0, 8}}},
     1,
     TE_IPIN_DROP,
     TUNECHO_DROP_TRUNCATED}, /* 72 bytes claimed */
};

START_TEST(test_ipv6_extension_headers)
{
	const struct ext_case *c = &ext_cases[_i];
	size_t at, len = build6x(dg, c->x, c->n, 20, &at);
	enum te_ipin_status st;

	ipin_setup();
	st = ip_in(dg, len);
	ck_assert_msg(st == c->want, "%s: status %d, expected %d (reason %d)", c->name, st, c->want,
		      pkt.reason);
	if (st == TE_IPIN_DROP) {
		ck_assert_msg(pkt.reason == c->reason, "%s: reason %d, expected %d", c->name,
			      pkt.reason, c->reason);
	} else {
		ck_assert_ptr_eq(pkt.data, pkt_buf + (at - 40));
		ck_assert_ptr_eq(pkt.data + pkt.room, pkt_buf + sizeof(pkt_buf));
		expect_plain(dg, at, len - at);
	}
	ck_assert_uint_eq(stats().pending, 0);
	ck_assert_uint_eq(stats().reassembled, 0);
}
END_TEST

/*
 * Fragments of an echo request: IPv6, @unfrag (headers before the
 * Fragment header), Fragment header, then the fragmentable part
 * @part of @part_len bytes (headers and ICMPv6) from @off, @n bytes.
 */
static size_t frag6_packet(uint8_t *p, const uint8_t *ip, const struct xh *unfrag, size_t n_unfrag,
			   uint8_t part_nh, const uint8_t *part, size_t off, size_t n, bool more)
{
	size_t at = 40;

	memcpy(p, ip, 40);
	p[6] = n_unfrag ? unfrag[0].type : 44;
	for (size_t i = 0; i < n_unfrag; i++) {
		memcpy(p + at, unfrag[i].b, unfrag[i].len);
		p[at] = i + 1 < n_unfrag ? unfrag[i + 1].type : 44;
		at += unfrag[i].len;
	}
	p[at] = part_nh;
	p[at + 1] = 0;
	put16(p + at + 2, (unsigned)off | (more ? 1 : 0));
	put32(p + at + 4, ID6);
	at += 8;
	memcpy(p + at, part + off, n);
	put16(p + 4, (unsigned)(at - 40 + n));
	return at + n;
}

/*
 * HBH before the Fragment header, Destination Options after it: the
 * datagram is put together, then walked; the handlers see IPv6 + ICMPv6.
 */
START_TEST(test_ipv6_fragments_through_ip_in)
{
	static const struct xh hbh = {0, 8, {0, 0, 1, 4}};
	static const struct xh x[1] = {{60, 8, {0, 0, 1, 4}}};
	size_t at, len = build6x(dg, x, 1, 3000, &at), part_len = len - 40, n = 0;
	size_t offs[8];
	uint8_t nh = dg[6];

	ipin_setup();
	for (size_t off = 0; off < part_len; off += 1000)
		offs[n++] = off;
	rng_seed(38);
	order_shuffle(n);
	for (size_t i = 0; i < n; i++) {
		size_t off = offs[order[i]], k = part_len - off < 1000 ? part_len - off : 1000;
		size_t plen =
		    frag6_packet(alt, dg, &hbh, 1, nh, dg + 40, off, k, off + k < part_len);
		enum te_ipin_status st;

		now_ms += 10;
		st = ip_in(alt, plen);
		ck_assert(flags & TE_IPIN_FRAGMENT);
		if (i + 1 < n) {
			ck_assert_int_eq(st, TE_IPIN_HELD);
			continue;
		}
		ck_assert_int_eq(st, TE_IPIN_DATAGRAM);
		ck_assert_uint_eq(flags, TE_IPIN_FRAGMENT | TE_IPIN_REASSEMBLED);
		ck_assert(pkt.data >= ibuf && pkt.data < ibuf + TE_REASM_ROOM);
		ck_assert_ptr_eq(pkt.data + pkt.room, ibuf + TE_REASM_ROOM);
		expect_plain(dg, at, len - at);
	}
	ck_assert_uint_eq(stats().reassembled, 1);
	ck_assert_uint_eq(stats().pending, 0);
}
END_TEST

/*
 * RFC 8200 §4.5: the first fragment holds every header through the
 * ICMPv6 header (8 bytes), else it is dropped, and not kept.
 */
START_TEST(test_ipv6_first_fragment_without_icmpv6_header)
{
	static const struct xh x = {60, 8, {0, 0, 1, 4}};
	size_t at, len = build6x(dg, &x, 1, 3000, &at), part_len = len - 40, n;
	uint8_t nh = dg[6];

	ipin_setup();
	/* Only the Destination Options header: 8 bytes, aligned, but no ICMPv6. */
	n = frag6_packet(alt, dg, NULL, 0, nh, dg + 40, 0, 8, true);
	expect_in_drop(alt, n, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
	/* Four bytes of ICMPv6. */
	n = frag6_packet(alt, dg, NULL, 0, nh, dg + 40, 0, 12, true);
	expect_in_drop(alt, n, TUNECHO_DROP_FRAGMENT);
	ck_assert_uint_eq(stats().pending, 0);
	/* Without the Destination Options: ICMPv6 straight away, 8 bytes is enough... */
	n = frag6_packet(alt, dg, NULL, 0, 58, dg + 48, 0, 8, true);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_HELD);
	/* ... and then the rest makes it whole. */
	n = frag6_packet(alt, dg, NULL, 0, 58, dg + 48, 8, part_len - 16, false);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_DATAGRAM);
	expect_plain(dg, 48, part_len - 8);
	/* With the Destination Options and the 8 bytes: kept. */
	n = frag6_packet(alt, dg, NULL, 0, nh, dg + 40, 0, 16, true);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_HELD);
	ck_assert_uint_eq(stats().pending, 1);
}
END_TEST

/*
 * A Hop-by-Hop header right after the Fragment header, in the
 * fragmentable part: refused once whole, as after an atomic fragment
 * (Linux: Hop-by-Hop is only parsed right after the IPv6 header; later
 * it is an unknown next header, and the packet is discarded).
 */
START_TEST(test_ipv6_hbh_after_fragment_header)
{
	static const struct xh x = {0, 8, {0, 0, 1, 4}};
	size_t at, len = build6x(dg, &x, 1, 2000, &at), part_len = len - 40, n;
	enum te_ipin_status st;

	ipin_setup();
	n = frag6_packet(alt, dg, NULL, 0, 0, dg + 40, 0, 1000, true);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_HELD);
	n = frag6_packet(alt, dg, NULL, 0, 0, dg + 40, 1000, part_len - 1000, false);
	st = ip_in(alt, n);
	/* Found by this suite and fixed: ip6_in() let Hop-by-Hop through after reassembly. */
	ck_assert_int_eq(st, TE_IPIN_DROP);
	ck_assert_int_eq(pkt.reason, TUNECHO_DROP_EXT_HEADER);
}
END_TEST

/* A Fragment header inside a reassembled datagram: fragments in fragments. */
/*
 * Linux counts the headers before the Fragment header in the 65535 bytes
 * of the payload (ip6_frag_reasm(): payload_len = unfragmentable part +
 * q.len > IPV6_MAXPLEN, out_oversize): behind an 8-byte Hop-by-Hop
 * header, a fragmentable part of 65532 bytes is too big.
 */
START_TEST(test_ipv6_oversize_with_unfragmentable_headers)
{
	static const struct xh hbh = {0, 8, {0, 0, 1, 4}};
	size_t at, len = build6x(dg, NULL, 0, 65532 - 8, &at), part_len = len - 40;
	enum te_ipin_status st = TE_IPIN_HELD;

	ipin_setup();
	for (size_t off = 0; off < part_len; off += 1232) {
		size_t k = part_len - off < 1232 ? part_len - off : 1232;
		size_t n = frag6_packet(alt, dg, &hbh, 1, 58, dg + 40, off, k, off + k < part_len);

		st = ip_in(alt, n);
		if (st != TE_IPIN_HELD)
			break;
	}
	/* Found by this suite and fixed: reasm.c/ipin.c: the limit is on the fragmentable part
	 * alone, the headers before the Fragment header are not counted. */
	ck_assert_int_eq(st, TE_IPIN_DROP);
	ck_assert_int_eq(pkt.reason, TUNECHO_DROP_REASM_OVERSIZE);
	/* 8 bytes less fit. */
	len = build6x(dg, NULL, 0, 65532 - 16, &at);
	part_len = len - 40;
	for (size_t off = 0; off < part_len; off += 1232) {
		size_t k = part_len - off < 1232 ? part_len - off : 1232;
		size_t n = frag6_packet(alt, dg, &hbh, 1, 58, dg + 40, off, k, off + k < part_len);

		st = ip_in(alt, n);
		ck_assert_int_eq(st, off + k < part_len ? TE_IPIN_HELD : TE_IPIN_DATAGRAM);
	}
	expect_plain(dg, 40, part_len);
}
END_TEST

START_TEST(test_ipv6_nested_fragment_refused)
{
	static const struct xh x = XH_FRAG(0x0009); /* offset 8, M */
	size_t at, len = build6x(dg, &x, 1, 2000, &at), part_len = len - 40, n;

	ipin_setup();
	n = frag6_packet(alt, dg, NULL, 0, 44, dg + 40, 0, 1000, true);
	ck_assert_int_eq(ip_in(alt, n), TE_IPIN_HELD);
	n = frag6_packet(alt, dg, NULL, 0, 44, dg + 40, 1000, part_len - 1000, false);
	expect_in_drop(alt, n, TUNECHO_DROP_EXT_HEADER);
}
END_TEST

static Suite *reasm_suite(void)
{
	Suite *s = suite_create("reasm");
	TCase *tc;

	tc = tcase_create("order");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, test_in_order, 0, 2);
	tcase_add_loop_test(tc, test_reverse, 0, 2);
	tcase_add_loop_test(tc, test_shuffled, 0, 20);
	tcase_add_loop_test(tc, test_eight_byte_fragments, 0, 2);
	tcase_add_test(tc, test_keys_keep_datagrams_apart);
	tcase_add_test(tc, test_ipv6_key_without_next_header);
	suite_add_tcase(s, tc);

	tc = tcase_create("duplicates and overlaps");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, test_exact_duplicates_ignored, 0, 2);
	tcase_add_loop_test(tc, test_duplicate_inside_run_first_copy_wins, 0, 2);
	tcase_add_loop_test(tc, test_overlap_with_tail, 0, 2);
	tcase_add_loop_test(tc, test_overlap_inside, 0, 2);
	tcase_add_loop_test(tc, test_overlap_spanning_two_runs, 0, 2);
	tcase_add_loop_test(tc, test_overlap_by_last_fragment, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, test_conflicting_ends, 0, 2);
	tcase_add_loop_test(tc, test_missing_last_fragment, 0, 2);
	tcase_add_test(tc, test_ipv4_nonfinal_tail_cut);
	tcase_add_test(tc, test_ipv4_nonfinal_four_bytes_dropped);
	tcase_add_test(tc, test_ipv6_nonfinal_unaligned_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("limits");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_ipv4_largest_datagram);
	tcase_add_test(tc, test_ipv4_oversize);
	tcase_add_test(tc, test_ipv4_oversize_with_options);
	tcase_add_loop_test(tc, test_duplicate_final_fragment_marks_the_end, 0, 2);
	tcase_add_test(tc, test_ipv4_later_fragment_header_does_not_count);
	tcase_add_test(tc, test_ipv4_oversize_first_fragment_last);
	tcase_add_test(tc, test_ipv6_largest_datagram);
	tcase_add_loop_test(tc, test_timeout_from_first_fragment, 0, 2);
	tcase_add_loop_test(tc, test_complete_just_in_time, 0, 2);
	tcase_add_test(tc, test_timeouts_per_family);
	tcase_add_test(tc, test_eviction_oldest_first);
	tcase_add_test(tc, test_eviction_spares_the_growing_datagram);
	tcase_add_test(tc, test_eviction_while_appending);
	tcase_add_test(tc, test_cap_under_load);
	tcase_add_test(tc, test_lower_cap);
	tcase_add_loop_test(tc, test_new_datagram_over_cap_one_family, 0, 2);
	tcase_add_test(tc, test_lower_cap_then_duplicate);
	suite_add_tcase(s, tc);

	tc = tcase_create("headers and round trip");
	tcase_set_timeout(tc, 60);
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_ipv4_assembled_header);
	tcase_add_test(tc, test_ipv6_assembled_header);
	tcase_add_loop_test(tc, test_round_trip, 0, sizeof(rt_cases) / sizeof(rt_cases[0]));
	tcase_add_test(tc, test_frag_begin_edges);
	suite_add_tcase(s, tc);

	tc = tcase_create("ip in");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_broadcasts_of_prefix);
	tcase_add_test(tc, test_ipv4_broadcast_refused);
	tcase_add_test(tc, test_ipv4_fragments_through_ip_in);
	tcase_add_test(tc, test_ipv4_fragment_bad_checksum_refused);
	tcase_add_loop_test(tc, test_ipv6_extension_headers, 0,
			    sizeof(ext_cases) / sizeof(ext_cases[0]));
	tcase_add_test(tc, test_ipv6_fragments_through_ip_in);
	tcase_add_test(tc, test_ipv6_first_fragment_without_icmpv6_header);
	tcase_add_test(tc, test_ipv6_hbh_after_fragment_header);
	tcase_add_test(tc, test_ipv6_nested_fragment_refused);
	tcase_add_test(tc, test_ipv6_oversize_with_unfragmentable_headers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return te_test_run(reasm_suite());
}

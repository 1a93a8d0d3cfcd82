/* SPDX-License-Identifier: MIT */
/*
 * Reassembly of IPv4 and IPv6 fragments (RFC 791, RFC 8200 §4.5), with the
 * hostile-input rules of Linux's inet_fragment code: a timeout counted
 * from the first fragment, overlaps (RFC 5722) dropping the whole
 * datagram, duplicates ignored, a keyed hash. One difference, on purpose:
 * at the memory cap Linux (since 4.17) refuses new fragments, where this
 * table evicts the oldest incomplete datagrams, so that a flood of
 * never-completed ones cannot lock out datagrams that do complete. Pure: no I/O, no
 * clock; the caller passes the time in milliseconds of any monotonic clock.
 * One table per responder; two tables share nothing.
 */
#ifndef TE_REASM_H
#define TE_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tunecho.h"

/*
 * Largest datagram: IPv4's 16-bit total length (header included), IPv6's
 * payload length; te_reasm_add()'s output needs TE_REASM_ROOM bytes.
 */
#define TE_REASM_MAX  65535u
#define TE_REASM_ROOM (TE_REASM_MAX + 40u)

struct te_reasm;

/* One fragment, as IP in parsed it. */
struct te_frag_in {
	int family;	     /* AF_INET or AF_INET6 */
	const uint8_t *src;  /* 4 or 16 bytes */
	const uint8_t *dst;  /* 4 or 16 bytes */
	uint8_t proto;	     /* IPv4: protocol; IPv6: the Fragment header's next header */
	uint32_t id;	     /* identification (16 bits for IPv4) */
	unsigned offset;     /* in bytes */
	bool more;	     /* MF */
	const uint8_t *hdr;  /* the header that leads the datagram (IPv4 with options; */
	size_t hlen;	     /*   IPv6: the fixed 40 bytes), used from offset 0 only */
	size_t unfrag;	     /* IPv6: bytes of the headers before the Fragment header */
	const uint8_t *data; /* the fragment's payload */
	size_t len;	     /* its length */
};

/* What te_reasm_add() did with a fragment. */
enum te_reasm_status {
	TE_REASM_HELD, /* kept (or an exact duplicate ignored): nothing to do yet */
	TE_REASM_DONE, /* the datagram is whole: see te_reasm_add()'s @out */
	TE_REASM_DROP, /* dropped; the reason is in *@why */
};

/* Counters the table keeps for the responder's statistics. */
struct te_reasm_stats {
	uint64_t reassembled; /* datagrams made whole */
	uint64_t duplicates;  /* fragments ignored as lying inside data already held */
	size_t memory;	      /* bytes held now (gauge) */
	size_t cap;	      /* the most it may hold */
	size_t pending;	      /* incomplete datagrams held now (gauge) */
};

/*
 * A new table, holding at most @memory bytes (buffers and bookkeeping),
 * with timeouts @timeout4_ms and @timeout6_ms. 0 or -ENOMEM.
 */
int te_reasm_new(struct te_reasm **out, size_t memory, unsigned timeout4_ms, unsigned timeout6_ms);

/*
 * Key the table's hash with 128 random bits (the caller's: this file takes
 * no randomness of its own), so that nobody can choose datagrams that
 * share a bucket. Without it the key is 0: fine for tests, not for
 * hostile input. Call before the first add.
 */
void te_reasm_set_key(struct te_reasm *r, uint64_t k0, uint64_t k1);

/* Free @r and all it holds. Accepts NULL. */
void te_reasm_free(struct te_reasm *r);

/* Change the limits; te_reasm_trim() applies them to what is held. */
void te_reasm_set_limits(struct te_reasm *r, size_t memory, unsigned timeout4_ms,
			 unsigned timeout6_ms);

/*
 * Called with the reason for every datagram the table drops on its own
 * (timeout, eviction) and how many; @ifindex is the one given to
 * te_reasm_add() for it.
 */
typedef void te_reasm_drop_fn(void *arg, int ifindex, enum tunecho_drop_reason why);

/*
 * Add fragment @f, read at @now_ms on interface @ifindex (part of the key,
 * so the same datagram on two links is two datagrams). Expired datagrams
 * are dropped first, and, when @f would take the table over its cap, the
 * oldest incomplete ones, each reported to @drop (may be NULL).
 *
 * On TE_REASM_DONE the datagram is copied into @out (room @room, at least
 * TE_REASM_ROOM) with its header as IP in expects it: IPv4 with the first
 * fragment's header and options, total length set, MF and offset cleared
 * and the checksum recomputed; IPv6 as a fixed header whose next header is
 * the Fragment header's and whose payload length covers the data.
 * *@out_len receives its length. On TE_REASM_DROP *@why says why.
 */
enum te_reasm_status te_reasm_add(struct te_reasm *r, const struct te_frag_in *f, int ifindex,
				  uint64_t now_ms, te_reasm_drop_fn *drop, void *arg, uint8_t *out,
				  size_t room, size_t *out_len, enum tunecho_drop_reason *why);

/*
 * Drop every datagram whose time ran out at @now_ms (reported to @drop).
 * Returns the time of the next expiry, or UINT64_MAX when the table is empty.
 */
uint64_t te_reasm_expire(struct te_reasm *r, uint64_t now_ms, te_reasm_drop_fn *drop, void *arg);

/* When the next datagram expires (as te_reasm_expire() returns), or UINT64_MAX. */
uint64_t te_reasm_next_expiry(const struct te_reasm *r);

/*
 * Drop what expired at @now_ms and what is over the cap (after limits were
 * lowered), reported to @drop as te_reasm_add() does.
 */
void te_reasm_trim(struct te_reasm *r, uint64_t now_ms, te_reasm_drop_fn *drop, void *arg);

/* The counters and gauges. */
void te_reasm_get_stats(const struct te_reasm *r, struct te_reasm_stats *out);

#endif

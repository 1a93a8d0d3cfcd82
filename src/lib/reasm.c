/* SPDX-License-Identifier: MIT */
#include "reasm.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "checksum.h"
#include "siphash.h"

/*
 * A datagram being put together keeps its data as "runs", as Linux's
 * inet_frag_queue_insert() does: a fragment that starts where the
 * highest one ends extends that run; any other starts a run of its own,
 * even when it touches a neighbour. A fragment wholly inside one run is a
 * duplicate (ignored, the first copy wins); one that meets data held in
 * any other way overlaps, and the whole datagram goes (RFC 5722). Judging
 * by position and not by content is what the kernel does too.
 */
struct run {
	unsigned start, end; /* byte offsets of the payload */
	size_t cap;	     /* bytes allocated at data */
	uint8_t *data;
};

struct dgram {
	struct dgram *hnext;	   /* hash chain */
	struct dgram **hpprev;	   /* what points to this one in the chain */
	struct dgram *prev, *next; /* age list of its family, oldest first */
	int family;
	uint8_t src[16], dst[16];
	uint8_t proto; /* IPv4: the protocol; IPv6: 0 (not in its key) */
	uint32_t id;
	int ifindex;
	uint64_t born_ms; /* first fragment; later ones never extend it */
	unsigned max_end; /* highest end seen */
	unsigned held;	  /* payload bytes held (runs never overlap) */
	bool last_in;	  /* the fragment without MF came: max_end is the size */
	bool first_in;	  /* offset 0 came: hdr (and nh) are set */
	uint8_t nh;	  /* IPv6: the first fragment's next header */
	unsigned unfrag;  /* IPv6: the first fragment's headers before its Fragment header */
	uint8_t hlen;
	uint8_t hdr[60];
	struct run *runs; /* sorted by start */
	size_t n_runs, cap_runs;
	size_t memory; /* what this datagram costs the table */
};

#define BUCKETS 4096u

struct age_list {
	struct dgram *head, *tail;
};

struct te_reasm {
	size_t cap;
	unsigned timeout_ms[2]; /* [0] IPv4, [1] IPv6 */
	struct age_list age[2];
	struct te_reasm_stats stats;
	uint64_t key[2]; /* of the hash (te_reasm_set_key()) */
	struct dgram *bucket[BUCKETS];
};

void te_reasm_set_key(struct te_reasm *r, uint64_t k0, uint64_t k1)
{
	r->key[0] = k0;
	r->key[1] = k1;
}

static int fam(int family)
{
	return family == AF_INET6;
}

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : 4;
}

int te_reasm_new(struct te_reasm **out, size_t memory, unsigned timeout4_ms, unsigned timeout6_ms)
{
	struct te_reasm *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	te_reasm_set_limits(r, memory, timeout4_ms, timeout6_ms);
	*out = r;
	return 0;
}

void te_reasm_set_limits(struct te_reasm *r, size_t memory, unsigned timeout4_ms,
			 unsigned timeout6_ms)
{
	r->cap = memory;
	r->timeout_ms[0] = timeout4_ms;
	r->timeout_ms[1] = timeout6_ms;
}

/*
 * SipHash under the table's key: the buckets stay apart however an attacker
 * chooses identifications and addresses (an unkeyed hash lets one put every
 * datagram in one bucket and make each fragment walk them all).
 */
static unsigned hash(const struct te_reasm *r, int family, const uint8_t *src, const uint8_t *dst,
		     uint8_t proto, uint32_t id, int ifindex)
{
	uint8_t k[2 + 4 + 4 + 32];
	size_t n = addr_len(family);

	k[0] = (uint8_t)family;
	k[1] = proto;
	memcpy(k + 2, &id, 4);
	memcpy(k + 6, &ifindex, 4);
	memcpy(k + 10, src, n);
	memcpy(k + 10 + n, dst, n);
	return (unsigned)te_siphash(r->key[0], r->key[1], k, 10 + 2 * n) & (BUCKETS - 1);
}

static void release(struct te_reasm *r, struct dgram *d)
{
	struct age_list *l = &r->age[fam(d->family)];

	/* O(1): the chain is doubly linked through the pointer to this one. */
	*d->hpprev = d->hnext;
	if (d->hnext)
		d->hnext->hpprev = d->hpprev;
	if (d->prev)
		d->prev->next = d->next;
	else
		l->head = d->next;
	if (d->next)
		d->next->prev = d->prev;
	else
		l->tail = d->prev;
	for (size_t i = 0; i < d->n_runs; i++)
		free(d->runs[i].data);
	free(d->runs);
	r->stats.memory -= d->memory;
	r->stats.pending--;
	free(d);
}

void te_reasm_free(struct te_reasm *r)
{
	if (!r)
		return;
	for (int f = 0; f < 2; f++)
		while (r->age[f].head)
			release(r, r->age[f].head);
	free(r);
}

static void drop_dgram(struct te_reasm *r, struct dgram *d, enum tunecho_drop_reason why,
		       te_reasm_drop_fn *drop, void *arg)
{
	int ifindex = d->ifindex;

	release(r, d);
	if (drop)
		drop(arg, ifindex, why);
}

uint64_t te_reasm_expire(struct te_reasm *r, uint64_t now_ms, te_reasm_drop_fn *drop, void *arg)
{
	uint64_t next = UINT64_MAX;

	for (int f = 0; f < 2; f++) {
		struct dgram *d;

		while ((d = r->age[f].head) && now_ms - d->born_ms >= r->timeout_ms[f])
			drop_dgram(r, d, TUNECHO_DROP_REASM_TIMEOUT, drop, arg);
		if (d && d->born_ms + r->timeout_ms[f] < next)
			next = d->born_ms + r->timeout_ms[f];
	}
	return next;
}

uint64_t te_reasm_next_expiry(const struct te_reasm *r)
{
	uint64_t next = UINT64_MAX;

	for (int f = 0; f < 2; f++)
		if (r->age[f].head && r->age[f].head->born_ms + r->timeout_ms[f] < next)
			next = r->age[f].head->born_ms + r->timeout_ms[f];
	return next;
}

/* The oldest datagram other than @keep, or NULL. */
static struct dgram *oldest(struct te_reasm *r, const struct dgram *keep)
{
	struct dgram *a = r->age[0].head, *b = r->age[1].head;

	if (a && a == keep)
		a = a->next;
	if (b && b == keep)
		b = b->next;
	if (!a || !b)
		return a ? a : b;
	return a->born_ms <= b->born_ms ? a : b;
}

/*
 * Make room for @more bytes beyond what the table holds, evicting the
 * oldest incomplete datagrams other than @keep. False if even that fails.
 */
static bool make_room(struct te_reasm *r, size_t more, const struct dgram *keep,
		      te_reasm_drop_fn *drop, void *arg)
{
	while (r->stats.memory + more > r->cap) {
		struct dgram *d = oldest(r, keep);

		if (!d)
			return false;
		drop_dgram(r, d, TUNECHO_DROP_REASM_EVICTED, drop, arg);
	}
	return true;
}

/*
 * The key's protocol: IPv4's (RFC 791); none for IPv6, whose key is the
 * addresses and the identification alone (RFC 8200 §4.5): its fragments
 * may name different next headers, and the first one's counts.
 */
static uint8_t key_proto(const struct te_frag_in *f)
{
	return f->family == AF_INET ? f->proto : 0;
}

static struct dgram *find(struct te_reasm *r, const struct te_frag_in *f, int ifindex)
{
	size_t n = addr_len(f->family);
	uint8_t proto = key_proto(f);

	for (struct dgram *d = r->bucket[hash(r, f->family, f->src, f->dst, proto, f->id, ifindex)];
	     d; d = d->hnext)
		if (d->family == f->family && d->id == f->id && d->proto == proto &&
		    d->ifindex == ifindex && !memcmp(d->src, f->src, n) &&
		    !memcmp(d->dst, f->dst, n))
			return d;
	return NULL;
}

static struct dgram *create(struct te_reasm *r, const struct te_frag_in *f, int ifindex,
			    uint64_t now_ms)
{
	struct dgram *d = calloc(1, sizeof(*d));
	struct age_list *l = &r->age[fam(f->family)];
	unsigned h;

	if (!d)
		return NULL;
	d->family = f->family;
	memcpy(d->src, f->src, addr_len(f->family));
	memcpy(d->dst, f->dst, addr_len(f->family));
	d->proto = key_proto(f);
	d->id = f->id;
	d->ifindex = ifindex;
	d->born_ms = now_ms;
	d->memory = sizeof(*d);
	h = hash(r, d->family, d->src, d->dst, d->proto, d->id, d->ifindex);
	d->hnext = r->bucket[h];
	if (d->hnext)
		d->hnext->hpprev = &d->hnext;
	d->hpprev = &r->bucket[h];
	r->bucket[h] = d;
	d->prev = l->tail;
	if (l->tail)
		l->tail->next = d;
	else
		l->head = d;
	l->tail = d;
	r->stats.memory += d->memory;
	r->stats.pending++;
	return d;
}

enum where { DUPLICATE, OVERLAP, APPEND, INSERT };

/* Where [start, end) goes among the runs of @d (Linux's rules); *@at: the run index. */
static enum where place(const struct dgram *d, unsigned start, unsigned end, size_t *at)
{
	const struct run *last = d->n_runs ? &d->runs[d->n_runs - 1] : NULL;
	size_t lo = 0, hi = d->n_runs;

	if (!last || last->end < end) {
		*at = d->n_runs;
		if (last && start < last->end)
			return OVERLAP;
		if (last && start == last->end)
			return APPEND;
		return INSERT;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct run *c = &d->runs[mid];

		if (end <= c->start)
			hi = mid;
		else if (start >= c->end)
			lo = mid + 1;
		else
			return start >= c->start && end <= c->end ? DUPLICATE : OVERLAP;
	}
	*at = lo;
	return INSERT;
}

/* Put the fragment's payload in; false without memory (nothing changed). */
static bool store(struct te_reasm *r, struct dgram *d, const struct te_frag_in *f, unsigned len,
		  enum where w, size_t at, te_reasm_drop_fn *drop, void *arg)
{
	if (w == APPEND) {
		struct run *run = &d->runs[at - 1];
		size_t need = run->end - run->start + len;
		size_t cap = run->cap;
		uint8_t *p;

		if (need > cap) {
			cap = cap * 2 > need ? cap * 2 : need;
			if (!make_room(r, cap - run->cap, d, drop, arg))
				return false;
			p = realloc(run->data, cap);
			if (!p)
				return false;
			d->memory += cap - run->cap;
			r->stats.memory += cap - run->cap;
			run->data = p;
			run->cap = cap;
		}
		memcpy(run->data + (run->end - run->start), f->data, len);
		run->end += len;
	} else {
		size_t more = len, cap_runs = d->cap_runs;
		uint8_t *p;

		if (d->n_runs == cap_runs) {
			cap_runs = cap_runs ? 2 * cap_runs : 4;
			more += (cap_runs - d->cap_runs) * sizeof(struct run);
		}
		if (!make_room(r, more, d, drop, arg))
			return false;
		if (cap_runs != d->cap_runs) {
			struct run *runs = reallocarray(d->runs, cap_runs, sizeof(*runs));

			if (!runs)
				return false;
			d->runs = runs;
			d->cap_runs = cap_runs;
		}
		p = malloc(len);
		if (!p)
			return false;
		memcpy(p, f->data, len);
		memmove(&d->runs[at + 1], &d->runs[at], (d->n_runs - at) * sizeof(*d->runs));
		d->runs[at] = (struct run){f->offset, f->offset + len, len, p};
		d->n_runs++;
		d->memory += more;
		r->stats.memory += more;
	}
	d->held += len;
	return true;
}

static inline void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Write the whole datagram @d into @out; its length. */
static size_t assemble(const struct dgram *d, uint8_t *out)
{
	size_t len = d->hlen + d->max_end;

	memcpy(out, d->hdr, d->hlen);
	for (size_t i = 0; i < d->n_runs; i++)
		memcpy(out + d->hlen + d->runs[i].start, d->runs[i].data,
		       d->runs[i].end - d->runs[i].start);
	if (d->family == AF_INET) {
		put16(out + 2, (unsigned)len);
		out[6] &= 0x40; /* DF stays; MF and the offset go */
		out[7] = 0;
		put16(out + 10, 0);
		put16(out + 10, te_csum_fold(te_csum_add(0, out, d->hlen)));
	} else {
		put16(out + 4, d->max_end);
		out[6] = d->nh;
	}
	return len;
}

void te_reasm_trim(struct te_reasm *r, uint64_t now_ms, te_reasm_drop_fn *drop, void *arg)
{
	te_reasm_expire(r, now_ms, drop, arg);
	make_room(r, 0, NULL, drop, arg);
}

enum te_reasm_status te_reasm_add(struct te_reasm *r, const struct te_frag_in *f, int ifindex,
				  uint64_t now_ms, te_reasm_drop_fn *drop, void *arg, uint8_t *out,
				  size_t room, size_t *out_len, enum tunecho_drop_reason *why)
{
	bool v4 = f->family == AF_INET;
	unsigned start = f->offset, end = f->offset + (unsigned)f->len, len;
	struct dgram *d;
	enum where w;
	size_t at = 0;

	te_reasm_trim(r, now_ms, drop, arg); /* expired ones, and over a lowered cap */
	if (f->more && (end & 7)) {
		/* IPv4 (Linux): the tail of a non-final fragment past a multiple of
		 * 8 is cut off. IPv6 (RFC 8200 §4.5): the fragment is refused. */
		if (!v4) {
			*why = TUNECHO_DROP_FRAGMENT;
			return TE_REASM_DROP;
		}
		end &= ~7u;
	}
	d = find(r, f, ifindex);
	/* A fragment reaching past 65535, less the first fragment's IPv4
	 * header when it came, else the smallest one (a later fragment's
	 * header does not count: the first's is judged when it comes). */
	if (end > (v4 ? TE_REASM_MAX - (d && d->first_in ? d->hlen : 20u) : TE_REASM_MAX)) {
		*why = TUNECHO_DROP_REASM_OVERSIZE;
		/* IPv4 (Linux): the datagram goes; IPv6: only the fragment. */
		if (d && v4)
			release(r, d);
		return TE_REASM_DROP;
	}
	if (!d) {
		if (end <= start) {
			*why = TUNECHO_DROP_FRAGMENT;
			return TE_REASM_DROP;
		}
		if (!make_room(r, sizeof(*d), NULL, drop, arg) ||
		    !(d = create(r, f, ifindex, now_ms))) {
			*why = TUNECHO_DROP_REASM_EVICTED;
			return TE_REASM_DROP;
		}
	}
	/* The end is learnt before the data is placed, as Linux's
	 * ip_frag_queue() does: a duplicate final fragment still marks it. */
	*why = TUNECHO_DROP_FRAGMENT;
	if (!f->more) {
		if (end < d->max_end || (d->last_in && end != d->max_end))
			goto discard; /* a second, different end: corrupt */
		d->last_in = true;
		d->max_end = end;
	} else if (end > d->max_end) {
		if (d->last_in)
			goto discard; /* data beyond the end */
		d->max_end = end;
	}
	if (end <= start)
		goto discard; /* nothing left (a non-final fragment under 8 bytes) */
	w = place(d, start, end, &at);
	if (w == OVERLAP) {
		*why = TUNECHO_DROP_REASM_OVERLAP;
		goto discard;
	}
	if (w == DUPLICATE) {
		r->stats.duplicates++;
		return TE_REASM_HELD;
	}
	len = end - start;
	if (!store(r, d, f, len, w, at, drop, arg)) {
		*why = TUNECHO_DROP_REASM_EVICTED;
		goto discard;
	}
	if (start == 0 && !d->first_in) {
		d->first_in = true;
		d->hlen = (uint8_t)f->hlen;
		d->nh = f->proto;
		d->unfrag = f->unfrag;
		memcpy(d->hdr, f->hdr, f->hlen);
	}
	if (!d->last_in || !d->first_in || d->held != d->max_end)
		return TE_REASM_HELD;
	/* The first fragment's header (IPv4), or its headers before the
	 * Fragment header (IPv6), count in the 65535 bytes (ip_frag_reasm(),
	 * ip6_frag_reasm()). */
	if (room < d->hlen + d->max_end ||
	    (v4 ? d->hlen + d->max_end : d->unfrag + d->max_end) > TE_REASM_MAX) {
		*why = TUNECHO_DROP_REASM_OVERSIZE;
		goto discard;
	}
	*out_len = assemble(d, out);
	r->stats.reassembled++;
	release(r, d);
	return TE_REASM_DONE;
discard:
	release(r, d);
	return TE_REASM_DROP;
}

void te_reasm_get_stats(const struct te_reasm *r, struct te_reasm_stats *out)
{
	*out = r->stats;
	out->cap = r->cap;
}

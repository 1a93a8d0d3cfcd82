/* SPDX-License-Identifier: MIT */
/*
 * The packet path's glue: one packet read from a device goes through IP in
 * (ipin.c), the handler chain, and IP out (frag.c), and what comes out is
 * written back. The stages are pure; this file gives them the time and the
 * randomness they need, keeps the reassembly table's one timer, and does
 * the writes; a reply to a host with a behaviour profile goes through the
 * profile stage (shape.c) first. On a TAP, link in and link out (tap.c)
 * come before and after. The fast path (an unfragmented request, a reply
 * that fits) copies and allocates nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "frag.h"
#include "ipin.h"
#include "packet.h"
#include "responder.h"
#include "tun.h"
#include "util.h"

/* IP in's clock (te_ipin.clock). */
static uint64_t monotonic_ms(void *arg)
{
	(void)arg;
	return te_monotonic_ms();
}

/* RFC 791's timestamp: milliseconds since midnight UT. */
static uint32_t ms_since_midnight(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint32_t)((uint64_t)(ts.tv_sec % 86400) * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

/* xorshift64*: IPv6 fragment identifications, unpredictable enough off-path. */
static uint32_t next_random(struct tunecho *t)
{
	uint64_t x = t->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	t->rng = x;
	return (uint32_t)((x * 0x2545f4914f6cdd1dull) >> 32);
}

static struct te_iface *iface_of(struct tunecho *t, int ifindex)
{
	if (t->current && t->current->ifindex == ifindex)
		return t->current;
	for (size_t i = 0; i < t->n_ifaces; i++)
		if (t->ifaces[i]->ifindex == ifindex)
			return t->ifaces[i];
	return NULL;
}

/* A datagram the table dropped on its own (timeout, eviction). */
static void count_reasm_drop(void *arg, int ifindex, enum tunecho_drop_reason why)
{
	struct te_iface *ifc = iface_of(arg, ifindex);

	if (ifc)
		ifc->stats.drops[why]++;
}

static void arm_timer(struct tunecho *t, uint64_t next_ms, uint64_t now_ms)
{
	uint64_t wait = next_ms > now_ms ? next_ms - now_ms : 0;
	struct timeval tv = {.tv_sec = (time_t)(wait / 1000),
			     .tv_usec = (long)(wait % 1000) * 1000};

	if (next_ms != UINT64_MAX)
		evtimer_add(t->reasm_timer, &tv);
}

/*
 * After the table changed at @now: the timer goes off at its next expiry,
 * if that is sooner than it was set for (a new IPv4 datagram after an IPv6
 * one, a shorter timeout).
 */
static void rearm(struct tunecho *t, uint64_t now)
{
	uint64_t next = te_reasm_next_expiry(t->reasm);

	if (next == UINT64_MAX || (evtimer_pending(t->reasm_timer, NULL) && next >= t->reasm_due))
		return;
	t->reasm_due = next;
	arm_timer(t, next, now);
}

static void on_reasm_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tunecho *t = arg;
	uint64_t now = monotonic_ms(NULL);

	(void)fd;
	(void)what;
	t->current = NULL;
	t->reasm_due = te_reasm_expire(t->reasm, now, count_reasm_drop, t);
	arm_timer(t, t->reasm_due, now);
}

int te_path_init(struct tunecho *t)
{
	uint64_t key[2];

	if (getrandom(&t->rng, sizeof(t->rng), GRND_NONBLOCK) != sizeof(t->rng))
		t->rng = (uint64_t)monotonic_ms(NULL) ^ (uint64_t)(uintptr_t)t;
	t->rng |= 1;
	t->clock = (struct te_clock){ms_since_midnight, NULL};
	t->dgbuf = malloc(TE_REASM_ROOM);
	t->reasm_timer = evtimer_new(t->base, on_reasm_timer, t);
	if (!t->dgbuf || !t->reasm_timer || te_shape_init(t) || te_tap_init(t) ||
	    te_reasm_new(&t->reasm, TUNECHO_REASSEMBLY_MEMORY, TUNECHO_REASSEMBLY_TIMEOUT4_MS,
			 TUNECHO_REASSEMBLY_TIMEOUT6_MS)) {
		te_path_fini(t);
		return -ENOMEM;
	}
	/* The reassembly hash's key: nobody may choose colliding datagrams. */
	if (getrandom(key, sizeof(key), GRND_NONBLOCK) != sizeof(key)) {
		key[0] = t->rng * 0x9e3779b97f4a7c15ull;
		key[1] = (uint64_t)(uintptr_t)key ^ monotonic_ms(NULL);
	}
	te_reasm_set_key(t->reasm, key[0], key[1]);
	return 0;
}

void te_path_fini(struct tunecho *t)
{
	if (t->reasm_timer)
		event_free(t->reasm_timer);
	t->reasm_timer = NULL;
	te_reasm_free(t->reasm);
	t->reasm = NULL;
	free(t->dgbuf);
	t->dgbuf = NULL;
	te_shape_fini(t);
	te_tap_fini(t);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int te_iface_rx_update(struct te_iface *ifc)
{
	const struct te_iface_config *ic = &ifc->cfg;
	struct te_hostset *hs = NULL, *old = ifc->hostset;
	uint32_t *b = NULL, mtu = 0;
	size_t n = 0;

	if ((ic->tap || ic->n_hosts) && te_hostset_new(&hs, ic))
		return -ENOMEM;
	for (size_t i = 0; i < ic->n_addrs; i++)
		if (ic->addrs[i].local.family == AF_INET)
			n += 2;
	if (n && !(b = calloc(n, sizeof(*b)))) {
		te_hostset_free(hs);
		return -ENOMEM;
	}
	n = 0;
	for (size_t i = 0; i < ic->n_addrs; i++) {
		const struct te_address *a = &ic->addrs[i];
		const struct te_prefix *on_link = a->has_peer ? &a->peer : &a->local;

		if (on_link->family == AF_INET)
			n +=
			    te_ipin_broadcasts(ntohl(on_link->addr.v4.s_addr), on_link->len, b + n);
	}
	if (n)
		qsort(b, n, sizeof(*b), cmp_u32);
	free(ifc->bcast);
	ifc->bcast = b;
	ifc->n_bcast = n;
	ifc->hostset = hs;
	te_tap_iface_update(ifc, old);
	/* The MTU the kernel has: the config's, once set, or the device's own. */
	if (ic->mtu)
		ifc->mtu = ic->mtu;
	else if (te_tun_get_mtu(ifc->name, &mtu) == 0)
		ifc->mtu = mtu;
	else if (!ifc->mtu)
		ifc->mtu = 1500;
	return te_shape_iface_update(ifc);
}

void te_iface_rx_clear(struct te_iface *ifc)
{
	free(ifc->bcast);
	ifc->bcast = NULL;
	ifc->n_bcast = 0;
	te_shape_iface_clear(ifc);
	te_tap_iface_clear(ifc);
	te_hostset_free(ifc->hostset);
	ifc->hostset = NULL;
}

/*
 * Run @pkt through the chain; the verdict of the first that does not pass.
 * A handler of the caller's that drops without a reason of its own, or
 * returns no verdict at all, is counted under `handler`.
 */
static enum tunecho_verdict run_chain(const struct tunecho *t, struct tunecho_packet *pkt)
{
	for (size_t i = 0; i < t->n_handlers; i++) {
		const struct te_handler *h = &t->handlers[i];
		enum tunecho_drop_reason before = pkt->reason;
		enum tunecho_verdict v;

		if (!h->enabled)
			continue;
		v = h->fn(h->arg, pkt);
		if (v == TUNECHO_PASS)
			continue;
		if (v == TUNECHO_ANSWER)
			return v;
		if (h->builtin < 0 && (v != TUNECHO_DROP || pkt->reason == before))
			pkt->reason = TUNECHO_DROP_HANDLER;
		return TUNECHO_DROP;
	}
	return TUNECHO_DROP;
}

/* Write one datagram or fragment of @n parts (1 or 2); the bytes or -1. */
static ssize_t emit(struct te_iface *ifc, const uint8_t *peer, const uint8_t *ip,
		    const struct iovec *iov, int n)
{
	if (peer)
		return te_tap_write(ifc, peer, ip, iov, n);
	return n == 1 ? write(ifc->fd, iov[0].iov_base, iov[0].iov_len) : writev(ifc->fd, iov, n);
}

bool te_path_send(struct te_iface *ifc, const uint8_t *peer, const uint8_t *data, size_t len)
{
	struct te_stats *st = &ifc->stats;
	struct te_frag_iter it;
	const uint8_t *payload;
	size_t plen, bytes = 0, frags = 0;

	/* No IP datagram is that long, or its header is no header: the
	 * handler's fault (cut, it would go out as garbage). */
	if (len == 0 || len > TE_REASM_ROOM || (len > TE_REASM_MAX && data[0] >> 4 == 4) ||
	    (data[0] >> 4 == 4 &&
	     (len < 20 || (data[0] & 0x0f) < 5 || (size_t)(data[0] & 0x0f) * 4 > len)) ||
	    (data[0] >> 4 == 6 && len < 40) || (peer && data[0] >> 4 != 4 && data[0] >> 4 != 6))
		return false;
	if (len <= ifc->mtu || !te_frag_begin(&it, data, len, ifc->mtu, next_random(ifc->t))) {
		struct iovec iov = {(void *)data, len};

		if (emit(ifc, peer, data, &iov, 1) != (ssize_t)len) {
			st->write_errors++;
			return true;
		}
		st->replies++;
		st->tx_bytes += len;
		return true;
	}
	while (te_frag_next(&it, &payload, &plen)) {
		struct iovec iov[2] = {{it.hdr, it.hdr_len}, {(void *)payload, plen}};

		if (emit(ifc, peer, data, iov, 2) != (ssize_t)(it.hdr_len + plen)) {
			st->write_errors++;
			return true;
		}
		bytes += it.hdr_len + plen;
		frags++;
	}
	st->replies++;
	st->tx_bytes += bytes;
	st->tx_fragments += frags;
	return true;
}

/* Whether the packet is IPv4 or IPv6: TUN with IFF_NO_PI carries nothing else. */
static bool ip_version_known(const uint8_t *p, size_t len)
{
	return len > 0 && (p[0] >> 4 == 4 || p[0] >> 4 == 6);
}

static void datagram(struct te_iface *ifc, const uint8_t *peer, uint8_t *buf, size_t n);

/* On a TUN with `hosts` lines: whether the datagram @pkt is to one of them. */
static bool to_a_host(const struct te_iface *ifc, const struct tunecho_packet *pkt)
{
	bool v6 = pkt->data[0] >> 4 == 6;

	return te_hostset_lookup(ifc->hostset, v6 ? AF_INET6 : AF_INET,
				 pkt->data + (v6 ? 24 : 16)) == TE_LINK_HOST;
}

void te_path_packet(struct te_iface *ifc, uint8_t *buf, size_t n)
{
	struct te_stats *st = &ifc->stats;
	uint8_t peer_mac[TE_ETH_ALEN];
	const uint8_t *peer = NULL;
	size_t off = 0;

	st->rx_packets++;
	st->rx_bytes += n;
	if (ifc->cfg.tap) {
		if (!te_tap_in(ifc, buf, n, &off, &n, peer_mac))
			return;
		buf += off;
		peer = peer_mac;
	}
	datagram(ifc, peer, buf, n);
}

/* IP in, the handlers, the profile stage and IP out for the datagram @buf. */
static void datagram(struct te_iface *ifc, const uint8_t *peer, uint8_t *buf, size_t n)
{
	struct tunecho *t = ifc->t;
	struct te_stats *st = &ifc->stats;
	struct tunecho_packet pkt = {
	    .data = buf,
	    .len = n,
	    .room = TE_RXBUF,
	    .reason = ip_version_known(buf, n) ? TUNECHO_DROP_UNHANDLED : TUNECHO_DROP_NOT_IP,
	    .ifname = ifc->name,
	    .ifindex = ifc->ifindex,
	};
	struct te_ipin in = {
	    .reasm = t->reasm,
	    .buf = t->dgbuf,
	    .now_ms = 0,
	    .clock = monotonic_ms,
	    .drop = count_reasm_drop,
	    .drop_arg = t,
	};
	struct te_ipin_link link = {ifc->bcast, ifc->n_bcast, ifc->ifindex};
	/* The request's head, for an ICMP unreachable a profile may answer with. */
	uint8_t head[TE_SHAPE_HEAD];
	size_t hlen = 0;
	unsigned flags;
	enum te_ipin_status st_in;

	t->current = ifc;
	st_in = te_ip_in(&in, &link, &pkt, &flags);
	if (in.now_ms)
		rearm(t, in.now_ms);
	if (flags & TE_IPIN_FRAGMENT)
		st->rx_fragments++;
	if (flags & TE_IPIN_REASSEMBLED)
		st->reassembled++;
	if (st_in == TE_IPIN_HELD)
		return;
	if (st_in == TE_IPIN_DATAGRAM && !peer && ifc->hostset && !to_a_host(ifc, &pkt)) {
		pkt.reason = TUNECHO_DROP_NOT_A_HOST;
	} else if (st_in == TE_IPIN_DATAGRAM) {
		if (ifc->cfg.n_profiles) {
			hlen = pkt.len < sizeof(head) ? pkt.len : sizeof(head);
			memcpy(head, pkt.data, hlen);
		}
		switch (run_chain(t, &pkt)) {
		case TUNECHO_ANSWER:
			if (pkt.len <= pkt.room &&
			    (ifc->cfg.n_profiles
				 ? te_shape_reply(ifc, peer, head, hlen, pkt.data, pkt.len)
				 : te_path_send(ifc, peer, pkt.data, pkt.len)))
				return;
			pkt.reason = TUNECHO_DROP_BAD_REPLY; /* the handler's fault */
			break;
		case TUNECHO_DROP:
		case TUNECHO_PASS:
		default:
			break;
		}
	}
	if ((unsigned)pkt.reason >= TUNECHO_DROP_REASONS)
		pkt.reason = TUNECHO_DROP_HANDLER;
	st->drops[pkt.reason]++;
}

int tunecho_set_reassembly(struct tunecho *t, size_t memory, unsigned timeout4_ms,
			   unsigned timeout6_ms)
{
	if (!t || memory < TUNECHO_REASSEMBLY_MEMORY_MIN ||
	    memory > TUNECHO_REASSEMBLY_MEMORY_MAX || !timeout4_ms || !timeout6_ms ||
	    timeout4_ms > TUNECHO_REASSEMBLY_TIMEOUT_MAX_MS ||
	    timeout6_ms > TUNECHO_REASSEMBLY_TIMEOUT_MAX_MS)
		return -EINVAL;
	te_reasm_set_limits(t->reasm, memory, timeout4_ms, timeout6_ms);
	te_path_reasm_changed(t);
	return 0;
}

void te_path_reasm_changed(struct tunecho *t)
{
	uint64_t now = monotonic_ms(NULL);

	/* A lower cap or a shorter timeout holds from now, not from the next
	 * fragment. */
	t->current = NULL;
	te_reasm_trim(t->reasm, now, count_reasm_drop, t);
	evtimer_del(t->reasm_timer);
	rearm(t, now);
}

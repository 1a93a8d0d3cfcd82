/* SPDX-License-Identifier: MIT */
/*
 * The profile stage's glue (DESIGN.md, "Packet path"): after a handler
 * answered, the behaviour profile of the request's destination decides
 * (profile.c) whether the reply leaves now, later, twice, never, or as an
 * ICMP destination unreachable. This file gives the pure parts what they
 * need: the longest-prefix match of an interface's profile prefixes
 * (lpm.c), the hosts' state (hosts.c), the random numbers (rng.h, seeded
 * from [global] seed), the time, and the one timer that drives every
 * delayed reply in the delay store (delay.c).
 *
 * The timer is a timerfd of its own, set to absolute times, not a libevent
 * timer: libevent takes a timeout relative to a clock it read when the
 * loop last woke, so every callback run since then makes it late (a drain
 * of 64 packets: 200 us), and its epoll backend rounds to milliseconds
 * unless the base is precise. This one is exact to the nanosecond on any
 * base, and is set only when the earliest due reply changes.
 *
 * While packets come in, the read path hands out the replies that fell
 * due between two packets (te_shape_poll()), so a busy responder does not
 * wait for its timer, nor a timer go off once per round of the loop.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "checksum.h"
#include "delay.h"
#include "hosts.h"
#include "lpm.h"
#include "profile.h"
#include "reasm.h"
#include "responder.h"

/* Replies handed out by one firing of the timer; more wait for the next turn. */
#define DELAY_BUDGET 1024

/* The hosts whose state is kept (loss bursts, rate limits, keep-order). */
#define HOSTS_CAPACITY 65536

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * TE_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/*
 * Set the timer to go off at @when (UINT64_MAX: not at all). Setting a
 * timerfd also clears its expiry, so one that went off reads as idle.
 */
static void set_timer(struct tunecho *t, uint64_t when)
{
	struct itimerspec its = {0};

	if (when == t->delay_armed_ns)
		return;
	if (when != UINT64_MAX) {
		its.it_value.tv_sec = (time_t)(when / TE_NS_PER_S);
		its.it_value.tv_nsec = (long)(when % TE_NS_PER_S);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1; /* zero would disarm it */
	}
	if (timerfd_settime(t->delay_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		t->delay_armed_ns = when;
}

static void deliver(void *arg, void *ctx, const uint8_t *bytes, size_t len, uint64_t due_ns)
{
	struct te_iface *ifc = ctx;

	(void)arg;
	(void)due_ns;
	ifc->delayed--;
	if (ifc->fd < 0)
		return;
	/* Its length was checked when held; a TAP's comes after its peer. */
	if (ifc->cfg.tap && len > TE_ETH_ALEN)
		(void)te_path_send(ifc, bytes, bytes + TE_ETH_ALEN, len - TE_ETH_ALEN);
	else if (!ifc->cfg.tap)
		(void)te_path_send(ifc, NULL, bytes, len);
}

/* The store changed: the earliest due time again, and the timer follows it,
 * but not while reading (te_shape_settle() sees to it then). */
static void follow(struct tunecho *t)
{
	t->delay_next_ns = te_delay_next_due(t->delay);
	if (!t->reading)
		set_timer(t, t->delay_next_ns);
}

/* Hand out the replies due by @now. */
static void send_due(struct tunecho *t, uint64_t now)
{
	te_delay_pop_due(t->delay, now, DELAY_BUDGET, deliver, t);
	follow(t);
}

static void on_delay_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tunecho *t = arg;

	(void)fd;
	(void)what;
	t->delay_armed_ns = 0; /* gone off: set again, even for the same time */
	send_due(t, monotonic_ns());
}

void te_shape_poll(struct tunecho *t)
{
	uint64_t now = monotonic_ns();

	if (now >= t->delay_next_ns)
		send_due(t, now);
}

void te_shape_settle(struct tunecho *t)
{
	if (t->delay_next_ns != UINT64_MAX)
		te_shape_poll(t);
	set_timer(t, t->delay_next_ns);
}

static void limits(struct tunecho *t, size_t max_count)
{
	te_delay_set_limits(t->delay, max_count, max_count * TE_DELAYED_BYTES_EACH);
}

int te_shape_init(struct tunecho *t)
{
	uint64_t seed;

	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = monotonic_ns() ^ (uint64_t)(uintptr_t)t;
	t->seed = seed;
	te_rng_seed(&t->prng, seed, 0);
	t->epoch_ns = monotonic_ns();
	t->delay_armed_ns = UINT64_MAX;
	t->delay_next_ns = UINT64_MAX;
	t->delay_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->delay_fd < 0) {
		int err = -errno;

		te_shape_fini(t);
		return err;
	}
	t->delay_timer = event_new(t->base, t->delay_fd, EV_READ | EV_PERSIST, on_delay_timer, t);
	if (!t->delay_timer || event_add(t->delay_timer, NULL) ||
	    te_delay_new(&t->delay, TE_MAX_DELAYED_DEFAULT,
			 (size_t)TE_MAX_DELAYED_DEFAULT * TE_DELAYED_BYTES_EACH) ||
	    te_hosts_new(&t->hosts, HOSTS_CAPACITY, seed ^ 0x686f737473ull)) {
		te_shape_fini(t);
		return -ENOMEM;
	}
	return 0;
}

void te_shape_fini(struct tunecho *t)
{
	if (t->delay_timer)
		event_free(t->delay_timer);
	t->delay_timer = NULL;
	if (t->delay_fd >= 0)
		close(t->delay_fd);
	t->delay_fd = -1;
	te_delay_free(t->delay);
	t->delay = NULL;
	te_hosts_free(t->hosts);
	t->hosts = NULL;
	free(t->shape_frame);
	t->shape_frame = NULL;
}

void te_shape_apply_globals(struct tunecho *t, const struct tunecho_config *cfg)
{
	bool any = cfg->n_profiles > 0;

	if (cfg->given & TE_GIVEN_MAX_DELAYED)
		limits(t, cfg->max_delayed);
	if (cfg->seed_given && (!t->seed_given || cfg->seed != t->seed)) {
		t->seed = cfg->seed;
		t->seed_given = true;
		te_rng_seed(&t->prng, cfg->seed, 0);
		te_hosts_clear(t->hosts);
		te_log(&t->log, TUNECHO_LOG_NOTICE, "profiles: seed %" PRIu64 " ([global] seed)",
		       t->seed);
	} else if (any && !t->seed_given && !t->seed_logged) {
		te_log(&t->log, TUNECHO_LOG_NOTICE,
		       "profiles: random seed %" PRIu64 " (set [global] seed = %" PRIu64
		       " to replay it)",
		       t->seed, t->seed);
	}
	if (any || cfg->seed_given)
		t->seed_logged = true;
}

int te_shape_iface_update(struct te_iface *ifc)
{
	struct te_iface_config *ic = &ifc->cfg;
	struct te_lpm_entry *e = NULL;
	struct te_lpm *lpm = NULL;
	int r;

	for (size_t i = 0; i < ic->n_profiles; i++)
		ic->profiles[i].epoch_ns = ifc->t->epoch_ns; /* one flap phase for all */
	if (ic->n_prefs && !(e = calloc(ic->n_prefs, sizeof(*e))))
		return -ENOMEM;
	for (size_t i = 0; i < ic->n_prefs; i++) {
		e[i].family = ic->prefs[i].prefix.family;
		memcpy(e[i].addr, ic->prefs[i].prefix.addr.bytes, 16);
		e[i].len = ic->prefs[i].prefix.len;
		e[i].value = ic->prefs[i].profile;
	}
	r = ic->n_prefs ? te_lpm_new(&lpm, e, ic->n_prefs) : 0;
	free(e);
	if (r)
		return r; /* the config refused two profiles on one prefix already */
	te_lpm_free(ifc->lpm);
	ifc->lpm = lpm;
	return 0;
}

void te_shape_iface_clear(struct te_iface *ifc)
{
	struct tunecho *t = ifc->t;

	if (t->delay && te_delay_purge(t->delay, ifc))
		follow(t);
	ifc->delayed = 0;
	te_lpm_free(ifc->lpm);
	ifc->lpm = NULL;
}

/* Whether @a (of @family) is in @p. */
static bool in_prefix(const struct te_prefix *p, int family, const uint8_t *a)
{
	unsigned len = p->len;

	if (p->family != family)
		return false;
	if (memcmp(p->addr.bytes, a, len / 8))
		return false;
	return len % 8 == 0 ||
	       !((p->addr.bytes[len / 8] ^ a[len / 8]) & (uint8_t)(0xff00 >> (len % 8)));
}

/* The first host of @p (its network address + 1) into @out. */
static void first_host(const struct te_prefix *p, uint8_t *out)
{
	size_t n = te_addr_len(p->family);

	memcpy(out, p->addr.bytes, n);
	for (size_t bit = p->len; bit < n * 8; bit++)
		out[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	for (size_t i = n; i-- > 0;)
		if (++out[i])
			break;
}

static bool is_own(const struct te_iface_config *ic, int family, const uint8_t *a)
{
	for (size_t i = 0; i < ic->n_addrs; i++)
		if (te_same_address(&ic->addrs[i].local, family, a))
			return true;
	return false;
}

/*
 * Where an ICMP unreachable for @dst comes from when the profile does not
 * say: a router of the simulated network, never the device's own address
 * (the kernel would drop that as a martian). The first host of the route
 * @dst is in; else the peer of the address whose prefix holds it (or of
 * any address of the family); else the first host of that prefix other
 * than ours; else @dst itself.
 */
static void unreachable_source(const struct te_iface_config *ic, int family, const uint8_t *dst,
			       uint8_t *out)
{
	size_t n = te_addr_len(family);

	for (size_t i = 0; i < ic->n_routes; i++) {
		if (in_prefix(&ic->routes[i], family, dst)) {
			first_host(&ic->routes[i], out);
			if (!is_own(ic, family, out))
				return;
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < ic->n_addrs; i++) {
			const struct te_address *a = &ic->addrs[i];

			if (!a->has_peer || a->peer.family != family ||
			    (pass == 0 && !in_prefix(&a->peer, family, dst)))
				continue;
			memcpy(out, a->peer.addr.bytes, n);
			return;
		}
	}
	for (size_t i = 0; i < ic->n_addrs; i++) {
		const struct te_prefix *l = &ic->addrs[i].local;

		if (!in_prefix(l, family, dst))
			continue;
		first_host(l, out);
		if (is_own(ic, family, out))
			for (size_t k = n; k-- > 0;)
				if (++out[k])
					break;
		if (!is_own(ic, family, out))
			return;
	}
	memcpy(out, dst, n);
}

/*
 * Build in @out (room TE_SHAPE_HEAD + 48) the ICMP destination unreachable
 * (IPv4 type 3 code 1, IPv6 type 1 code 3) for the request whose first
 * @hlen bytes are @req, from @src, with @ttl; its length.
 */
static size_t build_unreachable(const uint8_t *req, size_t hlen, const uint8_t *src, uint8_t ttl,
				uint8_t *out, uint16_t id)
{
	size_t quote = hlen, len;
	uint32_t sum;
	uint16_t c;

	if (req[0] >> 4 == 4) {
		len = 20 + 8 + quote;
		memset(out, 0, 28);
		out[0] = 0x45;
		out[2] = (uint8_t)(len >> 8);
		out[3] = (uint8_t)len;
		out[4] = (uint8_t)(id >> 8);
		out[5] = (uint8_t)id;
		out[8] = ttl;
		out[9] = 1; /* ICMP */
		memcpy(out + 12, src, 4);
		memcpy(out + 16, req + 12, 4);
		c = te_csum_fold(te_csum_add(0, out, 20));
		out[10] = (uint8_t)(c >> 8);
		out[11] = (uint8_t)c;
		out[20] = 3; /* destination unreachable */
		out[21] = 1; /* host unreachable */
		memcpy(out + 28, req, quote);
		c = te_csum_fold(te_csum_add(0, out + 20, 8 + quote));
		out[22] = (uint8_t)(c >> 8);
		out[23] = (uint8_t)c;
		return len;
	}
	len = 40 + 8 + quote;
	memset(out, 0, 48);
	out[0] = 0x60;
	out[4] = (uint8_t)((len - 40) >> 8);
	out[5] = (uint8_t)(len - 40);
	out[6] = 58; /* ICMPv6 */
	out[7] = ttl;
	memcpy(out + 8, src, 16);
	memcpy(out + 24, req + 8, 16);
	out[40] = 1; /* destination unreachable */
	out[41] = 3; /* address unreachable */
	memcpy(out + 48, req, quote);
	/* The pseudo-header: addresses, upper-layer length, next header. */
	sum = te_csum_add(0, out + 8, 32);
	sum += (uint32_t)(len - 40) + 58;
	c = te_csum_fold(te_csum_add(sum, out + 40, len - 40));
	out[42] = (uint8_t)(c >> 8);
	out[43] = (uint8_t)c;
	return len;
}

/* The reply's TTL / hop limit set to @ttl; IPv4's header checksum follows. */
static void set_ttl(uint8_t *r, uint8_t ttl)
{
	if (r[0] >> 4 == 6) {
		r[7] = ttl;
		return;
	}
	if (r[8] == ttl)
		return;
	{
		uint16_t old = (uint16_t)(r[8] << 8 | r[9]), new = (uint16_t)(ttl << 8 | r[9]);
		uint16_t c = te_csum_update16((uint16_t)(r[10] << 8 | r[11]), old, new);

		r[8] = ttl;
		r[10] = (uint8_t)(c >> 8);
		r[11] = (uint8_t)c;
	}
}

static const enum tunecho_drop_reason drop_reason[TE_PROFILE_DROPS] = {
    [TE_PROFILE_LOST] = TUNECHO_DROP_LOST,
    [TE_PROFILE_DOWN] = TUNECHO_DROP_DOWN,
    [TE_PROFILE_RATE_LIMITED] = TUNECHO_DROP_RATE_LIMITED,
    [TE_PROFILE_FLAPPED] = TUNECHO_DROP_FLAPPED,
};

/*
 * Hold @reply for @due: on a TAP with the peer's MAC in front (a copy in
 * t->shape_frame, made once), so that it goes to the right neighbour.
 */
static int hold(struct te_iface *ifc, const uint8_t *peer, uint64_t due, const uint8_t *reply,
		size_t len)
{
	struct tunecho *t = ifc->t;

	if (!peer)
		return te_delay_push(t->delay, due, reply, len, ifc);
	if (!t->shape_frame && !(t->shape_frame = malloc(TE_ETH_ALEN + TE_REASM_ROOM)))
		return -ENOMEM;
	memcpy(t->shape_frame, peer, TE_ETH_ALEN);
	memcpy(t->shape_frame + TE_ETH_ALEN, reply, len);
	return te_delay_push(t->delay, due, t->shape_frame, TE_ETH_ALEN + len, ifc);
}

bool te_shape_reply(struct te_iface *ifc, const uint8_t *peer, const uint8_t *req, size_t hlen,
		    uint8_t *reply, size_t len)
{
	struct tunecho *t = ifc->t;
	const struct te_iface_config *ic = &ifc->cfg;
	int family = hlen && req[0] >> 4 == 6 ? AF_INET6 : AF_INET;
	const uint8_t *dst = req + (family == AF_INET ? 16 : 24);
	uint8_t unreach[TE_SHAPE_HEAD + 48], from[16];
	const struct te_profile *p;
	struct te_host_state *h;
	struct te_decision d;
	uint64_t now;
	int which = -ENOENT;

	if (hlen < (family == AF_INET ? 20u : 40u))
		return te_path_send(ifc, peer, reply, len);
	if (ifc->lpm)
		which = te_lpm_lookup(ifc->lpm, family, dst);
	if (which < 0)
		which = ic->profile;
	if (which < 0 || (size_t)which >= ic->n_profiles)
		return te_path_send(ifc, peer, reply, len);
	if (len > TE_REASM_ROOM || (len > TE_REASM_MAX && reply[0] >> 4 == 4))
		return false;
	p = &ic->profiles[which];
	now = monotonic_ns();
	h = te_hosts_get(t->hosts, family, dst, now);
	if (!h)
		return te_path_send(ifc, peer, reply, len);
	switch (te_profile_decide(p, h, now, &t->prng, &d)) {
	case TE_VERDICT_DROP:
		ifc->stats.drops[drop_reason[d.reason]]++;
		return true;
	case TE_VERDICT_UNREACHABLE:
		if (p->unreachable_family == family)
			memcpy(from, p->unreachable_from, te_addr_len(family));
		else
			unreachable_source(ic, family, dst, from);
		len = build_unreachable(req, hlen, from, d.ttl, unreach,
					(uint16_t)te_rng_next(&t->prng));
		reply = unreach;
		break;
	case TE_VERDICT_SEND:
	default:
		set_ttl(reply, d.ttl);
		break;
	}
	for (unsigned i = 0; i < d.copies && i < 2; i++) {
		int r;

		if (d.due_ns[i] <= now) {
			(void)te_path_send(ifc, peer, reply, len);
			continue;
		}
		r = hold(ifc, peer, d.due_ns[i], reply, len);
		if (r) {
			ifc->stats.drops[TUNECHO_DROP_QUEUE_FULL]++;
			continue;
		}
		ifc->delayed++;
		if (d.due_ns[i] < t->delay_next_ns) {
			t->delay_next_ns = d.due_ns[i];
			if (!t->reading) /* else te_shape_settle() when it stops */
				set_timer(t, t->delay_next_ns);
		}
	}
	return true;
}

size_t te_shape_delayed(const struct tunecho *t)
{
	struct te_delay_stats ds;

	te_delay_get_stats(t->delay, &ds);
	return ds.count;
}

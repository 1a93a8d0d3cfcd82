/* SPDX-License-Identifier: MIT */
/*
 * TAP mode's glue around the pure link stage (link.c): a frame read from a
 * TAP goes through link in, which answers ARP and neighbour solicitations
 * itself and hands an IP datagram for a simulated host on to IP in
 * (path.c); a reply gets its Ethernet header on the way out; RFC 5227's
 * limit on defending an address is applied here (it needs a clock); and
 * `announce = yes` sends one gratuitous ARP or unsolicited NA per new
 * host, paced by one timer of the responder.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hostset.h"
#include "responder.h"
#include "siphash.h"
#include "util.h"

/* Announcements: one tick of the timer sends so many frames per interface. */
#define ANNOUNCE_TICK_MS  10
#define ANNOUNCE_PER_TICK 10 /* 1000 frames/s: a /16 in about 66 s */

/* The link stage's reasons are the public ones from not_for_us on. */
_Static_assert(TUNECHO_DROP_NDP_OTHER - TUNECHO_DROP_NOT_FOR_US + 1 == TE_LINK_REASONS,
	       "the link reasons and the public drop reasons disagree");

/* RFC 5227 §2.4 (DEFEND_INTERVAL): one defence per address per 10 s. */
#define DEFEND_INTERVAL_MS 10000u

/* Whether a defence of the address the ARP frame @f claims may go out now. */
static bool may_defend(struct te_iface *ifc, const uint8_t *f, size_t len)
{
	/* The announcement's sender IP: Ethernet 14, ARP header 8, SHA 6. */
	const uint8_t *spa = f + TE_ETH_HLEN + 14;
	uint64_t now = te_monotonic_ms();
	uint32_t addr;
	struct te_defend *d;

	if (len < TE_ETH_HLEN + 28)
		return true;
	memcpy(&addr, spa, 4);
	d = &ifc->defend[te_siphash(0, 0, spa, 4) % TE_DEFEND_SLOTS];
	if (d->addr == addr && d->ms && now - d->ms < DEFEND_INTERVAL_MS)
		return false;
	d->addr = addr;
	d->ms = now ? now : 1;
	return true;
}

static void write_frame(struct te_iface *ifc, const uint8_t *frame, size_t len)
{
	if (write(ifc->fd, frame, len) != (ssize_t)len)
		ifc->stats.write_errors++;
}

bool te_tap_in(struct te_iface *ifc, const uint8_t *frame, size_t len, size_t *ip_off,
	       size_t *ip_len, uint8_t peer[TE_ETH_ALEN])
{
	struct te_link_result res;
	struct te_stats *st = &ifc->stats;

	switch (te_link_in(&ifc->link, frame, len, &res)) {
	case TE_LINK_IP:
		*ip_off = res.ip_off;
		*ip_len = res.ip_len;
		memcpy(peer, res.peer_mac, TE_ETH_ALEN);
		return true;
	case TE_LINK_REPLY:
		if (res.answer == TE_LINK_ARP_DEFEND &&
		    !may_defend(ifc, res.reply, res.reply_len)) {
			st->defences_held++;
			return false;
		}
		write_frame(ifc, res.reply, res.reply_len);
		if (res.answer == TE_LINK_ARP_REPLY || res.answer == TE_LINK_ARP_DEFEND)
			st->arp_replies++;
		else
			st->na_sent++;
		return false;
	case TE_LINK_DROP:
	default:
		st->drops[TUNECHO_DROP_NOT_FOR_US + res.reason]++;
		return false;
	}
}

ssize_t te_tap_write(struct te_iface *ifc, const uint8_t peer[TE_ETH_ALEN], const uint8_t *ip,
		     const struct iovec *iov, int n)
{
	int family = ip[0] >> 4 == 6 ? AF_INET6 : AF_INET;
	uint8_t hdr[TE_ETH_HLEN], src[TE_ETH_ALEN];
	struct iovec all[3] = {{hdr, TE_ETH_HLEN}};
	ssize_t w;

	/* From the MAC of the host the reply comes from (its source address:
	 * the pinged host, or a profile's router). */
	te_link_host_mac(&ifc->link, family, ip + (family == AF_INET ? 12 : 8), src);
	te_link_header(hdr, peer, src, ip[0]);
	for (int i = 0; i < n && i < 2; i++)
		all[i + 1] = iov[i];
	w = writev(ifc->fd, all, n + 1);
	return w < TE_ETH_HLEN ? -1 : w - TE_ETH_HLEN;
}

/* ------------------------------------------------------------------ */
/* Announcements                                                      */
/* ------------------------------------------------------------------ */

static void announce_done(struct te_iface *ifc)
{
	te_hostset_free(ifc->announce_old);
	ifc->announce_old = NULL;
	ifc->announcing = false;
}

/* Up to @budget announcements of @ifc; false once it has none left. */
static bool announce_some(struct te_iface *ifc, int budget)
{
	uint8_t frame[TE_LINK_FRAME_MAX], addr[16];
	size_t len;
	int family;

	while (budget > 0 && te_hostset_next(ifc->hostset, &ifc->announce_pos, &family, addr)) {
		if (ifc->announce_old &&
		    te_hostset_lookup(ifc->announce_old, family, addr) == TE_LINK_HOST)
			continue; /* announced by the config before */
		if (te_link_announce(&ifc->link, family, addr, frame, sizeof(frame), &len) == 0) {
			write_frame(ifc, frame, len);
			ifc->stats.announced++;
		}
		budget--;
	}
	return budget == 0;
}

static void arm_announce(struct tunecho *t)
{
	struct timeval tv = {0, ANNOUNCE_TICK_MS * 1000};

	if (!evtimer_pending(t->announce_timer, NULL))
		evtimer_add(t->announce_timer, &tv);
}

static void on_announce_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tunecho *t = arg;
	bool more = false;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < t->n_ifaces; i++) {
		struct te_iface *ifc = t->ifaces[i];

		if (!ifc->announcing)
			continue;
		if (ifc->fd >= 0 && ifc->hostset && announce_some(ifc, ANNOUNCE_PER_TICK))
			more = true;
		else
			announce_done(ifc);
	}
	if (more)
		arm_announce(t);
}

int te_tap_init(struct tunecho *t)
{
	t->announce_timer = evtimer_new(t->base, on_announce_timer, t);
	return t->announce_timer ? 0 : -ENOMEM;
}

void te_tap_fini(struct tunecho *t)
{
	if (t->announce_timer)
		event_free(t->announce_timer);
	t->announce_timer = NULL;
}

void te_tap_iface_update(struct te_iface *ifc, struct te_hostset *old)
{
	const struct te_iface_config *ic = &ifc->cfg;

	ifc->link = (struct te_link){
	    .ifname = ifc->name,
	    .lookup = te_hostset_lookup,
	    .lookup_arg = ifc->hostset,
	    .mac_fixed = ic->mac_fixed,
	};
	memcpy(ifc->link.mac, ic->mac, TE_ETH_ALEN);
	ifc->rx_off = ic->tap ? TE_TAP_RX_OFF : 0;
	if (!ic->tap || !ic->announce || !ifc->hostset) {
		te_hostset_free(old);
		announce_done(ifc);
		return;
	}
	/* A walk under way starts again over the new set, skipping what the
	 * set before it had (announced, or about to be when it changed). */
	te_hostset_free(ifc->announce_old);
	ifc->announce_old = old;
	ifc->announce_pos = (struct te_hostset_pos){0};
	ifc->announcing = true;
	if (te_hostset_walk_cut(ifc->hostset))
		te_log(&ifc->t->log, TUNECHO_LOG_NOTICE,
		       "%s: announce = yes: a prefix has more than %u hosts; only its first %u "
		       "are announced",
		       ifc->name, TE_HOSTSET_WALK_MAX, TE_HOSTSET_WALK_MAX);
	arm_announce(ifc->t);
}

void te_tap_iface_clear(struct te_iface *ifc)
{
	announce_done(ifc);
}

/* SPDX-License-Identifier: MIT */
/*
 * Watching the network under the responder: an rtnetlink socket subscribed
 * to link and address notifications, on the same loop.
 *
 * A deletion of one of our devices is acted on at once: it leaves the loop
 * (one log line) and, with `recreate`, comes back after a back-off. Other
 * news about our devices (set down, an address of ours removed) is checked
 * against a fresh dump a moment later, because the kernel reports a
 * deletion as "down", then "addresses gone", then "deleted": acting on the
 * first would log and restore what is about to vanish. The same check, at
 * once, follows an overflow of the socket (ENOBUFS), so a lost
 * notification costs a dump, never a wrong picture of the interfaces.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netlink.h"
#include "responder.h"

/* The notification socket's receive buffer: room for a burst of news
 * (every link message is about 1 KiB) before it overflows. */
#define TE_WATCH_RCVBUF (1 << 20)
/* How long news settles before the check looks (see above). */
#define TE_WATCH_SETTLE_MS 50
/* Re-creation: first try after this, doubling after each failure... */
#define TE_RETRY_FIRST_MS 100
/* ...up to this; a device that then lives this long starts over. */
#define TE_RETRY_MAX_MS 30000
/*
 * Starting or stopping this many devices at once, we stop listening: the
 * news of it (several messages per device) is of devices not yet, or no
 * longer, serving, so it is ignored anyway, and would overflow the socket.
 */
#define TE_WATCH_BULK 64
/* Dumps interrupted by changes taken again at once, before a pause. */
#define TE_WATCH_DUMP_TRIES 4
/* Notification reads per wake-up, so a storm cannot hold the loop. */
#define TE_WATCH_BUDGET 256

struct te_watcher {
	struct tunecho *t;
	struct mnl_socket *sock;
	struct event *ev;
	struct event *check; /* the settled look (reconcile) */
	bool news_lost;	     /* overflow (or no memory to sort news): look at all */
	/* Serving interfaces by device index (open addressing: their position
	 * in t->ifaces, plus one), made afresh for each batch of news and each
	 * look: a thousand interfaces, thousands of news. */
	uint32_t *table;
	size_t table_cap;
	/* The addresses we added to the serving interfaces, by interface and
	 * address (open addressing), made when news or a look needs them:
	 * 20000 addresses, as many news or dumped messages, each found at once. */
	struct addr_slot *addrs;
	size_t addrs_cap;
	bool addrs_made; /* for the current batch of news */
	size_t probes;	 /* addresses compared, for the debug line of a look */
	char buf[32768];
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* One address we added: interface @pos (plus one; 0: empty), address @k. */
struct addr_slot {
	uint32_t pos;
	uint32_t k;
};

static size_t slot_of(int ifindex, size_t cap)
{
	return ((size_t)(unsigned)ifindex * 2654435761u) & (cap - 1);
}

/* The hash of an address on device @ifindex (FNV-1a). */
static size_t addr_hash(int ifindex, int family, const uint8_t *bytes)
{
	uint32_t h = 2166136261u ^ (uint32_t)ifindex;

	for (size_t i = 0; i < te_addr_len(family); i++)
		h = (h ^ bytes[i]) * 16777619u;
	return h;
}

/* A table of at least twice @n slots of @size bytes, zeroed. False without memory. */
static bool make_table(void **table, size_t *cap, size_t n, size_t size)
{
	size_t want = 16;

	while (want < 2 * n)
		want *= 2;
	if (want > *cap) {
		void *p = realloc(*table, want * size);

		if (!p)
			return false;
		*table = p;
		*cap = want;
	}
	memset(*table, 0, *cap * size);
	return true;
}

/* Fill the table with the serving interfaces. False without memory. */
static bool index_interfaces(struct te_watcher *w)
{
	const struct tunecho *t = w->t;

	w->addrs_made = false;
	if (!make_table((void **)&w->table, &w->table_cap, t->n_ifaces, sizeof(*w->table)))
		return false;
	for (size_t i = 0; i < t->n_ifaces; i++) {
		size_t k = slot_of(t->ifaces[i]->ifindex, w->table_cap);

		if (t->ifaces[i]->fd < 0)
			continue;
		while (w->table[k])
			k = (k + 1) & (w->table_cap - 1);
		w->table[k] = (uint32_t)i + 1;
	}
	return true;
}

/* The position in t->ifaces of the serving interface of @ifindex, or -1. */
static int position(const struct te_watcher *w, int ifindex)
{
	for (size_t k = slot_of(ifindex, w->table_cap); w->table[k];
	     k = (k + 1) & (w->table_cap - 1)) {
		const struct te_iface *ifc = w->t->ifaces[w->table[k] - 1];

		if (ifc->ifindex == ifindex)
			return ifc->fd >= 0 ? (int)w->table[k] - 1 : -1;
	}
	return -1;
}

/* Our interface with device @ifindex that is serving, or NULL. */
static struct te_iface *serving(const struct te_watcher *w, int ifindex)
{
	int i = position(w, ifindex);

	return i < 0 ? NULL : w->t->ifaces[i];
}

/* Fill the address table (after index_interfaces()). False without memory. */
static bool index_addresses(struct te_watcher *w)
{
	const struct tunecho *t = w->t;
	size_t total = 0;

	if (w->addrs_made)
		return true;
	for (size_t i = 0; i < t->n_ifaces; i++)
		total += t->ifaces[i]->fd >= 0 ? t->ifaces[i]->n_addrs : 0;
	if (!make_table((void **)&w->addrs, &w->addrs_cap, total, sizeof(*w->addrs)))
		return false;
	for (size_t i = 0; i < t->n_ifaces; i++) {
		const struct te_iface *ifc = t->ifaces[i];

		for (size_t k = 0; ifc->fd >= 0 && k < ifc->n_addrs; k++) {
			const struct te_prefix *a = &ifc->addrs[k].local;
			size_t s =
			    addr_hash(ifc->ifindex, a->family, a->addr.bytes) & (w->addrs_cap - 1);

			while (w->addrs[s].pos)
				s = (s + 1) & (w->addrs_cap - 1);
			w->addrs[s] = (struct addr_slot){(uint32_t)i + 1, (uint32_t)k};
		}
	}
	w->addrs_made = true;
	return true;
}

/*
 * Call @fn for each address we added that is @a (the same local address
 * on the same device: with another prefix, IPv4 allows it twice).
 */
static void each_of_ours(struct te_watcher *w, const struct te_addr_info *a,
			 void (*fn)(void *arg, size_t pos, size_t k), void *arg)
{
	size_t s = addr_hash(a->ifindex, a->family, a->local) & (w->addrs_cap - 1);

	for (; w->addrs[s].pos; s = (s + 1) & (w->addrs_cap - 1)) {
		const struct addr_slot *e = &w->addrs[s];
		const struct te_iface *ifc = w->t->ifaces[e->pos - 1];

		w->probes++;
		if (ifc->ifindex == a->ifindex &&
		    te_same_address(&ifc->addrs[e->k].local, a->family, a->local))
			fn(arg, e->pos - 1, e->k);
	}
}

static void note_found(void *arg, size_t pos, size_t k)
{
	(void)pos;
	(void)k;
	*(bool *)arg = true;
}

/* Whether @a is an address we added (to a serving interface). */
static bool is_our_address(struct te_watcher *w, const struct te_addr_info *a)
{
	bool found = false;

	/* Without memory for the table: take it for ours, a look will tell. */
	if (!index_addresses(w))
		return true;
	each_of_ours(w, a, note_found, &found);
	return found;
}

static void schedule_check(struct te_watcher *w, unsigned ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};

	if (ms == 0 || !evtimer_pending(w->check, NULL))
		evtimer_add(w->check, &tv);
}

/* ---- re-creation ---- */

static unsigned next_backoff(unsigned ms)
{
	return ms * 2 > TE_RETRY_MAX_MS ? TE_RETRY_MAX_MS : ms * 2;
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct te_iface *ifc = arg;
	struct timeval tv;

	int r;

	(void)fd;
	(void)what;
	if (ifc->fd >= 0 || !ifc->cfg.watch.recreate)
		return; /* back already, or a reload said recreate = no */
	r = te_iface_reopen(ifc);
	if (r == 0) {
		ifc->recreated_ms = now_ms();
		te_iface_log_serving(ifc, TUNECHO_EVENT_RECREATED, "recreated, serving again");
		return;
	}
	if (r == -EPERM || r == -EACCES) {
		te_log(&ifc->t->log, TUNECHO_LOG_ERR,
		       "%s: not recreating it: that needs CAP_NET_ADMIN; a restart brings it back",
		       ifc->name);
		return;
	}
	ifc->backoff_ms = next_backoff(ifc->backoff_ms);
	te_log(&ifc->t->log, TUNECHO_LOG_WARNING, "%s: could not recreate it; next try in %u ms",
	       ifc->name, ifc->backoff_ms);
	tv = (struct timeval){.tv_sec = ifc->backoff_ms / 1000,
			      .tv_usec = (ifc->backoff_ms % 1000) * 1000};
	evtimer_add(ifc->retry, &tv);
}

void te_iface_lost(struct te_iface *ifc, const char *why)
{
	struct tunecho *t = ifc->t;
	struct timeval tv;

	if (ifc->fd < 0)
		return;
	if (ifc->ev)
		event_free(ifc->ev);
	ifc->ev = NULL;
	close(ifc->fd);
	ifc->fd = -1;
	/* Addresses and routes went with the device. */
	ifc->n_addrs = ifc->n_routes = 0;
	if (!ifc->cfg.watch.recreate) {
		te_event(t, TUNECHO_EVENT_LOST, ifc->name, TUNECHO_LOG_WARNING,
			 "%s: %s; no longer serving it", ifc->name, why);
		return;
	}
	/* Lost again soon after coming back: someone insists, wait longer. */
	if (!ifc->backoff_ms || now_ms() - ifc->recreated_ms > TE_RETRY_MAX_MS)
		ifc->backoff_ms = TE_RETRY_FIRST_MS;
	else
		ifc->backoff_ms = next_backoff(ifc->backoff_ms);
	if (!ifc->retry)
		ifc->retry = evtimer_new(t->base, on_retry, ifc);
	tv = (struct timeval){.tv_sec = ifc->backoff_ms / 1000,
			      .tv_usec = (ifc->backoff_ms % 1000) * 1000};
	if (!ifc->retry || evtimer_add(ifc->retry, &tv)) {
		te_event(t, TUNECHO_EVENT_LOST, ifc->name, TUNECHO_LOG_ERR,
			 "%s: %s; out of memory to recreate it", ifc->name, why);
		return;
	}
	te_event(t, TUNECHO_EVENT_LOST, ifc->name, TUNECHO_LOG_WARNING,
		 "%s: %s; no longer serving it; recreating it in %u ms", ifc->name, why,
		 ifc->backoff_ms);
}

bool te_watch_will_recreate(const struct te_iface *ifc)
{
	return ifc->retry && evtimer_pending(ifc->retry, NULL);
}

/* Forget @ifc's pending re-creation (it is being freed). */
static void forget(struct te_iface *ifc)
{
	if (ifc->retry)
		event_free(ifc->retry);
	ifc->retry = NULL;
}

/* ---- the settled look: a dump of links and addresses against ours ---- */

/* The smallest MTU with which the kernel keeps IPv6 on a device. */
#define TE_IPV6_MIN_MTU 1280

struct look {
	struct tunecho *t;
	struct te_watcher *w;
	bool *present; /* per interface (index in t->ifaces) */
	bool *up;
	uint32_t *mtu;
	/* A link-local IPv6 address the kernel made (IPv6 coming back on a
	 * device of ours made without one): removed when restoring. */
	struct te_addr_info *link_local;
	bool found_one;		 /* the dumped address is one of ours */
	size_t n_links, n_addrs; /* messages dumped */
	bool *seen;		 /* per address we added, interface after interface */
	size_t *first;		 /* per interface: its first entry in seen */
};

static void on_dumped_link(void *arg, const struct nlmsghdr *nlh)
{
	struct look *l = arg;
	struct te_link_info link;
	int i;

	l->n_links++;
	if (!te_nl_parse_link(nlh, &link) || (i = position(l->w, link.ifindex)) < 0)
		return;
	l->present[i] = true;
	l->up[i] = link.flags & IFF_UP;
	l->mtu[i] = link.mtu;
}

static bool is_link_local(const struct te_addr_info *a)
{
	return a->family == AF_INET6 && a->local[0] == 0xfe && (a->local[1] & 0xc0) == 0x80;
}

static void on_seen(void *arg, size_t pos, size_t k)
{
	struct look *l = arg;

	l->seen[l->first[pos] + k] = true;
	l->found_one = true;
}

static void on_dumped_addr(void *arg, const struct nlmsghdr *nlh)
{
	struct look *l = arg;
	struct te_addr_info a;
	const struct te_iface *ifc;
	int i;

	l->n_addrs++;
	if (!te_nl_parse_addr(nlh, &a) || (i = position(l->w, a.ifindex)) < 0)
		return;
	ifc = l->t->ifaces[i];
	l->found_one = false;
	each_of_ours(l->w, &a, on_seen, l);
	if (ifc->created && is_link_local(&a) && !l->found_one)
		l->link_local[i] = a;
}

/* Told about each refused restoring request (all are logged). */
struct restoring {
	struct tunecho *t;
	struct te_iface **who; /* per queued request */
	const char **what;
};

static void on_restore_refused(void *arg, size_t index, int err, const char *msg)
{
	struct restoring *r = arg;

	te_log(&r->t->log, TUNECHO_LOG_WARNING, "%s: %s failed: %s%s%s%s", r->who[index]->name,
	       r->what[index], strerror(-err), *msg ? " (kernel: " : "", msg, *msg ? ")" : "");
}

/* Queue the removal of link-local @a the kernel gave @ifc. */
static void remove_link_local(struct tunecho *t, struct restoring *r, size_t *n,
			      struct te_iface *ifc, const struct te_addr_info *a)
{
	struct te_address ll = {.local = {.family = AF_INET6, .len = a->prefixlen}};
	char unused[TE_NL_MSGLEN];

	memcpy(ll.local.addr.bytes, a->local, 16);
	r->who[*n] = ifc;
	r->what[(*n)++] = "removing the link-local address the kernel made";
	te_nl_addr(t->nl, TE_NL_REMOVE, ifc->ifindex, &ll, unused);
}

/*
 * Say what changed under each interface, and with `restore`, undo it:
 * up again, the missing addresses again, and then every route of ours
 * again (the kernel flushes IPv4 routes with the link or the last address).
 */
static void act(struct look *l)
{
	struct tunecho *t = l->t;
	size_t total = 0, n = 0, n_restored = 0;
	struct restoring r = {.t = t};
	struct te_iface **restored = calloc(t->n_ifaces ? t->n_ifaces : 1, sizeof(*restored));
	char text[TE_ADDRESS_STRLEN], unused[TE_NL_MSGLEN];

	for (size_t i = 0; i < t->n_ifaces; i++)
		total += 3 + t->ifaces[i]->n_addrs;
	r.who = calloc(total ? total : 1, sizeof(*r.who));
	r.what = calloc(total ? total : 1, sizeof(*r.what));
	if (!r.who || !r.what || !restored) {
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory checking the interfaces");
		goto out;
	}
	te_nl_batch_begin(t->nl);
	for (size_t i = 0; i < t->n_ifaces; i++) {
		struct te_iface *ifc = t->ifaces[i];
		bool restore = ifc->cfg.watch.restore, changed = false, waiting = false;
		bool ipv6_off, ipv6_again;
		size_t kept = 0;

		if (ifc->fd < 0)
			continue;
		if (!l->present[i]) {
			te_iface_lost(ifc, "the device was deleted");
			continue;
		}
		if (!l->up[i] && !ifc->down_logged) {
			te_event(t, restore ? TUNECHO_EVENT_RESTORED : TUNECHO_EVENT_DISTURBED,
				 ifc->name, TUNECHO_LOG_WARNING, "%s: set down by someone else%s",
				 ifc->name, restore ? "; setting it up again" : "");
			ifc->down_logged = !restore;
		}
		if (l->up[i])
			ifc->down_logged = false;
		/* News of an MTU change may have been lost (an overflow, a muted
		 * bulk start): the look has the kernel's, which replies are cut to. */
		if (l->mtu[i])
			ifc->mtu = l->mtu[i];
		if (!l->up[i] && restore) {
			r.who[n] = ifc;
			r.what[n++] = "setting the link up";
			te_nl_link_set(t->nl, ifc->ifindex, &(struct te_link_settings){.up = true},
				       unused);
			changed = true;
		}
		/* IPv6 off (an MTU under 1280): its addresses wait for it. */
		ipv6_off = l->mtu[i] && l->mtu[i] < TE_IPV6_MIN_MTU;
		ipv6_again = false;
		for (size_t k = 0; k < ifc->n_addrs; k++) {
			bool v6 = ifc->addrs[k].local.family == AF_INET6;

			if (l->seen[l->first[i] + k]) {
				ifc->addrs[kept++] = ifc->addrs[k];
				continue;
			}
			te_address_format(&ifc->addrs[k], text, sizeof(text));
			if (v6 && restore && ipv6_off) {
				if (!ifc->ipv6_waiting)
					te_log(
					    &t->log, TUNECHO_LOG_WARNING,
					    "%s: address %s was removed with IPv6 (MTU %u, under "
					    "%u); adding it again when the MTU allows IPv6",
					    ifc->name, text, l->mtu[i], TE_IPV6_MIN_MTU);
				waiting = true;
				ifc->addrs[kept++] = ifc->addrs[k];
				continue;
			}
			if (v6 && restore && ifc->ipv6_waiting)
				te_event(t, TUNECHO_EVENT_RESTORED, ifc->name, TUNECHO_LOG_NOTICE,
					 "%s: IPv6 is back (MTU %u): adding address %s again",
					 ifc->name, l->mtu[i], text);
			else
				te_event(
				    t, restore ? TUNECHO_EVENT_RESTORED : TUNECHO_EVENT_DISTURBED,
				    ifc->name, TUNECHO_LOG_WARNING, "%s: address %s was removed%s",
				    ifc->name, text, restore ? "; adding it again" : "");
			if (!restore)
				continue; /* no longer ours to remove */
			/* IPv6 made anew on the device starts with the kernel's
			 * address generation: off again first, as at the start,
			 * and the link-local address it made meanwhile goes. */
			if (v6 && ifc->created && !ipv6_again) {
				ipv6_again = true;
				r.who[n] = ifc;
				r.what[n++] = "turning IPv6 address generation off";
				te_nl_link_set(t->nl, ifc->ifindex,
					       &(struct te_link_settings){.no_link_local = true},
					       unused);
				if (l->link_local[i].family)
					remove_link_local(t, &r, &n, ifc, &l->link_local[i]);
			}
			ifc->addrs[kept++] = ifc->addrs[k];
			r.who[n] = ifc;
			r.what[n++] = "adding an address again";
			te_nl_addr(t->nl, TE_NL_REPLACE, ifc->ifindex, &ifc->addrs[k], unused);
			changed = true;
		}
		ifc->n_addrs = kept;
		ifc->ipv6_waiting = waiting;
		if (changed)
			restored[n_restored++] = ifc;
	}
	if (te_nl_batch_end(t->nl, on_restore_refused, &r) < 0)
		te_log(&t->log, TUNECHO_LOG_WARNING, "rtnetlink failed while restoring");
	te_ifaces_readd_routes(t, restored, n_restored);
out:
	free(r.who);
	free(r.what);
	free(restored);
}

/* ---- notifications ---- */

/* Handle one notification; true if it calls for the settled look. */
static bool on_news(struct te_watcher *w, const struct nlmsghdr *nlh)
{
	struct te_link_info link;
	struct te_addr_info addr;
	struct te_iface *ifc;

	if (te_nl_parse_link(nlh, &link)) {
		ifc = serving(w, link.ifindex);
		if (!ifc)
			return false;
		if (nlh->nlmsg_type == RTM_DELLINK) {
			te_iface_lost(ifc, "the device was deleted");
			return false;
		}
		if (link.mtu)
			ifc->mtu = link.mtu; /* replies over it leave in fragments */
		ifc->news_down = !(link.flags & IFF_UP);
		/* The MTU allows IPv6 again: its addresses of ours can go back. */
		if (ifc->ipv6_waiting && link.mtu >= TE_IPV6_MIN_MTU)
			ifc->news_addr = true;
		return ifc->news_down || ifc->news_addr;
	}
	if (nlh->nlmsg_type == RTM_DELADDR && te_nl_parse_addr(nlh, &addr)) {
		ifc = serving(w, addr.ifindex);
		if (ifc && !ifc->news_addr && is_our_address(w, &addr))
			ifc->news_addr = true;
		return ifc && ifc->news_addr;
	}
	return false;
}

/*
 * Read up to @budget notifications (all there are with a negative one)
 * and note what they say. True if something calls for the settled look.
 */
static bool read_news(struct te_watcher *w, int budget)
{
	int fd = mnl_socket_get_fd(w->sock);
	/* Without memory to sort the news: read it anyway, then look at all. */
	bool indexed = index_interfaces(w), look = !indexed;

	w->news_lost = w->news_lost || !indexed;
	for (int reads = 0; budget < 0 || reads < budget; reads++) {
		ssize_t n = recv(fd, w->buf, sizeof(w->buf), 0);
		int left = (int)n;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == ENOBUFS) {
			te_log(&w->t->log, TUNECHO_LOG_WARNING,
			       "rtnetlink monitor overflowed: re-reading links and addresses");
			w->news_lost = look = true;
			continue;
		}
		if (n <= 0)
			break;
		for (const struct nlmsghdr *nlh = (const void *)w->buf;
		     indexed && mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left))
			look = on_news(w, nlh) || look;
	}
	return look;
}

static void on_notification(evutil_socket_t fd, short what, void *arg)
{
	struct te_watcher *w = arg;

	(void)fd;
	(void)what;
	if (read_news(w, TE_WATCH_BUDGET))
		schedule_check(w, w->news_lost ? 0 : TE_WATCH_SETTLE_MS);
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	struct te_watcher *w = arg;
	struct tunecho *t = w->t;
	struct look l = {.t = t, .w = w};
	size_t n = t->n_ifaces, total = 0;
	bool news;
	int r;

	(void)fd;
	(void)what;
	/* First the news not read yet: a later "up" may cancel an earlier
	 * "down" (our own set-up reads like that). */
	read_news(w, -1);
	news = w->news_lost;
	for (size_t i = 0; i < n && !news; i++)
		news = t->ifaces[i]->news_down || t->ifaces[i]->news_addr;
	if (!news)
		return; /* what there was cancelled out */
	l.present = calloc(n ? n : 1, sizeof(*l.present));
	l.up = calloc(n ? n : 1, sizeof(*l.up));
	l.mtu = calloc(n ? n : 1, sizeof(*l.mtu));
	l.link_local = calloc(n ? n : 1, sizeof(*l.link_local));
	l.first = calloc(n ? n : 1, sizeof(*l.first));
	for (size_t i = 0; l.first && i < n; i++) {
		l.first[i] = total;
		total += t->ifaces[i]->n_addrs;
	}
	l.seen = calloc(total ? total : 1, sizeof(*l.seen));
	/* Each dumped message finds its interface and address at once. */
	if (!l.present || !l.up || !l.mtu || !l.link_local || !l.first || !l.seen ||
	    !index_interfaces(w) || !index_addresses(w)) {
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory checking the interfaces");
		goto out;
	}
	/* A dump interrupted by changes (NLM_F_DUMP_INTR) is taken again from
	 * a clean slate: a few times at once, then after a pause. */
	for (int tries = 0;; tries++) {
		memset(l.present, 0, n * sizeof(*l.present));
		memset(l.up, 0, n * sizeof(*l.up));
		memset(l.mtu, 0, n * sizeof(*l.mtu));
		memset(l.link_local, 0, n * sizeof(*l.link_local));
		memset(l.seen, 0, total * sizeof(*l.seen));
		l.n_links = l.n_addrs = w->probes = 0;
		r = te_nl_dump(t->nl, RTM_GETLINK, on_dumped_link, &l);
		if (r == 0)
			r = te_nl_dump(t->nl, RTM_GETADDR, on_dumped_addr, &l);
		if (r != -EINTR || tries == TE_WATCH_DUMP_TRIES - 1)
			break;
	}
	if (r == -EINTR) {
		te_log(&t->log, TUNECHO_LOG_DEBUG,
		       "links and addresses kept changing while being read; reading them again "
		       "in %d ms",
		       TE_WATCH_SETTLE_MS);
		schedule_check(w, TE_WATCH_SETTLE_MS);
		goto out;
	}
	if (r < 0) {
		te_log(&t->log, TUNECHO_LOG_WARNING,
		       "re-reading links and addresses failed: %s; trying again in a second",
		       strerror(-r));
		schedule_check(w, 1000);
		goto out;
	}
	/* Each dumped address is compared with ours of the same hash only:
	 * about one comparison each, however many addresses (near-linear). */
	te_log(&t->log, TUNECHO_LOG_DEBUG,
	       "looked at %zu links and %zu addresses against %zu of ours: %zu comparisons",
	       l.n_links, l.n_addrs, total, w->probes);
	act(&l);
	w->news_lost = false;
	for (size_t i = 0; i < t->n_ifaces; i++)
		t->ifaces[i]->news_down = t->ifaces[i]->news_addr = false;
out:
	free(l.present);
	free(l.up);
	free(l.mtu);
	free(l.link_local);
	free(l.first);
	free(l.seen);
}

/* The notification groups we listen to. */
static const unsigned groups[] = {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR};

static void membership(struct te_watcher *w, int how)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		unsigned group = groups[i];

		mnl_socket_setsockopt(w->sock, how, &group, sizeof(group));
	}
}

/*
 * Around the start or stop of @n devices: for many, stop listening to the
 * network's news (it would be of devices we ignore, and overflow), and
 * afterwards listen again and look at the serving ones, which may have
 * changed meanwhile. mute() returns what to pass to unmute().
 */
static bool mute(struct tunecho *t, size_t n)
{
	if (!t->watcher || n < TE_WATCH_BULK)
		return false;
	membership(t->watcher, NETLINK_DROP_MEMBERSHIP);
	return true;
}

static void unmute(struct tunecho *t, bool muted)
{
	if (!muted || !t->watcher)
		return;
	membership(t->watcher, NETLINK_ADD_MEMBERSHIP);
	/* News of the interfaces already serving may have been missed. */
	if (t->n_ifaces) {
		t->watcher->news_lost = true;
		schedule_check(t->watcher, 0);
	}
}

int te_watch_start(struct tunecho *t)
{
	struct te_watcher *w = calloc(1, sizeof(*w));
	int size = TE_WATCH_RCVBUF, r = -ENOMEM;

	if (!w)
		return -ENOMEM;
	w->t = t;
	t->hooks = (struct te_iface_hooks){mute, unmute, forget};
	w->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!w->sock ||
	    mnl_socket_bind(w->sock, RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR,
			    MNL_SOCKET_AUTOPID) < 0) {
		r = -errno;
		goto fail;
	}
	/* Past the system's rmem_max when allowed to (CAP_NET_ADMIN). */
	if (setsockopt(mnl_socket_get_fd(w->sock), SOL_SOCKET, SO_RCVBUFFORCE, &size,
		       sizeof(size)) < 0)
		setsockopt(mnl_socket_get_fd(w->sock), SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	w->ev = event_new(t->base, mnl_socket_get_fd(w->sock), EV_READ | EV_PERSIST,
			  on_notification, w);
	w->check = evtimer_new(t->base, on_check, w);
	if (!w->ev || !w->check || event_add(w->ev, NULL))
		goto fail;
	t->watcher = w;
	return 0;

fail:
	t->watcher = w;
	te_watch_stop(t);
	return r;
}

void te_watch_stop(struct tunecho *t)
{
	struct te_watcher *w = t->watcher;

	if (!w)
		return;
	if (w->ev)
		event_free(w->ev);
	if (w->check)
		event_free(w->check);
	if (w->sock)
		mnl_socket_close(w->sock);
	free(w->table);
	free(w->addrs);
	free(w);
	t->watcher = NULL;
}

/* SPDX-License-Identifier: MIT */
/*
 * The responder: TUN interfaces on the caller's event base, each packet
 * through the handler chain, replies written back to the same fd.
 */
#include <errno.h>
#include <event2/event.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "netlink.h"
#include "packet.h"
#include "stats.h"
#include "tun.h"
#include "util.h"
#include "tunecho.h"

/*
 * Packets handled per wake-up of one interface before the loop moves on:
 * large enough to amortise the wake-up, small enough that a flooded
 * interface cannot starve the others (epoll is level-triggered, so what is
 * left is picked up on the next pass).
 */
#define TE_BUDGET 64

/* The largest packet a TUN device can hand us: an IP datagram. */
#define TE_RXBUF 65536

#define TE_MAX_HANDLERS 16

/*
 * The chain is one array in run order: handlers added FIRST, the two
 * built-ins, handlers added LAST.
 */
struct te_handler {
	tunecho_handler_fn *fn;
	void *arg;
	int builtin; /* enum tunecho_builtin, or -1 for the caller's */
	bool first;  /* added with TUNECHO_HANDLER_FIRST */
	bool enabled;
};

struct te_iface {
	struct tunecho *t;
	char name[IFNAMSIZ];
	int fd; /* -1 once the device failed and left the loop */
	int ifindex;
	struct event *ev;
	bool created; /* by us (else attached to an existing device) */
	bool persist; /* created by us with TUNSETPERSIST */
	/* What we added, to remove from devices that outlive us. */
	struct te_address *addrs;
	size_t n_addrs;
	struct te_prefix *routes;
	size_t n_routes;
	struct tunecho_stats stats;
};

struct tunecho {
	struct event_base *base;
	struct te_logger log;
	struct te_nl *nl;
	struct te_iface **ifaces;
	size_t n_ifaces;
	struct te_handler handlers[TE_MAX_HANDLERS];
	size_t n_handlers;
	uint64_t busy_poll_ns; /* 0: sleep in epoll as soon as a device is empty */
	/* The one receive buffer: replies are built in it, in place. */
	_Alignas(16) uint8_t rxbuf[TE_RXBUF];
};

const char *tunecho_version(void)
{
	return TUNECHO_VERSION;
}

/* Run @pkt through the chain; the verdict of the first that does not pass. */
static enum tunecho_verdict run_chain(const struct tunecho *t, struct tunecho_packet *pkt)
{
	for (size_t i = 0; i < t->n_handlers; i++) {
		const struct te_handler *h = &t->handlers[i];
		enum tunecho_verdict v;

		if (!h->enabled)
			continue;
		v = h->fn(h->arg, pkt);
		if (v != TUNECHO_PASS)
			return v;
	}
	return TUNECHO_DROP;
}

/* Whether the packet is IPv4 or IPv6: TUN with IFF_NO_PI carries nothing else. */
static bool ip_version_known(const uint8_t *p, size_t len)
{
	return len > 0 && (p[0] >> 4 == 4 || p[0] >> 4 == 6);
}

static void iface_lost(struct te_iface *ifc, int err)
{
	te_log(&ifc->t->log, TUNECHO_LOG_WARNING,
	       "%s: read failed: %s; the device is gone or broken, no longer serving it", ifc->name,
	       strerror(err));
	event_del(ifc->ev);
	close(ifc->fd);
	ifc->fd = -1;
}

/* Answer or count one packet of @n bytes in the receive buffer. */
static void handle(struct te_iface *ifc, size_t n)
{
	struct tunecho *t = ifc->t;
	struct tunecho_stats *st = &ifc->stats;
	struct tunecho_packet pkt = {
	    .data = t->rxbuf,
	    .len = n,
	    .room = sizeof(t->rxbuf),
	    .reason = ip_version_known(t->rxbuf, n) ? TUNECHO_DROP_UNHANDLED : TUNECHO_DROP_NOT_IP,
	    .ifname = ifc->name,
	    .ifindex = ifc->ifindex,
	};

	st->rx_packets++;
	st->rx_bytes += n;
	switch (run_chain(t, &pkt)) {
	case TUNECHO_ANSWER:
		if (pkt.len <= pkt.room && write(ifc->fd, pkt.data, pkt.len) == (ssize_t)pkt.len) {
			st->replies++;
			st->tx_bytes += pkt.len;
		} else {
			st->write_errors++;
		}
		break;
	case TUNECHO_DROP:
	case TUNECHO_PASS:
	default:
		if ((unsigned)pkt.reason >= TUNECHO_DROP_REASONS)
			pkt.reason = TUNECHO_DROP_HANDLER;
		st->drops[pkt.reason]++;
		break;
	}
}

/*
 * Read and handle up to @budget packets of @ifc. Returns how many; stops
 * early when the device is empty (EAGAIN) or failed (then it leaves the
 * loop, ifc->fd becomes -1).
 */
static int drain(struct te_iface *ifc, int budget)
{
	int done = 0;

	while (done < budget) {
		ssize_t n = read(ifc->fd, ifc->t->rxbuf, sizeof(ifc->t->rxbuf));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				iface_lost(ifc, errno);
			break;
		}
		handle(ifc, (size_t)n);
		done++;
	}
	return done;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Busy polling: after traffic, keep reading this interface without going
 * back to sleep in epoll until it has been quiet for busy_poll_ns. A
 * request then finds the responder awake instead of waiting for a
 * wake-up. It only starts after a packet, so an idle responder costs
 * nothing; and it hands control back to the loop every TE_SPIN_MAX_NS so
 * signals, timers and the other interfaces are never held up for long.
 */
#define TE_SPIN_MAX_NS 2000000u

static void busy_poll(struct te_iface *ifc)
{
	uint64_t now = now_ns();
	uint64_t quiet_until = now + ifc->t->busy_poll_ns;
	uint64_t give_back = now + TE_SPIN_MAX_NS;

	while (ifc->fd >= 0 && now < quiet_until && now < give_back) {
		if (drain(ifc, TE_BUDGET) > 0)
			quiet_until = now_ns() + ifc->t->busy_poll_ns;
		now = now_ns();
	}
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct te_iface *ifc = arg;

	(void)fd;
	(void)what;
	if (drain(ifc, TE_BUDGET) > 0 && ifc->t->busy_poll_ns && ifc->fd >= 0)
		busy_poll(ifc);
}

/*
 * Undo @ifc and free it. Devices that outlive the fd (persistent, or not
 * ours) lose the addresses and routes we added; a device we created goes
 * away with its fd, everything on it included. With @keep_persistent false
 * (a failed start) a device we made persistent is made transient first,
 * so nothing is left behind.
 */
static void iface_stop(struct tunecho *t, struct te_iface *ifc, bool keep_persistent)
{
	char msg[TE_NL_MSGLEN], text[TE_ADDRESS_STRLEN];

	if (ifc->ev)
		event_free(ifc->ev);
	if (ifc->fd >= 0 && (!ifc->created || (ifc->persist && keep_persistent))) {
		for (size_t i = ifc->n_routes; i-- > 0;) {
			if (te_nl_route(t->nl, false, ifc->ifindex, &ifc->routes[i], msg)) {
				te_prefix_format(&ifc->routes[i], text, sizeof(text));
				te_log(&t->log, TUNECHO_LOG_WARNING, "%s: removing route %s: %s",
				       ifc->name, text, msg);
			}
		}
		for (size_t i = ifc->n_addrs; i-- > 0;) {
			if (te_nl_addr(t->nl, false, ifc->ifindex, &ifc->addrs[i], msg)) {
				te_address_format(&ifc->addrs[i], text, sizeof(text));
				te_log(&t->log, TUNECHO_LOG_WARNING, "%s: removing address %s: %s",
				       ifc->name, text, msg);
			}
		}
	}
	if (ifc->fd >= 0 && ifc->created && ifc->persist && !keep_persistent)
		te_tun_unpersist(ifc->fd);
	if (ifc->fd >= 0)
		close(ifc->fd);
	free(ifc->addrs);
	free(ifc->routes);
	free(ifc);
}

/* Log the failure of @what on @ifc: errno text, kernel text, what to do. */
static void log_failure(struct tunecho *t, const char *ifname, const char *what, int err,
			const char *kmsg)
{
	const char *hint = "";

	if (err == EPERM || err == EACCES)
		hint = "; this needs CAP_NET_ADMIN: run tunecho as root";
	te_log(&t->log, TUNECHO_LOG_ERR, "%s: %s failed: %s%s%s%s%s", ifname, what, strerror(err),
	       kmsg && *kmsg ? " (kernel: " : "", kmsg && *kmsg ? kmsg : "",
	       kmsg && *kmsg ? ")" : "", hint);
}

static int open_device(struct tunecho *t, struct te_iface *ifc, const struct te_iface_config *ic)
{
	struct te_tun_request req = {
	    .name = ic->name,
	    /* A persistent device outlives us; the next start takes it back. */
	    .attach = ic->attach || ic->persist,
	    .persist = ic->persist,
	    .owner = ic->owner,
	    .group = ic->group,
	};
	const char *step = "";
	int fd = te_tun_open(&req, &ifc->created, &step);

	if (fd >= 0) {
		ifc->fd = fd;
		ifc->persist = ifc->created && ic->persist;
		return 0;
	}
	switch (fd) {
	case -EEXIST:
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: an interface of that name already exists; choose another name, or set "
		       "attach = yes to serve the existing TUN device",
		       ic->name);
		break;
	case -EBUSY:
	case -EINVAL:
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: cannot attach: the device is not a TUN device, or another process "
		       "holds it",
		       ic->name);
		break;
	case -ENOENT:
	case -ENODEV:
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: cannot open /dev/net/tun: %s; load the tun module (modprobe tun)",
		       ic->name, strerror(-fd));
		break;
	default:
		log_failure(t, ic->name, step, -fd, NULL);
		break;
	}
	return fd;
}

static int add_addresses(struct tunecho *t, struct te_iface *ifc, const struct te_iface_config *ic)
{
	char msg[TE_NL_MSGLEN], text[TE_ADDRESS_STRLEN], what[TE_ADDRESS_STRLEN + 32];
	int r;

	ifc->addrs = calloc(ic->n_addrs ? ic->n_addrs : 1, sizeof(*ifc->addrs));
	ifc->routes = calloc(ic->n_routes ? ic->n_routes : 1, sizeof(*ifc->routes));
	if (!ifc->addrs || !ifc->routes)
		return -ENOMEM;
	for (size_t i = 0; i < ic->n_addrs; i++) {
		r = te_nl_addr(t->nl, true, ifc->ifindex, &ic->addrs[i], msg);
		te_address_format(&ic->addrs[i], text, sizeof(text));
		if (r == -EEXIST && !ifc->created) {
			/* Someone else's: use it, but do not remove it later. */
			te_log(&t->log, TUNECHO_LOG_NOTICE,
			       "%s: address %s is already there; it will be left in place",
			       ifc->name, text);
			continue;
		}
		if (r) {
			snprintf(what, sizeof(what), "adding address %s", text);
			log_failure(t, ifc->name, what, -r, msg);
			return r;
		}
		ifc->addrs[ifc->n_addrs++] = ic->addrs[i];
	}
	for (size_t i = 0; i < ic->n_routes; i++) {
		r = te_nl_route(t->nl, true, ifc->ifindex, &ic->routes[i], msg);
		te_prefix_format(&ic->routes[i], text, sizeof(text));
		if (r == -EEXIST && !ifc->created) {
			te_log(&t->log, TUNECHO_LOG_NOTICE,
			       "%s: route %s is already there; it will be left in place", ifc->name,
			       text);
			continue;
		}
		if (r) {
			snprintf(what, sizeof(what), "adding route %s", text);
			log_failure(t, ifc->name, what, -r, msg);
			return r;
		}
		ifc->routes[ifc->n_routes++] = ic->routes[i];
	}
	return 0;
}

/* One line that says what @ifc serves. */
static void log_serving(struct tunecho *t, const struct te_iface *ifc,
			const struct te_iface_config *ic)
{
	char line[400], text[TE_ADDRESS_STRLEN];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s: serving (%s)", ifc->name,
			     ifc->created ? (ifc->persist ? "created, persistent" : "created")
					  : "attached");
	for (size_t i = 0; i < ic->n_addrs && n < sizeof(line); i++) {
		te_address_format(&ic->addrs[i], text, sizeof(text));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", i ? "," : "", text);
	}
	for (size_t i = 0; i < ic->n_routes && n < sizeof(line); i++) {
		te_prefix_format(&ic->routes[i], text, sizeof(text));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", i ? "," : "; routes",
				      text);
	}
	te_log(&t->log, TUNECHO_LOG_NOTICE, "%s", line);
}

static int iface_start(struct tunecho *t, const struct te_iface_config *ic, struct te_iface **out)
{
	char msg[TE_NL_MSGLEN];
	struct te_iface *ifc;
	int r;

	for (size_t i = 0; i < t->n_ifaces; i++) {
		if (!strcmp(t->ifaces[i]->name, ic->name)) {
			te_log(&t->log, TUNECHO_LOG_ERR, "%s: already served by this responder",
			       ic->name);
			return -EEXIST;
		}
	}
	ifc = calloc(1, sizeof(*ifc));
	if (!ifc)
		return -ENOMEM;
	ifc->t = t;
	ifc->fd = -1;
	snprintf(ifc->name, sizeof(ifc->name), "%s", ic->name);

	r = open_device(t, ifc, ic);
	if (r)
		goto fail;
	ifc->ifindex = (int)if_nametoindex(ifc->name);
	if (ifc->ifindex == 0) {
		r = -errno;
		log_failure(t, ifc->name, "looking up the interface index", -r, NULL);
		goto fail;
	}
	r = te_nl_link_up(t->nl, ifc->ifindex, ic->mtu, ic->txqlen, msg);
	if (r) {
		log_failure(t, ifc->name, "setting mtu, txqueuelen and up", -r, msg);
		goto fail;
	}
	r = add_addresses(t, ifc, ic);
	if (r)
		goto fail;
	ifc->ev = event_new(t->base, ifc->fd, EV_READ | EV_PERSIST, on_readable, ifc);
	if (!ifc->ev || event_add(ifc->ev, NULL)) {
		r = -ENOMEM;
		log_failure(t, ifc->name, "adding the read event", ENOMEM, NULL);
		goto fail;
	}
	log_serving(t, ifc, ic);
	*out = ifc;
	return 0;

fail:
	iface_stop(t, ifc, false);
	return r;
}

int tunecho_add_config(struct tunecho *t, const struct tunecho_config *cfg)
{
	size_t before;
	int r = 0;

	if (!t || !cfg)
		return -EINVAL;
	before = t->n_ifaces;
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		struct te_iface *ifc;

		r = te_grow((void **)&t->ifaces, t->n_ifaces, sizeof(*t->ifaces));
		if (r) {
			te_log(&t->log, TUNECHO_LOG_ERR, "out of memory");
			break;
		}
		r = iface_start(t, &cfg->ifaces[i], &ifc);
		if (r)
			break;
		t->ifaces[t->n_ifaces++] = ifc;
	}
	if (r == 0)
		return (int)(t->n_ifaces - before);
	/* All or nothing: undo this call's interfaces, newest first. */
	while (t->n_ifaces > before)
		iface_stop(t, t->ifaces[--t->n_ifaces], false);
	return r;
}

int tunecho_new(struct tunecho **out, struct event_base *base)
{
	struct tunecho *t;
	int r;

	if (!out || !base)
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->base = base;
	r = te_nl_open(&t->nl);
	if (r) {
		free(t);
		return r;
	}
	t->handlers[t->n_handlers++] = (struct te_handler){
	    .fn = te_icmp4_echo, .builtin = TUNECHO_BUILTIN_ICMP4_ECHO, .enabled = true};
	t->handlers[t->n_handlers++] = (struct te_handler){
	    .fn = te_icmp6_echo, .builtin = TUNECHO_BUILTIN_ICMP6_ECHO, .enabled = true};
	*out = t;
	return 0;
}

void tunecho_free(struct tunecho *t)
{
	if (!t)
		return;
	while (t->n_ifaces > 0)
		iface_stop(t, t->ifaces[--t->n_ifaces], true);
	free(t->ifaces);
	te_nl_close(t->nl);
	free(t);
}

void tunecho_set_log_fn(struct tunecho *t, tunecho_log_fn *fn, void *arg,
			enum tunecho_log_level max)
{
	if (!t)
		return;
	t->log = (struct te_logger){fn, arg, max};
}

size_t tunecho_iface_count(const struct tunecho *t)
{
	return t ? t->n_ifaces : 0;
}

const char *tunecho_iface_name(const struct tunecho *t, size_t index)
{
	return t && index < t->n_ifaces ? t->ifaces[index]->name : NULL;
}

int tunecho_iface_outlives(const struct tunecho *t, size_t index)
{
	if (!t || index >= t->n_ifaces)
		return 0;
	return !t->ifaces[index]->created || t->ifaces[index]->persist;
}

int tunecho_stats(const struct tunecho *t, size_t index, struct tunecho_stats *out)
{
	if (!t || !out || index > t->n_ifaces)
		return -ERANGE;
	if (index < t->n_ifaces) {
		*out = t->ifaces[index]->stats;
		return 0;
	}
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < t->n_ifaces; i++)
		te_stats_add(out, &t->ifaces[i]->stats);
	return 0;
}

int tunecho_remove_iface(struct tunecho *t, const char *name)
{
	if (!t || !name)
		return -EINVAL;
	for (size_t i = 0; i < t->n_ifaces; i++) {
		struct te_iface *ifc = t->ifaces[i];

		if (strcmp(ifc->name, name))
			continue;
		memmove(&t->ifaces[i], &t->ifaces[i + 1],
			(t->n_ifaces - i - 1) * sizeof(*t->ifaces));
		t->n_ifaces--;
		iface_stop(t, ifc, true);
		te_log(&t->log, TUNECHO_LOG_NOTICE, "%s: removed", name);
		return 0;
	}
	return -ENOENT;
}

int tunecho_add_handler(struct tunecho *t, tunecho_handler_fn *fn, void *arg,
			enum tunecho_handler_position pos)
{
	size_t at = 0;

	if (!t || !fn || (pos != TUNECHO_HANDLER_FIRST && pos != TUNECHO_HANDLER_LAST))
		return -EINVAL;
	if (t->n_handlers == TE_MAX_HANDLERS)
		return -ENOSPC;
	if (pos == TUNECHO_HANDLER_LAST)
		at = t->n_handlers;
	else
		while (at < t->n_handlers && t->handlers[at].first)
			at++;
	memmove(&t->handlers[at + 1], &t->handlers[at],
		(t->n_handlers - at) * sizeof(*t->handlers));
	t->handlers[at] = (struct te_handler){
	    .fn = fn,
	    .arg = arg,
	    .builtin = -1,
	    .first = pos == TUNECHO_HANDLER_FIRST,
	    .enabled = true,
	};
	t->n_handlers++;
	return 0;
}

int tunecho_remove_handler(struct tunecho *t, tunecho_handler_fn *fn, void *arg)
{
	if (!t)
		return -EINVAL;
	for (size_t i = 0; i < t->n_handlers; i++) {
		struct te_handler *h = &t->handlers[i];

		if (h->builtin < 0 && h->fn == fn && h->arg == arg) {
			memmove(h, h + 1, (t->n_handlers - i - 1) * sizeof(*h));
			t->n_handlers--;
			return 0;
		}
	}
	return -ENOENT;
}

int tunecho_set_builtin(struct tunecho *t, enum tunecho_builtin which, int enabled)
{
	if (!t)
		return -EINVAL;
	for (size_t i = 0; i < t->n_handlers; i++) {
		if (t->handlers[i].builtin >= 0 && t->handlers[i].builtin == (int)which) {
			t->handlers[i].enabled = enabled != 0;
			return 0;
		}
	}
	return -EINVAL;
}

int tunecho_set_busy_poll(struct tunecho *t, unsigned usec)
{
	if (!t || usec > TUNECHO_BUSY_POLL_MAX_US)
		return -EINVAL;
	t->busy_poll_ns = (uint64_t)usec * 1000u;
	return 0;
}

int tunecho_stats_json(const struct tunecho *t, char *buf, size_t size)
{
	struct te_json j = {.buf = buf, .size = size};
	struct tunecho_stats total = {0};

	if (!t)
		return -EINVAL;
	te_json_raw(&j, "{\"interfaces\":[");
	for (size_t i = 0; i < t->n_ifaces; i++) {
		const struct te_iface *ifc = t->ifaces[i];

		te_json_raw(&j, i ? ",{\"name\":" : "{\"name\":");
		te_json_string(&j, ifc->name);
		te_json_raw(&j, ifc->fd >= 0 ? ",\"serving\":true," : ",\"serving\":false,");
		te_stats_json(&j, &ifc->stats);
		te_json_raw(&j, "}");
		te_stats_add(&total, &ifc->stats);
	}
	te_json_raw(&j, "],\"total\":{");
	te_stats_json(&j, &total);
	te_json_raw(&j, "}}");
	return te_json_end(&j);
}

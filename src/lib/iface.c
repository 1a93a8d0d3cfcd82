/* SPDX-License-Identifier: MIT */
/*
 * Bringing interfaces up and down, many at a time.
 *
 * Up: every TUN device is opened first; then one rtnetlink batch sets the
 * links (MTU, queue, group, up), one adds every address, one every route,
 * so a thousand interfaces cost a handful of system calls, while each ACK
 * is still checked and a refusal names its interface and request.
 *
 * Down: one batch removes what we added to devices that outlive us; the
 * devices we created go in one RTM_DELLINK by link group when the group
 * holds nothing else (the kernel unregisters them together: closing their
 * fds one by one would make it wait once per device), else one by one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/rtnetlink.h>

#include "found.h"
#include "netlink.h"
#include "reasm.h"
#include "responder.h"
#include "tun.h"
#include "util.h"

/* Log the failure of @what on @ifname: errno text, kernel text, what to do. */
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
	    .tap = ic->tap,
	    .owner = ic->owner,
	    .group = ic->group,
	};
	const char *step = "";
	int fd = te_tun_open(&req, &ifc->created, &step);

	if (fd >= 0) {
		ifc->fd = fd;
		/* persist = yes says the device is ours: one that exists is the
		 * one an earlier run left (attach = yes says the opposite). */
		ifc->taken_back = !ifc->created && ic->persist && !ic->attach;
		ifc->created = ifc->created || ifc->taken_back;
		ifc->persist = ifc->created && ic->persist;
		return 0;
	}
	switch (fd) {
	case -EEXIST:
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: an interface of that name already exists; choose another name, or set "
		       "attach = yes to serve the existing %s device",
		       ic->name, ic->tap ? "TAP" : "TUN");
		break;
	case -EBUSY:
	case -EINVAL:
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: cannot attach: the device is not a %s device (mode = %s), or another "
		       "process holds it",
		       ic->name, ic->tap ? "TAP" : "TUN", ic->tap ? "tap" : "tun");
		break;
	case -ENOENT:
	case -ENODEV:
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: cannot open /dev/net/tun: %s; load the tun module (modprobe tun)",
		       ic->name, strerror(-fd));
		break;
	default:
		if (fd == -EACCES && !strcmp(step, "open /dev/net/tun")) {
			/* The node's mode, not a capability: CAP_NET_ADMIN does not
			 * open a file the user may not (a daemon after `user`). */
			te_log(&t->log, TUNECHO_LOG_ERR,
			       "%s: open /dev/net/tun failed: %s; this needs CAP_NET_ADMIN and "
			       "read and write access to /dev/net/tun: run tunecho as root (or "
			       "give the node a group of its user: chgrp GROUP /dev/net/tun; "
			       "chmod 0660 /dev/net/tun)",
			       ic->name, strerror(EACCES));
			break;
		}
		log_failure(t, ic->name, step, -fd, NULL);
		break;
	}
	return fd;
}

/*
 * Make room in @ifc's lists of what we added for @n_addrs addresses and
 * @n_routes routes in all. Returns 0 or -ENOMEM (the lists unchanged).
 */
int te_iface_reserve(struct te_iface *ifc, size_t n_addrs, size_t n_routes)
{
	struct te_address *a = realloc(ifc->addrs, (n_addrs ? n_addrs : 1) * sizeof(*a));
	struct te_prefix *p;

	if (!a)
		return -ENOMEM;
	ifc->addrs = a;
	p = realloc(ifc->routes, (n_routes ? n_routes : 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	ifc->routes = p;
	return 0;
}

/* `master`: the bridge of ifc->cfg exists and is a bridge; its index. */
static int find_master(struct tunecho *t, struct te_iface *ifc)
{
	const char *name = ifc->cfg.master;
	struct te_link_info li;
	int r;

	if (!name[0])
		return 0;
	r = te_nl_get_link(t->nl, name, &li);
	if (r == -ENODEV) {
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: master = %s: no such interface; create the bridge first (ip link add "
		       "%s type bridge), or remove master",
		       ifc->name, name, name);
		return -ENODEV;
	}
	if (r) {
		log_failure(t, ifc->name, "looking up its master", -r, NULL);
		return r;
	}
	if (strcmp(li.kind, "bridge")) {
		te_log(&t->log, TUNECHO_LOG_ERR,
		       "%s: master = %s: that is not a bridge (its kind is %s); a TAP joins a "
		       "Linux bridge",
		       ifc->name, name, li.kind[0] ? li.kind : "none");
		return -EINVAL;
	}
	ifc->master = li.ifindex;
	return 0;
}

/* Open (or create) the device of ifc->cfg and learn its index. */
static int open_and_index(struct tunecho *t, struct te_iface *ifc)
{
	int r = find_master(t, ifc);

	if (r == 0)
		r = open_device(t, ifc, &ifc->cfg);

	if (r)
		return r;
	ifc->ifindex = (int)if_nametoindex(ifc->name);
	if (ifc->ifindex == 0) {
		r = -errno;
		log_failure(t, ifc->name, "looking up the interface index", -r, NULL);
	}
	return r;
}

/* A new interface for @ic with its device open; not configured yet. */
static int iface_new(struct tunecho *t, const struct te_iface_config *ic, struct te_iface **out)
{
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
	r = te_iface_config_copy(&ifc->cfg, ic);
	if (r == 0)
		r = te_iface_reserve(ifc, ic->n_addrs, ic->n_routes);
	if (r == 0)
		r = open_and_index(t, ifc);
	if (r == 0)
		r = te_iface_rx_update(ifc);
	if (r) {
		if (r == -ENOMEM)
			te_log(&t->log, TUNECHO_LOG_ERR, "%s: out of memory", ic->name);
		te_ifaces_stop(t, &ifc, 1, false);
		return r;
	}
	*out = ifc;
	return 0;
}

/* One queued request of a batch, to tell how it went. */
struct pending {
	struct te_iface *ifc;
	const struct te_address *addr; /* an address, or */
	const struct te_prefix *route; /* a route, or neither: the link, */
	bool up;		       /* brought up (else its settings) */
	bool master;		       /* into its bridge */
	int err;
};

struct batch {
	struct pending *reqs;
	size_t n;
	char msg[TE_NL_MSGLEN]; /* the kernel's text for the first refusal */
	bool have_msg;
};

static void on_refusal(void *arg, size_t index, int err, const char *msg)
{
	struct batch *b = arg;

	if (index >= b->n)
		return;
	b->reqs[index].err = err;
	if (!b->have_msg) {
		snprintf(b->msg, sizeof(b->msg), "%s", msg);
		b->have_msg = true;
	}
}

/* "address ADDR" or "route PREFIX": what an address or route request is about. */
static void subject(const struct pending *p, char *buf, size_t size)
{
	char text[TE_ADDRESS_STRLEN];

	if (p->addr)
		te_address_format(p->addr, text, sizeof(text));
	else
		te_prefix_format(p->route, text, sizeof(text));
	snprintf(buf, size, "%s %s", p->addr ? "address" : "route", text);
}

/*
 * Send the address and route requests queued for @b; if the exchange
 * fails, say @failed; for each refusal, "NAME: @doing SUBJECT@tail: why".
 */
static void send_and_warn(struct tunecho *t, struct batch *b, const char *failed, const char *doing,
			  const char *tail)
{
	char text[TE_ADDRESS_STRLEN + 8];

	if (te_nl_batch_end(t->nl, on_refusal, b) < 0)
		te_log(&t->log, TUNECHO_LOG_WARNING, "%s", failed);
	for (size_t i = 0; i < b->n; i++) {
		const struct pending *p = &b->reqs[i];

		if (!p->err)
			continue;
		subject(p, text, sizeof(text));
		te_log(&t->log, TUNECHO_LOG_WARNING, "%s: %s %s%s: %s", p->ifc->name, doing, text,
		       tail, strerror(-p->err));
	}
}

static void describe(const struct pending *p, char *buf, size_t size)
{
	char what[TE_ADDRESS_STRLEN + 8];

	if (p->addr || p->route) {
		subject(p, what, sizeof(what));
		snprintf(buf, size, "adding %s", what);
	} else {
		snprintf(buf, size,
			 p->master ? "joining its bridge (master)"
			 : p->up   ? "setting the link up"
				   : "setting mtu, txqueuelen and link group");
	}
}

/*
 * Send the batch queued for @reqs, then sort the outcome out in order:
 * what was added is recorded on its interface (to be removed again),
 * what already existed on a device we do not own is left alone (noted),
 * and the first refusal is logged and returned.
 */
static int settle(struct tunecho *t, struct batch *b)
{
	char what[TE_ADDRESS_STRLEN + 40], text[TE_ADDRESS_STRLEN + 8];
	int r = te_nl_batch_end(t->nl, on_refusal, b), first = 0;

	if (r < 0) {
		te_log(&t->log, TUNECHO_LOG_ERR, "rtnetlink: %s", strerror(-r));
		return r;
	}
	for (size_t i = 0; i < b->n; i++) {
		struct pending *p = &b->reqs[i];
		struct te_iface *ifc = p->ifc;

		if (p->err == -EEXIST && !ifc->created && (p->addr || p->route)) {
			/* Someone else's: use it, but do not remove it later. */
			subject(p, text, sizeof(text));
			te_log(&t->log, TUNECHO_LOG_NOTICE,
			       "%s: %s is already there; it will be left in place", ifc->name,
			       text);
		} else if (p->err && !first) {
			describe(p, what, sizeof(what));
			/* The kernel's text belongs to the first refusal only. */
			log_failure(t, ifc->name, what, -p->err, b->msg);
			first = p->err;
		} else if (!p->err && p->addr) {
			ifc->addrs[ifc->n_addrs++] = *p->addr;
		} else if (!p->err && p->route) {
			ifc->routes[ifc->n_routes++] = *p->route;
		}
	}
	return first;
}

/*
 * Queue the link requests for @ic on @ifc. At the start (@initial): the
 * settings, the link group, no link-local address, then up; later (a
 * reload): only the MTU and queue length @ic gives.
 */
static void queue_link(struct tunecho *t, struct te_iface *ifc, const struct te_iface_config *ic,
		       bool initial, struct batch *b)
{
	/* Only devices that go away with us join the link group. */
	bool transient = ifc->created && !ifc->persist;
	struct te_link_settings ls = {
	    .mtu = ic->mtu,
	    .txqlen = ic->txqlen,
	    .group = initial && transient ? t->link_group : 0,
	    /* Devices we create get no link-local address: a TUN has no
	     * neighbours, and a thousand fe80::/64 routes make every later
	     * link and address change walk a larger IPv6 table. */
	    .no_link_local = initial && ifc->created,
	};
	char unused[TE_NL_MSGLEN];

	if (ls.mtu || ls.txqlen || ls.group || ls.no_link_local) {
		b->reqs[b->n++] = (struct pending){.ifc = ifc};
		te_nl_link_set(t->nl, ifc->ifindex, &ls, unused);
	}
	/* Into its bridge, as a port that hears every multicast (link.h). */
	if (initial && ifc->master) {
		b->reqs[b->n++] = (struct pending){.ifc = ifc, .master = true};
		te_nl_link_set(
		    t->nl, ifc->ifindex,
		    &(struct te_link_settings){.set_master = true, .master = (uint32_t)ifc->master},
		    unused);
		b->reqs[b->n++] = (struct pending){.ifc = ifc, .master = true};
		te_nl_brport_mcast_router(t->nl, ifc->ifindex, 2, unused);
	}
	if (initial) {
		b->reqs[b->n++] = (struct pending){.ifc = ifc, .up = true};
		te_nl_link_set(t->nl, ifc->ifindex, &(struct te_link_settings){.up = true}, unused);
	}
}

int te_ifaces_configure(struct tunecho *t, struct te_iface **ifcs,
			const struct te_iface_config *const *ics, size_t n, bool initial)
{
	struct batch b = {0};
	size_t total = 4 * n;
	char unused[TE_NL_MSGLEN];
	int r = 0;

	for (size_t i = 0; i < n; i++)
		total += ics[i]->n_addrs + ics[i]->n_routes;
	b.reqs = calloc(total ? total : 1, sizeof(*b.reqs));
	if (!b.reqs) {
		r = -ENOMEM;
		goto out;
	}
	if (initial)
		te_found_clear_leftovers(t, ifcs, ics, n);
	for (int phase = 0; phase < 3 && r == 0; phase++) {
		b.n = 0;
		b.have_msg = false;
		te_nl_batch_begin(t->nl);
		for (size_t i = 0; i < n; i++) {
			const struct te_iface_config *ic = ics[i];
			struct te_iface *ifc = ifcs[i];

			if (phase == 0)
				queue_link(t, ifc, ic, initial, &b);
			for (size_t k = 0; phase == 1 && k < ic->n_addrs; k++) {
				b.reqs[b.n++] = (struct pending){.ifc = ifc, .addr = &ic->addrs[k]};
				te_nl_addr(t->nl, TE_NL_ADD, ifc->ifindex, &ic->addrs[k], unused);
			}
			for (size_t k = 0; phase == 2 && k < ic->n_routes; k++) {
				b.reqs[b.n++] =
				    (struct pending){.ifc = ifc, .route = &ic->routes[k]};
				te_nl_route(t->nl, TE_NL_ADD, ifc->ifindex, &ic->routes[k], unused);
			}
		}
		if (te_nl_batch_size(t->nl) != b.n) {
			te_nl_batch_end(t->nl, NULL, NULL);
			r = -ENOMEM;
			break;
		}
		r = settle(t, &b);
	}
out:
	if (r == -ENOMEM)
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory");
	free(b.reqs);
	return r;
}

/* Put @ifc's device on the loop. */
static int watch_device(struct te_iface *ifc)
{
	struct tunecho *t = ifc->t;

	/* Level-triggered: a callback may leave packets queued (see
	 * te_on_readable) and epoll reports the device again. */
	ifc->ev = event_new(t->base, ifc->fd, EV_READ | EV_PERSIST, te_on_readable, ifc);
	if (!ifc->ev || event_add(ifc->ev, NULL)) {
		log_failure(t, ifc->name, "adding the read event", ENOMEM, NULL);
		return -ENOMEM;
	}
	return 0;
}

/* One line that says what @ifc serves. */
void te_iface_log_serving(struct te_iface *ifc, enum tunecho_event_kind kind, const char *what)
{
	const struct te_iface_config *ic = &ifc->cfg;
	char line[400], text[TE_ADDRESS_STRLEN];
	size_t n;

	n = (size_t)snprintf(line, sizeof(line), "%s: %s (%s)", ifc->name, what,
			     ifc->taken_back ? "taken back, persistent"
			     : ifc->created  ? (ifc->persist ? "created, persistent" : "created")
					     : "attached");
	if (ic->tap && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, " as a TAP%s%s%s",
				      ic->master[0] ? " in " : "", ic->master,
				      ic->n_addrs ? "," : "");
	for (size_t i = 0; i < ic->n_addrs && n < sizeof(line); i++) {
		te_address_format(&ic->addrs[i], text, sizeof(text));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", i ? "," : "", text);
	}
	for (size_t i = 0; i < ic->n_routes && n < sizeof(line); i++) {
		te_prefix_format(&ic->routes[i], text, sizeof(text));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", i ? "," : "; routes",
				      text);
	}
	for (size_t i = 0; i < ic->n_hosts && n < sizeof(line); i++) {
		te_prefix_format(&ic->hosts[i], text, sizeof(text));
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s %s", i ? "," : "; hosts",
				      text);
	}
	te_event(ifc->t, kind, ifc->name, TUNECHO_LOG_NOTICE, "%s", line);
}

int te_ifaces_start(struct tunecho *t, const struct te_iface_config *const *ics, size_t n,
		    struct te_iface **ifcs)
{
	const struct te_iface_config **own = calloc(n ? n : 1, sizeof(*own));
	struct te_as_found *found = calloc(n ? n : 1, sizeof(*found));
	bool muted = t->hooks.bulk_begin && t->hooks.bulk_begin(t, n);
	size_t opened = 0;
	int r = own && found ? 0 : -ENOMEM;

	if (r == 0)
		te_found_note(t, ics, n, found);
	for (; r == 0 && opened < n; opened++) {
		r = iface_new(t, ics[opened], &ifcs[opened]);
		if (r)
			break;
		te_found_keep(ifcs[opened], &found[opened]);
		own[opened] = &ifcs[opened]->cfg;
	}
	if (r == 0)
		r = te_ifaces_configure(t, ifcs, own, n, true);
	for (size_t i = 0; r == 0 && i < n; i++)
		r = watch_device(ifcs[i]);
	if (r)
		te_ifaces_stop(t, ifcs, opened, false); /* all or nothing */
	if (t->hooks.bulk_end)
		t->hooks.bulk_end(t, muted);
	free(own);
	free(found);
	return r;
}

int tunecho_add_config(struct tunecho *t, const struct tunecho_config *cfg)
{
	const struct te_iface_config **ics = NULL;
	struct te_iface **ifcs = NULL;
	size_t n;
	int r;

	if (!t || !cfg)
		return -EINVAL;
	t->log.last_error[0] = '\0';
	te_apply_globals(t, cfg, true);
	n = cfg->n_ifaces;
	ifcs = calloc(n ? n : 1, sizeof(*ifcs));
	ics = calloc(n ? n : 1, sizeof(*ics));
	r = ifcs && ics ? te_grow_to((void **)&t->ifaces, t->n_ifaces + n, sizeof(*t->ifaces))
			: -ENOMEM;
	if (r) {
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ics[i] = &cfg->ifaces[i];
	r = te_ifaces_start(t, ics, n, ifcs);
	if (r)
		goto out;
	for (size_t i = 0; i < n; i++) {
		t->ifaces[t->n_ifaces++] = ifcs[i];
		te_iface_log_serving(ifcs[i], TUNECHO_EVENT_SERVING, "serving");
	}
	r = (int)n;
out:
	free(ifcs);
	free(ics);
	return r;
}

int te_iface_reopen(struct te_iface *ifc)
{
	struct tunecho *t = ifc->t;
	const struct te_iface_config *ic = &ifc->cfg;
	int r;

	ifc->n_addrs = ifc->n_routes = 0; /* they went with the old device */
	ifc->down_logged = ifc->ipv6_waiting = false;
	/* Its settings may have grown in a reload while it was lost. */
	r = te_iface_reserve(ifc, ic->n_addrs, ic->n_routes);
	if (r == 0)
		r = open_and_index(t, ifc);
	if (r == 0)
		r = te_ifaces_configure(t, &ifc, &ic, 1, true);
	if (r == 0)
		r = watch_device(ifc);
	if (r)
		te_ifaces_release(t, &ifc, 1, false);
	return r;
}

void te_ifaces_remove_added(struct tunecho *t, struct te_iface **ifcs, size_t n,
			    te_remove_fn *which, void *arg)
{
	char unused[TE_NL_MSGLEN];
	struct batch b = {0};
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += ifcs[i]->n_addrs + ifcs[i]->n_routes;
	if (!total)
		return;
	b.reqs = calloc(total, sizeof(*b.reqs));
	if (!b.reqs) {
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory: addresses left in place");
		return;
	}
	te_nl_batch_begin(t->nl);
	for (size_t i = 0; i < n; i++) {
		struct te_iface *ifc = ifcs[i];

		/* Newest first: routes, then addresses. */
		for (size_t k = ifc->n_routes; k-- > 0;) {
			if (!which(ifc, NULL, &ifc->routes[k], arg))
				continue;
			b.reqs[b.n++] = (struct pending){.ifc = ifc, .route = &ifc->routes[k]};
			te_nl_route(t->nl, TE_NL_REMOVE, ifc->ifindex, &ifc->routes[k], unused);
		}
		for (size_t k = ifc->n_addrs; k-- > 0;) {
			if (!which(ifc, &ifc->addrs[k], NULL, arg))
				continue;
			b.reqs[b.n++] = (struct pending){.ifc = ifc, .addr = &ifc->addrs[k]};
			te_nl_addr(t->nl, TE_NL_REMOVE, ifc->ifindex, &ifc->addrs[k], unused);
		}
	}
	send_and_warn(t, &b, "rtnetlink failed while removing addresses", "removing", "");
	free(b.reqs);
	/* Whatever the outcome, they are no longer ours to remove. */
	for (size_t i = 0; i < n; i++) {
		struct te_iface *ifc = ifcs[i];
		size_t kept = 0;

		for (size_t k = 0; k < ifc->n_routes; k++)
			if (!which(ifc, NULL, &ifc->routes[k], arg))
				ifc->routes[kept++] = ifc->routes[k];
		ifc->n_routes = kept;
		kept = 0;
		for (size_t k = 0; k < ifc->n_addrs; k++)
			if (!which(ifc, &ifc->addrs[k], NULL, arg))
				ifc->addrs[kept++] = ifc->addrs[k];
		ifc->n_addrs = kept;
	}
}

void te_ifaces_readd_routes(struct tunecho *t, struct te_iface **ifcs, size_t n)
{
	char unused[TE_NL_MSGLEN];
	struct batch b = {0};
	size_t total = 0;

	for (size_t i = 0; i < n; i++)
		total += ifcs[i]->fd >= 0 ? ifcs[i]->n_routes : 0;
	if (!total)
		return;
	b.reqs = calloc(total, sizeof(*b.reqs));
	if (!b.reqs) {
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory: routes not checked");
		return;
	}
	te_nl_batch_begin(t->nl);
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; ifcs[i]->fd >= 0 && k < ifcs[i]->n_routes; k++) {
			b.reqs[b.n++] =
			    (struct pending){.ifc = ifcs[i], .route = &ifcs[i]->routes[k]};
			te_nl_route(t->nl, TE_NL_REPLACE, ifcs[i]->ifindex, &ifcs[i]->routes[k],
				    unused);
		}
	}
	send_and_warn(t, &b, "rtnetlink failed while adding routes again", "adding", " again");
	free(b.reqs);
}

/* Whether every member of the link group is among @ifcs (and goes now). */
struct group_check {
	const struct tunecho *t;
	struct te_iface **ifcs;
	size_t n;
	size_t ours;		/* members among @ifcs */
	bool staying;		/* a member of ours that keeps serving */
	char foreign[IFNAMSIZ]; /* the first member that is not ours */
	uint32_t scratch;	/* the group to move the going ones to */
	size_t in_scratch;	/* links already in it */
};

/* A group next to ours, to gather the devices that go while others stay. */
static uint32_t scratch_group(uint32_t group)
{
	return group == UINT32_MAX ? group - 1 : group + 1;
}

static void on_link(void *arg, const struct nlmsghdr *nlh)
{
	struct group_check *g = arg;
	struct te_link_info link;

	if (!te_nl_parse_link(nlh, &link))
		return;
	g->in_scratch += link.group == g->scratch;
	if (link.group != g->t->link_group)
		return;
	for (size_t i = 0; i < g->n; i++) {
		if (g->ifcs[i]->ifindex == link.ifindex && g->ifcs[i]->fd >= 0) {
			g->ours++;
			return;
		}
	}
	for (size_t i = 0; i < g->t->n_ifaces; i++) {
		if (g->t->ifaces[i]->ifindex == link.ifindex) {
			g->staying = true;
			return;
		}
	}
	if (!g->foreign[0])
		snprintf(g->foreign, sizeof(g->foreign), "%s", link.name);
}

/* Move the transient devices among @ifcs to link group @group, in one batch. */
static void move_to_group(struct tunecho *t, struct te_iface **ifcs, size_t n, uint32_t group)
{
	struct te_link_settings ls = {.group = group};
	char unused[TE_NL_MSGLEN];

	te_nl_batch_begin(t->nl);
	for (size_t i = 0; i < n; i++)
		if (ifcs[i]->fd >= 0 && ifcs[i]->created && !ifcs[i]->persist)
			te_nl_link_set(t->nl, ifcs[i]->ifindex, &ls, unused);
	/* One that did not move is closed one by one, as without a group. */
	te_nl_batch_end(t->nl, NULL, NULL);
}

/*
 * Delete the transient devices among @ifcs in one request: the link group
 * whole when it holds them and nothing else; when some of ours stay (a
 * reload, a removal), the going ones are first moved to a group of their
 * own next to it, if that one is empty. Returns true when it deleted.
 */
static bool delete_by_group(struct tunecho *t, struct te_iface **ifcs, size_t n)
{
	struct group_check g = {.t = t, .ifcs = ifcs, .n = n};
	char msg[TE_NL_MSGLEN];
	size_t grouped = 0;
	uint32_t group = t->link_group;
	int r;

	for (size_t i = 0; i < n; i++)
		grouped += ifcs[i]->fd >= 0 && ifcs[i]->created && !ifcs[i]->persist;
	if (!t->link_group || grouped < 2)
		return false; /* nothing to gain over closing */
	/* Interrupted by changes (NLM_F_DUMP_INTR): counted again from zero. */
	for (int tries = 0; tries < 3; tries++) {
		g = (struct group_check){.t = t, .ifcs = ifcs, .n = n};
		g.scratch = scratch_group(t->link_group);
		r = te_nl_dump(t->nl, RTM_GETLINK, on_link, &g);
		if (r != -EINTR)
			break;
	}
	if (r < 0 || g.ours != grouped)
		return false;
	if (g.foreign[0]) {
		te_log(&t->log, TUNECHO_LOG_NOTICE,
		       "link group %u also holds %s, which tunecho did not create: deleting its "
		       "own devices one by one (slower)",
		       t->link_group, g.foreign);
		return false;
	}
	if (g.staying) {
		if (g.in_scratch)
			return false; /* someone else's group: one by one */
		group = g.scratch;
		move_to_group(t, ifcs, n, group);
	}
	r = te_nl_group_delete(t->nl, group, msg);
	if (r < 0) {
		/* Without CAP_NET_ADMIN (a daemon after `user`): the devices go
		 * with their fds all the same, only slower; nothing to warn of. */
		te_log(&t->log,
		       r == -EPERM || r == -EACCES ? TUNECHO_LOG_DEBUG : TUNECHO_LOG_WARNING,
		       "deleting link group %u: %s%s%s; closing the devices one by one", group,
		       strerror(-r), *msg ? ": " : "", msg);
		return false;
	}
	return true;
}

static bool if_outlives(const struct te_iface *ifc, const struct te_address *a,
			const struct te_prefix *r, void *arg)
{
	(void)a;
	(void)r;
	return te_outlives(ifc, *(const bool *)arg);
}

void te_ifaces_release(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent)
{
	bool muted = t->hooks.bulk_begin && t->hooks.bulk_begin(t, n);

	for (size_t i = 0; i < n; i++) {
		if (ifcs[i]->ev)
			event_free(ifcs[i]->ev);
		ifcs[i]->ev = NULL;
	}
	te_ifaces_remove_added(t, ifcs, n, if_outlives, &keep_persistent);
	te_found_put_back(t, ifcs, n, keep_persistent);
	for (size_t i = 0; i < n; i++) {
		struct te_iface *ifc = ifcs[i];

		/* A failed start leaves nothing behind, persistent or not. */
		if (ifc->fd >= 0 && ifc->created && ifc->persist && !keep_persistent)
			te_tun_unpersist(ifc->fd);
	}
	delete_by_group(t, ifcs, n);
	/* Newest first; a device already deleted closes at once. */
	for (size_t i = n; i-- > 0;) {
		if (ifcs[i]->fd >= 0)
			close(ifcs[i]->fd);
		ifcs[i]->fd = -1;
		ifcs[i]->n_addrs = ifcs[i]->n_routes = 0;
	}
	if (t->hooks.bulk_end)
		t->hooks.bulk_end(t, muted);
}

void te_ifaces_stop(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent)
{
	te_ifaces_release(t, ifcs, n, keep_persistent);
	for (size_t i = 0; i < n; i++) {
		if (t->hooks.forget)
			t->hooks.forget(ifcs[i]);
		te_iface_config_clear(&ifcs[i]->cfg);
		te_iface_rx_clear(ifcs[i]);
		free(ifcs[i]->addrs);
		free(ifcs[i]->routes);
		free(ifcs[i]);
	}
}

int te_iface_index(const struct tunecho *t, const char *name)
{
	for (size_t i = 0; i < t->n_ifaces; i++)
		if (!strcmp(t->ifaces[i]->name, name))
			return (int)i;
	return -1;
}

struct te_iface *te_iface_unlist(struct tunecho *t, const char *name)
{
	int i = te_iface_index(t, name);
	struct te_iface *ifc;

	if (i < 0)
		return NULL;
	ifc = t->ifaces[i];
	te_stats_add(&t->removed, &ifc->stats); /* totals never go down */
	memmove(&t->ifaces[i], &t->ifaces[i + 1],
		(t->n_ifaces - (size_t)i - 1) * sizeof(*t->ifaces));
	t->n_ifaces--;
	return ifc;
}

int tunecho_remove_iface(struct tunecho *t, const char *name)
{
	struct te_iface *ifc;

	if (!t || !name)
		return -EINVAL;
	ifc = te_iface_unlist(t, name);
	if (!ifc)
		return -ENOENT;
	te_ifaces_stop(t, &ifc, 1, true);
	te_event(t, TUNECHO_EVENT_REMOVED, name, TUNECHO_LOG_NOTICE, "%s: removed", name);
	return 0;
}

void te_apply_globals(struct tunecho *t, const struct tunecho_config *cfg, bool link_group)
{
	/* The config checked every value already: the bounds hold. */
	if (cfg->given & TE_GIVEN_BUSY_POLL)
		t->busy_poll_ns = (uint64_t)cfg->busy_poll_us * 1000u;
	if (link_group && (cfg->given & TE_GIVEN_LINK_GROUP))
		t->link_group = cfg->link_group;
	if (cfg->given & TE_GIVEN_REASSEMBLY) {
		size_t memory;
		unsigned t4, t6;

		tunecho_config_reassembly(cfg, &memory, &t4, &t6);
		te_reasm_set_limits(t->reasm, memory, t4, t6);
		te_path_reasm_changed(t);
	}
	te_shape_apply_globals(t, cfg);
}

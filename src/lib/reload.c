/* SPDX-License-Identifier: MIT */
/*
 * Live reload: a new configuration applied as a difference from the
 * running one. Interfaces whose settings did not change are not touched
 * (their packets wait in the device's queue for the few milliseconds the
 * reload holds the loop, and none is lost); changed ones are updated in
 * place; new ones are started, removed ones stopped.
 *
 * What can fail is done first and undone on failure: the new interfaces,
 * the new addresses and routes, MTU and queue-length changes. Before them
 * go the routes that leave their interface (moved to another, or of an
 * interface renamed or removed): the kernel refuses a second route to the
 * same prefix; they are put back if the reload fails. Then come the other
 * removals, which do not fail in a way worth undoing for. A
 * change of owner, group, persist, attach, mode or master needs a new
 * device: that one
 * interface is stopped and started again, after everything else.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "netlink.h"
#include "responder.h"
#include "util.h"

/* What a TUN device has before anyone sets them: a setting that goes
 * from the configuration goes back to this. */
#define TE_TUN_MTU    1500
#define TE_TUN_TXQLEN 500

static bool has_address(const struct te_iface_config *ic, const struct te_address *a)
{
	for (size_t i = 0; i < ic->n_addrs; i++)
		if (te_address_equal(&ic->addrs[i], a))
			return true;
	return false;
}

static bool has_route(const struct te_iface_config *ic, const struct te_prefix *p)
{
	for (size_t i = 0; i < ic->n_routes; i++)
		if (te_prefix_equal(&ic->routes[i], p))
			return true;
	return false;
}

/* Whether the device itself must be made anew for @b. */
static bool same_device(const struct te_iface_config *a, const struct te_iface_config *b)
{
	return a->owner == b->owner && a->group == b->group && a->persist == b->persist &&
	       a->attach == b->attach && a->tap == b->tap && !strcmp(a->master, b->master);
}

static bool same_config(const struct te_iface_config *a, const struct te_iface_config *b)
{
	if (!same_device(a, b) || a->mtu != b->mtu || a->txqlen != b->txqlen ||
	    a->watch.recreate != b->watch.recreate || a->watch.restore != b->watch.restore ||
	    a->n_addrs != b->n_addrs || a->n_routes != b->n_routes ||
	    a->mac_fixed != b->mac_fixed || memcmp(a->mac, b->mac, sizeof(a->mac)) ||
	    a->announce != b->announce || !te_iface_profiles_equal(a, b))
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!has_address(b, &a->addrs[i]))
			return false;
	for (size_t i = 0; i < a->n_routes; i++)
		if (!has_route(b, &a->routes[i]))
			return false;
	return true;
}

/* An interface changed in place: its new settings, and what to apply. */
struct change {
	struct te_iface *ifc;
	struct te_iface_config next;  /* the new settings (a copy) */
	struct te_iface_config delta; /* new addresses and routes, new MTU... */
	/* Addresses of ours whose local address a new one takes with another
	 * prefix or peer: the kernel wants them gone first (IPv6 keeps one
	 * entry per address). */
	struct te_iface_config displaced;
	size_t had_addrs, had_routes; /* recorded before: to undo what follows */
	uint32_t was_mtu, was_txqlen; /* the link's, before: to undo a change */
};

struct plan {
	const struct te_iface_config **add; /* new interfaces */
	struct te_iface **added;
	size_t n_add;
	struct change *change;
	size_t n_change;
	struct te_iface **drop; /* interfaces that go */
	size_t n_drop;
	const struct te_iface_config **renew; /* new devices for old names */
	const char **why_renew;
	size_t n_renew;
	size_t unchanged;
	/* Routes that leave their interface, removed before anything is added
	 * (the kernel refuses a route to a prefix another device still has:
	 * a route moved, an interface renamed), put back if the reload fails. */
	struct te_iface **leaving;
	struct te_iface_config *left; /* per leaving interface: its routes */
	size_t n_leaving;
};

/* The recorded addresses of @ifc that the delta's new ones displace. */
static int find_displaced(const struct te_iface *ifc, const struct te_iface_config *d,
			  struct te_iface_config *out)
{
	*out = (struct te_iface_config){0};
	out->addrs = calloc(ifc->n_addrs ? ifc->n_addrs : 1, sizeof(*out->addrs));
	if (!out->addrs)
		return -ENOMEM;
	for (size_t i = 0; i < ifc->n_addrs; i++)
		for (size_t k = 0; k < d->n_addrs; k++)
			if (te_same_address(&ifc->addrs[i].local, d->addrs[k].local.family,
					    d->addrs[k].local.addr.bytes)) {
				out->addrs[out->n_addrs++] = ifc->addrs[i];
				break;
			}
	return 0;
}

/* The delta of @next over @ifc's settings; its arrays are its own. */
static int make_delta(const struct te_iface *ifc, const struct te_iface_config *next,
		      struct te_iface_config *d)
{
	*d = (struct te_iface_config){0};
	snprintf(d->name, sizeof(d->name), "%s", next->name);
	d->addrs = calloc(next->n_addrs ? next->n_addrs : 1, sizeof(*d->addrs));
	d->routes = calloc(next->n_routes ? next->n_routes : 1, sizeof(*d->routes));
	if (!d->addrs || !d->routes)
		return -ENOMEM;
	for (size_t i = 0; i < next->n_addrs; i++)
		if (!has_address(&ifc->cfg, &next->addrs[i]))
			d->addrs[d->n_addrs++] = next->addrs[i];
	for (size_t i = 0; i < next->n_routes; i++)
		if (!has_route(&ifc->cfg, &next->routes[i]))
			d->routes[d->n_routes++] = next->routes[i];
	/* A setting no longer given goes back to the device's own: as we
	 * found it for an attached device, the kernel's for ours. */
	if (next->mtu != ifc->cfg.mtu)
		d->mtu = next->mtu			     ? next->mtu
			 : !ifc->created && ifc->found_valid ? ifc->found_mtu
							     : TE_TUN_MTU;
	if (next->txqlen != ifc->cfg.txqlen)
		d->txqlen = next->txqlen			? next->txqlen
			    : !ifc->created && ifc->found_valid ? ifc->found_txqlen
								: TE_TUN_TXQLEN;
	return 0;
}

static void plan_free(struct plan *p)
{
	for (size_t i = 0; p->change && i < p->n_change; i++) {
		te_iface_config_clear(&p->change[i].next);
		te_iface_config_clear(&p->change[i].delta);
		te_iface_config_clear(&p->change[i].displaced);
	}
	free(p->add);
	free(p->added);
	free(p->change);
	free(p->drop);
	free(p->renew);
	free(p->why_renew);
	for (size_t i = 0; p->left && i < p->n_leaving; i++)
		te_iface_config_clear(&p->left[i]);
	free(p->leaving);
	free(p->left);
}

/* Sort every interface of @cfg and of @t into the plan's lists. */
static int make_plan(struct tunecho *t, const struct tunecho_config *cfg, struct plan *p)
{
	size_t n = cfg->n_ifaces;

	p->add = calloc(n ? n : 1, sizeof(*p->add));
	p->added = calloc(n ? n : 1, sizeof(*p->added));
	p->change = calloc(n ? n : 1, sizeof(*p->change));
	p->renew = calloc(n ? n : 1, sizeof(*p->renew));
	p->why_renew = calloc(n ? n : 1, sizeof(*p->why_renew));
	p->drop = calloc(t->n_ifaces ? t->n_ifaces : 1, sizeof(*p->drop));
	if (!p->add || !p->added || !p->change || !p->renew || !p->why_renew || !p->drop)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct te_iface_config *ic = &cfg->ifaces[i];
		int at = te_iface_index(t, ic->name);
		struct change *c;

		if (at < 0) {
			p->add[p->n_add++] = ic;
			continue;
		}
		/* Lost for good (no re-creation coming): a reload brings it back. */
		if (t->ifaces[at]->fd < 0 && !te_watch_will_recreate(t->ifaces[at])) {
			p->why_renew[p->n_renew] = "it was lost";
			p->renew[p->n_renew++] = ic;
			continue;
		}
		if (same_config(&t->ifaces[at]->cfg, ic)) {
			p->unchanged++;
			continue;
		}
		if (!same_device(&t->ifaces[at]->cfg, ic)) {
			p->why_renew[p->n_renew] =
			    "owner, group, persist, attach, mode or master changed";
			p->renew[p->n_renew++] = ic;
			continue;
		}
		c = &p->change[p->n_change++];
		c->ifc = t->ifaces[at];
		if (te_iface_config_copy(&c->next, ic) || make_delta(c->ifc, ic, &c->delta) ||
		    find_displaced(c->ifc, &c->delta, &c->displaced))
			return -ENOMEM;
	}
	for (size_t i = 0; i < t->n_ifaces; i++) {
		bool kept = false;

		for (size_t k = 0; k < n && !kept; k++)
			kept = !strcmp(cfg->ifaces[k].name, t->ifaces[i]->name);
		if (!kept)
			p->drop[p->n_drop++] = t->ifaces[i];
	}
	return 0;
}

/* The recorded addresses and routes added by this reload (to undo). */
static bool added_now(const struct te_iface *ifc, const struct te_address *a,
		      const struct te_prefix *r, void *arg)
{
	const struct plan *p = arg;

	for (size_t i = 0; i < p->n_change; i++) {
		const struct change *c = &p->change[i];

		if (c->ifc == ifc)
			return a ? (size_t)(a - ifc->addrs) >= c->had_addrs
				 : (size_t)(r - ifc->routes) >= c->had_routes;
	}
	return false;
}

/* The recorded addresses that new ones displace. */
static bool displaced(const struct te_iface *ifc, const struct te_address *a,
		      const struct te_prefix *r, void *arg)
{
	const struct plan *p = arg;

	(void)r;
	for (size_t i = 0; a && i < p->n_change; i++)
		if (p->change[i].ifc == ifc)
			return has_address(&p->change[i].displaced, a);
	return false;
}

/* The recorded addresses and routes the new settings no longer have. */
static bool no_longer_wanted(const struct te_iface *ifc, const struct te_address *a,
			     const struct te_prefix *r, void *arg)
{
	(void)arg;
	return a ? !has_address(&ifc->cfg, a) : !has_route(&ifc->cfg, r);
}

/* Note each changed link's MTU and queue length as the kernel has them. */
static void on_link(void *arg, const struct nlmsghdr *nlh)
{
	struct plan *p = arg;
	struct te_link_info link;

	if (!te_nl_parse_link(nlh, &link))
		return;
	for (size_t i = 0; i < p->n_change; i++) {
		struct change *c = &p->change[i];

		if (c->ifc->ifindex == link.ifindex && c->ifc->fd >= 0) {
			c->was_mtu = link.mtu;
			c->was_txqlen = link.txqlen;
		}
	}
}

/*
 * What the links have now, for those whose MTU or queue length changes:
 * the configuration may have left them to the kernel, or an admin.
 */
static int read_links(struct tunecho *t, struct plan *p)
{
	bool any = false;

	for (size_t i = 0; i < p->n_change; i++)
		any = any || p->change[i].delta.mtu || p->change[i].delta.txqlen;
	int r = 0;

	/* Interrupted by changes: read again (each link's values overwrite). */
	for (int tries = 0; any && tries < 3; tries++)
		if ((r = te_nl_dump(t->nl, RTM_GETLINK, on_link, p)) != -EINTR)
			break;
	return r;
}

/* Put back the MTU and queue length changed by a failed reload. */
static void undo_links(struct tunecho *t, struct plan *p, struct te_iface **ifcs)
{
	const struct te_iface_config **old = calloc(p->n_change ? p->n_change : 1, sizeof(*old));
	struct te_iface_config *back = calloc(p->n_change ? p->n_change : 1, sizeof(*back));
	size_t n = 0;

	if (old && back) {
		for (size_t i = 0; i < p->n_change; i++) {
			const struct change *c = &p->change[i];

			if ((!c->delta.mtu && !c->delta.txqlen) || c->ifc->fd < 0)
				continue;
			if (c->delta.mtu)
				back[n].mtu = c->was_mtu;
			if (c->delta.txqlen)
				back[n].txqlen = c->was_txqlen;
			ifcs[n] = c->ifc;
			old[n] = &back[n];
			n++;
		}
		if (n)
			te_ifaces_configure(t, ifcs, old, n, false);
	}
	free(old);
	free(back);
}

/* Add the displaced addresses again after a failed reload. */
static void put_back(struct tunecho *t, struct plan *p, struct te_iface **ifcs,
		     const struct te_iface_config **olds)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_change; i++) {
		struct change *c = &p->change[i];

		if (c->ifc->fd < 0 || !c->displaced.n_addrs ||
		    te_iface_reserve(c->ifc, c->ifc->n_addrs + c->displaced.n_addrs,
				     c->ifc->n_routes))
			continue;
		ifcs[n] = c->ifc;
		olds[n++] = &c->displaced;
	}
	if (n)
		te_ifaces_configure(t, ifcs, olds, n, false);
}

/* The new settings of interface @ifc in @p: NULL when it goes. */
static const struct te_iface_config *next_of(const struct plan *p, const struct te_iface *ifc)
{
	for (size_t i = 0; i < p->n_change; i++)
		if (p->change[i].ifc == ifc)
			return &p->change[i].next;
	for (size_t i = 0; i < p->n_renew; i++)
		if (!strcmp(p->renew[i]->name, ifc->name))
			return p->renew[i];
	for (size_t i = 0; i < p->n_drop; i++)
		if (p->drop[i] == ifc)
			return NULL;
	return &ifc->cfg; /* unchanged */
}

/* The recorded routes noted in p->left. */
static bool route_leaving(const struct te_iface *ifc, const struct te_address *a,
			  const struct te_prefix *r, void *arg)
{
	const struct plan *p = arg;

	(void)a;
	for (size_t i = 0; r && i < p->n_leaving; i++)
		if (p->leaving[i] == ifc)
			return has_route(&p->left[i], r);
	return false;
}

/*
 * Note and remove the routes of the serving interfaces that the new
 * settings no longer give them (all of a dropped one's). 0 or -ENOMEM.
 */
static int remove_leaving_routes(struct tunecho *t, struct plan *p)
{
	size_t cap = t->n_ifaces ? t->n_ifaces : 1;

	p->leaving = calloc(cap, sizeof(*p->leaving));
	p->left = calloc(cap, sizeof(*p->left));
	if (!p->leaving || !p->left)
		return -ENOMEM;
	for (size_t i = 0; i < t->n_ifaces; i++) {
		struct te_iface *ifc = t->ifaces[i];
		const struct te_iface_config *next = next_of(p, ifc);
		struct te_iface_config *left = &p->left[p->n_leaving];

		if (ifc->fd < 0 || !ifc->n_routes || next == &ifc->cfg)
			continue;
		left->routes = calloc(ifc->n_routes, sizeof(*left->routes));
		if (!left->routes)
			return -ENOMEM;
		for (size_t k = 0; k < ifc->n_routes; k++)
			if (!next || !has_route(next, &ifc->routes[k]))
				left->routes[left->n_routes++] = ifc->routes[k];
		if (left->n_routes)
			p->leaving[p->n_leaving++] = ifc;
		else
			te_iface_config_clear(left);
	}
	te_ifaces_remove_added(t, p->leaving, p->n_leaving, route_leaving, p);
	return 0;
}

/* Put the routes remove_leaving_routes() took away back, after a failure. */
static void put_back_routes(struct tunecho *t, struct plan *p)
{
	size_t size = p->n_leaving ? p->n_leaving : 1, n = 0;
	struct te_iface **ifcs = calloc(size, sizeof(*ifcs));
	const struct te_iface_config **olds = calloc(size, sizeof(*olds));

	for (size_t i = 0; ifcs && olds && i < p->n_leaving; i++) {
		struct te_iface *ifc = p->leaving[i];

		if (ifc->fd < 0 ||
		    te_iface_reserve(ifc, ifc->n_addrs, ifc->n_routes + p->left[i].n_routes))
			continue;
		ifcs[n] = ifc;
		olds[n++] = &p->left[i];
	}
	if (n)
		te_ifaces_configure(t, ifcs, olds, n, false);
	else if (p->n_leaving && (!ifcs || !olds))
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory: routes not put back");
	free(ifcs);
	free(olds);
}

/*
 * Everything that can fail: new interfaces, then the in-place changes.
 * On failure, what this did is undone and -errno returned.
 */
static int apply_fallible(struct tunecho *t, struct plan *p)
{
	size_t size = p->n_change ? p->n_change : 1, n = 0, n_serving = 0;
	/* The changed interfaces that serve (a lost one is re-created with the
	 * new settings); the same with their deltas; room for the undoing. */
	struct te_iface **serving = calloc(size, sizeof(*serving));
	struct te_iface **ifcs = calloc(size, sizeof(*ifcs));
	struct te_iface **scratch = calloc(size, sizeof(*scratch));
	const struct te_iface_config **deltas = calloc(size, sizeof(*deltas));
	int r = serving && ifcs && scratch && deltas ? 0 : -ENOMEM;

	if (r == 0)
		r = remove_leaving_routes(t, p);
	if (r == 0 && p->n_add)
		r = te_ifaces_start(t, p->add, p->n_add, p->added);
	if (r) {
		p->n_add = 0;
		put_back_routes(t, p);
		goto out;
	}
	if (read_links(t, p) < 0)
		te_log(&t->log, TUNECHO_LOG_WARNING,
		       "reading the links failed: a failed reload would not undo MTU changes");
	for (size_t i = 0; i < p->n_change; i++)
		if (p->change[i].ifc->fd >= 0)
			serving[n_serving++] = p->change[i].ifc;
	te_ifaces_remove_added(t, serving, n_serving, displaced, p);
	for (size_t i = 0; i < p->n_change && r == 0; i++) {
		struct change *c = &p->change[i];

		c->had_addrs = c->ifc->n_addrs;
		c->had_routes = c->ifc->n_routes;
		if (c->ifc->fd < 0)
			continue;
		r = te_iface_reserve(c->ifc, c->ifc->n_addrs + c->delta.n_addrs,
				     c->ifc->n_routes + c->delta.n_routes);
		ifcs[n] = c->ifc;
		deltas[n++] = &c->delta;
	}
	if (r == 0 && n)
		r = te_ifaces_configure(t, ifcs, deltas, n, false);
	if (r) {
		te_ifaces_remove_added(t, ifcs, n, added_now, p);
		undo_links(t, p, scratch);
		put_back(t, p, scratch, deltas);
	}
	/* Removing an interface's last IPv4 address, however briefly, made
	 * the kernel flush its IPv4 routes: ours go in again. */
	te_ifaces_readd_routes(t, serving, n_serving);
	if (r) {
		te_ifaces_stop(t, p->added, p->n_add, false);
		p->n_add = 0;
		put_back_routes(t, p);
	}
out:
	if (r == -ENOMEM)
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory");
	free(serving);
	free(ifcs);
	free(scratch);
	free(deltas);
	return r;
}

/* The part that does not fail: settings swapped in, old things removed. */
static int commit(struct tunecho *t, struct plan *p)
{
	struct te_iface **ifcs = calloc(p->n_change ? p->n_change : 1, sizeof(*ifcs));
	int r = 0;

	if (!ifcs)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_change; i++) {
		struct change *c = &p->change[i];

		te_iface_config_clear(&c->ifc->cfg);
		c->ifc->cfg = c->next;
		c->next = (struct te_iface_config){0};
		/* Without memory the link keeps its former broadcasts: harmless. */
		(void)te_iface_rx_update(c->ifc);
		ifcs[i] = c->ifc;
	}
	te_ifaces_remove_added(t, ifcs, p->n_change, no_longer_wanted, NULL);
	te_ifaces_readd_routes(t, ifcs, p->n_change); /* see apply_fallible() */
	free(ifcs);

	for (size_t i = 0; i < p->n_drop; i++) {
		te_event(t, TUNECHO_EVENT_REMOVED, p->drop[i]->name, TUNECHO_LOG_NOTICE,
			 "%s: removed", p->drop[i]->name);
		te_iface_unlist(t, p->drop[i]->name);
	}
	te_ifaces_stop(t, p->drop, p->n_drop, true);

	for (size_t i = 0; i < p->n_add; i++) {
		t->ifaces[t->n_ifaces++] = p->added[i];
		te_iface_log_serving(p->added[i], TUNECHO_EVENT_SERVING, "serving");
	}
	for (size_t i = 0; i < p->n_change; i++)
		if (p->change[i].ifc->fd >= 0)
			te_iface_log_serving(p->change[i].ifc, TUNECHO_EVENT_CHANGED,
					     "changed, serving");

	for (size_t i = 0; i < p->n_renew; i++) {
		struct te_iface *old = te_iface_unlist(t, p->renew[i]->name), *ifc;

		te_log(&t->log, TUNECHO_LOG_NOTICE, "%s: %s: making the device anew", old->name,
		       p->why_renew[i]);
		/* Persistent or not: this device goes, a new one comes. */
		te_ifaces_stop(t, &old, 1, false);
		if (te_ifaces_start(t, &p->renew[i], 1, &ifc) == 0) {
			t->ifaces[t->n_ifaces++] = ifc;
			te_iface_log_serving(ifc, TUNECHO_EVENT_SERVING, "serving");
		} else if (r == 0) {
			r = -EIO; /* logged; the others went through */
		}
	}
	return r;
}

int tunecho_reload(struct tunecho *t, const struct tunecho_config *cfg,
		   struct tunecho_reload_result *res)
{
	struct plan p = {0};
	int r;

	if (!t || !cfg)
		return -EINVAL;
	t->log.last_error[0] = '\0';
	r = make_plan(t, cfg, &p);
	/* Room for every interface at once, so that the commit cannot fail. */
	if (r == 0)
		r = te_grow_to((void **)&t->ifaces, t->n_ifaces + p.n_add + p.n_renew,
			       sizeof(*t->ifaces));
	if (r == -ENOMEM)
		te_log(&t->log, TUNECHO_LOG_ERR, "out of memory");
	if (r == 0)
		te_log(&t->log, TUNECHO_LOG_DEBUG,
		       "reload: planned %zu to add, %zu to remove, %zu to change in place, %zu to "
		       "make anew, %zu unchanged",
		       p.n_add, p.n_drop, p.n_change, p.n_renew, p.unchanged);
	if (r == 0)
		r = apply_fallible(t, &p);
	te_log(&t->log, TUNECHO_LOG_DEBUG, "reload: new interfaces, addresses, routes, MTUs %s",
	       r ? "refused: undone" : "applied");
	if (r == 0)
		r = commit(t, &p);
	if (r == 0)
		te_log(&t->log, TUNECHO_LOG_DEBUG,
		       "reload: old addresses and routes removed, "
		       "interfaces no longer wanted stopped");
	if (r == 0 || r == -EIO) {
		if (res)
			*res = (struct tunecho_reload_result){
			    .added = p.n_add,
			    .removed = p.n_drop,
			    .changed = p.n_change + p.n_renew,
			    .unchanged = p.unchanged,
			};
		te_event(t, TUNECHO_EVENT_RELOADED, NULL, r ? TUNECHO_LOG_ERR : TUNECHO_LOG_NOTICE,
			 "%s: %zu added, %zu removed, %zu changed, %zu unchanged",
			 r ? "reloaded in part" : "reloaded", p.n_add, p.n_drop,
			 p.n_change + p.n_renew, p.unchanged);
	}
	if (r == 0 || r == -EIO)
		te_apply_globals(t, cfg, false);
	plan_free(&p);
	return r;
}

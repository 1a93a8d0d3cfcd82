/* SPDX-License-Identifier: MIT */
/*
 * Devices as tunecho found them, and as it leaves them.
 *
 * A device it attached to is put back as it was before: up or down, its
 * MTU and queue length, without the IPv6 link-local address the kernel gave
 * it once our reading brought the carrier. A persistent device is left
 * down, serving nothing until a start takes it back; and such a start
 * first clears what a killed run left on it, so that it becomes ours to
 * remove again.
 */
#include "found.h"

#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "netlink.h"
#include "util.h"

struct found {
	const struct te_iface_config *const *ics;
	struct te_as_found *state;
	size_t n;
};

static void on_found_link(void *arg, const struct nlmsghdr *nlh)
{
	struct found *f = arg;
	struct te_link_info link;

	if (!te_nl_parse_link(nlh, &link))
		return;
	for (size_t i = 0; i < f->n; i++) {
		if (!strcmp(f->ics[i]->name, link.name)) {
			f->state[i] = (struct te_as_found){.valid = true,
							   .up = link.flags & IFF_UP,
							   .ifindex = link.ifindex,
							   .mtu = link.mtu,
							   .txqlen = link.txqlen,
							   .master = link.master};
			return;
		}
	}
}

static bool is_link_local(const struct te_addr_info *a)
{
	return a->family == AF_INET6 && a->local[0] == 0xfe && (a->local[1] & 0xc0) == 0x80;
}

static void on_found_addr(void *arg, const struct nlmsghdr *nlh)
{
	struct found *f = arg;
	struct te_addr_info a;

	if (!te_nl_parse_addr(nlh, &a) || !is_link_local(&a))
		return;
	for (size_t i = 0; i < f->n; i++)
		if (f->state[i].valid && f->state[i].ifindex == a.ifindex)
			f->state[i].link_local = true;
}

/*
 * Note how the devices of @ics that exist are before we open them (up or
 * down, MTU, queue length, an IPv6 link-local address: attaching brings
 * the carrier, and with it the kernel's fe80::), to put those we attach
 * to back so at the end. Only when one may be attached to; one dump of
 * every link and address for all of them.
 */
void te_found_note(struct tunecho *t, const struct te_iface_config *const *ics, size_t n,
		   struct te_as_found *state)
{
	struct found f = {ics, state, n};
	bool any = false;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		any = any || ics[i]->attach;
	for (int tries = 0; any && tries < 3; tries++) {
		memset(state, 0, n * sizeof(*state));
		r = te_nl_dump(t->nl, RTM_GETLINK, on_found_link, &f);
		if (r == 0)
			r = te_nl_dump(t->nl, RTM_GETADDR, on_found_addr, &f);
		if (r != -EINTR)
			break;
	}
	if (r < 0) {
		memset(state, 0, n * sizeof(*state));
		te_log(&t->log, TUNECHO_LOG_WARNING,
		       "reading the links failed (%s): attached devices will not be put back as "
		       "found",
		       strerror(-r));
	}
}

/* What te_found_note() saw of @ifc's device, if we did not create it. */
void te_found_keep(struct te_iface *ifc, const struct te_as_found *st)
{
	ifc->found_valid = !ifc->created && st->valid && st->ifindex == ifc->ifindex;
	ifc->found_up = st->up;
	ifc->found_link_local = st->link_local;
	ifc->found_mtu = st->mtu;
	ifc->found_txqlen = st->txqlen;
	ifc->found_master = st->master;
}

/*
 * On the persistent devices taken back, remove the addresses and routes
 * of their configuration that are already there: left by a run that did
 * not stop (kill -9), they are added again below and so become ours to
 * remove, instead of someone else's to leave in place for ever. Only
 * through this device: a route of the same prefix elsewhere stays.
 */
void te_found_clear_leftovers(struct tunecho *t, struct te_iface **ifcs,
			      const struct te_iface_config *const *ics, size_t n)
{
	char unused[TE_NL_MSGLEN];
	size_t queued = 0;

	te_nl_batch_begin(t->nl);
	for (size_t i = 0; i < n; i++) {
		if (!ifcs[i]->taken_back)
			continue;
		for (size_t k = 0; k < ics[i]->n_routes; k++, queued++)
			te_nl_route(t->nl, TE_NL_REMOVE, ifcs[i]->ifindex, &ics[i]->routes[k],
				    unused);
		for (size_t k = 0; k < ics[i]->n_addrs; k++, queued++)
			te_nl_addr(t->nl, TE_NL_REMOVE, ifcs[i]->ifindex, &ics[i]->addrs[k],
				   unused);
	}
	/* Refusals are those not there: nothing to say. */
	if (te_nl_batch_end(t->nl, NULL, NULL) < 0 && queued)
		te_log(&t->log, TUNECHO_LOG_WARNING,
		       "rtnetlink failed while clearing what an earlier run left");
}

/* The kernel's link-local addresses on attached devices found without. */
struct link_locals {
	struct te_iface **ifcs;
	size_t n;
	struct te_addr_info *found; /* what the dump showed of theirs */
	size_t n_found, cap;
};

static void on_link_local(void *arg, const struct nlmsghdr *nlh)
{
	struct link_locals *ll = arg;
	struct te_addr_info a;

	if (!te_nl_parse_addr(nlh, &a) || !is_link_local(&a))
		return;
	for (size_t i = 0; i < ll->n; i++) {
		if (ll->ifcs[i]->ifindex != a.ifindex)
			continue;
		if (ll->n_found == ll->cap) {
			if (te_grow_to((void **)&ll->found, 2 * ll->cap + 4, sizeof(*ll->found)))
				return;
			ll->cap = 2 * ll->cap + 4;
		}
		ll->found[ll->n_found++] = a;
		return;
	}
}

/*
 * Remove the IPv6 link-local addresses the kernel gave, while we served
 * them, the attached devices among @ifcs found up without one (our
 * reading brings the carrier, and with it an fe80::/64).
 */
static void remove_new_link_locals(struct tunecho *t, struct te_iface **ifcs, size_t n,
				   bool keep_persistent)
{
	struct link_locals ll = {.ifcs = calloc(n ? n : 1, sizeof(*ll.ifcs))};
	char unused[TE_NL_MSGLEN];
	int r = 0;

	if (!ll.ifcs)
		return;
	for (size_t i = 0; i < n; i++)
		if (te_outlives(ifcs[i], keep_persistent) && !ifcs[i]->created &&
		    ifcs[i]->found_valid && ifcs[i]->found_up && !ifcs[i]->found_link_local)
			ll.ifcs[ll.n++] = ifcs[i];
	for (int tries = 0; ll.n && tries < 3; tries++) {
		ll.n_found = 0;
		if ((r = te_nl_dump(t->nl, RTM_GETADDR, on_link_local, &ll)) != -EINTR)
			break;
	}
	if (r == 0 && ll.n_found) {
		te_nl_batch_begin(t->nl);
		for (size_t i = 0; i < ll.n_found; i++) {
			struct te_address a = {
			    .local = {.family = AF_INET6, .len = ll.found[i].prefixlen}};

			memcpy(a.local.addr.bytes, ll.found[i].local, 16);
			te_nl_addr(t->nl, TE_NL_REMOVE, ll.found[i].ifindex, &a, unused);
		}
		te_nl_batch_end(t->nl, NULL, NULL);
	}
	free(ll.found);
	free(ll.ifcs);
}

/*
 * The devices that outlive us as we leave them: one we attached to as we
 * found it (up or down, MTU, queue length, bridge); one we made persistent down,
 * as the kernel makes a TUN device, and serving nothing until the next
 * start takes it back. Down also takes the kernel's IPv6 link-local
 * address away.
 */
static void put_back_links(struct tunecho *t, struct te_iface **ifcs, size_t n,
			   bool keep_persistent)
{
	char unused[TE_NL_MSGLEN];
	size_t queued = 0;

	te_nl_batch_begin(t->nl);
	for (size_t i = 0; i < n; i++) {
		const struct te_iface *ifc = ifcs[i];
		struct te_link_settings ls = {0};

		if (!te_outlives(ifc, keep_persistent))
			continue;
		if (ifc->created) {
			ls.down = true;
		} else if (ifc->found_valid) {
			ls.mtu =
			    ifc->cfg.mtu && ifc->cfg.mtu != ifc->found_mtu ? ifc->found_mtu : 0;
			ls.txqlen = ifc->cfg.txqlen && ifc->cfg.txqlen != ifc->found_txqlen
					? ifc->found_txqlen
					: 0;
			ls.down = !ifc->found_up;
			/* Out of the bridge we put it in, back into its own. */
			ls.set_master = ifc->master && (uint32_t)ifc->master != ifc->found_master;
			ls.master = ifc->found_master;
		}
		if (ls.mtu || ls.txqlen || ls.down || ls.set_master) {
			te_nl_link_set(t->nl, ifc->ifindex, &ls, unused);
			queued++;
		}
	}
	if (te_nl_batch_end(t->nl, NULL, NULL) < 0 && queued)
		te_log(&t->log, TUNECHO_LOG_WARNING,
		       "rtnetlink failed while putting devices back as found");
}

void te_found_put_back(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent)
{
	remove_new_link_locals(t, ifcs, n, keep_persistent);
	put_back_links(t, ifcs, n, keep_persistent);
}

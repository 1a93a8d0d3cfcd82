/* SPDX-License-Identifier: MIT */
/*
 * The responder's state, shared by responder.c (the loop, handlers,
 * counters) and iface.c (bringing interfaces up and down).
 */
#ifndef TE_RESPONDER_H
#define TE_RESPONDER_H

#include <event2/event.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "config.h"
#include "hostset.h"
#include "link.h"
#include "log.h"
#include "packet.h"
#include "rng.h"
#include "stats.h"
#include "tunecho.h"

/*
 * Packets read in one round of the loop, shared among the interfaces ready
 * in it (te_on_readable): large enough to amortise the wake-up, small
 * enough that a flooded interface cannot starve the others. The events are
 * level-triggered: an interface that used its share is reported again and
 * gets its next turn in the next round.
 */
#define TE_BUDGET 64

/* The largest packet a TUN device can hand us: an IP datagram. */
#define TE_RXBUF 65536

/*
 * A TAP's frame is read TE_TAP_RX_OFF bytes into the buffer, so that its IP
 * datagram starts 16 bytes in, aligned, with TE_RXBUF bytes of room as on
 * a TUN; the buffer is that much longer.
 */
#define TE_TAP_RX_OFF 2
#define TE_RXBUF_ALL  (TE_RXBUF + TE_TAP_RX_OFF + TE_ETH_HLEN)

/* Slots of the RFC 5227 defence limit of a TAP (tap.c): a hash of addresses. */
#define TE_DEFEND_SLOTS 64

struct te_defend {
	uint32_t addr; /* network order */
	uint64_t ms;   /* when it was last defended (monotonic), 0: never */
};

#define TE_MAX_HANDLERS TUNECHO_MAX_HANDLERS

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
	int fd; /* -1 once the device failed or was deleted */
	int ifindex;
	struct event *ev;
	bool created; /* by us (else attached to an existing device) */
	bool persist; /* created by us with TUNSETPERSIST */
	/* A persistent device of ours found at the start (persist = yes, made
	 * by an earlier run, perhaps killed): ours as if created now. */
	bool taken_back;
	/* A device we did not create, as we found it: put back at the end. */
	bool found_valid, found_up, found_link_local; /* an fe80:: address */
	uint32_t found_mtu, found_txqlen;
	uint32_t found_master; /* the bridge it was a port of, 0: none */
	int master;	       /* ifindex of cfg.master (a bridge), 0: none */
	/* What we added (room for cfg's), to remove again where needed. */
	struct te_address *addrs;
	size_t n_addrs;
	struct te_prefix *routes;
	size_t n_routes;
	struct te_iface_config cfg; /* what the configuration asks of it */
	/* Watching (watch.c): re-creation after a deletion, with back-off. */
	struct event *retry;
	unsigned backoff_ms;
	uint64_t recreated_ms; /* when it last came back (CLOCK_MONOTONIC) */
	bool down_logged;      /* its being down was said once */
	/* News the settled look must confirm: seen down (and not up since), an
	 * address of ours gone. The kernel reports our own set-up as "down",
	 * then "up": those cancel out and cost no look. */
	bool news_down, news_addr;
	/* IPv6 addresses of ours wait for the MTU to allow IPv6 again (the
	 * kernel turns IPv6 off on a device under 1280). */
	bool ipv6_waiting;
	/* The packet path's view of the link (path.c, te_iface_rx_update()). */
	uint32_t mtu;	 /* the kernel's, followed by the watcher */
	uint32_t *bcast; /* IPv4 broadcasts of its prefixes, sorted, not answered */
	size_t n_bcast;
	/* The profile stage (shape.c): cfg's profile prefixes, matched. */
	struct te_lpm *lpm; /* NULL: none (the interface's own profile may apply) */
	size_t delayed;	    /* its replies in the delay store (gauge) */
	/* The simulated hosts (hostset.c), on a TAP or a TUN with `hosts`
	 * lines; NULL: a TUN answering whatever the kernel routes to it. */
	struct te_hostset *hostset;
	/* TAP mode (tap.c). */
	struct te_link link;			  /* the link stage's view: MACs, hostset */
	unsigned rx_off;			  /* where frames are read into rxbuf */
	struct te_defend defend[TE_DEFEND_SLOTS]; /* RFC 5227's limit */
	bool announcing;			  /* announcements under way */
	struct te_hostset_pos announce_pos;	  /* the next host to announce */
	struct te_hostset *announce_old;	  /* the hosts before the change: not again */
	struct te_stats stats;
};

/*
 * What iface.c tells the part that watches the network (watch.c registers
 * these in te_watch_start(), so that iface.c never calls up): a change of
 * @n devices at once begins (its result goes to bulk_end) and ends; @ifc
 * is about to be freed. Unset hooks: nobody is watching.
 */
struct te_iface_hooks {
	bool (*bulk_begin)(struct tunecho *t, size_t n);
	void (*bulk_end)(struct tunecho *t, bool begun);
	void (*forget)(struct te_iface *ifc);
};

struct tunecho {
	struct event_base *base;
	struct te_logger log;
	struct te_nl *nl;
	struct te_iface **ifaces;
	size_t n_ifaces;
	struct te_handler handlers[TE_MAX_HANDLERS];
	size_t n_handlers;
	uint64_t busy_poll_ns;	     /* 0: sleep in epoll as soon as a device is empty */
	int round_budget;	     /* reads per device in this round (te_on_readable) */
	int round_others;	     /* events still ready after the last device's turn */
	uint32_t link_group;	     /* devices we create go in it; 0: none */
	struct te_watcher *watcher;  /* rtnetlink notifications (watch.c) */
	struct te_iface_hooks hooks; /* set by the watcher */
	tunecho_event_fn *event_fn;  /* the embedder's, or NULL */
	void *event_arg;
	/* The packet path (path.c). */
	struct te_reasm *reasm;	   /* fragments of every interface */
	struct event *reasm_timer; /* its one timer */
	uint64_t reasm_due;	   /* when it is set to go off (monotonic ms) */
	uint8_t *dgbuf;		   /* reassembled datagrams are put together here */
	struct te_clock clock;	   /* the ICMPv4 handler's, for Timestamp options */
	uint64_t rng;		   /* IPv6 fragment identifications */
	struct te_iface *current;  /* the interface whose packet is being handled */
	struct te_stats removed;   /* counters of the interfaces removed so far */
	/* The profile stage (shape.c). */
	struct te_delay *delay;	   /* replies held back, of every interface */
	int delay_fd;		   /* its one timer: a timerfd, at absolute times */
	struct event *delay_timer; /* the timerfd, read in the loop */
	uint64_t delay_armed_ns;   /* when it is set to go off, UINT64_MAX: not set */
	uint64_t delay_next_ns;	   /* when the earliest held reply is due, or UINT64_MAX */
	bool reading;		   /* in the read path (responder.c's drain) */
	struct te_hosts *hosts;	   /* the simulated hosts' state */
	struct te_rng prng;	   /* every random choice of the profiles */
	uint64_t seed;		   /* prng's seed: [global] seed, or a random one */
	bool seed_given, seed_logged;
	uint64_t epoch_ns; /* when the flap cycles start (CLOCK_MONOTONIC) */
	/* TAP mode (tap.c): `announce = yes` is paced by one timer. */
	struct event *announce_timer;
	uint8_t *shape_frame; /* shape.c: a TAP's delayed reply with its peer */
	/* The one receive buffer: replies are built in it, in place. */
	_Alignas(16) uint8_t rxbuf[TE_RXBUF_ALL];
};

/*
 * The packet path (path.c): its state on @t (0 or -ENOMEM), released by
 * te_path_fini(); one packet of @n bytes read from @ifc into @buf (room
 * TE_RXBUF) taken through it, answered or counted.
 */
int te_path_init(struct tunecho *t);
void te_path_fini(struct tunecho *t);
/* The reassembly limits changed: apply them now, set the timer anew. */
void te_path_reasm_changed(struct tunecho *t);
void te_path_packet(struct te_iface *ifc, uint8_t *buf, size_t n);

/*
 * IP out (path.c): write the reply @data of @len bytes to @ifc, in
 * fragments when over the MTU, counted; on a TAP in Ethernet frames to
 * @peer (the request's source MAC; NULL on a TUN). False when no IP
 * datagram can be that long (nothing written).
 */
bool te_path_send(struct te_iface *ifc, const uint8_t *peer, const uint8_t *data, size_t len);

/*
 * TAP mode (tap.c). te_tap_init(): its timer on @t (0, -ENOMEM), freed by
 * te_tap_fini(). te_tap_in(): link in for the frame of @len bytes at
 * @frame: true for an IP datagram of a host (*@ip_off, *@ip_len into the
 * frame, the sender's MAC into @peer); false when the frame was answered
 * (ARP, NDP) or dropped, and counted. te_tap_write(): link out, the
 * Ethernet header to @peer from the MAC of the source of @ip (the reply's
 * first bytes) and the @n (1 or 2) parts @iov of it; the IP bytes
 * written or -1. te_tap_iface_update(): ifc->cfg and ifc->hostset
 * changed, @old is the set before (NULL: none; taken over): the link
 * stage set up again, and with `announce = yes` the hosts not in @old
 * announced, paced. te_tap_iface_clear(): @ifc is going away.
 */
int te_tap_init(struct tunecho *t);
void te_tap_fini(struct tunecho *t);
bool te_tap_in(struct te_iface *ifc, const uint8_t *frame, size_t len, size_t *ip_off,
	       size_t *ip_len, uint8_t peer[TE_ETH_ALEN]);
ssize_t te_tap_write(struct te_iface *ifc, const uint8_t peer[TE_ETH_ALEN], const uint8_t *ip,
		     const struct iovec *iov, int n);
void te_tap_iface_update(struct te_iface *ifc, struct te_hostset *old);
void te_tap_iface_clear(struct te_iface *ifc);

/*
 * The profile stage (shape.c). Its state on @t (0 or -ENOMEM), released by
 * te_shape_fini(); [global] seed and max-delayed applied (and the seed
 * logged once); @ifc's profile prefixes matched from ifc->cfg (0, -ENOMEM)
 * and forgotten with its delayed replies.
 *
 * te_shape_reply(): the handlers answered the request (from @peer, on a
 * TAP, as te_path_send() takes it) whose first @hlen
 * bytes (at most TE_SHAPE_HEAD) are @req with the @len bytes at @reply;
 * the destination's profile, if any, decides, and the reply is sent,
 * held, duplicated, replaced by an ICMP unreachable or dropped and
 * counted. False when the reply is longer than an IP datagram (nothing
 * sent). te_shape_delayed(): the replies held now, of every interface.
 *
 * The read path (t->reading set) leaves the timer alone: it calls
 * te_shape_poll() between packets while replies are held (it hands out
 * the due ones), and te_shape_settle() when it stops (the same, then the
 * timer is set for the next due reply).
 */
#define TE_SHAPE_HEAD 256
int te_shape_init(struct tunecho *t);
void te_shape_fini(struct tunecho *t);
void te_shape_apply_globals(struct tunecho *t, const struct tunecho_config *cfg);
int te_shape_iface_update(struct te_iface *ifc);
void te_shape_iface_clear(struct te_iface *ifc);
bool te_shape_reply(struct te_iface *ifc, const uint8_t *peer, const uint8_t *req, size_t hlen,
		    uint8_t *reply, size_t len);
size_t te_shape_delayed(const struct tunecho *t);
void te_shape_poll(struct tunecho *t);
void te_shape_settle(struct tunecho *t);

/*
 * What the packet path knows of @ifc's link, from ifc->cfg and the kernel:
 * the broadcasts of its prefixes, its MTU. Called whenever ifc->cfg is set
 * (0 or -ENOMEM), and te_iface_rx_clear() when @ifc is freed.
 */
int te_iface_rx_update(struct te_iface *ifc);
void te_iface_rx_clear(struct te_iface *ifc);

/*
 * Report a fact about interface @ifname (NULL: the responder): one log
 * line at @level, and the same text to the embedder's event function.
 */
void te_event(struct tunecho *t, enum tunecho_event_kind kind, const char *ifname,
	      enum tunecho_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * Apply the responder-wide keys @cfg's [global] gives (busy-poll-us,
 * reassembly-*, and with @link_group link-group), at tunecho_add_config()
 * and, but for the link group (devices already in one stay), tunecho_reload().
 */
void te_apply_globals(struct tunecho *t, const struct tunecho_config *cfg, bool link_group);

/* The read callback of every interface's event (responder.c). */
void te_on_readable(evutil_socket_t fd, short what, void *arg);

/*
 * Open, configure and put on the loop one interface per config of @ics
 * (iface.c), into @ifcs; they are not yet in t->ifaces. All or nothing:
 * on failure nothing is left behind. Returns 0 or -errno (logged).
 */
int te_ifaces_start(struct tunecho *t, const struct te_iface_config *const *ics, size_t n,
		    struct te_iface **ifcs);

/*
 * Apply @ics[i] to @ifcs[i] (iface.c): link settings, addresses, routes,
 * one batch each; what was added is recorded on the interface. @initial:
 * a new device (link group, no link-local address, up); else only the
 * MTU and queue length, for a reload. Returns 0 or the first refusal.
 */
int te_ifaces_configure(struct tunecho *t, struct te_iface **ifcs,
			const struct te_iface_config *const *ics, size_t n, bool initial);

/* Whether te_ifaces_remove_added() removes this address (or route). */
typedef bool te_remove_fn(const struct te_iface *ifc, const struct te_address *a,
			  const struct te_prefix *route, void *arg);

/* Remove the addresses and routes we added that @which picks (iface.c). */
void te_ifaces_remove_added(struct tunecho *t, struct te_iface **ifcs, size_t n,
			    te_remove_fn *which, void *arg);

/* Add the routes recorded on @ifcs again, where missing (iface.c). */
void te_ifaces_readd_routes(struct tunecho *t, struct te_iface **ifcs, size_t n);

/* Room in @ifc's lists of what we added for so many in all. 0 or -ENOMEM. */
int te_iface_reserve(struct te_iface *ifc, size_t n_addrs, size_t n_routes);

/* One notice line and event @kind: "NAME: @what (created) ADDR, ...; routes ...". */
void te_iface_log_serving(struct te_iface *ifc, enum tunecho_event_kind kind, const char *what);

/* The position of interface @name in t->ifaces, or -1. */
int te_iface_index(const struct tunecho *t, const char *name);

/* Take interface @name out of t->ifaces (not freed); it, or NULL. */
struct te_iface *te_iface_unlist(struct tunecho *t, const char *name);

/*
 * Take @n interfaces off the loop and away (iface.c): what we added to
 * devices that stay is removed, our devices are deleted (by link group
 * when it can be done at once) and closed; the structures stay, lost.
 * Devices that outlive us keep existing unless @keep_persistent is false.
 */
void te_ifaces_release(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent);

/* te_ifaces_release(), then free them. */
void te_ifaces_stop(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent);

/*
 * Create and configure the device of @ifc again, from ifc->cfg, after it
 * was lost (iface.c). Returns 0 or -errno (logged); @ifc stays lost then.
 */
int te_iface_reopen(struct te_iface *ifc);

/*
 * @ifc's device is gone (deleted, or reads fail): leave the loop, close,
 * say so in one line with @why, and re-create it later if configured to
 * (watch.c). Nothing happens if it was already lost.
 */
void te_iface_lost(struct te_iface *ifc, const char *why);

/* Watching the network: an rtnetlink notification socket on the loop. */
int te_watch_start(struct tunecho *t);
void te_watch_stop(struct tunecho *t);
/* Whether lost @ifc has its re-creation pending. */
bool te_watch_will_recreate(const struct te_iface *ifc);

#endif

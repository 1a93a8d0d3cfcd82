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

#include "config.h"
#include "log.h"
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
	uint32_t link_group;   /* devices we create go in it; 0: none */
	/* The one receive buffer: replies are built in it, in place. */
	_Alignas(16) uint8_t rxbuf[TE_RXBUF];
};

/* The read callback of every interface's event (responder.c). */
void te_on_readable(evutil_socket_t fd, short what, void *arg);

/* Stop and free @n interfaces (iface.c); devices that outlive us keep
 * existing unless @keep_persistent is false (a failed start). */
void te_ifaces_stop(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent);

#endif

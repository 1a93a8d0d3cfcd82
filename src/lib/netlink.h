/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink requests over libmnl: link settings, addresses, routes, link
 * groups. Every request is acknowledged; a refusal comes back as -errno
 * with the kernel's extended-ACK text, when it gave one.
 *
 * Requests go out one at a time (each call waits for its ACK), or in a
 * batch: between te_nl_batch_begin() and te_nl_batch_end() the request
 * functions only queue (and return 0); te_nl_batch_end() sends them in
 * large writes and checks every ACK, naming each failure by its index in
 * the batch. Thousands of requests then cost a handful of system calls.
 */
#ifndef TE_NETLINK_H
#define TE_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct te_nl;

/* Open and bind a NETLINK_ROUTE socket. Returns 0 or -errno. */
int te_nl_open(struct te_nl **out);

/* Close the socket and free @nl. Accepts NULL. */
void te_nl_close(struct te_nl *nl);

/*
 * The text of a failure: the kernel's extended-ACK message, or an empty
 * string when there was none. Buffers for it hold TE_NL_MSGLEN bytes.
 */
#define TE_NL_MSGLEN 160

/* Start queueing requests instead of sending them one by one. */
void te_nl_batch_begin(struct te_nl *nl);

/* Number of requests queued since te_nl_batch_begin(). */
size_t te_nl_batch_size(const struct te_nl *nl);

/* The bytes queued since te_nl_batch_begin(), as they will be sent (for tests). */
const void *te_nl_batch_data(const struct te_nl *nl, size_t *len);

/* Told about each refused request of a batch, in order. */
typedef void te_nl_error_fn(void *arg, size_t index, int err, const char *msg);

/*
 * Send the queued requests and read every ACK; @fn (may be NULL) hears of
 * each refusal with the request's index. Back to one-by-one mode after.
 * Returns the number of refusals, or -errno when the exchange itself
 * failed (then the outcome of the requests is unknown).
 */
int te_nl_batch_end(struct te_nl *nl, te_nl_error_fn *fn, void *arg);

/*
 * Called with each batch about to be sent: how many requests, and what
 * they are ("2 address add, 1 route add"). For the responder's debug log.
 */
typedef void te_nl_trace_fn(void *arg, size_t n, const char *what);
void te_nl_set_trace(struct te_nl *nl, te_nl_trace_fn *fn, void *arg);

/* What te_nl_link_set() changes on a link; zero fields are left alone. */
struct te_link_settings {
	uint32_t mtu;
	uint32_t txqlen;
	uint32_t group;	    /* link group (IFLA_GROUP) */
	bool no_link_local; /* IPv6 address generation off: no fe80:: address */
	bool up;
	bool down;	 /* administratively down (not with up) */
	bool set_master; /* IFLA_MASTER = master: join that bridge (0: leave any) */
	uint32_t master;
};

/*
 * RTM_NEWLINK on @ifindex with @ls. The kernel applies the IPv6 settings
 * after the flags, so a link brought up in the same request would get its
 * link-local address first: set no_link_local in an earlier request.
 */
int te_nl_link_set(struct te_nl *nl, int ifindex, const struct te_link_settings *ls, char *msg);

/*
 * Make bridge port @ifindex a permanent multicast router port
 * (IFLA_BRPORT_MULTICAST_ROUTER = 2, `bridge link set dev X mcast_router 2`):
 * with multicast snooping it then gets every multicast frame, the
 * solicited-node groups of all its hosts included (link.h).
 */
int te_nl_brport_mcast_router(struct te_nl *nl, int ifindex, uint8_t value, char *msg);

struct te_link_info;

/*
 * Look interface @name up (RTM_GETLINK by name, not in batch mode): 0 and
 * @out, -ENODEV when there is none, or -errno.
 */
int te_nl_get_link(struct te_nl *nl, const char *name, struct te_link_info *out);

/* What an address or route request does. */
enum te_nl_op {
	TE_NL_REMOVE,
	TE_NL_ADD,     /* refused with -EEXIST if it is there already */
	TE_NL_REPLACE, /* added, or left as it is if it is there */
};

/* RTM_NEWADDR or RTM_DELADDR of @a on @ifindex; IPv6 gets IFA_F_NODAD. */
int te_nl_addr(struct te_nl *nl, enum te_nl_op op, int ifindex, const struct te_address *a,
	       char *msg);

/* RTM_NEWROUTE or RTM_DELROUTE of @dst through @ifindex, main table. */
int te_nl_route(struct te_nl *nl, enum te_nl_op op, int ifindex, const struct te_prefix *dst,
		char *msg);

/* A link, as a dump or a notification describes it. */
struct te_link_info {
	int ifindex;
	unsigned flags; /* IFF_UP, ... */
	uint32_t group;
	uint32_t mtu;
	uint32_t txqlen;
	uint32_t master; /* the bridge (or bond) it is a port of, 0: none */
	char name[16];
	char kind[16]; /* IFLA_INFO_KIND ("bridge", "tun", "veth"), "" if none */
};

/* An address: the interface, and our end of it. */
struct te_addr_info {
	int ifindex;
	int family;
	uint8_t prefixlen;
	uint8_t local[16];
};

struct nlmsghdr;

/* Read an RTM_NEWLINK/RTM_DELLINK into @out; false if it is not one. */
bool te_nl_parse_link(const struct nlmsghdr *nlh, struct te_link_info *out);

/* Read an RTM_NEWADDR/RTM_DELADDR (IPv4, IPv6) into @out; false if not one. */
bool te_nl_parse_addr(const struct nlmsghdr *nlh, struct te_addr_info *out);

typedef void te_nl_dump_fn(void *arg, const struct nlmsghdr *nlh);

/*
 * Dump every object of @type (RTM_GETLINK, RTM_GETADDR) in every family,
 * calling @fn with each message. Returns 0 or -errno. Not in batch mode.
 * The dump is always read to its end, so the socket holds nothing of it
 * afterwards. -EINTR: the objects changed while the kernel walked them
 * (NLM_F_DUMP_INTR); @fn saw only the messages before the change, and the
 * caller starts again with a fresh state (what it heard may be stale).
 */
int te_nl_dump(struct te_nl *nl, uint16_t type, te_nl_dump_fn *fn, void *arg);

/*
 * The messages of one read of a dump of @seq, as te_nl_dump() handles
 * them (exposed for tests): those of other sequences are skipped, @fn gets
 * ours until one carries NLM_F_DUMP_INTR (then @intr is set), an error
 * message sets @err. Returns 0 when the dump ended in @buf, else 1.
 */
int te_nl_dump_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, te_nl_dump_fn *fn,
		     void *arg, bool *intr, int *err);

/*
 * Delete every link of group @group in one request: the kernel unregisters
 * them together, far faster than one by one. Not in batch mode.
 */
int te_nl_group_delete(struct te_nl *nl, uint32_t group, char *msg);

#endif

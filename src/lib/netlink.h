/* SPDX-License-Identifier: MIT */
/*
 * rtnetlink requests over libmnl: link settings, addresses and routes.
 * Every request is acknowledged; a refusal comes back as -errno with the
 * kernel's extended-ACK text, when it gave one, in the caller's buffer.
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
 * The text of a failure: on error the request functions below write the
 * kernel's extended-ACK message into @msg (an empty string when there was
 * none). @msg must hold TE_NL_MSGLEN bytes.
 */
#define TE_NL_MSGLEN 160

/* RTM_NEWLINK on @ifindex: @mtu and @txqlen when non-zero, then up. */
int te_nl_link_up(struct te_nl *nl, int ifindex, uint32_t mtu, uint32_t txqlen, char *msg);

/* RTM_NEWADDR (@add) or RTM_DELADDR of @a on @ifindex; IPv6 gets IFA_F_NODAD. */
int te_nl_addr(struct te_nl *nl, bool add, int ifindex, const struct te_address *a, char *msg);

/* RTM_NEWROUTE (@add) or RTM_DELROUTE of @dst through @ifindex, main table. */
int te_nl_route(struct te_nl *nl, bool add, int ifindex, const struct te_prefix *dst, char *msg);

#endif

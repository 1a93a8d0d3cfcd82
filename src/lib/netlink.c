/* SPDX-License-Identifier: MIT */
#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

struct te_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	/* One buffer for the request and for reading its ACK (libmnl's
	 * MNL_SOCKET_BUFFER_SIZE, which is 8 KiB or the page size if smaller). */
	char buf[8192];
};

int te_nl_open(struct te_nl **out)
{
	struct te_nl *nl;
	int one = 1, r;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock)
		goto fail;
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0)
		goto fail;
	/* Ask for the kernel's error text; cap the echoed request. Both are
	 * optional: older kernels simply answer without them. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (uint32_t)time(NULL);
	*out = nl;
	return 0;

fail:
	r = -errno;
	te_nl_close(nl);
	return r;
}

void te_nl_close(struct te_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl);
}

static int on_extack_attr(const struct nlattr *attr, void *data)
{
	char *msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
		snprintf(msg, TE_NL_MSGLEN, "%s", mnl_attr_get_str(attr));
	return MNL_CB_OK;
}

/* NLMSG_ERROR carries both ACKs (error 0) and refusals. */
static int on_error(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (e->error == 0)
		return MNL_CB_STOP;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* The TLVs follow the echoed request, whole unless capped. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse_payload((const char *)e + off,
					       mnl_nlmsg_get_payload_len(nlh) - off, on_extack_attr,
					       data);
	}
	errno = -e->error;
	return MNL_CB_ERROR;
}

/* Send @nlh, wait for its ACK. Returns 0 or -errno, text in @msg. */
static int request(struct te_nl *nl, struct nlmsghdr *nlh, char *msg)
{
	mnl_cb_t ctl[NLMSG_ERROR + 1] = {[NLMSG_ERROR] = on_error};
	uint32_t seq = ++nl->seq;
	ssize_t n;
	int r;

	msg[0] = '\0';
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return -errno;
		r = mnl_cb_run2(nl->buf, (size_t)n, seq, nl->portid, NULL, msg, ctl,
				NLMSG_ERROR + 1);
		if (r == MNL_CB_ERROR)
			return -errno;
		if (r == MNL_CB_STOP)
			return 0;
	}
}

static struct nlmsghdr *start(struct te_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

int te_nl_link_up(struct te_nl *nl, int ifindex, uint32_t mtu, uint32_t txqlen, char *msg)
{
	struct nlmsghdr *nlh = start(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	ifi->ifi_flags = IFF_UP;
	ifi->ifi_change = IFF_UP;
	if (mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	if (txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, txqlen);
	return request(nl, nlh, msg);
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int te_nl_addr(struct te_nl *nl, bool add, int ifindex, const struct te_address *a, char *msg)
{
	struct nlmsghdr *nlh =
	    start(nl, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	size_t len = addr_len(a->local.family);
	/* No duplicate address detection: a TUN has no neighbours to ask. */
	uint32_t flags = a->local.family == AF_INET6 ? IFA_F_NODAD : 0;

	ifa->ifa_family = (uint8_t)a->local.family;
	ifa->ifa_prefixlen = a->local.len;
	ifa->ifa_flags = (uint8_t)flags;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (uint32_t)ifindex;
	/* IFA_LOCAL is our end; IFA_ADDRESS the peer, or ourselves without. */
	if (a->local.family == AF_INET || a->has_peer)
		mnl_attr_put(nlh, IFA_LOCAL, len, &a->local.addr);
	mnl_attr_put(nlh, IFA_ADDRESS, len, a->has_peer ? &a->peer.addr : &a->local.addr);
	if (flags)
		mnl_attr_put_u32(nlh, IFA_FLAGS, flags);
	return request(nl, nlh, msg);
}

int te_nl_route(struct te_nl *nl, bool add, int ifindex, const struct te_prefix *dst, char *msg)
{
	struct nlmsghdr *nlh =
	    start(nl, add ? RTM_NEWROUTE : RTM_DELROUTE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	/* The hosts of the prefix are directly on the link (the TUN). */
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (dst->len)
		mnl_attr_put(nlh, RTA_DST, addr_len(dst->family), &dst->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return request(nl, nlh, msg);
}

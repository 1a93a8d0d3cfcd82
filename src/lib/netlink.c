/* SPDX-License-Identifier: MIT */
#include "netlink.h"

#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util.h"

/* Room for the largest request built here (a route or an address). */
#define TE_NL_MAX_REQUEST 256
/* A batch goes out in writes of at most this many requests, each write
 * ACKed before the next: every ACK is an skb of its own (about 1 KiB of
 * receive buffer), and they must never overflow the socket's buffer. */
#define TE_NL_CHUNK_MSGS 64
#define TE_NL_CHUNK	 (TE_NL_CHUNK_MSGS * TE_NL_MAX_REQUEST)

struct te_nl {
	struct mnl_socket *sock;
	uint32_t portid;
	uint32_t seq;
	/* Single requests, and every read (libmnl's MNL_SOCKET_BUFFER_SIZE,
	 * 8 KiB or the page size if smaller, is enough for ACKs). */
	char buf[8192];
	/* The batch, when one is open. */
	bool batching;
	char *batch;
	size_t batch_len, batch_cap, batch_n;
	uint32_t batch_seq0;
	te_nl_trace_fn *trace; /* told of each batch sent, for debug logging */
	void *trace_arg;
};

void te_nl_set_trace(struct te_nl *nl, te_nl_trace_fn *fn, void *arg)
{
	nl->trace = fn;
	nl->trace_arg = arg;
}

/* "3 RTM_NEWADDR, 1 RTM_NEWROUTE": what the batch holds, by message type. */
static void describe(const struct te_nl *nl, char *out, size_t size)
{
	static const struct {
		uint16_t type;
		const char *name;
	} names[] = {
	    {RTM_NEWLINK, "link set"},	  {RTM_DELLINK, "link delete"},
	    {RTM_NEWADDR, "address add"}, {RTM_DELADDR, "address remove"},
	    {RTM_NEWROUTE, "route add"},  {RTM_DELROUTE, "route remove"},
	};
	size_t count[sizeof(names) / sizeof(names[0])] = {0}, other = 0, n = 0;

	out[0] = '\0';
	for (size_t off = 0; off < nl->batch_len;) {
		const struct nlmsghdr *nlh = (const void *)(nl->batch + off);
		size_t k = 0;

		while (k < sizeof(names) / sizeof(names[0]) && names[k].type != nlh->nlmsg_type)
			k++;
		if (k < sizeof(names) / sizeof(names[0]))
			count[k]++;
		else
			other++;
		off += NLMSG_ALIGN(nlh->nlmsg_len);
	}
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && n < size; k++)
		if (count[k])
			n += (size_t)snprintf(out + n, size - n, "%s%zu %s", n ? ", " : "",
					      count[k], names[k].name);
	if (other && n < size)
		snprintf(out + n, size - n, "%s%zu other", n ? ", " : "", other);
}

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
	free(nl->batch);
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

/*
 * An NLMSG_ERROR message: 0 for an ACK, else -errno with the kernel's text
 * in @msg.
 */
static int parse_ack(const struct nlmsghdr *nlh, char *msg)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*e);

	msg[0] = '\0';
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
		return -EBADMSG;
	if (e->error == 0)
		return 0;
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
		/* The TLVs follow the echoed request, whole unless capped. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
		if (off < mnl_nlmsg_get_payload_len(nlh))
			mnl_attr_parse_payload((const char *)e + off,
					       mnl_nlmsg_get_payload_len(nlh) - off, on_extack_attr,
					       msg);
	}
	return e->error;
}

/*
 * Read until the ACKs of the requests with sequence numbers @first to
 * @last are in; @fn hears of refusals (index counted from @seq0).
 * Returns the number of refusals or -errno.
 */
static int read_acks(struct te_nl *nl, uint32_t first, uint32_t last, uint32_t seq0,
		     te_nl_error_fn *fn, void *arg)
{
	char msg[TE_NL_MSGLEN];
	size_t pending = last - first + 1;
	int refused = 0;

	while (pending) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		int left = (int)n;

		if (n < 0)
			return -errno;
		for (const struct nlmsghdr *nlh = (const void *)nl->buf; mnl_nlmsg_ok(nlh, left);
		     nlh = mnl_nlmsg_next(nlh, &left)) {
			int err;

			if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq - first > last - first)
				continue; /* not an ACK of ours */
			err = parse_ack(nlh, msg);
			pending--;
			if (err) {
				refused++;
				if (fn)
					fn(arg, nlh->nlmsg_seq - seq0, err, msg);
			}
		}
	}
	return refused;
}

/* The first refusal's error and text, for single requests. */
struct first_error {
	int err;
	char *msg;
};

static void keep_first(void *arg, size_t index, int err, const char *msg)
{
	struct first_error *fe = arg;

	(void)index;
	if (!fe->err) {
		fe->err = err;
		snprintf(fe->msg, TE_NL_MSGLEN, "%s", msg);
	}
}

/* Where the next request is built: the batch, or the single buffer. */
static struct nlmsghdr *start(struct te_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh;

	if (nl->batching && nl->batch_cap - nl->batch_len < TE_NL_MAX_REQUEST) {
		size_t cap = nl->batch_cap ? 2 * nl->batch_cap : 4 * TE_NL_CHUNK;
		char *p = realloc(nl->batch, cap);

		if (!p)
			return NULL;
		nl->batch = p;
		nl->batch_cap = cap;
	}
	/* Zeroed whole: attributes shorter than their alignment (a u8) leave
	 * padding that libmnl does not write, and the buffers are reused, so
	 * the kernel (and valgrind) would read an older request's bytes. */
	memset(nl->batching ? nl->batch + nl->batch_len : nl->buf, 0, TE_NL_MAX_REQUEST);
	nlh = mnl_nlmsg_put_header(nl->batching ? nl->batch + nl->batch_len : nl->buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags | NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send @nlh and wait for its ACK, or queue it in the open batch. */
static int finish(struct te_nl *nl, struct nlmsghdr *nlh, char *msg)
{
	struct first_error fe = {0, msg};
	int r;

	msg[0] = '\0';
	if (nl->batching) {
		nl->batch_len += NLMSG_ALIGN(nlh->nlmsg_len);
		nl->batch_n++;
		return 0;
	}
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	r = read_acks(nl, nlh->nlmsg_seq, nlh->nlmsg_seq, nlh->nlmsg_seq, keep_first, &fe);
	return r < 0 ? r : fe.err;
}

void te_nl_batch_begin(struct te_nl *nl)
{
	nl->batching = true;
	nl->batch_len = 0;
	nl->batch_n = 0;
	nl->batch_seq0 = nl->seq + 1;
}

size_t te_nl_batch_size(const struct te_nl *nl)
{
	return nl->batch_n;
}

const void *te_nl_batch_data(const struct te_nl *nl, size_t *len)
{
	*len = nl->batch_len;
	return nl->batch;
}

int te_nl_batch_end(struct te_nl *nl, te_nl_error_fn *fn, void *arg)
{
	size_t off = 0;
	uint32_t seq = nl->batch_seq0;
	int refused = 0;
	char what[160];

	nl->batching = false;
	if (nl->trace && nl->batch_n) {
		describe(nl, what, sizeof(what));
		nl->trace(nl->trace_arg, nl->batch_n, what);
	}
	while (off < nl->batch_len) {
		size_t len = 0, count = 0;
		int r;

		/* Whole messages, up to a chunk. */
		while (off + len < nl->batch_len && count < TE_NL_CHUNK_MSGS) {
			const struct nlmsghdr *nlh = (const void *)(nl->batch + off + len);

			len += NLMSG_ALIGN(nlh->nlmsg_len);
			count++;
		}
		if (mnl_socket_sendto(nl->sock, nl->batch + off, len) < 0)
			return -errno;
		r = read_acks(nl, seq, seq + (uint32_t)count - 1, nl->batch_seq0, fn, arg);
		if (r < 0)
			return r;
		refused += r;
		seq += (uint32_t)count;
		off += len;
	}
	return refused;
}

int te_nl_link_set(struct te_nl *nl, int ifindex, const struct te_link_settings *ls, char *msg)
{
	struct nlmsghdr *nlh = start(nl, RTM_NEWLINK, 0);
	struct ifinfomsg *ifi;

	if (!nlh)
		return -ENOMEM;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	if (ls->up || ls->down) {
		ifi->ifi_flags = ls->up ? IFF_UP : 0;
		ifi->ifi_change = IFF_UP;
	}
	if (ls->mtu)
		mnl_attr_put_u32(nlh, IFLA_MTU, ls->mtu);
	if (ls->txqlen)
		mnl_attr_put_u32(nlh, IFLA_TXQLEN, ls->txqlen);
	if (ls->group)
		mnl_attr_put_u32(nlh, IFLA_GROUP, ls->group);
	if (ls->set_master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, ls->master);
	if (ls->no_link_local) {
		struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
		struct nlattr *inet6 = mnl_attr_nest_start(nlh, AF_INET6);

		mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, IN6_ADDR_GEN_MODE_NONE);
		mnl_attr_nest_end(nlh, inet6);
		mnl_attr_nest_end(nlh, spec);
	}
	return finish(nl, nlh, msg);
}

int te_nl_brport_mcast_router(struct te_nl *nl, int ifindex, uint8_t value, char *msg)
{
	struct nlmsghdr *nlh = start(nl, RTM_SETLINK, 0);
	struct ifinfomsg *ifi;
	struct nlattr *info;

	if (!nlh)
		return -ENOMEM;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_BRIDGE;
	ifi->ifi_index = ifindex;
	info = mnl_attr_nest_start(nlh, IFLA_PROTINFO);
	mnl_attr_put_u8(nlh, IFLA_BRPORT_MULTICAST_ROUTER, value);
	mnl_attr_nest_end(nlh, info);
	return finish(nl, nlh, msg);
}

/* The type and flags of a request to add, replace or remove an object. */
static struct nlmsghdr *start_op(struct te_nl *nl, enum te_nl_op op, uint16_t new_type,
				 uint16_t del_type)
{
	if (op == TE_NL_REMOVE)
		return start(nl, del_type, 0);
	return start(nl, new_type, NLM_F_CREATE | (op == TE_NL_ADD ? NLM_F_EXCL : NLM_F_REPLACE));
}

int te_nl_addr(struct te_nl *nl, enum te_nl_op op, int ifindex, const struct te_address *a,
	       char *msg)
{
	struct nlmsghdr *nlh = start_op(nl, op, RTM_NEWADDR, RTM_DELADDR);
	struct ifaddrmsg *ifa;
	size_t len = te_addr_len(a->local.family);
	/* No duplicate address detection: a TUN has no neighbours to ask. */
	uint32_t flags = a->local.family == AF_INET6 ? IFA_F_NODAD : 0;

	if (!nlh)
		return -ENOMEM;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
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
	return finish(nl, nlh, msg);
}

int te_nl_route(struct te_nl *nl, enum te_nl_op op, int ifindex, const struct te_prefix *dst,
		char *msg)
{
	struct nlmsghdr *nlh = start_op(nl, op, RTM_NEWROUTE, RTM_DELROUTE);
	struct rtmsg *rtm;

	if (!nlh)
		return -ENOMEM;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (uint8_t)dst->family;
	rtm->rtm_dst_len = dst->len;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_STATIC;
	/* The hosts of the prefix are directly on the link (the TUN). */
	rtm->rtm_scope = RT_SCOPE_LINK;
	rtm->rtm_type = RTN_UNICAST;
	if (dst->len)
		mnl_attr_put(nlh, RTA_DST, te_addr_len(dst->family), &dst->addr);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);
	return finish(nl, nlh, msg);
}

/* IFLA_INFO_KIND of the IFLA_LINKINFO @nest into @kind. */
static void link_kind(const struct nlattr *nest, char *kind, size_t size)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, nest)
	{
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
			snprintf(kind, size, "%.*s",
				 (int)strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a)),
				 mnl_attr_get_str(a));
	}
}

bool te_nl_parse_link(const struct nlmsghdr *nlh, struct te_link_info *out)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	/* AF_UNSPEC only: AF_BRIDGE news is of bridge ports (a port leaving its
	 * bridge is an RTM_DELLINK too, of a device that stays). */
	if ((nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)) || ifi->ifi_family != AF_UNSPEC)
		return false;
	*out = (struct te_link_info){.ifindex = ifi->ifi_index, .flags = ifi->ifi_flags};
	mnl_attr_for_each(attr, nlh, sizeof(*ifi))
	{
		int type = mnl_attr_get_type(attr);
		uint32_t *u32 = type == IFLA_GROUP    ? &out->group
				: type == IFLA_MTU    ? &out->mtu
				: type == IFLA_TXQLEN ? &out->txqlen
						      : NULL;

		if (type == IFLA_MASTER)
			u32 = &out->master;
		if (u32 && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
			*u32 = mnl_attr_get_u32(attr);
		else if (type == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
			snprintf(out->name, sizeof(out->name), "%s", mnl_attr_get_str(attr));
		else if (type == IFLA_LINKINFO && mnl_attr_validate(attr, MNL_TYPE_NESTED) >= 0)
			link_kind(attr, out->kind, sizeof(out->kind));
	}
	return true;
}

bool te_nl_parse_addr(const struct nlmsghdr *nlh, struct te_addr_info *out)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	bool have_local = false, have_address = false;
	uint8_t address[16];

	if ((nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR) ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)) ||
	    (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6))
		return false;
	*out = (struct te_addr_info){.ifindex = (int)ifa->ifa_index,
				     .family = ifa->ifa_family,
				     .prefixlen = ifa->ifa_prefixlen};
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		int type = mnl_attr_get_type(attr);

		if ((type != IFA_LOCAL && type != IFA_ADDRESS) ||
		    mnl_attr_get_payload_len(attr) != te_addr_len(out->family))
			continue;
		memcpy(type == IFA_LOCAL ? out->local : address, mnl_attr_get_payload(attr),
		       te_addr_len(out->family));
		have_local = have_local || type == IFA_LOCAL;
		have_address = have_address || type == IFA_ADDRESS;
	}
	/* Our end is IFA_LOCAL when given (a peer address), else IFA_ADDRESS. */
	if (!have_local && have_address)
		memcpy(out->local, address, te_addr_len(out->family));
	return have_local || have_address;
}

/*
 * Handle one message of the dump of sequence @seq: 1 to go on, 0 at its
 * end. A message of another sequence (a dump or ACK left over from an
 * exchange cut short) is skipped, never taken for ours. @intr learns of
 * NLM_F_DUMP_INTR (the objects changed while the kernel walked them), @err
 * of an error in place of the dump.
 */
static int dump_step(const struct nlmsghdr *nlh, uint32_t seq, uint32_t portid, te_nl_dump_fn *fn,
		     void *arg, bool *intr, int *err)
{
	if (nlh->nlmsg_seq != seq || (nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
		return 1;
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		*intr = true;
	if (nlh->nlmsg_type == NLMSG_DONE)
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		char msg[TE_NL_MSGLEN];
		int e = parse_ack(nlh, msg);

		*err = e ? e : -EBADMSG;
		return 0;
	}
	if (nlh->nlmsg_type >= NLMSG_MIN_TYPE && !*intr && fn)
		fn(arg, nlh);
	return 1;
}

int te_nl_dump_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid, te_nl_dump_fn *fn,
		     void *arg, bool *intr, int *err)
{
	int left = (int)len;

	for (const struct nlmsghdr *nlh = buf; mnl_nlmsg_ok(nlh, left);
	     nlh = mnl_nlmsg_next(nlh, &left))
		if (!dump_step(nlh, seq, portid, fn, arg, intr, err))
			return 0;
	return 1;
}

/*
 * Read and drop whatever the socket holds, without waiting: after a failed
 * read the rest of a dump may still be queued (each read makes the kernel
 * fill the next part), and must not be taken for the next exchange's.
 */
static void drain(struct te_nl *nl)
{
	int fd = mnl_socket_get_fd(nl->sock);

	for (int i = 0; i < 100000; i++) {
		ssize_t n = recv(fd, nl->buf, sizeof(nl->buf), MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && !(n < 0 && errno == ENOBUFS))
			break;
	}
}

/*
 * Read the answer to request @seq: each message to @fn, until the end of a
 * dump or an error (into *@err), or, when @enough is given, until it is
 * true. 0, or the -errno of a failed read (the socket drained).
 */
static int receive(struct te_nl *nl, uint32_t seq, te_nl_dump_fn *fn, void *arg, const bool *enough,
		   bool *intr, int *err)
{
	while (!enough || !*enough) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int r = -errno;

			drain(nl);
			return r;
		}
		if (!te_nl_dump_parse(nl->buf, (size_t)n, seq, nl->portid, fn, arg, intr, err))
			break;
	}
	return 0;
}

int te_nl_dump(struct te_nl *nl, uint16_t type, te_nl_dump_fn *fn, void *arg)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct rtgenmsg *g;
	uint32_t seq = ++nl->seq;
	bool intr = false;
	int err = 0, r;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	/* An ifinfomsg's room: RTM_GETADDR reads only the family of it. */
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	memset(g, 0, sizeof(struct ifinfomsg));
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* To the end whatever happens: an interrupted dump is read whole (its
	 * messages no longer handed on), and a failed read drains the socket. */
	r = receive(nl, seq, fn, arg, NULL, &intr, &err);
	if (r)
		return r;
	if (err)
		return err;
	return intr ? -EINTR : 0;
}

int te_nl_group_delete(struct te_nl *nl, uint32_t group, char *msg)
{
	struct nlmsghdr *nlh = start(nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifi;

	if (!nlh)
		return -ENOMEM;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = 0; /* no index: the kernel deletes by IFLA_GROUP */
	mnl_attr_put_u32(nlh, IFLA_GROUP, group);
	return finish(nl, nlh, msg);
}

/* A te_nl_get_link() in progress: the link once its answer came. */
struct got_link {
	struct te_link_info *out;
	bool got;
};

static void on_got_link(void *arg, const struct nlmsghdr *nlh)
{
	struct got_link *g = arg;

	if (nlh->nlmsg_type == RTM_NEWLINK && te_nl_parse_link(nlh, g->out))
		g->got = true;
}

int te_nl_get_link(struct te_nl *nl, const char *name, struct te_link_info *out)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->buf);
	struct got_link g = {out, false};
	struct ifinfomsg *ifi;
	uint32_t seq = ++nl->seq;
	bool intr = false;
	int err = 0, r;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	*out = (struct te_link_info){0};
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	/* One answer: the link, or an error (no NLMSG_DONE without a dump). */
	r = receive(nl, seq, on_got_link, &g, &g.got, &intr, &err);
	if (r)
		return r;
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	return g.got ? 0 : -ENODEV;
}

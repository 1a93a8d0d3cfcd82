/* SPDX-License-Identifier: MIT */
/*
 * Link in and link out for TAP devices (IFF_TAP|IFF_NO_PI): the Ethernet
 * header checked, ARP (RFC 826, RFC 5227) and IPv6 neighbour discovery
 * (RFC 4861) answered for the simulated hosts of the link, an IP datagram
 * for one of them handed on to IP in; and on the way out, the Ethernet
 * header put in front of a reply. Pure: no I/O, no clock, no globals; what
 * the link answers for is asked of a callback.
 *
 * MLD (RFC 3810) and bridges with multicast snooping. A Neighbor
 * Solicitation goes to the target's solicited-node group ff02::1:ffXX:XXXX,
 * and a snooping switch forwards a group only to the ports that reported
 * it, so a real host joins its solicited-node groups with MLD reports. On a
 * Linux bridge this matters less than it seems:
 *  - snooping is on by default (multicast_snooping 1), but the bridge's own
 *    querier is off (multicast_querier 0), and without a querier, its own or
 *    one seen on the segment, br_multicast_querier_exists() is false and
 *    br_handle_frame_finish() floods every multicast frame to every port
 *    (Linux commit b00589af3b04 of 2013, "bridge: disable snooping if there
 *    is no querier"): the TAP gets the solicitations without reporting;
 *  - ff02::1 (all-nodes) is flooded even with a querier (RFC 4541 §3;
 *    br_multicast_ipv6_rcv() leaves it out of mrouters_only);
 *  - but with a querier (multicast_querier 1, or an MLD router on the
 *    segment) a solicited-node group with no member port is forwarded only
 *    to multicast-router ports, and the TAP misses the NS of its hosts until
 *    it reports the group. Reporting is no full cure: a /64 of simulated
 *    hosts has 2^24 solicited-node groups, far over the bridge's
 *    mcast_hash_max (4096 by default), and a report must be repeated for
 *    every query. The robust fix, when tunecho itself enslaves the TAP
 *    (`master`), is to make its bridge port a permanent multicast router
 *    port (IFLA_BRPORT_MULTICAST_ROUTER = 2, `bridge link set dev X
 *    mcast_router 2`): router ports receive all multicast whatever the
 *    snooping table says. te_link_mld_report() is here for the rest: small
 *    sets of IPv6 hosts on a bridge the user manages, sent at start and in
 *    answer to queries (ICMPv6 type 130, now counted under "ndp_other").
 *    A neighbour that already knows a host's MAC probes it unicast (NUD),
 *    which snooping never filters.
 * Checked on Linux 6.18 in a namespace (a bridge, two veth ports, scapy):
 * an NS to ff02::1:ff00:5 reached the other port with mcast_querier 0; not
 * 14 s after mcast_querier 1 (the bridge holding an IPv6 address); again
 * once that port sent te_link_mld_report()'s frame for the group (its mdb
 * then lists the port), not once the entry was deleted, and again with the
 * port at mcast_router 2.
 */
#ifndef TE_LINK_H
#define TE_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TE_ETH_HLEN	  14u
#define TE_ETH_ALEN	  6u
#define TE_ETH_P_IP	  0x0800u
#define TE_ETH_P_ARP	  0x0806u
#define TE_ETH_P_IPV6	  0x86ddu
#define TE_ETH_P_8021Q	  0x8100u
#define TE_ETH_P_8021AD	  0x88a8u
#define TE_ETH_P_QINQ1	  0x9100u /* the pre-802.1ad QinQ tag some switches still send */
#define TE_LINK_FRAME_MAX 128u	  /* the largest frame te_link_in() or te_link_announce() builds */

/*
 * Why a frame was not taken. Stable lower-case names:
 * te_link_reason_name(); the responder maps them into its drop reasons.
 */
enum te_link_reason {
	TE_LINK_NOT_FOR_US,	   /* "not_for_us": another MAC, or a group it need not hear */
	TE_LINK_VLAN,		   /* "vlan": an 802.1Q/802.1ad tag (the TAP is untagged) */
	TE_LINK_RUNT,		   /* "runt": shorter than its headers (14, ARP's 28, IP's) */
	TE_LINK_UNKNOWN_ETHERTYPE, /* "unknown_ethertype": not IPv4, ARP, IPv6; 802.3 lengths */
	TE_LINK_BAD_SOURCE,	   /* "bad_source_mac": multicast or all-zero Ethernet source */
	TE_LINK_BAD_IP,		   /* "bad_ip": the IP version disagrees with the EtherType */
	TE_LINK_BAD_ARP,	   /* "bad_arp": not Ethernet/IPv4, not a request, bad sender */
	TE_LINK_ARP_NOT_OURS,	   /* "arp_not_ours": for the device's address or no host */
	TE_LINK_BAD_NDP,	   /* "bad_ndp": an NS RFC 4861 §7.1.1 says to discard */
	TE_LINK_NDP_NOT_OURS,	   /* "ndp_not_ours": an NS for the device's address or no host */
	TE_LINK_NDP_OTHER, /* "ndp_other": RS, RA, NA, redirect, MLD, other multicast ICMPv6 */
	TE_LINK_REASONS	   /* number of reasons, not a reason */
};

/* The name of @r, or "?" for a value out of range. */
const char *te_link_reason_name(enum te_link_reason r);

/* What te_link_in() made of a frame. */
enum te_link_status {
	TE_LINK_IP,    /* an IPv4/IPv6 datagram for a host: res->ip_off, ip_len */
	TE_LINK_REPLY, /* answered here: write res->reply (res->reply_len bytes) */
	TE_LINK_DROP,  /* res->reason says why */
};

/* Which answer a TE_LINK_REPLY is (for the counters "arp_replies" and "na_sent"). */
enum te_link_answer {
	TE_LINK_ARP_REPLY,  /* a reply to a request, or to an RFC 5227 probe (sender 0.0.0.0) */
	TE_LINK_ARP_DEFEND, /* a broadcast announcement against a gratuitous ARP for a host */
	TE_LINK_NA,	    /* a solicited advertisement, to the solicitation's source */
	TE_LINK_NA_DEFEND,  /* an unsolicited one to ff02::1, against a DAD probe */
};

/* What an address is to the link. */
enum te_link_kind {
	TE_LINK_NONE, /* nobody here: not answered */
	TE_LINK_HOST, /* a simulated host: answered */
	TE_LINK_OWN,  /* the device's own address: never answered (the kernel has it) */
};

/* Tell what @addr (4 bytes for AF_INET, 16 for AF_INET6) is on the link. */
typedef enum te_link_kind te_link_lookup_fn(void *arg, int family, const uint8_t *addr);

/* One link, as the stage needs it. */
struct te_link {
	const char *ifname; /* keys the MACs of mac = auto */
	te_link_lookup_fn *lookup;
	void *lookup_arg;
	bool mac_fixed;		  /* mac = XX:..: every host answers from mac */
	uint8_t mac[TE_ETH_ALEN]; /* that MAC (unicast; the config checks it) */
};

struct te_link_result {
	enum te_link_reason reason;	  /* TE_LINK_DROP */
	enum te_link_answer answer;	  /* TE_LINK_REPLY */
	size_t ip_off, ip_len;		  /* TE_LINK_IP: the datagram in the frame */
	int family;			  /* TE_LINK_IP: AF_INET or AF_INET6 */
	uint8_t peer_mac[TE_ETH_ALEN];	  /* TE_LINK_IP: the frame's source, to answer to */
	uint8_t host_mac[TE_ETH_ALEN];	  /* TE_LINK_IP: the host's MAC, to answer from */
	size_t reply_len;		  /* TE_LINK_REPLY */
	uint8_t reply[TE_LINK_FRAME_MAX]; /* TE_LINK_REPLY: the frame to write */
};

/*
 * Link in: take the frame @frame of @len bytes read from the TAP of @lk.
 *  - IPv4 (0x0800) and IPv6 (0x86dd) to the unicast MAC of a simulated host
 *    (the MAC te_link_host_mac() gives its destination address) are
 *    TE_LINK_IP: the datagram is res->ip_len bytes at res->ip_off (any
 *    Ethernet padding included: IP in ignores bytes past the IP length),
 *    res->peer_mac and host_mac what te_link_header() needs for the reply.
 *    NDP (ICMPv6 types 133 to 137 right after the IPv6 header) never goes
 *    on: an NS is judged below, the others are "ndp_other", as is any
 *    ICMPv6 to a group (MLD behind its Hop-by-Hop header included). The
 *    frame is only read; an answer is built in res->reply.
 *  - ARP requests, broadcast or to the target host's MAC, for a simulated
 *    host: a reply from the host's MAC to the sender's (sender 0.0.0.0, an
 *    RFC 5227 probe: target IP 0.0.0.0, as Linux's arp_process() answers).
 *    A gratuitous request (sender IP = target IP = a host) from another MAC
 *    is defended with a broadcast announcement; RFC 5227 §2.4 allows one per
 *    DEFEND_INTERVAL (10 s) per address, a limit that needs a clock: the
 *    caller applies it to TE_LINK_ARP_DEFEND answers, or writes them all.
 *  - NS valid by RFC 4861 §7.1.1 (hop limit 255, checksum, code 0, length
 *    >= 24, target not multicast, options of non-zero length within the
 *    message, source :: only to a solicited-node group and without a source
 *    link-layer option; also: a source link-layer option of 6 bytes, as
 *    Linux's ndisc requires), to the target itself or to its solicited-node
 *    group, for a simulated host: an NA with the target link-layer option,
 *    override flag, solicited flag unless the source is ::; to the source
 *    (at its source link-layer address, else the frame's source), or, for a
 *    DAD probe, to ff02::1 at 33:33:00:00:00:01.
 *  - everything else: TE_LINK_DROP with res->reason.
 */
enum te_link_status te_link_in(const struct te_link *lk, const uint8_t *frame, size_t len,
			       struct te_link_result *res);

/*
 * The MAC a host @addr (family AF_INET or AF_INET6) answers from: the fixed
 * one, or for mac = auto a locally administered unicast MAC (first byte
 * xxxxxx10) from SipHash-2-4 under a constant key of the interface name and
 * the address, so it is the same after a restart and on another machine,
 * and two hosts or two links differ (46 random bits: a collision in a /16
 * has odds under 2^-14).
 */
void te_link_host_mac(const struct te_link *lk, int family, const uint8_t *addr,
		      uint8_t mac[TE_ETH_ALEN]);

/*
 * Link out: write into @hdr the 14-byte Ethernet header of the reply
 * datagram (or fragment) whose first byte is @ip0: to @dst, from @src,
 * EtherType by the version nibble, for a writev() of header, IP header and
 * payload. Returns 0, or -EINVAL when @ip0 is neither IPv4 nor IPv6.
 */
int te_link_header(uint8_t hdr[TE_ETH_HLEN], const uint8_t dst[TE_ETH_ALEN],
		   const uint8_t src[TE_ETH_ALEN], uint8_t ip0);

/*
 * `announce = yes`: the frame announcing the host @addr of @lk into @out
 * (room @room, at least TE_LINK_FRAME_MAX), its length into *@len. IPv4: a
 * gratuitous ARP request (RFC 5227 §2.3 announcement: sender IP = target
 * IP, target MAC zero), broadcast. IPv6: an unsolicited NA (RFC 4861
 * §7.2.6: override, not solicited, target link-layer option) from the host
 * to ff02::1. 0, or -EINVAL (family, room).
 */
int te_link_announce(const struct te_link *lk, int family, const uint8_t *addr, uint8_t *out,
		     size_t room, size_t *len);

/* The solicited-node group ff02::1:ffXX:XXXX of @addr (RFC 4291 §2.7.1). */
void te_link_solicited_node(const uint8_t addr[16], uint8_t group[16]);

/* The link-local address fe80::/64 with the modified EUI-64 of @mac (RFC 4291 App. A). */
void te_link_ll_from_mac(const uint8_t mac[TE_ETH_ALEN], uint8_t addr[16]);

/* MLDv2 group record types (RFC 3810 §5.2.12) a report uses. */
enum {
	TE_MLD_MODE_IS_EXCLUDE = 2,   /* the answer to a general query */
	TE_MLD_CHANGE_TO_EXCLUDE = 4, /* an unsolicited join */
};

/* The most records te_link_mld_report() puts in a 1500-byte frame. */
#define TE_MLD_MAX_RECORDS 71u

/*
 * An MLDv2 report (RFC 3810 §5.2) joining the groups @groups (@n of them,
 * 16 bytes each, at most TE_MLD_MAX_RECORDS) with records of @type, from
 * @src_mac and @src_ip (a link-local address, or :: before one is valid,
 * §5.2.13), to ff02::16 at 33:33:00:00:00:16, hop limit 1 behind a
 * Hop-by-Hop header with Router Alert (RFC 2711), into @out (room @room),
 * its length into *@len. 0, or -EINVAL (no group, too many, no room).
 */
int te_link_mld_report(const uint8_t src_mac[TE_ETH_ALEN], const uint8_t src_ip[16],
		       const uint8_t (*groups)[16], size_t n, unsigned type, uint8_t *out,
		       size_t room, size_t *len);

/*
 * Whether @addr (of @family), inside a prefix of length @len, may be a host
 * of it: not the prefix's all-zeros host when it has room for one (IPv4
 * shorter than /31, IPv6 than /127), nor in IPv4 its all-ones one. The rule
 * of the responder's host sets (hostset.c).
 */
bool te_link_is_host_of(int family, const uint8_t *addr, unsigned len);

#endif

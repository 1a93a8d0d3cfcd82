/* SPDX-License-Identifier: MIT */
/*
 * tunecho: answer pings on Linux TUN interfaces from inside a libevent loop.
 *
 * ABI policy: the soname is libtunecho.so.MAJOR, the symbol version node
 * TUNECHO_MAJOR, and both change only when a program built against an
 * earlier header of the same MAJOR could break. Within a MAJOR a release
 * only adds: functions, enum values at the end (before a _COUNT-like
 * value, which then grows), and struct members at the end of the structs
 * the caller passes with their size (tunecho_stats(),
 * tunecho_config_add_iface()): the library reads and writes only the
 * bytes the caller's size covers, and what an old caller does not know is
 * left at its default. Counters by drop reason are read through
 * tunecho_drops() with the caller's number of reasons, for the same
 * reason. Structs the library hands out (struct tunecho_packet) only grow
 * at the end, and handlers never allocate them. The test suite builds a
 * program against the header of the previous release (tests/abi/) and
 * runs it against the library.
 *
 * Conventions of this header:
 *  - every function that can fail returns 0 (or a count) on success and a
 *    negative errno value on failure;
 *  - constructors are tunecho_x_new()/tunecho_x_load_*(); the matching
 *    tunecho_x_free() accepts NULL;
 *  - the library never prints, never exits and never installs signal
 *    handlers: it reports through the log function the caller sets;
 *  - one responder belongs to one thread, the thread running its event base.
 *    Distinct responders share nothing and may live in one process.
 */
#ifndef TUNECHO_H
#define TUNECHO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TUNECHO_EXPORT __attribute__((visibility("default")))
#else
#define TUNECHO_EXPORT
#endif

struct event_base;

/** A responder: TUN interfaces served on one libevent event base. */
struct tunecho;
/** A parsed configuration: global settings and a list of interfaces. */
struct tunecho_config;

/** The version of this header; tunecho_version() gives the library's. */
#define TUNECHO_VERSION_MAJOR 2
#define TUNECHO_VERSION_MINOR 1
#define TUNECHO_VERSION_PATCH 0

/**
 * Return the library version as "MAJOR.MINOR.PATCH". The string is static.
 */
TUNECHO_EXPORT const char *tunecho_version(void);

/* ------------------------------------------------------------------ */
/* Logging                                                            */
/* ------------------------------------------------------------------ */

/** Log levels; the values are syslog's, so they can be passed on as is. */
enum tunecho_log_level {
	TUNECHO_LOG_ERR = 3,
	TUNECHO_LOG_WARNING = 4,
	TUNECHO_LOG_NOTICE = 5,
	TUNECHO_LOG_INFO = 6,
	TUNECHO_LOG_DEBUG = 7,
};

/**
 * A log sink. @msg is one line without a trailing newline, valid only for
 * the duration of the call, cut at 511 bytes. Never called for a level
 * above the maximum the caller set. It is called on the thread that made
 * the call into the library (tunecho_add_config(), tunecho_reload(), ...)
 * or, for what happens while serving (a device lost, re-created,
 * restored), on the thread running the event base: with one responder per
 * thread, always that thread. The library never logs per packet; at
 * "debug" it says what each rtnetlink batch and reload step does.
 */
typedef void tunecho_log_fn(void *arg, enum tunecho_log_level level, const char *msg);

/**
 * Return the name of @level ("error", "warning", "notice", "info",
 * "debug"), or "?" for a value outside the enum.
 */
TUNECHO_EXPORT const char *tunecho_log_level_name(enum tunecho_log_level level);

/* ------------------------------------------------------------------ */
/* Configuration                                                      */
/* ------------------------------------------------------------------ */

/**
 * Parse the INI configuration file at @path (format: README, "Config
 * file"). Names, users and groups are resolved and every value checked
 * here, so a configuration that loads can only fail later for reasons the
 * kernel gives.
 *
 * @out:    receives the configuration, owned by the caller, released with
 *          tunecho_config_free(); untouched on failure.
 * @err:    on failure receives one line "PATH:LINE: what is wrong" (or
 *          "PATH: reason" when the file cannot be read), NUL-terminated and
 *          truncated to @errlen; may be NULL when @errlen is 0.
 *
 * Only a regular file of at most 16 MiB is read: it is opened without
 * blocking (a FIFO or a device never holds the caller up).
 *
 * Returns 0, -EINVAL for an invalid configuration or a path that is not a
 * regular file, -EISDIR for a directory, -EFBIG for a file over 16 MiB,
 * -ENOMEM, or the -errno of opening or reading the file.
 */
TUNECHO_EXPORT int tunecho_config_load_file(struct tunecho_config **out, const char *path,
					    char *err, size_t errlen);

/**
 * Like tunecho_config_load_file() for a configuration held in the
 * NUL-terminated string @text; errors read "LINE: what is wrong".
 */
TUNECHO_EXPORT int tunecho_config_load_string(struct tunecho_config **out, const char *text,
					      char *err, size_t errlen);

/**
 * One interface described by a program instead of a config file. New
 * members are added at the end; tunecho_config_add_iface() takes the size
 * the caller knows, and what lies beyond it keeps its default.
 */
struct tunecho_iface_settings {
	const char *name; /**< 1 to 15 of [A-Za-z0-9_.-] */
	/** NULL-terminated list of "ADDR[/LEN] [peer ADDR[/LEN]]", or NULL */
	const char *const *addresses;
	/** NULL-terminated list of "PREFIX[/LEN]" routed into it, or NULL */
	const char *const *routes;
	uint32_t mtu;	     /**< 0: leave the kernel's */
	uint32_t txqueuelen; /**< 0: leave the kernel's */
	const char *owner;   /**< user name or uid, NULL for none */
	const char *group;   /**< group name or gid, NULL for none */
	int persist;	     /**< non-zero: `persist = yes` */
	int attach;	     /**< non-zero: `attach = yes` */
	int recreate;	     /**< non-zero: `recreate = yes` */
	int restore;	     /**< non-zero: `restore = yes` */
	/** `profile = NAME`: the behaviour of all its hosts, a profile of @cfg
	 *  set before with tunecho_config_set_profile(); NULL for none */
	const char *profile;
	/* Since 2.1 (a caller built against 2.0 passes the smaller struct). */
	/** NULL-terminated list of "PREFIX[/LEN] [profile NAME]": the `hosts`
	 *  answered on the link (README, "TAP mode"), or NULL */
	const char *const *hosts;
	const char *mode;   /**< "tun" or "tap"; NULL: the config's default (tun) */
	const char *mac;    /**< "auto" or "XX:XX:XX:XX:XX:XX" (TAP); NULL: auto */
	const char *master; /**< a bridge for the TAP to join (TAP); NULL: none */
	int announce;	    /**< non-zero: `announce = yes` (TAP) */
};

/**
 * Create an empty configuration (no interfaces, log level info) to fill
 * with tunecho_config_add_iface(). Released with tunecho_config_free().
 * Returns 0, -EINVAL or -ENOMEM.
 */
TUNECHO_EXPORT int tunecho_config_new(struct tunecho_config **out);

/**
 * Append interface @s to @cfg, checked exactly as the config file's
 * section would be (same rules, same messages). @size is sizeof(*s): a
 * program built against an older header passes the smaller struct it
 * knows. The strings are copied; @s stays the caller's. On failure @cfg is
 * unchanged and @err receives "what is wrong" (no line number).
 * Returns 0, -EINVAL for a bad or duplicate setting (or a NULL @cfg or
 * @s, or a @size without the name), or -ENOMEM.
 */
TUNECHO_EXPORT int tunecho_config_add_iface(struct tunecho_config *cfg,
					    const struct tunecho_iface_settings *s, size_t size,
					    char *err, size_t errlen);

/**
 * Set key @key of behaviour profile @name (a `[profile:NAME]` section of
 * the config file, made when first named) to @value, checked as the file's
 * line would be (README, "Behaviour profiles"). Returns 0, -EINVAL with a
 * message in @err (@errlen bytes, may be 0), or -ENOMEM.
 */
TUNECHO_EXPORT int tunecho_config_set_profile(struct tunecho_config *cfg, const char *name,
					      const char *key, const char *value, char *err,
					      size_t errlen);

/**
 * The most interfaces one configuration may hold. Every interface costs an
 * open file descriptor, and stopping costs the kernel time per device.
 */
#define TUNECHO_MAX_IFACES 4096

/** Release @cfg. Accepts NULL. */
TUNECHO_EXPORT void tunecho_config_free(struct tunecho_config *cfg);

/** The `log-level` of the [global] section (TUNECHO_LOG_INFO when unset). */
TUNECHO_EXPORT enum tunecho_log_level tunecho_config_log_level(const struct tunecho_config *cfg);

/** 1 when [global] asks for `syslog = yes`, else 0. */
TUNECHO_EXPORT int tunecho_config_syslog(const struct tunecho_config *cfg);

/** The `busy-poll-us` of [global] (0 when unset): see tunecho_set_busy_poll(). */
TUNECHO_EXPORT unsigned tunecho_config_busy_poll_us(const struct tunecho_config *cfg);

/**
 * The `user` and `group` of [global]: the daemon's identity after set-up.
 * Returns 1 and fills *@uid and *@gid (the user's primary group when no
 * `group` was given) when `user` is set, else 0 and leaves them alone.
 */
TUNECHO_EXPORT int tunecho_config_user(const struct tunecho_config *cfg, uint32_t *uid,
				       uint32_t *gid);

/**
 * The `metrics` of [global] as written ("127.0.0.1:9125", "[::1]:9125",
 * "unix:/run/tunecho/metrics"; checked when the config was loaded), or
 * NULL when unset: where the daemon serves its HTTP endpoint. The string
 * belongs to @cfg.
 */
TUNECHO_EXPORT const char *tunecho_config_metrics(const struct tunecho_config *cfg);

/** 1 when [global] asks for `seccomp = yes` (the daemon's allow-list), else 0. */
TUNECHO_EXPORT int tunecho_config_seccomp(const struct tunecho_config *cfg);

/** The daemon's link group when [global] gives no `link-group`. */
#define TUNECHO_DEFAULT_LINK_GROUP 29797

/**
 * The `link-group` of [global] (TUNECHO_DEFAULT_LINK_GROUP when unset; 0
 * means none): see tunecho_set_link_group().
 */
TUNECHO_EXPORT uint32_t tunecho_config_link_group(const struct tunecho_config *cfg);

/** Reassembly defaults: Linux's ipfrag_high_thresh, ipfrag_time, ip6frag_time. */
#define TUNECHO_REASSEMBLY_MEMORY      (4u << 20)
#define TUNECHO_REASSEMBLY_TIMEOUT4_MS 30000u
#define TUNECHO_REASSEMBLY_TIMEOUT6_MS 60000u
/** Bounds of tunecho_set_reassembly() and the config keys. */
#define TUNECHO_REASSEMBLY_MEMORY_MIN	  (128u << 10)
#define TUNECHO_REASSEMBLY_MEMORY_MAX	  (1024u << 20)
#define TUNECHO_REASSEMBLY_TIMEOUT_MAX_MS 600000u

/**
 * The `reassembly-memory` and `reassembly-timeout` of [global] (the
 * defaults above when unset): see tunecho_set_reassembly().
 */
TUNECHO_EXPORT void tunecho_config_reassembly(const struct tunecho_config *cfg, size_t *memory,
					      unsigned *timeout4_ms, unsigned *timeout6_ms);

/** Number of interfaces (sections other than [global]) in @cfg. */
TUNECHO_EXPORT size_t tunecho_config_iface_count(const struct tunecho_config *cfg);

/* ------------------------------------------------------------------ */
/* Packets, handlers and statistics                                   */
/* ------------------------------------------------------------------ */

/** Why a packet was not answered. Names: tunecho_drop_reason_name(). */
enum tunecho_drop_reason {
	TUNECHO_DROP_NOT_IP,	      /**< "not_ip": empty, or IP version neither 4 nor 6 */
	TUNECHO_DROP_TRUNCATED,	      /**< "truncated": fewer bytes than the headers claim */
	TUNECHO_DROP_BAD_HEADER,      /**< "bad_header": IHL < 5, lengths inconsistent */
	TUNECHO_DROP_BAD_IP_CHECKSUM, /**< "bad_ip_checksum": IPv4 header checksum wrong */
	/** "fragment": a fragment reassembly refuses: inconsistent ends, a non-final
	 *  piece too short or (IPv6) not a multiple of 8, an IPv6 first fragment
	 *  without the whole ICMPv6 header */
	TUNECHO_DROP_FRAGMENT,
	TUNECHO_DROP_BAD_OPTIONS, /**< "bad_options": malformed IPv4 options */
	TUNECHO_DROP_BAD_SOURCE,  /**< "bad_source": unspecified, multicast, broadcast, loopback */
	TUNECHO_DROP_BAD_DESTINATION, /**< "bad_destination": multicast, broadcast, unspecified */
	TUNECHO_DROP_NOT_ICMP,	      /**< "not_icmp": another transport protocol */
	/** "ext_header": an IPv6 extension header refused: Hop-by-Hop not first,
	 *  an option whose type says discard, malformed, or one not walked (AH...) */
	TUNECHO_DROP_EXT_HEADER,
	TUNECHO_DROP_BAD_ICMP_CHECKSUM, /**< "bad_icmp_checksum" */
	TUNECHO_DROP_NOT_ECHO,		/**< "not_echo": ICMP error, echo reply, any other type */
	TUNECHO_DROP_BAD_CODE,		/**< "bad_code": echo request with a code other than 0 */
	TUNECHO_DROP_UNHANDLED,		/**< "unhandled": IP, but no handler took it */
	TUNECHO_DROP_HANDLER,		/**< "handler": dropped by a custom handler */
	/** "reasm_timeout": a datagram not whole within reassembly-timeout (counted once) */
	TUNECHO_DROP_REASM_TIMEOUT,
	/** "reasm_overlap": fragments overlapped (RFC 5722): the datagram dropped */
	TUNECHO_DROP_REASM_OVERLAP,
	/** "reasm_evicted": an incomplete datagram evicted for reassembly-memory */
	TUNECHO_DROP_REASM_EVICTED,
	/** "reasm_oversize": fragments of a datagram over 65535 bytes */
	TUNECHO_DROP_REASM_OVERSIZE,
	/** "source_route": IPv4 LSRR/SSRR, IPv6 Routing header with segments left */
	TUNECHO_DROP_SOURCE_ROUTE,
	/** "bad_reply": a handler answered with more than pkt->room bytes, or more
	 *  than an IP datagram holds: the handler's fault, nothing written */
	TUNECHO_DROP_BAD_REPLY,
	/** "lost": a behaviour profile's loss model lost the request (README,
	 *  "Behaviour profiles"); like the four below, not a bad packet */
	TUNECHO_DROP_LOST,
	/** "down": the destination's profile says down = yes */
	TUNECHO_DROP_DOWN,
	/** "rate_limited": over the profile's rate-limit for that host */
	TUNECHO_DROP_RATE_LIMITED,
	/** "flapped": in the down phase of the profile's flap */
	TUNECHO_DROP_FLAPPED,
	/** "queue_full": a delayed reply with no room in the delay store
	 *  ([global] max-delayed) */
	TUNECHO_DROP_QUEUE_FULL,
	/* Since 2.1. */
	/** "not_a_host": on a TUN with `hosts` lines, to none of its hosts */
	TUNECHO_DROP_NOT_A_HOST,
	/* TAP mode's link layer (README, "TAP mode"), since 2.1: */
	/** "not_for_us": a frame to another MAC, or to a group it need not hear */
	TUNECHO_DROP_NOT_FOR_US,
	/** "vlan": an 802.1Q or 802.1ad tag (the TAP is untagged) */
	TUNECHO_DROP_VLAN,
	/** "runt": shorter than its headers (Ethernet's 14, ARP's 28, IP's) */
	TUNECHO_DROP_RUNT,
	/** "unknown_ethertype": not IPv4, ARP or IPv6 (802.3 lengths included) */
	TUNECHO_DROP_UNKNOWN_ETHERTYPE,
	/** "bad_source_mac": a multicast or all-zero Ethernet source */
	TUNECHO_DROP_BAD_SOURCE_MAC,
	/** "bad_ip": the IP version disagrees with the EtherType */
	TUNECHO_DROP_BAD_IP,
	/** "bad_arp": not Ethernet/IPv4, not a request, a bad sender */
	TUNECHO_DROP_BAD_ARP,
	/** "arp_not_ours": ARP for the device's own address or no simulated host */
	TUNECHO_DROP_ARP_NOT_OURS,
	/** "bad_ndp": a Neighbor Solicitation RFC 4861 §7.1.1 says to discard */
	TUNECHO_DROP_BAD_NDP,
	/** "ndp_not_ours": an NS for the device's own address or no simulated host */
	TUNECHO_DROP_NDP_NOT_OURS,
	/** "ndp_other": router solicitations and advertisements, NAs, redirects,
	 *  MLD, any other ICMPv6 to a group */
	TUNECHO_DROP_NDP_OTHER,
	/** number of reasons this header knows, not a reason; the library may
	 *  know more (tunecho_drops()) */
	TUNECHO_DROP_REASONS
};

/**
 * Return the stable, lower-case name of @reason (used in logs and
 * statistics), or "?" for a value outside the enum.
 */
TUNECHO_EXPORT const char *tunecho_drop_reason_name(enum tunecho_drop_reason reason);

/** What a handler decided about a packet. */
enum tunecho_verdict {
	TUNECHO_PASS,	/**< not mine: hand the packet to the next handler */
	TUNECHO_ANSWER, /**< the buffer now holds a reply of pkt->len bytes: write it */
	TUNECHO_DROP,	/**< do not answer; count it under pkt->reason */
};

/**
 * One datagram as a handler sees it: always whole. Fragments are
 * reassembled before the chain runs (and counted, not shown, while they
 * wait); the IPv6 extension headers the library walked (Hop-by-Hop,
 * Destination Options, a Routing header with no segments left, Fragment)
 * are removed, so an IPv6 header is followed by the upper-layer header;
 * IPv4 options are left in the header. IPv4 broadcasts of the link never
 * reach the chain.
 *
 * @data may be rewritten in place, up to @room bytes (65536 for a
 * datagram read whole, less the extension headers removed; 65575 for one
 * reassembled; never less than @len); @data has no particular alignment.
 * @len is the datagram's length and, on TUNECHO_ANSWER, the reply's, which
 * may use all of @room: a reply bigger than the interface's MTU is written in
 * fragments by the library (IPv4 ones with DF clear). A handler that
 * passes may set @reason to say why: when no handler answers, the packet
 * is counted under the last reason set.
 */
struct tunecho_packet {
	uint8_t *data;
	size_t len;
	size_t room;
	enum tunecho_drop_reason reason;
	const char *ifname; /**< the interface it came in on (read only) */
	int ifindex;	    /**< its kernel interface index */
};

/**
 * A packet handler: look at @pkt and decide. Called on the event base's
 * thread for every packet read, in chain order, until one answers or
 * drops. It must not block, and must not add or remove handlers or
 * interfaces, or free the responder, from inside the call. @arg is the
 * pointer given to tunecho_add_handler().
 */
typedef enum tunecho_verdict tunecho_handler_fn(void *arg, struct tunecho_packet *pkt);

/**
 * Counters of one interface, or totals over all of them; read with
 * tunecho_stats(). New counters are added at the end only.
 */
struct tunecho_stats {
	uint64_t rx_packets;   /**< packets read from the device */
	uint64_t rx_bytes;     /**< their bytes */
	uint64_t replies;      /**< replies written (a fragmented one counts once) */
	uint64_t tx_bytes;     /**< their bytes */
	uint64_t write_errors; /**< replies the device refused */
	uint64_t dropped;      /**< datagrams not answered, all reasons (tunecho_drops()) */
	uint64_t rx_fragments; /**< of rx_packets, fragments (held for reassembly) */
	uint64_t reassembled;  /**< datagrams made whole from fragments */
	uint64_t tx_fragments; /**< fragments written for replies over the MTU */
	/* Since 2.1: TAP mode (README, "TAP mode"). Frames the library answers
	 * itself; like echo replies they are not among the drops. */
	uint64_t arp_replies;	/**< ARP replies and defences of a host's address */
	uint64_t na_sent;	/**< Neighbor Advertisements, solicited or defending */
	uint64_t announcements; /**< gratuitous ARPs and NAs of `announce = yes` */
	uint64_t defences_held; /**< defences RFC 5227 held back (one per 10 s per address) */
};

/* ------------------------------------------------------------------ */
/* The responder                                                      */
/* ------------------------------------------------------------------ */

/**
 * Create a responder on the caller's event base @base, with the built-in
 * ICMPv4 and ICMPv6 echo handlers and no interfaces.
 *
 * @out:  receives the responder, released with tunecho_free().
 * @base: borrowed; must outlive the responder. The library adds its events
 *        to it but never runs, breaks or frees it. Behaviour profiles
 *        delay replies with a timerfd of the responder's own, set to
 *        absolute times and read on @base: their accuracy (tens of
 *        microseconds) needs no flag of the base, EVENT_BASE_FLAG_PRECISE_TIMER
 *        included. A callback of the caller's that holds the loop up holds
 *        the due replies up as long.
 *
 * Returns 0, -EINVAL when an argument is NULL, -ENOMEM, or the -errno of
 * opening the rtnetlink socket.
 */
TUNECHO_EXPORT int tunecho_new(struct tunecho **out, struct event_base *base);

/**
 * Stop serving and undo everything the responder set up: interfaces it
 * created are deleted; from persistent and attached interfaces the
 * addresses and routes it added are removed. A persistent device is left
 * administratively down (as the kernel makes a TUN device: it serves
 * nothing until the next start takes it back and sets it up). An attached
 * device is put back as it was found: up or down, its MTU and queue
 * length, and without the IPv6 link-local address the kernel gave it
 * while served. The same holds for tunecho_remove_iface() and for a failed
 * tunecho_add_config(). Accepts NULL. Must not be called from inside one
 * of the responder's own callbacks.
 */
TUNECHO_EXPORT void tunecho_free(struct tunecho *t);

/**
 * Send log lines of level @max or more severe to @fn with @arg. Without a
 * log function (the default, or @fn NULL) the library is silent.
 */
TUNECHO_EXPORT void tunecho_set_log_fn(struct tunecho *t, tunecho_log_fn *fn, void *arg,
				       enum tunecho_log_level max);

/**
 * Create (or attach to) every interface of @cfg, configure it over
 * rtnetlink and start answering on it. All or nothing: on failure one
 * error line naming the interface, the request and the kernel's reason is
 * logged, and whatever this call set up is undone. @cfg is only read and
 * may be freed afterwards.
 *
 * The keys of @cfg's [global] that belong to the responder are applied
 * when the configuration gives them: busy-poll-us, link-group,
 * reassembly-memory and reassembly-timeout (as the tunecho_set_*()
 * functions would). The others are the daemon's and ignored here:
 * log-level, syslog, user, group, seccomp, metrics.
 *
 * Returns the number of interfaces added, -EINVAL for a NULL argument,
 * -EEXIST when an interface of that name already exists and the
 * configuration does not say `attach = yes` (or when the responder
 * already serves it), or the -errno of the first failing step (-EPERM
 * without CAP_NET_ADMIN; -EACCES when the mode of /dev/net/tun does not
 * let the caller open it, as for a non-root caller on a host whose node
 * is 0600; -ENOENT without /dev/net/tun, ...): tunecho_last_error() says
 * which step.
 */
TUNECHO_EXPORT int tunecho_add_config(struct tunecho *t, const struct tunecho_config *cfg);

/**
 * Stop serving interface @name and undo what the responder set up for it,
 * as tunecho_free() does for all. The other interfaces keep running.
 * Returns 0, or -ENOENT when the responder holds no such interface.
 */
TUNECHO_EXPORT int tunecho_remove_iface(struct tunecho *t, const char *name);

/** What tunecho_reload() did, interface by interface. */
struct tunecho_reload_result {
	size_t added;	  /**< in @cfg only: created (or attached) and serving */
	size_t removed;	  /**< served before, not in @cfg: stopped and undone */
	size_t changed;	  /**< in both, with different settings */
	size_t unchanged; /**< in both, identical: not touched at all */
};

/**
 * Make the responder serve exactly the interfaces of @cfg, as a difference
 * from what it serves now: new interfaces are added, those @cfg no longer
 * names are removed, and changed ones are updated in place (addresses,
 * routes, MTU, txqueuelen, recreate, restore) without a new device.
 * Interfaces whose settings are identical are not touched and keep
 * answering; their packets wait in the device queue while this runs. A
 * change of owner, group, persist or attach makes that device anew.
 * Of @cfg's [global], busy-poll-us and reassembly-* are applied when given
 * (link-group is not: devices already in a group stay in it).
 *
 * All or nothing as far as the kernel lets it be: new interfaces, new
 * addresses and routes and MTU changes come first, and if one is refused
 * they are undone and the running state stays as it was. Logs one line
 * per interface added, removed or changed, and
 * "reloaded: A added, R removed, C changed, U unchanged".
 *
 * @res:   receives the counts (may be NULL); set when 0 or -EIO is returned.
 * Returns 0; -EINVAL for a NULL @t or @cfg; the -errno of a refused step
 * (nothing changed); -ENOMEM; or -EIO when everything was applied except
 * the re-creation of a device whose owner, group, persist or attach
 * changed (logged; that interface is gone).
 */
TUNECHO_EXPORT int tunecho_reload(struct tunecho *t, const struct tunecho_config *cfg,
				  struct tunecho_reload_result *res);

/** What tunecho_event_fn is told about. New kinds are added at the end. */
enum tunecho_event_kind {
	TUNECHO_EVENT_SERVING,	 /**< an interface added (start or reload) and serving */
	TUNECHO_EVENT_CHANGED,	 /**< a reload changed an interface in place */
	TUNECHO_EVENT_REMOVED,	 /**< an interface removed (reload or tunecho_remove_iface()) */
	TUNECHO_EVENT_LOST,	 /**< its device was deleted or failed: no longer serving */
	TUNECHO_EVENT_RECREATED, /**< `recreate = yes` made a lost device again: serving */
	TUNECHO_EVENT_RESTORED,	 /**< `restore = yes` undid a change by someone else */
	TUNECHO_EVENT_DISTURBED, /**< someone else set it down or removed an address (no restore) */
	TUNECHO_EVENT_RELOADED,	 /**< tunecho_reload() applied a configuration (@ifname NULL) */
};

/** One event: what happened, to which interface, in the words of the log line. */
struct tunecho_event {
	enum tunecho_event_kind kind;
	const char *ifname;  /**< the interface, or NULL for the responder as a whole */
	const char *message; /**< the log line saying it (logged too, at its level) */
};

/**
 * An event sink, called on the event base's thread (or the caller's, inside
 * tunecho_add_config(), tunecho_reload() and tunecho_remove_iface()); the
 * event and its strings are valid only during the call. It must not call
 * back into the responder but for the read-back functions.
 */
typedef void tunecho_event_fn(void *arg, const struct tunecho_event *ev);

/**
 * Send events to @fn with @arg (NULL: none, the default). Every event is
 * also a log line: the log is the events' text.
 */
TUNECHO_EXPORT void tunecho_set_event_fn(struct tunecho *t, tunecho_event_fn *fn, void *arg);

/**
 * The last error line the responder logged, whatever the log level or log
 * function: after a failing tunecho_add_config() or tunecho_reload(), the
 * interface, the step and the kernel's message ("te0: adding address ...
 * failed: File exists (kernel: ...)"). "" when there was none. Valid until
 * the next call into the responder.
 */
TUNECHO_EXPORT const char *tunecho_last_error(const struct tunecho *t);

/** The most handlers a chain holds, the two built-ins included. */
#define TUNECHO_MAX_HANDLERS 16

/** Where tunecho_add_handler() puts a handler in the chain. */
enum tunecho_handler_position {
	TUNECHO_HANDLER_FIRST, /**< before the built-in echo handlers */
	TUNECHO_HANDLER_LAST,  /**< after them: sees what they passed on */
};

/** The built-in handlers, for tunecho_set_builtin(). */
enum tunecho_builtin {
	TUNECHO_BUILTIN_ICMP4_ECHO,
	TUNECHO_BUILTIN_ICMP6_ECHO,
};

/**
 * Add @fn to the chain of @t. Handlers added with TUNECHO_HANDLER_FIRST
 * run in the order added, all before the built-in ones; those added with
 * TUNECHO_HANDLER_LAST run in the order added, after them. The built-ins
 * pass (with a reason set) everything that is not an echo request of
 * their family, so a LAST handler sees UDP, TCP, other ICMP types...
 * @arg is passed to @fn as is and stays the caller's. The same @fn with
 * the same @arg is in the chain at most once.
 *
 * Each handler starts with pkt->reason at "unhandled" ("not_ip" for a
 * packet neither IPv4 nor IPv6), or at the reason an earlier handler set
 * when passing. A handler that drops without setting a reason of its own,
 * or returns a value outside enum tunecho_verdict, is counted under
 * "handler"; one that answers with more than pkt->room bytes under
 * "bad_reply" (nothing is written).
 *
 * Returns 0, -EINVAL for a NULL @t or @fn or a bad @pos, -EEXIST when
 * @fn and @arg are already in the chain, -ENOSPC when the chain is full
 * (TUNECHO_MAX_HANDLERS in all, the two built-ins included).
 */
TUNECHO_EXPORT int tunecho_add_handler(struct tunecho *t, tunecho_handler_fn *fn, void *arg,
				       enum tunecho_handler_position pos);

/**
 * Remove the handler added with @fn and @arg. Returns 0 or -ENOENT.
 */
TUNECHO_EXPORT int tunecho_remove_handler(struct tunecho *t, tunecho_handler_fn *fn, void *arg);

/**
 * Turn a built-in handler off (@enabled 0) or back on. Both are on after
 * tunecho_new(). Returns 0 or -EINVAL.
 */
TUNECHO_EXPORT int tunecho_set_builtin(struct tunecho *t, enum tunecho_builtin which, int enabled);

/**
 * Put the devices the responder creates (and does not make persistent)
 * into link group @group (0, the default: none). Stopping then deletes
 * them all with one rtnetlink request, after a dump has shown the group
 * holds nothing else; one by one they would cost the kernel a wait each
 * (about 18 ms: 18 s for a thousand). A group shared with devices tunecho
 * did not create makes it fall back to one by one, and say so. Give each
 * responder of a process its own group. Returns 0 or -EINVAL.
 */
TUNECHO_EXPORT int tunecho_set_link_group(struct tunecho *t, uint32_t group);

/** The largest busy-poll time tunecho_set_busy_poll() takes, in µs. */
#define TUNECHO_BUSY_POLL_MAX_US 100000

/**
 * Busy polling (0, the default: off). After a packet, the responder keeps
 * reading that interface, without sleeping, until it has been quiet for
 * @usec microseconds; a closed-loop client (one request in flight) then
 * never waits for the responder to wake up. It costs a core while traffic
 * flows and nothing when idle. Every 2 ms of spinning the event loop gets
 * control back, so signals and other events are never held up for long.
 * Returns 0, or -EINVAL for a NULL @t or @usec above
 * TUNECHO_BUSY_POLL_MAX_US.
 */
TUNECHO_EXPORT int tunecho_set_busy_poll(struct tunecho *t, unsigned usec);

/**
 * Limits of fragment reassembly, for all interfaces of @t together,
 * applied at once to what is held: @memory bytes held at most (buffers
 * and bookkeeping; when a fragment would go over, the oldest incomplete
 * datagrams are evicted, where Linux would refuse the new one), and how
 * long a datagram may take to be whole, counted from its first fragment:
 * @timeout4_ms for IPv4, @timeout6_ms for IPv6. Defaults as Linux's:
 * TUNECHO_REASSEMBLY_MEMORY, TUNECHO_REASSEMBLY_TIMEOUT4_MS and _6_MS.
 * Returns 0, or -EINVAL for a NULL @t or a value outside the bounds above.
 */
TUNECHO_EXPORT int tunecho_set_reassembly(struct tunecho *t, size_t memory, unsigned timeout4_ms,
					  unsigned timeout6_ms);

/** How an interface's device came to be (tunecho_iface_kind()). */
enum tunecho_iface_kind {
	TUNECHO_IFACE_CREATED,	  /**< created by the responder, deleted with it */
	TUNECHO_IFACE_PERSISTENT, /**< created (or taken back) persistent: outlives it */
	TUNECHO_IFACE_ATTACHED,	  /**< an existing device it attached to: outlives it */
};

/**
 * The position of interface @name among tunecho_iface_count(), for the
 * functions below taking an index; -ENOENT when the responder holds no
 * such interface, -EINVAL for a NULL argument. Positions are the order of
 * adding and shift down when an interface before is removed.
 */
TUNECHO_EXPORT int tunecho_iface_find(const struct tunecho *t, const char *name);

/** The kernel's index of interface number @index's device, or -ERANGE. */
TUNECHO_EXPORT int tunecho_iface_ifindex(const struct tunecho *t, size_t index);

/** The enum tunecho_iface_kind of interface number @index, or -ERANGE. */
TUNECHO_EXPORT int tunecho_iface_kind(const struct tunecho *t, size_t index);

/** 1 while interface number @index is being served, 0 once lost, or -ERANGE. */
TUNECHO_EXPORT int tunecho_iface_serving(const struct tunecho *t, size_t index);

/** The MTU replies of interface number @index are cut to (the kernel's), or -ERANGE. */
TUNECHO_EXPORT int tunecho_iface_mtu(const struct tunecho *t, size_t index);

/** Number of interfaces the responder holds (serving or failed). */
TUNECHO_EXPORT size_t tunecho_iface_count(const struct tunecho *t);

/**
 * Name of interface number @index (0-based, in the order added), or NULL
 * when @index is out of range. Valid until the interface is removed.
 */
TUNECHO_EXPORT const char *tunecho_iface_name(const struct tunecho *t, size_t index);

/**
 * 1 when interface number @index outlives the responder (a persistent
 * device it created, or a device it attached to): removing what was added
 * to it at the end needs CAP_NET_ADMIN. 0 when the device goes away with
 * the responder, or @index is out of range.
 */
TUNECHO_EXPORT int tunecho_iface_outlives(const struct tunecho *t, size_t index);

/**
 * Copy the counters of interface number @index into @out, of @size bytes:
 * pass sizeof(*out), so that a program built against an older header gets
 * the members it knows and no more. With @index equal to
 * tunecho_iface_count(), copy the totals: over the interfaces served now
 * and every interface removed before (totals never go down). Indices
 * shift down when an interface before them is removed: look one up by
 * name with tunecho_iface_find().
 * Returns 0, -EINVAL for a NULL @t or @out or a @size too small for the
 * first member, or -ERANGE for an @index past the totals.
 */
TUNECHO_EXPORT int tunecho_stats(const struct tunecho *t, size_t index, struct tunecho_stats *out,
				 size_t size);

/**
 * Copy the counters by drop reason of interface number @index (or the
 * totals, as tunecho_stats()) into @out, for the @n first reasons: pass
 * TUNECHO_DROP_REASONS. Reasons the library does not know are set to 0.
 * Returns the number of reasons the library knows (which may be more than
 * @n: their names come from tunecho_drop_reason_name()), -EINVAL for a
 * NULL @t or a NULL @out with @n > 0, or -ERANGE.
 */
TUNECHO_EXPORT int tunecho_drops(const struct tunecho *t, size_t index, uint64_t *out, size_t n);

/**
 * Render the counters of every interface and the totals as one line of
 * JSON (format: README, "Statistics") into @buf, NUL-terminated and
 * truncated to @size like snprintf(); @buf may be NULL when @size is 0.
 * Returns the length of the whole JSON text (excluding the NUL): call
 * once with size 0 to learn it. Returns -EINVAL for a NULL @t.
 */
TUNECHO_EXPORT int tunecho_stats_json(const struct tunecho *t, char *buf, size_t size);

/**
 * Render the same counters in the Prometheus text format 0.0.4 (what an
 * HTTP server sends for GET /metrics, with Content-Type
 * "text/plain; version=0.0.4") into @buf, NUL-terminated and truncated to
 * @size like snprintf(); @buf may be NULL when @size is 0. Metrics
 * (README, "Operating it"): tunecho_build_info, and per interface
 * (label "interface") tunecho_interface_serving and the counters
 * tunecho_received_packets_total, tunecho_received_bytes_total,
 * tunecho_replies_total, tunecho_sent_bytes_total,
 * tunecho_write_errors_total, tunecho_received_fragments_total,
 * tunecho_reassembled_datagrams_total, tunecho_sent_fragments_total and
 * tunecho_dropped_packets_total (labels "interface" and "reason", every
 * reason of tunecho_drop_reason_name()), all present from the start at 0;
 * and the responder's gauges tunecho_reassembly_memory_bytes and
 * tunecho_reassembly_pending_datagrams. No process_* metrics: those are the
 * process's to add. Returns the length of the whole text (excluding the
 * NUL), or -EINVAL for a NULL @t.
 */
TUNECHO_EXPORT int tunecho_stats_prometheus(const struct tunecho *t, char *buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* TUNECHO_H */

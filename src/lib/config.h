/* SPDX-License-Identifier: MIT */
/* The parsed configuration, as the rest of the library reads it. */
#ifndef TE_CONFIG_H
#define TE_CONFIG_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "profile.h"
#include "tunecho.h"

/* The longest profile name ([profile:NAME]). */
#define TE_PROFILE_NAME_MAX 63

/* An address with its prefix length, IPv4 or IPv6. */
struct te_prefix {
	int family; /* AF_INET or AF_INET6 */
	uint8_t len;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} addr;
};

/* One `address =` line: a local address and, optionally, its peer. */
struct te_address {
	struct te_prefix local;
	struct te_prefix peer;
	bool has_peer;
};

/* What to do when someone else changes an interface under us. */
struct te_watch {
	bool recreate;	   /* deleted: create and configure it again */
	bool restore;	   /* set down, or an address of ours removed: undo it */
	bool recreate_set; /* given in the section (else [global]'s applies) */
	bool restore_set;
};

/* A prefix whose hosts behave as a profile: from `address`, `route`, `hosts`. */
struct te_profile_ref {
	struct te_prefix prefix; /* host bits clear */
	uint32_t profile;	 /* index into the interface config's profiles[] */
	int line;		 /* where it was given (0: not from a file) */
};

struct te_iface_config {
	char name[IFNAMSIZ];
	struct te_address *addrs;
	size_t n_addrs;
	struct te_prefix *routes;
	size_t n_routes;
	uint32_t mtu;	 /* 0: leave the kernel's */
	uint32_t txqlen; /* 0: leave the kernel's */
	int64_t owner;	 /* -1: unset */
	int64_t group;	 /* -1: unset */
	bool persist;
	bool attach;
	struct te_watch watch;
	/* `hosts =` lines: addresses answered on the link (on a TUN device a
	 * carrier of profiles only: what the kernel routes in is answered). */
	struct te_prefix *hosts;
	size_t n_hosts;
	/* Profiles (issue 15): copies of those the interface uses, the
	 * interface's own (`profile =`, -1: none) and the prefixes that
	 * carry one. While parsing, indices are into tunecho_config's. */
	struct te_profile *profiles;
	char (*profile_names)[TE_PROFILE_NAME_MAX + 1];
	size_t n_profiles;
	int32_t profile;
	struct te_profile_ref *prefs;
	size_t n_prefs;
	/* TAP mode (issue 14): Ethernet frames, ARP and neighbour discovery. */
	bool tap;	       /* mode = tap */
	bool mode_set;	       /* mode given in the section (else [global]'s) */
	bool announce;	       /* announce = yes */
	bool announce_set;     /* given in the section (else [global]'s) */
	bool mac_fixed;	       /* mac = XX:..: every host answers from mac */
	uint8_t mac[6];	       /* that MAC */
	char master[IFNAMSIZ]; /* master = BRIDGE to join; "" none */
	int tap_line;	       /* the first key only a TAP takes (mac, master, announce) */
};

/* One [profile:NAME] section. */
struct te_named_profile {
	char name[TE_PROFILE_NAME_MAX + 1];
	struct te_profile p;
	int line;     /* of its section; 0: only named by a reference so far */
	int ref_line; /* the first reference to it */
};

struct tunecho_config {
	enum tunecho_log_level log_level;
	bool syslog;
	bool seccomp;
	unsigned busy_poll_us;
	uint32_t link_group;
	unsigned given;		    /* TE_GIVEN_*: responder-wide keys [global] sets */
	size_t reasm_memory;	    /* reassembly-memory, 0: the default */
	unsigned reasm_timeout4_ms; /* reassembly-timeout, 0: the default */
	unsigned reasm_timeout6_ms;
	int64_t user;	       /* [global] user: uid to run as after set-up, -1: stay */
	int64_t user_gid;      /* its primary group, -1: unknown */
	int64_t group;	       /* [global] group, else the user's primary group */
	struct te_watch watch; /* [global]'s defaults */
	char metrics[128];     /* [global] metrics, as written; "" when unset */
	struct te_iface_config *ifaces;
	size_t n_ifaces;
	struct te_named_profile *profiles; /* [profile:NAME] sections */
	size_t n_profiles;
	uint64_t seed; /* [global] seed, when seed_given */
	bool seed_given;
	size_t max_delayed; /* [global] max-delayed, 0: the default */
	bool tap;	    /* [global] mode = tap: the default of every interface */
	bool announce;	    /* [global] announce */
};

/* The [global] keys that belong to the responder, when a config gives them. */
enum {
	TE_GIVEN_BUSY_POLL = 1 << 0,
	TE_GIVEN_LINK_GROUP = 1 << 1,
	TE_GIVEN_REASSEMBLY = 1 << 2,
	TE_GIVEN_MAX_DELAYED = 1 << 3,
};

/*
 * The delay store's bounds: max-delayed replies held at once, and the
 * memory that implies, TE_DELAYED_BYTES_EACH bytes of te_delay_cost() a
 * reply on average (a 1500-byte reply costs 1540): 64 MiB for the default.
 */
#define TE_MAX_DELAYED_DEFAULT 32768u
#define TE_MAX_DELAYED_MAX     10000000u
#define TE_DELAYED_BYTES_EACH  2048u

/* The section name of the profiles, and the longest profile name. */
#define TE_PROFILE_SECTION "profile:"

/* Bytes of an address of @family (AF_INET or AF_INET6). */
static inline size_t te_addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

/* Whether @p is the address @bytes of @family, whatever its length. */
static inline bool te_same_address(const struct te_prefix *p, int family, const void *bytes)
{
	return p->family == family && !memcmp(p->addr.bytes, bytes, te_addr_len(family));
}

/* Deep-copy @src into @dst (which is overwritten). Returns 0 or -ENOMEM. */
int te_iface_config_copy(struct te_iface_config *dst, const struct te_iface_config *src);

/* Free what @ic holds and zero it. */
void te_iface_config_clear(struct te_iface_config *ic);

bool te_prefix_equal(const struct te_prefix *a, const struct te_prefix *b);

/* Whether @a and @b give the same profiles to the same prefixes and hosts. */
bool te_iface_profiles_equal(const struct te_iface_config *a, const struct te_iface_config *b);
bool te_address_equal(const struct te_address *a, const struct te_address *b);

/* Write @p as "ADDR/LEN" into @buf (INET6_ADDRSTRLEN + 4 bytes suffice). */
void te_prefix_format(const struct te_prefix *p, char *buf, size_t size);

/* Write @a as "ADDR/LEN" or "ADDR peer ADDR/LEN" into @buf. */
void te_address_format(const struct te_address *a, char *buf, size_t size);

/*
 * The largest configuration file read (16 MiB): ample for 4096 interfaces
 * with hundreds of thousands of addresses, and a bound on what a reload
 * may hold the loop for.
 */
#define TE_CONFIG_MAX_BYTES (16u << 20)

#define TE_PREFIX_STRLEN  (INET6_ADDRSTRLEN + 4)
#define TE_ADDRESS_STRLEN (2 * TE_PREFIX_STRLEN + 8)

#endif

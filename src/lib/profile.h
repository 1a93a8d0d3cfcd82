/* SPDX-License-Identifier: MIT */
/*
 * Behaviour profiles: what a simulated host does with a reply the handlers
 * made (issue 15). A profile is the parsed keys of one [profile:NAME]
 * section; te_profile_decide() turns it, the per-host state and the time
 * into a verdict: send now, send at a time (twice when duplicated), answer
 * with an ICMP unreachable, or drop for a named reason.
 *
 * Pure: no I/O, no clock, no globals. The time (nanoseconds of any
 * monotonic clock) and the random numbers (rng.h) are passed in, so a
 * fixed `[global] seed` replays every choice. The per-host state is a
 * small plain struct without pointers: whoever keeps the hosts (one table
 * per responder, or per worker of a multi-queue responder: a host's
 * requests all reach one worker when the queues are hashed by address)
 * owns it; a zeroed struct is a host never seen.
 */
#ifndef TE_PROFILE_H
#define TE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rng.h"

#define TE_NS_PER_S	      1000000000ull
#define TE_PROFILE_MAX_DELAY  (10 * TE_NS_PER_S)    /* delay and jitter: 0 to 10 s */
#define TE_PROFILE_MAX_FLAP   (86400 * TE_NS_PER_S) /* each flap phase: 1 ms to a day */
#define TE_PROFILE_MIN_FLAP   1000000ull
#define TE_PROFILE_PPB	      1000000000u /* probabilities: parts per billion, 100 % */
#define TE_PROFILE_MAX_BURST  10000u	  /* loss burst: mean run of 1 to 10000 losses */
#define TE_PROFILE_MAX_RATE   10000000u	  /* rate-limit: 1 to 10^7 replies/s */
#define TE_PROFILE_MAX_BUCKET 10000000u	  /*   and a bucket of 1 to 10^7 */
#define TE_PROFILE_TTL	      64u	  /* the default TTL / hop limit */

/* The jitter's distribution, as netem's (tc-netem(8)). */
enum te_dist {
	TE_DIST_UNIFORM, /* default */
	TE_DIST_NORMAL,
	TE_DIST_PARETO,
	TE_DIST_PARETONORMAL,
};

struct te_profile {
	uint64_t delay_ns;  /* "delay": added before the reply leaves, 0 to 10 s */
	uint64_t jitter_ns; /* "jitter": the spread around it, 0 to 10 s */
	enum te_dist dist;  /* "distribution" */

	/* "loss = L% [burst B]": L in parts per billion; B the mean run of
	 * losses in hundredths (100 = 1.00, the default: independent losses). */
	uint32_t loss_ppb;
	uint32_t burst_x100;
	double ge_p, ge_r; /* derived: Gilbert-Elliott good->bad and bad->good */

	uint32_t duplicate_ppb; /* "duplicate = D%" */
	uint8_t ttl;		/* "ttl": 1 to 255, default 64 */

	/* "rate-limit = R/s [burst B]": 0 = none. */
	uint32_t rate;
	uint32_t bucket;
	uint64_t gcra_t_ns, gcra_tau_ns;     /* derived: emission interval, tolerance */
	uint32_t gcra_t_frac, gcra_tau_frac; /*   and their fractions, in 1/rate ns */

	bool keep_order;	/* "keep-order" */
	bool down;		/* "down" */
	bool unreachable;	/* "unreachable" */
	int unreachable_family; /* "unreachable-from": AF_INET, AF_INET6, 0 = default */
	uint8_t unreachable_from[16];

	/* "flap = U up D down" (or "D down U up": starts down): 0 = no flap. */
	uint64_t flap_up_ns, flap_down_ns;
	bool flap_starts_down;
	/* Not a key: the time the flap cycle starts from, set by the caller
	 * (the config's load time, say); every host of the profile shares it. */
	uint64_t epoch_ns;
};

/* A host's state, all a profile needs to remember between its requests. */
struct te_host_state {
	uint64_t tat_ns;      /* rate-limit: GCRA's theoretical arrival time */
	uint32_t tat_frac;    /*   its fraction of a nanosecond, in 1/rate ns */
	bool ge_bad;	      /* Gilbert-Elliott: in the bad (losing) state */
	uint64_t last_due_ns; /* keep-order: the latest send time given so far */
};

enum te_verdict_kind {
	TE_VERDICT_SEND,	/* send the reply (copies times, at due_ns[]) */
	TE_VERDICT_UNREACHABLE, /* answer with ICMP destination unreachable instead */
	TE_VERDICT_DROP,	/* send nothing; reason says why */
};

/* Why a profile sent nothing: each one counted under its own name. */
enum te_profile_drop {
	TE_PROFILE_LOST,	 /* "lost": the loss model */
	TE_PROFILE_DOWN,	 /* "down": down = yes */
	TE_PROFILE_RATE_LIMITED, /* "rate_limited": the token bucket was empty */
	TE_PROFILE_FLAPPED,	 /* "flapped": in the down phase of flap */
	TE_PROFILE_DROPS	 /* number of reasons, not a reason */
};

struct te_decision {
	enum te_verdict_kind kind;
	enum te_profile_drop reason; /* TE_VERDICT_DROP only */
	unsigned copies;	     /* 1, or 2 when duplicated */
	uint64_t due_ns[2];	     /* when each copy leaves; == now: at once */
	uint8_t ttl;		     /* the TTL / hop limit the reply carries */
};

/* The defaults: no delay, uniform, no loss, TTL 64, no limits, up. */
void te_profile_defaults(struct te_profile *p);

/*
 * Set key @key of @p from the config value @value. Keys and forms:
 *   delay, jitter      duration from 0 to 10 s: "0", "250us", "30ms", "1.5s"
 *   distribution       uniform, normal, pareto, paretonormal
 *   loss               "2%", "0.1%", "2% burst 4" (rate 0 to 100 %, up to 7
 *                      decimals; burst: mean run of losses, 1 to 10000, 2 decimals)
 *   duplicate          "0.1%"
 *   ttl                1 to 255
 *   rate-limit         "100/s", "100/s burst 20" (1 to 10^7 /s; bucket 1 to
 *                      10^7, default 1), or "no"
 *   keep-order, down, unreachable   yes/no (true/false, on/off, 1/0)
 *   unreachable-from   an IPv4 or IPv6 address
 *   flap               "50s up 10s down" or "10s down 50s up" (each 1 ms to
 *                      1 day, as a duration), or "no"
 * Returns 0, or -EINVAL with @p unchanged and a message in @err (@errlen
 * bytes, may be 0) that starts with the key and says what the value should
 * be, for the config parser to prefix with FILE:LINE.
 */
int te_profile_set(struct te_profile *p, const char *key, const char *value, char *err,
		   size_t errlen);

/* Parse a duration ("0", "250us", "30ms", "1.5s") into *@ns; false if malformed. */
bool te_profile_parse_duration(const char *s, uint64_t *ns);

/* The name a drop reason is counted under ("lost"...), or "?". */
const char *te_profile_drop_name(enum te_profile_drop why);

/*
 * Decide what becomes of a reply from a host of profile @p whose state is
 * @h, at @now_ns, drawing from @rng; fill @out and return out->kind.
 * In order: down; the flap's down phase; the loss model (the network
 * loses the request, so neither the bucket nor the host sees it); the
 * rate limit (the host's control plane); then the reply (or the
 * unreachable, which goes through the same delays: the router is that
 * far) is duplicated or not, and each copy gets delay + jitter, never
 * negative, and with keep-order never earlier than the host's previous one.
 */
enum te_verdict_kind te_profile_decide(const struct te_profile *p, struct te_host_state *h,
				       uint64_t now_ns, struct te_rng *rng,
				       struct te_decision *out);

/* Whether a flapping profile is in its up phase at @now_ns (true without flap). */
bool te_profile_flap_up(const struct te_profile *p, uint64_t now_ns);

/* One draw of the delay: delay + jitter from the distribution, clamped at 0. */
uint64_t te_profile_sample_delay(const struct te_profile *p, struct te_rng *rng);

/*
 * The jitter's shape: one draw of the distribution @d in units of the
 * jitter, as netem's tables hold it (uniform in [-1, 1); normal with a
 * standard deviation of 1, cut at +-4; pareto and paretonormal as netem's
 * generators make them, cut at netem's table limits).
 */
double te_dist_draw(enum te_dist d, struct te_rng *rng);

/* The same shape's quantile function: the draw is this at a uniform q in (0, 1). */
double te_dist_quantile(enum te_dist d, double q);

/*
 * The delay @p gives at quantile @q (0 < q < 1), clamped at 0 as the draws
 * are: what a measurement's percentiles should find (tunecho-load --expect).
 */
uint64_t te_profile_delay_quantile(const struct te_profile *p, double q);

/* The standard normal quantile (Acklam's approximation, |error| < 1.2e-9). */
double te_normal_quantile(double q);

/*
 * What a measurement of @p should find over many requests: the loss rate
 * (0 to 1) and the mean length of a run of losses (independent losses make
 * runs of 1/(1-L) on average).
 */
double te_profile_loss_rate(const struct te_profile *p);
double te_profile_mean_burst(const struct te_profile *p);

#endif

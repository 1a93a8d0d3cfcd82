/* SPDX-License-Identifier: MIT */
/*
 * tunecho-load: ping many targets at once, check every reply, and report
 * replies/s, loss and RTT percentiles per target and in total.
 *
 * The state of one run, shared by its files, each with one job:
 *   options.c  the command line;
 *   targets.c  the targets, from the command line and a tunecho config;
 *   probe.c    the request format and reply verification (pure);
 *   loop.c     the sockets and the send/receive loop;
 *   hist.c     the RTT histogram and its chart (pure);
 *   series.c   the per-second CSV of --series;
 *   report.c   the table, the JSON and the histograms at the end;
 *   expect.c   --expect: each target against its profile in the config;
 *   main.c     the order of it all.
 *
 * Targets come from the command line and from a tunecho config (-c). Each
 * gets its own 16-bit ICMP identifier, a random base plus its index, so the
 * replies of a parallel run or of ping mostly fall outside our range and
 * are ignored before anything else is looked at.
 *
 * One raw ICMP socket per address family, non-blocking, in one libevent
 * loop. Requests are built into a batch and sent with one sendmmsg();
 * replies are read with recvmmsg(), a bounded number of batches per
 * wakeup. Closed loop (the default) keeps --window requests in flight per
 * target; open loop (--rate) sends on a fixed schedule, whatever comes back.
 *
 * Per target, a ring remembers the send time and fate of the last ring_size
 * requests; that is what classifies a reply as good, late or duplicate, and
 * a request as lost. Counters keep sent = received + late + lost exact.
 * Nothing is allocated once the loop runs, and all state lives in the
 * struct run that main() owns.
 */
#ifndef TL_LOAD_H
#define TL_LOAD_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "bounds.h"
#include "hist.h"
#include "probe.h"
#include "profile.h" /* the library's behaviour profiles (internal) */

#define PROG "tunecho-load"

#define NS_PER_S  1000000000ull
#define NS_PER_MS 1000000ull

#define MAX_TARGETS 65536 /* one 16-bit ICMP identifier each */
#define BATCH	    64	  /* messages per sendmmsg()/recvmmsg() */
#define RX_ROUNDS   16	  /* recvmmsg() calls per wakeup: then let the timers run */
#define SOCK_BUF    (4 << 20)
/* Ring memory shared by all targets: big rings tolerate reordering before
 * a closed loop has to wait for its oldest request. */
#define RING_BUDGET   (64u << 20)
#define RING_MIN      64
#define RING_MAX      65536
#define RING_OPEN_MAX (1u << 24)

struct event;
struct event_base;

enum { FAM_V4, FAM_V6, FAMS };

/* What became of a request, in its ring slot. */
enum slot_state {
	SLOT_FREE,
	SLOT_INFLIGHT, /* sent, no reply yet, timeout not reached */
	SLOT_ANSWERED, /* a good reply within the timeout: received */
	SLOT_EXPIRED,  /* no reply within the timeout: lost, for now */
	SLOT_LATE,     /* answered after its timeout: late */
};

struct slot {
	uint64_t sent_ns;
	uint8_t state;
};

struct counts {
	uint64_t sent, received, lost, late, dup, corrupt;
};

union inet_addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

struct target {
	union inet_addr addr;
	int fam; /* FAM_V4 or FAM_V6 */
	char name[INET6_ADDRSTRLEN];
	uint16_t ident;
	struct counts c;
	uint64_t next_seq; /* requests sent so far */
	uint64_t oldest;   /* no request before it is in flight */
	uint32_t pending;  /* in the batch being built, not sent yet */
	uint32_t inflight;
	uint64_t forgotten_lost; /* lost requests whose slot was reused */
	uint64_t last_reply_ns;
	uint64_t done_ns; /* when it stopped sending */
	uint64_t rtt_max;
	struct slot *ring;
	uint64_t *hist;
	bool queued;
	int warned_errno;
	/* IPv6: our end, when a config says it. Sent as IPV6_PKTINFO, it
	 * spares the kernel choosing a source address per request, a walk over
	 * every address of every interface (thousands with a big config). */
	bool has_src;
	struct in6_addr src;
	/* --expect: what the target's profile in the config says (targets.c),
	 * the defaults for none; a baseline is an interface's own address,
	 * answered by the kernel: the undelayed reference of its family. */
	char profile[64]; /* its name, "" for none */
	struct te_profile prof;
	bool baseline;
	size_t iface; /* the config's interface it came from */
	/* what became of its requests, in sequence order (loop.c), and the
	 * ICMP unreachables that quoted one of them */
	struct runs runs;
	uint64_t unreach;
	/* The TTLs of its replies: IPv4's IP header, IPv6's IPV6_HOPLIMIT. */
	bool ttl_seen;
	uint8_t ttl_min, ttl_max;
};

/* Room for a reply's control messages: the kernel's time of its arrival
 * (SO_TIMESTAMPNS) and, with --expect, IPv6's hop limit. */
union rx_ctl {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct timespec)) + CMSG_SPACE(sizeof(int))];
};

/* Room for one IPV6_PKTINFO control message. */
union tx_ctl {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

/* --expect without -r or -w: an open loop at this rate per target, at most
 * EXPECT_MAX_PPS in all and at least EXPECT_MIN_RATE each. */
#define EXPECT_RATE	200
#define EXPECT_MIN_RATE 20
#define EXPECT_MAX_PPS	20000

struct options {
	const char *config;
	const char *series; /* --series FILE, or NULL */
	uint64_t hosts, window, count, max_corrupt;
	double duration, rate, max_loss; /* duration and rate: 0 when not given */
	uint32_t size, timeout_ms;
	long ident; /* -1: random */
	bool json, list, histogram, verbose, expect;
	bool window_given, expect_rate; /* -w given; --expect chose the rate */
};

struct run;

/* A request in the batch being sent. */
struct tx_meta {
	uint32_t target;
	uint64_t seq, sent_ns;
};

/* One address family: its socket, batches and the targets ready to send. */
struct fam {
	struct run *run;
	int family;
	int fd;
	struct event *rd, *wr;
	bool blocked; /* the socket said EAGAIN: wait until it is writable */
	unsigned batch;
	size_t pkt_len, rx_len;
	/* the batch being sent, and who each message is for */
	struct mmsghdr *txm;
	struct iovec *txv;
	uint8_t *txbuf;
	struct tx_meta *txmeta;
	union tx_ctl *txctl;
	/* replies */
	union rx_ctl *rxctl; /* room for each reply's control messages */
	int64_t rt_offset;   /* CLOCK_REALTIME - CLOCK_MONOTONIC, read with the batch */
	struct mmsghdr *rxm;
	struct iovec *rxv;
	uint8_t *rxbuf;
	union inet_addr *rxaddr;
	/* FIFO of target indices that may have something to send */
	uint32_t *queue;
	size_t qhead, qlen, qcap;
};

struct run {
	struct options opt;
	struct target *targets;
	size_t n_targets, cap_targets;
	struct fam fams[FAMS];
	struct event_base *base;
	struct event *tick, *second, *end_send, *grace, *sigint, *sigterm;
	uint64_t cookie;
	uint16_t id_base;
	uint64_t ring_size, timeout_ns;
	uint64_t start_ns, stop_ns, last_send_ns, last_reply_ns, open_loop_cap, last_due;
	uint64_t inflight;
	size_t targets_done;
	bool sending;
	int signals;
	/* totals, and the last second's RTTs (progress line, --series) */
	uint64_t hist[HIST_BUCKETS], hist_sec[HIST_BUCKETS];
	uint64_t rtt_max, prev_received, prev_ns;
	bool tty;
	/* --expect: how late our own periodic tick woke up, over its period:
	 * this machine's timer wake-ups now, the delay verdict's slack */
	uint64_t wake[HIST_BUCKETS], wake_max, prev_tick_ns, tick_ns, last_expiry_ns;
	/* --series: the file, and what the current second saw */
	FILE *series;
	uint64_t sec_sent, sec_received, sec_lost;
};

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static inline struct timeval tv_of_ns(uint64_t ns)
{
	return (struct timeval){.tv_sec = (time_t)(ns / NS_PER_S),
				.tv_usec = (suseconds_t)(ns % NS_PER_S / 1000)};
}

/* options.c: fill @o from the options; -1 to go on, else the exit status. */
int parse_options(struct options *o, int argc, char **argv);
void usage_hint(void);

/* targets.c: the targets from -c and the command line from @first on,
 * each once; -1 after a message. */
int collect_targets(struct run *r, int argc, char **argv, int first);
bool same_addr(const struct target *t, const union inet_addr *a);

/* loop.c: sockets, rings and events; then the run itself. */
int setup(struct run *r);
void run_load(struct run *r);
void teardown(struct run *r);

/* series.c: --series FILE. */
int series_open(struct run *r);
void series_row(struct run *r, uint64_t now);
int series_close(struct run *r);

/* loop.c, --expect: tally the fates the rings still hold into each target's runs. */
void tally_rest(struct run *r);

/* report.c: print the table (or JSON); return the exit status it implies. */
int report(const struct run *r);

/* expect.c: --expect's table; 0 when every verdict passed, else 1. */
int expect_report(const struct run *r);

#endif

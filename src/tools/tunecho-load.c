/* SPDX-License-Identifier: MIT */
/*
 * tunecho-load: ping many targets at once, check every reply, and report
 * replies/s, loss and RTT percentiles per target and in total.
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
 * Every request carries, after the ICMP header, a probe: the run's random
 * 64-bit cookie, its send time (CLOCK_MONOTONIC ns) and its 64-bit sequence,
 * then a pattern derived from cookie and sequence up to --size bytes, so
 * every byte of a reply can be checked without remembering what was sent.
 *
 * Per target, a ring remembers the send time and fate of the last ring_size
 * requests; that is what classifies a reply as good, late or duplicate, and
 * a request as lost. Counters keep sent = received + late + lost exact.
 * Nothing is allocated once the loop runs, and all state lives in the
 * struct run that main() owns.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config.h" /* the parsed config; brings <net/if.h>, so before linux/ */
#include "tunecho.h"

#include <linux/icmp.h> /* ICMP_FILTER: glibc has no IPv4 counterpart of ICMP6_FILTER */

#define PROG "tunecho-load"

#define NS_PER_S  1000000000ull
#define NS_PER_MS 1000000ull

#define MAX_TARGETS 65536 /* one 16-bit ICMP identifier each */
#define ICMP_HDR    8
#define PROBE_LEN   24	  /* struct probe as it travels */
#define MAX_SIZE    65487 /* the most data an IPv6 echo request can carry */
#define BATCH	    64	  /* messages per sendmmsg()/recvmmsg() */
#define RX_ROUNDS   16	  /* recvmmsg() calls per wakeup: then let the timers run */
#define SOCK_BUF    (4 << 20)
/* Ring memory shared by all targets: big rings tolerate reordering before
 * a closed loop has to wait for its oldest request. */
#define RING_BUDGET   (64u << 20)
#define RING_MIN      64
#define RING_MAX      65536
#define RING_OPEN_MAX (1u << 24)

/*
 * RTT histogram, log-linear like HdrHistogram: below 1024 ns, 64 linear
 * buckets of 16 ns; above, 64 buckets per power of two up to 2^36 ns (69 s).
 * A bucket is at most 1/64 of its value wide, and a percentile is reported
 * as the bucket's middle: within 0.8 % from 1 µs to 69 s, in 13.5 KiB.
 */
#define HIST_SUB_BITS  6
#define HIST_SUB       (1u << HIST_SUB_BITS)
#define HIST_MIN_SHIFT 10
#define HIST_MAX_SHIFT 36
#define HIST_BUCKETS   (HIST_SUB * (1 + HIST_MAX_SHIFT - HIST_MIN_SHIFT))

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

/* The start of every request's data, in host byte order (only we read it). */
struct probe {
	uint64_t cookie;
	uint64_t sent_ns;
	uint64_t seq;
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
};

/* Room for one IPV6_PKTINFO control message. */
union tx_ctl {
	struct cmsghdr align;
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
};

struct options {
	const char *config;
	uint64_t hosts, window, count, max_corrupt;
	double duration, rate, max_loss; /* duration and rate: 0 when not given */
	uint32_t size, timeout_ms;
	long ident; /* -1: random */
	bool json, list;
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
	struct event *tick, *progress, *end_send, *grace, *sigint, *sigterm;
	uint64_t cookie;
	uint16_t id_base;
	uint64_t ring_size, timeout_ns;
	uint64_t start_ns, stop_ns, last_send_ns, last_reply_ns, open_loop_cap, last_due;
	uint64_t inflight;
	size_t targets_done;
	bool sending;
	int signals;
	/* totals, and the progress line's last second */
	uint64_t hist[HIST_BUCKETS], hist_sec[HIST_BUCKETS];
	uint64_t rtt_max, prev_received, prev_ns;
	bool tty;
};

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

static struct timeval tv_of_ns(uint64_t ns)
{
	return (struct timeval){.tv_sec = (time_t)(ns / NS_PER_S),
				.tv_usec = (suseconds_t)(ns % NS_PER_S / 1000)};
}

/* ------------------------------------------------------------------ */
/* Packets                                                            */
/* ------------------------------------------------------------------ */

/* RFC 1071 checksum; 0 over a message that carries a correct one. */
static uint16_t inet_checksum(const uint8_t *p, size_t len)
{
	uint64_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * The data after the probe: a stream seeded by cookie and sequence. With
 * @check, compare @p against it instead of writing it; true if all equal.
 * Seeding with the cookie too lets a reply of another run be recognised as
 * intact (its own cookie explains all its bytes) rather than as damage.
 */
static bool pattern(uint8_t *p, size_t len, uint64_t cookie, uint64_t seq, bool check)
{
	uint64_t state = cookie ^ (seq * 0xd6e8feb86659fd93ull);

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = splitmix64(&state);
		size_t n = len - i < 8 ? len - i : 8;

		if (!check)
			memcpy(p + i, &v, n);
		else if (memcmp(p + i, &v, n))
			return false;
	}
	return true;
}

/* Write echo request @seq for @t into @buf (ICMP header and data). */
static void build_request(const struct run *r, const struct target *t, uint8_t *buf, uint64_t seq,
			  uint64_t sent_ns)
{
	struct probe p = {.cookie = r->cookie, .sent_ns = sent_ns, .seq = seq};
	size_t data = r->opt.size;

	buf[0] = t->fam == FAM_V4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	buf[1] = 0;
	buf[2] = buf[3] = 0;
	buf[4] = (uint8_t)(t->ident >> 8);
	buf[5] = (uint8_t)t->ident;
	buf[6] = (uint8_t)(seq >> 8); /* the wire has 16 bits; the probe all 64 */
	buf[7] = (uint8_t)seq;
	memcpy(buf + ICMP_HDR, &p, PROBE_LEN);
	pattern(buf + ICMP_HDR + PROBE_LEN, data - PROBE_LEN, p.cookie, seq, false);
	/* ICMPv6: the kernel fills the checksum in (IPV6_CHECKSUM is implied). */
	if (t->fam == FAM_V4) {
		uint16_t sum = inet_checksum(buf, ICMP_HDR + data);

		buf[2] = (uint8_t)(sum >> 8);
		buf[3] = (uint8_t)sum;
	}
}

/* ------------------------------------------------------------------ */
/* RTT histogram                                                      */
/* ------------------------------------------------------------------ */

static unsigned hist_index(uint64_t ns)
{
	unsigned e;

	if (ns < (1u << HIST_MIN_SHIFT))
		return (unsigned)(ns >> (HIST_MIN_SHIFT - HIST_SUB_BITS));
	if (ns >= 1ull << HIST_MAX_SHIFT)
		return HIST_BUCKETS - 1;
	e = 63 - (unsigned)__builtin_clzll(ns);
	return (e - HIST_MIN_SHIFT + 1) * HIST_SUB +
	       (unsigned)((ns >> (e - HIST_SUB_BITS)) & (HIST_SUB - 1));
}

/* The middle of bucket @i, in ns. */
static double hist_middle(unsigned i)
{
	unsigned shift;

	if (i < HIST_SUB)
		return (i + 0.5) * (1u << (HIST_MIN_SHIFT - HIST_SUB_BITS));
	shift = i / HIST_SUB + HIST_MIN_SHIFT - 1 - HIST_SUB_BITS;
	return ldexp(HIST_SUB + i % HIST_SUB + 0.5, (int)shift);
}

/* The @q-quantile (0..1) of @n samples in @h, capped at the exact @max. */
static double hist_quantile(const uint64_t *h, uint64_t n, double q, uint64_t max)
{
	uint64_t rank = (uint64_t)ceil(q * (double)n), seen = 0;

	if (rank < 1)
		rank = 1;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += h[i];
		if (seen >= rank)
			return fmin(hist_middle(i), (double)max);
	}
	return (double)max;
}

/* ------------------------------------------------------------------ */
/* Bookkeeping                                                        */
/* ------------------------------------------------------------------ */

static void enqueue(struct run *r, struct target *t)
{
	struct fam *f = &r->fams[t->fam];

	if (t->queued)
		return;
	t->queued = true;
	f->queue[(f->qhead + f->qlen++) % f->qcap] = (uint32_t)(t - r->targets);
}

static void dequeue(struct fam *f)
{
	f->qhead = (f->qhead + 1) % f->qcap;
	f->qlen--;
}

/* How many requests @t may send now. */
static uint64_t credit(const struct run *r, const struct target *t, uint64_t now)
{
	uint64_t next = t->next_seq + t->pending;
	uint64_t limit = r->opt.count ? r->opt.count : UINT64_MAX;
	uint64_t busy = (uint64_t)t->inflight + t->pending;

	if (!r->sending)
		return 0;
	if (r->opt.rate > 0) {
		/* Request k is due at k / rate seconds after the start. */
		uint64_t due = (uint64_t)(r->opt.rate * (double)(now - r->start_ns) / NS_PER_S) + 1;

		if (due < limit)
			limit = due;
		if (r->open_loop_cap && r->open_loop_cap < limit)
			limit = r->open_loop_cap;
		return limit > next ? limit - next : 0;
	}
	if (next >= limit || busy >= r->opt.window)
		return 0;
	return r->opt.window - busy < limit - next ? r->opt.window - busy : limit - next;
}

static void expire(struct run *r, struct target *t, struct slot *s)
{
	s->state = SLOT_EXPIRED;
	t->inflight--;
	r->inflight--;
	t->c.lost++;
	enqueue(r, t);
}

/* Expire the requests of @t sent more than the timeout before @now
 * (UINT64_MAX: all of them). */
static void expire_due(struct run *r, struct target *t, uint64_t now)
{
	for (; t->oldest < t->next_seq && t->inflight; t->oldest++) {
		struct slot *s = &t->ring[t->oldest & (r->ring_size - 1)];

		if (s->state != SLOT_INFLIGHT)
			continue;
		if (s->sent_ns + r->timeout_ns >= now)
			break;
		expire(r, t, s);
	}
}

static void stop_sending(struct run *r);

static void maybe_finish(struct run *r)
{
	if (!r->sending && !r->inflight)
		event_base_loopbreak(r->base);
}

/* ------------------------------------------------------------------ */
/* Sending                                                            */
/* ------------------------------------------------------------------ */

/* Put the next request of @t into message @i of the batch; false when the
 * ring slot it needs still waits for a reply (closed loop only). */
static bool prepare(struct run *r, struct fam *f, struct target *t, unsigned i, uint64_t now)
{
	uint64_t seq = t->next_seq + t->pending;
	struct slot *s = &t->ring[seq & (r->ring_size - 1)];
	uint8_t *buf = f->txbuf + i * f->pkt_len;

	if (s->state == SLOT_INFLIGHT) {
		/* A closed loop waits for its oldest request rather than forget it;
		 * an open loop keeps its schedule and gives that one up. */
		if (r->opt.rate <= 0)
			return false;
		expire(r, t, s);
	}
	build_request(r, t, buf, seq, now);
	f->txv[i] = (struct iovec){.iov_base = buf, .iov_len = f->pkt_len};
	f->txm[i].msg_hdr = (struct msghdr){
	    .msg_name = &t->addr,
	    .msg_namelen = t->fam == FAM_V4 ? sizeof(t->addr.v4) : sizeof(t->addr.v6),
	    .msg_iov = &f->txv[i],
	    .msg_iovlen = 1,
	};
	if (t->has_src) {
		struct msghdr *m = &f->txm[i].msg_hdr;
		struct cmsghdr *c;

		m->msg_control = f->txctl[i].buf;
		m->msg_controllen = sizeof(f->txctl[i].buf);
		c = CMSG_FIRSTHDR(m);
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
		memcpy(CMSG_DATA(c), &(struct in6_pktinfo){.ipi6_addr = t->src},
		       sizeof(struct in6_pktinfo));
	}
	f->txmeta[i].target = (uint32_t)(t - r->targets);
	f->txmeta[i].seq = seq;
	f->txmeta[i].sent_ns = now;
	t->pending++;
	return true;
}

/* Message @i left (or was refused for good): it is in flight from now on. */
static void commit(struct run *r, struct fam *f, unsigned i)
{
	struct target *t = &r->targets[f->txmeta[i].target];
	uint64_t seq = f->txmeta[i].seq;
	struct slot *s = &t->ring[seq & (r->ring_size - 1)];

	if (s->state == SLOT_EXPIRED)
		t->forgotten_lost++;
	s->sent_ns = f->txmeta[i].sent_ns;
	s->state = SLOT_INFLIGHT;
	t->next_seq = seq + 1;
	t->pending--;
	t->inflight++;
	t->c.sent++;
	r->inflight++;
	r->last_send_ns = s->sent_ns;
	if (t->oldest + r->ring_size <= seq)
		t->oldest = seq - r->ring_size + 1;
	if (r->opt.count && t->next_seq == r->opt.count) {
		t->done_ns = s->sent_ns;
		if (++r->targets_done == r->n_targets)
			stop_sending(r);
	}
}

static void send_error(struct run *r, struct fam *f, unsigned i, int err)
{
	struct target *t = &r->targets[f->txmeta[i].target];

	if (t->warned_errno == err)
		return;
	t->warned_errno = err;
	fprintf(stderr, PROG ": %s: sending failed: %s (counted as lost)\n", t->name,
		strerror(err));
}

/* Send messages 0..@n-1; false when the socket is full (the rest is
 * withdrawn and goes out when it is writable again). */
static bool send_batch(struct run *r, struct fam *f, unsigned n)
{
	unsigned i = 0;

	while (i < n) {
		int sent = sendmmsg(f->fd, f->txm + i, n - i, 0);

		if (sent > 0) {
			for (unsigned end = i + (unsigned)sent; i < end; i++)
				commit(r, f, i);
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			for (; i < n; i++) {
				struct target *t = &r->targets[f->txmeta[i].target];

				t->pending = 0;
				enqueue(r, t);
			}
			f->blocked = true;
			event_add(f->wr, NULL);
			return false;
		}
		/* The kernel refused this one message (no route, ...): it counts as
		 * sent and will time out as lost; the batch goes on without it. */
		send_error(r, f, i, errno);
		commit(r, f, i++);
	}
	return true;
}

/* Send what the queued targets of @f may send, in batches, round robin. */
static void flush(struct run *r, struct fam *f)
{
	while (!f->blocked && f->qlen) {
		uint64_t now = now_ns();
		unsigned n = 0;

		while (n < f->batch && f->qlen) {
			uint32_t idx = f->queue[f->qhead];
			struct target *t = &r->targets[idx];
			uint64_t c = credit(r, t, now);
			bool stalled = false;

			for (; c && n < f->batch; c--, n++) {
				if (!prepare(r, f, t, n, now)) {
					stalled = true;
					break;
				}
			}
			dequeue(f);
			t->queued = false;
			/* The batch is full: this target goes on after the others. A
			 * target with nothing to send comes back when a reply, a
			 * timeout or the clock gives it some. */
			if (c && !stalled) {
				enqueue(r, t);
				break;
			}
		}
		if (!n || !send_batch(r, f, n))
			return;
	}
}

static void flush_all(struct run *r)
{
	for (int i = 0; i < FAMS; i++)
		if (r->fams[i].fd >= 0)
			flush(r, &r->fams[i]);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	struct fam *f = arg;

	(void)fd;
	(void)what;
	f->blocked = false;
	flush(f->run, f);
}

/* ------------------------------------------------------------------ */
/* Receiving                                                          */
/* ------------------------------------------------------------------ */

static bool same_addr(const struct target *t, const union inet_addr *a)
{
	if (t->fam == FAM_V4)
		return a->sa.sa_family == AF_INET &&
		       a->v4.sin_addr.s_addr == t->addr.v4.sin_addr.s_addr;
	return a->sa.sa_family == AF_INET6 &&
	       !memcmp(&a->v6.sin6_addr, &t->addr.v6.sin6_addr, sizeof(struct in6_addr));
}

/* A good reply to request @seq of @t (everything but the ring checked). */
static void account(struct run *r, struct target *t, const struct probe *p, uint64_t now)
{
	struct slot *s = &t->ring[p->seq & (r->ring_size - 1)];
	uint64_t rtt;

	if (p->seq + r->ring_size < t->next_seq) {
		/* Its slot was reused: the first reply to a request we gave up on
		 * is late, anything else a duplicate. */
		if (t->forgotten_lost) {
			t->forgotten_lost--;
			t->c.lost--;
			t->c.late++;
		} else {
			t->c.dup++;
		}
		return;
	}
	if (p->sent_ns != s->sent_ns) {
		t->c.corrupt++;
		return;
	}
	switch (s->state) {
	case SLOT_EXPIRED:
		s->state = SLOT_LATE;
		t->c.lost--;
		t->c.late++;
		return;
	case SLOT_INFLIGHT:
		break;
	default:
		t->c.dup++;
		return;
	}
	t->inflight--;
	r->inflight--;
	enqueue(r, t);
	rtt = now - p->sent_ns;
	if (rtt > r->timeout_ns) {
		s->state = SLOT_LATE;
		t->c.late++;
		return;
	}
	s->state = SLOT_ANSWERED;
	t->c.received++;
	t->hist[hist_index(rtt)]++;
	r->hist[hist_index(rtt)]++;
	if (r->tty)
		r->hist_sec[hist_index(rtt)]++;
	if (rtt > t->rtt_max)
		t->rtt_max = rtt;
	if (rtt > r->rtt_max)
		r->rtt_max = rtt;
	t->last_reply_ns = r->last_reply_ns = now;
}

/* Reply @i of the batch just read: check it byte for byte and count it. */
static void handle_reply(struct run *r, struct fam *f, unsigned i, uint64_t now)
{
	const struct msghdr *mh = &f->rxm[i].msg_hdr;
	uint8_t *icmp = f->rxbuf + i * f->rx_len;
	size_t len = f->rxm[i].msg_len;
	bool intact = !(mh->msg_flags & MSG_TRUNC);
	struct target *t;
	struct probe p;
	uint16_t k;

	if (f->family == AF_INET) {
		/* IPv4 raw sockets see the IP header, and nobody checked the ICMP
		 * checksum for us (the kernel does for ICMPv6). */
		size_t ihl = (size_t)(icmp[0] & 0x0f) * 4;

		if (len < 20 || ihl < 20 || len < ihl + ICMP_HDR)
			return;
		icmp += ihl;
		len -= ihl;
		intact = intact && inet_checksum(icmp, len) == 0;
	} else if (len < ICMP_HDR) {
		return;
	}
	if (icmp[0] != (f->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY))
		return;
	k = (uint16_t)(((icmp[4] << 8) | icmp[5]) - r->id_base);
	if ((size_t)k >= r->n_targets)
		return; /* not our identifier: another program's */
	t = &r->targets[k];
	if (len < ICMP_HDR + PROBE_LEN) {
		if (same_addr(t, &f->rxaddr[i]))
			t->c.corrupt++;
		return;
	}
	memcpy(&p, icmp + ICMP_HDR, PROBE_LEN);
	if (p.cookie != r->cookie) {
		/* Someone else's conversation (a parallel run that drew the same
		 * identifier, or another target), or ours with the cookie damaged. */
		if (same_addr(t, &f->rxaddr[i]) &&
		    !(intact && pattern(icmp + ICMP_HDR + PROBE_LEN, len - ICMP_HDR - PROBE_LEN,
					p.cookie, p.seq, true)))
			t->c.corrupt++;
		return;
	}
	if (!intact || !same_addr(t, &f->rxaddr[i]) || icmp[1] != 0 ||
	    len != ICMP_HDR + r->opt.size || p.seq >= t->next_seq ||
	    (uint64_t)((icmp[6] << 8) | icmp[7]) != (p.seq & 0xffff) ||
	    !pattern(icmp + ICMP_HDR + PROBE_LEN, r->opt.size - PROBE_LEN, r->cookie, p.seq,
		     true)) {
		t->c.corrupt++;
		return;
	}
	account(r, t, &p, now);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct fam *f = arg;
	struct run *r = f->run;

	(void)what;
	for (int round = 0; round < RX_ROUNDS; round++) {
		int n;

		for (unsigned i = 0; i < f->batch; i++) {
			f->rxm[i].msg_hdr.msg_namelen = sizeof(f->rxaddr[i]);
			f->rxm[i].msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(fd, f->rxm, f->batch, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, PROG ": receiving: %s\n", strerror(errno));
			break;
		}
		/* One clock read per batch: these replies were all waiting. */
		uint64_t now = now_ns();

		for (unsigned i = 0; i < (unsigned)n; i++)
			handle_reply(r, f, i, now);
		flush(r, f);
		if ((unsigned)n < f->batch)
			break;
	}
	maybe_finish(r);
}

/* ------------------------------------------------------------------ */
/* Timers and signals                                                 */
/* ------------------------------------------------------------------ */

/* Periodic: give up on requests past their timeout, keep the open-loop
 * schedule. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	uint64_t now = now_ns();

	(void)fd;
	(void)what;
	for (size_t i = 0; i < r->n_targets; i++)
		if (r->targets[i].inflight)
			expire_due(r, &r->targets[i], now);
	if (r->opt.rate > 0 && r->sending) {
		uint64_t due = (uint64_t)(r->opt.rate * (double)(now - r->start_ns) / NS_PER_S);

		if (due != r->last_due) {
			r->last_due = due;
			for (size_t i = 0; i < r->n_targets; i++)
				enqueue(r, &r->targets[i]);
		}
	}
	flush_all(r);
	maybe_finish(r);
}

/* No more requests; the replies in flight get their timeout, then it ends. */
static void stop_sending(struct run *r)
{
	uint64_t now = now_ns(), end = r->last_send_ns + r->timeout_ns + NS_PER_MS;
	struct timeval tv = tv_of_ns(end > now ? end - now : 0);

	if (!r->sending)
		return;
	r->sending = false;
	r->stop_ns = now;
	for (size_t i = 0; i < r->n_targets; i++)
		if (!r->targets[i].done_ns)
			r->targets[i].done_ns = now;
	event_add(r->grace, &tv);
	maybe_finish(r);
}

static void on_end_send(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->opt.rate > 0) {
		/* Catch up with the schedule to its last request exactly. */
		for (size_t i = 0; i < r->n_targets; i++)
			enqueue(r, &r->targets[i]);
		flush_all(r);
	}
	stop_sending(r);
}

static void on_grace(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < r->n_targets; i++)
		expire_due(r, &r->targets[i], UINT64_MAX);
	event_base_loopbreak(r->base);
}

/* First SIGINT/SIGTERM: stop sending and wait for what is in flight, as at
 * the end of a run; the second: stop now. Either way the report follows. */
static void on_signal(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;

	(void)fd;
	(void)what;
	if (r->signals++ || !r->sending)
		on_grace(-1, 0, r);
	else
		stop_sending(r);
}

static void on_progress(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	uint64_t now = now_ns(), sent = 0, received = 0, lost = 0, sec = 0;

	(void)fd;
	(void)what;
	for (size_t i = 0; i < r->n_targets; i++) {
		sent += r->targets[i].c.sent;
		received += r->targets[i].c.received;
		lost += r->targets[i].c.lost;
	}
	for (unsigned i = 0; i < HIST_BUCKETS; i++)
		sec += r->hist_sec[i];
	fprintf(stderr, "\r" PROG ": %.0f s, %.0f replies/s, loss %.2f %%, p99 ",
		(double)(now - r->start_ns) / NS_PER_S,
		(double)(received - r->prev_received) * NS_PER_S / (double)(now - r->prev_ns),
		sent ? 100.0 * (double)lost / (double)sent : 0.0);
	if (sec)
		fprintf(stderr, "%.1f us\033[K",
			hist_quantile(r->hist_sec, sec, 0.99, UINT64_MAX) / 1000);
	else
		fputs("-\033[K", stderr);
	memset(r->hist_sec, 0, sizeof(r->hist_sec));
	r->prev_received = received;
	r->prev_ns = now;
}

/* ------------------------------------------------------------------ */
/* Targets                                                            */
/* ------------------------------------------------------------------ */

static void usage_hint(void)
{
	fputs("Try '" PROG " --help' for more information.\n", stderr);
}

/* Append @bytes (4 or 16 of them) to the targets; -1 past MAX_TARGETS. */
/* Add a target at @bytes; @src: our address towards it (IPv6), or NULL. */
static int add_target(struct run *r, int family, const uint8_t *bytes, const uint8_t *src)
{
	struct target *t;

	if (r->n_targets == MAX_TARGETS) {
		fprintf(stderr, PROG ": more than %d targets (one ICMP identifier each)\n",
			MAX_TARGETS);
		return -1;
	}
	if (r->n_targets == r->cap_targets) {
		size_t cap = r->cap_targets ? 2 * r->cap_targets : 16;
		struct target *n = realloc(r->targets, cap * sizeof(*n));

		if (!n) {
			fprintf(stderr, PROG ": out of memory\n");
			return -1;
		}
		r->targets = n;
		r->cap_targets = cap;
	}
	t = &r->targets[r->n_targets++];
	memset(t, 0, sizeof(*t));
	if (family == AF_INET) {
		t->fam = FAM_V4;
		t->addr.v4.sin_family = AF_INET;
		memcpy(&t->addr.v4.sin_addr, bytes, 4);
		inet_ntop(AF_INET, bytes, t->name, sizeof(t->name));
	} else {
		t->fam = FAM_V6;
		t->addr.v6.sin6_family = AF_INET6;
		memcpy(&t->addr.v6.sin6_addr, bytes, 16);
		inet_ntop(AF_INET6, bytes, t->name, sizeof(t->name));
		t->has_src = src != NULL;
		if (src)
			memcpy(&t->src, src, 16);
	}
	return 0;
}

static int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Bit @i of address @a, counting from the most significant. */
static bool bit(const uint8_t *a, int i)
{
	return a[i / 8] >> (7 - i % 8) & 1;
}

/* The address after @a inside network @p, wrapping to the network's first. */
static void next_in_prefix(const struct te_prefix *p, uint8_t *a)
{
	int i;

	for (i = addr_bits(p->family) / 8 - 1; i >= 0 && ++a[i] == 0; i--)
		;
	for (i = 0; i < p->len; i++)
		if (bit(a, i) != bit(p->addr.bytes, i)) {
			memcpy(a, p->addr.bytes, 16);
			return;
		}
}

/* Host part all zeros, or (IPv4) all ones: not a host to ping. The
 * smallest prefixes (/31, /32, /127, /128) are hosts only. */
static bool network_or_broadcast(const struct te_prefix *p, const uint8_t *a)
{
	bool zeros = true, ones = true;

	if (addr_bits(p->family) - p->len < 2)
		return false;
	for (int i = p->len; i < addr_bits(p->family); i++) {
		zeros = zeros && !bit(a, i);
		ones = ones && bit(a, i);
	}
	return zeros || (ones && p->family == AF_INET);
}

/*
 * Add up to @n hosts of prefix @p: those after @after (the interface's own
 * address, skipped) or, without it, from the start of the prefix.
 */
static int add_hosts(struct run *r, const struct te_prefix *p, const uint8_t *after, uint64_t n,
		     const uint8_t *src)
{
	int host_bits = addr_bits(p->family) - p->len;
	uint64_t size = host_bits >= 63 ? UINT64_MAX : 1ull << host_bits;
	uint8_t a[16];

	memcpy(a, after ? after : p->addr.bytes, 16);
	if (after)
		next_in_prefix(p, a);
	for (uint64_t tried = 0; n && tried < size; tried++, next_in_prefix(p, a)) {
		if (network_or_broadcast(p, a) ||
		    (after && !memcmp(a, after, p->family == AF_INET ? 4 : 16)))
			continue;
		if (add_target(r, p->family, a, src) < 0)
			return -1;
		n--;
	}
	return 0;
}

/* The first address of @ic in @family, or NULL. */
static const uint8_t *own_address(const struct te_iface_config *ic, int family)
{
	for (size_t i = 0; i < ic->n_addrs; i++)
		if (ic->addrs[i].local.family == family)
			return ic->addrs[i].local.addr.bytes;
	return NULL;
}

/* Every target a config implies: peers, hosts of on-link prefixes next to
 * the interface's own address, hosts of routed prefixes. */
static int add_config_targets(struct run *r, const char *path)
{
	struct tunecho_config *cfg;
	char err[512];
	int ret = -1;

	if (tunecho_config_load_file(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return -1;
	}
	for (size_t i = 0; i < cfg->n_ifaces; i++) {
		const struct te_iface_config *ic = &cfg->ifaces[i];

		for (size_t j = 0; j < ic->n_addrs; j++) {
			const struct te_address *a = &ic->addrs[j];
			int bits = addr_bits(a->local.family);

			if (a->has_peer) {
				if (add_target(r, a->peer.family, a->peer.addr.bytes,
					       a->local.addr.bytes) < 0)
					goto out;
			} else if (a->local.len < bits) {
				struct te_prefix net = a->local;

				/* its network: the host bits cleared */
				for (int b = net.len; b < bits; b++)
					net.addr.bytes[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
				if (add_hosts(r, &net, a->local.addr.bytes, r->opt.hosts,
					      a->local.addr.bytes) < 0)
					goto out;
			}
		}
		for (size_t j = 0; j < ic->n_routes; j++)
			if (add_hosts(r, &ic->routes[j], NULL, r->opt.hosts,
				      own_address(ic, ic->routes[j].family)) < 0)
				goto out;
	}
	ret = 0;
out:
	tunecho_config_free(cfg);
	return ret;
}

static int cmp_target(const void *a, const void *b, void *arg)
{
	const struct run *r = arg;
	const struct target *x = &r->targets[*(const uint32_t *)a];
	const struct target *y = &r->targets[*(const uint32_t *)b];
	int d = x->fam - y->fam;

	if (!d)
		d = x->fam == FAM_V4 ? memcmp(&x->addr.v4.sin_addr, &y->addr.v4.sin_addr, 4)
				     : memcmp(&x->addr.v6.sin6_addr, &y->addr.v6.sin6_addr, 16);
	if (!d)
		d = (*(const uint32_t *)a > *(const uint32_t *)b) -
		    (*(const uint32_t *)a < *(const uint32_t *)b);
	return d;
}

/* Drop repeated targets (a peer inside a route, an address given twice),
 * keeping the first of each in its place. */
static int dedup_targets(struct run *r)
{
	uint32_t *order = malloc(r->n_targets * sizeof(*order) + 1);
	bool *dup = calloc(r->n_targets + 1, sizeof(*dup));
	size_t n = 0;

	if (!order || !dup) {
		free(order);
		free(dup);
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (size_t i = 0; i < r->n_targets; i++)
		order[i] = (uint32_t)i;
	qsort_r(order, r->n_targets, sizeof(*order), cmp_target, r);
	for (size_t i = 1; i < r->n_targets; i++) {
		const struct target *x = &r->targets[order[i - 1]], *y = &r->targets[order[i]];

		dup[order[i]] = x->fam == y->fam && same_addr(x, &y->addr);
	}
	for (size_t i = 0; i < r->n_targets; i++)
		if (!dup[i])
			r->targets[n++] = r->targets[i];
	r->n_targets = n;
	free(order);
	free(dup);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Options                                                            */
/* ------------------------------------------------------------------ */

static void help(void)
{
	printf("Usage: " PROG " [OPTION]... [ADDRESS]...\n"
	       "Ping every IPv4 or IPv6 ADDRESS, and the targets of a tunecho config, in\n"
	       "parallel; check every reply byte for byte; report replies/s, loss and RTT\n"
	       "percentiles per target and in total.\n"
	       "\n"
	       "Targets:\n"
	       "  -c, --config FILE     add the targets of a tunecho config: every peer address;\n"
	       "                        for an address with a prefix (2001:db8:0:1::1/64), the\n"
	       "                        --hosts addresses after it in the prefix; for every\n"
	       "                        route, its first --hosts hosts. All-zeros host parts\n"
	       "                        and IPv4 broadcasts are skipped; repeats pinged once\n"
	       "      --hosts N         hosts per prefix (default 1)\n"
	       "      --list            print the targets, one per line, and exit\n"
	       "\n"
	       "Load, per target:\n"
	       "  -w, --window N        closed loop: requests in flight (default 1)\n"
	       "  -n, --count N         requests to send\n"
	       "  -d, --duration SECS   how long to send (default 5 when -n is not given);\n"
	       "                        with -n too, whichever ends first\n"
	       "  -r, --rate PPS        open loop: requests per second on a fixed schedule,\n"
	       "                        whatever comes back (--window is ignored)\n"
	       "  -s, --size BYTES      ICMP data bytes per request, %d to %d (default 56)\n"
	       "      --timeout MS      a reply later than this is late and its request lost\n"
	       "                        (default 1000); after the last request, the run waits\n"
	       "                        that long at most for replies still in flight\n"
	       "      --ident N         first ICMP identifier, 0 to 65535, target i using N+i\n"
	       "                        (default: random, so that parallel runs keep apart)\n"
	       "\n"
	       "Result:\n"
	       "      --max-loss PCT    exit 1 when more than PCT %% of the requests were lost\n"
	       "                        (default 0)\n"
	       "      --max-corrupt N   exit 1 when more than N replies were corrupt (default 0)\n"
	       "      --json            print one JSON object instead of the table\n"
	       "  -h, --help            print this help and exit\n"
	       "  -V, --version         print the version and exit\n"
	       "\n"
	       "Counters: sent = received + late + lost. received: good replies within the\n"
	       "timeout; late: a good reply after it; lost: none at all; dup: a further reply\n"
	       "to an answered request; corrupt: a reply with our identifier and anything\n"
	       "wrong (source, size, checksum, sequence, cookie, timestamp, a data byte) --\n"
	       "its request stays unanswered. RTTs (us) are those of received replies;\n"
	       "replies/s is received divided by the time from the start to the last one.\n"
	       "\n"
	       "JSON: {\"targets\":[{\"target\":ADDR,\"sent\":N,\"received\":N,\"lost\":N,\n"
	       "\"late\":N,\"duplicate\":N,\"corrupted\":N,\"rate\":REPLIES_PER_S,\"rtt_us\":{"
	       "\"p50\":US,\n"
	       "\"p90\":US,\"p99\":US,\"p999\":US,\"max\":US}},...],\"total\":{the same but "
	       "\"target\"}}\n"
	       "on one line, targets in order; \"rtt_us\" is null without replies.\n"
	       "\n"
	       "It needs CAP_NET_RAW (root) for its raw ICMP sockets. While stderr is a\n"
	       "terminal, a line of progress each second. SIGINT (Ctrl-C) or SIGTERM ends the\n"
	       "sending early; a second one ends the wait for replies.\n"
	       "\n"
	       "Exit status: 0 when within --max-loss and --max-corrupt; 1 when not, or\n"
	       "when the system refused a socket; 2 for a bad option or config.\n",
	       PROBE_LEN, MAX_SIZE);
}

static bool parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr,
			PROG ": %s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64 "\n",
			opt, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_real(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= min && v <= max)) {
		fprintf(stderr, PROG ": %s: '%s' is not a number from %g to %g\n", opt, s, min,
			max);
		return false;
	}
	*out = v;
	return true;
}

enum {
	OPT_HOSTS = 256,
	OPT_LIST,
	OPT_TIMEOUT,
	OPT_IDENT,
	OPT_MAX_LOSS,
	OPT_MAX_CORRUPT,
	OPT_JSON,
};

/* Fill @o from the options; -1 to go on, else the exit status. */
static int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"hosts", required_argument, NULL, OPT_HOSTS},
	    {"list", no_argument, NULL, OPT_LIST},
	    {"window", required_argument, NULL, 'w'},
	    {"count", required_argument, NULL, 'n'},
	    {"duration", required_argument, NULL, 'd'},
	    {"rate", required_argument, NULL, 'r'},
	    {"size", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"ident", required_argument, NULL, OPT_IDENT},
	    {"max-loss", required_argument, NULL, OPT_MAX_LOSS},
	    {"max-corrupt", required_argument, NULL, OPT_MAX_CORRUPT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	*o = (struct options){.hosts = 1, .window = 1, .size = 56, .timeout_ms = 1000, .ident = -1};
	while ((c = getopt_long(argc, argv, "c:w:n:d:r:s:hV", longopts, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_HOSTS:
			ok = parse_uint("--hosts", optarg, 1, MAX_TARGETS, &o->hosts);
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case 'w':
			ok = parse_uint("--window", optarg, 1, 65536, &o->window);
			break;
		case 'n':
			ok = parse_uint("--count", optarg, 1, UINT64_C(1) << 48, &o->count);
			break;
		case 'd':
			ok = parse_real("--duration", optarg, 0.001, 31536000, &o->duration);
			break;
		case 'r':
			ok = parse_real("--rate", optarg, 0.001, 1e8, &o->rate);
			break;
		case 's':
			ok = parse_uint("--size", optarg, PROBE_LEN, MAX_SIZE, &v);
			o->size = (uint32_t)v;
			break;
		case OPT_TIMEOUT:
			ok = parse_uint("--timeout", optarg, 1, 60000, &v);
			o->timeout_ms = (uint32_t)v;
			break;
		case OPT_IDENT:
			ok = parse_uint("--ident", optarg, 0, 65535, &v);
			o->ident = (long)v;
			break;
		case OPT_MAX_LOSS:
			ok = parse_real("--max-loss", optarg, 0, 100, &o->max_loss);
			break;
		case OPT_MAX_CORRUPT:
			ok = parse_uint("--max-corrupt", optarg, 0, UINT64_MAX, &o->max_corrupt);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf(PROG " %s\n", tunecho_version());
			return 0;
		default: /* getopt said what is wrong */
			ok = false;
			break;
		}
		if (!ok) {
			usage_hint();
			return 2;
		}
	}
	/* Bounded whatever the options: no count and no duration is 5 s. */
	if (!o->count && o->duration <= 0)
		o->duration = 5;
	return -1;
}

/* Targets from -c and the command line, each once; -1 after a message. */
static int collect_targets(struct run *r, int argc, char **argv)
{
	if (r->opt.config && add_config_targets(r, r->opt.config) < 0)
		return -1;
	for (int i = optind; i < argc; i++) {
		uint8_t a[16];

		if (inet_pton(AF_INET, argv[i], a) == 1) {
			if (add_target(r, AF_INET, a, NULL) < 0)
				return -1;
		} else if (inet_pton(AF_INET6, argv[i], a) == 1) {
			if (add_target(r, AF_INET6, a, NULL) < 0)
				return -1;
		} else {
			fprintf(stderr, PROG ": '%s' is not an IPv4 or IPv6 address\n", argv[i]);
			usage_hint();
			return -1;
		}
	}
	if (!r->n_targets) {
		fprintf(stderr, PROG ": no targets: give addresses, or a config with -c FILE\n");
		usage_hint();
		return -1;
	}
	return dedup_targets(r);
}

/* ------------------------------------------------------------------ */
/* Set-up                                                             */
/* ------------------------------------------------------------------ */

static int open_socket(int family)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	const char *name = family == AF_INET ? "ICMP" : "ICMPv6";
	int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, proto), buf = SOCK_BUF;
	int ret;

	if (fd < 0) {
		if (errno == EPERM || errno == EACCES)
			fprintf(stderr,
				PROG ": raw %s socket: %s; this needs CAP_NET_RAW: run " PROG
				     " as root\n",
				name, strerror(errno));
		else
			fprintf(stderr, PROG ": raw %s socket: %s\n", name, strerror(errno));
		return -1;
	}
	/* Only echo replies: a busy host's other ICMP never wakes us up. */
	if (family == AF_INET) {
		struct icmp_filter flt = {.data = ~(1u << ICMP_ECHOREPLY)};

		ret = setsockopt(fd, SOL_RAW, ICMP_FILTER, &flt, sizeof(flt));
	} else {
		struct icmp6_filter flt;

		ICMP6_FILTER_SETBLOCKALL(&flt);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &flt);
		ret = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &flt, sizeof(flt));
	}
	if (ret < 0) {
		fprintf(stderr, PROG ": %s filter: %s\n", name, strerror(errno));
		close(fd);
		return -1;
	}
	/* Room for bursts of replies: the *FORCE variants pass the sysctl
	 * limits as root; otherwise take what the limits give. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return fd;
}

static int setup_fam(struct run *r, int fam)
{
	struct fam *f = &r->fams[fam];
	size_t n = 0;

	for (size_t i = 0; i < r->n_targets; i++)
		n += r->targets[i].fam == fam;
	if (!n)
		return 0;
	f->fd = open_socket(fam == FAM_V4 ? AF_INET : AF_INET6);
	if (f->fd < 0)
		return -1;
	f->pkt_len = ICMP_HDR + r->opt.size;
	f->rx_len = f->pkt_len + 128; /* an IPv4 header, and room to see a longer reply */
	f->batch = (unsigned)((1u << 20) / f->rx_len);
	f->batch = f->batch < 1 ? 1 : f->batch > BATCH ? BATCH : f->batch;
	f->txm = calloc(f->batch, sizeof(*f->txm));
	f->txv = calloc(f->batch, sizeof(*f->txv));
	f->txbuf = calloc(f->batch, f->pkt_len);
	f->txmeta = calloc(f->batch, sizeof(*f->txmeta));
	f->txctl = calloc(f->batch, sizeof(*f->txctl));
	f->rxm = calloc(f->batch, sizeof(*f->rxm));
	f->rxv = calloc(f->batch, sizeof(*f->rxv));
	f->rxbuf = calloc(f->batch, f->rx_len);
	f->rxaddr = calloc(f->batch, sizeof(*f->rxaddr));
	f->queue = calloc(n, sizeof(*f->queue));
	f->qcap = n;
	f->rd = event_new(r->base, f->fd, EV_READ | EV_PERSIST, on_readable, f);
	f->wr = event_new(r->base, f->fd, EV_WRITE, on_writable, f);
	if (!f->txm || !f->txv || !f->txbuf || !f->txmeta || !f->txctl || !f->rxm || !f->rxv ||
	    !f->rxbuf || !f->rxaddr || !f->queue || !f->rd || !f->wr ||
	    event_add(f->rd, NULL) < 0) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < f->batch; i++) {
		f->rxv[i] =
		    (struct iovec){.iov_base = f->rxbuf + i * f->rx_len, .iov_len = f->rx_len};
		f->rxm[i].msg_hdr = (struct msghdr){
		    .msg_name = &f->rxaddr[i], .msg_iov = &f->rxv[i], .msg_iovlen = 1};
	}
	return 0;
}

static int setup(struct run *r)
{
	struct event_config *ec;
	struct slot *rings;
	uint64_t seed[2], *hists;

	/* The ring: as big as the budget allows (reordering tolerated before a
	 * closed loop waits), 4 windows at least; in an open loop, twice what
	 * is sent within a timeout, so expiry, not reuse, decides the loss. */
	r->ring_size = RING_MIN;
	while (r->ring_size < RING_MAX &&
	       r->ring_size * 2 * sizeof(struct slot) * r->n_targets <= RING_BUDGET)
		r->ring_size *= 2;
	while (r->ring_size < 4 * r->opt.window)
		r->ring_size *= 2;
	if (r->opt.rate > 0)
		while (r->ring_size < RING_OPEN_MAX &&
		       (double)r->ring_size < 2 * r->opt.rate * r->opt.timeout_ms / 1000 + BATCH)
			r->ring_size *= 2;
	r->timeout_ns = r->opt.timeout_ms * NS_PER_MS;
	if (r->opt.rate > 0 && r->opt.duration > 0) /* request k leaves at k / rate < duration */
		r->open_loop_cap = (uint64_t)ceil(r->opt.rate * r->opt.duration - 1e-6);

	if (getrandom(seed, sizeof(seed), 0) != sizeof(seed)) {
		fprintf(stderr, PROG ": getrandom: %s\n", strerror(errno));
		return -1;
	}
	r->cookie = seed[0];
	r->id_base = (uint16_t)(r->opt.ident >= 0 ? (uint64_t)r->opt.ident : seed[1]);

	rings = calloc(r->n_targets * r->ring_size, sizeof(*rings));
	/* calloc'd pages are only backed once touched: most buckets never are */
	hists = calloc(r->n_targets * HIST_BUCKETS, sizeof(*hists));

	if (!rings || !hists) {
		free(rings);
		free(hists);
		fprintf(stderr, PROG ": out of memory for %zu targets\n", r->n_targets);
		return -1;
	}
	for (size_t i = 0; i < r->n_targets; i++) {
		r->targets[i].ident = (uint16_t)(r->id_base + i);
		r->targets[i].ring = rings + i * r->ring_size;
		r->targets[i].hist = hists + i * HIST_BUCKETS;
	}

	ec = event_config_new();
	if (ec) {
		/* precise timers keep an open loop's schedule; we are one thread */
		event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER | EVENT_BASE_FLAG_NOLOCK);
		r->base = event_base_new_with_config(ec);
		event_config_free(ec);
	}
	if (!r->base) {
		fprintf(stderr, PROG ": cannot create the event loop\n");
		return -1;
	}
	r->tick = event_new(r->base, -1, EV_PERSIST, on_tick, r);
	r->end_send = event_new(r->base, -1, 0, on_end_send, r);
	r->grace = event_new(r->base, -1, 0, on_grace, r);
	r->progress = event_new(r->base, -1, EV_PERSIST, on_progress, r);
	r->sigint = evsignal_new(r->base, SIGINT, on_signal, r);
	r->sigterm = evsignal_new(r->base, SIGTERM, on_signal, r);
	if (!r->tick || !r->end_send || !r->grace || !r->progress || !r->sigint || !r->sigterm) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (int fam = 0; fam < FAMS; fam++)
		if (setup_fam(r, fam) < 0)
			return -1;
	return 0;
}

static void teardown(struct run *r)
{
	for (int i = 0; i < FAMS; i++) {
		struct fam *f = &r->fams[i];

		if (f->rd)
			event_free(f->rd);
		if (f->wr)
			event_free(f->wr);
		if (f->fd >= 0)
			close(f->fd);
		free(f->txm);
		free(f->txv);
		free(f->txbuf);
		free(f->txmeta);
		free(f->txctl);
		free(f->rxm);
		free(f->rxv);
		free(f->rxbuf);
		free(f->rxaddr);
		free(f->queue);
	}
	struct event *evs[] = {r->tick, r->end_send, r->grace, r->progress, r->sigint, r->sigterm};

	for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
		if (evs[i])
			event_free(evs[i]);
	if (r->base)
		event_base_free(r->base);
	if (r->n_targets) {
		free(r->targets[0].ring);
		free(r->targets[0].hist);
	}
	free(r->targets);
}

static void run_load(struct run *r)
{
	uint64_t tick = r->opt.rate > 0 ? NS_PER_MS : r->timeout_ns / 10;
	struct timeval tv;

	if (tick < NS_PER_MS)
		tick = NS_PER_MS;
	if (tick > 100 * NS_PER_MS)
		tick = 100 * NS_PER_MS;
	tv = tv_of_ns(tick);
	event_add(r->tick, &tv);
	if (r->opt.duration > 0) {
		tv = tv_of_ns((uint64_t)(r->opt.duration * NS_PER_S));
		event_add(r->end_send, &tv);
	}
	r->tty = isatty(STDERR_FILENO);
	if (r->tty) {
		tv = tv_of_ns(NS_PER_S);
		event_add(r->progress, &tv);
	}
	event_add(r->sigint, NULL);
	event_add(r->sigterm, NULL);

	r->start_ns = r->prev_ns = now_ns();
	r->sending = true;
	for (size_t i = 0; i < r->n_targets; i++)
		enqueue(r, &r->targets[i]);
	flush_all(r);
	event_base_dispatch(r->base);
	if (r->tty)
		fputs("\r\033[K", stderr);
}

/* ------------------------------------------------------------------ */
/* Report                                                             */
/* ------------------------------------------------------------------ */

/* One row of the report: a target or the total. */
struct row {
	const char *name;
	struct counts c;
	const uint64_t *hist;
	uint64_t rtt_max;
	uint64_t end_ns; /* the last reply, or the end of sending if later */
};

static double row_rate(const struct run *r, const struct row *w)
{
	if (!w->c.received || w->end_ns <= r->start_ns)
		return 0;
	return (double)w->c.received * NS_PER_S / (double)(w->end_ns - r->start_ns);
}

/* p50, p90, p99, p99.9 and max of @w, in µs. */
static void row_rtt_us(const struct row *w, double us[5])
{
	static const double q[4] = {0.5, 0.9, 0.99, 0.999};

	for (int i = 0; i < 4; i++)
		us[i] = hist_quantile(w->hist, w->c.received, q[i], w->rtt_max) / 1000;
	us[4] = (double)w->rtt_max / 1000;
}

static void print_row(const struct run *r, const struct row *w, int width)
{
	double us[5];

	printf("%-*s %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %8" PRIu64
	       " %11.1f",
	       width, w->name, w->c.sent, w->c.received, w->c.lost, w->c.late, w->c.dup,
	       w->c.corrupt, row_rate(r, w));
	row_rtt_us(w, us);
	for (int i = 0; i < 5; i++)
		if (w->c.received)
			printf(" %9.1f", us[i]);
		else
			printf(" %9s", "-");
	putchar('\n');
}

static void print_json_row(const struct run *r, const struct row *w)
{
	double us[5];

	printf(
	    "\"sent\":%" PRIu64 ",\"received\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"late\":%" PRIu64
	    ",\"duplicate\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"rate\":%.1f,\"rtt_us\":",
	    w->c.sent, w->c.received, w->c.lost, w->c.late, w->c.dup, w->c.corrupt, row_rate(r, w));
	if (!w->c.received) {
		fputs("null}", stdout);
		return;
	}
	row_rtt_us(w, us);
	printf("{\"p50\":%.1f,\"p90\":%.1f,\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}}", us[0], us[1],
	       us[2], us[3], us[4]);
}

/* Print the table (or JSON); return the exit status it implies. */
static int report(const struct run *r)
{
	struct row total = {.name = "total",
			    .hist = r->hist,
			    .rtt_max = r->rtt_max,
			    .end_ns = max_u64(r->last_reply_ns, r->stop_ns)};
	int width = 6;

	for (size_t i = 0; i < r->n_targets; i++) {
		const struct counts *c = &r->targets[i].c;
		int len = (int)strlen(r->targets[i].name);

		total.c.sent += c->sent;
		total.c.received += c->received;
		total.c.lost += c->lost;
		total.c.late += c->late;
		total.c.dup += c->dup;
		total.c.corrupt += c->corrupt;
		width = len > width ? len : width;
	}
	if (!r->opt.json)
		printf("%-*s %10s %10s %8s %8s %8s %8s %11s %9s %9s %9s %9s %9s\n", width, "target",
		       "sent", "received", "lost", "late", "dup", "corrupt", "replies/s", "p50 us",
		       "p90 us", "p99 us", "p99.9 us", "max us");
	else
		fputs("{\"targets\":[", stdout);
	for (size_t i = 0; i < r->n_targets; i++) {
		const struct target *t = &r->targets[i];
		struct row w = {.name = t->name,
				.c = t->c,
				.hist = t->hist,
				.rtt_max = t->rtt_max,
				.end_ns = max_u64(t->last_reply_ns, t->done_ns)};

		if (!r->opt.json) {
			print_row(r, &w, width);
			continue;
		}
		printf("%s{\"target\":\"%s\",", i ? "," : "", t->name);
		print_json_row(r, &w);
	}
	if (!r->opt.json) {
		print_row(r, &total, width);
	} else {
		fputs("],\"total\":{", stdout);
		print_json_row(r, &total);
		fputs("}\n", stdout);
	}
	fflush(stdout);

	double loss = total.c.sent ? 100.0 * (double)total.c.lost / (double)total.c.sent : 0;

	return loss <= r->opt.max_loss && total.c.corrupt <= r->opt.max_corrupt ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct run *r = calloc(1, sizeof(*r));
	int status;

	if (!r) {
		fprintf(stderr, PROG ": out of memory\n");
		return 1;
	}
	r->fams[FAM_V4] = (struct fam){.run = r, .family = AF_INET, .fd = -1};
	r->fams[FAM_V6] = (struct fam){.run = r, .family = AF_INET6, .fd = -1};
	status = parse_options(&r->opt, argc, argv);
	if (status >= 0)
		goto out;
	status = 2;
	if (collect_targets(r, argc, argv) < 0)
		goto out;
	if (r->opt.list) {
		for (size_t i = 0; i < r->n_targets; i++)
			puts(r->targets[i].name);
		status = 0;
		goto out;
	}
	status = 1;
	if (setup(r) < 0)
		goto out;
	run_load(r);
	status = report(r);
out:
	teardown(r);
	free(r);
	return status;
}

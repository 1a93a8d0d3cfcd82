/* SPDX-License-Identifier: MIT */
/*
 * The send/receive loop of tunecho-load: raw sockets, batches, the rings
 * that classify every reply, timers and signals (load.h has the overview).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <event2/event.h>
#include <math.h>
#include <netinet/icmp6.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <linux/icmp.h> /* ICMP_FILTER: glibc has no IPv4 counterpart of ICMP6_FILTER */

#include "load.h"
#include "timing.h"

/* An open loop's tick: about this many requests each, at least this far apart. */
#define OPEN_TICK_REQUESTS 16.0
#define OPEN_TICK_MIN_NS   100000ull

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
		/* The targets take turns (timing.h). */
		uint64_t due = timing_due(r->opt.rate, now - r->start_ns, (size_t)(t - r->targets),
					  r->n_targets);

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
	r->sec_lost++;
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
	probe_build(buf, t->fam == FAM_V6, t->ident, r->cookie, seq, now, r->opt.size);
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
	/* --expect: the request this slot held leaves the ring, its fate known. */
	if (r->opt.expect && seq >= r->ring_size)
		runs_add(&t->runs, s->state != SLOT_ANSWERED);
	s->sent_ns = f->txmeta[i].sent_ns;
	s->state = SLOT_INFLIGHT;
	t->next_seq = seq + 1;
	t->pending--;
	t->inflight++;
	t->c.sent++;
	r->sec_sent++;
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
	r->sec_received++;
	t->hist[hist_index(rtt)]++;
	r->hist[hist_index(rtt)]++;
	if (r->tty || r->series)
		r->hist_sec[hist_index(rtt)]++;
	if (rtt > t->rtt_max)
		t->rtt_max = rtt;
	if (rtt > r->rtt_max)
		r->rtt_max = rtt;
	t->last_reply_ns = r->last_reply_ns = now;
}

/* CLOCK_REALTIME - CLOCK_MONOTONIC, from reads close together (a read
 * between two of the other clock within 2 us, else the closest of three). */
static int64_t realtime_offset(void)
{
	int64_t best = 0;
	uint64_t best_gap = UINT64_MAX;

	for (int i = 0; i < 3 && best_gap > 2000; i++) {
		uint64_t a = now_ns(), b;
		struct timespec rt;

		clock_gettime(CLOCK_REALTIME, &rt);
		b = now_ns();
		if (b - a < best_gap) {
			best_gap = b - a;
			best = (int64_t)rt.tv_sec * (int64_t)NS_PER_S + rt.tv_nsec -
			       (int64_t)(a + (b - a) / 2);
		}
	}
	return best;
}

/* Reply @i of the batch just read: check it byte for byte and count it. */
static void handle_reply(struct run *r, struct fam *f, unsigned i, uint64_t now)
{
	const struct probe_run pr = {.cookie = r->cookie,
				     .id_base = r->id_base,
				     .n_targets = r->n_targets,
				     .size = r->opt.size};
	const struct msghdr *mh = &f->rxm[i].msg_hdr;
	struct target *t;
	struct probe p;
	uint32_t k;

	if (r->opt.expect) {
		const uint8_t *dst;

		if (unreach_parse(&pr, f->family == AF_INET6, f->rxbuf + i * f->rx_len,
				  f->rxm[i].msg_len, &k, &dst)) {
			t = &r->targets[k];
			if (!memcmp(dst,
				    t->fam == FAM_V4 ? (const void *)&t->addr.v4.sin_addr
						     : (const void *)&t->addr.v6.sin6_addr,
				    t->fam == FAM_V4 ? 4 : 16))
				t->unreach++;
			return;
		}
	}
	switch (reply_verify(&pr, f->family == AF_INET6, f->rxbuf + i * f->rx_len,
			     f->rxm[i].msg_len, mh->msg_flags & MSG_TRUNC, &k, &p)) {
	case REPLY_IGNORE:
		return;
	case REPLY_SUSPECT:
		if (same_addr(&r->targets[k], &f->rxaddr[i]))
			r->targets[k].c.corrupt++;
		return;
	case REPLY_CORRUPT:
		r->targets[k].c.corrupt++;
		return;
	case REPLY_OK:
		break;
	}
	t = &r->targets[k];
	if (!same_addr(t, &f->rxaddr[i]) || p.seq >= t->next_seq) {
		t->c.corrupt++;
		return;
	}
	{
		int ttl = f->family == AF_INET ? f->rxbuf[i * f->rx_len + 8] : -1;

		for (struct cmsghdr *c = f->rxctl ? CMSG_FIRSTHDR(mh) : NULL; c;
		     c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)
				memcpy(&ttl, CMSG_DATA(c), sizeof(ttl));
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec rt;

				memcpy(&rt, CMSG_DATA(c), sizeof(rt));
				now = timing_arrival(&rt, f->rt_offset, p.sent_ns, now);
			}
		}
		if (ttl >= 0 && ttl <= 255) {
			t->ttl_min = t->ttl_seen && t->ttl_min < ttl ? t->ttl_min : (uint8_t)ttl;
			t->ttl_max = t->ttl_seen && t->ttl_max > ttl ? t->ttl_max : (uint8_t)ttl;
			t->ttl_seen = true;
		}
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
			if (f->rxctl)
				f->rxm[i].msg_hdr.msg_controllen = sizeof(f->rxctl[i]);
		}
		n = recvmmsg(fd, f->rxm, f->batch, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				fprintf(stderr, PROG ": receiving: %s\n", strerror(errno));
			break;
		}
		/* One clock read per batch: these replies were all waiting; each
		 * has the kernel's time of its arrival on the realtime clock. */
		uint64_t now = now_ns();

		if (f->rxctl)
			f->rt_offset = realtime_offset();

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

static uint64_t sub_or_0(uint64_t a, uint64_t b)
{
	return a > b ? a - b : 0;
}

/* Periodic: give up on requests past their timeout, keep the open-loop
 * schedule. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	uint64_t now = now_ns();

	(void)fd;
	(void)what;
	if (r->opt.expect && r->prev_tick_ns && r->sending) {
		uint64_t late = sub_or_0(now - r->prev_tick_ns, r->tick_ns);

		r->wake[hist_index(late)]++;
		r->wake_max = late > r->wake_max ? late : r->wake_max;
	}
	r->prev_tick_ns = now;
	if (r->tick_ns >= NS_PER_MS || now - r->last_expiry_ns >= NS_PER_MS) {
		r->last_expiry_ns = now;
		for (size_t i = 0; i < r->n_targets; i++)
			if (r->targets[i].inflight)
				expire_due(r, &r->targets[i], now);
	}
	if (r->opt.rate > 0 && r->sending) {
		/* The turns due so far, of all targets: those since the last
		 * tick are the targets that have a new request. */
		uint64_t turns = timing_turns(r->opt.rate, now - r->start_ns, r->n_targets);
		uint64_t n =
		    turns - r->last_due < r->n_targets ? turns - r->last_due : r->n_targets;

		for (uint64_t k = 0; k < n; k++)
			enqueue(r, &r->targets[(r->last_due + k) % r->n_targets]);
		r->last_due = turns;
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

/* Each second: the progress line on a terminal, a row of --series. */
static void on_second(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	uint64_t now = now_ns(), sent = 0, received = 0, lost = 0, sec = 0;

	(void)fd;
	(void)what;
	if (r->series)
		series_row(r, now);
	if (!r->tty)
		goto next;
	for (size_t i = 0; i < r->n_targets; i++) {
		sent += r->targets[i].c.sent;
		received += r->targets[i].c.received;
		lost += r->targets[i].c.lost;
	}
	sec = hist_count(r->hist_sec);
	fprintf(stderr, "\r" PROG ": %.0f s, %.0f replies/s, loss %.2f %%, p99 ",
		(double)(now - r->start_ns) / NS_PER_S,
		(double)(received - r->prev_received) * NS_PER_S / (double)(now - r->prev_ns),
		sent ? 100.0 * (double)lost / (double)sent : 0.0);
	if (sec)
		fprintf(stderr, "%.1f us\033[K",
			hist_quantile(r->hist_sec, sec, 0.99, UINT64_MAX) / 1000);
	else
		fputs("-\033[K", stderr);
	r->prev_received = received;
next:
	memset(r->hist_sec, 0, sizeof(r->hist_sec));
	r->sec_sent = r->sec_received = r->sec_lost = 0;
	r->prev_ns = now;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                             */
/* ------------------------------------------------------------------ */

/* A raw socket of @family for echo replies, and with @unreach for ICMP
 * destination unreachables too (--expect). */
static int open_socket(int family, bool unreach)
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
		struct icmp_filter flt = {
		    .data = ~(1u << ICMP_ECHOREPLY | (unreach ? 1u << ICMP_DEST_UNREACH : 0))};

		ret = setsockopt(fd, SOL_RAW, ICMP_FILTER, &flt, sizeof(flt));
	} else {
		struct icmp6_filter flt;

		ICMP6_FILTER_SETBLOCKALL(&flt);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &flt);
		if (unreach)
			ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &flt);
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
	f->fd = open_socket(fam == FAM_V4 ? AF_INET : AF_INET6, r->opt.expect);
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
	/* A reply's RTT ends when the kernel took it in (SO_TIMESTAMPNS), not
	 * when this loop woke up to read it; --expect checks the hop limit
	 * of IPv6 replies, which the kernel says too. */
	int stamps = setsockopt(f->fd, SOL_SOCKET, SO_TIMESTAMPNS, &(int){1}, sizeof(int)) == 0;

	if (fam == FAM_V6 && r->opt.expect)
		stamps |=
		    setsockopt(f->fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &(int){1}, sizeof(int)) == 0;
	if (stamps && !(f->rxctl = calloc(f->batch, sizeof(*f->rxctl)))) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (unsigned i = 0; i < f->batch; i++) {
		f->rxv[i] =
		    (struct iovec){.iov_base = f->rxbuf + i * f->rx_len, .iov_len = f->rx_len};
		f->rxm[i].msg_hdr = (struct msghdr){
		    .msg_name = &f->rxaddr[i], .msg_iov = &f->rxv[i], .msg_iovlen = 1};
		if (f->rxctl) {
			f->rxm[i].msg_hdr.msg_control = &f->rxctl[i];
			f->rxm[i].msg_hdr.msg_controllen = sizeof(f->rxctl[i]);
		}
	}
	return 0;
}

int setup(struct run *r)
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
	r->second = event_new(r->base, -1, EV_PERSIST, on_second, r);
	r->sigint = evsignal_new(r->base, SIGINT, on_signal, r);
	r->sigterm = evsignal_new(r->base, SIGTERM, on_signal, r);
	if (!r->tick || !r->end_send || !r->grace || !r->second || !r->sigint || !r->sigterm) {
		fprintf(stderr, PROG ": out of memory\n");
		return -1;
	}
	for (int fam = 0; fam < FAMS; fam++)
		if (setup_fam(r, fam) < 0)
			return -1;
	return 0;
}

void teardown(struct run *r)
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
		free(f->rxctl);
		free(f->rxaddr);
		free(f->queue);
	}
	struct event *evs[] = {r->tick, r->end_send, r->grace, r->second, r->sigint, r->sigterm};

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

void tally_rest(struct run *r)
{
	for (size_t i = 0; i < r->n_targets; i++) {
		struct target *t = &r->targets[i];
		uint64_t seq = t->next_seq > r->ring_size ? t->next_seq - r->ring_size : 0;

		for (; seq < t->next_seq; seq++)
			runs_add(&t->runs,
				 t->ring[seq & (r->ring_size - 1)].state != SLOT_ANSWERED);
	}
}

void run_load(struct run *r)
{
	/* An open loop ticks often enough for 16 requests a tick (at least
	 * 100 us apart): a burst of requests would queue at the responder and
	 * widen the RTTs it is measured by. */
	uint64_t lo = NS_PER_MS, hi = 100 * NS_PER_MS, tick = r->timeout_ns / 10;
	struct timeval tv;

	if (r->opt.rate > 0) {
		tick = (uint64_t)(OPEN_TICK_REQUESTS * NS_PER_S /
				  (r->opt.rate * (double)r->n_targets));
		lo = OPEN_TICK_MIN_NS;
		hi = NS_PER_MS;
	}
	tick = tick < lo ? lo : tick > hi ? hi : tick;
	tv = tv_of_ns(tick);
	r->tick_ns = tick;
	event_add(r->tick, &tv);
	if (r->opt.duration > 0) {
		tv = tv_of_ns((uint64_t)(r->opt.duration * NS_PER_S));
		event_add(r->end_send, &tv);
	}
	r->tty = isatty(STDERR_FILENO);
	if (r->tty || r->series) {
		tv = tv_of_ns(NS_PER_S);
		event_add(r->second, &tv);
	}
	event_add(r->sigint, NULL);
	event_add(r->sigterm, NULL);

	r->start_ns = r->prev_ns = now_ns();
	r->sending = true;
	for (size_t i = 0; i < r->n_targets; i++)
		enqueue(r, &r->targets[i]);
	flush_all(r);
	event_base_dispatch(r->base);
	/* The last, partial second: a run shorter than one has a row too. */
	if (r->series)
		series_row(r, now_ns());
	if (r->tty)
		fputs("\r\033[K", stderr);
}

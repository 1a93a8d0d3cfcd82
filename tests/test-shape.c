/* SPDX-License-Identifier: MIT */
/*
 * The profile stage (shape.c) driven without a device: a struct tunecho
 * with its event base and shape state, one interface whose fd is one end
 * of a datagram socket pair (te_path_send() writes each reply to it as it
 * would to a TUN device), and the replies read from the other end.
 *
 * Held for the delay and sent once due (never early: a lower bound, the
 * only timing asserted), due replies handed out by the read path with the
 * timer set only when it stops, the store's limit (queue_full), keep-order
 * under jitter, duplicates, down and lost counted. No privileges needed.
 */
#include "common.h"

#include <event2/event.h>
#include <fcntl.h>
#include <time.h>

#include "config.h"
#include "responder.h"

struct rig {
	struct tunecho *t;
	struct tunecho_config *cfg;
	struct te_iface *ifc;
	int fd[2];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A responder with the one interface of config @profile_text's [te0]. */
static void rig_up(struct rig *g, const char *text)
{
	struct event_config *ec = event_config_new();
	char err[512];

	memset(g, 0, sizeof(*g));
	ck_assert_msg(tunecho_config_load_string(&g->cfg, text, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(g->cfg->n_ifaces, 1);
	g->t = calloc(1, sizeof(*g->t));
	ck_assert_ptr_nonnull(g->t);
	g->t->log.max = TUNECHO_LOG_WARNING;
	ck_assert_ptr_nonnull(ec);
	g->t->base = event_base_new_with_config(ec); /* the delays need no precise base */
	event_config_free(ec);
	ck_assert_ptr_nonnull(g->t->base);
	ck_assert_int_eq(te_shape_init(g->t), 0);
	te_shape_apply_globals(g->t, g->cfg);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, g->fd), 0);
	ck_assert_int_eq(fcntl(g->fd[1], F_SETFL, O_NONBLOCK), 0);
	g->ifc = calloc(1, sizeof(*g->ifc));
	ck_assert_ptr_nonnull(g->ifc);
	g->ifc->t = g->t;
	g->ifc->fd = g->fd[0];
	g->ifc->mtu = 1500;
	snprintf(g->ifc->name, sizeof(g->ifc->name), "te0");
	g->ifc->cfg = g->cfg->ifaces[0]; /* shared with cfg, which outlives it */
	ck_assert_int_eq(te_shape_iface_update(g->ifc), 0);
}

static void rig_down(struct rig *g)
{
	te_shape_iface_clear(g->ifc);
	te_shape_fini(g->t);
	event_base_free(g->t->base);
	close(g->fd[0]);
	close(g->fd[1]);
	free(g->ifc);
	free(g->t);
	tunecho_config_free(g->cfg);
}

/* IPv4 ICMP from 198.18.0.@host to 198.18.0.1: the request (type 8) and its
 * reply (type 0, addresses swapped), sequence @seq. */
static size_t packet(uint8_t *b, bool reply, unsigned host, uint16_t seq)
{
	memset(b, 0, 36);
	b[0] = 0x45;
	b[3] = 36;
	b[8] = 64;
	b[9] = 1;
	memcpy(b + 12, reply ? "\xc6\x12\x00\x00" : "\xc6\x12\x00\x01", 4);
	memcpy(b + 16, reply ? "\xc6\x12\x00\x01" : "\xc6\x12\x00\x00", 4);
	b[reply ? 15 : 19] = (uint8_t)host;
	b[20] = reply ? 0 : 8;
	b[26] = (uint8_t)(seq >> 8);
	b[27] = (uint8_t)seq;
	return 36;
}

/* Hand the reply to request @seq of host @host to the profile stage. */
static void answer(struct rig *g, unsigned host, uint16_t seq)
{
	uint8_t req[64], rep[64];
	size_t hlen = packet(req, false, host, seq), len = packet(rep, true, host, seq);

	ck_assert(te_shape_reply(g->ifc, NULL, req, hlen, rep, len));
}

/* The next reply written, its sequence (-1: none waiting); its TTL in *@ttl. */
static int next_reply(struct rig *g, unsigned *ttl)
{
	uint8_t b[128];
	ssize_t n = recv(g->fd[1], b, sizeof(b), 0);

	if (n < 0) {
		ck_assert_int_eq(errno, EAGAIN);
		return -1;
	}
	ck_assert_int_eq(n, 36);
	ck_assert_uint_eq(b[20], 0);
	if (ttl)
		*ttl = b[8];
	return b[26] << 8 | b[27];
}

/* Run the loop until the store is empty (at most @max_ms). */
static void drain(struct rig *g, unsigned max_ms)
{
	uint64_t end = mono_ns() + (uint64_t)max_ms * 1000000;

	while (te_shape_delayed(g->t) && mono_ns() < end)
		event_base_loop(g->t->base, EVLOOP_ONCE);
	ck_assert_uint_eq(te_shape_delayed(g->t), 0);
}

static const char *const DELAYED = "[global]\nseed = 7\n"
				   "[profile:wan]\ndelay = 30ms\nttl = 128\n"
				   "[te0]\naddress = 198.18.0.1/24\nprofile = wan\n";

START_TEST(a_reply_is_held_for_its_delay_and_sent_once_due)
{
	struct rig g;
	unsigned ttl = 0;
	uint64_t start;
	int seq;

	rig_up(&g, DELAYED);
	start = mono_ns();
	answer(&g, 5, 77);
	/* held: nothing written yet, one in the store and on the gauge */
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	ck_assert_uint_eq(te_shape_delayed(g.t), 1);
	ck_assert_uint_eq(g.ifc->delayed, 1);
	drain(&g, 5000);
	seq = next_reply(&g, &ttl);
	ck_assert_int_eq(seq, 77);
	ck_assert_msg(mono_ns() - start >= 30000000, "sent %.3f ms after, before its 30 ms",
		      (double)(mono_ns() - start) / 1e6);
	ck_assert_uint_eq(ttl, 128);
	ck_assert_uint_eq(g.ifc->delayed, 0);
	ck_assert_uint_eq(g.ifc->stats.replies, 1);
	/* once only */
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	rig_down(&g);
}
END_TEST

/*
 * While the read path runs (t->reading), a reply held leaves the timer
 * alone and goes out from te_shape_poll() between two packets once due,
 * without the loop; when the read path stops, te_shape_settle() sets the
 * timer (a timerfd) for the next one, which the loop then sends; an empty
 * store leaves it unset. Outside the read path, holding sets it at once.
 */
START_TEST(due_replies_leave_from_the_read_path_and_the_timer_waits_for_its_end)
{
	struct timespec ms3 = {0, 3000000};
	struct rig g;
	uint64_t due;

	rig_up(&g, "[profile:p]\ndelay = 2ms\n[te0]\naddress = 198.18.0.1/24\nprofile = p\n");
	g.t->reading = true;
	answer(&g, 5, 1);
	ck_assert_uint_eq(te_shape_delayed(g.t), 1);
	ck_assert(g.t->delay_next_ns != UINT64_MAX);
	ck_assert(g.t->delay_armed_ns == UINT64_MAX); /* not while reading */
	te_shape_poll(g.t);			      /* not due yet */
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	nanosleep(&ms3, NULL);
	te_shape_poll(g.t); /* due: out, with no loop run */
	ck_assert_int_eq(next_reply(&g, NULL), 1);
	ck_assert_uint_eq(te_shape_delayed(g.t), 0);
	ck_assert(g.t->delay_next_ns == UINT64_MAX);
	ck_assert(g.t->delay_armed_ns == UINT64_MAX);

	answer(&g, 5, 2);
	due = g.t->delay_next_ns;
	ck_assert(g.t->delay_armed_ns == UINT64_MAX);
	g.t->reading = false;
	te_shape_settle(g.t); /* the read path stopped: the timer is set for it */
	ck_assert(g.t->delay_armed_ns == due);
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	drain(&g, 5000);
	ck_assert_int_eq(next_reply(&g, NULL), 2);
	ck_assert(g.t->delay_armed_ns == UINT64_MAX); /* nothing left: unset */

	answer(&g, 5, 3); /* outside the read path: set at once */
	ck_assert(g.t->delay_armed_ns == g.t->delay_next_ns);
	drain(&g, 5000);
	ck_assert_int_eq(next_reply(&g, NULL), 3);
	ck_assert_uint_eq(g.ifc->stats.replies, 3);
	rig_down(&g);
}
END_TEST

START_TEST(the_store_is_bounded_and_counts_queue_full)
{
	struct rig g;
	unsigned got = 0;

	rig_up(&g, "[global]\nmax-delayed = 4\n"
		   "[profile:slow]\ndelay = 50ms\n"
		   "[te0]\naddress = 198.18.0.1/24\nprofile = slow\n");
	for (uint16_t i = 0; i < 10; i++)
		answer(&g, 9, i);
	ck_assert_uint_eq(te_shape_delayed(g.t), 4);
	ck_assert_uint_eq(g.ifc->stats.drops[TUNECHO_DROP_QUEUE_FULL], 6);
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	drain(&g, 5000);
	/* the four within the limit still come, the first four asked */
	for (int seq; (seq = next_reply(&g, NULL)) >= 0; got++)
		ck_assert_int_eq(seq, (int)got);
	ck_assert_uint_eq(got, 4);
	/* room again once they left */
	answer(&g, 9, 100);
	ck_assert_uint_eq(te_shape_delayed(g.t), 1);
	ck_assert_uint_eq(g.ifc->stats.drops[TUNECHO_DROP_QUEUE_FULL], 6);
	drain(&g, 5000);
	ck_assert_int_eq(next_reply(&g, NULL), 100);
	rig_down(&g);
}
END_TEST

/* 60 replies of one host under 20 ms +- 15 ms: how many arrive out of order. */
static unsigned inversions(const char *keep_order)
{
	char text[512];
	struct rig g;
	unsigned n = 0, inv = 0;
	int prev = -1;

	snprintf(text, sizeof(text),
		 "[global]\nseed = 11\n"
		 "[profile:jit]\ndelay = 20ms\njitter = 15ms\nkeep-order = %s\n"
		 "[te0]\naddress = 198.18.0.1/24\nprofile = jit\n",
		 keep_order);
	rig_up(&g, text);
	for (uint16_t i = 0; i < 60; i++)
		answer(&g, 3, i);
	drain(&g, 5000);
	for (int seq; (seq = next_reply(&g, NULL)) >= 0; n++, prev = seq)
		inv += seq < prev;
	ck_assert_uint_eq(n, 60);
	rig_down(&g);
	return inv;
}

START_TEST(keep_order_never_reorders_one_host_under_jitter)
{
	ck_assert_uint_eq(inversions("yes"), 0);
	/* the same without keep-order does reorder: the check can see it */
	ck_assert_uint_gt(inversions("no"), 0);
}
END_TEST

START_TEST(duplicate_sends_twice_down_and_lost_are_counted)
{
	struct rig g;

	rig_up(&g, "[global]\nseed = 3\n"
		   "[profile:twice]\nduplicate = 100%\n"
		   "[profile:off]\ndown = yes\n"
		   "[profile:lossy]\nloss = 100%\n"
		   "[te0]\naddress = 198.18.0.1/24\n"
		   "hosts = 198.18.0.10 profile twice\n"
		   "hosts = 198.18.0.20 profile off\n"
		   "hosts = 198.18.0.30 profile lossy\n");
	answer(&g, 10, 1);
	ck_assert_int_eq(next_reply(&g, NULL), 1);
	ck_assert_int_eq(next_reply(&g, NULL), 1);
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	ck_assert_uint_eq(g.ifc->stats.replies, 2);
	for (uint16_t i = 0; i < 5; i++) {
		answer(&g, 20, i);
		answer(&g, 30, i);
	}
	ck_assert_int_eq(next_reply(&g, NULL), -1);
	ck_assert_uint_eq(te_shape_delayed(g.t), 0);
	ck_assert_uint_eq(g.ifc->stats.drops[TUNECHO_DROP_DOWN], 5);
	ck_assert_uint_eq(g.ifc->stats.drops[TUNECHO_DROP_LOST], 5);
	ck_assert_uint_eq(g.ifc->stats.replies, 2);
	/* a host of no profile is answered at once, untouched */
	answer(&g, 40, 9);
	ck_assert_int_eq(next_reply(&g, NULL), 9);
	rig_down(&g);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("shape");
	TCase *tc = tcase_create("shape");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, a_reply_is_held_for_its_delay_and_sent_once_due);
	tcase_add_test(tc, due_replies_leave_from_the_read_path_and_the_timer_waits_for_its_end);
	tcase_add_test(tc, the_store_is_bounded_and_counts_queue_full);
	tcase_add_test(tc, keep_order_never_reorders_one_host_under_jitter);
	tcase_add_test(tc, duplicate_sends_twice_down_and_lost_are_counted);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

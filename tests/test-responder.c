/* SPDX-License-Identifier: MIT */
/*
 * The library in-process: a responder on a test's own event base, in a
 * network namespace the test creates. Checks set-up and teardown, counters,
 * the loss of a device under the loop, and two responders side by side.
 */
#include "common.h"

#include <arpa/inet.h>
#include <cap-ng.h>
#include <event2/event.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "checksum.h"
#include "netlink.h"
#include "packet.h"
#include "tunecho.h"

#include "responder-common.h"

/* One UDP datagram to port 9 (discard) of @ip4. */
static void send_udp(const char *ip4)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(inet_pton(AF_INET, ip4, &to.sin_addr), 1);
	ck_assert_int_eq(sendto(fd, "x", 1, 0, (struct sockaddr *)&to, sizeof(to)), 1);
	close(fd);
}

static void setup(void)
{
	te_test_netns();
}

START_TEST(free_removes_created_interfaces)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 2001:db8:1::1/64\nmtu = 1400\n"
				      "txqueuelen = 4000\n",
				      &log);
	char out[4096];

	ck_assert_uint_eq(tunecho_iface_count(t), 2);
	ck_assert_str_eq(tunecho_iface_name(t, 0), "te0");
	ck_assert_str_eq(tunecho_iface_name(t, 1), "te1");
	ck_assert_ptr_null(tunecho_iface_name(t, 2));
	te_sh_out(out, sizeof(out), "ip addr show dev te1");
	ck_assert_msg(strstr(out, "mtu 1400") && strstr(out, "qlen 4000") &&
			  strstr(out, "2001:db8:1::1/64") && strstr(out, ",UP"),
		      "te1 not configured:\n%s", out);
	/* Created devices get no fe80:: address (addrgenmode none). */
	ck_assert_msg(!strstr(out, "fe80:") && !strstr(out, "scope link"),
		      "te1 has a link-local address:\n%s", out);
	ck_assert_ptr_nonnull(strstr(log.text, "notice: te0: serving (created)"));

	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("te0"), 0);
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	tunecho_free(NULL);
	event_base_free(base);
}
END_TEST

/* The count of drops under @reason of interface @i (or the totals). */
static uint64_t drops_of(const struct tunecho *t, size_t i, enum tunecho_drop_reason reason)
{
	uint64_t by[TUNECHO_DROP_REASONS];

	ck_assert_int_eq(tunecho_drops(t, i, by, TUNECHO_DROP_REASONS), TUNECHO_DROP_REASONS);
	return by[reason];
}

START_TEST(counters_per_interface_and_total)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n",
				      NULL);
	struct tunecho_stats st, total;

	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 3 -i 0.05 -w 5 198.18.0.2 >/dev/null"),
			 0);
	/* A UDP datagram: read, not answered, counted as not_icmp. */
	send_udp("198.18.0.6");
	ck_assert_int_eq(run_while(&base, 1, "sleep 0.1"), 0);

	ck_assert_int_eq(tunecho_stats(t, 0, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 3);
	ck_assert_uint_ge(st.rx_packets, 3);
	ck_assert_uint_eq(st.tx_bytes, 3 * 84);
	ck_assert_uint_eq(st.write_errors, 0);
	ck_assert_int_eq(tunecho_stats(t, 1, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 0);
	ck_assert_uint_eq(drops_of(t, 1, TUNECHO_DROP_NOT_ICMP), 1);
	ck_assert_uint_eq(st.dropped, 1);
	ck_assert_int_eq(tunecho_stats(t, 2, &total, sizeof(total)), 0);
	ck_assert_uint_eq(total.replies, 3);
	ck_assert_uint_eq(drops_of(t, 2, TUNECHO_DROP_NOT_ICMP), 1);
	ck_assert_int_eq(tunecho_stats(t, 3, &st, sizeof(st)), -ERANGE);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

START_TEST(device_deleted_underneath_leaves_the_loop_without_spinning)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n",
				      &log);
	struct timeval half = {0, 500000};
	double cpu;

	ck_assert_int_eq(run_while(&base, 1, "ip link del te0"), 0);
	/* Half a second of loop: a spinning fd would burn all of it. */
	cpu = cpu_seconds();
	event_base_loopexit(base, &half);
	event_base_dispatch(base);
	cpu = cpu_seconds() - cpu;
	ck_assert_msg(cpu < 0.1, "the loop spun: %.3f s of CPU in 0.5 s", cpu);
	ck_assert_msg(
	    strstr(log.text, "warning: te0: the device was deleted; no longer serving it\n"),
	    "log:\n%s", log.text);
	/* Exactly one line about it, though the read and the monitor both see it. */
	ck_assert_ptr_null(strstr(strstr(log.text, "te0: the device") + 1, "te0: the device"));
	/* The other interface still answers. */
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.6 >/dev/null"),
			 0);
	ck_assert_uint_eq(tunecho_iface_count(t), 2);
	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	event_base_free(base);
}
END_TEST

/* Packets read from interface @i so far. */
static uint64_t rx_packets(const struct tunecho *t, size_t i)
{
	struct tunecho_stats st;

	ck_assert_int_eq(tunecho_stats(t, i, &st, sizeof(st)), 0);
	return st.rx_packets;
}

/* @n datagrams to @ip4, queued on its TUN device before this returns. */
static void send_udps(const char *ip4, int n)
{
	while (n-- > 0)
		send_udp(ip4);
}

START_TEST(one_round_shares_its_budget_among_the_ready_devices)
{
	static const char *const peers[] = {"198.18.0.2", "198.18.0.6", "198.18.0.10",
					    "198.18.0.14"};
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				      "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n"
				      "[te3]\naddress = 198.18.0.13 peer 198.18.0.14\n",
				      NULL);
	uint64_t before[4];

	ck_assert_int_eq(run_while(&base, 1, "sleep 0.1"), 0); /* set-up news read */
	for (size_t i = 0; i < 4; i++) {
		before[i] = rx_packets(t, i);
		send_udps(peers[i], 40);
	}
	/* One round, four devices with 40 queued each: 64 / 4 = 16 apiece. */
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(rx_packets(t, i) - before[i], 16);
	/* The next rounds take the rest. */
	ck_assert_int_eq(run_while(&base, 1, "sleep 0.1"), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(rx_packets(t, i) - before[i], 40);

	/* A device alone drains up to the whole budget in one round. */
	before[0] = rx_packets(t, 0);
	send_udps(peers[0], 100);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(rx_packets(t, 0) - before[0], 64);
	ck_assert_int_eq(event_base_loop(base, EVLOOP_ONCE), 0);
	ck_assert_uint_eq(rx_packets(t, 0) - before[0], 100);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

START_TEST(two_responders_side_by_side)
{
	struct event_base *bases[2] = {event_base_new(), event_base_new()};
	struct tunecho *a =
	    responder(bases[0], "[ta]\naddress = 198.18.0.1 peer 198.18.0.2\n", NULL);
	static const char *const addrs[] = {"2001:db8:b::1/64", NULL};
	const struct tunecho_iface_settings tb = {.name = "tb", .addresses = addrs};
	struct tunecho_config *cfg = NULL;
	struct tunecho *b = NULL;
	struct tunecho_stats st;

	/* The second one from settings a program fills in, not from text. */
	ck_assert_int_eq(tunecho_config_new(&cfg), 0);
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &tb, sizeof(tb), NULL, 0), 0);
	ck_assert_int_eq(tunecho_new(&b, bases[1]), 0);
	ck_assert_int_eq(tunecho_add_config(b, cfg), 1);
	tunecho_config_free(cfg);

	ck_assert_int_eq(run_while(bases, 2,
				   "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.2 >/dev/null && "
				   "ping -6 -n -q -c 3 -i 0.05 -w 5 2001:db8:b::9 >/dev/null"),
			 0);
	ck_assert_int_eq(tunecho_stats(a, 0, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 2);
	ck_assert_int_eq(tunecho_stats(b, 0, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 3);
	tunecho_free(a);
	ck_assert_uint_eq(if_nametoindex("ta"), 0);
	ck_assert_uint_ne(if_nametoindex("tb"), 0);
	tunecho_free(b);
	event_base_free(bases[0]);
	event_base_free(bases[1]);
}
END_TEST

START_TEST(failed_add_undoes_the_whole_call)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho_config *cfg = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					    "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n");
	struct tunecho *t = NULL;

	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te1"), 0);
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	tunecho_set_log_fn(t, capture, &log, TUNECHO_LOG_ERR);
	ck_assert_int_eq(tunecho_add_config(t, cfg), -EEXIST);
	ck_assert_uint_eq(tunecho_iface_count(t), 0);
	ck_assert_uint_eq(if_nametoindex("te0"), 0);
	ck_assert_uint_ne(if_nametoindex("te1"), 0);
	ck_assert_str_eq(log.text, "error: te1: an interface of that name already exists; choose "
				   "another name, or set attach = yes to serve the existing TUN "
				   "device\n");

	/* The same interface twice in one responder is refused too. */
	ck_assert_int_eq(te_sh("ip link del te1"), 0);
	ck_assert_int_eq(tunecho_add_config(t, cfg), 2);
	ck_assert_int_eq(tunecho_add_config(t, cfg), -EEXIST);
	ck_assert_uint_eq(tunecho_iface_count(t), 2);
	tunecho_free(t);
	tunecho_config_free(cfg);
	event_base_free(base);
}
END_TEST

/* A FIRST handler that answers IPv4 pings itself, with TTL 7. */
static enum tunecho_verdict ttl7_echo(void *arg, struct tunecho_packet *pkt)
{
	uint16_t old, csum;

	(void)arg;
	if (te_icmp4_echo(NULL, pkt) != TUNECHO_ANSWER)
		return TUNECHO_PASS; /* the built-ins will look again */
	old = (uint16_t)(pkt->data[8] << 8 | pkt->data[9]);
	csum = te_csum_update16((uint16_t)(pkt->data[10] << 8 | pkt->data[11]), old,
				(uint16_t)(7 << 8 | pkt->data[9]));
	pkt->data[8] = 7;
	pkt->data[10] = (uint8_t)(csum >> 8);
	pkt->data[11] = (uint8_t)csum;
	return TUNECHO_ANSWER;
}

/* Counts what comes in on one interface and passes everything on. */
struct watcher {
	const char *ifname;
	unsigned seen;
};

static enum tunecho_verdict watch(void *arg, struct tunecho_packet *pkt)
{
	struct watcher *w = arg;

	if (!strcmp(pkt->ifname, w->ifname) && pkt->ifindex == (int)if_nametoindex(w->ifname))
		w->seen++;
	return TUNECHO_PASS;
}

/* Drops everything that comes in on the interface named @arg. */
static enum tunecho_verdict block(void *arg, struct tunecho_packet *pkt)
{
	if (strcmp(pkt->ifname, arg))
		return TUNECHO_PASS;
	pkt->reason = TUNECHO_DROP_HANDLER;
	return TUNECHO_DROP;
}

START_TEST(handlers_answer_drop_and_pass_in_order)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n",
				      NULL);
	struct watcher w = {.ifname = "te0"}, many[14] = {{0}};
	struct tunecho_stats st0, st1;
	char out[4096];

	ck_assert_int_eq(tunecho_add_handler(t, watch, &w, TUNECHO_HANDLER_FIRST), 0);
	ck_assert_int_eq(tunecho_add_handler(t, block, "te1", TUNECHO_HANDLER_FIRST), 0);
	ck_assert_int_eq(tunecho_add_handler(t, ttl7_echo, NULL, TUNECHO_HANDLER_FIRST), 0);

	/* te0: seen by watch, answered by ttl7_echo before the built-in. */
	ck_assert_int_eq(
	    run_while_out(base, "ping -n -c 2 -i 0.05 -w 5 198.18.0.2", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "ttl=7 "), "not answered by the custom handler:\n%s", out);
	/* te1: dropped by block before anything answers. */
	ck_assert_int_ne(run_while(&base, 1, "ping -n -q -c 1 -w 1 198.18.0.6 >/dev/null"), 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &st0, sizeof(st0)), 0);
	ck_assert_int_eq(tunecho_stats(t, 1, &st1, sizeof(st1)), 0);
	ck_assert_uint_eq(st0.replies, 2);
	ck_assert_uint_eq(w.seen, st0.rx_packets);
	ck_assert_uint_eq(st1.replies, 0);
	ck_assert_uint_ge(drops_of(t, 1, TUNECHO_DROP_HANDLER), 1);

	/* Without the custom ones, the built-in answers with TTL 64 again. */
	ck_assert_int_eq(tunecho_remove_handler(t, ttl7_echo, NULL), 0);
	ck_assert_int_eq(tunecho_remove_handler(t, block, "te1"), 0);
	ck_assert_int_eq(tunecho_remove_handler(t, block, "te1"), -ENOENT);
	ck_assert_int_eq(run_while_out(base, "ping -n -c 1 -w 5 198.18.0.6", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "ttl=64 "), "not answered by the built-in:\n%s", out);

	/* The IPv4 built-in off: nobody answers, counted as unhandled. */
	ck_assert_int_eq(tunecho_set_builtin(t, TUNECHO_BUILTIN_ICMP4_ECHO, 0), 0);
	ck_assert_int_ne(run_while(&base, 1, "ping -n -q -c 1 -w 1 198.18.0.6 >/dev/null"), 0);
	ck_assert_int_eq(tunecho_stats(t, 1, &st1, sizeof(st1)), 0);
	ck_assert_uint_eq(st1.replies, 1);
	ck_assert_uint_ge(drops_of(t, 1, TUNECHO_DROP_UNHANDLED), 1);
	ck_assert_int_eq(tunecho_set_builtin(t, TUNECHO_BUILTIN_ICMP4_ECHO, 1), 0);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 1 -w 5 198.18.0.6 >/dev/null"), 0);
	ck_assert_int_eq(tunecho_set_builtin(t, (enum tunecho_builtin)7, 0), -EINVAL);

	ck_assert_int_eq(tunecho_add_handler(t, NULL, NULL, TUNECHO_HANDLER_LAST), -EINVAL);
	/* The same function and argument twice: refused; others up to the limit. */
	ck_assert_int_eq(tunecho_add_handler(t, watch, &w, TUNECHO_HANDLER_LAST), -EEXIST);
	for (int i = 0; i < TUNECHO_MAX_HANDLERS - 3; i++) {
		many[i].ifname = "none";
		ck_assert_int_eq(tunecho_add_handler(t, watch, &many[i], TUNECHO_HANDLER_LAST), 0);
	}
	ck_assert_int_eq(tunecho_add_handler(t, watch, &many[13], TUNECHO_HANDLER_LAST), -ENOSPC);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

/* The steps of interfaces_come_and_go_while_others_answer, on a timer. */
struct churn {
	struct tunecho *t;
	struct tunecho_config *extra;
	int step;
	int failures;
};

static void churn_step(evutil_socket_t fd, short what, void *arg)
{
	struct churn *c = arg;

	(void)fd;
	(void)what;
	switch (c->step++) {
	case 0:
		c->failures += tunecho_add_config(c->t, c->extra) != 1;
		break;
	case 1:
		c->failures += tunecho_remove_iface(c->t, "te1") != 0;
		break;
	case 2:
		c->failures += tunecho_remove_iface(c->t, "te2") != 0;
		break;
	case 3:
		c->failures += tunecho_add_config(c->t, c->extra) != 1;
		break;
	default:
		break;
	}
}

START_TEST(interfaces_come_and_go_while_others_answer)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 2001:db8:1::1/64\n",
				      NULL);
	struct churn c = {.t = t,
			  .extra = config("[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n")};
	struct timeval every = {0, 150000};
	struct event *timer = event_new(base, -1, EV_PERSIST, churn_step, &c);
	struct tunecho_stats st;

	event_add(timer, &every);
	/* 100 pings over a second while the timer adds and removes others:
	 * with -c and -w, ping fails unless every reply arrives. */
	ck_assert_int_eq(
	    run_while(&base, 1, "ping -n -q -c 100 -i 0.01 -w 10 198.18.0.2 >/dev/null"), 0);
	ck_assert_int_ge(c.step, 4);
	ck_assert_int_eq(c.failures, 0);
	ck_assert_uint_eq(tunecho_iface_count(t), 2);
	ck_assert_str_eq(tunecho_iface_name(t, 0), "te0");
	ck_assert_str_eq(tunecho_iface_name(t, 1), "te2");
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 100);
	ck_assert_int_eq(tunecho_remove_iface(t, "te1"), -ENOENT);
	/* The one added last answers too. */
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 1 -w 5 198.18.0.10 >/dev/null"), 0);
	event_free(timer);
	tunecho_free(t);
	tunecho_config_free(c.extra);
	event_base_free(base);
}
END_TEST

static long open_fds(void)
{
	char out[64];

	te_sh_out(out, sizeof(out), "ls /proc/%d/fd | wc -l", (int)getpid());
	return atol(out);
}

static long rss_kib(void)
{
	char out[64];

	te_sh_out(out, sizeof(out), "awk '/^VmRSS/ { print $2 }' /proc/%d/status", (int)getpid());
	return atol(out);
}

START_TEST(a_thousand_lives_leave_nothing_behind)
{
	struct event_base *base = event_base_new();
	struct tunecho_config *cfg = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					    "address = 2001:db8:1::1/64\n");
	long fds = 0, rss = 0;

	for (int i = 0; i < 1000; i++) {
		struct tunecho *t = NULL;

		if (i == 100) {
			fds = open_fds();
			rss = rss_kib();
		}
		ck_assert_int_eq(tunecho_new(&t, base), 0);
		ck_assert_int_eq(tunecho_add_config(t, cfg), 1);
		event_base_loop(base, EVLOOP_NONBLOCK);
		tunecho_free(t);
	}
	ck_assert_uint_eq(if_nametoindex("te0"), 0);
	ck_assert_int_eq(open_fds(), fds);
#ifndef __SANITIZE_ADDRESS__
	/* Allocator noise is a few pages; a leak of one interface's state
	 * per cycle would be several hundred KiB over 900 cycles. (Under
	 * ASan, freed memory sits in quarantine and RSS says nothing; its
	 * leak checker, at the test's exit, does the counting instead.) */
	ck_assert_int_le(rss_kib() - rss, 256);
#else
	(void)rss;
#endif
	tunecho_config_free(cfg);
	event_base_free(base);
}
END_TEST

/* Answers every IPv4 ICMP packet with one byte the device must refuse. */
static enum tunecho_verdict bad_reply(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	if (pkt->len < 20 || pkt->data[0] >> 4 != 4 || pkt->data[9] != 1)
		return TUNECHO_PASS;
	pkt->data[0] = 0x00; /* neither IPv4 nor IPv6: the TUN write fails */
	pkt->len = 1;
	return TUNECHO_ANSWER;
}

START_TEST(write_failures_are_counted_and_the_loop_goes_on)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base, "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n", NULL);
	struct tunecho_stats st;

	ck_assert_int_eq(tunecho_add_handler(t, bad_reply, NULL, TUNECHO_HANDLER_FIRST), 0);
	ck_assert_int_ne(run_while(&base, 1, "ping -n -q -c 3 -i 0.05 -w 1 198.18.0.2 >/dev/null"),
			 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &st, sizeof(st)), 0);
	ck_assert_uint_ge(st.write_errors, 3);
	ck_assert_uint_eq(st.replies, 0);
	/* Without the bad handler, the same interface answers again. */
	ck_assert_int_eq(tunecho_remove_handler(t, bad_reply, NULL), 0);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.2 >/dev/null"),
			 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 2);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

static void delete_te0(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	*(int *)arg = te_sh("ip link del te0");
}

START_TEST(device_deleted_under_a_flood)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "txqueuelen = 1000\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n",
				      &log);
	struct timeval at = {0, 300000}, half = {0, 500000};
	int deleted = -1;
	double cpu;

	/* Flood te0 (bounded: 2 s) and delete it under the flood at 0.3 s. */
	event_base_once(base, -1, EV_TIMEOUT, delete_te0, &deleted, &at);
	run_while(&base, 1, "ping -n -q -f -l 16 -w 2 198.18.0.2 >/dev/null 2>&1; true");
	ck_assert_int_eq(deleted, 0);
	ck_assert_ptr_nonnull(strstr(log.text, "warning: te0: the device was deleted"));
	/* No spinning afterwards, and te1 still answers. */
	cpu = cpu_seconds();
	event_base_loopexit(base, &half);
	event_base_dispatch(base);
	cpu = cpu_seconds() - cpu;
	ck_assert_msg(cpu < 0.1, "the loop spun: %.3f s of CPU in 0.5 s", cpu);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 3 -i 0.05 -w 5 198.18.0.6 >/dev/null"),
			 0);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

START_TEST(netlink_refusal_after_dropping_privileges)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho_config *cfg =
	    config("[te0]\nattach = yes\naddress = 198.18.0.1 peer 198.18.0.2\n");
	struct tunecho *t = NULL;
	char out[4096];

	/* A device this (root) user may open without privilege... */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te0 user 0"), 0);
	/* ...then no capabilities at all, as after a privilege drop. */
	capng_clear(CAPNG_SELECT_BOTH);
	ck_assert_int_eq(capng_apply(CAPNG_SELECT_BOTH), 0);

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	tunecho_set_log_fn(t, capture, &log, TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_add_config(t, cfg), -EPERM);
	ck_assert_msg(strstr(log.text, "error: te0: setting the link up failed: "
				       "Operation not permitted; this needs CAP_NET_ADMIN"),
		      "log:\n%s", log.text);
	ck_assert_uint_eq(tunecho_iface_count(t), 0);
	tunecho_free(t);
	/* Nothing half-done: the device is as it was, down, no address. */
	ck_assert_int_eq(te_sh_out(out, sizeof(out), "ip addr show dev te0"), 0);
	ck_assert_msg(!strstr(out, "198.18.0.1") && !strstr(out, ",UP"), "%s", out);
	tunecho_config_free(cfg);
	event_base_free(base);
}
END_TEST

/* Run @base for @ms milliseconds. */
static void run_for(struct event_base *base, long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* Run @base until `sh -c CMD` succeeds (polled), at most @ms; whether it did. */
static bool run_until(struct event_base *base, const char *cmd, long ms)
{
	for (long waited = 0; waited < ms; waited += 20) {
		if (te_sh("{ %s; } >/dev/null 2>&1", cmd) == 0)
			return true;
		run_for(base, 20);
	}
	return false;
}

START_TEST(reload_applies_the_difference_in_place)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				      "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n"
				      "route = 198.18.128.0/24\n",
				      &log);
	struct tunecho_config *next = config("[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n"
					     "address = 2001:db8:2::1/64\nroute = 198.18.129.0/24\n"
					     "mtu = 1400\n"
					     "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					     "[te3]\naddress = 198.18.0.13 peer 198.18.0.14\n");
	struct tunecho_reload_result res = {0};
	unsigned te0 = if_nametoindex("te0"), te2 = if_nametoindex("te2");
	struct tunecho_stats st;
	char out[4096];

	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.2 >/dev/null"),
			 0);
	ck_assert_int_eq(tunecho_reload(t, next, &res), 0);
	ck_assert_uint_eq(res.added, 1);
	ck_assert_uint_eq(res.removed, 1);
	ck_assert_uint_eq(res.changed, 1);
	ck_assert_uint_eq(res.unchanged, 1);
	ck_assert_ptr_nonnull(
	    strstr(log.text, "reloaded: 1 added, 1 removed, 1 changed, 1 unchanged"));
	/* The same devices: updated, not made anew; te0 not touched at all. */
	ck_assert_uint_eq(if_nametoindex("te0"), te0);
	ck_assert_uint_eq(if_nametoindex("te2"), te2);
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	ck_assert_uint_ne(if_nametoindex("te3"), 0);
	ck_assert_int_eq(tunecho_stats(t, (size_t)tunecho_iface_find(t, "te0"), &st, sizeof(st)),
			 0);
	ck_assert_uint_eq(st.replies, 2); /* its counters go on */
	te_sh_out(out, sizeof(out), "ip addr show dev te2; ip route show dev te2");
	ck_assert_msg(strstr(out, "mtu 1400") && strstr(out, "2001:db8:2::1/64") &&
			  strstr(out, "198.18.129.0/24") && !strstr(out, "198.18.128.0/24"),
		      "te2:\n%s", out);
	ck_assert_int_eq(run_while(&base, 1,
				   "ping -n -q -c 1 -w 5 198.18.0.14 >/dev/null && "
				   "ping -n -q -c 1 -w 5 198.18.129.7 >/dev/null && "
				   "ping -n -q -c 1 -w 5 2001:db8:2::9 >/dev/null"),
			 0);
	/* Same addresses, other prefix or peer: the old entry makes way. */
	tunecho_config_free(next);
	next = config("[te2]\naddress = 198.18.0.9 peer 198.18.0.11\n"
		      "address = 2001:db8:2::1/56\nroute = 198.18.129.0/24\nmtu = 1400\n"
		      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
		      "[te3]\naddress = 198.18.0.13 peer 198.18.0.14\n");
	ck_assert_int_eq(tunecho_reload(t, next, &res), 0);
	ck_assert_uint_eq(res.changed, 1);
	te_sh_out(out, sizeof(out), "ip addr show dev te2; ip route show dev te2");
	ck_assert_msg(strstr(out, "2001:db8:2::1/56") && !strstr(out, "/64") &&
			  strstr(out, "peer 198.18.0.11/32") && !strstr(out, "0.10") &&
			  strstr(out, "198.18.129.0/24"), /* flushed with the old address */
		      "te2:\n%s", out);
	/* The same configuration again: nothing to do. */
	ck_assert_int_eq(tunecho_reload(t, next, &res), 0);
	ck_assert_uint_eq(res.unchanged, 3);
	ck_assert_uint_eq(res.added + res.removed + res.changed, 0);
	tunecho_free(t);
	ck_assert_int_ne(te_sh("ip -o link | grep -q ' te[0-9]'"), 0);
	tunecho_config_free(next);
	event_base_free(base);
}
END_TEST

START_TEST(reload_refused_by_the_kernel_changes_nothing)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n",
				      &log);
	/* te2 and te1's new address would go in, then te1's route is refused:
	 * someone else's route to that prefix is there already. */
	struct tunecho_config *next = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					     "[te1]\naddress = 198.18.0.5 peer 198.18.0.7\n"
					     "address = 198.18.1.1/24\nmtu = 1300\n"
					     "route = 198.18.130.0/24\n"
					     "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n");
	struct tunecho_reload_result res = {99, 99, 99, 99};
	char out[4096];

	ck_assert_int_eq(te_sh("ip route add blackhole 198.18.130.0/24"), 0);
	ck_assert_int_eq(tunecho_reload(t, next, &res), -EEXIST);
	ck_assert_uint_eq(res.added, 99); /* untouched on failure */
	ck_assert_msg(strstr(log.text, "te1: adding route 198.18.130.0/24 failed: File exists"),
		      "log:\n%s", log.text);
	ck_assert_uint_eq(tunecho_iface_count(t), 2);
	ck_assert_uint_eq(if_nametoindex("te2"), 0);
	te_sh_out(out, sizeof(out), "ip addr show dev te1");
	ck_assert_msg(!strstr(out, "198.18.1.1") && strstr(out, "mtu 1500") &&
			  strstr(out, "198.18.0.5 peer 198.18.0.6/32") && !strstr(out, "0.7"),
		      "te1:\n%s", out);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 1 -w 5 198.18.0.6 >/dev/null"), 0);
	tunecho_free(t);
	tunecho_config_free(next);
	event_base_free(base);
}
END_TEST

START_TEST(a_deleted_device_is_recreated_with_its_settings)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "route = 198.18.128.0/24\nrecreate = yes\n",
				      &log);

	ck_assert_int_eq(te_sh("ip link del te0"), 0);
	ck_assert(run_until(base, "ip route show dev te0 | grep -q 198.18.128.0/24", 3000));
	ck_assert_msg(strstr(log.text, "warning: te0: the device was deleted; no longer serving "
				       "it; recreating it in 100 ms\n") &&
			  strstr(log.text, "notice: te0: recreated, serving again (created)"),
		      "log:\n%s", log.text);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 1 -w 5 198.18.128.9 >/dev/null"), 0);
	/* Deleted again at once: someone insists, so it waits longer. */
	ck_assert_int_eq(te_sh("ip link del te0"), 0);
	run_for(base, 50);
	ck_assert_ptr_nonnull(strstr(log.text, "recreating it in 200 ms\n"));
	ck_assert(run_until(base, "ip link show te0 >/dev/null 2>&1", 3000));
	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("te0"), 0);
	event_base_free(base);
}
END_TEST

START_TEST(restore_undoes_changes_and_without_it_they_are_only_said)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "address = 2001:db8:1::1/64\nroute = 198.18.128.0/24\n"
				      "restore = yes\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n",
				      &log);

	ck_assert_int_eq(te_sh("ip addr del 198.18.0.1 peer 198.18.0.2 dev te0"), 0);
	ck_assert(run_until(base, "ip -4 addr show dev te0 | grep -q 198.18.0.1", 2000));
	/* The last IPv4 address took the IPv4 route with it: back too. */
	ck_assert(run_until(base, "ip route show dev te0 | grep -q 198.18.128.0/24", 2000));
	ck_assert_int_eq(te_sh("ip link set te0 down"), 0);
	ck_assert(run_until(base, "ip link show te0 | grep -q ',UP'", 2000));
	ck_assert(run_until(base, "ip -6 addr show dev te0 | grep -q 2001:db8:1::1", 2000));
	ck_assert_int_eq(run_while(&base, 1,
				   "ping -n -q -c 1 -w 5 198.18.128.3 >/dev/null && "
				   "ping -n -q -c 1 -w 5 2001:db8:1::2 >/dev/null"),
			 0);
	ck_assert_msg(strstr(log.text, "warning: te0: address 198.18.0.1 peer 198.18.0.2/32 was "
				       "removed; adding it again\n") &&
			  strstr(log.text, "warning: te0: set down by someone else; setting it up "
					   "again\n"),
		      "log:\n%s", log.text);

	/* te1 has no restore: said once, left as it is, not removed at the end. */
	ck_assert_int_eq(te_sh("ip addr del 198.18.0.5 peer 198.18.0.6 dev te1"), 0);
	ck_assert_int_eq(te_sh("ip link set te1 down"), 0);
	run_for(base, 300);
	ck_assert_int_ne(te_sh("ip addr show dev te1 | grep -q 198.18.0.5"), 0);
	ck_assert_int_ne(te_sh("ip link show te1 | grep -q ',UP'"), 0);
	ck_assert_ptr_nonnull(strstr(log.text, "warning: te1: address 198.18.0.5 peer "
					       "198.18.0.6/32 was removed\n"));
	ck_assert_ptr_nonnull(strstr(log.text, "warning: te1: set down by someone else\n"));
	ck_assert_int_eq(te_sh("ip link set te1 mtu 1400"), 0); /* news, still down */
	run_for(base, 200);
	ck_assert_ptr_null(strstr(strstr(log.text, "te1: set down") + 1, "te1: set down"));
	log.len = 0;
	log.text[0] = '\0';
	tunecho_free(t);
	ck_assert_msg(!strstr(log.text, "warning"), "log:\n%s", log.text);
	event_base_free(base);
}
END_TEST

START_TEST(an_overflowing_monitor_reads_everything_again)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "restore = yes\n",
				      &log);

	/* While the loop sleeps: thousands of notifications about a device
	 * that is not ours fill the monitor's buffer, then our address goes,
	 * its notification lost to the overflow. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name other && ip link set other up && "
			       "for i in $(seq 0 99); do for j in $(seq 1 100); do "
			       "echo \"addr add 198.19.$i.$j/32 dev other\"; done; done "
			       "| ip -batch - && ip link del other"),
			 0);
	ck_assert_int_eq(te_sh("ip addr del 198.18.0.1 peer 198.18.0.2 dev te0"), 0);
	ck_assert(run_until(base, "ip addr show dev te0 | grep -q 198.18.0.1", 3000));
	ck_assert_msg(strstr(log.text, "warning: rtnetlink monitor overflowed: re-reading links "
				       "and addresses\n"),
		      "log:\n%s", log.text);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

/* Counts the messages of a dump; on the first, changes an address (once). */
struct dump_churn {
	int seen;
	bool change;
};

static void on_dump_churn(void *arg, const struct nlmsghdr *nlh)
{
	struct dump_churn *c = arg;

	(void)nlh;
	if (c->seen++ == 0 && c->change)
		ck_assert_int_eq(te_sh("ip addr add 198.19.250.1/32 dev dum0"), 0);
}

START_TEST(an_interrupted_dump_is_read_to_its_end_and_the_socket_stays_usable)
{
	struct dump_churn c = {.change = true};
	struct te_nl *nl = NULL;
	char msg[TE_NL_MSGLEN];
	int r;

	/* 2000 addresses: the dump takes many reads, and an address added
	 * after the first makes the kernel mark the next NLM_F_DUMP_INTR. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name dum0 && ip link set dum0 up && "
			       "for i in $(seq 0 7); do for j in $(seq 1 250); do "
			       "echo \"addr add 198.19.$i.$j/32 dev dum0\"; done; done "
			       "| ip -batch -"),
			 0);
	ck_assert_int_eq(te_nl_open(&nl), 0);
	r = te_nl_dump(nl, RTM_GETADDR, on_dump_churn, &c);
	ck_assert_int_eq(r, -EINTR);
	ck_assert_int_lt(c.seen, 2000); /* what followed the change was not handed on */
	/* Nothing of it is left in the socket: the next exchanges are whole. */
	c = (struct dump_churn){0};
	ck_assert_int_eq(te_nl_dump(nl, RTM_GETADDR, on_dump_churn, &c), 0);
	ck_assert_int_ge(c.seen, 2001);
	ck_assert_int_eq(te_nl_link_set(nl, (int)if_nametoindex("dum0"),
					&(struct te_link_settings){.mtu = 1400}, msg),
			 0);
	te_nl_close(nl);
}
END_TEST

/* Put a message of @type, @seq and @flags at @buf + *@len. */
static void put_msg(char *buf, size_t *len, uint16_t type, uint32_t seq, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + *len);
	struct ifaddrmsg *ifa;

	nlh->nlmsg_type = type;
	nlh->nlmsg_seq = seq;
	nlh->nlmsg_flags = flags;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	*len += NLMSG_ALIGN(nlh->nlmsg_len);
}

START_TEST(dump_messages_of_another_sequence_are_skipped)
{
	_Alignas(8) char buf[1024] = {0};
	size_t len = 0;
	struct dump_churn c = {0};
	bool intr = false;
	int err = 0;

	/* A leftover of an older dump, then ours, then ours interrupted. */
	put_msg(buf, &len, RTM_NEWADDR, 6, NLM_F_MULTI);
	put_msg(buf, &len, NLMSG_DONE, 6, NLM_F_MULTI);
	put_msg(buf, &len, RTM_NEWADDR, 7, NLM_F_MULTI);
	ck_assert_int_eq(te_nl_dump_parse(buf, len, 7, 0, on_dump_churn, &c, &intr, &err), 1);
	ck_assert_int_eq(c.seen, 1);
	ck_assert(!intr);
	len = 0;
	put_msg(buf, &len, RTM_NEWADDR, 7, NLM_F_MULTI | NLM_F_DUMP_INTR);
	put_msg(buf, &len, RTM_NEWADDR, 7, NLM_F_MULTI);
	put_msg(buf, &len, NLMSG_DONE, 7, NLM_F_MULTI | NLM_F_DUMP_INTR);
	put_msg(buf, &len, RTM_NEWADDR, 8, NLM_F_MULTI);
	ck_assert_int_eq(te_nl_dump_parse(buf, len, 7, 0, on_dump_churn, &c, &intr, &err), 0);
	ck_assert_int_eq(c.seen, 1);
	ck_assert(intr);
	ck_assert_int_eq(err, 0);
}
END_TEST

/*
 * valgrind said "sendto(msg) points to uninitialised byte(s)": the u8
 * IFLA_INET6_ADDR_GEN_MODE leaves 3 bytes of padding, and the batch buffer
 * is reused. After an IPv6 address request (bytes everywhere), the
 * padding of a link request queued at the same place must be zero.
 */
START_TEST(netlink_requests_leave_no_stale_padding)
{
	struct te_address a = {.has_peer = true};
	struct te_nl *nl = NULL;
	char msg[TE_NL_MSGLEN];
	const struct nlmsghdr *nlh;
	const struct nlattr *spec, *inet6, *mode;
	size_t len;
	bool found = false;

	a.local.family = a.peer.family = AF_INET6;
	a.local.len = 128;
	memset(a.local.addr.bytes, 0xa5, 16);
	memset(a.peer.addr.bytes, 0x5a, 16);
	ck_assert_int_eq(te_nl_open(&nl), 0);
	te_nl_batch_begin(nl);
	for (int i = 0; i < 4; i++)
		te_nl_addr(nl, TE_NL_ADD, 999999, &a, msg);
	ck_assert_int_eq(te_nl_batch_end(nl, NULL, NULL), 4); /* no such device */
	te_nl_batch_begin(nl);
	te_nl_link_set(nl, 999999, &(struct te_link_settings){.no_link_local = true}, msg);
	nlh = te_nl_batch_data(nl, &len);
	ck_assert_uint_ge(len, sizeof(*nlh));
	mnl_attr_for_each(spec, nlh, sizeof(struct ifinfomsg))
	{
		if (mnl_attr_get_type(spec) != IFLA_AF_SPEC)
			continue;
		mnl_attr_for_each_nested(inet6, spec)
		{
			mnl_attr_for_each_nested(mode, inet6)
			{
				const uint8_t *p = mnl_attr_get_payload(mode);

				if (mnl_attr_get_type(mode) != IFLA_INET6_ADDR_GEN_MODE)
					continue;
				found = true;
				ck_assert_uint_eq(mnl_attr_get_payload_len(mode), 1);
				ck_assert_uint_eq(p[0], IN6_ADDR_GEN_MODE_NONE);
				for (size_t k = 1; k < MNL_ALIGN(1); k++)
					ck_assert_msg(p[k] == 0, "padding byte %zu is 0x%02x", k,
						      p[k]);
			}
		}
	}
	ck_assert(found);
	ck_assert_int_eq(te_nl_batch_end(nl, NULL, NULL), 1);
	te_nl_close(nl);
}
END_TEST

/* Keeps the last debug line of a look ("looked at ..."), and any warning. */
struct look_log {
	char last[256], warning[256];
	int looks;
	bool warned;
};

static void on_look_log(void *arg, enum tunecho_log_level level, const char *msg)
{
	struct look_log *l = arg;

	if (!strncmp(msg, "looked at ", 10)) {
		snprintf(l->last, sizeof(l->last), "%s", msg);
		l->looks++;
	}
	if (level <= TUNECHO_LOG_WARNING && strstr(msg, "failed") && !l->warned) {
		snprintf(l->warning, sizeof(l->warning), "%s", msg);
		l->warned = true;
	}
}

/*
 * 20000 addresses of ours: each message of the watcher's look is matched
 * against ours through a table, about one comparison each, where it was
 * compared with every address of its interface (20000 x 20000).
 */
START_TEST(the_look_over_twenty_thousand_addresses_is_near_linear)
{
	enum { N = 20000 };
	struct event_base *base = event_base_new();
	size_t cap = 64 + N * 40, len;
	char *text = malloc(cap);
	struct tunecho_config *cfg;
	struct tunecho *t = NULL;
	struct look_log log = {0};
	size_t links, addrs, ours, comparisons;

	ck_assert_ptr_nonnull(text);
	len = (size_t)snprintf(text, cap, "[te0]\nrestore = yes\n");
	for (int i = 0; i < N; i++)
		len += (size_t)snprintf(text + len, cap - len, "address = 2001:db8:1:%x::%x/128\n",
					i / 1000, i % 1000 + 1);
	cfg = config(text);
	free(text);
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	tunecho_set_log_fn(t, on_look_log, &log, TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_add_config(t, cfg), 1);
	tunecho_config_free(cfg);
	run_for(base, 200);
	ck_assert_int_eq(te_sh("ip addr del 2001:db8:1:7::5/128 dev te0"), 0);
	ck_assert(run_until(base, "ip -6 addr show dev te0 | grep -q 2001:db8:1:7::5/128", 10000));
	ck_assert_msg(log.looks > 0 && sscanf(log.last,
					      "looked at %zu links and %zu addresses against %zu "
					      "of ours: %zu comparisons",
					      &links, &addrs, &ours, &comparisons) == 4,
		      "no look: %s", log.last);
	ck_assert_uint_eq(ours, N);
	ck_assert_uint_ge(addrs, N - 1);
	ck_assert_msg(comparisons <= 2 * addrs, "%s", log.last);
	ck_assert_msg(!log.warned, "%s", log.warning);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

/* "[te0]" with restore, then @n more interfaces t1..tN, as a config. */
static struct tunecho_config *many(size_t n)
{
	static char text[64 * 1024];
	size_t len = (size_t)snprintf(text, sizeof(text),
				      "[te0]\naddress = 198.18.0.1 peer "
				      "198.18.0.2\nrestore = yes\n");
	struct tunecho_config *cfg;

	for (size_t i = 1; i <= n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"[t%zu]\naddress = 198.18.%zu.%zu peer 198.18.%zu.%zu\n", i,
					1 + i / 64, 4 * (i % 64) + 1, 1 + i / 64, 4 * (i % 64) + 2);
	ck_assert_uint_lt(len, sizeof(text));
	cfg = config(text);
	return cfg;
}

START_TEST(many_devices_at_once_do_not_overflow_the_watch)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho_config *big = many(1000), *small = many(0);
	struct tunecho_reload_result res;
	struct tunecho *t = NULL;

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	/* Warnings only: 1000 "serving" lines would fill the capture. */
	tunecho_set_log_fn(t, capture, &log, TUNECHO_LOG_WARNING);
	/* te0 stays in the group while the 1000 go: they leave by a group of
	 * their own (one by one, it would take the kernel 18 s). */
	ck_assert_int_eq(tunecho_set_link_group(t, 4242), 0);
	ck_assert_int_eq(tunecho_add_config(t, small), 1);
	/* 1000 devices come and go: their news is not listened to (it would
	 * overflow the socket), and te0 is watched throughout. */
	ck_assert_int_eq(tunecho_reload(t, big, &res), 0);
	ck_assert_uint_eq(res.added, 1000);
	run_for(base, 200);
	ck_assert_int_eq(te_sh("ip addr del 198.18.0.1 peer 198.18.0.2 dev te0"), 0);
	ck_assert(run_until(base, "ip addr show dev te0 | grep -q 198.18.0.1", 2000));
	ck_assert_int_eq(tunecho_reload(t, small, &res), 0);
	ck_assert_uint_eq(res.removed, 1000);
	run_for(base, 200);
	ck_assert_int_eq(te_sh("ip link set te0 down"), 0);
	ck_assert(run_until(base, "ip link show te0 | grep -q ',UP'", 2000));
	ck_assert_msg(!strstr(log.text, "overflowed"), "log:\n%s", log.text);
	tunecho_free(t);
	tunecho_config_free(big);
	tunecho_config_free(small);
	event_base_free(base);
}
END_TEST

START_TEST(a_foreign_device_next_to_our_group_is_left_alone)
{
	struct event_base *base = event_base_new();
	struct tunecho_config *three = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
					      "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n"),
			      *one = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n");
	struct tunecho *t = NULL;

	/* Group 4243 is where te1 and te2 would be gathered to go together;
	 * someone else's device is in it, so they go one by one. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name other && ip link set other group 4243"),
			 0);
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	ck_assert_int_eq(tunecho_set_link_group(t, 4242), 0);
	ck_assert_int_eq(tunecho_add_config(t, three), 3);
	ck_assert_int_eq(tunecho_reload(t, one, NULL), 0);
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	ck_assert_uint_eq(if_nametoindex("te2"), 0);
	ck_assert_uint_ne(if_nametoindex("other"), 0);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 1 -w 5 198.18.0.2 >/dev/null"), 0);
	tunecho_free(t);
	ck_assert_uint_ne(if_nametoindex("other"), 0);
	tunecho_config_free(three);
	tunecho_config_free(one);
	event_base_free(base);
}
END_TEST

START_TEST(a_reload_brings_back_what_was_lost_and_remakes_devices)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t =
	    responder(base,
		      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
		      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\npersist = yes\n",
		      &log);
	struct tunecho_config *next = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					     "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
					     "persist = yes\nowner = 0\n");
	struct tunecho_reload_result res;
	unsigned te1 = if_nametoindex("te1");
	char out[256];

	/* te0 deleted, no recreate: the same file again brings it back. */
	ck_assert_int_eq(te_sh("ip link del te0"), 0);
	run_for(base, 100);
	ck_assert_int_eq(tunecho_reload(t, next, &res), 0);
	ck_assert_uint_eq(res.changed, 2);
	ck_assert_ptr_nonnull(strstr(log.text, "te0: it was lost: making the device anew"));
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 1 -w 5 198.18.0.2 >/dev/null"), 0);
	/* te1's owner changed: a new persistent device, not the old one taken back. */
	ck_assert_uint_ne(if_nametoindex("te1"), te1);
	ck_assert_ptr_nonnull(strstr(log.text, "te1: serving (created, persistent)"));
	te_sh_out(out, sizeof(out), "ip -d link show te1 | grep -o 'user [a-z0-9]*'");
	ck_assert_str_eq(out, "user root\n");
	tunecho_free(t);
	ck_assert_int_eq(te_sh("ip link del te1"), 0);
	tunecho_config_free(next);
	event_base_free(base);
}
END_TEST

START_TEST(an_attached_device_grown_by_a_reload_is_recreated_whole)
{
	struct event_base *base = event_base_new();
	struct tunecho_config *next = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					     "address = 198.18.0.5/32\naddress = 2001:db8:3::1/64\n"
					     "attach = yes\nrecreate = yes\n");
	struct tunecho *t;
	char out[4096];

	/* The first address is already there: not ours, not recorded. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te0 && "
			       "ip addr add 198.18.0.1 peer 198.18.0.2 dev te0"),
			 0);
	t = responder(base,
		      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\nattach = yes\nrecreate = yes\n",
		      NULL);
	ck_assert_int_eq(tunecho_reload(t, next, NULL), 0);
	ck_assert_int_eq(te_sh("ip link del te0"), 0);
	ck_assert(run_until(base, "ip -6 addr show dev te0 | grep -q 2001:db8:3::1", 3000));
	te_sh_out(out, sizeof(out), "ip addr show dev te0");
	ck_assert_msg(strstr(out, "198.18.0.1 peer 198.18.0.2/32") && strstr(out, "198.18.0.5/32"),
		      "te0:\n%s", out);
	tunecho_free(t);
	tunecho_config_free(next);
	event_base_free(base);
}
END_TEST

START_TEST(arguments_are_checked)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = NULL;

	ck_assert_int_eq(tunecho_new(NULL, base), -EINVAL);
	ck_assert_int_eq(tunecho_new(&t, NULL), -EINVAL);
	ck_assert_ptr_null(t);
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	ck_assert_int_eq(tunecho_add_config(t, NULL), -EINVAL);
	ck_assert_uint_eq(tunecho_iface_count(NULL), 0);
	ck_assert_int_eq(tunecho_stats(t, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(tunecho_reload(t, NULL, NULL), -EINVAL);
	ck_assert_int_eq(tunecho_reload(NULL, NULL, NULL), -EINVAL);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("responder");
	TCase *tc = tcase_create("responder");

	te_test_require_root("test-responder");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 100);
	tcase_add_test(tc, free_removes_created_interfaces);
	tcase_add_test(tc, counters_per_interface_and_total);
	tcase_add_test(tc, device_deleted_underneath_leaves_the_loop_without_spinning);
	tcase_add_test(tc, one_round_shares_its_budget_among_the_ready_devices);
	tcase_add_test(tc, two_responders_side_by_side);
	tcase_add_test(tc, failed_add_undoes_the_whole_call);
	tcase_add_test(tc, handlers_answer_drop_and_pass_in_order);
	tcase_add_test(tc, interfaces_come_and_go_while_others_answer);
	tcase_add_test(tc, a_thousand_lives_leave_nothing_behind);
	tcase_add_test(tc, write_failures_are_counted_and_the_loop_goes_on);
	tcase_add_test(tc, device_deleted_under_a_flood);
	tcase_add_test(tc, netlink_refusal_after_dropping_privileges);
	tcase_add_test(tc, reload_applies_the_difference_in_place);
	tcase_add_test(tc, reload_refused_by_the_kernel_changes_nothing);
	tcase_add_test(tc, a_deleted_device_is_recreated_with_its_settings);
	tcase_add_test(tc, restore_undoes_changes_and_without_it_they_are_only_said);
	tcase_add_test(tc, an_overflowing_monitor_reads_everything_again);
	tcase_add_test(tc, an_interrupted_dump_is_read_to_its_end_and_the_socket_stays_usable);
	tcase_add_test(tc, dump_messages_of_another_sequence_are_skipped);
	tcase_add_test(tc, netlink_requests_leave_no_stale_padding);
	tcase_add_test(tc, the_look_over_twenty_thousand_addresses_is_near_linear);
	tcase_add_test(tc, many_devices_at_once_do_not_overflow_the_watch);
	tcase_add_test(tc, a_foreign_device_next_to_our_group_is_left_alone);
	tcase_add_test(tc, a_reload_brings_back_what_was_lost_and_remakes_devices);
	tcase_add_test(tc, an_attached_device_grown_by_a_reload_is_recreated_whole);
	tcase_add_test(tc, arguments_are_checked);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

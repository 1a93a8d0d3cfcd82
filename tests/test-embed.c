/* SPDX-License-Identifier: MIT */
/*
 * The embedding API as a program sees it (issue 17): reading state back,
 * events, the errors a caller can show, [global] keys applied, handler
 * verdicts counted as the header says, and structs passed with their size.
 * Each test in a network namespace of its own.
 */
#include "common.h"

#include <event2/event.h>
#include <stddef.h>

#include "tunecho.h"

#include "responder-common.h"

static void setup(void)
{
	te_test_netns();
}

/* Drops of interface @i under @reason. */
static uint64_t drops_of(const struct tunecho *t, size_t i, enum tunecho_drop_reason reason)
{
	uint64_t by[TUNECHO_DROP_REASONS];

	ck_assert_int_eq(tunecho_drops(t, i, by, TUNECHO_DROP_REASONS), TUNECHO_DROP_REASONS);
	return by[reason];
}

START_TEST(every_interface_property_reads_back)
{
	struct event_base *base = event_base_new();
	struct tunecho *t =
	    responder(base,
		      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\nmtu = 1400\n"
		      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\npersist = yes\n",
		      NULL);
	int i0 = tunecho_iface_find(t, "te0"), i1 = tunecho_iface_find(t, "te1");

	ck_assert_int_eq(i0, 0);
	ck_assert_int_eq(i1, 1);
	ck_assert_int_eq(tunecho_iface_find(t, "te9"), -ENOENT);
	ck_assert_int_eq(tunecho_iface_find(t, NULL), -EINVAL);
	ck_assert_int_eq(tunecho_iface_find(NULL, "te0"), -EINVAL);
	ck_assert_int_eq(tunecho_iface_ifindex(t, 0), (int)if_nametoindex("te0"));
	ck_assert_int_eq(tunecho_iface_ifindex(t, 1), (int)if_nametoindex("te1"));
	ck_assert_int_eq(tunecho_iface_kind(t, 0), TUNECHO_IFACE_CREATED);
	ck_assert_int_eq(tunecho_iface_kind(t, 1), TUNECHO_IFACE_PERSISTENT);
	ck_assert_int_eq(tunecho_iface_serving(t, 0), 1);
	ck_assert_int_eq(tunecho_iface_mtu(t, 0), 1400);
	ck_assert_int_eq(tunecho_iface_mtu(t, 1), 1500);
	for (size_t bad = 2; bad < 4; bad++) {
		ck_assert_int_eq(tunecho_iface_ifindex(t, bad), -ERANGE);
		ck_assert_int_eq(tunecho_iface_kind(t, bad), -ERANGE);
		ck_assert_int_eq(tunecho_iface_serving(t, bad), -ERANGE);
		ck_assert_int_eq(tunecho_iface_mtu(t, bad), -ERANGE);
	}
	/* An MTU changed from outside is followed; a lost device says so. */
	ck_assert_int_eq(run_while(&base, 1, "ip link set te0 mtu 1300 && sleep 0.2"), 0);
	ck_assert_int_eq(tunecho_iface_mtu(t, 0), 1300);
	ck_assert_int_eq(run_while(&base, 1, "ip link del te0 && sleep 0.2"), 0);
	ck_assert_int_eq(tunecho_iface_serving(t, 0), 0);
	/* Removing te0 shifts te1 down: found again by name. */
	ck_assert_int_eq(tunecho_remove_iface(t, "te0"), 0);
	ck_assert_int_eq(tunecho_iface_find(t, "te1"), 0);
	ck_assert_int_eq(tunecho_iface_kind(t, 0), TUNECHO_IFACE_PERSISTENT);
	tunecho_free(t);
	/* Persistent: it outlives the responder; gone for the next test. */
	ck_assert_uint_ne(if_nametoindex("te1"), 0);
	event_base_free(base);
}
END_TEST

struct events {
	enum tunecho_event_kind kind[32];
	char ifname[32][IFNAMSIZ];
	char message[32][256];
	size_t n;
};

static void record(void *arg, const struct tunecho_event *ev)
{
	struct events *e = arg;

	if (e->n == 32)
		return;
	e->kind[e->n] = ev->kind;
	snprintf(e->ifname[e->n], IFNAMSIZ, "%s", ev->ifname ? ev->ifname : "");
	snprintf(e->message[e->n], 256, "%s", ev->message);
	e->n++;
}

/* The index of the first event of @kind for @ifname from @from on, or -1. */
static int find_event(const struct events *e, size_t from, enum tunecho_event_kind kind,
		      const char *ifname)
{
	for (size_t i = from; i < e->n; i++)
		if (e->kind[i] == kind && !strcmp(e->ifname[i], ifname))
			return (int)i;
	return -1;
}

START_TEST(events_tell_what_the_log_says)
{
	struct event_base *base = event_base_new();
	struct tunecho_config *cfg = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					    "recreate = yes\nrestore = yes\n"
					    "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"),
			      *next = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					     "recreate = yes\nrestore = yes\nmtu = 1400\n");
	struct log_capture log = {0};
	struct events e = {0};
	struct tunecho *t = NULL;
	int at;

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	tunecho_set_log_fn(t, capture, &log, TUNECHO_LOG_NOTICE);
	tunecho_set_event_fn(t, record, &e);
	ck_assert_int_eq(tunecho_add_config(t, cfg), 2);
	ck_assert_int_ge(find_event(&e, 0, TUNECHO_EVENT_SERVING, "te0"), 0);
	ck_assert_int_ge(find_event(&e, 0, TUNECHO_EVENT_SERVING, "te1"), 0);
	/* Every event is a log line, word for word. */
	for (size_t i = 0; i < e.n; i++)
		ck_assert_msg(strstr(log.text, e.message[i]), "not logged: %s", e.message[i]);

	/* Set down by someone else, restore = yes: restored. */
	ck_assert_int_eq(
	    run_while(&base, 1,
		      "ip link set te0 down; for i in $(seq 50); do "
		      "ip link show te0 | grep -q ',UP' && exit 0; sleep 0.1; done; exit 1"),
	    0);
	at = find_event(&e, 0, TUNECHO_EVENT_RESTORED, "te0");
	ck_assert_msg(at >= 0 && strstr(e.message[at], "set down by someone else"), "%zu events",
		      e.n);
	/* Deleted, recreate = yes: lost, then recreated. */
	ck_assert_int_eq(
	    run_while(&base, 1,
		      "ip link del te0; sleep 0.2; for i in $(seq 50); do "
		      "ip link show te0 >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1"),
	    0);
	at = find_event(&e, 0, TUNECHO_EVENT_LOST, "te0");
	ck_assert_int_ge(at, 0);
	ck_assert_int_gt(find_event(&e, (size_t)at, TUNECHO_EVENT_RECREATED, "te0"), at);
	ck_assert_int_eq(run_while(&base, 1, "sleep 0.3"), 0);
	/* A reload: te0 changed, te1 removed, then the summary. */
	at = (int)e.n;
	ck_assert_int_eq(tunecho_reload(t, next, NULL), 0);
	ck_assert_int_ge(find_event(&e, (size_t)at, TUNECHO_EVENT_CHANGED, "te0"), at);
	ck_assert_int_ge(find_event(&e, (size_t)at, TUNECHO_EVENT_REMOVED, "te1"), at);
	ck_assert_int_eq(e.kind[e.n - 1], TUNECHO_EVENT_RELOADED);
	ck_assert_str_eq(e.ifname[e.n - 1], "");
	ck_assert_msg(!strncmp(e.message[e.n - 1], "reloaded: 0 added, 1 removed, 1 changed", 39),
		      "%s", e.message[e.n - 1]);
	at = (int)e.n;
	ck_assert_int_eq(tunecho_remove_iface(t, "te0"), 0);
	ck_assert_int_eq(find_event(&e, (size_t)at, TUNECHO_EVENT_REMOVED, "te0"), at);
	/* Without an event function, nothing is called. */
	tunecho_set_event_fn(t, NULL, NULL);
	tunecho_free(t);
	tunecho_config_free(cfg);
	tunecho_config_free(next);
	event_base_free(base);
}
END_TEST

START_TEST(a_failure_is_told_to_the_caller_without_a_log)
{
	struct event_base *base = event_base_new();
	struct tunecho_config *cfg = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
					    "[te1]\naddress = ff02::5/128\n");
	struct tunecho *t = NULL;

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	ck_assert_str_eq(tunecho_last_error(t), "");
	ck_assert_int_lt(tunecho_add_config(t, cfg), 0);
	ck_assert_msg(strstr(tunecho_last_error(t), "te1: adding address ff02::5/128 failed") &&
			  strstr(tunecho_last_error(t), "(kernel: "),
		      "%s", tunecho_last_error(t));
	/* All or nothing, and the next call starts with no error. */
	ck_assert_uint_eq(tunecho_iface_count(t), 0);
	tunecho_config_free(cfg);
	cfg = config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n");
	ck_assert_int_eq(tunecho_add_config(t, cfg), 1);
	ck_assert_str_eq(tunecho_last_error(t), "");
	ck_assert_str_eq(tunecho_last_error(NULL), "");
	tunecho_free(t);
	tunecho_config_free(cfg);
	event_base_free(base);
}
END_TEST

START_TEST(global_keys_of_the_responder_are_applied)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base,
				      "[global]\nlink-group = 4242\nbusy-poll-us = 10\n"
				      "reassembly-memory = 256K\nuser = nobody\n"
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n",
				      NULL);
	char out[4096], json[8192];

	ck_assert_int_eq(run_while_out(base, "ip -d link show te0", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "group 4242"), "%s", out);
	ck_assert_int_gt(tunecho_stats_json(t, json, sizeof(json)), 0);
	ck_assert_msg(strstr(json, "\"cap\":262144"), "%s", json);
	/* user is the daemon's: the test is still root. */
	ck_assert_int_eq(geteuid(), 0);
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.2 >/dev/null"),
			 0);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

START_TEST(debug_says_what_each_batch_and_reload_step_does)
{
	struct event_base *base = event_base_new();
	struct log_capture log = {0};
	struct tunecho *t = responder(base, "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n", &log);
	struct tunecho_config *next =
	    config("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\nroute = 198.18.128.0/24\n");

	ck_assert_msg(strstr(log.text, "debug: rtnetlink: a batch of 1 request: 1 address add\n"),
		      "%s", log.text);
	ck_assert_int_eq(tunecho_reload(t, next, NULL), 0);
	ck_assert_msg(strstr(log.text,
			     "debug: reload: planned 0 to add, 0 to remove, 1 to change in "
			     "place, 0 to make anew, 0 unchanged\n") &&
			  strstr(log.text, "1 route add\n") &&
			  strstr(log.text, "debug: reload: new interfaces, addresses, routes, MTUs "
					   "applied\n"),
		      "%s", log.text);
	tunecho_free(t);
	tunecho_config_free(next);
	event_base_free(base);
}
END_TEST

/* Handlers that misbehave, each on its own interface. */
static enum tunecho_verdict careless(void *arg, struct tunecho_packet *pkt)
{
	(void)arg;
	if (!strcmp(pkt->ifname, "te0"))
		return TUNECHO_DROP; /* no reason of its own */
	if (!strcmp(pkt->ifname, "te1"))
		return (enum tunecho_verdict)42;
	if (!strcmp(pkt->ifname, "te2")) {
		pkt->len = pkt->room + 1; /* a reply bigger than its room */
		return TUNECHO_ANSWER;
	}
	return TUNECHO_PASS;
}

START_TEST(misbehaving_handlers_are_counted_as_theirs)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base,
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				      "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n",
				      NULL);
	struct tunecho_stats st;

	ck_assert_int_eq(tunecho_add_handler(t, careless, NULL, TUNECHO_HANDLER_FIRST), 0);
	ck_assert_int_eq(tunecho_add_handler(t, careless, NULL, TUNECHO_HANDLER_LAST), -EEXIST);
	ck_assert_int_ne(
	    run_while(&base, 1,
		      "ping -n -q -c 1 -w 1 198.18.0.2; ping -n -q -c 1 -w 1 198.18.0.6;"
		      "ping -n -q -c 1 -w 1 198.18.0.10 >/dev/null"),
	    0);
	ck_assert_uint_eq(drops_of(t, 0, TUNECHO_DROP_HANDLER), 1);
	ck_assert_uint_eq(drops_of(t, 0, TUNECHO_DROP_UNHANDLED), 0);
	ck_assert_uint_eq(drops_of(t, 1, TUNECHO_DROP_HANDLER), 1);
	ck_assert_uint_eq(drops_of(t, 2, TUNECHO_DROP_BAD_REPLY), 1);
	ck_assert_int_eq(tunecho_stats(t, 2, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.write_errors, 0);
	ck_assert_uint_eq(st.replies, 0);
	ck_assert_uint_eq(st.dropped, 1);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

START_TEST(structs_are_passed_with_their_size)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = responder(base, "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n", NULL);
	struct {
		struct tunecho_stats st;
		uint64_t canary;
	} big;
	uint64_t by[TUNECHO_DROP_REASONS + 2], replies;
	struct tunecho_stats full;

	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 3 -i 0.05 -w 5 198.18.0.2 >/dev/null"),
			 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &full, sizeof(full)), 0);
	ck_assert_uint_eq(full.replies, 3);
	/* An older caller knowing only the first three counters. */
	memset(&big, 0xa5, sizeof(big));
	ck_assert_int_eq(tunecho_stats(t, 0, &big.st, offsetof(struct tunecho_stats, tx_bytes)), 0);
	ck_assert_uint_eq(big.st.replies, 3);
	ck_assert_uint_eq(big.st.tx_bytes, 0xa5a5a5a5a5a5a5a5ull); /* not written */
	/* A newer caller: what the library does not know is zero. */
	memset(&big, 0xa5, sizeof(big));
	ck_assert_int_eq(tunecho_stats(t, 0, &big.st, sizeof(big)), 0);
	ck_assert_uint_eq(big.st.replies, 3);
	ck_assert_uint_eq(big.canary, 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &full, 4), -EINVAL);
	ck_assert_int_eq(tunecho_stats(t, 2, &full, sizeof(full)), -ERANGE);
	/* Reasons, likewise. */
	memset(by, 0xa5, sizeof(by));
	ck_assert_int_eq(tunecho_drops(t, 0, by, 3), TUNECHO_DROP_REASONS);
	ck_assert_uint_eq(by[3], 0xa5a5a5a5a5a5a5a5ull);
	ck_assert_int_eq(tunecho_drops(t, 0, by, TUNECHO_DROP_REASONS + 2), TUNECHO_DROP_REASONS);
	ck_assert_uint_eq(by[TUNECHO_DROP_REASONS + 1], 0);
	ck_assert_int_eq(tunecho_drops(t, 0, NULL, 0), TUNECHO_DROP_REASONS);
	ck_assert_int_eq(tunecho_drops(t, 0, NULL, 1), -EINVAL);
	/* Totals never go down: te0's replies stay in them once it is removed. */
	ck_assert_int_eq(tunecho_remove_iface(t, "te0"), 0);
	ck_assert_int_eq(tunecho_stats(t, 0, &full, sizeof(full)), 0);
	replies = full.replies;
	ck_assert_uint_eq(replies, 3);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

/* TAP mode through the settings API: ARP answered from the fixed MAC, echo
 * in Ethernet frames, and a master that is no bridge leaves nothing behind. */
START_TEST(a_tap_from_the_settings_api)
{
	static const char *const addrs[] = {"198.18.4.1/24", "2001:db8:0:4::1/64", NULL};
	static const char *const hosts[] = {"198.18.5.0/24", NULL};
	struct tunecho_iface_settings s = {.name = "lab0",
					   .addresses = addrs,
					   .hosts = hosts,
					   .mode = "tap",
					   .mac = "02:00:5e:10:00:01"};
	struct event_base *base = event_base_new();
	struct tunecho_config *cfg = NULL;
	struct tunecho *t = NULL;
	struct tunecho_stats st;
	char err[256], out[4096];

	ck_assert_int_eq(tunecho_config_new(&cfg), 0);
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), 0);
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	ck_assert_int_eq(tunecho_add_config(t, cfg), 1);
	tunecho_config_free(cfg);
	ck_assert_int_eq(run_while_out(base,
				       "ip route add 198.18.5.0/24 dev lab0 && "
				       "ping -n -q -c 2 -i 0.05 -w 5 198.18.4.7 && "
				       "ping -n -q -c 2 -i 0.05 -w 5 198.18.5.9 && "
				       "ping -6 -n -q -c 2 -i 0.05 -w 5 2001:db8:0:4::7 && "
				       "ip neigh show dev lab0",
				       out, sizeof(out)),
			 0);
	ck_assert_msg(strstr(out, "198.18.4.7 lladdr 02:00:5e:10:00:01"), "%s", out);
	ck_assert_msg(strstr(out, "198.18.5.9 lladdr 02:00:5e:10:00:01"), "%s", out);
	ck_assert_msg(strstr(out, "2001:db8:0:4::7 lladdr 02:00:5e:10:00:01"), "%s", out);
	ck_assert_int_eq(tunecho_stats(t, 0, &st, sizeof(st)), 0);
	ck_assert_uint_eq(st.replies, 6);
	ck_assert_uint_ge(st.arp_replies, 2);
	ck_assert_uint_ge(st.na_sent, 1);
	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("lab0"), 0);

	/* master: none, or not a bridge: refused, no device left. */
	ck_assert_int_eq(run_while(&base, 1, "ip link add v0 type veth peer name v1"), 0);
	for (int k = 0; k < 2; k++) {
		struct tunecho_iface_settings b = {
		    .name = "lab1", .mode = "tap", .master = k ? "v0" : "nosuch"};

		ck_assert_int_eq(tunecho_config_new(&cfg), 0);
		ck_assert_int_eq(tunecho_config_add_iface(cfg, &b, sizeof(b), err, sizeof(err)), 0);
		ck_assert_int_eq(tunecho_new(&t, base), 0);
		ck_assert_int_eq(tunecho_add_config(t, cfg), k ? -EINVAL : -ENODEV);
		ck_assert_msg(
		    strstr(tunecho_last_error(t),
			   k ? "that is not a bridge (its kind is veth)" : "no such interface"),
		    "%s", tunecho_last_error(t));
		ck_assert_uint_eq(if_nametoindex("lab1"), 0);
		tunecho_free(t);
		tunecho_config_free(cfg);
	}
	/* A bridge: joined as a multicast router port. */
	ck_assert_int_eq(run_while(&base, 1, "ip link add br0 type bridge"), 0);
	cfg = config("[lab2]\nmode = tap\nmaster = br0\nhosts = 198.18.6.0/24\n");
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	ck_assert_int_eq(tunecho_add_config(t, cfg), 1);
	tunecho_config_free(cfg);
	ck_assert_int_eq(run_while_out(base, "ip -d link show lab2", out, sizeof(out)), 0);
	ck_assert_msg(strstr(out, "master br0"), "%s", out);
	ck_assert_msg(strstr(out, "mcast_router 2"), "%s", out);
	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("lab2"), 0);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("embed");
	TCase *tc = tcase_create("embed");

	te_test_require_root("embed");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_interface_property_reads_back);
	tcase_add_test(tc, events_tell_what_the_log_says);
	tcase_add_test(tc, a_failure_is_told_to_the_caller_without_a_log);
	tcase_add_test(tc, global_keys_of_the_responder_are_applied);
	tcase_add_test(tc, debug_says_what_each_batch_and_reload_step_does);
	tcase_add_test(tc, misbehaving_handlers_are_counted_as_theirs);
	tcase_add_test(tc, structs_are_passed_with_their_size);
	tcase_add_test(tc, a_tap_from_the_settings_api);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

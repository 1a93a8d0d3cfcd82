/* SPDX-License-Identifier: MIT */
/*
 * The library in-process: a responder on a test's own event base, in a
 * network namespace the test creates. Checks set-up and teardown, counters,
 * the loss of a device under the loop, and two responders side by side.
 */
#include "common.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>

#include "tunecho.h"

struct log_capture {
	char text[8192];
	size_t len;
};

static void capture(void *arg, enum tunecho_log_level level, const char *msg)
{
	struct log_capture *c = arg;
	int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s: %s\n",
			 tunecho_log_level_name(level), msg);

	if (n > 0 && (size_t)n < sizeof(c->text) - c->len)
		c->len += (size_t)n;
}

static struct tunecho_config *config(const char *text)
{
	struct tunecho_config *cfg = NULL;
	char err[256];

	ck_assert_msg(tunecho_config_load_string(&cfg, text, err, sizeof(err)) == 0, "%s", err);
	return cfg;
}

static struct tunecho *responder(struct event_base *base, const char *text, struct log_capture *log)
{
	struct tunecho_config *cfg = config(text);
	struct tunecho *t = NULL;

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	if (log)
		tunecho_set_log_fn(t, capture, log, TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_add_config(t, cfg), (int)tunecho_config_iface_count(cfg));
	tunecho_config_free(cfg);
	return t;
}

/* Start `sh -c CMD` and run @bases until it exits; its exit status. */
static int run_while(struct event_base **bases, size_t n, const char *cmd)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		for (size_t i = 0; i < n; i++)
			event_base_loop(bases[i], EVLOOP_NONBLOCK);
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(200);
	}
}

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
	ck_assert_ptr_nonnull(strstr(log.text, "notice: te0: serving (created)"));

	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("te0"), 0);
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	tunecho_free(NULL);
	event_base_free(base);
}
END_TEST

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

	ck_assert_int_eq(tunecho_stats(t, 0, &st), 0);
	ck_assert_uint_eq(st.replies, 3);
	ck_assert_uint_ge(st.rx_packets, 3);
	ck_assert_uint_eq(st.tx_bytes, 3 * 84);
	ck_assert_uint_eq(st.write_errors, 0);
	ck_assert_int_eq(tunecho_stats(t, 1, &st), 0);
	ck_assert_uint_eq(st.replies, 0);
	ck_assert_uint_eq(st.drops[TUNECHO_DROP_NOT_ICMP], 1);
	ck_assert_int_eq(tunecho_stats(t, 2, &total), 0);
	ck_assert_uint_eq(total.replies, 3);
	ck_assert_uint_eq(total.drops[TUNECHO_DROP_NOT_ICMP], 1);
	ck_assert_int_eq(tunecho_stats(t, 3, &st), -ERANGE);
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
	ck_assert_msg(strstr(log.text, "warning: te0: read failed: ") &&
			  strstr(log.text, "no longer serving it"),
		      "log:\n%s", log.text);
	/* Exactly one line about it. */
	ck_assert_ptr_null(strstr(strstr(log.text, "te0: read failed") + 1, "te0: read failed"));
	/* The other interface still answers. */
	ck_assert_int_eq(run_while(&base, 1, "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.6 >/dev/null"),
			 0);
	ck_assert_uint_eq(tunecho_iface_count(t), 2);
	tunecho_free(t);
	ck_assert_uint_eq(if_nametoindex("te1"), 0);
	event_base_free(base);
}
END_TEST

START_TEST(two_responders_side_by_side)
{
	struct event_base *bases[2] = {event_base_new(), event_base_new()};
	struct tunecho *a =
	    responder(bases[0], "[ta]\naddress = 198.18.0.1 peer 198.18.0.2\n", NULL);
	struct tunecho *b = responder(bases[1], "[tb]\naddress = 2001:db8:b::1/64\n", NULL);
	struct tunecho_stats st;

	ck_assert_int_eq(run_while(bases, 2,
				   "ping -n -q -c 2 -i 0.05 -w 5 198.18.0.2 >/dev/null && "
				   "ping -6 -n -q -c 3 -i 0.05 -w 5 2001:db8:b::9 >/dev/null"),
			 0);
	ck_assert_int_eq(tunecho_stats(a, 0, &st), 0);
	ck_assert_uint_eq(st.replies, 2);
	ck_assert_int_eq(tunecho_stats(b, 0, &st), 0);
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
	ck_assert_int_eq(tunecho_stats(t, 0, NULL), -ERANGE);
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
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, free_removes_created_interfaces);
	tcase_add_test(tc, counters_per_interface_and_total);
	tcase_add_test(tc, device_deleted_underneath_leaves_the_loop_without_spinning);
	tcase_add_test(tc, two_responders_side_by_side);
	tcase_add_test(tc, failed_add_undoes_the_whole_call);
	tcase_add_test(tc, arguments_are_checked);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

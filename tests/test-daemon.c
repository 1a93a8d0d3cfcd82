/* SPDX-License-Identifier: MIT */
/*
 * The daemon as a user runs it: real ping, ping -6 and fping against the
 * interfaces of a config, in a network namespace each test creates itself.
 * Only 198.18.0.0/15 and 2001:db8::/32 are used.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#define LOG_MAX 65536

struct daemon {
	pid_t pid;
	int err_fd;
	int status; /* exit status once it ended, else -1 */
	char log[LOG_MAX];
	size_t len;
};

static char conf_path[64];

static const char *tunecho_bin(void)
{
	const char *bin = getenv("TUNECHO_BIN");

	ck_assert_msg(bin != NULL, "TUNECHO_BIN is not set (run the suite through meson test)");
	return bin;
}

/* The sample config of the source tree (meson passes its path). */
static const char *write_conf(const char *text);

/*
 * With TUNECHO_TEST_SECCOMP=1 (a second run of this suite), every config
 * gets `seccomp = yes`: the daemon serves and stops under its allow-list.
 */
static bool seccomp_run(void)
{
	const char *v = getenv("TUNECHO_TEST_SECCOMP");

	return v && !strcmp(v, "1");
}

static const char *sample_conf(void)
{
	static char text[8192];
	const char *path = getenv("TUNECHO_SAMPLE_CONF");
	FILE *f;
	size_t n;

	ck_assert_msg(path != NULL, "TUNECHO_SAMPLE_CONF is not set (run through meson test)");
	if (!seccomp_run())
		return path;
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	return write_conf(text);
}

static const char *write_conf(const char *text)
{
	static const char key[] = "seccomp = yes\n";
	const char *global = strstr(text, "[global]\n");
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/tunecho-test-XXXXXX");
	fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	if (seccomp_run() && global) {
		size_t head = (size_t)(global - text) + strlen("[global]\n");

		ck_assert_int_eq(write(fd, text, head), (ssize_t)head);
		ck_assert_int_eq(write(fd, key, strlen(key)), (ssize_t)strlen(key));
		text += head;
	}
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	/* At the end, where it moves no line of the test's own text. */
	if (seccomp_run() && !global) {
		ck_assert_int_eq(write(fd, "\n[global]\n", 10), 10);
		ck_assert_int_eq(write(fd, key, strlen(key)), (ssize_t)strlen(key));
	}
	/* Readable by the unprivileged user of without_privilege... too. */
	ck_assert_int_eq(fchmod(fd, 0644), 0);
	close(fd);
	return conf_path;
}

static void unlink_conf(void)
{
	if (conf_path[0])
		unlink(conf_path);
}

/* Read what the daemon wrote to stderr for up to @ms milliseconds. */
static void drain(struct daemon *d, int ms)
{
	struct pollfd p = {.fd = d->err_fd, .events = POLLIN};

	while (d->err_fd >= 0 && poll(&p, 1, ms) > 0) {
		ssize_t n = read(d->err_fd, d->log + d->len, sizeof(d->log) - 1 - d->len);

		if (n <= 0) {
			close(d->err_fd);
			d->err_fd = -1;
			break;
		}
		d->len += (size_t)n;
		d->log[d->len] = '\0';
		if (strstr(d->log, ": ready"))
			break;
	}
}

static void spawn(struct daemon *d, const char *const argv[])
{
	int fds[2];

	memset(d, 0, sizeof(*d));
	d->status = -1;
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		dup2(fds[1], STDOUT_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	d->err_fd = fds[0];
}

static void wait_exit(struct daemon *d)
{
	int st;

	while (d->err_fd >= 0)
		drain(d, 5000);
	ck_assert_int_eq(waitpid(d->pid, &st, 0), d->pid);
	d->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Start @argv and wait for "ready"; false if it exited. */
static bool start_argv(struct daemon *d, const char *const argv[])
{
	struct timespec t0, t;

	spawn(d, argv);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		drain(d, 100);
		if (strstr(d->log, ": ready"))
			return true;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (d->err_fd >= 0 && t.tv_sec - t0.tv_sec < 10);
	wait_exit(d);
	return false;
}

/* Start `tunecho -c PATH` and wait for "ready:"; false if it exited. */
static bool start(struct daemon *d, const char *path)
{
	const char *argv[] = {tunecho_bin(), "-c", path, NULL};

	return start_argv(d, argv);
}

/* SIGTERM, then the exit status; the log holds everything it said. */
static int stop(struct daemon *d)
{
	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
	wait_exit(d);
	return d->status;
}

static bool iface_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

/* Replies counted in the daemon's final statistics line for @ifname. */
static long replies_of(const struct daemon *d, const char *ifname)
{
	char key[64];
	const char *p;
	long rx, replies;

	snprintf(key, sizeof(key), "tunecho: %s: ", ifname);
	for (p = strstr(d->log, key); p; p = strstr(p + 1, key))
		if (sscanf(p + strlen(key), "%ld received, %ld replies", &rx, &replies) == 2)
			return replies;
	return -1;
}

/* The value of @key in /proc/@pid/status, whitespace squeezed. */
static void proc_status(pid_t pid, const char *key, char *out, size_t size)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd),
		 "awk -F'\\t' '$1 == \"%s:\" { $1 = \"\"; print }' /proc/%d/status", key, (int)pid);
	te_sh_out(out, size, "%s | tr -s ' \\t' ' ' | sed 's/^ //; s/ $//'", cmd);
}

static void setup(void)
{
	te_test_netns();
}

START_TEST(sample_config_answers_ping_ping6_and_fping)
{
	struct daemon d;

	ck_assert_msg(start(&d, sample_conf()), "tunecho did not start:\n%s", d.log);
	if (seccomp_run()) {
		char v[64];

		proc_status(d.pid, "Seccomp", v, sizeof(v));
		ck_assert_str_eq(v, "2\n"); /* filter mode */
		ck_assert_ptr_nonnull(strstr(d.log, "seccomp allow-list installed"));
	}
	ck_assert_ptr_nonnull(
	    strstr(d.log, "te0: serving (created) 198.18.0.1 peer 198.18.0.2/32"));

	ck_assert_int_eq(te_sh("ping -n -q -c 3 -i 0.2 -w 5 198.18.0.2 >/dev/null"), 0);
	ck_assert_int_eq(te_sh("ping -6 -n -q -c 3 -i 0.2 -w 5 2001:db8:0:1::2 >/dev/null"), 0);
	ck_assert_int_eq(te_sh("ping -n -q -c 3 -i 0.2 -w 5 198.18.0.6 >/dev/null"), 0);
	ck_assert_int_eq(te_sh("ping -6 -n -q -c 3 -i 0.2 -w 5 2001:db8:0:2::2 >/dev/null"), 0);
	/* fping: every target at once, 3 requests each, all must answer. */
	ck_assert_int_eq(te_sh("fping -q -C 3 -p 100 198.18.0.2 198.18.0.6 2001:db8:0:1::2 "
			       "2001:db8:0:1::99 2001:db8:0:2::2 198.18.128.1 2>/dev/null"),
			 0);

	/* SIGUSR1: one line of JSON with the counters so far. */
	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
	for (int i = 0; i < 20 && !strstr(d.log, "tunecho: {\"interfaces\""); i++)
		drain(&d, 100);
	ck_assert_msg(strstr(d.log, "tunecho: {\"interfaces\":[{\"name\":\"te0\",\"serving\":"
				    "true,\"rx_packets\":"),
		      "no JSON after SIGUSR1:\n%s", d.log);

	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(replies_of(&d, "te0") == 6, "te0 replies wrong:\n%s", d.log);
	ck_assert_msg(replies_of(&d, "te1") == 9, "te1 replies wrong:\n%s", d.log);
	ck_assert_msg(replies_of(&d, "te2") == 15, "te2 replies wrong:\n%s", d.log);
	ck_assert_msg(replies_of(&d, "total") == 30, "total replies wrong:\n%s", d.log);
	ck_assert(!iface_exists("te0"));
	ck_assert(!iface_exists("te1"));
	ck_assert(!iface_exists("te2"));
}
END_TEST

START_TEST(routed_prefix_answers_for_every_host)
{
	struct daemon d;
	const char *path = write_conf("[rt0]\n"
				      "address = 198.18.2.1/32\n"
				      "address = 2001:db8:65::1/128\n"
				      "route = 198.18.64.0/24\n"
				      "route = 2001:db8:64::/64\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(te_sh("ping -n -q -c 2 -i 0.2 -w 5 198.18.64.77 >/dev/null"), 0);
	ck_assert_int_eq(te_sh("ping -6 -n -q -c 2 -i 0.2 -w 5 2001:db8:64::1234 >/dev/null"), 0);
	/* 14 hosts of a /28 inside the prefix, in parallel. */
	ck_assert_int_eq(te_sh("fping -q -g 198.18.64.16/28 >/dev/null"), 0);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(replies_of(&d, "rt0") == 18, "rt0 replies wrong:\n%s", d.log);
	ck_assert(!iface_exists("rt0"));
	unlink_conf();
}
END_TEST

START_TEST(a_flooded_interface_does_not_starve_another)
{
	struct daemon d;
	const char *path = write_conf("[te0]\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n"
				      "txqueuelen = 1000\n"
				      "[te1]\n"
				      "address = 198.18.0.5 peer 198.18.0.6\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	/* Bounded flood: 64 in flight, 20000 requests, 10 s at most. */
	ck_assert_int_eq(te_sh("ping -n -q -f -l 64 -c 20000 -w 10 198.18.0.2 >/dev/null & "
			       "sleep 0.2; ping -n -q -c 5 -i 0.05 -w 3 198.18.0.6 >/dev/null; "
			       "r=$?; wait; exit $r"),
			 0);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(replies_of(&d, "te1") == 5, "te1 replies wrong:\n%s", d.log);
	ck_assert_msg(replies_of(&d, "te0") >= 19000, "te0 replies wrong:\n%s", d.log);
	unlink_conf();
}
END_TEST

/* Send @msg to UDP @port of @addr; true when the same bytes come back
 * within @ms milliseconds. */
static bool udp_echoes(int family, const char *addr, uint16_t port, const char *msg, int ms)
{
	struct sockaddr_storage to = {0};
	socklen_t len;
	struct pollfd p;
	char buf[256];
	ssize_t n;
	int fd;

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&to;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
		len = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		len = sizeof(*sin6);
	}
	fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	/* Connected: the kernel only hands us datagrams from that peer. */
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&to, len), 0);
	ck_assert_int_eq(send(fd, msg, strlen(msg), 0), (ssize_t)strlen(msg));
	p = (struct pollfd){.fd = fd, .events = POLLIN};
	n = poll(&p, 1, ms) == 1 ? recv(fd, buf, sizeof(buf), 0) : -1;
	close(fd);
	return n == (ssize_t)strlen(msg) && !memcmp(buf, msg, (size_t)n);
}

START_TEST(embedding_example_answers_ping_and_udp_echo)
{
	struct daemon d;
	const char *bin = getenv("TUNECHO_EXAMPLE_BIN");
	const char *argv[] = {bin, NULL};

	ck_assert_msg(bin != NULL, "TUNECHO_EXAMPLE_BIN is not set");
	ck_assert_msg(start_argv(&d, argv), "the example did not start:\n%s", d.log);
	ck_assert_int_eq(te_sh("ping -n -q -c 2 -i 0.2 -w 5 198.18.1.2 >/dev/null"), 0);
	ck_assert_int_eq(te_sh("ping -6 -n -q -c 2 -i 0.2 -w 5 2001:db8:1:1::2 >/dev/null"), 0);
	ck_assert(udp_echoes(AF_INET, "198.18.1.2", 7, "hello over IPv4", 2000));
	ck_assert(udp_echoes(AF_INET6, "2001:db8:1:1::7", 7, "hello over IPv6, odd", 2000));
	/* Not port 7: every handler passes it on; counted as not_icmp. */
	ck_assert(!udp_echoes(AF_INET, "198.18.1.2", 9, "discard me", 300));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(strstr(d.log, "{\"interfaces\":[{\"name\":\"ex0\",\"serving\":true,"
				    "\"rx_packets\":"),
		      "no JSON statistics:\n%s", d.log);
	ck_assert_msg(strstr(d.log, "\"replies\":3,"), "ex0 should have 3 replies:\n%s", d.log);
	ck_assert_msg(strstr(d.log, "\"total\":{"), "no totals:\n%s", d.log);
	ck_assert_msg(strstr(d.log, "\"not_icmp\":1,"), "port 9 not counted:\n%s", d.log);
	ck_assert(!iface_exists("ex0"));
	ck_assert(!iface_exists("ex1"));
}
END_TEST

START_TEST(runs_as_an_unprivileged_user_after_set_up)
{
	struct daemon d;
	char v[256];
	const char *path = write_conf("[global]\nuser = nobody\n"
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	proc_status(d.pid, "Uid", v, sizeof(v));
	ck_assert_str_eq(v, "65534 65534 65534 65534\n");
	proc_status(d.pid, "Gid", v, sizeof(v));
	ck_assert_str_eq(v, "65534 65534 65534 65534\n");
	proc_status(d.pid, "Groups", v, sizeof(v));
	ck_assert_str_eq(v, "\n");
	proc_status(d.pid, "CapEff", v, sizeof(v));
	ck_assert_str_eq(v, "0000000000000000\n");
	proc_status(d.pid, "CapPrm", v, sizeof(v));
	ck_assert_str_eq(v, "0000000000000000\n");
	proc_status(d.pid, "CapBnd", v, sizeof(v));
	ck_assert_str_eq(v, "0000000000000000\n");
	proc_status(d.pid, "NoNewPrivs", v, sizeof(v));
	ck_assert_str_eq(v, "1\n");
	ck_assert_int_eq(te_sh("ping -n -q -c 2 -i 0.2 -w 5 198.18.0.2 >/dev/null"), 0);
	/* The device goes with its fd: no privilege needed to clean up. */
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
}
END_TEST

START_TEST(keeps_only_net_admin_when_an_attached_device_needs_it)
{
	struct daemon d;
	char v[256], out[4096];
	const char *path =
	    write_conf("[global]\nuser = nobody\ngroup = nogroup\n"
		       "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
		       "[te1]\nattach = yes\naddress = 198.18.0.5 peer 198.18.0.6\n");

	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te1"), 0);
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	proc_status(d.pid, "Uid", v, sizeof(v));
	ck_assert_str_eq(v, "65534 65534 65534 65534\n");
	/* CAP_NET_ADMIN is bit 12: 0x1000. */
	proc_status(d.pid, "CapEff", v, sizeof(v));
	ck_assert_str_eq(v, "0000000000001000\n");
	proc_status(d.pid, "CapPrm", v, sizeof(v));
	ck_assert_str_eq(v, "0000000000001000\n");
	proc_status(d.pid, "CapBnd", v, sizeof(v));
	ck_assert_str_eq(v, "0000000000000000\n");
	proc_status(d.pid, "NoNewPrivs", v, sizeof(v));
	ck_assert_str_eq(v, "1\n");
	ck_assert_int_eq(te_sh("ping -n -q -c 2 -i 0.2 -w 5 198.18.0.6 >/dev/null"), 0);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "warning"), "%s", d.log);
	ck_assert(!iface_exists("te0"));
	ck_assert(iface_exists("te1"));
	te_sh_out(out, sizeof(out), "ip -4 addr show dev te1");
	ck_assert_msg(!strstr(out, "198.18.0.5"), "address left behind:\n%s", out);
	unlink_conf();
}
END_TEST

START_TEST(sigterm_under_eight_floods_stops_within_a_second)
{
	struct daemon d;
	struct timespec t0, t1;
	char pids[256];
	double took;
	const char *path = write_conf("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "txqueuelen = 1000\n"
				      "[te1]\naddress = 2001:db8:1::1/64\ntxqueuelen = 1000\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	/* Bounded: each flood stops by itself after 10 s at the latest. */
	ck_assert_int_eq(te_sh_out(pids, sizeof(pids),
				   "for i in 1 2 3 4; do "
				   "ping -n -q -f -l 8 -w 10 198.18.0.2 >/dev/null 2>&1 & echo $!; "
				   "ping -6 -n -q -f -l 8 -w 10 2001:db8:1::2 >/dev/null 2>&1 & "
				   "echo $!; done; sleep 0.5"),
			 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(stop(&d), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* Our own floods only: this namespace shares the machine's PIDs. */
	for (char *p = strtok(pids, "\n"); p; p = strtok(NULL, "\n"))
		kill((pid_t)atoi(p), SIGINT);
	ck_assert_msg(took < 1.0, "took %.3f s to stop", took);
	ck_assert_msg(replies_of(&d, "total") > 1000, "the floods were not answered:\n%s", d.log);
	ck_assert(!iface_exists("te0"));
	ck_assert(!iface_exists("te1"));
	unlink_conf();
}
END_TEST

/* A config of @n interfaces [t0] ... [tN-1], one line each. */
static const char *many_ifaces_conf(int n)
{
	static char text[16 * 10000 + 1];
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "[t%d]\n", i);
	return write_conf(text);
}

START_TEST(ten_thousand_interfaces_are_refused_up_front)
{
	struct daemon d;
	char expect[128];
	const char *path = many_ifaces_conf(10000);
	const char *argv[] = {tunecho_bin(), "-c", path, NULL};
	const char *check[] = {tunecho_bin(), "--check-config", "-c", NULL, NULL};

	spawn(&d, argv);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 2);
	snprintf(expect, sizeof(expect),
		 "tunecho: %s:4097: more than 4096 interfaces: that is the most one "
		 "configuration may hold\n",
		 path);
	ck_assert_str_eq(d.log, expect);
	ck_assert(!iface_exists("t0"));
	unlink_conf();

	/* The limit itself is fine. */
	check[3] = many_ifaces_conf(4096);
	spawn(&d, check);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 0);
	ck_assert_ptr_nonnull(strstr(d.log, ": OK, 4096 interfaces"));
	unlink_conf();
}
END_TEST

START_TEST(a_foreign_device_in_our_link_group_is_left_alone)
{
	struct daemon d;
	const char *path = write_conf("[global]\nlink-group = 4242\n"
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				      "[te2]\naddress = 2001:db8:2::1/64\n");

	/* Alone in the group: deleted together, nothing said about it. */
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(te_sh("ip -d link show te0 | grep -q 'group 4242'"), 0);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "link group"), "%s", d.log);
	ck_assert(!iface_exists("te0") && !iface_exists("te1") && !iface_exists("te2"));

	/* A device of someone else's in the group: one by one, and said. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name fx0 && ip link set fx0 group 4242"), 0);
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(strstr(d.log, "link group 4242 also holds fx0, which tunecho did not "
				    "create: deleting its own devices one by one"),
		      "%s", d.log);
	ck_assert(iface_exists("fx0"));
	ck_assert(!iface_exists("te0") && !iface_exists("te1") && !iface_exists("te2"));
	unlink_conf();
}
END_TEST

START_TEST(bad_config_exits_2_with_file_and_line_and_creates_nothing)
{
	struct daemon d;
	char expect[128];
	const char *path = write_conf("[te0]\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n"
				      "colour = blue\n");
	const char *argv[] = {tunecho_bin(), "-c", path, NULL};

	spawn(&d, argv);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 2);
	snprintf(expect, sizeof(expect), "tunecho: %s:3: unknown key 'colour' in [te0]", path);
	ck_assert_msg(strstr(d.log, expect), "got:\n%s", d.log);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
}
END_TEST

START_TEST(address_rejected_by_kernel_fails_cleanly)
{
	struct daemon d;
	const char *path = write_conf("[te0]\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\n"
				      "address = 2001:db8:1::1/64\n"
				      "address = ff02::5/128\n");

	ck_assert(!start(&d, path));
	ck_assert_int_eq(d.status, 1);
	/* One line: interface, request, errno text and the kernel's own. */
	ck_assert_msg(strstr(d.log, "tunecho: error: te1: adding address ff02::5/128 failed: "
				    "Cannot assign requested address (kernel: "),
		      "got:\n%s", d.log);
	ck_assert(!iface_exists("te0"));
	ck_assert(!iface_exists("te1"));
	unlink_conf();
}
END_TEST

START_TEST(existing_route_fails_cleanly)
{
	struct daemon d;
	const char *path = write_conf("[te0]\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n"
				      "route = 198.18.128.0/24\n");

	ck_assert_int_eq(te_sh("ip route add 198.18.128.0/24 dev lo"), 0);
	ck_assert(!start(&d, path));
	ck_assert_int_eq(d.status, 1);
	ck_assert_msg(strstr(d.log, "te0: adding route 198.18.128.0/24 failed: File exists"),
		      "got:\n%s", d.log);
	ck_assert(!iface_exists("te0"));
	/* The route that was there before is left alone. */
	ck_assert_int_eq(te_sh("ip route show 198.18.128.0/24 dev lo | grep -q ."), 0);
	unlink_conf();
}
END_TEST

START_TEST(name_taken_fails_and_leaves_the_device)
{
	struct daemon d;
	const char *path = write_conf("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n");

	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te0"), 0);
	ck_assert(!start(&d, path));
	ck_assert_int_eq(d.status, 1);
	ck_assert_msg(strstr(d.log, "te0: an interface of that name already exists; choose "
				    "another name, or set attach = yes"),
		      "got:\n%s", d.log);
	ck_assert(iface_exists("te0"));
	unlink_conf();
}
END_TEST

START_TEST(attach_serves_an_existing_device_and_leaves_it)
{
	struct daemon d;
	char out[4096];
	const char *path = write_conf("[te0]\nattach = yes\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n");

	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te0"), 0);
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_ptr_nonnull(strstr(d.log, "te0: serving (attached)"));
	ck_assert_int_eq(te_sh("ping -n -q -c 2 -i 0.2 -w 5 198.18.0.2 >/dev/null"), 0);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(iface_exists("te0"));
	te_sh_out(out, sizeof(out), "ip -4 addr show dev te0");
	ck_assert_msg(!strstr(out, "198.18.0.1"), "address left behind:\n%s", out);
	unlink_conf();
}
END_TEST

START_TEST(persist_keeps_the_device_and_restarts_on_it)
{
	struct daemon d;
	char out[4096];
	const char *path = write_conf("[te0]\npersist = yes\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n"
				      "address = 2001:db8:7::1/64\n");

	for (int round = 0; round < 2; round++) {
		ck_assert_msg(start(&d, path), "round %d: tunecho did not start:\n%s", round,
			      d.log);
		ck_assert_ptr_nonnull(strstr(d.log, round == 0
							? "te0: serving (created, persistent)"
							: "te0: serving (attached)"));
		ck_assert_int_eq(te_sh("ping -6 -n -q -c 2 -i 0.2 -w 5 2001:db8:7::2 >/dev/null"),
				 0);
		ck_assert_int_eq(stop(&d), 0);
		ck_assert(iface_exists("te0"));
		te_sh_out(out, sizeof(out), "ip addr show dev te0");
		ck_assert_msg(!strstr(out, "198.18.0.1") && !strstr(out, "2001:db8:7::1"),
			      "addresses left behind:\n%s", out);
	}
	unlink_conf();
}
END_TEST

START_TEST(without_privilege_one_line_says_what_to_do)
{
	struct daemon d;
	const char *argv[] = {"/usr/bin/setpriv",
			      "--reuid=65534",
			      "--regid=65534",
			      "--clear-groups",
			      "--inh-caps=-all",
			      tunecho_bin(),
			      "-c",
			      sample_conf(),
			      NULL};

	ck_assert_msg(access(argv[0], X_OK) == 0, "setpriv (util-linux) is needed");
	spawn(&d, argv);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 1);
	ck_assert_msg(strstr(d.log, "te0: open /dev/net/tun failed: Permission denied; this "
				    "needs CAP_NET_ADMIN: run tunecho as root\n"),
		      "got:\n%s", d.log);
	ck_assert_msg(strchr(d.log, '\n') == d.log + d.len - 1, "more than one line:\n%s", d.log);
	ck_assert(!iface_exists("te0"));
}
END_TEST

START_TEST(without_dev_net_tun_one_line_says_what_to_do)
{
	struct daemon d;
	const char *argv[] = {tunecho_bin(), "-c", sample_conf(), NULL};

	/* Hide /dev/net in a private mount namespace of this test. */
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_int_eq(mount("tmpfs", "/dev/net", "tmpfs", 0, NULL), 0);
	spawn(&d, argv);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 1);
	ck_assert_msg(strstr(d.log, "te0: cannot open /dev/net/tun: No such file or directory; "
				    "load the tun module (modprobe tun)\n"),
		      "got:\n%s", d.log);
	ck_assert_msg(strchr(d.log, '\n') == d.log + d.len - 1, "more than one line:\n%s", d.log);
}
END_TEST

START_TEST(options_help_version_check_config)
{
	struct daemon d;
	char expect[4200];
	const char *sample = sample_conf();
	const char *help[] = {tunecho_bin(), "--help", NULL};
	const char *version[] = {tunecho_bin(), "--version", NULL};
	const char *check[] = {tunecho_bin(), "--check-config", "-c", sample, NULL};
	const char *bad[] = {tunecho_bin(), "--frobnicate", NULL};
	const char *missing[] = {tunecho_bin(), "-c", "/nonexistent/tunecho.conf", NULL};

	spawn(&d, help);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 0);
	ck_assert_ptr_nonnull(strstr(d.log, "Usage: tunecho [OPTION]..."));
	ck_assert_ptr_nonnull(strstr(d.log, "--check-config"));

	spawn(&d, version);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 0);
	ck_assert_ptr_nonnull(strstr(d.log, "tunecho 0."));

	spawn(&d, check);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 0);
	snprintf(expect, sizeof(expect), "%s: OK, 3 interfaces\n", sample);
	ck_assert_str_eq(d.log, expect);
	ck_assert(!iface_exists("te0"));

	spawn(&d, bad);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 2);
	ck_assert_ptr_nonnull(strstr(d.log, "Try 'tunecho --help'"));

	spawn(&d, missing);
	wait_exit(&d);
	ck_assert_int_eq(d.status, 1);
	ck_assert_str_eq(d.log, "tunecho: /nonexistent/tunecho.conf: No such file or directory\n");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("daemon");
	TCase *tc = tcase_create("daemon");

	te_test_require_root("test-daemon");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, sample_config_answers_ping_ping6_and_fping);
	tcase_add_test(tc, routed_prefix_answers_for_every_host);
	tcase_add_test(tc, a_flooded_interface_does_not_starve_another);
	tcase_add_test(tc, embedding_example_answers_ping_and_udp_echo);
	tcase_add_test(tc, runs_as_an_unprivileged_user_after_set_up);
	tcase_add_test(tc, keeps_only_net_admin_when_an_attached_device_needs_it);
	tcase_add_test(tc, sigterm_under_eight_floods_stops_within_a_second);
	tcase_add_test(tc, ten_thousand_interfaces_are_refused_up_front);
	tcase_add_test(tc, a_foreign_device_in_our_link_group_is_left_alone);
	tcase_add_test(tc, bad_config_exits_2_with_file_and_line_and_creates_nothing);
	tcase_add_test(tc, address_rejected_by_kernel_fails_cleanly);
	tcase_add_test(tc, existing_route_fails_cleanly);
	tcase_add_test(tc, name_taken_fails_and_leaves_the_device);
	tcase_add_test(tc, attach_serves_an_existing_device_and_leaves_it);
	tcase_add_test(tc, persist_keeps_the_device_and_restarts_on_it);
	tcase_add_test(tc, without_privilege_one_line_says_what_to_do);
	tcase_add_test(tc, without_dev_net_tun_one_line_says_what_to_do);
	tcase_add_test(tc, options_help_version_check_config);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

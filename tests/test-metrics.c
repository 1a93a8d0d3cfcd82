/* SPDX-License-Identifier: MIT */
/*
 * The daemon's HTTP endpoint (`metrics` in [global]) as Prometheus and
 * people see it: a scrape checked by promtool and by prometheus_client's
 * parser against /stats.json and the SIGUSR1 line, the same under
 * `user = nobody` and `seccomp = yes`, and hostile clients (slow, a
 * thousand at once, a 1 MiB header, POST, unknown paths) while `ping -f`
 * goes on being answered without loss. Each test in a network namespace of
 * its own; 198.18.0.0/15 and 2001:db8::/32 only.
 */
#include "daemon-run.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/un.h>

#define PORT  9125
#define BIG   (1 << 20)
#define FLOOD 1000

static const char *const conf_fmt = "[global]\n"
				    "metrics = 127.0.0.1:%d\n"
				    "%s"
				    "[te0]\n"
				    "address = 198.18.0.1 peer 198.18.0.2\n"
				    "[te1]\n"
				    "address = 2001:db8:0:1::1/64\n";

static void start(struct td *d, const char *extra)
{
	static char text[512];

	snprintf(text, sizeof(text), conf_fmt, PORT, extra);
	td_start(d, text, NULL);
}

static int connect_port(bool block)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(PORT)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (block ? 0 : SOCK_NONBLOCK), 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		ck_assert_msg(!block && errno == EINPROGRESS, "connect: %s", strerror(errno));
	return fd;
}

/* Everything the server sends on @fd until it closes (at most 30 s);
 * -1 when it reset the connection before anything came. */
static ssize_t read_all(int fd, char *out, size_t size)
{
	double t0 = td_now();
	size_t len = 0;

	while (td_now() - t0 < 30) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = read(fd, out + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return len ? (ssize_t)len : -1;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	out[len] = '\0';
	ck_assert_msg(td_now() - t0 < 30, "the server kept the connection open");
	return (ssize_t)len;
}

/* Send @req whole on a new connection and return the response. */
static ssize_t exchange(const char *req, size_t len, char *out, size_t size)
{
	int fd = connect_port(true);
	ssize_t n;

	for (size_t off = 0; off < len; off += (size_t)n) {
		n = write(fd, req + off, len - off);
		if (n <= 0)
			break; /* refused the rest: the answer says why */
	}
	n = read_all(fd, out, size);
	close(fd);
	return n;
}

static char *get(const char *path, char *out, size_t size)
{
	char req[256];

	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", path);
	ck_assert_int_gt(exchange(req, strlen(req), out, size), 0);
	return out;
}

/* The body of a 200 response, to a file. */
static void save_body(const char *resp, const char *path)
{
	const char *body = strstr(resp, "\r\n\r\n");
	FILE *f;

	ck_assert_msg(!strncmp(resp, "HTTP/1.1 200 OK\r\n", 17) && body, "%.300s", resp);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(body + 4, f);
	fclose(f);
}

/* Lines of the log holding @key. */
static int count_in_log(const struct td *d, const char *key)
{
	int n = 0;

	for (const char *p = strstr(d->log, key); p; p = strstr(p + 1, key))
		n++;
	return n;
}

/* The counters as SIGUSR1 logs them (a new line, whole), to a file. */
static void save_usr1(struct td *d, const char *path)
{
	const char *key = "tunecho: {\"interfaces\":", *p, *last = NULL, *end;
	int before = count_in_log(d, key);
	double t0 = td_now();
	FILE *f;

	ck_assert_int_eq(kill(d->pid, SIGUSR1), 0);
	for (;;) {
		last = NULL;
		if (count_in_log(d, key) > before)
			for (p = strstr(d->log, key); p; p = strstr(p + 1, key))
				last = p;
		if (last && strchr(last, '\n'))
			break;
		ck_assert_msg(td_now() - t0 < 20, "no SIGUSR1 line:\n%s", d->log);
		td_read_log(d, 100);
	}
	end = strchr(last, '\n');
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "%.*s\n", (int)(end - last - strlen("tunecho: ")), last + strlen("tunecho: "));
	fclose(f);
}

/* Ping te0's peer @n times, scrape, and have promtool and
 * tests/check-metrics.py judge the scrape against the JSON and the log:
 * te0 has answered @total in all. */
static void scrape_and_check(struct td *d, int n, int total)
{
	char *resp = malloc(BIG);
	char dir[] = "/tmp/tunecho-metrics-XXXXXX";

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(te_sh("ping -c %d -i 0.2 -W 5 -q 198.18.0.2 >/dev/null", n), 0);
	get("/metrics", resp, BIG);
	ck_assert_msg(strstr(resp, "\r\nContent-Type: text/plain; version=0.0.4"), "%.300s", resp);
	{
		char path[96];

		snprintf(path, sizeof(path), "%s/metrics.txt", dir);
		save_body(resp, path);
		snprintf(path, sizeof(path), "%s/stats.json", dir);
		save_body(get("/stats.json", resp, BIG), path);
		ck_assert_msg(strstr(resp, "\r\nContent-Type: application/json\r\n"), "%.300s",
			      resp);
		snprintf(path, sizeof(path), "%s/usr1.json", dir);
		save_usr1(d, path);
	}
	ck_assert_int_eq(te_sh("promtool check metrics < %s/metrics.txt", dir), 0);
	ck_assert_int_eq(te_sh("%s %s %s/metrics.txt %s/stats.json %s/usr1.json te0=%d te1=0",
			       getenv("TUNECHO_PYTHON"), getenv("TUNECHO_CHECK_METRICS"), dir, dir,
			       dir, total),
			 0);
	te_sh("rm -rf %s", dir);
	free(resp);
}

static void setup(void)
{
	te_test_netns();
}

START_TEST(a_scrape_is_valid_and_matches_the_json_and_the_log)
{
	struct td *d = malloc(sizeof(*d));

	start(d, "");
	scrape_and_check(d, 7, 7);
	/* a reload keeps the counters */
	ck_assert_int_eq(kill(d->pid, SIGHUP), 0);
	ck_assert_msg(td_wait_log(d, "SIGHUP received", 20), "%s", d->log);
	scrape_and_check(d, 3, 10);
	td_stop(d);
	free(d);
}
END_TEST

START_TEST(it_serves_as_nobody_under_seccomp)
{
	struct td *d = malloc(sizeof(*d));
	const char *seccomp = getenv("TUNECHO_TEST_NO_SECCOMP") ? "" : "seccomp = yes\n";
	char extra[64];

	snprintf(extra, sizeof(extra), "user = nobody\n%s", seccomp);
	start(d, extra);
	ck_assert_msg(strstr(d->log, "running as uid"), "%s", d->log);
	scrape_and_check(d, 5, 5);
	td_stop(d);
	free(d);
}
END_TEST

/* Open descriptors of process @pid. */
static int fds_of(pid_t pid)
{
	char path[64];
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	ck_assert_ptr_nonnull(dir);
	while (readdir(dir))
		n++;
	closedir(dir);
	return n - 2;
}

static void assert_status(const char *resp, const char *status)
{
	ck_assert_msg(!strncmp(resp, status, strlen(status)), "want %s, got:\n%.300s", status,
		      resp);
	ck_assert_msg(strstr(resp, "\r\nConnection: close\r\n"), "%.300s", resp);
}

/*
 * A client that hangs up before reading a reply bigger than one write:
 * the next write gets EPIPE, which must not be a SIGPIPE that kills the
 * daemon (review finding; 40 interfaces make /metrics some 80 KB).
 */
START_TEST(a_client_hanging_up_mid_reply_costs_the_daemon_nothing)
{
	struct td *d = malloc(sizeof(*d));
	char *text = malloc(16384), *resp = malloc(BIG);
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t n;

	n = (size_t)snprintf(text, 16384, "[global]\nmetrics = 127.0.0.1:%d\n", PORT);
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, 16384 - n,
				      "[te%d]\naddress = 198.18.%d.1 peer 198.18.%d.2\n", i, i, i);
	td_start(d, text, NULL);
	for (int i = 0; i < 20; i++) {
		int fd = connect_port(true);

		/* Gone before the reply, as a scraper that timed out: the
		 * daemon's first write draws a reset, the next one EPIPE. */
		ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
		close(fd);
		usleep(i % 2 ? 20000 : 0);
	}
	usleep(200000);
	ck_assert_int_eq(kill(d->pid, 0), 0);
	ck_assert_ptr_nonnull(get("/metrics", resp, BIG));
	assert_status(resp, "HTTP/1.1 200 OK\r\n");
	td_stop(d);
	free(text);
	free(resp);
	free(d);
}
END_TEST

START_TEST(a_unix_socket_serves_too)
{
	struct td *d = malloc(sizeof(*d));
	char dir[] = "/tmp/tunecho-metrics-XXXXXX", text[512], resp[8192];
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	const char *req = "GET /stats.json HTTP/1.0\r\n\r\n";
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/metrics", dir);
	/* a socket left by an earlier run is replaced */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	snprintf(text, sizeof(text),
		 "[global]\nmetrics = unix:%s\n[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n",
		 sun.sun_path);
	td_start(d, text, NULL);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	ck_assert_int_gt(read_all(fd, resp, sizeof(resp)), 0);
	close(fd);
	assert_status(resp, "HTTP/1.1 200 OK\r\n");
	ck_assert_msg(strstr(resp, "\r\n\r\n{\"interfaces\":[{\"name\":\"te0\",\"serving\":true,"),
		      "%s", resp);
	td_stop(d);
	te_sh("rm -rf %s", dir);
	free(d);
}
END_TEST

START_TEST(hostile_clients_get_their_answer_and_ping_f_is_not_disturbed)
{
	struct td *d = malloc(sizeof(*d));
	char *resp = malloc(BIG), *big = malloc(BIG + 64);
	static int flood[FLOOD];
	struct rlimit rl = {FLOOD + 64, FLOOD + 64};
	int slow, base_fds, most = 0, fds[2], st;
	char pingout[4096];
	ssize_t n;
	pid_t ping;

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	start(d, "");
	base_fds = fds_of(d->pid);

	/* ping -f for the whole test: it must see every reply */
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	ping = fork();
	ck_assert_int_ge(ping, 0);
	if (ping == 0) {
		dup2(fds[1], STDOUT_FILENO);
		/* 5000 at 2 ms: 10 s, longer than what follows takes */
		execlp("ping", "ping", "-f", "-i", "0.002", "-c", "5000", "-W", "5", "-q",
		       "198.18.0.2", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);

	/* A slow client: half a request line, then nothing. The deadline
	 * closes it (within METRICS_TIMEOUT_S; 30 s allowed here). */
	slow = connect_port(true);
	ck_assert_int_eq(write(slow, "GET /metr", 9), 9);

	/* A thousand at once: the daemon holds at most 16 of them open. */
	for (int i = 0; i < FLOOD; i++)
		flood[i] = connect_port(false);
	for (int i = 0; i < 20; i++) {
		int now = fds_of(d->pid);

		most = now > most ? now : most;
		usleep(50 * 1000);
	}
	ck_assert_msg(most - base_fds <= 16, "%d descriptors more than before the flood",
		      most - base_fds);
	for (int i = 0; i < FLOOD; i++)
		close(flood[i]);

	/* The slow one is closed, without an answer. */
	ck_assert_int_eq(read_all(slow, resp, BIG), 0);
	close(slow);

	/* A 1 MiB header: 431, or closed as it goes on writing. */
	n = (ssize_t)snprintf(big, 64, "GET /metrics HTTP/1.1\r\nX-Big: ");
	memset(big + n, 'a', BIG);
	memcpy(big + n + BIG - 4, "\r\n\r\n", 4);
	n = exchange(big, (size_t)n + BIG, resp, BIG);
	ck_assert_msg(n <= 0 || !strncmp(resp, "HTTP/1.1 431 ", 13), "%.300s", resp);

	/* Only GET and HEAD, only two paths. */
	n = exchange("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 49, resp, BIG);
	assert_status(resp, "HTTP/1.1 405 Method Not Allowed\r\n");
	ck_assert(strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
	assert_status(get("/admin", resp, BIG), "HTTP/1.1 404 Not Found\r\n");
	assert_status(get("/metrics/../etc/passwd", resp, BIG), "HTTP/1.1 404 Not Found\r\n");
	exchange("HELLO\r\n\r\n", 9, resp, BIG);
	assert_status(resp, "HTTP/1.1 400 Bad Request\r\n");
	exchange("HEAD /metrics HTTP/1.1\r\n\r\n", 26, resp, BIG);
	assert_status(resp, "HTTP/1.1 200 OK\r\n");
	ck_assert_str_eq(strstr(resp, "\r\n\r\n"), "\r\n\r\n"); /* no body */
	/* and a scrape still works, a query string ignored */
	assert_status(get("/metrics?x=1", resp, BIG), "HTTP/1.1 200 OK\r\n");
	ck_assert(strstr(resp, "\ntunecho_replies_total{interface=\"te0\"} "));

	/* ping -f: done, every reply there */
	ck_assert_int_gt(read_all(fds[0], pingout, sizeof(pingout)), 0);
	close(fds[0]);
	ck_assert_int_eq(waitpid(ping, &st, 0), ping);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0 &&
			  strstr(pingout, "5000 packets transmitted, 5000 received"),
		      "%s", pingout);
	td_stop(d);
	free(big);
	free(resp);
	free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	te_test_require_root("test-metrics");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, a_scrape_is_valid_and_matches_the_json_and_the_log);
	tcase_add_test(tc, it_serves_as_nobody_under_seccomp);
	tcase_add_test(tc, a_unix_socket_serves_too);
	tcase_add_test(tc, a_client_hanging_up_mid_reply_costs_the_daemon_nothing);
	tcase_add_test(tc, hostile_clients_get_their_answer_and_ping_f_is_not_disturbed);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

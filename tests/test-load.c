/* SPDX-License-Identifier: MIT */
/*
 * tunecho-load as a user runs it: against the daemon, against a TUN device
 * nobody reads, and against a small responder in this file that misbehaves
 * on purpose (damaged, duplicated, held back, shortened, misaddressed
 * replies), each test in a network namespace of its own. Only 198.18.0.0/15
 * and 2001:db8::/32 are used, and every run is bounded by a count or a
 * duration.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>

#define OUT_MAX 65536

static char conf_path[64];

/* ------------------------------------------------------------------ */
/* Running programs                                                   */
/* ------------------------------------------------------------------ */

static const char *env_path(const char *name)
{
	const char *v = getenv(name);

	ck_assert_msg(v != NULL, "%s is not set (run the suite through meson test)", name);
	return v;
}

static const char *write_conf(const char *text)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/tunecho-test-XXXXXX");
	fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return conf_path;
}

static void unlink_conf(void)
{
	if (conf_path[0])
		unlink(conf_path);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* What a finished tunecho-load run left: exit status, stdout, stderr. */
struct result {
	int status;
	double secs;
	char out[OUT_MAX], err[OUT_MAX];
};

struct sink {
	int fd;
	char *buf;
	size_t len;
};

/*
 * Run tunecho-load with the NULL-terminated arguments @args, behind the
 * command @wrapper (NULL-terminated too) when that is not NULL. Its stderr
 * goes to @err_fd when that is not -1 (a terminal), and @err_reader is
 * where the parent reads it (the terminal's other side); otherwise both are
 * pipes. @sig, when not 0, is sent after @sig_after seconds.
 */
static void run_load_ex(struct result *res, const char *const *wrapper, const char *const *args,
			int err_fd, int err_reader, int sig, double sig_after)
{
	const char *argv[40];
	int out[2], err[2] = {err_reader, err_fd}, st;
	struct sink sinks[2];
	double t0 = now_s();
	bool signalled = false;
	pid_t pid;
	int n = 0;

	for (; wrapper && wrapper[n]; n++)
		argv[n] = wrapper[n];
	argv[n++] = env_path("TUNECHO_LOAD_BIN");
	for (; *args; args++) {
		ck_assert_int_lt(n, 39);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	memset(res, 0, sizeof(*res));
	ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
	if (err_fd < 0)
		ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(out[1], STDOUT_FILENO);
		dup2(err[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	sinks[0] = (struct sink){out[0], res->out, 0};
	sinks[1] = (struct sink){err[0], res->err, 0};
	while (sinks[0].fd >= 0 || sinks[1].fd >= 0) {
		struct pollfd p[2] = {{.fd = sinks[0].fd, .events = POLLIN},
				      {.fd = sinks[1].fd, .events = POLLIN}};

		ck_assert_msg(now_s() - t0 < 40, "tunecho-load ran for more than 40 s");
		if (sig && !signalled && now_s() - t0 >= sig_after) {
			kill(pid, sig);
			signalled = true;
		}
		if (poll(p, 2, 50) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			ssize_t got;

			if (sinks[i].fd < 0 || !p[i].revents)
				continue;
			got = read(sinks[i].fd, sinks[i].buf + sinks[i].len,
				   OUT_MAX - 1 - sinks[i].len);
			if (got <= 0) { /* EOF; EIO on a terminal nobody holds */
				close(sinks[i].fd);
				sinks[i].fd = -1;
				continue;
			}
			sinks[i].len += (size_t)got;
			sinks[i].buf[sinks[i].len] = '\0';
		}
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	res->secs = now_s() - t0;
	res->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void run_load(struct result *res, const char *const *args)
{
	run_load_ex(res, NULL, args, -1, -1, 0, 0);
}

/* The daemon, from TUNECHO_BIN, serving @path until stop_daemon(). */
struct daemon {
	pid_t pid;
	int fd;
	char log[OUT_MAX];
	size_t len;
};

static void read_log(struct daemon *d, int ms)
{
	struct pollfd p = {.fd = d->fd, .events = POLLIN};

	while (d->fd >= 0 && poll(&p, 1, ms) > 0) {
		ssize_t n = read(d->fd, d->log + d->len, sizeof(d->log) - 1 - d->len);

		if (n <= 0) {
			close(d->fd);
			d->fd = -1;
			break;
		}
		d->len += (size_t)n;
		d->log[d->len] = '\0';
		if (strstr(d->log, ": ready"))
			break;
	}
}

static void start_daemon(struct daemon *d, const char *path)
{
	const char *argv[] = {env_path("TUNECHO_BIN"), "-c", path, NULL};
	double t0 = now_s();
	int fds[2];

	memset(d, 0, sizeof(*d));
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	d->fd = fds[0];
	while (d->fd >= 0 && !strstr(d->log, ": ready") && now_s() - t0 < 10)
		read_log(d, 100);
	ck_assert_msg(strstr(d->log, ": ready"), "tunecho did not start:\n%s", d->log);
}

static void stop_daemon(struct daemon *d)
{
	int st;

	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
	while (d->fd >= 0)
		read_log(d, 5000);
	ck_assert_int_eq(waitpid(d->pid, &st, 0), d->pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tunecho failed:\n%s", d->log);
}

/* Replies in the daemon's final line for @ifname ("total" for all). */
static long daemon_replies(const struct daemon *d, const char *ifname)
{
	char key[64];
	long rx, replies;

	snprintf(key, sizeof(key), "tunecho: %s: ", ifname);
	for (const char *p = strstr(d->log, key); p; p = strstr(p + 1, key))
		if (sscanf(p + strlen(key), "%ld received, %ld replies", &rx, &replies) == 2)
			return replies;
	return -1;
}

/* ------------------------------------------------------------------ */
/* Reading the JSON                                                   */
/* ------------------------------------------------------------------ */

/* The object of target @addr, or of the total with NULL. */
static const char *json_row(const char *json, const char *addr)
{
	char key[96];
	const char *p;

	if (addr)
		snprintf(key, sizeof(key), "{\"target\":\"%s\",", addr);
	else
		snprintf(key, sizeof(key), "\"total\":{");
	p = strstr(json, key);
	ck_assert_msg(p != NULL, "no %s in:\n%s", key, json);
	return p;
}

/* The number after "@key": in the object at @row (keys are unique in it). */
static double json_num(const char *row, const char *key)
{
	char k[32];
	const char *p, *end = strchr(row + 1, '{') ? strstr(row, "}}") : NULL;

	snprintf(k, sizeof(k), "\"%s\":", key);
	p = strstr(row, k);
	ck_assert_msg(p != NULL && (!end || p < end), "no %s in:\n%.300s", k, row);
	return strtod(p + strlen(k), NULL);
}

/* The targets of the JSON, in order, separated by spaces. */
static void json_targets(const char *json, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (const char *p = strstr(json, "\"target\":\""); p; p = strstr(p, "\"target\":\"")) {
		const char *end;

		p += strlen("\"target\":\"");
		end = strchr(p, '"');
		ck_assert_ptr_nonnull(end);
		len += (size_t)snprintf(out + len, size - len, "%s%.*s", len ? " " : "",
					(int)(end - p), p);
	}
}

/* Target @addr (NULL: total) sent @sent and every one came back in time. */
static void assert_all_good(const char *json, const char *addr, long sent)
{
	const char *row = json_row(json, addr);

	ck_assert_int_eq((long)json_num(row, "sent"), sent);
	ck_assert_int_eq((long)json_num(row, "received"), sent);
	ck_assert_int_eq((long)json_num(row, "lost"), 0);
	ck_assert_int_eq((long)json_num(row, "late"), 0);
	ck_assert_int_eq((long)json_num(row, "duplicate"), 0);
	ck_assert_int_eq((long)json_num(row, "corrupted"), 0);
	ck_assert(json_num(row, "rate") > 0);
	/* percentiles in order, the largest the maximum */
	ck_assert(json_num(row, "p50") > 0);
	ck_assert(json_num(row, "p50") <= json_num(row, "p90"));
	ck_assert(json_num(row, "p90") <= json_num(row, "p99"));
	ck_assert(json_num(row, "p99") <= json_num(row, "p999"));
	ck_assert(json_num(row, "p999") <= json_num(row, "max"));
}

/* Target @addr (NULL: total): the counters, exactly. */
static void assert_counts(const char *json, const char *addr, long sent, long received, long lost,
			  long late, long dup, long corrupted)
{
	const char *row = json_row(json, addr);

	ck_assert_int_eq((long)json_num(row, "sent"), sent);
	ck_assert_int_eq((long)json_num(row, "received"), received);
	ck_assert_int_eq((long)json_num(row, "lost"), lost);
	ck_assert_int_eq((long)json_num(row, "late"), late);
	ck_assert_int_eq((long)json_num(row, "duplicate"), dup);
	ck_assert_int_eq((long)json_num(row, "corrupted"), corrupted);
}

/* ------------------------------------------------------------------ */
/* A responder that misbehaves on purpose                             */
/* ------------------------------------------------------------------ */

enum mode {
	FLIP,	/* the last data byte changed (checksums made right again) */
	DUP,	/* every reply twice, except to the last request */
	HOLD,	/* each reply only when the next request comes: late */
	SHORT,	/* one data byte less */
	SOURCE, /* from another address than the one asked */
};

static uint16_t checksum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* Turn the IPv4 echo request in @b into a reply as @mode wants it. */
static size_t bad_reply(uint8_t *b, size_t len, enum mode mode)
{
	size_t ihl = (size_t)(b[0] & 0x0f) * 4;
	uint8_t src[4];

	memcpy(src, b + 12, 4);
	memcpy(b + 12, b + 16, 4);
	memcpy(b + 16, src, 4);
	if (mode == SOURCE)
		b[15] = 3; /* 198.18.9.3, not the .2 that was asked */
	if (mode == FLIP)
		b[len - 1] ^= 0x5a;
	if (mode == SHORT)
		put16(b + 2, (uint16_t)--len);
	b[ihl] = 0; /* echo reply */
	put16(b + ihl + 2, 0);
	put16(b + ihl + 2, checksum(b + ihl, len - ihl));
	put16(b + 10, 0);
	put16(b + 10, checksum(b, ihl));
	return len;
}

static void serve(int fd, enum mode mode, uint16_t last_seq)
{
	uint8_t b[2048], held[2048];
	size_t held_len = 0;

	for (;;) {
		ssize_t n = read(fd, b, sizeof(b));
		size_t len, ihl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);
		len = (size_t)n;
		ihl = (size_t)(b[0] & 0x0f) * 4;
		/* IPv4 echo requests only; router solicitations and the like pass */
		if (len < 28 || b[0] >> 4 != 4 || b[9] != 1 || len < ihl + 8 || b[ihl] != 8)
			continue;
		len = bad_reply(b, len, mode);
		if (mode == HOLD) {
			if (held_len && write(fd, held, held_len) < 0)
				_exit(1);
			memcpy(held, b, len);
			held_len = len;
			continue;
		}
		if (write(fd, b, len) < 0)
			_exit(1);
		if (mode == DUP && (b[ihl + 6] << 8 | b[ihl + 7]) != last_seq &&
		    write(fd, b, len) < 0)
			_exit(1);
	}
}

/* Start the responder on TUN device tl1, 198.18.9.1 peer 198.18.9.2;
 * it dies with the test. */
static pid_t start_responder(enum mode mode, uint16_t last_seq)
{
	int sync[2];
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(sync), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ifreq ifr = {.ifr_flags = IFF_TUN | IFF_NO_PI};
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		strcpy(ifr.ifr_name, "tl1");
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0)
			_exit(1);
		if (write(sync[1], "", 1) != 1)
			_exit(1);
		serve(fd, mode, last_seq);
	}
	close(sync[1]);
	ck_assert_msg(read(sync[0], &c, 1) == 1, "the responder did not start");
	close(sync[0]);
	ck_assert_int_eq(te_sh("ip addr add 198.18.9.1 peer 198.18.9.2 dev tl1 && "
			       "ip link set tl1 up"),
			 0);
	return pid;
}

static void stop_responder(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

static void setup(void)
{
	te_test_netns();
}

/* Peers, on-link /64 and routed prefixes, both families at once. */
static const char *const lab_conf = "[te0]\n"
				    "address = 198.18.0.1 peer 198.18.0.2\n"
				    "txqueuelen = 1000\n"
				    "[te1]\n"
				    "address = 2001:db8:0:1::1/64\n"
				    "txqueuelen = 1000\n"
				    "[te2]\n"
				    "address = 198.18.0.5 peer 198.18.0.6\n"
				    "route = 198.18.128.0/24\n"
				    "route = 2001:db8:0:80::/64\n"
				    "txqueuelen = 1000\n";

START_TEST(config_targets_all_answered_in_closed_loop)
{
	static const char *const targets[] = {
	    "198.18.0.2",	"2001:db8:0:1::2",  "2001:db8:0:1::3",	"2001:db8:0:1::4",
	    "2001:db8:0:1::5",	"198.18.0.6",	    "198.18.128.1",	"198.18.128.2",
	    "198.18.128.3",	"198.18.128.4",	    "2001:db8:0:80::1", "2001:db8:0:80::2",
	    "2001:db8:0:80::3", "2001:db8:0:80::4",
	};
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));
	const char *path = write_conf(lab_conf);
	const char *args[] = {"-c", path, "--hosts", "4", "--json", "-w", "8", "-n", "2000", NULL};
	char got[1024], want[1024] = "";

	start_daemon(d, path);
	run_load(res, args);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	ck_assert_str_eq(res->err, "");
	/* one JSON object on one line */
	ck_assert(res->out[0] == '{');
	ck_assert(strchr(res->out, '\n') == res->out + strlen(res->out) - 1);

	json_targets(res->out, got, sizeof(got));
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		strcat(want, i ? " " : "");
		strcat(want, targets[i]);
		assert_all_good(res->out, targets[i], 2000);
	}
	ck_assert_str_eq(got, want);
	assert_all_good(res->out, NULL, 14 * 2000);

	/* The daemon saw exactly as many: nothing answered twice, nothing extra. */
	stop_daemon(d);
	ck_assert_int_eq(daemon_replies(d, "te0"), 2000);
	ck_assert_int_eq(daemon_replies(d, "te1"), 4 * 2000);
	ck_assert_int_eq(daemon_replies(d, "te2"), 9 * 2000);
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

START_TEST(command_line_targets_for_a_duration)
{
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));
	const char *args[] = {"-d", "1", "-w", "4", "198.18.0.2", "2001:db8:0:1::2", NULL};
	const char *line;
	char name[64];
	unsigned long v[6];
	double rate;
	char header[256];

	start_daemon(d, write_conf(lab_conf));
	run_load(res, args);
	stop_daemon(d);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	ck_assert_str_eq(res->err, "");
	ck_assert_msg(res->secs >= 1.0 && res->secs < 3.0, "took %.2f s", res->secs);
	/* The table: a header, one row per target, the total. */
	/* the first column as wide as the longest address */
	snprintf(header, sizeof(header),
		 "%-15s %10s %10s %8s %8s %8s %8s %11s %9s %9s %9s %9s %9s\n", "target", "sent",
		 "received", "lost", "late", "dup", "corrupt", "replies/s", "p50 us", "p90 us",
		 "p99 us", "p99.9 us", "max us");
	ck_assert_msg(strncmp(res->out, header, strlen(header)) == 0, "%s", res->out);
	line = strchr(res->out, '\n') + 1;
	for (int row = 0; row < 3; row++, line = strchr(line, '\n') + 1) {
		ck_assert_int_eq(sscanf(line, "%63s %lu %lu %lu %lu %lu %lu %lf", name, &v[0],
					&v[1], &v[2], &v[3], &v[4], &v[5], &rate),
				 8);
		ck_assert_str_eq(name, row == 0	  ? "198.18.0.2"
				       : row == 1 ? "2001:db8:0:1::2"
						  : "total");
		ck_assert_msg(v[0] > 100 && v[1] == v[0], "%s", line);
		ck_assert_msg(!v[2] && !v[3] && !v[4] && !v[5], "%s", line);
		ck_assert_msg(rate > 100, "%s", line);
	}
	ck_assert_str_eq(line, "");
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

START_TEST(open_loop_sends_rate_times_duration)
{
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));
	const char *args[] = {
	    "-r", "500", "-d", "1", "--json", "-s", "1400", "198.18.0.2", "2001:db8:0:1::9", NULL};

	start_daemon(d, write_conf(lab_conf));
	run_load(res, args);
	stop_daemon(d);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	assert_all_good(res->out, "198.18.0.2", 500);
	assert_all_good(res->out, "2001:db8:0:1::9", 500);
	/* 500 requests spread over the second: about 500 replies/s */
	ck_assert(json_num(json_row(res->out, NULL), "rate") > 900);
	ck_assert(json_num(json_row(res->out, NULL), "rate") < 1100);
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

START_TEST(every_size_comes_back_intact)
{
	static const char *const sizes[] = {"24", "57", "1000",
					    "1452"}; /* 1452: IPv6 at MTU 1500 */
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));

	start_daemon(d, write_conf(lab_conf));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		const char *args[] = {
		    "-s",	  sizes[i],	     "-w", "4", "-n", "500", "--json",
		    "198.18.0.2", "2001:db8:0:1::2", NULL};

		run_load(res, args);
		ck_assert_msg(res->status == 0, "-s %s: exit %d\n%s%s", sizes[i], res->status,
			      res->out, res->err);
		assert_all_good(res->out, NULL, 1000);
	}
	stop_daemon(d);
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

START_TEST(parallel_runs_with_one_identifier_keep_apart)
{
	struct daemon *d = malloc(sizeof(*d));
	char *out = malloc(OUT_MAX), *json[2];
	const char *bin = env_path("TUNECHO_LOAD_BIN");

	start_daemon(d, write_conf(lab_conf));
	/* The same identifiers at the same time, the IPv4 targets swapped:
	 * identifier, source and cookie tell the replies apart, and nobody
	 * counts the other's. */
	ck_assert_int_eq(te_sh_out(out, OUT_MAX,
				   "%s --ident 4242 -w 4 -d 1 --json 198.18.0.2 198.18.0.6 "
				   "2001:db8:0:1::2 & "
				   "b=$(%s --ident 4242 -w 4 -d 1 --json 198.18.0.6 198.18.0.2 "
				   "2001:db8:0:1::2) || exit 1; wait $! || exit 1; echo \"$b\"",
				   bin, bin),
			 0);
	stop_daemon(d);
	json[0] = out;
	json[1] = strchr(out, '\n');
	ck_assert_ptr_nonnull(json[1]);
	*json[1]++ = '\0';
	for (int i = 0; i < 2; i++) {
		const char *row = json_row(json[i], NULL);

		ck_assert_msg(json_num(row, "sent") > 100, "%s", json[i]);
		assert_all_good(json[i], NULL, (long)json_num(row, "sent"));
	}
	unlink_conf();
	free(out);
	free(d);
}
END_TEST

START_TEST(a_target_nobody_answers_is_lost)
{
	struct result *res = malloc(sizeof(*res));
	const char *args[] = {"--json",	       "-n", "5", "--timeout", "200", "198.18.5.2",
			      "2001:db8:5::2", NULL};
	const char *lenient[] = {"--json",     "-n",  "5",	    "--timeout",     "200",
				 "--max-loss", "100", "198.18.5.2", "2001:db8:5::2", NULL};

	/* A TUN device, up, that no process reads. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name tl0 && ip link set tl0 up && "
			       "ip addr add 198.18.5.1 peer 198.18.5.2 dev tl0 && "
			       "ip addr add 2001:db8:5::1/64 dev tl0 nodad"),
			 0);
	run_load(res, args);
	ck_assert_msg(res->status == 1, "exit %d\n%s%s", res->status, res->out, res->err);
	assert_counts(res->out, "198.18.5.2", 5, 0, 5, 0, 0, 0);
	assert_counts(res->out, "2001:db8:5::2", 5, 0, 5, 0, 0, 0);
	assert_counts(res->out, NULL, 10, 0, 10, 0, 0, 0);
	ck_assert_ptr_nonnull(strstr(res->out, "\"rate\":0.0,\"rtt_us\":null}"));
	/* window 1: 5 timeouts of 200 ms, one after the other */
	ck_assert_msg(res->secs >= 1.0 && res->secs < 2.5, "took %.2f s", res->secs);

	run_load(res, lenient);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	assert_counts(res->out, NULL, 10, 0, 10, 0, 0, 0);
	free(res);
}
END_TEST

START_TEST(no_route_counts_as_lost_and_says_why)
{
	struct result *res = malloc(sizeof(*res));
	const char *args[] = {"--json", "-n", "3", "--timeout", "100", "198.18.77.1", NULL};

	run_load(res, args);
	ck_assert_int_eq(res->status, 1);
	assert_counts(res->out, NULL, 3, 0, 3, 0, 0, 0);
	ck_assert_str_eq(res->err, "tunecho-load: 198.18.77.1: sending failed: Network is "
				   "unreachable (counted as lost)\n");
	free(res);
}
END_TEST

START_TEST(damaged_replies_are_corrupt_and_their_requests_lost)
{
	struct result *res = malloc(sizeof(*res));
	const char *args[] = {"--json", "-n", "5", "--timeout", "100", "198.18.9.2", NULL};
	const char *lenient[] = {"--json", "-n",	 "5",	"--timeout",
				 "100",	   "--max-loss", "100", "--max-corrupt",
				 "5",	   "198.18.9.2", NULL};
	const char *almost[] = {"--json", "-n",		"5",   "--timeout",
				"100",	  "--max-loss", "100", "--max-corrupt",
				"4",	  "198.18.9.2", NULL};
	pid_t pid = start_responder(FLIP, 0);

	run_load(res, args);
	ck_assert_msg(res->status == 1, "exit %d\n%s%s", res->status, res->out, res->err);
	assert_counts(res->out, NULL, 5, 0, 5, 0, 0, 5);
	run_load(res, lenient);
	ck_assert_int_eq(res->status, 0);
	run_load(res, almost);
	ck_assert_int_eq(res->status, 1);
	stop_responder(pid);
	free(res);
}
END_TEST

START_TEST(short_and_misaddressed_replies_are_corrupt)
{
	struct result *res = malloc(sizeof(*res));
	const char *args[] = {"--json", "-n", "5", "--timeout", "100", "198.18.9.2", NULL};
	pid_t pid = start_responder(SHORT, 0);

	run_load(res, args);
	ck_assert_int_eq(res->status, 1);
	assert_counts(res->out, NULL, 5, 0, 5, 0, 0, 5);
	stop_responder(pid);
	ck_assert_int_eq(te_sh("ip link del tl1 2>/dev/null; true"), 0);

	pid = start_responder(SOURCE, 0);
	run_load(res, args);
	ck_assert_int_eq(res->status, 1);
	assert_counts(res->out, NULL, 5, 0, 5, 0, 0, 5);
	stop_responder(pid);
	free(res);
}
END_TEST

START_TEST(duplicates_are_counted_and_do_not_fail)
{
	struct result *res = malloc(sizeof(*res));
	const char *args[] = {"--json", "-n", "5", "198.18.9.2", NULL};
	pid_t pid = start_responder(DUP, 4);

	run_load(res, args);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	assert_counts(res->out, NULL, 5, 5, 0, 0, 4, 0);
	stop_responder(pid);
	free(res);
}
END_TEST

START_TEST(late_replies_are_late_not_received)
{
	struct result *res = malloc(sizeof(*res));
	const char *args[] = {"--json", "-n", "5", "--timeout", "100", "198.18.9.2", NULL};
	pid_t pid = start_responder(HOLD, 0);

	/* Each reply comes when the next request does, after the timeout: four
	 * are late, the last never comes. */
	run_load(res, args);
	ck_assert_msg(res->status == 1, "exit %d\n%s%s", res->status, res->out, res->err);
	assert_counts(res->out, NULL, 5, 0, 1, 4, 0, 0);
	stop_responder(pid);
	free(res);
}
END_TEST

START_TEST(targets_from_a_config)
{
	struct result *res = malloc(sizeof(*res));
	const char *path = write_conf("[a]\n"
				      "address = 198.18.3.1/30\n"   /* .2: .3 is broadcast */
				      "address = 198.18.3.8/31\n"   /* .9 */
				      "address = 198.18.4.254/24\n" /* wraps: .1 .2 */
				      "address = 198.18.5.1\n"	    /* /32: nobody else */
				      "address = 198.18.0.1 peer 198.18.6.3/29\n" /* the peer */
				      "route = 198.18.6.0/29\n" /* .1-.6; .3 given */
				      "route = 198.18.7.7/32\n" /* itself */
				      "[b]\n"
				      "address = 2001:db8:1::ffff/112\n" /* wraps: ::1 ::2 */
				      "route = 2001:db8:2::/127\n"	 /* both */
				      "route = 2001:db8:3::/64\n");
	const char *args[] = {"-c",	path,	      "--hosts",     "2",
			      "--list", "198.18.7.7", "2001:db8::1", NULL};
	const char *all[] = {"-c", path, "--hosts", "300", "--list", NULL};
	long lines = 0;

	run_load(res, args);
	ck_assert_int_eq(res->status, 0);
	ck_assert_str_eq(res->err, "");
	ck_assert_str_eq(res->out, "198.18.3.2\n198.18.3.9\n198.18.4.1\n198.18.4.2\n"
				   "198.18.6.3\n198.18.6.1\n198.18.6.2\n198.18.7.7\n"
				   "2001:db8:1::1\n2001:db8:1::2\n2001:db8:2::\n2001:db8:2::1\n"
				   "2001:db8:3::1\n2001:db8:3::2\n2001:db8::1\n");
	run_load(res, all);
	ck_assert_int_eq(res->status, 0);
	/* every host of the /24 but its own; /29: 6, one of them the peer */
	for (const char *p = res->out; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 1 + 1 + 253 + 1 + 5 + 1 + 300 + 2 + 300);
	unlink_conf();
	free(res);
}
END_TEST

/*
 * IPv6 requests to a config's targets leave from the config's own address,
 * even where the kernel would choose another (here: the config's address
 * is deprecated, which source selection avoids).
 */
START_TEST(ipv6_requests_leave_from_the_config_s_address)
{
	struct result *res = malloc(sizeof(*res));
	const char *conf = write_conf("[tl6]\naddress = 2001:db8:7::1/64\n");
	const char *args[] = {"--json",	    "-n",  "1",	 "--timeout", "100",
			      "--max-loss", "100", "-c", conf,	      NULL};
	struct pollfd pfd;
	uint8_t src[16], want[16];
	int pipefd[2];
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct ifreq ifr = {.ifr_flags = IFF_TUN | IFF_NO_PI};
		int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
		uint8_t b[2048];
		ssize_t n;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		strcpy(ifr.ifr_name, "tl6");
		if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0)
			_exit(1);
		if (write(pipefd[1], "", 1) != 1)
			_exit(1);
		/* The first echo request's source; the kernel's own chatter
		 * (router solicitations, MLD) is skipped. */
		while ((n = read(fd, b, sizeof(b))) > 0)
			if (n >= 48 && b[0] >> 4 == 6 && b[6] == 58 && b[40] == 128)
				_exit(write(pipefd[1], b + 8, 16) == 16 ? 0 : 1);
		_exit(1);
	}
	pfd = (struct pollfd){.fd = pipefd[0], .events = POLLIN};
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(read(pipefd[0], src, 1), 1);
	ck_assert_int_eq(te_sh("ip link set tl6 up && "
			       "ip addr add 2001:db8:7::1/64 dev tl6 nodad preferred_lft 0 && "
			       "ip addr add 2001:db8:7::5/64 dev tl6 nodad"),
			 0);
	run_load(res, args);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	ck_assert_int_eq(poll(&pfd, 1, 5000), 1);
	ck_assert_int_eq(read(pipefd[0], src, sizeof(src)), (ssize_t)sizeof(src));
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8:7::1", want), 1);
	ck_assert_msg(!memcmp(src, want, sizeof(want)), "the request left from another address");
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	unlink(conf);
	free(res);
}
END_TEST

START_TEST(usage_errors_exit_2)
{
	struct result *res = malloc(sizeof(*res));
	char expect[256];
	const char *none[] = {NULL};
	const char *bad_opt[] = {"--frobnicate", "198.18.0.2", NULL};
	const char *bad_addr[] = {"198.18.0.300", NULL};
	const char *bad_window[] = {"-w", "0", "198.18.0.2", NULL};
	const char *bad_size[] = {"-s", "23", "198.18.0.2", NULL};
	const char *missing[] = {"-c", "/nonexistent/tunecho.conf", NULL};
	const char *path =
	    write_conf("[te0]\naddress = 198.18.0.1 peer 198.18.0.2\ncolour = blue\n");
	const char *bad_conf[] = {"-c", path, NULL};
	const char *try = "Try 'tunecho-load --help' for more information.\n";

	run_load(res, none);
	ck_assert_int_eq(res->status, 2);
	ck_assert_str_eq(res->out, "");
	snprintf(expect, sizeof(expect),
		 "tunecho-load: no targets: give addresses, or a config with -c FILE\n%s", try);
	ck_assert_str_eq(res->err, expect);

	run_load(res, bad_opt);
	ck_assert_int_eq(res->status, 2);
	ck_assert_ptr_nonnull(strstr(res->err, "frobnicate"));
	ck_assert_ptr_nonnull(strstr(res->err, try));

	run_load(res, bad_addr);
	ck_assert_int_eq(res->status, 2);
	snprintf(expect, sizeof(expect),
		 "tunecho-load: '198.18.0.300' is not an IPv4 or IPv6 address\n%s", try);
	ck_assert_str_eq(res->err, expect);

	run_load(res, bad_window);
	ck_assert_int_eq(res->status, 2);
	snprintf(expect, sizeof(expect),
		 "tunecho-load: --window: '0' is not a whole number from 1 to 65536\n%s", try);
	ck_assert_str_eq(res->err, expect);

	run_load(res, bad_size);
	ck_assert_int_eq(res->status, 2);
	ck_assert_ptr_nonnull(strstr(res->err, "--size: '23' is not a whole number from 24 to"));

	run_load(res, missing);
	ck_assert_int_eq(res->status, 2);
	ck_assert_str_eq(res->err,
			 "tunecho-load: /nonexistent/tunecho.conf: No such file or directory\n");

	run_load(res, bad_conf);
	ck_assert_int_eq(res->status, 2);
	snprintf(expect, sizeof(expect), "tunecho-load: %s:3: unknown key 'colour' in [te0]", path);
	ck_assert_msg(strncmp(res->err, expect, strlen(expect)) == 0, "got:\n%s", res->err);
	ck_assert_str_eq(res->out, "");
	unlink_conf();
	free(res);
}
END_TEST

START_TEST(help_and_version)
{
	static const char *const options[] = {
	    "--config", "--hosts", "--list",	"--window", "--count",	   "--duration",
	    "--rate",	"--size",  "--timeout", "--ident",  "--max-loss",  "--max-corrupt",
	    "--json",	"--help",  "--version", "\"p999\"", "Exit status",
	};
	struct result *res = malloc(sizeof(*res));
	const char *help[] = {"--help", NULL};
	const char *version[] = {"--version", NULL};

	run_load(res, help);
	ck_assert_int_eq(res->status, 0);
	ck_assert_ptr_nonnull(strstr(res->out, "Usage: tunecho-load [OPTION]... [ADDRESS]..."));
	for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
		ck_assert_msg(strstr(res->out, options[i]), "--help lacks %s", options[i]);
	run_load(res, version);
	ck_assert_int_eq(res->status, 0);
	ck_assert_msg(strncmp(res->out, "tunecho-load 2.", 15) == 0, "%s", res->out);
	free(res);
}
END_TEST

START_TEST(without_cap_net_raw_one_line_says_what_to_do)
{
	struct result *res = malloc(sizeof(*res));
	const char *setpriv[] = {"/usr/bin/setpriv", "--reuid=65534",	"--regid=65534",
				 "--clear-groups",   "--inh-caps=-all", NULL};
	const char *args[] = {"-n", "1", "198.18.0.2", NULL};

	ck_assert_msg(access(setpriv[0], X_OK) == 0, "setpriv (util-linux) is needed");
	run_load_ex(res, setpriv, args, -1, -1, 0, 0);
	ck_assert_int_eq(res->status, 1);
	ck_assert_str_eq(res->out, "");
	ck_assert_str_eq(res->err, "tunecho-load: raw ICMP socket: Operation not permitted; this "
				   "needs CAP_NET_RAW: run tunecho-load as root\n");
	free(res);
}
END_TEST

START_TEST(progress_only_on_a_terminal)
{
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));
	const char *args[] = {"-d", "2.5", "198.18.0.2", "2001:db8:0:1::2", NULL};
	int master, slave;

	start_daemon(d, write_conf(lab_conf));
	/* stderr a pipe: not a byte on it */
	run_load(res, args);
	ck_assert_int_eq(res->status, 0);
	ck_assert_str_eq(res->err, "");
	ck_assert_ptr_nonnull(strstr(res->out, "\ntotal "));

	/* stderr a terminal: a line each second, rewritten in place, then erased */
	master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	slave = open(ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(slave, 0);
	run_load_ex(res, NULL, args, slave, master, 0, 0);
	ck_assert_int_eq(res->status, 0);
	ck_assert_msg(strncmp(res->err, "\rtunecho-load: 1 s, ", 20) == 0, "%s", res->err);
	ck_assert_ptr_nonnull(strstr(res->err, " replies/s, loss 0.00 %, p99 "));
	ck_assert_ptr_nonnull(strstr(res->err, " us\033[K\rtunecho-load: 2 s, "));
	ck_assert_msg(strlen(res->err) > 3 && !strcmp(res->err + strlen(res->err) - 4, "\r\033[K"),
		      "%s", res->err);
	ck_assert_ptr_nonnull(strstr(res->out, "\ntotal "));
	stop_daemon(d);
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

START_TEST(sigint_stops_early_and_reports)
{
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));
	const char *args[] = {"-d", "20", "--json", "198.18.0.2", NULL};
	const char *row;

	start_daemon(d, write_conf(lab_conf));
	run_load_ex(res, NULL, args, -1, -1, SIGINT, 1.0);
	stop_daemon(d);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	ck_assert_msg(res->secs < 2.5, "took %.2f s", res->secs);
	row = json_row(res->out, NULL);
	ck_assert(json_num(row, "sent") > 0);
	assert_all_good(res->out, NULL, (long)json_num(row, "sent"));
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

/* The CSV of --series: every row's counts add up to the run's, and the
 * per-second figures are those of a run at 200 requests per second. */
static void check_series(const char *path, long sent)
{
	FILE *f = fopen(path, "r");
	char line[256];
	long s = 0, rcv = 0, lost = 0, rows = 0;
	double last_t = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
	ck_assert_str_eq(line, "time_s,sent,received,lost,p50_us,p99_us\n");
	while (fgets(line, sizeof(line), f)) {
		double t, p50 = 0, p99 = 0;
		long a, b, c;

		ck_assert_msg(sscanf(line, "%lf,%ld,%ld,%ld,%lf,%lf", &t, &a, &b, &c, &p50, &p99) >=
				  4,
			      "%s", line);
		ck_assert_msg(t > last_t, "%s", line);
		if (b)
			ck_assert_msg(p50 > 0 && p50 <= p99, "%s", line);
		last_t = t;
		s += a;
		rcv += b;
		lost += c;
		rows++;
	}
	fclose(f);
	ck_assert_int_eq(s, sent);
	ck_assert_int_eq(rcv, sent);
	ck_assert_int_eq(lost, 0);
	/* 2.5 s of sending: two whole seconds and the rest */
	ck_assert_int_ge(rows, 3);
}

/* A PNG file: the signature, then an IHDR of a sensible size. */
static void check_png(const char *path)
{
	unsigned char b[24];
	FILE *f = fopen(path, "rb");
	unsigned w, h;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fread(b, 1, sizeof(b), f), sizeof(b));
	fclose(f);
	ck_assert_int_eq(memcmp(b, "\x89PNG\r\n\x1a\n", 8), 0);
	ck_assert_int_eq(memcmp(b + 12, "IHDR", 4), 0);
	w = (unsigned)b[16] << 24 | b[17] << 16 | b[18] << 8 | b[19];
	h = (unsigned)b[20] << 24 | b[21] << 16 | b[22] << 8 | b[23];
	ck_assert_msg(w >= 400 && h >= 300, "%s: %ux%u", path, w, h);
}

START_TEST(histogram_series_and_plots_of_a_known_run)
{
	struct result *res = malloc(sizeof(*res));
	struct daemon *d = malloc(sizeof(*d));
	char dir[] = "/tmp/tunecho-plot-XXXXXX", csv[64], json[64], cmd[512], prefix[64];
	const char *args[] = {"-r", "200",	"-d", "2.5",	    "--histogram",
			      "-v", "--series", csv,  "198.18.0.2", "2001:db8:0:1::2",
			      NULL};
	const char *jargs[] = {"-n", "50", "--json", "--histogram", "198.18.0.2", "2001:db8:0:1::2",
			       NULL};
	const char *p;
	unsigned long long n, sum = 0;
	double lo, hi, pct, cum = 0;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(csv, sizeof(csv), "%s/run.csv", dir);
	snprintf(json, sizeof(json), "%s/run.json", dir);
	snprintf(prefix, sizeof(prefix), "%s/chart", dir);
	start_daemon(d, write_conf(lab_conf));
	run_load(res, args);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	/* open loop: 500 requests per target, so 1000 in the total's chart */
	p = strstr(res->out, "\nRTT histogram, 198.18.0.2:\n");
	ck_assert_msg(p != NULL, "%s", res->out);
	ck_assert_ptr_nonnull(strstr(p, "\nRTT histogram, 2001:db8:0:1::2:\n"));
	p = strstr(p, "\nRTT histogram, total:\n");
	ck_assert_msg(p != NULL, "%s", res->out);
	p = strchr(p + 2, '\n') + 1;
	ck_assert_int_eq(strncmp(p, "                 RTT us        count       %   cum %", 52), 0);
	for (p = strchr(p, '\n') + 1; *p; p = strchr(p, '\n') + 1) {
		ck_assert_int_eq(sscanf(p, "%lf - %lf %llu %lf %lf", &lo, &hi, &n, &pct, &cum), 5);
		ck_assert(lo < hi);
		sum += n;
	}
	ck_assert_uint_eq(sum, 1000);
	ck_assert(fabs(cum - 100) < 0.01);
	check_series(csv, 1000);

	run_load(res, jargs);
	stop_daemon(d);
	ck_assert_msg(res->status == 0, "exit %d\n%s%s", res->status, res->out, res->err);
	/* the buckets of the JSON add up to the replies, before "rtt_us" */
	p = strstr(json_row(res->out, NULL), "\"histogram\":[");
	ck_assert_msg(p != NULL, "%s", res->out);
	ck_assert_ptr_nonnull(strstr(p, "]],\"rtt_us\":{"));
	sum = 0;
	for (p = strchr(p, '[') + 1; *p == '['; p = strchr(p, ']') + 2) {
		ck_assert_int_eq(sscanf(p, "[%lf,%lf,%llu]", &lo, &hi, &n), 3);
		sum += n;
		if (p[strcspn(p, "]") + 1] != ',')
			break;
	}
	ck_assert_uint_eq(sum, 100);
	f = fopen(json, "w");
	ck_assert_ptr_nonnull(f);
	fputs(res->out, f);
	fclose(f);

	snprintf(cmd, sizeof(cmd), "%s %s --series %s --json %s --out %s",
		 env_path("TUNECHO_PYTHON"), env_path("TUNECHO_PLOT"), csv, json, prefix);
	ck_assert_int_eq(te_sh("%s", cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s-rtt.png", prefix);
	check_png(cmd);
	snprintf(cmd, sizeof(cmd), "%s-cdf.png", prefix);
	check_png(cmd);
	te_sh("rm -rf %s", dir);
	unlink_conf();
	free(res);
	free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("load");
	TCase *tc = tcase_create("load");

	te_test_require_root("test-load");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, config_targets_all_answered_in_closed_loop);
	tcase_add_test(tc, command_line_targets_for_a_duration);
	tcase_add_test(tc, open_loop_sends_rate_times_duration);
	tcase_add_test(tc, every_size_comes_back_intact);
	tcase_add_test(tc, parallel_runs_with_one_identifier_keep_apart);
	tcase_add_test(tc, a_target_nobody_answers_is_lost);
	tcase_add_test(tc, no_route_counts_as_lost_and_says_why);
	tcase_add_test(tc, damaged_replies_are_corrupt_and_their_requests_lost);
	tcase_add_test(tc, short_and_misaddressed_replies_are_corrupt);
	tcase_add_test(tc, duplicates_are_counted_and_do_not_fail);
	tcase_add_test(tc, late_replies_are_late_not_received);
	tcase_add_test(tc, targets_from_a_config);
	tcase_add_test(tc, ipv6_requests_leave_from_the_config_s_address);
	tcase_add_test(tc, usage_errors_exit_2);
	tcase_add_test(tc, help_and_version);
	tcase_add_test(tc, without_cap_net_raw_one_line_says_what_to_do);
	tcase_add_test(tc, progress_only_on_a_terminal);
	tcase_add_test(tc, sigint_stops_early_and_reports);
	tcase_add_test(tc, histogram_series_and_plots_of_a_known_run);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

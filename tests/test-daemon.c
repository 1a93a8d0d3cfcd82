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
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#define LOG_MAX (1 << 20) /* a thousand interfaces log about 80 KB at start */

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

/* @text into @fd, with `seccomp = yes` added in the seccomp run. */
static void write_conf_fd(int fd, const char *text)
{
	static const char key[] = "seccomp = yes\n";
	const char *global = strstr(text, "[global]\n");

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
}

static const char *write_conf(const char *text)
{
	int fd;

	snprintf(conf_path, sizeof(conf_path), "/tmp/tunecho-test-XXXXXX");
	fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	write_conf_fd(fd, text);
	close(fd);
	return conf_path;
}

/*
 * Replace the file at @path (the one a running daemon was given with -c)
 * with @text, atomically: a reload reads either the old or the new text.
 */
static void rewrite_conf(const char *path, const char *text)
{
	char tmp[sizeof(conf_path) + 8];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	write_conf_fd(fd, text);
	close(fd);
	ck_assert_int_eq(rename(tmp, path), 0);
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
		/* A failed assertion ends the test: the daemon goes with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
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

/* ------------------------------------------------------------------ */
/* Reload, monitor: waiting on the log, background clients, CPU use    */
/* ------------------------------------------------------------------ */

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(int ms)
{
	struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* Occurrences of @needle in @hay. */
static int count_of(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/* Read the log until it holds @n times @needle; false after @ms without. */
static bool wait_log_n(struct daemon *d, const char *needle, int n, int ms)
{
	double end = now_s() + ms / 1000.0;

	while (count_of(d->log, needle) < n) {
		int left = (int)((end - now_s()) * 1000);

		if (left <= 0 || d->err_fd < 0)
			return false;
		drain(d, left < 100 ? left : 100);
	}
	return true;
}

static bool wait_log(struct daemon *d, const char *needle, int ms)
{
	return wait_log_n(d, needle, 1, ms);
}

/* Keep reading the log for @ms: for lines that must not come. */
static void drain_for(struct daemon *d, int ms)
{
	double end = now_s() + ms / 1000.0;
	int left;

	while ((left = (int)((end - now_s()) * 1000)) > 0) {
		if (d->err_fd < 0) {
			sleep_ms(left);
			break;
		}
		drain(d, left);
	}
}

/* The whole line of @log around @p (no newline) into @out. */
static const char *line_at(const char *log, const char *p, char *out, size_t size)
{
	const char *start, *end;
	size_t n;

	out[0] = '\0';
	if (!p)
		return out;
	for (start = p; start > log && start[-1] != '\n'; start--)
		;
	end = strchr(p, '\n');
	n = end ? (size_t)(end - start) : strlen(start);
	if (n >= size)
		n = size - 1;
	memcpy(out, start, n);
	out[n] = '\0';
	return out;
}

/* The first whole line of the log that holds @needle (no newline), or "". */
static const char *log_line_with(const struct daemon *d, const char *needle, char *out, size_t size)
{
	return line_at(d->log, strstr(d->log, needle), out, size);
}

/* Whether @s ends with @suffix. */
static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* Run a shell command until it succeeds; false if it still fails after @ms. */
static bool wait_sh(int ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool wait_sh(int ms, const char *fmt, ...)
{
	double end = now_s() + ms / 1000.0;
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	for (;;) {
		if (te_sh("%s", cmd) == 0)
			return true;
		if (now_s() > end)
			return false;
		sleep_ms(20);
	}
}

/* A shell command in the background; its pid (the command's own with `exec`). */
static pid_t bg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static pid_t bg(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* The exit status of a command of bg(). */
static int bg_wait(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* An iputils ping in the background, its output kept in an unlinked file. */
struct bg_ping {
	pid_t pid;
	int count;
	int out_fd;
	char summary[1024];
};

static void bg_ping_start(struct bg_ping *p, int count, const char *args)
{
	char path[] = "/tmp/tunecho-ping-XXXXXX", cmd[512];

	p->count = count;
	p->out_fd = mkostemp(path, O_CLOEXEC);
	ck_assert_int_ge(p->out_fd, 0);
	unlink(path);
	snprintf(cmd, sizeof(cmd), "exec ping -n -q -c %d %s", count, args);
	p->pid = fork();
	ck_assert_int_ge(p->pid, 0);
	if (p->pid == 0) {
		dup2(p->out_fd, STDOUT_FILENO);
		dup2(p->out_fd, STDERR_FILENO);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
}

/* Wait for it; true when every one of its requests was answered, once. */
static bool bg_ping_all_answered(struct bg_ping *p)
{
	char expect[128];
	int status = bg_wait(p->pid);
	ssize_t n = pread(p->out_fd, p->summary, sizeof(p->summary) - 1, 0);

	p->summary[n > 0 ? n : 0] = '\0';
	close(p->out_fd);
	snprintf(expect, sizeof(expect), "\n%d packets transmitted, %d received, 0%% packet loss",
		 p->count, p->count);
	return status == 0 && strstr(p->summary, expect);
}

/* CPU time @pid used so far (user + system), in seconds. */
static double cpu_seconds(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long utime, stime;
	const char *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	/* After "(comm)": state, then fields 4 to 13, then utime and stime. */
	p = strrchr(buf, ')');
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime),
	    2);
	return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* The share of one core the daemon uses over the next @ms (its log read meanwhile). */
static double cpu_share(struct daemon *d, int ms)
{
	double t0 = now_s(), c0 = cpu_seconds(d->pid);

	drain_for(d, ms);
	return (cpu_seconds(d->pid) - c0) / (now_s() - t0);
}

static bool iface_is_up(const char *name)
{
	struct ifreq ifr = {0};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool up;

	ck_assert_int_ge(fd, 0);
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	up = ioctl(fd, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
	close(fd);
	return up;
}

/* Still running: neither exited nor killed (seccomp kills, for one). */
static bool running(struct daemon *d)
{
	int st;

	if (d->status >= 0)
		return false;
	if (waitpid(d->pid, &st, WNOHANG) != d->pid)
		return true;
	d->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return false;
}

/* For messages: whether it still runs, or how it ended. */
static const char *fate(struct daemon *d)
{
	static char text[64];

	if (running(d))
		return "still running";
	snprintf(text, sizeof(text), "ended with status %d%s", d->status,
		 d->status == 128 + SIGSYS ? " (SIGSYS: seccomp?)" : "");
	return text;
}

static int reload_results(const char *log)
{
	return count_of(log, "tunecho: reloaded: ") + count_of(log, "tunecho: error: reload ");
}

/* The last occurrence of @needle in @hay, or NULL. */
static const char *last_of(const char *hay, const char *needle)
{
	const char *last = NULL;

	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		last = p;
	return last;
}

/*
 * SIGHUP, then read the log until the line that says how the reload went
 * (`reloaded: ...` or `error: reload ...`), copied into @line without its
 * newline; false when none came within 5 s (or the daemon died).
 */
static bool reload(struct daemon *d, char *line, size_t size)
{
	int before = reload_results(d->log);
	double end = now_s() + 5;
	const char *ok, *bad;

	line[0] = '\0';
	ck_assert_int_eq(kill(d->pid, SIGHUP), 0);
	while (reload_results(d->log) == before) {
		if (now_s() > end || d->err_fd < 0)
			return false;
		drain(d, 100);
	}
	ok = last_of(d->log, "tunecho: reloaded: ");
	bad = last_of(d->log, "tunecho: error: reload ");
	line_at(d->log, ok > bad ? ok : bad, line, size);
	return true;
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

/*
 * LeakSanitizer's check at exit makes calls (clone, ptrace, /proc) that no
 * allow-list admits: in an AddressSanitizer build, `seccomp = yes` is not
 * applied, and tunecho says so, instead of dying with SIGSYS at its stop.
 * This suite is built with the same sanitizers as tunecho; in a plain
 * build the filter is installed and the stop is as clean.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANITIZED_BUILD 1
#endif
#endif

START_TEST(seccomp_is_installed_or_said_to_be_left_out_of_a_sanitizer_build)
{
	struct daemon d;
	char v[64];
	/* the seccomp run adds the key itself */
	const char *path =
	    write_conf(seccomp_run() ? "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				     : "[global]\nseccomp = yes\n"
				       "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	proc_status(d.pid, "Seccomp", v, sizeof(v));
#ifdef SANITIZED_BUILD
	ck_assert_str_eq(v, "0\n");
	ck_assert_msg(strstr(d.log, "tunecho: warning: seccomp = yes is not applied: this is a "
				    "sanitizer build"),
		      "%s", d.log);
#else
	ck_assert_str_eq(v, "2\n");
	ck_assert_msg(strstr(d.log, "seccomp allow-list installed"), "%s", d.log);
#endif
	ck_assert_int_eq(te_sh("ping -n -q -c 2 -i 0.2 -w 5 198.18.0.2 >/dev/null"), 0);
	ck_assert_msg(stop(&d) == 0, "status %d:\n%s", d.status, d.log);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
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

START_TEST(busy_polling_answers_all_starves_nobody_and_idles_at_zero)
{
	struct daemon d;
	const char *path = write_conf("[global]\n"
				      "busy-poll-us = 1000\n"
				      "[te0]\n"
				      "address = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\n"
				      "address = 198.18.0.5 peer 198.18.0.6\n");
	double idle;

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	/* One request in flight on te0, spun for; te1 must still be served. */
	ck_assert_int_eq(te_sh("ping -n -q -f -c 5000 -w 10 198.18.0.2 >/dev/null & "
			       "sleep 0.1; ping -n -q -c 5 -i 0.05 -w 3 198.18.0.6 >/dev/null; "
			       "r=$?; wait $! && exit $r"),
			 0);
	/* No traffic, no spinning: the busy poll ends 1 ms after the last packet. */
	idle = cpu_share(&d, 500);
	ck_assert_msg(idle < 0.05, "idle but using %.0f %% of a CPU", idle * 100);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(replies_of(&d, "te0") == 5000, "te0 replies wrong:\n%s", d.log);
	ck_assert_msg(replies_of(&d, "te1") == 5, "te1 replies wrong:\n%s", d.log);
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

static bool pings(const char *addr);

/* Without CAP_NET_ADMIN, the link group cannot be deleted whole: no warning. */
START_TEST(an_unprivileged_stop_says_nothing_of_the_link_group)
{
	struct daemon d;
	const char *path = write_conf("[global]\nuser = nobody\n"
				      "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"
				      "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				      "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "warning") && !strstr(d.log, "link group"), "%s", d.log);
	ck_assert(!iface_exists("te0") && !iface_exists("te1") && !iface_exists("te2"));
	unlink_conf();
}
END_TEST

/*
 * /dev/net/tun of mode 0600 (root's), `user = nobody`, CAP_NET_ADMIN kept
 * for an attached device: the start says a reload and recreate will fail,
 * and what to do; the reload that then fails says it again.
 */
START_TEST(a_dev_net_tun_only_root_may_open_is_said_at_start_with_user)
{
	struct daemon d;
	char line[512];
	const char *path =
	    write_conf("[global]\nuser = nobody\n"
		       "[te1]\nattach = yes\naddress = 198.18.0.5 peer 198.18.0.6\n");

	/* A node of its own, mode 0600, in a private mount namespace. */
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ck_assert_int_eq(mount("tmpfs", "/dev/net", "tmpfs", 0, "mode=0755"), 0);
	ck_assert_int_eq(te_sh("mknod -m 0600 /dev/net/tun c 10 200"), 0);
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te1"), 0);
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_msg(strstr(d.log,
			     "tunecho: warning: /dev/net/tun is not readable and writable "
			     "by uid 65534 (Permission denied): a reload that adds or "
			     "remakes a device, and recreate, will fail; give it a group of "
			     "that user (chgrp GROUP /dev/net/tun; chmod 0660 /dev/net/tun), "
			     "or run without user\n"),
		      "%s", d.log);
	rewrite_conf(path, "[global]\nuser = nobody\n"
			   "[te1]\nattach = yes\naddress = 198.18.0.5 peer 198.18.0.6\n"
			   "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_msg(strstr(d.log, "te2: open /dev/net/tun failed: Permission denied; this needs "
				    "CAP_NET_ADMIN and read and write access to /dev/net/tun"),
		      "%s", d.log);
	ck_assert(pings("198.18.0.6"));
	ck_assert_int_eq(stop(&d), 0);
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
	/* No warning but the one of a host whose /dev/net/tun is root's only
	 * (a_dev_net_tun_only_root_may_open_is_said_at_start_with_user). */
	ck_assert_msg(count_of(d.log, "warning") ==
			  count_of(d.log, "warning: /dev/net/tun is not readable"),
		      "%s", d.log);
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

/*
 * @n interfaces [t0] ... [tN-1], each with an IPv4 address and its peer
 * (198.18.0.0 + 4i + 1, + 2), logging at notice: the info lines of a
 * thousand interfaces would not fit the log buffer of struct daemon.
 */
static const char *numbered_ifaces(int n)
{
	static char text[64 * 4096 + 64];
	size_t len = (size_t)snprintf(text, sizeof(text), "[global]\nlog-level = notice\n");

	for (int i = 0; i < n; i++) {
		uint32_t a = 0xC6120000u + 4u * (uint32_t)i; /* 198.18.0.0 + 4i */

		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"[t%d]\naddress = %u.%u.%u.%u peer %u.%u.%u.%u\n", i,
					a >> 24, (a >> 16) & 255, (a >> 8) & 255, (a & 255) + 1,
					a >> 24, (a >> 16) & 255, (a >> 8) & 255, (a & 255) + 2);
	}
	return text;
}

/* The end of the log, for a message Check can carry (it refuses long ones). */
static const char *log_tail(const struct daemon *d)
{
	return d->len > 1500 ? d->log + d->len - 1500 : d->log;
}

/* The signal mask @key ("SigBlk", "ShdPnd", ...) of @pid has @sig. */
static bool sig_in(pid_t pid, const char *key, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	size_t n = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':')
			mask = strtoull(line + n + 1, NULL, 16);
	fclose(f);
	return (mask >> (sig - 1)) & 1;
}

/* Links in this namespace other than lo. */
static int links_left(void)
{
	char out[64];

	te_sh_out(out, sizeof(out), "ip -o link show | grep -vc ': lo:'");
	return atoi(out);
}

/*
 * A start of 1000 interfaces, and a SIGTERM or SIGHUP at a moment drawn
 * from a fixed seed anywhere in it (from main() blocking them to a little
 * after ready): a TERM stops it cleanly (exit 0, every device gone), a HUP
 * is applied once it is ready. Before, either signal killed it half-way
 * (129, 143), with whatever it had set up left behind. The moment is only
 * where in the start the signal falls: the outcome must not depend on it.
 */
START_TEST(signals_during_a_start_of_1000_interfaces_leave_nothing_behind)
{
	struct daemon d;
	const char *path = write_conf(numbered_ifaces(1000));
	const char *argv[] = {tunecho_bin(), "-c", path, NULL};
	unsigned seed = 13;
	double t0, took;
	int us;

	/* How long a start takes here, with no signal. */
	t0 = now_s();
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", log_tail(&d));
	took = now_s() - t0;
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_int_eq(links_left(), 0);

	for (int round = 0; round < 6; round++) {
		int sig = round % 2 ? SIGHUP : SIGTERM;

		us = (int)(rand_r(&seed) % (unsigned)(took * 1.2e6 + 1));
		spawn(&d, argv);
		/* Once main() runs: before it, the default action is the kernel's. */
		for (int i = 0; i < 1000 && !sig_in(d.pid, "SigBlk", sig); i++)
			usleep(1000);
		usleep((useconds_t)us);
		ck_assert_int_eq(kill(d.pid, sig), 0);
		if (sig == SIGTERM) {
			wait_exit(&d);
			ck_assert_msg(d.status == 0, "round %d, SIGTERM %d us in: status %d:\n%s",
				      round, us, d.status, log_tail(&d));
			ck_assert_msg(strstr(d.log, "SIGTERM received, stopping"), "%s",
				      log_tail(&d));
		} else {
			ck_assert_msg(wait_log(&d, "tunecho: reloaded: ", 10000),
				      "round %d, SIGHUP %d us in: no reload (tunecho %s):\n%s",
				      round, us, fate(&d), log_tail(&d));
			ck_assert_msg(strstr(d.log, ": ready"), "%s", log_tail(&d));
			ck_assert_msg(strstr(d.log, "tunecho: reloaded: 0 added, 0 removed, 0 "
						    "changed, 1000 unchanged"),
				      "%s", log_tail(&d));
			ck_assert_int_eq(stop(&d), 0);
		}
		ck_assert_msg(links_left() == 0, "round %d, signal %d %d us in: %d links left",
			      round, sig, us, links_left());
	}
	unlink_conf();
}
END_TEST

/* Bytes waiting in the pipe of the daemon's stderr. */
static int pipe_bytes(const struct daemon *d)
{
	int n = 0;

	ck_assert_int_eq(ioctl(d->err_fd, FIONREAD, &n), 0);
	return n;
}

/*
 * Read (and drop: they are far bigger than d->log) the daemon's stderr for
 * @ms; the number of SIGUSR1 JSON lines in it.
 */
static int json_lines_for(struct daemon *d, int ms)
{
	static const char needle[] = "tunecho: {\"interfaces\"";
	char buf[65536 + sizeof(needle)];
	size_t keep = 0;
	double end = now_s() + ms / 1000.0;
	struct pollfd p = {.fd = d->err_fd, .events = POLLIN};
	int n = 0, left;

	while ((left = (int)((end - now_s()) * 1000)) > 0 && poll(&p, 1, left) > 0) {
		ssize_t got = read(d->err_fd, buf + keep, sizeof(buf) - 1 - keep);
		size_t len;

		ck_assert_int_gt(got, 0);
		len = keep + (size_t)got;
		buf[len] = '\0';
		for (char *q = memmem(buf, len, needle, strlen(needle)); q;
		     q = memmem(q + 1, len - (size_t)(q + 1 - buf), needle, strlen(needle)))
			n++;
		/* a needle cut in two is counted once, in the next read */
		keep = len < strlen(needle) - 1 ? len : strlen(needle) - 1;
		memmove(buf, buf + len - keep, keep);
	}
	return n;
}

/*
 * A storm of SIGUSR1 with 1000 interfaces: the counters are rendered once
 * per turn of the loop, however many signals came in it (before, once per
 * signal: about 4 ms each, replies stalled for seconds). Deterministic: the
 * first JSON (400 KB) fills the pipe of its stderr, which this test does
 * not read, so the loop waits in that write while 30 more signals are
 * delivered one by one (each seen handled before the next is sent).
 */
START_TEST(a_sigusr1_storm_renders_the_counters_once_per_loop_turn)
{
	struct daemon d;
	const char *path = write_conf(numbered_ifaces(1000));
	int full;

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	full = fcntl(d.err_fd, F_GETPIPE_SZ);
	ck_assert_int_gt(full, 0);
	ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
	for (int i = 0; i < 10000 && pipe_bytes(&d) < full; i++)
		usleep(1000);
	ck_assert_int_eq(pipe_bytes(&d), full);
	for (int i = 0; i < 30; i++) {
		ck_assert_int_eq(kill(d.pid, SIGUSR1), 0);
		for (int j = 0; j < 10000 && (sig_in(d.pid, "ShdPnd", SIGUSR1) ||
					      sig_in(d.pid, "SigPnd", SIGUSR1));
		     j++)
			usleep(500);
	}
	/* The first JSON, then one for all 30; and no more. */
	ck_assert_int_eq(json_lines_for(&d, 3000), 2);
	d.len = 0;
	d.log[0] = '\0';
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_int_eq(links_left(), 0);
	unlink_conf();
}
END_TEST

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

/*
 * Only a regular file is a configuration: a FIFO (which blocked the open),
 * /dev/zero (read for ever, with -t too), a directory or a missing file
 * exit 2 at once with "FILE: reason", creating nothing.
 */
START_TEST(a_config_that_is_not_a_regular_file_exits_2_at_once)
{
	struct daemon d;
	char dir[] = "/tmp/tunecho-test-XXXXXX", fifo[64], expect[256];
	struct {
		const char *path;
		const char *reason;
	} cases[] = {
	    {fifo, "a FIFO, not a regular file: a configuration must be one"},
	    {"/dev/zero", "a character device, not a regular file: a configuration must be one"},
	    {dir, "Is a directory"},
	    {"/nonexistent/tunecho.conf", "No such file or directory"},
	};

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (int check = 0; check < 2; check++) {
			const char *argv[] = {tunecho_bin(), "-c", cases[i].path,
					      check ? "-t" : NULL, NULL};

			spawn(&d, argv);
			wait_exit(&d);
			snprintf(expect, sizeof(expect), "tunecho: %s: %s\n", cases[i].path,
				 cases[i].reason);
			ck_assert_msg(d.status == 2, "%s%s: status %d:\n%s", cases[i].path,
				      check ? " -t" : "", d.status, d.log);
			ck_assert_str_eq(d.log, expect);
		}
	}
	unlink(fifo);
	rmdir(dir);
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

/* "ip -o link show" of @ifname with its state, mtu and qlen, and its IPv6. */
static const char *link_state(const char *ifname, char *out, size_t size)
{
	te_sh_out(
	    out, size,
	    "ip -o link show dev %s | grep -o 'mtu [0-9]*\\|state [A-Z]*\\|qlen [0-9]*\\|,UP'; "
	    "ip -o addr show dev %s",
	    ifname, ifname);
	return out;
}

/*
 * An attached device is put back as found after a clean stop and after a
 * failed start: down (so without the kernel's fe80:: address) or up as
 * it was, its MTU and queue length as they were.
 */
START_TEST(an_attached_device_is_put_back_as_found)
{
	struct daemon d;
	char before[4096], after[4096];
	const char *conf = "[te0]\nattach = yes\nmtu = 9000\ntxqueuelen = 77\n"
			   "address = 198.18.0.1 peer 198.18.0.2\naddress = 2001:db8:7::1/64\n";
	const char *path = write_conf(conf);

	ck_assert_int_eq(te_sh("ip tuntap add mode tun name te0 && "
			       "ip link set te0 mtu 1400 txqueuelen 500"),
			 0);
	for (int round = 0; round < 2; round++) {
		/* Round 1: found up. */
		if (round == 1)
			ck_assert_int_eq(te_sh("ip link set te0 up"), 0);
		link_state("te0", before, sizeof(before));
		ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
		ck_assert(pings("198.18.0.2"));
		ck_assert(pings("2001:db8:7::2"));
		ck_assert_int_eq(stop(&d), 0);
		link_state("te0", after, sizeof(after));
		ck_assert_msg(!strcmp(before, after), "round %d: before:\n%s\nafter:\n%s\n%s",
			      round, before, after, d.log);
	}
	/* A failed start: the kernel refuses the last address. */
	ck_assert_int_eq(te_sh("ip link set te0 down"), 0);
	link_state("te0", before, sizeof(before));
	rewrite_conf(path, "[te0]\nattach = yes\nmtu = 9000\ntxqueuelen = 77\n"
			   "address = 198.18.0.1 peer 198.18.0.2\naddress = ff02::5/128\n");
	ck_assert(!start(&d, path));
	ck_assert_int_eq(d.status, 1);
	link_state("te0", after, sizeof(after));
	ck_assert_msg(!strcmp(before, after), "failed start: before:\n%s\nafter:\n%s\n%s", before,
		      after, d.log);
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
							: "te0: serving (taken back, persistent)"));
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

/*
 * A run killed with SIGKILL leaves its persistent device with its
 * addresses and route. The next run takes them back as its own: they go
 * at its clean stop. Then a reload to persist = no on the taken-back
 * device makes it anew, non-persistent, and serves it.
 */
START_TEST(persist_after_a_crash_owns_its_leftovers_and_can_stop_persisting)
{
	struct daemon d;
	char out[4096], line[512];
	const char *conf = "[te0]\npersist = yes\n"
			   "address = 198.18.0.1 peer 198.18.0.2\n"
			   "address = 2001:db8:7::1/64\n"
			   "route = 198.18.97.0/24\n";
	const char *path = write_conf(conf);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(kill(d.pid, SIGKILL), 0);
	wait_exit(&d);
	te_sh_out(out, sizeof(out), "ip addr show dev te0; ip route show dev te0");
	ck_assert_msg(strstr(out, "198.18.0.1") && strstr(out, "198.18.97.0/24"),
		      "the crash should have left them:\n%s", out);

	ck_assert_msg(start(&d, path), "tunecho did not start again:\n%s", d.log);
	ck_assert_msg(strstr(d.log, "te0: serving (taken back, persistent)") &&
			  !strstr(d.log, "left in place"),
		      "%s", d.log);
	ck_assert(pings("198.18.0.2"));
	ck_assert(pings("198.18.97.5"));
	ck_assert(pings("2001:db8:7::2"));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(iface_exists("te0"));
	/* Left down, as the kernel makes a TUN device, serving nothing. */
	ck_assert(!iface_is_up("te0"));
	te_sh_out(out, sizeof(out), "ip addr show dev te0; ip route show dev te0");
	ck_assert_msg(!strstr(out, "198.18.0.1") && !strstr(out, "2001:db8:7::1") &&
			  !strstr(out, "198.18.97.0"),
		      "left behind:\n%s\n%s", out, d.log);

	/* Taken back once more, then no longer persistent. */
	ck_assert_msg(start(&d, path), "tunecho did not start again:\n%s", d.log);
	rewrite_conf(path, "[te0]\npersist = no\n"
			   "address = 198.18.0.1 peer 198.18.0.2\n"
			   "address = 2001:db8:7::1/64\n"
			   "route = 198.18.97.0/24\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_msg(
	    !strcmp(line, "tunecho: reloaded: 0 added, 0 removed, 1 changed, 0 unchanged"),
	    "%s\n%s", line, d.log);
	ck_assert_msg(strstr(d.log, "te0: serving (created) 198.18.0.1"), "%s", d.log);
	ck_assert(pings("198.18.0.2"));
	ck_assert(pings("198.18.97.5"));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!iface_exists("te0"), "%s", d.log);
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
	/* Where /dev/net/tun is root's only, the open fails; else TUNSETIFF. */
	ck_assert_msg(strstr(d.log,
			     "te0: open /dev/net/tun failed: Permission denied; this "
			     "needs CAP_NET_ADMIN and read and write access to "
			     "/dev/net/tun: run tunecho as root (or give the node a group of "
			     "its user: chgrp GROUP /dev/net/tun; chmod 0660 /dev/net/tun)\n") ||
			  strstr(d.log, "te0: TUNSETIFF failed: Operation not permitted; this "
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
	ck_assert_ptr_nonnull(strstr(d.log, "tunecho 2."));

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
	ck_assert_int_eq(d.status, 2);
	ck_assert_str_eq(d.log, "tunecho: /nonexistent/tunecho.conf: No such file or directory\n");
}
END_TEST

/* ------------------------------------------------------------------ */
/* SIGHUP reload                                                      */
/* ------------------------------------------------------------------ */

#define TE0_V4 "[te0]\naddress = 198.18.0.1 peer 198.18.0.2\n"

/* ping -c 2 to @addr (ping -6 with a ':'): every request answered. */
static bool pings(const char *addr)
{
	return te_sh("ping %s -n -q -c 2 -i 0.1 -w 5 %s >/dev/null 2>&1",
		     strchr(addr, ':') ? "-6" : "-4", addr) == 0;
}

/* What `ip` says about @ifname: addresses, link, routes. */
static const char *ip_show(const char *ifname, char *out, size_t size)
{
	te_sh_out(out, size,
		  "ip -o addr show dev %s; ip -o link show dev %s; ip route show dev %s; "
		  "ip -6 route show dev %s",
		  ifname, ifname, ifname, ifname);
	return out;
}

START_TEST(reload_adds_removes_and_changes_interfaces)
{
	struct daemon d;
	char out[4096], line[512], expect[128];
	unsigned te0, te2;
	const char *before = TE0_V4 "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				    "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n"
				    "address = 2001:db8:2::1/64\n"
				    "mtu = 1500\n";
	const char *after = TE0_V4 "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n"
				   "address = 2001:db8:2::1/64\n"
				   "address = 198.18.0.13 peer 198.18.0.14\n"
				   "route = 198.18.96.0/24\n"
				   "mtu = 1400\n"
				   "[te3]\naddress = 198.18.0.17 peer 198.18.0.18\n";
	const char *path = write_conf(before);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	te0 = if_nametoindex("te0");
	te2 = if_nametoindex("te2");
	ck_assert(te0 && te2 && iface_exists("te1"));

	/* te1 goes, te3 comes, te2 gains an address, a route and a smaller MTU. */
	rewrite_conf(path, after);
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 1 added, 1 removed, 1 changed, 1 unchanged");
	snprintf(expect, sizeof(expect), "tunecho: SIGHUP received: reloading %s\n", path);
	ck_assert_msg(strstr(d.log, expect), "no '%s' in:\n%s", expect, d.log);
	ck_assert(!iface_exists("te1"));
	ck_assert_msg(if_nametoindex("te0") == te0, "te0 was recreated: it did not change");
	ck_assert_msg(if_nametoindex("te2") == te2, "te2 was recreated, not updated in place");
	ip_show("te2", out, sizeof(out));
	ck_assert_msg(strstr(out, "inet 198.18.0.9 peer 198.18.0.10/32"), "%s", out);
	ck_assert_msg(strstr(out, "inet 198.18.0.13 peer 198.18.0.14/32"), "%s", out);
	ck_assert_msg(strstr(out, "inet6 2001:db8:2::1/64"), "%s", out);
	ck_assert_msg(strstr(out, " mtu 1400 "), "%s", out);
	ck_assert_msg(strstr(out, "198.18.96.0/24 "), "%s", out);
	ck_assert(pings("198.18.0.2"));
	ck_assert(pings("198.18.0.10"));
	ck_assert(pings("198.18.0.14"));
	ck_assert(pings("198.18.96.7"));
	ck_assert(pings("2001:db8:2::2"));
	ck_assert(pings("198.18.0.18"));
	ck_assert_msg(strstr(d.log, "tunecho: te3: serving (created) 198.18.0.17 peer "
				    "198.18.0.18/32\n"),
		      "%s", d.log);

	/* And back: te2 loses what it gained, still in place; te1 returns. */
	rewrite_conf(path, before);
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 1 added, 1 removed, 1 changed, 1 unchanged");
	ck_assert(!iface_exists("te3"));
	ck_assert(if_nametoindex("te0") == te0);
	ck_assert(if_nametoindex("te2") == te2);
	ip_show("te2", out, sizeof(out));
	ck_assert_msg(strstr(out, "inet 198.18.0.9 peer 198.18.0.10/32"), "%s", out);
	ck_assert_msg(!strstr(out, "198.18.0.13"), "%s", out);
	ck_assert_msg(strstr(out, " mtu 1500 "), "%s", out);
	ck_assert_msg(!strstr(out, "198.18.96.0/24"), "%s", out);
	ck_assert(pings("198.18.0.6"));
	ck_assert(pings("198.18.0.10"));
	ck_assert(pings("2001:db8:2::2"));

	/* What tunecho did itself is no news to its own monitor. */
	ck_assert_msg(!strstr(d.log, "warning:") && !strstr(d.log, "error:"), "%s", d.log);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0") && !iface_exists("te1") && !iface_exists("te2") &&
		  !iface_exists("te3"));
	unlink_conf();
}
END_TEST

START_TEST(reload_with_a_broken_config_keeps_the_running_state)
{
	struct daemon d;
	char out[4096], line[512], expect[256];
	unsigned te0, te1;
	const char *good = TE0_V4 "[te1]\naddress = 2001:db8:1::1/64\n";
	/* Line 7 is no section, key or comment. */
	const char *broken = TE0_V4 "mtu = 1400\n"
				    "[te2]\n"
				    "address = 198.18.0.9 peer 198.18.0.10\n"
				    "; te1 is gone, and then\n"
				    "bogus line\n";
	const char *path = write_conf(good);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	te0 = if_nametoindex("te0");
	te1 = if_nametoindex("te1");
	rewrite_conf(path, broken);
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	snprintf(expect, sizeof(expect), "tunecho: error: reload rejected: %s:7: ", path);
	ck_assert_msg(!strncmp(line, expect, strlen(expect)), "expected '%s...', got:\n%s", expect,
		      d.log);
	ck_assert_msg(ends_with(line, "; still serving the previous configuration"), "%s", line);
	ck_assert_msg(strstr(line, "syntax error"), "%s", line);
	ck_assert_msg(running(&d), "tunecho %s:\n%s", fate(&d), d.log);

	/* Nothing of the broken file was applied. */
	ck_assert(if_nametoindex("te0") == te0);
	ck_assert(if_nametoindex("te1") == te1);
	ck_assert(!iface_exists("te2"));
	ip_show("te0", out, sizeof(out));
	ck_assert_msg(!strstr(out, " mtu 1400 "), "%s", out);
	ck_assert(pings("198.18.0.2"));
	ck_assert(pings("2001:db8:1::2"));

	/* The next good file is taken. */
	rewrite_conf(path, TE0_V4 "[te1]\naddress = 2001:db8:1::1/64\n"
				  "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 1 added, 0 removed, 0 changed, 2 unchanged");
	ck_assert(pings("198.18.0.10"));

	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0") && !iface_exists("te1") && !iface_exists("te2"));
	unlink_conf();
}
END_TEST

/*
 * The config replaced by a FIFO, then by /dev/zero: each reload is refused
 * at once (before, the first blocked the loop in open(), the second read
 * for ever, every reply stopped and SIGTERM was never handled), the
 * interfaces keep answering, and SIGTERM stops it cleanly.
 */
START_TEST(a_reload_from_a_fifo_or_dev_zero_is_refused_and_sigterm_still_stops)
{
	struct daemon d;
	char line[512], expect[256], tmp[sizeof(conf_path) + 8];
	const char *path = write_conf(TE0_V4);
	static const char *const why[] = {"a FIFO", "a character device"};

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	for (int i = 0; i < 2; i++) {
		if (i == 0)
			ck_assert_int_eq(mkfifo(tmp, 0644), 0);
		else
			ck_assert_int_eq(symlink("/dev/zero", tmp), 0);
		ck_assert_int_eq(rename(tmp, path), 0);
		ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
			      fate(&d), d.log);
		snprintf(expect, sizeof(expect),
			 "tunecho: error: reload rejected: %s: %s, not a regular file: a "
			 "configuration must be one; still serving the previous configuration",
			 path, why[i]);
		ck_assert_str_eq(line, expect);
		ck_assert(pings("198.18.0.2"));
	}
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
}
END_TEST

/*
 * 100 interfaces under a hard limit of 180 open files: a reload to 110
 * needs 110 + 64 of them, not 100 + 110 + 64 (the 100 that stay were
 * counted twice). One that cannot fit is still refused, and says so.
 */
START_TEST(a_reload_is_checked_against_the_open_file_limit_once)
{
	struct rlimit rl = {.rlim_cur = 180, .rlim_max = 180};
	struct daemon d;
	char line[512];
	const char *path;

	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	path = write_conf(numbered_ifaces(100));
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", log_tail(&d));
	rewrite_conf(path, numbered_ifaces(110));
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), log_tail(&d));
	ck_assert_msg(!strcmp(line, "tunecho: reloaded: 10 added, 0 removed, 0 changed, 100 "
				    "unchanged"),
		      "%s", log_tail(&d));
	ck_assert(iface_exists("t109"));

	rewrite_conf(path, numbered_ifaces(200));
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), log_tail(&d));
	ck_assert_msg(strstr(d.log, "tunecho: error: 200 interfaces need 264 open files, but the "
				    "hard limit is 180"),
		      "%s", log_tail(&d));
	ck_assert_msg(ends_with(line, "still serving the previous configuration"), "%s", line);
	ck_assert(!iface_exists("t110"));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_int_eq(links_left(), 0);
	unlink_conf();
}
END_TEST

/*
 * Many interfaces at once, and user names that must be looked up: what a
 * reload does beyond the first start (listening to the network's news
 * stopped and started, NSS modules loaded) passes the seccomp allow-list
 * of the second run of this suite too.
 */
START_TEST(a_reload_of_many_interfaces_and_unknown_names_keeps_serving)
{
	static char text[100 * 64];
	struct daemon d;
	char line[512];
	size_t len = 0;
	const char *path = write_conf(TE0_V4);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	len = (size_t)snprintf(text, sizeof(text), "%s", TE0_V4);
	for (int i = 1; i <= 80; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "[t%d]\n", i);
	ck_assert_uint_lt(len, sizeof(text));
	rewrite_conf(path, text);
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 80 added, 0 removed, 0 changed, 1 unchanged");
	rewrite_conf(path, TE0_V4 "owner = no-such-user-here\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_msg(strstr(line, "reload rejected: ") &&
			  strstr(line, "no user 'no-such-user-here'"),
		      "%s", line);
	rewrite_conf(path, TE0_V4);
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 0 added, 80 removed, 0 changed, 1 unchanged");
	ck_assert(!iface_exists("t80"));
	ck_assert(pings("198.18.0.2"));
	ck_assert_int_eq(stop(&d), 0);
	unlink_conf();
}
END_TEST

START_TEST(reload_refused_by_the_kernel_keeps_the_running_state)
{
	struct daemon d;
	char out[4096], line[512];
	unsigned te0;
	const char *path = write_conf(TE0_V4);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	te0 = if_nametoindex("te0");
	/* te0 gains an address, te3 comes; the kernel refuses te3's second address. */
	rewrite_conf(path, TE0_V4 "address = 198.18.0.13 peer 198.18.0.14\n"
				  "[te3]\n"
				  "address = 2001:db8:3::1/64\n"
				  "address = ff02::5/128\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: error: reload failed: still serving the previous "
			       "configuration");
	ck_assert_msg(strstr(d.log, "tunecho: error: te3: adding address ff02::5/128 failed: "
				    "Cannot assign requested address"),
		      "%s", d.log);
	ck_assert_msg(running(&d), "tunecho %s:\n%s", fate(&d), d.log);
	/* As before: no te3, te0 the same device with only its own address. */
	ck_assert(!iface_exists("te3"));
	ck_assert(if_nametoindex("te0") == te0);
	ip_show("te0", out, sizeof(out));
	ck_assert_msg(!strstr(out, "198.18.0.13"), "%s", out);
	ck_assert(pings("198.18.0.2"));

	/* The state it kept is one a good reload builds on. */
	rewrite_conf(path, TE0_V4 "[te3]\naddress = 2001:db8:3::1/64\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 1 added, 0 removed, 0 changed, 1 unchanged");
	ck_assert(pings("2001:db8:3::2"));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0") && !iface_exists("te3"));
	unlink_conf();
}
END_TEST

/*
 * A route moves to another interface, then its interface is renamed: the
 * old route leaves before the new one comes (else "File exists"); a
 * reload that fails puts the moved route back where it was.
 */
START_TEST(reload_moves_a_route_and_renames_an_interface_that_has_one)
{
	struct daemon d;
	char out[4096], line[512];
	const char *path = write_conf(TE0_V4 "route = 198.18.98.0/24\nroute = 2001:db8:98::/64\n"
					     "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
					     "address = 2001:db8:1::1/64\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(te_sh("ip route show 198.18.98.0/24 | grep -q 'dev te0'"), 0);
	/* The routes move from te0 to te1. */
	rewrite_conf(path, TE0_V4 "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				  "address = 2001:db8:1::1/64\n"
				  "route = 198.18.98.0/24\nroute = 2001:db8:98::/64\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_msg(
	    !strcmp(line, "tunecho: reloaded: 0 added, 0 removed, 2 changed, 0 unchanged"),
	    "%s\n%s", line, d.log);
	te_sh_out(out, sizeof(out),
		  "ip route show 198.18.98.0/24; ip -6 route show 2001:db8:98::/64");
	ck_assert_msg(count_of(out, "dev te1") == 2 && !strstr(out, "te0"), "%s", out);
	ck_assert(pings("198.18.98.9"));
	ck_assert(pings("2001:db8:98::9"));
	/* te1 renamed te2, its routes with it. */
	rewrite_conf(path, TE0_V4 "[te2]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				  "address = 2001:db8:1::1/64\n"
				  "route = 198.18.98.0/24\nroute = 2001:db8:98::/64\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_msg(
	    !strcmp(line, "tunecho: reloaded: 1 added, 1 removed, 0 changed, 1 unchanged"),
	    "%s\n%s", line, d.log);
	ck_assert(!iface_exists("te1"));
	te_sh_out(out, sizeof(out),
		  "ip route show 198.18.98.0/24; ip -6 route show 2001:db8:98::/64");
	ck_assert_msg(count_of(out, "dev te2") == 2, "%s", out);
	ck_assert(pings("198.18.98.9"));
	/* Back to te0, but the kernel refuses te3's address: all stays. */
	rewrite_conf(path, TE0_V4 "route = 198.18.98.0/24\nroute = 2001:db8:98::/64\n"
				  "[te2]\naddress = 198.18.0.5 peer 198.18.0.6\n"
				  "address = 2001:db8:1::1/64\n"
				  "[te3]\naddress = ff02::5/128\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: error: reload failed: still serving the previous "
			       "configuration");
	te_sh_out(out, sizeof(out),
		  "ip route show 198.18.98.0/24; ip -6 route show 2001:db8:98::/64");
	ck_assert_msg(count_of(out, "dev te2") == 2 && !strstr(out, "te0"), "%s\n%s", out, d.log);
	ck_assert(pings("198.18.98.9"));
	ck_assert(pings("2001:db8:98::9"));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "File exists"), "%s", d.log);
	ck_assert(!iface_exists("te0") && !iface_exists("te2"));
	unlink_conf();
}
END_TEST

START_TEST(reload_changing_the_owner_recreates_only_that_device)
{
	struct daemon d;
	char line[512];
	unsigned te0, te1;
	const char *path = write_conf(TE0_V4 "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	te0 = if_nametoindex("te0");
	te1 = if_nametoindex("te1");
	/* TUNSETOWNER is set when the device is made: a new owner, a new device. */
	rewrite_conf(path, TE0_V4 "[te1]\nowner = nobody\naddress = 198.18.0.5 peer 198.18.0.6\n");
	ck_assert_msg(reload(&d, line, sizeof(line)), "no reload result (tunecho %s):\n%s",
		      fate(&d), d.log);
	ck_assert_str_eq(line, "tunecho: reloaded: 0 added, 0 removed, 1 changed, 1 unchanged");
	ck_assert(if_nametoindex("te0") == te0);
	ck_assert(iface_exists("te1"));
	ck_assert_msg(if_nametoindex("te1") != te1, "te1 kept its old device");
	ck_assert_int_eq(te_sh("ip -d link show te1 | grep -Eq ' user (nobody|65534) '"), 0);
	ck_assert(pings("198.18.0.6"));
	ck_assert(pings("198.18.0.2"));
	ck_assert_msg(!strstr(d.log, "warning:") && !strstr(d.log, "error:"), "%s", d.log);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0") && !iface_exists("te1"));
	unlink_conf();
}
END_TEST

START_TEST(pings_to_unchanged_interfaces_are_never_lost_during_reloads)
{
	struct daemon d;
	struct bg_ping v4, v6;
	char line[512];
	/* te0 never changes; te1 comes and goes, te2 changes its MTU. */
	const char *a = TE0_V4 "address = 2001:db8:0:1::1/64\n"
			       "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\nmtu = 1500\n";
	const char *b = TE0_V4 "address = 2001:db8:0:1::1/64\n"
			       "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n"
			       "[te2]\naddress = 198.18.0.9 peer 198.18.0.10\nmtu = 1400\n";
	const char *path = write_conf(a);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	/* 300 requests each, 10 ms apart: 3 s; the reloads happen inside. */
	bg_ping_start(&v4, 300, "-i 0.01 -w 15 198.18.0.2");
	bg_ping_start(&v6, 300, "-6 -i 0.01 -w 15 2001:db8:0:1::2");
	sleep_ms(200);
	for (int i = 1; i <= 12; i++) {
		rewrite_conf(path, i % 2 ? b : a);
		ck_assert_msg(reload(&d, line, sizeof(line)),
			      "no result for reload #%d (tunecho %s):\n%s", i, fate(&d), d.log);
		ck_assert_str_eq(line, i % 2 ? "tunecho: reloaded: 1 added, 0 removed, 1 changed, "
					       "1 unchanged"
					     : "tunecho: reloaded: 0 added, 1 removed, 1 changed, "
					       "1 unchanged");
		sleep_ms(100);
	}
	ck_assert_msg(bg_ping_all_answered(&v4), "IPv4 pings lost:\n%s\n%s", v4.summary, d.log);
	ck_assert_msg(bg_ping_all_answered(&v6), "IPv6 pings lost:\n%s\n%s", v6.summary, d.log);
	ck_assert_msg(!strstr(d.log, "warning:") && !strstr(d.log, "error:"), "%s", d.log);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0") && !iface_exists("te1") && !iface_exists("te2"));
	unlink_conf();
}
END_TEST

/* ------------------------------------------------------------------ */
/* The rtnetlink monitor: recreate, restore                           */
/* ------------------------------------------------------------------ */

START_TEST(deleted_interface_under_load_is_recreated_without_spinning)
{
	struct daemon d;
	struct bg_ping te0;
	char out[4096];
	double deleted, share;
	pid_t flood;
	const char *path = write_conf(TE0_V4 "[te1]\n"
					     "recreate = yes\n"
					     "address = 198.18.0.5 peer 198.18.0.6\n"
					     "address = 2001:db8:1::1/64\n"
					     "route = 198.18.97.0/24\n"
					     "mtu = 1400\n"
					     "txqueuelen = 1000\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	/* te0: 20 requests a second for 3 s, over the deletion and after it. */
	bg_ping_start(&te0, 60, "-i 0.05 -w 10 198.18.0.2");
	flood = bg("exec ping -n -q -f -l 8 -w 10 198.18.0.6 >/dev/null 2>&1");
	sleep_ms(300);
	deleted = now_s();
	ck_assert_int_eq(te_sh("ip link del te1"), 0);
	ck_assert_msg(wait_log(&d, "te1: the device was deleted", 2000), "tunecho %s:\n%s",
		      fate(&d), d.log);
	ck_assert_msg(strstr(d.log, "tunecho: warning: te1: the device was deleted; no longer "
				    "serving it; recreating it in 100 ms\n"),
		      "%s", d.log);
	ck_assert_msg(wait_log(&d, "tunecho: te1: recreated, serving again", 3000),
		      "tunecho %s:\n%s", fate(&d), d.log);
	kill(flood, SIGINT);
	bg_wait(flood);

	/* From a second after the deletion, for a second: idle but for te0's pings. */
	drain_for(&d, (int)((deleted + 1.0 - now_s()) * 1000));
	share = cpu_share(&d, 1000);
	ck_assert_msg(share < 0.2, "tunecho used %.0f%% of a core after te1 was deleted:\n%s",
		      share * 100, d.log);
	ck_assert_msg(bg_ping_all_answered(&te0), "te0 pings lost:\n%s\n%s", te0.summary, d.log);

	/* te1 again, configured as before. */
	ip_show("te1", out, sizeof(out));
	ck_assert_msg(strstr(out, "inet 198.18.0.5 peer 198.18.0.6/32"), "%s", out);
	ck_assert_msg(strstr(out, "inet6 2001:db8:1::1/64"), "%s", out);
	ck_assert_msg(strstr(out, " mtu 1400 ") && strstr(out, " qlen 1000"), "%s", out);
	ck_assert_msg(strstr(out, "198.18.97.0/24 "), "%s", out);
	ck_assert(pings("198.18.0.6"));
	ck_assert(pings("2001:db8:1::2"));
	ck_assert(pings("198.18.97.3"));
	ck_assert_int_eq(count_of(d.log, "te1: the device was deleted"), 1);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "error:"), "%s", d.log);
	/* The new te1 is one of ours: it goes with the rest. */
	ck_assert(!iface_exists("te0") && !iface_exists("te1"));
	unlink_conf();
}
END_TEST

START_TEST(deleted_interface_without_recreate_stays_gone)
{
	struct daemon d;
	struct bg_ping te0;
	const char *ready;
	double share;
	const char *path = write_conf(TE0_V4 "[te1]\naddress = 198.18.0.5 peer 198.18.0.6\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	bg_ping_start(&te0, 40, "-i 0.05 -w 10 198.18.0.2");
	sleep_ms(200);
	ck_assert_int_eq(te_sh("ip link del te1"), 0);
	ck_assert_msg(wait_log(&d, "te1: the device was deleted", 2000), "tunecho %s:\n%s",
		      fate(&d), d.log);
	ck_assert_msg(strstr(d.log, "tunecho: warning: te1: the device was deleted; no longer "
				    "serving it\n"),
		      "%s", d.log);
	/* No spin on the dead descriptor either. */
	share = cpu_share(&d, 1000);
	ck_assert_msg(share < 0.2, "tunecho used %.0f%% of a core after te1 was deleted:\n%s",
		      share * 100, d.log);
	ck_assert_msg(bg_ping_all_answered(&te0), "te0 pings lost:\n%s\n%s", te0.summary, d.log);
	ck_assert(pings("198.18.0.2"));
	ck_assert(!iface_exists("te1"));
	/* One line about it, whatever else noticed (a failed read, the addresses going). */
	ready = strstr(d.log, "tunecho: ready:");
	ck_assert_ptr_nonnull(ready);
	ck_assert_msg(count_of(ready, "te1") == 1, "more than one line about te1:\n%s", d.log);

	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "error:"), "%s", d.log);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
}
END_TEST

#define RESTORE_CONF                                                                               \
	"address = 198.18.0.1 peer 198.18.0.2\n"                                                   \
	"address = 2001:db8:6::1/64\n"                                                             \
	"route = 198.18.98.0/24\n"

/* The line that says @ifname's address @addr was removed: "" if none yet. */
static const char *removed_line(struct daemon *d, const char *addr, char *out, size_t size)
{
	char needle[128];

	snprintf(needle, sizeof(needle), "te0: address %s", addr);
	wait_log(d, needle, 2000);
	return log_line_with(d, needle, out, size);
}

START_TEST(restore_brings_back_a_removed_address_and_the_up_state)
{
	struct daemon d;
	char line[512];
	const char *path = write_conf("[te0]\nrestore = yes\n" RESTORE_CONF);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);

	/* The IPv4 address: the last one, so the kernel drops the route too. */
	ck_assert_int_eq(te_sh("ip addr del 198.18.0.1 peer 198.18.0.2 dev te0"), 0);
	removed_line(&d, "198.18.0.1", line, sizeof(line));
	ck_assert_msg(!strncmp(line, "tunecho: warning: te0: address 198.18.0.1", 41) &&
			  ends_with(line, " was removed; adding it again"),
		      "tunecho %s:\n%s", fate(&d), d.log);
	ck_assert_msg(wait_sh(2000, "ip -o -4 addr show dev te0 | "
				    "grep -q 'inet 198.18.0.1 peer 198.18.0.2/32'"),
		      "198.18.0.1 did not come back:\n%s", d.log);
	ck_assert_msg(wait_sh(2000, "ip route show 198.18.98.0/24 dev te0 | grep -q ."),
		      "the route did not come back:\n%s", d.log);
	ck_assert(pings("198.18.0.2"));
	ck_assert(pings("198.18.98.9"));

	/* The IPv6 address. */
	ck_assert_int_eq(te_sh("ip addr del 2001:db8:6::1/64 dev te0"), 0);
	removed_line(&d, "2001:db8:6::1", line, sizeof(line));
	ck_assert_msg(!strncmp(line, "tunecho: warning: te0: address 2001:db8:6::1", 44) &&
			  ends_with(line, " was removed; adding it again"),
		      "tunecho %s:\n%s", fate(&d), d.log);
	ck_assert_msg(wait_sh(2000, "ip -o -6 addr show dev te0 | grep -q '2001:db8:6::1/64'"),
		      "2001:db8:6::1 did not come back:\n%s", d.log);
	ck_assert(pings("2001:db8:6::2"));

	/* Set down: up again, and serving as before. */
	ck_assert_int_eq(te_sh("ip link set te0 down"), 0);
	ck_assert_msg(wait_log(&d, "te0: set down by someone else", 2000), "tunecho %s:\n%s",
		      fate(&d), d.log);
	ck_assert_msg(strstr(d.log, "tunecho: warning: te0: set down by someone else; setting it "
				    "up again\n"),
		      "%s", d.log);
	for (int i = 0; i < 100 && !iface_is_up("te0"); i++)
		drain(&d, 20);
	ck_assert_msg(iface_is_up("te0"), "te0 is still down:\n%s", d.log);
	/* Down took the IPv6 address and every route: all of it is back. */
	ck_assert_msg(wait_sh(2000, "ip -o -6 addr show dev te0 | grep -q '2001:db8:6::1/64'"),
		      "2001:db8:6::1 did not come back:\n%s", d.log);
	ck_assert(pings("198.18.0.2"));
	ck_assert(pings("2001:db8:6::2"));
	ck_assert_msg(wait_sh(2000, "ip route show 198.18.98.0/24 dev te0 | grep -q ."),
		      "the route did not come back after down/up:\n%s", d.log);
	ck_assert(pings("198.18.98.9"));

	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "error:"), "%s", d.log);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
}
END_TEST

/*
 * The kernel turns IPv6 off on a device whose MTU goes under 1280, and on
 * again, with its own address generation, when it is back: the IPv6
 * address comes back, without a link-local address, slow dip or quick.
 */
START_TEST(restore_brings_ipv6_back_after_an_mtu_dip_below_1280)
{
	struct daemon d;
	char out[4096];
	const char *path = write_conf("[te0]\nrestore = yes\n" RESTORE_CONF);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(te_sh("ip link set te0 mtu 1000"), 0);
	ck_assert_msg(wait_log(&d,
			       "te0: address 2001:db8:6::1/64 was removed with IPv6 (MTU "
			       "1000, under 1280); adding it again when the MTU allows IPv6",
			       3000),
		      "tunecho %s:\n%s", fate(&d), d.log);
	ck_assert_int_eq(te_sh("ip link set te0 mtu 1500"), 0);
	ck_assert_msg(wait_sh(3000, "ip -o -6 addr show dev te0 | grep -q '2001:db8:6::1/64'"),
		      "2001:db8:6::1 did not come back:\n%s", d.log);
	ck_assert(pings("2001:db8:6::2"));
	ck_assert_msg(wait_sh(3000, "! ip -6 addr show dev te0 | grep -q fe80"),
		      "a link-local address stayed:\n%s", d.log);
	/* Quick: both changes before the watcher looks. */
	ck_assert_int_eq(te_sh("ip link set te0 mtu 1000 && ip link set te0 mtu 1500"), 0);
	ck_assert_msg(
	    wait_log_n(&d, "te0: address 2001:db8:6::1/64 was removed; adding it again", 1, 3000),
	    "tunecho %s:\n%s", fate(&d), d.log);
	ck_assert_msg(wait_sh(3000, "ip -o -6 addr show dev te0 | grep -q '2001:db8:6::1/64'"),
		      "2001:db8:6::1 did not come back:\n%s", d.log);
	ck_assert(pings("2001:db8:6::2"));
	ck_assert(pings("198.18.98.9"));
	drain_for(&d, 200);
	te_sh_out(out, sizeof(out), "ip -6 addr show dev te0");
	ck_assert_msg(!strstr(out, "fe80"), "a link-local address stayed:\n%s\n%s", out, d.log);
	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "failed") && !strstr(d.log, "error:"), "%s", d.log);
	unlink_conf();
}
END_TEST

/*
 * Dumps of links and addresses interrupted by changes (NLM_F_DUMP_INTR):
 * an address churn on another device while te0 is set down again and
 * again. Each check's dump is read to its end and taken again, so restore
 * keeps working during and after it.
 */
START_TEST(restore_survives_dumps_interrupted_by_address_churn)
{
	struct daemon d;
	const char *path = write_conf("[te0]\nrestore = yes\n" RESTORE_CONF);
	pid_t churn;
	double end;

	/* 3000 addresses make each dump long; 2000 more come and go. */
	ck_assert_int_eq(te_sh("ip tuntap add mode tun name churn0 && ip link set churn0 up && "
			       "awk 'BEGIN { for (i = 0; i < 3000; i++) printf \"addr add "
			       "198.19.%%d.%%d/32 dev churn0\\n\", i / 250, i %% 250 + 1 }' "
			       "| ip -batch - && "
			       "awk 'BEGIN { for (i = 0; i < 2000; i++) printf \"addr add "
			       "198.19.%%d.%%d/32 dev churn0\\n\", 100 + i / 250, i %% 250 + 1 }' "
			       ">/tmp/tunecho-churn-add.%d && "
			       "sed 's/^addr add/addr del/' /tmp/tunecho-churn-add.%d "
			       ">/tmp/tunecho-churn-del.%d",
			       (int)getpid(), (int)getpid(), (int)getpid()),
			 0);
	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	churn = bg("while :; do ip -batch /tmp/tunecho-churn-add.%d; "
		   "ip -batch /tmp/tunecho-churn-del.%d; done",
		   (int)getpid(), (int)getpid());
	end = now_s() + 3;
	while (now_s() < end) {
		te_sh("ip link set te0 down");
		drain_for(&d, 200);
	}
	ck_assert_int_eq(kill(churn, SIGKILL), 0);
	bg_wait(churn);
	te_sh("rm -f /tmp/tunecho-churn-add.%d /tmp/tunecho-churn-del.%d", (int)getpid(),
	      (int)getpid());
	ck_assert_msg(running(&d), "tunecho %s:\n%s", fate(&d), d.log);
	/* Once more, the network quiet: up again, and serving. */
	ck_assert_int_eq(te_sh("ip link set te0 down"), 0);
	for (int i = 0; i < 250 && !iface_is_up("te0"); i++)
		drain(&d, 20);
	ck_assert_msg(iface_is_up("te0"), "te0 is still down:\n%s", d.log);
	ck_assert_msg(wait_sh(5000, "ip -o -6 addr show dev te0 | grep -q '2001:db8:6::1/64'"),
		      "2001:db8:6::1 did not come back:\n%s", d.log);
	ck_assert(pings("198.18.0.2"));
	ck_assert_msg(!strstr(d.log, "Protocol error"), "%s", d.log);
	ck_assert_int_eq(stop(&d), 0);
	unlink_conf();
}
END_TEST

START_TEST(without_restore_a_removed_address_and_the_down_state_are_only_logged)
{
	struct daemon d;
	char line[512];
	const char *path = write_conf("[te0]\n" RESTORE_CONF);

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);

	/* An address of someone else's comes and goes: not ours, no news. */
	ck_assert_int_eq(te_sh("ip addr add 198.18.0.77/32 dev te0 && "
			       "ip addr del 198.18.0.77/32 dev te0"),
			 0);
	ck_assert_int_eq(te_sh("ip addr del 198.18.0.1 peer 198.18.0.2 dev te0"), 0);
	removed_line(&d, "198.18.0.1", line, sizeof(line));
	ck_assert_msg(!strncmp(line, "tunecho: warning: te0: address 198.18.0.1", 41) &&
			  ends_with(line, " was removed"),
		      "tunecho %s:\n%s", fate(&d), d.log);
	drain_for(&d, 300);
	ck_assert_int_ne(te_sh("ip -o -4 addr show dev te0 | grep -q 198.18.0.1"), 0);
	ck_assert_msg(!strstr(d.log, "198.18.0.77"), "%s", d.log);

	ck_assert_int_eq(te_sh("ip link set te0 down"), 0);
	ck_assert_msg(wait_log(&d, "te0: set down by someone else", 2000), "tunecho %s:\n%s",
		      fate(&d), d.log);
	ck_assert_msg(strstr(d.log, "tunecho: warning: te0: set down by someone else\n"), "%s",
		      d.log);
	drain_for(&d, 300);
	ck_assert(!iface_is_up("te0"));
	ck_assert_msg(!strstr(d.log, "again"), "%s", d.log);

	ck_assert_int_eq(stop(&d), 0);
	ck_assert_msg(!strstr(d.log, "error:"), "%s", d.log);
	ck_assert(!iface_exists("te0"));
	unlink_conf();
}
END_TEST

START_TEST(restore_in_global_is_the_default_an_interface_can_override)
{
	struct daemon d;
	const char *path =
	    write_conf("[global]\nrestore = yes\n" TE0_V4
		       "[te1]\nrestore = no\naddress = 198.18.0.5 peer 198.18.0.6\n");

	ck_assert_msg(start(&d, path), "tunecho did not start:\n%s", d.log);
	ck_assert_int_eq(te_sh("ip link set te0 down && ip link set te1 down"), 0);
	ck_assert_msg(wait_log(&d, "te0: set down by someone else", 2000) &&
			  wait_log(&d, "te1: set down by someone else", 2000),
		      "tunecho %s:\n%s", fate(&d), d.log);
	ck_assert_msg(strstr(d.log, "tunecho: warning: te0: set down by someone else; setting it "
				    "up again\n"),
		      "%s", d.log);
	ck_assert_msg(strstr(d.log, "tunecho: warning: te1: set down by someone else\n"), "%s",
		      d.log);
	for (int i = 0; i < 100 && !iface_is_up("te0"); i++)
		drain(&d, 20);
	ck_assert_msg(iface_is_up("te0"), "te0 is still down:\n%s", d.log);
	ck_assert(pings("198.18.0.2"));
	drain_for(&d, 200);
	ck_assert(!iface_is_up("te1"));
	ck_assert_int_eq(stop(&d), 0);
	ck_assert(!iface_exists("te0") && !iface_exists("te1"));
	unlink_conf();
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
	tcase_add_test(tc, seccomp_is_installed_or_said_to_be_left_out_of_a_sanitizer_build);
	tcase_add_test(tc, routed_prefix_answers_for_every_host);
	tcase_add_test(tc, a_flooded_interface_does_not_starve_another);
	tcase_add_test(tc, busy_polling_answers_all_starves_nobody_and_idles_at_zero);
	tcase_add_test(tc, embedding_example_answers_ping_and_udp_echo);
	tcase_add_test(tc, runs_as_an_unprivileged_user_after_set_up);
	tcase_add_test(tc, an_unprivileged_stop_says_nothing_of_the_link_group);
	tcase_add_test(tc, a_dev_net_tun_only_root_may_open_is_said_at_start_with_user);
	tcase_add_test(tc, keeps_only_net_admin_when_an_attached_device_needs_it);
	tcase_add_test(tc, sigterm_under_eight_floods_stops_within_a_second);
	tcase_add_test(tc, signals_during_a_start_of_1000_interfaces_leave_nothing_behind);
	tcase_add_test(tc, a_sigusr1_storm_renders_the_counters_once_per_loop_turn);
	tcase_add_test(tc, ten_thousand_interfaces_are_refused_up_front);
	tcase_add_test(tc, a_foreign_device_in_our_link_group_is_left_alone);
	tcase_add_test(tc, bad_config_exits_2_with_file_and_line_and_creates_nothing);
	tcase_add_test(tc, a_config_that_is_not_a_regular_file_exits_2_at_once);
	tcase_add_test(tc, address_rejected_by_kernel_fails_cleanly);
	tcase_add_test(tc, existing_route_fails_cleanly);
	tcase_add_test(tc, name_taken_fails_and_leaves_the_device);
	tcase_add_test(tc, attach_serves_an_existing_device_and_leaves_it);
	tcase_add_test(tc, an_attached_device_is_put_back_as_found);
	tcase_add_test(tc, persist_keeps_the_device_and_restarts_on_it);
	tcase_add_test(tc, persist_after_a_crash_owns_its_leftovers_and_can_stop_persisting);
	tcase_add_test(tc, without_privilege_one_line_says_what_to_do);
	tcase_add_test(tc, without_dev_net_tun_one_line_says_what_to_do);
	tcase_add_test(tc, options_help_version_check_config);
	tcase_add_test(tc, reload_adds_removes_and_changes_interfaces);
	tcase_add_test(tc, reload_with_a_broken_config_keeps_the_running_state);
	tcase_add_test(tc, a_reload_from_a_fifo_or_dev_zero_is_refused_and_sigterm_still_stops);
	tcase_add_test(tc, a_reload_is_checked_against_the_open_file_limit_once);
	tcase_add_test(tc, reload_refused_by_the_kernel_keeps_the_running_state);
	tcase_add_test(tc, a_reload_of_many_interfaces_and_unknown_names_keeps_serving);
	tcase_add_test(tc, reload_moves_a_route_and_renames_an_interface_that_has_one);
	tcase_add_test(tc, reload_changing_the_owner_recreates_only_that_device);
	tcase_add_test(tc, pings_to_unchanged_interfaces_are_never_lost_during_reloads);
	tcase_add_test(tc, deleted_interface_under_load_is_recreated_without_spinning);
	tcase_add_test(tc, deleted_interface_without_recreate_stays_gone);
	tcase_add_test(tc, restore_brings_back_a_removed_address_and_the_up_state);
	tcase_add_test(tc, restore_survives_dumps_interrupted_by_address_churn);
	tcase_add_test(tc, restore_brings_ipv6_back_after_an_mtu_dip_below_1280);
	tcase_add_test(tc, without_restore_a_removed_address_and_the_down_state_are_only_logged);
	tcase_add_test(tc, restore_in_global_is_the_default_an_interface_can_override);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

/* SPDX-License-Identifier: MIT */
/*
 * Running the daemon (TUNECHO_BIN) from a test: a config written to a
 * temporary file, stderr collected, started until it says it is ready,
 * stopped with SIGTERM and its exit status checked. For the operations
 * suites (test-metrics.c, test-notify.c).
 */
#ifndef TE_TEST_DAEMON_RUN_H
#define TE_TEST_DAEMON_RUN_H

#include "common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>

#define TD_LOG_MAX 65536

struct td {
	pid_t pid;
	int fd; /* its stderr */
	char conf[64];
	char log[TD_LOG_MAX];
	size_t len;
};

static inline double td_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Read what the daemon logged for up to @ms; false at its end. */
static inline bool td_read_log(struct td *d, int ms)
{
	struct pollfd p = {.fd = d->fd, .events = POLLIN};
	ssize_t n;

	if (d->fd < 0)
		return false;
	if (poll(&p, 1, ms) <= 0)
		return true;
	n = read(d->fd, d->log + d->len, sizeof(d->log) - 1 - d->len);
	if (n <= 0) {
		close(d->fd);
		d->fd = -1;
		return false;
	}
	d->len += (size_t)n;
	d->log[d->len] = '\0';
	return true;
}

/* Wait up to @secs for @text in the log. */
static inline bool td_wait_log(struct td *d, const char *text, double secs)
{
	double t0 = td_now();

	while (!strstr(d->log, text) && td_now() - t0 < secs)
		if (!td_read_log(d, 100))
			break;
	return strstr(d->log, text) != NULL;
}

/* Start the daemon on config @text with the environment variables @env
 * ("NAME=VALUE", NULL-terminated; or NULL) added; returns once it logged
 * "ready". */
static inline void td_start(struct td *d, const char *text, const char *const *env)
{
	const char *bin = getenv("TUNECHO_BIN");
	int fds[2], fd;

	ck_assert_msg(bin != NULL, "TUNECHO_BIN is not set (run the suite through meson test)");
	memset(d, 0, sizeof(*d));
	snprintf(d->conf, sizeof(d->conf), "/tmp/tunecho-test-XXXXXX");
	fd = mkstemp(d->conf);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, 0644); /* readable after `user = nobody` too */
	close(fd);
	ck_assert_int_eq(pipe2(fds, O_CLOEXEC), 0);
	d->pid = fork();
	ck_assert_int_ge(d->pid, 0);
	if (d->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (; env && *env; env++)
			putenv((char *)*env);
		dup2(fds[1], STDERR_FILENO);
		execl(bin, bin, "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	d->fd = fds[0];
	ck_assert_msg(td_wait_log(d, ": ready", 20), "tunecho did not start:\n%s", d->log);
}

/* It must exit 0 within 20 s (after a SIGTERM of the caller's). */
static inline void td_wait_exit(struct td *d)
{
	double t0 = td_now();
	int st;

	while (td_read_log(d, 1000) && td_now() - t0 < 20)
		;
	ck_assert_int_eq(waitpid(d->pid, &st, 0), d->pid);
	unlink(d->conf);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "tunecho failed (%#x):\n%s", st,
		      d->log);
}

/* SIGTERM, and it must exit 0 within 20 s. */
static inline void td_stop(struct td *d)
{
	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
	td_wait_exit(d);
}

#endif

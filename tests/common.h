/* SPDX-License-Identifier: MIT */
/*
 * Shared by the test suites: running a Check suite, the root-test rules,
 * and a network namespace per test.
 */
#ifndef TE_TEST_COMMON_H
#define TE_TEST_COMMON_H

#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

/* meson's "skipped" exit status */
#define TE_EXIT_SKIP 77

/*
 * Root suites call this first. Not root: skip, except under CI=true,
 * where a skipped root test would hide that the integration tests never
 * ran, so it fails.
 */
static inline void te_test_require_root(const char *suite)
{
	const char *ci = getenv("CI");

	if (geteuid() == 0)
		return;
	if (ci && !strcmp(ci, "true")) {
		fprintf(stderr, "%s: needs root, and CI=true does not allow skipping\n", suite);
		exit(EXIT_FAILURE);
	}
	fprintf(stderr, "%s: needs root; skipped\n", suite);
	exit(TE_EXIT_SKIP);
}

/*
 * Move the calling (forked) test into a fresh network namespace with the
 * loopback up: every interface and packet of the test stays in it.
 */
static inline void te_test_netns(void)
{
	struct ifreq ifr = {0};
	int fd;

	ck_assert_msg(unshare(CLONE_NEWNET) == 0, "unshare(CLONE_NEWNET): %s", strerror(errno));
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	strcpy(ifr.ifr_name, "lo");
	ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
	close(fd);
}

/* Run a shell command built from @fmt; its exit status, or -1. */
static inline int te_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline int te_sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run a shell command, its standard output (truncated) into @out. */
static inline int te_sh_out(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int te_sh_out(char *out, size_t size, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	size_t n = 0;
	FILE *f;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	f = popen(cmd, "r");
	ck_assert_msg(f != NULL, "popen %s", cmd);
	while (n + 1 < size && (st = fgetc(f)) != EOF)
		out[n++] = (char)st;
	out[n] = '\0';
	st = pclose(f);
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Run @s in fork mode; the exit status for meson. */
static inline int te_test_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_FORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif

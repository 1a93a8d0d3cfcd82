/* SPDX-License-Identifier: MIT */
/*
 * sd_notify as systemd sees it: the test binds its own $NOTIFY_SOCKET and
 * reads the daemon's messages in order across start, a reload and a stop,
 * with and without WatchdogSec= ($WATCHDOG_USEC). In a network namespace
 * of its own; 198.18.0.0/15 and 2001:db8::/32 only.
 */
#include "daemon-run.h"

#include <sys/un.h>

static const char *const conf = "[te0]\n"
				"address = 198.18.0.1 peer 198.18.0.2\n"
				"[te1]\n"
				"address = 2001:db8:0:1::1/64\n";

struct sink {
	int fd;
	char dir[64], path[96], env[128];
};

static void sink_open(struct sink *k)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};

	snprintf(k->dir, sizeof(k->dir), "/tmp/tunecho-notify-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(k->dir));
	snprintf(k->path, sizeof(k->path), "%s/notify", k->dir);
	snprintf(k->env, sizeof(k->env), "NOTIFY_SOCKET=%s", k->path);
	strcpy(sun.sun_path, k->path);
	k->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(k->fd, 0);
	ck_assert_int_eq(bind(k->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
}

static void sink_close(struct sink *k)
{
	close(k->fd);
	unlink(k->path);
	rmdir(k->dir);
}

/* The next message within @secs into @buf; false when none came. */
static bool next_msg(struct sink *k, char *buf, size_t size, double secs)
{
	struct pollfd p = {.fd = k->fd, .events = POLLIN};
	ssize_t n;

	if (poll(&p, 1, (int)(secs * 1000)) <= 0)
		return false;
	n = recv(k->fd, buf, size - 1, 0);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	return true;
}

/* The next message that is not a watchdog ping; counts those in *@pings. */
static void next_event(struct sink *k, char *buf, size_t size, int *pings)
{
	do
		ck_assert_msg(next_msg(k, buf, size, 20), "no message from tunecho in 20 s");
	while (!strcmp(buf, "WATCHDOG=1") && ++*pings);
}

static uint64_t mono_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static void setup(void)
{
	te_test_netns();
}

START_TEST(ready_reloading_ready_stopping_and_watchdog_pings_in_order)
{
	struct td *d = malloc(sizeof(*d));
	struct sink k;
	char msg[512];
	const char *env[] = {k.env, "WATCHDOG_USEC=400000", NULL};
	unsigned long long usec;
	uint64_t before, after;
	int pings = 0;
	const char *p;

	sink_open(&k);
	td_start(d, conf, env);
	next_event(&k, msg, sizeof(msg), &pings);
	ck_assert_str_eq(msg, "READY=1\nSTATUS=serving 2 interfaces");
	/* every 200 ms: three of them before the reload, however loaded */
	while (pings < 3) {
		ck_assert_msg(next_msg(&k, msg, sizeof(msg), 20), "no watchdog ping");
		ck_assert_str_eq(msg, "WATCHDOG=1");
		pings++;
	}

	before = mono_usec();
	ck_assert_int_eq(kill(d->pid, SIGHUP), 0);
	next_event(&k, msg, sizeof(msg), &pings);
	after = mono_usec();
	ck_assert_msg(!strncmp(msg, "RELOADING=1\n", 12), "%s", msg);
	p = strstr(msg, "\nMONOTONIC_USEC=");
	ck_assert_msg(p && sscanf(p, "\nMONOTONIC_USEC=%llu", &usec) == 1, "%s", msg);
	ck_assert_msg(usec >= before && usec <= after, "%llu not in [%llu, %llu]", usec,
		      (unsigned long long)before, (unsigned long long)after);
	next_event(&k, msg, sizeof(msg), &pings);
	ck_assert_str_eq(msg, "READY=1\nSTATUS=serving 2 interfaces");
	ck_assert_msg(td_wait_log(d, "reload", 20), "%s", d->log);

	/* the pings go on after the reload */
	pings = 0;
	while (pings < 2) {
		ck_assert_msg(next_msg(&k, msg, sizeof(msg), 20), "no watchdog ping");
		ck_assert_str_eq(msg, "WATCHDOG=1");
		pings++;
	}
	ck_assert_int_eq(kill(d->pid, SIGTERM), 0);
	next_event(&k, msg, sizeof(msg), &pings);
	ck_assert_str_eq(msg, "STOPPING=1\nSTATUS=stopping");
	td_wait_exit(d);
	sink_close(&k);
	free(d);
}
END_TEST

START_TEST(no_watchdog_pings_without_watchdog_usec)
{
	struct td *d = malloc(sizeof(*d));
	struct sink k;
	char msg[512];
	const char *env[] = {k.env, NULL};
	int pings = 0;

	sink_open(&k);
	td_start(d, conf, env);
	next_event(&k, msg, sizeof(msg), &pings);
	ck_assert_str_eq(msg, "READY=1\nSTATUS=serving 2 interfaces");
	/* nothing more while it serves (1 s: five periods of the other test) */
	ck_assert_msg(!next_msg(&k, msg, sizeof(msg), 1), "unexpected: %s", msg);
	td_stop(d);
	next_event(&k, msg, sizeof(msg), &pings);
	ck_assert_str_eq(msg, "STOPPING=1\nSTATUS=stopping");
	ck_assert_int_eq(pings, 0);
	sink_close(&k);
	free(d);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("notify");

	te_test_require_root("test-notify");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, ready_reloading_ready_stopping_and_watchdog_pings_in_order);
	tcase_add_test(tc, no_watchdog_pings_without_watchdog_usec);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

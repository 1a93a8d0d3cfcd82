/* SPDX-License-Identifier: MIT */
/*
 * sd_notify(3) for Type=notify units (notify.h). Every message is one
 * datagram on $NOTIFY_SOCKET; nothing is sent when it is unset.
 */
#include "notify.h"

#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

struct notify {
	struct event *watchdog; /* NULL without WatchdogSec= */
	struct timeval period;
};

#if HAVE_SYSTEMD
static void on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

int notify_new(struct notify **out, struct event_base *base)
{
	struct notify *n;
	uint64_t usec = 0;

	*out = NULL;
	if (!getenv("NOTIFY_SOCKET"))
		return 0;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	/* Half the period, as sd_watchdog_enabled(3) advises: a ping late by
	 * a busy loop still arrives in time. */
	if (sd_watchdog_enabled(0, &usec) > 0 && usec) {
		usec /= 2;
		n->period = (struct timeval){.tv_sec = (time_t)(usec / 1000000),
					     .tv_usec = (suseconds_t)(usec % 1000000)};
		n->watchdog = event_new(base, -1, EV_PERSIST, on_watchdog, n);
		if (!n->watchdog) {
			free(n);
			return -ENOMEM;
		}
	}
	*out = n;
	return 0;
}

void notify_ready(struct notify *n, const char *status)
{
	if (!n)
		return;
	sd_notifyf(0, "READY=1\nSTATUS=%s", status);
	if (n->watchdog && !event_pending(n->watchdog, EV_TIMEOUT, NULL)) {
		sd_notify(0, "WATCHDOG=1");
		event_add(n->watchdog, &n->period);
	}
}

void notify_reloading(struct notify *n)
{
	struct timespec ts;

	if (!n)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=%llu",
		   (unsigned long long)ts.tv_sec * 1000000ull +
		       (unsigned long long)ts.tv_nsec / 1000);
}

void notify_stopping(struct notify *n)
{
	if (n)
		sd_notify(0, "STOPPING=1\nSTATUS=stopping");
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	if (n->watchdog)
		event_free(n->watchdog);
	free(n);
}
#else
int notify_new(struct notify **out, struct event_base *base)
{
	(void)base;
	*out = NULL;
	return 0;
}

void notify_ready(struct notify *n, const char *status)
{
	(void)n;
	(void)status;
}

void notify_reloading(struct notify *n)
{
	(void)n;
}

void notify_stopping(struct notify *n)
{
	(void)n;
}

void notify_free(struct notify *n)
{
	(void)n;
}
#endif

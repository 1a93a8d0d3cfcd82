/* SPDX-License-Identifier: MIT */
/* Telling systemd how the daemon is doing (Type=notify), when it asks. */
#ifndef TUNECHO_NOTIFY_H
#define TUNECHO_NOTIFY_H

struct event_base;
struct notify;

/*
 * Set up for $NOTIFY_SOCKET. Without it (not under systemd, or a build
 * without libsystemd), *@out is NULL and every call below does nothing.
 * With WatchdogSec= in the unit ($WATCHDOG_USEC), WATCHDOG=1 goes out
 * every half period from the first notify_ready() on, from a timer on
 * @base: a loop that hangs stops the pings. Returns 0 or -ENOMEM.
 */
int notify_new(struct notify **out, struct event_base *base);

/* "READY=1" and "STATUS=@status": every interface is served. */
void notify_ready(struct notify *n, const char *status);

/* "RELOADING=1" with "MONOTONIC_USEC=" now: a reload begins (READY=1 ends it). */
void notify_reloading(struct notify *n);

/* "STOPPING=1": the daemon is cleaning up. */
void notify_stopping(struct notify *n);

void notify_free(struct notify *n);

#endif

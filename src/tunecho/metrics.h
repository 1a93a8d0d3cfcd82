/* SPDX-License-Identifier: MIT */
/* The daemon's HTTP endpoint: GET /metrics and GET /stats.json. */
#ifndef TUNECHO_METRICS_H
#define TUNECHO_METRICS_H

#include <stddef.h>

struct event_base;
struct tunecho;
struct metrics;

/* At most this many connections at once; beyond, new ones wait in the
 * kernel's backlog until one closes. */
#define METRICS_MAX_CONNS 16
/* The bytes of a request's line and headers, at most. */
#define METRICS_MAX_HEADER 8192
/* A connection that has not sent its request, or read its reply, within
 * this many seconds is closed. */
#define METRICS_TIMEOUT_S 5

/*
 * Listen at @where (tunecho_config_metrics(): "ADDR:PORT", "[ADDR]:PORT"
 * or "unix:/PATH") on @base, serving the counters of @t. Call it before
 * privileges are dropped and the seccomp allow-list goes in: the socket is
 * bound and listening when it returns. Returns 0 and *@out, or -errno with
 * a reason in @err.
 */
int metrics_start(struct metrics **out, struct event_base *base, const struct tunecho *t,
		  const char *where, char *err, size_t errlen);

/* Close the listener and every connection; NULL is fine. */
void metrics_free(struct metrics *m);

#endif

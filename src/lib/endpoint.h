/* SPDX-License-Identifier: MIT */
/* `metrics = ...` of [global]: where the daemon's HTTP endpoint listens. */
#ifndef TE_ENDPOINT_H
#define TE_ENDPOINT_H

#include <sys/socket.h>

/*
 * Parse @s: "unix:/ABSOLUTE/PATH", "A.B.C.D:PORT" or "[IPV6]:PORT" (PORT
 * 1 to 65535). There is no default address and no wildcard shorthand:
 * listening beyond loopback (0.0.0.0, [::], a LAN address) has to be
 * written out, because the endpoint has no authentication of its own.
 * Fills *@ss and *@len; returns 0 or -EINVAL. Pure: the config parser
 * checks with it, the daemon binds with it.
 */
int te_endpoint_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

#endif

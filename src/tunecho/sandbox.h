/* SPDX-License-Identifier: MIT */
/* The seccomp allow-list of the running daemon (`seccomp = yes`). */
#ifndef TUNECHO_SANDBOX_H
#define TUNECHO_SANDBOX_H

#include <stddef.h>

/*
 * Allow from now on only the system calls a running tunecho makes: the
 * event loop, reading and writing its devices, rtnetlink to clean up,
 * memory, signals, logging. Any other call kills the process (SIGSYS).
 * Sets no-new-privs. Returns 0, or -errno with a reason in @err.
 */
int sandbox_install(char *err, size_t errlen);

/* What else the daemon does, and its allow-list then permits too. */
enum sandbox_extra {
	/* The HTTP endpoint (metrics.c): accept4() on its listener, FIONREAD
	 * on the accepted sockets, and for the process_* metrics the listing
	 * of /proc/self/fd and fcntl(F_GETFD). */
	SANDBOX_METRICS = 1 << 0,
	/* sd_notify(3): it sizes its socket's send buffer and sends its
	 * credentials (SO_SNDBUF, the get*id() calls). */
	SANDBOX_NOTIFY = 1 << 1,
};

/* Add @extras (enum sandbox_extra) to the next sandbox_install(). */
void sandbox_allow(unsigned extras);

#endif

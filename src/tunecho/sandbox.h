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

#endif

/* SPDX-License-Identifier: MIT */
#include "sandbox.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/*
 * What the daemon does once it is serving, read off strace of real runs:
 * the loop (epoll), devices and sockets (read/write, netlink at shutdown),
 * signals (libevent's self-pipe), malloc, time, exit. syslog(3) may
 * reconnect its AF_UNIX socket, hence socket() for AF_UNIX only.
 */
static const int allowed[] = {
    SCMP_SYS(read),	    SCMP_SYS(write),	       SCMP_SYS(readv),
    SCMP_SYS(writev),	    SCMP_SYS(close),	       SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),  SCMP_SYS(epoll_ctl),       SCMP_SYS(sendto),
    SCMP_SYS(sendmsg),	    SCMP_SYS(recvfrom),	       SCMP_SYS(recvmsg),
    SCMP_SYS(connect),	    SCMP_SYS(rt_sigaction),    SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(rt_sigreturn), SCMP_SYS(restart_syscall), SCMP_SYS(brk),
    SCMP_SYS(mmap),	    SCMP_SYS(munmap),	       SCMP_SYS(mremap),
    SCMP_SYS(madvise),	    SCMP_SYS(clock_gettime),   SCMP_SYS(gettimeofday),
    SCMP_SYS(getpid),	    SCMP_SYS(gettid),	       SCMP_SYS(futex),
    SCMP_SYS(fstat),	    SCMP_SYS(newfstatat),      SCMP_SYS(exit),
    SCMP_SYS(exit_group),
};

int sandbox_install(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	const struct scmp_arg_cmp unix_only = {
	    .arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_UNIX, .datum_b = 0};
	int r = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (r == 0)
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &unix_only);
	if (r == 0)
		r = seccomp_load(ctx);
	if (r < 0)
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}

/* SPDX-License-Identifier: MIT */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <nss.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

/*
 * What the daemon does once it is serving, read off strace of real runs:
 * the loop (epoll, timers: a timerfd, the base being precise), devices and sockets (read/write,
 * netlink), signals (libevent's self-pipe), malloc, time, sched_yield (busy polling), exit; and for
 * a reload or a re-created device: reading the config file, opening /dev/net/tun and its ioctls,
 * raising the open-file limit. syslog(3) may reconnect its AF_UNIX socket and if_nametoindex(3)
 * asks through one, hence socket() for AF_UNIX only.
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
    SCMP_SYS(exit_group),   SCMP_SYS(lseek),	       SCMP_SYS(statx),
    SCMP_SYS(prlimit64),    SCMP_SYS(getrlimit),       SCMP_SYS(setrlimit),
    SCMP_SYS(sched_yield),  SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
};

static unsigned extras; /* sandbox_allow() */

void sandbox_allow(unsigned what)
{
	extras |= what;
}

/*
 * The only ways a file may be opened: the config to read (never blocking,
 * so that a FIFO put in its place is refused, not waited on), /dev/net/tun;
 * O_RDONLY | O_CLOEXEC for the files NSS reads (/etc/passwd, /etc/group).
 */
static const unsigned long open_flags[] = {
    O_RDONLY | O_CLOEXEC,
    O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
    O_RDWR | O_NONBLOCK | O_CLOEXEC,
};

/* The only ioctls: a TUN device's set-up, and an interface's index and MTU. */
static const unsigned long ioctls[] = {
    TUNSETIFF, TUNSETOWNER, TUNSETGROUP, TUNSETPERSIST, SIOCGIFINDEX, SIOCGIFMTU,
};

/* Allow @syscall when its argument @arg is exactly @value. */
static int allow_if(scmp_filter_ctx ctx, int syscall, unsigned arg, unsigned long value)
{
	const struct scmp_arg_cmp cmp = {.arg = arg, .op = SCMP_CMP_EQ, .datum_a = value};

	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, syscall, 1, &cmp);
}

/*
 * setsockopt(): only to stop and start listening to the network's news
 * around a bulk start or stop. mprotect(): never to make memory
 * executable; glibc needs it when a user or group lookup loads an NSS
 * module (a reload that names one).
 */
static int allow_the_rest(scmp_filter_ctx ctx)
{
	static const int memberships[] = {NETLINK_ADD_MEMBERSHIP, NETLINK_DROP_MEMBERSHIP};
	const struct scmp_arg_cmp no_exec = {
	    .arg = 2, .op = SCMP_CMP_MASKED_EQ, .datum_a = PROT_EXEC, .datum_b = 0};
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1, &no_exec);

	for (size_t i = 0; r == 0 && i < sizeof(memberships) / sizeof(memberships[0]); i++) {
		const struct scmp_arg_cmp cmp[] = {
		    {.arg = 1, .op = SCMP_CMP_EQ, .datum_a = SOL_NETLINK},
		    {.arg = 2, .op = SCMP_CMP_EQ, .datum_a = (unsigned)memberships[i]},
		};

		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2, cmp);
	}
	return r;
}

/* The HTTP endpoint: only what serving a request needs (SANDBOX_METRICS). */
static int allow_metrics(scmp_filter_ctx ctx)
{
	const struct scmp_arg_cmp accept_flags = {
	    .arg = 3, .op = SCMP_CMP_EQ, .datum_a = SOCK_NONBLOCK | SOCK_CLOEXEC};
	int r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 1, &accept_flags);

	if (r == 0)
		r = allow_if(ctx, SCMP_SYS(ioctl), 1, FIONREAD);
	if (r == 0) /* opendir("/proc/self/fd") */
		r = allow_if(ctx, SCMP_SYS(openat), 2,
			     O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_DIRECTORY);
	if (r == 0)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getdents64), 0);
	if (r == 0)
		r = allow_if(ctx, SCMP_SYS(fcntl), 1, F_GETFD);
	return r;
}

/* sd_notify(3): a datagram on AF_UNIX (allowed already) with credentials. */
static int allow_notify(scmp_filter_ctx ctx)
{
	static const int ids[] = {SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid),
				  SCMP_SYS(getegid)};
	static const int bufs[] = {SO_SNDBUF, SO_SNDBUFFORCE};
	int r = 0;

	for (size_t i = 0; r == 0 && i < sizeof(ids) / sizeof(ids[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, ids[i], 0);
	for (size_t i = 0; r == 0 && i < sizeof(bufs) / sizeof(bufs[0]); i++) {
		const struct scmp_arg_cmp cmp[] = {
		    {.arg = 1, .op = SCMP_CMP_EQ, .datum_a = SOL_SOCKET},
		    {.arg = 2, .op = SCMP_CMP_EQ, .datum_a = (unsigned)bufs[i]},
		};

		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2, cmp);
		if (r == 0 && bufs[i] == SO_SNDBUF)
			r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getsockopt), 2,
						   cmp);
	}
	return r;
}

int sandbox_install(char *err, size_t errlen)
{
	const struct scmp_arg_cmp unix_only = {
	    .arg = 0, .op = SCMP_CMP_EQ, .datum_a = AF_UNIX, .datum_b = 0};
	scmp_filter_ctx ctx;
	int r;

	/* A reload looks up user and group names. NSS modules other than
	 * files (systemd's userdb, sss, ldap) make calls no allow-list can
	 * foresee: from here on, /etc/passwd and /etc/group only. */
	__nss_configure_lookup("passwd", "files");
	__nss_configure_lookup("group", "files");
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	r = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
	if (r == 0)
		r = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, &unix_only);
	for (size_t i = 0; r == 0 && i < sizeof(open_flags) / sizeof(open_flags[0]); i++)
		r = allow_if(ctx, SCMP_SYS(openat), 2, open_flags[i]);
	for (size_t i = 0; r == 0 && i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		r = allow_if(ctx, SCMP_SYS(ioctl), 1, ioctls[i]);
	if (r == 0)
		r = allow_the_rest(ctx);
	if (r == 0 && (extras & SANDBOX_METRICS))
		r = allow_metrics(ctx);
	if (r == 0 && (extras & SANDBOX_NOTIFY))
		r = allow_notify(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	if (r < 0)
		snprintf(err, errlen, "cannot install the seccomp filter: %s", strerror(-r));
	seccomp_release(ctx);
	return r;
}

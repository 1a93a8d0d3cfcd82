/* SPDX-License-Identifier: MIT */
/*
 * The userspace floor for the benchmark: the least a TUN echo responder
 * can do. One epoll set over already configured TUN devices, read until
 * EAGAIN (64 at most per wake-up, like tunecho), build the reply in place
 * with the same packet code tunecho uses, write it back. No libevent, no
 * handler chain, no counters: what is left is the system calls.
 *
 * Usage: floor-echo IFNAME...   (runs until SIGINT or SIGTERM)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "packet.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int attach(const char *name)
{
	struct ifreq ifr = {0};
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -1;
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static uint8_t buf[65536];
	struct sigaction sa = {.sa_handler = on_signal};
	struct epoll_event evs[64];
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (argc < 2 || ep < 0) {
		fprintf(stderr, "usage: floor-echo IFNAME...\n");
		return 2;
	}
	for (int i = 1; i < argc; i++) {
		struct epoll_event ev = {.events = EPOLLIN};

		ev.data.fd = attach(argv[i]);
		if (ev.data.fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
			fprintf(stderr, "floor-echo: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	fprintf(stderr, "floor-echo: ready\n");

	while (!stop) {
		int n = epoll_wait(ep, evs, 64, -1);

		for (int i = 0; i < n; i++) {
			for (int budget = 0; budget < 64; budget++) {
				ssize_t len = read(evs[i].data.fd, buf, sizeof(buf));
				struct tunecho_packet pkt = {.data = buf, .room = sizeof(buf)};

				if (len < 0)
					break;
				pkt.len = (size_t)len;
				if (te_icmp4_echo(NULL, &pkt) == TUNECHO_ANSWER ||
				    te_icmp6_echo(NULL, &pkt) == TUNECHO_ANSWER) {
					if (write(evs[i].data.fd, buf, pkt.len) < 0)
						break;
				}
			}
		}
	}
	return 0;
}

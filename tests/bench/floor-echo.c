/* SPDX-License-Identifier: MIT */
/*
 * The userspace floor for the benchmark: the least a TUN echo responder
 * can do. One epoll set over already configured TUN devices, read until
 * EAGAIN (64 at most per wake-up, like tunecho), build the reply in place
 * with the same packet code tunecho uses, write it back. No libevent, no
 * handler chain, no counters: what is left is the system calls.
 *
 * With -d, also the floor of a delayed reply (profiles.py): replies from
 * IPv4 hosts (the requests' destinations) whose last byte is FIRST to LAST are held US
 * microseconds in a FIFO (one constant delay needs no sorting) and written
 * when due, between two reads or woken by a timerfd set to the absolute
 * due time; the others at once.
 *
 * Usage: floor-echo [-d US:FIRST-LAST] IFNAME...   (until SIGINT or SIGTERM)
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
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "packet.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The held replies: a ring of fixed slots, in the order they are due. */
#define HELD_SLOTS 65536
#define HELD_BYTES 128

static struct held {
	uint64_t due;
	int fd;
	uint16_t len;
	uint8_t bytes[HELD_BYTES];
} held[HELD_SLOTS];
static size_t held_head, held_n;
static uint64_t delay_ns;
static unsigned first = 1, last;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Write the held replies due by now; set @tfd for the next one. */
static void send_due(int tfd)
{
	uint64_t now = now_ns();
	struct itimerspec its = {0};

	while (held_n && held[held_head].due <= now) {
		struct held *h = &held[held_head];

		(void)!write(h->fd, h->bytes, h->len);
		held_head = (held_head + 1) % HELD_SLOTS;
		held_n--;
	}
	if (held_n) {
		its.it_value.tv_sec = (time_t)(held[held_head].due / 1000000000u);
		its.it_value.tv_nsec = (long)(held[held_head].due % 1000000000u);
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

/* The reply @buf of @len for device @fd: held when its source says so. */
static void answer(int fd, const uint8_t *buf, size_t len, int tfd)
{
	if (delay_ns && len <= HELD_BYTES && buf[0] >> 4 == 4 && buf[15] >= first &&
	    buf[15] <= last && held_n < HELD_SLOTS) {
		struct held *h = &held[(held_head + held_n++) % HELD_SLOTS];

		h->due = now_ns() + delay_ns;
		h->fd = fd;
		h->len = (uint16_t)len;
		memcpy(h->bytes, buf, len);
		if (held_n == 1)
			send_due(tfd);
		return;
	}
	(void)!write(fd, buf, len);
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
	int ep = epoll_create1(EPOLL_CLOEXEC), tfd = -1, arg = 1;
	unsigned long us;

	if (argc > 2 && !strcmp(argv[1], "-d")) {
		struct epoll_event ev = {.events = EPOLLIN, .data.fd = -1};

		if (sscanf(argv[2], "%lu:%u-%u", &us, &first, &last) != 3 || !us ||
		    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
		    epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev) < 0) {
			fprintf(stderr, "floor-echo: -d %s: want US:FIRST-LAST\n", argv[2]);
			return 2;
		}
		delay_ns = us * 1000u;
		arg = 3;
	}
	if (argc <= arg || ep < 0) {
		fprintf(stderr, "usage: floor-echo [-d US:FIRST-LAST] IFNAME...\n");
		return 2;
	}
	for (int i = arg; i < argc; i++) {
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
			if (evs[i].data.fd < 0) { /* the timerfd: setting it clears it */
				send_due(tfd);
				continue;
			}
			for (int budget = 0; budget < 64; budget++) {
				ssize_t len = read(evs[i].data.fd, buf, sizeof(buf));
				struct tunecho_packet pkt = {.data = buf, .room = sizeof(buf)};

				if (len < 0)
					break;
				pkt.len = (size_t)len;
				if (te_icmp4_echo(NULL, &pkt) == TUNECHO_ANSWER ||
				    te_icmp6_echo(NULL, &pkt) == TUNECHO_ANSWER)
					answer(evs[i].data.fd, buf, pkt.len, tfd);
				if (held_n && held[held_head].due <= now_ns())
					send_due(tfd);
			}
		}
	}
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Embedding libtunecho: a program with its own libevent loop adds two TUN
 * interfaces from a config string, adds a handler of its own that answers
 * UDP echo (RFC 862, port 7) next to the built-in ping handlers, runs
 * until SIGINT or SIGTERM, and prints the statistics as JSON.
 *
 * Build: cc example-embed.c $(pkg-config --cflags --libs tunecho libevent_core)
 * Run as root, then: ping 198.18.1.2; ping -6 2001:db8:1:1::2;
 * echo hi | nc -u -q1 198.18.1.2 7
 */
#include <errno.h>
#include <event2/event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tunecho.h>

static const char config[] = "[ex0]\n"
			     "address = 198.18.1.1 peer 198.18.1.2\n"
			     "[ex1]\n"
			     "address = 2001:db8:1:1::1/64\n";

/* The Internet checksum of @len bytes, continuing from @sum. */
static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t tmp[16];

	memcpy(tmp, a, n);
	memcpy(a, b, n);
	memcpy(b, tmp, n);
}

/*
 * Answer a UDP datagram to port 7 with the same payload: swap addresses
 * and ports, fresh hop limit, new checksums. Anything else passes on.
 * (An example: it checks lengths, not the incoming UDP checksum.)
 */
static enum tunecho_verdict udp_echo(void *arg, struct tunecho_packet *pkt)
{
	uint8_t *p = pkt->data, *udp;
	size_t hlen, ulen, alen;
	uint32_t sum;

	(void)arg;
	if (pkt->len >= 20 && p[0] == 0x45 && p[9] == 17 && !(p[6] & 0x3f) && !p[7]) {
		hlen = 20, alen = 4; /* IPv4 without options, not a fragment */
		if ((size_t)(p[2] << 8 | p[3]) != pkt->len)
			return TUNECHO_PASS;
	} else if (pkt->len >= 40 && p[0] >> 4 == 6 && p[6] == 17) {
		hlen = 40, alen = 16;
		if ((size_t)(p[4] << 8 | p[5]) != pkt->len - 40)
			return TUNECHO_PASS;
	} else {
		return TUNECHO_PASS;
	}
	udp = p + hlen;
	ulen = pkt->len - hlen;
	if (ulen < 8 || (size_t)(udp[4] << 8 | udp[5]) != ulen || udp[2] != 0 || udp[3] != 7)
		return TUNECHO_PASS;

	swap(p + hlen - 2 * alen, p + hlen - alen, alen); /* source <-> destination */
	swap(udp, udp + 2, 2);				  /* ports */
	if (alen == 4) {
		p[8] = 64; /* TTL */
		p[10] = p[11] = 0;
		sum = fold(sum16(p, 20, 0));
		p[10] = (uint8_t)(sum >> 8), p[11] = (uint8_t)sum;
	} else {
		p[7] = 64; /* hop limit */
	}
	/* UDP checksum over the pseudo-header: addresses, protocol, length. */
	udp[6] = udp[7] = 0;
	sum = sum16(p + hlen - 2 * alen, 2 * alen, 17 + (uint32_t)ulen);
	sum = fold(sum16(udp, ulen, sum));
	if (sum == 0)
		sum = 0xffff; /* 0 means "no checksum" in UDP */
	udp[6] = (uint8_t)(sum >> 8), udp[7] = (uint8_t)sum;
	return TUNECHO_ANSWER;
}

static void log_line(void *arg, enum tunecho_log_level level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "example: %s: %s\n", tunecho_log_level_name(level), msg);
}

static void on_signal(evutil_socket_t sig, short what, void *base)
{
	(void)sig, (void)what;
	event_base_loopbreak(base);
}

int main(void)
{
	struct event_base *base = event_base_new();
	struct event *sigint = NULL, *sigterm = NULL;
	struct tunecho_config *cfg = NULL;
	struct tunecho *t = NULL;
	char err[256], *json = NULL;
	int r, status = EXIT_FAILURE;

	if (!base)
		return EXIT_FAILURE;
	r = tunecho_config_load_string(&cfg, config, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "example: config line %s\n", err);
		goto out;
	}
	r = tunecho_new(&t, base);
	if (r < 0) {
		fprintf(stderr, "example: tunecho_new: %s\n", strerror(-r));
		goto out;
	}
	tunecho_set_log_fn(t, log_line, NULL, TUNECHO_LOG_NOTICE);
	/* After the built-ins: they pass UDP on, with reason "not_icmp". */
	tunecho_add_handler(t, udp_echo, NULL, TUNECHO_HANDLER_LAST);
	if (tunecho_add_config(t, cfg) < 0)
		goto out; /* the log callback said why */

	sigint = evsignal_new(base, SIGINT, on_signal, base);
	sigterm = evsignal_new(base, SIGTERM, on_signal, base);
	if (!sigint || !sigterm || evsignal_add(sigint, NULL) || evsignal_add(sigterm, NULL))
		goto out;
	fprintf(stderr, "example: ready\n");
	event_base_dispatch(base);

	/* Once to learn the size, once to render. */
	r = tunecho_stats_json(t, NULL, 0);
	json = r >= 0 ? malloc((size_t)r + 1) : NULL;
	if (json && tunecho_stats_json(t, json, (size_t)r + 1) == r) {
		printf("%s\n", json);
		status = EXIT_SUCCESS;
	}
out:
	free(json);
	if (sigint)
		event_free(sigint);
	if (sigterm)
		event_free(sigterm);
	tunecho_free(t);
	tunecho_config_free(cfg);
	event_base_free(base);
	return status;
}

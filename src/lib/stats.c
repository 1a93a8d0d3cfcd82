/* SPDX-License-Identifier: MIT */
#include "stats.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static const char *const reason_names[TUNECHO_DROP_REASONS] = {
    [TUNECHO_DROP_NOT_IP] = "not_ip",
    [TUNECHO_DROP_TRUNCATED] = "truncated",
    [TUNECHO_DROP_BAD_HEADER] = "bad_header",
    [TUNECHO_DROP_BAD_IP_CHECKSUM] = "bad_ip_checksum",
    [TUNECHO_DROP_FRAGMENT] = "fragment",
    [TUNECHO_DROP_BAD_OPTIONS] = "bad_options",
    [TUNECHO_DROP_BAD_SOURCE] = "bad_source",
    [TUNECHO_DROP_BAD_DESTINATION] = "bad_destination",
    [TUNECHO_DROP_NOT_ICMP] = "not_icmp",
    [TUNECHO_DROP_EXT_HEADER] = "ext_header",
    [TUNECHO_DROP_BAD_ICMP_CHECKSUM] = "bad_icmp_checksum",
    [TUNECHO_DROP_NOT_ECHO] = "not_echo",
    [TUNECHO_DROP_BAD_CODE] = "bad_code",
    [TUNECHO_DROP_UNHANDLED] = "unhandled",
    [TUNECHO_DROP_HANDLER] = "handler",
    [TUNECHO_DROP_REASM_TIMEOUT] = "reasm_timeout",
    [TUNECHO_DROP_REASM_OVERLAP] = "reasm_overlap",
    [TUNECHO_DROP_REASM_EVICTED] = "reasm_evicted",
    [TUNECHO_DROP_REASM_OVERSIZE] = "reasm_oversize",
    [TUNECHO_DROP_SOURCE_ROUTE] = "source_route",
    [TUNECHO_DROP_BAD_REPLY] = "bad_reply",
    [TUNECHO_DROP_LOST] = "lost",
    [TUNECHO_DROP_DOWN] = "down",
    [TUNECHO_DROP_RATE_LIMITED] = "rate_limited",
    [TUNECHO_DROP_FLAPPED] = "flapped",
    [TUNECHO_DROP_QUEUE_FULL] = "queue_full",
    [TUNECHO_DROP_NOT_A_HOST] = "not_a_host",
    [TUNECHO_DROP_NOT_FOR_US] = "not_for_us",
    [TUNECHO_DROP_VLAN] = "vlan",
    [TUNECHO_DROP_RUNT] = "runt",
    [TUNECHO_DROP_UNKNOWN_ETHERTYPE] = "unknown_ethertype",
    [TUNECHO_DROP_BAD_SOURCE_MAC] = "bad_source_mac",
    [TUNECHO_DROP_BAD_IP] = "bad_ip",
    [TUNECHO_DROP_BAD_ARP] = "bad_arp",
    [TUNECHO_DROP_ARP_NOT_OURS] = "arp_not_ours",
    [TUNECHO_DROP_BAD_NDP] = "bad_ndp",
    [TUNECHO_DROP_NDP_NOT_OURS] = "ndp_not_ours",
    [TUNECHO_DROP_NDP_OTHER] = "ndp_other",
};

const char *tunecho_drop_reason_name(enum tunecho_drop_reason reason)
{
	if ((unsigned)reason >= TUNECHO_DROP_REASONS)
		return "?";
	return reason_names[reason];
}

void te_stats_add(struct te_stats *to, const struct te_stats *from)
{
	to->rx_packets += from->rx_packets;
	to->rx_bytes += from->rx_bytes;
	to->replies += from->replies;
	to->tx_bytes += from->tx_bytes;
	to->write_errors += from->write_errors;
	for (int i = 0; i < TUNECHO_DROP_REASONS; i++)
		to->drops[i] += from->drops[i];
	to->rx_fragments += from->rx_fragments;
	to->reassembled += from->reassembled;
	to->tx_fragments += from->tx_fragments;
	to->arp_replies += from->arp_replies;
	to->na_sent += from->na_sent;
	to->announced += from->announced;
	to->defences_held += from->defences_held;
}

uint64_t te_stats_drops(const struct te_stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < TUNECHO_DROP_REASONS; i++)
		n += s->drops[i];
	return n;
}

static void put(struct te_json *j, const char *text, size_t n)
{
	if (j->len < j->size)
		memcpy(j->buf + j->len, text, j->size - j->len > n ? n : j->size - j->len);
	j->len += n;
}

void te_json_raw(struct te_json *j, const char *text)
{
	put(j, text, strlen(text));
}

void te_json_string(struct te_json *j, const char *s)
{
	char esc[8];

	put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(j, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(j, esc, 6);
		} else {
			put(j, s, 1);
		}
	}
	put(j, "\"", 1);
}

static void member(struct te_json *j, const char *name, uint64_t value, bool comma)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "%s\"%s\":%llu", comma ? "," : "", name,
			 (unsigned long long)value);

	put(j, text, (size_t)n);
}

void te_stats_json(struct te_json *j, const struct te_stats *s)
{
	member(j, "rx_packets", s->rx_packets, false);
	member(j, "rx_bytes", s->rx_bytes, true);
	member(j, "replies", s->replies, true);
	member(j, "tx_bytes", s->tx_bytes, true);
	member(j, "write_errors", s->write_errors, true);
	member(j, "rx_fragments", s->rx_fragments, true);
	member(j, "reassembled", s->reassembled, true);
	member(j, "tx_fragments", s->tx_fragments, true);
	member(j, "arp_replies", s->arp_replies, true);
	member(j, "na_sent", s->na_sent, true);
	member(j, "announcements", s->announced, true);
	member(j, "defences_held", s->defences_held, true);
	member(j, "dropped", te_stats_drops(s), true);
	te_json_raw(j, ",\"drops\":{");
	for (int r = 0; r < TUNECHO_DROP_REASONS; r++)
		member(j, reason_names[r], s->drops[r], r > 0);
	te_json_raw(j, "}");
}

int te_json_end(struct te_json *j)
{
	/* Truncated output ends one byte early so the NUL fits. */
	if (j->size)
		j->buf[j->len < j->size ? j->len : j->size - 1] = '\0';
	return j->len > INT_MAX ? -EOVERFLOW : (int)j->len;
}

void te_stats_export(const struct te_stats *s, struct tunecho_stats *out, size_t size)
{
	struct tunecho_stats all = {
	    .rx_packets = s->rx_packets,
	    .rx_bytes = s->rx_bytes,
	    .replies = s->replies,
	    .tx_bytes = s->tx_bytes,
	    .write_errors = s->write_errors,
	    .dropped = te_stats_drops(s),
	    .rx_fragments = s->rx_fragments,
	    .reassembled = s->reassembled,
	    .tx_fragments = s->tx_fragments,
	    .arp_replies = s->arp_replies,
	    .na_sent = s->na_sent,
	    .announcements = s->announced,
	    .defences_held = s->defences_held,
	};

	memcpy(out, &all, size < sizeof(all) ? size : sizeof(all));
	if (size > sizeof(all))
		memset((char *)out + sizeof(all), 0, size - sizeof(all));
}

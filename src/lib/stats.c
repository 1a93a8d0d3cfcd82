/* SPDX-License-Identifier: MIT */
#include "stats.h"

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
    [TUNECHO_DROP_HANDLER] = "handler",
};

const char *tunecho_drop_reason_name(enum tunecho_drop_reason reason)
{
	if ((unsigned)reason >= TUNECHO_DROP_REASONS)
		return "?";
	return reason_names[reason];
}

void te_stats_add(struct tunecho_stats *to, const struct tunecho_stats *from)
{
	to->rx_packets += from->rx_packets;
	to->rx_bytes += from->rx_bytes;
	to->replies += from->replies;
	to->tx_bytes += from->tx_bytes;
	to->write_errors += from->write_errors;
	for (int i = 0; i < TUNECHO_DROP_REASONS; i++)
		to->drops[i] += from->drops[i];
}

uint64_t te_stats_drops(const struct tunecho_stats *s)
{
	uint64_t n = 0;

	for (int i = 0; i < TUNECHO_DROP_REASONS; i++)
		n += s->drops[i];
	return n;
}

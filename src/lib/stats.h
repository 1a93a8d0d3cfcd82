/* SPDX-License-Identifier: MIT */
/* Counters: names of drop reasons, adding up interfaces. */
#ifndef TE_STATS_H
#define TE_STATS_H

#include <stddef.h>

#include "tunecho.h"

/* A JSON text being written into a caller's buffer, snprintf-style. */
struct te_json {
	char *buf;
	size_t size;
	size_t len; /* the whole length, even past @size */
};

/* Append @text as is. */
void te_json_raw(struct te_json *j, const char *text);

/* Append @s as a JSON string, quoted and escaped. */
void te_json_string(struct te_json *j, const char *s);

/* The counters the library keeps: the public ones, and by reason. */
struct te_stats {
	uint64_t rx_packets, rx_bytes, replies, tx_bytes, write_errors;
	uint64_t rx_fragments, reassembled, tx_fragments;
	uint64_t arp_replies, na_sent, announced, defences_held; /* TAP mode */
	uint64_t drops[TUNECHO_DROP_REASONS];
};

/* Append the members of @s without braces: "rx_packets":N,...,"drops":{...} */
void te_stats_json(struct te_json *j, const struct te_stats *s);

/* @s as the public struct, of @size bytes (the caller's sizeof). */
void te_stats_export(const struct te_stats *s, struct tunecho_stats *out, size_t size);

/* NUL-terminate (truncating) and return the whole length, or -EOVERFLOW. */
int te_json_end(struct te_json *j);

/* Add every counter of @from to @to. */
void te_stats_add(struct te_stats *to, const struct te_stats *from);

/* Total of all drop reasons of @s. */
uint64_t te_stats_drops(const struct te_stats *s);

#endif

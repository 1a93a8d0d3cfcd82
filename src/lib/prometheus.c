/* SPDX-License-Identifier: MIT */
/*
 * The counters in the Prometheus text exposition format 0.0.4, for an
 * HTTP server to serve (the daemon's own, or an embedder's).
 *
 * Names follow Prometheus' naming guide: the tunecho_ prefix, base units,
 * _total on counters; the label sets are closed (interface from the
 * config, reason from the fixed list), and every combination is written
 * from the start, at 0, so that rate() and absent() work from the first
 * scrape. Interfaces are not summed: a query sums them if it wants.
 *
 * Adding a metric is one row in a table below: a per-interface counter or
 * gauge is a name, a help text and a function reading it off the
 * interface. Nothing here allocates; the text goes into the caller's
 * buffer, snprintf-style (stats.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "reasm.h"
#include "responder.h"
#include "stats.h"
#include "tunecho.h"

/* One value of interface @i of @t, of which @st are the counters. */
typedef uint64_t value_fn(const struct tunecho *t, size_t i, const struct te_stats *st);

struct metric {
	const char *name;
	const char *type; /* "counter" or "gauge" */
	const char *help;
	value_fn *value;
};

#define COUNTER(field)                                                                             \
	static uint64_t field(const struct tunecho *t, size_t i, const struct te_stats *st)        \
	{                                                                                          \
		(void)t, (void)i;                                                                  \
		return st->field;                                                                  \
	}
COUNTER(rx_packets)
COUNTER(rx_bytes)
COUNTER(replies)
COUNTER(tx_bytes)
COUNTER(write_errors)
COUNTER(rx_fragments)
COUNTER(reassembled)
COUNTER(tx_fragments)
COUNTER(arp_replies)
COUNTER(na_sent)
COUNTER(announced)
COUNTER(defences_held)

/* A device that failed or was deleted has no fd (as in tunecho_stats_json()). */
static uint64_t serving(const struct tunecho *t, size_t i, const struct te_stats *st)
{
	(void)st;
	return t->ifaces[i]->fd >= 0;
}

static uint64_t delayed(const struct tunecho *t, size_t i, const struct te_stats *st)
{
	(void)st;
	return t->ifaces[i]->delayed;
}

/* Per interface, label {interface="NAME"}; in this order. A gauge such as
 * the replies waiting in a delay store is one more row, with a function
 * that reads it off t->ifaces[i]. */
static const struct metric per_iface[] = {
    {"tunecho_interface_serving", "gauge",
     "Whether the interface is being served (1), or its device failed or was deleted (0).",
     serving},
    {"tunecho_received_packets_total", "counter", "Packets read from the device.", rx_packets},
    {"tunecho_received_bytes_total", "counter", "Bytes of the packets read.", rx_bytes},
    {"tunecho_replies_total", "counter", "Replies written to the device.", replies},
    {"tunecho_sent_bytes_total", "counter", "Bytes of the replies written.", tx_bytes},
    {"tunecho_write_errors_total", "counter", "Replies the device refused.", write_errors},
    {"tunecho_received_fragments_total", "counter",
     "Fragments among the packets read, held for reassembly.", rx_fragments},
    {"tunecho_reassembled_datagrams_total", "counter", "Datagrams made whole from fragments.",
     reassembled},
    {"tunecho_sent_fragments_total", "counter",
     "Fragments written for replies bigger than the MTU.", tx_fragments},
    {"tunecho_arp_replies_total", "counter",
     "ARP replies and defences sent for simulated hosts (TAP mode).", arp_replies},
    {"tunecho_neighbor_advertisements_total", "counter",
     "Neighbor Advertisements sent for simulated hosts (TAP mode).", na_sent},
    {"tunecho_announcements_total", "counter",
     "Gratuitous ARPs and unsolicited Neighbor Advertisements of announce = yes (TAP mode).",
     announced},
    {"tunecho_arp_defences_held_total", "counter",
     "Defences of a host's address held back by RFC 5227's one per 10 seconds (TAP mode).",
     defences_held},
    {"tunecho_delayed_replies", "gauge",
     "Replies a behaviour profile holds back, waiting in the delay store.", delayed},
};

/* @s as a label value: backslash, double quote and line feed escaped. */
static void label_value(struct te_json *j, const char *s)
{
	char one[2] = {0};

	for (; *s; s++) {
		if (*s == '\\')
			te_json_raw(j, "\\\\");
		else if (*s == '"')
			te_json_raw(j, "\\\"");
		else if (*s == '\n')
			te_json_raw(j, "\\n");
		else {
			one[0] = *s;
			te_json_raw(j, one);
		}
	}
}

static void header(struct te_json *j, const char *name, const char *type, const char *help)
{
	te_json_raw(j, "# HELP ");
	te_json_raw(j, name);
	te_json_raw(j, " ");
	te_json_raw(j, help);
	te_json_raw(j, "\n# TYPE ");
	te_json_raw(j, name);
	te_json_raw(j, " ");
	te_json_raw(j, type);
	te_json_raw(j, "\n");
}

static void sample_u64(struct te_json *j, uint64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), " %" PRIu64 "\n", v);
	te_json_raw(j, num);
}

int tunecho_stats_prometheus(const struct tunecho *t, char *buf, size_t size)
{
	struct te_json j = {.buf = buf, .size = size};
	struct te_reasm_stats rs;
	char num[64];

	if (!t)
		return -EINVAL;
	header(&j, "tunecho_build_info", "gauge",
	       "The version of libtunecho, as a label; always 1.");
	te_json_raw(&j, "tunecho_build_info{version=\"");
	label_value(&j, tunecho_version());
	te_json_raw(&j, "\"} 1\n");

	for (size_t m = 0; m < sizeof(per_iface) / sizeof(per_iface[0]); m++) {
		header(&j, per_iface[m].name, per_iface[m].type, per_iface[m].help);
		for (size_t i = 0; i < t->n_ifaces; i++) {
			te_json_raw(&j, per_iface[m].name);
			te_json_raw(&j, "{interface=\"");
			label_value(&j, t->ifaces[i]->name);
			te_json_raw(&j, "\"}");
			sample_u64(&j, per_iface[m].value(t, i, &t->ifaces[i]->stats));
		}
	}

	/* Every reason the library knows, whatever is added to the list later. */
	header(&j, "tunecho_dropped_packets_total", "counter",
	       "Packets not answered, by reason (tunecho(8) lists them).");
	for (size_t i = 0; i < t->n_ifaces; i++) {
		for (int r = 0; r < TUNECHO_DROP_REASONS; r++) {
			te_json_raw(&j, "tunecho_dropped_packets_total{interface=\"");
			label_value(&j, t->ifaces[i]->name);
			te_json_raw(&j, "\",reason=\"");
			te_json_raw(&j, tunecho_drop_reason_name((enum tunecho_drop_reason)r));
			te_json_raw(&j, "\"}");
			sample_u64(&j, t->ifaces[i]->stats.drops[r]);
		}
	}

	/* The reassembly table is the responder's, shared by its interfaces. */
	te_reasm_get_stats(t->reasm, &rs);
	header(&j, "tunecho_reassembly_memory_bytes", "gauge",
	       "Bytes held by fragments waiting for reassembly (buffers and bookkeeping).");
	snprintf(num, sizeof(num), "tunecho_reassembly_memory_bytes %zu\n", rs.memory);
	te_json_raw(&j, num);
	header(&j, "tunecho_reassembly_pending_datagrams", "gauge",
	       "Datagrams whose fragments are being put together.");
	snprintf(num, sizeof(num), "tunecho_reassembly_pending_datagrams %zu\n", rs.pending);
	te_json_raw(&j, num);
	return te_json_end(&j);
}

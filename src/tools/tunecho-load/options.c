/* SPDX-License-Identifier: MIT */
/* The command line of tunecho-load: --help, and the options parsed. */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdlib.h>

#include "load.h"
#include "tunecho.h"

void usage_hint(void)
{
	fputs("Try '" PROG " --help' for more information.\n", stderr);
}

static void help(void)
{
	printf("Usage: " PROG " [OPTION]... [ADDRESS]...\n"
	       "Ping every IPv4 or IPv6 ADDRESS, and the targets of a tunecho config, in\n"
	       "parallel; check every reply byte for byte; report replies/s, loss and RTT\n"
	       "percentiles per target and in total.\n"
	       "\n"
	       "Targets:\n"
	       "  -c, --config FILE     add the targets of a tunecho config: every peer address;\n"
	       "                        for an address with a prefix (2001:db8:0:1::1/64), the\n"
	       "                        --hosts addresses after it in the prefix; for every\n"
	       "                        route, its first --hosts hosts. All-zeros host parts\n"
	       "                        and IPv4 broadcasts are skipped; repeats pinged once\n"
	       "      --hosts N         hosts per prefix (default 1)\n"
	       "      --list            print the targets, one per line, and exit\n"
	       "\n"
	       "Load, per target:\n"
	       "  -w, --window N        closed loop: requests in flight (default 1)\n"
	       "  -n, --count N         requests to send\n"
	       "  -d, --duration SECS   how long to send (default 5 when -n is not given);\n"
	       "                        with -n too, whichever ends first\n"
	       "  -r, --rate PPS        open loop: requests per second on a fixed schedule,\n"
	       "                        whatever comes back (--window is ignored); the\n"
	       "                        targets take turns, so requests leave evenly spread\n"
	       "  -s, --size BYTES      ICMP data bytes per request, %d to %d (default 56)\n"
	       "      --timeout MS      a reply later than this is late and its request lost\n"
	       "                        (default 1000); after the last request, the run waits\n"
	       "                        that long at most for replies still in flight\n"
	       "      --ident N         first ICMP identifier, 0 to 65535, target i using N+i\n"
	       "                        (default: random, so that parallel runs keep apart)\n"
	       "\n",
	       PROBE_LEN, MAX_SIZE);
	fputs("Result:\n"
	      "      --max-loss PCT    exit 1 when more than PCT % of the requests were lost\n"
	      "                        (default 0)\n"
	      "      --max-corrupt N   exit 1 when more than N replies were corrupt (default 0)\n"
	      "      --json            print one JSON object instead of the table\n"
	      "      --histogram       after the table, the RTT distribution of the total as\n"
	      "                        a bar chart, four log-scaled buckets per doubling;\n"
	      "                        with --json, a \"histogram\" member in every object:\n"
	      "                        [[FROM_US,TO_US,COUNT],...], the non-empty buckets\n"
	      "  -v, --verbose         with --histogram, a chart per target too\n"
	      "      --expect          with -c: check each target against its profile in\n"
	      "                        the config (delay percentiles minus a baseline, loss,\n"
	      "                        bursts, duplicates, rate, flap, down, unreachable,\n"
	      "                        TTL); print each verdict with its 99.9% bounds; exit\n"
	      "                        1 when one fails. Open loop at 200/s unless -r or -w\n"
	      "      --series FILE     write one CSV row per second to FILE: time_s, sent,\n"
	      "                        received, lost, p50_us, p99_us (that second's)\n"
	      "  -h, --help            print this help and exit\n"
	      "  -V, --version         print the version and exit\n"
	      "\n"
	      "Counters: sent = received + late + lost. received: good replies within the\n"
	      "timeout; late: a good reply after it; lost: none at all; dup: a further reply\n"
	      "to an answered request; corrupt: a reply with our identifier and anything\n"
	      "wrong (source, size, checksum, sequence, cookie, timestamp, a data byte) --\n"
	      "its request stays unanswered. RTTs (us) are those of received replies, from\n"
	      "the send to the kernel's time of arrival (SO_TIMESTAMPNS);\n"
	      "replies/s is received divided by the time from the start to the last one.\n"
	      "\n"
	      "JSON: {\"targets\":[{\"target\":ADDR,\"sent\":N,\"received\":N,\"lost\":N,\n"
	      "\"late\":N,\"duplicate\":N,\"corrupted\":N,\"rate\":REPLIES_PER_S,\"rtt_us\":{"
	      "\"p50\":US,\n"
	      "\"p90\":US,\"p99\":US,\"p999\":US,\"max\":US}},...],\"total\":{the same but "
	      "\"target\"}}\n"
	      "on one line, targets in order; \"rtt_us\" is null without replies.\n"
	      "\n"
	      "It needs CAP_NET_RAW (root) for its raw ICMP sockets. While stderr is a\n"
	      "terminal, a line of progress each second. SIGINT (Ctrl-C) or SIGTERM ends the\n"
	      "sending early; a second one ends the wait for replies.\n"
	      "\n"
	      "Exit status: 0 when within --max-loss and --max-corrupt; 1 when not, or\n"
	      "when the system refused a socket; 2 for a bad option or config.\n",
	      stdout);
}

static bool parse_uint(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v < min || v > max) {
		fprintf(stderr,
			PROG ": %s: '%s' is not a whole number from %" PRIu64 " to %" PRIu64 "\n",
			opt, s, min, max);
		return false;
	}
	*out = v;
	return true;
}

static bool parse_real(const char *opt, const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= min && v <= max)) {
		fprintf(stderr, PROG ": %s: '%s' is not a number from %g to %g\n", opt, s, min,
			max);
		return false;
	}
	*out = v;
	return true;
}

enum {
	OPT_HOSTS = 256,
	OPT_LIST,
	OPT_TIMEOUT,
	OPT_IDENT,
	OPT_MAX_LOSS,
	OPT_MAX_CORRUPT,
	OPT_JSON,
	OPT_HISTOGRAM,
	OPT_SERIES,
	OPT_EXPECT,
};

/* Fill @o from the options; -1 to go on, else the exit status. */
int parse_options(struct options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"hosts", required_argument, NULL, OPT_HOSTS},
	    {"list", no_argument, NULL, OPT_LIST},
	    {"window", required_argument, NULL, 'w'},
	    {"count", required_argument, NULL, 'n'},
	    {"duration", required_argument, NULL, 'd'},
	    {"rate", required_argument, NULL, 'r'},
	    {"size", required_argument, NULL, 's'},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"ident", required_argument, NULL, OPT_IDENT},
	    {"max-loss", required_argument, NULL, OPT_MAX_LOSS},
	    {"max-corrupt", required_argument, NULL, OPT_MAX_CORRUPT},
	    {"json", no_argument, NULL, OPT_JSON},
	    {"histogram", no_argument, NULL, OPT_HISTOGRAM},
	    {"verbose", no_argument, NULL, 'v'},
	    {"series", required_argument, NULL, OPT_SERIES},
	    {"expect", no_argument, NULL, OPT_EXPECT},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;

	*o = (struct options){.hosts = 1, .window = 1, .size = 56, .timeout_ms = 1000, .ident = -1};
	while ((c = getopt_long(argc, argv, "c:w:n:d:r:s:vhV", longopts, NULL)) != -1) {
		bool ok = true;

		switch (c) {
		case 'c':
			o->config = optarg;
			break;
		case OPT_HOSTS:
			ok = parse_uint("--hosts", optarg, 1, MAX_TARGETS, &o->hosts);
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case 'w':
			ok = parse_uint("--window", optarg, 1, 65536, &o->window);
			o->window_given = true;
			break;
		case 'n':
			ok = parse_uint("--count", optarg, 1, UINT64_C(1) << 48, &o->count);
			break;
		case 'd':
			ok = parse_real("--duration", optarg, 0.001, 31536000, &o->duration);
			break;
		case 'r':
			ok = parse_real("--rate", optarg, 0.001, 1e8, &o->rate);
			break;
		case 's':
			ok = parse_uint("--size", optarg, PROBE_LEN, MAX_SIZE, &v);
			o->size = (uint32_t)v;
			break;
		case OPT_TIMEOUT:
			ok = parse_uint("--timeout", optarg, 1, 60000, &v);
			o->timeout_ms = (uint32_t)v;
			break;
		case OPT_IDENT:
			ok = parse_uint("--ident", optarg, 0, 65535, &v);
			o->ident = (long)v;
			break;
		case OPT_MAX_LOSS:
			ok = parse_real("--max-loss", optarg, 0, 100, &o->max_loss);
			break;
		case OPT_MAX_CORRUPT:
			ok = parse_uint("--max-corrupt", optarg, 0, UINT64_MAX, &o->max_corrupt);
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_HISTOGRAM:
			o->histogram = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_SERIES:
			o->series = optarg;
			break;
		case OPT_EXPECT:
			o->expect = true;
			break;
		case 'h':
			help();
			return 0;
		case 'V':
			printf(PROG " %s\n", tunecho_version());
			return 0;
		default: /* getopt said what is wrong */
			ok = false;
			break;
		}
		if (!ok) {
			usage_hint();
			return 2;
		}
	}
	if (o->expect && !o->config) {
		fprintf(stderr, PROG ": --expect needs a config (-c FILE) to read profiles from\n");
		usage_hint();
		return 2;
	}
	/* --expect wants enough requests to every target, the lossy ones
	 * too, for its bounds to mean something: an open loop (main.c
	 * lowers the rate for many targets). */
	if (o->expect && o->rate <= 0 && !o->window_given) {
		o->rate = EXPECT_RATE;
		o->expect_rate = true;
	}
	/* Bounded whatever the options: no count and no duration is 5 s. */
	if (!o->count && o->duration <= 0)
		o->duration = 5;
	return -1;
}

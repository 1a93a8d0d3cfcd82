/* SPDX-License-Identifier: MIT */
/*
 * A program built against the header of an earlier release of this major
 * version (tunecho-2.0.h, never edited), run against the library being
 * built: what it passes with its own sizes must keep working, and nothing
 * may be written past what it knows. When the header grows (a drop
 * reason, a setting, a counter), this is the program that would break.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "tunecho-2.0.h"

#define CANARY 0xa5a5a5a5a5a5a5a5ull

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "abi: %s\n", what);
		failures++;
	}
}

int main(void)
{
	static const char *const addrs[] = {"198.18.3.1 peer 198.18.3.2", NULL};
	struct tunecho_iface_settings s = {.name = "abi0", .addresses = addrs, .mtu = 1400};
	struct tunecho_config *cfg = NULL;
	struct event_base *base = event_base_new();
	struct tunecho *t = NULL;
	struct {
		struct tunecho_stats st;
		uint64_t canary;
	} stats;
	struct {
		uint64_t by[TUNECHO_DROP_REASONS];
		uint64_t canary;
	} drops;
	char err[256];
	int known;

	expect(TUNECHO_VERSION_MAJOR == 2, "this header is of major version 2");
	expect(!strncmp(tunecho_version(), "2.", 2), "the library is of major version 2");
	expect(tunecho_config_new(&cfg) == 0, "tunecho_config_new");
	expect(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)) == 0,
	       "tunecho_config_add_iface with this header's settings");
	expect(tunecho_config_iface_count(cfg) == 1, "one interface");
	expect(tunecho_new(&t, base) == 0, "tunecho_new");
	memset(&stats, 0xa5, sizeof(stats));
	expect(tunecho_stats(t, 0, &stats.st, sizeof(stats.st)) == 0, "tunecho_stats (totals)");
	expect(stats.st.replies == 0 && stats.st.dropped == 0, "no traffic yet");
	expect(stats.canary == CANARY, "nothing written past this header's struct tunecho_stats");
	memset(&drops, 0xa5, sizeof(drops));
	known = tunecho_drops(t, 0, drops.by, TUNECHO_DROP_REASONS);
	expect(known >= TUNECHO_DROP_REASONS, "the library knows at least this header's reasons");
	expect(drops.canary == CANARY, "nothing written past this header's reasons");
	for (int r = 0; r < known; r++)
		expect(strcmp(tunecho_drop_reason_name((enum tunecho_drop_reason)r), "?") != 0,
		       "every reason the library knows has a name");
	expect(!strcmp(tunecho_drop_reason_name(TUNECHO_DROP_HANDLER), "handler"),
	       "reasons keep their values");
	expect(tunecho_iface_find(t, "abi0") == -ENOENT, "nothing served yet");
	expect(!strcmp(tunecho_last_error(t), ""), "no error yet");
	tunecho_free(t);
	tunecho_config_free(cfg);
	event_base_free(base);
	if (!failures)
		printf("abi: a program built against tunecho-2.0.h runs against %s\n",
		       tunecho_version());
	return failures != 0;
}

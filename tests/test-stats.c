/* SPDX-License-Identifier: MIT */
/* Counters: reason names, totals, and the JSON rendering. */
#include "common.h"

#include <event2/event.h>

#include "stats.h"
#include "tunecho.h"

START_TEST(every_reason_has_a_unique_name)
{
	for (int i = 0; i < TUNECHO_DROP_REASONS; i++) {
		const char *name = tunecho_drop_reason_name((enum tunecho_drop_reason)i);

		ck_assert_str_ne(name, "?");
		ck_assert_uint_gt(strlen(name), 0);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(name,
					 tunecho_drop_reason_name((enum tunecho_drop_reason)j));
	}
	ck_assert_str_eq(tunecho_drop_reason_name(TUNECHO_DROP_REASONS), "?");
	ck_assert_str_eq(tunecho_drop_reason_name((enum tunecho_drop_reason) - 1), "?");
	ck_assert_str_eq(tunecho_drop_reason_name(TUNECHO_DROP_BAD_ICMP_CHECKSUM),
			 "bad_icmp_checksum");
}
END_TEST

START_TEST(log_level_names)
{
	ck_assert_str_eq(tunecho_log_level_name(TUNECHO_LOG_ERR), "error");
	ck_assert_str_eq(tunecho_log_level_name(TUNECHO_LOG_WARNING), "warning");
	ck_assert_str_eq(tunecho_log_level_name(TUNECHO_LOG_NOTICE), "notice");
	ck_assert_str_eq(tunecho_log_level_name(TUNECHO_LOG_INFO), "info");
	ck_assert_str_eq(tunecho_log_level_name(TUNECHO_LOG_DEBUG), "debug");
	ck_assert_str_eq(tunecho_log_level_name((enum tunecho_log_level)9), "?");
}
END_TEST

START_TEST(totals_add_every_counter)
{
	struct te_stats a = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, {0}},
			b = {10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, {0}};

	a.drops[TUNECHO_DROP_FRAGMENT] = 7;
	b.drops[TUNECHO_DROP_FRAGMENT] = 1;
	b.drops[TUNECHO_DROP_HANDLER] = 2;
	te_stats_add(&a, &b);
	ck_assert_uint_eq(a.rx_packets, 11);
	ck_assert_uint_eq(a.rx_bytes, 22);
	ck_assert_uint_eq(a.replies, 33);
	ck_assert_uint_eq(a.tx_bytes, 44);
	ck_assert_uint_eq(a.write_errors, 55);
	ck_assert_uint_eq(a.rx_fragments, 66);
	ck_assert_uint_eq(a.reassembled, 77);
	ck_assert_uint_eq(a.tx_fragments, 88);
	ck_assert_uint_eq(a.arp_replies, 99);
	ck_assert_uint_eq(a.na_sent, 110);
	ck_assert_uint_eq(a.announced, 121);
	ck_assert_uint_eq(a.defences_held, 132);
	ck_assert_uint_eq(a.drops[TUNECHO_DROP_FRAGMENT], 8);
	ck_assert_uint_eq(te_stats_drops(&a), 10);
}
END_TEST

START_TEST(json_of_counters)
{
	struct te_stats s = {.rx_packets = 5, .replies = 3, .tx_bytes = 252};
	char buf[1024];
	struct te_json j = {.buf = buf, .size = sizeof(buf)};

	s.drops[TUNECHO_DROP_NOT_ECHO] = 2;
	te_json_raw(&j, "{");
	te_stats_json(&j, &s);
	te_json_raw(&j, "}");
	ck_assert_int_eq(te_json_end(&j), (int)strlen(buf));
	ck_assert_str_eq(
	    buf, "{\"rx_packets\":5,\"rx_bytes\":0,\"replies\":3,\"tx_bytes\":252,"
		 "\"write_errors\":0,\"rx_fragments\":0,\"reassembled\":0,"
		 "\"tx_fragments\":0,\"arp_replies\":0,\"na_sent\":0,"
		 "\"announcements\":0,\"defences_held\":0,\"dropped\":2,\"drops\":{\"not_ip\":0,"
		 "\"truncated\":0,\"bad_header\":0,\"bad_ip_checksum\":0,"
		 "\"fragment\":0,\"bad_options\":0,\"bad_source\":0,"
		 "\"bad_destination\":0,\"not_icmp\":0,\"ext_header\":0,"
		 "\"bad_icmp_checksum\":0,\"not_echo\":2,\"bad_code\":0,"
		 "\"unhandled\":0,\"handler\":0,\"reasm_timeout\":0,"
		 "\"reasm_overlap\":0,\"reasm_evicted\":0,\"reasm_oversize\":0,"
		 "\"source_route\":0,\"bad_reply\":0,\"lost\":0,\"down\":0,"
		 "\"rate_limited\":0,\"flapped\":0,\"queue_full\":0,"
		 "\"not_a_host\":0,\"not_for_us\":0,\"vlan\":0,\"runt\":0,"
		 "\"unknown_ethertype\":0,\"bad_source_mac\":0,\"bad_ip\":0,"
		 "\"bad_arp\":0,\"arp_not_ours\":0,\"bad_ndp\":0,"
		 "\"ndp_not_ours\":0,\"ndp_other\":0}}");
}
END_TEST

START_TEST(json_strings_are_escaped)
{
	char buf[64];
	struct te_json j = {.buf = buf, .size = sizeof(buf)};

	te_json_string(&j, "a\"b\\c\n\x01");
	te_json_end(&j);
	ck_assert_str_eq(buf, "\"a\\\"b\\\\c\\u000a\\u0001\"");
}
END_TEST

START_TEST(json_truncates_like_snprintf)
{
	struct event_base *base = event_base_new();
	struct tunecho *t = NULL;
	char full[2048], part[2048];
	int n;

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	n = tunecho_stats_json(t, NULL, 0);
	ck_assert_int_gt(n, 0);
	ck_assert_int_lt(n, (int)sizeof(full));
	ck_assert_int_eq(tunecho_stats_json(t, full, sizeof(full)), n);
	ck_assert_uint_eq(strlen(full), (size_t)n);
	ck_assert_msg(!strncmp(full, "{\"interfaces\":[],\"total\":{\"rx_packets\":0,", 41), "%s",
		      full);
	ck_assert_str_eq(full + n - 14, "},\"delayed\":0}");
	/* Every size: the same prefix, NUL-terminated, the same return. */
	for (size_t size = 1; size <= (size_t)n + 1; size++) {
		memset(part, 'x', sizeof(part));
		ck_assert_int_eq(tunecho_stats_json(t, part, size), n);
		ck_assert_uint_eq(strlen(part), size - 1);
		ck_assert(!strncmp(part, full, size - 1));
		ck_assert_int_eq(part[size], 'x');
	}
	ck_assert_int_eq(tunecho_stats_json(NULL, part, sizeof(part)), -EINVAL);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("stats");

	tcase_add_test(tc, every_reason_has_a_unique_name);
	tcase_add_test(tc, log_level_names);
	tcase_add_test(tc, totals_add_every_counter);
	tcase_add_test(tc, json_of_counters);
	tcase_add_test(tc, json_strings_are_escaped);
	tcase_add_test(tc, json_truncates_like_snprintf);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

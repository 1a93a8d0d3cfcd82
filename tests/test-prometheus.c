/* SPDX-License-Identifier: MIT */
/* tunecho_stats_prometheus() without interfaces: the families, their
 * types, and the snprintf-like buffer contract. (With interfaces and
 * traffic: test-metrics.c, as root.) */
#include "common.h"

#include <event2/event.h>

#include "tunecho.h"

START_TEST(every_family_is_declared_and_the_length_is_exact)
{
	static const char *const families[] = {
	    "# TYPE tunecho_build_info gauge\n",
	    "# TYPE tunecho_interface_serving gauge\n",
	    "# TYPE tunecho_received_packets_total counter\n",
	    "# TYPE tunecho_received_bytes_total counter\n",
	    "# TYPE tunecho_replies_total counter\n",
	    "# TYPE tunecho_sent_bytes_total counter\n",
	    "# TYPE tunecho_write_errors_total counter\n",
	    "# TYPE tunecho_dropped_packets_total counter\n",
	};
	struct event_base *base = event_base_new();
	struct tunecho *t;
	char version[64], small[16];
	char *buf;
	int n;

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(tunecho_new(&t, base), 0);
	n = tunecho_stats_prometheus(t, NULL, 0);
	ck_assert_int_gt(n, 0);
	buf = malloc((size_t)n + 1);
	ck_assert_int_eq(tunecho_stats_prometheus(t, buf, (size_t)n + 1), n);
	ck_assert_uint_eq(strlen(buf), (size_t)n);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		ck_assert_msg(strstr(buf, families[i]), "no %s in:\n%s", families[i], buf);
	snprintf(version, sizeof(version), "\ntunecho_build_info{version=\"%s\"} 1\n",
		 tunecho_version());
	ck_assert_msg(strstr(buf, version), "%s", buf);
	/* no interface, no sample but build_info's */
	ck_assert_ptr_null(strstr(buf, "{interface="));
	ck_assert_int_eq(buf[n - 1], '\n');
	/* truncated like snprintf */
	ck_assert_int_eq(tunecho_stats_prometheus(t, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
	ck_assert_int_eq(strncmp(small, buf, sizeof(small) - 1), 0);
	ck_assert_int_eq(tunecho_stats_prometheus(NULL, NULL, 0), -EINVAL);
	free(buf);
	tunecho_free(t);
	event_base_free(base);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("prometheus");
	TCase *tc = tcase_create("prometheus");

	tcase_add_test(tc, every_family_is_declared_and_the_length_is_exact);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

/* SPDX-License-Identifier: MIT */
/* `metrics = ...`: the addresses the endpoint may listen on (endpoint.c),
 * and how the config parser takes them. */
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include "config.h"
#include "endpoint.h"
#include "tunecho.h"

START_TEST(ipv4_ipv6_and_unix_addresses_parse)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un *un = (struct sockaddr_un *)&ss;
	socklen_t len;

	ck_assert_int_eq(te_endpoint_parse("127.0.0.1:9125", &ss, &len), 0);
	ck_assert_int_eq(v4->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(v4->sin_port), 9125);
	ck_assert_uint_eq(ntohl(v4->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_int_eq(len, sizeof(*v4));
	ck_assert_int_eq(te_endpoint_parse("0.0.0.0:80", &ss, &len), 0);
	ck_assert_int_eq(te_endpoint_parse("[::1]:65535", &ss, &len), 0);
	ck_assert_int_eq(v6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(v6->sin6_port), 65535);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr));
	ck_assert_int_eq(te_endpoint_parse("[2001:db8::1]:1", &ss, &len), 0);
	ck_assert_int_eq(te_endpoint_parse("unix:/run/tunecho/metrics", &ss, &len), 0);
	ck_assert_int_eq(un->sun_family, AF_UNIX);
	ck_assert_str_eq(un->sun_path, "/run/tunecho/metrics");
}
END_TEST

START_TEST(anything_else_is_refused)
{
	static const char *const bad[] = {"",
					  "9125",
					  ":9125",
					  "127.0.0.1",
					  "127.0.0.1:",
					  "127.0.0.1:0",
					  "127.0.0.1:65536",
					  "127.0.0.1:80x",
					  "127.0.0.1:-1",
					  "localhost:9125",
					  "::1:9125",
					  "[::1]",
					  "[::1]9125",
					  "[127.0.0.1]:80",
					  "unix:",
					  "unix:relative",
					  "*:9125",
					  "127.0.0.1: 9125"};
	struct sockaddr_storage ss;
	socklen_t len;
	char longpath[200] = "unix:/";

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(te_endpoint_parse(bad[i], &ss, &len) == -EINVAL, "'%s'", bad[i]);
	memset(longpath + 6, 'a', 150);
	ck_assert_int_eq(te_endpoint_parse(longpath, &ss, &len), -EINVAL);
}
END_TEST

START_TEST(the_config_keeps_it_and_refuses_a_bad_one)
{
	struct tunecho_config *cfg;
	char err[256];

	ck_assert_int_eq(tunecho_config_load_string(&cfg, "[global]\nmetrics = [::1]:9125\n[te0]\n",
						    err, sizeof(err)),
			 0);
	ck_assert_str_eq(tunecho_config_metrics(cfg), "[::1]:9125");
	tunecho_config_free(cfg);
	ck_assert_int_eq(tunecho_config_load_string(&cfg, "[te0]\n", err, sizeof(err)), 0);
	ck_assert_ptr_null(tunecho_config_metrics(cfg));
	tunecho_config_free(cfg);
	ck_assert_int_eq(
	    tunecho_config_load_string(&cfg, "[global]\nmetrics = 9125\n[te0]\n", err, sizeof(err)),
	    -EINVAL);
	ck_assert_msg(strstr(err, "metrics: '9125' is not"), "%s", err);
	ck_assert_int_eq(tunecho_config_load_string(&cfg,
						    "[global]\nmetrics = 127.0.0.1:1\n"
						    "metrics = 127.0.0.1:2\n[te0]\n",
						    err, sizeof(err)),
			 -EINVAL);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("endpoint");
	TCase *tc = tcase_create("endpoint");

	tcase_add_test(tc, ipv4_ipv6_and_unix_addresses_parse);
	tcase_add_test(tc, anything_else_is_refused);
	tcase_add_test(tc, the_config_keeps_it_and_refuses_a_bad_one);
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

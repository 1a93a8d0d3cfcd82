/* SPDX-License-Identifier: MIT */
/*
 * The config parser: the sample loads as documented, every accepted value
 * form, and every error with its exact line and text. Pure parsing: no
 * privileges, no interfaces.
 */
#include "common.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Where *out points before a load that must fail: it must still point here. */
static struct tunecho_config untouched;

struct error_case {
	const char *text;
	const char *err; /* "LINE: message", exactly */
};

static struct tunecho_config *load_ok(const char *text)
{
	struct tunecho_config *cfg = NULL;
	char err[512] = "";
	int r = tunecho_config_load_string(&cfg, text, err, sizeof(err));

	ck_assert_msg(r == 0, "rejected (%d): %s\n--- config:\n%s", r, err, text);
	ck_assert_ptr_nonnull(cfg);
	return cfg;
}

static void check_error(const char *text, const char *want)
{
	struct tunecho_config *cfg = &untouched;
	char err[512] = "(no error text)";
	int r = tunecho_config_load_string(&cfg, text, err, sizeof(err));

	ck_assert_msg(r == -EINVAL, "want -EINVAL, got %d (%s)\n--- config:\n%s", r, err, text);
	ck_assert_msg(cfg == &untouched, "*out changed on failure\n--- config:\n%s", text);
	ck_assert_msg(!strcmp(err, want), "\nwant: %s\ngot:  %s\n--- config:\n%s", want, err, text);
}

/* The one interface of a configuration that must have exactly one. */
static const struct te_iface_config *only_iface(const struct tunecho_config *cfg)
{
	ck_assert_uint_eq(cfg->n_ifaces, 1);
	return &cfg->ifaces[0];
}

static void assert_address(const struct te_address *a, const char *want, int family,
			   unsigned local_len)
{
	char buf[TE_ADDRESS_STRLEN];

	te_address_format(a, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(a->local.family, family);
	ck_assert_uint_eq(a->local.len, local_len);
	ck_assert_int_eq(a->has_peer, strstr(want, " peer ") != NULL);
	if (a->has_peer)
		ck_assert_int_eq(a->peer.family, family);
}

static void assert_prefix(const struct te_prefix *p, const char *want)
{
	char buf[TE_PREFIX_STRLEN];

	te_prefix_format(p, buf, sizeof(buf));
	ck_assert_str_eq(buf, want);
	ck_assert_int_eq(p->family, strchr(want, ':') ? AF_INET6 : AF_INET);
}

/* The defaults of an interface that sets nothing but its addresses and routes. */
static void assert_iface_defaults(const struct te_iface_config *ic)
{
	ck_assert_uint_eq(ic->mtu, 0);
	ck_assert_uint_eq(ic->txqlen, 0);
	ck_assert_int_eq(ic->owner, -1);
	ck_assert_int_eq(ic->group, -1);
	ck_assert(!ic->persist);
	ck_assert(!ic->attach);
}

/*
 * conf/tunecho.conf: $TUNECHO_SAMPLE_CONF when set, else found from this
 * file's path. meson compiles it as "../tests/test-config.c", relative to
 * the build directory, which is two levels above this executable
 * (BUILD/tests/test-config): tried as given (run from the build
 * directory, as meson does), then from there.
 */
static void sample_path(char *buf, size_t size)
{
	const char *env = getenv("TUNECHO_SAMPLE_CONF");
	const char *slash = strrchr(__FILE__, '/');
	char rel[PATH_MAX], exe[PATH_MAX];
	ssize_t n;

	if (env && *env) {
		snprintf(buf, size, "%s", env);
		return;
	}
	if (slash)
		snprintf(rel, sizeof(rel), "%.*s/../conf/tunecho.conf", (int)(slash - __FILE__),
			 __FILE__);
	else
		snprintf(rel, sizeof(rel), "../conf/tunecho.conf");
	snprintf(buf, size, "%s", rel);
	if (rel[0] == '/' || access(rel, R_OK) == 0)
		return;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return;
	exe[n] = '\0';
	for (int up = 0; up < 2; up++) {
		char *s = strrchr(exe, '/');

		if (s)
			*s = '\0';
	}
	if (snprintf(buf, size, "%s/%s", exe, rel) >= (int)size)
		snprintf(buf, size, "%s", rel);
}

/* Write @text to a new temporary file; its path into @path. */
static void write_temp(char *path, size_t size, const char *text)
{
	int fd;
	size_t len = strlen(text);

	snprintf(path, size, "/tmp/test-config-XXXXXX");
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* The sample                                                         */
/* ------------------------------------------------------------------ */

START_TEST(test_sample_conf)
{
	struct tunecho_config *cfg = NULL;
	const struct te_iface_config *ic;
	char path[PATH_MAX], err[512] = "";
	int r;

	sample_path(path, sizeof(path));
	ck_assert_msg(access(path, R_OK) == 0, "sample config %s: %s", path, strerror(errno));
	r = tunecho_config_load_file(&cfg, path, err, sizeof(err));
	ck_assert_msg(r == 0, "%s: %d: %s", path, r, err);

	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_INFO);
	ck_assert_int_eq(tunecho_config_syslog(cfg), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 3);

	/* IPv4 point-to-point */
	ic = &cfg->ifaces[0];
	ck_assert_str_eq(ic->name, "te0");
	ck_assert_uint_eq(ic->n_addrs, 1);
	assert_address(&ic->addrs[0], "198.18.0.1 peer 198.18.0.2/32", AF_INET, 32);
	ck_assert_uint_eq(ic->addrs[0].peer.len, 32);
	ck_assert_uint_eq(ic->n_routes, 0);
	ck_assert_uint_eq(ic->mtu, 1500);
	ck_assert_uint_eq(ic->txqlen, 1000);
	ck_assert_int_eq(ic->owner, -1);
	ck_assert_int_eq(ic->group, -1);
	ck_assert(!ic->persist);
	ck_assert(!ic->attach);

	/* IPv6 /64 */
	ic = &cfg->ifaces[1];
	ck_assert_str_eq(ic->name, "te1");
	ck_assert_uint_eq(ic->n_addrs, 1);
	assert_address(&ic->addrs[0], "2001:db8:0:1::1/64", AF_INET6, 64);
	ck_assert_uint_eq(ic->n_routes, 0);
	ck_assert_uint_eq(ic->mtu, 0);
	ck_assert_uint_eq(ic->txqlen, 1000);

	/* both families and routed prefixes */
	ic = &cfg->ifaces[2];
	ck_assert_str_eq(ic->name, "te2");
	ck_assert_uint_eq(ic->n_addrs, 2);
	assert_address(&ic->addrs[0], "198.18.0.5 peer 198.18.0.6/32", AF_INET, 32);
	assert_address(&ic->addrs[1], "2001:db8:0:2::1/64", AF_INET6, 64);
	ck_assert_uint_eq(ic->n_routes, 2);
	assert_prefix(&ic->routes[0], "198.18.128.0/24");
	assert_prefix(&ic->routes[1], "2001:db8:0:80::/64");
	ck_assert_uint_eq(ic->mtu, 0);
	ck_assert_uint_eq(ic->txqlen, 1000);
	ck_assert(!ic->persist);
	ck_assert(!ic->attach);

	tunecho_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Accepted forms                                                     */
/* ------------------------------------------------------------------ */

static const struct {
	const char *text;
	bool value;
} bools[] = {
    {"yes", true}, {"no", false},  {"true", true}, {"false", false},
    {"on", true},  {"off", false}, {"1", true},	   {"0", false},
    {"YES", true}, {"Off", false}, {"True", true}, {"FALSE", false},
};

START_TEST(test_bool_forms)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;
	char text[256];

	snprintf(text, sizeof(text), "[global]\nsyslog = %s\n[tun0]\npersist = %s\nattach = %s\n",
		 bools[_i].text, bools[_i].text, bools[_i].text);
	cfg = load_ok(text);
	ck_assert_int_eq(tunecho_config_syslog(cfg), bools[_i].value);
	ic = only_iface(cfg);
	ck_assert_int_eq(ic->persist, bools[_i].value);
	ck_assert_int_eq(ic->attach, bools[_i].value);
	tunecho_config_free(cfg);
}
END_TEST

static const struct {
	const char *text;
	enum tunecho_log_level level;
} levels[] = {
    {"error", TUNECHO_LOG_ERR}, {"warning", TUNECHO_LOG_WARNING}, {"notice", TUNECHO_LOG_NOTICE},
    {"info", TUNECHO_LOG_INFO}, {"debug", TUNECHO_LOG_DEBUG},
};

START_TEST(test_log_levels)
{
	struct tunecho_config *cfg;
	char text[128];

	snprintf(text, sizeof(text), "[global]\nlog-level = %s\n", levels[_i].text);
	cfg = load_ok(text);
	ck_assert_int_eq(tunecho_config_log_level(cfg), levels[_i].level);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 0);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_defaults)
{
	struct tunecho_config *cfg;

	/* nothing at all, only comments, an empty [global] */
	cfg = load_ok("");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_INFO);
	ck_assert_int_eq(tunecho_config_syslog(cfg), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 0);
	tunecho_config_free(cfg);

	cfg = load_ok("; nothing\n# here\n\n");
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 0);
	tunecho_config_free(cfg);

	cfg = load_ok("[global]\n");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_INFO);
	ck_assert_int_eq(tunecho_config_syslog(cfg), 0);
	ck_assert_uint_eq(tunecho_config_busy_poll_us(cfg), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 0);
	tunecho_config_free(cfg);

	cfg = load_ok("[global]\nbusy-poll-us = 50\n");
	ck_assert_uint_eq(tunecho_config_busy_poll_us(cfg), 50);
	tunecho_config_free(cfg);
	cfg = load_ok("[global]\nbusy-poll-us = 100000\n");
	ck_assert_uint_eq(tunecho_config_busy_poll_us(cfg), 100000);
	tunecho_config_free(cfg);
	ck_assert_uint_eq(tunecho_config_busy_poll_us(NULL), 0);

	cfg = load_ok("[global]\n");
	ck_assert_uint_eq(tunecho_config_link_group(cfg), TUNECHO_DEFAULT_LINK_GROUP);
	tunecho_config_free(cfg);
	cfg = load_ok("[global]\nlink-group = 0\n");
	ck_assert_uint_eq(tunecho_config_link_group(cfg), 0);
	tunecho_config_free(cfg);
	cfg = load_ok("[global]\nlink-group = 4294967295\n");
	ck_assert_uint_eq(tunecho_config_link_group(cfg), 4294967295u);
	tunecho_config_free(cfg);
	check_error("[global]\nlink-group = 4294967296\n",
		    "2: link-group: '4294967296' is not a number from 0 to 4294967295");
}
END_TEST

/* reassembly-memory and reassembly-timeout: units, bounds, one or two values. */
START_TEST(test_reassembly_keys)
{
	static const struct {
		const char *text;
		size_t memory;
		unsigned t4, t6;
	} ok[] = {
	    {"[global]\n", 4u << 20, 30000, 60000},
	    {"[global]\nreassembly-memory = 131072\n", 128u << 10, 30000, 60000},
	    {"[global]\nreassembly-memory = 512K\n", 512u << 10, 30000, 60000},
	    {"[global]\nreassembly-memory = 1024m\n", 1024u << 20, 30000, 60000},
	    {"[global]\nreassembly-timeout = 5\n", 4u << 20, 5000, 5000},
	    {"[global]\nreassembly-timeout = 1 600\n", 4u << 20, 1000, 600000},
	    {"[global]\nreassembly-timeout = 30   45\n", 4u << 20, 30000, 45000},
	};
	static const char *const bad[] = {
	    "[global]\nreassembly-memory = 131071\n", "[global]\nreassembly-memory = 1025M\n",
	    "[global]\nreassembly-memory = 4G\n",     "[global]\nreassembly-memory = -1\n",
	    "[global]\nreassembly-memory = 4 M\n",    "[global]\nreassembly-timeout = 0\n",
	    "[global]\nreassembly-timeout = 601\n",   "[global]\nreassembly-timeout = 30 60 90\n",
	    "[global]\nreassembly-timeout = 30s\n",   "[global]\nreassembly-timeout = \n",
	};
	size_t memory;
	unsigned t4, t6;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct tunecho_config *cfg = load_ok(ok[i].text);

		tunecho_config_reassembly(cfg, &memory, &t4, &t6);
		ck_assert_msg(memory == ok[i].memory && t4 == ok[i].t4 && t6 == ok[i].t6,
			      "%s: %zu %u %u", ok[i].text, memory, t4, t6);
		tunecho_config_free(cfg);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct tunecho_config *cfg = NULL;
		char err[256];

		ck_assert_int_eq(tunecho_config_load_string(&cfg, bad[i], err, sizeof(err)),
				 -EINVAL);
		ck_assert_msg(!strncmp(err, "2: reassembly-", 14), "%s: %s", bad[i], err);
	}
	check_error(
	    "[global]\nreassembly-memory = 64K\n",
	    "2: reassembly-memory: '64K' is not a size from 128K to 1024M (bytes, or with K "
	    "or M)");
	check_error(
	    "[global]\nreassembly-timeout = 30 0\n",
	    "2: reassembly-timeout: '30 0' is not one or two numbers of seconds from 1 to 600 "
	    "(IPv4, then IPv6)");
	tunecho_config_reassembly(NULL, &memory, &t4, &t6);
	ck_assert_uint_eq(memory, TUNECHO_REASSEMBLY_MEMORY);
}
END_TEST

START_TEST(test_owner_group)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;

	cfg = load_ok("[tun0]\nowner = 0\ngroup = 0\n");
	ic = only_iface(cfg);
	ck_assert_int_eq(ic->owner, 0);
	ck_assert_int_eq(ic->group, 0);
	tunecho_config_free(cfg);

	cfg = load_ok("[tun0]\nowner = root\ngroup = root\n");
	ic = only_iface(cfg);
	ck_assert_int_eq(ic->owner, 0);
	ck_assert_int_eq(ic->group, 0);
	tunecho_config_free(cfg);

	/* a numeric id need not exist in the user database */
	cfg = load_ok("[tun0]\nowner = 4242\ngroup = 4343\n");
	ic = only_iface(cfg);
	ck_assert_int_eq(ic->owner, 4242);
	ck_assert_int_eq(ic->group, 4343);
	tunecho_config_free(cfg);

	/* the largest valid id; (uid_t)-1 is "no change" to the kernel */
	cfg = load_ok("[tun0]\nowner = 4294967294\ngroup = 4294967294\n");
	ic = only_iface(cfg);
	ck_assert_int_eq(ic->owner, 4294967294);
	ck_assert_int_eq(ic->group, 4294967294);
	tunecho_config_free(cfg);

	/* either one alone */
	cfg = load_ok("[tun0]\ngroup = root\n");
	ic = only_iface(cfg);
	ck_assert_int_eq(ic->owner, -1);
	ck_assert_int_eq(ic->group, 0);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_comments_and_blanks)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;

	cfg = load_ok("; a comment line\n"
		      "# another comment line\n"
		      "\n"
		      "   \n"
		      "\t\n"
		      "[global]   ; a comment after a header\n"
		      "log-level = debug ; inline comment\n"
		      "syslog=yes\n"
		      "\n"
		      "[tun0]\n"
		      "; address = 198.18.9.9\n"
		      "# mtu = 68\n"
		      "address = 198.18.0.1 peer 198.18.0.2   ; the peer answers\n"
		      "mtu\t=\t1400\t; tabs around '='\n"
		      "txqueuelen=1000\n"
		      "\n");
	ic = only_iface(cfg);
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_config_syslog(cfg), 1);
	ck_assert_uint_eq(ic->n_addrs, 1);
	assert_address(&ic->addrs[0], "198.18.0.1 peer 198.18.0.2/32", AF_INET, 32);
	ck_assert_uint_eq(ic->mtu, 1400);
	ck_assert_uint_eq(ic->txqlen, 1000);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_empty_sections)
{
	struct tunecho_config *cfg;

	/* an interface with no addresses is valid: it is created and answers nothing */
	cfg = load_ok("[tun0]\n");
	ck_assert_str_eq(only_iface(cfg)->name, "tun0");
	ck_assert_uint_eq(cfg->ifaces[0].n_addrs, 0);
	ck_assert_uint_eq(cfg->ifaces[0].n_routes, 0);
	assert_iface_defaults(&cfg->ifaces[0]);
	tunecho_config_free(cfg);

	/* a comment does not make it less empty; order is kept */
	cfg = load_ok("[b0]\n; nothing\n[a0]\n\n[global]\n[c0]");
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 3);
	ck_assert_str_eq(cfg->ifaces[0].name, "b0");
	ck_assert_str_eq(cfg->ifaces[1].name, "a0");
	ck_assert_str_eq(cfg->ifaces[2].name, "c0");
	for (size_t i = 0; i < 3; i++)
		assert_iface_defaults(&cfg->ifaces[i]);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_repeated_keys)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;

	cfg = load_ok("[tun0]\n"
		      "address = 198.18.0.1 peer 198.18.0.2\n"
		      "route = 198.18.128.0/24\n"
		      "address = 198.18.1.1/24\n"
		      "address = 2001:db8:0:1::1/64\n"
		      "route = 2001:db8:0:80::/64\n"
		      "address = 2001:db8:0:2::1\n"
		      "route = 198.18.129.0/25\n");
	ic = only_iface(cfg);
	ck_assert_uint_eq(ic->n_addrs, 4);
	assert_address(&ic->addrs[0], "198.18.0.1 peer 198.18.0.2/32", AF_INET, 32);
	assert_address(&ic->addrs[1], "198.18.1.1/24", AF_INET, 24);
	assert_address(&ic->addrs[2], "2001:db8:0:1::1/64", AF_INET6, 64);
	assert_address(&ic->addrs[3], "2001:db8:0:2::1/128", AF_INET6, 128);
	ck_assert_uint_eq(ic->n_routes, 3);
	assert_prefix(&ic->routes[0], "198.18.128.0/24");
	assert_prefix(&ic->routes[1], "2001:db8:0:80::/64");
	assert_prefix(&ic->routes[2], "198.18.129.0/25");
	tunecho_config_free(cfg);

	/* keys given once per section may be given again in another one */
	cfg = load_ok("[a0]\nmtu = 1400\ntxqueuelen = 10\npersist = yes\n"
		      "[b0]\nmtu = 1500\ntxqueuelen = 20\npersist = no\n");
	ck_assert_uint_eq(cfg->ifaces[0].mtu, 1400);
	ck_assert_uint_eq(cfg->ifaces[1].mtu, 1500);
	ck_assert_uint_eq(cfg->ifaces[0].txqlen, 10);
	ck_assert_uint_eq(cfg->ifaces[1].txqlen, 20);
	ck_assert(cfg->ifaces[0].persist);
	ck_assert(!cfg->ifaces[1].persist);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_recreate_and_restore)
{
	struct tunecho_config *cfg;

	/* Off unless asked for. */
	cfg = load_ok("[a0]\n");
	ck_assert(!cfg->ifaces[0].watch.recreate && !cfg->ifaces[0].watch.restore);
	tunecho_config_free(cfg);

	/* [global] gives the default, before or after the sections; an
	 * interface's own line wins. */
	cfg = load_ok("[a0]\n[b0]\nrecreate = no\nrestore = no\n[c0]\nrestore = yes\n"
		      "[global]\nrecreate = yes\nrestore = no\n");
	ck_assert(cfg->ifaces[0].watch.recreate && !cfg->ifaces[0].watch.restore);
	ck_assert(!cfg->ifaces[1].watch.recreate && !cfg->ifaces[1].watch.restore);
	ck_assert(cfg->ifaces[2].watch.recreate && cfg->ifaces[2].watch.restore);
	tunecho_config_free(cfg);

	check_error("[a0]\nrecreate = sometimes\n", "2: recreate: 'sometimes' is not yes or no");
	check_error("[global]\nrestore = 2\n", "2: restore: '2' is not yes or no");
	check_error("[a0]\nrestore = yes\nrestore = no\n",
		    "3: restore is given twice in this section");
}
END_TEST

static const struct {
	const char *value;
	const char *formatted;
	int family;
	unsigned local_len;
} addresses[] = {
    /* no /LEN: a host address */
    {"198.18.0.1", "198.18.0.1/32", AF_INET, 32},
    {"198.18.0.1/24", "198.18.0.1/24", AF_INET, 24},
    {"198.18.0.1/0", "198.18.0.1/0", AF_INET, 0},
    {"2001:db8::1", "2001:db8::1/128", AF_INET6, 128},
    {"2001:db8:0:1::1/64", "2001:db8:0:1::1/64", AF_INET6, 64},
    {"2001:0db8:0000::0001/127", "2001:db8::1/127", AF_INET6, 127},
    /* with a peer, the local address takes the peer's length, /32 by default */
    {"198.18.0.1 peer 198.18.0.2", "198.18.0.1 peer 198.18.0.2/32", AF_INET, 32},
    {"198.18.0.1 peer 198.18.0.2/30", "198.18.0.1 peer 198.18.0.2/30", AF_INET, 30},
    {"198.18.0.1\tpeer\t198.18.0.2", "198.18.0.1 peer 198.18.0.2/32", AF_INET, 32},
    {"198.18.0.1   peer   198.18.0.2", "198.18.0.1 peer 198.18.0.2/32", AF_INET, 32},
    {"2001:db8::1 peer 2001:db8::2", "2001:db8::1 peer 2001:db8::2/128", AF_INET6, 128},
    {"2001:db8::1 peer 2001:db8::2/64", "2001:db8::1 peer 2001:db8::2/64", AF_INET6, 64},
};

START_TEST(test_address_forms)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;
	char text[256];

	snprintf(text, sizeof(text), "[tun0]\naddress = %s\n", addresses[_i].value);
	cfg = load_ok(text);
	ic = only_iface(cfg);
	ck_assert_uint_eq(ic->n_addrs, 1);
	assert_address(&ic->addrs[0], addresses[_i].formatted, addresses[_i].family,
		       addresses[_i].local_len);
	ck_assert_uint_eq(ic->n_routes, 0);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_address_bytes)
{
	struct tunecho_config *cfg;
	const struct te_address *a;
	struct in_addr v4;
	struct in6_addr v6;

	cfg =
	    load_ok("[tun0]\naddress = 198.18.0.1 peer 198.18.0.2/31\naddress = 2001:db8::7/64\n");
	a = &only_iface(cfg)->addrs[0];
	ck_assert_int_eq(inet_pton(AF_INET, "198.18.0.1", &v4), 1);
	ck_assert_mem_eq(&a->local.addr.v4, &v4, sizeof(v4));
	ck_assert_int_eq(inet_pton(AF_INET, "198.18.0.2", &v4), 1);
	ck_assert_mem_eq(&a->peer.addr.v4, &v4, sizeof(v4));
	ck_assert_uint_eq(a->local.len, 31);
	ck_assert_uint_eq(a->peer.len, 31);
	a = &cfg->ifaces[0].addrs[1];
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::7", &v6), 1);
	ck_assert_mem_eq(&a->local.addr.v6, &v6, sizeof(v6));
	ck_assert(!a->has_peer);
	tunecho_config_free(cfg);
}
END_TEST

static const struct {
	const char *value;
	const char *formatted;
} routes[] = {
    {"198.18.128.0/24", "198.18.128.0/24"},
    {"198.18.200.7", "198.18.200.7/32"}, /* no /LEN: one host */
    {"198.18.0.0/15", "198.18.0.0/15"},
    {"0.0.0.0/0", "0.0.0.0/0"},
    {"2001:db8:0:80::/64", "2001:db8:0:80::/64"},
    {"2001:db8::42", "2001:db8::42/128"},
    {"2001:0db8:0000:0080::/64", "2001:db8:0:80::/64"},
};

START_TEST(test_route_forms)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;
	char text[256];

	snprintf(text, sizeof(text), "[tun0]\nroute = %s\n", routes[_i].value);
	cfg = load_ok(text);
	ic = only_iface(cfg);
	ck_assert_uint_eq(ic->n_routes, 1);
	assert_prefix(&ic->routes[0], routes[_i].formatted);
	ck_assert_uint_eq(ic->n_addrs, 0);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_limits)
{
	struct tunecho_config *cfg;
	char text[512];

	cfg = load_ok("[a0]\nmtu = 68\ntxqueuelen = 1\n[b0]\nmtu = 65535\ntxqueuelen = 16777216\n");
	ck_assert_uint_eq(cfg->ifaces[0].mtu, 68);
	ck_assert_uint_eq(cfg->ifaces[0].txqlen, 1);
	ck_assert_uint_eq(cfg->ifaces[1].mtu, 65535);
	ck_assert_uint_eq(cfg->ifaces[1].txqlen, 16777216);
	tunecho_config_free(cfg);

	/* IPv6 needs 1280, in either order; IPv4 alone does not */
	cfg = load_ok("[a0]\nmtu = 1280\naddress = 2001:db8::1\n"
		      "[b0]\naddress = 2001:db8::2\nmtu = 1280\n"
		      "[c0]\nmtu = 1279\naddress = 198.18.0.1\n"
		      "[d0]\naddress = 198.18.0.2\nmtu = 68\n");
	ck_assert_uint_eq(cfg->ifaces[0].mtu, 1280);
	ck_assert_uint_eq(cfg->ifaces[1].mtu, 1280);
	ck_assert_uint_eq(cfg->ifaces[2].mtu, 1279);
	ck_assert_uint_eq(cfg->ifaces[3].mtu, 68);
	tunecho_config_free(cfg);

	/* leading zeros are decimal, not octal */
	cfg = load_ok("[tun0]\nmtu = 01500\n");
	ck_assert_uint_eq(only_iface(cfg)->mtu, 1500);
	tunecho_config_free(cfg);

	/* a name of IFNAMSIZ - 1 characters, and every allowed character */
	cfg = load_ok("[abcdefghijklmno]\n[A-b_C.9]\n[0]\n[...]\n");
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 4);
	ck_assert_str_eq(cfg->ifaces[0].name, "abcdefghijklmno");
	ck_assert_str_eq(cfg->ifaces[1].name, "A-b_C.9");
	ck_assert_str_eq(cfg->ifaces[2].name, "0");
	ck_assert_str_eq(cfg->ifaces[3].name, "...");
	tunecho_config_free(cfg);

	/* the longest line: 198 characters, with or without a newline after it */
	snprintf(text, sizeof(text), "[tun0]\n;%0197d\nmtu = 1500\n", 0);
	cfg = load_ok(text);
	ck_assert_uint_eq(only_iface(cfg)->mtu, 1500);
	tunecho_config_free(cfg);
	snprintf(text, sizeof(text), "[tun0]\n;%0197d", 0);
	cfg = load_ok(text);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_layout)
{
	struct tunecho_config *cfg;
	const struct te_iface_config *ic;

	/* indentation is cosmetic: an indented key is not a continuation line */
	cfg = load_ok("[global]\n"
		      "    log-level = debug\n"
		      "    syslog = yes\n"
		      "  [tun0]\n"
		      "\taddress = 198.18.0.1\n"
		      "\tmtu = 1500\n"
		      "\troute = 198.18.128.0/24\n"
		      "\t[tun1]\n"
		      "    txqueuelen = 5\n");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_config_syslog(cfg), 1);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 2);
	ic = &cfg->ifaces[0];
	ck_assert_str_eq(ic->name, "tun0");
	ck_assert_uint_eq(ic->n_addrs, 1);
	ck_assert_uint_eq(ic->mtu, 1500);
	ck_assert_uint_eq(ic->n_routes, 1);
	ck_assert_str_eq(cfg->ifaces[1].name, "tun1");
	ck_assert_uint_eq(cfg->ifaces[1].txqlen, 5);
	tunecho_config_free(cfg);

	/* CRLF line ends, and no newline at the end */
	cfg = load_ok("[global]\r\nlog-level = notice\r\n[tun0]\r\naddress = 2001:db8::1/64\r\n"
		      "mtu = 1280");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_NOTICE);
	ic = only_iface(cfg);
	ck_assert_str_eq(ic->name, "tun0");
	assert_address(&ic->addrs[0], "2001:db8::1/64", AF_INET6, 64);
	ck_assert_uint_eq(ic->mtu, 1280);
	tunecho_config_free(cfg);

	/* a UTF-8 byte order mark before the first header */
	cfg = load_ok("\xEF\xBB\xBF[global]\nlog-level = error\n[tun0]\n");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_ERR);
	ck_assert_str_eq(only_iface(cfg)->name, "tun0");
	tunecho_config_free(cfg);

	/* [global] may come anywhere, interfaces keep their order */
	cfg = load_ok("[tun1]\n[global]\nlog-level = warning\n[tun0]\n");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_WARNING);
	ck_assert_str_eq(cfg->ifaces[0].name, "tun1");
	ck_assert_str_eq(cfg->ifaces[1].name, "tun0");
	tunecho_config_free(cfg);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Errors: exact line and text                                        */
/* ------------------------------------------------------------------ */

#define IFACE_KEYS                                                                                 \
	"(known: address, route, hosts, profile, mtu, txqueuelen, owner, group, persist, attach, " \
	"recreate, restore, mode, mac, master, announce)"
#define ADDR_FORM "address: expected \"ADDR[/LEN] [peer ADDR[/LEN]]\", got "
#define NOT_ADDR  "' is not an IPv4 or IPv6 address with optional /LEN"
#define NOT_ROUTE "' is not an IPv4 or IPv6 prefix ADDR[/LEN]"
#define BAD_CHAR  "' (use letters, digits, '-', '_' and '.')"
#define SYNTAX	  "syntax error: expected '[IFNAME]', 'key = value' or a comment"
#define AFTER_HEADER(junk, name)                                                                   \
	"unexpected '" junk "' after [" name "]: a section line holds only [NAME] and an "         \
	"optional ' ; comment'"
#define RESERVED(name)                                                                             \
	"'" name "' is a name the kernel keeps for itself (net.ipv4.conf." name                    \
	" and the like): choose another"

#define GLOBAL_KEYS                                                                                \
	"(known: log-level, syslog, busy-poll-us, user, group, seccomp, link-group, recreate, "    \
	"restore, reassembly-memory, reassembly-timeout, metrics, seed, max-delayed, mode, "       \
	"announce)"

static const struct error_case key_errors[] = {
    {"[global]\nfoo = 1\n", "2: unknown key 'foo' in [global] " GLOBAL_KEYS},
    {"[global]\nlog-level = info\nmtu = 1500\n", "3: unknown key 'mtu' in [global] " GLOBAL_KEYS},
    {"[tun0]\nadress = 198.18.0.1\n", "2: unknown key 'adress' in [tun0] " IFACE_KEYS},
    {"[tun0]\nmtu = 1500\n[tun1]\nlog-level = debug\n",
     "4: unknown key 'log-level' in [tun1] " IFACE_KEYS},
    /* keys are case-sensitive */
    {"[tun0]\nMTU = 1500\n", "2: unknown key 'MTU' in [tun0] " IFACE_KEYS},
    {"mtu = 1500\n[tun0]\n", "1: 'mtu' is outside any section: put it under [global] or [IFNAME]"},
    {"; comment\n\n# comment\nlog-level = info\n[global]\n",
     "4: 'log-level' is outside any section: put it under [global] or [IFNAME]"},
    {"[tun0]\nmtu = 1500\nmtu = 1500\n", "3: mtu is given twice in this section"},
    {"[tun0]\nmtu = 1500\naddress = 198.18.0.1\nmtu = 1400\n",
     "4: mtu is given twice in this section"},
    {"[tun0]\ntxqueuelen = 1\ntxqueuelen = 1\n", "3: txqueuelen is given twice in this section"},
    {"[tun0]\nowner = 0\nowner = root\n", "3: owner is given twice in this section"},
    {"[tun0]\ngroup = 0\ngroup = 0\n", "3: group is given twice in this section"},
    {"[tun0]\npersist = no\npersist = yes\n", "3: persist is given twice in this section"},
    {"[tun0]\nattach = no\nattach = no\n", "3: attach is given twice in this section"},
    {"[global]\nlog-level = info\nlog-level = debug\n",
     "3: log-level is given twice in this section"},
    {"[global]\nsyslog = no\nsyslog = no\n", "3: syslog is given twice in this section"},
    /* a bad first value is reported, not the repetition */
    {"[tun0]\nmtu = 1\nmtu = 1500\n", "2: mtu: '1' is not a number from 68 to 65535"},
    {"[tun0]\nmtu =\n", "2: mtu: no value given"},
    {"[tun0]\naddress = ; nothing\n", "2: address: no value given"},
    {"[global]\nlog-level = \n", "2: log-level: no value given"},
};

static const struct error_case value_errors[] = {
    {"[global]\nsyslog = maybe\n", "2: syslog: 'maybe' is not yes or no"},
    {"[global]\nseccomp = strict\n", "2: seccomp: 'strict' is not yes or no"},
    {"[global]\nbusy-poll-us = 100001\n",
     "2: busy-poll-us: '100001' is not a number from 0 to 100000"},
    {"[global]\nbusy-poll-us = -5\n", "2: busy-poll-us: '-5' is not a number from 0 to 100000"},
    {"[global]\nbusy-poll-us = 1\nbusy-poll-us = 2\n",
     "3: busy-poll-us is given twice in this section"},
    {"[tun0]\npersist = 2\n", "2: persist: '2' is not yes or no"},
    {"[tun0]\npersist = y\n", "2: persist: 'y' is not yes or no"},
    {"[tun0]\nattach = yess\n", "2: attach: 'yess' is not yes or no"},
    {"[tun0]\nattach = no no\n", "2: attach: 'no no' is not yes or no"},
    {"[global]\nlog-level = verbose\n",
     "2: log-level: 'verbose' is not one of error, warning, notice, info, debug"},
    {"[global]\nlog-level = warn\n",
     "2: log-level: 'warn' is not one of error, warning, notice, info, debug"},
    {"[tun0]\nmtu = 67\n", "2: mtu: '67' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 65536\n", "2: mtu: '65536' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = abc\n", "2: mtu: 'abc' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 1500x\n", "2: mtu: '1500x' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = -1\n", "2: mtu: '-1' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = +1500\n", "2: mtu: '+1500' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 0x5dc\n", "2: mtu: '0x5dc' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 1 500\n", "2: mtu: '1 500' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 99999999999999999999999\n",
     "2: mtu: '99999999999999999999999' is not a number from 68 to 65535"},
    /* '#' is a comment only at the start of a line, ';' inline only after a blank */
    {"[tun0]\nmtu = 1500 # jumbo later\n",
     "2: mtu: '1500 # jumbo later' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 1500;x\n", "2: mtu: '1500;x' is not a number from 68 to 65535"},
    {"[tun0]\ntxqueuelen = 0\n", "2: txqueuelen: '0' is not a number from 1 to 16777216"},
    {"[tun0]\ntxqueuelen = 16777217\n",
     "2: txqueuelen: '16777217' is not a number from 1 to 16777216"},
    {"[tun0]\ntxqueuelen = -5\n", "2: txqueuelen: '-5' is not a number from 1 to 16777216"},
    {"[tun0]\nowner = no-such-user-te\n",
     "2: owner: no user 'no-such-user-te' (give a user name or a numeric uid)"},
    {"[tun0]\nowner = -1\n", "2: owner: no user '-1' (give a user name or a numeric uid)"},
    {"[tun0]\ngroup = no-such-group-te\n",
     "2: group: no group 'no-such-group-te' (give a group name or a numeric gid)"},
    {"[tun0]\nowner = root\ngroup = nogroup-te\n",
     "3: group: no group 'nogroup-te' (give a group name or a numeric gid)"},
    /* IPv6 needs an MTU of 1280, whichever comes first */
    {"[tun0]\nmtu = 1279\naddress = 2001:db8::1\n",
     "3: address: IPv6 needs an mtu of at least 1280, tun0 has 1279"},
    {"[tun0]\naddress = 198.18.0.1\naddress = 2001:db8::1/64\nmtu = 1279\n",
     "4: mtu: IPv6 needs at least 1280, and tun0 has an IPv6 address"},
};

static const struct error_case address_errors[] = {
    {"[tun0]\naddress = garbage\n", "2: address: 'garbage" NOT_ADDR},
    {"[tun0]\naddress = 1.2.3\n", "2: address: '1.2.3" NOT_ADDR},
    {"[tun0]\naddress = 1.2.3.4/33\n", "2: address: '1.2.3.4/33" NOT_ADDR},
    {"[tun0]\naddress = 1.2.3.4/\n", "2: address: '1.2.3.4/" NOT_ADDR},
    {"[tun0]\naddress = 1.2.3.4/-1\n", "2: address: '1.2.3.4/-1" NOT_ADDR},
    {"[tun0]\naddress = 1.2.3.4/24x\n", "2: address: '1.2.3.4/24x" NOT_ADDR},
    {"[tun0]\naddress = 2001:db8::1/129\n", "2: address: '2001:db8::1/129" NOT_ADDR},
    {"[tun0]\naddress = 2001:db8:::1\n", "2: address: '2001:db8:::1" NOT_ADDR},
    {"[tun0]\naddress = 1.2.3.4 peer\n", "2: " ADDR_FORM "'1.2.3.4 peer'"},
    {"[tun0]\naddress = 1.2.3.4 pier 1.2.3.5\n", "2: " ADDR_FORM "'1.2.3.4 pier 1.2.3.5'"},
    {"[tun0]\naddress = 1.2.3.4 PEER 1.2.3.5\n", "2: " ADDR_FORM "'1.2.3.4 PEER 1.2.3.5'"},
    {"[tun0]\naddress = 1.2.3.4 1.2.3.5\n", "2: " ADDR_FORM "'1.2.3.4 1.2.3.5'"},
    {"[tun0]\naddress = 1.2.3.4 peer 1.2.3.5 peer 1.2.3.6\n",
     "2: " ADDR_FORM "'1.2.3.4 peer 1.2.3.5 peer 1.2.3.6'"},
    {"[tun0]\naddress = 198.18.0.1 peer bogus\n", "2: address: peer 'bogus" NOT_ADDR},
    {"[tun0]\naddress = 198.18.0.1 peer 198.18.0.2/33\n",
     "2: address: peer '198.18.0.2/33" NOT_ADDR},
    {"[tun0]\naddress = 198.18.0.1 peer 2001:db8::2\n",
     "2: address: 198.18.0.1 and its peer 2001:db8::2 are not of the same family"},
    {"[tun0]\naddress = 2001:db8::1 peer 198.18.0.2/32\n",
     "2: address: 2001:db8::1 and its peer 198.18.0.2/32 are not of the same family"},
    {"[tun0]\naddress = 198.18.0.1/24 peer 198.18.0.2\n",
     "2: address: with a peer, the prefix length belongs on the peer (ADDR peer ADDR/LEN)"},
    {"[tun0]\naddress = 2001:db8::1/64 peer 2001:db8::2/64\n",
     "2: address: with a peer, the prefix length belongs on the peer (ADDR peer ADDR/LEN)"},
    /* the same local address twice on one interface, whatever its length or spelling */
    {"[tun0]\naddress = 198.18.0.1\naddress = 198.18.0.1/24\n",
     "3: address: 198.18.0.1/24 is given twice for tun0"},
    {"[tun0]\naddress = 198.18.0.1 peer 198.18.0.2\nmtu = 1500\naddress = 198.18.0.1\n",
     "4: address: 198.18.0.1 is given twice for tun0"},
    {"[tun0]\naddress = 2001:db8::1/64\naddress = 2001:0db8:0::1\n",
     "3: address: 2001:0db8:0::1 is given twice for tun0"},
};

static const struct error_case route_errors[] = {
    {"[tun0]\nroute = nonsense\n", "2: route: 'nonsense" NOT_ROUTE},
    {"[tun0]\nroute = 198.18.128.0/33\n", "2: route: '198.18.128.0/33" NOT_ROUTE},
    {"[tun0]\nroute = 2001:db8::/129\n", "2: route: '2001:db8::/129" NOT_ROUTE},
    {"[tun0]\nroute = 198.18.128.0/24 198.18.129.0/24\n",
     "2: route: '198.18.128.0/24 198.18.129.0/24" NOT_ROUTE},
    {"[tun0]\nroute = 198.18.128.1/24\n",
     "2: route: '198.18.128.1/24' has host bits set; did you mean 198.18.128.0/24?"},
    {"[tun0]\nroute = 198.18.129.0/23\n",
     "2: route: '198.18.129.0/23' has host bits set; did you mean 198.18.128.0/23?"},
    {"[tun0]\nroute = 198.18.0.1/0\n",
     "2: route: '198.18.0.1/0' has host bits set; did you mean 0.0.0.0/0?"},
    {"[tun0]\nroute = 2001:db8:0:80::1/64\n",
     "2: route: '2001:db8:0:80::1/64' has host bits set; did you mean 2001:db8:0:80::/64?"},
    {"[a0]\nroute = 198.18.128.0/24\n[b0]\nroute = 198.18.128.0/24\n",
     "4: route: 198.18.128.0/24 is already routed to a0"},
    {"[a0]\nroute = 2001:db8:0:80::/64\n[b0]\n[c0]\nmtu = 1500\nroute = 2001:db8:0:80:0::/64\n",
     "6: route: 2001:db8:0:80:0::/64 is already routed to a0"},
    {"[a0]\nroute = 198.18.128.0/24\nroute = 198.18.128.0/24\n",
     "3: route: 198.18.128.0/24 is already routed to a0"},
};

static const struct error_case section_errors[] = {
    {"[tun0]\n[tun1]\n[tun0]\n", "3: interface tun0 is given twice"},
    {"[tun0]\naddress = 198.18.0.1\n\n; again\n[tun0]\naddress = 198.18.0.2\n",
     "5: interface tun0 is given twice"},
    {"[global]\n[tun0]\n[global]\n", "3: section [global] given twice"},
    {"[global]\nlog-level = info\n\n[global]\nsyslog = no\n", "4: section [global] given twice"},
    {"[abcdefghijklmnop]\n", "1: interface name 'abcdefghijklmnop' is longer than 15 characters"},
    {"[global]\n[a-very-long-interface-name]\n",
     "2: interface name 'a-very-long-interface-name' is longer than 15 characters"},
    {"[tun/0]\n", "1: interface name 'tun/0' has an invalid character '/" BAD_CHAR},
    {"[tun 0]\n", "1: interface name 'tun 0' has an invalid character ' " BAD_CHAR},
    {"[tun:0]\n", "1: interface name 'tun:0' has an invalid character ':" BAD_CHAR},
    {"[.]\n", "1: '.' is not a valid interface name"},
    {"[..]\n", "1: '..' is not a valid interface name"},
    {"[]\n", "1: empty section name: name the interface, e.g. [tun0]"},
    {"[global]\nsyslog = no\n[]\nmtu = 1500\n",
     "3: empty section name: name the interface, e.g. [tun0]"},
    /* a header line holds the header and at most a comment */
    {"[te0] junk\naddress = 198.18.0.1\n", "1: " AFTER_HEADER("junk", "te0")},
    {"[te0]]\n", "1: " AFTER_HEADER("]", "te0")},
    {"[te0]\n[te1];x\n", "2: " AFTER_HEADER(";x", "te1")},
    {"[global] log-level = debug\n", "1: " AFTER_HEADER("log-level = debug", "global")},
    /* names the kernel keeps for itself (/proc/sys/net/ipv4/conf/all, .../default) */
    {"[all]\n", "1: " RESERVED("all")},
    {"[te0]\n[default]\naddress = 198.18.0.1\n", "2: " RESERVED("default")},
};

static const struct error_case syntax_errors[] = {
    {"[tun0]\nmtu 1500\n", "2: " SYNTAX},
    {"[tun0]\naddress\n", "2: " SYNTAX},
    {"[tun0\nmtu = 1500\n", "1: " SYNTAX},
    {"[global]\nlog-level = info\n\n[tun0]\n198.18.0.1\n", "5: " SYNTAX},
    /* no continuation lines: an indented value is a line of its own */
    {"[tun0]\nroute = 198.18.128.0/24\n    198.18.129.0/24\n", "3: " SYNTAX},
};

/* @n copies of @c, as a string, into @buf */
static char *fill(char *buf, char c, size_t n)
{
	memset(buf, c, n);
	buf[n] = '\0';
	return buf;
}

/* Over 198 characters, whatever the line holds, last line or not. */
START_TEST(test_long_lines)
{
	char text[2048], x[1024];

	snprintf(text, sizeof(text), "[tun0]\n;%s\nmtu = 1500\n", fill(x, 'x', 198));
	check_error(text, "2: line is longer than 198 characters");
	snprintf(text, sizeof(text), "[tun0]\nmtu = 1500\n;%s", fill(x, 'x', 198));
	check_error(text, "3: line is longer than 198 characters");
	snprintf(text, sizeof(text), "[tun0]\n;%s\n", fill(x, 'x', 1000));
	check_error(text, "2: line is longer than 198 characters");
	/* a key with a long comment */
	snprintf(text, sizeof(text), "[tun0]\n\naddress = 198.18.0.1 ; %s\n", fill(x, 'x', 176));
	check_error(text, "3: line is longer than 198 characters");
	/* leading blanks count */
	snprintf(text, sizeof(text), "[tun0]\n%smtu = 1500\n", fill(x, ' ', 189));
	check_error(text, "2: line is longer than 198 characters");
	/* a header */
	snprintf(text, sizeof(text), "[%s]\n", fill(x, 'a', 197));
	check_error(text, "1: line is longer than 198 characters");
}
END_TEST

/* Several errors: the first one in the file is the one reported. */
static const struct error_case first_errors[] = {
    {"[tun0]\nmtu = 1\nfoo = 2\n[tun0]\n", "2: mtu: '1' is not a number from 68 to 65535"},
    {"[tun0]\nfoo = 2\nmtu = 1\n", "2: unknown key 'foo' in [tun0] " IFACE_KEYS},
    {"[tun0]\nbogus line\nmtu = 1\n", "2: " SYNTAX},
    {"[tun0]\nmtu = 1\nbogus line\n", "2: mtu: '1' is not a number from 68 to 65535"},
    {"[tun0]\nmtu = 1500\nbogus line\nanother bogus line\n", "3: " SYNTAX},
    {"[tun/0]\nmtu = 1\n", "1: interface name 'tun/0' has an invalid character '/" BAD_CHAR},
    {"[tun0]\n[tun0]\n[tun0]\n", "2: interface tun0 is given twice"},
    {"[tun0]\naddress = 2001:db8::1\nmtu = 1000\nroute = 1.2.3.4/8\n",
     "3: mtu: IPv6 needs at least 1280, and tun0 has an IPv6 address"},
};

#define ERROR_TEST(table)                                                                          \
	START_TEST(test_##table)                                                                   \
	{                                                                                          \
		check_error(table[_i].text, table[_i].err);                                        \
	}                                                                                          \
	END_TEST

ERROR_TEST(key_errors)
ERROR_TEST(value_errors)
ERROR_TEST(address_errors)
ERROR_TEST(route_errors)
ERROR_TEST(section_errors)
ERROR_TEST(syntax_errors)
ERROR_TEST(first_errors)

/* ------------------------------------------------------------------ */
/* Files and the API's edges                                          */
/* ------------------------------------------------------------------ */

START_TEST(test_file_ok)
{
	struct tunecho_config *cfg = NULL;
	char path[64], err[512] = "";

	write_temp(path, sizeof(path),
		   "[global]\nlog-level = debug\n[tun0]\naddress = 198.18.0.1\n");
	ck_assert_int_eq(tunecho_config_load_file(&cfg, path, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_DEBUG);
	ck_assert_str_eq(only_iface(cfg)->name, "tun0");
	tunecho_config_free(cfg);
	unlink(path);
}
END_TEST

START_TEST(test_file_error)
{
	struct tunecho_config *cfg = &untouched;
	char path[64], err[512], want[600], text[512], x[256];

	write_temp(path, sizeof(path),
		   "[global]\nlog-level = info\n\n[tun0]\naddress = 198.18.0.1\nmtu = 10\n");
	ck_assert_int_eq(tunecho_config_load_file(&cfg, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_eq(cfg, &untouched);
	snprintf(want, sizeof(want), "%s:6: mtu: '10' is not a number from 68 to 65535", path);
	ck_assert_str_eq(err, want);
	unlink(path);

	/* the line limit counts the same from a file */
	snprintf(text, sizeof(text), "[tun0]\n;%s\n", fill(x, 'x', 198));
	write_temp(path, sizeof(path), text);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_eq(cfg, &untouched);
	snprintf(want, sizeof(want), "%s:2: line is longer than 198 characters", path);
	ck_assert_str_eq(err, want);
	unlink(path);
}
END_TEST

START_TEST(test_file_missing)
{
	struct tunecho_config *cfg = &untouched;
	const char *path = "/nonexistent-tunecho-test/tunecho.conf";
	char err[512];

	ck_assert_int_eq(tunecho_config_load_file(&cfg, path, err, sizeof(err)), -ENOENT);
	ck_assert_ptr_eq(cfg, &untouched);
	ck_assert_str_eq(err, "/nonexistent-tunecho-test/tunecho.conf: No such file or directory");

	/* a directory is not read as an empty configuration */
	ck_assert_int_eq(tunecho_config_load_file(&cfg, "/", err, sizeof(err)), -EISDIR);
	ck_assert_ptr_eq(cfg, &untouched);
	ck_assert_str_eq(err, "/: Is a directory");
}
END_TEST

/* Write @len bytes of @text (NULs and all) to a new temporary file. */
static void write_temp_bytes(char *path, size_t size, const char *text, size_t len)
{
	int fd;

	snprintf(path, size, "/tmp/test-config-XXXXXX");
	fd = mkstemp(path);
	ck_assert_msg(fd >= 0, "mkstemp: %s", strerror(errno));
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

#define BYTES(lit) lit, sizeof(lit) - 1

/* A NUL byte ends a C string, and with it what libinih sees of a line. */
static const struct {
	const char *text;
	size_t len;
	int line;
} nul_files[] = {
    /* would be served as a /32 without its peer */
    {BYTES("[te0]\naddress = 198.18.0.1\0 peer 198.18.0.2\n"), 2},
    /* would merge te1's keys into te0 */
    {BYTES("[te0]\naddress = 198.18.0.1\n\0[te1]\naddress = 198.18.0.5\n"), 3},
    {BYTES("\0"), 1},
    {BYTES("[te0]\n; a comment\0\n"), 2},
    {BYTES("[te0]\nmtu = 1500\n\0"), 3},
};

START_TEST(test_file_nul_bytes)
{
	struct tunecho_config *cfg = &untouched;
	char path[64], err[512], want[600];

	write_temp_bytes(path, sizeof(path), nul_files[_i].text, nul_files[_i].len);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_eq(cfg, &untouched);
	snprintf(want, sizeof(want), "%s:%d: a NUL byte: this is not a text file", path,
		 nul_files[_i].line);
	ck_assert_str_eq(err, want);
	unlink(path);
}
END_TEST

/*
 * Only a regular file is a configuration: a FIFO would block the open (and
 * a reload with it), /dev/zero would be read for ever. Each is refused at
 * once, without reading a byte.
 */
START_TEST(test_file_not_regular)
{
	struct tunecho_config *cfg = &untouched;
	char dir[] = "/tmp/test-config-XXXXXX", fifo[64], want[600], err[512];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, fifo, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s: a FIFO, not a regular file: a configuration must be one",
		 fifo);
	ck_assert_str_eq(err, want);
	/* with a writer that never writes, too */
	fd = open(fifo, O_RDWR | O_NONBLOCK);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, fifo, err, sizeof(err)), -EINVAL);
	close(fd);
	unlink(fifo);
	rmdir(dir);

	ck_assert_int_eq(tunecho_config_load_file(&cfg, "/dev/zero", err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "/dev/zero: a character device, not a regular file: a "
			      "configuration must be one");
	ck_assert_int_eq(tunecho_config_load_file(&cfg, "/dev/null", err, sizeof(err)), -EINVAL);
	ck_assert_ptr_eq(cfg, &untouched);
}
END_TEST

/* Bigger than TE_CONFIG_MAX_BYTES (16 MiB): refused before it is read. */
START_TEST(test_file_too_big)
{
	struct tunecho_config *cfg = &untouched;
	char path[64], err[512], want[600];
	int fd;

	write_temp(path, sizeof(path), "[te0]\n");
	fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, TE_CONFIG_MAX_BYTES + 1), 0);
	close(fd);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, path, err, sizeof(err)), -EFBIG);
	ck_assert_ptr_eq(cfg, &untouched);
	snprintf(want, sizeof(want),
		 "%s: 16777217 bytes: a configuration may be at most 16 MiB (16777216 bytes)",
		 path);
	ck_assert_str_eq(err, want);
	unlink(path);
}
END_TEST

START_TEST(test_out_untouched)
{
	struct tunecho_config *cfg = NULL;
	char err[64];

	/* the documented case: a NULL pointer stays NULL */
	ck_assert_int_eq(tunecho_config_load_string(&cfg, "[tun0]\nmtu = 1\n", err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_null(cfg);
	ck_assert_int_eq(
	    tunecho_config_load_file(&cfg, "/nonexistent-tunecho-test/x", err, sizeof(err)),
	    -ENOENT);
	ck_assert_ptr_null(cfg);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct tunecho_config *cfg = &untouched;
	char err[64] = "unchanged";

	ck_assert_int_eq(tunecho_config_load_string(NULL, "", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tunecho_config_load_string(&cfg, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tunecho_config_load_file(NULL, "/dev/null", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, NULL, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_eq(cfg, &untouched);
}
END_TEST

START_TEST(test_error_buffer)
{
	struct tunecho_config *cfg = NULL;
	char err[8];

	/* truncated, and still a string */
	memset(err, 'x', sizeof(err));
	ck_assert_int_eq(tunecho_config_load_string(&cfg, "[global]\nfoo = 1\n", err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "2: unkn");

	/* no buffer at all */
	ck_assert_int_eq(tunecho_config_load_string(&cfg, "[global]\nfoo = 1\n", NULL, 0), -EINVAL);
	ck_assert_int_eq(tunecho_config_load_file(&cfg, "/nonexistent-tunecho-test/x", NULL, 0),
			 -ENOENT);
	ck_assert_ptr_null(cfg);

	/* success leaves it alone */
	fill(err, 'x', sizeof(err) - 1);
	ck_assert_int_eq(tunecho_config_load_string(&cfg, "[tun0]\n", err, sizeof(err)), 0);
	ck_assert_str_eq(err, "xxxxxxx");
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_accessors)
{
	struct tunecho_config *cfg;

	tunecho_config_free(NULL);
	ck_assert_int_eq(tunecho_config_log_level(NULL), TUNECHO_LOG_INFO);
	ck_assert_int_eq(tunecho_config_syslog(NULL), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(NULL), 0);

	cfg = load_ok("[global]\nlog-level = debug\nsyslog = yes\n[a0]\n[b0]\n");
	ck_assert_int_eq(tunecho_config_log_level(cfg), TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_config_syslog(cfg), 1);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 2);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_settings_match_the_file_form)
{
	static const char *const addrs[] = {"198.18.0.5 peer 198.18.0.6", "2001:db8:0:2::1/64",
					    NULL};
	static const char *const prefixes[] = {"198.18.128.0/24", "2001:db8:0:80::/64", NULL};
	const struct tunecho_iface_settings s = {
	    .name = "te2",
	    .addresses = addrs,
	    .routes = prefixes,
	    .mtu = 1500,
	    .txqueuelen = 1000,
	    .owner = "0",
	    .group = "root",
	    .persist = 1,
	    .recreate = 1,
	};
	struct tunecho_config *built = NULL, *parsed;
	const struct te_iface_config *a, *b;
	char err[200];

	parsed = load_ok("[te2]\naddress = 198.18.0.5 peer 198.18.0.6\n"
			 "address = 2001:db8:0:2::1/64\nroute = 198.18.128.0/24\n"
			 "route = 2001:db8:0:80::/64\nmtu = 1500\ntxqueuelen = 1000\n"
			 "owner = 0\ngroup = root\npersist = yes\nrecreate = yes\n");
	ck_assert_int_eq(tunecho_config_new(&built), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(built), 0);
	ck_assert_int_eq(tunecho_config_log_level(built), TUNECHO_LOG_INFO);
	ck_assert_int_eq(tunecho_config_add_iface(built, &s, sizeof(s), err, sizeof(err)), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(built), 1);
	a = &built->ifaces[0];
	b = &parsed->ifaces[0];
	ck_assert_str_eq(a->name, b->name);
	ck_assert_uint_eq(a->n_addrs, b->n_addrs);
	ck_assert_mem_eq(a->addrs, b->addrs, a->n_addrs * sizeof(*a->addrs));
	ck_assert_uint_eq(a->n_routes, b->n_routes);
	ck_assert_mem_eq(a->routes, b->routes, a->n_routes * sizeof(*a->routes));
	ck_assert_uint_eq(a->mtu, b->mtu);
	ck_assert_uint_eq(a->txqlen, b->txqlen);
	ck_assert_int_eq(a->owner, b->owner);
	ck_assert_int_eq(a->group, b->group);
	ck_assert_int_eq(a->persist, b->persist);
	ck_assert_int_eq(a->attach, b->attach);
	ck_assert_int_eq(a->watch.recreate, b->watch.recreate);
	ck_assert_int_eq(a->watch.restore, b->watch.restore);
	tunecho_config_free(built);
	tunecho_config_free(parsed);
}
END_TEST

START_TEST(test_settings_errors_leave_the_config_unchanged)
{
	static const char *const bad_addr[] = {"198.18.0.1", "198.18.0.300", NULL};
	static const char *const bad_route[] = {"198.18.128.1/24", NULL};
	struct tunecho_config *cfg = NULL;
	struct tunecho_iface_settings s = {.name = "te0"};
	char err[200];

	ck_assert_int_eq(tunecho_config_new(&cfg), 0);
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), 0);
	/* The same name twice. */
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "interface te0 is given twice");
	s.name = "te1";
	s.addresses = bad_addr;
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "address: '198.18.0.300' is not an IPv4 or IPv6 address with "
			      "optional /LEN");
	s.addresses = NULL;
	s.routes = bad_route;
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "route: '198.18.128.1/24' has host bits set; did you mean "
			      "198.18.128.0/24?");
	s.routes = NULL;
	s.mtu = 40;
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "mtu: '40' is not a number from 68 to 65535");
	s.mtu = 0;
	s.owner = "no-such-user-here";
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "owner: no user 'no-such-user-here' (give a user name or a numeric "
			      "uid)");
	s.owner = NULL;
	s.name = "global";
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "'global' is not an interface name");
	s.name = "a-name-too-long-";
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	/* None of the failures left a half-added interface behind. */
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 1);
	s.name = "te1";
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), NULL, 0), 0);
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 2);
	ck_assert_int_eq(tunecho_config_add_iface(cfg, NULL, 0, NULL, 0), -EINVAL);
	ck_assert_int_eq(tunecho_config_add_iface(NULL, &s, sizeof(s), NULL, 0), -EINVAL);
	/* Those, too, say what is wrong (issue 17). */
	ck_assert_int_eq(tunecho_config_add_iface(NULL, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no configuration given (cfg is NULL)");
	ck_assert_int_eq(tunecho_config_add_iface(cfg, NULL, 0, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no settings given (s is NULL, or size too small)");
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s.name) - 1, err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "no settings given (s is NULL, or size too small)");
	s.name = NULL;
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "the settings name no interface (name is NULL)");
	s.name = "all";
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, RESERVED("all"));
	ck_assert_uint_eq(tunecho_config_iface_count(cfg), 2);
	ck_assert_int_eq(tunecho_config_new(NULL), -EINVAL);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_global_user_and_group)
{
	struct tunecho_config *cfg;
	uint32_t uid = 7, gid = 7;
	char err[256];

	cfg = load_ok("[global]\n");
	ck_assert_int_eq(tunecho_config_user(cfg, &uid, &gid), 0);
	ck_assert_uint_eq(uid, 7);
	tunecho_config_free(cfg);

	/* A name: its uid and its primary group. */
	cfg = load_ok("[global]\nuser = nobody\n");
	ck_assert_int_eq(tunecho_config_user(cfg, &uid, &gid), 1);
	ck_assert_uint_eq(uid, 65534);
	ck_assert_uint_eq(gid, 65534);
	tunecho_config_free(cfg);

	/* group wins over the primary group, by name or number. */
	cfg = load_ok("[global]\ngroup = root\nuser = 65534\n");
	ck_assert_int_eq(tunecho_config_user(cfg, &uid, &gid), 1);
	ck_assert_uint_eq(uid, 65534);
	ck_assert_uint_eq(gid, 0);
	tunecho_config_free(cfg);

	cfg = load_ok("[global]\nuser = 54321\ngroup = 54322\n");
	ck_assert_int_eq(tunecho_config_user(cfg, &uid, &gid), 1);
	ck_assert_uint_eq(uid, 54321);
	ck_assert_uint_eq(gid, 54322);
	tunecho_config_free(cfg);

	/* A uid nobody knows has no primary group to fall back on. */
	ck_assert_int_eq(tunecho_config_load_string(&cfg,
						    "[global]\nlog-level = info\nuser = "
						    "54321\n[te0]\n",
						    err, sizeof(err)),
			 -EINVAL);
	ck_assert_str_eq(err, "3: user: uid 54321 is not in the user database, so its group is "
			      "unknown: set group in [global] too");
	check_error("[global]\nuser = no-such-user-here\n",
		    "2: user: no user 'no-such-user-here' (give a user name or a numeric uid)");
	check_error("[global]\ngroup = no-such-group-here\n",
		    "2: group: no group 'no-such-group-here' (give a group name or a numeric gid)");
	check_error("[global]\nuser = nobody\nuser = root\n",
		    "3: user is given twice in this section");
	/* group alone would change nothing: tunecho stays root without user */
	check_error("[global]\nlog-level = info\ngroup = root\n[te0]\n",
		    "3: group: only with user in [global] (without user tunecho stays root, "
		    "whatever the group)");
	check_error("[te0]\n[global]\ngroup = 0\n",
		    "3: group: only with user in [global] (without user tunecho stays root, "
		    "whatever the group)");
	ck_assert_int_eq(tunecho_config_user(NULL, &uid, &gid), 0);
}
END_TEST

/*
 * Duplicates are found with a hash, not by comparing every line with
 * every other one: 200k addresses and 50k routes load in well under a
 * second (quadratic, they took minutes). A guard on the complexity, with
 * a margin of some hundred times: the Check timeout of this case.
 */
START_TEST(test_many_addresses_and_routes_load_in_linear_time)
{
	enum { ADDRS = 200000, ROUTES = 50000 };
	size_t size = (size_t)(ADDRS + ROUTES) * 48 + 64, len = 0;
	char *text = malloc(size), err[512];
	struct tunecho_config *cfg = NULL;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, size - len, "[te0]\n");
	for (int i = 0; i < ADDRS; i++)
		len += (size_t)snprintf(text + len, size - len, "address = 2001:db8:%x:%x::1/64\n",
					i >> 16, i & 0xffff);
	len += (size_t)snprintf(text + len, size - len, "[te1]\n");
	for (int i = 0; i < ROUTES; i++)
		len += (size_t)snprintf(text + len, size - len, "route = 198.18.%d.%d/32\n", i >> 8,
					i & 0xff);
	cfg = load_ok(text);
	ck_assert_uint_eq(cfg->ifaces[0].n_addrs, ADDRS);
	ck_assert_uint_eq(cfg->ifaces[1].n_routes, ROUTES);
	tunecho_config_free(cfg);

	/* and a duplicate at the very end is still found, on its line */
	snprintf(text + len, size - len, "address = 198.18.0.1\nroute = 198.18.0.7/32\n");
	cfg = &untouched;
	ck_assert_int_eq(tunecho_config_load_string(&cfg, text, err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "250004: route: 198.18.0.7/32 is already routed to te1");
	free(text);
}
END_TEST

/* Profiles (issue 15): sections, references from every carrier, globals. */
START_TEST(test_profiles)
{
	struct tunecho_config *cfg =
	    load_ok("[global]\n"
		    "seed = 18446744073709551615\n"
		    "max-delayed = 1000\n"
		    "[tun0]\n"
		    "profile = wan\n"
		    "address = 198.18.0.1/24 profile off\n"
		    "address = 198.18.1.1 peer 198.18.2.0/24 profile gone\n"
		    "route = 198.18.128.0/24 profile wan\n"
		    "route = 2001:db8:1::/48   profile   off  \n"
		    "hosts = 198.18.128.7 profile off\n"
		    "hosts = 198.18.3.0/24\n"
		    "[profile:wan]\n"
		    "delay = 30ms\n"
		    "jitter = 5ms\n"
		    "ttl = 128\n"
		    "[profile:off]\n"
		    "down = yes\n"
		    "[profile:gone]\n"
		    "unreachable = yes\n"
		    "[profile:unused]\n"
		    "[tun1]\n"
		    "route = 198.18.200.0/24\n");
	const struct te_iface_config *ic = &cfg->ifaces[0];

	ck_assert(cfg->seed_given);
	ck_assert_uint_eq(cfg->seed, UINT64_MAX);
	ck_assert_uint_eq(cfg->max_delayed, 1000);
	ck_assert_uint_eq(cfg->n_profiles, 4);
	ck_assert_uint_eq(cfg->n_ifaces, 2);
	/* Only the profiles it uses, its own first. */
	ck_assert_uint_eq(ic->n_profiles, 3);
	ck_assert_int_eq(ic->profile, 0);
	ck_assert_str_eq(ic->profile_names[0], "wan");
	ck_assert_uint_eq(ic->profiles[0].delay_ns, 30000000u);
	ck_assert_uint_eq(ic->profiles[0].ttl, 128);
	ck_assert_uint_eq(ic->n_addrs, 2);
	ck_assert_uint_eq(ic->n_routes, 2);
	ck_assert_uint_eq(ic->n_hosts, 2);
	assert_prefix(&ic->hosts[0], "198.18.128.7/32");
	assert_prefix(&ic->hosts[1], "198.18.3.0/24");
	assert_prefix(&ic->routes[1], "2001:db8:1::/48");
	ck_assert_uint_eq(ic->n_prefs, 5);
	assert_prefix(&ic->prefs[0].prefix, "198.18.0.0/24");
	ck_assert_str_eq(ic->profile_names[ic->prefs[0].profile], "off");
	ck_assert(ic->profiles[ic->prefs[0].profile].down);
	assert_prefix(&ic->prefs[1].prefix, "198.18.2.0/24");
	ck_assert_str_eq(ic->profile_names[ic->prefs[1].profile], "gone");
	assert_prefix(&ic->prefs[2].prefix, "198.18.128.0/24");
	ck_assert_uint_eq(ic->prefs[2].profile, 0);
	assert_prefix(&ic->prefs[3].prefix, "2001:db8:1::/48");
	assert_prefix(&ic->prefs[4].prefix, "198.18.128.7/32");
	ck_assert_int_eq(ic->prefs[4].line, 10);
	ck_assert_uint_eq(cfg->ifaces[1].n_profiles, 0);
	ck_assert_int_eq(cfg->ifaces[1].profile, -1);
	tunecho_config_free(cfg);

	cfg = load_ok("[tun0]\naddress = 198.18.0.1/24\n");
	ck_assert(!cfg->seed_given);
	ck_assert_uint_eq(cfg->max_delayed, 0);
	ck_assert_int_eq(cfg->ifaces[0].profile, -1);
	ck_assert_uint_eq(cfg->ifaces[0].n_prefs, 0);
	tunecho_config_free(cfg);
}
END_TEST

/* The copy an interface keeps holds its profiles too. */
START_TEST(test_profiles_copy)
{
	struct tunecho_config *cfg = load_ok("[tun0]\nprofile = p\nhosts = 198.18.0.7 profile p\n"
					     "[profile:p]\nloss = 2% burst 4\n");
	struct te_iface_config c;

	ck_assert_int_eq(te_iface_config_copy(&c, &cfg->ifaces[0]), 0);
	tunecho_config_free(cfg);
	ck_assert_uint_eq(c.n_profiles, 1);
	ck_assert_str_eq(c.profile_names[0], "p");
	ck_assert_uint_eq(c.profiles[0].loss_ppb, 20000000u);
	ck_assert_uint_eq(c.n_hosts, 1);
	ck_assert_uint_eq(c.n_prefs, 1);
	assert_prefix(&c.prefs[0].prefix, "198.18.0.7/32");
	te_iface_config_clear(&c);
}
END_TEST

static const struct error_case profile_errors[] = {
    {"[tun0]\nprofile = nope\n", "2: no profile 'nope': define it in a [profile:nope] section"},
    {"[tun0]\nroute = 198.18.1.0/24 profile x\n[tun1]\nprofile = x\n",
     "2: no profile 'x': define it in a [profile:x] section"},
    {"[profile:a]\ndelay = 11s\n", NULL /* te_profile_set's own text, after "2: " */},
    {"[profile:a]\nbogus = 1\n", NULL},
    {"[profile:a]\ndelay = 1ms\ndelay = 2ms\n", "3: delay is given twice in this section"},
    {"[profile:a]\n[profile:a]\n", "2: section [profile:a] given twice (first on line 1)"},
    {"[profile:]\n", "1: profile name '' is empty or longer than 63 characters"},
    {"[profile:a b]\n",
     "1: profile name 'a b' has an invalid character ' ' (use letters, digits, '-', '_' and "
     "'.')"},
    {"[tun0]\nprofile = a\nprofile = a\n[profile:a]\n",
     "3: profile is given twice in this section"},
    {"[tun0]\nroute = profile a\n[profile:a]\n",
     "2: route: 'profile a' names a profile but no prefix"},
    {"[tun0]\nroute = 198.18.1.0/24 profile\n",
     "2: route: '198.18.1.0/24 profile' is not an IPv4 or IPv6 prefix ADDR[/LEN]"},
    {"[tun0]\nhosts = 198.18.1.1/24\n", "2: hosts: '198.18.1.1/24' has host bits set"},
    {"[tun0]\nhosts = nowhere profile a\n[profile:a]\n",
     "2: hosts: 'nowhere' is not an IPv4 or IPv6 address or prefix ADDR[/LEN]"},
    {"[tun0]\nroute = 198.18.1.0/24 profile a\nhosts = 198.18.1.0/24 profile b\n"
     "[profile:a]\n[profile:b]\n",
     "3: 198.18.1.0/24 has profile a already (line 2): one profile a prefix"},
    {"[tun0]\nhosts = 198.18.2.0/24 profile b\nroute = 198.18.1.0/24 profile a\n"
     "hosts = 198.18.3.0/24 profile b\nhosts = 198.18.1.0/24 profile a\n"
     "hosts = 198.18.2.0/24 profile a\nhosts = 198.18.1.0/24 profile b\n[profile:a]\n"
     "[profile:b]\n",
     "6: 198.18.2.0/24 has profile b already (line 2): one profile a prefix"},
    {"[global]\nseed = -1\n", "2: seed: '-1' is not a number from 0 to 18446744073709551615"},
    {"[global]\nseed = 18446744073709551616\n",
     "2: seed: '18446744073709551616' is not a number from 0 to 18446744073709551615"},
    {"[global]\nmax-delayed = 0\n", "2: max-delayed: '0' is not a number from 1 to 10000000"},
    {"[global]\nmax-delayed = 10000001\n",
     "2: max-delayed: '10000001' is not a number from 1 to 10000000"},
};

START_TEST(test_profile_errors)
{
	const struct error_case *c = &profile_errors[_i];
	char want[512];

	if (c->err) {
		check_error(c->text, c->err);
		return;
	}
	/* The profile parser's message, prefixed with the line. */
	{
		struct te_profile p;
		char msg[200];
		const char *kv = strchr(c->text, '\n') + 1;
		char key[32], value[32];

		ck_assert_int_eq(sscanf(kv, "%31s = %31s", key, value), 2);
		te_profile_defaults(&p);
		ck_assert_int_eq(te_profile_set(&p, key, value, msg, sizeof(msg)), -EINVAL);
		snprintf(want, sizeof(want), "2: %s", msg);
	}
	check_error(c->text, want);
}
END_TEST

/* The settings API: profiles set first, then named by an interface. */
START_TEST(test_profiles_api)
{
	struct tunecho_config *cfg = NULL;
	const char *rts[] = {"198.18.1.0/24 profile wan", NULL};
	struct tunecho_iface_settings s = {.name = "tun0", .routes = rts, .profile = "wan"};
	char err[256] = "";

	ck_assert_int_eq(tunecho_config_new(&cfg), 0);
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_str_eq(err, "no profile 'wan': add it first (tunecho_config_set_profile())");
	ck_assert_uint_eq(cfg->n_ifaces, 0);
	ck_assert_uint_eq(cfg->n_profiles, 0);
	ck_assert_int_eq(tunecho_config_set_profile(cfg, "wan", "delay", "1s!", err, sizeof(err)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "delay"));
	ck_assert_int_eq(tunecho_config_set_profile(cfg, "wan", "delay", "30ms", err, sizeof(err)),
			 0);
	ck_assert_int_eq(tunecho_config_set_profile(cfg, "wan", "ttl", "128", err, sizeof(err)), 0);
	ck_assert_int_eq(tunecho_config_add_iface(cfg, &s, sizeof(s), err, sizeof(err)), 0);
	ck_assert_uint_eq(cfg->ifaces[0].n_profiles, 1);
	ck_assert_int_eq(cfg->ifaces[0].profile, 0);
	ck_assert_uint_eq(cfg->ifaces[0].profiles[0].ttl, 128);
	ck_assert_uint_eq(cfg->ifaces[0].profiles[0].delay_ns, 30000000u);
	ck_assert_uint_eq(cfg->ifaces[0].n_prefs, 1);
	tunecho_config_free(cfg);
}
END_TEST

/* TAP mode: the keys, [global]'s defaults, and the settings API's form. */
START_TEST(test_tap_keys)
{
	struct tunecho_config *cfg =
	    load_ok("[global]\nannounce = yes\n"
		    "[lab0]\nmode = tap\naddress = 198.18.4.1/24\nhosts = 198.18.5.0/24\n"
		    "mac = 02:aa:bb:cc:dd:ee\nmaster = br-lab\n"
		    "[lab1]\nmode = tap\nmac = auto\nannounce = no\n"
		    "[tun0]\nmode = tun\nhosts = 198.18.7.0/28\n");
	const struct te_iface_config *a = &cfg->ifaces[0], *b = &cfg->ifaces[1],
				     *c = &cfg->ifaces[2];
	static const uint8_t mac[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};

	ck_assert(a->tap && a->mac_fixed && a->announce);
	ck_assert_mem_eq(a->mac, mac, 6);
	ck_assert_str_eq(a->master, "br-lab");
	ck_assert_uint_eq(a->n_hosts, 1);
	ck_assert(b->tap && !b->mac_fixed && !b->announce && !b->master[0]);
	ck_assert(!c->tap && !c->announce);
	ck_assert_uint_eq(c->n_hosts, 1);
	tunecho_config_free(cfg);

	/* [global] mode = tap is every interface's default; a section overrides. */
	cfg = load_ok("[global]\nmode = tap\n[a0]\n[a1]\nmode = tun\n");
	ck_assert(cfg->ifaces[0].tap);
	ck_assert(!cfg->ifaces[1].tap);
	tunecho_config_free(cfg);
}
END_TEST

START_TEST(test_tap_settings)
{
	static const char *const hosts[] = {"198.18.5.0/24", "2001:db8:0:5::/64", NULL};
	struct tunecho_iface_settings s = {.name = "lab0",
					   .hosts = hosts,
					   .mode = "tap",
					   .mac = "02:00:00:00:00:01",
					   .master = "br0",
					   .announce = 1};
	struct tunecho_config *built = NULL, *parsed;
	const struct te_iface_config *a, *b;
	char err[256] = "";

	parsed = load_ok("[lab0]\nhosts = 198.18.5.0/24\nhosts = 2001:db8:0:5::/64\nmode = tap\n"
			 "mac = 02:00:00:00:00:01\nmaster = br0\nannounce = yes\n");
	ck_assert_int_eq(tunecho_config_new(&built), 0);
	ck_assert_int_eq(tunecho_config_add_iface(built, &s, sizeof(s), err, sizeof(err)), 0);
	a = &built->ifaces[0];
	b = &parsed->ifaces[0];
	ck_assert_uint_eq(a->n_hosts, 2);
	ck_assert_mem_eq(a->hosts, b->hosts, 2 * sizeof(*a->hosts));
	ck_assert(a->tap == b->tap && a->mac_fixed == b->mac_fixed && a->announce == b->announce);
	ck_assert_mem_eq(a->mac, b->mac, 6);
	ck_assert_str_eq(a->master, b->master);
	/* An old caller's struct (2.0) stops before hosts: a TUN, as before. */
	s.name = "tun1";
	ck_assert_int_eq(tunecho_config_add_iface(built, &s,
						  offsetof(struct tunecho_iface_settings, hosts),
						  err, sizeof(err)),
			 0);
	ck_assert(!built->ifaces[1].tap && !built->ifaces[1].n_hosts);
	/* TAP-only keys on a TUN: refused, the config unchanged. */
	s = (struct tunecho_iface_settings){.name = "tun2", .master = "br0"};
	ck_assert_int_eq(tunecho_config_add_iface(built, &s, sizeof(s), err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "mode = tap"));
	ck_assert_uint_eq(built->n_ifaces, 2);
	tunecho_config_free(built);
	tunecho_config_free(parsed);
}
END_TEST

#define TAP_ONLY                                                                                   \
	"mac, master and announce are for mode = tap (a TUN device carries no Ethernet frames): "  \
	"add mode = tap, or remove them"
static const struct error_case tap_errors[] = {
    {"[lab0]\nmode = tab\n", "2: mode: 'tab' is not tun or tap"},
    {"[lab0]\nmode = tap\nmode = tap\n", "3: mode is given twice in this section"},
    {"[global]\nmode = TAP\n", "2: mode: 'TAP' is not tun or tap"},
    {"[lab0]\nmode = tap\nmac = 02:00:00:00:00\n",
     "3: mac: '02:00:00:00:00' is not auto or an Ethernet address XX:XX:XX:XX:XX:XX"},
    {"[lab0]\nmode = tap\nmac = 02:00:00:00:00:0g\n",
     "3: mac: '02:00:00:00:00:0g' is not auto or an Ethernet address XX:XX:XX:XX:XX:XX"},
    {"[lab0]\nmode = tap\nmac = 02:00:00:00:00:011\n",
     "3: mac: '02:00:00:00:00:011' is not auto or an Ethernet address XX:XX:XX:XX:XX:XX"},
    {"[lab0]\nmode = tap\nmac = 01:00:5e:00:00:01\n",
     "3: mac: 01:00:5e:00:00:01 is a multicast address (the lowest bit of the first byte is "
     "set): give a unicast one, e.g. 02:00:00:00:00:01"},
    {"[lab0]\nmode = tap\nmac = 00:00:00:00:00:00\n",
     "3: mac: 00:00:00:00:00:00 is no host's address"},
    {"[lab0]\nmode = tap\nmaster = lab0\n", "3: master: lab0 cannot be its own bridge"},
    {"[lab0]\nmode = tap\nmaster = a-name-far-too-long\n",
     "3: master: 'a-name-far-too-long' is not an interface name (1 to 15 characters)"},
    {"[lab0]\nmode = tap\nannounce = often\n", "3: announce: 'often' is not yes or no"},
    {"[global]\nannounce = often\n", "2: announce: 'often' is not yes or no"},
    /* On a TUN, at the first such key, whatever the order. */
    {"[tun0]\nmac = auto\n", "2: tun0: " TAP_ONLY},
    {"[tun0]\naddress = 198.18.0.1/24\nmaster = br0\nmode = tun\n", "3: tun0: " TAP_ONLY},
    {"[global]\nmode = tap\n[a0]\nmode = tun\nannounce = yes\n", "5: a0: " TAP_ONLY},
};

START_TEST(test_tap_errors)
{
	check_error(tap_errors[_i].text, tap_errors[_i].err);
}
END_TEST

/* conf/lab.conf, next to the sample: it loads, and gives what its comment says. */
START_TEST(test_lab_conf)
{
	struct tunecho_config *cfg = NULL;
	char path[PATH_MAX], err[512] = "";
	char *base;
	const struct te_iface_config *ic;

	sample_path(path, sizeof(path) - 16);
	base = strrchr(path, '/');
	snprintf(base ? base + 1 : path, sizeof(path) - (size_t)(base ? base + 1 - path : 0),
		 "lab.conf");
	ck_assert_msg(tunecho_config_load_file(&cfg, path, err, sizeof(err)) == 0, "%s", err);
	ck_assert(cfg->seed_given);
	ck_assert_uint_eq(cfg->n_profiles, 7);
	ic = only_iface(cfg);
	ck_assert_uint_eq(ic->n_profiles, 7);
	ck_assert_str_eq(ic->profile_names[ic->profile], "lan");
	ck_assert_uint_eq(ic->n_prefs, 7);
	ck_assert_uint_eq(ic->n_hosts, 4);
	tunecho_config_free(cfg);
}
END_TEST

/* 20000 profile prefixes on one interface load at once (the clash check sorts). */
START_TEST(test_many_profile_prefixes)
{
	size_t n = 20000, cap = n * 48 + 64, len = 0;
	char *text = malloc(cap);
	struct tunecho_config *cfg;

	ck_assert_ptr_nonnull(text);
	len += (size_t)snprintf(text + len, cap - len, "[profile:a]\n[profile:b]\n[tun0]\n");
	for (size_t i = 0; i < n; i++)
		len +=
		    (size_t)snprintf(text + len, cap - len, "hosts = 198.%zu.%zu.%zu profile %c\n",
				     18 + i / 65536, i / 256 % 256, i % 256, i % 2 ? 'a' : 'b');
	cfg = load_ok(text);
	ck_assert_uint_eq(cfg->ifaces[0].n_prefs, n);
	ck_assert_uint_eq(cfg->ifaces[0].n_profiles, 2);
	tunecho_config_free(cfg);
	free(text);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("sample");
	tcase_add_test(tc, test_sample_conf);
	tcase_add_test(tc, test_lab_conf);
	suite_add_tcase(s, tc);

	tc = tcase_create("accepted");
	tcase_add_loop_test(tc, test_bool_forms, 0, (int)ARRAY_SIZE(bools));
	tcase_add_loop_test(tc, test_log_levels, 0, (int)ARRAY_SIZE(levels));
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_reassembly_keys);
	tcase_add_test(tc, test_owner_group);
	tcase_add_test(tc, test_comments_and_blanks);
	tcase_add_test(tc, test_empty_sections);
	tcase_add_test(tc, test_repeated_keys);
	tcase_add_loop_test(tc, test_address_forms, 0, (int)ARRAY_SIZE(addresses));
	tcase_add_test(tc, test_address_bytes);
	tcase_add_loop_test(tc, test_route_forms, 0, (int)ARRAY_SIZE(routes));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_layout);
	tcase_add_test(tc, test_profiles);
	tcase_add_test(tc, test_profiles_copy);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_loop_test(tc, test_key_errors, 0, (int)ARRAY_SIZE(key_errors));
	tcase_add_loop_test(tc, test_value_errors, 0, (int)ARRAY_SIZE(value_errors));
	tcase_add_loop_test(tc, test_address_errors, 0, (int)ARRAY_SIZE(address_errors));
	tcase_add_loop_test(tc, test_route_errors, 0, (int)ARRAY_SIZE(route_errors));
	tcase_add_loop_test(tc, test_section_errors, 0, (int)ARRAY_SIZE(section_errors));
	tcase_add_loop_test(tc, test_syntax_errors, 0, (int)ARRAY_SIZE(syntax_errors));
	tcase_add_test(tc, test_long_lines);
	tcase_add_loop_test(tc, test_first_errors, 0, (int)ARRAY_SIZE(first_errors));
	tcase_add_loop_test(tc, test_profile_errors, 0, (int)ARRAY_SIZE(profile_errors));
	suite_add_tcase(s, tc);

	tc = tcase_create("api");
	tcase_add_test(tc, test_file_ok);
	tcase_add_test(tc, test_file_error);
	tcase_add_test(tc, test_file_missing);
	tcase_add_loop_test(tc, test_file_nul_bytes, 0, (int)ARRAY_SIZE(nul_files));
	tcase_add_test(tc, test_file_not_regular);
	tcase_add_test(tc, test_file_too_big);
	tcase_add_test(tc, test_out_untouched);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_error_buffer);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_settings_match_the_file_form);
	tcase_add_test(tc, test_recreate_and_restore);
	tcase_add_test(tc, test_global_user_and_group);
	tcase_add_test(tc, test_settings_errors_leave_the_config_unchanged);
	tcase_add_test(tc, test_profiles_api);
	tcase_add_test(tc, test_tap_keys);
	tcase_add_test(tc, test_tap_settings);
	tcase_add_loop_test(tc, test_tap_errors, 0, (int)ARRAY_SIZE(tap_errors));
	suite_add_tcase(s, tc);

	tc = tcase_create("scale");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_many_addresses_and_routes_load_in_linear_time);
	tcase_add_test(tc, test_many_profile_prefixes);
	suite_add_tcase(s, tc);

	return s;
}

int main(void)
{
	return te_test_run(config_suite());
}

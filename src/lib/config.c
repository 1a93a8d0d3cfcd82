/* SPDX-License-Identifier: MIT */
/*
 * The INI configuration (README, "Config file"), parsed with libinih.
 * libinih does not tell a handler its line, so lines are read through our
 * own reader, which counts them and also sees section headers, so that an
 * empty section still declares an interface and a duplicate is reported at
 * its header.
 */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "dupset.h"
#include "textfile.h"
#include "endpoint.h"
#include "util.h"

#define GLOBAL_SECTION "global"
#define MIN_MTU	       68   /* RFC 791: every IPv4 host must take 68 bytes */
#define MIN_MTU_IPV6   1280 /* RFC 8200 §5 */
#define MAX_MTU	       65535
#define MAX_TXQLEN     (1u << 24)

/* Keys that may be given once per section, as bits of `seen`. */
enum once_key {
	KEY_MTU = 1 << 0,
	KEY_TXQLEN = 1 << 1,
	KEY_OWNER = 1 << 2,
	KEY_GROUP = 1 << 3,
	KEY_PERSIST = 1 << 4,
	KEY_ATTACH = 1 << 5,
	KEY_LOG_LEVEL = 1 << 6,
	KEY_SYSLOG = 1 << 7,
	KEY_BUSY_POLL = 1 << 8,
	KEY_USER = 1 << 9,
	KEY_SECCOMP = 1 << 10,
	KEY_LINK_GROUP = 1 << 11,
	KEY_RECREATE = 1 << 12,
	KEY_RESTORE = 1 << 13,
	KEY_REASM_MEMORY = 1 << 14,
	KEY_REASM_TIMEOUT = 1 << 15,
	KEY_METRICS = 1 << 16,
	KEY_PROFILE = 1 << 17,
	KEY_SEED = 1 << 18,
	KEY_MAX_DELAYED = 1 << 19,
	KEY_MODE = 1 << 20,
	KEY_MAC = 1 << 21,
	KEY_MASTER = 1 << 22,
	KEY_ANNOUNCE = 1 << 23,
};

/* The text being parsed: a file is read whole first (at most TE_CONFIG_MAX_BYTES). */
struct source {
	const char *text; /* advancing */
	const char *end;
};

/* What may not be given twice (dupset.h): the kinds of keys. */
enum dup_kind { DUP_NAME = 1, DUP_ADDRESS, DUP_ROUTE };

struct parser {
	struct source src;
	struct tunecho_config *cfg;
	int line;
	int err_line; /* 0: no error yet */
	char err[512];
	bool in_global;
	bool global_seen;
	int in_profile;		/* index + 1 of the [profile:NAME] being read, 0: none */
	char profile_keys[512]; /* " key key ..." given in it, for "given twice" */
	unsigned seen;		/* enum once_key bits of the current section */
	bool oom;		/* the error is a failed allocation, not the input */
	int user_line;		/* where [global] user was given */
	int group_line;
	struct te_dupset dups;
	bool names_unhashed; /* tunecho_config_add_iface(): names are scanned */
};

static void fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	if (ps->err_line)
		return; /* the first error is the one to fix first */
	ps->err_line = ps->line;
	va_start(ap, fmt);
	vsnprintf(ps->err, sizeof(ps->err), fmt, ap);
	va_end(ap);
}

static void fail_oom(struct parser *ps)
{
	if (!ps->err_line)
		ps->oom = true;
	fail(ps, "out of memory");
}

static struct te_dupkey name_key(const char *name, size_t len)
{
	struct te_dupkey k = {.kind = DUP_NAME, .len = (uint8_t)len};

	memcpy(k.bytes, name, len < sizeof(k.bytes) ? len : sizeof(k.bytes));
	return k;
}

static struct te_dupkey route_key(const struct te_prefix *p)
{
	struct te_dupkey k = {.kind = DUP_ROUTE, .family = (uint8_t)p->family, .len = p->len};

	memcpy(k.bytes, p->addr.bytes, te_addr_len(p->family));
	return k;
}

static struct te_iface_config *current(struct parser *ps)
{
	return &ps->cfg->ifaces[ps->cfg->n_ifaces - 1];
}

static bool valid_ifname_char(int c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.';
}

/*
 * The profile named @name (@len bytes): found, or added as only referenced
 * (line 0) so that a profile may be defined after the lines that use it.
 * Its index, or -1 (an error given).
 */
static int profile_index(struct parser *ps, const char *name, size_t len)
{
	struct tunecho_config *cfg = ps->cfg;
	struct te_named_profile *np;

	if (len == 0 || len > TE_PROFILE_NAME_MAX) {
		fail(ps, "profile name '%.*s' is empty or longer than %d characters", (int)len,
		     name, TE_PROFILE_NAME_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if (!valid_ifname_char((unsigned char)name[i])) {
			fail(ps,
			     "profile name '%.*s' has an invalid character '%c' (use letters, "
			     "digits, '-', '_' and '.')",
			     (int)len, name, name[i]);
			return -1;
		}
	}
	for (size_t i = 0; i < cfg->n_profiles; i++)
		if (strlen(cfg->profiles[i].name) == len &&
		    !memcmp(cfg->profiles[i].name, name, len))
			return (int)i;
	if (cfg->n_profiles >= INT32_MAX / 2 ||
	    te_grow((void **)&cfg->profiles, cfg->n_profiles, sizeof(*np))) {
		fail_oom(ps);
		return -1;
	}
	np = &cfg->profiles[cfg->n_profiles];
	memset(np, 0, sizeof(*np));
	memcpy(np->name, name, len);
	te_profile_defaults(&np->p);
	return (int)cfg->n_profiles++;
}

static void begin_profile(struct parser *ps, const char *name, size_t len)
{
	int i = profile_index(ps, name, len);

	if (i < 0)
		return;
	if (ps->cfg->profiles[i].line) {
		fail(ps, "section [profile:%.*s] given twice (first on line %d)", (int)len, name,
		     ps->cfg->profiles[i].line);
		return;
	}
	ps->cfg->profiles[i].line = ps->line;
	ps->in_profile = i + 1;
	ps->profile_keys[0] = '\0';
}

/* A reference to profile @name from the current line: its index, or -1. */
static int profile_ref(struct parser *ps, const char *name)
{
	int i = profile_index(ps, name, strlen(name));

	if (i >= 0 && !ps->cfg->profiles[i].ref_line)
		ps->cfg->profiles[i].ref_line = ps->line;
	return i;
}

static void set_profile_key(struct parser *ps, const char *name, const char *value)
{
	struct te_named_profile *np = &ps->cfg->profiles[ps->in_profile - 1];
	char err[160], word[72];
	size_t used = strlen(ps->profile_keys);

	snprintf(word, sizeof(word), " %s ", name);
	if (strstr(ps->profile_keys, word)) {
		fail(ps, "%s is given twice in this section", name);
		return;
	}
	if (te_profile_set(&np->p, name, value, err, sizeof(err))) {
		fail(ps, "%s", err);
		return;
	}
	/* Known keys are short: the list cannot overflow, but stay safe. */
	if (used + strlen(word) < sizeof(ps->profile_keys))
		snprintf(ps->profile_keys + used, sizeof(ps->profile_keys) - used, "%s",
			 word + (used ? 1 : 0));
}

static void begin_section(struct parser *ps, const char *name, size_t len)
{
	struct te_iface_config *ic;

	ps->seen = 0;
	ps->in_profile = 0;
	ps->in_global = len == strlen(GLOBAL_SECTION) && !memcmp(name, GLOBAL_SECTION, len);
	if (len >= strlen(TE_PROFILE_SECTION) &&
	    !memcmp(name, TE_PROFILE_SECTION, strlen(TE_PROFILE_SECTION))) {
		begin_profile(ps, name + strlen(TE_PROFILE_SECTION),
			      len - strlen(TE_PROFILE_SECTION));
		return;
	}
	if (ps->in_global) {
		if (ps->global_seen)
			fail(ps, "section [global] given twice");
		ps->global_seen = true;
		return;
	}
	if (len == 0) {
		fail(ps, "empty section name: name the interface, e.g. [tun0]");
		return;
	}
	if (len > IFNAMSIZ - 1) {
		fail(ps, "interface name '%.*s' is longer than %d characters", (int)len, name,
		     IFNAMSIZ - 1);
		return;
	}
	for (size_t i = 0; i < len; i++) {
		if (!valid_ifname_char((unsigned char)name[i])) {
			fail(ps,
			     "interface name '%.*s' has an invalid character '%c' (use letters, "
			     "digits, '-', '_' and '.')",
			     (int)len, name, name[i]);
			return;
		}
	}
	if ((len == 1 && name[0] == '.') || (len == 2 && !memcmp(name, "..", 2))) {
		fail(ps, "'%.*s' is not a valid interface name", (int)len, name);
		return;
	}
	/* The kernel would refuse them with EEXIST, read as "name taken". */
	if ((len == 3 && !memcmp(name, "all", 3)) || (len == 7 && !memcmp(name, "default", 7))) {
		fail(ps,
		     "'%.*s' is a name the kernel keeps for itself (net.ipv4.conf.%.*s and the "
		     "like): choose another",
		     (int)len, name, (int)len, name);
		return;
	}
	if (ps->names_unhashed) {
		for (size_t i = 0; i < ps->cfg->n_ifaces; i++) {
			if (strlen(ps->cfg->ifaces[i].name) == len &&
			    !memcmp(ps->cfg->ifaces[i].name, name, len)) {
				fail(ps, "interface %.*s is given twice", (int)len, name);
				return;
			}
		}
	} else {
		struct te_dupkey k = name_key(name, len);
		uint32_t unused;
		int r = te_dupset_check(&ps->dups, &k, (uint32_t)ps->cfg->n_ifaces, &unused);

		if (r < 0) {
			fail_oom(ps);
			return;
		}
		if (r > 0) {
			fail(ps, "interface %.*s is given twice", (int)len, name);
			return;
		}
	}
	if (ps->cfg->n_ifaces == TUNECHO_MAX_IFACES) {
		fail(ps, "more than %d interfaces: that is the most one configuration may hold",
		     TUNECHO_MAX_IFACES);
		return;
	}
	if (te_grow((void **)&ps->cfg->ifaces, ps->cfg->n_ifaces, sizeof(*ic))) {
		fail_oom(ps);
		return;
	}
	ic = &ps->cfg->ifaces[ps->cfg->n_ifaces++];
	memset(ic, 0, sizeof(*ic));
	memcpy(ic->name, name, len);
	ic->owner = -1;
	ic->group = -1;
	ic->profile = -1;
}

/*
 * A header is "[name]" after optional blanks; libinih keeps the name raw,
 * and ignores whatever follows the ']': here only blanks may, and then a
 * comment (" ; ..."), as after a value.
 */
static void scan_section_header(struct parser *ps, const char *line)
{
	const char *end, *rest, *stop;

	while (*line == ' ' || *line == '\t')
		line++;
	if (*line != '[')
		return;
	end = strchr(line + 1, ']');
	if (!end)
		return;
	for (rest = end + 1; *rest && isspace((unsigned char)*rest); rest++)
		;
	if (*rest && !(*rest == ';' && rest > end + 1)) {
		for (stop = rest + strlen(rest); stop > rest && isspace((unsigned char)stop[-1]);
		     stop--)
			;
		fail(ps,
		     "unexpected '%.*s' after [%.*s]: a section line holds only [NAME] and an "
		     "optional ' ; comment'",
		     (int)(stop - rest), rest, (int)(end - line - 1), line + 1);
		return;
	}
	begin_section(ps, line + 1, (size_t)(end - line - 1));
}

/*
 * libinih's reader: one whole line per call, so that its line count and
 * ours agree. A line that does not fit is an error, not two lines.
 */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *ps = stream;
	size_t n = 0, max = (size_t)num - 1, skip;
	bool too_long = false, nul = false;
	int c;

	if (ps->err_line)
		return NULL;
	for (;;) {
		c = ps->src.text < ps->src.end ? (unsigned char)*ps->src.text++ : EOF;
		if (c == EOF) {
			if (n == 0 && !too_long && !nul)
				return NULL;
			break;
		}
		/* libinih would see the line end there, and the rest vanish */
		if (c == '\0') {
			nul = true;
			continue;
		}
		if (n < max)
			str[n++] = (char)c;
		else
			too_long = true;
		if (c == '\n')
			break;
	}
	str[n] = '\0';
	ps->line++;
	/* the same limit for a last line without a newline */
	if (n == max && str[n - 1] != '\n')
		too_long = true;
	if (nul) {
		fail(ps, "a NUL byte: this is not a text file");
		return NULL;
	}
	if (too_long) {
		fail(ps, "line is longer than %zu characters", max - 1);
		return NULL;
	}
	/*
	 * libinih would take an indented line after a key as a continuation
	 * of that key's value ("  mtu = 1500" after an address becomes part
	 * of the address), and it skips a UTF-8 BOM that scan_section_header
	 * would not: hand it lines without either, so indentation is only
	 * cosmetic and the header of a file saved with a BOM still counts.
	 */
	skip = 0;
	if (ps->line == 1 && !strncmp(str, "\xEF\xBB\xBF", 3))
		skip = 3;
	while (str[skip] != '\n' && isspace((unsigned char)str[skip]))
		skip++;
	memmove(str, str + skip, n - skip + 1);
	scan_section_header(ps, str);
	return str;
}

static bool parse_uint(const char *v, unsigned long min, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long n;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || *end || n < min || n > max)
		return false;
	*out = n;
	return true;
}

/* "N", "NK" or "NM": bytes, KiB or MiB, within the reassembly bounds. */
static bool parse_size(const char *v, size_t *out)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)*v))
		return false;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || n > TUNECHO_REASSEMBLY_MEMORY_MAX)
		return false;
	if (*end == 'k' || *end == 'K')
		n <<= 10, end++;
	else if (*end == 'm' || *end == 'M')
		n <<= 20, end++;
	if (*end || n < TUNECHO_REASSEMBLY_MEMORY_MIN || n > TUNECHO_REASSEMBLY_MEMORY_MAX)
		return false;
	*out = (size_t)n;
	return true;
}

/* "S" or "S4 S6": whole seconds, one for both families or one each. */
static bool parse_timeouts(const char *v, unsigned *v4_ms, unsigned *v6_ms)
{
	unsigned long max = TUNECHO_REASSEMBLY_TIMEOUT_MAX_MS / 1000, a, b;
	char first[16];
	const char *sp = strchr(v, ' ');
	size_t n = sp ? (size_t)(sp - v) : strlen(v);

	if (n >= sizeof(first))
		return false;
	memcpy(first, v, n);
	first[n] = '\0';
	if (!parse_uint(first, 1, max, &a))
		return false;
	b = a;
	if (sp) {
		while (*sp == ' ')
			sp++;
		if (!parse_uint(sp, 1, max, &b))
			return false;
	}
	*v4_ms = (unsigned)a * 1000u;
	*v6_ms = (unsigned)b * 1000u;
	return true;
}

/* "ADDR" or "ADDR/LEN"; @explicit_len tells whether "/LEN" was there. */
static bool parse_prefix(const char *s, struct te_prefix *p, bool *explicit_len)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	unsigned long len;
	int max;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, buf, &p->addr.v4) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &p->addr.v6) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return false;
	}
	if (slash && !parse_uint(slash, 0, (unsigned long)max, &len))
		return false;
	p->len = (uint8_t)(slash ? len : (unsigned long)max);
	if (explicit_len)
		*explicit_len = slash != NULL;
	return true;
}

static bool prefix_host_bits_set(const struct te_prefix *p)
{
	for (size_t bit = p->len; bit < te_addr_len(p->family) * 8; bit++)
		if (p->addr.bytes[bit / 8] & (0x80 >> (bit % 8)))
			return true;
	return false;
}

static bool iface_has_ipv6(const struct te_iface_config *ic)
{
	for (size_t i = 0; i < ic->n_addrs; i++)
		if (ic->addrs[i].local.family == AF_INET6)
			return true;
	return false;
}

static void set_address_only(struct parser *ps, struct te_iface_config *ic, const char *value);
static void set_route_only(struct parser *ps, struct te_iface_config *ic, const char *value);

/*
 * Take a trailing "profile NAME" off @value, leaving the rest in @rest
 * (@size bytes): the profile's index, -2 when there is none, -1 after an
 * error.
 */
static int trailing_profile(struct parser *ps, const char *key, const char *value, char *rest,
			    size_t size)
{
	size_t n = strlen(value);
	char *name, *word;

	if (n >= size) {
		fail(ps, "%s: value too long", key);
		return -1;
	}
	memcpy(rest, value, n + 1);
	while (n && isspace((unsigned char)rest[n - 1]))
		rest[--n] = '\0';
	for (name = rest + n; name > rest && !isspace((unsigned char)name[-1]); name--)
		;
	for (word = name; word > rest && isspace((unsigned char)word[-1]); word--)
		;
	while (word > rest && !isspace((unsigned char)word[-1]))
		word--;
	if (name == rest || strncmp(word, "profile", 7) || !isspace((unsigned char)word[7]))
		return -2;
	if (word == rest) {
		fail(ps, "%s: '%s' names a profile but no prefix", key, value);
		return -1;
	}
	*word = '\0';
	while (word > rest && isspace((unsigned char)word[-1]))
		*--word = '\0';
	return profile_ref(ps, name);
}

/* Record that the hosts of @p (host bits cleared here) behave as profile @profile. */
static void add_profile_ref(struct parser *ps, struct te_iface_config *ic, struct te_prefix p,
			    int profile)
{
	for (size_t bit = p.len; bit < te_addr_len(p.family) * 8; bit++)
		p.addr.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
	if (te_grow((void **)&ic->prefs, ic->n_prefs, sizeof(*ic->prefs))) {
		fail_oom(ps);
		return;
	}
	ic->prefs[ic->n_prefs++] =
	    (struct te_profile_ref){.prefix = p, .profile = (uint32_t)profile, .line = ps->line};
}

static void set_address(struct parser *ps, struct te_iface_config *ic, const char *given)
{
	char rest[256];
	int profile = trailing_profile(ps, "address", given, rest, sizeof(rest));
	const char *value = rest;

	if (profile == -1)
		return;
	set_address_only(ps, ic, value);
	if (profile >= 0 && !ps->err_line) {
		const struct te_address *a = &ic->addrs[ic->n_addrs - 1];

		add_profile_ref(ps, ic, a->has_peer ? a->peer : a->local, profile);
	}
}

static void set_route(struct parser *ps, struct te_iface_config *ic, const char *given)
{
	char rest[256];
	int profile = trailing_profile(ps, "route", given, rest, sizeof(rest));

	if (profile == -1)
		return;
	set_route_only(ps, ic, rest);
	if (profile >= 0 && !ps->err_line)
		add_profile_ref(ps, ic, ic->routes[ic->n_routes - 1], profile);
}

/* `hosts = PREFIX [profile NAME]`: repeatable. */
static void set_hosts(struct parser *ps, struct te_iface_config *ic, const char *given)
{
	char rest[256];
	int profile = trailing_profile(ps, "hosts", given, rest, sizeof(rest));
	struct te_prefix p;

	if (profile == -1)
		return;
	if (!parse_prefix(rest, &p, NULL)) {
		fail(ps, "hosts: '%s' is not an IPv4 or IPv6 address or prefix ADDR[/LEN]", rest);
		return;
	}
	if (prefix_host_bits_set(&p)) {
		fail(ps, "hosts: '%s' has host bits set", rest);
		return;
	}
	if (te_grow((void **)&ic->hosts, ic->n_hosts, sizeof(p))) {
		fail_oom(ps);
		return;
	}
	ic->hosts[ic->n_hosts++] = p;
	if (profile >= 0)
		add_profile_ref(ps, ic, p, profile);
}

static void set_address_only(struct parser *ps, struct te_iface_config *ic, const char *value)
{
	char buf[256], *tok[4], *save = NULL;
	size_t n = 0;
	struct te_address a = {0};
	bool local_len;

	if (strlen(value) >= sizeof(buf)) {
		fail(ps, "address: value too long");
		return;
	}
	strcpy(buf, value);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			break;
		tok[n++] = t;
	}
	if (n != 1 && !(n == 3 && !strcmp(tok[1], "peer"))) {
		fail(ps, "address: expected \"ADDR[/LEN] [peer ADDR[/LEN]]\", got '%s'", value);
		return;
	}
	if (!parse_prefix(tok[0], &a.local, &local_len)) {
		fail(ps, "address: '%s' is not an IPv4 or IPv6 address with optional /LEN", tok[0]);
		return;
	}
	if (n == 3) {
		if (!parse_prefix(tok[2], &a.peer, NULL)) {
			fail(ps,
			     "address: peer '%s' is not an IPv4 or IPv6 address with optional /LEN",
			     tok[2]);
			return;
		}
		if (a.peer.family != a.local.family) {
			fail(ps, "address: %s and its peer %s are not of the same family", tok[0],
			     tok[2]);
			return;
		}
		if (local_len) {
			fail(ps, "address: with a peer, the prefix length belongs on the peer "
				 "(ADDR peer ADDR/LEN)");
			return;
		}
		a.local.len = a.peer.len;
		a.has_peer = true;
	}
	{
		struct te_dupkey k = {.kind = DUP_ADDRESS,
				      .family = (uint8_t)a.local.family,
				      .owner = (uint32_t)(ic - ps->cfg->ifaces)};
		uint32_t unused;
		int r;

		memcpy(k.bytes, a.local.addr.bytes, te_addr_len(a.local.family));
		r = te_dupset_check(&ps->dups, &k, k.owner, &unused);
		if (r < 0) {
			fail_oom(ps);
			return;
		}
		if (r > 0) {
			fail(ps, "address: %s is given twice for %s", tok[0], ic->name);
			return;
		}
	}
	if (a.local.family == AF_INET6 && ic->mtu && ic->mtu < MIN_MTU_IPV6) {
		fail(ps, "address: IPv6 needs an mtu of at least %d, %s has %u", MIN_MTU_IPV6,
		     ic->name, ic->mtu);
		return;
	}
	if (te_grow((void **)&ic->addrs, ic->n_addrs, sizeof(a))) {
		fail_oom(ps);
		return;
	}
	ic->addrs[ic->n_addrs++] = a;
}

static void set_route_only(struct parser *ps, struct te_iface_config *ic, const char *value)
{
	struct te_prefix p;
	char text[TE_PREFIX_STRLEN];

	if (!parse_prefix(value, &p, NULL)) {
		fail(ps, "route: '%s' is not an IPv4 or IPv6 prefix ADDR[/LEN]", value);
		return;
	}
	if (prefix_host_bits_set(&p)) {
		for (size_t bit = p.len; bit < te_addr_len(p.family) * 8; bit++)
			p.addr.bytes[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		te_prefix_format(&p, text, sizeof(text));
		fail(ps, "route: '%s' has host bits set; did you mean %s?", value, text);
		return;
	}
	{
		struct te_dupkey k = route_key(&p);
		uint32_t other;
		int r = te_dupset_check(&ps->dups, &k, (uint32_t)(ic - ps->cfg->ifaces), &other);

		if (r < 0) {
			fail_oom(ps);
			return;
		}
		if (r > 0) {
			fail(ps, "route: %s is already routed to %s", value,
			     ps->cfg->ifaces[other].name);
			return;
		}
	}
	if (te_grow((void **)&ic->routes, ic->n_routes, sizeof(p))) {
		fail_oom(ps);
		return;
	}
	ic->routes[ic->n_routes++] = p;
}

/* A user name or uid; *@gid gets its primary group, or -1 when unknown. */
static bool lookup_user(const char *v, int64_t *out, int64_t *gid)
{
	unsigned long id;
	struct passwd pw, *res = NULL;
	char buf[4096];

	if (parse_uint(v, 0, UINT32_MAX - 1, &id)) {
		*out = (int64_t)id;
		*gid = -1;
		if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &res) == 0 && res)
			*gid = res->pw_gid;
		return true;
	}
	if (getpwnam_r(v, &pw, buf, sizeof(buf), &res) || !res)
		return false;
	*out = res->pw_uid;
	*gid = res->pw_gid;
	return true;
}

static bool lookup_group(const char *v, int64_t *out)
{
	unsigned long id;
	struct group gr, *res = NULL;
	char buf[16384];

	if (parse_uint(v, 0, UINT32_MAX - 1, &id)) {
		*out = (int64_t)id;
		return true;
	}
	if (getgrnam_r(v, &gr, buf, sizeof(buf), &res) || !res)
		return false;
	*out = res->gr_gid;
	return true;
}

/* Mark @key seen in this section; false (with an error) if it was. */
static bool once(struct parser *ps, enum once_key key, const char *name)
{
	if (ps->seen & key) {
		fail(ps, "%s is given twice in this section", name);
		return false;
	}
	ps->seen |= key;
	return true;
}

/*
 * `recreate` and `restore`: in an interface's section, or in [global] as
 * the default of every interface that does not say. True if @name is one.
 */
static bool set_watch_key(struct parser *ps, const char *name, const char *value,
			  struct te_watch *w)
{
	bool recreate = !strcmp(name, "recreate"), restore = !strcmp(name, "restore");
	bool v;

	if (!recreate && !restore)
		return false;
	if (!once(ps, recreate ? KEY_RECREATE : KEY_RESTORE, name))
		return true;
	if (!te_parse_bool(value, &v)) {
		fail(ps, "%s: '%s' is not yes or no", name, value);
		return true;
	}
	if (recreate) {
		w->recreate = v;
		w->recreate_set = true;
	} else {
		w->restore = v;
		w->restore_set = true;
	}
	return true;
}

/* `mode`: tun or tap, in an interface's section or [global]. */
static void set_mode(struct parser *ps, const char *value, bool *tap)
{
	if (!once(ps, KEY_MODE, "mode"))
		return;
	if (!strcmp(value, "tun") || !strcmp(value, "tap"))
		*tap = value[2] == 'p';
	else
		fail(ps, "mode: '%s' is not tun or tap", value);
}

/* `mac`: auto, or one unicast address XX:XX:XX:XX:XX:XX for every host. */
static void set_mac(struct parser *ps, struct te_iface_config *ic, const char *value)
{
	unsigned b[6];
	char end;

	if (!once(ps, KEY_MAC, "mac"))
		return;
	if (!ic->tap_line)
		ic->tap_line = ps->line;
	if (!strcmp(value, "auto")) {
		ic->mac_fixed = false;
		return;
	}
	if (strlen(value) != 17 || sscanf(value, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
					  &b[3], &b[4], &b[5], &end) != 6) {
		fail(ps, "mac: '%s' is not auto or an Ethernet address XX:XX:XX:XX:XX:XX", value);
		return;
	}
	for (int i = 0; i < 6; i++)
		ic->mac[i] = (uint8_t)b[i];
	if (ic->mac[0] & 1) {
		fail(ps,
		     "mac: %s is a multicast address (the lowest bit of the first byte is set): "
		     "give a unicast one, e.g. 02:00:00:00:00:01",
		     value);
		return;
	}
	if (!(ic->mac[0] | ic->mac[1] | ic->mac[2] | ic->mac[3] | ic->mac[4] | ic->mac[5])) {
		fail(ps, "mac: 00:00:00:00:00:00 is no host's address");
		return;
	}
	ic->mac_fixed = true;
}

static void set_global(struct parser *ps, const char *name, const char *value)
{
	static const char *const levels[] = {"error", "warning", "notice", "info", "debug"};

	if (set_watch_key(ps, name, value, &ps->cfg->watch))
		return;
	if (!strcmp(name, "log-level")) {
		if (!once(ps, KEY_LOG_LEVEL, name))
			return;
		for (size_t i = 0; i < 5; i++) {
			if (!strcmp(value, levels[i])) {
				ps->cfg->log_level =
				    (enum tunecho_log_level)(TUNECHO_LOG_ERR + (int)i);
				return;
			}
		}
		fail(ps, "log-level: '%s' is not one of error, warning, notice, info, debug",
		     value);
	} else if (!strcmp(name, "syslog")) {
		if (once(ps, KEY_SYSLOG, name) && !te_parse_bool(value, &ps->cfg->syslog))
			fail(ps, "syslog: '%s' is not yes or no", value);
	} else if (!strcmp(name, "busy-poll-us")) {
		unsigned long us;

		if (!once(ps, KEY_BUSY_POLL, name))
			return;
		if (!parse_uint(value, 0, TUNECHO_BUSY_POLL_MAX_US, &us))
			fail(ps, "busy-poll-us: '%s' is not a number from 0 to %d", value,
			     TUNECHO_BUSY_POLL_MAX_US);
		else {
			ps->cfg->busy_poll_us = (unsigned)us;
			ps->cfg->given |= TE_GIVEN_BUSY_POLL;
		}
	} else if (!strcmp(name, "link-group")) {
		unsigned long group;

		if (!once(ps, KEY_LINK_GROUP, name))
			return;
		if (!parse_uint(value, 0, UINT32_MAX, &group))
			fail(ps, "link-group: '%s' is not a number from 0 to %u", value,
			     UINT32_MAX);
		else {
			ps->cfg->link_group = (uint32_t)group;
			ps->cfg->given |= TE_GIVEN_LINK_GROUP;
		}
	} else if (!strcmp(name, "reassembly-memory")) {
		ps->cfg->given |= TE_GIVEN_REASSEMBLY;
		if (once(ps, KEY_REASM_MEMORY, name) && !parse_size(value, &ps->cfg->reasm_memory))
			fail(ps,
			     "reassembly-memory: '%s' is not a size from %uK to %uM (bytes, or "
			     "with K or M)",
			     value, TUNECHO_REASSEMBLY_MEMORY_MIN >> 10,
			     TUNECHO_REASSEMBLY_MEMORY_MAX >> 20);
	} else if (!strcmp(name, "reassembly-timeout")) {
		ps->cfg->given |= TE_GIVEN_REASSEMBLY;
		if (once(ps, KEY_REASM_TIMEOUT, name) &&
		    !parse_timeouts(value, &ps->cfg->reasm_timeout4_ms,
				    &ps->cfg->reasm_timeout6_ms))
			fail(ps,
			     "reassembly-timeout: '%s' is not one or two numbers of seconds from 1 "
			     "to %u (IPv4, then IPv6)",
			     value, TUNECHO_REASSEMBLY_TIMEOUT_MAX_MS / 1000);
	} else if (!strcmp(name, "seccomp")) {
		if (once(ps, KEY_SECCOMP, name) && !te_parse_bool(value, &ps->cfg->seccomp))
			fail(ps, "seccomp: '%s' is not yes or no", value);
	} else if (!strcmp(name, "metrics")) {
		struct sockaddr_storage ss;
		socklen_t len;

		if (!once(ps, KEY_METRICS, name))
			return;
		if (strlen(value) >= sizeof(ps->cfg->metrics) ||
		    te_endpoint_parse(value, &ss, &len))
			fail(ps,
			     "metrics: '%s' is not ADDRESS:PORT, [IPV6-ADDRESS]:PORT or "
			     "unix:/PATH",
			     value);
		else
			strcpy(ps->cfg->metrics, value);
	} else if (!strcmp(name, "seed")) {
		char *end;

		if (!once(ps, KEY_SEED, name))
			return;
		errno = 0;
		ps->cfg->seed = strtoull(value, &end, 10);
		if (!isdigit((unsigned char)*value) || errno || *end)
			fail(ps, "seed: '%s' is not a number from 0 to %llu", value,
			     (unsigned long long)UINT64_MAX);
		ps->cfg->seed_given = true;
	} else if (!strcmp(name, "max-delayed")) {
		unsigned long n;

		if (!once(ps, KEY_MAX_DELAYED, name))
			return;
		if (!parse_uint(value, 1, TE_MAX_DELAYED_MAX, &n))
			fail(ps, "max-delayed: '%s' is not a number from 1 to %u", value,
			     TE_MAX_DELAYED_MAX);
		else {
			ps->cfg->max_delayed = n;
			ps->cfg->given |= TE_GIVEN_MAX_DELAYED;
		}
	} else if (!strcmp(name, "mode")) {
		set_mode(ps, value, &ps->cfg->tap);
	} else if (!strcmp(name, "announce")) {
		if (once(ps, KEY_ANNOUNCE, name) && !te_parse_bool(value, &ps->cfg->announce))
			fail(ps, "announce: '%s' is not yes or no", value);
	} else if (!strcmp(name, "user")) {
		if (!once(ps, KEY_USER, name))
			return;
		if (!lookup_user(value, &ps->cfg->user, &ps->cfg->user_gid))
			fail(ps, "user: no user '%s' (give a user name or a numeric uid)", value);
		ps->user_line = ps->line;
	} else if (!strcmp(name, "group")) {
		if (once(ps, KEY_GROUP, name) && !lookup_group(value, &ps->cfg->group))
			fail(ps, "group: no group '%s' (give a group name or a numeric gid)",
			     value);
		ps->group_line = ps->line;
	} else {
		fail(ps,
		     "unknown key '%s' in [global] (known: log-level, syslog, busy-poll-us, user, "
		     "group, seccomp, link-group, recreate, restore, reassembly-memory, "
		     "reassembly-timeout, metrics, seed, max-delayed, mode, announce)",
		     name);
	}
}

static void set_iface(struct parser *ps, const char *name, const char *value)
{
	struct te_iface_config *ic = current(ps);
	unsigned long n;

	if (set_watch_key(ps, name, value, &ic->watch))
		return;
	if (!strcmp(name, "address")) {
		set_address(ps, ic, value);
	} else if (!strcmp(name, "route")) {
		set_route(ps, ic, value);
	} else if (!strcmp(name, "hosts")) {
		set_hosts(ps, ic, value);
	} else if (!strcmp(name, "profile")) {
		int i;

		if (once(ps, KEY_PROFILE, name) && (i = profile_ref(ps, value)) >= 0)
			ic->profile = i;
	} else if (!strcmp(name, "mtu")) {
		if (!once(ps, KEY_MTU, name))
			return;
		if (!parse_uint(value, MIN_MTU, MAX_MTU, &n))
			fail(ps, "mtu: '%s' is not a number from %d to %d", value, MIN_MTU,
			     MAX_MTU);
		else if (n < MIN_MTU_IPV6 && iface_has_ipv6(ic))
			fail(ps, "mtu: IPv6 needs at least %d, and %s has an IPv6 address",
			     MIN_MTU_IPV6, ic->name);
		else
			ic->mtu = (uint32_t)n;
	} else if (!strcmp(name, "txqueuelen")) {
		if (!once(ps, KEY_TXQLEN, name))
			return;
		if (!parse_uint(value, 1, MAX_TXQLEN, &n))
			fail(ps, "txqueuelen: '%s' is not a number from 1 to %u", value,
			     MAX_TXQLEN);
		else
			ic->txqlen = (uint32_t)n;
	} else if (!strcmp(name, "owner")) {
		int64_t unused;

		if (once(ps, KEY_OWNER, name) && !lookup_user(value, &ic->owner, &unused))
			fail(ps, "owner: no user '%s' (give a user name or a numeric uid)", value);
	} else if (!strcmp(name, "group")) {
		if (once(ps, KEY_GROUP, name) && !lookup_group(value, &ic->group))
			fail(ps, "group: no group '%s' (give a group name or a numeric gid)",
			     value);
	} else if (!strcmp(name, "persist")) {
		if (once(ps, KEY_PERSIST, name) && !te_parse_bool(value, &ic->persist))
			fail(ps, "persist: '%s' is not yes or no", value);
	} else if (!strcmp(name, "attach")) {
		if (once(ps, KEY_ATTACH, name) && !te_parse_bool(value, &ic->attach))
			fail(ps, "attach: '%s' is not yes or no", value);
	} else if (!strcmp(name, "mode")) {
		set_mode(ps, value, &ic->tap);
		ic->mode_set = true;
	} else if (!strcmp(name, "mac")) {
		set_mac(ps, ic, value);
	} else if (!strcmp(name, "master")) {
		if (!once(ps, KEY_MASTER, name))
			return;
		if (!ic->tap_line)
			ic->tap_line = ps->line;
		if (strlen(value) >= IFNAMSIZ || strchr(value, '/') || strchr(value, ' '))
			fail(ps, "master: '%s' is not an interface name (1 to %d characters)",
			     value, IFNAMSIZ - 1);
		else if (!strcmp(value, ic->name))
			fail(ps, "master: %s cannot be its own bridge", value);
		else
			strcpy(ic->master, value);
	} else if (!strcmp(name, "announce")) {
		if (!once(ps, KEY_ANNOUNCE, name))
			return;
		if (!ic->tap_line)
			ic->tap_line = ps->line;
		if (!te_parse_bool(value, &ic->announce))
			fail(ps, "announce: '%s' is not yes or no", value);
		ic->announce_set = true;
	} else {
		fail(ps,
		     "unknown key '%s' in [%s] (known: address, route, hosts, profile, mtu, "
		     "txqueuelen, owner, group, persist, attach, recreate, restore, mode, mac, "
		     "master, announce)",
		     name, ic->name);
	}
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *ps = user;

	(void)section; /* the reader already tracked it */
	if (ps->err_line)
		return 1;
	if (ps->in_profile) {
		if (!value || !*value)
			fail(ps, "%s: no value given", name);
		else
			set_profile_key(ps, name, value);
		return 1;
	}
	if (!ps->in_global && ps->cfg->n_ifaces == 0) {
		fail(ps, "'%s' is outside any section: put it under [global] or [IFNAME]", name);
		return 1;
	}
	if (!value || !*value) {
		fail(ps, "%s: no value given", name);
		return 1;
	}
	if (ps->in_global)
		set_global(ps, name, value);
	else
		set_iface(ps, name, value);
	return 1;
}

void te_iface_config_clear(struct te_iface_config *ic)
{
	free(ic->addrs);
	free(ic->routes);
	free(ic->hosts);
	free(ic->profiles);
	free(ic->profile_names);
	free(ic->prefs);
	memset(ic, 0, sizeof(*ic));
}

/* A copy of the @n items of @size bytes at @src (NULL when @n is 0); false: no memory. */
static bool dup_array(void **dst, const void *src, size_t n, size_t size)
{
	*dst = NULL;
	if (!n)
		return true;
	*dst = malloc(n * size);
	if (*dst)
		memcpy(*dst, src, n * size);
	return *dst != NULL;
}

int te_iface_config_copy(struct te_iface_config *dst, const struct te_iface_config *src)
{
	struct te_iface_config c = *src;
	bool ok;

	c.addrs = calloc(src->n_addrs ? src->n_addrs : 1, sizeof(*c.addrs));
	c.routes = calloc(src->n_routes ? src->n_routes : 1, sizeof(*c.routes));
	ok = dup_array((void **)&c.hosts, src->hosts, src->n_hosts, sizeof(*c.hosts));
	ok &= dup_array((void **)&c.profiles, src->profiles, src->n_profiles, sizeof(*c.profiles));
	ok &= dup_array((void **)&c.profile_names, src->profile_names, src->n_profiles,
			sizeof(*c.profile_names));
	ok &= dup_array((void **)&c.prefs, src->prefs, src->n_prefs, sizeof(*c.prefs));
	if (!c.addrs || !c.routes || !ok) {
		free(c.addrs);
		free(c.routes);
		free(c.hosts);
		free(c.profiles);
		free(c.profile_names);
		free(c.prefs);
		return -ENOMEM;
	}
	if (src->n_addrs)
		memcpy(c.addrs, src->addrs, src->n_addrs * sizeof(*c.addrs));
	if (src->n_routes)
		memcpy(c.routes, src->routes, src->n_routes * sizeof(*c.routes));
	*dst = c;
	return 0;
}

bool te_iface_profiles_equal(const struct te_iface_config *a, const struct te_iface_config *b)
{
	if (a->n_profiles != b->n_profiles || a->profile != b->profile ||
	    a->n_prefs != b->n_prefs || a->n_hosts != b->n_hosts)
		return false;
	for (size_t i = 0; i < a->n_profiles; i++) {
		struct te_profile x = a->profiles[i], y = b->profiles[i];

		x.epoch_ns = y.epoch_ns = 0; /* the responder's, not the config's */
		if (memcmp(&x, &y, sizeof(x)) || strcmp(a->profile_names[i], b->profile_names[i]))
			return false;
	}
	for (size_t i = 0; i < a->n_prefs; i++)
		if (!te_prefix_equal(&a->prefs[i].prefix, &b->prefs[i].prefix) ||
		    a->prefs[i].profile != b->prefs[i].profile)
			return false;
	for (size_t i = 0; i < a->n_hosts; i++)
		if (!te_prefix_equal(&a->hosts[i], &b->hosts[i]))
			return false;
	return true;
}

bool te_prefix_equal(const struct te_prefix *a, const struct te_prefix *b)
{
	return a->len == b->len && te_same_address(a, b->family, b->addr.bytes);
}

bool te_address_equal(const struct te_address *a, const struct te_address *b)
{
	return te_prefix_equal(&a->local, &b->local) && a->has_peer == b->has_peer &&
	       (!a->has_peer || te_prefix_equal(&a->peer, &b->peer));
}

int tunecho_config_new(struct tunecho_config **out)
{
	if (!out)
		return -EINVAL;
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->log_level = TUNECHO_LOG_INFO;
	(*out)->user = (*out)->user_gid = (*out)->group = -1;
	(*out)->link_group = TUNECHO_DEFAULT_LINK_GROUP;
	return 0;
}

static int cmp_ref(const void *a, const void *b)
{
	const struct te_profile_ref *x = a, *y = b;

	if (x->prefix.family != y->prefix.family)
		return x->prefix.family < y->prefix.family ? -1 : 1;
	if (x->prefix.len != y->prefix.len)
		return x->prefix.len < y->prefix.len ? -1 : 1;
	{
		int c = memcmp(x->prefix.addr.bytes, y->prefix.addr.bytes, 16);

		if (c)
			return c;
	}
	return x->line < y->line ? -1 : x->line > y->line;
}

/*
 * One profile a prefix of @ic: sorted, the same prefix twice is side by
 * side (n log n, for configs with thousands of them). False after an error.
 */
static bool check_pref_clash(struct parser *ps, const struct te_iface_config *ic)
{
	struct te_profile_ref *v = malloc(ic->n_prefs * sizeof(*v));
	const struct te_profile_ref *bad = NULL, *first = NULL;
	char text[TE_PREFIX_STRLEN];
	size_t run = 0;

	if (!v) {
		fail_oom(ps);
		return false;
	}
	memcpy(v, ic->prefs, ic->n_prefs * sizeof(*v));
	qsort(v, ic->n_prefs, sizeof(*v), cmp_ref);
	/* In a run of one prefix (by line), a line whose profile is not the
	 * first line's clashes; the earliest of them is the error. */
	for (size_t i = 1; i < ic->n_prefs; i++) {
		if (!te_prefix_equal(&v[i].prefix, &v[run].prefix))
			run = i;
		else if (v[i].profile != v[run].profile && (!bad || v[i].line < bad->line))
			bad = &v[i], first = &v[run];
	}
	if (bad) {
		te_prefix_format(&bad->prefix, text, sizeof(text));
		ps->line = bad->line;
		fail(ps, "%s has profile %s already (line %d): one profile a prefix", text,
		     ps->cfg->profiles[first->profile].name, first->line);
	}
	free(v);
	return !bad;
}

/* Give @ic copies of the profiles it uses; @map: room for one index a profile. */
static void resolve_iface(struct parser *ps, struct te_iface_config *ic, uint32_t *map)
{
	struct tunecho_config *cfg = ps->cfg;
	size_t n = 0;

	for (size_t i = 0; i < cfg->n_profiles; i++)
		map[i] = UINT32_MAX;
	if (ic->profile >= 0)
		map[ic->profile] = (uint32_t)n++;
	if (ic->n_prefs > 1 && !check_pref_clash(ps, ic))
		return;
	for (size_t i = 0; i < ic->n_prefs; i++) {
		if (map[ic->prefs[i].profile] == UINT32_MAX)
			map[ic->prefs[i].profile] = (uint32_t)n++;
	}
	if (!n)
		return;
	ic->profiles = calloc(n, sizeof(*ic->profiles));
	ic->profile_names = calloc(n, sizeof(*ic->profile_names));
	if (!ic->profiles || !ic->profile_names) {
		fail_oom(ps);
		return;
	}
	ic->n_profiles = n;
	for (size_t i = 0; i < cfg->n_profiles; i++) {
		if (map[i] == UINT32_MAX)
			continue;
		ic->profiles[map[i]] = cfg->profiles[i].p;
		memcpy(ic->profile_names[map[i]], cfg->profiles[i].name,
		       sizeof(ic->profile_names[0]));
	}
	if (ic->profile >= 0)
		ic->profile = (int32_t)map[ic->profile];
	for (size_t i = 0; i < ic->n_prefs; i++)
		ic->prefs[i].profile = map[ic->prefs[i].profile];
}

/*
 * Once every section is read: each profile named is defined, and each
 * interface gets copies of the profiles it uses, its indices remapped to
 * them. Two profiles on one prefix of an interface are an error.
 */
static void resolve_profiles(struct parser *ps)
{
	struct tunecho_config *cfg = ps->cfg;
	uint32_t *map = NULL;

	for (size_t i = 0; i < cfg->n_profiles && !ps->err_line; i++) {
		if (!cfg->profiles[i].line) {
			ps->line = cfg->profiles[i].ref_line;
			fail(ps, "no profile '%s': define it in a [profile:%s] section",
			     cfg->profiles[i].name, cfg->profiles[i].name);
		}
	}
	if (ps->err_line || !cfg->n_profiles)
		return;
	map = malloc(cfg->n_profiles * sizeof(*map));
	if (!map) {
		fail_oom(ps);
		return;
	}
	for (size_t k = 0; k < cfg->n_ifaces && !ps->err_line; k++)
		resolve_iface(ps, &cfg->ifaces[k], map);
	free(map);
}

/*
 * Once a section is read: [global]'s mode and announce where it gave none,
 * and the keys only a TAP takes refused on a TUN.
 */
static void resolve_mode(struct parser *ps, const struct tunecho_config *cfg,
			 struct te_iface_config *ic)
{
	if (!ic->mode_set)
		ic->tap = cfg->tap;
	if (!ic->announce_set)
		ic->announce = ic->tap && cfg->announce;
	if (!ic->tap && ic->tap_line) {
		ps->line = ic->tap_line;
		fail(ps,
		     "%s: mac, master and announce are for mode = tap (a TUN device carries no "
		     "Ethernet frames): add mode = tap, or remove them",
		     ic->name);
	}
}

int tunecho_config_add_iface(struct tunecho_config *cfg, const struct tunecho_iface_settings *given,
			     size_t size, char *err, size_t errlen)
{
	/* What an older caller's struct does not have stays at its default. */
	struct tunecho_iface_settings full = {0}, *s = NULL;

	if (given && size >= sizeof(full.name)) {
		memcpy(&full, given, size < sizeof(full) ? size : sizeof(full));
		s = &full;
	}
	/*
	 * Line 1 of an imaginary file: the parser's checks, unchanged. Names
	 * are compared one by one (as cheap as hashing them all for each
	 * call); the routes of the interfaces there are go into the set.
	 */
	struct parser ps = {.cfg = cfg, .line = 1, .names_unhashed = true};
	const char *bad = !cfg	     ? "no configuration given (cfg is NULL)"
			  : !s	     ? "no settings given (s is NULL, or size too small)"
			  : !s->name ? "the settings name no interface (name is NULL)"
				     : NULL;
	size_t before, n_profiles;
	char num[16];

	if (bad) {
		if (errlen)
			snprintf(err, errlen, "%s", bad);
		return -EINVAL;
	}
	before = cfg->n_ifaces;
	n_profiles = cfg->n_profiles;
	for (size_t i = 0; i < cfg->n_ifaces && !ps.err_line; i++) {
		for (size_t j = 0; j < cfg->ifaces[i].n_routes && !ps.err_line; j++) {
			struct te_dupkey k = route_key(&cfg->ifaces[i].routes[j]);
			uint32_t unused;

			if (te_dupset_check(&ps.dups, &k, (uint32_t)i, &unused) < 0)
				fail_oom(&ps);
		}
	}
	if (!ps.err_line && !strcmp(s->name, GLOBAL_SECTION))
		fail(&ps, "'%s' is not an interface name", s->name);
	else if (!ps.err_line)
		begin_section(&ps, s->name, strlen(s->name));
	for (size_t i = 0; s->addresses && s->addresses[i] && !ps.err_line; i++)
		set_iface(&ps, "address", s->addresses[i]);
	for (size_t i = 0; s->routes && s->routes[i] && !ps.err_line; i++)
		set_iface(&ps, "route", s->routes[i]);
	if (s->mtu && !ps.err_line) {
		snprintf(num, sizeof(num), "%u", s->mtu);
		set_iface(&ps, "mtu", num);
	}
	if (s->txqueuelen && !ps.err_line) {
		snprintf(num, sizeof(num), "%u", s->txqueuelen);
		set_iface(&ps, "txqueuelen", num);
	}
	if (s->owner && !ps.err_line)
		set_iface(&ps, "owner", s->owner);
	if (s->group && !ps.err_line)
		set_iface(&ps, "group", s->group);
	if (!ps.err_line)
		set_iface(&ps, "persist", s->persist ? "yes" : "no");
	if (!ps.err_line)
		set_iface(&ps, "attach", s->attach ? "yes" : "no");
	if (!ps.err_line)
		set_iface(&ps, "recreate", s->recreate ? "yes" : "no");
	if (!ps.err_line)
		set_iface(&ps, "restore", s->restore ? "yes" : "no");
	if (s->profile && !ps.err_line)
		set_iface(&ps, "profile", s->profile);
	for (size_t i = 0; s->hosts && s->hosts[i] && !ps.err_line; i++)
		set_iface(&ps, "hosts", s->hosts[i]);
	if (s->mode && !ps.err_line)
		set_iface(&ps, "mode", s->mode);
	if (s->mac && !ps.err_line)
		set_iface(&ps, "mac", s->mac);
	if (s->master && !ps.err_line)
		set_iface(&ps, "master", s->master);
	if (s->announce && !ps.err_line)
		set_iface(&ps, "announce", "yes");
	if (!ps.err_line)
		resolve_mode(&ps, cfg, current(&ps));
	/* Profiles come first (tunecho_config_set_profile()): none is made here. */
	for (size_t i = n_profiles; i < cfg->n_profiles && !ps.err_line; i++)
		fail(&ps, "no profile '%s': add it first (tunecho_config_set_profile())",
		     cfg->profiles[i].name);
	if (!ps.err_line && cfg->n_profiles) {
		uint32_t *map = malloc(cfg->n_profiles * sizeof(*map));

		if (!map)
			fail_oom(&ps);
		else
			resolve_iface(&ps, current(&ps), map);
		free(map);
	}
	if (cfg->n_profiles > n_profiles)
		cfg->n_profiles = n_profiles;
	te_dupset_clear(&ps.dups);
	if (!ps.err_line)
		return 0;
	if (cfg->n_ifaces > before)
		te_iface_config_clear(&cfg->ifaces[--cfg->n_ifaces]);
	if (errlen)
		snprintf(err, errlen, "%s", ps.err);
	return ps.oom ? -ENOMEM : -EINVAL;
}

int tunecho_config_set_profile(struct tunecho_config *cfg, const char *name, const char *key,
			       const char *value, char *err, size_t errlen)
{
	struct parser ps = {.cfg = cfg, .line = 1};
	int i;

	if (!cfg || !name || !key || !value) {
		if (errlen)
			snprintf(err, errlen, "cfg, name, key and value must not be NULL");
		return -EINVAL;
	}
	i = profile_index(&ps, name, strlen(name));
	if (i >= 0) {
		struct te_profile p = cfg->profiles[i].p;

		cfg->profiles[i].line = cfg->profiles[i].line ? cfg->profiles[i].line : 1;
		if (te_profile_set(&p, key, value, ps.err, sizeof(ps.err)) == 0)
			cfg->profiles[i].p = p;
		else
			ps.err_line = 1;
	}
	if (!ps.err_line)
		return 0;
	if (errlen)
		snprintf(err, errlen, "%s", ps.err);
	return ps.oom ? -ENOMEM : -EINVAL;
}

void tunecho_config_free(struct tunecho_config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < cfg->n_ifaces; i++)
		te_iface_config_clear(&cfg->ifaces[i]);
	free(cfg->ifaces);
	free(cfg->profiles);
	free(cfg);
}

/* @where: "PATH:" for a file, "" for a string. */
static int parse(struct tunecho_config **out, struct source src, const char *where, char *err,
		 size_t errlen)
{
	struct parser ps = {.src = src};
	int line;

	ps.cfg = calloc(1, sizeof(*ps.cfg));
	if (!ps.cfg)
		return -ENOMEM;
	ps.cfg->log_level = TUNECHO_LOG_INFO;
	ps.cfg->user = ps.cfg->user_gid = ps.cfg->group = -1;
	ps.cfg->link_group = TUNECHO_DEFAULT_LINK_GROUP;

	line = ini_parse_stream(read_line, &ps, on_key, &ps);
	te_dupset_clear(&ps.dups);
	if (line > 0 && (!ps.err_line || line < ps.err_line)) {
		ps.err_line = line;
		snprintf(ps.err, sizeof(ps.err),
			 "syntax error: expected '[IFNAME]', 'key = value' or a comment");
	} else if (line < 0 && !ps.err_line) {
		fail_oom(&ps);
	}
	/* Without user tunecho stays root: a group alone would be ignored. */
	if (!ps.err_line && ps.cfg->user < 0 && ps.group_line) {
		ps.line = ps.group_line;
		fail(&ps, "group: only with user in [global] (without user tunecho stays root, "
			  "whatever the group)");
	}
	if (!ps.err_line && ps.cfg->user >= 0 && ps.cfg->group < 0) {
		if (ps.cfg->user_gid < 0) {
			ps.line = ps.user_line;
			fail(&ps,
			     "user: uid %lld is not in the user database, so its group is "
			     "unknown: set group in [global] too",
			     (long long)ps.cfg->user);
		}
		ps.cfg->group = ps.cfg->user_gid;
	}
	if (!ps.err_line)
		resolve_profiles(&ps);
	for (size_t i = 0; i < ps.cfg->n_ifaces; i++) {
		struct te_watch *w = &ps.cfg->ifaces[i].watch;

		if (!w->recreate_set)
			w->recreate = ps.cfg->watch.recreate;
		if (!w->restore_set)
			w->restore = ps.cfg->watch.restore;
		if (!ps.err_line)
			resolve_mode(&ps, ps.cfg, &ps.cfg->ifaces[i]);
	}
	if (ps.err_line) {
		if (errlen)
			snprintf(err, errlen, "%s%d: %s", where, ps.err_line, ps.err);
		tunecho_config_free(ps.cfg);
		return ps.oom ? -ENOMEM : -EINVAL;
	}
	*out = ps.cfg;
	return 0;
}

int tunecho_config_load_string(struct tunecho_config **out, const char *text, char *err,
			       size_t errlen)
{
	if (!out || !text)
		return -EINVAL;
	return parse(out, (struct source){.text = text, .end = text + strlen(text)}, "", err,
		     errlen);
}

int tunecho_config_load_file(struct tunecho_config **out, const char *path, char *err,
			     size_t errlen)
{
	char where[PATH_MAX + 2], *text = NULL;
	size_t len = 0;
	int r;

	if (!out || !path)
		return -EINVAL;
	r = te_read_text_file(path, TE_CONFIG_MAX_BYTES, &text, &len, err, errlen);
	if (r < 0)
		return r;
	snprintf(where, sizeof(where), "%s:", path);
	r = parse(out, (struct source){.text = text, .end = text + len}, where, err, errlen);
	free(text);
	return r;
}

enum tunecho_log_level tunecho_config_log_level(const struct tunecho_config *cfg)
{
	return cfg ? cfg->log_level : TUNECHO_LOG_INFO;
}

int tunecho_config_syslog(const struct tunecho_config *cfg)
{
	return cfg && cfg->syslog;
}

void tunecho_config_reassembly(const struct tunecho_config *cfg, size_t *memory,
			       unsigned *timeout4_ms, unsigned *timeout6_ms)
{
	*memory = cfg && cfg->reasm_memory ? cfg->reasm_memory : TUNECHO_REASSEMBLY_MEMORY;
	*timeout4_ms =
	    cfg && cfg->reasm_timeout4_ms ? cfg->reasm_timeout4_ms : TUNECHO_REASSEMBLY_TIMEOUT4_MS;
	*timeout6_ms =
	    cfg && cfg->reasm_timeout6_ms ? cfg->reasm_timeout6_ms : TUNECHO_REASSEMBLY_TIMEOUT6_MS;
}

uint32_t tunecho_config_link_group(const struct tunecho_config *cfg)
{
	return cfg ? cfg->link_group : TUNECHO_DEFAULT_LINK_GROUP;
}

int tunecho_config_seccomp(const struct tunecho_config *cfg)
{
	return cfg && cfg->seccomp;
}

const char *tunecho_config_metrics(const struct tunecho_config *cfg)
{
	return cfg && cfg->metrics[0] ? cfg->metrics : NULL;
}

int tunecho_config_user(const struct tunecho_config *cfg, uint32_t *uid, uint32_t *gid)
{
	if (!cfg || cfg->user < 0)
		return 0;
	*uid = (uint32_t)cfg->user;
	*gid = (uint32_t)cfg->group;
	return 1;
}

unsigned tunecho_config_busy_poll_us(const struct tunecho_config *cfg)
{
	return cfg ? cfg->busy_poll_us : 0;
}

size_t tunecho_config_iface_count(const struct tunecho_config *cfg)
{
	return cfg ? cfg->n_ifaces : 0;
}

void te_prefix_format(const struct te_prefix *p, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, &p->addr, a, sizeof(a));
	snprintf(buf, size, "%s/%u", a, p->len);
}

void te_address_format(const struct te_address *a, char *buf, size_t size)
{
	char local[INET6_ADDRSTRLEN], peer[TE_PREFIX_STRLEN];

	if (!a->has_peer) {
		te_prefix_format(&a->local, buf, size);
		return;
	}
	inet_ntop(a->local.family, &a->local.addr, local, sizeof(local));
	te_prefix_format(&a->peer, peer, sizeof(peer));
	snprintf(buf, size, "%s peer %s", local, peer);
}

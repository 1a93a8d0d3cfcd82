/* SPDX-License-Identifier: MIT */
/*
 * tunecho: the daemon. Options, logging to stderr or syslog, signals; the
 * work is libtunecho's.
 */
#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <unistd.h>

#include "metrics.h"
#include "notify.h"
#include "privs.h"
#include "sandbox.h"
#include "tunecho.h"

#define DEFAULT_CONFIG SYSCONFDIR "/tunecho.conf"

/* AddressSanitizer (with LeakSanitizer) builds: see the seccomp step. */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED_BUILD 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(leak_sanitizer)
#define SANITIZED_BUILD 1
#endif
#endif

enum exit_code {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* start-up refused by the system */
	EXIT_USAGE = 2,	  /* bad options or configuration: nothing was created */
};

struct daemon {
	const char *config_path;
	bool check_only;
	int verbosity; /* -v minus -q, relative to the config's log-level */
	bool syslog;
	enum tunecho_log_level level;
	struct event_base *base;
	struct tunecho *responder;
	struct tunecho_config *cfg; /* the one being served */
	const char *no_reload;	    /* why a reload cannot work, or NULL */
	struct event *render_stats; /* SIGUSR1's JSON, once per loop turn */
	struct metrics *metrics;    /* the HTTP endpoint, or NULL */
	struct notify *notify;	    /* systemd's $NOTIFY_SOCKET, or NULL */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: tunecho [OPTION]...\n"
		"Answer ICMP and ICMPv6 echo requests (pings) on TUN interfaces.\n"
		"\n"
		"  -c, --config FILE   read the configuration from FILE\n"
		"                      (default: %s)\n"
		"  -t, --check-config  check the configuration and exit\n"
		"  -v, --verbose       log one level more than the config's log-level\n"
		"                      (repeatable)\n"
		"  -q, --quiet         log one level less (repeatable)\n"
		"      --syslog        log to syslog instead of stderr\n"
		"  -V, --version       print the version and exit\n"
		"  -h, --help          print this help and exit\n"
		"\n"
		"Runs in the foreground until SIGINT or SIGTERM, then removes the interfaces\n"
		"and addresses it created. SIGHUP re-reads the configuration and applies\n"
		"what changed; SIGUSR1 logs the counters as JSON.\n"
		"Needs CAP_NET_ADMIN (run it as root).\n"
		"Exit status: 0 on a clean stop, 1 when the system refused a step,\n"
		"2 for a bad option or configuration (nothing was created).\n",
		DEFAULT_CONFIG);
}

static void log_line(void *arg, enum tunecho_log_level level, const char *msg)
{
	const struct daemon *d = arg;

	if (d->syslog) {
		syslog((int)level, "%s", msg);
		return;
	}
	if (level <= TUNECHO_LOG_WARNING || level == TUNECHO_LOG_DEBUG)
		fprintf(stderr, "tunecho: %s: %s\n", tunecho_log_level_name(level), msg);
	else
		fprintf(stderr, "tunecho: %s\n", msg);
}

static void logf_(struct daemon *d, enum tunecho_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(struct daemon *d, enum tunecho_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (level > d->level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_line(d, level, msg);
}

static int parse_options(struct daemon *d, int argc, char **argv)
{
	enum { OPT_SYSLOG = 256 };
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},  {"check-config", no_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},       {"quiet", no_argument, NULL, 'q'},
	    {"syslog", no_argument, NULL, OPT_SYSLOG}, {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:tvqVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d->config_path = optarg;
			break;
		case 't':
			d->check_only = true;
			break;
		case 'v':
			d->verbosity++;
			break;
		case 'q':
			d->verbosity--;
			break;
		case OPT_SYSLOG:
			d->syslog = true;
			break;
		case 'V':
			printf("tunecho %s\n", tunecho_version());
			exit(EXIT_OK);
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			fprintf(stderr, "Try 'tunecho --help' for more information.\n");
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"tunecho: unexpected argument '%s'\n"
			"Try 'tunecho --help' for more information.\n",
			argv[optind]);
		return -EINVAL;
	}
	return 0;
}

static enum tunecho_log_level clamp_level(int level)
{
	if (level < TUNECHO_LOG_ERR)
		return TUNECHO_LOG_ERR;
	if (level > TUNECHO_LOG_DEBUG)
		return TUNECHO_LOG_DEBUG;
	return (enum tunecho_log_level)level;
}

/* One line per interface: what came in, what went out, why the rest not. */
static void log_stats(struct daemon *d)
{
	size_t n = tunecho_iface_count(d->responder);

	for (size_t i = 0; i <= n; i++) {
		struct tunecho_stats st;
		uint64_t by[TUNECHO_DROP_REASONS];
		char drops[512] = "", frags[96] = "", link[96] = "";
		size_t len = 0;
		uint64_t dropped;

		if (tunecho_stats(d->responder, i, &st, sizeof(st)) ||
		    tunecho_drops(d->responder, i, by, TUNECHO_DROP_REASONS) < 0)
			continue;
		dropped = st.dropped;
		for (int r = 0; r < TUNECHO_DROP_REASONS; r++) {
			if (!by[r])
				continue;
			len += (size_t)snprintf(
			    drops + len, sizeof(drops) - len, "%s%s %llu", len ? ", " : " (",
			    tunecho_drop_reason_name((enum tunecho_drop_reason)r),
			    (unsigned long long)by[r]);
			if (len >= sizeof(drops))
				break;
		}
		/* Fragments count as received one by one, a datagram they make
		 * as one reply: say so, or the sum would not add up. */
		if (st.rx_fragments)
			snprintf(frags, sizeof(frags),
				 "; of those received, %llu fragments made %llu",
				 (unsigned long long)st.rx_fragments,
				 (unsigned long long)st.reassembled);
		/* A TAP's ARP and NDP: answered, or a defence held back. */
		if (st.arp_replies || st.na_sent || st.defences_held) {
			int k = snprintf(link, sizeof(link), ", %llu ARP and NDP answers",
					 (unsigned long long)(st.arp_replies + st.na_sent));

			if (st.defences_held)
				snprintf(link + k, sizeof(link) - (size_t)k,
					 " (%llu defences held back)",
					 (unsigned long long)st.defences_held);
		}
		logf_(d, TUNECHO_LOG_INFO,
		      "%s: %llu received, %llu replies%s, %llu dropped%s%s, %llu write errors%s",
		      i < n ? tunecho_iface_name(d->responder, i) : "total",
		      (unsigned long long)st.rx_packets, (unsigned long long)st.replies, link,
		      (unsigned long long)dropped, drops, len ? ")" : "",
		      (unsigned long long)st.write_errors, frags);
	}
}

static void on_stop(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	logf_(d, TUNECHO_LOG_NOTICE, "%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
	notify_stopping(d->notify);
	event_base_loopbreak(d->base);
}

/* SIGUSR1: the counters as one line of JSON (README, "Statistics"). */
static void on_render_stats(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	int n = tunecho_stats_json(d->responder, NULL, 0);
	char *json = n >= 0 ? malloc((size_t)n + 1) : NULL;

	(void)fd;
	(void)what;
	if (!json) {
		logf_(d, TUNECHO_LOG_ERR, "SIGUSR1: out of memory for the statistics");
		return;
	}
	tunecho_stats_json(d->responder, json, (size_t)n + 1);
	log_line(d, TUNECHO_LOG_NOTICE, json); /* asked for: whatever the level */
	free(json);
}

/*
 * libevent calls this once per signal caught; rendering 1000 interfaces
 * takes milliseconds, so a storm of them would hold the loop for seconds.
 * Activating an event that is already active does nothing: the JSON is
 * rendered once per loop turn, however many signals came in it.
 */
static void on_usr1(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)sig;
	(void)what;
	event_active(d->render_stats, EV_TIMEOUT, 0);
}

/* The reassembly limits of [global]: the config checked them already. */
static void apply_reassembly(struct tunecho *t, const struct tunecho_config *cfg)
{
	size_t memory;
	unsigned t4, t6;

	tunecho_config_reassembly(cfg, &memory, &t4, &t6);
	tunecho_set_reassembly(t, memory, t4, t6);
}

/*
 * Every interface holds a descriptor: raise the soft limit on open files
 * to fit @n_ifaces (plus the few the daemon needs), up to the hard limit,
 * and to fit @peak if the hard limit allows. A reload holds, for a moment,
 * the new interfaces with the ones it removes (new ones open first), but
 * the ones that stay only once: @n_ifaces is the larger of the two
 * configurations, @peak their sum. A reload that then runs out anyway
 * (many renamed under a tight limit) fails as a whole, with EMFILE, and is
 * undone.
 */
static int ensure_fd_limit(struct daemon *d, size_t n_ifaces, size_t peak)
{
	rlim_t need = (rlim_t)n_ifaces + 64, want = (rlim_t)peak + 64;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		logf_(d, TUNECHO_LOG_ERR,
		      "%zu interfaces need %llu open files, but the hard limit is %llu: raise it "
		      "(ulimit -Hn, or LimitNOFILE= in the unit)",
		      n_ifaces, (unsigned long long)need, (unsigned long long)rl.rlim_max);
		return -EMFILE;
	}
	if (rl.rlim_cur >= need && rl.rlim_cur == rl.rlim_max)
		return 0;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ? want : rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) < 0 ? -errno : 0;
}

/*
 * Load the configuration file, at start and at each reload. One without
 * interfaces is refused too (-EINVAL), with what to do in @err.
 */
static int read_config(const struct daemon *d, struct tunecho_config **out, char *err, size_t size)
{
	int r = tunecho_config_load_file(out, d->config_path, err, size);

	if (r == 0 && tunecho_config_iface_count(*out) == 0) {
		snprintf(err, size, "%s: no interfaces: add a section such as [tun0]",
			 d->config_path);
		tunecho_config_free(*out);
		*out = NULL;
		r = -EINVAL;
	}
	return r;
}

/* Say which [global] settings of @next a reload leaves for the next start. */
static void note_restart_only(struct daemon *d, const struct tunecho_config *next)
{
	const struct tunecho_config *cur = d->cfg;
	uint32_t uid[2] = {0}, gid[2] = {0};
	int has[2] = {tunecho_config_user(cur, &uid[0], &gid[0]),
		      tunecho_config_user(next, &uid[1], &gid[1])};
	const char *what = NULL;

	if (tunecho_config_link_group(cur) != tunecho_config_link_group(next))
		what = "link-group";
	else if (has[0] != has[1] || uid[0] != uid[1] || gid[0] != gid[1])
		what = "user and group";
	else if (tunecho_config_seccomp(cur) != tunecho_config_seccomp(next))
		what = "seccomp";
	else if (strcmp(tunecho_config_metrics(cur) ? tunecho_config_metrics(cur) : "",
			tunecho_config_metrics(next) ? tunecho_config_metrics(next) : ""))
		what = "metrics";
	else if (tunecho_config_syslog(cur) != tunecho_config_syslog(next) && !d->syslog)
		what = "syslog";
	if (what)
		logf_(d, TUNECHO_LOG_WARNING,
		      "reload: a change of %s takes effect only when tunecho is restarted", what);
}

/*
 * SIGHUP: read the configuration file again and apply the difference
 * (tunecho_reload()). A file with errors changes nothing.
 */
static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;
	struct tunecho_config *next = NULL;
	char err[512];
	int r;

	(void)sig;
	(void)what;
	logf_(d, TUNECHO_LOG_NOTICE, "SIGHUP received: reloading %s", d->config_path);
	if (d->no_reload) {
		logf_(d, TUNECHO_LOG_ERR,
		      "reload rejected: %s; restart tunecho to apply a new "
		      "configuration",
		      d->no_reload);
		return;
	}
	r = read_config(d, &next, err, sizeof(err));
	if (r == 0) {
		size_t now = tunecho_iface_count(d->responder);
		size_t then = tunecho_config_iface_count(next);

		if (ensure_fd_limit(d, now > then ? now : then, now + then) < 0) {
			snprintf(err, sizeof(err), "the open-file limit is too low (see above)");
			r = -EMFILE;
		}
	}
	if (r) {
		logf_(d, TUNECHO_LOG_ERR,
		      "reload rejected: %s; still serving the previous configuration", err);
		tunecho_config_free(next);
		return;
	}
	r = tunecho_reload(d->responder, next, NULL);
	if (r < 0 && r != -EIO) {
		logf_(d, TUNECHO_LOG_ERR,
		      "reload failed: %sstill serving the previous configuration",
		      r == -EMFILE ? "out of open files (raise the hard limit: ulimit -Hn, or "
				     "LimitNOFILE= in the unit); "
				   : "");
		tunecho_config_free(next);
		return;
	}
	note_restart_only(d, next);
	d->level = clamp_level((int)tunecho_config_log_level(next) + d->verbosity);
	tunecho_set_log_fn(d->responder, log_line, d, d->level);
	tunecho_set_busy_poll(d->responder, tunecho_config_busy_poll_us(next));
	apply_reassembly(d->responder, next);
	tunecho_config_free(d->cfg);
	d->cfg = next;
}

/* systemd's STATUS=: one line of how it goes. */
static void notify_served(struct daemon *d)
{
	size_t n = tunecho_iface_count(d->responder);
	char status[128];

	snprintf(status, sizeof(status), "serving %zu interface%s", n, n == 1 ? "" : "s");
	notify_ready(d->notify, status);
}

/* SIGHUP under systemd: RELOADING=1, the reload, READY=1 whatever came of it. */
static void on_hup_notify(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	notify_reloading(d->notify);
	on_hup(sig, what, arg);
	notify_served(d);
}

/*
 * With `user` in [global], give up root now that every device is open and
 * configured. CAP_NET_ADMIN stays only if some device outlives us and needs
 * our addresses removed at the end (persist, attach); devices we created
 * go away with their fds, which needs no privilege.
 */
static int become_user(struct daemon *d, const struct tunecho_config *cfg)
{
	uint32_t uid, gid;
	bool keep = false;
	char err[256];
	int r;

	if (!tunecho_config_user(cfg, &uid, &gid))
		return 0;
	for (size_t i = 0; i < tunecho_iface_count(d->responder); i++)
		keep = keep || tunecho_iface_outlives(d->responder, i);
	r = drop_privileges(uid, gid, keep, err, sizeof(err));
	if (r < 0) {
		logf_(d, TUNECHO_LOG_ERR, "%s", err);
		return r;
	}
	if (!keep)
		d->no_reload = "tunecho gave up CAP_NET_ADMIN after set-up (user in [global])";
	/* CAP_NET_ADMIN kept, but a device opens through the node's mode. */
	if (keep && access("/dev/net/tun", R_OK | W_OK) < 0)
		logf_(d, TUNECHO_LOG_WARNING,
		      "/dev/net/tun is not readable and writable by uid %u (%s): a reload that "
		      "adds or remakes a device, and recreate, will fail; give it a group of "
		      "that user (chgrp GROUP /dev/net/tun; chmod 0660 /dev/net/tun), or run "
		      "without user",
		      uid, strerror(errno));
	logf_(d, TUNECHO_LOG_INFO, "running as uid %u gid %u%s", uid, gid,
	      keep ? ", keeping CAP_NET_ADMIN to clean up persistent or attached devices"
		   : ", no capabilities");
	return 0;
}

/*
 * Until the loop watches them, SIGINT, SIGTERM, SIGHUP and SIGUSR1 would
 * kill tunecho half-way through a start (1000 interfaces take a while),
 * leaving what it had set up: they are held from the first instruction,
 * and the loop takes those that came meanwhile as soon as it runs. A TERM
 * during the start stops it cleanly once set up, a HUP reloads then.
 */
static void hold_signals(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigprocmask(how, &set, NULL);
}

int main(int argc, char **argv)
{
	static const int stop_signals[] = {SIGINT, SIGTERM};
	struct daemon d = {.config_path = DEFAULT_CONFIG, .level = TUNECHO_LOG_NOTICE};
	struct tunecho_config *cfg = NULL;
	struct event *sigev[4] = {NULL};
	char err[512];
	int r, status = EXIT_RUNTIME;

	hold_signals(SIG_BLOCK);
	/* A metrics client that hangs up mid-reply must cost an EPIPE, not the
	 * process (which would then leave its addresses behind). */
	signal(SIGPIPE, SIG_IGN);
	if (parse_options(&d, argc, argv))
		return EXIT_USAGE;
	r = read_config(&d, &cfg, err, sizeof(err));
	if (r) {
		/* missing, unreadable, not a file: a bad configuration too */
		fprintf(stderr, "tunecho: %s\n", err);
		return r == -ENOMEM ? EXIT_RUNTIME : EXIT_USAGE;
	}
	if (d.check_only) {
		printf("%s: OK, %zu interface%s\n", d.config_path, tunecho_config_iface_count(cfg),
		       tunecho_config_iface_count(cfg) == 1 ? "" : "s");
		tunecho_config_free(cfg);
		return EXIT_OK;
	}
	d.cfg = cfg; /* from here on, a reload may replace it */
	d.level = clamp_level((int)tunecho_config_log_level(cfg) + d.verbosity);
	d.syslog = d.syslog || tunecho_config_syslog(cfg);
	if (d.syslog)
		openlog("tunecho", LOG_PID, LOG_DAEMON);

	if (ensure_fd_limit(&d, tunecho_config_iface_count(cfg), tunecho_config_iface_count(cfg)) <
	    0)
		goto out;
	/* Precise timers (timerfd), where epoll's own timeout rounds to
	 * milliseconds. The profiles' delays have a timerfd of their own
	 * (shape.c) and do not depend on it. */
	{
		struct event_config *ec = event_config_new();

		if (ec && event_config_set_flag(ec, EVENT_BASE_FLAG_PRECISE_TIMER) == 0)
			d.base = event_base_new_with_config(ec);
		if (ec)
			event_config_free(ec);
		if (!d.base)
			d.base = event_base_new();
	}
	if (!d.base) {
		fprintf(stderr, "tunecho: cannot create the event loop\n");
		goto out;
	}
	r = tunecho_new(&d.responder, d.base);
	if (r) {
		fprintf(stderr, "tunecho: cannot open an rtnetlink socket: %s\n", strerror(-r));
		goto out;
	}
	tunecho_set_log_fn(d.responder, log_line, &d, d.level);
	tunecho_set_busy_poll(d.responder, tunecho_config_busy_poll_us(cfg));
	apply_reassembly(d.responder, cfg);
	tunecho_set_link_group(d.responder, tunecho_config_link_group(cfg));
	r = tunecho_add_config(d.responder, cfg);
	if (r < 0)
		goto out; /* the library logged the one line that says why */

	for (size_t i = 0; i < 2; i++)
		sigev[i] = evsignal_new(d.base, stop_signals[i], on_stop, &d);
	sigev[2] = evsignal_new(d.base, SIGHUP, on_hup_notify, &d);
	sigev[3] = evsignal_new(d.base, SIGUSR1, on_usr1, &d);
	d.render_stats = event_new(d.base, -1, 0, on_render_stats, &d);
	for (size_t i = 0; i < 4; i++) {
		if (!sigev[i] || !d.render_stats || evsignal_add(sigev[i], NULL)) {
			fprintf(stderr, "tunecho: cannot watch signals\n");
			goto out;
		}
	}
	/* Bound while still root (a port below 1024), before the sandbox. */
	if (tunecho_config_metrics(cfg) &&
	    metrics_start(&d.metrics, d.base, d.responder, tunecho_config_metrics(cfg), err,
			  sizeof(err)) < 0) {
		logf_(&d, TUNECHO_LOG_ERR, "%s", err);
		goto out;
	}
	if (notify_new(&d.notify, d.base) < 0)
		goto out;
	sandbox_allow((d.metrics ? SANDBOX_METRICS : 0) | (d.notify ? SANDBOX_NOTIFY : 0));
	if (become_user(&d, cfg) < 0)
		goto out;
	if (tunecho_config_seccomp(cfg)) {
#ifdef SANITIZED_BUILD
		/* Said, not fatal: what such a build is for is its checks. */
		logf_(&d, TUNECHO_LOG_WARNING,
		      "seccomp = yes is not applied: this is a sanitizer build, and "
		      "LeakSanitizer's check at exit makes calls (clone, ptrace, /proc) that the "
		      "allow-list does not admit");
#else
		if (sandbox_install(err, sizeof(err)) < 0) {
			logf_(&d, TUNECHO_LOG_ERR, "%s", err);
			goto out;
		}
		logf_(&d, TUNECHO_LOG_INFO, "seccomp allow-list installed");
#endif
	}
	logf_(&d, TUNECHO_LOG_NOTICE, "ready: %d interface%s, tunecho %s", r, r == 1 ? "" : "s",
	      tunecho_version());
	notify_served(&d);
	hold_signals(SIG_UNBLOCK); /* those that came during the start: now */
	if (event_base_dispatch(d.base) < 0) {
		logf_(&d, TUNECHO_LOG_ERR, "the event loop failed");
		goto out;
	}
	log_stats(&d);
	status = EXIT_OK;

out:
	metrics_free(d.metrics);
	notify_free(d.notify);
	for (size_t i = 0; i < 4; i++)
		if (sigev[i])
			event_free(sigev[i]);
	if (d.render_stats)
		event_free(d.render_stats);
	tunecho_free(d.responder);
	if (d.base)
		event_base_free(d.base);
	tunecho_config_free(d.cfg);
	if (d.syslog)
		closelog();
	return status;
}

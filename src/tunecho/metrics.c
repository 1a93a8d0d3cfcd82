/* SPDX-License-Identifier: MIT */
/*
 * The daemon's HTTP endpoint, on the daemon's own event loop (no thread,
 * no lock): GET /metrics (Prometheus text 0.0.4, the library's
 * tunecho_stats_prometheus() plus the process_* metrics the official
 * clients export) and GET /stats.json (tunecho_stats_json()).
 *
 * Shaped like NSD's metrics.c: a socket bound and listening before
 * privileges go, non-blocking, GET and HEAD only (405 otherwise), two
 * paths (404 otherwise). A small HTTP/1.1 responder over bufferevents
 * rather than libevent's evhttp: evhttp 2.1 accepts every connection it
 * can with no cap and no hook at accept time (evhttp_set_max_connections
 * is 2.2), so a flood of idle connections would use up the descriptors
 * the TUN devices need. Here at most METRICS_MAX_CONNS are open (the
 * listener pauses at the cap and the kernel's backlog holds the rest), a
 * request's header is bounded (431), every connection has a deadline
 * (METRICS_TIMEOUT_S) and answers one request, then closes.
 */
#define _GNU_SOURCE
#include "metrics.h"

#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "endpoint.h"
#include "tunecho.h"

struct metrics {
	struct event_base *base;
	const struct tunecho *t;
	struct evconnlistener *listener;
	unsigned conns;
	bool paused;
	double start_time; /* process_start_time_seconds */
	struct conn *list; /* open connections, to close at the end */
};

struct conn {
	struct metrics *m;
	struct bufferevent *bev;
	struct event *deadline; /* the whole exchange, not each read: a client
				 * trickling a byte at a time gets no longer */
	struct conn *next, **prev;
};

static void conn_free(struct conn *c)
{
	struct metrics *m = c->m;

	bufferevent_free(c->bev);
	event_free(c->deadline);
	*c->prev = c->next;
	if (c->next)
		c->next->prev = c->prev;
	free(c);
	if (--m->conns < METRICS_MAX_CONNS && m->paused) {
		evconnlistener_enable(m->listener);
		m->paused = false;
	}
}

/* Read a number from /proc/self/statm (field @field, in pages), in bytes. */
static unsigned long long statm_bytes(int field)
{
	unsigned long long v[2] = {0};
	char buf[128];
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu %llu", &v[0], &v[1]) != 2)
		return 0;
	return v[field] * (unsigned long long)sysconf(_SC_PAGESIZE);
}

/* Open descriptors: the entries of /proc/self/fd but the directory's own.
 * Once the daemon gave up root it is no longer dumpable and that directory
 * is root's: then each descriptor below the soft limit is asked instead
 * (fcntl(F_GETFD), harmless; a few ms for 20000). */
static unsigned open_fds(rlim_t limit)
{
	DIR *dir = opendir("/proc/self/fd");
	unsigned n = 0;

	if (dir) {
		while (readdir(dir))
			n++;
		closedir(dir);
		return n - 3; /* ".", ".." and the directory itself */
	}
	for (rlim_t fd = 0; fd < limit && fd < 65536; fd++)
		n += fcntl((int)fd, F_GETFD) >= 0;
	return n;
}

/* The process_* metrics, as the official client libraries name them. */
static void add_process_metrics(struct metrics *m, struct evbuffer *out)
{
	struct timespec cpu = {0};
	struct rlimit rl = {0};

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	getrlimit(RLIMIT_NOFILE, &rl);
	evbuffer_add_printf(
	    out,
	    "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
	    "# TYPE process_cpu_seconds_total counter\n"
	    "process_cpu_seconds_total %.6f\n"
	    "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
	    "# TYPE process_resident_memory_bytes gauge\n"
	    "process_resident_memory_bytes %llu\n"
	    "# HELP process_virtual_memory_bytes Virtual memory size in bytes.\n"
	    "# TYPE process_virtual_memory_bytes gauge\n"
	    "process_virtual_memory_bytes %llu\n"
	    "# HELP process_open_fds Number of open file descriptors.\n"
	    "# TYPE process_open_fds gauge\n"
	    "process_open_fds %u\n"
	    "# HELP process_max_fds Maximum number of open file descriptors.\n"
	    "# TYPE process_max_fds gauge\n"
	    "process_max_fds %llu\n"
	    "# HELP process_start_time_seconds Start time of the process since unix epoch in "
	    "seconds.\n"
	    "# TYPE process_start_time_seconds gauge\n"
	    "process_start_time_seconds %.3f\n",
	    (double)cpu.tv_sec + (double)cpu.tv_nsec / 1e9, statm_bytes(1), statm_bytes(0),
	    open_fds(rl.rlim_cur), (unsigned long long)rl.rlim_cur, m->start_time);
}

/* Append the text @render writes (tunecho_stats_*()) to @out. */
static int add_rendered(struct evbuffer *out, const struct tunecho *t,
			int (*render)(const struct tunecho *, char *, size_t))
{
	int n = render(t, NULL, 0);
	struct evbuffer_iovec v;

	if (n < 0 || evbuffer_reserve_space(out, n + 1, &v, 1) < 1)
		return -ENOMEM;
	render(t, v.iov_base, (size_t)n + 1);
	v.iov_len = (size_t)n;
	return evbuffer_commit_space(out, &v, 1);
}

/* Queue the response and stop reading: the connection closes once it is
 * written (on_write). */
static void respond(struct conn *c, int code, const char *reason, const char *type,
		    struct evbuffer *body, bool head, const char *extra)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);

	bufferevent_disable(c->bev, EV_READ);
	evbuffer_add_printf(out,
			    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "%sConnection: close\r\n\r\n",
			    code, reason, type,
			    body ? evbuffer_get_length(body) : strlen(reason) + 1,
			    extra ? extra : "");
	if (head)
		;
	else if (body)
		evbuffer_add_buffer(out, body);
	else
		evbuffer_add_printf(out, "%s\n", reason);
	bufferevent_enable(c->bev, EV_WRITE);
}

/* "METHOD TARGET HTTP/1.x" in @line: answer it. */
static void handle(struct conn *c, char *line)
{
	char *method = line, *target, *version, *query;
	struct evbuffer *body;
	bool head, ok = true;

	target = strchr(method, ' ');
	version = target ? strchr(target + 1, ' ') : NULL;
	if (!version || strncmp(version + 1, "HTTP/1.", 7)) {
		respond(c, 400, "Bad Request", "text/plain", NULL, false, NULL);
		return;
	}
	*target++ = '\0';
	*version = '\0';
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		respond(c, 405, "Method Not Allowed", "text/plain", NULL, false,
			"Allow: GET, HEAD\r\n");
		return;
	}
	query = strchr(target, '?');
	if (query)
		*query = '\0';
	if (strcmp(target, "/metrics") && strcmp(target, "/stats.json")) {
		respond(c, 404, "Not Found", "text/plain", NULL, head, NULL);
		return;
	}
	body = evbuffer_new();
	if (!body) {
		bufferevent_disable(c->bev, EV_READ);
		conn_free(c);
		return;
	}
	if (!strcmp(target, "/metrics")) {
		ok = add_rendered(body, c->m->t, tunecho_stats_prometheus) == 0;
		if (ok)
			add_process_metrics(c->m, body);
		if (ok)
			respond(c, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", body,
				head, NULL);
	} else {
		ok = add_rendered(body, c->m->t, tunecho_stats_json) == 0 &&
		     evbuffer_add(body, "\n", 1) == 0;
		if (ok)
			respond(c, 200, "OK", "application/json", body, head, NULL);
	}
	if (!ok)
		respond(c, 500, "Internal Server Error", "text/plain", NULL, head, NULL);
	evbuffer_free(body);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	size_t len;
	char *line;

	if (end.pos < 0)
		end = evbuffer_search(in, "\n\n", 2, NULL);
	if (end.pos < 0) {
		/* The high watermark stops reading at the limit: no more is coming. */
		if (evbuffer_get_length(in) >= METRICS_MAX_HEADER)
			respond(c, 431, "Request Header Fields Too Large", "text/plain", NULL,
				false, NULL);
		return;
	}
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
	if (!line) {
		respond(c, 400, "Bad Request", "text/plain", NULL, false, NULL);
		return;
	}
	handle(c, line);
	free(line);
}

/* The whole response is out: done (one request per connection). */
static void on_write(struct bufferevent *bev, void *arg)
{
	(void)bev;
	conn_free(arg);
}

/* Closed by the client, or an error. */
static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	(void)what;
	conn_free(arg);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	conn_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
		      void *arg)
{
	struct metrics *m = arg;
	struct timeval tv = {.tv_sec = METRICS_TIMEOUT_S};
	struct conn *c = calloc(1, sizeof(*c));

	(void)sa;
	(void)len;
	if (c) {
		c->bev = bufferevent_socket_new(m->base, fd, BEV_OPT_CLOSE_ON_FREE);
		c->deadline = evtimer_new(m->base, on_deadline, c);
	}
	if (!c || !c->bev || !c->deadline) {
		if (c && c->bev)
			bufferevent_free(c->bev);
		else
			close(fd);
		if (c && c->deadline)
			event_free(c->deadline);
		free(c);
		return;
	}
	c->m = m;
	c->next = m->list;
	c->prev = &m->list;
	if (m->list)
		m->list->prev = &c->next;
	m->list = c;
	if (++m->conns >= METRICS_MAX_CONNS) {
		evconnlistener_disable(l);
		m->paused = true;
	}
	bufferevent_setcb(c->bev, on_read, on_write, on_event, c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, METRICS_MAX_HEADER);
	evtimer_add(c->deadline, &tv);
	bufferevent_enable(c->bev, EV_READ);
}

/* A socket bound to @where and listening, non-blocking. */
static int listen_on(const char *where, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, r;

	if (te_endpoint_parse(where, &ss, &len)) {
		snprintf(err, errlen, "metrics: '%s' is not an address to listen on", where);
		return -EINVAL;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (ss.ss_family == AF_UNIX) {
		struct stat st;
		const char *path = ((struct sockaddr_un *)&ss)->sun_path;

		/* A socket left by an earlier run; anything else stays. */
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
			unlink(path);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	}
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, METRICS_MAX_CONNS) < 0)
		goto fail;
	return fd;
fail:
	r = -errno;
	snprintf(err, errlen, "metrics: cannot listen on %s: %s", where, strerror(errno));
	if (fd >= 0)
		close(fd);
	return r;
}

int metrics_start(struct metrics **out, struct event_base *base, const struct tunecho *t,
		  const char *where, char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));
	struct timeval now;
	int fd;

	if (!m) {
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	fd = listen_on(where, err, errlen);
	if (fd < 0) {
		free(m);
		return fd;
	}
	m->base = base;
	m->t = t;
	gettimeofday(&now, NULL);
	m->start_time = (double)now.tv_sec + (double)now.tv_usec / 1e6;
	/* backlog 0: it listens already */
	m->listener = evconnlistener_new(base, on_accept, m,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!m->listener) {
		close(fd);
		free(m);
		snprintf(err, errlen, "metrics: out of memory");
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

void metrics_free(struct metrics *m)
{
	if (!m)
		return;
	m->paused = false; /* no re-enabling while closing */
	while (m->list) {
		struct conn *c = m->list;

		m->list = c->next;
		bufferevent_free(c->bev);
		event_free(c->deadline);
		free(c);
	}
	evconnlistener_free(m->listener);
	free(m);
}

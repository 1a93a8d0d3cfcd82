/* SPDX-License-Identifier: MIT */
/*
 * Shared by the suites that run a responder in-process (test-responder.c,
 * test-embed.c): a log capture, a config from text, a responder on a
 * test's event base, and running the loop while a command runs.
 */
#ifndef TE_TEST_RESPONDER_COMMON_H
#define TE_TEST_RESPONDER_COMMON_H

#include "common.h"

#include <event2/event.h>

#include "tunecho.h"

struct log_capture {
	char text[8192];
	size_t len;
};

static inline void capture(void *arg, enum tunecho_log_level level, const char *msg)
{
	struct log_capture *c = arg;
	int n = snprintf(c->text + c->len, sizeof(c->text) - c->len, "%s: %s\n",
			 tunecho_log_level_name(level), msg);

	if (n > 0 && (size_t)n < sizeof(c->text) - c->len)
		c->len += (size_t)n;
}

static inline struct tunecho_config *config(const char *text)
{
	struct tunecho_config *cfg = NULL;
	char err[256];

	ck_assert_msg(tunecho_config_load_string(&cfg, text, err, sizeof(err)) == 0, "%s", err);
	return cfg;
}

static inline struct tunecho *responder(struct event_base *base, const char *text,
					struct log_capture *log)
{
	struct tunecho_config *cfg = config(text);
	struct tunecho *t = NULL;

	ck_assert_int_eq(tunecho_new(&t, base), 0);
	if (log)
		tunecho_set_log_fn(t, capture, log, TUNECHO_LOG_DEBUG);
	ck_assert_int_eq(tunecho_add_config(t, cfg), (int)tunecho_config_iface_count(cfg));
	tunecho_config_free(cfg);
	return t;
}

/* Start `sh -c CMD` and run @bases until it exits; its exit status. */
static inline int run_while(struct event_base **bases, size_t n, const char *cmd)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	for (;;) {
		for (size_t i = 0; i < n; i++)
			event_base_loop(bases[i], EVLOOP_NONBLOCK);
		if (waitpid(pid, &st, WNOHANG) == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		usleep(200);
	}
}

/* run_while(), with the command's output (stdout and stderr) in @out. */
static inline int run_while_out(struct event_base *base, const char *cmd, char *out, size_t size)
{
	char path[64], full[1024];
	FILE *f;
	size_t n;
	int st;

	snprintf(path, sizeof(path), "/tmp/tunecho-test-out.%d", (int)getpid());
	snprintf(full, sizeof(full), "%s >%s 2>&1", cmd, path);
	st = run_while(&base, 1, full);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
	unlink(path);
	return st;
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the responder tells its embedder besides the log: events, each also
 * a log line (one source for both), and the last error line. Below every
 * file that reports (iface.c, watch.c, reload.c), which only call down.
 */
#include <stdarg.h>
#include <stdio.h>

#include "responder.h"

void tunecho_set_event_fn(struct tunecho *t, tunecho_event_fn *fn, void *arg)
{
	if (!t)
		return;
	t->event_fn = fn;
	t->event_arg = arg;
}

const char *tunecho_last_error(const struct tunecho *t)
{
	return t ? t->log.last_error : "";
}

void te_event(struct tunecho *t, enum tunecho_event_kind kind, const char *ifname,
	      enum tunecho_log_level level, const char *fmt, ...)
{
	struct tunecho_event ev = {.kind = kind, .ifname = ifname};
	char line[TE_LOG_LINE];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	te_log(&t->log, level, "%s", line);
	ev.message = line;
	if (t->event_fn)
		t->event_fn(t->event_arg, &ev);
}

/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void te_vlog(struct te_logger *lg, enum tunecho_log_level level, const char *fmt, va_list ap)
{
	char line[TE_LOG_LINE];

	if (level == TUNECHO_LOG_ERR) {
		vsnprintf(lg->last_error, sizeof(lg->last_error), fmt, ap);
		if (lg->fn && level <= lg->max)
			lg->fn(lg->arg, level, lg->last_error);
		return;
	}
	if (!lg->fn || level > lg->max)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	lg->fn(lg->arg, level, line);
}

void te_log(struct te_logger *lg, enum tunecho_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	te_vlog(lg, level, fmt, ap);
	va_end(ap);
}

const char *tunecho_log_level_name(enum tunecho_log_level level)
{
	switch (level) {
	case TUNECHO_LOG_ERR:
		return "error";
	case TUNECHO_LOG_WARNING:
		return "warning";
	case TUNECHO_LOG_NOTICE:
		return "notice";
	case TUNECHO_LOG_INFO:
		return "info";
	case TUNECHO_LOG_DEBUG:
		return "debug";
	}
	return "?";
}

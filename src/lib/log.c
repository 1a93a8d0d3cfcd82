/* SPDX-License-Identifier: MIT */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

void te_log(const struct te_logger *lg, enum tunecho_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!lg->fn || level > lg->max)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	lg->fn(lg->arg, level, line);
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

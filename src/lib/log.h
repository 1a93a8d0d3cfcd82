/* SPDX-License-Identifier: MIT */
/* Logging through the embedder's callback; silent without one. */
#ifndef TE_LOG_H
#define TE_LOG_H

#include <stdarg.h>

#include "tunecho.h"

/* Lines longer than this are cut (README, "Embedding"). */
#define TE_LOG_LINE 512

struct te_logger {
	tunecho_log_fn *fn;
	void *arg;
	enum tunecho_log_level max;
	/* The last error line, kept whatever @max says: tunecho_last_error(). */
	char last_error[TE_LOG_LINE];
};

void te_log(struct te_logger *lg, enum tunecho_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The same with a va_list. */
void te_vlog(struct te_logger *lg, enum tunecho_log_level level, const char *fmt, va_list ap);

#endif

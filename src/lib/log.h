/* SPDX-License-Identifier: MIT */
/* Logging through the embedder's callback; silent without one. */
#ifndef TE_LOG_H
#define TE_LOG_H

#include "tunecho.h"

struct te_logger {
	tunecho_log_fn *fn;
	void *arg;
	enum tunecho_log_level max;
};

void te_log(const struct te_logger *lg, enum tunecho_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif

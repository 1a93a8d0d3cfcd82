/* SPDX-License-Identifier: MIT */
/* Counters: names of drop reasons, adding up interfaces. */
#ifndef TE_STATS_H
#define TE_STATS_H

#include "tunecho.h"

/* Add every counter of @from to @to. */
void te_stats_add(struct tunecho_stats *to, const struct tunecho_stats *from);

/* Total of all drop reasons of @s. */
uint64_t te_stats_drops(const struct tunecho_stats *s);

#endif

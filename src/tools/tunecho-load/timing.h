/* SPDX-License-Identifier: MIT */
/*
 * When requests leave and replies arrive, for tunecho-load's loop. Pure:
 * no clock, no I/O.
 *
 * An open loop at @rate requests/s per target spreads its requests evenly:
 * the targets take turns, request k of target i (of n) leaving at
 * (k + i/n) / rate seconds after the start. A burst of every target's
 * request at once would queue at the responder and widen the very RTTs
 * it measures.
 *
 * A reply's arrival is the kernel's stamp of it (SO_TIMESTAMPNS), which
 * is on CLOCK_REALTIME; it is brought to CLOCK_MONOTONIC by an offset
 * read with the batch.
 */
#ifndef TL_TIMING_H
#define TL_TIMING_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* How many requests target @i of @n may have sent @elapsed_ns after the start. */
uint64_t timing_due(double rate, uint64_t elapsed_ns, size_t i, size_t n);

/* The turns of all @n targets due @elapsed_ns after the start: the
 * targets with a new request since the last call are those of the turns
 * between, target (turn % n) having each. */
uint64_t timing_turns(double rate, uint64_t elapsed_ns, size_t n);

/*
 * When the reply to a request sent at @sent arrived, on the monotonic
 * clock, from the kernel's CLOCK_REALTIME stamp @rt and @rt_offset
 * (CLOCK_REALTIME - CLOCK_MONOTONIC); @now (when it was read) where that
 * is not plausible: before @sent or after @now (the realtime clock was
 * stepped in between).
 */
uint64_t timing_arrival(const struct timespec *rt, int64_t rt_offset, uint64_t sent, uint64_t now);

#endif

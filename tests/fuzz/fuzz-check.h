/* SPDX-License-Identifier: MIT */
/*
 * Shared by the fuzz targets: an invariant that does not hold aborts with
 * the file, line and what it says, so libFuzzer keeps the input.
 */
#ifndef TE_FUZZ_CHECK_H
#define TE_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			te_fuzz_violation(__FILE__, __LINE__, #cond, what);                        \
	} while (0)

static inline void te_fuzz_violation(const char *file, int line, const char *cond, const char *what)
{
	fprintf(stderr, "%s:%d: invariant violated: %s (%s)\n", file, line, what, cond);
	abort();
}

/* Big-endian fields. */
static inline unsigned te_get16(const uint8_t *p)
{
	return (unsigned)(p[0] << 8 | p[1]);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * What the checksum and packet suites check the library against: a
 * fixed-seed generator for random buffers, and the Internet checksum
 * written the slow, obvious way (RFC 1071), word by word.
 */
#ifndef TE_TEST_REFERENCE_H
#define TE_TEST_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/* A fixed-seed generator (xorshift64*): the same buffers on every run. */
static uint64_t rng_state;

static inline void rng_seed(uint64_t seed)
{
	rng_state = seed ? seed : 1;
}

static inline uint32_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Uniform enough in [0, n]. */
static inline size_t rng_upto(size_t n)
{
	return (size_t)(rng() % (n + 1));
}

static inline void rng_fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rng();
}

/* One's complement addition of two 16-bit values, end-around carry. */
static inline uint16_t ones_add(uint16_t a, uint16_t b)
{
	uint32_t s = (uint32_t)a + b;

	return (uint16_t)((s & 0xffff) + (s >> 16));
}

/*
 * The one's complement sum of @len bytes as big-endian 16-bit words, added
 * one by one with end-around carry, an odd trailing byte padded with a
 * zero byte. Not complemented; 0 only for all-zero data.
 */
static inline uint16_t ref_sum(const uint8_t *p, size_t len)
{
	uint16_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s = ones_add(s, (uint16_t)(p[i] << 8 | p[i + 1]));
	if (i < len)
		s = ones_add(s, (uint16_t)(p[i] << 8));
	return s;
}

#endif

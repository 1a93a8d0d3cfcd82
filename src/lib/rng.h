/* SPDX-License-Identifier: MIT */
/*
 * The behaviour profiles' random numbers: xoshiro256** (Blackman and
 * Vigna), seeded through splitmix64 as its authors recommend. Fast (a few
 * cycles a draw, no division), 256 bits of state so streams never meet in
 * practice, and explicit: the state lives in the caller's struct, so
 * `[global] seed = N` reproduces every choice, and each worker of a future
 * multi-queue responder seeds its own stream from the same N (the @stream
 * argument) without sharing anything. Not for secrets.
 */
#ifndef TE_RNG_H
#define TE_RNG_H

#include <stdint.h>

/* 128-bit products, for te_rng_below() (the extension keeps -pedantic quiet). */
__extension__ typedef unsigned __int128 te_u128;

struct te_rng {
	uint64_t s[4];
};

static inline uint64_t te_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/*
 * Seed @r from @seed and @stream (0 for the first worker, 1 for the
 * next...): the same pair always gives the same sequence, two pairs give
 * unrelated ones. splitmix64 never yields an all-zero state from 4 draws.
 */
static inline void te_rng_seed(struct te_rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed ^ te_splitmix64(&(uint64_t){stream ^ 0x5851f42d4c957f2dull});

	for (int i = 0; i < 4; i++)
		r->s[i] = te_splitmix64(&x);
}

static inline uint64_t te_rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

/* The next 64 random bits. */
static inline uint64_t te_rng_next(struct te_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = te_rng_rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = te_rng_rotl(s[3], 45);
	return out;
}

/* Uniform in [0, 1), 53 bits. */
static inline double te_rng_unit(struct te_rng *r)
{
	return (double)(te_rng_next(r) >> 11) * 0x1p-53;
}

/* Uniform in (0, 1]: safe to take the log or a negative power of. */
static inline double te_rng_unit_open0(struct te_rng *r)
{
	return (double)((te_rng_next(r) >> 11) + 1) * 0x1p-53;
}

/* Uniform in [0, @n) for @n > 0 (Lemire's multiply-shift; bias < n / 2^64). */
static inline uint64_t te_rng_below(struct te_rng *r, uint64_t n)
{
	return (uint64_t)(((te_u128)te_rng_next(r) * n) >> 64);
}

#endif

/* SPDX-License-Identifier: MIT */
/*
 * SipHash-2-4 (Aumasson, Bernstein 2012): a keyed hash whose output bits
 * are uniform however alike the inputs are. With a constant key it spreads
 * addresses of one prefix (link.c's MACs); with a random key, one an
 * attacker cannot know, it keeps the buckets of a hash table apart however
 * the keys are chosen (reasm.c), as Linux keys its fragment table.
 */
#ifndef TE_SIPHASH_H
#define TE_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

uint64_t te_siphash(uint64_t k0, uint64_t k1, const uint8_t *p, size_t len);

#endif

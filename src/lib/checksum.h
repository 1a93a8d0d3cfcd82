/* SPDX-License-Identifier: MIT */
/*
 * The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
 * Pure functions on bytes in network order; no I/O.
 */
#ifndef TE_CHECKSUM_H
#define TE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Add the bytes of @data to the running one's-complement sum @sum, as
 * big-endian 16-bit words; an odd trailing byte is padded with zero. The
 * result is unfolded: pass it on, then fold with te_csum_fold(). @len must
 * be even except in the last call of a sequence.
 */
uint32_t te_csum_add(uint32_t sum, const void *data, size_t len);

/* Fold @sum to 16 bits and complement it: the value a checksum field holds. */
static inline uint16_t te_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * RFC 1624 equation 3: the checksum field @hc (host order) after one
 * 16-bit word of the covered data changed from @old to @new:
 * HC' = ~(~HC + ~m + m'). Unlike equation 2 it never yields -0 wrongly.
 */
static inline uint16_t te_csum_update16(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~hc + (uint32_t)(uint16_t)~old + new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif

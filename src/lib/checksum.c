/* SPDX-License-Identifier: MIT */
#include "checksum.h"

#include <string.h>

/* Fold a 64-bit one's-complement sum to 16 bits (not complemented). */
static uint32_t fold16(uint64_t acc)
{
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

uint32_t te_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t a = 0, b = 0;
	uint32_t folded;

	/*
	 * The sum is independent of byte order (RFC 1071 §2(B)): add the data
	 * as native 32-bit words into two 64-bit accumulators, 16 bytes a
	 * turn, fold once at the end, and swap the 16-bit result into network
	 * order on a little-endian host. One's complement addition is
	 * associative, so this equals adding big-endian 16-bit words one by
	 * one; it is what a 64 KiB reassembled request costs most.
	 */
	while (len >= 16) {
		uint32_t w[4];

		memcpy(w, p, sizeof(w));
		a += w[0];
		b += w[1];
		a += w[2];
		b += w[3];
		p += 16;
		len -= 16;
	}
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		a += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t w;

		memcpy(&w, p, 2);
		a += w;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte, padded with zero after it in network order. */
		uint8_t w[2] = {p[0], 0};
		uint16_t v;

		memcpy(&v, w, 2);
		a += v;
	}
	folded = fold16(a + b);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	folded = (uint16_t)(folded << 8 | folded >> 8);
#endif
	return fold16((uint64_t)sum + folded);
}

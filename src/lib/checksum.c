/* SPDX-License-Identifier: MIT */
#include "checksum.h"

#include <arpa/inet.h>
#include <string.h>

uint32_t te_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t acc = sum;

	/*
	 * Sum 32-bit big-endian chunks into a 64-bit accumulator: one's
	 * complement addition is associative, so folding the carries once at
	 * the end gives the same result as adding 16-bit words one by one.
	 */
	while (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += ntohl(w);
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		acc += (uint32_t)p[0] << 8 | p[1];
		p += 2;
		len -= 2;
	}
	if (len)
		acc += (uint32_t)p[0] << 8;

	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (uint32_t)acc;
}

/* SPDX-License-Identifier: MIT */
/*
 * A set of small fixed-size keys, each with a value: how the config parser
 * finds what is given twice (a name, an address, a route) in constant time
 * rather than by comparing every line with the ones before it.
 */
#ifndef TE_DUPSET_H
#define TE_DUPSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Zero it whole before filling it in: the bytes are hashed as they are. */
struct te_dupkey {
	uint8_t kind; /* the caller's: what the key is */
	uint8_t family;
	uint8_t len;
	uint8_t pad;
	uint32_t owner; /* the caller's: whose it is, when that tells keys apart */
	uint8_t bytes[16];
};

struct te_dupset {
	struct te_dupslot *slots;
	size_t cap; /* a power of two, or 0 */
	size_t n;
};

/*
 * Look @k up in @set (zeroed before its first use); if it is new, add it
 * with @value. Returns 1 when it was there (its value in *@found), 0 when
 * added, -ENOMEM.
 */
int te_dupset_check(struct te_dupset *set, const struct te_dupkey *k, uint32_t value,
		    uint32_t *found);

/* Free what @set holds and zero it. */
void te_dupset_clear(struct te_dupset *set);

#endif

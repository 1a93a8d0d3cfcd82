/* SPDX-License-Identifier: MIT */
/* dupset.h: open addressing, linear probing, at most half full. */
#include "dupset.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct te_dupslot {
	struct te_dupkey key;
	uint32_t value;
	bool used;
};

static uint64_t hash(const struct te_dupkey *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h ^ (h >> 29);
}

static struct te_dupslot *find(struct te_dupslot *slots, size_t cap, const struct te_dupkey *k)
{
	size_t i = (size_t)hash(k) & (cap - 1);

	while (slots[i].used && memcmp(&slots[i].key, k, sizeof(*k)))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

int te_dupset_check(struct te_dupset *set, const struct te_dupkey *k, uint32_t value,
		    uint32_t *found)
{
	struct te_dupslot *slot;

	if (2 * (set->n + 1) > set->cap) {
		size_t cap = set->cap ? 2 * set->cap : 64;
		struct te_dupslot *slots = calloc(cap, sizeof(*slots));

		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < set->cap; i++)
			if (set->slots[i].used)
				*find(slots, cap, &set->slots[i].key) = set->slots[i];
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	slot = find(set->slots, set->cap, k);
	if (slot->used) {
		*found = slot->value;
		return 1;
	}
	slot->key = *k;
	slot->value = value;
	slot->used = true;
	set->n++;
	return 0;
}

void te_dupset_clear(struct te_dupset *set)
{
	free(set->slots);
	memset(set, 0, sizeof(*set));
}

/* SPDX-License-Identifier: MIT */
#include "hosts.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Slots looked at for one host: a cache line or two of keys. */
#define WINDOW 8

struct slot {
	uint8_t addr[16];
	uint64_t seen_ns;
	uint8_t family; /* 0: free */
	struct te_host_state st;
};

struct te_hosts {
	size_t mask; /* slots - 1 */
	uint64_t k0, k1;
	size_t count;
	uint64_t forgotten;
	struct slot *slot;
};

int te_hosts_new(struct te_hosts **out, size_t capacity, uint64_t seed)
{
	struct te_hosts *t;
	size_t n = 16;

	if (capacity > ((size_t)1 << 28))
		return -EINVAL;
	while (n < capacity)
		n *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->slot = calloc(n, sizeof(*t->slot));
	if (!t->slot) {
		free(t);
		return -ENOMEM;
	}
	t->mask = n - 1;
	t->k0 = te_splitmix64(&seed);
	t->k1 = te_splitmix64(&seed) | 1;
	*out = t;
	return 0;
}

void te_hosts_free(struct te_hosts *t)
{
	if (!t)
		return;
	free(t->slot);
	free(t);
}

void te_hosts_clear(struct te_hosts *t)
{
	memset(t->slot, 0, (t->mask + 1) * sizeof(*t->slot));
	t->count = 0;
}

/* A keyed multiply-xorshift over the address words: fast, and not guessable without the key. */
static size_t hash(const struct te_hosts *t, int family, const uint8_t *a)
{
	uint64_t w[2] = {0, 0}, h = t->k0 ^ (uint64_t)family;

	memcpy(w, a, family == AF_INET6 ? 16 : 4);
	for (int i = 0; i < 2; i++) {
		h = (h ^ w[i]) * t->k1;
		h ^= h >> 29;
	}
	h *= 0xbf58476d1ce4e5b9ull;
	return (size_t)(h ^ (h >> 32));
}

struct te_host_state *te_hosts_get(struct te_hosts *t, int family, const uint8_t *addr,
				   uint64_t now_ns)
{
	size_t len = family == AF_INET6 ? 16 : 4, at;
	struct slot *free_slot = NULL, *oldest = NULL;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	at = hash(t, family, addr);
	for (size_t i = 0; i < WINDOW; i++) {
		struct slot *s = &t->slot[(at + i) & t->mask];

		if (!s->family) {
			if (!free_slot)
				free_slot = s;
			continue;
		}
		if (s->family == family && !memcmp(s->addr, addr, len)) {
			s->seen_ns = now_ns;
			return &s->st;
		}
		if (!oldest || s->seen_ns < oldest->seen_ns)
			oldest = s;
	}
	if (free_slot) {
		t->count++;
	} else {
		free_slot = oldest;
		t->forgotten++;
	}
	memset(free_slot, 0, sizeof(*free_slot));
	memcpy(free_slot->addr, addr, len);
	free_slot->family = (uint8_t)family;
	free_slot->seen_ns = now_ns;
	return &free_slot->st;
}

void te_hosts_get_stats(const struct te_hosts *t, struct te_hosts_stats *out)
{
	out->count = t->count;
	out->capacity = t->mask + 1;
	out->forgotten = t->forgotten;
}

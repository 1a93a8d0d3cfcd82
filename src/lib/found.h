/* SPDX-License-Identifier: MIT */
/*
 * Devices as tunecho found them, and as it leaves them (found.c), for
 * iface.c: attached devices put back as found, persistent ones left down,
 * a killed run's leftovers on a persistent device taken back.
 */
#ifndef TE_FOUND_H
#define TE_FOUND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "responder.h"

/* A device that stays when we go: what we added to it must be removed. */
static inline bool te_outlives(const struct te_iface *ifc, bool keep_persistent)
{
	return ifc->fd >= 0 && (!ifc->created || (ifc->persist && keep_persistent));
}

/* How an existing device was before we opened it (te_ifaces_start). */
struct te_as_found {
	bool valid, up, link_local;
	int ifindex;
	uint32_t mtu, txqlen;
	uint32_t master; /* the bridge it is a port of, 0: none */
};

/*
 * Before the devices of @ics are opened: note in @state[i] how the one of
 * @ics[i] is, if it exists and may be attached to (one dump for all).
 */
void te_found_note(struct tunecho *t, const struct te_iface_config *const *ics, size_t n,
		   struct te_as_found *state);

/* Keep on @ifc, once open, what te_found_note() saw, if we did not create it. */
void te_found_keep(struct te_iface *ifc, const struct te_as_found *st);

/* Remove from the persistent devices taken back what a killed run left. */
void te_found_clear_leftovers(struct tunecho *t, struct te_iface **ifcs,
			      const struct te_iface_config *const *ics, size_t n);

/*
 * As we leave the devices among @ifcs that outlive us: attached ones as
 * found, persistent ones down. After their addresses and routes went.
 */
void te_found_put_back(struct tunecho *t, struct te_iface **ifcs, size_t n, bool keep_persistent);

#endif

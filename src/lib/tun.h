/* SPDX-License-Identifier: MIT */
/* TUN character-device handling: create or attach, ownership, persistence. */
#ifndef TE_TUN_H
#define TE_TUN_H

#include <stdbool.h>
#include <stdint.h>

struct te_tun_request {
	const char *name;
	bool attach;	      /* an existing device of that name may be used */
	bool persist;	      /* make a device we create persistent */
	bool tap;	      /* a TAP device (Ethernet frames), else TUN */
	int64_t owner, group; /* -1: leave unset */
};

/*
 * Open /dev/net/tun non-blocking and bind it to the TUN (or with @req->tap
 * TAP) device @req->name, without packet information (IFF_NO_PI),
 * creating it (exclusively) or, when @req->attach allows, attaching to an
 * existing one. Owner, group and persistence are set only on a device this
 * call created.
 *
 * Returns the fd and sets *@created, or a negative errno: -EEXIST when the
 * device exists and attaching is not allowed, -EBUSY when it exists but
 * cannot be attached (in use, or not of that kind), else the -errno of the
 * failing open or ioctl, with @step set to its name ("open /dev/net/tun",
 * "TUNSETIFF", ...).
 */
int te_tun_open(const struct te_tun_request *req, bool *created, const char **step);

/* Clear the persist flag of a device we made persistent, before closing. */
int te_tun_unpersist(int fd);

/* The MTU the kernel has for interface @name: 0 and *@mtu, or -errno. */
int te_tun_get_mtu(const char *name, uint32_t *mtu);

#endif

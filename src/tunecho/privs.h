/* SPDX-License-Identifier: MIT */
/* Dropping privileges once the devices and addresses are set up. */
#ifndef TUNECHO_PRIVS_H
#define TUNECHO_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Become @uid:@gid with no supplementary groups, an empty bounding set and
 * no capabilities but CAP_NET_ADMIN when @keep_net_admin (needed to remove
 * addresses from devices that outlive us); then set no-new-privs so no
 * exec can gain any back. Returns 0, or -errno with a reason in @err.
 */
int drop_privileges(uid_t uid, gid_t gid, bool keep_net_admin, char *err, size_t errlen);

#endif

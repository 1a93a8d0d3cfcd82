/* SPDX-License-Identifier: MIT */
#include "privs.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>

int drop_privileges(uid_t uid, gid_t gid, bool keep_net_admin, char *err, size_t errlen)
{
	int r;

	capng_clear(CAPNG_SELECT_BOTH);
	if (keep_net_admin &&
	    capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, CAP_NET_ADMIN) < 0) {
		snprintf(err, errlen, "cannot keep CAP_NET_ADMIN");
		return -EPERM;
	}
	/*
	 * One call sets the groups, the ids and the capability sets in the
	 * right order (keeping capabilities across setuid while it does).
	 */
	r = capng_change_id((int)uid, (int)gid, CAPNG_DROP_SUPP_GRP | CAPNG_CLEAR_BOUNDING);
	if (r < 0) {
		/* capng_change_id(3): which step failed, by return value. */
		static const char *const step[] = {
		    "initialising",	"keeping capabilities",	     "applying capabilities",
		    "changing the gid", "dropping groups",	     "changing the uid",
		    "locking the ids",	"clearing the bounding set",
		};

		snprintf(err, errlen, "cannot run as uid %u gid %u: %s failed", (unsigned)uid,
			 (unsigned)gid, -r >= 1 && -r <= 8 ? step[-r - 1] : "libcap-ng");
		return -EPERM;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot set no-new-privs: %s", strerror(-r));
		return r;
	}
	return 0;
}

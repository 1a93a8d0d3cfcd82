/* SPDX-License-Identifier: MIT */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int set_iff(int fd, const char *name, int flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = (short)flags; /* IFF_TUN_EXCL is 0x8000: the sign bit */
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	return ioctl(fd, TUNSETIFF, &ifr) < 0 ? -errno : 0;
}

int te_tun_open(const struct te_tun_request *req, bool *created, const char **step)
{
	int kind = (req->tap ? IFF_TAP : IFF_TUN) | IFF_NO_PI, fd, r;

	*step = "open /dev/net/tun";
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;

	/*
	 * Try to create first: IFF_TUN_EXCL makes the kernel refuse with
	 * EBUSY when the name is taken, which tells an existing device apart
	 * without a separate (racy) lookup.
	 */
	*step = "TUNSETIFF";
	r = set_iff(fd, req->name, kind | IFF_TUN_EXCL);
	if (r == 0) {
		*created = true;
	} else if (r == -EBUSY && !req->attach) {
		r = -EEXIST;
		goto fail;
	} else if (r == -EBUSY) {
		*created = false;
		r = set_iff(fd, req->name, kind);
		if (r)
			goto fail; /* EBUSY again: in use by another process, or another kind */
		return fd;
	} else {
		goto fail;
	}

	if (req->owner >= 0) {
		*step = "TUNSETOWNER";
		if (ioctl(fd, TUNSETOWNER, (unsigned long)req->owner) < 0)
			goto fail_errno;
	}
	if (req->group >= 0) {
		*step = "TUNSETGROUP";
		if (ioctl(fd, TUNSETGROUP, (unsigned long)req->group) < 0)
			goto fail_errno;
	}
	if (req->persist) {
		*step = "TUNSETPERSIST";
		if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
			goto fail_errno;
	}
	return fd;

fail_errno:
	r = -errno;
fail:
	/* Closing a non-persistent device we created deletes it again. */
	close(fd);
	return r;
}

int te_tun_unpersist(int fd)
{
	return ioctl(fd, TUNSETPERSIST, 0UL) < 0 ? -errno : 0;
}

int te_tun_get_mtu(const char *name, uint32_t *mtu)
{
	/* Any socket takes the interface ioctls; AF_UNIX is the one the
	 * daemon's seccomp allow-list admits (glibc's if_nametoindex() uses it). */
	struct ifreq ifr = {0};
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, SIOCGIFMTU, &ifr) < 0)
		r = -errno;
	else
		*mtu = (uint32_t)ifr.ifr_mtu;
	close(fd);
	return r;
}

/* SPDX-License-Identifier: MIT */
/* Parsing a listening address (endpoint.h). */
#include "endpoint.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static int parse_port(const char *s, in_port_t *port)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = htons((in_port_t)v);
	return 0;
}

int te_endpoint_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *colon;

	memset(ss, 0, sizeof(*ss));
	if (!strncmp(s, "unix:", 5)) {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		size_t n = strlen(s + 5);

		if (s[5] != '/' || n >= sizeof(un->sun_path))
			return -EINVAL;
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s + 5, n + 1);
		*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
		return 0;
	}
	if (s[0] == '[') {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':' || (size_t)(close - s - 1) >= sizeof(host))
			return -EINVAL;
		memcpy(host, s + 1, (size_t)(close - s - 1));
		host[close - s - 1] = '\0';
		if (inet_pton(AF_INET6, host, &v6->sin6_addr) != 1 ||
		    parse_port(close + 2, &v6->sin6_port))
			return -EINVAL;
		v6->sin6_family = AF_INET6;
		*len = sizeof(*v6);
		return 0;
	}
	colon = strchr(s, ':');
	if (!colon || (size_t)(colon - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	{
		struct sockaddr_in *v4 = (struct sockaddr_in *)ss;

		if (inet_pton(AF_INET, host, &v4->sin_addr) != 1 ||
		    parse_port(colon + 1, &v4->sin_port))
			return -EINVAL;
		v4->sin_family = AF_INET;
		*len = sizeof(*v4);
	}
	return 0;
}

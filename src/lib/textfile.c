/* SPDX-License-Identifier: MIT */
/* textfile.h: a bounded read of a regular file. */
#include "textfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a file that is not a regular one is, for the message. */
static const char *file_type(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * The type is checked before the open, so that opening a device has no
 * side effect, and again on the descriptor, which is what is read;
 * O_NONBLOCK, so that a FIFO put there in between does not block the open.
 * The size is checked first, and what is read is bounded whatever the
 * file grows to meanwhile.
 */
int te_read_text_file(const char *path, size_t max, char **text, size_t *len, char *err,
		      size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap;
	int fd = -1, r = 0;

	if (stat(path, &st) < 0 ||
	    (S_ISREG(st.st_mode) &&
	     ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0 ||
	      fstat(fd, &st) < 0))) {
		r = -errno;
		if (errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		if (errlen)
			snprintf(err, errlen, "%s: %s", path, strerror(EISDIR));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -EINVAL;
		if (errlen)
			snprintf(err, errlen,
				 "%s: %s, not a regular file: a configuration must be one", path,
				 file_type(st.st_mode));
		goto out;
	}
	/* the size now, and what is read whatever it grows to meanwhile */
	cap = st.st_size > 0 && st.st_size <= (off_t)max ? (size_t)st.st_size + 1 : 4096;
	if (st.st_size <= (off_t)max)
		buf = malloc(cap + 1);
	while (st.st_size <= (off_t)max && buf) {
		ssize_t got = read(fd, buf + n, cap - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			if (errlen)
				snprintf(err, errlen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n > max) {
			st.st_size = (off_t)n;
			break;
		}
		if (n == cap) {
			char *more = realloc(buf, 2 * cap + 1);

			if (!more) {
				free(buf);
				buf = NULL; /* out of memory, below */
				break;
			}
			buf = more;
			cap *= 2;
		}
	}
	if (st.st_size > (off_t)max) {
		r = -EFBIG;
		if (errlen)
			snprintf(err, errlen,
				 "%s: %lld%s bytes: a configuration may be at most %zu MiB (%zu "
				 "bytes)",
				 path, (long long)st.st_size, n > max ? " or more" : "", max >> 20,
				 max);
		goto out;
	}
	if (!buf) {
		r = -ENOMEM;
		if (errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	buf = NULL;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

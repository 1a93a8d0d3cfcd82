/* SPDX-License-Identifier: MIT */
/* Reading a configuration file whole, so that nothing can make it hang. */
#ifndef TE_TEXTFILE_H
#define TE_TEXTFILE_H

#include <stddef.h>

/*
 * Read the regular file at @path, of at most @max bytes, whole into *@text
 * (malloc'd, NUL-terminated; *@len bytes without that NUL). A FIFO, a
 * device or a socket is refused at once (-EINVAL), a directory with
 * -EISDIR, a bigger file with -EFBIG, without reading a byte: neither a
 * start nor a reload can block on the file or read it for ever. On failure
 * @err receives "PATH: reason". Returns 0 or -errno.
 */
int te_read_text_file(const char *path, size_t max, char **text, size_t *len, char *err,
		      size_t errlen);

#endif

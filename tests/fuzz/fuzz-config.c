/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the configuration parser: the input, NUL-terminated
 * (the parser sees it up to its first NUL), through
 * tunecho_config_load_string().
 *
 * Invariants, checked here with abort() on violation:
 *  - the result is 0, -EINVAL or -ENOMEM;
 *  - on success a configuration is returned, its accessors work and it
 *    frees cleanly (ASan's leak check sees the rest);
 *  - on failure the output pointer is left alone and the message reads
 *    "LINE: what is wrong": decimal digits, ": ", a non-empty reason, NUL
 *    terminated inside the buffer, with LINE from 1 to the number of lines
 *    of the input plus one.
 *
 * `user`, `owner` and `group` values go through getpwnam_r()/getgrnam_r():
 * harmless, only slower.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tunecho.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			violation(__LINE__, #cond, what, err);                                     \
	} while (0)

static void violation(int line, const char *cond, const char *what, const char *err)
{
	fprintf(stderr, "fuzz-config.c:%d: invariant violated: %s (%s); message: \"%.*s\"\n", line,
		what, cond, 300, err);
	abort();
}

/* Lines as the parser counts them: each '\n' ends one, and a last one may lack it. */
static unsigned long count_lines(const char *text)
{
	unsigned long n = 0;
	size_t len = strlen(text);

	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			n++;
	if (len && text[len - 1] != '\n')
		n++;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A sentinel: the output pointer must be left alone on failure. */
	static struct tunecho_config *const untouched = (struct tunecho_config *)&untouched;
	struct tunecho_config *cfg = untouched;
	char err[512];
	char *text;
	int r;

	memset(err, 'X', sizeof(err));
	err[sizeof(err) - 1] = '\0';
	text = malloc(size + 1);
	if (!text)
		abort();
	if (size)
		memcpy(text, data, size);
	text[size] = '\0';

	r = tunecho_config_load_string(&cfg, text, err, sizeof(err));
	CHECK(r == 0 || r == -EINVAL || r == -ENOMEM, "returns 0, -EINVAL or -ENOMEM");
	if (r == 0) {
		uint32_t uid, gid;

		CHECK(cfg != untouched && cfg != NULL, "success returns a configuration");
		CHECK(tunecho_config_iface_count(cfg) <= TUNECHO_MAX_IFACES,
		      "at most TUNECHO_MAX_IFACES interfaces");
		(void)tunecho_config_log_level(cfg);
		(void)tunecho_config_syslog(cfg);
		(void)tunecho_config_busy_poll_us(cfg);
		(void)tunecho_config_seccomp(cfg);
		(void)tunecho_config_link_group(cfg);
		(void)tunecho_config_user(cfg, &uid, &gid);
		tunecho_config_free(cfg);
	} else {
		const char *p = err;
		unsigned long line = 0;

		CHECK(cfg == untouched, "failure leaves the output alone");
		CHECK(memchr(err, '\0', sizeof(err)) != NULL, "the message is NUL-terminated");
		/* A failed allocation may come before there is a line to name. */
		if (r == -ENOMEM && err[0] == 'X')
			goto out;
		CHECK(isdigit((unsigned char)*p), "the message starts with the line number");
		while (isdigit((unsigned char)*p) && line <= 0xffffffffUL)
			line = line * 10 + (unsigned long)(*p++ - '0');
		CHECK(p[0] == ':' && p[1] == ' ', "the line number is followed by \": \"");
		CHECK(p[2] != '\0' && p[2] != ' ', "a reason follows the line number");
		CHECK(line >= 1, "line numbers start at 1");
		CHECK(line <= count_lines(text) + 1, "the line number is inside the input");
	}
out:
	free(text);
	return 0;
}

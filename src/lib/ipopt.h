/* SPDX-License-Identifier: MIT */
/*
 * IPv4 options (RFC 791, RFC 1122 §3.2.1.8 and §3.2.2.6) as Linux handles
 * them for a datagram addressed to it: checked as ip_options_compile()
 * checks them on receipt, and the options of the echo reply built as
 * ip_options_echo() and ip_options_build() build them. Pure: the time is
 * passed in.
 */
#ifndef TE_IPOPT_H
#define TE_IPOPT_H

#include <stddef.h>
#include <stdint.h>

#include "tunecho.h"

/* The most option bytes an IPv4 header holds. */
#define TE_IPOPT_MAX 40

/*
 * Check the @len option bytes at @opt. Returns 0, or the reason to drop:
 * TUNECHO_DROP_BAD_OPTIONS for a malformed list (a bad length or pointer,
 * a Record Route or Timestamp twice, a full Timestamp whose overflow
 * count is at 15, a CIPSO label: none is configured), or
 * TUNECHO_DROP_SOURCE_ROUTE for LSRR and SSRR (Linux's default
 * accept_source_route = 0).
 */
enum tunecho_drop_reason te_ipopt_check(const uint8_t *opt, size_t len);

/*
 * Build into @out (room TE_IPOPT_MAX) the options of the reply to a request
 * carrying the @len option bytes at @opt, sent to (and answered from)
 * @self, at @now: milliseconds since midnight UT (RFC 791's timestamp).
 * Record Route and Timestamp are stamped twice, as Linux does: once on
 * receipt, once on sending. Everything else (NOP, EOL, Router Alert,
 * unknown options) is not echoed. The result is padded with EOL to a
 * multiple of 4.
 *
 * Returns the length (0 to 40), or -1 with *@why set when the options are
 * refused (te_ipopt_check()) or leave no room for the reply's own stamp
 * (Linux then sends no reply either).
 */
int te_ipopt_echo(const uint8_t *opt, size_t len, const uint8_t self[4], uint32_t now, uint8_t *out,
		  enum tunecho_drop_reason *why);

#endif

/* SPDX-License-Identifier: MIT */
/* Compiled with -std=c99 -pedantic -Werror: the header stands alone. */
#include "tunecho.h"
#include "tunecho.h" /* and guards against double inclusion */

int main(void)
{
	struct tunecho_stats st = {0};

	return tunecho_version()[0] == '\0' || st.replies != 0 || TUNECHO_VERSION_MAJOR < 2;
}

/* SPDX-License-Identifier: MIT */
/* tunecho-load: being written */
#include <stdio.h>

int main(void)
{
	fputs("tunecho-load: not built yet\n", stderr);
	return 1;
}

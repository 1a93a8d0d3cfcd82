/* SPDX-License-Identifier: MIT */
/*
 * The physical floor of a timed wake-up on this machine: a bare timerfd
 * loop armed at absolute deadlines @period µs apart, for @seconds; prints
 * how late each wake-up came, p50 and p99 in µs, as one line of JSON.
 * The profiles benchmark (profiles.py) holds tunecho's delay accuracy to it.
 *
 * Usage: timer-floor PERIOD_US SECONDS
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	uint64_t period = argc > 1 ? strtoull(argv[1], NULL, 10) * 1000 : 1000000;
	double seconds = argc > 2 ? atof(argv[2]) : 2;
	size_t n = (size_t)(seconds * 1e9 / (double)period), done = 0;
	uint64_t *late = calloc(n ? n : 1, sizeof(*late)), due = now_ns();
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);

	if (!late || fd < 0 || !n)
		return 1;
	while (done < n) {
		struct itimerspec its = {0};
		uint64_t ticks;

		due += period;
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
		if (timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL) < 0 ||
		    read(fd, &ticks, sizeof(ticks)) != sizeof(ticks))
			return 1;
		late[done++] = now_ns() - due;
	}
	qsort(late, n, sizeof(*late), cmp);
	printf("{\"samples\":%zu,\"p50_us\":%.1f,\"p99_us\":%.1f}\n", n, late[n / 2] / 1e3,
	       late[n * 99 / 100] / 1e3);
	free(late);
	close(fd);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The daemon's seccomp allow-list: what the running daemon does still
 * works under it, and anything else kills the process.
 */
#include "common.h"

#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "sandbox.h"

/* Run @body in a child under the filter; its wait status. */
static int in_sandbox(void (*body)(void))
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256];

		if (sandbox_install(err, sizeof(err)) < 0) {
			fprintf(stderr, "%s\n", err);
			_exit(3);
		}
		body();
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* A pipe stands in for the devices and sockets opened before the filter. */
static int fds[2];

static void daemon_work(void)
{
	struct timespec ts;
	char c = 'x';
	void *big;
	FILE *f;

	if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1)
		_exit(11);
	big = malloc(1 << 20); /* mmap, as malloc does for large blocks */
	if (!big)
		_exit(12);
	memset(big, 1, 1 << 20);
	free(big);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (socket(AF_UNIX, SOCK_DGRAM, 0) < 0) /* syslog's reconnect */
		_exit(13);
	/* glibc's relocation of a loaded module: read-only is fine. */
	big = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (big == MAP_FAILED || mprotect(big, 4096, PROT_READ) < 0)
		_exit(16);
	/* A reload: the config read again, an interface's index looked up. */
	f = fopen("/etc/hostname", "re");
	if (!f)
		_exit(14);
	fclose(f);
	if (if_nametoindex("lo") == 0)
		_exit(15);
	close(fds[0]);
	close(fds[1]);
}

static void call_getppid(void)
{
	syscall(SYS_getppid);
}

/* Reading files (a reload reads the config) is allowed; writing is not. */
static void create_a_file(void)
{
	fopen("/tmp/tunecho-sandbox-test", "w");
}

static void an_ioctl_that_is_not_a_tun_one(void)
{
	int n;

	ioctl(0, FIONREAD, &n);
}

static void open_an_inet_socket(void)
{
	socket(AF_INET, SOCK_DGRAM, 0);
}

/* Memory made executable: never, though read-only is allowed. */
static void make_memory_executable(void)
{
	void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED || mprotect(page, 4096, PROT_READ) < 0)
		_exit(21);
	mprotect(page, 4096, PROT_READ | PROT_EXEC);
}

static void exec_a_shell(void)
{
	execl("/bin/sh", "sh", "-c", "true", (char *)NULL);
}

START_TEST(the_running_daemon_s_calls_are_allowed)
{
	int st;

	ck_assert_int_eq(pipe(fds), 0);
	st = in_sandbox(daemon_work);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %#x", st);
}
END_TEST

static void (*const refused[])(void) = {
    call_getppid,	 create_a_file,		 an_ioctl_that_is_not_a_tun_one,
    open_an_inet_socket, make_memory_executable, exec_a_shell};

START_TEST(anything_else_kills_the_process)
{
	int st = in_sandbox(refused[_i]);

	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "case %d: status %#x", _i, st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("sandbox");

	tcase_add_test(tc, the_running_daemon_s_calls_are_allowed);
	tcase_add_loop_test(tc, anything_else_kills_the_process, 0,
			    (int)(sizeof(refused) / sizeof(refused[0])));
	suite_add_tcase(s, tc);
	return te_test_run(s);
}

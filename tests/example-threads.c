/* SPDX-License-Identifier: MIT */
/*
 * Two responders on two threads, each on an event base of its own, as the
 * header allows (one responder per thread, sharing nothing). The main
 * thread pings both through the kernel, then stops each loop through a
 * pipe of its own (no libevent call crosses threads), and checks what each
 * thread read back: its interface, its replies, its events.
 *
 * Run as root; it makes its own network namespace. Exit 0 when both
 * answered every ping. CI runs it plain, under ASan, TSan and valgrind.
 */
#define _GNU_SOURCE
#include <event2/event.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tunecho.h>

#define PINGS 5

struct worker {
	int index;
	char name[IFNAMSIZ];
	char peer[32];
	int stop[2]; /* the main thread writes a byte: leave the loop */
	pthread_barrier_t *ready;
	struct event_base *base;
	/* Read back in the thread, checked in main. */
	int added, serving_events, found;
	unsigned long long replies;
	char error[256];
};

static void on_stop(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	char byte;

	(void)what;
	if (read(fd, &byte, 1) >= 0)
		event_base_loopbreak(w->base);
}

static void on_event(void *arg, const struct tunecho_event *ev)
{
	struct worker *w = arg;

	if (ev->kind == TUNECHO_EVENT_SERVING && ev->ifname && !strcmp(ev->ifname, w->name))
		w->serving_events++;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	struct tunecho_config *cfg = NULL;
	struct tunecho *t = NULL;
	struct event *stop;
	struct tunecho_stats st;
	char text[256];

	snprintf(text, sizeof(text), "[%s]\naddress = 198.18.2.%d peer %s\n", w->name,
		 4 * w->index + 1, w->peer);
	w->base = event_base_new();
	if (!w->base || tunecho_config_load_string(&cfg, text, w->error, sizeof(w->error)) ||
	    tunecho_new(&t, w->base)) {
		pthread_barrier_wait(w->ready);
		return NULL;
	}
	tunecho_set_event_fn(t, on_event, w);
	w->added = tunecho_add_config(t, cfg);
	if (w->added < 0)
		snprintf(w->error, sizeof(w->error), "%s", tunecho_last_error(t));
	tunecho_config_free(cfg);
	stop = event_new(w->base, w->stop[0], EV_READ | EV_PERSIST, on_stop, w);
	event_add(stop, NULL);
	pthread_barrier_wait(w->ready);
	event_base_dispatch(w->base);
	w->found = tunecho_iface_find(t, w->name);
	if (w->found >= 0 && tunecho_stats(t, (size_t)w->found, &st, sizeof(st)) == 0)
		w->replies = st.replies;
	event_free(stop);
	tunecho_free(t);
	event_base_free(w->base);
	return NULL;
}

int main(void)
{
	struct worker w[2] = {{.index = 0, .name = "th0", .peer = "198.18.2.2"},
			      {.index = 1, .name = "th1", .peer = "198.18.2.6"}};
	pthread_t tid[2];
	pthread_barrier_t ready;
	char cmd[128];
	int failed = 0;

	if (unshare(CLONE_NEWNET) < 0) {
		perror("unshare(CLONE_NEWNET) (run as root)");
		return 77;
	}
	pthread_barrier_init(&ready, NULL, 3);
	for (int i = 0; i < 2; i++) {
		if (pipe(w[i].stop) < 0)
			return 1;
		w[i].ready = &ready;
		pthread_create(&tid[i], NULL, run, &w[i]);
	}
	pthread_barrier_wait(&ready);
	for (int i = 0; i < 2; i++) {
		snprintf(cmd, sizeof(cmd), "ping -n -q -c %d -i 0.05 -w 10 %s >/dev/null", PINGS,
			 w[i].peer);
		if (w[i].added == 1 && system(cmd) != 0)
			failed = 1;
	}
	for (int i = 0; i < 2; i++) {
		if (write(w[i].stop[1], "x", 1) != 1)
			failed = 1;
		pthread_join(tid[i], NULL);
		close(w[i].stop[0]);
		close(w[i].stop[1]);
		printf("%s: added %d, serving events %d, found at %d, %llu replies%s%s\n",
		       w[i].name, w[i].added, w[i].serving_events, w[i].found, w[i].replies,
		       w[i].error[0] ? ": " : "", w[i].error);
		if (w[i].added != 1 || w[i].serving_events != 1 || w[i].found != 0 ||
		    w[i].replies != PINGS)
			failed = 1;
	}
	pthread_barrier_destroy(&ready);
	return failed;
}

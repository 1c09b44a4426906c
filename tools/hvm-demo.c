// SPDX-License-Identifier: MIT
/* hvm-demo.c - what `make run` shows: real code offloaded to the HRT, and its latency. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "hvm.h"
#include "stats.h"

/* The caller's own data structure, walked by the HRT through its pointers. */
struct node {
	struct node *next;
	long value;
	char name[16];
};

static long walk_list(void *arg, unsigned int core)
{
	long sum = 0;

	(void)core;
	for (struct node *n = arg; n; n = n->next)
		sum += n->value;
	/* A forwarded write(2): this line is printed by Linux for the HRT. */
	printf("  [HRT] walked the caller's list: sum = %ld\n", sum);
	fflush(stdout);
	return sum;
}

/* malloc inside the HRT: brk/mmap are forwarded; the memory is the caller's. */
static long make_greeting(void *arg, unsigned int core)
{
	char *s = malloc(128);

	(void)core;
	if (!s)
		return 0;
	snprintf(s, 128, "hello from ring 0 on an HRT core, %s",
		 (const char *)arg);
	return (long)s;
}

#define N_ELEMS (1 << 20)
static double *elems;

struct part {
	unsigned int parts;
};

/* One slice of a parallel sum per HRT core. */
static long sum_part(void *arg, unsigned int core)
{
	const struct part *p = arg;
	size_t lo = (size_t)N_ELEMS * core / p->parts;
	size_t hi = (size_t)N_ELEMS * (core + 1) / p->parts;
	double s = 0;

	for (size_t i = lo; i < hi; i++)
		s += elems[i];
	return (long)s;
}

static long null_fn(void *arg, unsigned int core)
{
	(void)arg;
	return core;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void latency(const char *name, enum hrt_wait_mode mode, int n)
{
	struct hrt_opts o = { .core = -1, .wait = mode };
	struct stats_summary s;
	uint64_t *v = calloc((size_t)n, sizeof(*v));
	int i, k = 0;

	for (i = 0; v && i < n; i++) {
		uint64_t t = now_ns();
		long r;

		if (hrt_invoke_opts(null_fn, NULL, &r, &o) == 0)
			v[k++] = now_ns() - t;
	}
	if (k && !stats_summarize(v, (size_t)k, &s))
		printf("  %-34s p50 %8.1f us   p99 %8.1f us   (%d calls)\n",
		       name, (double)s.p50 / 1e3, (double)s.p99 / 1e3, k);
	free(v);
}

/* The Linux baseline: a futex hand-off between two ROS threads (baseline.c). */
static struct baseline_futex fx;
static int fx_n;

static void *futex_peer(void *arg)
{
	baseline_futex_serve(&fx, fx_n, NULL);
	return arg;
}

static void futex_latency(int n)
{
	struct stats_summary s;
	uint64_t *v = calloc((size_t)n, sizeof(*v));
	pthread_t t;

	fx_n = n;
	if (!v || pthread_create(&t, NULL, futex_peer, NULL))
		return;
	for (int i = 0; i < n; i++) {
		uint64_t t0 = now_ns();

		baseline_futex_call(&fx, i);
		v[i] = now_ns() - t0;
	}
	pthread_join(t, NULL);
	if (!stats_summarize(v, (size_t)n, &s))
		printf("  %-34s p50 %8.1f us   p99 %8.1f us   (%d round trips)\n",
		       "futex hand-off, two ROS threads", (double)s.p50 / 1e3,
		       (double)s.p99 / 1e3, n);
	free(v);
}

int main(void)
{
	struct node nodes[5];
	struct hrt_info info;
	struct part part;
	long ret, rets[64];
	double expect = 0, got = 0;
	int rc, i, used;

	rc = hrt_open();
	if (rc) {
		fprintf(stderr, "hvm-demo: cannot use the HRT: %s\n",
			strerror(-rc));
		return 1;
	}
	hrt_info(&info);
	printf("HRT: %u core(s), state %u, TSC %llu kHz\n", info.hrt_cores,
	       info.hrt_state, (unsigned long long)info.tsc_khz);

	for (i = 0; i < 5; i++) {
		nodes[i].next = i < 4 ? &nodes[i + 1] : NULL;
		nodes[i].value = (i + 1) * 10;
		snprintf(nodes[i].name, sizeof(nodes[i].name), "node%d", i);
	}
	printf("1. offloaded function walks this process's linked list and prints:\n");
	rc = hrt_invoke(walk_list, nodes, &ret);
	printf("   returned %ld (status %d)\n", ret, rc);

	printf("2. malloc inside the HRT, result used natively:\n");
	rc = hrt_invoke(make_greeting, "pid as seen by Linux", &ret);
	if (!rc && ret) {
		printf("   \"%s\"\n", (char *)ret);
		free((void *)ret); /* the HRT's malloc was this process's malloc */
	}

	elems = malloc(sizeof(double) * N_ELEMS);
	if (!elems)
		return 1;
	for (i = 0; i < N_ELEMS; i++) {
		elems[i] = (double)(i % 1000);
		expect += elems[i];
	}
	part.parts = info.hrt_cores;
	printf("3. parallel sum of %d doubles on all %u HRT cores:\n", N_ELEMS,
	       info.hrt_cores);
	used = hrt_invoke_all(sum_part, &part, 0, rets, NULL);
	for (i = 0; i < used; i++)
		got += (double)rets[i];
	printf("   %d cores, sum %.0f (expected %.0f): %s\n", used, got, expect,
	       used > 0 && got == expect ? "ok" : "WRONG");

	printf("4. null invoke latency against a Linux futex hand-off (same VM):\n");
	latency("hrt_invoke, polling", HRT_WAIT_POLL, 300);
	latency("hrt_invoke, blocking", HRT_WAIT_BLOCK, 300);
	futex_latency(300);
	printf("   (polling spins on both sides: it needs a free host core per spinning\n"
	       "    vCPU; on a busy or overcommitted host blocking wins, see docs/libhvm.md)\n");
	hrt_close();
	return used > 0 && got == expect ? 0 : 1;
}

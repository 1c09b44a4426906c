// SPDX-License-Identifier: MIT
/* chan-bench.c - channel round trip on the host against cache-line, futex, eventfd and pipe. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "hvm_chan.h"

/* Two threads, each pinned: the "ROS" caller and the "HRT" server. */
struct bench {
	const char *name;
	void (*server)(long n);
	void (*client)(long n);
};

static int cpu_a, cpu_b;
static long iters = 200000;

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- raw cache-line ping-pong: the hardware floor */
static _Alignas(64) volatile uint64_t ping_word;

static void raw_server(long n)
{
	for (long i = 0; i < n; i++) {
		while (__atomic_load_n(&ping_word, __ATOMIC_ACQUIRE) !=
		       (uint64_t)(2 * i + 1))
			hvm_cpu_relax();
		__atomic_store_n(&ping_word, 2 * i + 2, __ATOMIC_RELEASE);
	}
}

static void raw_client(long n)
{
	for (long i = 0; i < n; i++) {
		__atomic_store_n(&ping_word, 2 * i + 1, __ATOMIC_RELEASE);
		while (__atomic_load_n(&ping_word, __ATOMIC_ACQUIRE) !=
		       (uint64_t)(2 * i + 2))
			hvm_cpu_relax();
	}
}

/* ---- the channel protocol of hvm_chan.h, both sides polling */
static struct hvm_chan_area *area;

static long bench_fn(void *arg, unsigned int core)
{
	return (long)arg + core;
}

static void chan_server(long n)
{
	struct hvm_chan *c = &area->chan[0];
	uint64_t last = 0, kicks = 0;

	for (long i = 0; i < n; i++) {
		uint32_t op;

		/* An HRT core watches its kick word, then its channels. */
		while (hvm_chan_kicks(area, 0) == kicks)
			hvm_cpu_relax();
		kicks = hvm_chan_kicks(area, 0);
		while ((op = hvm_chan_take(c, &last)) == HVM_OP_NONE)
			hvm_cpu_relax();
		c->t_pickup = hvm_rdtsc();
		c->t_start = c->t_pickup;
		hvm_chan_finish(
			c, 0,
			(uint64_t)((long (*)(void *, unsigned int))c->fn)(
				(void *)c->arg, (unsigned int)c->core_index));
	}
}

static void chan_client(long n)
{
	struct hvm_chan *c = &area->chan[0];
	uint64_t seen = hvm_chan_events(c);

	for (long i = 0; i < n; i++) {
		c->fn = (uint64_t)(uintptr_t)bench_fn;
		c->arg = (uint64_t)i;
		c->core_index = 0;
		hvm_chan_post(c, HVM_OP_INVOKE);
		hvm_chan_kick(area, 0);
		seen = hvm_chan_wait_event(c, seen, 0);
		if (c->state != HVM_CHAN_DONE || c->result != (uint64_t)i) {
			fprintf(stderr,
				"chan-bench: wrong result %llu for %ld\n",
				(unsigned long long)c->result, i);
			exit(1);
		}
		c->t_seen = hvm_rdtsc();
	}
}

/* ---- futex hand-off (baseline.c) */
static struct baseline_futex fx;

static void futex_server(long n)
{
	baseline_futex_serve(&fx, n, NULL);
}

static void futex_client(long n)
{
	for (long i = 0; i < n; i++)
		baseline_futex_call(&fx, i);
}

/* ---- eventfd and pipe ping-pong */
static int efd[2], pa[2], pb[2];

static void efd_server(long n)
{
	uint64_t v;

	for (long i = 0; i < n; i++)
		if (read(efd[0], &v, 8) != 8 || write(efd[1], &v, 8) != 8)
			exit(1);
}

static void efd_client(long n)
{
	uint64_t v = 1;

	for (long i = 0; i < n; i++)
		if (write(efd[0], &v, 8) != 8 || read(efd[1], &v, 8) != 8)
			exit(1);
}

static void pipe_server(long n)
{
	char b;

	for (long i = 0; i < n; i++)
		if (read(pa[0], &b, 1) != 1 || write(pb[1], &b, 1) != 1)
			exit(1);
}

static void pipe_client(long n)
{
	char b = 'x';

	for (long i = 0; i < n; i++)
		if (write(pa[1], &b, 1) != 1 || read(pb[0], &b, 1) != 1)
			exit(1);
}

static const struct bench *current;

static void *server_thread(void *arg)
{
	pin(cpu_b);
	current->server((long)arg);
	return NULL;
}

/* Round-trip time in ns of one benchmark (a short warm-up first). */
static double run(const struct bench *b, long n)
{
	pthread_t t;
	double t0, t1;

	current = b;
	pin(cpu_a);
	if (pthread_create(&t, NULL, server_thread, (void *)n))
		exit(1);
	t0 = now();
	b->client(n);
	t1 = now();
	pthread_join(t, NULL);
	return (t1 - t0) * 1e9 / (double)n;
}

static const struct bench benches[] = {
	{ "cache-line ping-pong (floor)", raw_server, raw_client },
	{ "hvm channel (polling)", chan_server, chan_client },
	{ "futex hand-off", futex_server, futex_client },
	{ "eventfd ping-pong", efd_server, efd_client },
	{ "pipe ping-pong", pipe_server, pipe_client },
};

int main(int argc, char **argv)
{
	cpu_set_t s;
	double ns[5];
	int i, ncpu = 0, cpus[2] = { 0, 0 };

	if (argc > 1)
		iters = atol(argv[1]);
	sched_getaffinity(0, sizeof(s), &s);
	for (i = 0; i < CPU_SETSIZE && ncpu < 2; i++)
		if (CPU_ISSET(i, &s))
			cpus[ncpu++] = i;
	if (ncpu < 2)
		fprintf(stderr,
			"chan-bench: one CPU only; both threads share it\n");
	cpu_a = cpus[0];
	cpu_b = cpus[ncpu > 1];
	area = aligned_alloc(4096, (sizeof(*area) + 4095) & ~4095ul);
	efd[0] = eventfd(0, 0);
	efd[1] = eventfd(0, 0);
	if (!area || efd[0] < 0 || efd[1] < 0 || pipe(pa) || pipe(pb))
		return 1;
	memset(area, 0, sizeof(*area));

	printf("chan-bench: %ld round trips each, threads pinned to CPUs %d and %d\n",
	       iters, cpu_a, cpu_b);
	for (i = 0; i < 5; i++) {
		/* Syscall-based ones are ~100x slower: fewer iterations. */
		long n = i < 2 ? iters : iters / 10;

		run(&benches[i], n / 10); /* warm-up */
		memset(area, 0, sizeof(*area));
		ping_word = 0;
		fx.req = fx.ack = 0;
		ns[i] = run(&benches[i], n);
		printf("  %-30s %10.1f ns/round trip\n", benches[i].name,
		       ns[i]);
		ping_word = 0;
		fx.req = fx.ack = 0;
		memset(area, 0, sizeof(*area));
	}
	printf("  channel / cache-line floor     %10.2f\n", ns[1] / ns[0]);
	printf("  futex / channel                %10.2f\n", ns[2] / ns[1]);
	printf("  eventfd / channel              %10.2f\n", ns[3] / ns[1]);
	printf("  pipe / channel                 %10.2f\n", ns[4] / ns[1]);
	return 0;
}

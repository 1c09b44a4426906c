// SPDX-License-Identifier: MIT
/* linux-ops.c - the HRT microbenchmark operations measured under Linux in the ROS. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void pin(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	pthread_setaffinity_np(pthread_self(), sizeof(s), &s);
}

static void *nop(void *arg)
{
	return arg;
}

/* Same names as the HRT's "bench:" lines, so a script can pair them. */
static void report(const char *name, double ns, long ops)
{
	printf("linux: %-32s %10.0f ns/op  (%ld ops)\n", name, ns, ops);
}

static void bench_create_join(void)
{
	const long n = 200;
	double t0 = now_ns();

	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, nop, NULL))
			exit(1);
		pthread_join(t, NULL);
	}
	report("thread create+join", (now_ns() - t0) / n, n);
}

/* Two threads on one CPU hand it back and forth with sched_yield. */
static volatile int yield_stop;

static void *yielder(void *arg)
{
	pin(0);
	while (!yield_stop)
		sched_yield();
	return arg;
}

static void bench_yield(void)
{
	const long n = 4000;
	pthread_t t;
	double t0;

	pin(0);
	pthread_create(&t, NULL, yielder, NULL);
	sched_yield();
	t0 = now_ns();
	for (long i = 0; i < n; i++)
		sched_yield();
	/* Each yield switches to the other thread and back: two switches. */
	report("context switch (yield)", (now_ns() - t0) / (2.0 * n), n);
	yield_stop = 1;
	pthread_join(t, NULL);
}

/* Condition variable hand-off between threads pinned to different CPUs. */
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long turn;
static int ncpu;

static void *cv_peer(void *arg)
{
	long n = (long)arg;

	pin(ncpu > 1 ? 1 : 0);
	pthread_mutex_lock(&mu);
	for (long i = 0; i < n; i++) {
		while (turn != 2 * i + 1)
			pthread_cond_wait(&cv, &mu);
		turn++;
		pthread_cond_signal(&cv);
	}
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void bench_condvar(void)
{
	const long n = 200;
	pthread_t t;
	double t0;

	pin(0);
	turn = 0;
	pthread_create(&t, NULL, cv_peer, (void *)n);
	t0 = now_ns();
	pthread_mutex_lock(&mu);
	for (long i = 0; i < n; i++) {
		turn++;
		pthread_cond_signal(&cv);
		while (turn != 2 * i + 2)
			pthread_cond_wait(&cv, &mu);
	}
	pthread_mutex_unlock(&mu);
	/* A round trip is two signal->wake hand-offs. */
	report("condvar signal->wake (mean)", (now_ns() - t0) / (2.0 * n), n);
	pthread_join(t, NULL);
}

static pthread_barrier_t bar;

static void *bar_peer(void *arg)
{
	long n = (long)arg >> 8, cpu = (long)arg & 0xff;

	pin((int)cpu);
	for (long i = 0; i < n; i++)
		pthread_barrier_wait(&bar);
	return NULL;
}

static void bench_barrier(void)
{
	const long n = 500;
	pthread_t t[64];
	double t0;
	int i;

	pthread_barrier_init(&bar, NULL, (unsigned int)ncpu);
	for (i = 1; i < ncpu && i < 64; i++)
		pthread_create(&t[i], NULL, bar_peer, (void *)((n << 8) | i));
	pin(0);
	t0 = now_ns();
	for (long k = 0; k < n; k++)
		pthread_barrier_wait(&bar);
	report("barrier round (all cores)", (now_ns() - t0) / n, n);
	for (i = 1; i < ncpu && i < 64; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	printf("linux: start (%d cpus)\n", ncpu);
	bench_create_join();
	bench_yield();
	bench_condvar();
	bench_barrier();
	printf("linux: done\n");
	return 0;
}

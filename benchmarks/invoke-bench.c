/* invoke-bench.c - in-guest benchmark: hrt_invoke round trips against Linux hand-off baselines, forwarded vs native syscalls, all-core offload vs pthreads. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "baseline.h"
#include "hvm.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void report(const char *what, uint64_t ns, long n)
{
	printf("%-46s %10.0f ns/op  (%ld ops)\n", what, (double)ns / n, n);
	fflush(stdout);
}

static long f_null(void *arg, unsigned int i)
{
	(void)arg;
	(void)i;
	return 0;
}

__attribute__((noinline)) static long plain_call(void *arg, unsigned int i)
{
	__asm__ volatile("" ::"r"(arg), "r"(i) : "memory");
	return 0;
}

static long f_getpid_loop(void *arg, unsigned int i)
{
	long n = (long)arg;

	(void)i;
	for (long k = 0; k < n; k++)
		syscall(SYS_getpid);
	return 0;
}

static long f_work(void *arg, unsigned int i)
{
	long n = (long)arg, s = 0;

	for (long k = 0; k < n; k++)
		s += (k ^ i) * 3;
	return s;
}

/* ---- Linux hand-off baselines: a server thread answers each request. */

static struct baseline_futex fx;

static long n_iter;

static void *fx_server(void *p)
{
	(void)p;
	baseline_futex_serve(&fx, n_iter, plain_call);
	return NULL;
}

static pthread_mutex_t cv_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv_req = PTHREAD_COND_INITIALIZER,
		      cv_ack = PTHREAD_COND_INITIALIZER;
static long cv_r, cv_a;

static void *cv_server(void *p)
{
	(void)p;
	for (long k = 0; k < n_iter; k++) {
		pthread_mutex_lock(&cv_lock);
		while (cv_r == k)
			pthread_cond_wait(&cv_req, &cv_lock);
		cv_a++;
		pthread_cond_signal(&cv_ack);
		pthread_mutex_unlock(&cv_lock);
	}
	return NULL;
}

static int efd_req, efd_ack, pipe_req[2], pipe_ack[2];

static void *efd_server(void *p)
{
	uint64_t v;

	(void)p;
	for (long k = 0; k < n_iter; k++) {
		if (read(efd_req, &v, 8) != 8)
			break;
		v = 1;
		if (write(efd_ack, &v, 8) != 8)
			break;
	}
	return NULL;
}

static void *pipe_server(void *p)
{
	char c;

	(void)p;
	for (long k = 0; k < n_iter; k++) {
		if (read(pipe_req[0], &c, 1) != 1)
			break;
		if (write(pipe_ack[1], &c, 1) != 1)
			break;
	}
	return NULL;
}

static void *pt_work(void *arg)
{
	long *a = arg;

	a[1] = f_work((void *)a[0], (unsigned int)a[2]);
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000, r, rets[HVM_MAX_HRT_CPUS];
	struct hrt_opts poll = { .core = 0, .wait = HRT_WAIT_POLL };
	struct hrt_opts block = { .core = 0, .wait = HRT_WAIT_BLOCK };
	struct hrt_info info;
	pthread_t th[HVM_MAX_HRT_CPUS];
	uint64_t t, v = 1, t_null;
	long k, work = 2000000;
	char c = 'x';
	int rc;

	rc = hrt_info(&info);
	if (rc) {
		fprintf(stderr, "invoke-bench: hrt_info: %s\n", strerror(-rc));
		return 1;
	}
	printf("# %ld iterations, %u HRT core(s), %ld ROS CPU(s)\n", n,
	       info.hrt_cores, sysconf(_SC_NPROCESSORS_ONLN));
	n_iter = n;

	/* warm up: channels, stacks, partner threads */
	for (k = 0; k < 20; k++)
		hrt_invoke_opts(f_null, NULL, &r, &poll);
	hrt_invoke_all(f_null, NULL, 0, rets, NULL);

	t = now_ns();
	for (k = 0; k < n; k++)
		if ((rc = hrt_invoke_opts(f_null, NULL, &r, &poll)))
			break;
	t_null = now_ns() - t;
	report("hrt_invoke null, polling", t_null, n);
	t = now_ns();
	for (k = 0; k < n; k++)
		if ((rc = hrt_invoke_opts(f_null, NULL, &r, &block)))
			break;
	report("hrt_invoke null, blocking (HRT interrupt)", now_ns() - t, n);
	if (rc)
		printf("# invoke failed: %d\n", rc);

	t = now_ns();
	for (k = 0; k < n; k++)
		plain_call(NULL, 0);
	report("plain function call", now_ns() - t, n);

	pthread_create(&th[0], NULL, fx_server, NULL);
	t = now_ns();
	for (k = 0; k < n; k++)
		baseline_futex_call(&fx, k);
	report("futex hand-off round trip (thread)", now_ns() - t, n);
	pthread_join(th[0], NULL);

	pthread_create(&th[0], NULL, cv_server, NULL);
	t = now_ns();
	for (k = 0; k < n; k++) {
		pthread_mutex_lock(&cv_lock);
		cv_r++;
		pthread_cond_signal(&cv_req);
		while (cv_a == k)
			pthread_cond_wait(&cv_ack, &cv_lock);
		pthread_mutex_unlock(&cv_lock);
	}
	report("condvar hand-off round trip (thread)", now_ns() - t, n);
	pthread_join(th[0], NULL);

	efd_req = eventfd(0, 0);
	efd_ack = eventfd(0, 0);
	pthread_create(&th[0], NULL, efd_server, NULL);
	t = now_ns();
	for (k = 0; k < n; k++) {
		if (write(efd_req, &v, 8) != 8 || read(efd_ack, &v, 8) != 8)
			break;
	}
	report("eventfd round trip (thread)", now_ns() - t, n);
	pthread_join(th[0], NULL);

	if (pipe(pipe_req) || pipe(pipe_ack))
		return 1;
	pthread_create(&th[0], NULL, pipe_server, NULL);
	t = now_ns();
	for (k = 0; k < n; k++) {
		if (write(pipe_req[1], &c, 1) != 1 ||
		    read(pipe_ack[0], &c, 1) != 1)
			break;
	}
	report("pipe round trip (thread)", now_ns() - t, n);
	pthread_join(th[0], NULL);

	t = now_ns();
	for (k = 0; k < n; k++)
		syscall(SYS_getpid);
	report("native getpid", now_ns() - t, n);
	t = now_ns();
	rc = hrt_invoke_opts(f_getpid_loop, (void *)n, &r, &poll);
	t = now_ns() - t;
	report("forwarded getpid (in one invocation, polling)", t, n);

	for (int round = 0; round < 2; round++) {
		t = now_ns();
		rc = hrt_invoke_all(f_work, (void *)work, 0, rets, NULL);
		t = now_ns() - t;
		if (round)
			printf("%-46s %10.2f ms  (%u cores, rc %d)\n",
			       "hrt_invoke_all, 2M-iteration loop per core",
			       t / 1e6, info.hrt_cores, rc);
	}
	{
		long args[HVM_MAX_HRT_CPUS][3];

		t = now_ns();
		for (unsigned int i = 0; i < info.hrt_cores; i++) {
			args[i][0] = work;
			args[i][2] = i;
			pthread_create(&th[i], NULL, pt_work, args[i]);
		}
		for (unsigned int i = 0; i < info.hrt_cores; i++)
			pthread_join(th[i], NULL);
		t = now_ns() - t;
		printf("%-46s %10.2f ms  (%u threads on %ld ROS CPU(s))\n",
		       "pthreads, same loop, same count", t / 1e6,
		       info.hrt_cores, sysconf(_SC_NPROCESSORS_ONLN));
		for (unsigned int i = 0; i < info.hrt_cores; i++)
			if (args[i][1] != rets[i])
				printf("# result mismatch on %u\n", i);
	}
	return 0;
}

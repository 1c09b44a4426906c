// SPDX-License-Identifier: MIT
/* thread-bench.c - pthread/OpenMP code on ROS cores vs inside hrt_invoke. */
#include <errno.h>
#include <getopt.h>
#include <omp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hvm.h"

/*
 * Every measurement is a bench_X(nthreads, iters) that returns the median
 * over BATCHES timed batches of (iters) operations of the ns per operation,
 * or a negative value when a pthread/OpenMP call failed.  main() calls it
 * directly (native: Linux threads on the ROS cores) and from inside an
 * offloaded function through hrt_invoke_opts() (the same code, whose
 * threads then run on the HRT cores).  Time is read only at batch
 * boundaries, so a slow clock_gettime() (forwarded) does not count.
 */
#define BATCHES	       5
#define HRT_TIMEOUT_MS 300000u

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The median ns/op of the batches between timestamps t[0..BATCHES]. */
static double median_ns(const uint64_t *t, int iters)
{
	double v[BATCHES], x;
	int i, j;

	for (i = 0; i < BATCHES; i++) {
		x = (double)(t[i + 1] - t[i]) / iters;
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v[BATCHES / 2];
}

/* Why the last measurement failed, for main() (set on either side). */
static const char *fail_what;
static int fail_err;

static double fail(const char *what, int err)
{
	fail_what = what;
	fail_err = err;
	return -1;
}

/* Untimed operations before the first batch (first stacks, pool, caches). */
static int warmup(int iters)
{
	return iters / 10 + 2;
}

/* ---- 1. pthread_create + pthread_join of one thread per operation. */

static void *nop_thread(void *arg)
{
	return arg;
}

/* Creates and joins (n) threads one after another: 0 or a failure. */
static double create_join(int n)
{
	pthread_t th;
	int k, rc;

	for (k = 0; k < n; k++) {
		rc = pthread_create(&th, NULL, nop_thread, NULL);
		if (rc)
			return fail("pthread_create", rc);
		rc = pthread_join(th, NULL);
		if (rc)
			return fail("pthread_join", rc);
	}
	return 0;
}

static double bench_create_join(int nthreads, int iters)
{
	uint64_t t[BATCHES + 1];
	int b;

	(void)nthreads;
	if (create_join(warmup(iters)))
		return -1;
	t[0] = now_ns();
	for (b = 0; b < BATCHES; b++) {
		if (create_join(iters))
			return -1;
		t[b + 1] = now_ns();
	}
	return median_ns(t, iters);
}

/*
 * ---- 2. Mutex hand-off: a mutex-only ping-pong between two threads.
 *
 * Ping-pong with two mutexes would need a thread to unlock a mutex the
 * other locked (undefined), and strict alternation through a turn
 * variable spins.  So the two threads walk a ring of three mutexes hand
 * over hand (lock the next, unlock the current), each unlocking only what
 * it locked: A at ring position a, B at b.  A may advance only when
 * a + 1 != b (mod 3) and B only when b + 1 != a, so with B starting one
 * ahead of A they strictly alternate B, A, B, A, ... and every step after
 * the first blocks in pthread_mutex_lock() until the other thread's
 * pthread_mutex_unlock() hands the mutex over.  One operation is one step
 * of A: one round trip (A -> B -> A), two hand-offs.
 */
struct ring {
	pthread_mutex_t m[3];
	pthread_barrier_t start;
	long steps;
};

/* Takes (steps) steps from ring position (pos) holding m[pos]; returns pos. */
static int ring_walk(struct ring *r, int pos, long steps)
{
	for (long k = 0; k < steps; k++) {
		int next = (pos + 1) % 3;

		pthread_mutex_lock(&r->m[next]);
		pthread_mutex_unlock(&r->m[pos]);
		pos = next;
	}
	return pos;
}

static void *ring_partner(void *arg)
{
	struct ring *r = arg;
	int pos;

	pthread_mutex_lock(&r->m[1]);
	pthread_barrier_wait(&r->start);
	pos = ring_walk(r, 1, r->steps);
	pthread_mutex_unlock(&r->m[pos]);
	return NULL;
}

static double bench_mutex_handoff(int nthreads, int iters)
{
	uint64_t t[BATCHES + 1];
	struct ring r;
	pthread_t th;
	int b, i, pos, rc;

	(void)nthreads;
	for (i = 0; i < 3; i++)
		pthread_mutex_init(&r.m[i], NULL);
	pthread_barrier_init(&r.start, NULL, 2);
	r.steps = warmup(iters) + (long)BATCHES * iters;
	pthread_mutex_lock(&r.m[0]);
	rc = pthread_create(&th, NULL, ring_partner, &r);
	if (rc) {
		pthread_mutex_unlock(&r.m[0]);
		return fail("pthread_create", rc);
	}
	pthread_barrier_wait(&r.start); /* B holds m[1] */
	pos = ring_walk(&r, 0, warmup(iters));
	t[0] = now_ns();
	for (b = 0; b < BATCHES; b++) {
		pos = ring_walk(&r, pos, iters);
		t[b + 1] = now_ns();
	}
	pthread_mutex_unlock(&r.m[pos]);
	pthread_join(th, NULL);
	pthread_barrier_destroy(&r.start);
	for (i = 0; i < 3; i++)
		pthread_mutex_destroy(&r.m[i]);
	return median_ns(t, iters);
}

/*
 * ---- 3. Condition-variable ping-pong: one mutex, a turn variable and a
 * condition variable per side; one operation is one round trip.
 */
struct pingpong {
	pthread_mutex_t m;
	pthread_cond_t cv[2];
	int turn;
	long n;
};

static void *pingpong_partner(void *arg)
{
	struct pingpong *p = arg;

	pthread_mutex_lock(&p->m);
	for (long k = 0; k < p->n; k++) {
		while (p->turn != 1)
			pthread_cond_wait(&p->cv[1], &p->m);
		p->turn = 0;
		pthread_cond_signal(&p->cv[0]);
	}
	pthread_mutex_unlock(&p->m);
	return NULL;
}

static void pingpong_rounds(struct pingpong *p, long n)
{
	for (long k = 0; k < n; k++) {
		p->turn = 1;
		pthread_cond_signal(&p->cv[1]);
		while (p->turn != 0)
			pthread_cond_wait(&p->cv[0], &p->m);
	}
}

static double bench_condvar_pingpong(int nthreads, int iters)
{
	struct pingpong p = { .turn = 0 };
	uint64_t t[BATCHES + 1];
	pthread_t th;
	int b, rc;

	(void)nthreads;
	pthread_mutex_init(&p.m, NULL);
	pthread_cond_init(&p.cv[0], NULL);
	pthread_cond_init(&p.cv[1], NULL);
	p.n = warmup(iters) + (long)BATCHES * iters;
	rc = pthread_create(&th, NULL, pingpong_partner, &p);
	if (rc)
		return fail("pthread_create", rc);
	pthread_mutex_lock(&p.m);
	pingpong_rounds(&p, warmup(iters));
	t[0] = now_ns();
	for (b = 0; b < BATCHES; b++) {
		pingpong_rounds(&p, iters);
		t[b + 1] = now_ns();
	}
	pthread_mutex_unlock(&p.m);
	pthread_join(th, NULL);
	pthread_cond_destroy(&p.cv[0]);
	pthread_cond_destroy(&p.cv[1]);
	pthread_mutex_destroy(&p.m);
	return median_ns(t, iters);
}

/* ---- 4. pthread_barrier_wait rounds with (nthreads) threads (this + n-1). */

struct barrier_arg {
	pthread_barrier_t b;
	long n;
};

static void *barrier_partner(void *arg)
{
	struct barrier_arg *a = arg;

	for (long k = 0; k < a->n; k++)
		pthread_barrier_wait(&a->b);
	return NULL;
}

static double bench_barrier(int nthreads, int iters)
{
	pthread_t th[nthreads];
	uint64_t t[BATCHES + 1];
	struct barrier_arg a;
	int b, i, k, rc;

	rc = pthread_barrier_init(&a.b, NULL, (unsigned int)nthreads);
	if (rc)
		return fail("pthread_barrier_init", rc);
	a.n = warmup(iters) + (long)BATCHES * iters;
	for (i = 1; i < nthreads; i++) {
		rc = pthread_create(&th[i], NULL, barrier_partner, &a);
		if (rc) /* the others stay blocked: give up */
			return fail("pthread_create", rc);
	}
	for (k = 0; k < warmup(iters); k++)
		pthread_barrier_wait(&a.b);
	t[0] = now_ns();
	for (b = 0; b < BATCHES; b++) {
		for (k = 0; k < iters; k++)
			pthread_barrier_wait(&a.b);
		t[b + 1] = now_ns();
	}
	for (i = 1; i < nthreads; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&a.b);
	return median_ns(t, iters);
}

/*
 * ---- 5. OpenMP, EPCC-style: the time of an empty `omp parallel` region
 * and of an `omp barrier` in a loop (no reference time subtracted).
 *
 * libgomp keeps its thread pool in the master thread's TLS, and an
 * offloaded function runs with its caller's FS base: run from main() on
 * both sides, the HRT's regions would reuse the native side's pool of
 * Linux threads (or the reverse).  So each OpenMP measurement runs in a
 * thread of its own, created on the side being measured; its pool is
 * new, lives on that side, and is shut down when that thread exits.
 */
struct omp_job {
	double (*body)(int nthreads, int iters);
	int nthreads, iters;
	double result;
};

static void *omp_master(void *arg)
{
	struct omp_job *j = arg;

	j->result = j->body(j->nthreads, j->iters);
	return NULL;
}

static double omp_in_new_thread(double (*body)(int, int), int nthreads,
				int iters)
{
	struct omp_job j = { body, nthreads, iters, -1 };
	pthread_t th;
	int rc;

	rc = pthread_create(&th, NULL, omp_master, &j);
	if (rc)
		return fail("pthread_create (OpenMP master)", rc);
	rc = pthread_join(th, NULL);
	if (rc)
		return fail("pthread_join (OpenMP master)", rc);
	return j.result;
}

static double omp_parallel_body(int nthreads, int iters)
{
	uint64_t t[BATCHES + 1];
	int b, k, team = 0;

	omp_set_num_threads(nthreads);
	for (k = 0; k < warmup(iters); k++) {
#pragma omp parallel shared(team)
		{
			if (omp_get_thread_num() == 0)
				team = omp_get_num_threads();
		}
	}
	if (team != nthreads)
		return fail("omp_get_num_threads() != omp_set_num_threads()",
			    0);
	t[0] = now_ns();
	for (b = 0; b < BATCHES; b++) {
		for (k = 0; k < iters; k++) {
#pragma omp parallel
			{
				__asm__ volatile("" ::: "memory");
			}
		}
		t[b + 1] = now_ns();
	}
	return median_ns(t, iters);
}

static double omp_barrier_body(int nthreads, int iters)
{
	uint64_t t[BATCHES + 1];
	int team = 0;

	omp_set_num_threads(nthreads);
#pragma omp parallel shared(t, team)
	{
		int b, k, master = omp_get_thread_num() == 0;

		if (master)
			team = omp_get_num_threads();
		for (k = 0; k < warmup(iters); k++) {
#pragma omp barrier
		}
		if (master)
			t[0] = now_ns();
		for (b = 0; b < BATCHES; b++) {
			for (k = 0; k < iters; k++) {
#pragma omp barrier
			}
			if (master)
				t[b + 1] = now_ns();
		}
	}
	if (team != nthreads)
		return fail("omp_get_num_threads() != omp_set_num_threads()",
			    0);
	return median_ns(t, iters);
}

static double bench_omp_parallel(int nthreads, int iters)
{
	return omp_in_new_thread(omp_parallel_body, nthreads, iters);
}

static double bench_omp_barrier(int nthreads, int iters)
{
	return omp_in_new_thread(omp_barrier_body, nthreads, iters);
}

/* ---- The measurements; (div) scales -n ITERS down for the slow ones. */

static const struct bench {
	const char *name;
	double (*fn)(int nthreads, int iters);
	int div;
} benches[] = {
	{ "pthread_create_join", bench_create_join, 10 },
	{ "mutex_handoff_rt", bench_mutex_handoff, 1 },
	{ "condvar_pingpong_rt", bench_condvar_pingpong, 1 },
	{ "pthread_barrier", bench_barrier, 4 },
	{ "omp_parallel", bench_omp_parallel, 4 },
	{ "omp_barrier", bench_omp_barrier, 4 },
};

/* One measurement run on the HRT: its arguments and result. */
struct hrt_job {
	const struct bench *b;
	int nthreads, iters;
	double result;
};

static long f_hrt_job(void *arg, unsigned int core)
{
	struct hrt_job *j = arg;

	(void)core;
	j->result = j->b->fn(j->nthreads, j->iters);
	return 0;
}

/* Says why (name) failed on (side), when the bench recorded it. */
static void report_fail(const char *name, const char *side)
{
	if (!fail_what)
		return;
	fprintf(stderr, "hvm-thread-bench: %s on the %s: %s%s%s\n", name, side,
		fail_what, fail_err ? ": " : "",
		fail_err ? strerror(fail_err) : "");
	fail_what = NULL;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hvm-thread-bench [-n ITERS] [-t NTHREADS] "
		"[--native-only] [NAME...]\n"
		"  -n ITERS       mutex/condvar round trips per batch "
		"(default 2000);\n"
		"                 thread creates ITERS/10, barrier and "
		"OpenMP rounds ITERS/4\n"
		"  -t NTHREADS    threads for the barrier and OpenMP "
		"measurements (default:\n"
		"                 the cores of each side, at least 2)\n"
		"  --native-only  ROS column only (also HVM_BENCH_NATIVE=1): "
		"no /dev/hvm needed\n"
		"Prints `name native_ns hrt_ns ratio` (ratio = native/hrt, "
		"above 1: HRT faster),\n"
		"each the median of %d batches; NAMEs (first column) run only "
		"those.\n",
		BATCHES);
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

/* Is (name) among the (n) names of the command line (all when none)? */
static int selected(const char *name, int n, char **names)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return 1;
	return n == 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "native-only", no_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = getenv("HVM_BENCH_NATIVE");
	int native_only = env && *env && strcmp(env, "0");
	int iters = 2000, nthreads = 0, n_native, n_hrt = 0, failed = 0, c;
	struct hrt_info info;
	size_t i;
	int rc;

	while ((c = getopt_long(argc, argv, "n:t:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_int(optarg, 1, 100000000, &iters))
				goto bad;
			break;
		case 't':
			if (parse_int(optarg, 2, 1024, &nthreads))
				goto bad;
			break;
		case 'N':
			native_only = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			goto bad;
		}
	}
	for (c = optind; c < argc; c++) {
		for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
			if (!strcmp(argv[c], benches[i].name))
				break;
		if (i == sizeof(benches) / sizeof(benches[0]))
			goto bad;
	}

	n_native = nthreads ? nthreads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (n_native < 2)
		n_native = 2;
	if (!native_only) {
		rc = hrt_info(&info);
		if (rc) {
			fprintf(stderr,
				"hvm-thread-bench: hrt_info: %s "
				"(no HVM here? --native-only runs the ROS "
				"column alone)\n",
				strerror(-rc));
			return 1;
		}
		n_hrt = nthreads ? nthreads : (int)info.hrt_cores;
		if (n_hrt < 2)
			n_hrt = 2;
	}

	printf("# hvm-thread-bench: ns/op, median of %d batches; "
	       "threads native %d, hrt ",
	       BATCHES, n_native);
	if (native_only)
		printf("-");
	else
		printf("%d (%u HRT cores)", n_hrt, info.hrt_cores);
	printf("; iters %d\n", iters);
	printf("# %-22s %12s %12s %8s\n", "name", "native_ns", "hrt_ns",
	       "ratio");
	fflush(stdout);

	for (i = 0; i < sizeof(benches) / sizeof(benches[0]); i++) {
		const struct bench *b = &benches[i];
		int n = iters / b->div > 0 ? iters / b->div : 1;
		struct hrt_job job = { b, n_hrt, n, -1 };
		struct hvm_fault fault;
		struct hrt_opts opts = {
			.core = -1,
			.wait = HRT_WAIT_DEFAULT,
			.timeout_ms = HRT_TIMEOUT_MS,
			.fault = &fault,
		};
		double native, hrt = -1;
		long ret;

		if (!selected(b->name, argc - optind, argv + optind))
			continue;
		fail_what = NULL;
		native = b->fn(n_native, n);
		if (native <= 0)
			report_fail(b->name, "ROS");
		if (!native_only) {
			memset(&fault, 0, sizeof(fault));
			rc = hrt_invoke_opts(f_hrt_job, &job, &ret, &opts);
			if (rc) {
				fprintf(stderr,
					"hvm-thread-bench: %s: hrt_invoke: %s",
					b->name, strerror(-rc));
				if (rc == -EFAULT)
					fprintf(stderr,
						" (vector %u, error %#x, "
						"address %#llx, rip %#llx)",
						fault.vector, fault.error_code,
						(unsigned long long)
							fault.address,
						(unsigned long long)fault.rip);
				fputc('\n', stderr);
			} else {
				hrt = job.result;
				if (hrt <= 0)
					report_fail(b->name, "HRT");
			}
		}
		if (native <= 0 || (!native_only && hrt <= 0))
			failed = 1;

		printf("%-24s ", b->name);
		if (native > 0)
			printf("%12.1f ", native);
		else
			printf("%12s ", "FAIL");
		if (native_only)
			printf("%12s %8s\n", "-", "-");
		else if (hrt <= 0)
			printf("%12s %8s\n", "FAIL", "-");
		else if (native > 0)
			printf("%12.1f %8.3f\n", hrt, native / hrt);
		else
			printf("%12.1f %8s\n", hrt, "-");
		fflush(stdout);
	}
	return failed;

bad:
	usage(stderr);
	return 2;
}

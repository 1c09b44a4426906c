// SPDX-License-Identifier: MIT
/* fft-bench.c - Debian's FFTW, threaded: its own pthreads on the ROS cores against hrt.h on the HRT cores, same plan, one VM run. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fftw3.h>

#include "fftw-hrt.h"
#include "hrt.h"
#include "hvm.h"

#define REPS 5

static int size = 256, threads = 2, check_only;
static long iters = 20;
static fftw_complex *in, *out, *ref;
static fftw_plan plan;

/*
 * Allocations made inside a native thread would share the caller's
 * malloc state (native threads run on the caller's TLS): counted here,
 * by interposing on glibc's allocator, and required to be none.
 */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void *__libc_memalign(size_t a, size_t n);
static unsigned long thread_allocs;

static void note_alloc(void)
{
	if (hrt_on_hrt() && fftw_hrt_in_thread())
		__atomic_fetch_add(&thread_allocs, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t n)
{
	note_alloc();
	return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
	note_alloc();
	return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
	note_alloc();
	return __libc_realloc(p, n);
}

int posix_memalign(void **p, size_t a, size_t n)
{
	note_alloc();
	*p = __libc_memalign(a, n);
	return *p ? 0 : ENOMEM;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ns of one fftw_execute over REPS runs of (iters). */
static uint64_t time_executes(void)
{
	uint64_t t[REPS], t0;

	for (int r = 0; r < REPS; r++) {
		t0 = now_ns();
		for (long i = 0; i < iters; i++)
			fftw_execute(plan);
		t[r] = (now_ns() - t0) / (uint64_t)iters;
	}
	qsort(t, REPS, sizeof(t[0]), cmp_u64);
	return t[REPS / 2];
}

struct hrt_run {
	uint64_t ns;
	unsigned long loops, stolen;
	int cpl0, threads;
};

/* On the HRT: FFTW's loops on native threads, the same plan. */
static long on_hrt(void *arg, unsigned int core)
{
	struct hrt_run *h = arg;
	uint16_t cs;
	int e;

	(void)core;
	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	h->cpl0 = (cs & 3) == 0;
	h->threads = fftw_hrt_start();
	if (h->threads < 0)
		return h->threads;
	fftw_execute(plan);
	if (check_only) {
		h->ns = 0;
	} else {
		h->ns = time_executes();
	}
	fftw_hrt_counts(&h->loops, &h->stolen);
	e = fftw_hrt_stop();
	return e;
}

static long stat_of(const char *name)
{
	char cmd[128], line[128];
	long v = -1;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "hvmctl stats | grep '^%s:'", name);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	if (fgets(line, sizeof(line), p))
		sscanf(strchr(line, ':') + 1, "%ld", &v);
	pclose(p);
	return v;
}

static const char *const stat_names[] = { "hrt.resched_ipis", "hrt.cr3_loads",
					  "hrt.irqs", "hrt.fwd_calls" };
#define NSTATS 4

static void verdict(int ok, const char *what, const char *fmt, double v)
{
	printf("%s - fft %dx%d, %d threads: %s", ok ? "ok" : "not ok", size,
	       size, threads, what);
	if (!ok && fmt) {
		printf(" # ");
		printf(fmt, v);
	}
	printf("\n");
}

static void usage(void)
{
	fprintf(stderr,
		"usage: hvm-fft-bench [--check] [-n ITERS] [-s N] [-t THREADS]\n"
		"  a threaded N x N complex FFT (FFTW), natively with FFTW's\n"
		"  pthreads and inside hrt_invoke with hrt.h native threads\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct hrt_run h = { 0 };
	struct hrt_info info;
	long before[NSTATS], after[NSTATS], r = 0;
	uint64_t lin = 0;
	size_t bytes;
	int i, rc, ok = 1;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--check"))
			check_only = 1;
		else if (!strcmp(argv[i], "-n") && i + 1 < argc)
			iters = atol(argv[++i]);
		else if (!strcmp(argv[i], "-s") && i + 1 < argc)
			size = atoi(argv[++i]);
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			threads = atoi(argv[++i]);
		else
			usage();
	}
	if (iters < 1 || size < 2 || size > 4096 || threads < 1 || threads > 64)
		usage();
	rc = hrt_open();
	if (rc || hrt_info(&info)) {
		fprintf(stderr, "fft-bench: hrt_open: %s\n", strerror(-rc));
		return 1;
	}
	if (!fftw_init_threads()) {
		fprintf(stderr, "fft-bench: fftw_init_threads failed\n");
		return 1;
	}
	bytes = sizeof(fftw_complex) * (size_t)size * (size_t)size;
	in = fftw_malloc(bytes);
	out = fftw_malloc(bytes);
	ref = fftw_malloc(bytes);
	if (!in || !out || !ref) {
		fprintf(stderr, "fft-bench: no memory for %d x %d\n", size,
			size);
		return 1;
	}
	fftw_plan_with_nthreads(threads);
	plan = fftw_plan_dft_2d(size, size, in, out, FFTW_FORWARD,
				FFTW_ESTIMATE);
	for (i = 0; i < size * size; i++) {
		in[i][0] = (double)((i * 7919) % 1000) / 1000.0;
		in[i][1] = (double)((i * 104729) % 1000) / 1000.0;
	}
	/* Linux: FFTW's own pthreads, on the ROS cores. */
	fftw_execute(plan);
	memcpy(ref, out, bytes);
	if (!check_only)
		lin = time_executes();
	memset(out, 0, bytes);
	for (i = 0; i < NSTATS; i++)
		before[i] = stat_of(stat_names[i]);
	rc = hrt_invoke(on_hrt, &h, &r);
	for (i = 0; i < NSTATS; i++)
		after[i] = stat_of(stat_names[i]) - before[i];
	if (check_only) {
		verdict(!rc && !r, "the plan runs on hrt.h native threads",
			"%g", rc ? rc : r);
		verdict(h.cpl0, "the invoking code ran at CPL 0", NULL, 0);
		verdict(h.threads == (int)info.hrt_cores,
			"one thread per HRT core", "%g", h.threads);
		verdict(info.hrt_cores < 2 || h.stolen > 0,
			"native threads took jobs", "%g", (double)h.stolen);
		verdict(!memcmp(out, ref, bytes),
			"the result equals FFTW's pthread run bit for bit",
			NULL, 0);
		verdict(!thread_allocs, "no allocation in a native thread",
			"%g", (double)thread_allocs);
		return ok && !rc && !r && h.cpl0 && !memcmp(out, ref, bytes) &&
				       !thread_allocs &&
				       (info.hrt_cores < 2 || h.stolen > 0)
			       ? 0
			       : 1;
	}
	if (rc || r || memcmp(out, ref, bytes) || thread_allocs) {
		fprintf(stderr,
			"fft-bench: hrt run failed: status %d result %ld, %s, %lu allocations in native threads\n",
			rc, r,
			memcmp(out, ref, bytes) ? "wrong result"
						: "same result",
			thread_allocs);
		return 1;
	}
	{
		double ops = (double)(REPS * iters + 1);

		printf("# FFTW %s, %d x %d complex 2-D, %d threads; linux: FFTW's pthreads on the ROS cores, hrt: hrt.h native threads inside hrt_invoke on %u HRT cores; median of %d runs of %ld\n",
		       fftw_version, size, size, threads, info.hrt_cores, REPS,
		       iters);
		printf("fft-%-12d linux %10.0f ns  hrt %10.0f ns  ratio %6.2fx  per execute: loops %.1f, jobs to native threads %.1f, ipis %.2f cr3 %.2f irqs %.2f fwd %.2f\n",
		       size, (double)lin, (double)h.ns,
		       (double)lin / (double)h.ns, (double)h.loops / ops,
		       (double)h.stolen / ops, (double)after[0] / ops,
		       (double)after[1] / ops, (double)after[2] / ops,
		       (double)after[3] / ops);
	}
	return 0;
}

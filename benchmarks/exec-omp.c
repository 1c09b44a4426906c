// SPDX-License-Identifier: MIT
/* exec-omp.c - a CPU-bound OpenMP kernel (2-D Jacobi) for benchmarks/exec.sh. */
/*
 * An ordinary OpenMP program that knows nothing of the HRT: exec.sh runs it
 * natively on the ROS cores and under hrt-exec on the HRT cores.
 *
 *   exec-omp [N [ITERS]]        grid N x N (default 512), ITERS sweeps (100)
 *
 * Each sweep replaces every interior point by the mean of its four
 * neighbours (fixed boundary: one hot edge), split over the OpenMP threads
 * (OMP_NUM_THREADS) with a static schedule.  Every point's new value
 * depends only on the previous grid, so the result is bit-for-bit the same
 * whatever the thread count or the cores: the checksum (FNV-1a over the
 * final grid's bits, computed serially) must match between runs.  Prints
 *
 *   exec-omp n N iters ITERS threads T time_ns NS checksum HEX sum SUM
 *
 * where time_ns is the sweeps' wall time (CLOCK_MONOTONIC), without the
 * start-up, allocation and first touch of the grids.
 */
#include <inttypes.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long arg(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "exec-omp: bad %s '%s' (%ld..%ld)\n", what, s,
			lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? arg(argv[1], 8, 8192, "N") : 512;
	long iters = argc > 2 ? arg(argv[2], 1, 1000000, "ITERS") : 100;
	double *a, *b, *t, sum = 0;
	uint64_t h = 0xcbf29ce484222325ull, t0, t1;
	int nthreads = 0;
	long i, j, k;

	a = malloc(sizeof(*a) * n * n);
	b = malloc(sizeof(*b) * n * n);
	if (!a || !b) {
		fprintf(stderr, "exec-omp: out of memory\n");
		return 1;
	}
	/* First touch by the threads that sweep the rows; hot top edge. */
#pragma omp parallel for schedule(static) private(j)
	for (i = 0; i < n; i++)
		for (j = 0; j < n; j++)
			a[i * n + j] = b[i * n + j] = i == 0 ? 100.0 : 0.0;

	t0 = now_ns();
	for (k = 0; k < iters; k++) {
#pragma omp parallel for schedule(static) private(j)
		for (i = 1; i < n - 1; i++)
			for (j = 1; j < n - 1; j++)
				b[i * n + j] = 0.25 * (a[(i - 1) * n + j] +
						       a[(i + 1) * n + j] +
						       a[i * n + j - 1] +
						       a[i * n + j + 1]);
		t = a;
		a = b;
		b = t;
	}
	t1 = now_ns();

#pragma omp parallel
#pragma omp single
	nthreads = omp_get_num_threads();

	for (i = 0; i < n * n; i++) {
		uint64_t bits;
		int byte;

		memcpy(&bits, &a[i], sizeof(bits));
		for (byte = 0; byte < 8; byte++) {
			h ^= (bits >> (8 * byte)) & 0xff;
			h *= 0x100000001b3ull;
		}
		sum += a[i];
	}
	printf("exec-omp n %ld iters %ld threads %d time_ns %" PRIu64
	       " checksum %016" PRIx64 " sum %.17g\n",
	       n, iters, nthreads, t1 - t0, h, sum);
	free(a);
	free(b);
	return 0;
}

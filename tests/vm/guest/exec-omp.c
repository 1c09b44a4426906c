// SPDX-License-Identifier: MIT
/* exec-omp.c - an unmodified OpenMP program for tests/vm/exec.sh. */
/*
 * Four OpenMP threads each report the CPL they run at (from %cs) and the
 * APIC ID of their core (CPUID leaf 1); then a reduction over all four.
 * Under hrt-exec every thread should say CPL 0 and an HRT core's APIC ID;
 * natively CPL 3.  No libhvm: it knows nothing of the HRT.
 */
#include <cpuid.h>
#include <omp.h>
#include <stdio.h>

#define NTHREADS 4

static int cpl(void)
{
	unsigned short cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static unsigned int apic_id(void)
{
	unsigned int a, b, c, d;

	__cpuid(1, a, b, c, d);
	(void)a, (void)c, (void)d;
	return b >> 24;
}

int main(void)
{
	int cpls[NTHREADS], cpls_end[NTHREADS], nthreads = 0, i;
	unsigned int apics[NTHREADS];
	unsigned long long sum = 0;
	long n;

	for (i = 0; i < NTHREADS; i++) {
		cpls[i] = cpls_end[i] = -1;
		apics[i] = ~0u;
	}
#pragma omp parallel num_threads(NTHREADS)
	{
		int t = omp_get_thread_num();

		if (t < NTHREADS) {
			cpls[t] = cpl();
			apics[t] = apic_id();
		}
#pragma omp single
		nthreads = omp_get_num_threads();
	}
#pragma omp parallel for num_threads(NTHREADS) schedule(static) reduction(+ : sum)
	for (n = 0; n < 1000000; n++) {
		sum += (unsigned long long)n * n % 1000003;
		if (n % 250000 == 249999 && omp_get_thread_num() < NTHREADS)
			cpls_end[omp_get_thread_num()] = cpl();
	}
	printf("threads %d\n", nthreads);
	for (i = 0; i < NTHREADS; i++)
		printf("thread %d cpl %d apic %u\n", i,
		       cpls[i] == cpls_end[i] ? cpls[i] : -1, apics[i]);
	printf("sum %llu\n", sum);
	return 0;
}

/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_tsc.h - the one rdtsc of the HRT, hvm.ko, libhvm, the tools, benchmarks and tests. */
#ifndef HVM_TSC_H
#define HVM_TSC_H

/* Freestanding: the HRT's x86.h builds its hrt_rdtsc*() on these. */
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/*
 * The time-stamp counter.  Not ordered against earlier loads or stores:
 * good for timestamps that only need to be monotonic on one core.
 */
static inline uint64_t hvm_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* rdtsc is not ordered against earlier loads; lfence makes it so on both vendors. */
static inline uint64_t hvm_rdtsc_ordered(void)
{
	__asm__ __volatile__("lfence" ::: "memory");
	return hvm_rdtsc();
}

#endif /* HVM_TSC_H */

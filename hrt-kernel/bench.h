/* SPDX-License-Identifier: MIT */
/* bench.h - in-kernel microbenchmarks (thread, switch, condvar, barrier, IPI). */
#ifndef HRT_BENCH_H
#define HRT_BENCH_H

void hrt_bench_run(void);
/* "kvm", "tcg" or "native", from the CPUID hypervisor leaves. */
const char *hrt_bench_accel(void);

#endif /* HRT_BENCH_H */

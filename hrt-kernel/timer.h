/* SPDX-License-Identifier: MIT */
/* timer.h - TSC time base and the periodic LAPIC timer that drives ticks. */
#ifndef HRT_TIMER_H
#define HRT_TIMER_H

#include "types.h"

#define HRT_HZ 100

extern u64 hrt_tsc_khz;
extern volatile u64 hrt_jiffies; /* BSP ticks since the timer started */

/* Standalone: TSC frequency from CPUID 0x15/0x16 or the PIT. */
u64 hrt_timer_calibrate_tsc(void);
/* Per CPU: calibrate (BSP) / start the LAPIC timer at HRT_HZ. */
void hrt_timer_init_cpu(void);
u64 hrt_tsc_to_ns(u64 tsc);
u64 hrt_ns_now(void);
#define hrt_rdtsc_ns hrt_ns_now
void hrt_udelay(u64 us);

#endif /* HRT_TIMER_H */

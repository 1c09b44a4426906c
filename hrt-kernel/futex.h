/* SPDX-License-Identifier: MIT */
/* futex.h - process code's futexes: HRT threads wake each other without Linux. */
#ifndef HRT_FUTEX_H
#define HRT_FUTEX_H

#include "types.h"

struct hrt_uthread;

/*
 * futex(2) from process code with the arguments (a) as the syscall passed
 * them.  Private FUTEX_WAIT/WAKE (and their _BITSET forms with every bit)
 * without a timeout are served here when they can be; everything else is
 * forwarded.  Returns the result or HRT_FWD_ABORTED.
 */
s64 hrt_futex(struct hrt_uthread *u, const u64 *a);

/*
 * From now on (for a while) only Linux wakes (addr) of (u)'s process: the
 * CLONE_CHILD_CLEARTID word of a thread that ends, which its partner's
 * exit clears.  Its HRT waiters move their wait to Linux.
 */
void hrt_futex_linux_wakes(struct hrt_uthread *u, u64 addr);

/* An invocation of context (ctx) starts with channel (flags). */
void hrt_futex_invoke(u32 ctx, u32 flags);

void hrt_futex_init(void);
/* Timer tick: this core's sleeping waiters look at their words again. */
void hrt_futex_tick(void);

#endif /* HRT_FUTEX_H */

/* SPDX-License-Identifier: MIT */
/* sched.h - per-CPU run queues, the scheduler, wake-ups and timer preemption. */
#ifndef HRT_SCHED_H
#define HRT_SCHED_H

#include "list.h"
#include "sync.h"
#include "types.h"

struct hrt_thread;

struct hrt_runq {
	/* Taken raw with interrupts off; released by whichever thread runs next. */
	struct hrt_spinlock lock;
	struct hrt_list queue; /* RUNNABLE threads homed on this CPU */
	u32 nr;
	struct hrt_thread *idle;
};

extern volatile bool hrt_preempt_enabled;

void hrt_sched_init_cpu(void);
void hrt_schedule(void);
void hrt_wake(struct hrt_thread *t);
void hrt_sched_enqueue_new(struct hrt_thread *t);
void hrt_sched_finish_switch(void);
void hrt_sched_tick(void);
struct hrt_regs;
void hrt_sched_tick_exit(struct hrt_regs *r);
__noreturn void hrt_idle_loop(void);
int hrt_sched_pick_cpu(void);

void hrt_ctx_switch(u64 *save_rsp, u64 new_rsp);

#endif /* HRT_SCHED_H */

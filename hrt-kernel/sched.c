// SPDX-License-Identifier: MIT
/* sched.c - per-CPU round-robin run queues, wake-ups, migration and timer preemption. */
#include "sched.h"
#include "api.h"
#include "apic.h"
#include "boot.h"
#include "chan.h"
#include "fpu.h"
#include "futex.h"
#include "idt.h"
#include "log.h"
#include "slab.h"
#include "smp.h"
#include "thread.h"
#include "uthread.h"
#include "x86.h"

volatile bool hrt_preempt_enabled = true;
static volatile u32 hrt_next_cpu;

extern char hrt_boot_stack[];
extern u64 hrt_ap_boot_stack;

void hrt_sched_init_cpu(void)
{
	struct hrt_cpu *c = hrt_this_cpu();
	struct hrt_thread *idle = hrt_zalloc(sizeof(*idle));
	char name[24];

	if (!idle)
		hrt_panic("no memory for the idle thread\n");
	hrt_spin_init(&c->rq.lock);
	hrt_list_init(&c->rq.queue);
	hrt_snprintf(name, sizeof(name), "idle%u", c->id);
	/* The boot context becomes this CPU's idle thread. */
	if (c->id == 0)
		hrt_thread_init_boot(idle, hrt_boot_stack, 16384, name);
	else
		hrt_thread_init_boot(
			idle,
			(void *)(hrt_ap_boot_stack - HRT_THREAD_STACK_SIZE),
			HRT_THREAD_STACK_SIZE, name);
	idle->cpu = c->id;
	idle->pin = c->id;
	c->rq.idle = idle;
	c->idle = idle;
	c->current = idle;
}

int hrt_sched_pick_cpu(void)
{
	u32 i;

	for (i = 0; i < hrt_ncpus; i++) {
		u32 cpu =
			__atomic_fetch_add(&hrt_next_cpu, 1, __ATOMIC_RELAXED) %
			hrt_ncpus;

		if (hrt_cpus[cpu].online)
			return cpu;
	}
	return 0;
}

static void hrt_rq_push(struct hrt_cpu *c, struct hrt_thread *t)
{
	/* Caller holds c->rq.lock. */
	hrt_list_add_tail(&t->rq_node, &c->rq.queue);
	c->rq.nr++;
}

/* Kick a remote CPU so an idle one leaves hlt and looks at its queue. */
static void hrt_sched_kick(struct hrt_cpu *c)
{
	if (c != hrt_this_cpu()) {
		if (hrt_shm)
			HRT_COUNT(resched_ipis);
		hrt_apic_send_ipi(c->apic_id, HRT_VEC_RESCHED);
	}
}

static void hrt_sched_enqueue(struct hrt_thread *t)
{
	struct hrt_cpu *c = &hrt_cpus[t->cpu];
	u64 f = hrt_irq_save();

	hrt_spin_lock_raw(&c->rq.lock);
	hrt_rq_push(c, t);
	hrt_spin_unlock_raw(&c->rq.lock);
	hrt_irq_restore(f);
	hrt_sched_kick(c);
}

void hrt_sched_enqueue_new(struct hrt_thread *t)
{
	t->state = HRT_T_RUNNABLE;
	hrt_sched_enqueue(t);
}

void hrt_wake(struct hrt_thread *t)
{
	struct hrt_cpu *c = &hrt_cpus[t->cpu];
	bool kick = false;
	u64 f = hrt_irq_save();

	/*
	 * Under the home rq lock: a thread that is no longer current there has
	 * been switched out completely (the lock is held across the switch), so
	 * queueing it cannot let another CPU run it on a half-saved stack.  If
	 * it is still current it is on its way into hrt_schedule, which will
	 * see RUNNABLE and keep it.
	 */
	hrt_spin_lock_raw(&c->rq.lock);
	if (t->state == HRT_T_BLOCKED) {
		t->state = HRT_T_RUNNABLE;
		if (c->current != t) {
			hrt_rq_push(c, t);
			kick = true;
		}
	}
	hrt_spin_unlock_raw(&c->rq.lock);
	hrt_irq_restore(f);
	if (kick)
		hrt_sched_kick(c);
}

/* Runs in the thread that was switched to, with the rq lock still held. */
void hrt_sched_finish_switch(void)
{
	struct hrt_cpu *c = hrt_this_cpu();
	struct hrt_thread *prev = c->last_prev;

	c->last_prev = NULL;
	hrt_spin_unlock_raw(&c->rq.lock);
	if (!prev)
		return;
	if (prev->state == HRT_T_DEAD && (prev->flags & HRT_THREAD_DETACHED)) {
		/* Its stack is no longer in use: we run on ours. */
		hrt_thread_free(prev);
		return;
	}
	if (prev->migrate_to >= 0) {
		/* prev's registers are saved now: it may run on its new CPU. */
		prev->cpu = prev->migrate_to;
		prev->migrate_to = -1;
		__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
		hrt_sched_enqueue(prev);
		return;
	}
	__atomic_store_n(&prev->on_cpu, 0, __ATOMIC_RELEASE);
}

void hrt_schedule(void)
{
	u64 f = hrt_irq_save();
	struct hrt_cpu *c = hrt_this_cpu();
	struct hrt_thread *prev = c->current, *next;
	struct hrt_list *n;

	hrt_spin_lock_raw(&c->rq.lock);
	if (prev != c->rq.idle && prev->migrate_to < 0 &&
	    (prev->state == HRT_T_RUNNING || prev->state == HRT_T_RUNNABLE)) {
		prev->state = HRT_T_RUNNABLE;
		hrt_rq_push(c, prev);
	}
	n = hrt_list_pop(&c->rq.queue);
	if (n) {
		c->rq.nr--;
		next = container_of(n, struct hrt_thread, rq_node);
	} else {
		next = c->rq.idle;
	}
	if (next == prev) {
		prev->state = HRT_T_RUNNING;
		hrt_spin_unlock_raw(&c->rq.lock);
		hrt_irq_restore(f);
		return;
	}
	next->state = HRT_T_RUNNING;
	next->on_cpu = 1;
	next->switches++;
	c->current = next;
	c->last_prev = prev;
	/* Kernel C never touches FPU registers, so swapping them here is safe. */
	if (prev->state != HRT_T_DEAD)
		hrt_fpu_save(prev->fpu);
	hrt_fpu_restore(next->fpu);
	/* Per-thread entry stack, FS base and address space of process code. */
	prev->ucall_rsp = c->ucall_rsp;
	c->ucall_rsp = next->ucall_rsp;
	if (next->u)
		hrt_uthread_switch_in(next);
	hrt_ctx_switch(&prev->rsp, next->rsp);
	/* Back in prev, possibly on another CPU after a migration. */
	hrt_sched_finish_switch();
	hrt_irq_restore(f);
}

/* Timer tick (interrupts off): futex sleepers re-check their words. */
void hrt_sched_tick(void)
{
	hrt_futex_tick();
	hrt_api_tick();
}

/* Interrupt exit: preempt the interrupted thread if something else is runnable. */
void hrt_sched_tick_exit(struct hrt_regs *r)
{
	struct hrt_cpu *c = hrt_this_cpu();
	struct hrt_thread *t = c->current;

	(void)r;
	if (!READ_ONCE(c->rq.nr))
		return;
	if (t == c->rq.idle) {
		hrt_schedule();
		return;
	}
	/*
	 * Timer ticks preempt when switched on; a channel IPI does too, so a
	 * thread woken by a forwarded call's reply does not wait for a tick;
	 * and so does a wake-up IPI from another core (a futex wake), or a
	 * woken thread waits up to a tick behind one that spins for it (a
	 * libgomp or spin-then-futex waiter).  Not for the channel service
	 * alone: it yielded and has nothing to do until a kick.
	 */
	if (!hrt_preempt_enabled || t->state != HRT_T_RUNNING)
		return;
	if (r->vector == HRT_VEC_TIMER || r->vector == HVM_HRT_VEC_CHAN ||
	    (r->vector == HRT_VEC_RESCHED && hrt_chan_others_runnable(c->id))) {
		if (r->vector == HRT_VEC_TIMER && hrt_shm)
			HRT_COUNT(tick_preempts);
		hrt_schedule();
	}
}

__noreturn void hrt_idle_loop(void)
{
	struct hrt_cpu *c = hrt_this_cpu();

	for (;;) {
		hrt_cli();
		if (READ_ONCE(c->rq.nr)) {
			hrt_schedule();
			hrt_sti();
			continue;
		}
		/* sti;hlt is atomic w.r.t. interrupts: no lost wake-up IPI. */
		hrt_sti_hlt();
	}
}

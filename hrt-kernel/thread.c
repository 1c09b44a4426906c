// SPDX-License-Identifier: MIT
/* thread.c - kernel thread life cycle: create, start, exit, join, yield, pin. */
#include "thread.h"
#include "buddy.h"
#include "fpu.h"
#include "log.h"
#include "sched.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "x86.h"

extern char hrt_thread_trampoline[];
static volatile u32 hrt_next_tid = 1;

struct hrt_thread *hrt_current(void)
{
	struct hrt_thread *t;

	__asm__ volatile("mov %%gs:8, %0" : "=r"(t));
	return t;
}

static void hrt_thread_init_common(struct hrt_thread *t, const char *name)
{
	hrt_list_init(&t->rq_node);
	hrt_list_init(&t->wait_node);
	hrt_waitq_init(&t->join_wq);
	t->pin = HRT_ANY_CPU;
	t->migrate_to = -1;
	t->id = __atomic_fetch_add(&hrt_next_tid, 1, __ATOMIC_RELAXED);
	hrt_strlcpy(t->name, name ? name : "thread", sizeof(t->name));
}

void hrt_thread_init_boot(struct hrt_thread *t, void *stack, size_t size,
			  const char *name)
{
	hrt_thread_init_common(t, name);
	t->flags = HRT_THREAD_IDLE;
	t->stack = stack;
	t->stack_size = size;
	t->state = HRT_T_RUNNING;
	t->on_cpu = 1;
	t->fpu = hrt_fpu_alloc();
	if (!t->fpu)
		hrt_panic("no memory for idle FPU state\n");
}

struct hrt_thread *hrt_thread_create(hrt_thread_fn fn, void *arg,
				     const char *name, int cpu, u32 flags)
{
	struct hrt_thread *t;
	u64 *top;

	if (cpu != HRT_ANY_CPU &&
	    (cpu < 0 || (u32)cpu >= hrt_ncpus || !hrt_cpus[cpu].online))
		return NULL;
	t = hrt_zalloc(sizeof(*t));
	if (!t)
		return NULL;
	hrt_thread_init_common(t, name);
	t->stack = hrt_pages_alloc(2); /* HRT_THREAD_STACK_SIZE */
	t->fpu = hrt_fpu_alloc();
	if (!t->stack || !t->fpu) {
		if (t->stack)
			hrt_pages_free(t->stack, 2);
		hrt_free(t->fpu);
		hrt_free(t);
		return NULL;
	}
	t->stack_size = HRT_THREAD_STACK_SIZE;
	t->fn = fn;
	t->arg = arg;
	t->flags = flags & ~HRT_THREAD_IDLE;
	t->pin = cpu;
	t->cpu = cpu == HRT_ANY_CPU ? hrt_sched_pick_cpu() : cpu;

	/*
	 * Initial frame for hrt_ctx_switch: six callee-saved registers (r12 =
	 * the thread), then the return into hrt_thread_trampoline, placed so
	 * the trampoline's call sees a 16-byte aligned stack.
	 */
	top = (u64 *)((char *)t->stack + t->stack_size);
	top[-3] = (u64)hrt_thread_trampoline;
	top[-4] = 0;	  /* rbp */
	top[-5] = 0;	  /* rbx */
	top[-6] = (u64)t; /* r12 */
	top[-7] = 0;	  /* r13 */
	top[-8] = 0;	  /* r14 */
	top[-9] = 0;	  /* r15 */
	t->rsp = (u64)&top[-9];
	if (!(flags & HRT_THREAD_NOSTART))
		hrt_sched_enqueue_new(t);
	return t;
}

void hrt_thread_start_new(struct hrt_thread *t)
{
	hrt_sched_enqueue_new(t);
}

void hrt_thread_free(struct hrt_thread *t)
{
	hrt_pages_free(t->stack, 2);
	hrt_free(t->fpu);
	hrt_free(t);
}

void hrt_thread_discard(struct hrt_thread *t)
{
	hrt_thread_free(t);
}

__noreturn void hrt_thread_start(struct hrt_thread *t)
{
	/* We got here through hrt_schedule's switch: finish it, then run. */
	hrt_sched_finish_switch();
	hrt_sti();
	hrt_thread_exit(t->fn(t->arg));
}

__noreturn void hrt_thread_exit(long code)
{
	struct hrt_thread *t = hrt_current();

	if (t->flags & HRT_THREAD_IDLE)
		hrt_panic("idle thread exiting\n");
	hrt_spin_lock(&t->join_wq.lock);
	t->retval = code;
	t->exited = true;
	t->state = HRT_T_DEAD;
	hrt_waitq_wake_all(&t->join_wq);
	/* Keep interrupts off: nothing may run us between DEAD and the switch. */
	hrt_spin_unlock_raw(&t->join_wq.lock);
	hrt_schedule();
	hrt_panic("dead thread %s scheduled\n", t->name);
}

long hrt_thread_join(struct hrt_thread *t)
{
	long r;

	hrt_spin_lock(&t->join_wq.lock);
	while (!t->exited) {
		u64 f = t->join_wq.lock.flags;

		hrt_waitq_prepare(&t->join_wq);
		hrt_spin_unlock_raw(&t->join_wq.lock);
		hrt_schedule();
		hrt_irq_restore(f);
		hrt_spin_lock(&t->join_wq.lock);
	}
	hrt_spin_unlock(&t->join_wq.lock);
	/* Its CPU may still be switching away on its stack: wait for that. */
	while (__atomic_load_n(&t->on_cpu, __ATOMIC_ACQUIRE))
		hrt_pause();
	r = t->retval;
	hrt_thread_free(t);
	return r;
}

void hrt_thread_yield(void)
{
	hrt_schedule();
}

int hrt_thread_pin(int cpu)
{
	struct hrt_thread *t = hrt_current();
	u64 f;

	if (cpu < 0 || (u32)cpu >= hrt_ncpus || !hrt_cpus[cpu].online ||
	    (t->flags & HRT_THREAD_IDLE))
		return -EINVAL;
	t->pin = cpu;
	f = hrt_irq_save();
	if (t->cpu != cpu) {
		t->migrate_to = cpu;
		hrt_schedule(); /* returns on the new CPU */
	}
	hrt_irq_restore(f);
	return 0;
}

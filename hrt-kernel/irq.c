// SPDX-License-Identifier: MIT
/* irq.c - interrupt-off sections of process code (hrt_irq_save/restore) and the NMI that ends one held too long. */
#include "api.h"
#include "boot.h"
#include "gdt.h"
#include "idt.h"
#include "log.h"
#include "smp.h"
#include "thread.h"
#include "timer.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

extern char hrt_user_abort_landing[];

/*
 * Per core: the thread in an interrupt-off section and its limit.  Only
 * that core writes it, with interrupts off; its NMI handler reads it.
 */
static struct hrt_irqoff {
	struct hrt_thread *t;
	u64 start, limit_ns;
} hrt_irqoff[HRT_MAX_CPUS];
/* hrt_shm->hrt_irqoff_nmi[core] as the core last took it. */
static u64 hrt_irqoff_nmi_seen[HRT_MAX_CPUS];

void hrt_api_irq_boot(void)
{
	u32 i;

	for (i = 0; i < HRT_MAX_CPUS && i < HVM_MAX_HRT_CPUS; i++)
		hrt_irqoff_nmi_seen[i] = READ_ONCE(hrt_shm->hrt_irqoff_nmi[i]);
}

static void hrt_irqoff_end(u32 me)
{
	hrt_irqoff[me].t = NULL;
	WRITE_ONCE(hrt_shm->hrt_irqoff_deadline[me], 0);
}

/* The NMI's iretq lands in hrt_user_abort_landing: hrt_user_call returns (status). */
static void hrt_irqoff_abort(struct hrt_regs *r, long status)
{
	r->rax = (u64)status;
	r->rip = (u64)hrt_user_abort_landing;
	r->cs = HRT_KCODE;
	r->ss = HRT_KDATA;
	r->rsp = hrt_this_cpu()->ucall_rsp;
	r->rflags = 0x2;
}

s64 hrt_api_irq_save(void)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_frame *f;
	u64 old, ns, now;
	u32 me;

	if (!u)
		return -ENOTSUP;
	/* Off from here: the section is this core's until it ends. */
	hrt_cli();
	f = hrt_api_frame();
	old = f->rflags;
	f->rflags &= ~RFLAGS_IF;
	if (old & RFLAGS_IF) {
		me = hrt_cpu_id();
		ns = u->irq_limit_ns ? u->irq_limit_ns : HVM_API_IRQ_LIMIT_NS;
		now = hrt_rdtsc();
		hrt_irqoff[me].t = hrt_current();
		hrt_irqoff[me].start = now;
		hrt_irqoff[me].limit_ns = ns;
		hrt_irqoff_nmi_seen[me] =
			READ_ONCE(hrt_shm->hrt_irqoff_nmi[me]);
		WRITE_ONCE(hrt_shm->hrt_irqoff_deadline[me],
			   now + ns / 1000 * hrt_tsc_khz / 1000);
	}
	return (s64)old;
}

s64 hrt_api_irq_restore(u64 flags)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_frame *f;
	u32 me;

	if (!u)
		return -ENOTSUP;
	hrt_cli();
	f = hrt_api_frame();
	f->rflags = (f->rflags & ~RFLAGS_IF) | (flags & RFLAGS_IF);
	me = hrt_cpu_id();
	if ((flags & RFLAGS_IF) && hrt_irqoff[me].t == hrt_current())
		hrt_irqoff_end(me);
	return 0;
}

s64 hrt_api_irq_limit(u64 ns)
{
	struct hrt_uthread *u = hrt_api_caller();
	u64 old;

	if (!u)
		return -ENOTSUP;
	if (ns > HVM_API_IRQ_LIMIT_MAX)
		return -EINVAL;
	old = u->irq_limit_ns ? u->irq_limit_ns : HVM_API_IRQ_LIMIT_NS;
	u->irq_limit_ns = ns;
	return (s64)old;
}

bool hrt_api_irq_nmi(struct hrt_regs *r)
{
	u32 me = hrt_cpu_id();
	struct hrt_irqoff *s = &hrt_irqoff[me];
	struct hrt_thread *t = hrt_current();
	u64 sent;
	struct hrt_uthread *u;

	if (!hrt_shm)
		return false;
	sent = READ_ONCE(hrt_shm->hrt_irqoff_nmi[me]);
	if (sent == hrt_irqoff_nmi_seen[me])
		return false; /* not the watchdog's */
	hrt_irqoff_nmi_seen[me] = sent;
	/* Ended meanwhile, or its thread turned interrupts on or slept. */
	if (!s->t || s->t != t || (r->rflags & RFLAGS_IF)) {
		if (s->t)
			hrt_irqoff_end(me);
		return true;
	}
	/*
	 * In kernel code (a call it made): leaving from there could leave a
	 * lock held.  The section stays; hvm.ko sends the next NMI.
	 */
	if (!hrt_regs_from_process(r) || !t->u)
		return true;
	u = t->u;
	/*
	 * Its process ended: hvm.ko waits for this core to leave the context.
	 * Leave it now (its text is not needed: the frame goes to the kernel)
	 * and end the thread.
	 */
	if (!hrt_uctx_alive(u->ctx)) {
		hrt_irqoff_end(me);
		hrt_uctx_check(u->ctx);
		hrt_irqoff_abort(r, -ECANCELED);
		return true;
	}
	/* A TLB flush Linux waits for: serve it, the section goes on. */
	hrt_uctx_check(u->ctx);
	if (hrt_rdtsc() < READ_ONCE(hrt_shm->hrt_irqoff_deadline[me]))
		return true;
	hrt_printf(
		"hrt: cpu %u: thread %s (id %u, channel %u, context %u%s) kept interrupts off past its %lu ms limit (for %lu ms), at rip %lx: thread ended\n",
		me, t->name, t->id, u->chan, u->ctx,
		u->native ? ", native" : "", s->limit_ns / 1000000,
		hrt_tsc_to_ns(hrt_rdtsc() - s->start) / 1000000, r->rip);
	hrt_irqoff_end(me);
	__atomic_add_fetch(&hrt_shm->hrt_irqoff_ended, 1, __ATOMIC_RELAXED);
	hrt_irqoff_abort(r, -ETIME);
	return true;
}

/* SPDX-License-Identifier: MIT */
/* smp.h - per-CPU state and bringing up the other HRT cores. */
#ifndef HRT_SMP_H
#define HRT_SMP_H

#include "boot.h"
#include "cpu_off.h"
#include "hvm_abi.h"
#include "hvm_x86.h"
#include "sched.h"
#include "types.h"

#define HRT_MAX_CPUS HVM_MAX_HRT_CPUS

/* Per-CPU IST stacks.  Every IDT vector uses one (see idt.c for why). */
#define HRT_IST_IRQ   1 /* interrupts: left for the interrupted stack at once */
#define HRT_IST_EXC   2 /* exceptions */
#define HRT_IST_NMI   3
#define HRT_IST_DF    4
#define HRT_IST_MC    5
#define HRT_IST_STACK 8192

struct hrt_thread;

struct hrt_cpu {
	struct hrt_cpu *self;	    /* %gs:0, see hrt_this_cpu() */
	struct hrt_thread *current; /* %gs:8 */
	/* Offloaded calls (chan.c, usercall.S), at fixed %gs offsets. */
	u64 ucall_rsp;	 /* %gs:16 kernel rsp for entries from process code */
	u64 sc_user_rsp; /* %gs:24 rsp of the syscall being served */
	u64 ufixup;	 /* %gs:32 where a faulting user access resumes */
	u32 id;		 /* dense index 0..ncpus-1 */
	u32 apic_id;
	volatile bool online;
	int exc_depth; /* nested exceptions on the IST_EXC stack */
	int irq_depth; /* > 0 while an interrupt handler runs (idt.c) */
	struct hrt_runq rq;
	struct hrt_thread
		*last_prev; /* handed from hrt_schedule to the next thread */
	volatile u64 ticks;
	volatile u64 ipi_count;
	void *ist[6]; /* IST stacks (GDT and TSS: gdt.c, IDT: idt.c) */
	struct hrt_thread *idle;
	/* HVM_EV_* events on this core (chan.c takes deltas per invocation). */
	u64 events[HVM_EV_NR];
} __aligned(64);

_Static_assert(__builtin_offsetof(struct hrt_cpu, ufixup) == HRT_CPU_UFIXUP &&
		       __builtin_offsetof(struct hrt_cpu, ucall_rsp) ==
			       HRT_CPU_UCALL_RSP &&
		       __builtin_offsetof(struct hrt_cpu, sc_user_rsp) ==
			       HRT_CPU_SC_USER_RSP,
	       "usercall.S knows these offsets");

extern struct hrt_cpu hrt_cpus[HRT_MAX_CPUS];
extern u32 hrt_ncpus; /* CPUs described by boot info */
extern volatile u32 hrt_online_cpus;

static inline struct hrt_cpu *hrt_this_cpu(void)
{
	struct hrt_cpu *c;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(c));
	return c;
}

static inline u32 hrt_cpu_id(void)
{
	return hrt_this_cpu()->id;
}

/*
 * First thing on the boot CPU, before any other set-up: the shared IDT,
 * CPU 0's GDT and TSS with static IST stacks, so from here on every
 * exception is the HRT's own to report, whichever page tables are live.
 */
void hrt_smp_early_bsp(void);
void hrt_smp_init_bsp(void);
/*
 * Starts CPUs 1.. through the trampoline page: low_cr3 (below 4 GiB, maps
 * the page identity) for the 32-bit part, then cr3 (any address; must map
 * the page identity and the kernel image) in long mode.  Returns true when
 * every AP came online, i.e. no CPU can still be using either table.
 */
bool hrt_smp_boot_aps(u64 tramp_phys, u64 low_cr3, u64 cr3);
void hrt_cpu_setup_percpu(struct hrt_cpu *c);

/*
 * Counts event (ev) of enum hvm_event on this core and, in HVM mode, in
 * the header's global counter (field).  Interrupts off or no migration.
 */
#define HRT_EVENT(field, ev)                                                   \
	do {                                                                   \
		hrt_this_cpu()->events[ev]++;                                  \
		if (hrt_hvm_mode)                                              \
			HRT_COUNT(field);                                      \
	} while (0)

#endif /* HRT_SMP_H */

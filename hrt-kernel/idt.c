// SPDX-License-Identifier: MIT
/* idt.c - per-CPU IDTs (every vector on an IST stack), exception reports, IRQ dispatch. */
#include "idt.h"
#include "api.h"
#include "hvm_x86.h"
#include "apic.h"
#include "boot.h"
#include "gdt.h"
#include "health.h"
#include "log.h"
#include "mm.h"
#include "sched.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "symbols.h"
#include "thread.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

extern char hrt_isr_stubs[]; /* 256 stubs, 16 bytes apart (entry.S) */
static hrt_irq_handler hrt_handlers[256];
/*
 * One IDT for every CPU (the IST numbers pick each CPU's own stacks through
 * its TSS).  Written once, by the boot CPU before it loads it; afterwards
 * its page is read-only in every mapping (mm.c).
 */
static struct hvm_idt_gate hrt_idt[256] __section(".bss.hrt_prot")
	__aligned(4096);

static const char *const hrt_exc_names[32] = {
	"#DE divide error",
	"#DB debug",
	"NMI",
	"#BP breakpoint",
	"#OF overflow",
	"#BR bound",
	"#UD invalid opcode",
	"#NM no FPU",
	"#DF double fault",
	"coproc overrun",
	"#TS invalid TSS",
	"#NP not present",
	"#SS stack fault",
	"#GP general protection",
	"#PF page fault",
	"reserved",
	"#MF x87 error",
	"#AC alignment",
	"#MC machine check",
	"#XM SIMD error",
	"#VE virtualization",
	"#CP control protection",
};

static u8 hrt_ist_for(int v)
{
	/*
	 * Every vector gets an IST stack: code we run in ring 0 may keep data in
	 * the red zone below its %rsp, which a plain ring-0 interrupt would
	 * overwrite by pushing its frame there.
	 */
	switch (v) {
	case 2:
		return HRT_IST_NMI;
	case 8:
		return HRT_IST_DF;
	case 18:
		return HRT_IST_MC;
	default:
		return v < 32 ? HRT_IST_EXC : HRT_IST_IRQ;
	}
}

void hrt_idt_init(void)
{
	struct hvm_idt_gate *idt = hrt_idt;
	struct hrt_wp wp = hrt_wp_begin();
	int v;

	for (v = 0; v < 256; v++) {
		u64 h = (u64)hrt_isr_stubs + 16 * v;

		idt[v] = hvm_idt_gate(h, HRT_KCODE, (u8)hrt_ist_for(v));
	}
	hrt_wp_end(wp);
	/* Loaded broken, it would turn the next fault into a triple fault. */
	for (v = 0; v < 256; v++) {
		u64 h = (u64)hrt_isr_stubs + 16 * v;

		if (idt[v].off0 != (h & 0xffff) || idt[v].sel != HRT_KCODE ||
		    idt[v].ist != hrt_ist_for(v) ||
		    idt[v].type != HVM_IDT_INTR_GATE ||
		    idt[v].off1 != ((h >> 16) & 0xffff) ||
		    idt[v].off2 != (u32)(h >> 32))
			hrt_panic("IDT entry %d built wrong\n", v);
	}
}

void hrt_idt_desc(u16 *limit, u64 *base)
{
	*limit = sizeof(hrt_idt) - 1;
	*base = (u64)hrt_idt;
}

void hrt_idt_init_cpu(void)
{
	struct {
		u16 limit;
		u64 base;
	} __packed d;
	const struct hvm_idt_gate *g;

	d.limit = sizeof(hrt_idt) - 1;
	d.base = (u64)hrt_idt;
	/*
	 * Not built yet, or the address computed wrong (a broken image):
	 * loading it would make the next fault a triple fault.  Fault now
	 * instead, while the IDT that is loaded can still report it.
	 */
	g = (const struct hvm_idt_gate *)d.base;
	if (d.limit != 0xfff || (d.base & 0xfff) || g[14].type != 0x8e ||
	    g[8].ist != HRT_IST_DF)
		__builtin_trap();
	__asm__ volatile("lidt %0" ::"m"(d));
}

void hrt_irq_register(u8 vector, hrt_irq_handler h)
{
	hrt_handlers[vector] = h;
}

static void hrt_print_sym(const char *what, u64 addr)
{
	u64 off;
	const char *s = hrt_symbol_lookup(addr, &off);

	if (s)
		hrt_printf("%s %016lx <%s+0x%lx>\n", what, addr, s, off);
	else
		hrt_printf("%s %016lx\n", what, addr);
}

void hrt_dump_regs(struct hrt_regs *r)
{
	u64 *fp;
	int depth;

	hrt_printf("  vector %lu (%s) error %lx cpu %u thread %s\n", r->vector,
		   r->vector < 32 && hrt_exc_names[r->vector]
			   ? hrt_exc_names[r->vector]
			   : "interrupt",
		   r->error, hrt_boot_percpu_ready ? hrt_cpu_id() : 0,
		   hrt_boot_percpu_ready && hrt_current() ? hrt_current()->name
							  : "?");
	hrt_print_sym("  RIP", r->rip);
	hrt_printf("  CR2 %016lx CR3 %016lx RFLAGS %016lx CS %lx SS %lx\n",
		   hrt_read_cr2(), hrt_read_cr3(), r->rflags, r->cs, r->ss);
	hrt_printf("  RAX %016lx RBX %016lx RCX %016lx RDX %016lx\n", r->rax,
		   r->rbx, r->rcx, r->rdx);
	hrt_printf("  RSI %016lx RDI %016lx RBP %016lx RSP %016lx\n", r->rsi,
		   r->rdi, r->rbp, r->rsp);
	hrt_printf("  R8  %016lx R9  %016lx R10 %016lx R11 %016lx\n", r->r8,
		   r->r9, r->r10, r->r11);
	hrt_printf("  R12 %016lx R13 %016lx R14 %016lx R15 %016lx\n", r->r12,
		   r->r13, r->r14, r->r15);
	/* Frame-pointer walk (built with -fno-omit-frame-pointer); stop on junk. */
	fp = (u64 *)r->rbp;
	for (depth = 0; depth < 12; depth++) {
		if ((u64)fp < HRT_KERNEL_STACK_MIN || ((u64)fp & 7))
			break;
		if (!hrt_symbol_lookup(fp[1], NULL))
			break;
		hrt_print_sym("  call", fp[1]);
		fp = (u64 *)fp[0];
	}
}

void hrt_exception(struct hrt_regs *r)
{
	struct hrt_cpu *c = hrt_boot_percpu_ready ? hrt_this_cpu() : NULL;
	struct hrt_thread *t = c ? c->current : NULL;

	/*
	 * A kernel read or write of process memory that faulted (uaccess.S),
	 * or an MSR or counter the CPU lacks (priv.c): #GP, or #UD where the
	 * CPU has no rdpmc at all (TCG); resumed the same way.
	 */
	if (c && c->ufixup &&
	    ((r->vector == 14 && hrt_read_cr2() < HVM_USER_TOP) ||
	     ((r->vector == 13 || r->vector == 6) && hrt_priv_insn(r->rip)))) {
		r->rip = c->ufixup;
		c->ufixup = 0;
		return;
	}
	/* hvm.ko's watchdog, for an interrupt-off section held too long. */
	if (r->vector == 2 && c && hrt_api_irq_nmi(r))
		return;
	if (r->vector == 3 || r->vector == 1) {
		/* int3/debug: report and continue (handy for tests and gdb-less debugging). */
		hrt_printf("hrt: trap %lu at %lx\n", r->vector, r->rip);
		return;
	}
	if (c && ++c->exc_depth > 1) {
		hrt_printf("hrt: nested exception %lu at %lx\n", r->vector,
			   r->rip);
		hrt_crash();
	}
	/*
	 * Only the thread's own code is isolated: a fault inside an interrupt
	 * handler that happened to interrupt it is the kernel's (that is how
	 * HVM_HRT_VEC_DEBUG_CRASH must end, whatever thread it lands in).
	 */
	if (t && (t->flags & HRT_THREAD_ISOLATE_FAULTS) && !c->irq_depth &&
	    r->vector != 8 && r->vector != 18 && r->vector != 2) {
		hrt_printf(
			"hrt: exception in thread %s (id %u), thread ended\n",
			t->name, t->id);
		hrt_dump_regs(r);
		t->faulted = true;
		t->fault_vector = r->vector;
		t->fault_rip = r->rip;
		t->fault_addr = hrt_read_cr2();
		/*
		 * We leave this IST stack for good: the frame on it is abandoned,
		 * and the next exception on this CPU starts from the top again.
		 */
		c->exc_depth = 0;
		hrt_thread_exit(-EFAULT);
	}
	hrt_printf("hrt: UNEXPECTED EXCEPTION in HRT code\n");
	hrt_dump_regs(r);
	hrt_crash();
}

void hrt_irq(struct hrt_regs *r)
{
	hrt_irq_handler h = hrt_handlers[r->vector];
	struct hrt_cpu *c = hrt_this_cpu();

	if (r->vector == HRT_VEC_SPURIOUS)
		return; /* spurious: no EOI by the LAPIC rules */
	c->irq_depth++;
	/* The 100 Hz tick comes whatever runs: not an invocation's cost. */
	if (r->vector != HRT_VEC_TIMER) {
		HRT_EVENT(irqs, HVM_EV_IRQS);
		if (hrt_x2apic) /* the EOI below */
			HRT_EVENT(msr_writes, HVM_EV_MSR_WRITES);
	}
	if (h)
		h(r);
	else
		hrt_printf("hrt: stray interrupt %lu on cpu %u\n", r->vector,
			   hrt_cpu_id());
	c->irq_depth--;
	/* EOI before a possible switch, or this CPU stops taking the vector. */
	hrt_apic_eoi();
	hrt_sched_tick_exit(r);
	if (hrt_regs_from_process(r))
		hrt_uthread_return(r);
}

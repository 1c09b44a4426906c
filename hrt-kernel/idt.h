/* SPDX-License-Identifier: MIT */
/* idt.h - interrupt descriptor tables, exception reports and interrupt dispatch. */
#ifndef HRT_IDT_H
#define HRT_IDT_H

#include "types.h"

/*
 * Saved by SAVE_REGS (regs.inc) after the vector/error words, lowest
 * address first.
 */
struct hrt_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

/*
 * The HRT's own vectors.  0xf0-0xf3 belong to hvm.ko (HVM_HRT_VEC_* in
 * hvm_abi.h, handled in hvmipi.c), so ours sit one priority class lower.
 */
#define HRT_VEC_TIMER	 0x20
#define HRT_VEC_RESCHED	 0xe0
#define HRT_VEC_CALL	 0xe1
#define HRT_VEC_STOP	 0xe2
#define HRT_VEC_SPURIOUS 0xff

typedef void (*hrt_irq_handler)(struct hrt_regs *r);

/* Fills the IDT all CPUs share: once, on the boot CPU. */
void hrt_idt_init(void);
/* Loads it on this CPU (needs the CPU's TSS for the IST stacks). */
void hrt_idt_init_cpu(void);
/* Its limit and base, for lidt elsewhere (the AP trampoline). */
void hrt_idt_desc(u16 *limit, u64 *base);
void hrt_irq_register(u8 vector, hrt_irq_handler h);
/* Prints vector, error, RIP, CR2, registers and a symbolised stack walk. */
void hrt_dump_regs(struct hrt_regs *r);

void hrt_exception(struct hrt_regs *r);
void hrt_irq(struct hrt_regs *r);

#endif /* HRT_IDT_H */

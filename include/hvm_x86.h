/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_x86.h - x86-64 system structures hvm.ko and the HRT both build by hand. */
#ifndef HVM_X86_H
#define HVM_X86_H

/*
 * Hardware layouts, not protocol: hvm.ko's boot trampoline and the HRT
 * each make an IDT, a TSS and descriptor-table pointers (Intel SDM vol. 3A,
 * 6.14.1 "64-Bit Mode IDT", 8.7 "Task Management in 64-bit Mode"), so the
 * layouts live here once.  Nothing in here is versioned by HVM_ABI_VERSION.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

/* One 16-byte IDT gate. */
struct hvm_idt_gate {
	uint16_t off0; /* handler bits 0-15 */
	uint16_t sel;  /* code segment selector */
	uint8_t ist;   /* IST slot 1-7, 0 = no stack switch */
	uint8_t type;  /* P, DPL, gate type */
	uint16_t off1; /* handler bits 16-31 */
	uint32_t off2; /* handler bits 32-63 */
	uint32_t zero;
} __attribute__((packed));

/* Present, DPL 0, 64-bit interrupt gate: IF is cleared on entry. */
#define HVM_IDT_INTR_GATE 0x8e

/* The gate to (handler) through code selector (sel) on IST slot (ist). */
static inline struct hvm_idt_gate hvm_idt_gate(uint64_t handler, uint16_t sel,
					       uint8_t ist)
{
	struct hvm_idt_gate g = {
		.off0 = (uint16_t)(handler & 0xffff),
		.sel = sel,
		.ist = ist,
		.type = HVM_IDT_INTR_GATE,
		.off1 = (uint16_t)((handler >> 16) & 0xffff),
		.off2 = (uint32_t)(handler >> 32),
		.zero = 0,
	};

	return g;
}

/* The 64-bit TSS: stacks for privilege changes and the IST slots. */
struct hvm_tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7]; /* ist[0] is IST slot 1 */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));

/* The operand of lgdt and lidt. */
struct hvm_dtr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct hvm_idt_gate) == 16, "IDT gate layout");
_Static_assert(sizeof(struct hvm_tss64) == 104, "64-bit TSS layout");
_Static_assert(sizeof(struct hvm_dtr) == 10, "descriptor-table pointer");
#endif

#endif /* HVM_X86_H */

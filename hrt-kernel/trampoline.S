/* SPDX-License-Identifier: MIT */
/* trampoline.S - real-mode AP start-up code, copied to a low page and patched by smp.c (assembled twice: the second copy is the reference it is checked against). */

/*
 * The BSP copies hrt_tramp_start..hrt_tramp_end to the trampoline page and
 * fills in the fields marked "patched".  SIPI starts us at CS:IP = page:0.
 * Real -> protected (flat 32-bit) -> long mode on tramp_cr3 (a 32-bit CR3,
 * which the CPU only accepts below 4 GiB; in HVM mode bootinfo.trampoline_cr3,
 * which identity-maps only the low 2 MiB) -> 64-bit code loads tramp_cr3_64
 * (any address: the entry page tables, which also map this page identity
 * and the kernel image), then this AP's own GDT and TSS (filled by the BSP),
 * the shared IDT and its GS base, so that from the first instruction in the
 * image on, an exception is reported rather than a triple fault that would
 * reset the whole VM -> hrt_ap_entry64 in the image, which moves on to the
 * kernel's own tables.
 *
 * This page is the only code an AP runs without an IDT, so the BSP checks
 * the copy in the image against a second one assembled from the same
 * source (hrt_tramp_ref_*) before it starts anything with it.
 *
 * Its data layout is not shared with hvm.ko's boot trampoline
 * (ros-driver/trampoline.S) on purpose; docs/hrt-kernel.md, "AP start-up",
 * gives the reason: the two pages serve different contracts (hvm.ko's
 * enters any HRT image with the entry contract, a boot IDT and a crash
 * report; this one starts APs of the running kernel with per-AP GDT, TSS
 * and GS), they share only the two CR3s and the entry, and one layout in
 * include/ would make the HRT's own AP start-up part of the versioned ABI.
 */

/* GDT: 64-bit code first, like the kernel's GDT (the IDT's gates use 0x08). */
#define TR_CODE64	0x08
#define TR_DATA		0x10
#define TR_CODE32	0x18
#define HRT_TSS_SEL	0x18	/* in the kernel's GDT (gdt.h) */

	.section .rodata, "a"
	.irp p, hrt_tramp, hrt_tramp_ref
	.p2align 12
	.globl \p\()_start
\p\()_start:
	.code16
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx			/* %ebx = linear base of this page, kept to 64-bit */
	lgdtl \p\()_gdtr - \p\()_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl *(\p\()_far32 - \p\()_start)

	.code32
	.globl \p\()_32
\p\()_32:
	movl $TR_DATA, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl (\p\()_cr3 - \p\()_start)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	movl (\p\()_efer - \p\()_start)(%ebx), %eax
	xorl %edx, %edx
	wrmsr				/* LME, and NXE when the BSP uses it */
	movl %cr0, %eax
	orl $0x80000001, %eax
	movl %eax, %cr0
	ljmpl *(\p\()_far64 - \p\()_start)(%ebx)

	.code64
	.globl \p\()_64
\p\()_64:
	movl %ebx, %ebx
	movq (\p\()_cr3_64 - \p\()_start)(%rbx), %rax
	movq %rax, %cr3			/* maps this page too: we keep running */
	/* The kernel's GDT for this AP (0x08, 0x10 as ours), its TSS, the IDT. */
	lgdt (\p\()_gdtr64 - \p\()_start)(%rbx)
	movw $HRT_TSS_SEL, %ax
	ltr %ax
	lidt (\p\()_idtr64 - \p\()_start)(%rbx)
	movl $0xc0000101, %ecx		/* GS base: this AP's struct hrt_cpu */
	movl (\p\()_gs - \p\()_start)(%rbx), %eax
	movl (\p\()_gs - \p\()_start + 4)(%rbx), %edx
	wrmsr
	movq (\p\()_entry - \p\()_start)(%rbx), %rax
	jmp *%rax

	.p2align 3
	.globl \p\()_gdt
\p\()_gdt:
	.quad 0
	.quad 0x00af9b000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf93000000ffff	/* 0x10: data */
	.quad 0x00cf9b000000ffff	/* 0x18: 32-bit code */
	.globl \p\()_gdtr
\p\()_gdtr:
	.word 4 * 8 - 1
	.long 0				/* patched: linear address of hrt_tramp_gdt */
	.p2align 3
	.globl \p\()_far32
\p\()_far32:
	.long 0				/* patched: linear address of hrt_tramp_32 */
	.word TR_CODE32
	.p2align 3
	.globl \p\()_far64
\p\()_far64:
	.long 0				/* patched: linear address of hrt_tramp_64 */
	.word TR_CODE64
	.p2align 3
	.globl \p\()_cr3
\p\()_cr3:
	.long 0				/* patched: 32-bit CR3, below 4 GiB */
	.globl \p\()_efer
\p\()_efer:
	.long 0				/* patched */
	.p2align 3
	.globl \p\()_cr3_64
\p\()_cr3_64:
	.quad 0				/* patched: long-mode CR3 */
	.globl \p\()_entry
\p\()_entry:
	.quad 0				/* patched: hrt_ap_entry64 */
	.globl \p\()_gs
\p\()_gs:
	.quad 0				/* patched per AP: its struct hrt_cpu */
	.p2align 3
	.globl \p\()_gdtr64
\p\()_gdtr64:
	.word 0				/* patched per AP: its GDT's limit, base */
	.quad 0
	.p2align 3
	.globl \p\()_idtr64
\p\()_idtr64:
	.word 0				/* patched: the IDT's limit, base */
	.quad 0
	.globl \p\()_end
\p\()_end:
	.endr

	.section .note.GNU-stack, "", @progbits

/* SPDX-License-Identifier: GPL-2.0 */
/* trampoline.S - real -> protected -> long mode boot trampoline with a boot IDT, copied to the reserved low page. */

/*
 * Kept in .rodata: it is never executed where the module is loaded, only
 * copied to the page the SIPI vector names, so it must be position
 * independent.  It derives its physical base from %cs and patches the three
 * absolute pointers it needs before it uses them.  tramp.c fills the data
 * block at ros_trampoline_data (struct ros_tramp_data) after copying:
 *   low_cr3  - page tables below 4 GiB that identity-map this page; a
 *              32-bit mov to %cr3 cannot reach the region's tables;
 *   cr3      - the full temporary tables in the region, loaded in 64-bit mode;
 *   entry, bootinfo, magic - the HRT entry contract (hvm_abi.h);
 *   stack    - the image's first stack (in this page);
 *   state_va - hdr->hrt_state through the region's direct map;
 * and the boot IDT (ros_tramp_idt), the TSS and its GDT descriptor.
 *
 * The image enters with that IDT loaded: vectors 0-31 on their own stack
 * (IST 1 of the TSS here).  An exception before the image has an IDT of
 * its own lands in ros_tramp_crash, which records it in
 * ros_trampoline_report, sets hrt_state = CRASHED and halts; hvm.ko turns
 * the record into "crashed during boot: vector V, RIP R".
 *
 * The data layout is not shared with the HRT's AP trampoline
 * (hrt-kernel/trampoline.S) on purpose; docs/hrt-kernel.md, "AP start-up",
 * gives the reason: this page enters any HRT image under the entry contract
 * of hvm_abi.h, the HRT's starts APs of its running kernel with per-AP GDT,
 * TSS and GS; they share only the two CR3s and the entry, and one layout in
 * include/ would make the HRT's own AP start-up part of the versioned ABI.
 */

#define X86_CR0_PE	0x00000001
#define X86_CR4_PAE	0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
/* PG | WP | NE | ET | MP | PE: caches on, as after a normal boot */
#define CR0_LONG	0x80010033
#define HRT_CRASHED	4		/* HVM_HRT_CRASHED */
#define REPORT_MAGIC	0x4843525442564821	/* checked by tramp.c */

/* GDT selectors: 64-bit code first, like the HRT's own GDT. */
#define SEL_CODE64	0x08
#define SEL_DATA	0x10
#define SEL_CODE32	0x18
#define SEL_TSS		0x20

#define OFF(x)		((x) - ros_trampoline_start)

	.section .rodata, "a"
	.balign	16
	.globl	ros_trampoline_start
ros_trampoline_start:
	.code16
	cli
	cld
	movw	%cs, %ax
	movw	%ax, %ds
	xorl	%ebx, %ebx
	movw	%ax, %bx
	shll	$4, %ebx			/* %ebx = physical base */

	leal	OFF(tr_gdt)(%ebx), %eax
	movl	%eax, OFF(tr_gdt_desc) + 2
	leal	OFF(tr_pm32)(%ebx), %eax
	movl	%eax, OFF(tr_pm32_ptr)
	leal	OFF(tr_lm64)(%ebx), %eax
	movl	%eax, OFF(tr_lm64_ptr)

	lgdtl	OFF(tr_gdt_desc)
	movl	%cr0, %eax
	orl	$X86_CR0_PE, %eax
	movl	%eax, %cr0
	ljmpl	*OFF(tr_pm32_ptr)

	.code32
tr_pm32:
	movl	$SEL_DATA, %eax
	movl	%eax, %ds
	movl	%eax, %es
	movl	%eax, %ss
	movl	%eax, %fs
	movl	%eax, %gs

	movl	%cr4, %eax
	orl	$X86_CR4_PAE, %eax
	movl	%eax, %cr4
	movl	OFF(tr_low_cr3)(%ebx), %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	rdmsr
	orl	$EFER_LME, %eax
	wrmsr
	movl	$CR0_LONG, %eax
	movl	%eax, %cr0
	ljmpl	*OFF(tr_lm64_ptr)(%ebx)

	.code64
tr_lm64:
	movl	%ebx, %ebx			/* upper half undefined after the switch */
	movq	OFF(tr_cr3)(%rbx), %rax
	movq	%rax, %cr3
	/* A stack, a TSS and the boot IDT until the image has its own. */
	movw	$SEL_TSS, %ax
	ltr	%ax
	lidt	OFF(ros_tramp_idt_desc)(%rbx)
	movq	OFF(tr_stack)(%rbx), %rsp
	pushq	OFF(tr_entry)(%rbx)
	movq	OFF(tr_bootinfo)(%rbx), %rdi
	movq	OFF(tr_magic)(%rbx), %rsi
	/*
	 * Nothing else for the image: an entry point in the middle of its
	 * code must not find a count in %rcx (the EFER number) or this page
	 * in %rbx to scribble with.
	 */
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	ret					/* to the entry, %rsp = stack */

/* Boot IDT stubs, 16 bytes apart: a dummy error code where the CPU pushes none. */
	.balign	16
	.globl	ros_tramp_stubs
ros_tramp_stubs:
	vec = 0
	.rept	32
	.balign	16
	.if (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	.else
	pushq	$0
	.endif
	pushq	$vec
	jmp	ros_tramp_crash
	vec = vec + 1
	.endr

/*
 * On the IST stack: vector, error, rip, cs, rflags, rsp, ss.  Runs where
 * this page is identity-mapped, so %rip-relative addresses are its own.
 * Only the first exception is recorded: one taken here just halts.
 */
ros_tramp_crash:
	lock btsl $0, tr_rep_busy(%rip)
	jc	2f
	popq	%rax
	movq	%rax, tr_rep_vector(%rip)
	popq	%rax
	movq	%rax, tr_rep_error(%rip)
	popq	%rax
	movq	%rax, tr_rep_rip(%rip)
	addq	$16, %rsp
	popq	%rax
	movq	%rax, tr_rep_rsp(%rip)
	movq	%cr2, %rax
	movq	%rax, tr_rep_cr2(%rip)
	movabsq	$REPORT_MAGIC, %rax
	movq	%rax, tr_rep_magic(%rip)	/* complete before the state */
	movq	tr_state_va(%rip), %rax
	testq	%rax, %rax
	jz	2f
	movl	$HRT_CRASHED, (%rax)
2:	cli
	hlt
	jmp	2b

	.balign	8
tr_gdt:
	.quad	0
	.quad	0x00af9b000000ffff		/* 0x08: 64-bit code */
	.quad	0x00cf93000000ffff		/* 0x10: data */
	.quad	0x00cf9b000000ffff		/* 0x18: 32-bit code */
	.globl	ros_tramp_tss_desc
ros_tramp_tss_desc:
	.quad	0				/* 0x20: TSS (tramp.c) */
	.quad	0
tr_gdt_end:
	.balign	8
tr_gdt_desc:
	.word	tr_gdt_end - tr_gdt - 1
	.long	0
	.balign	8
tr_pm32_ptr:
	.long	0
	.word	SEL_CODE32
	.balign	8
tr_lm64_ptr:
	.long	0
	.word	SEL_CODE64

	.balign	8
	.globl	ros_tramp_idt_desc
ros_tramp_idt_desc:
	.word	0				/* limit, base: tramp.c */
	.quad	0

	.balign	16
	.globl	ros_tramp_tss
ros_tramp_tss:
	.fill	104, 1, 0			/* IST 1, I/O map base: tramp.c */

	.balign	16
	.globl	ros_tramp_idt
ros_tramp_idt:
	.fill	32 * 16, 1, 0			/* 32 gates: tramp.c */

	.balign	8
	.globl	ros_trampoline_report
ros_trampoline_report:
tr_rep_magic:	.quad	0
tr_rep_vector:	.quad	0
tr_rep_error:	.quad	0
tr_rep_rip:	.quad	0
tr_rep_rsp:	.quad	0
tr_rep_cr2:	.quad	0
tr_rep_busy:	.quad	0

	.balign	8
	.globl	ros_trampoline_data
ros_trampoline_data:
tr_low_cr3:	.quad	0
tr_cr3:		.quad	0
tr_entry:	.quad	0
tr_bootinfo:	.quad	0
tr_magic:	.quad	0
tr_stack:	.quad	0
tr_state_va:	.quad	0
	.globl	ros_trampoline_end
ros_trampoline_end:

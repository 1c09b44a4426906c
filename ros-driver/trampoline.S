/* SPDX-License-Identifier: GPL-2.0 */
/* trampoline.S - real -> protected -> long mode AP trampoline, copied to the reserved low page. */

/*
 * Kept in .rodata: it is never executed where the module is loaded, only
 * copied to the page the SIPI vector names, so it must be position
 * independent.  It derives its physical base from %cs and patches the three
 * absolute pointers it needs before it uses them.  boot.c fills the data
 * block at ros_trampoline_data (struct ros_tramp_data) after copying:
 *   low_cr3  - page tables below 4 GiB that identity-map this page; a
 *              32-bit mov to %cr3 cannot reach the region's tables;
 *   cr3      - the full temporary tables in the region, loaded in 64-bit mode;
 *   entry, bootinfo, magic - the HRT entry contract (hvm_abi.h).
 */

#define X86_CR0_PE	0x00000001
#define X86_CR4_PAE	0x00000020
#define MSR_EFER	0xc0000080
#define EFER_LME	0x00000100
/* PG | WP | NE | ET | MP | PE: caches on, as after a normal boot */
#define CR0_LONG	0x80010033

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
	movl	$0x10, %eax
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
	movq	OFF(tr_bootinfo)(%rbx), %rdi
	movq	OFF(tr_magic)(%rbx), %rsi
	movq	OFF(tr_entry)(%rbx), %rax
	jmpq	*%rax

	.balign	8
tr_gdt:
	.quad	0
	.quad	0x00cf9a000000ffff		/* 0x08: 32-bit code */
	.quad	0x00cf92000000ffff		/* 0x10: data */
	.quad	0x00af9a000000ffff		/* 0x18: 64-bit code */
tr_gdt_end:
	.balign	8
tr_gdt_desc:
	.word	tr_gdt_end - tr_gdt - 1
	.long	0
	.balign	8
tr_pm32_ptr:
	.long	0
	.word	0x08
	.balign	8
tr_lm64_ptr:
	.long	0
	.word	0x18

	.balign	8
	.globl	ros_trampoline_data
ros_trampoline_data:
tr_low_cr3:	.quad	0
tr_cr3:		.quad	0
tr_entry:	.quad	0
tr_bootinfo:	.quad	0
tr_magic:	.quad	0
	.globl	ros_trampoline_end
ros_trampoline_end:

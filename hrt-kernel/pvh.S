/* SPDX-License-Identifier: MIT */
/* pvh.S - PVH ELF note and 32-bit entry for standalone boots (qemu -kernel hrt.elf). */

#include "hvm_layout.h"

#define V2P(x) ((x) - HVM_IMAGE_VBASE)
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.Xen, "a", @note
	.p2align 2
	.long 4
	.long 8
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.p2align 2
	.quad V2P(hrt_pvh_start)

/*
 * PVH: 32-bit protected mode, paging off, %ebx = hvm_start_info, no stack.
 * The image sits at its p_paddr (1 MiB).  Build boot page tables that give
 * the same view as the HVM contract: the image at its link address, the
 * first 4 GiB at HVM_DIRECT_MAP_BASE and identity mapped (the identity part
 * also serves the AP trampoline later), with 2 MiB pages.
 */
	.section .text.boot, "ax"
	.code32
	.globl hrt_pvh_start
hrt_pvh_start:
	cli
	cld
	movl %ebx, V2P(hrt_pvh_info_phys)

	/* 4 page directories: 2048 x 2 MiB = 4 GiB. */
	movl $V2P(hrt_boot_pd), %edi
	xorl %ecx, %ecx
1:	movl %ecx, %eax
	shll $21, %eax
	orl $0x83, %eax			/* present, writable, 2 MiB */
	movl %eax, (%edi,%ecx,8)
	movl %ecx, %eax
	shrl $11, %eax			/* bits 32+ of i * 2 MiB */
	movl %eax, 4(%edi,%ecx,8)
	incl %ecx
	cmpl $2048, %ecx
	jb 1b

	/* pdpt_low[0..3] -> the page directories */
	movl $V2P(hrt_boot_pdpt_low), %edi
	movl $V2P(hrt_boot_pd) + 3, %eax
	xorl %ecx, %ecx
2:	movl %eax, (%edi,%ecx,8)
	addl $4096, %eax
	incl %ecx
	cmpl $4, %ecx
	jb 2b

	/* Kernel: HVM_IMAGE_VBASE + 0..8 MiB -> 0..8 MiB (VA - PA is 2 MiB aligned). */
	movl $V2P(hrt_boot_pd_kernel), %edi
	movl $0x83, 0(%edi)
	movl $0x200083, 8(%edi)
	movl $0x400083, 16(%edi)
	movl $0x600083, 24(%edi)
	movl $V2P(hrt_boot_pd_kernel) + 3, %eax
	movl %eax, V2P(hrt_boot_pdpt_kernel) + HVM_IMAGE_PDPT * 8

	/* PML4: [0] identity, [HVM_DIRECT_MAP_PML4] direct map, [HVM_IMAGE_PML4] kernel. */
	movl $V2P(hrt_boot_pml4), %edi
	movl $V2P(hrt_boot_pdpt_low) + 3, %eax
	movl %eax, 0(%edi)
	movl %eax, HVM_DIRECT_MAP_PML4 * 8(%edi)
	movl $V2P(hrt_boot_pdpt_kernel) + 3, %eax
	movl %eax, HVM_IMAGE_PML4 * 8(%edi)

	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl %edi, %cr3
	movl $0xc0000080, %ecx		/* EFER.LME */
	rdmsr
	orl $0x100, %eax
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG | PE: long mode, compatibility */
	movl %eax, %cr0
	lgdt V2P(hrt_pvh_gdtr)
	ljmp $0x08, $V2P(3f)
	.code64
3:	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movabsq $hrt_pvh_start64, %rax
	jmp *%rax

	.section .rodata
	.p2align 3
hrt_pvh_gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 64-bit code */
	.quad 0x00cf92000000ffff	/* data */
hrt_pvh_gdtr:
	.word 3 * 8 - 1
	.long V2P(hrt_pvh_gdt)

	.data
	.globl hrt_pvh_info_phys
hrt_pvh_info_phys:
	.long 0

	.bss
	.p2align 12
	.globl hrt_boot_pml4
hrt_boot_pml4:
	.skip 4096
hrt_boot_pdpt_low:
	.skip 4096
hrt_boot_pdpt_kernel:
	.skip 4096
hrt_boot_pd_kernel:
	.skip 4096
hrt_boot_pd:
	.skip 4 * 4096
	.p2align 4
	.globl hrt_boot_stack_top
	.globl hrt_boot_stack
hrt_boot_stack:
	.skip 16384
hrt_boot_stack_top:

	.section .note.GNU-stack, "", @progbits

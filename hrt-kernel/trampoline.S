/* trampoline.S - real-mode AP start-up code, copied to a low page and patched by smp.c. */

/*
 * The BSP copies hrt_tramp_start..hrt_tramp_end to the trampoline page and
 * fills in the fields marked "patched".  SIPI starts us at CS:IP = page:0.
 * Real -> protected (flat 32-bit) -> long mode on tramp_cr3 (a 32-bit CR3,
 * which the CPU only accepts below 4 GiB; in HVM mode bootinfo.trampoline_cr3,
 * which identity-maps only the low 2 MiB) -> 64-bit code loads tramp_cr3_64
 * (any address: the entry page tables, which also map this page identity
 * and the kernel image) -> hrt_ap_entry64 in the image, which moves on to the
 * kernel's own tables.
 */
	.section .rodata, "a"
	.p2align 12
	.code16
	.globl hrt_tramp_start
hrt_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	xorl %ebx, %ebx
	movw %ax, %bx
	shll $4, %ebx			/* %ebx = linear base of this page, kept to 64-bit */
	lgdtl hrt_tramp_gdtr - hrt_tramp_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl *(hrt_tramp_far32 - hrt_tramp_start)

	.code32
	.globl hrt_tramp_32
hrt_tramp_32:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl (hrt_tramp_cr3 - hrt_tramp_start)(%ebx), %eax
	movl %eax, %cr3
	movl $0xc0000080, %ecx
	movl (hrt_tramp_efer - hrt_tramp_start)(%ebx), %eax
	xorl %edx, %edx
	wrmsr				/* LME, and NXE when the BSP uses it */
	movl %cr0, %eax
	orl $0x80000001, %eax
	movl %eax, %cr0
	ljmpl *(hrt_tramp_far64 - hrt_tramp_start)(%ebx)

	.code64
	.globl hrt_tramp_64
hrt_tramp_64:
	movl %ebx, %ebx
	movq (hrt_tramp_cr3_64 - hrt_tramp_start)(%rbx), %rax
	movq %rax, %cr3			/* maps this page too: we keep running */
	movq (hrt_tramp_entry - hrt_tramp_start)(%rbx), %rax
	jmp *%rax

	.p2align 3
	.globl hrt_tramp_gdt
hrt_tramp_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: 32-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
	.quad 0x00af9a000000ffff	/* 0x18: 64-bit code */
	.globl hrt_tramp_gdtr
hrt_tramp_gdtr:
	.word 4 * 8 - 1
	.long 0				/* patched: linear address of hrt_tramp_gdt */
	.p2align 3
	.globl hrt_tramp_far32
hrt_tramp_far32:
	.long 0				/* patched: linear address of hrt_tramp_32 */
	.word 0x08
	.p2align 3
	.globl hrt_tramp_far64
hrt_tramp_far64:
	.long 0				/* patched: linear address of hrt_tramp_64 */
	.word 0x18
	.p2align 3
	.globl hrt_tramp_cr3
hrt_tramp_cr3:
	.long 0				/* patched: 32-bit CR3, below 4 GiB */
	.globl hrt_tramp_efer
hrt_tramp_efer:
	.long 0				/* patched */
	.p2align 3
	.globl hrt_tramp_cr3_64
hrt_tramp_cr3_64:
	.quad 0				/* patched: long-mode CR3 */
	.globl hrt_tramp_entry
hrt_tramp_entry:
	.quad 0				/* patched: hrt_ap_entry64 */
	.globl hrt_tramp_end
hrt_tramp_end:

	.section .note.GNU-stack, "", @progbits

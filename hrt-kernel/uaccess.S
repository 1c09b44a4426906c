/* SPDX-License-Identifier: MIT */
/* uaccess.S - kernel reads and writes of process memory that survive a page fault. */
#include "cpu_off.h"

	.text

/*
 * int hrt_get_user_u32(const u32 *uaddr, u32 *out): 0, or -EFAULT when
 * the access faulted (the #PF handler resumes at %gs:UFIXUP).  The caller
 * checks that uaddr is in the user half.
 */
	.globl hrt_get_user_u32
hrt_get_user_u32:
	leaq 1f(%rip), %rax
	movq %rax, %gs:HRT_CPU_UFIXUP
	movl (%rdi), %eax
	movq $0, %gs:HRT_CPU_UFIXUP
	movl %eax, (%rsi)
	xorl %eax, %eax
	ret
1:	movl $-14, %eax
	ret

/*
 * int hrt_copy_user(void *dst, const void *src, u64 len): memcpy where
 * one side is process memory; 0, or -EFAULT when it faulted (part of dst
 * may be written).  The caller checks the process side's range.
 */
	.globl hrt_copy_user
hrt_copy_user:
	leaq 1f(%rip), %rax
	movq %rax, %gs:HRT_CPU_UFIXUP
	movq %rdx, %rcx
	rep movsb
	movq $0, %gs:HRT_CPU_UFIXUP
	xorl %eax, %eax
	ret
1:	movl $-14, %eax
	ret

	.section .note.GNU-stack, "", @progbits

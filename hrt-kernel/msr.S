/* SPDX-License-Identifier: MIT */
/* msr.S - rdmsr, wrmsr and rdpmc that answer -EIO where the CPU lacks the register. */
#include "cpu_off.h"

	.text

/*
 * int hrt_priv_safe(u32 op, u32 idx, u64 *v): op 0 rdmsr of MSR (idx)
 * into (*v), 1 wrmsr of (*v), 2 rdpmc of counter (idx) into (*v); 0, or
 * -EIO when the instruction raised #GP (no such MSR or counter) or #UD
 * (no rdpmc at all, as under TCG).  hrt_exception() resumes at
 * %gs:UFIXUP only for a fault between hrt_priv_insns and
 * hrt_priv_insns_end, so no other kernel #GP is swallowed.  priv.c
 * checks (idx) against its allow-lists first.
 */
	.globl hrt_priv_safe
hrt_priv_safe:
	movq %rdx, %r8
	movl %esi, %ecx
	leaq 9f(%rip), %rax
	movq %rax, %gs:HRT_CPU_UFIXUP
	cmpl $1, %edi
	je 1f
	jb 2f
	.globl hrt_priv_insns
hrt_priv_insns:
	rdpmc
	jmp 3f
1:	movl (%r8), %eax
	movl 4(%r8), %edx
	wrmsr
	jmp 4f
2:	rdmsr
	.globl hrt_priv_insns_end
hrt_priv_insns_end:
3:	movl %eax, (%r8)
	movl %edx, 4(%r8)
4:	movq $0, %gs:HRT_CPU_UFIXUP
	xorl %eax, %eax
	ret
9:	movl $-5, %eax
	ret

/* SPDX-License-Identifier: MIT */
/* apistub.S - the aerokernel call table at HVM_API_TABLE and the entry stubs that switch process code onto its kernel stack. */
#include "cpu_off.h"
#include "hvm_api.h"

/*
 * The table (struct hvm_api_table) is the first thing in the image's text:
 * hrt.ld places .text.hrt_api first and asserts the address.  Read-only
 * (text), mapped in every context with the kernel half.
 */
	.section .text.hrt_api, "a"
	.globl hrt_api_table
hrt_api_table:
	.quad HVM_API_MAGIC
	.long HVM_API_VERSION
	.long HVM_API_COUNT
	i = 0
	.rept HVM_API_COUNT
	.quad hrt_api_thunks + 16 * i
	i = i + 1
	.endr

	.text
/*
 * One 16-byte thunk per entry.  Process code called it on its own stack
 * with interrupts on or off: pushfq keeps its flags there, cli makes the
 * stack switch uninterruptible.  entry.S counts [hrt_api_thunks,
 * hrt_api_thunks_end) as process code, so an interrupt before the cli, or
 * at the final ret, lands on the thread's kernel stack, never on the
 * process stack below us.
 */
	.p2align 4
	.globl hrt_api_thunks
hrt_api_thunks:
	i = 0
	.rept HVM_API_COUNT
	.p2align 4
	pushfq
	cli
	movl $i, %eax
	jmp hrt_api_common
	i = i + 1
	.endr
	.p2align 4
/* Back on the process stack with the caller's flags word on top. */
hrt_api_return:
	popfq
	ret
	.globl hrt_api_thunks_end
hrt_api_thunks_end:

/*
 * Interrupts off, %rax = index, the caller's flags at (%rsp) and its
 * return address above.  Arguments stay in rdi..r9 for the C function;
 * r10 and r11 are free (caller-saved, not arguments).  The frame at the
 * top of the kernel stack is struct hrt_api_frame (api.h): the C side
 * may change the flags to restore (hrt_irq_save/restore).
 */
hrt_api_common:
	popq %r10			/* caller's RFLAGS */
	movq %rsp, %r11			/* caller's rsp: its return address */
	movq %gs:HRT_CPU_UCALL_RSP, %rsp
	andq $-16, %rsp
	pushq %r11
	pushq %r10
	btl $9, %r10d			/* the caller had interrupts on */
	jnc 1f
	sti
1:	cld
	leaq hrt_api_fns(%rip), %r10
	call *(%r10,%rax,8)
	cli
	popq %r10
	popq %r11
	movq %r11, %rsp
	pushq %r10
	jmp hrt_api_return

	.section .note.GNU-stack, "", @progbits

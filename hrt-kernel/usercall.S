/* usercall.S - entering offloaded user code in ring 0, leaving it (return, abort, fault), and the syscall entry. */
#include "gdt.h"
#include "idt.h"

#define UCALL_RSP 16	/* struct hrt_cpu.ucall_rsp (smp.h) */
#define SC_USER_RSP 24	/* struct hrt_cpu.sc_user_rsp */

	.text

/*
 * struct hrt_ucall_ret hrt_user_call(fn, arg, core_index, stack_top):
 * runs fn(arg, core_index) on the user stack and returns {rax = result,
 * rdx = status 0}.  The kernel rsp goes to %gs:UCALL_RSP, not to a register
 * the function could clobber, so every way out (return, abort, fault) can
 * find this frame again.
 */
	.globl hrt_user_call
hrt_user_call:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %gs:UCALL_RSP
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	movq %rcx, %rsp		/* 16-byte aligned: the call makes it ABI-correct */
	xorl %ebp, %ebp
	sti			/* offloaded code runs with interrupts on */
	call *%rax
	cli
	movq %gs:UCALL_RSP, %rsp
	xorl %edx, %edx
	jmp 1f

/*
 * hrt_user_abort_to(status): leaves the running invocation from anywhere
 * on this CPU (exception handler, syscall path, rewritten interrupt
 * frame with %rdi/%rax = status) as if hrt_user_call returned {0, status}.
 */
	.globl hrt_user_abort_to
hrt_user_abort_to:
	movq %rdi, %rax
	.globl hrt_user_abort_landing
hrt_user_abort_landing:
	cli
	movq %gs:UCALL_RSP, %rsp
	movq %rax, %rdx
	xorl %eax, %eax
1:	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/*
 * SYSCALL from offloaded code (CPL 0 -> CPL 0: CS/SS from STAR, RIP in
 * rcx, RFLAGS in r11, IF/DF/TF/AC masked, rsp untouched).  Switch to the
 * service thread's stack below hrt_user_call's frame without writing to
 * the user stack, build an interrupt-style frame (struct hrt_regs), and
 * return with iretq to rcx/r11/user rsp: sysret would drop to CPL 3.
 */
	.globl hrt_syscall_entry
hrt_syscall_entry:
	movq %rsp, %gs:SC_USER_RSP
	movq %gs:UCALL_RSP, %rsp
	pushq $HRT_KDATA
	pushq %gs:SC_USER_RSP
	pushq %r11
	pushq $HRT_KCODE
	pushq %rcx
	pushq $0
	pushq $0x100		/* "vector": a system call */
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call hrt_chan_syscall
	cli
	RESTORE_REGS
	addq $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits

/* SPDX-License-Identifier: MIT */
/* usercall.S - entering process code in ring 0, leaving it (return, abort, fault), and the syscall entry. */
#include "cpu_off.h"
#include "gdt.h"
#include "regs.inc"

	.text

/*
 * struct hrt_ucall_ret hrt_user_call(fn, arg, core_index, stack_top):
 * runs fn(arg, core_index) on the process stack and returns {rax =
 * result, rdx = status 0}.  Called with interrupts off.  The kernel rsp
 * goes to %gs:UCALL_RSP, not to a register the function could clobber, so
 * every way out (return, abort, fault) finds this frame again, and every
 * entry from process code (syscall, interrupt, exception) lands below it.
 */
	.globl hrt_user_call
hrt_user_call:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %gs:HRT_CPU_UCALL_RSP
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsi
	xorl %ebp, %ebp
/*
 * From here to hrt_ustub_end %rsp is the process stack: entry.S treats
 * interrupts and exceptions here as process code's (frame on the kernel
 * stack; a fault on the push of the return address is forwarded).
 */
	.globl hrt_ustub_start
hrt_ustub_start:
	movq %rcx, %rsp		/* 16-byte aligned: the call makes it ABI-correct */
	sti			/* process code runs with interrupts on */
	call *%rax
	cli
	movq %gs:HRT_CPU_UCALL_RSP, %rsp
	.globl hrt_ustub_end
hrt_ustub_end:
	xorl %edx, %edx
	jmp 1f

/*
 * hrt_user_abort_to(status): leaves the running process code from
 * anywhere in its thread (trap or syscall path, rewritten interrupt frame
 * with %rdi/%rax = status) as if hrt_user_call returned {0, status}.
 */
	.globl hrt_user_abort_to
hrt_user_abort_to:
	movq %rdi, %rax
	.globl hrt_user_abort_landing
hrt_user_abort_landing:
	cli
	movq %gs:HRT_CPU_UCALL_RSP, %rsp
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
 * A cloned thread has no hrt_user_call frame: syscall.c builds one whose
 * return address is this, so an abort ends the thread with the status.
 */
	.globl hrt_uthread_abort_landing
hrt_uthread_abort_landing:
	movq %rdx, %rdi
	andq $-16, %rsp
	call hrt_uthread_aborted
	ud2

/* void hrt_uthread_enter(struct hrt_regs *r): first entry of a cloned thread. */
	.globl hrt_uthread_enter
hrt_uthread_enter:
	cli
	movq %rdi, %rsp
	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * SYSCALL from process code (CPL 0 -> CPL 0: CS/SS from STAR, RIP in
 * rcx, RFLAGS in r11, IF/DF/TF/AC masked, rsp untouched).  Switch to the
 * thread's kernel stack without writing to the process stack, build an
 * interrupt-style frame (struct hrt_regs), and return with iretq to
 * rcx/r11/user rsp: sysret would drop to CPL 3.
 */
	.globl hrt_syscall_entry
hrt_syscall_entry:
	movq %rsp, %gs:HRT_CPU_SC_USER_RSP
	movq %gs:HRT_CPU_UCALL_RSP, %rsp
	andq $-16, %rsp
	pushq $HRT_KDATA
	pushq %gs:HRT_CPU_SC_USER_RSP
	pushq %r11
	pushq $HRT_KCODE
	pushq %rcx
	pushq $0
	pushq $0x100		/* "vector": a system call */
	SAVE_REGS
	cld
	movq %rsp, %rdi
	call hrt_uthread_syscall
	cli
	RESTORE_REGS
	addq $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits

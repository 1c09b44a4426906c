/* SPDX-License-Identifier: MIT */
/* entry.S - 64-bit entry points, the 256 interrupt stubs and the thread context switch. */
#include "regs.inc"
#include "cpu_off.h"

	.section .text.boot, "ax"
	.code64

/*
 * HVM entry (ELF e_entry): long mode, CPL 0, IF=0, the driver's page tables,
 * %rdi = boot-info record (direct-map address), %rsi = HVM_BOOTINFO_MAGIC,
 * no stack.  The boot stack is in .bss, which the driver's mapping covers.
 */
	.globl hrt_start
hrt_start:
	cli
	cld
	leaq hrt_boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	call hrt_hvm_main
1:	cli
	hlt
	jmp 1b

/* Standalone: pvh.S lands here in long mode on its boot page tables. */
	.globl hrt_pvh_start64
hrt_pvh_start64:
	leaq hrt_boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp
	movl hrt_pvh_info_phys(%rip), %edi
	call hrt_pvh_main
	jmp 1b

/*
 * Application processors: trampoline.S jumps here in long mode on the boot
 * page tables (which map the image).  Switch to the kernel's own tables,
 * then take the stack and per-CPU record the BSP left for this AP.
 */
	.globl hrt_ap_entry64
hrt_ap_entry64:
	movq hrt_kernel_cr3(%rip), %rax
	testq %rax, %rax		/* not set: entered by mistake, stop */
	jz 1b
	movq %rax, %cr3
	movq hrt_ap_boot_stack(%rip), %rsp
	movq hrt_ap_boot_cpu(%rip), %rdi
	xorl %ebp, %ebp
	call hrt_ap_main
	jmp 1b

	.text

/* Stubs, 16 bytes apart: push a dummy error code where the CPU pushes none. */
	.p2align 4
	.globl hrt_isr_stubs
hrt_isr_stubs:
	vec = 0
	.rept 256
	.p2align 4
	.if (vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	.if vec < 32
	jmp hrt_exc_common
	.else
	jmp hrt_irq_entry
	.endif
	vec = vec + 1
	.endr

/*
 * Jumps to (target) when the interrupted %rip is process code: the user
 * half, usercall.S's stub while it runs on the process's stack, or an
 * aerokernel call's thunk before or after its stack switch (apistub.S).  Such
 * frames go to the thread's kernel stack at %gs:UCALL_RSP instead: entry
 * code never writes process memory, and a preempted thread's state stays in
 * HRT memory (valid whatever address space is loaded when it resumes).
 */
.macro JMP_IF_PROCESS rip, tmp, target
	movq \rip, \tmp
	shrq $47, \tmp
	jz \target
	leaq hrt_ustub_start(%rip), \tmp
	cmpq \tmp, \rip
	jb .Lnotproc\@
	leaq hrt_ustub_end(%rip), \tmp
	cmpq \tmp, \rip
	jb \target
.Lnotproc\@:
	leaq hrt_api_thunks(%rip), \tmp
	cmpq \tmp, \rip
	jb .Lnotapi\@
	leaq hrt_api_thunks_end(%rip), \tmp
	cmpq \tmp, \rip
	jb \target
.Lnotapi\@:
.endm

/*
 * With %rax = destination and rcx, rax, vector, error, rip, cs, rflags,
 * rsp, ss at %rsp: moves those nine words there and pops rcx and rax.
 */
.macro MOVE_FRAME
	.irp off, 0, 8, 16, 24, 32, 40, 48, 56, 64
	movq \off(%rsp), %rcx
	movq %rcx, \off(%rax)
	.endr
	movq %rax, %rsp
	popq %rcx
	popq %rax
.endm

/*
 * Exceptions stay on their IST stack (a fault may mean the thread stack is
 * bad), except process code's: those move to the thread's kernel stack,
 * where a forwarded page fault may sleep.  NMI, #DF and #MC never move.
 */
hrt_exc_common:
	cld
	cmpq $2, (%rsp)
	je 1f
	cmpq $8, (%rsp)
	je 1f
	cmpq $18, (%rsp)
	je 1f
	pushq %rax
	pushq %rcx
	movq 32(%rsp), %rcx
	JMP_IF_PROCESS %rcx, %rax, hrt_exc_process
	popq %rcx
	popq %rax
1:	SAVE_REGS
	movq %rsp, %rdi
	call hrt_exception
	RESTORE_REGS
	addq $16, %rsp
	iretq

hrt_exc_process:
	movq %gs:HRT_CPU_UCALL_RSP, %rax
	andq $~15, %rax
	subq $72, %rax
	MOVE_FRAME
	SAVE_REGS
	movq %rsp, %rdi
	call hrt_uthread_trap
	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * Interrupts arrive on the per-CPU IST_IRQ stack.  Copy the frame to the
 * interrupted stack below its 128-byte red zone and continue there, so the
 * handler may switch threads (the IST stack is reused by the next interrupt).
 * Layout after the two pushes: rcx, rax, vector, error, rip, cs, rflags, rsp, ss.
 */
hrt_irq_entry:
	pushq %rax
	pushq %rcx
	movq 32(%rsp), %rcx
	JMP_IF_PROCESS %rcx, %rax, 2f
	movq 56(%rsp), %rax
	subq $128, %rax
	jmp 3f
2:	movq %gs:HRT_CPU_UCALL_RSP, %rax
3:	andq $~15, %rax
	subq $72, %rax
	MOVE_FRAME
	cld
	SAVE_REGS
	movq %rsp, %rdi
	call hrt_irq
	RESTORE_REGS
	addq $16, %rsp
	iretq

/*
 * void hrt_ctx_switch(u64 *save_rsp, u64 new_rsp): callee-saved registers
 * on the old stack, then resume the other thread where it called us.
 */
	.globl hrt_ctx_switch
hrt_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

/* First return of a new thread: %r12 = its struct hrt_thread. */
	.globl hrt_thread_trampoline
hrt_thread_trampoline:
	movq %r12, %rdi
	xorl %ebp, %ebp
	call hrt_thread_start
	ud2

	.section .note.GNU-stack, "", @progbits

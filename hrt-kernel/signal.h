/* SPDX-License-Identifier: MIT */
/* signal.h - running process code's signal handlers on HRT threads. */
#ifndef HRT_SIGNAL_H
#define HRT_SIGNAL_H

#include "idt.h"
#include "types.h"

struct hrt_uthread;

/*
 * Signals reach HRT code through its channel: the ROS thread Linux gave
 * the signal to (the HRT thread's partner) caught it with libhvm's
 * handler, blocked all signals, and posted a struct hvm_sigdesc; the HRT
 * builds the Linux x86-64 frame and enters the program's handler.
 */

/* Has the ROS posted a signal for (u) that it has not been given? */
bool hrt_signal_pending(struct hrt_uthread *u);
/*
 * On the way back to process code at (r) (interrupts off): builds the
 * frame on the thread's stack (or alternate stack) and points (r) at the
 * handler.  A frame that cannot be written ends the code with SIGSEGV.
 */
void hrt_signal_deliver(struct hrt_uthread *u, struct hrt_regs *r);
/*
 * Process code took an exception that Linux answers with signal (sig),
 * si_code (code) and si_addr (addr): true when the process has a handler
 * that may run now (it is then pending); false: the thread dies of it.
 * Interrupts off.
 */
bool hrt_signal_fault(struct hrt_uthread *u, int sig, s32 code, u64 addr);
/* si_code for exception r->vector other than a #PF, as Linux's traps choose it. */
s32 hrt_signal_code(const struct hrt_regs *r);
/*
 * rt_sigreturn from process code at (r) (interrupts on; returns with them
 * off): restores the registers, FP state and signal mask of the frame.
 */
void hrt_signal_return(struct hrt_uthread *u, struct hrt_regs *r);

#endif /* HRT_SIGNAL_H */

/* SPDX-License-Identifier: MIT */
/* syscall.h - the system calls of process code, served by the HRT or forwarded. */
#ifndef HRT_SYSCALL_H
#define HRT_SYSCALL_H

#include "idt.h"

/*
 * Entry point from usercall.S (SYSCALL), on the thread's kernel stack:
 * serves exit, clone, fork, vfork, futex, set_robust_list and
 * arch_prctl(ARCH_SET_FS) here and forwards the others to the partner
 * (hvm_fwd.h); the result goes to r->rax.
 */
void hrt_uthread_syscall(struct hrt_regs *r);

#endif /* HRT_SYSCALL_H */

/* SPDX-License-Identifier: MIT */
/* uthread.h - HRT threads that run ROS process code and serve one channel. */
#ifndef HRT_UTHREAD_H
#define HRT_UTHREAD_H

#include "hvm_abi.h"
#include "idt.h"
#include "types.h"

struct hrt_thread;

/*
 * Process code runs on an HRT thread that serves one channel: an
 * invocation worker (one per channel, reused across invocations, runs
 * fn) or a thread the code created with clone (runs until it exits; its
 * ROS partner thread was created with it, 1:1).  All entries from process
 * code land on the thread's kernel stack (%gs:UCALL_RSP), so a forwarded
 * call or fault sleeps in the scheduler and the core runs other threads.
 */
struct hrt_uthread {
	struct hrt_thread *t;
	u32 chan;      /* channel it serves */
	u32 ctx;       /* context slot of its process */
	bool worker;   /* invocation worker; else a cloned or native thread */
	bool native;   /* made by hrt_thread_create() (native.c) */
	bool pending;  /* a posted call's reply has not been taken yet */
	u64 fs;	       /* FS base of the process code */
	u64 clear_tid; /* CLONE_CHILD_CLEARTID word, or 0 */
	u64 robust;    /* set_robust_list head (cloned thread), or 0 */
	u64 robust_len;
	u64 last_fault;	    /* page | #PF error code of the last fault */
	u32 fault_spurious; /* faults at it on an entry that allowed it */
	u32 fault_unseen;   /* populations of it the HRT's view missed */
	u64 sys_nr; /* the system call it is in, or ~0 (signal restarts) */
	u32 yields; /* sched_yield calls served here since one was forwarded */
	struct hrt_regs regs; /* cloned thread: registers of its first entry */
	u64 irq_limit_ns;     /* interrupt-off section limit, 0: default */
	u64 exit_code, exit_sig; /* native thread: how it ended itself */
	u64 api_handle;		 /* native thread: its handle */
};

/*
 * u->chan of a native thread made with HVM_API_THREAD_NOSYS: no channel,
 * no partner; nothing it does may reach Linux.
 */
#define HRT_NO_CHAN HVM_CHAN_MAX

/* hrt_user_call's status when the code ended its thread with exit(). */
#define HRT_STATUS_EXITED (-0x10000l)

/* hrt_uthread_forward(): the call was aborted or the process died. */
#define HRT_FWD_ABORTED (-0x7fffffffffffll)

/* Last req_seq taken per channel (by its serving thread only). */
extern u64 hrt_chan_last[HVM_CHAN_MAX];

/* Scheduler hook: loads (t)'s FS base and address space (interrupts off). */
void hrt_uthread_switch_in(struct hrt_thread *t);
/* Loads (u)'s context and FS base now; false when the context is gone. */
bool hrt_uthread_load(struct hrt_uthread *u);
/*
 * Sleeps until (u)'s channel has a new request; the channel scan wakes
 * it.  (reply): waiting for a forwarded call's reply, so the ROS is asked
 * to kick and a dying process wakes it too.
 */
void hrt_uthread_sleep(struct hrt_uthread *u, bool reply);
/*
 * Posts a forwarded call (state SYSCALL, nr, args) or fault on (u)'s
 * channel and waits for the reply, sleeping if need be (interrupts on).
 * Returns the reply or HRT_FWD_ABORTED.
 */
s64 hrt_uthread_forward(struct hrt_uthread *u, u32 state, u64 nr,
			const u64 *args);
/*
 * Posts a system call whose result nobody needs (a futex wake for ROS
 * waiters) and returns at once; the reply is taken before the channel's
 * next event.  0 or HRT_FWD_ABORTED.
 */
int hrt_uthread_post(struct hrt_uthread *u, u64 nr, const u64 *args);
/* Waits for a posted call's reply, if any: 0 or HRT_FWD_ABORTED. */
s64 hrt_uthread_drain(struct hrt_uthread *u);
/* The channel (u) serves. */
struct hvm_chan *hrt_uthread_chan(struct hrt_uthread *u);
/*
 * Has Linux populate [addr, addr + len) of process memory for writing
 * (forwarded faults; interrupts off, turned on while waiting).  0 or
 * -EFAULT; an abort request ends the code.
 */
int hrt_uthread_populate(struct hrt_uthread *u, u64 addr, u64 len);
/*
 * Process code (u) at (r) dies of exception (vector) (error code, address
 * for a #PF): an invocation ends with -EFAULT and the fault record, a
 * cloned thread takes its process down with signal (sig), the one Linux
 * would send.
 */
__noreturn void hrt_uthread_fatal(struct hrt_uthread *u, struct hrt_regs *r,
				  u32 vector, u32 error, u64 addr, int sig);
/* Is (u)'s process bound and the HRT serving? */
bool hrt_uthread_alive(struct hrt_uthread *u);
/* Must (u) leave what it waits for: process gone, or an abort request? */
bool hrt_uthread_stop(struct hrt_uthread *u);
/* Entry point from entry.S, on the thread's kernel stack. */
void hrt_uthread_trap(struct hrt_regs *r);
/* Before any return to process code: ends it if aborted or its process died. */
void hrt_uthread_return(struct hrt_regs *r);
/* Is (r) a frame of process code (user half, or the usercall stub)? */
bool hrt_regs_from_process(const struct hrt_regs *r);
/* Interrupts the ROS when the channel's waiter asked for it. */
void hrt_chan_notify(struct hvm_chan *c);
/* HVM mode: SYSCALL MSRs of this core. */
void hrt_uthread_init_cpu(void);
/* The uthread the running HRT thread is, or NULL (a kernel thread). */
struct hrt_uthread *hrt_uthread_current(void);
/* Loads (u)'s FS base into this core's MSR if it is not there (interrupts off). */
void hrt_uthread_load_fs(struct hrt_uthread *u);
/* Copies the registers of process code at (r) into fault record (f). */
void hrt_uthread_fill_regs(struct hvm_fault *f, const struct hrt_regs *r);
/*
 * Ends cloned thread (u): its channel and partner go with exit code
 * (code) or signal (sig), then the thread.  (served): the ROS still
 * serves the channel, so the calls posted are drained first.
 */
__noreturn void hrt_uthread_end(struct hrt_uthread *u, u64 code, u64 sig,
				bool served);
/* Process code (u) ended its thread with exit(code) or by signal (sig). */
__noreturn void hrt_uthread_exit(struct hrt_uthread *u, u64 code, u64 sig);
/* Leaves the process code (u) runs: its hrt_user_call returns (status). */
__noreturn void hrt_uthread_abort(struct hrt_uthread *u, long status);

/* usercall.S: the same, from any depth of the kernel stack. */
__noreturn void hrt_user_abort_to(long status);
/* usercall.S: first entry of a cloned thread into process code at (r). */
__noreturn void hrt_uthread_enter(struct hrt_regs *r);
/* usercall.S: where a cloned thread's fake hrt_user_call frame returns. */
extern char hrt_uthread_abort_landing[];

#endif /* HRT_UTHREAD_H */

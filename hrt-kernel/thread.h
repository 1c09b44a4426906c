/* SPDX-License-Identifier: MIT */
/* thread.h - kernel threads: create, join, exit, yield, pin. */
#ifndef HRT_THREAD_H
#define HRT_THREAD_H

#include "list.h"
#include "sync.h"
#include "types.h"

enum hrt_thread_state {
	HRT_T_RUNNING = 0,
	HRT_T_RUNNABLE = 1,
	HRT_T_BLOCKED = 2,
	HRT_T_DEAD = 3,
};

/* hrt_thread.flags */
#define HRT_THREAD_IDLE		  (1u << 0)
/* An exception in this thread ends the thread, not the kernel (tests, offloads). */
#define HRT_THREAD_ISOLATE_FAULTS (1u << 1)
/* Nobody joins it: the scheduler frees it once it has switched away for good. */
#define HRT_THREAD_DETACHED	  (1u << 2)
/* Created but not queued: the creator finishes it, then hrt_thread_start_new(). */
#define HRT_THREAD_NOSTART	  (1u << 3)

#define HRT_THREAD_STACK_SIZE (16 * 1024)
#define HRT_ANY_CPU	      (-1)

typedef long (*hrt_thread_fn)(void *arg);

struct hrt_thread {
	u64 rsp;		   /* saved stack pointer while switched out */
	struct hrt_list rq_node;   /* run queue link, under the rq lock */
	struct hrt_list wait_node; /* wait queue link, under that queue's lock */
	volatile int state;	   /* enum hrt_thread_state */
	int cpu;		   /* home CPU: the run queue it is queued on */
	int pin;		   /* pinned CPU or HRT_ANY_CPU */
	int migrate_to;		   /* pending move, done by the next thread */
	volatile int on_cpu;	   /* still running or being switched out */
	u32 id;
	u32 flags;
	void *stack;
	size_t stack_size;
	void *fpu; /* XSAVE/FXSAVE area, 64-byte aligned */
	hrt_thread_fn fn;
	void *arg;
	long retval;
	volatile bool exited;
	struct hrt_waitq join_wq;
	u64 switches;
	/* Fault report when an isolated thread took an exception. */
	bool faulted;
	u64 fault_vector;
	u64 fault_rip;
	u64 fault_addr;
	/* Process code on this thread (uthread.c); NULL for kernel threads. */
	struct hrt_uthread *u;
	/* %gs:UCALL_RSP while it runs: where entries from process code land. */
	u64 ucall_rsp;
	char name[24];
};

struct hrt_thread *hrt_thread_create(hrt_thread_fn fn, void *arg,
				     const char *name, int cpu, u32 flags);
long hrt_thread_join(struct hrt_thread *t);
/* Queues a thread created with HRT_THREAD_NOSTART. */
void hrt_thread_start_new(struct hrt_thread *t);
/* Frees a thread that never ran (HRT_THREAD_NOSTART). */
void hrt_thread_discard(struct hrt_thread *t);
/* Frees an ended detached thread; the scheduler calls it after the switch. */
void hrt_thread_free(struct hrt_thread *t);
__noreturn void hrt_thread_exit(long code);
void hrt_thread_yield(void);
/* Moves the calling thread to cpu (and keeps it there); 0 or -EINVAL. */
int hrt_thread_pin(int cpu);
struct hrt_thread *hrt_current(void);
/* Builds the thread record for a CPU's boot context (becomes its idle thread). */
void hrt_thread_init_boot(struct hrt_thread *t, void *stack, size_t size,
			  const char *name);

/* Start of a new thread, called from the assembly trampoline. */
__noreturn void hrt_thread_start(struct hrt_thread *t);

#endif /* HRT_THREAD_H */

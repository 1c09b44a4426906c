/* SPDX-License-Identifier: MIT */
/* api.h - the aerokernel calls of process code: dispatch table, handles of the objects it makes, interrupt-off sections. */
#ifndef HRT_API_H
#define HRT_API_H

#include "hvm_api.h"
#include "types.h"

struct hrt_uthread;
struct hrt_regs;

/*
 * At the top of the calling thread's kernel stack while a call runs
 * (apistub.S): the flags its return restores and the process rsp.
 */
struct hrt_api_frame {
	u64 rflags;
	u64 user_rsp;
};

enum hrt_api_type {
	HRT_API_FREE = 0,
	HRT_API_THREAD,
	HRT_API_BARRIER,
	HRT_API_EVENT,
};

/*
 * A handle names an object of one process: slot + 1 in the low 32 bits,
 * the slot's generation above, so a stale or forged handle finds nothing
 * (-ESRCH or -EINVAL), never another process's object.
 */
typedef u64 hrt_handle;

/* The calling process code's uthread, or NULL when no process code calls. */
struct hrt_uthread *hrt_api_caller(void);
/*
 * Makes a handle for object (p) of (type) owned by (u)'s process, with a
 * destructor run once nobody holds it after the process ended or the
 * object was destroyed.  Returns the handle, or -EAGAIN (table full).
 */
s64 hrt_api_obj_new(struct hrt_uthread *u, u32 type, void *p,
		    void (*release)(void *p));
/*
 * The object (h) of (type) of (u)'s process with a reference held, or
 * NULL; hrt_api_obj_put() drops it.
 */
void *hrt_api_obj_get(struct hrt_uthread *u, hrt_handle h, u32 type);
void hrt_api_obj_put(hrt_handle h);
/* Marks (h) destroyed: its release runs when the last reference goes. */
int hrt_api_obj_destroy(struct hrt_uthread *u, hrt_handle h, u32 type);
/* Objects in use, all processes (hvmctl stats). */
u32 hrt_api_obj_count(void);

/* The running call's frame (apistub.S). */
struct hrt_api_frame *hrt_api_frame(void);

/* event.c */
s64 hrt_api_barrier_create(u64 n);
s64 hrt_api_barrier_wait(u64 h);
s64 hrt_api_barrier_destroy(u64 h);
s64 hrt_api_event_create(void);
s64 hrt_api_event_wait(u64 h, u64 seen, u64 timeout_ns);
s64 hrt_api_event_notify(u64 h);
s64 hrt_api_event_destroy(u64 h);
/* Wakes this core's sleeping API waiters to look again (timer tick). */
void hrt_api_tick(void);

/* native.c */
s64 hrt_api_thread_create(u64 fn, u64 arg, u64 core, u64 flags, u64 stack_top);
s64 hrt_api_thread_join(u64 h);
s64 hrt_api_thread_result(u64 h);
s64 hrt_api_thread_self(void);

/* hmem.c */
s64 hrt_api_mem_alloc(u64 size, u64 flags, u64 region);
s64 hrt_api_mem_free(u64 addr);
s64 hrt_api_virt_to_phys(u64 addr);
/* Returns the HRT memory of every ended process to the HRT. */
void hrt_hmem_sweep(void);

/* wprotect.c */
s64 hrt_api_wprotect(u64 addr, u64 len, u64 handler, u64 arg);
s64 hrt_api_wunprotect(u64 addr, u64 len);
s64 hrt_api_dirty_scan(u64 addr, u64 len, u64 bitmap, u64 clear);
/*
 * A present-page write fault of (u) at (va) (frame (r), interrupts off):
 * 1 when it was a protected page of HRT memory whose handler let it be
 * written (make the write again), -1 when the handler refused (SIGSEGV),
 * 0 when it is none of wprotect's business.
 */
int hrt_wp_fault(struct hrt_uthread *u, struct hrt_regs *r, u64 va);

/* priv.c */
/* True when (rip) is one of priv.c's rdmsr/wrmsr/rdpmc instructions. */
bool hrt_priv_insn(u64 rip);
s64 hrt_api_rdmsr(u64 msr, u64 out);
s64 hrt_api_wrmsr(u64 msr, u64 val);
s64 hrt_api_rdpmc(u64 counter, u64 out);

/* irq.c */
s64 hrt_api_irq_save(void);
s64 hrt_api_irq_restore(u64 flags);
s64 hrt_api_irq_limit(u64 ns);
/*
 * An NMI on this core at (r): when hvm.ko's watchdog sent it for an
 * interrupt-off section past its limit, ends the section's thread (the
 * frame returns to its hrt_user_call with -ETIME) and returns true; false
 * for any other NMI.
 */
bool hrt_api_irq_nmi(struct hrt_regs *r);
/* At HRT boot: NMIs hvm.ko sent to an earlier boot are not ours to take. */
void hrt_api_irq_boot(void);

#endif /* HRT_API_H */

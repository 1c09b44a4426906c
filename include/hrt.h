/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hrt.h - the aerokernel's API for code that runs on HRT cores: cores, native threads, barriers, events, interrupt-off sections. */
#ifndef HRT_H
#define HRT_H

/*
 * Who may call: code running on an HRT core at CPL 0 - a function started
 * by hrt_invoke(), a thread it or an hrt-exec program made, a native
 * thread.  Each call is an indirect call into the aerokernel through the
 * table it publishes (hvm_api.h): no system call, no trip to Linux.
 *
 * Every call returns 0 or a count on success and a negative errno on
 * failure.  Made from Linux code (not on an HRT core: %cs says CPL 3) it
 * returns -ENOTSUP and changes nothing; a call the running HRT lacks
 * returns -ENOSYS.  Objects (threads, barriers, events) belong to the
 * calling process: another process's handle, a destroyed one or garbage
 * gets -EINVAL (-ESRCH for threads); they all go when the process ends.
 * Costs and limits: docs/hrt-api.md.
 *
 * Link with libhvm (pkg-config --cflags --libs hvm).
 */
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when the caller runs on an HRT core, 0 elsewhere. */
int hrt_on_hrt(void);

/* The index of the HRT core the caller runs on (0-based), or -ENOTSUP. */
int hrt_core(void);

/* How many HRT cores are online. */
int hrt_ncores(void);

/* Lets other HRT threads of this core run; 0. */
int hrt_yield(void);

/*
 * Native threads: HRT threads of the calling process (its address space,
 * FP state of their own copied from the creator's, the creator's FS base
 * as TLS) with no Linux thread of their own.  Created without flags, a
 * native thread gets a Linux partner at creation (one round trip, taken
 * from libhvm's pool), so its system calls and page faults work as a
 * pthread's.  With HRT_THREAD_NOSYS it has none and creation never leaves
 * the HRT: its system calls return -ENOSYS (exit ends it), and a page
 * fault Linux would have to serve ends it (hrt_thread_join: -EFAULT).
 * Its stack (HRT_THREAD_STACK bytes, populated, guard page below) comes
 * from libhvm, reused after a join.
 */
#define HRT_THREAD_NOSYS 1u
#define HRT_THREAD_STACK (128u << 10)

struct hrt_thread;

/*
 * Starts (fn)(arg) on HRT core (core) (-1: any) as a native thread and
 * stores its handle in (*t).  -EINVAL: bad flags, core or NULL (t);
 * -EFAULT: (fn) or (t) outside the process; -EAGAIN: the HRT's limit of
 * native threads (HVM_API_THREADS_MAX) or its memory is reached; -ENOMEM:
 * no stack; -ENOSYS: a thread without partner asked for one with.
 */
int hrt_thread_create(struct hrt_thread **t, long (*fn)(void *arg), void *arg,
		      int core, unsigned int flags);

/*
 * Waits for native thread (t) to end and frees it; (*ret) (unless NULL)
 * gets what (fn) returned, or the code it passed to exit.  -EFAULT: it
 * faulted and was ended (the HRT log has the report); -ETIME: the
 * watchdog ended an interrupt-off section of it; -EDEADLK: (t) is the
 * caller; -ESRCH or -EINVAL: not a live thread of this process.
 */
int hrt_thread_join(struct hrt_thread *t, long *ret);

/*
 * Gives the calling HRT thread (a native thread, or any thread on the HRT)
 * (base) as its FS base, its TLS, as arch_prctl(ARCH_SET_FS) would, with
 * no system call: a native thread without partner can have TLS of its own
 * (a runtime's thread block; %fs:0 should point at it, and code built with
 * a stack protector reads its canary at %fs:0x28).  Other threads keep
 * theirs.  -EFAULT: (base) not a user address of the process.
 */
int hrt_thread_set_tls(void *base);

/* Barriers for (n) HRT threads of this process (1 <= n <= 4096). */
struct hrt_barrier;
int hrt_barrier_create(struct hrt_barrier **b, unsigned int n);
/* 1 in exactly one participant per round (the last to arrive), 0 in the others. */
int hrt_barrier_wait(struct hrt_barrier *b);
/* Waiters still inside return -EINVAL. */
int hrt_barrier_destroy(struct hrt_barrier *b);

/*
 * Events: a counter with waiters.  hrt_event_wait() returns the counter
 * once it differs from (seen): at once if it does, else after a notify
 * (a waiter polls 20 us, then sleeps; a notify wakes it, by IPI on
 * another core), or -ETIMEDOUT after (timeout_ns) (HRT_FOREVER: none;
 * 0: do not wait; the deadline is checked at least every timer tick).
 * hrt_event_notify() adds 1 and returns how many waiters were inside.
 */
#define HRT_FOREVER UINT64_MAX
struct hrt_event;
int hrt_event_create(struct hrt_event **e);
int64_t hrt_event_wait(struct hrt_event *e, uint64_t seen, uint64_t timeout_ns);
int hrt_event_notify(struct hrt_event *e);
int hrt_event_destroy(struct hrt_event *e);

/*
 * Interrupt-off sections: hrt_irq_save() turns interrupts (and so
 * preemption) off on this core and returns the flags to give back to
 * hrt_irq_restore().  A section held past its limit (100 ms, or what
 * hrt_irq_limit() set for this thread, at most 1 s) is ended by hvm.ko's
 * watchdog with an NMI: the thread ends with -ETIME (an invocation
 * returns it, a native thread's join does), the HRT log names it, the HRT
 * and other processes go on.  A system call or page fault inside turns
 * interrupts on while Linux serves it.  Off the HRT: hrt_irq_save()
 * returns (unsigned long)-ENOTSUP and neither changes anything.
 */
unsigned long hrt_irq_save(void);
void hrt_irq_restore(unsigned long flags);
/* Sets this thread's limit in ns (0: the default); returns the previous one. */
int64_t hrt_irq_limit(uint64_t ns);

/*
 * HRT memory: (size) bytes (rounded up to 2 MiB) of the HRT's own zeroed
 * memory, mapped into the calling process with 2 MiB pages, in the HRT's
 * view only, stored in (*p).  With HRT_MEM_CONTIG it is physically
 * contiguous (at most 4 MiB).  It lives in a 512 GiB region libhvm
 * reserves in Linux (PROT_NONE) at the first call, which must come from
 * a thread that may make system calls; Linux sees nothing there, so a
 * system call given a pointer into it fails with EFAULT (copy through
 * ordinary memory).  A process may hold half the HRT's memory and 256
 * allocations (-ENOMEM beyond); everything returns when it ends.
 * -EINVAL: size 0, unknown flags, CONTIG above 4 MiB, NULL (p); -EFAULT:
 * (p) outside the process.
 */
#define HRT_MEM_CONTIG 1u
int hrt_mem_alloc(void **p, size_t size, unsigned int flags);
/*
 * Unmaps (p), an address hrt_mem_alloc() returned; its pages go back to
 * the process's pool (for its next allocations) and to the HRT at its end.
 */
int hrt_mem_free(void *p);
/* The physical address of HRT memory (p), or -EINVAL for any other address. */
int64_t hrt_virt_to_phys(const void *p);

/*
 * Write protection of HRT memory (page-aligned (addr), (len)): a write
 * made on the HRT to the range faults into (handler)(fault_addr, arg),
 * run on the HRT in the faulting thread, on its stack, with its FP state
 * saved around (no Linux signal).  The handler returning 0 makes that
 * page writable again and the write is made again; non-zero delivers
 * SIGSEGV (SEGV_ACCERR) as Linux would.  The HRT changes only its own
 * page tables (2 MiB pages are split into 4 KiB ones).  Only HRT memory
 * (hrt_mem_alloc) for now: any other range is -EINVAL; -EBUSY: overlaps
 * a protected range; -ENOSPC: 16 ranges per process; -EFAULT: a handler
 * outside the process.  hrt_wunprotect() takes exactly such a range.
 */
int hrt_wprotect(void *addr, size_t len,
		 int (*handler)(void *fault_addr, void *arg), void *arg);
int hrt_wunprotect(void *addr, size_t len);
/*
 * Which pages of HRT memory [addr, addr + len) were written since the
 * last clear: bit i of (bitmap) (len / 4096 bits, in 64-bit words) for
 * page i; (clear) non-zero starts a new interval.  Returns the number of
 * dirty pages.  Writes made by Linux (it cannot see this memory) are
 * none; a 2 MiB page never scanned before counts whole if it was written.
 */
int hrt_dirty_scan(void *addr, size_t len, uint64_t *bitmap, int clear);

/*
 * Privileged instructions, through allow-lists (docs/hrt-api.md has the
 * list and why): hrt_rdmsr() of time, frequency, thermal and performance-
 * counter MSRs, hrt_wrmsr() of the counter MSRs only, hrt_rdpmc() of a
 * counter.  -EPERM: not on the list; -EIO: the CPU lacks it (#GP);
 * -EFAULT: a bad (val).  Nothing that keeps the HRT alive (its IDT, timer,
 * APIC, NMIs, paging, CR0.WP) can be reached.  hrt_cpuid() runs cpuid on
 * this HRT core ((regs): eax, ebx, ecx, edx).
 */
int hrt_rdmsr(uint32_t msr, uint64_t *val);
int hrt_wrmsr(uint32_t msr, uint64_t val);
int hrt_rdpmc(uint32_t counter, uint64_t *val);
int hrt_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

#ifdef __cplusplus
}
#endif

#endif /* HRT_H */

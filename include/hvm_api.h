/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_api.h - the aerokernel's call table: where HRT code finds it, its version and its entries; usable from assembly. */
#ifndef HVM_API_H
#define HVM_API_H

/*
 * Code running on an HRT core (CPL 0, the aerokernel's text mapped in
 * every context) calls the aerokernel directly: an indirect call through
 * the table at HVM_API_TABLE, no system-call instruction, no trip to
 * Linux.  The table is in the HRT image's text (read-only, mapped in
 * every context); from Linux code the address is kernel memory, so
 * libhvm's wrappers (hrt.h) look at %cs first and never touch it there.
 *
 * Each entry follows the SysV calling convention (arguments in rdi, rsi,
 * rdx, rcx, r8, r9; result in rax); the entry stub switches to the
 * thread's kernel stack and back, and keeps the caller's interrupt flag
 * unless the call's purpose is to change it (HVM_API_IRQ_SAVE/RESTORE).
 * A zero entry, or an index at or above count, is a call the running HRT
 * lacks: the wrapper answers -ENOSYS without calling.
 */
#include "hvm_layout.h"

/* The table: the first bytes of the HRT image's text (hrt.ld asserts it). */
#define HVM_API_TABLE	(HVM_IMAGE_VBASE + HVM_U64(0x100000))
/* "HRTAPI01" read as a little-endian u64. */
#define HVM_API_MAGIC	HVM_U64(0x3130495041545248)
/* Bumped when an entry's meaning changes; new entries only raise count. */
#define HVM_API_VERSION 1

/* Entry indices: arguments as in hrt.h; results are 0/count or -errno. */
#define HVM_API_CORE   0 /* () -> this HRT core's index */
#define HVM_API_NCORES 1 /* () -> HRT cores online */
#define HVM_API_YIELD  2 /* () -> 0 */
#define HVM_API_THREAD_CREATE                                                  \
	3 /* (fn, arg, core, flags, stack_top) -> handle */
#define HVM_API_THREAD_JOIN	4 /* (handle) -> 0, result in the next entry */
#define HVM_API_THREAD_RESULT	5 /* (handle) -> fn's result once joined */
#define HVM_API_BARRIER_CREATE	6 /* (n) -> handle */
#define HVM_API_BARRIER_WAIT	7 /* (handle) -> 1 in one participant, else 0 */
#define HVM_API_BARRIER_DESTROY 8 /* (handle) -> 0 */
#define HVM_API_EVENT_CREATE	9 /* () -> handle */
#define HVM_API_EVENT_WAIT	10 /* (handle, seen, timeout_ns) -> counter */
#define HVM_API_EVENT_NOTIFY	11 /* (handle) -> waiters woken */
#define HVM_API_EVENT_DESTROY	12 /* (handle) -> 0 */
#define HVM_API_IRQ_SAVE	13 /* () -> previous RFLAGS; returns with IF=0 */
#define HVM_API_IRQ_RESTORE	14 /* (flags) -> 0; IF as in (flags) */
#define HVM_API_IRQ_LIMIT	15 /* (ns, 0 = default) -> previous limit in ns */
#define HVM_API_THREAD_SELF	16 /* () -> native thread's handle, or 0 */
#define HVM_API_MEM_ALLOC	17 /* (size, flags, region) -> address */
#define HVM_API_MEM_FREE	18 /* (address) -> 0 */
#define HVM_API_VIRT_TO_PHYS	19 /* (address) -> physical address */
#define HVM_API_WPROTECT	20 /* (addr, len, handler, arg) -> 0 */
#define HVM_API_WUNPROTECT	21 /* (addr, len) -> 0 */
#define HVM_API_DIRTY_SCAN	22 /* (addr, len, bitmap, clear) -> dirty pages */
#define HVM_API_RDMSR		23 /* (msr, out) -> 0; allow-listed MSRs */
#define HVM_API_WRMSR		24 /* (msr, value) -> 0; allow-listed MSRs */
#define HVM_API_RDPMC		25 /* (counter, out) -> 0 */
#define HVM_API_SET_TLS		26 /* (fs_base) -> 0: the caller's own FS base */
#define HVM_API_COUNT		27

/* hrt_thread_create() flags the HRT knows. */
#define HVM_API_THREAD_NOSYS                                                   \
	HVM_U64(1) /* no Linux partner: calls get -ENOSYS */
#define HVM_API_THREAD_FLAGS HVM_API_THREAD_NOSYS

/* hrt_mem_alloc() flags the HRT knows. */
#define HVM_API_MEM_CONTIG HVM_U64(1) /* physically contiguous (<= 4 MiB) */
#define HVM_API_MEM_FLAGS  HVM_API_MEM_CONTIG
/*
 * HRT memory of a process lives in one region of its address space, of
 * this size and alignment (one top-level page-table entry), which libhvm
 * reserves in Linux (PROT_NONE) so that Linux never maps anything there;
 * the HRT maps its own pages there in its view only, 2 MiB at a time.
 */
#define HVM_API_MEM_REGION HVM_U64(0x8000000000) /* 512 GiB */
#define HVM_API_MEM_PAGE   HVM_U64(0x200000)	 /* 2 MiB */
#define HVM_API_MEM_ALLOCS 256 /* live allocations per process */
#define HVM_API_WP_RANGES  16  /* write-protected ranges per process */

/* Limits the HRT enforces (documented in docs/hrt-api.md). */
#define HVM_API_OBJECTS	     4096 /* threads, barriers, events in all */
#define HVM_API_THREADS_MAX  1024 /* native threads alive in the HRT */
/* Per process: objects it holds, and of those native threads not joined. */
#define HVM_API_PROC_OBJECTS 2048
#define HVM_API_PROC_THREADS 768
#define HVM_API_IRQ_LIMIT_NS HVM_U64(100000000) /* 100 ms */
#define HVM_API_IRQ_LIMIT_MAX                                                  \
	HVM_U64(1000000000) /* 1 s: below hvm.ko hung_timeout_ms */

#ifndef __ASSEMBLER__
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

struct hvm_api_table {
	uint64_t magic;		       /* HVM_API_MAGIC */
	uint32_t version;	       /* HVM_API_VERSION */
	uint32_t count;		       /* entries that follow */
	uint64_t entry[HVM_API_COUNT]; /* addresses in the HRT's text, or 0 */
};

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(struct hvm_api_table) == 16 + 8 * HVM_API_COUNT,
	       "api table layout");
#endif
#endif /* !__ASSEMBLER__ */

#endif /* HVM_API_H */

/* SPDX-License-Identifier: MIT */
/* uctx.h - merged address spaces: a process's user half under the HRT. */
#ifndef HRT_UCTX_H
#define HRT_UCTX_H

#include "hvm_abi.h"
#include "types.h"

#define HRT_NO_CTX HVM_CTX_MAX

static inline bool hrt_user_addr(u64 a)
{
	return a < HVM_USER_TOP;
}

/*
 * uaccess.S: reads and writes of process memory that return -EFAULT
 * instead of faulting (the caller checks the range is in the user half).
 */
int hrt_get_user_u32(const u32 *uaddr, u32 *out);
int hrt_copy_user(void *dst, const void *src, u64 len);

extern struct hvm_chan_area *hrt_area;

/* HVM mode: the channel area; forgets what an earlier boot left active. */
void hrt_uctx_init(struct hvm_chan_area *area);
/*
 * Makes context (idx) the one this core has loaded (interrupts off).  A
 * core keeps its context loaded after the thread that needed it stops
 * running, as Linux keeps the last mm: the next thread of the same process
 * writes no CR3 and copies nothing.  Returns false, with only the kernel
 * half loaded, when the context is not bound.
 */
bool hrt_uctx_load(u32 idx);
/* Leaves the loaded context (kernel root only); interrupts off. */
void hrt_uctx_leave(void);
/* The context this core has loaded, or HRT_NO_CTX. */
u32 hrt_uctx_current(void);
/*
 * Serves a flush request of the loaded context and leaves a context that
 * died.  Returns whether context (idx) is loaded and bound.
 */
bool hrt_uctx_check(u32 idx);
/* Re-reads the user half after Linux changed it (new top-level entry, munmap). */
void hrt_uctx_resync(u32 idx, bool reload);
/* Is slot (idx) bound to a live process? */
bool hrt_uctx_alive(u32 idx);
/*
 * Does context (idx)'s root differ from Linux's in the top-level entry
 * covering user address (va)?  Linux adds such entries without telling
 * anyone (a fault, a populate); it removes them only in free_pgtables(),
 * whose TLB flush reaches hvm.ko's notifier (docs/libhvm.md).
 */
bool hrt_uctx_top_stale(u32 idx, u64 va);
/*
 * Puts (entry) in top-level slot (slot) of context (idx)'s root for its
 * bind generation (gen), and keeps it over every copy of Linux's entries
 * (HRT memory); entry 0 takes it out again.
 */
void hrt_uctx_own(u32 idx, u32 gen, u32 slot, u64 entry);
/*
 * After the HRT changed its own entries for [va, va + len) of context
 * (idx) (HRT memory): flushes this core and every other core that has the
 * context loaded, as hvm.ko's flush requests do (flush_seq, the channel
 * IPI, flush_ack).  Waits 100 ms at most for each (logged): a core in an
 * interrupt-off section answers when it ends.  Interrupts off.
 */
void hrt_uctx_flush_range(u32 idx, u64 va, u64 len);

#endif /* HRT_UCTX_H */

/* SPDX-License-Identifier: MIT */
/* hmem.h - HRT memory of a process (hmem.c) as its write protection (wprotect.c) sees it. */
#ifndef HRT_HMEM_H
#define HRT_HMEM_H

#include "hvm_api.h"
#include "mm.h"
#include "sync.h"
#include "types.h"

#define PTE_U	    (1ull << 2)
#define PTE_D	    (1ull << 6)
#define HMEM_ORDER  9 /* 2 MiB in pages */
#define HMEM_TABLE  (PTE_P | PTE_W | PTE_U)
#define HMEM_LEAF   (PTE_P | PTE_W | PTE_U | PTE_PS | PTE_NX)
#define HMEM_LEAF4K (PTE_P | PTE_W | PTE_U | PTE_NX)

/*
 * A process's HRT memory, per context slot and bind generation.  The
 * region (one top-level entry, HVM_API_MEM_REGION) is libhvm's reservation
 * in Linux; the HRT's page tables for it (one PDPT, PDs with 2 MiB leaves)
 * exist in its view only.  Addresses are handed out upwards and never
 * reused; freed 2 MiB pages go to the process's own free list, for its
 * next allocations (another core may still hold a TLB entry of them, and
 * only the same process may meet it), and back to the HRT at its end.
 * Under its lock, taken with interrupts off.
 */
struct hrt_hmem_alloc {
	u64 va, len;
	u32 order; /* HMEM_ORDER, or the order of one contiguous block */
};

struct hrt_hmem {
	struct hrt_spinlock lock;
	bool active;
	u32 gen, slot;
	u64 base, next; /* region, next free address in it */
	u64 *pdpt;
	u64 used;      /* bytes mapped now */
	u64 free_list; /* chunks freed: phys | order, linked through them */
	struct hrt_hmem_alloc a[HVM_API_MEM_ALLOCS];
	/* hrt_wprotect() ranges (wprotect.c); end 0: a free entry. */
	struct hrt_wp_range {
		u64 start, end, handler, arg;
	} wp[HVM_API_WP_RANGES];
};

extern struct hrt_hmem hrt_hmem[HVM_CTX_MAX];

/*
 * Under m->lock: the PD entry of (va), or NULL when no PD covers it.  A
 * present entry without PTE_PS points to a page table of 4 KiB entries
 * (split by wprotect.c); hrt_hmem_chunk() gives the 2 MiB page either way.
 */
u64 *hrt_hmem_pde(struct hrt_hmem *m, u64 va);
u64 hrt_hmem_chunk(u64 pde);
/* Under m->lock: is m live for context (idx)'s process? */
bool hrt_hmem_live(u32 idx, struct hrt_hmem *m);

#endif /* HRT_HMEM_H */

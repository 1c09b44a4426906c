/* SPDX-License-Identifier: MIT */
/* mm.h - address-space layout: kernel image mapping, direct map, page tables. */
#ifndef HRT_MM_H
#define HRT_MM_H

#include "hvm_abi.h"
#include "types.h"
#include "x86.h"

#define HRT_KERNEL_VBASE HVM_IMAGE_VBASE
#define HRT_LINK_PHYS	 0x100000ull /* lowest p_paddr in hrt.ld */
#define HRT_DIRECT_MAP	 HVM_DIRECT_MAP_BASE
/* Uncached MMIO mappings (hrt_mm_map_uc): HRT_MMIO_SLOTS pages from here. */
#define HRT_MMIO_BASE	 0xffffc90000000000ull
#define HRT_MMIO_SLOTS	 16

#define PTE_P	 (1ull << 0)
#define PTE_W	 (1ull << 1)
#define PTE_PWT	 (1ull << 3)
#define PTE_PCD	 (1ull << 4)
#define PTE_PS	 (1ull << 7)
#define PTE_G	 (1ull << 8)
#define PTE_NX	 (1ull << 63)
#define PTE_ADDR HVM_PTE_ADDR

/* #PF error code bits (SDM vol. 3, 4.7). */
#define PF_PRESENT (1ull << 0)
#define PF_WRITE   (1ull << 1)
#define PF_RSVD	   (1ull << 3)
#define PF_INSTR   (1ull << 4)

extern char hrt_image_start[], hrt_text_end[], hrt_rodata_end[];
extern char hrt_image_end[], hrt_bss_end[];
/* Pages of the IDT, GDTs and TSSs (.bss.hrt_prot): read-only once written. */
extern char hrt_prot_start[], hrt_prot_end[];

/* Where the lowest PT_LOAD really is (bootinfo.kernel_phys or the PVH load). */
extern u64 hrt_kernel_phys;
extern u64 hrt_kernel_cr3;
extern u64 hrt_direct_map_bytes;

static inline void *hrt_phys_to_virt(u64 p)
{
	return (void *)(p + HRT_DIRECT_MAP);
}

static inline u64 hrt_virt_to_phys(const void *v)
{
	u64 a = (u64)v;

	if (a >= HRT_KERNEL_VBASE)
		return a - HRT_KERNEL_VBASE - HRT_LINK_PHYS + hrt_kernel_phys;
	return a - HRT_DIRECT_MAP;
}

/*
 * Bytes hrt_mm_init needs for its page-table arena (every page table of
 * the kernel and the context roots) when the direct map ends at top: the
 * caller sets them aside from the page allocator.
 */
u64 hrt_mm_arena_bytes(u64 direct_map_top);
/*
 * Builds and loads the final page tables, with the tables themselves (the
 * arena at arena_phys), the IDT, GDTs, TSSs, text, rodata and symbol table
 * read-only in every mapping, the direct map included; sets CR0.WP.
 */
int hrt_mm_init(u64 direct_map_top, u64 arena_phys, u64 arena_bytes);
/*
 * A zeroed page-table page from the arena (read-only once hrt_mm_init is
 * done: write it between hrt_wp_begin and hrt_wp_end); an ordinary page
 * if the arena is used up (logged once).
 */
void *hrt_mm_table_alloc(void);

/*
 * Writes to the read-only kernel tables: CR0.WP off on this CPU, with
 * interrupts off so nothing else runs here meanwhile.  Not nestable.
 */
struct hrt_wp {
	u64 flags;
	bool was_on;
};

struct hrt_wp hrt_wp_begin(void);
void hrt_wp_end(struct hrt_wp s);
/*
 * Uncached mapping of the page holding MMIO address phys; returns the
 * address of phys itself, or NULL (before hrt_mm_init, or out of slots).
 * Lock-free and allocation-free: usable from interrupt and crash context.
 */
void *hrt_mm_map_uc(u64 phys);
/* Per-CPU part: load the kernel CR3, set PGE and NXE. */
void hrt_mm_init_cpu(void);
/* Loads CR3 with root, a root of ours: the kernel's or a context's. */
void hrt_mm_load_root(u64 root);
/* Walks the current page tables; returns the PTE-level flags or 0. */
u64 hrt_mm_lookup(u64 va, u64 *phys);
/* The same through the tables at physical root. */
u64 hrt_mm_walk(u64 root, u64 va, u64 *phys);

#endif /* HRT_MM_H */

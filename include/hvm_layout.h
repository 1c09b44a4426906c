/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_layout.h - the HRT's virtual address map as hvm.ko, the HRT, libhvm and the tests know it; usable from assembly. */
#ifndef HVM_LAYOUT_H
#define HVM_LAYOUT_H

/*
 * Constants only, so that .S files can include it: a 64-bit number is
 * written HVM_U64(x), which gains its ull suffix in C only.  hvm_abi.h
 * includes this header.
 */
#ifdef __ASSEMBLER__
#define HVM_U64(x) x
#else
#define HVM_U64(x) x##ull
#endif

/* 4-level paging: a PML4 entry covers 512 GiB. */
#define HVM_PML4_SHIFT	   39
#define HVM_PML4_INDEX(va) (((va) >> HVM_PML4_SHIFT) & 511)
/* The physical-address bits of a page-table entry. */
#define HVM_PTE_ADDR	   HVM_U64(0x000ffffffffff000)

/*
 * The user half: a process's addresses are below HVM_USER_TOP (47 bits);
 * the HRT runs offloaded code there and refuses anything above.
 */
#define HVM_USER_TOP HVM_U64(0x0000800000000000)

/* Where the HRT maps all guest-physical memory, in HVM and standalone mode. */
#define HVM_DIRECT_MAP_BASE HVM_U64(0xffff888000000000)
#define HVM_DIRECT_MAP_PML4 273 /* HVM_PML4_INDEX(HVM_DIRECT_MAP_BASE) */

/*
 * Where an HRT image's PT_LOADs may lie: the top 2 GiB of the address space
 * (-mcmodel=kernel), above everything else the entry contract maps.  hvm.ko
 * refuses an image with a loadable segment outside [HVM_IMAGE_VBASE, 2^64).
 * hrt-kernel/hrt.ld links at the same address (KERNEL_VBASE).
 */
#define HVM_IMAGE_VBASE HVM_U64(0xffffffff80000000)
#define HVM_IMAGE_PML4	511 /* HVM_PML4_INDEX(HVM_IMAGE_VBASE) */
#define HVM_IMAGE_PDPT	510 /* its index in that PML4 entry's PDPT */

#if !defined(__ASSEMBLER__) && defined(__STDC_VERSION__) &&                    \
	__STDC_VERSION__ >= 201112L
_Static_assert(HVM_PML4_INDEX(HVM_DIRECT_MAP_BASE) == HVM_DIRECT_MAP_PML4,
	       "direct map PML4 index");
_Static_assert(HVM_PML4_INDEX(HVM_IMAGE_VBASE) == HVM_IMAGE_PML4,
	       "image PML4 index");
_Static_assert(((HVM_IMAGE_VBASE >> 30) & 511) == HVM_IMAGE_PDPT,
	       "image PDPT index");
_Static_assert(HVM_PML4_INDEX(HVM_USER_TOP - 1) == 255, "user half");
#endif

#endif /* HVM_LAYOUT_H */

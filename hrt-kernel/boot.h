/* SPDX-License-Identifier: MIT */
/* boot.h - boot-info handling shared by the HVM and standalone (PVH) entries. */
#ifndef HRT_BOOT_H
#define HRT_BOOT_H

#include "hvm_abi.h"
#include "types.h"

/* Lowest address a kernel stack or frame can have (the upper half). */
#define HRT_KERNEL_STACK_MIN	  0xffff800000000000ull
/* Standalone AP trampoline page (free low memory under QEMU's firmware). */
#define HRT_STANDALONE_TRAMPOLINE 0x8000ull
/* isa-debug-exit values: QEMU exits with (value << 1) | 1. */
#define HRT_EXIT_PASS		  0x10 /* status 33 */
#define HRT_EXIT_FAIL		  0x11 /* status 35 */
#define HRT_EXIT_CRASH		  0x12 /* status 37 */

extern bool hrt_hvm_mode;
extern bool hrt_boot_percpu_ready;
extern struct hvm_bootinfo *hrt_bootinfo;
extern struct hvm_shm_header *hrt_shm; /* HVM mode only */

/* Counts an event in the header's hvm_hrt_counters (HVM mode only). */
#define HRT_COUNT(field)                                                       \
	__atomic_add_fetch(&hrt_shm->hrt_counters.field, 1, __ATOMIC_RELAXED)

/* 0 when the record is usable; else -EINVAL and a reason in why. */
int hrt_bootinfo_check(const struct hvm_bootinfo *bi, char *why, size_t n);

#endif /* HRT_BOOT_H */

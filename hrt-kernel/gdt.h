/* SPDX-License-Identifier: MIT */
/* gdt.h - per-CPU GDT and TSS. */
#ifndef HRT_GDT_H
#define HRT_GDT_H

#define HRT_KCODE   0x08
#define HRT_KDATA   0x10
#define HRT_TSS_SEL 0x18

#ifndef __ASSEMBLER__
#include "types.h"

struct hrt_cpu;
/*
 * Needs c->id and c->ist[] filled in; writes c's GDT and TSS (in read-only
 * pages, with CR0.WP off).  Runs on any CPU: the boot CPU fills the APs'.
 */
void hrt_gdt_fill(struct hrt_cpu *c);
/* On c itself: loads GDTR, reloads the segments, and TR unless loaded. */
void hrt_gdt_load(struct hrt_cpu *c);
/*
 * c's GDT and TSS are as hrt_gdt_fill wrote them: the descriptors, and
 * every IST slot at the top of a writable stack.
 */
bool hrt_gdt_tss_ok(struct hrt_cpu *c);
/* c's GDT and its limit. */
u64 *hrt_gdt_of(struct hrt_cpu *c, u16 *limit);
#endif

#endif /* HRT_GDT_H */

/* SPDX-License-Identifier: MIT */
/* apic.h - local APIC access (x2APIC MSRs when present, else xAPIC MMIO) and IPIs. */
#ifndef HRT_APIC_H
#define HRT_APIC_H

#include "types.h"

#define APIC_ID		0x020
#define APIC_EOI	0x0b0
#define APIC_SVR	0x0f0
#define APIC_ESR	0x280
#define APIC_ICR_LO	0x300
#define APIC_ICR_HI	0x310
#define APIC_LVT_TIMER	0x320
#define APIC_LVT_LINT0	0x350
#define APIC_LVT_LINT1	0x360
#define APIC_LVT_ERROR	0x370
#define APIC_TIMER_INIT 0x380
#define APIC_TIMER_CUR	0x390
#define APIC_TIMER_DIV	0x3e0

extern bool hrt_x2apic;
extern u64 hrt_lapic_phys;

/* Chooses the mode (BSP only), then per CPU: enable the APIC, spurious vector. */
void hrt_apic_init_cpu(void);
u32 hrt_apic_read(u32 reg);
void hrt_apic_write(u32 reg, u32 v);
u32 hrt_apic_id(void);
void hrt_apic_eoi(void);
void hrt_apic_send_ipi(u32 apic_id, u8 vector);
void hrt_apic_send_init(u32 apic_id);
void hrt_apic_send_sipi(u32 apic_id, u8 page);
/* This CPU's APIC ID from CPUID (usable before the APIC is set up). */
u32 hrt_cpuid_apic_id(void);

#endif /* HRT_APIC_H */

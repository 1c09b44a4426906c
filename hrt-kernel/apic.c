// SPDX-License-Identifier: MIT
/* apic.c - local APIC: x2APIC through MSRs when CPUID offers it, else xAPIC MMIO. */
#include "apic.h"
#include "idt.h"
#include "mm.h"
#include "x86.h"

bool hrt_x2apic;
u64 hrt_lapic_phys = 0xfee00000;
static volatile u32 *hrt_lapic_mmio;

u32 hrt_apic_read(u32 reg)
{
	if (hrt_x2apic)
		return (u32)hrt_rdmsr(0x800 + (reg >> 4));
	return hrt_lapic_mmio[reg / 4];
}

void hrt_apic_write(u32 reg, u32 v)
{
	if (hrt_x2apic)
		hrt_wrmsr(0x800 + (reg >> 4), v);
	else
		hrt_lapic_mmio[reg / 4] = v;
}

u32 hrt_apic_id(void)
{
	u32 id = hrt_apic_read(APIC_ID);

	return hrt_x2apic ? id : id >> 24;
}

void hrt_apic_eoi(void)
{
	hrt_apic_write(APIC_EOI, 0);
}

static void hrt_apic_icr(u32 apic_id, u32 lo)
{
	/*
	 * Interrupts off: an IPI sent from a handler between our ICR_HI and
	 * ICR_LO writes would retarget this one.
	 */
	u64 f = hrt_irq_save();

	if (hrt_x2apic) {
		/* One MSR write carries both halves; no busy bit in x2APIC mode. */
		__asm__ volatile("mfence" ::: "memory");
		hrt_wrmsr(0x830, ((u64)apic_id << 32) | lo);
		hrt_irq_restore(f);
		return;
	}
	while (hrt_lapic_mmio[APIC_ICR_LO / 4] & (1u << 12))
		hrt_pause();
	hrt_lapic_mmio[APIC_ICR_HI / 4] = apic_id << 24;
	/* The write to the low half sends the IPI. */
	hrt_lapic_mmio[APIC_ICR_LO / 4] = lo;
	hrt_irq_restore(f);
}

void hrt_apic_send_ipi(u32 apic_id, u8 vector)
{
	hrt_apic_icr(apic_id, vector | (1u << 14)); /* fixed, assert */
}

void hrt_apic_send_init(u32 apic_id)
{
	hrt_apic_icr(apic_id, 0x500 | (1u << 14)); /* INIT, assert, edge */
}

void hrt_apic_send_sipi(u32 apic_id, u8 page)
{
	hrt_apic_icr(apic_id, 0x600 | (1u << 14) | page);
}

void hrt_apic_init_cpu(void)
{
	u32 a, b, c, d;
	u64 base;

	hrt_cpuid(1, 0, &a, &b, &c, &d);
	hrt_x2apic = c & (1u << 21);
	base = hrt_rdmsr(MSR_APIC_BASE);
	/* Enable (bit 11), and x2APIC mode (bit 10) when the CPU has it. */
	base |= 1u << 11;
	if (hrt_x2apic)
		base |= 1u << 10;
	hrt_wrmsr(MSR_APIC_BASE, base);
	hrt_lapic_mmio = hrt_phys_to_virt(hrt_lapic_phys);
	/* Software-enable, spurious vector 0xff. */
	hrt_apic_write(APIC_SVR, 0x100 | HRT_VEC_SPURIOUS);
	hrt_apic_write(APIC_LVT_LINT0, 1u << 16); /* masked: no ExtINT here */
	hrt_apic_write(APIC_LVT_LINT1, 1u << 16);
	hrt_apic_write(APIC_LVT_ERROR, 1u << 16);
	hrt_apic_write(APIC_ESR, 0);
	hrt_apic_eoi();
}

u32 hrt_cpuid_apic_id(void)
{
	u32 a, b, c, d, max;

	hrt_cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0xb) {
		hrt_cpuid(0xb, 0, &a, &b, &c, &d);
		if (b)
			return d; /* full 32-bit x2APIC ID */
	}
	hrt_cpuid(1, 0, &a, &b, &c, &d);
	return b >> 24;
}

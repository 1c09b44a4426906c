// SPDX-License-Identifier: MIT
/* timer.c - TSC calibration and the per-CPU periodic LAPIC timer (TCG has no TSC-deadline). */
#include "timer.h"
#include "apic.h"
#include "boot.h"
#include "health.h"
#include "idt.h"
#include "log.h"
#include "sched.h"
#include "smp.h"
#include "x86.h"

u64 hrt_tsc_khz;
volatile u64 hrt_jiffies;
static u32 hrt_lapic_ticks_per_hz; /* LAPIC counts (divide by 16) per tick */

u64 hrt_tsc_to_ns(u64 tsc)
{
	/* Split so tsc * 10^6 cannot overflow (no libgcc for 128-bit division). */
	return tsc / hrt_tsc_khz * 1000000 +
	       tsc % hrt_tsc_khz * 1000000 / hrt_tsc_khz;
}

u64 hrt_ns_now(void)
{
	return hrt_tsc_to_ns(hrt_rdtsc());
}

void hrt_udelay(u64 us)
{
	u64 end = hrt_rdtsc() + us * hrt_tsc_khz / 1000;

	while (hrt_rdtsc() < end)
		hrt_pause();
}

u64 hrt_timer_calibrate_tsc(void)
{
	u32 a, b, c, d, max;
	u64 t0, t1;
	int i;

	hrt_cpuid(0, 0, &max, &b, &c, &d);
	if (max >= 0x15) {
		hrt_cpuid(0x15, 0, &a, &b, &c, &d);
		if (a && b && c)
			return (u64)c * b / a / 1000;
	}
	/*
	 * PIT channel 2 in one-shot mode, gated through port 0x61, counts 20 ms
	 * at 1.193182 MHz; the TSC delta over it gives the frequency.  Only
	 * standalone: in HVM mode the PIT belongs to Linux.
	 */
	hrt_outb(0x61, (hrt_inb(0x61) & ~0x02) | 0x01);
	hrt_outb(0x43, 0xb0);
	hrt_outb(0x42, 23864 & 0xff);
	hrt_outb(0x42, 23864 >> 8);
	t0 = hrt_rdtsc();
	for (i = 0; i < 100000000 && !(hrt_inb(0x61) & 0x20); i++)
		;
	t1 = hrt_rdtsc();
	return (t1 - t0) / 20;
}

static void hrt_timer_irq(struct hrt_regs *r)
{
	struct hrt_cpu *c = hrt_this_cpu();

	(void)r;
	c->ticks++;
	if (c->id == 0)
		hrt_jiffies++;
	/* Every core's own: a core that stops ticking is seen hung. */
	hrt_health_tick(c->id);
	hrt_sched_tick();
}

void hrt_timer_init_cpu(void)
{
	struct hrt_cpu *c = hrt_this_cpu();

	if (c->id == 0) {
		u64 t0, cur;

		/* Count the LAPIC timer down over 10 ms of TSC time. */
		hrt_apic_write(APIC_TIMER_DIV, 0x3); /* divide by 16 */
		hrt_apic_write(APIC_LVT_TIMER, 1u << 16);
		hrt_apic_write(APIC_TIMER_INIT, 0xffffffff);
		t0 = hrt_rdtsc();
		while (hrt_rdtsc() - t0 < hrt_tsc_khz * 10)
			hrt_pause();
		cur = hrt_apic_read(APIC_TIMER_CUR);
		hrt_lapic_ticks_per_hz =
			(u32)((0xffffffffull - cur) * 100 / HRT_HZ);
		if (!hrt_lapic_ticks_per_hz)
			hrt_lapic_ticks_per_hz = 100000;
		hrt_irq_register(HRT_VEC_TIMER, hrt_timer_irq);
		hrt_printf("hrt: LAPIC timer %lu kHz (/16), tick %u Hz\n",
			   (u64)(0xffffffffull - cur) / 10, HRT_HZ);
	}
	hrt_apic_write(APIC_TIMER_DIV, 0x3);
	/* Periodic mode (bit 17) on the timer vector. */
	hrt_apic_write(APIC_LVT_TIMER, (1u << 17) | HRT_VEC_TIMER);
	hrt_apic_write(APIC_TIMER_INIT, hrt_lapic_ticks_per_hz);
}

// SPDX-License-Identifier: MIT
/* hvmipi.c - the interrupts hvm.ko sends the HRT (HVM_HRT_VEC_*: pings, debug hang/crash) and the doorbell back. */
#include "hvmipi.h"
#include "apic.h"
#include "boot.h"
#include "idt.h"
#include "log.h"
#include "mm.h"
#include "smp.h"
#include "x86.h"

/*
 * The driver's record in the region, not our copy: a reloaded hvm.ko
 * rewrites ros_irq_vector/ros_irq_apic_id there, so every send reads it.
 */
static const volatile struct hvm_bootinfo *hrt_bi_live;

void hrt_hvm_doorbell(u32 peer, u32 vector)
{
	u64 db;
	volatile u32 *reg;

	if (!hrt_hvm_mode || !hrt_bi_live)
		return;
	db = hrt_bi_live->doorbell_phys;
	if (!db || (db & 3))
		return; /* 0 = no doorbell */
	reg = hrt_mm_map_uc(db);
	if (reg)
		*reg = (peer << 16) | vector; /* one 32-bit MMIO write */
}

/* Acknowledge first: the ROS checks the ack in the interrupt we send. */
static void hrt_ping_ack(void)
{
	u64 seq = __atomic_load_n(&hrt_shm->hrt_ping_seq, __ATOMIC_ACQUIRE);

	__atomic_store_n(&hrt_shm->hrt_ping_ack, seq, __ATOMIC_RELEASE);
}

static void hrt_ping_doorbell_irq(struct hrt_regs *r)
{
	(void)r;
	if (!hrt_hvm_mode)
		return;
	hrt_ping_ack();
	hrt_hvm_doorbell(HVM_PEER_GUEST, HVM_VEC_HRT_EVENT);
}

static void hrt_ping_ipi_irq(struct hrt_regs *r)
{
	u32 vector, apic_id;

	(void)r;
	if (!hrt_hvm_mode || !hrt_bi_live)
		return;
	vector = hrt_bi_live->ros_irq_vector;
	apic_id = hrt_bi_live->ros_irq_apic_id;
	hrt_ping_ack();
	/* 0 = no direct path; xAPIC physical mode only reaches IDs < 255. */
	if (vector < 0x20 || vector > 0xff || (!hrt_x2apic && apic_id >= 0xff))
		return;
	hrt_apic_send_ipi(apic_id, (u8)vector);
}

static __noreturn void hrt_debug_hang_irq(struct hrt_regs *r)
{
	(void)r;
	hrt_printf("hrt: cpu %u: DEBUG_HANG, spinning with interrupts off\n",
		   hrt_cpu_id());
	/* No EOI, no timer, no heartbeat for this core: the HUNG path. */
	hrt_cli();
	for (;;)
		hrt_pause();
}

static void hrt_debug_crash_irq(struct hrt_regs *r)
{
	(void)r;
	hrt_printf("hrt: cpu %u: DEBUG_CRASH, faulting on purpose\n",
		   hrt_cpu_id());
	/* A fault in HRT (interrupt) code: hrt_exception -> hrt_crash. */
	__asm__ volatile("ud2" ::: "memory");
}

void hrt_hvm_irq_init(struct hvm_bootinfo *live)
{
	hrt_bi_live = live;
	/* The handler table is shared: every core's IDT dispatches to it. */
	hrt_irq_register(HVM_HRT_VEC_PING_DOORBELL, hrt_ping_doorbell_irq);
	hrt_irq_register(HVM_HRT_VEC_PING_IPI, hrt_ping_ipi_irq);
	hrt_irq_register(HVM_HRT_VEC_DEBUG_HANG, hrt_debug_hang_irq);
	hrt_irq_register(HVM_HRT_VEC_DEBUG_CRASH, hrt_debug_crash_irq);
}

void hrt_hvm_notify_ros(void)
{
	u32 vector, apic_id;

	if (!hrt_hvm_mode || !hrt_bi_live)
		return;
	vector = hrt_bi_live->ros_irq_vector;
	apic_id = hrt_bi_live->ros_irq_apic_id;
	/* The direct IPI skips QEMU's doorbell path; both end in the same ISR. */
	if (vector >= 0x20 && vector <= 0xff &&
	    (hrt_x2apic || apic_id < 0xff)) {
		hrt_apic_send_ipi(apic_id, (u8)vector);
		if (hrt_x2apic) /* the ICR */
			HRT_EVENT(msr_writes, HVM_EV_MSR_WRITES);
	} else
		hrt_hvm_doorbell(HVM_PEER_GUEST, HVM_VEC_HRT_EVENT);
}

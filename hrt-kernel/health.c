// SPDX-License-Identifier: MIT
/* health.c - what hvm.ko watches: ready, per-core heartbeats, crash and exit. */
#include "health.h"
#include "apic.h"
#include "boot.h"
#include "hvmipi.h"
#include "idt.h"
#include "log.h"
#include "smp.h"
#include "x86.h"

/* Set once READY is published: heartbeats before it would mean nothing. */
static volatile bool hrt_ready;

static void hrt_doorbell(u32 vector)
{
	hrt_hvm_doorbell(HVM_PEER_HOST, vector);
}

void hrt_health_tick(u32 cpu)
{
	volatile u64 *hb;

	/*
	 * Every tick of every core (10 ms): each word has one writer, its
	 * core, so a plain add is enough.  hvm.ko judges each online core's.
	 */
	if (!hrt_hvm_mode || !hrt_ready || cpu >= HVM_MAX_HRT_CPUS)
		return;
	hb = &hrt_shm->hrt_core_heartbeat[cpu];
	__atomic_store_n(hb, *hb + 1, __ATOMIC_RELEASE);
	if (cpu == 0)
		__atomic_store_n(&hrt_shm->hrt_heartbeat,
				 hrt_shm->hrt_heartbeat + 1, __ATOMIC_RELEASE);
}

__noreturn void hrt_exit(int code)
{
	if (!hrt_hvm_mode) {
		hrt_outl(0xf4, code);  /* isa-debug-exit, when QEMU has one */
		hrt_outb(0x501, code); /* some setups use the 0x501 port */
	}
	hrt_halt_forever();
}

__noreturn void hrt_crash(void)
{
	static volatile int crashing;
	u32 i;

	hrt_cli();
	if (__atomic_exchange_n(&crashing, 1, __ATOMIC_SEQ_CST))
		hrt_halt_forever(); /* another CPU is already reporting */
	if (hrt_hvm_mode && hrt_shm) {
		__atomic_store_n(&hrt_shm->hrt_state, HVM_HRT_CRASHED,
				 __ATOMIC_RELEASE);
		hrt_doorbell(HVM_VEC_HRT_STATE);
	}
	/* Stop the other cores so they cannot scribble on the evidence. */
	for (i = 0; i < hrt_ncpus; i++)
		if (hrt_cpus[i].online && &hrt_cpus[i] != hrt_this_cpu())
			hrt_apic_send_ipi(hrt_cpus[i].apic_id, HRT_VEC_STOP);
	hrt_printf("hrt: crashed, halting\n");
	hrt_exit(HRT_EXIT_CRASH);
}

void hrt_health_ready(void)
{
	hrt_shm->hrt_ready_tsc = hrt_rdtsc();
	hrt_ready = true;
	__atomic_store_n(&hrt_shm->hrt_state, HVM_HRT_READY, __ATOMIC_RELEASE);
	hrt_doorbell(HVM_VEC_HRT_STATE);
}

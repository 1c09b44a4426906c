/* smp.c - per-CPU records and AP start-up with INIT-SIPI-SIPI through the trampoline page. */
#include "smp.h"
#include "apic.h"
#include "boot.h"
#include "buddy.h"
#include "fpu.h"
#include "gdt.h"
#include "idt.h"
#include "log.h"
#include "mm.h"
#include "string.h"
#include "thread.h"
#include "timer.h"
#include "x86.h"

struct hrt_cpu hrt_cpus[HRT_MAX_CPUS];
u32 hrt_ncpus = 1;
volatile u32 hrt_online_cpus;

/* Read by hrt_ap_entry64 (entry.S) for the AP being started; one at a time. */
u64 hrt_ap_boot_stack;
u64 hrt_ap_boot_cpu;

extern char hrt_tramp_start[], hrt_tramp_end[], hrt_tramp_32[];
extern char hrt_tramp_64[], hrt_tramp_gdt[], hrt_tramp_gdtr[];
extern char hrt_tramp_far32[], hrt_tramp_far64[], hrt_tramp_cr3[];
extern char hrt_tramp_cr3_64[];
extern char hrt_tramp_efer[], hrt_tramp_entry[];
extern char hrt_ap_entry64[];

static void hrt_stop_ipi(struct hrt_regs *r)
{
	(void)r;
	hrt_halt_forever();
}

static void hrt_resched_ipi(struct hrt_regs *r)
{
	/* hrt_irq's exit path reschedules when the queue has work. */
	(void)r;
	hrt_this_cpu()->ipi_count++;
}

/* Runs on the BSP: memory for c's IST stacks and IDT. */
static int hrt_cpu_alloc(struct hrt_cpu *c)
{
	int i;

	for (i = 0; i < 5; i++) {
		c->ist[i] = hrt_pages_alloc(1); /* HRT_IST_STACK = 2 pages */
		if (!c->ist[i])
			return -ENOMEM;
	}
	c->idt = hrt_pages_zalloc(0);
	return c->idt ? 0 : -ENOMEM;
}

/* Runs on the CPU itself. */
void hrt_cpu_setup_percpu(struct hrt_cpu *c)
{
	c->self = c;
	hrt_wrmsr(MSR_GS_BASE, (u64)c);
	hrt_gdt_init_cpu(c);
	/* gs selector reload in gdt init cleared nothing: the base is in the MSR. */
	hrt_wrmsr(MSR_GS_BASE, (u64)c);
	hrt_idt_init_cpu();
}

void hrt_smp_init_bsp(void)
{
	struct hrt_cpu *c = &hrt_cpus[0];
	u32 i;

	hrt_ncpus = hrt_bootinfo->ncpus;
	for (i = 0; i < hrt_ncpus; i++) {
		hrt_cpus[i].id = i;
		hrt_cpus[i].apic_id = hrt_bootinfo->apic_ids[i];
	}
	if (hrt_cpu_alloc(c))
		hrt_panic("no memory for CPU 0\n");
	hrt_cpu_setup_percpu(c);
	hrt_apic_init_cpu();
	hrt_irq_register(HRT_VEC_RESCHED, hrt_resched_ipi);
	hrt_irq_register(HRT_VEC_STOP, hrt_stop_ipi);
	c->online = true;
	hrt_online_cpus = 1;
}

__noreturn void hrt_ap_main(struct hrt_cpu *c)
{
	hrt_cpu_setup_percpu(c);
	hrt_mm_init_cpu();
	hrt_apic_init_cpu();
	hrt_fpu_init_cpu();
	hrt_sched_init_cpu();
	hrt_timer_init_cpu();
	__atomic_add_fetch(&hrt_online_cpus, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
	hrt_sti();
	hrt_idle_loop();
}

static void hrt_tramp_patch32(char *page, char *field, u64 v)
{
	*(u32 *)(page + (field - hrt_tramp_start)) = (u32)v;
}

bool hrt_smp_boot_aps(u64 tramp_phys, u64 low_cr3, u64 cr3)
{
	char *page = hrt_phys_to_virt(tramp_phys);
	u64 efer = hrt_rdmsr(MSR_EFER) & (EFER_NXE | (1u << 8));
	bool all = true;
	u32 i;

	if (hrt_ncpus < 2)
		return true;
	/* The trampoline loads low_cr3 while still in 32-bit mode. */
	if ((low_cr3 >> 32) || (low_cr3 & 0xfff) || !low_cr3) {
		hrt_printf("hrt: no page tables below 4 GiB for the AP "
			   "trampoline (cr3 %lx): cannot start APs\n", low_cr3);
		return false;
	}
	memcpy(page, hrt_tramp_start, hrt_tramp_end - hrt_tramp_start);
	hrt_tramp_patch32(page, hrt_tramp_gdtr + 2,
			  tramp_phys + (hrt_tramp_gdt - hrt_tramp_start));
	hrt_tramp_patch32(page, hrt_tramp_far32,
			  tramp_phys + (hrt_tramp_32 - hrt_tramp_start));
	hrt_tramp_patch32(page, hrt_tramp_far64,
			  tramp_phys + (hrt_tramp_64 - hrt_tramp_start));
	hrt_tramp_patch32(page, hrt_tramp_cr3, low_cr3);
	hrt_tramp_patch32(page, hrt_tramp_efer, efer | (1u << 8));
	*(u64 *)(page + (hrt_tramp_cr3_64 - hrt_tramp_start)) = cr3;
	*(u64 *)(page + (hrt_tramp_entry - hrt_tramp_start)) =
		(u64)hrt_ap_entry64;

	for (i = 1; i < hrt_ncpus; i++) {
		struct hrt_cpu *c = &hrt_cpus[i];
		void *stack = hrt_pages_alloc(2);
		u64 t0;

		if (!stack || hrt_cpu_alloc(c)) {
			hrt_printf("hrt: no memory for cpu %u\n", i);
			all = false;
			break;
		}
		c->idle = NULL;
		hrt_ap_boot_stack = (u64)stack + HRT_THREAD_STACK_SIZE;
		hrt_ap_boot_cpu = (u64)c;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		/* The classic sequence: INIT, 10 ms, SIPI, 200 us, SIPI. */
		hrt_apic_send_init(c->apic_id);
		hrt_udelay(10000);
		hrt_apic_send_sipi(c->apic_id, tramp_phys >> 12);
		hrt_udelay(200);
		if (!READ_ONCE(c->online))
			hrt_apic_send_sipi(c->apic_id, tramp_phys >> 12);
		t0 = hrt_rdtsc();
		while (!__atomic_load_n(&c->online, __ATOMIC_ACQUIRE) &&
		       hrt_rdtsc() - t0 < hrt_tsc_khz * 2000)
			hrt_pause();
		if (!c->online) {
			hrt_printf("hrt: cpu %u (APIC %u) did not start\n", i,
				   c->apic_id);
			/*
			 * It may still be in the trampoline: stop it, so it
			 * cannot wake up later on tables we hand out, and
			 * do not reuse the hand-off variables for another.
			 */
			hrt_apic_send_init(c->apic_id);
			all = false;
			break;
		}
	}
	return all;
}

// SPDX-License-Identifier: MIT
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
extern char hrt_tramp_gs[], hrt_tramp_gdtr64[], hrt_tramp_idtr64[];
extern char hrt_ap_entry64[];
/* The reference copy of the same code (trampoline.S). */
extern char hrt_tramp_ref_start[], hrt_tramp_ref_end[], hrt_tramp_ref_32[];
extern char hrt_tramp_ref_64[], hrt_tramp_ref_gdt[], hrt_tramp_ref_gdtr[];
extern char hrt_tramp_ref_far32[], hrt_tramp_ref_far64[], hrt_tramp_ref_cr3[];
extern char hrt_tramp_ref_cr3_64[], hrt_tramp_ref_efer[];
extern char hrt_tramp_ref_entry[], hrt_tramp_ref_gs[];
extern char hrt_tramp_ref_gdtr64[], hrt_tramp_ref_idtr64[];

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

/* CPU 0's IST stacks: it sets up before there is a page allocator. */
static u8 hrt_cpu0_ist[5][HRT_IST_STACK] __aligned(16);

/* Runs on the BSP: memory for c's IST stacks. */
static int hrt_cpu_alloc(struct hrt_cpu *c)
{
	int i;

	for (i = 0; i < 5; i++) {
		c->ist[i] = hrt_pages_alloc(1); /* HRT_IST_STACK = 2 pages */
		if (!c->ist[i])
			return -ENOMEM;
	}
	return 0;
}

/* Runs on the CPU itself. */
void hrt_cpu_setup_percpu(struct hrt_cpu *c)
{
	c->self = c;
	hrt_wrmsr(MSR_GS_BASE, (u64)c);
	hrt_gdt_load(c);
	/* gs selector reload in gdt init cleared nothing: the base is in the MSR. */
	hrt_wrmsr(MSR_GS_BASE, (u64)c);
	hrt_idt_init_cpu();
}

void hrt_smp_early_bsp(void)
{
	struct hrt_cpu *c = &hrt_cpus[0];
	int i;

	for (i = 0; i < 5; i++)
		c->ist[i] = hrt_cpu0_ist[i];
	hrt_idt_init();
	hrt_gdt_fill(c);
	hrt_cpu_setup_percpu(c);
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
	/* GDT, TSS and IDT: hrt_smp_early_bsp. */
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

/* A descriptor-table register image (limit, base) at field. */
static void hrt_tramp_patch_dtr(char *page, char *field, u16 limit, u64 base)
{
	char *p = page + (field - hrt_tramp_start);

	memcpy(p, &limit, sizeof(limit));
	memcpy(p + 2, &base, sizeof(base));
}

/* Puts v (n bytes) at the reference field's offset in buf. */
static void hrt_tramp_want(char *buf, const char *ref_field, u64 v, u32 n)
{
	memcpy(buf + (ref_field - hrt_tramp_ref_start), &v, n);
}

/*
 * An AP runs the page before it has an IDT, so a fault there is a triple
 * fault that resets the whole VM.  Check it by other means than wrote it:
 * the reference copy of the code with each field computed again must
 * equal the page byte for byte.  A corrupted image fails here and the AP
 * is not started.
 */
static bool hrt_tramp_ok(const char *page, u64 tp, u64 low_cr3, u64 cr3,
			 u64 efer, struct hrt_cpu *c)
{
	u64 len = hrt_tramp_ref_end - hrt_tramp_ref_start, base;
	char want[512];
	u16 lim;

	if (len > sizeof(want) || len != (u64)(hrt_tramp_end - hrt_tramp_start))
		return false;
	memcpy(want, hrt_tramp_ref_start, len);
	hrt_tramp_want(want, hrt_tramp_ref_gdtr + 2,
		       tp + (hrt_tramp_ref_gdt - hrt_tramp_ref_start), 4);
	hrt_tramp_want(want, hrt_tramp_ref_far32,
		       tp + (hrt_tramp_ref_32 - hrt_tramp_ref_start), 4);
	hrt_tramp_want(want, hrt_tramp_ref_far64,
		       tp + (hrt_tramp_ref_64 - hrt_tramp_ref_start), 4);
	hrt_tramp_want(want, hrt_tramp_ref_cr3, low_cr3, 4);
	hrt_tramp_want(want, hrt_tramp_ref_efer, efer, 4);
	hrt_tramp_want(want, hrt_tramp_ref_cr3_64, cr3, 8);
	hrt_tramp_want(want, hrt_tramp_ref_entry, (u64)hrt_ap_entry64, 8);
	hrt_tramp_want(want, hrt_tramp_ref_gs, (u64)c, 8);
	base = (u64)hrt_gdt_of(c, &lim);
	hrt_tramp_want(want, hrt_tramp_ref_gdtr64, lim, 2);
	hrt_tramp_want(want, hrt_tramp_ref_gdtr64 + 2, base, 8);
	hrt_idt_desc(&lim, &base);
	hrt_tramp_want(want, hrt_tramp_ref_idtr64, lim, 2);
	hrt_tramp_want(want, hrt_tramp_ref_idtr64 + 2, base, 8);
	return !memcmp(page, want, len);
}

bool hrt_smp_boot_aps(u64 tramp_phys, u64 low_cr3, u64 cr3)
{
	char *page = hrt_phys_to_virt(tramp_phys);
	u64 efer = hrt_rdmsr(MSR_EFER) & (EFER_NXE | (1u << 8)), base;
	bool all = true;
	u16 lim;
	u32 i;

	if (hrt_ncpus < 2)
		return true;
	/* The trampoline loads low_cr3 while still in 32-bit mode. */
	if ((low_cr3 >> 32) || (low_cr3 & 0xfff) || !low_cr3) {
		hrt_printf(
			"hrt: no page tables below 4 GiB for the AP trampoline (cr3 %lx): cannot start APs\n",
			low_cr3);
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
		/* Its GDT and TSS, which the trampoline loads. */
		hrt_gdt_fill(c);
		hrt_tramp_patch32(page, hrt_tramp_gs, (u64)c);
		hrt_tramp_patch32(page, hrt_tramp_gs + 4, (u64)c >> 32);
		base = (u64)hrt_gdt_of(c, &lim);
		hrt_tramp_patch_dtr(page, hrt_tramp_gdtr64, lim, base);
		hrt_idt_desc(&lim, &base);
		hrt_tramp_patch_dtr(page, hrt_tramp_idtr64, lim, base);
		if (!hrt_gdt_tss_ok(c) ||
		    !hrt_tramp_ok(page, tramp_phys, low_cr3, cr3,
				  efer | (1u << 8), c)) {
			hrt_printf(
				"hrt: cpu %u not started: its TSS or start-up code is wrong\n",
				i);
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

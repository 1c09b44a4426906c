// SPDX-License-Identifier: MIT
/* gdt.c - per-CPU GDT with a 64-bit TSS whose IST slots hold the interrupt stacks; both read-only once loaded. */
#include "gdt.h"
#include "mm.h"
#include "smp.h"
#include "string.h"
#include "x86.h"

/* 64-bit code and data, DPL0, accessed */
#define HRT_GDT_CODE64 0x00af9b000000ffffull
#define HRT_GDT_DATA   0x00cf93000000ffffull

/*
 * Per CPU: GDT and TSS.  They sit in .bss.hrt_prot, pages that every
 * mapping shows read-only (mm.c), so a stray write from offloaded code
 * faults instead of breaking the next interrupt; the CPU writes them only
 * here, with CR0.WP off.
 */
struct hrt_cpu_tables {
	u64 gdt[7];
	struct hvm_tss64 tss __aligned(16);
};

static struct hrt_cpu_tables
	hrt_cpu_tables[HRT_MAX_CPUS] __section(".bss.hrt_prot") __aligned(16);

void hrt_gdt_fill(struct hrt_cpu *c)
{
	struct hrt_cpu_tables *t = &hrt_cpu_tables[c->id];
	u64 tss = (u64)&t->tss;
	u64 lim = sizeof(t->tss) - 1;
	struct hrt_wp wp;
	int i;

	wp = hrt_wp_begin();
	memset(&t->tss, 0, sizeof(t->tss));
	for (i = 0; i < 5; i++)
		t->tss.ist[i] = (u64)c->ist[i] + HRT_IST_STACK;
	/* No I/O bitmap: base past the limit. */
	t->tss.iomap_base = sizeof(t->tss);

	/*
	 * Accessed bits preset: loading a selector whose descriptor lacks it
	 * makes the CPU write the GDT, which faults once it is read-only.
	 */
	t->gdt[0] = 0;
	t->gdt[1] = HRT_GDT_CODE64;
	t->gdt[2] = HRT_GDT_DATA;
	/* 16-byte available 64-bit TSS descriptor (type 9; ltr makes it busy). */
	t->gdt[3] = (lim & 0xffff) | ((tss & 0xffffff) << 16) |
		    (0x89ull << 40) | (((lim >> 16) & 0xf) << 48) |
		    (((tss >> 24) & 0xff) << 56);
	t->gdt[4] = tss >> 32;
	t->gdt[5] = 0;
	t->gdt[6] = 0;
	hrt_wp_end(wp);
}

u64 *hrt_gdt_of(struct hrt_cpu *c, u16 *limit)
{
	*limit = sizeof(hrt_cpu_tables[0].gdt) - 1;
	return hrt_cpu_tables[c->id].gdt;
}

bool hrt_gdt_tss_ok(struct hrt_cpu *c)
{
	const struct hrt_cpu_tables *t = &hrt_cpu_tables[c->id];
	const struct hvm_tss64 *tss = &t->tss;
	u64 base, lim;
	int i;

	/* The descriptors as hrt_gdt_fill wrote them; the TSS's may be busy. */
	base = ((t->gdt[3] >> 16) & 0xffffff) | ((t->gdt[3] >> 56) << 24) |
	       (t->gdt[4] << 32);
	lim = (t->gdt[3] & 0xffff) | (((t->gdt[3] >> 48) & 0xf) << 16);
	if (t->gdt[0] || t->gdt[1] != HRT_GDT_CODE64 ||
	    t->gdt[2] != HRT_GDT_DATA || base != (u64)tss ||
	    lim != sizeof(*tss) - 1 || ((t->gdt[3] >> 40) & 0xfd) != 0x89)
		return false;
	for (i = 0; i < 5; i++) {
		u64 top = tss->ist[i], e = hrt_mm_lookup(top - 8, NULL);

		if (!top || (top & 15) ||
		    (e & (PTE_P | PTE_W)) != (PTE_P | PTE_W))
			return false;
	}
	return true;
}

void hrt_gdt_load(struct hrt_cpu *c)
{
	struct hvm_dtr d;
	struct hrt_wp wp;
	u16 tr, lim;

	d.base = (u64)hrt_gdt_of(c, &lim);
	d.limit = lim;
	/*
	 * A wrong or empty GDT breaks the next exception's delivery: a triple
	 * fault.  Fault now instead, while the loaded one can report it.
	 */
	if (d.base < (u64)hrt_prot_start || d.base + lim >= (u64)hrt_prot_end ||
	    d.base != (u64)hrt_cpu_tables[c->id].gdt || !hrt_gdt_tss_ok(c))
		__builtin_trap();
	__asm__ volatile("lgdt %0\n\t"
			 "mov %1, %%ds\n\t"
			 "mov %1, %%es\n\t"
			 "mov %1, %%ss\n\t"
			 "pushq %2\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:"
			 :
			 : "m"(d), "r"((u64)HRT_KDATA), "i"(HRT_KCODE)
			 : "rax", "memory");
	/* An AP's trampoline loaded TR already (smp.c). */
	__asm__ volatile("str %0" : "=r"(tr));
	if (tr != HRT_TSS_SEL) {
		wp = hrt_wp_begin(); /* ltr marks the descriptor busy */
		__asm__ volatile("ltr %w0" ::"r"((u64)HRT_TSS_SEL) : "memory");
		hrt_wp_end(wp);
	}
	/* fs/gs selectors stay null; their bases come from the MSRs. */
}

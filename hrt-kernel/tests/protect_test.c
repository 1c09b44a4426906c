// SPDX-License-Identifier: MIT
/* protect_test.c - the kernel's IDT, GDT, TSS, page tables, text and rodata are read-only to ring 0 too. */
#include "mm.h"
#include "selftest.h"
#include "thread.h"
#include "x86.h"

struct hrt_dt {
	u16 limit;
	u64 base;
} __packed;

/* Rewrites one byte with its own value: harmless if it ever succeeds. */
static long hrt_poke(void *arg)
{
	volatile u8 *p = arg;

	*p = *p;
	return 0;
}

/* A write to va from an isolated thread must end it with a write #PF at va. */
static int hrt_expect_ro(u64 va)
{
	struct hrt_thread *t = hrt_thread_create(hrt_poke, (void *)va, "poke",
						 HRT_ANY_CPU,
						 HRT_THREAD_ISOLATE_FAULTS);
	u64 e;

	if (!t)
		return 0;
	while (!READ_ONCE(t->exited))
		hrt_thread_yield();
	e = t->faulted && t->fault_vector == 14 && t->fault_addr == va;
	hrt_thread_join(t);
	/* And the mapping says so. */
	return e && !(hrt_mm_lookup(va, NULL) & PTE_W);
}

/* The direct-map alias of kernel address va. */
static u64 hrt_alias(u64 va)
{
	u64 pa = 0;

	return hrt_mm_lookup(va, &pa) ? HRT_DIRECT_MAP + pa : 0;
}

HRT_TEST(kernel_tables_read_only)
{
	struct hrt_dt idt, gdt;
	u64 *g, tss, cr3 = hrt_read_cr3() & PTE_ADDR;
	u16 tr;

	__asm__ volatile("sidt %0; sgdt %1; str %2"
			 : "=m"(idt), "=m"(gdt), "=r"(tr));
	g = (u64 *)gdt.base;
	tss = ((g[tr / 8] >> 16) & 0xffffff) | ((g[tr / 8] >> 56) << 24) |
	      (g[tr / 8 + 1] << 32);
	HRT_EXPECT(hrt_read_cr0() & CR0_WP);
	HRT_EXPECT(hrt_expect_ro(idt.base + 8 * 16));
	HRT_EXPECT(hrt_expect_ro(hrt_alias(idt.base)));
	HRT_EXPECT(hrt_expect_ro(gdt.base + 8));
	HRT_EXPECT(hrt_expect_ro(tss + 4));
	HRT_EXPECT(hrt_expect_ro(hrt_alias(tss)));
	/* The live root (kernel or a context's) and a table under it. */
	HRT_EXPECT(hrt_expect_ro(HRT_DIRECT_MAP + cr3 + HVM_IMAGE_PML4 * 8));
	HRT_EXPECT(hrt_expect_ro(
		HRT_DIRECT_MAP +
		(((u64 *)(HRT_DIRECT_MAP + cr3))[HVM_IMAGE_PML4] & PTE_ADDR)));
	/* Text and rodata, at their link address and in the direct map. */
	HRT_EXPECT(hrt_expect_ro((u64)hrt_poke));
	HRT_EXPECT(hrt_expect_ro(hrt_alias((u64)hrt_poke)));
	HRT_EXPECT(hrt_expect_ro(hrt_alias((u64)hrt_rodata_end - 1)));
	/* Ordinary data stays writable. */
	HRT_EXPECT(hrt_mm_lookup((u64)&hrt_kernel_cr3, NULL) & PTE_W);
	HRT_EXPECT(hrt_mm_lookup(hrt_alias((u64)&hrt_kernel_cr3), NULL) &
		   PTE_W);
	return 0;
}

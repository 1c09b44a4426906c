/* mm.c - builds the kernel's own page tables: higher-half image, direct map, empty lower half. */
#include "mm.h"
#include "buddy.h"
#include "log.h"
#include "string.h"
#include "x86.h"

u64 hrt_kernel_phys = HRT_LINK_PHYS;
u64 hrt_kernel_cr3;
u64 hrt_direct_map_bytes;
static u64 *hrt_pml4;
static bool hrt_have_gbpages;

/*
 * Uncached MMIO window (doorbell registers): one preallocated page table,
 * slots filled once and never changed, so mapping needs neither memory nor
 * a lock nor a TLB shootdown and works in interrupt and crash context.
 */
static u64 *hrt_mmio_pt;
static u64 hrt_mmio_key[HRT_MMIO_SLOTS]; /* page | 1 once the slot is live */
static u32 hrt_mmio_used;

#define PML4_IDX(va) (((va) >> 39) & 511)
#define PDPT_IDX(va) (((va) >> 30) & 511)
#define PD_IDX(va) (((va) >> 21) & 511)
#define PT_IDX(va) (((va) >> 12) & 511)

/* Returns the next-level table under *e, allocating it when absent. */
static u64 *hrt_mm_next(u64 *e)
{
	u64 *t;

	if (*e & PTE_P)
		return hrt_phys_to_virt(*e & PTE_ADDR);
	t = hrt_pages_zalloc(0);
	if (!t)
		return NULL;
	/* Intermediate levels permissive: the leaf decides W and NX. */
	*e = hrt_virt_to_phys(t) | PTE_P | PTE_W;
	return t;
}

static int hrt_mm_map_4k(u64 va, u64 pa, u64 flags)
{
	u64 *pdpt, *pd, *pt;

	pdpt = hrt_mm_next(&hrt_pml4[PML4_IDX(va)]);
	pd = pdpt ? hrt_mm_next(&pdpt[PDPT_IDX(va)]) : NULL;
	pt = pd ? hrt_mm_next(&pd[PD_IDX(va)]) : NULL;
	if (!pt)
		return -ENOMEM;
	pt[PT_IDX(va)] = pa | flags;
	return 0;
}

static int hrt_mm_map_direct(u64 top)
{
	u64 pa, flags = PTE_P | PTE_W | PTE_G | PTE_NX;

	for (pa = 0; pa < top;) {
		u64 va = HRT_DIRECT_MAP + pa;
		u64 *pdpt = hrt_mm_next(&hrt_pml4[PML4_IDX(va)]);
		u64 *pd;

		if (!pdpt)
			return -ENOMEM;
		if (hrt_have_gbpages) {
			pdpt[PDPT_IDX(va)] = pa | flags | PTE_PS;
			pa += 1ull << 30;
			continue;
		}
		pd = hrt_mm_next(&pdpt[PDPT_IDX(va)]);
		if (!pd)
			return -ENOMEM;
		pd[PD_IDX(va)] = pa | flags | PTE_PS;
		pa += 2ull << 20;
	}
	return 0;
}

int hrt_mm_init(u64 top)
{
	u64 va, start = (u64)hrt_image_start;
	u32 a, b, c, d;
	int r;

	hrt_cpuid(0x80000001, 0, &a, &b, &c, &d);
	hrt_have_gbpages = d & (1u << 26);
	hrt_pml4 = hrt_pages_zalloc(0);
	if (!hrt_pml4)
		return -ENOMEM;
	/* Whole GiBs: covers MMIO below 4 GiB (LAPIC) as well as RAM. */
	top = ALIGN_UP(MAX(top, 4ull << 30), 1ull << 30);
	hrt_direct_map_bytes = top;
	r = hrt_mm_map_direct(top);
	if (r)
		return r;
	/*
	 * The image in 4 KiB pages: in HVM mode the load address is only 2 MiB
	 * aligned while the link address sits 1 MiB into a 2 MiB page, so large
	 * pages cannot line up.  Text RX, rodata R, data/bss/symtab RW+NX.
	 */
	for (va = start; va < (u64)hrt_image_end; va += PAGE_SIZE) {
		u64 fl = PTE_P | PTE_G;

		if (va >= (u64)hrt_text_end)
			fl |= PTE_NX;
		if (va >= (u64)hrt_rodata_end)
			fl |= PTE_W;
		r = hrt_mm_map_4k(va, hrt_virt_to_phys((void *)va), fl);
		if (r)
			return r;
	}
	/* The boot stack etc. live in .bss, which is inside the image range. */
	{
		u64 *pdpt = hrt_mm_next(&hrt_pml4[PML4_IDX(HRT_MMIO_BASE)]);
		u64 *pd = pdpt ? hrt_mm_next(&pdpt[PDPT_IDX(HRT_MMIO_BASE)]) :
				 NULL;

		hrt_mmio_pt = pd ? hrt_mm_next(&pd[PD_IDX(HRT_MMIO_BASE)]) :
				   NULL;
		if (!hrt_mmio_pt)
			return -ENOMEM;
	}
	hrt_kernel_cr3 = hrt_virt_to_phys(hrt_pml4);
	hrt_mm_init_cpu();
	return 0;
}

void *hrt_mm_map_uc(u64 phys)
{
	u64 page = phys & ~(u64)(PAGE_SIZE - 1), key = page | 1;
	u32 i, n;

	if (!hrt_mmio_pt || (page & ~PTE_ADDR))
		return NULL;
	n = MIN(__atomic_load_n(&hrt_mmio_used, __ATOMIC_ACQUIRE),
		(u32)HRT_MMIO_SLOTS);
	for (i = 0; i < n; i++)
		if (__atomic_load_n(&hrt_mmio_key[i], __ATOMIC_ACQUIRE) == key)
			goto found;
	/* Two CPUs racing for the same page may both take a slot: harmless. */
	i = __atomic_fetch_add(&hrt_mmio_used, 1, __ATOMIC_SEQ_CST);
	if (i >= HRT_MMIO_SLOTS)
		return NULL;
	/* PCD|PWT = PAT entry 3, UC with the reset PAT we never change. */
	hrt_mmio_pt[i] = page | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_G |
			 PTE_NX;
	__atomic_store_n(&hrt_mmio_key[i], key, __ATOMIC_RELEASE);
found:
	return (void *)(HRT_MMIO_BASE + (u64)i * PAGE_SIZE +
			(phys & (PAGE_SIZE - 1)));
}

void hrt_mm_init_cpu(void)
{
	/* NX bits in our tables fault as reserved unless EFER.NXE is set first. */
	hrt_wrmsr(MSR_EFER, hrt_rdmsr(MSR_EFER) | EFER_NXE);
	/* Ring-0 user code later: SMEP/SMAP/PKE off; PGE for global kernel pages. */
	hrt_write_cr4((hrt_read_cr4() & ~(CR4_SMEP | CR4_SMAP | CR4_PKE)) |
		      CR4_PGE);
	hrt_write_cr3(hrt_kernel_cr3);
	hrt_write_cr0(hrt_read_cr0() | CR0_WP);
}

u64 hrt_mm_lookup(u64 va, u64 *phys)
{
	u64 *t = hrt_phys_to_virt(hrt_read_cr3() & PTE_ADDR);
	int shift;

	for (shift = 39; shift >= 12; shift -= 9) {
		u64 e = t[(va >> shift) & 511];

		if (!(e & PTE_P))
			return 0;
		if (shift == 12 || (e & PTE_PS)) {
			if (phys)
				*phys = (e & PTE_ADDR & ~((1ull << shift) - 1)) |
					(va & ((1ull << shift) - 1));
			return e;
		}
		t = hrt_phys_to_virt(e & PTE_ADDR);
	}
	return 0;
}

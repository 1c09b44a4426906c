// SPDX-License-Identifier: MIT
/* mm.c - builds the kernel's own page tables: higher-half image, direct map, empty lower half; its tables read-only. */
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

/*
 * Page-table arena: a run of pages set aside before the page allocator
 * took the rest, zeroed, handed out by a bump pointer.  Every page table
 * of the kernel and every context root (uctx.c) comes from here, and the
 * direct map shows the whole run read-only, so the tables have no
 * writable alias at all.
 */
static u64 hrt_arena_phys;
static u32 hrt_arena_pages;
static u32 hrt_arena_used;
static bool hrt_arena_full_said;

#define PML4_IDX(va) HVM_PML4_INDEX(va)
#define PDPT_IDX(va) (((va) >> 30) & 511)
#define PD_IDX(va)   (((va) >> 21) & 511)
#define PT_IDX(va)   (((va) >> 12) & 511)

static void hrt_mm_probe(void)
{
	u32 a, b, c, d;

	hrt_cpuid(0x80000001, 0, &a, &b, &c, &d);
	hrt_have_gbpages = d & (1u << 26);
}

/* Out of line: the fewer CR0 writes in the text, the better (boot.c). */
struct hrt_wp hrt_wp_begin(void)
{
	struct hrt_wp s;
	u64 cr0;

	s.flags = hrt_irq_save();
	cr0 = hrt_read_cr0();
	s.was_on = cr0 & CR0_WP;
	if (s.was_on)
		hrt_write_cr0(cr0 & ~CR0_WP);
	return s;
}

void hrt_wp_end(struct hrt_wp s)
{
	if (s.was_on)
		hrt_write_cr0(hrt_read_cr0() | CR0_WP);
	hrt_irq_restore(s.flags);
}

u64 hrt_mm_arena_bytes(u64 top)
{
	u64 image = (u64)(hrt_image_end - hrt_image_start), n;

	hrt_mm_probe();
	top = ALIGN_UP(MAX(top, 4ull << 30), 1ull << 30);
	n = 1 + (top >> 39) + 1; /* PML4, direct-map PDPTs */
	if (!hrt_have_gbpages)
		n += top >> 30;	    /* direct-map PDs */
	n += 2 + (image >> 21) + 2; /* image: PDPT, PD, PTs */
	n += 3;			    /* MMIO window */
	/* Read-only aliases: a PD per GiB, a PT per 2 MiB the image touches. */
	n += 2 + (image >> 21) + 2;
	n += HVM_CTX_MAX; /* context roots */
	/* The arena's own alias: ditto, for its 2 MiB pages. */
	n += 2 + ((n * PAGE_SIZE) >> 21) + 4;
	return n * PAGE_SIZE;
}

void *hrt_mm_table_alloc(void)
{
	u32 i = __atomic_fetch_add(&hrt_arena_used, 1, __ATOMIC_RELAXED);

	if (i < hrt_arena_pages)
		return hrt_phys_to_virt(hrt_arena_phys + (u64)i * PAGE_SIZE);
	if (!__atomic_exchange_n(&hrt_arena_full_said, true, __ATOMIC_RELAXED))
		hrt_printf(
			"hrt: page-table arena of %u pages used up: later tables are not write-protected\n",
			hrt_arena_pages);
	return hrt_pages_zalloc(0);
}

/* Returns the next-level table under *e, allocating it when absent. */
static u64 *hrt_mm_next(u64 *e)
{
	u64 *t;

	if (*e & PTE_P)
		return hrt_phys_to_virt(*e & PTE_ADDR);
	t = hrt_mm_table_alloc();
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

/*
 * Replaces the large page at *e (size bytes) by a table of 512 entries of
 * the next size with the same flags; returns the table.
 */
static u64 *hrt_mm_split(u64 *e, u64 size)
{
	u64 *t = hrt_mm_table_alloc(), sub = size / 512, fl, base;
	int i;

	if (!t)
		return NULL;
	base = *e & PTE_ADDR & ~(size - 1);
	fl = *e & ~PTE_ADDR;
	if (sub == PAGE_SIZE)
		fl &= ~PTE_PS; /* bit 7 of a 4 KiB entry is PAT */
	for (i = 0; i < 512; i++)
		t[i] = (base + (u64)i * sub) | fl;
	*e = hrt_virt_to_phys(t) | PTE_P | PTE_W;
	return t;
}

/* Makes the direct map's page for physical pa read-only (4 KiB pages). */
static int hrt_mm_direct_ro(u64 pa)
{
	u64 va = HRT_DIRECT_MAP + pa, *t = hrt_pml4, *e;
	int shift;

	for (shift = 39; shift > 12; shift -= 9) {
		e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P))
			return -ENOENT;
		if (*e & PTE_PS)
			t = hrt_mm_split(e, 1ull << shift);
		else
			t = hrt_phys_to_virt(*e & PTE_ADDR);
		if (!t)
			return -ENOMEM;
	}
	t[PT_IDX(va)] &= ~PTE_W;
	return 0;
}

/*
 * The image's page at va: text RX; rodata, the protected tables
 * (IDT, GDTs, TSSs) and the symbol table R; data and bss RW; only text
 * executable.
 */
static u64 hrt_mm_image_flags(u64 va)
{
	u64 fl = PTE_P | PTE_G;

	if (va >= (u64)hrt_text_end)
		fl |= PTE_NX;
	if (va >= (u64)hrt_rodata_end && va < (u64)hrt_bss_end &&
	    (va < (u64)hrt_prot_start || va >= (u64)hrt_prot_end))
		fl |= PTE_W;
	return fl;
}

/*
 * Loading the new root moves the IDT, GDT, TSS, stacks and handlers with
 * it, so a table that does not map them turns the next exception into a
 * triple fault, which resets the whole VM.  Check what the switch needs
 * while a fault can still be reported: the whole image as hrt.ld links it
 * (the boot stack, CPU 0's IST stacks, the tables and handlers are in it),
 * the arena and the first page of HRT memory after it, read-only where
 * they must be.
 */
static int hrt_mm_verify(u64 root, u64 arena_phys, u64 arena_bytes)
{
	u64 va, pa, e, want;

	for (va = (u64)hrt_image_start; va < (u64)hrt_image_end;
	     va += PAGE_SIZE) {
		want = hrt_mm_image_flags(va);
		pa = ~0ull;
		e = hrt_mm_walk(root, va, &pa);
		if (pa != hrt_virt_to_phys((void *)va) ||
		    (e & (PTE_P | PTE_W | PTE_NX)) !=
			    (want & (PTE_P | PTE_W | PTE_NX)))
			goto bad;
		e = hrt_mm_walk(root, HRT_DIRECT_MAP + pa, &pa);
		if (!(e & PTE_P) || pa != hrt_virt_to_phys((void *)va) ||
		    ((e & PTE_W) && !(want & PTE_W)))
			goto bad;
	}
	for (pa = arena_phys; pa <= arena_phys + arena_bytes; pa += PAGE_SIZE) {
		va = HRT_DIRECT_MAP + pa;
		want = ~0ull;
		e = hrt_mm_walk(root, va, &want);
		if (!(e & PTE_P) || want != pa ||
		    ((e & PTE_W) != 0) != (pa == arena_phys + arena_bytes))
			goto bad;
	}
	return 0;
bad:
	hrt_printf("hrt: new page tables map %lx wrongly (entry %lx)\n", va, e);
	return -EINVAL;
}

int hrt_mm_init(u64 top, u64 arena_phys, u64 arena_bytes)
{
	u64 va, pa, start = (u64)hrt_image_start;
	int r;

	/* Runs on the entry tables, which map all of this writable. */
	hrt_mm_probe();
	hrt_arena_phys = arena_phys;
	hrt_arena_pages = arena_bytes / PAGE_SIZE;
	hrt_arena_used = 0;
	memset(hrt_phys_to_virt(arena_phys), 0, arena_bytes);
	hrt_pml4 = hrt_mm_table_alloc();
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
	 * pages cannot line up.  Its read-only pages are read-only in the
	 * direct map too.
	 */
	for (va = start; va < (u64)hrt_image_end; va += PAGE_SIZE) {
		u64 fl = hrt_mm_image_flags(va);

		pa = hrt_virt_to_phys((void *)va);
		r = hrt_mm_map_4k(va, pa, fl);
		if (!r && !(fl & PTE_W))
			r = hrt_mm_direct_ro(pa);
		if (r)
			return r;
	}
	/* The boot stack etc. live in .bss, which is inside the image range. */
	{
		u64 *pdpt = hrt_mm_next(&hrt_pml4[PML4_IDX(HRT_MMIO_BASE)]);
		u64 *pd = pdpt ? hrt_mm_next(&pdpt[PDPT_IDX(HRT_MMIO_BASE)])
			       : NULL;

		hrt_mmio_pt = pd ? hrt_mm_next(&pd[PD_IDX(HRT_MMIO_BASE)])
				 : NULL;
		if (!hrt_mmio_pt)
			return -ENOMEM;
	}
	/* Last: splitting may take arena pages, all covered here. */
	for (pa = arena_phys; pa < arena_phys + arena_bytes; pa += PAGE_SIZE) {
		r = hrt_mm_direct_ro(pa);
		if (r)
			return r;
	}
	if (hrt_arena_used > hrt_arena_pages)
		return -ENOMEM; /* a table outside the arena: not protected */
	r = hrt_mm_verify(hrt_virt_to_phys(hrt_pml4), arena_phys, arena_bytes);
	if (r)
		return r;
	hrt_kernel_cr3 = hrt_virt_to_phys(hrt_pml4);
	hrt_mm_init_cpu();
	return 0;
}

void *hrt_mm_map_uc(u64 phys)
{
	u64 page = phys & ~(u64)(PAGE_SIZE - 1), key = page | 1;
	struct hrt_wp wp;
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
	wp = hrt_wp_begin();
	hrt_mmio_pt[i] = page | PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_G |
			 PTE_NX;
	hrt_wp_end(wp);
	__atomic_store_n(&hrt_mmio_key[i], key, __ATOMIC_RELEASE);
found:
	return (void *)(HRT_MMIO_BASE + (u64)i * PAGE_SIZE +
			(phys & (PAGE_SIZE - 1)));
}

void hrt_mm_init_cpu(void)
{
	/*
	 * Entered in the middle (a broken image): no CR3 but ours, verified;
	 * fault while the loaded IDT can still report it.
	 */
	if (!hrt_kernel_cr3 || hrt_kernel_cr3 != hrt_arena_phys)
		__builtin_trap();
	/* NX bits in our tables fault as reserved unless EFER.NXE is set first. */
	hrt_wrmsr(MSR_EFER, hrt_rdmsr(MSR_EFER) | EFER_NXE);
	/* Ring-0 user code later: SMEP/SMAP/PKE off; PGE for global kernel pages. */
	hrt_write_cr4((hrt_read_cr4() & ~(CR4_SMEP | CR4_SMAP | CR4_PKE)) |
		      CR4_PGE);
	hrt_write_cr3(hrt_kernel_cr3);
	/* Ring 0 honours read-only pages: the kernel's tables and text. */
	hrt_write_cr0(hrt_read_cr0() | CR0_WP);
}

void hrt_mm_load_root(u64 root)
{
	const u64 *r = hrt_phys_to_virt(root), *k;

	/*
	 * A root that is no table of ours, or lacks the kernel half, makes
	 * the next fault a triple fault: fault here instead (a broken image).
	 */
	k = hrt_phys_to_virt(hrt_kernel_cr3);
	if (!root || (root & ~PTE_ADDR) || r[511] != k[511] ||
	    r[PML4_IDX(HRT_DIRECT_MAP)] != k[PML4_IDX(HRT_DIRECT_MAP)])
		__builtin_trap();
	hrt_write_cr3(root);
}

u64 hrt_mm_lookup(u64 va, u64 *phys)
{
	return hrt_mm_walk(hrt_read_cr3() & PTE_ADDR, va, phys);
}

u64 hrt_mm_walk(u64 root, u64 va, u64 *phys)
{
	u64 *t = hrt_phys_to_virt(root & PTE_ADDR);
	int shift;

	for (shift = 39; shift >= 12; shift -= 9) {
		u64 e = t[(va >> shift) & 511];

		if (!(e & PTE_P))
			return 0;
		if (shift == 12 || (e & PTE_PS)) {
			if (phys)
				*phys = (e & PTE_ADDR &
					 ~((1ull << shift) - 1)) |
					(va & ((1ull << shift) - 1));
			return e;
		}
		t = hrt_phys_to_virt(e & PTE_ADDR);
	}
	return 0;
}

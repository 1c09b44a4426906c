// SPDX-License-Identifier: MIT
/* buddy.c - buddy allocator; free blocks carry their list links in their own memory. */
#include "buddy.h"
#include "log.h"
#include "mm.h"
#include "string.h"

static struct hrt_buddy hrt_zones[HRT_MAX_ZONES];
static int hrt_nzones;

static struct hrt_list *hrt_blk(struct hrt_buddy *b, u64 idx)
{
	return hrt_phys_to_virt(b->base + (idx << PAGE_SHIFT));
}

static void hrt_buddy_push(struct hrt_buddy *b, u64 idx, unsigned int order)
{
	b->meta[idx] = HRT_PG_FREE | order;
	hrt_list_add(hrt_blk(b, idx), &b->free[order]);
	b->nfree[order]++;
}

static void hrt_buddy_unlink(struct hrt_buddy *b, u64 idx, unsigned int order)
{
	hrt_list_del(hrt_blk(b, idx));
	b->meta[idx] = 0;
	b->nfree[order]--;
}

int hrt_buddy_init(struct hrt_buddy *b, u64 phys, u64 bytes)
{
	u64 end = ALIGN_DOWN(phys + bytes, PAGE_SIZE);
	u64 pages, meta_pages, idx, start;
	unsigned int o;

	phys = ALIGN_UP(phys, PAGE_SIZE);
	if (end <= phys + 2 * PAGE_SIZE)
		return -EINVAL;
	pages = (end - phys) >> PAGE_SHIFT;
	/*
	 * One metadata byte per page from the aligned base, carved from the
	 * front of the range (up to HRT_BUDDY_ALIGN / PAGE_SIZE more pages).
	 */
	meta_pages = (pages + HRT_BUDDY_ALIGN / PAGE_SIZE + PAGE_SIZE) >>
		     PAGE_SHIFT;
	if (meta_pages + 2 >= pages)
		return -EINVAL;
	memset(b, 0, sizeof(*b));
	hrt_spin_init(&b->lock);
	b->meta = hrt_phys_to_virt(phys);
	start = phys + (meta_pages << PAGE_SHIFT);
	b->base = ALIGN_DOWN(start, HRT_BUDDY_ALIGN);
	b->skip = (start - b->base) >> PAGE_SHIFT;
	b->npages = (end - b->base) >> PAGE_SHIFT;
	memset(b->meta, 0, b->npages);
	for (o = 0; o <= HRT_MAX_ORDER; o++)
		hrt_list_init(&b->free[o]);
	/* Largest naturally aligned blocks (relative to base) first. */
	for (idx = b->skip; idx < b->npages;) {
		o = HRT_MAX_ORDER;
		while (o && ((idx & ((1ull << o) - 1)) ||
			     idx + (1ull << o) > b->npages))
			o--;
		hrt_buddy_push(b, idx, o);
		idx += 1ull << o;
	}
	b->free_pages = b->npages - b->skip;
	return 0;
}

bool hrt_buddy_contains(struct hrt_buddy *b, u64 phys)
{
	return phys >= b->base + (b->skip << PAGE_SHIFT) &&
	       phys < b->base + (b->npages << PAGE_SHIFT);
}

u64 hrt_buddy_alloc(struct hrt_buddy *b, unsigned int order)
{
	unsigned int o;
	u64 idx;

	if (order > HRT_MAX_ORDER)
		return 0;
	hrt_spin_lock(&b->lock);
	for (o = order; o <= HRT_MAX_ORDER; o++)
		if (!hrt_list_empty(&b->free[o]))
			break;
	if (o > HRT_MAX_ORDER) {
		b->failures++;
		hrt_spin_unlock(&b->lock);
		return 0;
	}
	idx = (hrt_virt_to_phys(b->free[o].next) - b->base) >> PAGE_SHIFT;
	hrt_buddy_unlink(b, idx, o);
	/* Split, returning upper halves to the free lists. */
	while (o > order) {
		o--;
		hrt_buddy_push(b, idx + (1ull << o), o);
	}
	b->meta[idx] = HRT_PG_ALLOC | order;
	b->free_pages -= 1ull << order;
	b->allocs++;
	hrt_spin_unlock(&b->lock);
	return b->base + (idx << PAGE_SHIFT);
}

void hrt_buddy_free(struct hrt_buddy *b, u64 phys, unsigned int order)
{
	u64 idx = (phys - b->base) >> PAGE_SHIFT;

	hrt_spin_lock(&b->lock);
	if (!hrt_buddy_contains(b, phys) || (phys & (PAGE_SIZE - 1)) ||
	    b->meta[idx] != (HRT_PG_ALLOC | order))
		hrt_panic("buddy: bad free of %lx order %u (meta %x)\n", phys,
			  order,
			  hrt_buddy_contains(b, phys) ? b->meta[idx] : 0);
	b->meta[idx] = 0;
	b->free_pages += 1ull << order;
	b->frees++;
	while (order < HRT_MAX_ORDER) {
		u64 bud = idx ^ (1ull << order);

		if (bud + (1ull << order) > b->npages ||
		    b->meta[bud] != (HRT_PG_FREE | order))
			break;
		hrt_buddy_unlink(b, bud, order);
		idx &= ~(1ull << order);
		order++;
	}
	hrt_buddy_push(b, idx, order);
	hrt_spin_unlock(&b->lock);
}

int hrt_buddy_order_of(struct hrt_buddy *b, u64 phys)
{
	u8 m;

	if (!hrt_buddy_contains(b, phys))
		return -EINVAL;
	m = b->meta[(phys - b->base) >> PAGE_SHIFT];
	return (m & HRT_PG_ALLOC) ? (m & HRT_PG_ORDER) : -EINVAL;
}

void hrt_buddy_get_stats(struct hrt_buddy *b, struct hrt_buddy_stats *s)
{
	int o;

	hrt_spin_lock(&b->lock);
	s->total_pages = b->npages - b->skip;
	s->free_pages = b->free_pages;
	s->allocs = b->allocs;
	s->frees = b->frees;
	s->failures = b->failures;
	s->largest_free_order = 0;
	for (o = HRT_MAX_ORDER; o >= 0; o--)
		if (b->nfree[o]) {
			s->largest_free_order = o;
			break;
		}
	hrt_spin_unlock(&b->lock);
}

int hrt_pages_add_range(u64 phys, u64 bytes)
{
	int r;

	if (hrt_nzones == HRT_MAX_ZONES)
		return -ENOSPC;
	r = hrt_buddy_init(&hrt_zones[hrt_nzones], phys, bytes);
	if (!r)
		hrt_nzones++;
	return r;
}

void *hrt_pages_alloc(unsigned int order)
{
	int i;

	for (i = 0; i < hrt_nzones; i++) {
		u64 p = hrt_buddy_alloc(&hrt_zones[i], order);

		if (p)
			return hrt_phys_to_virt(p);
	}
	return NULL;
}

void *hrt_pages_zalloc(unsigned int order)
{
	void *p = hrt_pages_alloc(order);

	if (p)
		memset(p, 0, PAGE_SIZE << order);
	return p;
}

static struct hrt_buddy *hrt_zone_of(u64 phys)
{
	int i;

	for (i = 0; i < hrt_nzones; i++)
		if (hrt_buddy_contains(&hrt_zones[i], phys))
			return &hrt_zones[i];
	return NULL;
}

void hrt_pages_free(void *va, unsigned int order)
{
	u64 p = hrt_virt_to_phys(va);
	struct hrt_buddy *b = hrt_zone_of(p);

	if (!b)
		hrt_panic("pages: free of foreign address %p\n", va);
	hrt_buddy_free(b, p, order);
}

int hrt_pages_order_of(void *va)
{
	u64 p = hrt_virt_to_phys(va);
	struct hrt_buddy *b = hrt_zone_of(p);

	return b ? hrt_buddy_order_of(b, p) : -EINVAL;
}

void hrt_pages_stats(struct hrt_buddy_stats *s)
{
	struct hrt_buddy_stats z;
	int i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < hrt_nzones; i++) {
		hrt_buddy_get_stats(&hrt_zones[i], &z);
		s->total_pages += z.total_pages;
		s->free_pages += z.free_pages;
		s->allocs += z.allocs;
		s->frees += z.frees;
		s->failures += z.failures;
		s->largest_free_order =
			MAX(s->largest_free_order, z.largest_free_order);
	}
}

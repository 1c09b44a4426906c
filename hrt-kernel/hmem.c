// SPDX-License-Identifier: MIT
/* hmem.c - HRT memory in a process: the HRT's own zeroed pages mapped with 2 MiB pages in its view of the process only. */
#include "api.h"
#include "boot.h"
#include "buddy.h"
#include "hmem.h"
#include "log.h"
#include "mm.h"
#include "string.h"
#include "sync.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

#define HMEM_CONTIG (HVM_API_MEM_PAGE * 2) /* the buddy's largest block */

struct hrt_hmem hrt_hmem[HVM_CTX_MAX];

static u64 hrt_hmem_quota_bytes;

/* Half the HRT's memory: one process cannot take it all. */
static u64 hrt_hmem_quota(void)
{
	struct hrt_buddy_stats s;

	if (!hrt_hmem_quota_bytes) {
		hrt_pages_stats(&s);
		hrt_hmem_quota_bytes = s.total_pages * PAGE_SIZE / 2;
	}
	return hrt_hmem_quota_bytes;
}

static void hrt_hmem_count(s64 d)
{
	__atomic_add_fetch(&hrt_shm->hrt_mem_bytes, (u64)d, __ATOMIC_RELAXED);
}

/* Under m->lock: returns everything to the HRT (its process ended). */
static void hrt_hmem_teardown(u32 idx, struct hrt_hmem *m)
{
	u64 c, next;
	int i, j;

	hrt_uctx_own(idx, m->gen, m->slot, 0);
	for (i = 0; i < HVM_API_MEM_ALLOCS; i++) {
		struct hrt_hmem_alloc *a = &m->a[i];
		u64 off;

		if (!a->len)
			continue;
		for (off = 0; off < a->len;
		     off += HVM_API_MEM_PAGE << (a->order - HMEM_ORDER)) {
			u64 *e = hrt_hmem_pde(m, a->va + off);

			hrt_pages_free(hrt_phys_to_virt(hrt_hmem_chunk(*e)),
				       a->order);
		}
		hrt_hmem_count(-(s64)a->len);
		a->len = 0;
	}
	for (c = m->free_list; c; c = next) {
		next = *(u64 *)hrt_phys_to_virt(c & PTE_ADDR);
		hrt_pages_free(hrt_phys_to_virt(c & PTE_ADDR),
			       (unsigned int)(c & 0xfff));
	}
	for (j = 0; j < 512; j++) {
		u64 *pd;
		int k;

		if (!m->pdpt[j])
			continue;
		pd = hrt_phys_to_virt(m->pdpt[j] & PTE_ADDR);
		/* Page tables of split 2 MiB pages (wprotect.c). */
		for (k = 0; k < 512; k++)
			if ((pd[k] & PTE_P) && !(pd[k] & PTE_PS))
				hrt_pages_free(
					hrt_phys_to_virt(pd[k] & PTE_ADDR), 0);
		hrt_pages_free(pd, 0);
	}
	memset(m->wp, 0, sizeof(m->wp));
	hrt_pages_free(m->pdpt, 0);
	m->pdpt = NULL;
	m->free_list = 0;
	m->used = 0;
	m->active = false;
}

static bool hrt_hmem_stale(u32 idx, struct hrt_hmem *m)
{
	return m->active && (!hrt_uctx_alive(idx) ||
			     READ_ONCE(hrt_area->ctx[idx].gen) != m->gen);
}

bool hrt_hmem_live(u32 idx, struct hrt_hmem *m)
{
	return m->active && !hrt_hmem_stale(idx, m);
}

u64 *hrt_hmem_pde(struct hrt_hmem *m, u64 va)
{
	u64 e;

	if (!m->pdpt || va < m->base || va >= m->base + HVM_API_MEM_REGION)
		return NULL;
	e = m->pdpt[(va >> 30) & 511];
	if (!e)
		return NULL;
	return (u64 *)hrt_phys_to_virt(e & PTE_ADDR) + ((va >> 21) & 511);
}

u64 hrt_hmem_chunk(u64 pde)
{
	if (pde & PTE_PS)
		return pde & PTE_ADDR;
	return *(u64 *)hrt_phys_to_virt(pde & PTE_ADDR) & PTE_ADDR;
}

void hrt_hmem_sweep(void)
{
	u32 i;

	for (i = 0; i < HVM_CTX_MAX; i++) {
		struct hrt_hmem *m = &hrt_hmem[i];

		if (!READ_ONCE(m->active))
			continue;
		hrt_spin_lock(&m->lock);
		if (hrt_hmem_stale(i, m))
			hrt_hmem_teardown(i, m);
		hrt_spin_unlock(&m->lock);
	}
}

/* Under m->lock: (m) set up for (u)'s process over (region), or an errno. */
static int hrt_hmem_setup(struct hrt_uthread *u, struct hrt_hmem *m, u64 region)
{
	u64 pgd = READ_ONCE(hrt_area->ctx[u->ctx].pgd_phys);
	u32 gen = READ_ONCE(hrt_area->ctx[u->ctx].gen), slot;

	if (hrt_hmem_stale(u->ctx, m))
		hrt_hmem_teardown(u->ctx, m);
	if (m->active)
		return m->base == region ? 0 : -EINVAL;
	if (!region || (region & (HVM_API_MEM_REGION - 1)) ||
	    !hrt_user_addr(region) || !pgd)
		return -EINVAL;
	slot = HVM_PML4_INDEX(region);
	/* Linux must have nothing there: libhvm reserved it PROT_NONE. */
	if (READ_ONCE(((u64 *)hrt_phys_to_virt(pgd))[slot]))
		return -EINVAL;
	m->pdpt = hrt_pages_zalloc(0);
	if (!m->pdpt)
		return -ENOMEM;
	m->active = true;
	m->gen = gen;
	m->slot = slot;
	m->base = region;
	m->next = region;
	m->used = 0;
	m->free_list = 0;
	memset(m->a, 0, sizeof(m->a));
	hrt_uctx_own(u->ctx, gen, slot, hrt_virt_to_phys(m->pdpt) | HMEM_TABLE);
	return 0;
}

/* Under m->lock: a zeroed block of (order), from the process's freed ones first. */
static u64 hrt_hmem_block(struct hrt_hmem *m, u32 order)
{
	u64 *prev = &m->free_list, c;
	void *p;

	for (c = m->free_list; c;
	     prev = hrt_phys_to_virt(c & PTE_ADDR), c = *prev) {
		if ((c & 0xfff) != order)
			continue;
		*prev = *(u64 *)hrt_phys_to_virt(c & PTE_ADDR);
		p = hrt_phys_to_virt(c & PTE_ADDR);
		memset(p, 0, PAGE_SIZE << order);
		return c & PTE_ADDR;
	}
	p = hrt_pages_zalloc(order);
	return p ? hrt_virt_to_phys(p) : 0;
}

/* Under m->lock: maps 2 MiB page (phys) at (va); false without a PD. */
static bool hrt_hmem_map(struct hrt_hmem *m, u64 va, u64 phys)
{
	u64 *e = &m->pdpt[(va >> 30) & 511], *pd;

	if (!*e) {
		pd = hrt_pages_zalloc(0);
		if (!pd)
			return false;
		*e = hrt_virt_to_phys(pd) | HMEM_TABLE;
	}
	pd = hrt_phys_to_virt(*e & PTE_ADDR);
	pd[(va >> 21) & 511] = phys | HMEM_LEAF;
	return true;
}

s64 hrt_api_mem_alloc(u64 size, u64 flags, u64 region)
{
	struct hrt_uthread *u = hrt_api_caller();
	u32 order = HMEM_ORDER;
	struct hrt_hmem *m;
	u64 len, off, step, phys;
	int r, i, slot = -1;
	s64 ret;

	if (!u)
		return -ENOTSUP;
	if (!size || (flags & ~HVM_API_MEM_FLAGS) ||
	    size > HVM_API_MEM_REGION / 2)
		return -EINVAL;
	len = ALIGN_UP(size, HVM_API_MEM_PAGE);
	if (flags & HVM_API_MEM_CONTIG) {
		if (len > HMEM_CONTIG)
			return -EINVAL;
		order = len > HVM_API_MEM_PAGE ? HMEM_ORDER + 1 : HMEM_ORDER;
		len = HVM_API_MEM_PAGE << (order - HMEM_ORDER);
	}
	step = HVM_API_MEM_PAGE << (order - HMEM_ORDER);
	hrt_hmem_sweep();
	m = &hrt_hmem[u->ctx];
	hrt_spin_lock(&m->lock);
	r = hrt_hmem_setup(u, m, region);
	if (r) {
		ret = r;
		goto out;
	}
	for (i = 0; i < HVM_API_MEM_ALLOCS && slot < 0; i++)
		if (!m->a[i].len)
			slot = i;
	ret = -ENOMEM;
	if (slot < 0 || m->used + len > hrt_hmem_quota() ||
	    m->next + len > m->base + HVM_API_MEM_REGION)
		goto out;
	for (off = 0; off < len; off += step) {
		phys = hrt_hmem_block(m, order);
		if (!phys || (phys & (HVM_API_MEM_PAGE - 1)) ||
		    !hrt_hmem_map(m, m->next + off, phys)) {
			if (phys)
				hrt_pages_free(hrt_phys_to_virt(phys), order);
			break;
		}
		if (order > HMEM_ORDER &&
		    !hrt_hmem_map(m, m->next + off + HVM_API_MEM_PAGE,
				  phys + HVM_API_MEM_PAGE)) {
			/* Its first half is mapped: take it out again. */
			u64 va = m->next + off,
			    *pd = hrt_phys_to_virt(m->pdpt[(va >> 30) & 511] &
						   PTE_ADDR);

			pd[(va >> 21) & 511] = 0;
			hrt_pages_free(hrt_phys_to_virt(phys), order);
			break;
		}
	}
	m->a[slot].va = m->next;
	m->a[slot].len = off;
	m->a[slot].order = order;
	m->used += off;
	hrt_hmem_count((s64)off);
	if (off < len) {
		/* Out of HRT memory part way: give back what was mapped. */
		hrt_spin_unlock(&m->lock);
		hrt_api_mem_free(m->next);
		hrt_spin_lock(&m->lock);
		goto out;
	}
	ret = (s64)m->next;
	m->next += len;
out:
	hrt_spin_unlock(&m->lock);
	return ret;
}

s64 hrt_api_mem_free(u64 addr)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_hmem *m;
	u64 off, va, *pd, step;
	s64 ret = -EINVAL;
	int i;

	if (!u)
		return -ENOTSUP;
	m = &hrt_hmem[u->ctx];
	hrt_spin_lock(&m->lock);
	if (!m->active || hrt_hmem_stale(u->ctx, m))
		goto out;
	for (i = 0; i < HVM_API_MEM_ALLOCS; i++) {
		struct hrt_hmem_alloc *a = &m->a[i];

		if (!a->len || a->va != addr)
			continue;
		step = HVM_API_MEM_PAGE << (a->order - HMEM_ORDER);
		for (off = 0; off < a->len; off += HVM_API_MEM_PAGE) {
			va = a->va + off;
			pd = hrt_hmem_pde(m, va);
			/* The block's head goes to the free list, once. */
			if (!(off % step)) {
				u64 c = hrt_hmem_chunk(*pd);

				*(u64 *)hrt_phys_to_virt(c) = m->free_list;
				m->free_list = c | a->order;
			}
			if (!(*pd & PTE_PS))
				hrt_pages_free(hrt_phys_to_virt(*pd & PTE_ADDR),
					       0);
			*pd = 0;
			hrt_uctx_flush_range(u->ctx, va, HVM_API_MEM_PAGE);
		}
		m->used -= a->len;
		hrt_hmem_count(-(s64)a->len);
		a->len = 0;
		ret = 0;
		break;
	}
out:
	hrt_spin_unlock(&m->lock);
	return ret;
}

s64 hrt_api_virt_to_phys(u64 addr)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_hmem *m;
	u64 *pd, e;
	s64 ret = -EINVAL;

	if (!u)
		return -ENOTSUP;
	m = &hrt_hmem[u->ctx];
	hrt_spin_lock(&m->lock);
	if (m->active && !hrt_hmem_stale(u->ctx, m) && addr >= m->base &&
	    addr < m->next && m->pdpt[(addr >> 30) & 511]) {
		pd = hrt_hmem_pde(m, addr);
		e = pd ? *pd : 0;
		if (e & PTE_P)
			ret = (s64)(hrt_hmem_chunk(e) +
				    (addr & (HVM_API_MEM_PAGE - 1)));
	}
	hrt_spin_unlock(&m->lock);
	return ret;
}

// SPDX-License-Identifier: MIT
/* wprotect.c - write protection and dirty tracking of HRT memory: faults into a handler on the HRT, dirty-page scans. */
#include "api.h"
#include "boot.h"
#include "buddy.h"
#include "fpu.h"
#include "hmem.h"
#include "slab.h"
#include "smp.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

struct hrt_ucall_ret {
	long result;
	long status;
};
struct hrt_ucall_ret hrt_user_call(u64 fn, u64 arg, u64 core_index,
				   u64 stack_top);

/*
 * The HRT owns every page-table level of HRT memory, so protecting it
 * touches none of Linux's tables: a 2 MiB page is split into 4 KiB
 * entries (its own page table) the first time a range covers part of it,
 * and W or D bits change there.  Linux memory is not covered yet
 * (-EINVAL): that needs private copies of Linux's lower levels kept
 * coherent by the mmu_notifier (DESIGN.md 11).
 */

/* Under m->lock: (pde)'s 4 KiB table, made from its 2 MiB leaf if need be. */
static u64 *hrt_wp_table(u64 *pde)
{
	u64 base, d, *pt;
	int i;

	if (!(*pde & PTE_PS))
		return hrt_phys_to_virt(*pde & PTE_ADDR);
	pt = hrt_pages_zalloc(0);
	if (!pt)
		return NULL;
	base = *pde & PTE_ADDR;
	/* A dirty 2 MiB page: every 4 KiB page of it may be. */
	d = *pde & PTE_D;
	for (i = 0; i < 512; i++)
		pt[i] = (base + ((u64)i << 12)) | HMEM_LEAF4K | d;
	*pde = hrt_virt_to_phys(pt) | HMEM_TABLE;
	return pt;
}

/*
 * Under m->lock: checks [addr, addr + len) is mapped HRT memory of (m),
 * page aligned; 0 or -EINVAL.
 */
static int hrt_wp_check(struct hrt_hmem *m, u64 addr, u64 len)
{
	u64 va, *pde;

	if (!len || ((addr | len) & (PAGE_SIZE - 1)) || addr + len < addr)
		return -EINVAL;
	for (va = addr & ~(HVM_API_MEM_PAGE - 1); va < addr + len;
	     va += HVM_API_MEM_PAGE) {
		pde = hrt_hmem_pde(m, va);
		if (!pde || !(*pde & PTE_P))
			return -EINVAL;
	}
	return 0;
}

/*
 * Under m->lock: applies (fn) to each 4 KiB entry of [addr, addr + len);
 * -ENOMEM when a split finds no page.
 */
static int hrt_wp_walk(struct hrt_hmem *m, u64 addr, u64 len,
		       void (*fn)(u64 *pte, u64 i, void *c), void *c)
{
	u64 va = addr, end = addr + len, stop, *pt;

	/* One table per 2 MiB page: looked up once, then walked. */
	while (va < end) {
		pt = hrt_wp_table(hrt_hmem_pde(m, va));
		if (!pt)
			return -ENOMEM;
		stop = (va | (HVM_API_MEM_PAGE - 1)) + 1;
		if (stop > end)
			stop = end;
		for (; va < stop; va += PAGE_SIZE)
			fn(&pt[(va >> 12) & 511], (va - addr) >> 12, c);
	}
	return 0;
}

static void hrt_wp_clear_w(u64 *pte, u64 i, void *c)
{
	(void)i;
	(void)c;
	*pte &= ~PTE_W;
}

static void hrt_wp_set_w(u64 *pte, u64 i, void *c)
{
	(void)i;
	(void)c;
	*pte |= PTE_W;
}

/* The caller's process's HRT memory, locked; NULL (unlocked) if none. */
static struct hrt_hmem *hrt_wp_lock(struct hrt_uthread *u)
{
	struct hrt_hmem *m = &hrt_hmem[u->ctx];

	hrt_spin_lock(&m->lock);
	if (hrt_hmem_live(u->ctx, m))
		return m;
	hrt_spin_unlock(&m->lock);
	return NULL;
}

s64 hrt_api_wprotect(u64 addr, u64 len, u64 handler, u64 arg)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_hmem *m;
	int i, slot = -1;
	s64 r;

	if (!u)
		return -ENOTSUP;
	if (!handler || !hrt_user_addr(handler))
		return -EFAULT;
	m = hrt_wp_lock(u);
	if (!m)
		return -EINVAL;
	r = hrt_wp_check(m, addr, len);
	for (i = 0; !r && i < HVM_API_WP_RANGES; i++) {
		if (!m->wp[i].end) {
			if (slot < 0)
				slot = i;
		} else if (addr < m->wp[i].end && m->wp[i].start < addr + len) {
			r = -EBUSY; /* overlaps a protected range */
		}
	}
	if (!r && slot < 0)
		r = -ENOSPC;
	if (!r)
		r = hrt_wp_walk(m, addr, len, hrt_wp_clear_w, NULL);
	if (!r) {
		m->wp[slot].start = addr;
		m->wp[slot].end = addr + len;
		m->wp[slot].handler = handler;
		m->wp[slot].arg = arg;
	}
	/* Writable entries may be cached on any core of the process. */
	hrt_uctx_flush_range(u->ctx, addr, len);
	hrt_spin_unlock(&m->lock);
	return r;
}

s64 hrt_api_wunprotect(u64 addr, u64 len)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_hmem *m;
	s64 r = -EINVAL;
	int i;

	if (!u)
		return -ENOTSUP;
	m = hrt_wp_lock(u);
	if (!m)
		return -EINVAL;
	for (i = 0; i < HVM_API_WP_RANGES; i++) {
		if (!m->wp[i].end || m->wp[i].start != addr ||
		    m->wp[i].end != addr + len)
			continue;
		/* Widening needs no flush: a stale entry faults and refreshes. */
		r = hrt_wp_walk(m, addr, len, hrt_wp_set_w, NULL);
		m->wp[i].end = 0;
		break;
	}
	hrt_spin_unlock(&m->lock);
	return r;
}

struct hrt_wp_scan {
	u64 *bits; /* kernel copy of the bitmap */
	u64 dirty;
	bool clear;
};

static void hrt_wp_dirty(u64 *pte, u64 i, void *c)
{
	struct hrt_wp_scan *s = c;

	if (!(*pte & PTE_D))
		return;
	s->bits[i / 64] |= 1ull << (i % 64);
	s->dirty++;
	if (s->clear)
		*pte &= ~PTE_D;
}

s64 hrt_api_dirty_scan(u64 addr, u64 len, u64 bitmap, u64 clear)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_wp_scan s = { .clear = clear != 0 };
	struct hrt_hmem *m;
	u64 words, bytes;
	s64 r;

	if (!u)
		return -ENOTSUP;
	if (!len || len > HVM_API_MEM_REGION)
		return -EINVAL;
	words = (len / PAGE_SIZE + 63) / 64;
	bytes = words * 8;
	if (!bitmap || !hrt_user_addr(bitmap) ||
	    !hrt_user_addr(bitmap + bytes - 1) || bitmap + bytes < bitmap)
		return -EFAULT;
	/* Before the lock: it may take memory. */
	s.bits = hrt_zalloc(bytes);
	if (!s.bits)
		return -ENOMEM;
	m = hrt_wp_lock(u);
	if (!m) {
		hrt_free(s.bits);
		return -EINVAL;
	}
	r = hrt_wp_check(m, addr, len);
	if (!r)
		r = hrt_wp_walk(m, addr, len, hrt_wp_dirty, &s);
	/* A cached entry with D set would not set it in the entry again. */
	if (!r && s.clear && s.dirty)
		hrt_uctx_flush_range(u->ctx, addr, len);
	hrt_spin_unlock(&m->lock);
	/* The wrapper wrote the bitmap first: its pages are present. */
	if (!r && hrt_copy_user((void *)bitmap, s.bits, bytes))
		r = -EFAULT;
	hrt_free(s.bits);
	return r ? r : (s64)s.dirty;
}

/*
 * Runs (fn)(a0, a1) as process code of the faulting thread, on its
 * stack below the faulting frame (r) and its red zone, as a nested
 * hrt_user_call: entries from the handler land below this frame, its FP
 * state is saved around it.  Interrupts off; returns fn's result.
 */
static long hrt_wp_call(struct hrt_regs *r, u64 fn, u64 a0, u64 a1)
{
	u64 saved = hrt_this_cpu()->ucall_rsp;
	struct hrt_ucall_ret ret;
	void *fpu = hrt_fpu_alloc();

	if (!fpu)
		return -ENOMEM;
	hrt_fpu_save(fpu);
	ret = hrt_user_call(fn, a0, a1, (r->rsp - 256) & ~15ull);
	hrt_cli();
	hrt_this_cpu()->ucall_rsp = saved;
	hrt_fpu_restore(fpu);
	hrt_free(fpu);
	/* Aborted inside (the process died): leave the outer code too. */
	if (ret.status)
		hrt_user_abort_to(ret.status);
	return ret.result;
}

int hrt_wp_fault(struct hrt_uthread *u, struct hrt_regs *r, u64 va)
{
	struct hrt_hmem *m = &hrt_hmem[u->ctx];
	u64 handler = 0, arg = 0, *pde, *pte;
	bool stale = false;
	long res;
	int i;

	if (!READ_ONCE(m->active) || va < m->base ||
	    va >= m->base + HVM_API_MEM_REGION)
		return 0;
	hrt_spin_lock(&m->lock);
	if (hrt_hmem_live(u->ctx, m)) {
		for (i = 0; i < HVM_API_WP_RANGES; i++)
			if (m->wp[i].end && va >= m->wp[i].start &&
			    va < m->wp[i].end) {
				handler = m->wp[i].handler;
				arg = m->wp[i].arg;
			}
		pde = hrt_hmem_pde(m, va);
		if (handler && pde && (*pde & PTE_P) && !(*pde & PTE_PS)) {
			pte = (u64 *)hrt_phys_to_virt(*pde & PTE_ADDR) +
			      ((va >> 12) & 511);
			if (*pte & PTE_W) {
				handler = 0; /* a stale entry: retry */
				stale = true;
			}
		}
	}
	hrt_spin_unlock(&m->lock);
	if (!handler) {
		if (!stale)
			return 0; /* not protected here: Linux decides */
		hrt_invlpg(va);
		return 1;
	}
	res = hrt_wp_call(r, handler, va, arg);
	if (res)
		return -1;
	/* 0: this page becomes writable, the write is made again. */
	hrt_spin_lock(&m->lock);
	if (hrt_hmem_live(u->ctx, m)) {
		pde = hrt_hmem_pde(m, va);
		if (pde && (*pde & PTE_P) && !(*pde & PTE_PS))
			((u64 *)hrt_phys_to_virt(
				*pde & PTE_ADDR))[(va >> 12) & 511] |= PTE_W;
	}
	hrt_spin_unlock(&m->lock);
	hrt_invlpg(va);
	return 1;
}

// SPDX-License-Identifier: MIT
/* uctx.c - merged address spaces: shared roots, lazy loads, TLB flush acks. */
#include "uctx.h"
#include "apic.h"
#include "boot.h"
#include "buddy.h"
#include "log.h"
#include "mm.h"
#include "smp.h"
#include "string.h"
#include "sync.h"
#include "timer.h"
#include "x86.h"

struct hvm_chan_area *hrt_area;

/*
 * One root per context slot, shared by every core: its upper half is the
 * kernel's (never changes), its lower half a copy of the process's.
 * Copies of the same source are idempotent, so cores may sync it at once.
 */
static u64 *hrt_uctx_roots[HVM_CTX_MAX];
static u32 hrt_uctx_gen[HVM_CTX_MAX]; /* gen the root was synced for */
/*
 * Creating a root: two cores loading a context for the first time (right
 * after a boot, say) must end with one root, or one loads a root whose
 * user half nobody fills while the other's is in hrt_uctx_roots[].
 */
static struct hrt_spinlock hrt_uctx_roots_lock;
/*
 * A top-level entry the HRT owns in context (idx)'s root (HRT memory,
 * hmem.c) for bind generation own_gen: kept over every copy of Linux's
 * entries, never called stale.  own_entry 0: none.
 */
static u32 hrt_uctx_own_slot[HVM_CTX_MAX], hrt_uctx_own_gen[HVM_CTX_MAX];
static u64 hrt_uctx_own_entry[HVM_CTX_MAX];
/* Per core: the loaded context, or HRT_NO_CTX. */
static u32 hrt_uctx_loaded[HRT_MAX_CPUS];

void hrt_uctx_init(struct hvm_chan_area *area)
{
	u32 i;

	hrt_area = area;
	hrt_spin_init(&hrt_uctx_roots_lock);
	for (i = 0; i < HRT_MAX_CPUS; i++)
		hrt_uctx_loaded[i] = HRT_NO_CTX;
	/*
	 * A reboot resets every core: none of them holds a context now, so
	 * hvm.ko must not wait for their flushes.
	 */
	for (i = 0; i < HVM_CTX_MAX; i++)
		__atomic_store_n(&area->ctx[i].hrt_active, 0, __ATOMIC_SEQ_CST);
}

u32 hrt_uctx_current(void)
{
	return hrt_uctx_loaded[hrt_cpu_id()];
}

bool hrt_uctx_alive(u32 idx)
{
	return idx < HVM_CTX_MAX &&
	       __atomic_load_n(&hrt_area->ctx[idx].state, __ATOMIC_ACQUIRE) ==
		       HVM_CTX_BOUND;
}

/* Copies the process's user half into its root; false if unusable. */
static bool hrt_uctx_sync(u32 idx)
{
	struct hvm_ctx *x = &hrt_area->ctx[idx];
	u64 pgd = READ_ONCE(x->pgd_phys), *root = hrt_uctx_roots[idx];
	const u64 *src;
	struct hrt_wp wp;
	int i;

	if (!pgd || (pgd & 0xfff) || pgd + PAGE_SIZE > hrt_direct_map_bytes)
		return false;
	src = hrt_phys_to_virt(pgd);
	wp = hrt_wp_begin(); /* roots are read-only page tables (mm.c) */
	for (i = 0; i < 256; i++)
		root[i] = READ_ONCE(src[i]);
	if (hrt_uctx_own_entry[idx] &&
	    hrt_uctx_own_gen[idx] == READ_ONCE(x->gen))
		root[hrt_uctx_own_slot[idx]] = hrt_uctx_own_entry[idx];
	hrt_wp_end(wp);
	hrt_uctx_gen[idx] = READ_ONCE(x->gen);
	HRT_EVENT(pml4_syncs, HVM_EV_PML4_SYNCS);
	return true;
}

void hrt_uctx_leave(void)
{
	u32 me = hrt_cpu_id(), idx = hrt_uctx_loaded[me];
	struct hvm_ctx *x;

	if (idx == HRT_NO_CTX)
		return;
	x = &hrt_area->ctx[idx];
	/* Loading the kernel root drops every non-global (user) TLB entry. */
	hrt_mm_load_root(hrt_kernel_cr3);
	HRT_EVENT(cr3_loads, HVM_EV_CR3_LOADS);
	hrt_uctx_loaded[me] = HRT_NO_CTX;
	__atomic_and_fetch(&x->hrt_active, ~(1ull << me), __ATOMIC_SEQ_CST);
	__atomic_store_n(&x->flush_ack[me], READ_ONCE(x->flush_seq),
			 __ATOMIC_RELEASE);
}

bool hrt_uctx_load(u32 idx)
{
	u32 me = hrt_cpu_id();
	struct hvm_ctx *x;
	u64 *root;

	if (hrt_uctx_loaded[me] == idx)
		return hrt_uctx_check(idx);
	hrt_uctx_leave();
	if (idx >= HVM_CTX_MAX)
		return false;
	root = __atomic_load_n(&hrt_uctx_roots[idx], __ATOMIC_ACQUIRE);
	if (!root) {
		struct hrt_wp wp;

		hrt_spin_lock(&hrt_uctx_roots_lock);
		root = hrt_uctx_roots[idx];
		if (!root) {
			root = hrt_mm_table_alloc();
			if (!root) {
				hrt_spin_unlock(&hrt_uctx_roots_lock);
				return false;
			}
			/* The kernel half is shared: it never changes. */
			wp = hrt_wp_begin();
			memcpy(root + 256,
			       (u64 *)hrt_phys_to_virt(hrt_kernel_cr3) + 256,
			       256 * sizeof(u64));
			hrt_wp_end(wp);
			hrt_uctx_gen[idx] = ~0u;
			/* Filled first: the acquire above sees it whole. */
			__atomic_store_n(&hrt_uctx_roots[idx], root,
					 __ATOMIC_RELEASE);
		}
		hrt_spin_unlock(&hrt_uctx_roots_lock);
	}
	x = &hrt_area->ctx[idx];
	/*
	 * Announce first, then read state and tables: hvm.ko changes PTEs,
	 * then reads hrt_active; whichever order they meet in, either it
	 * waits for us or we see its change.
	 */
	__atomic_or_fetch(&x->hrt_active, 1ull << me, __ATOMIC_SEQ_CST);
	hrt_uctx_loaded[me] = idx;
	__atomic_store_n(&x->flush_ack[me], READ_ONCE(x->flush_seq),
			 __ATOMIC_SEQ_CST);
	if (!hrt_uctx_alive(idx) || !hrt_uctx_sync(idx)) {
		hrt_uctx_leave();
		return false;
	}
	hrt_mm_load_root(hrt_virt_to_phys(root));
	HRT_EVENT(cr3_loads, HVM_EV_CR3_LOADS);
	return true;
}

bool hrt_uctx_check(u32 idx)
{
	u32 me = hrt_cpu_id(), cur = hrt_uctx_loaded[me];
	struct hvm_ctx *x;
	u64 seq;

	if (cur == HRT_NO_CTX)
		return false;
	x = &hrt_area->ctx[cur];
	if (!hrt_uctx_alive(cur)) {
		/* hvm.ko waits for every core to leave a dead context. */
		hrt_uctx_leave();
		return false;
	}
	seq = __atomic_load_n(&x->flush_seq, __ATOMIC_ACQUIRE);
	if (seq != READ_ONCE(x->flush_ack[me]) ||
	    READ_ONCE(x->gen) != hrt_uctx_gen[cur]) {
		hrt_uctx_sync(cur);
		hrt_mm_load_root(hrt_virt_to_phys(hrt_uctx_roots[cur]));
		HRT_EVENT(cr3_loads, HVM_EV_CR3_LOADS);
		HRT_EVENT(tlb_flushes, HVM_EV_TLB_FLUSHES);
		__atomic_store_n(&x->flush_ack[me], seq, __ATOMIC_RELEASE);
	}
	return cur == idx;
}

void hrt_uctx_resync(u32 idx, bool reload)
{
	if (hrt_uctx_current() != idx)
		return;
	hrt_uctx_sync(idx);
	if (reload) {
		hrt_mm_load_root(hrt_virt_to_phys(hrt_uctx_roots[idx]));
		HRT_EVENT(cr3_loads, HVM_EV_CR3_LOADS);
		HRT_EVENT(tlb_flushes, HVM_EV_TLB_FLUSHES);
	}
}

bool hrt_uctx_top_stale(u32 idx, u64 va)
{
	const u64 *src, *root;
	u64 pgd;

	if (idx >= HVM_CTX_MAX)
		return false;
	root = hrt_uctx_roots[idx];
	pgd = READ_ONCE(hrt_area->ctx[idx].pgd_phys);
	if (!root || !pgd || (pgd & 0xfff) ||
	    pgd + PAGE_SIZE > hrt_direct_map_bytes || !hrt_user_addr(va))
		return false;
	if (hrt_uctx_own_entry[idx] &&
	    hrt_uctx_own_slot[idx] == HVM_PML4_INDEX(va))
		return false;
	src = hrt_phys_to_virt(pgd);
	return READ_ONCE(src[HVM_PML4_INDEX(va)]) != root[HVM_PML4_INDEX(va)];
}

void hrt_uctx_flush_range(u32 idx, u64 va, u64 len)
{
	struct hvm_ctx *x = &hrt_area->ctx[idx];
	u32 me = hrt_cpu_id(), i;
	u64 seq, pending, t0, p;

	if (hrt_uctx_loaded[me] == idx) {
		if (len > 64 * PAGE_SIZE) {
			hrt_mm_load_root(hrt_virt_to_phys(hrt_uctx_roots[idx]));
			HRT_EVENT(cr3_loads, HVM_EV_CR3_LOADS);
		} else {
			for (p = va & ~(PAGE_SIZE - 1); p < va + len;
			     p += PAGE_SIZE)
				hrt_invlpg(p);
		}
		HRT_EVENT(tlb_flushes, HVM_EV_TLB_FLUSHES);
	}
	pending = __atomic_load_n(&x->hrt_active, __ATOMIC_SEQ_CST) &
		  ~(1ull << me);
	if (!pending)
		return;
	seq = __atomic_add_fetch(&x->flush_seq, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < hrt_ncpus; i++)
		if (pending & (1ull << i))
			hrt_apic_send_ipi(hrt_cpus[i].apic_id,
					  HVM_HRT_VEC_CHAN);
	t0 = hrt_rdtsc();
	while (pending) {
		for (i = 0; i < hrt_ncpus; i++) {
			if (!(pending & (1ull << i)))
				continue;
			if (!(READ_ONCE(x->hrt_active) & (1ull << i)) ||
			    (s64)(READ_ONCE(x->flush_ack[i]) - seq) >= 0)
				pending &= ~(1ull << i);
		}
		if (pending && hrt_rdtsc() - t0 > hrt_tsc_khz * 100) {
			hrt_printf(
				"hrt: ctx %u: cores %lx did not flush in 100 ms\n",
				idx, pending);
			break;
		}
		hrt_pause();
	}
}

void hrt_uctx_own(u32 idx, u32 gen, u32 slot, u64 entry)
{
	u64 *root = __atomic_load_n(&hrt_uctx_roots[idx], __ATOMIC_ACQUIRE);
	u64 old = hrt_uctx_own_entry[idx];
	struct hrt_wp wp;

	hrt_uctx_own_slot[idx] = slot;
	hrt_uctx_own_gen[idx] = gen;
	hrt_uctx_own_entry[idx] = entry;
	if (!root)
		return; /* the first load's copy puts it in */
	wp = hrt_wp_begin();
	/* A root synced for another process since keeps its own entry. */
	if (entry || root[slot] == old)
		root[slot] = entry;
	hrt_wp_end(wp);
}

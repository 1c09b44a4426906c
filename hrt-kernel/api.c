// SPDX-License-Identifier: MIT
/* api.c - the aerokernel calls of process code: their dispatch, the calls about cores, and the handle table of the objects they make. */
#include "api.h"
#include "boot.h"
#include "smp.h"
#include "sync.h"
#include "thread.h"
#include "timer.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

static s64 hrt_api_core(void)
{
	return hrt_api_caller() ? (s64)hrt_cpu_id() : -ENOTSUP;
}

static s64 hrt_api_ncores(void)
{
	u32 i, n = 0;

	for (i = 0; i < hrt_ncpus; i++)
		n += READ_ONCE(hrt_cpus[i].online) ? 1 : 0;
	return n;
}

static s64 hrt_api_yield(void)
{
	hrt_thread_yield();
	return 0;
}

/* As the HRT serves ARCH_SET_FS: the HRT thread's FS base, not Linux's. */
static s64 hrt_api_set_tls(u64 base)
{
	struct hrt_uthread *u = hrt_api_caller();
	u64 f;

	if (!u)
		return -ENOTSUP;
	if (!hrt_user_addr(base))
		return -EFAULT;
	f = hrt_irq_save();
	u->fs = base;
	hrt_uthread_load_fs(u);
	hrt_irq_restore(f);
	return 0;
}

/*
 * Indexed by HVM_API_*, called by apistub.S with interrupts as the caller had
 * them (off only inside its interrupt-off section).
 */
const void *const hrt_api_fns[HVM_API_COUNT] = {
	[HVM_API_CORE] = hrt_api_core,
	[HVM_API_NCORES] = hrt_api_ncores,
	[HVM_API_YIELD] = hrt_api_yield,
	[HVM_API_THREAD_CREATE] = hrt_api_thread_create,
	[HVM_API_THREAD_JOIN] = hrt_api_thread_join,
	[HVM_API_THREAD_RESULT] = hrt_api_thread_result,
	[HVM_API_BARRIER_CREATE] = hrt_api_barrier_create,
	[HVM_API_BARRIER_WAIT] = hrt_api_barrier_wait,
	[HVM_API_BARRIER_DESTROY] = hrt_api_barrier_destroy,
	[HVM_API_EVENT_CREATE] = hrt_api_event_create,
	[HVM_API_EVENT_WAIT] = hrt_api_event_wait,
	[HVM_API_EVENT_NOTIFY] = hrt_api_event_notify,
	[HVM_API_EVENT_DESTROY] = hrt_api_event_destroy,
	[HVM_API_IRQ_SAVE] = hrt_api_irq_save,
	[HVM_API_IRQ_RESTORE] = hrt_api_irq_restore,
	[HVM_API_IRQ_LIMIT] = hrt_api_irq_limit,
	[HVM_API_THREAD_SELF] = hrt_api_thread_self,
	[HVM_API_MEM_ALLOC] = hrt_api_mem_alloc,
	[HVM_API_MEM_FREE] = hrt_api_mem_free,
	[HVM_API_VIRT_TO_PHYS] = hrt_api_virt_to_phys,
	[HVM_API_WPROTECT] = hrt_api_wprotect,
	[HVM_API_WUNPROTECT] = hrt_api_wunprotect,
	[HVM_API_DIRTY_SCAN] = hrt_api_dirty_scan,
	[HVM_API_RDMSR] = hrt_api_rdmsr,
	[HVM_API_WRMSR] = hrt_api_wrmsr,
	[HVM_API_RDPMC] = hrt_api_rdpmc,
	[HVM_API_SET_TLS] = hrt_api_set_tls,
};

struct hrt_api_frame *hrt_api_frame(void)
{
	/* The core's copy: the thread's own is saved only when it switches. */
	return (struct hrt_api_frame *)((hrt_this_cpu()->ucall_rsp & ~15ull) -
					sizeof(struct hrt_api_frame));
}

struct hrt_uthread *hrt_api_caller(void)
{
	struct hrt_uthread *u = hrt_uthread_current();

	return u && u->ctx < HVM_CTX_MAX ? u : NULL;
}

/*
 * The handle table.  A slot belongs to one process: its context slot and
 * that slot's bind generation, so a process that ended (or a new one in
 * the same slot) finds none of its objects.  A slot is freed when it is
 * destroyed or its process ended, and nobody holds a reference (a waiter
 * asleep in it, a joiner).  Under hrt_api_lock, taken with interrupts
 * off; releases run outside it.
 */
struct hrt_api_obj {
	u32 type; /* enum hrt_api_type */
	u32 gen;  /* bumped when the slot is freed */
	u32 ctx, ctx_gen;
	u32 refs;
	bool dead; /* destroyed: no new references */
	void *p;
	void (*release)(void *p);
};

static struct hrt_api_obj hrt_api_objs[HVM_API_OBJECTS];
static struct hrt_spinlock hrt_api_lock = HRT_SPINLOCK_INIT;
static u32 hrt_api_used;

/*
 * Per context slot, under hrt_api_lock: the slots its current process
 * (the slot's bind generation, gen) holds, for the per-process quotas
 * HVM_API_PROC_OBJECTS and HVM_API_PROC_THREADS: one process cannot take
 * the table or the native threads from the others.  Leftovers of an ended
 * process in the same slot count for nobody (reaped as a generation that
 * is not the slot's).
 */
static struct hrt_api_use {
	u32 gen;
	u32 objects, threads;
} hrt_api_use[HVM_CTX_MAX];

static struct hrt_api_use *hrt_api_use_of(u32 ctx, u32 gen)
{
	struct hrt_api_use *use = &hrt_api_use[ctx];

	if (use->gen != gen) {
		use->gen = gen;
		use->objects = 0;
		use->threads = 0;
	}
	return use;
}

static bool hrt_api_owner_alive(const struct hrt_api_obj *o)
{
	return hrt_uctx_alive(o->ctx) &&
	       READ_ONCE(hrt_area->ctx[o->ctx].gen) == o->ctx_gen;
}

/* Under hrt_api_lock: frees (o) if nobody can use it any more. */
static bool hrt_api_reap(struct hrt_api_obj *o, void **p,
			 void (**release)(void *))
{
	if (o->type == HRT_API_FREE || o->refs ||
	    (!o->dead && hrt_api_owner_alive(o)))
		return false;
	*p = o->p;
	*release = o->release;
	if (hrt_api_use[o->ctx].gen == o->ctx_gen) {
		hrt_api_use[o->ctx].objects--;
		if (o->type == HRT_API_THREAD)
			hrt_api_use[o->ctx].threads--;
	}
	o->type = HRT_API_FREE;
	o->gen++;
	o->p = NULL;
	hrt_api_used--;
	WRITE_ONCE(hrt_shm->hrt_api_objects, hrt_api_used);
	return true;
}

u32 hrt_api_obj_count(void)
{
	return READ_ONCE(hrt_api_used);
}

/*
 * Objects of ended processes are freed by the creations that follow: a
 * whole walk of the table at most every HRT_API_SWEEP_MS (it runs with
 * interrupts off), at most HRT_API_REAP releases per call.
 */
#define HRT_API_SWEEP_MS 10
#define HRT_API_REAP	 16
static u64 hrt_api_swept;
static u32 hrt_api_hint;

s64 hrt_api_obj_new(struct hrt_uthread *u, u32 type, void *p,
		    void (*release)(void *p))
{
	void *gone[HRT_API_REAP], (*rel[HRT_API_REAP])(void *);
	u32 gen = READ_ONCE(hrt_area->ctx[u->ctx].gen);
	int ngone = 0, i, slot = -1;
	struct hrt_api_use *use;
	bool swept = false;
	u64 now = hrt_rdtsc();
	s64 h = -EAGAIN;

	hrt_spin_lock(&hrt_api_lock);
	if ((hrt_api_used || READ_ONCE(hrt_shm->hrt_mem_bytes)) &&
	    now - hrt_api_swept > hrt_tsc_khz * HRT_API_SWEEP_MS) {
		hrt_api_swept = now;
		swept = true;
		for (i = 0; i < HVM_API_OBJECTS && ngone < HRT_API_REAP; i++)
			if (hrt_api_reap(&hrt_api_objs[i], &gone[ngone],
					 &rel[ngone]))
				ngone++;
	}
	use = hrt_api_use_of(u->ctx, gen);
	if (use->objects >= HVM_API_PROC_OBJECTS ||
	    (type == HRT_API_THREAD && use->threads >= HVM_API_PROC_THREADS))
		i = HVM_API_OBJECTS; /* over its quota: no slot, -EAGAIN */
	else
		i = 0;
	for (; i < HVM_API_OBJECTS; i++) {
		u32 k = (hrt_api_hint + (u32)i) % HVM_API_OBJECTS;
		struct hrt_api_obj *o = &hrt_api_objs[k];

		if (o->type == HRT_API_FREE ||
		    (ngone < HRT_API_REAP &&
		     hrt_api_reap(o, &gone[ngone], &rel[ngone]) && ++ngone)) {
			slot = (int)k;
			hrt_api_hint = k + 1;
			break;
		}
	}
	if (slot >= 0) {
		struct hrt_api_obj *o = &hrt_api_objs[slot];

		o->type = type;
		o->ctx = u->ctx;
		o->ctx_gen = gen;
		use->objects++;
		if (type == HRT_API_THREAD)
			use->threads++;
		o->refs = 0;
		o->dead = false;
		o->p = p;
		o->release = release;
		hrt_api_used++;
		WRITE_ONCE(hrt_shm->hrt_api_objects, hrt_api_used);
		h = (s64)(((u64)(o->gen & 0x7fffffffu) << 32) |
			  (u64)(slot + 1));
	}
	hrt_spin_unlock(&hrt_api_lock);
	for (i = 0; i < ngone; i++)
		if (rel[i])
			rel[i](gone[i]);
	/* HRT memory of ended processes goes back on the same walk. */
	if (swept)
		hrt_hmem_sweep();
	return h;
}

/* Under hrt_api_lock: the live slot (h) names for (u)'s process, or NULL. */
static struct hrt_api_obj *hrt_api_lookup(struct hrt_uthread *u, hrt_handle h,
					  u32 type)
{
	u64 slot = (h & 0xffffffffu) - 1;
	struct hrt_api_obj *o;

	if (slot >= HVM_API_OBJECTS)
		return NULL;
	o = &hrt_api_objs[slot];
	if (o->type != type || o->dead || (h >> 32) != (o->gen & 0x7fffffffu) ||
	    o->ctx != u->ctx || !hrt_api_owner_alive(o))
		return NULL;
	return o;
}

void *hrt_api_obj_get(struct hrt_uthread *u, hrt_handle h, u32 type)
{
	struct hrt_api_obj *o;
	void *p = NULL;

	hrt_spin_lock(&hrt_api_lock);
	o = hrt_api_lookup(u, h, type);
	if (o) {
		o->refs++;
		p = o->p;
	}
	hrt_spin_unlock(&hrt_api_lock);
	return p;
}

void hrt_api_obj_put(hrt_handle h)
{
	struct hrt_api_obj *o = &hrt_api_objs[(h & 0xffffffffu) - 1];
	void (*release)(void *) = NULL;
	void *p = NULL;
	bool gone;

	hrt_spin_lock(&hrt_api_lock);
	o->refs--;
	gone = hrt_api_reap(o, &p, &release);
	hrt_spin_unlock(&hrt_api_lock);
	if (gone && release)
		release(p);
}

int hrt_api_obj_destroy(struct hrt_uthread *u, hrt_handle h, u32 type)
{
	void (*release)(void *) = NULL;
	struct hrt_api_obj *o;
	void *p = NULL;
	bool gone = false;

	hrt_spin_lock(&hrt_api_lock);
	o = hrt_api_lookup(u, h, type);
	if (o) {
		o->dead = true;
		gone = hrt_api_reap(o, &p, &release);
	}
	hrt_spin_unlock(&hrt_api_lock);
	if (!o)
		return -EINVAL;
	if (gone && release)
		release(p);
	return 0;
}

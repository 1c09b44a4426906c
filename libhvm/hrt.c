// SPDX-License-Identifier: MIT
/* hrt.c - hrt.h: calls into the aerokernel's table from HRT code, native threads' stacks. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "hrt.h"
#include "hvm_api.h"
#include "hvm_layout.h"
#include "session.h"

#define HVM_EXPORT __attribute__((visibility("default")))

typedef long (*hvm_api_entry)(long, long, long, long, long);

/* CPL 0 only on an HRT core: Linux runs processes at CPL 3. */
static inline bool hvm_cpl0(void)
{
	uint16_t cs;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 0;
}

/* Entry (idx) of the running HRT's table, or NULL when it lacks it. */
static hvm_api_entry hvm_api(unsigned int idx)
{
	const volatile struct hvm_api_table *t =
		(const volatile struct hvm_api_table *)(uintptr_t)HVM_API_TABLE;

	if (t->magic != HVM_API_MAGIC || idx >= t->count || !t->entry[idx])
		return NULL;
	return (hvm_api_entry)(uintptr_t)t->entry[idx];
}

/* Calls entry (idx): -ENOTSUP off the HRT, -ENOSYS when it is missing. */
static long hvm_api_call(unsigned int idx, long a0, long a1, long a2, long a3,
			 long a4)
{
	hvm_api_entry e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_api(idx);
	return e ? e(a0, a1, a2, a3, a4) : -ENOSYS;
}

HVM_EXPORT int hrt_on_hrt(void)
{
	return hvm_cpl0();
}

HVM_EXPORT int hrt_core(void)
{
	return (int)hvm_api_call(HVM_API_CORE, 0, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_ncores(void)
{
	return (int)hvm_api_call(HVM_API_NCORES, 0, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_yield(void)
{
	return (int)hvm_api_call(HVM_API_YIELD, 0, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_thread_set_tls(void *base)
{
	return (int)hvm_api_call(HVM_API_SET_TLS, (long)base, 0, 0, 0, 0);
}

/*
 * A native thread's record lives at the top of its stack mapping, so
 * making one needs no malloc (a native thread without partner cannot
 * make the system calls malloc may need).
 */
#define HVM_NT_MAGIC 0x6874726e61746976ull /* "vitanrth" */
#define HVM_NT_GUARD 4096u
#define HVM_NT_CACHE 64u

struct hrt_thread {
	uint64_t magic;
	long handle;
	void *base; /* the mapping, guard page included */
	struct hrt_thread *next;
};

/* Stacks of joined threads, for the next create: no mmap, no fault. */
static struct hrt_thread *hvm_nt_free;
static unsigned int hvm_nt_nfree;
static int hvm_nt_lock;

static void hvm_nt_take_lock(void)
{
	while (__atomic_exchange_n(&hvm_nt_lock, 1, __ATOMIC_ACQUIRE))
		__builtin_ia32_pause();
}

static void hvm_nt_drop_lock(void)
{
	__atomic_store_n(&hvm_nt_lock, 0, __ATOMIC_RELEASE);
}

static struct hrt_thread *hvm_nt_get(void)
{
	size_t len = HRT_THREAD_STACK + HVM_NT_GUARD;
	struct hrt_thread *r;
	char *base;

	hvm_nt_take_lock();
	r = hvm_nt_free;
	if (r) {
		hvm_nt_free = r->next;
		hvm_nt_nfree--;
	}
	hvm_nt_drop_lock();
	if (r)
		return r;
	/* Populated: a thread without partner must never fault on it. */
	base = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_POPULATE, -1,
		    0);
	if (base == MAP_FAILED)
		return NULL;
	/*
	 * Not in a fork's child: fork would make the parent's pages
	 * copy-on-write, and a thread without partner cannot have Linux
	 * break that.
	 */
	if (mprotect(base, HVM_NT_GUARD, PROT_NONE) ||
	    madvise(base, len, MADV_DONTFORK)) {
		munmap(base, len);
		return NULL;
	}
	r = (struct hrt_thread *)(base + len - 64);
	r->base = base;
	return r;
}

static void hvm_nt_put(struct hrt_thread *r)
{
	r->magic = 0;
	hvm_nt_take_lock();
	if (hvm_nt_nfree < HVM_NT_CACHE) {
		r->next = hvm_nt_free;
		hvm_nt_free = r;
		hvm_nt_nfree++;
		r = NULL;
	}
	hvm_nt_drop_lock();
	if (r)
		munmap(r->base, HRT_THREAD_STACK + HVM_NT_GUARD);
}

void hvm_nt_forget(void)
{
	/* Nothing to unmap: the child never had them (MADV_DONTFORK). */
	hvm_nt_free = NULL;
	hvm_nt_nfree = 0;
	__atomic_store_n(&hvm_nt_lock, 0, __ATOMIC_RELEASE);
}

/* A pointer a caller may have us write: NULL and kernel addresses are not. */
static int hvm_user_ptr(const void *p)
{
	if (!p)
		return -EINVAL;
	return (uintptr_t)p < HVM_USER_TOP ? 0 : -EFAULT;
}

HVM_EXPORT int hrt_thread_create(struct hrt_thread **t, long (*fn)(void *arg),
				 void *arg, int core, unsigned int flags)
{
	struct hrt_thread *r;
	long h;
	int e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_user_ptr(t);
	if (e)
		return e;
	if (!hvm_api(HVM_API_THREAD_CREATE))
		return -ENOSYS;
	/* Fault now, before anything is made, if (t) is not writable. */
	*t = NULL;
	r = hvm_nt_get();
	if (!r)
		return -ENOMEM;
	h = hvm_api_call(HVM_API_THREAD_CREATE, (long)fn, (long)arg, core,
			 flags, (long)((uintptr_t)r & ~15ul));
	if (h < 0) {
		hvm_nt_put(r);
		return (int)h;
	}
	r->magic = HVM_NT_MAGIC;
	r->handle = h;
	*t = r;
	return 0;
}

HVM_EXPORT int hrt_thread_join(struct hrt_thread *t, long *ret)
{
	long r;

	if (!hvm_cpl0())
		return -ENOTSUP;
	if (hvm_user_ptr(t) || (ret && hvm_user_ptr(ret)))
		return t ? -EFAULT : -EINVAL;
	if (((uintptr_t)t & 7) || t->magic != HVM_NT_MAGIC)
		return -ESRCH;
	r = hvm_api_call(HVM_API_THREAD_JOIN, t->handle, 0, 0, 0, 0);
	if (r == -ESRCH || r == -EDEADLK || r == -EINVAL || r == -ENOSYS)
		return (int)r;
	/* Joined: the result frees the HRT's record whatever happened. */
	{
		long res = hvm_api_call(HVM_API_THREAD_RESULT, t->handle, 0, 0,
					0, 0);

		if (!r && ret)
			*ret = res;
	}
	hvm_nt_put(t);
	return (int)r;
}

/* Objects the HRT names by handle: the handle is the pointer. */
static int hvm_obj_create(void **out, unsigned int idx, long a0)
{
	long h;
	int e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_user_ptr(out);
	if (e)
		return e;
	if (!hvm_api(idx))
		return -ENOSYS;
	*out = NULL;
	h = hvm_api_call(idx, a0, 0, 0, 0, 0);
	if (h < 0)
		return (int)h;
	*out = (void *)(uintptr_t)h;
	return 0;
}

HVM_EXPORT int hrt_barrier_create(struct hrt_barrier **b, unsigned int n)
{
	return hvm_obj_create((void **)b, HVM_API_BARRIER_CREATE, n);
}

HVM_EXPORT int hrt_barrier_wait(struct hrt_barrier *b)
{
	return (int)hvm_api_call(HVM_API_BARRIER_WAIT, (long)b, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_barrier_destroy(struct hrt_barrier *b)
{
	return (int)hvm_api_call(HVM_API_BARRIER_DESTROY, (long)b, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_event_create(struct hrt_event **e)
{
	return hvm_obj_create((void **)e, HVM_API_EVENT_CREATE, 0);
}

HVM_EXPORT int64_t hrt_event_wait(struct hrt_event *e, uint64_t seen,
				  uint64_t timeout_ns)
{
	return hvm_api_call(HVM_API_EVENT_WAIT, (long)e, (long)seen,
			    (long)timeout_ns, 0, 0);
}

HVM_EXPORT int hrt_event_notify(struct hrt_event *e)
{
	return (int)hvm_api_call(HVM_API_EVENT_NOTIFY, (long)e, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_event_destroy(struct hrt_event *e)
{
	return (int)hvm_api_call(HVM_API_EVENT_DESTROY, (long)e, 0, 0, 0, 0);
}

/* The process's HRT-memory region, reserved in Linux at the first call. */
static uintptr_t hvm_mem_region;

static long hvm_mem_reserve(void)
{
	size_t len = 2 * HVM_API_MEM_REGION;
	uintptr_t p, a, r;

	r = __atomic_load_n(&hvm_mem_region, __ATOMIC_ACQUIRE);
	if (r)
		return (long)r;
	/* Twice the size, then the aligned half is kept: one top-level entry. */
	p = (uintptr_t)mmap(NULL, len, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if ((void *)p == MAP_FAILED)
		return -errno;
	a = (p + HVM_API_MEM_REGION - 1) & ~(uintptr_t)(HVM_API_MEM_REGION - 1);
	if (a > p)
		munmap((void *)p, a - p);
	if (p + len > a + HVM_API_MEM_REGION)
		munmap((void *)(a + HVM_API_MEM_REGION),
		       p + len - a - HVM_API_MEM_REGION);
	r = 0;
	/* Two threads at once: one reservation stays, the other goes. */
	if (!__atomic_compare_exchange_n(&hvm_mem_region, &r, a, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		munmap((void *)a, HVM_API_MEM_REGION);
		return (long)r;
	}
	return (long)a;
}

HVM_EXPORT int hrt_mem_alloc(void **p, size_t size, unsigned int flags)
{
	long region, r;
	int e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_user_ptr(p);
	if (e)
		return e;
	if (!hvm_api(HVM_API_MEM_ALLOC))
		return -ENOSYS;
	*p = NULL;
	if (!size || (flags & ~HVM_API_MEM_FLAGS))
		return -EINVAL;
	region = hvm_mem_reserve();
	if (region < 0)
		return (int)region;
	r = hvm_api_call(HVM_API_MEM_ALLOC, (long)size, flags, region, 0, 0);
	if (r < 0)
		return (int)r;
	*p = (void *)(uintptr_t)r;
	return 0;
}

HVM_EXPORT int hrt_mem_free(void *p)
{
	return (int)hvm_api_call(HVM_API_MEM_FREE, (long)p, 0, 0, 0, 0);
}

HVM_EXPORT int64_t hrt_virt_to_phys(const void *p)
{
	return hvm_api_call(HVM_API_VIRT_TO_PHYS, (long)p, 0, 0, 0, 0);
}

HVM_EXPORT int hrt_wprotect(void *addr, size_t len,
			    int (*handler)(void *fault_addr, void *arg),
			    void *arg)
{
	return (int)hvm_api_call(HVM_API_WPROTECT, (long)addr, (long)len,
				 (long)handler, (long)arg, 0);
}

HVM_EXPORT int hrt_wunprotect(void *addr, size_t len)
{
	return (int)hvm_api_call(HVM_API_WUNPROTECT, (long)addr, (long)len, 0,
				 0, 0);
}

HVM_EXPORT int hrt_dirty_scan(void *addr, size_t len, uint64_t *bitmap,
			      int clear)
{
	size_t words = (len / 4096 + 63) / 64, i;
	int e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_user_ptr(bitmap);
	if (e)
		return e;
	if (!len)
		return -EINVAL;
	/* Present and writable before the HRT copies into it. */
	for (i = 0; i < words; i++)
		bitmap[i] = 0;
	return (int)hvm_api_call(HVM_API_DIRTY_SCAN, (long)addr, (long)len,
				 (long)bitmap, clear, 0);
}

/* The HRT copies into (*val): present and writable first. */
static int hvm_priv(unsigned int idx, uint32_t n, uint64_t *val)
{
	int e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_user_ptr(val);
	if (e)
		return e;
	*val = 0;
	return (int)hvm_api_call(idx, n, (long)val, 0, 0, 0);
}

HVM_EXPORT int hrt_rdmsr(uint32_t msr, uint64_t *val)
{
	return hvm_priv(HVM_API_RDMSR, msr, val);
}

HVM_EXPORT int hrt_wrmsr(uint32_t msr, uint64_t val)
{
	return (int)hvm_api_call(HVM_API_WRMSR, msr, (long)val, 0, 0, 0);
}

HVM_EXPORT int hrt_rdpmc(uint32_t counter, uint64_t *val)
{
	return hvm_priv(HVM_API_RDPMC, counter, val);
}

HVM_EXPORT int hrt_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	int e;

	if (!hvm_cpl0())
		return -ENOTSUP;
	e = hvm_user_ptr(regs);
	if (e)
		return e;
	__asm__ __volatile__("cpuid"
			     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]),
			       "=d"(regs[3])
			     : "a"(leaf), "c"(subleaf));
	return 0;
}

HVM_EXPORT unsigned long hrt_irq_save(void)
{
	return (unsigned long)hvm_api_call(HVM_API_IRQ_SAVE, 0, 0, 0, 0, 0);
}

HVM_EXPORT void hrt_irq_restore(unsigned long flags)
{
	hvm_api_call(HVM_API_IRQ_RESTORE, (long)flags, 0, 0, 0, 0);
}

HVM_EXPORT int64_t hrt_irq_limit(uint64_t ns)
{
	return hvm_api_call(HVM_API_IRQ_LIMIT, (long)ns, 0, 0, 0, 0);
}

// SPDX-License-Identifier: MIT
/* native.c - native threads: HRT threads of a process made by hrt_thread_create(), with a Linux partner only when asked. */
#include "api.h"
#include "boot.h"
#include "chan.h"
#include "fpu.h"
#include "hvm_chan.h"
#include "log.h"
#include "sched.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "sync.h"
#include "thread.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

/* pthread_create's sharing flags: the partner comes from libhvm's pool. */
#define HRT_NATIVE_CLONE_FLAGS 0x50f00ull

struct hrt_ucall_ret {
	long result;
	long status;
};
struct hrt_ucall_ret hrt_user_call(u64 fn, u64 arg, u64 core_index,
				   u64 stack_top);

/*
 * One native thread.  The object table holds it (handle); the thread
 * itself holds a reference until it ended, a joiner while it waits.
 */
struct hrt_native {
	struct hrt_uthread *u; /* NULL once the thread ended */
	u64 fn, arg, stack;
	s64 handle;
	struct hrt_waitq done_wq;
	volatile bool done;
	bool joined;
	long status; /* 0, -EFAULT (it faulted), -ETIME (watchdog) */
	long result;
};

static s64 hrt_native_partner(struct hrt_uthread *caller,
			      struct hrt_uthread *nu, int core);

static void hrt_native_release(void *p)
{
	hrt_free(p);
}

static long hrt_native_main(void *arg)
{
	struct hrt_native *n = arg;
	struct hrt_uthread *u = n->u;
	struct hrt_ucall_ret r = { 0, -ECANCELED };
	s64 h = n->handle;
	bool served = false;

	hrt_cli();
	if (hrt_uthread_load(u))
		r = hrt_user_call(n->fn, n->arg, hrt_cpu_id(), n->stack);
	hrt_sti();
	if (r.status == HRT_STATUS_EXITED) {
		r.result = (long)u->exit_code;
		r.status = 0;
	}
	served = u->chan != HRT_NO_CHAN && hrt_uthread_alive(u);
	hrt_spin_lock(&n->done_wq.lock);
	n->result = r.result;
	n->status = r.status == -ECANCELED ? 0 : r.status;
	n->done = true;
	n->u = NULL;
	hrt_waitq_wake_all(&n->done_wq);
	hrt_spin_unlock(&n->done_wq.lock);
	__atomic_sub_fetch(&hrt_shm->hrt_native_live, 1, __ATOMIC_RELAXED);
	hrt_api_obj_put((u64)h);
	if (u->chan != HRT_NO_CHAN)
		hrt_uthread_end(u, u->exit_code, u->exit_sig, served);
	hrt_current()->u = NULL;
	hrt_current()->ucall_rsp = 0;
	hrt_free(u);
	return 0;
}

s64 hrt_api_thread_create(u64 fn, u64 arg, u64 core, u64 flags, u64 stack_top)
{
	struct hrt_uthread *caller = hrt_api_caller(), *nu;
	struct hrt_native *n;
	struct hrt_thread *t;
	int cpu = (int)(s64)core;
	s64 h, live;

	if (!caller)
		return -ENOTSUP;
	if (flags & ~HVM_API_THREAD_FLAGS)
		return -EINVAL;
	if (cpu != -1 && ((s64)core < 0 || core >= hrt_ncpus ||
			  !READ_ONCE(hrt_cpus[core].online)))
		return -EINVAL;
	if (!fn || !hrt_user_addr(fn) || !stack_top ||
	    !hrt_user_addr(stack_top - 1) || (stack_top & 15))
		return -EFAULT;
	/* A thread without a channel has nobody to ask for a partner. */
	if (!(flags & HVM_API_THREAD_NOSYS) && caller->chan == HRT_NO_CHAN)
		return -ENOSYS;
	live = (s64)__atomic_add_fetch(&hrt_shm->hrt_native_live, 1,
				       __ATOMIC_RELAXED);
	if (live > HVM_API_THREADS_MAX) {
		h = -EAGAIN;
		goto out_count;
	}
	n = hrt_zalloc(sizeof(*n));
	nu = hrt_zalloc(sizeof(*nu));
	t = n && nu ? hrt_thread_create(hrt_native_main, n, "native",
					cpu < 0 ? HRT_ANY_CPU : cpu,
					HRT_THREAD_NOSTART |
						HRT_THREAD_DETACHED)
		    : NULL;
	if (!t) {
		h = -EAGAIN;
		goto out_free;
	}
	hrt_waitq_init(&n->done_wq);
	n->u = nu;
	n->fn = fn;
	n->arg = arg;
	n->stack = stack_top;
	nu->t = t;
	nu->ctx = caller->ctx;
	nu->fs = caller->fs;
	nu->native = true;
	nu->chan = HRT_NO_CHAN;
	nu->last_fault = ~0ull;
	nu->sys_nr = ~0ull;
	nu->irq_limit_ns = caller->irq_limit_ns;
	/* Its FP/SIMD state starts as a copy of ours, as a clone's does. */
	hrt_fpu_save(t->fpu);
	h = hrt_api_obj_new(caller, HRT_API_THREAD, n, hrt_native_release);
	if (h < 0)
		goto out_thread;
	n->handle = h;
	nu->api_handle = (u64)h;
	/* The thread's own reference, dropped when it ended. */
	hrt_api_obj_get(caller, (u64)h, HRT_API_THREAD);
	if (!(flags & HVM_API_THREAD_NOSYS)) {
		s64 r = hrt_native_partner(caller, nu, cpu);

		if (r < 0) {
			hrt_api_obj_put((u64)h);
			hrt_api_obj_destroy(caller, (u64)h, HRT_API_THREAD);
			n = NULL; /* freed with the handle */
			h = r;
			goto out_thread;
		}
	}
	if (cpu >= 0)
		t->pin = cpu;
	t->u = nu;
	HRT_COUNT(native_threads);
	hrt_thread_start_new(t);
	return h;

out_thread:
	hrt_thread_discard(t);
out_free:
	hrt_free(nu);
	hrt_free(n);
out_count:
	__atomic_sub_fetch(&hrt_shm->hrt_native_live, 1, __ATOMIC_RELAXED);
	return h;
}

/*
 * Has libhvm hand native thread (nu) a partner from its pool, over the
 * caller's channel (one round trip, as pthread_create from HRT code).
 */
static s64 hrt_native_partner(struct hrt_uthread *caller,
			      struct hrt_uthread *nu, int core)
{
	struct hvm_chan *c = hrt_uthread_chan(caller);
	u64 args[6] = { HRT_NATIVE_CLONE_FLAGS,
			0,
			0,
			0,
			0,
			core >= 0 ? (u64)core : hrt_chan_quiet_core() };
	u32 idx, ccore;
	s64 ret;

	memset(&c->fault, 0, sizeof(c->fault));
	c->cur_fs = caller->fs;
	ret = hrt_uthread_forward(caller, HVM_CHAN_SYSCALL, HVM_NR_CLONE, args);
	if (ret == HRT_FWD_ABORTED)
		return -ECANCELED;
	if (ret < 0)
		return ret;
	idx = (u32)READ_ONCE(c->reply2);
	ccore = idx < HVM_CHAN_MAX ? READ_ONCE(hrt_area->chan[idx].core) : ~0u;
	if (ccore >= hrt_ncpus || !hrt_cpus[ccore].online) {
		hrt_printf("hrt: native thread: bad channel %u from the ROS\n",
			   idx);
		return -EAGAIN;
	}
	nu->chan = idx;
	hrt_chan_last[idx] =
		__atomic_load_n(&hrt_area->chan[idx].req_seq, __ATOMIC_ACQUIRE);
	nu->t->cpu = core >= 0 ? core : (int)ccore;
	hrt_chan_set_owner(idx, nu);
	return 0;
}

s64 hrt_api_thread_join(u64 h)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_native *n;
	s64 r;

	if (!u)
		return -ENOTSUP;
	n = hrt_api_obj_get(u, h, HRT_API_THREAD);
	if (!n)
		return -ESRCH;
	if (n->u == u) {
		hrt_api_obj_put(h);
		return -EDEADLK;
	}
	hrt_spin_lock(&n->done_wq.lock);
	while (!n->done && !n->joined && hrt_uthread_alive(u)) {
		u64 f = n->done_wq.lock.flags;

		hrt_waitq_prepare(&n->done_wq);
		hrt_spin_unlock_raw(&n->done_wq.lock);
		hrt_schedule();
		hrt_irq_restore(f);
		hrt_spin_lock(&n->done_wq.lock);
	}
	if (n->joined)
		r = -EINVAL; /* another joiner took it */
	else if (!n->done)
		r = -ECANCELED;
	else {
		n->joined = true;
		r = n->status;
	}
	hrt_spin_unlock(&n->done_wq.lock);
	hrt_api_obj_put(h);
	if (r == -ECANCELED)
		hrt_uthread_abort(u, -ECANCELED);
	return r;
}

s64 hrt_api_thread_result(u64 h)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_native *n;
	bool joined;
	s64 r;

	if (!u)
		return -ENOTSUP;
	n = hrt_api_obj_get(u, h, HRT_API_THREAD);
	if (!n)
		return -ESRCH;
	joined = n->joined;
	r = joined ? n->result : -EINVAL;
	hrt_api_obj_put(h);
	if (joined)
		hrt_api_obj_destroy(u, h, HRT_API_THREAD);
	return r;
}

s64 hrt_api_thread_self(void)
{
	struct hrt_uthread *u = hrt_api_caller();

	if (!u)
		return -ENOTSUP;
	return u->native ? (s64)u->api_handle : 0;
}

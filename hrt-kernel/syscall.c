// SPDX-License-Identifier: MIT
/* syscall.c - system calls of process code: those the HRT serves (exit, clone, fork, futex, ...), the rest forwarded. */
#include "syscall.h"
#include "chan.h"
#include "fpu.h"
#include "futex.h"
#include "hvm_chan.h"
#include "hvm_fwd.h"
#include "log.h"
#include "sched.h"
#include "signal.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

/* The call numbers the HRT serves or watches are HVM_SYS_* (hvm_fwd.h). */

/* One sched_yield in this many in a row is forwarded (signals, see below). */
#define HRT_YIELD_FORWARD 64

#define ARCH_SET_FS 0x1002

#define CLONE_VM	     0x00000100ull
#define CLONE_VFORK	     0x00004000ull
#define CLONE_SETTLS	     0x00080000ull
#define CLONE_THREAD	     0x00010000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define SIGCHLD		     17
/* sizeof(struct robust_list_head): Linux refuses any other length. */
#define ROBUST_HEAD_LEN	     24

/*
 * Entry of a cloned thread: its kernel stack gets the frames, then process
 * code.
 */
static long hrt_uthread_clone_main(void *arg)
{
	struct hrt_uthread *u = arg;
	u64 base, *fake;
	struct hrt_regs *r;

	hrt_cli();
	/*
	 * Below this frame (never returned to): an hrt_user_call-shaped frame
	 * whose return ends the thread (aborts land there), then the first
	 * entry's registers.  Entries from process code land below base.
	 */
	base = ((u64)__builtin_frame_address(0) - 512) & ~15ull;
	fake = (u64 *)base;
	memset(fake, 0, 6 * sizeof(u64));
	fake[6] = (u64)hrt_uthread_abort_landing;
	u->t->ucall_rsp = base;
	hrt_this_cpu()->ucall_rsp = base;
	r = (struct hrt_regs *)(base - sizeof(*r));
	*r = u->regs;
	if (!hrt_uthread_load(u))
		hrt_uthread_end(u, 0, 0, false);
	hrt_uthread_enter(r);
}

/*
 * clone, fork and vfork from process code.  CLONE_THREAD makes an HRT
 * thread plus its ROS partner; anything else makes the child on the ROS,
 * where it resumes natively with our registers (libhvm).  Linux checks
 * the flags when the partner makes the real call.
 */
static s64 hrt_uthread_clone(struct hrt_uthread *u, const struct hrt_regs *r,
			     u64 flags, u64 sp, u64 ptid, u64 ctid, u64 tls)
{
	struct hvm_chan *c = hrt_uthread_chan(u);
	u64 args[6] = { flags, sp, ptid, ctid, tls, hrt_chan_quiet_core() };
	struct hrt_uthread *nu = NULL;
	struct hrt_thread *t = NULL;
	u32 mxcsr, idx, core;
	u16 fcw;
	s64 ret;

	if (flags & CLONE_THREAD) {
		/*
		 * Everything the HRT needs first: a partner we cannot match is
		 * worse.
		 */
		nu = hrt_zalloc(sizeof(*nu));
		if (nu)
			t = hrt_thread_create(hrt_uthread_clone_main, nu,
					      "uthread", HRT_ANY_CPU,
					      HRT_THREAD_NOSTART |
						      HRT_THREAD_DETACHED);
		if (!t) {
			hrt_free(nu);
			return -EAGAIN;
		}
		nu->t = t;
		nu->ctx = u->ctx;
		nu->fs = (flags & CLONE_SETTLS) ? tls : u->fs;
		nu->clear_tid = (flags & CLONE_CHILD_CLEARTID) ? ctid : 0;
		nu->last_fault = ~0ull;
		nu->sys_nr = ~0ull;
		nu->regs = *r;
		nu->regs.rax = 0;
		if (sp)
			nu->regs.rsp = sp;
		/*
		 * The child starts with a copy of our FP/SIMD state, as on
		 * Linux.
		 */
		hrt_fpu_save(t->fpu);
	}
	memset(&c->fault, 0, sizeof(c->fault));
	hrt_uthread_fill_regs(&c->fault, r);
	hrt_fpu_get_control(&mxcsr, &fcw);
	c->cur_fs = u->fs;
	c->cur_mxcsr = mxcsr;
	c->cur_fcw = fcw;
	ret = hrt_uthread_forward(u, HVM_CHAN_SYSCALL, HVM_NR_CLONE, args);
	if (!nu) {
		if (ret == HRT_FWD_ABORTED)
			hrt_uthread_abort(u, -ECANCELED);
		return ret;
	}
	idx = (u32)READ_ONCE(c->reply2);
	core = idx < HVM_CHAN_MAX ? READ_ONCE(hrt_area->chan[idx].core) : ~0u;
	if (ret < 0 || core >= hrt_ncpus || !hrt_cpus[core].online) {
		if (ret >= 0)
			hrt_printf("hrt: clone: bad channel %u from the ROS\n",
				   idx);
		hrt_thread_discard(t);
		hrt_free(nu);
		if (ret == HRT_FWD_ABORTED)
			hrt_uthread_abort(u, -ECANCELED);
		return ret < 0 ? ret : -EAGAIN;
	}
	nu->chan = idx;
	hrt_chan_last[idx] =
		__atomic_load_n(&hrt_area->chan[idx].req_seq, __ATOMIC_ACQUIRE);
	t->cpu = (int)core;
	t->pin = (int)core;
	hrt_chan_set_owner(idx, nu);
	t->u = nu;
	HRT_COUNT(threads_created);
	hrt_thread_start_new(t);
	return ret;
}

/*
 * A call Linux executes: forwarded to the partner; after those that may add
 * a top-level entry, the context's root is re-read.
 */
static s64 hrt_syscall_forward(struct hrt_uthread *u, u64 nr, const u64 *a)
{
	s64 ret;

	u->yields = 0; /* a forwarded call: held signals had their chance */
	ret = hrt_uthread_forward(u, HVM_CHAN_SYSCALL, nr, a);

	if (ret == HRT_FWD_ABORTED)
		hrt_uthread_abort(u, -ECANCELED);
	switch (nr) {
	case HVM_SYS_mmap:
	case HVM_SYS_brk:
	case HVM_SYS_mremap:
		/*
		 * A new top-level entry is only in Linux's root.  No CR3 load:
		 * entries that were not present are not in any TLB, and
		 * whatever Linux removed or changed went through hvm.ko's
		 * mmu_notifier, whose flush request hrt_uthread_wait_reply()
		 * has applied (munmap, mprotect, madvise need nothing more).
		 */
		hrt_cli();
		hrt_uctx_resync(u->ctx, false);
		break;
	}
	return ret;
}

void hrt_uthread_syscall(struct hrt_regs *r)
{
	struct hrt_uthread *u = hrt_uthread_current();
	u64 nr = r->rax,
	    a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
	s64 ret;

	if (!u) {
		r->rax = (u64)-ENOSYS;
		return;
	}
	/* A native thread made without a partner: only exit is served. */
	if (u->chan == HRT_NO_CHAN) {
		if (nr == HVM_SYS_exit)
			hrt_uthread_exit(u, a[0], 0);
		r->rax = (u64)-ENOSYS;
		return;
	}
	u->sys_nr = nr;
	hrt_sti();
	switch (nr) {
	case HVM_SYS_rt_sigreturn:
		/* The frame's registers, rax included, are the result. */
		hrt_signal_return(u, r);
		u->sys_nr = ~0ull;
		hrt_uthread_return(r);
		return;
	case HVM_SYS_exit:
		hrt_uthread_exit(u, a[0], 0);
	case HVM_SYS_clone:
		ret = hrt_uthread_clone(u, r, a[0], a[1], a[2], a[3], a[4]);
		break;
	case HVM_SYS_fork:
		ret = hrt_uthread_clone(u, r, SIGCHLD, 0, 0, 0, 0);
		break;
	case HVM_SYS_vfork:
		ret = hrt_uthread_clone(u, r, CLONE_VM | CLONE_VFORK | SIGCHLD,
					0, 0, 0, 0);
		break;
	case HVM_SYS_sched_yield:
		/*
		 * The HRT schedules this thread, not Linux: forwarding it only
		 * made the partner yield a ROS core and the reply's wake-up
		 * cost what a spin-and-yield loop (MPI's progress) meant to
		 * save.  Alone on its core it returns at once, as Linux's does.
		 * Every HRT_YIELD_FORWARD-th in a row still goes to Linux: a
		 * signal libhvm holds back reaches HRT code only at a forwarded
		 * call, and a loop that waits for one must get it.
		 */
		if (++u->yields < HRT_YIELD_FORWARD) {
			hrt_thread_yield();
			ret = 0;
			break;
		}
		ret = hrt_syscall_forward(u, nr, a);
		break;
	case HVM_SYS_getpid:
		/*
		 * What Linux would answer, recorded by hvm.ko when the process
		 * bound: nothing changes it while the binding lasts (a fork's
		 * child or an exec binds anew).  gettid stays forwarded: a
		 * pooled partner's channel may have been opened by another
		 * thread than the one that serves it.
		 */
		ret = READ_ONCE(hrt_area->ctx[u->ctx].tgid);
		if (!ret)
			ret = hrt_syscall_forward(u, nr, a);
		break;
	case HVM_SYS_clone3:
		/* glibc falls back to clone, which carries all we need. */
		ret = -ENOSYS;
		break;
	case HVM_SYS_futex:
		ret = hrt_futex(u, a);
		if (ret == HRT_FWD_ABORTED)
			hrt_uthread_abort(u, -ECANCELED);
		break;
	case HVM_SYS_set_robust_list:
		/* A worker's list is its caller's: Linux keeps that one. */
		if (u->worker) {
			ret = hrt_syscall_forward(u, nr, a);
			break;
		}
		/*
		 * Kept here, registered by the partner right before its exit
		 * (hrt_uthread_end): Linux reads the head only at thread death.
		 */
		if (a[1] != ROBUST_HEAD_LEN) {
			ret = -EINVAL;
			break;
		}
		u->robust = a[0];
		u->robust_len = a[1];
		ret = 0;
		break;
	case HVM_SYS_arch_prctl:
		if (a[0] == ARCH_SET_FS) {
			/* The FS base is the HRT thread's, not the partner's. */
			if (!hrt_user_addr(a[1])) {
				ret = -EPERM;
				break;
			}
			hrt_cli();
			u->fs = a[1];
			hrt_uthread_load_fs(u);
			hrt_sti();
			ret = 0;
			break;
		}
		/* fall through */
	default:
		ret = hrt_syscall_forward(u, nr, a);
	}
	hrt_cli();
	r->rax = (u64)ret;
	hrt_uthread_return(r);
	u->sys_nr = ~0ull;
}

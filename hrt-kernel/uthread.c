// SPDX-License-Identifier: MIT
/* uthread.c - HRT threads running process code: entry, forwarding of calls and faults, end. */
#include "uthread.h"
#include "api.h"
#include "boot.h"
#include "chan.h"
#include "futex.h"
#include "gdt.h"
#include "health.h"
#include "hvm_chan.h"
#include "hvmipi.h"
#include "log.h"
#include "mm.h"
#include "sched.h"
#include "signal.h"
#include "slab.h"
#include "smp.h"
#include "thread.h"
#include "uctx.h"
#include "x86.h"

#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  (1u << 0)

/*
 * Bounds of hrt_uthread_page_fault() for one page and access: faults on
 * an entry that already allows it, and pages Linux populated that the
 * HRT's view did not show.
 */
#define HRT_FAULT_SPURIOUS_MAX 64
#define HRT_FAULT_UNSEEN_MAX   1024
/*
 * A forwarded call's waiter spins this long (if nothing else may run), then
 * sleeps.
 */
#define HRT_FWD_SPIN_US	       200

struct hrt_ucall_ret {
	long result;
	long status;
};

__noreturn void hrt_uthread_aborted(long status);
extern char hrt_user_abort_landing[];
extern char hrt_syscall_entry[], hrt_ustub_start[], hrt_ustub_end[];
extern char hrt_api_thunks[], hrt_api_thunks_end[];

u64 hrt_chan_last[HVM_CHAN_MAX];
/* Per core: the FS base in the MSR (process code's; kernel code ignores it). */
static u64 hrt_fs_loaded[HRT_MAX_CPUS];

struct hrt_uthread *hrt_uthread_current(void)
{
	return hrt_current()->u;
}

struct hvm_chan *hrt_uthread_chan(struct hrt_uthread *u)
{
	return &hrt_area->chan[u->chan];
}

static void hrt_uthread_invlpg(u64 va)
{
	hrt_invlpg(va);
	HRT_EVENT(tlb_flushes, HVM_EV_TLB_FLUSHES);
}

bool hrt_regs_from_process(const struct hrt_regs *r)
{
	return hrt_user_addr(r->rip) ||
	       (r->rip >= (u64)hrt_ustub_start &&
		r->rip < (u64)hrt_ustub_end) ||
	       (r->rip >= (u64)hrt_api_thunks &&
		r->rip < (u64)hrt_api_thunks_end);
}

void hrt_chan_notify(struct hvm_chan *c)
{
	/* The ROS stores flags, fences, reads evt_seq; we the reverse. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (READ_ONCE(c->flags) & HVM_CHAN_F_NOTIFY) {
		hrt_hvm_notify_ros();
		HRT_EVENT(ros_irqs, HVM_EV_ROS_IRQS);
	}
}

void hrt_uthread_init_cpu(void)
{
	hrt_wrmsr(MSR_EFER, hrt_rdmsr(MSR_EFER) | EFER_SCE);
	hrt_wrmsr(MSR_STAR, (u64)HRT_KCODE << 32);
	hrt_wrmsr(MSR_LSTAR, (u64)hrt_syscall_entry);
	/*
	 * IF, TF, DF, AC off on entry: the stack switch must not be
	 * interrupted.
	 */
	hrt_wrmsr(MSR_FMASK, (1u << 9) | (1u << 8) | (1u << 10) | (1u << 18));
}

void hrt_uthread_load_fs(struct hrt_uthread *u)
{
	u32 me = hrt_cpu_id();

	if (hrt_fs_loaded[me] != u->fs) {
		hrt_wrmsr(MSR_FS_BASE, u->fs);
		HRT_EVENT(msr_writes, HVM_EV_MSR_WRITES);
		hrt_fs_loaded[me] = u->fs;
	}
}

bool hrt_uthread_load(struct hrt_uthread *u)
{
	u64 f = hrt_irq_save();
	bool ok = hrt_uctx_load(u->ctx);

	hrt_uthread_load_fs(u);
	hrt_irq_restore(f);
	return ok;
}

void hrt_uthread_switch_in(struct hrt_thread *t)
{
	/* A worker between invocations runs no process code: keep the core's. */
	if (t->u->ctx == HRT_NO_CTX)
		return;
	/* A failed load leaves the kernel root: the return path ends the code. */
	hrt_uctx_load(t->u->ctx);
	hrt_uthread_load_fs(t->u);
}

/* Still worth running: the process is bound and the HRT serves. */
bool hrt_uthread_alive(struct hrt_uthread *u)
{
	return hrt_uctx_alive(u->ctx) &&
	       READ_ONCE(hrt_shm->hrt_state) == HVM_HRT_READY;
}

void hrt_uthread_sleep(struct hrt_uthread *u, bool reply)
{
	struct hvm_chan *c = hrt_uthread_chan(u);
	struct hrt_thread *t = u->t;
	u64 f = hrt_irq_save();

	/*
	 * Blocked first, then the flag the ROS reads after its reply, then
	 * one more look: a wake-up between the look and the switch makes us
	 * RUNNABLE again, and hrt_schedule() keeps a runnable thread.
	 */
	t->state = HRT_T_BLOCKED;
	if (reply) {
		HRT_COUNT(fwd_sleeps);
		__atomic_store_n(&c->hrt_sleeping, 1, __ATOMIC_SEQ_CST);
	} else
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE) ==
		    hrt_chan_last[u->chan] &&
	    (!reply || hrt_uthread_alive(u)))
		hrt_schedule();
	else
		t->state = HRT_T_RUNNING;
	if (reply)
		__atomic_store_n(&c->hrt_sleeping, 0, __ATOMIC_RELAXED);
	hrt_irq_restore(f);
}

/*
 * Posts a forwarded call or fault on the thread's channel and waits for
 * the reply: spins while nothing else could use the core, then sleeps in
 * the scheduler.  Called with interrupts on.  Returns the reply or
 * HRT_FWD_ABORTED (abort request, dead process, HRT stopping).
 */
/*
 * Takes (u)'s channel's next request; the reply to a posted call is
 * consumed here (nobody waits for it) and reads as no request.
 */
static u32 hrt_uthread_take(struct hrt_uthread *u)
{
	u32 op = hvm_chan_take(hrt_uthread_chan(u), &hrt_chan_last[u->chan]);

	if (op == HVM_OP_REPLY && u->pending) {
		u->pending = false;
		return HVM_OP_NONE;
	}
	return op;
}

/*
 * Waits for the reply to the call on (u)'s channel: spins while nothing
 * else could use the core, then sleeps in the scheduler.  Interrupts on.
 */
static s64 hrt_uthread_wait_reply(struct hrt_uthread *u)
{
	struct hvm_chan *c = hrt_uthread_chan(u);
	struct hrt_cpu *cpu = hrt_this_cpu();
	u64 t0 = hrt_rdtsc(),
	    spin = hrt_bootinfo->tsc_khz * HRT_FWD_SPIN_US / 1000;
	u64 kicks = hvm_chan_kicks(hrt_area, cpu->id), k;
	s64 ret;

	for (;;) {
		u32 op = hvm_chan_take(c, &hrt_chan_last[u->chan]);
		bool give_way = false;

		if (op == HVM_OP_REPLY) {
			ret = READ_ONCE(c->reply);
			break;
		}
		if (op == HVM_OP_ABORT || !hrt_uthread_alive(u)) {
			ret = HRT_FWD_ABORTED;
			break;
		}
		if (op != HVM_OP_NONE)
			continue; /* a stale request: dropped */
		/*
		 * New kicks: wake whom they are for.  Often it is only the
		 * late kick of our own invocation (posted before its kick),
		 * and nobody else wants the core.
		 */
		k = hvm_chan_kicks(hrt_area, cpu->id);
		if (k != kicks) {
			kicks = k;
			give_way = hrt_chan_rescan(cpu->id);
		}
		/* Others may run, or only the service can help: give way. */
		if (give_way || hrt_chan_others_runnable(cpu->id) ||
		    hrt_rdtsc() - t0 > spin)
			hrt_uthread_sleep(u, true);
		else
			hrt_pause();
	}
	__atomic_store_n(&c->state, HVM_CHAN_RUNNING, __ATOMIC_RELAXED);
	c->fwd_cycles += hrt_rdtsc() - t0;
	/* A flush request may have come while we slept elsewhere. */
	hrt_uctx_check(u->ctx);
	return ret;
}

s64 hrt_uthread_drain(struct hrt_uthread *u)
{
	if (!u->pending)
		return 0;
	u->pending = false;
	return hrt_uthread_wait_reply(u) == HRT_FWD_ABORTED ? HRT_FWD_ABORTED
							    : 0;
}

/* Posts call or fault (state, nr, args); the channel must be free. */
static void hrt_uthread_post_event(struct hrt_uthread *u, u32 state, u64 nr,
				   const u64 *args)
{
	struct hvm_chan *c = hrt_uthread_chan(u);
	int i;

	c->nr = nr;
	for (i = 0; i < 6; i++)
		c->args[i] = args[i];
	c->nr_forwarded++;
	if (state == HVM_CHAN_FAULT)
		HRT_EVENT(fwd_faults, HVM_EV_FWD_FAULTS);
	else
		HRT_EVENT(fwd_calls, HVM_EV_FWD_CALLS);
	hvm_chan_event(c, state);
	hrt_chan_notify(c);
}

s64 hrt_uthread_forward(struct hrt_uthread *u, u32 state, u64 nr,
			const u64 *args)
{
	if (hrt_uthread_drain(u) == HRT_FWD_ABORTED)
		return HRT_FWD_ABORTED;
	hrt_uthread_post_event(u, state, nr, args);
	return hrt_uthread_wait_reply(u);
}

int hrt_uthread_post(struct hrt_uthread *u, u64 nr, const u64 *args)
{
	/*
	 * No merging with a post still unanswered: the ROS may be executing
	 * it already (it answers after), so a waiter that came since would
	 * miss it.
	 */
	if (hrt_uthread_drain(u) == HRT_FWD_ABORTED)
		return (int)HRT_FWD_ABORTED;
	hrt_uthread_post_event(u, HVM_CHAN_SYSCALL, nr, args);
	u->pending = true;
	return 0;
}

__noreturn void hrt_uthread_end(struct hrt_uthread *u, u64 code, u64 sig,
				bool served)
{
	struct hvm_chan *c = hrt_uthread_chan(u);
	struct hrt_thread *t = u->t;

	/* The partner must see every call we posted, if anyone still serves. */
	if (served) {
		hrt_sti();
		hrt_uthread_drain(u);
	}
	u->pending = false;
	/* pthread_join waits on this word; the partner's exit clears it. */
	if (u->clear_tid)
		hrt_futex_linux_wakes(u, u->clear_tid);
	hrt_cli();
	hrt_chan_set_owner(u->chan, NULL);
	c->args[0] = code;
	c->args[1] = sig;
	/* The partner registers it before its exit: Linux walks it there. */
	c->args[2] = u->robust;
	c->args[3] = u->robust_len;
	c->t_finish = hrt_rdtsc();
	hvm_chan_event(c, HVM_CHAN_EXIT);
	hrt_chan_notify(c);
	t->u = NULL;
	t->ucall_rsp = 0;
	hrt_free(u);
	hrt_thread_exit(0);
}

__noreturn void hrt_uthread_exit(struct hrt_uthread *u, u64 code, u64 sig)
{
	struct hvm_chan *c = hrt_uthread_chan(u);

	/* native.c ends it, after its hrt_user_call returns. */
	if (u->native) {
		u->exit_code = code;
		u->exit_sig = sig;
		hrt_user_abort_to(HRT_STATUS_EXITED);
	}
	if (!u->worker)
		hrt_uthread_end(u, code, sig, true);
	/* The invocation's waiter exits in its place (libhvm). */
	hrt_sti();
	hrt_uthread_drain(u);
	hrt_cli();
	c->args[0] = code;
	c->args[1] = sig;
	c->t_finish = hrt_rdtsc();
	hvm_chan_event(c, HVM_CHAN_EXIT);
	hrt_chan_notify(c);
	hrt_user_abort_to(HRT_STATUS_EXITED);
}

/* usercall.S: a cloned thread's process code was aborted. */
__noreturn void hrt_uthread_aborted(long status)
{
	(void)status;
	hrt_uthread_end(hrt_uthread_current(), 0, 0, false);
}

__noreturn void hrt_uthread_abort(struct hrt_uthread *u, long status)
{
	(void)u;
	hrt_user_abort_to(status);
}

bool hrt_uthread_stop(struct hrt_uthread *u)
{
	struct hvm_chan *c = hrt_uthread_chan(u);

	if (!hrt_uthread_alive(u))
		return true;
	if (u->chan == HRT_NO_CHAN)
		return false;
	if (__atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE) ==
	    hrt_chan_last[u->chan])
		return false;
	/* Only an abort is news here; a stale request is dropped. */
	return hrt_uthread_take(u) == HVM_OP_ABORT;
}

void hrt_uthread_return(struct hrt_regs *r)
{
	struct hrt_uthread *u = hrt_uthread_current();

	/* Its address space loaded, alive, no abort request: go on. */
	if (!u)
		return;
	if (hrt_uctx_current() == u->ctx && !hrt_uthread_stop(u)) {
		if (hrt_signal_pending(u))
			hrt_signal_deliver(u, r);
		return;
	}
	/* Leave the code: iretq lands in hrt_user_abort_landing. */
	r->rax = (u64)-ECANCELED;
	r->rip = (u64)hrt_user_abort_landing;
	r->cs = HRT_KCODE;
	r->ss = HRT_KDATA;
	r->rsp = hrt_this_cpu()->ucall_rsp;
	r->rflags = 0x2;
}

void hrt_uthread_fill_regs(struct hvm_fault *f, const struct hrt_regs *r)
{
	f->rip = r->rip;
	f->rsp = r->rsp;
	f->rflags = r->rflags;
	f->regs[0] = r->rax;
	f->regs[1] = r->rbx;
	f->regs[2] = r->rcx;
	f->regs[3] = r->rdx;
	f->regs[4] = r->rsi;
	f->regs[5] = r->rdi;
	f->regs[6] = r->rbp;
	f->regs[7] = r->rsp;
	f->regs[8] = r->r8;
	f->regs[9] = r->r9;
	f->regs[10] = r->r10;
	f->regs[11] = r->r11;
	f->regs[12] = r->r12;
	f->regs[13] = r->r13;
	f->regs[14] = r->r14;
	f->regs[15] = r->r15;
}

/* Does the loaded root let process code make access (error) at (va)? */
static bool hrt_uthread_allows(u64 va, u64 error)
{
	u64 e = hrt_mm_lookup(va, NULL);

	if (!(e & PTE_P))
		return false;
	if ((error & PF_WRITE) && !(e & PTE_W))
		return false;
	return !((error & PF_INSTR) && (e & PTE_NX));
}

/*
 * Makes the HRT's view of (va) Linux's again after Linux changed it:
 * a top-level entry is a copy (re-read it, and load the root, since the
 * old one may be cached), the levels below are Linux's own tables (only
 * this core's TLB entry for va can be stale).
 */
static void hrt_uthread_refresh(struct hrt_uthread *u, u64 va)
{
	if (hrt_uctx_top_stale(u->ctx, va))
		hrt_uctx_resync(u->ctx, true);
	else
		hrt_uthread_invlpg(va);
}

/*
 * A #PF of process code at user address (va): returns 0 when the access
 * is to be made again, else the signal Linux would send for it, with its
 * si_code in (*code).  Linux decides; the HRT only checks, after Linux
 * populated the page, that its own view now allows the access, which
 * tells a served fault from a page another thread has unmapped again
 * meanwhile (served again) and from an access the VMA forbids although
 * the page is there (an instruction fetch from a page without exec).
 * Nothing here counts faults per address: the same page faulting again
 * after a munmap and mmap is an ordinary new fault (mmap_loop.c).
 */
static int hrt_uthread_page_fault(struct hrt_uthread *u, struct hrt_regs *r,
				  u64 va, s32 *code)
{
	u64 key = (va & ~0xfffull) | (r->error & 0xfff), args[6] = { 0 };
	s64 rep;

	/* HRT memory the process write-protected: its handler decides. */
	if ((r->error & (PF_WRITE | PF_PRESENT)) == (PF_WRITE | PF_PRESENT)) {
		int w = hrt_wp_fault(u, r, va);

		if (w > 0)
			return 0;
		if (w < 0)
			return hvm_fault_reply_signal(HVM_FAULT_ACCERR, code);
	}
	if (key != u->last_fault) {
		u->last_fault = key;
		u->fault_spurious = 0;
		u->fault_unseen = 0;
	}
	/*
	 * Already allowed: a TLB entry older than a widening Linux makes
	 * without a flush (write access after a copy-on-write break or an
	 * mprotect), or a top-level entry Linux added.  The fault dropped the
	 * entry; refreshing costs no round trip.  Bounded: hardware that
	 * keeps faulting on an entry that allows the access (a reserved bit)
	 * must not spin here.
	 */
	if (hrt_uctx_top_stale(u->ctx, va)) {
		hrt_uctx_resync(u->ctx, true);
		return 0;
	}
	if (hrt_uthread_allows(va, r->error) && !(r->error & PF_RSVD) &&
	    ++u->fault_spurious < HRT_FAULT_SPURIOUS_MAX) {
		hrt_uthread_invlpg(va);
		return 0;
	}
	/* Nobody in Linux to populate it: the thread ends (hrt_thread_join). */
	if (u->chan == HRT_NO_CHAN)
		return hvm_fault_reply_signal(HVM_FAULT_MAPERR, code);
	args[0] = va;
	args[1] = r->error;
	hrt_sti();
	rep = hrt_uthread_forward(u, HVM_CHAN_FAULT, 0, args);
	hrt_cli();
	if (rep == HRT_FWD_ABORTED)
		hrt_uthread_abort(u, -ECANCELED);
	if (rep == HVM_FAULT_AGAIN)
		return 0;
	if (rep)
		return hvm_fault_reply_signal(rep, code);
	hrt_uthread_refresh(u, va);
	if (hrt_uthread_allows(va, r->error)) {
		u->fault_spurious = 0;
		u->fault_unseen = 0;
		return 0;
	}
	/* Present, but not executable: Linux's VMA has no PROT_EXEC. */
	if ((r->error & PF_INSTR) && (hrt_mm_lookup(va, NULL) & PTE_P))
		return hvm_fault_reply_signal(HVM_FAULT_ACCERR, code);
	/*
	 * Gone again before we looked (another thread unmapped or protected
	 * it): serve the new fault.  A view that never follows Linux would be
	 * a coherence bug; it ends as a fault, not a hang.
	 */
	if (++u->fault_unseen < HRT_FAULT_UNSEEN_MAX)
		return 0;
	hrt_printf(
		"hrt: chan %u ctx %u: Linux populated %lx %u times but the HRT never saw it\n",
		u->chan, u->ctx, va, HRT_FAULT_UNSEEN_MAX);
	return hvm_fault_reply_signal(HVM_FAULT_ACCERR, code);
}

void hrt_uthread_trap(struct hrt_regs *r)
{
	struct hrt_uthread *u = hrt_uthread_current();
	u64 cr2 = hrt_read_cr2(), addr = 0;
	s32 code = 0;
	int sig;

	if (!u) {
		hrt_printf(
			"hrt: exception at a process address outside process code\n");
		hrt_dump_regs(r);
		hrt_crash();
	}
	if (r->vector == 14 && hrt_user_addr(cr2)) {
		sig = hrt_uthread_page_fault(u, r, cr2, &code);
		if (!sig) {
			hrt_uthread_return(r);
			return; /* make the access again */
		}
		addr = cr2;
	} else {
		sig = hvm_fault_signal((u32)r->vector);
		code = hrt_signal_code(r);
		/* Linux reports the instruction for all but #PF and #GP. */
		addr = r->vector == 14 ? cr2 : r->vector == 13 ? 0 : r->rip;
	}
	/* A handler the process installed for it runs (signal.c). */
	if (hrt_signal_fault(u, sig, code, addr)) {
		hrt_uthread_return(r);
		return;
	}
	hrt_uthread_fatal(u, r, (u32)r->vector, (u32)r->error,
			  r->vector == 14 ? cr2 : 0, sig);
}

void hrt_uthread_fatal(struct hrt_uthread *u, struct hrt_regs *r, u32 vector,
		       u32 error, u64 addr, int sig)
{
	struct hvm_fault *f;

	hrt_printf(
		"hrt: cpu %u: process code faulted: vector %u error %x rip %lx addr %lx (channel %u%s)\n",
		hrt_cpu_id(), vector, error, r->rip, addr, u->chan,
		u->native ? ", native thread" : "");
	/* A native thread's join reports it; its process goes on. */
	if (u->native)
		hrt_uthread_abort(u, -EFAULT);
	f = &hrt_uthread_chan(u)->fault;
	f->vector = vector;
	f->error_code = error;
	f->address = addr;
	hrt_uthread_fill_regs(f, r);
	if (u->worker)
		hrt_uthread_abort(u, -EFAULT);
	hrt_uthread_exit(u, 0, (u64)sig);
}

int hrt_uthread_populate(struct hrt_uthread *u, u64 addr, u64 len)
{
	u64 args[6] = { 0 }, p;
	s64 rep;

	if (!len || !hrt_user_addr(addr) || !hrt_user_addr(addr + len - 1) ||
	    addr + len < addr)
		return -EFAULT;
	for (p = addr & ~0xfffull; p < addr + len; p += 4096) {
		args[0] = p;
		args[1] = 2; /* a write */
		hrt_sti();
		rep = hrt_uthread_forward(u, HVM_CHAN_FAULT, 0, args);
		hrt_cli();
		if (rep == HRT_FWD_ABORTED)
			hrt_uthread_abort(u, -ECANCELED);
		if (rep == HVM_FAULT_AGAIN) {
			p -= 4096; /* the same page again */
			continue;
		}
		if (rep)
			return -EFAULT;
		hrt_uthread_refresh(u, p);
	}
	return 0;
}

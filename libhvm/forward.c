// SPDX-License-Identifier: MIT
/* forward.c - serving HRT code's forwarded calls and faults, process clones and forks. */
#include <errno.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>

#include "forward.h"
#include "partner.h"
#include "invoke.h"
#include "session.h"
#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_fwd.h"
#include "signals.h"

/*
 * Calls Linux must not execute for the code (hvm_fwd.h): those the table
 * refuses (-ENOSYS: no other thread can execute them faithfully) and those
 * the HRT serves itself, which never arrive as such (clone, fork, vfork
 * and exit become HVM_NR_CLONE and HVM_CHAN_EXIT).
 */
static bool hvm_sys_refused(uint64_t nr)
{
	enum hvm_fwd_policy p = hvm_fwd_policy(nr);

	return p == HVM_FWD_REFUSED || p == HVM_FWD_HRT;
}

/* The table's numbers are glibc's. */
#define HVM_FWD_CHECK(nr, name, policy, why)                                   \
	_Static_assert(nr == SYS_##name, #name);
HVM_FWD_TABLE(HVM_FWD_CHECK)
#undef HVM_FWD_CHECK

/*
 * Makes Linux take the fault at (addr) as its own fault handler would for
 * this thread, without a signal: a futex operation on the word faults the
 * page in through fixup_user_fault(), which grows a stack VMA, serves
 * PFN and I/O mappings and checks the VMA's protection like a real access.
 * A write is an atomic add of 0 (FUTEX_WAKE_OP; it wakes nobody): the
 * contents stay whatever other threads make them.  A read is a wait with
 * a zero timeout that returns at once.  Returns 0 or -EFAULT.
 */
static long hvm_fault_touch(uint64_t addr, bool write)
{
	static const struct timespec zero;
	uint64_t w = addr & ~3ull;
	long r;

	if (write)
		r = hvm_sys(SYS_futex, (long)w, FUTEX_WAKE_OP_PRIVATE, 0, 0,
			    (long)w,
			    FUTEX_OP(FUTEX_OP_ADD, 0, FUTEX_OP_CMP_EQ, 0));
	else
		r = hvm_sys(SYS_futex, (long)w, FUTEX_WAIT_PRIVATE, 0,
			    (long)&zero, 0, 0);
	return r == -EFAULT ? -EFAULT : 0;
}

/*
 * A page fault of HRT code at (c->args[0]) with #PF error code
 * (c->args[1]): Linux populates the page, or says which signal its own
 * fault handler would send (enum hvm_fault_reply).  MADV_POPULATE_* does
 * the common case in one call and never raises a signal; what it refuses
 * with -EINVAL (a protection the VMA lacks, VM_IO/VM_PFNMAP mappings) or
 * -ENOMEM (no VMA, or a stack that would grow) gets the exact answer from
 * hvm_fault_touch.
 */
static long hvm_forward_fault(const struct hvm_chan *c)
{
	uint64_t addr = c->args[0] & ~4095ull, err = c->args[1];
	bool write = err & 2;
	long r;

	if (addr >= HVM_USER_TOP)
		return HVM_FAULT_MAPERR;
	r = hvm_sys(SYS_madvise, (long)addr, 4096,
		    write ? MADV_POPULATE_WRITE : MADV_POPULATE_READ, 0, 0, 0);
	switch (r) {
	case 0:
		return HVM_FAULT_OK;
	case -EINTR:
		return HVM_FAULT_AGAIN;
	case -EHWPOISON:
		return HVM_FAULT_POISON;
	case -EFAULT: /* the fault handler's VM_FAULT_SIGBUS (or SIGSEGV) */
		return HVM_FAULT_BUS;
	case -EINVAL:
		return hvm_fault_touch(c->args[0], write) ? HVM_FAULT_ACCERR
							  : HVM_FAULT_OK;
	default: /* -ENOMEM: no VMA there, unless a stack grows */
		return hvm_fault_touch(c->args[0], write) ? HVM_FAULT_MAPERR
							  : HVM_FAULT_OK;
	}
}

/* What a native child of HRT code resumes with (offsets used below). */
struct hvm_child_regs {
	uint64_t rbx, rbp, r12, r13, r14, r15; /* 0 .. 40 */
	uint64_t rdi, rsi, rdx, r8, r9, r10;   /* 48 .. 88 */
	uint64_t rsp, rip, fs;		       /* 96, 104, 112 */
	uint32_t mxcsr, fcw;		       /* 120, 124 */
};

_Static_assert(offsetof(struct hvm_child_regs, mxcsr) == 120 &&
		       offsetof(struct hvm_child_regs, rsp) == 96,
	       "hvm_raw_fork knows these offsets");

/*
 * long hvm_raw_fork(flags, stack, ptid, ctid, tls, regs): clone(2); the
 * child resumes as the HRT thread would have at the syscall's return,
 * with (regs), FS base, MXCSR and x87 control word and rax = 0.  A child
 * without CLONE_VM first forgets libhvm's session.
 */
long hvm_raw_fork(unsigned long flags, uint64_t stack, uint64_t ptid,
		  uint64_t ctid, uint64_t tls, const struct hvm_child_regs *r);
__asm__(".text\n"
	".globl hvm_raw_fork\n"
	".type hvm_raw_fork, @function\n"
	"hvm_raw_fork:\n"
	"	pushq %rbx\n"
	"	movq %r9, %rbx\n"
	"	movq %rcx, %r10\n"
	"	movl $56, %eax\n"
	"	syscall\n" /* preserves rdi (flags) and rbx */
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	popq %rbx\n"
	"	ret\n"
	"1:	testl $0x100, %edi\n" /* CLONE_VM: memory is the parent's */
	"	jnz 2f\n"
	"	andq $-16, %rsp\n"
	"	call hvm_fork_child_reset\n"
	"2:	ldmxcsr 120(%rbx)\n"
	"	fldcw 124(%rbx)\n"
	"	movl $158, %eax\n" /* arch_prctl(ARCH_SET_FS, fs) */
	"	movl $0x1002, %edi\n"
	"	movq 112(%rbx), %rsi\n"
	"	syscall\n"
	"	movq 8(%rbx), %rbp\n"
	"	movq 16(%rbx), %r12\n"
	"	movq 24(%rbx), %r13\n"
	"	movq 32(%rbx), %r14\n"
	"	movq 40(%rbx), %r15\n"
	"	movq 48(%rbx), %rdi\n"
	"	movq 56(%rbx), %rsi\n"
	"	movq 64(%rbx), %rdx\n"
	"	movq 72(%rbx), %r8\n"
	"	movq 80(%rbx), %r9\n"
	"	movq 88(%rbx), %r10\n"
	"	movq 96(%rbx), %rsp\n"
	"	movq 104(%rbx), %rcx\n"
	"	movq 0(%rbx), %rbx\n"
	"	xorl %eax, %eax\n"
	"	jmp *%rcx\n"
	".size hvm_raw_fork, . - hvm_raw_fork\n");

/*
 * fork, vfork, clone without CLONE_THREAD: the child is made here, by
 * Linux, and continues natively from the HRT thread's return point (the
 * registers the HRT put in the channel's fault record).  With CLONE_VFORK
 * Linux keeps us, and so the HRT thread, waiting until the child execs
 * or exits.
 */
static long hvm_clone_process(const struct hvm_chan *c, uint64_t flags,
			      uint64_t sp, uint64_t ptid, uint64_t ctid,
			      uint64_t tls)
{
	const struct hvm_fault *f = &c->fault;
	struct hvm_child_regs regs, *r = &regs;

	regs.rbx = f->regs[1];
	regs.rbp = f->regs[6];
	regs.r12 = f->regs[12];
	regs.r13 = f->regs[13];
	regs.r14 = f->regs[14];
	regs.r15 = f->regs[15];
	regs.rdi = f->regs[5];
	regs.rsi = f->regs[4];
	regs.rdx = f->regs[3];
	regs.r8 = f->regs[8];
	regs.r9 = f->regs[9];
	regs.r10 = f->regs[10];
	regs.rsp = sp ? sp : f->rsp;
	regs.rip = f->rip;
	regs.fs = (flags & CLONE_SETTLS) ? tls : c->cur_fs;
	regs.mxcsr = c->cur_mxcsr;
	regs.fcw = c->cur_fcw;
	/*
	 * A child sharing our memory on a stack of its own could find this
	 * frame gone (without CLONE_VFORK we return at once): give it a copy
	 * below its stack, where nothing lives yet.
	 */
	if ((flags & CLONE_VM) && sp) {
		r = (struct hvm_child_regs *)((sp - 256 - sizeof(*r)) & ~15ull);
		*r = regs;
	}
	return hvm_raw_fork(flags, sp, ptid, ctid, tls, r);
}

uint64_t hvm_serve(struct hvm_chan *c, uint32_t state, bool aborted,
		   uint64_t *t_reply)
{
	uint64_t nr = c->nr;
	int idx = (int)(c - hvm_area->chan);
	int64_t chan = -1;
	bool replay = false;
	long r;

	if (state == HVM_CHAN_FAULT) {
		nr = ~0ull;
		r = aborted ? -ECANCELED : hvm_forward_fault(c);
	} else if (aborted) {
		r = -ECANCELED;
	} else if (nr == HVM_NR_SIGRETURN) {
		r = hvm_sig_return(idx, c->args[1]);
		hvm_sig_unhold(idx);
	} else if (nr != HVM_NR_SIGNAL && nr != HVM_SYS_rt_sigprocmask &&
		   hvm_sig_first(idx)) {
		/*
		 * A signal posted while the code ran (hvm_sig_interrupt) that
		 * it has not taken yet: Linux would deliver it before this
		 * call, whose effects (a mask change above all) its handler's
		 * frame must not miss.  The call is made after the handler.
		 */
		r = -EINTR;
		replay = true;
	} else if (nr != HVM_NR_SIGNAL && nr != HVM_SYS_rt_sigprocmask &&
		   hvm_sig_unhold(idx)) {
		/*
		 * A held signal came first: its handler runs before the call,
		 * which is then made again (it may block, and would not see
		 * the signal).  rt_sigprocmask, which the HRT's sigreturn uses
		 * too, runs first and the signal follows it (below).
		 */
		r = -EINTR;
		replay = true;
	} else if (nr == HVM_NR_CLONE) {
		if (c->args[0] & CLONE_THREAD)
			r = hvm_clone_thread(c->args[0], c->args[2], c->args[3],
					     c->args[4], c->args[5], c->cur_fs,
					     &chan);
		else
			r = hvm_clone_process(c, c->args[0], c->args[1],
					      c->args[2], c->args[3],
					      c->args[4]);
	} else if (nr == HVM_NR_SIGNAL) {
		r = hvm_sig_fault(idx, c->args[0], c->args[1], c->args[2]);
	} else if (hvm_sys_refused(nr)) {
		r = -ENOSYS;
	} else if (nr == HVM_SYS_rt_sigaction) {
		r = hvm_sig_action(c->args[0], c->args[1], c->args[2],
				   c->args[3]);
	} else if (nr == HVM_SYS_rt_sigprocmask) {
		/*
		 * The mask first, then what we held: a held signal's handler
		 * must save and restore the mask this call sets (the HRT's
		 * sigreturn restores through it), as Linux delivers pending
		 * signals after sigreturn's mask.  Unheld first, its record
		 * kept the returning handler's mask, and a later sigreturn put
		 * that handler's signal back in the mask for good.
		 */
		r = hvm_sig_procmask(idx, c->args[0], c->args[1], c->args[2],
				     c->args[3], &replay);
		if (!replay)
			hvm_sig_unhold(idx);
	} else {
		r = hvm_sys((long)nr, c->args[0], c->args[1], c->args[2],
			    c->args[3], c->args[4], c->args[5]);
	}
	/* A signal caught meanwhile is delivered as this call returns. */
	hvm_sig_post(idx, nr, r, replay);
	hvm_chan_reply2(c, r, chan);
	/* The call ends here for the profile, whatever waking it takes. */
	if (t_reply)
		*t_reply = hvm_rdtsc();
	/* The HRT thread may sleep for this reply: wake it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&c->hrt_sleeping, __ATOMIC_ACQUIRE))
		hvm_kick(c->core);
	return nr;
}

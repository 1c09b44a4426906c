// SPDX-License-Identifier: MIT
/* signal.c - signal handlers of process code run on the HRT (Linux frames). */
#include "signal.h"
#include "boot.h"
#include "fpu.h"
#include "hvm_chan.h"
#include "log.h"
#include "string.h"
#include "thread.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

/* Linux x86-64 signal ABI (arch/x86/include/uapi/asm/sigcontext.h). */
#define SA_ONSTACK	     0x08000000ull
#define SA_RESTORER	     0x04000000ull
#define SS_ONSTACK	     1u
#define SS_DISABLE	     2u
#define EFLAGS_USER	     0x40dd5ull /* AC OF DF SF ZF AF PF CF */
#define EFLAGS_DF_TF	     0x500ull
#define SIG_SETMASK	     2
#define RED_ZONE	     128
/* hrt_signal_put: populate-and-copy rounds before it gives up. */
#define HRT_SIGNAL_PUT_TRIES 1024

struct hrt_sigcontext {
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
	u64 rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2;
	u64 fpstate; /* user address of the FXSAVE/XSAVE image, or 0 */
	u64 reserved[8];
};

struct hrt_ucontext {
	u64 uc_flags;
	u64 uc_link;
	u64 ss_sp;
	u32 ss_flags;
	u32 ss_pad;
	u64 ss_size;
	struct hrt_sigcontext mc;
	u64 sigmask;
};

/* What the handler finds at its stack pointer: the return address first. */
struct hrt_sigframe {
	u64 pretcode;
	struct hrt_ucontext uc;
	u8 info[128];
};

_Static_assert(sizeof(struct hrt_sigcontext) == 256, "Linux sigcontext");
_Static_assert(sizeof(struct hrt_ucontext) == 304, "Linux ucontext");

bool hrt_signal_pending(struct hrt_uthread *u)
{
	struct hvm_chan *c;

	/* No partner: Linux never chose it for a signal. */
	if (u->chan == HRT_NO_CHAN)
		return false;
	c = hrt_uthread_chan(u);

	return __atomic_load_n(&c->sig_seq, __ATOMIC_ACQUIRE) !=
	       READ_ONCE(c->sig_ack);
}

/*
 * Copies to process memory, having Linux populate it if need be.  Linux
 * may take the pages away again before the copy (another thread's fork
 * write-protects them, its munmap or madvise drops them): populated and
 * still refused, it is tried again, as Linux's own frame write would
 * fault again; bounded, so a view that never follows ends as a fault.
 */
static int hrt_signal_put(struct hrt_uthread *u, u64 dst, const void *src,
			  u64 len)
{
	unsigned int i;

	if (!hrt_user_addr(dst) || !hrt_user_addr(dst + len - 1))
		return -EFAULT;
	for (i = 0; i < HRT_SIGNAL_PUT_TRIES; i++) {
		if (!hrt_copy_user((void *)dst, src, len))
			return 0;
		/* Linux refused: its delivery would end in a SIGSEGV too. */
		if (hrt_uthread_populate(u, dst, len))
			return -EFAULT;
	}
	hrt_printf(
		"hrt: chan %u: Linux populated the signal frame at %lx %u times but the HRT never saw it\n",
		u->chan, dst, HRT_SIGNAL_PUT_TRIES);
	return -EFAULT;
}

static int hrt_signal_get(void *dst, u64 src, u64 len)
{
	if (!hrt_user_addr(src) || !hrt_user_addr(src + len - 1))
		return -EFAULT;
	return hrt_copy_user(dst, (const void *)src, len);
}

static void hrt_signal_save_regs(struct hrt_sigcontext *mc,
				 const struct hrt_regs *r)
{
	mc->r8 = r->r8;
	mc->r9 = r->r9;
	mc->r10 = r->r10;
	mc->r11 = r->r11;
	mc->r12 = r->r12;
	mc->r13 = r->r13;
	mc->r14 = r->r14;
	mc->r15 = r->r15;
	mc->rdi = r->rdi;
	mc->rsi = r->rsi;
	mc->rbp = r->rbp;
	mc->rbx = r->rbx;
	mc->rdx = r->rdx;
	mc->rax = r->rax;
	mc->rcx = r->rcx;
	mc->rsp = r->rsp;
	mc->rip = r->rip;
	mc->eflags = r->rflags;
	mc->cs = (u16)r->cs;
	mc->ss = (u16)r->ss;
}

void hrt_signal_deliver(struct hrt_uthread *u, struct hrt_regs *r)
{
	struct hvm_chan *c = hrt_uthread_chan(u);
	u64 seq = __atomic_load_n(&c->sig_seq, __ATOMIC_ACQUIRE);
	struct hrt_sigframe fr;
	struct hvm_sigdesc d;
	u64 sp, fp;
	bool alt;

	if (hrt_signal_get(&d, READ_ONCE(c->sig_desc), sizeof(d))) {
		/* The ROS gave us nothing readable: nothing to deliver. */
		WRITE_ONCE(c->sig_ack, seq);
		return;
	}
	/* The ROS may reuse the record once it is acknowledged. */
	WRITE_ONCE(c->sig_ack, seq);

	memset(&fr, 0, sizeof(fr));
	hrt_signal_save_regs(&fr.uc.mc, r);
	/* An interrupted call with SA_RESTART is issued again on return. */
	if (d.restart && u->sys_nr != ~0ull && (s64)r->rax == -EINTR) {
		fr.uc.mc.rax = u->sys_nr;
		fr.uc.mc.rip -= 2; /* the SYSCALL instruction */
	}
	fr.uc.mc.trapno = 0;
	fr.uc.mc.oldmask = d.mask;
	fr.uc.sigmask = d.mask;
	fr.uc.ss_sp = d.ss_sp;
	fr.uc.ss_size = d.ss_size;
	memcpy(fr.info, d.info, sizeof(fr.info));

	/* Linux's choice of stack: the alternate one if asked and not on it. */
	alt = (d.flags & SA_ONSTACK) && !(d.ss_flags & SS_DISABLE) &&
	      d.ss_size && !(r->rsp > d.ss_sp && r->rsp <= d.ss_sp + d.ss_size);
	fr.uc.ss_flags =
		d.ss_flags & SS_DISABLE ? SS_DISABLE
		: (alt || (r->rsp > d.ss_sp && r->rsp <= d.ss_sp + d.ss_size))
			? SS_ONSTACK
			: 0;
	sp = alt ? d.ss_sp + d.ss_size : r->rsp - RED_ZONE;
	fp = (sp - hrt_fpu_size) & ~63ull;
	sp = ((fp - sizeof(fr)) & ~15ull) - 8; /* as if called */
	fr.uc.mc.fpstate = fp;
	fr.pretcode = d.restorer;

	hrt_fpu_save(u->t->fpu);
	if (!(d.flags & SA_RESTORER) || !hrt_user_addr(d.handler) ||
	    hrt_signal_put(u, fp, u->t->fpu, hrt_fpu_size) ||
	    hrt_signal_put(u, sp, &fr, sizeof(fr)))
		/* As Linux: a frame that cannot be written is a SIGSEGV. */
		hrt_uthread_fatal(u, r, 14, 2, sp, 11);

	r->rip = d.handler;
	r->rsp = sp;
	r->rdi = d.signo;
	r->rsi = sp + offsetof(struct hrt_sigframe, info);
	r->rdx = sp + offsetof(struct hrt_sigframe, uc);
	r->rax = 0;
	r->rflags &= ~EFLAGS_DF_TF;
	/* The handler starts with a clean FP state, as on Linux. */
	hrt_fpu_reset(0x1f80, 0x37f);
	HRT_COUNT(signals);
}

s32 hrt_signal_code(const struct hrt_regs *r)
{
	switch (r->vector) {
	case 0:
		return 1; /* FPE_INTDIV */
	case 3:
		return 1; /* TRAP_BRKPT */
	case 6:
		return 2; /* ILL_ILLOPN */
	case 17:
		return 1; /* BUS_ADRALN */
	default:
		return 0x80; /* SI_KERNEL */
	}
}

bool hrt_signal_fault(struct hrt_uthread *u, int sig, s32 code, u64 addr)
{
	u64 args[6] = { (u64)sig, (u64)(s64)code, addr, 0, 0, 0 };
	s64 rep;

	if (u->chan == HRT_NO_CHAN)
		return false;
	hrt_sti();
	rep = hrt_uthread_forward(u, HVM_CHAN_SYSCALL, HVM_NR_SIGNAL, args);
	hrt_cli();
	/* Caught, or another signal first (the fault comes back after it). */
	return (rep == HVM_SIGNAL_CAUGHT || rep == HVM_SIGNAL_RETRY) &&
	       hrt_signal_pending(u);
}

void hrt_signal_return(struct hrt_uthread *u, struct hrt_regs *r)
{
	u64 uc = r->rsp; /* the restorer's RET consumed pretcode */
	u64 args[6] = { SIG_SETMASK, 0, 0, 8, 0, 0 };
	struct hrt_ucontext k;
	struct hrt_sigcontext *mc = &k.mc;
	s64 rep;

	if (hrt_signal_get(&k, uc, sizeof(k)) || !hrt_user_addr(mc->rip) ||
	    (mc->fpstate &&
	     hrt_signal_get(u->t->fpu, mc->fpstate, hrt_fpu_size))) {
		hrt_cli();
		hrt_uthread_fatal(u, r, 14, 0, uc, 11);
	}
	/* Linux restores the mask first: a signal it unblocks comes next. */
	args[1] = uc + offsetof(struct hrt_ucontext, sigmask);
	rep = hrt_uthread_forward(u, HVM_CHAN_SYSCALL, HVM_NR_SIGRETURN, args);
	hrt_cli();
	if (rep == HRT_FWD_ABORTED)
		return; /* the return path ends the code */
	r->r8 = mc->r8;
	r->r9 = mc->r9;
	r->r10 = mc->r10;
	r->r11 = mc->r11;
	r->r12 = mc->r12;
	r->r13 = mc->r13;
	r->r14 = mc->r14;
	r->r15 = mc->r15;
	r->rdi = mc->rdi;
	r->rsi = mc->rsi;
	r->rbp = mc->rbp;
	r->rbx = mc->rbx;
	r->rdx = mc->rdx;
	r->rax = mc->rax;
	r->rcx = mc->rcx;
	r->rsp = mc->rsp;
	r->rip = mc->rip;
	/* Only flags process code may change; CS, SS and IF stay ours. */
	r->rflags = (r->rflags & ~EFLAGS_USER) | (mc->eflags & EFLAGS_USER);
	if (mc->fpstate) {
		hrt_fpu_sanitize(u->t->fpu);
		hrt_fpu_restore(u->t->fpu);
	} else {
		hrt_fpu_reset(0x1f80, 0x37f);
	}
}

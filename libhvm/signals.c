// SPDX-License-Identifier: MIT
/* signals.c - handlers that HRT code installs run on the HRT, not here. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"
#include "session.h"
#include "signals.h"

/* Not in glibc's headers: the kernel's "sa_restorer is valid" flag. */
#define HVM_SA_RESTORER 0x04000000ull
#define HVM_NSIG	65

/* hvm_sig_state[]: where a channel's signal record is. */
enum { HVM_SIG_FREE, HVM_SIG_CAUGHT, HVM_SIG_POSTED };

/*
 * The actions HRT code installed, as it sees them; Linux holds
 * hvm_sig_trap for those with a handler (hvm_uact_ours).  Written under
 * hvm_sig_lock by forwarded rt_sigaction calls; read by hvm_sig_trap.
 */
static struct hvm_ksigaction hvm_uact[HVM_NSIG];
static bool hvm_uact_ours[HVM_NSIG];
static int hvm_sig_lock;
/* Per channel: the record the HRT reads, and its state. */
static struct hvm_sigdesc hvm_sigdesc[HVM_CHAN_MAX];
static uint8_t hvm_sig_state[HVM_CHAN_MAX];
/*
 * Per channel: signals the trap found while the record was in use.  Each
 * was queued again to the thread (rt_tgsigqueueinfo: a real-time one keeps
 * its place and its info, a standard one coalesces as Linux's would) and
 * blocked, by us, until the record is free (hvm_sig_unhold).  Changed only
 * by the thread that serves the channel, in the trap or with the trap
 * unable to run, so plain atomics suffice.
 */
static uint64_t hvm_sig_held[HVM_CHAN_MAX];

/*
 * The channel this thread serves, or -1.  Initial-exec: read in signal
 * context, and by partner threads that run on their HRT thread's TLS.
 */
__attribute__((tls_model("initial-exec"))) __thread int hvm_sig_chan = -1;

/* The trampoline's return: rt_sigreturn, as glibc's restorer does. */
void hvm_sig_restorer(void);
__asm__(".text\n"
	".globl hvm_sig_restorer\n"
	".type hvm_sig_restorer, @function\n"
	"hvm_sig_restorer:\n"
	"	movl $15, %eax\n"
	"	syscall\n"
	"	ud2\n"
	".size hvm_sig_restorer, . - hvm_sig_restorer\n");

static void hvm_sig_lock_take(void)
{
	while (__atomic_exchange_n(&hvm_sig_lock, 1, __ATOMIC_ACQUIRE))
		hvm_cpu_relax();
}

static void hvm_sig_lock_drop(void)
{
	__atomic_store_n(&hvm_sig_lock, 0, __ATOMIC_RELEASE);
}

/* Copies from/to process memory HRT code named; -EFAULT, never a crash. */
static long hvm_sig_copy(void *local, uint64_t remote, size_t len, bool out)
{
	struct iovec l = { local, len }, r = { (void *)remote, len };
	long pid = hvm_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long n = hvm_sys(out ? SYS_process_vm_writev : SYS_process_vm_readv,
			 pid, (long)&l, 1, (long)&r, 1, 0);

	return n == (long)len ? 0 : -EFAULT;
}

static uint64_t hvm_sig_bit(int sig)
{
	return 1ull << (sig - 1);
}

/*
 * The mask a handler of (a) for (sig) runs with, given the mask (old) it
 * interrupted: as Linux's signal delivery computes it (sa_mask, the signal
 * itself unless SA_NODEFER; SIGKILL and SIGSTOP never blocked).
 */
static uint64_t hvm_sig_handler_mask(int sig, const struct hvm_ksigaction *a,
				     uint64_t old)
{
	uint64_t m = old | a->mask;

	if (!(a->flags & SA_NODEFER))
		m |= hvm_sig_bit(sig);
	return m & ~(hvm_sig_bit(SIGKILL) | hvm_sig_bit(SIGSTOP));
}

/* A handler of (a) run here, natively: this thread serves no HRT code. */
static void hvm_sig_native(int sig, siginfo_t *si, void *uc,
			   const struct hvm_ksigaction *a)
{
	if (a->handler <= 1)
		return; /* reset meanwhile: nothing to run */
	if (a->flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))a->handler)(sig, si, uc);
	else
		((void (*)(int))a->handler)(sig);
}

/* Is channel (idx)'s record in use: caught, or posted and not yet taken? */
static bool hvm_sig_busy(int idx)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	uint8_t st = __atomic_load_n(&hvm_sig_state[idx], __ATOMIC_ACQUIRE);

	return st == HVM_SIG_CAUGHT ||
	       (st == HVM_SIG_POSTED &&
		__atomic_load_n(&c->sig_ack, __ATOMIC_ACQUIRE) != c->sig_seq);
}

/*
 * Fills channel (idx)'s record: (sig) for action (a), the mask to restore
 * (mask), this thread's sigaltstack and (info).  Applies SA_RESETHAND.
 */
static void hvm_sig_record(int idx, int sig, const struct hvm_ksigaction *a,
			   uint64_t mask, const void *info)
{
	struct hvm_sigdesc *d = &hvm_sigdesc[idx];
	stack_t ss;

	d->signo = (uint32_t)sig;
	d->restart = 0;
	d->handler = a->handler;
	d->flags = a->flags;
	d->restorer = a->restorer;
	d->mask = mask;
	memset(&ss, 0, sizeof(ss));
	ss.ss_flags = SS_DISABLE;
	hvm_sys(SYS_sigaltstack, 0, (long)&ss, 0, 0, 0, 0);
	d->ss_sp = (uint64_t)ss.ss_sp;
	d->ss_size = ss.ss_size;
	d->ss_flags = (uint32_t)ss.ss_flags;
	memcpy(d->info, info, sizeof(d->info));
	if (a->flags & SA_RESETHAND) {
		/*
		 * Linux resets only the handler (flags, mask and restorer stay,
		 * as sigaction reads them back): so do we, in our table and in
		 * Linux's (the trap had it reset there, the fault path not).
		 */
		struct hvm_ksigaction dfl = *a;

		dfl.handler = 0;
		hvm_uact_ours[sig] = false;
		hvm_uact[sig] = dfl;
		hvm_sys(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	}
}

/*
 * Queues (sig) with its info (info) again to the calling thread.
 * tgsigqueueinfo refuses kernel codes for a thread that is not the
 * leader: tgkill then (the signal stays, its info is ours).
 */
static void hvm_sig_requeue(int sig, const void *info)
{
	long pid = hvm_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);
	long tid = hvm_sys(SYS_gettid, 0, 0, 0, 0, 0, 0);

	if (hvm_sys(SYS_rt_tgsigqueueinfo, pid, tid, sig, (long)info, 0, 0))
		hvm_sys(SYS_tgkill, pid, tid, sig, 0, 0, 0);
}

/*
 * The record of channel (idx) is in use: queues (sig) with its info (si)
 * again and has the trap's return block it, until hvm_sig_unhold.
 */
static void hvm_sig_hold(int idx, int sig, siginfo_t *si, ucontext_t *uc)
{
	uint64_t mask;

	__atomic_or_fetch(&hvm_sig_held[idx], hvm_sig_bit(sig),
			  __ATOMIC_SEQ_CST);
	memcpy(&mask, &uc->uc_sigmask, 8);
	mask |= hvm_sig_bit(sig);
	memcpy(&uc->uc_sigmask, &mask, 8);
	hvm_sig_requeue(sig, si);
}

/*
 * What Linux runs for a signal whose handler HRT code installed: it
 * records the signal for the channel this thread serves, and returns with
 * the mask the handler runs with on the HRT (Linux's rules), so that a
 * handler that siglongjmps without restoring the mask leaves what Linux
 * would.  A signal that finds the record in use is held (hvm_sig_hold).
 */
static void hvm_sig_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct hvm_ksigaction a = hvm_uact[sig];
	int idx = hvm_sig_chan;
	uint64_t mask, held;

	if (idx < 0 || !hvm_area) {
		hvm_sig_native(sig, si, ucv, &a);
		return;
	}
	if (hvm_sig_busy(idx)) {
		hvm_sig_hold(idx, sig, si, uc);
		return;
	}
	if (a.handler <= 1)
		return; /* reset meanwhile */
	/* What HRT code sees of its mask: without the bits we hold. */
	held = __atomic_load_n(&hvm_sig_held[idx], __ATOMIC_SEQ_CST);
	memcpy(&mask, &uc->uc_sigmask, 8);
	mask &= ~held;
	hvm_sig_record(idx, sig, &a, mask, si);
	mask = hvm_sig_handler_mask(sig, &a, mask) | held;
	memcpy(&uc->uc_sigmask, &mask, 8);
	__atomic_store_n(&hvm_sig_state[idx], HVM_SIG_CAUGHT, __ATOMIC_RELEASE);
}

long hvm_sig_fault(int idx, uint64_t sig, uint64_t code, uint64_t addr)
{
	uint64_t all = ~0ull, mask = 0, held;
	struct hvm_ksigaction a;
	siginfo_t si;

	if (sig < 1 || sig >= HVM_NSIG)
		return HVM_SIGNAL_FATAL;
	/* Blocked all around: the trap must not take the record meanwhile. */
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&mask, 8, 0,
		0);
	a = hvm_uact[sig];
	held = __atomic_load_n(&hvm_sig_held[idx], __ATOMIC_SEQ_CST);
	if (!hvm_uact_ours[sig] || (mask & ~held & hvm_sig_bit((int)sig))) {
		/* As Linux: a blocked or unhandled fault signal kills. */
		hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0,
			0);
		return HVM_SIGNAL_FATAL;
	}
	if (hvm_sig_busy(idx)) {
		/*
		 * Another signal has the record: it is delivered first (posted
		 * with this reply), and the instruction, run again after its
		 * handler, faults again for this one.
		 */
		hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0,
			0);
		return HVM_SIGNAL_RETRY;
	}
	memset(&si, 0, sizeof(si));
	si.si_signo = (int)sig;
	si.si_code = (int)code;
	si.si_addr = (void *)addr;
	mask &= ~held;
	hvm_sig_record(idx, (int)sig, &a, mask, &si);
	/*
	 * hvm_serve posts it with the reply.  The thread's mask becomes the
	 * handler's, as Linux's delivery would make it: a handler that
	 * siglongjmps out without restoring the mask leaves it so.
	 */
	__atomic_store_n(&hvm_sig_state[idx], HVM_SIG_CAUGHT, __ATOMIC_RELEASE);
	mask = hvm_sig_handler_mask((int)sig, &a, mask) | held;
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0, 0);
	return HVM_SIGNAL_CAUGHT;
}

bool hvm_sig_unhold(int idx)
{
	uint64_t held = __atomic_load_n(&hvm_sig_held[idx], __ATOMIC_SEQ_CST);

	if (!held || hvm_sig_busy(idx))
		return false;
	/* Unblocked, the first comes to the trap at once and takes the record. */
	__atomic_and_fetch(&hvm_sig_held[idx], ~held, __ATOMIC_SEQ_CST);
	hvm_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&held, 0, 8, 0, 0);
	return __atomic_load_n(&hvm_sig_state[idx], __ATOMIC_ACQUIRE) ==
	       HVM_SIG_CAUGHT;
}

/*
 * A mask change of HRT code on (idx), made with every signal blocked so
 * that the trap runs only at its end, with the new mask: a signal that came
 * during it is delivered after it, saving the new mask, as Linux's would.
 * (ret): rt_sigreturn's restore, which a signal posted before it follows
 * (it saves the restored mask); otherwise such a signal comes first and
 * the call is answered -EINTR with (*replay) set.  Bits the trap holds
 * are kept out of the old mask the code reads; bits the call names
 * become the code's own (SIG_SETMASK: all).
 */
static long hvm_sig_mask_call(int idx, uint64_t how, uint64_t set,
			      uint64_t oset, uint64_t size, bool ret,
			      bool *replay)
{
	struct hvm_sigdesc *d = &hvm_sigdesc[idx];
	uint64_t all = ~0ull, old, s = 0, held, nmask, o;
	struct hvm_ksigaction a;
	bool busy;

	if (size != 8)
		return -EINVAL;
	if (set && how > SIG_SETMASK)
		return -EINVAL;
	if (set && hvm_sig_copy(&s, set, 8, false))
		return -EFAULT;
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0,
		0);
	busy = hvm_sig_busy(idx);
	if (busy && !ret) {
		hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0,
			0);
		*replay = true;
		return -EINTR;
	}
	held = __atomic_load_n(&hvm_sig_held[idx], __ATOMIC_SEQ_CST);
	o = old & ~held;
	if (oset && hvm_sig_copy(&o, oset, 8, true)) {
		hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0,
			0);
		return -EFAULT;
	}
	nmask = old;
	if (set) {
		nmask = how == SIG_BLOCK     ? o | s
			: how == SIG_UNBLOCK ? o & ~s
					     : s;
		held &= how == SIG_SETMASK ? 0 : ~s;
		__atomic_store_n(&hvm_sig_held[idx], held, __ATOMIC_SEQ_CST);
		nmask |= held;
	}
	nmask &= ~(hvm_sig_bit(SIGKILL) | hvm_sig_bit(SIGSTOP));
	if (busy) {
		/*
		 * Posted before this restore (the trap ran while the returning
		 * handler still ran): it saved that handler's mask, and its own
		 * sigreturn would block that signal for good.  It saves the
		 * restored mask instead and runs with its handler's on top.
		 */
		a = hvm_uact[d->signo < HVM_NSIG ? d->signo : 0];
		a.flags = d->flags;
		d->mask = nmask & ~held;
		nmask = hvm_sig_handler_mask((int)d->signo, &a, d->mask) | held;
	}
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&nmask, 0, 8, 0, 0);
	return 0;
}

long hvm_sig_procmask(int idx, uint64_t how, uint64_t set, uint64_t oset,
		      uint64_t size, bool *replay)
{
	return hvm_sig_mask_call(idx, how, set, oset, size, false, replay);
}

bool hvm_sig_first(int idx)
{
	return hvm_sig_busy(idx);
}

long hvm_sig_return(int idx, uint64_t set)
{
	return hvm_sig_mask_call(idx, SIG_SETMASK, set, 0, 8, true, NULL);
}

/* Calls Linux restarts after a handler with SA_RESTART (-ERESTARTSYS). */
static bool hvm_sig_restartable(uint64_t nr)
{
	switch (nr) {
	case SYS_read:
	case SYS_write:
	case SYS_open:
	case SYS_ioctl:
	case SYS_pread64:
	case SYS_pwrite64:
	case SYS_readv:
	case SYS_writev:
	case SYS_sendfile:
	case SYS_connect:
	case SYS_accept:
	case SYS_sendto:
	case SYS_recvfrom:
	case SYS_sendmsg:
	case SYS_recvmsg:
	case SYS_wait4:
	case SYS_fcntl:
	case SYS_flock:
	case SYS_futex:
	case SYS_waitid:
	case SYS_openat:
	case SYS_splice:
	case SYS_accept4:
	case SYS_preadv:
	case SYS_pwritev:
	case SYS_recvmmsg:
	case SYS_sendmmsg:
		return true;
	default:
		return false;
	}
}

bool hvm_sig_post(int idx, uint64_t nr, long r, bool replay)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	struct hvm_sigdesc *d = &hvm_sigdesc[idx];

	if (__atomic_load_n(&hvm_sig_state[idx], __ATOMIC_ACQUIRE) !=
	    HVM_SIG_CAUGHT) {
		/*
		 * Posted before the call, which did not run: restarted after
		 * the handler.  The HRT thread waits for this reply, so it
		 * has not read the record yet.
		 */
		if (replay && hvm_sig_busy(idx))
			d->restart = 1;
		return false;
	}
	d->restart = replay || (r == -EINTR && (d->flags & SA_RESTART) &&
				hvm_sig_restartable(nr));
	hvm_sig_state[idx] = HVM_SIG_POSTED;
	c->sig_desc = (uint64_t)d;
	__atomic_store_n(&c->sig_seq, c->sig_seq + 1, __ATOMIC_RELEASE);
	return true;
}

void hvm_sig_interrupt(int idx)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	struct hvm_kick k = { .core = c->core };

	if (!hvm_sig_post(idx, ~0ull, 0, false))
		return;
	/* The code may be running: an interrupt's return path delivers. */
	hvm_chan_kick(hvm_area, c->core);
	hvm_ioctl(hvm_fd, HVM_IOC_KICK, &k);
}

long hvm_sig_action(uint64_t sig, uint64_t act, uint64_t oact, uint64_t size)
{
	struct hvm_ksigaction na, old, k;
	bool was_ours;
	long r;

	if (size != 8 || sig < 1 || sig >= HVM_NSIG)
		return -EINVAL;
	if (sig == SIGKILL || sig == SIGSTOP)
		return hvm_sys(SYS_rt_sigaction, (long)sig, (long)act,
			       (long)oact, 8, 0, 0);
	if (act && hvm_sig_copy(&na, act, sizeof(na), false))
		return -EFAULT;
	hvm_sig_lock_take();
	r = hvm_sys(SYS_rt_sigaction, (long)sig, 0, (long)&old, 8, 0, 0);
	was_ours = hvm_uact_ours[sig];
	if (r == 0 && was_ours)
		old = hvm_uact[sig];
	if (r == 0 && act) {
		k = na;
		if (na.handler > 1) {
			/*
			 * Ours in Linux: all signals blocked while it runs (it
			 * never nests), no restart (we decide), our restorer.
			 */
			k.handler = (uint64_t)hvm_sig_trap;
			k.flags = (na.flags &
				   ~(uint64_t)(SA_RESTART | SA_NODEFER |
					       SA_ONSTACK)) |
				  SA_SIGINFO | HVM_SA_RESTORER;
			k.restorer = (uint64_t)hvm_sig_restorer;
			k.mask = ~0ull;
		}
		/* The table first: the trap may run as soon as Linux has it. */
		hvm_uact[sig] = na;
		hvm_uact_ours[sig] = na.handler > 1;
		r = hvm_sys(SYS_rt_sigaction, (long)sig, (long)&k, 0, 8, 0, 0);
		if (r) {
			hvm_uact[sig] = old;
			hvm_uact_ours[sig] = was_ours;
		}
	}
	hvm_sig_lock_drop();
	if (r == 0 && oact && hvm_sig_copy(&old, oact, sizeof(old), true))
		return -EFAULT;
	return r;
}

void hvm_sig_unserve(int idx)
{
	struct hvm_sigdesc *d = &hvm_sigdesc[idx];
	bool busy = hvm_sig_busy(idx);
	uint64_t held =
		__atomic_exchange_n(&hvm_sig_held[idx], 0, __ATOMIC_SEQ_CST);

	/* From here the trap runs handlers natively. */
	hvm_sig_chan = -1;
	hvm_sig_state[idx] = HVM_SIG_FREE;
	if (!busy) {
		/* What we held comes now, pending in Linux all along. */
		if (held)
			hvm_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&held, 0,
				8, 0, 0);
		return;
	}
	/*
	 * Caught, or posted and never taken (the HRT drops it when the
	 * channel's next call starts): queue it again, here, and restore the
	 * mask it interrupted (which has none of the held bits).
	 */
	hvm_sig_requeue((int)d->signo, d->info);
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&d->mask, 0, 8, 0, 0);
}

void hvm_sig_forget(void)
{
	int idx = hvm_sig_chan, sig;

	/*
	 * The child runs natively: it gets the actions HRT code installed,
	 * as a native fork would have them, not our trap (which ran them
	 * with every signal blocked and without SA_ONSTACK or SA_RESTART).
	 */
	for (sig = 1; sig < HVM_NSIG; sig++) {
		if (!hvm_uact_ours[sig])
			continue;
		hvm_sys(SYS_rt_sigaction, sig, (long)&hvm_uact[sig], 0, 8, 0,
			0);
		hvm_uact_ours[sig] = false;
	}
	/* It inherited the mask, with what we held blocked in it. */
	if (idx >= 0 && hvm_sig_held[idx])
		hvm_sys(SYS_rt_sigprocmask, SIG_UNBLOCK,
			(long)&hvm_sig_held[idx], 0, 8, 0, 0);
	hvm_sig_chan = -1;
	hvm_sig_lock = 0;
	memset(hvm_sig_state, 0, sizeof(hvm_sig_state));
	memset(hvm_sig_held, 0, sizeof(hvm_sig_held));
}

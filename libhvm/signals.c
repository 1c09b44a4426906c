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
		/* Linux resets its action for the trap; the fault path asks. */
		struct hvm_ksigaction dfl = { 0, 0, 0, 0 };

		hvm_uact_ours[sig] = false;
		memset(&hvm_uact[sig], 0, sizeof(hvm_uact[sig]));
		hvm_sys(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	}
}

/*
 * What Linux runs for a signal whose handler HRT code installed: it
 * records the signal for the channel this thread serves and leaves every
 * signal blocked on return (uc_sigmask), so one record per channel is
 * enough; the HRT's rt_sigreturn restores the thread's own mask.
 */
static void hvm_sig_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	struct hvm_ksigaction a = hvm_uact[sig];
	int idx = hvm_sig_chan;
	uint64_t mask;

	if (idx < 0 || !hvm_area) {
		hvm_sig_native(sig, si, ucv, &a);
		return;
	}
	if (hvm_sig_busy(idx)) {
		/* The record is taken: again later, when the mask allows. */
		memset(&uc->uc_sigmask, 0xff, 8);
		hvm_sys(SYS_tgkill, hvm_sys(SYS_getpid, 0, 0, 0, 0, 0, 0),
			hvm_sys(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
		return;
	}
	if (a.handler <= 1)
		return; /* reset meanwhile */
	memcpy(&mask, &uc->uc_sigmask, 8);
	hvm_sig_record(idx, sig, &a, mask, si);
	memset(&uc->uc_sigmask, 0xff, 8);
	__atomic_store_n(&hvm_sig_state[idx], HVM_SIG_CAUGHT, __ATOMIC_RELEASE);
}

long hvm_sig_fault(int idx, uint64_t sig, uint64_t code, uint64_t addr)
{
	uint64_t all = ~0ull, mask = 0;
	struct hvm_ksigaction a;
	siginfo_t si;

	if (sig < 1 || sig >= HVM_NSIG)
		return 0;
	/* Blocked all around: the trap must not take the record meanwhile. */
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&mask, 8, 0,
		0);
	a = hvm_uact[sig];
	if (!hvm_uact_ours[sig] || (mask & (1ull << (sig - 1))) ||
	    hvm_sig_busy(idx)) {
		/* As Linux: a blocked or unhandled fault signal kills. */
		hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, 0, 8, 0,
			0);
		return 0;
	}
	memset(&si, 0, sizeof(si));
	si.si_signo = (int)sig;
	si.si_code = (int)code;
	si.si_addr = (void *)addr;
	hvm_sig_record(idx, (int)sig, &a, mask, &si);
	/*
	 * hvm_serve posts it with the reply; all stays blocked until the
	 * handler's rt_sigreturn, as after the trap.
	 */
	__atomic_store_n(&hvm_sig_state[idx], HVM_SIG_CAUGHT, __ATOMIC_RELEASE);
	return 1;
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

bool hvm_sig_post(int idx, uint64_t nr, long r)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	struct hvm_sigdesc *d = &hvm_sigdesc[idx];

	if (__atomic_load_n(&hvm_sig_state[idx], __ATOMIC_ACQUIRE) !=
	    HVM_SIG_CAUGHT)
		return false;
	d->restart = r == -EINTR && (d->flags & SA_RESTART) &&
		     hvm_sig_restartable(nr);
	hvm_sig_state[idx] = HVM_SIG_POSTED;
	c->sig_desc = (uint64_t)d;
	__atomic_store_n(&c->sig_seq, c->sig_seq + 1, __ATOMIC_RELEASE);
	return true;
}

void hvm_sig_interrupt(int idx)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	struct hvm_kick k = { .core = c->core };

	if (!hvm_sig_post(idx, ~0ull, 0))
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

	hvm_sig_chan = -1;
	hvm_sig_state[idx] = HVM_SIG_FREE;
	if (!busy)
		return;
	/*
	 * Caught, or posted and never taken (the HRT drops it when the
	 * channel's next call starts): raise it again, here, and restore the
	 * mask the trap blocked.
	 */
	hvm_sys(SYS_tgkill, hvm_sys(SYS_getpid, 0, 0, 0, 0, 0, 0),
		hvm_sys(SYS_gettid, 0, 0, 0, 0, 0, 0), d->signo, 0, 0, 0);
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&d->mask, 0, 8, 0, 0);
}

void hvm_sig_forget(void)
{
	hvm_sig_chan = -1;
	memset(hvm_sig_state, 0, sizeof(hvm_sig_state));
}

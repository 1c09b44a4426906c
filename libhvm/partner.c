// SPDX-License-Identifier: MIT
/* partner.c - partner threads: the Linux half of each HRT thread HRT code clones, and their pool. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "partner.h"
#include "forward.h"
#include "invoke.h"
#include "session.h"
#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"
#include "prof.h"
#include "signals.h"

/* A partner's own stack: raw system calls only, so little is needed. */
#define HVM_PARTNER_STACK (64u << 10)
#define HVM_GUARD	  4096u
#define HVM_ARCH_SET_FS	  0x1002

/* At the top of a partner's stack: what the new thread needs. */
struct hvm_pstart {
	void *base; /* the mapping, guard page included */
	size_t len;
	int idx;       /* channel it serves */
	uint64_t seen; /* evt_seq before its HRT thread could post */
	/* A pooled partner: handed out (go 1) or told to end (go 2). */
	bool pooled;
	uint32_t go;
	long tid;
	uint64_t flags, ctid, fs;
	struct hvm_pstart *next;
	/* The stack's slot in hvm_stacks (its exit frees it), or -1. */
	int slot;
};

/*
 * Partners made ahead of time, so that a clone from HRT code costs no
 * Linux clone, mmap or mprotect on its critical path.  A filler thread,
 * started by the process's first thread clone (a process that makes no
 * threads pays nothing), keeps hvm_pool_size of them waiting; each is a
 * fresh Linux thread (1:1: it serves one HRT thread and ends with it).
 * They are made with pthread_create's sharing flags and all signals
 * blocked; a clone asking for anything else is made the slow way.
 */
#define HVM_POOL_FLAGS                                                         \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |    \
	 CLONE_SYSVSEM)
#define HVM_POOL_TIDFLAGS                                                      \
	(CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |             \
	 CLONE_CHILD_CLEARTID)
unsigned int hvm_pool_size = 4;
static int hvm_pool_lock;
static struct hvm_pstart *hvm_pool_head;
static unsigned int hvm_pool_count;
static bool hvm_pool_started;
/* The running filler's: bumped per hand-out (a futex word), stop flag. */
struct hvm_filler {
	uint32_t want;
	uint32_t sleeping;
	bool stop;
	void *base;
};
static struct hvm_filler *hvm_filler;

/*
 * Partner stacks are kept, not unmapped: an munmap (and the mprotect of
 * a new guard page) is a TLB shootdown of every HRT core in the process
 * (CR3 loads).  A slot's word is 1 while a partner uses the stack; the
 * partner's last store before its exit system call makes it 0.
 */
#define HVM_STACK_SLOTS 64
static void *hvm_stacks[HVM_STACK_SLOTS];
static uint32_t hvm_stack_used[HVM_STACK_SLOTS];

/*
 * long hvm_raw_clone(flags, stack, ptid, ctid, tls, fn, arg): clone(2)
 * with (fn)(arg) run on (stack) in the child; returns the child's tid or
 * -errno in the parent.  No TLS or errno is touched on either side.
 */
long hvm_raw_clone(unsigned long flags, void *stack, uint64_t ptid,
		   uint64_t ctid, uint64_t tls, void (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl hvm_raw_clone\n"
	".type hvm_raw_clone, @function\n"
	"hvm_raw_clone:\n"
	"	movq 8(%rsp), %rax\n"
	"	subq $16, %rsi\n"
	"	movq %rax, 8(%rsi)\n"
	"	movq %r9, 0(%rsi)\n"
	"	movq %rcx, %r10\n"
	"	movl $56, %eax\n"
	"	syscall\n"
	"	testq %rax, %rax\n"
	"	jz 1f\n"
	"	ret\n"
	"1:	xorl %ebp, %ebp\n"
	"	popq %rax\n"
	"	popq %rdi\n"
	"	call *%rax\n"
	"	ud2\n"
	".size hvm_raw_clone, . - hvm_raw_clone\n");

/* Unmaps (base, len), the caller's own stack, and ends the thread. */
__attribute__((noreturn)) void hvm_partner_exit(void *base, size_t len);
__asm__(".text\n"
	".globl hvm_partner_exit\n"
	".type hvm_partner_exit, @function\n"
	"hvm_partner_exit:\n"
	"	movl $11, %eax\n" /* munmap: no stack use after this */
	"	syscall\n"
	"	xorl %edi, %edi\n"
	"1:	movl $60, %eax\n"
	"	syscall\n"
	"	jmp 1b\n"
	".size hvm_partner_exit, . - hvm_partner_exit\n");

/* Marks the caller's own stack free (*used = 0) and ends the thread. */
__attribute__((noreturn)) void hvm_partner_exit_keep(uint32_t *used);
__asm__(".text\n"
	".globl hvm_partner_exit_keep\n"
	".type hvm_partner_exit_keep, @function\n"
	"hvm_partner_exit_keep:\n"
	"	movl $0, (%rdi)\n" /* no stack use after this */
	"	xorl %edi, %edi\n"
	"1:	movl $60, %eax\n"
	"	syscall\n"
	"	jmp 1b\n"
	".size hvm_partner_exit_keep, . - hvm_partner_exit_keep\n");

static void hvm_pool_take_lock(void)
{
	while (__atomic_exchange_n(&hvm_pool_lock, 1, __ATOMIC_ACQUIRE))
		hvm_cpu_relax();
}

static void hvm_pool_drop_lock(void)
{
	__atomic_store_n(&hvm_pool_lock, 0, __ATOMIC_RELEASE);
}

static void hvm_futex_wake(uint32_t *w)
{
	hvm_sys(SYS_futex, (long)w, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

/* Ends the calling partner: its stack is freed for reuse or unmapped. */
static __attribute__((noreturn)) void hvm_partner_end(struct hvm_pstart *ps)
{
	if (ps->slot >= 0)
		hvm_partner_exit_keep(&hvm_stack_used[ps->slot]);
	hvm_partner_exit(ps->base, ps->len);
}

/*
 * A partner's stack, guard page below, the hvm_pstart at its top: a kept
 * one when free, else a new mapping.  NULL when memory is short.
 */
static struct hvm_pstart *hvm_pstart_new(void)
{
	size_t len = HVM_PARTNER_STACK + HVM_GUARD;
	struct hvm_pstart *ps;
	int i, slot = -1;
	char *m = NULL;

	for (i = 0; i < HVM_STACK_SLOTS && !m; i++) {
		uint32_t z = 0;

		if (__atomic_load_n(&hvm_stacks[i], __ATOMIC_ACQUIRE) &&
		    __atomic_compare_exchange_n(&hvm_stack_used[i], &z, 1,
						false, __ATOMIC_ACQUIRE,
						__ATOMIC_RELAXED)) {
			m = hvm_stacks[i];
			slot = i;
		}
	}
	if (!m) {
		m = (char *)hvm_sys(SYS_mmap, 0, (long)len,
				    PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1,
				    0);
		if ((unsigned long)m >= -4095ul)
			return NULL;
		hvm_sys(SYS_mprotect, (long)m, HVM_GUARD, PROT_NONE, 0, 0, 0);
		/* Kept if a slot is free; a slot, once filled, stays so. */
		hvm_pool_take_lock();
		for (i = 0; i < HVM_STACK_SLOTS && slot < 0; i++)
			if (!hvm_stacks[i]) {
				hvm_stack_used[i] = 1;
				__atomic_store_n(&hvm_stacks[i], m,
						 __ATOMIC_RELEASE);
				slot = i;
			}
		hvm_pool_drop_lock();
	}
	ps = (struct hvm_pstart *)(m + len) - 1;
	memset(ps, 0, sizeof(*ps));
	ps->base = m;
	ps->len = len;
	ps->slot = slot;
	return ps;
}

/* Gives back a stack whose partner never ran. */
static void hvm_pstart_free(struct hvm_pstart *ps)
{
	if (ps->slot >= 0)
		__atomic_store_n(&hvm_stack_used[ps->slot], 0,
				 __ATOMIC_RELEASE);
	else
		hvm_sys(SYS_munmap, (long)ps->base, (long)ps->len, 0, 0, 0, 0);
}

/* The HRT thread died of (sig): the process dies of it, as natively. */
static void hvm_partner_kill(int sig)
{
	struct hvm_ksigaction dfl = { 0, 0, 0, 0 };
	uint64_t set = 1ull << (sig - 1);

	hvm_sys(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	hvm_sys(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&set, 0, 8, 0, 0);
	hvm_sys(SYS_tgkill, hvm_sys(SYS_getpid, 0, 0, 0, 0, 0, 0),
		hvm_sys(SYS_gettid, 0, 0, 0, 0, 0, 0), sig, 0, 0, 0);
}

/* One forwarded call of a partner's thread; profiled, it has no invocation. */
static void hvm_partner_serve(struct hvm_chan *c, uint32_t st)
{
	uint64_t t_seen, t_reply = 0, nr;

	if (__builtin_expect(hvm_prof_ring == NULL, 1)) {
		hvm_serve(c, st, false, NULL);
		return;
	}
	t_seen = hvm_rdtsc();
	nr = hvm_serve(c, st, false, &t_reply);
	hvm_prof_fwd(c->core, 0, st == HVM_CHAN_FAULT ? PROF_FWD_FAULT : nr,
		     t_seen, t_reply);
}

/*
 * A partner: the ROS half of an HRT thread that HRT code cloned.  It
 * executes that thread's forwarded calls until the thread exits, then
 * exits too (CLONE_CHILD_CLEARTID then wakes pthread_join).  It runs raw
 * system calls only and no signal handler: its TLS is the HRT thread's.
 */
static __attribute__((noreturn)) void hvm_partner_main(void *p)
{
	struct hvm_pstart *ps = p;
	struct hvm_chan_ref ref = { 0 };
	struct hvm_chan *c;
	uint64_t all = ~0ull, seen, sig = 0, robust = 0, robust_len = 0;
	long long e;
	uint32_t st;

	if (ps->pooled) {
		/* Made with all signals blocked (the filler's mask). */
		while (__atomic_load_n(&ps->go, __ATOMIC_ACQUIRE) == 0)
			hvm_sys(SYS_futex, (long)&ps->go, FUTEX_WAIT_PRIVATE, 0,
				0, 0, 0);
		if (ps->go != 1)
			hvm_partner_end(ps);
		/*
		 * What Linux's clone would have done in the child: the tid
		 * word its exit clears (pthread_join), the TLS.  Before the
		 * loop, so before any call or the exit of the HRT thread.
		 */
		if (ps->flags & CLONE_CHILD_CLEARTID)
			hvm_sys(SYS_set_tid_address, (long)ps->ctid, 0, 0, 0, 0,
				0);
		hvm_sys(SYS_arch_prctl, HVM_ARCH_SET_FS, (long)ps->fs, 0, 0, 0,
			0);
	} else {
		hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, 8, 0,
			0);
	}
	c = &hvm_area->chan[ps->idx];
	ref.index = (uint32_t)ps->idx;
	seen = ps->seen;
	hvm_sig_chan = ps->idx;
	for (;;) {
		e = hvm_wait_event(ps->idx, seen, HRT_WAIT_DEFAULT, 50000, 0);
		if (e < 0)
			break; /* the HRT is gone: so is the thread */
		seen = (uint64_t)e;
		st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		if (st == HVM_CHAN_SYSCALL || st == HVM_CHAN_FAULT)
			hvm_partner_serve(c, st);
		else if (st == HVM_CHAN_EXIT || st == HVM_CHAN_DONE)
			break;
	}
	/*
	 * Read before the close: the channel may go at once to a new thread,
	 * whose first call (rseq, length 32) overwrote args[1] and killed the
	 * process with signal 32.
	 */
	if (st == HVM_CHAN_EXIT) {
		sig = c->args[1];
		robust = c->args[2];
		robust_len = c->args[3];
	}
	hvm_core_busy(c->core, -1);
	hvm_ioctl(hvm_fd, HVM_IOC_CHAN_CLOSE, &ref);
	/*
	 * The HRT served the thread's set_robust_list: registered now, Linux
	 * walks the list at this exit, right after the thread's end.
	 */
	if (robust)
		hvm_sys(SYS_set_robust_list, (long)robust, (long)robust_len, 0,
			0, 0, 0);
	if (sig > 0 && sig < 64)
		hvm_partner_kill((int)sig);
	hvm_partner_end(ps);
}

/* The filler: keeps hvm_pool_size partners waiting (see HVM_POOL_FLAGS). */
static __attribute__((noreturn)) void hvm_filler_main(void *p)
{
	struct hvm_filler *f = p;
	struct hvm_pstart *ps;
	uint32_t want;
	long r;

	for (;;) {
		want = __atomic_load_n(&f->want, __ATOMIC_ACQUIRE);
		while (!__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE) &&
		       __atomic_load_n(&hvm_pool_count, __ATOMIC_RELAXED) <
			       hvm_pool_size) {
			ps = hvm_pstart_new();
			if (!ps)
				break;
			ps->pooled = true;
			ps->idx = -1;
			r = hvm_raw_clone(HVM_POOL_FLAGS,
					  (void *)((uintptr_t)ps & ~15ul), 0, 0,
					  0, hvm_partner_main, ps);
			if (r < 0) {
				hvm_pstart_free(ps);
				break; /* out of memory or threads: later */
			}
			ps->tid = r;
			hvm_pool_take_lock();
			if (f->stop) {
				hvm_pool_drop_lock();
				__atomic_store_n(&ps->go, 2, __ATOMIC_RELEASE);
				hvm_futex_wake(&ps->go);
				break;
			}
			ps->next = hvm_pool_head;
			hvm_pool_head = ps;
			__atomic_add_fetch(&hvm_pool_count, 1,
					   __ATOMIC_RELAXED);
			hvm_pool_drop_lock();
		}
		if (__atomic_load_n(&f->stop, __ATOMIC_ACQUIRE))
			break;
		__atomic_store_n(&f->sleeping, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&f->want, __ATOMIC_SEQ_CST) == want)
			hvm_sys(SYS_futex, (long)&f->want, FUTEX_WAIT_PRIVATE,
				want, 0, 0, 0);
		__atomic_store_n(&f->sleeping, 0, __ATOMIC_RELAXED);
	}
	hvm_partner_exit(f->base, HVM_PARTNER_STACK + HVM_GUARD);
}

/* Starts the filler (the first thread clone); all signals blocked in it. */
static void hvm_filler_start(void)
{
	uint64_t all = ~0ull, old;
	struct hvm_filler *f;
	char *m;

	if (!hvm_pool_size ||
	    __atomic_exchange_n(&hvm_pool_started, true, __ATOMIC_ACQ_REL))
		return;
	m = (char *)hvm_sys(SYS_mmap, 0, HVM_PARTNER_STACK + HVM_GUARD,
			    PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if ((unsigned long)m >= -4095ul)
		return;
	hvm_sys(SYS_mprotect, (long)m, HVM_GUARD, PROT_NONE, 0, 0, 0);
	f = (struct hvm_filler *)(m + HVM_PARTNER_STACK + HVM_GUARD) - 1;
	memset(f, 0, sizeof(*f));
	f->base = m;
	/* Its partners inherit its mask: nothing may land on one unready. */
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, (long)&old, 8, 0,
		0);
	if (hvm_raw_clone(HVM_POOL_FLAGS, (void *)((uintptr_t)f & ~15ul), 0, 0,
			  0, hvm_filler_main, f) < 0)
		hvm_sys(SYS_munmap, (long)m, HVM_PARTNER_STACK + HVM_GUARD, 0,
			0, 0, 0);
	else
		__atomic_store_n(&hvm_filler, f, __ATOMIC_RELEASE);
	hvm_sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, 8, 0, 0);
}

/* A waiting partner, or NULL; tells the filler to make another. */
static struct hvm_pstart *hvm_pool_get(void)
{
	struct hvm_filler *f = __atomic_load_n(&hvm_filler, __ATOMIC_ACQUIRE);
	struct hvm_pstart *ps;

	hvm_pool_take_lock();
	ps = hvm_pool_head;
	if (ps) {
		hvm_pool_head = ps->next;
		__atomic_sub_fetch(&hvm_pool_count, 1, __ATOMIC_RELAXED);
	}
	hvm_pool_drop_lock();
	if (f) {
		__atomic_add_fetch(&f->want, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&f->sleeping, __ATOMIC_SEQ_CST))
			hvm_futex_wake(&f->want);
	}
	return ps;
}

void hvm_pool_stop(void)
{
	struct hvm_filler *f =
		__atomic_exchange_n(&hvm_filler, NULL, __ATOMIC_ACQ_REL);
	struct hvm_pstart *ps, *next;

	hvm_pool_take_lock();
	if (f)
		__atomic_store_n(&f->stop, true, __ATOMIC_RELEASE);
	ps = hvm_pool_head;
	hvm_pool_head = NULL;
	hvm_pool_count = 0;
	hvm_pool_drop_lock();
	if (f) {
		__atomic_add_fetch(&f->want, 1, __ATOMIC_SEQ_CST);
		hvm_futex_wake(&f->want);
	}
	for (; ps; ps = next) {
		next = ps->next;
		__atomic_store_n(&ps->go, 2, __ATOMIC_RELEASE);
		hvm_futex_wake(&ps->go);
	}
	__atomic_store_n(&hvm_pool_started, false, __ATOMIC_RELEASE);
}

void hvm_pool_forget(void)
{
	hvm_filler = NULL;
	hvm_pool_head = NULL;
	hvm_pool_count = 0;
	hvm_pool_started = false;
	hvm_pool_lock = 0;
	/* The kept stacks are copies here; the parent's partners use them. */
	memset(hvm_stacks, 0, sizeof(hvm_stacks));
	memset(hvm_stack_used, 0, sizeof(hvm_stack_used));
}

/*
 * Hands pooled partner (ps) to a new HRT thread on channel (idx), as
 * Linux's clone would make it: the parent's tid word now, the child's
 * (CHILD_SETTID) before the HRT thread can run, CHILD_CLEARTID and TLS
 * in the partner before it serves anything.
 */
static long hvm_pool_hand(struct hvm_pstart *ps, int idx, uint64_t flags,
			  uint64_t ptid, uint64_t ctid, uint64_t tls,
			  uint64_t fs)
{
	struct iovec l = { &ps->tid, sizeof(int) }, r = { 0, sizeof(int) };
	long pid = hvm_sys(SYS_getpid, 0, 0, 0, 0, 0, 0);

	/* As Linux's put_user: a bad address is not the clone's failure. */
	if (flags & CLONE_PARENT_SETTID) {
		r.iov_base = (void *)ptid;
		hvm_sys(SYS_process_vm_writev, pid, (long)&l, 1, (long)&r, 1,
			0);
	}
	if ((flags & CLONE_CHILD_SETTID) &&
	    !((flags & CLONE_PARENT_SETTID) && ctid == ptid)) {
		r.iov_base = (void *)ctid;
		hvm_sys(SYS_process_vm_writev, pid, (long)&l, 1, (long)&r, 1,
			0);
	}
	ps->idx = idx;
	ps->seen = hvm_chan_events(&hvm_area->chan[idx]);
	ps->flags = flags;
	ps->ctid = ctid;
	ps->fs = (flags & CLONE_SETTLS) ? tls : fs;
	__atomic_store_n(&ps->go, 1, __ATOMIC_RELEASE);
	hvm_futex_wake(&ps->go);
	return ps->tid;
}

long hvm_clone_thread(uint64_t flags, uint64_t ptid, uint64_t ctid,
		      uint64_t tls, uint64_t core, uint64_t fs, int64_t *chan)
{
	struct hvm_chan_open o = { 0 };
	struct hvm_chan_ref ref;
	struct hvm_pstart *ps = NULL;
	long r;

	/* The HRT knows which core is quiet; HVM_CORES may say otherwise. */
	o.core = hvm_core_allowed(core) ? (uint32_t)core : hvm_next_core();
	r = hvm_ioctl(hvm_fd, HVM_IOC_CHAN_OPEN, &o);
	if (r < 0)
		return r == -ENOSPC ? -EAGAIN : r;
	ref.index = o.index;
	ref.reserved = 0;
	/* A TLS Linux would refuse (EPERM) takes the slow way, to Linux. */
	if ((flags & ~HVM_POOL_TIDFLAGS) == HVM_POOL_FLAGS &&
	    (!(flags & CLONE_SETTLS) || tls < HVM_USER_TOP)) {
		hvm_filler_start();
		ps = hvm_pool_get();
		if (ps) {
			hvm_core_busy(o.core, 1);
			*chan = o.index;
			return hvm_pool_hand(ps, (int)o.index, flags, ptid,
					     ctid, tls, fs);
		}
	}
	ps = hvm_pstart_new();
	if (!ps) {
		hvm_ioctl(hvm_fd, HVM_IOC_CHAN_CLOSE, &ref);
		return -EAGAIN;
	}
	ps->idx = (int)o.index;
	ps->seen = hvm_chan_events(&hvm_area->chan[o.index]);
	/* Counted first: the partner uncounts itself when it ends. */
	hvm_core_busy(o.core, 1);
	r = hvm_raw_clone(flags, (void *)((uintptr_t)ps & ~15ul), ptid, ctid,
			  tls, hvm_partner_main, ps);
	if (r < 0) {
		hvm_core_busy(o.core, -1);
		hvm_ioctl(hvm_fd, HVM_IOC_CHAN_CLOSE, &ref);
		hvm_pstart_free(ps);
		return r;
	}
	*chan = o.index;
	return r;
}
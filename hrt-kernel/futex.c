// SPDX-License-Identifier: MIT
/* futex.c - process code's futexes: HRT waiters sleep on the HRT cores. */
#include "futex.h"
#include "boot.h"
#include "chan.h"
#include "hvm_abi.h"
#include "hvm_fwd.h"
#include "list.h"
#include "smp.h"
#include "signal.h"
#include "sync.h"
#include "thread.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

#define FUTEX_WAIT	     0
#define FUTEX_WAKE	     1
#define FUTEX_WAIT_BITSET    9
#define FUTEX_WAKE_BITSET    10
#define FUTEX_PRIVATE_FLAG   128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_ALL     0xffffffffu

/*
 * How long a waiter polls its word, when nothing else could run, before it
 * sleeps.
 */
#define HRT_FUTEX_SPIN_US 50
#define HRT_FUTEX_BUCKETS 64

/* One waiting HRT thread, on its kernel stack while it waits. */
struct hrt_futex_waiter {
	struct hrt_list node;  /* bucket list, under the bucket lock */
	struct hrt_list snode; /* its core's sleepers, interrupts off */
	struct hrt_thread *t;
	u32 ctx;
	u64 addr;
	volatile bool woken; /* set (and unlinked) by an HRT waker */
};

/*
 * Words only Linux will wake for a while: the CLONE_CHILD_CLEARTID word
 * of a thread that ended (its partner's exit clears and wakes it, in
 * Linux).  Waits on them go to Linux; an entry that outlives its use only
 * costs a round trip.
 */
#define HRT_FUTEX_LINUX_SLOTS 4
#define HRT_FUTEX_LINUX_MS    1000

struct hrt_futex_linux {
	u32 ctx;
	u64 addr;
	u64 until; /* TSC */
};

static struct hrt_futex_bucket {
	struct hrt_spinlock lock;
	struct hrt_list waiters;
	struct hrt_futex_linux lw[HRT_FUTEX_LINUX_SLOTS];
} hrt_futex_tab[HRT_FUTEX_BUCKETS];

/*
 * Per context: the bind generation + 1 for which the process declared its
 * private futexes the HRT's alone (HVM_CHAN_F_FUTEX_HRT, else 0), and how
 * many of its futex calls Linux holds now (their waiters are Linux's).
 */
static u32 hrt_futex_sole[HVM_CTX_MAX];
static u32 hrt_futex_in_linux[HVM_CTX_MAX];

/*
 * Per core: its waiters that sleep.  The timer tick wakes them to look at
 * their words again: a ROS thread's wake goes to Linux, which does not
 * know them, but its store to the word comes first.
 */
static struct hrt_list hrt_futex_sleepers[HRT_MAX_CPUS];

static u64 hrt_futex_spin_cycles;

void hrt_futex_init(void)
{
	int i;

	for (i = 0; i < HRT_FUTEX_BUCKETS; i++) {
		hrt_spin_init(&hrt_futex_tab[i].lock);
		hrt_list_init(&hrt_futex_tab[i].waiters);
	}
	for (i = 0; i < (int)HRT_MAX_CPUS; i++)
		hrt_list_init(&hrt_futex_sleepers[i]);
	hrt_futex_spin_cycles =
		hrt_bootinfo->tsc_khz * HRT_FUTEX_SPIN_US / 1000;
}

void hrt_futex_tick(void)
{
	struct hrt_list *l, *n;

	if (!hrt_futex_spin_cycles)
		return; /* not HVM mode */
	l = &hrt_futex_sleepers[hrt_cpu_id()];
	for (n = l->next; n != l; n = n->next)
		hrt_wake(container_of(n, struct hrt_futex_waiter, snode)->t);
}

static struct hrt_futex_bucket *hrt_futex_bucket(u32 ctx, u64 addr)
{
	u64 h = (addr >> 2) * 0x9e3779b97f4a7c15ull + ctx;

	return &hrt_futex_tab[(h >> 32) % HRT_FUTEX_BUCKETS];
}

/* Is (ctx, addr) a word only Linux wakes now?  Bucket lock held. */
static bool hrt_futex_linux_only(struct hrt_futex_bucket *b, u32 ctx, u64 addr)
{
	u64 now = hrt_rdtsc();
	int i;

	for (i = 0; i < HRT_FUTEX_LINUX_SLOTS; i++)
		if (b->lw[i].addr == addr && b->lw[i].ctx == ctx &&
		    (s64)(b->lw[i].until - now) > 0)
			return true;
	return false;
}

void hrt_futex_linux_wakes(struct hrt_uthread *u, u64 addr)
{
	struct hrt_futex_bucket *b = hrt_futex_bucket(u->ctx, addr);
	struct hrt_list *n, *next;
	u64 now = hrt_rdtsc(), oldest = ~0ull;
	int i, slot = 0;

	if ((addr & 3) || !hrt_user_addr(addr))
		return;
	hrt_spin_lock(&b->lock);
	/* Reuse this word's slot, else the one that expires first. */
	for (i = 0; i < HRT_FUTEX_LINUX_SLOTS; i++) {
		struct hrt_futex_linux *e = &b->lw[i];

		if (e->addr == addr && e->ctx == u->ctx) {
			slot = i;
			break;
		}
		if (e->until < oldest) {
			oldest = e->until;
			slot = i;
		}
	}
	b->lw[slot].ctx = u->ctx;
	b->lw[slot].addr = addr;
	b->lw[slot].until = now + hrt_bootinfo->tsc_khz * HRT_FUTEX_LINUX_MS;
	/* Present waiters wake early; their next wait goes to Linux. */
	for (n = b->waiters.next; n != &b->waiters; n = next) {
		struct hrt_futex_waiter *w =
			container_of(n, struct hrt_futex_waiter, node);

		next = n->next;
		if (w->ctx != u->ctx || w->addr != addr)
			continue;
		hrt_list_del(&w->node);
		__atomic_store_n(&w->woken, true, __ATOMIC_SEQ_CST);
		hrt_wake(w->t);
	}
	hrt_spin_unlock(&b->lock);
}

void hrt_futex_invoke(u32 ctx, u32 flags)
{
	if (ctx < HVM_CTX_MAX)
		WRITE_ONCE(hrt_futex_sole[ctx],
			   (flags & HVM_CHAN_F_FUTEX_HRT)
				   ? READ_ONCE(hrt_area->ctx[ctx].gen) + 1
				   : 0);
}

/*
 * A futex call Linux executes.  While a private one is there, private
 * wakes go there too.  A shared one (pthread_join's wait on the tid word
 * is one) does not count: Linux keys shared and private futexes apart, so
 * a private wake could never reach its waiter, and counting it sent every
 * barrier's wake-all to Linux while some thread sat in pthread_join.
 */
static s64 hrt_futex_forward(struct hrt_uthread *u, const u64 *a)
{
	bool private = (u32)a[1] & FUTEX_PRIVATE_FLAG;
	s64 r;

	HRT_COUNT(futex_forwarded);
	if (!private)
		return hrt_uthread_forward(u, HVM_CHAN_SYSCALL, HVM_SYS_futex,
					   a);
	__atomic_add_fetch(&hrt_futex_in_linux[u->ctx], 1, __ATOMIC_SEQ_CST);
	r = hrt_uthread_forward(u, HVM_CHAN_SYSCALL, HVM_SYS_futex, a);
	__atomic_sub_fetch(&hrt_futex_in_linux[u->ctx], 1, __ATOMIC_SEQ_CST);
	return r;
}

/*
 * Can a wake of (u)'s process have waiters in Linux?  Not when it declared
 * its private futexes the HRT's and none of its futex calls is with Linux.
 * The waker stored the word before: the fence orders that store before
 * our read of the count, against a waiter that counts itself first.
 */
static bool hrt_futex_linux_waiters(struct hrt_uthread *u)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return READ_ONCE(hrt_futex_sole[u->ctx]) !=
		       READ_ONCE(hrt_area->ctx[u->ctx].gen) + 1 ||
	       __atomic_load_n(&hrt_futex_in_linux[u->ctx], __ATOMIC_SEQ_CST);
}

/* Reads the futex word, having Linux populate its page if need be. */
static int hrt_futex_read(struct hrt_uthread *u, u64 addr, u32 *v)
{
	u64 args[6] = { addr, 0, 0, 0, 0, 0 };
	s64 r;

	if (!hrt_get_user_u32((const u32 *)addr, v))
		return 0;
	r = hrt_uthread_forward(u, HVM_CHAN_FAULT, 0, args);
	if (r == HRT_FWD_ABORTED)
		return (int)HRT_FWD_ABORTED;
	if (r || hrt_get_user_u32((const u32 *)addr, v))
		return -EFAULT;
	return 0;
}

/* Leaves the bucket (if no waker took us out); returns (r). */
static s64 hrt_futex_leave(struct hrt_futex_bucket *b,
			   struct hrt_futex_waiter *w, s64 r)
{
	/*
	 * Also when woken: the waker still holds the lock while it wakes our
	 * thread, so (w) must outlive its critical section.
	 */
	hrt_spin_lock(&b->lock);
	if (!w->woken)
		hrt_list_del(&w->node);
	hrt_spin_unlock(&b->lock);
	return r;
}

/* Sleeps until an HRT waker, the next tick or a channel request. */
static void hrt_futex_sleep(struct hrt_futex_waiter *w)
{
	u64 f = hrt_irq_save();

	HRT_COUNT(futex_sleeps);
	w->t->state = HRT_T_BLOCKED;
	hrt_list_add_tail(&w->snode, &hrt_futex_sleepers[hrt_cpu_id()]);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!w->woken)
		hrt_schedule();
	else
		w->t->state = HRT_T_RUNNING;
	hrt_list_del(&w->snode);
	hrt_irq_restore(f);
}

/*
 * FUTEX_WAIT among HRT threads never leaves the HRT: the waiter polls
 * briefly (nothing else to run), then sleeps in the HRT scheduler, and an
 * HRT waker hands it the wake-up directly.  A ROS waker's wake goes to
 * Linux; the waiter sees the word it changed at its next tick instead.
 */
static s64 hrt_futex_wait(struct hrt_uthread *u, const u64 *a)
{
	struct hrt_futex_waiter w = { .t = u->t, .ctx = u->ctx, .addr = a[0] };
	struct hrt_futex_bucket *b = hrt_futex_bucket(u->ctx, a[0]);
	u64 t0 = hrt_rdtsc();
	bool first = true;
	u32 v;
	s64 r;

	/*
	 * Queued before the word is read: a waker stores the word, then takes
	 * the bucket lock; either it finds us or we see its store.
	 */
	hrt_spin_lock(&b->lock);
	if (hrt_futex_linux_only(b, u->ctx, a[0])) {
		hrt_spin_unlock(&b->lock);
		return hrt_futex_forward(u, a);
	}
	hrt_list_add_tail(&w.node, &b->waiters);
	hrt_spin_unlock(&b->lock);
	for (;;) {
		if (w.woken)
			return hrt_futex_leave(b, &w, 0);
		r = hrt_futex_read(u, a[0], &v);
		if (r)
			return hrt_futex_leave(b, &w, r);
		if (v != (u32)a[2])
			return hrt_futex_leave(b, &w, first ? -EAGAIN : 0);
		first = false;
		if (hrt_uthread_stop(u))
			return hrt_futex_leave(b, &w, HRT_FWD_ABORTED);
		/* A signal for us: -EINTR, the handler runs, glibc waits again.
		 */
		if (hrt_signal_pending(u))
			return hrt_futex_leave(b, &w, -EINTR);
		if (!hrt_chan_others_runnable(hrt_cpu_id()) &&
		    hrt_rdtsc() - t0 < hrt_futex_spin_cycles)
			hrt_pause();
		else
			hrt_futex_sleep(&w);
	}
}

static s64 hrt_futex_wake(struct hrt_uthread *u, const u64 *a)
{
	struct hrt_futex_bucket *b = hrt_futex_bucket(u->ctx, a[0]);
	struct hrt_list *n, *next;
	s64 want = (s64)(u32)a[2], woken = 0, r;
	u64 fwd[6];
	int i;

	if (want <= 0)
		return 0;
	hrt_spin_lock(&b->lock);
	for (n = b->waiters.next; n != &b->waiters && woken < want; n = next) {
		struct hrt_futex_waiter *w =
			container_of(n, struct hrt_futex_waiter, node);

		next = n->next;
		if (w->ctx != u->ctx || w->addr != a[0])
			continue;
		hrt_list_del(&w->node);
		__atomic_store_n(&w->woken, true, __ATOMIC_SEQ_CST);
		hrt_wake(w->t);
		HRT_COUNT(futex_local_wakes);
		woken++;
	}
	hrt_spin_unlock(&b->lock);
	if (woken == want || !hrt_futex_linux_waiters(u))
		return woken;
	/*
	 * The rest may be ROS threads waiting in Linux: their wake is posted
	 * and we go on (callers do not use the count of a wake they could
	 * not know the waiters of; it counts the HRT's own waiters only).
	 */
	HRT_COUNT(futex_forwarded);
	for (i = 0; i < 6; i++)
		fwd[i] = a[i];
	fwd[2] = (u64)(want - woken);
	r = hrt_uthread_post(u, HVM_SYS_futex, fwd);
	return r ? r : woken;
}

s64 hrt_futex(struct hrt_uthread *u, const u64 *a)
{
	u32 op = (u32)a[1],
	    cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	bool bitset_all = (u32)a[5] == FUTEX_BITSET_ALL;

	/* Shared futexes may have waiters in other processes: Linux's. */
	if (!(op & FUTEX_PRIVATE_FLAG) || (a[0] & 3) || !hrt_user_addr(a[0]))
		return hrt_futex_forward(u, a);
	if ((cmd == FUTEX_WAIT || (cmd == FUTEX_WAIT_BITSET && bitset_all)) &&
	    !a[3])
		return hrt_futex_wait(u, a);
	if (cmd == FUTEX_WAKE || (cmd == FUTEX_WAKE_BITSET && bitset_all))
		return hrt_futex_wake(u, a);
	return hrt_futex_forward(u, a);
}

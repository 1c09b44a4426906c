// SPDX-License-Identifier: MIT
/* event.c - aerokernel events (counters with waiters) and barriers for the HRT threads of one process. */
#include "api.h"
#include "boot.h"
#include "list.h"
#include "sched.h"
#include "slab.h"
#include "smp.h"
#include "sync.h"
#include "thread.h"
#include "timer.h"
#include "uthread.h"
#include "x86.h"

/*
 * A waiter polls this long before it sleeps: a notify from another core
 * then costs no IPI and no switch.
 */
#define HRT_API_SPIN_US 20

/* One sleeping waiter, on its kernel stack while it waits. */
struct hrt_api_waiter {
	struct hrt_list node;  /* its object's list, under the object's lock */
	struct hrt_list snode; /* its core's sleepers, interrupts off */
	struct hrt_thread *t;
	volatile bool woken; /* set (and unlinked) by a waker */
};

/* What events and barriers share: a lock, sleepers, a destroyed flag. */
struct hrt_api_wq {
	struct hrt_spinlock lock;
	struct hrt_list waiters;
	volatile bool destroyed;
	volatile u32 inside; /* threads in a wait: spinning or asleep */
};

struct hrt_api_event {
	struct hrt_api_wq wq;
	volatile u64 count;
};

struct hrt_api_barrier {
	struct hrt_api_wq wq;
	u32 n, arrived;	    /* under wq.lock */
	volatile u64 round; /* written under wq.lock */
};

/*
 * Per core: waiters asleep on it.  The tick wakes them to look at their
 * deadline and their process again; a notify wakes them at once.
 */
static struct hrt_list hrt_api_sleepers[HRT_MAX_CPUS];
static bool hrt_api_sleepers_ready;

void hrt_api_tick(void)
{
	struct hrt_list *l, *n;

	if (!READ_ONCE(hrt_api_sleepers_ready))
		return;
	l = &hrt_api_sleepers[hrt_cpu_id()];
	if (!l->next)
		return;
	for (n = l->next; n != l; n = n->next)
		hrt_wake(container_of(n, struct hrt_api_waiter, snode)->t);
}

static void hrt_api_wq_init(struct hrt_api_wq *q)
{
	u32 i;

	hrt_spin_init(&q->lock);
	hrt_list_init(&q->waiters);
	/* First object: the sleeper lists (any core may tick from now on). */
	if (!READ_ONCE(hrt_api_sleepers_ready)) {
		for (i = 0; i < HRT_MAX_CPUS; i++)
			if (!hrt_api_sleepers[i].next)
				hrt_list_init(&hrt_api_sleepers[i]);
		__atomic_store_n(&hrt_api_sleepers_ready, true,
				 __ATOMIC_RELEASE);
	}
}

/* Caller holds q->lock: wakes every sleeper; returns how many were inside. */
static int hrt_api_wq_wake(struct hrt_api_wq *q)
{
	struct hrt_list *n;

	while ((n = hrt_list_pop(&q->waiters))) {
		struct hrt_api_waiter *w =
			container_of(n, struct hrt_api_waiter, node);

		w->woken = true;
		hrt_wake(w->t);
	}
	return (int)q->inside;
}

/*
 * Caller holds q->lock (taken with hrt_spin_lock): sleeps until a waker
 * or the next tick, and returns with the lock dropped.
 */
static void hrt_api_wq_sleep(struct hrt_api_wq *q)
{
	struct hrt_api_waiter w = { .t = hrt_current() };
	u64 f = q->lock.flags;

	/*
	 * BLOCKED under the lock: a waker takes it, so it finds us blocked
	 * (hrt_wake re-queues a thread still switching out).
	 */
	w.t->state = HRT_T_BLOCKED;
	hrt_list_add_tail(&w.node, &q->waiters);
	hrt_spin_unlock_raw(&q->lock);
	hrt_list_add_tail(&w.snode, &hrt_api_sleepers[hrt_cpu_id()]);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!w.woken)
		hrt_schedule();
	else
		w.t->state = HRT_T_RUNNING;
	hrt_list_del(&w.snode);
	hrt_irq_restore(f);
	/* A tick woke us: leave the list (a waker may hold it meanwhile). */
	hrt_spin_lock(&q->lock);
	if (!w.woken)
		hrt_list_del(&w.node);
	hrt_spin_unlock(&q->lock);
}

/* Spins while (*word) == (old), for HRT_API_SPIN_US at most. */
static void hrt_api_spin(volatile u64 *word, u64 old)
{
	u64 t0 = hrt_rdtsc(), lim = hrt_tsc_khz * HRT_API_SPIN_US / 1000;

	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) == old &&
	       hrt_rdtsc() - t0 < lim)
		hrt_pause();
}

s64 hrt_api_event_create(void)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_event *e;
	s64 h;

	if (!u)
		return -ENOTSUP;
	e = hrt_zalloc(sizeof(*e));
	if (!e)
		return -ENOMEM;
	hrt_api_wq_init(&e->wq);
	h = hrt_api_obj_new(u, HRT_API_EVENT, e, hrt_free);
	if (h < 0)
		hrt_free(e);
	return h;
}

s64 hrt_api_event_wait(u64 h, u64 seen, u64 timeout_ns)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_event *e;
	u64 until;
	s64 r;

	if (!u)
		return -ENOTSUP;
	e = hrt_api_obj_get(u, h, HRT_API_EVENT);
	if (!e)
		return -EINVAL;
	until = timeout_ns == ~0ull
			? ~0ull
			: hrt_rdtsc() + timeout_ns / 1000 * hrt_tsc_khz / 1000;
	__atomic_add_fetch(&e->wq.inside, 1, __ATOMIC_SEQ_CST);
	if (timeout_ns)
		hrt_api_spin(&e->count, seen);
	for (;;) {
		hrt_spin_lock(&e->wq.lock);
		if (e->count != seen) {
			r = (s64)e->count;
			break;
		}
		if (e->wq.destroyed) {
			r = -EINVAL;
			break;
		}
		if (!hrt_uthread_alive(u)) {
			r = -ECANCELED;
			break;
		}
		if (hrt_rdtsc() >= until) {
			r = -ETIMEDOUT;
			break;
		}
		hrt_api_wq_sleep(&e->wq);
	}
	__atomic_sub_fetch(&e->wq.inside, 1, __ATOMIC_SEQ_CST);
	hrt_spin_unlock(&e->wq.lock);
	hrt_api_obj_put(h);
	if (r == -ECANCELED)
		hrt_uthread_abort(u, -ECANCELED);
	return r;
}

s64 hrt_api_event_notify(u64 h)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_event *e;
	int n;

	if (!u)
		return -ENOTSUP;
	e = hrt_api_obj_get(u, h, HRT_API_EVENT);
	if (!e)
		return -EINVAL;
	hrt_spin_lock(&e->wq.lock);
	__atomic_store_n(&e->count, e->count + 1, __ATOMIC_RELEASE);
	n = hrt_api_wq_wake(&e->wq);
	hrt_spin_unlock(&e->wq.lock);
	hrt_api_obj_put(h);
	return n;
}

/* Destroys (h) of (type): its waiters return -EINVAL. */
static s64 hrt_api_wq_destroy(u64 h, u32 type)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_wq *q;

	if (!u)
		return -ENOTSUP;
	/* struct hrt_api_wq is the first member of both kinds. */
	q = hrt_api_obj_get(u, h, type);
	if (!q)
		return -EINVAL;
	hrt_spin_lock(&q->lock);
	q->destroyed = true;
	hrt_api_wq_wake(q);
	hrt_spin_unlock(&q->lock);
	hrt_api_obj_destroy(u, h, type);
	hrt_api_obj_put(h);
	return 0;
}

s64 hrt_api_event_destroy(u64 h)
{
	return hrt_api_wq_destroy(h, HRT_API_EVENT);
}

s64 hrt_api_barrier_create(u64 n)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_barrier *b;
	s64 h;

	if (!u)
		return -ENOTSUP;
	if (!n || n > HVM_API_OBJECTS)
		return -EINVAL;
	b = hrt_zalloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	hrt_api_wq_init(&b->wq);
	b->n = (u32)n;
	h = hrt_api_obj_new(u, HRT_API_BARRIER, b, hrt_free);
	if (h < 0)
		hrt_free(b);
	return h;
}

s64 hrt_api_barrier_wait(u64 h)
{
	struct hrt_uthread *u = hrt_api_caller();
	struct hrt_api_barrier *b;
	u64 round;
	s64 r;

	if (!u)
		return -ENOTSUP;
	b = hrt_api_obj_get(u, h, HRT_API_BARRIER);
	if (!b)
		return -EINVAL;
	hrt_spin_lock(&b->wq.lock);
	round = b->round;
	if (++b->arrived == b->n) {
		b->arrived = 0;
		__atomic_store_n(&b->round, round + 1, __ATOMIC_RELEASE);
		hrt_api_wq_wake(&b->wq);
		hrt_spin_unlock(&b->wq.lock);
		hrt_api_obj_put(h);
		return 1;
	}
	b->wq.inside++;
	hrt_spin_unlock(&b->wq.lock);
	hrt_api_spin(&b->round, round);
	for (;;) {
		hrt_spin_lock(&b->wq.lock);
		if (b->round != round) {
			r = 0;
			break;
		}
		if (b->wq.destroyed) {
			r = -EINVAL;
			break;
		}
		if (!hrt_uthread_alive(u)) {
			r = -ECANCELED;
			break;
		}
		hrt_api_wq_sleep(&b->wq);
	}
	b->wq.inside--;
	hrt_spin_unlock(&b->wq.lock);
	hrt_api_obj_put(h);
	if (r == -ECANCELED)
		hrt_uthread_abort(u, -ECANCELED);
	return r;
}

s64 hrt_api_barrier_destroy(u64 h)
{
	return hrt_api_wq_destroy(h, HRT_API_BARRIER);
}

// SPDX-License-Identifier: MIT
/* sync.c - spinlocks, wait queues and the blocking primitives built on them. */
#include "sync.h"
#include "sched.h"
#include "thread.h"
#include "x86.h"

void hrt_spin_lock_raw(struct hrt_spinlock *l)
{
	u32 me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
		hrt_pause();
}

bool hrt_spin_trylock_raw(struct hrt_spinlock *l)
{
	u32 o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	u32 n = o;

	return __atomic_compare_exchange_n(&l->next, &n, o + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

void hrt_spin_unlock_raw(struct hrt_spinlock *l)
{
	/* Only the holder writes owner, so a plain increment + release store is enough. */
	__atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

void hrt_spin_lock(struct hrt_spinlock *l)
{
	u64 f = hrt_irq_save();

	hrt_spin_lock_raw(l);
	l->flags = f;
}

void hrt_spin_unlock(struct hrt_spinlock *l)
{
	u64 f = l->flags;

	hrt_spin_unlock_raw(l);
	hrt_irq_restore(f);
}

void hrt_waitq_init(struct hrt_waitq *wq)
{
	hrt_spin_init(&wq->lock);
	hrt_list_init(&wq->waiters);
}

void hrt_waitq_prepare(struct hrt_waitq *wq)
{
	struct hrt_thread *t = hrt_current();

	/* BLOCKED must be visible before wq->lock is dropped: hrt_wake checks it. */
	t->state = HRT_T_BLOCKED;
	hrt_list_add_tail(&t->wait_node, &wq->waiters);
}

bool hrt_waitq_wake_one(struct hrt_waitq *wq)
{
	struct hrt_list *n = hrt_list_pop(&wq->waiters);

	if (!n)
		return false;
	hrt_wake(container_of(n, struct hrt_thread, wait_node));
	return true;
}

int hrt_waitq_wake_all(struct hrt_waitq *wq)
{
	int n = 0;

	while (hrt_waitq_wake_one(wq))
		n++;
	return n;
}

/*
 * Sleep on wq: the caller holds wq->lock (taken with hrt_spin_lock, so
 * interrupts are off).  We drop the lock but keep interrupts off until the
 * switch, so a waker on another CPU either finds us still current (and
 * hrt_schedule re-queues us) or already switched out.
 */
static void hrt_waitq_sleep_locked(struct hrt_waitq *wq)
{
	u64 f = wq->lock.flags;

	hrt_waitq_prepare(wq);
	hrt_spin_unlock_raw(&wq->lock);
	hrt_schedule();
	hrt_irq_restore(f);
}

void hrt_mutex_init(struct hrt_mutex *m)
{
	hrt_waitq_init(&m->wq);
	m->owner = NULL;
	m->contended = 0;
}

bool hrt_mutex_trylock(struct hrt_mutex *m)
{
	bool ok = false;

	hrt_spin_lock(&m->wq.lock);
	if (!m->owner) {
		m->owner = hrt_current();
		ok = true;
	}
	hrt_spin_unlock(&m->wq.lock);
	return ok;
}

void hrt_mutex_lock(struct hrt_mutex *m)
{
	int spins;

	/* Short optimistic spin: the holder usually runs on another core. */
	for (spins = 0; spins < 200; spins++) {
		if (!READ_ONCE(m->owner) && hrt_mutex_trylock(m))
			return;
		hrt_pause();
	}
	for (;;) {
		hrt_spin_lock(&m->wq.lock);
		if (!m->owner) {
			m->owner = hrt_current();
			hrt_spin_unlock(&m->wq.lock);
			return;
		}
		m->contended++;
		hrt_waitq_sleep_locked(&m->wq);
	}
}

void hrt_mutex_unlock(struct hrt_mutex *m)
{
	hrt_spin_lock(&m->wq.lock);
	m->owner = NULL;
	hrt_waitq_wake_one(&m->wq);
	hrt_spin_unlock(&m->wq.lock);
}

void hrt_cond_init(struct hrt_cond *c)
{
	hrt_waitq_init(&c->wq);
}

void hrt_cond_wait(struct hrt_cond *c, struct hrt_mutex *m)
{
	u64 f;

	hrt_spin_lock(&c->wq.lock);
	f = c->wq.lock.flags;
	hrt_waitq_prepare(&c->wq);
	hrt_spin_unlock_raw(&c->wq.lock);
	/* Queued before the mutex is released, so no signal can be missed. */
	hrt_mutex_unlock(m);
	hrt_schedule();
	hrt_irq_restore(f);
	hrt_mutex_lock(m);
}

void hrt_cond_signal(struct hrt_cond *c)
{
	hrt_spin_lock(&c->wq.lock);
	hrt_waitq_wake_one(&c->wq);
	hrt_spin_unlock(&c->wq.lock);
}

void hrt_cond_broadcast(struct hrt_cond *c)
{
	hrt_spin_lock(&c->wq.lock);
	hrt_waitq_wake_all(&c->wq);
	hrt_spin_unlock(&c->wq.lock);
}

void hrt_barrier_init(struct hrt_barrier *b, u32 n)
{
	hrt_waitq_init(&b->wq);
	b->n = n;
	b->count = 0;
	b->gen = 0;
}

bool hrt_barrier_wait(struct hrt_barrier *b)
{
	u64 gen;
	int spins;

	hrt_spin_lock(&b->wq.lock);
	gen = b->gen;
	if (++b->count == b->n) {
		b->count = 0;
		__atomic_store_n(&b->gen, gen + 1, __ATOMIC_RELEASE);
		hrt_waitq_wake_all(&b->wq);
		hrt_spin_unlock(&b->wq.lock);
		return true;
	}
	hrt_spin_unlock(&b->wq.lock);

	/* Spin briefly: on idle HRT cores the round usually completes at once. */
	for (spins = 0; spins < 2000; spins++) {
		if (__atomic_load_n(&b->gen, __ATOMIC_ACQUIRE) != gen)
			return false;
		hrt_pause();
	}
	hrt_spin_lock(&b->wq.lock);
	while (b->gen == gen) {
		hrt_waitq_sleep_locked(&b->wq);
		hrt_spin_lock(&b->wq.lock);
	}
	hrt_spin_unlock(&b->wq.lock);
	return false;
}

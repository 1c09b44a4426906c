/* SPDX-License-Identifier: MIT */
/* sync.h - spinlocks, atomics, wait queues, mutexes, condition variables, barriers. */
#ifndef HRT_SYNC_H
#define HRT_SYNC_H

#include "list.h"
#include "types.h"

/* Atomics: thin names over the gcc builtins, sequentially consistent unless named. */
typedef struct {
	volatile s64 v;
} hrt_atomic_t;

static inline s64 hrt_atomic_read(hrt_atomic_t *a)
{
	return __atomic_load_n(&a->v, __ATOMIC_ACQUIRE);
}

static inline void hrt_atomic_set(hrt_atomic_t *a, s64 v)
{
	__atomic_store_n(&a->v, v, __ATOMIC_RELEASE);
}

static inline s64 hrt_atomic_add(hrt_atomic_t *a, s64 d)
{
	return __atomic_add_fetch(&a->v, d, __ATOMIC_SEQ_CST);
}

static inline s64 hrt_atomic_fetch_add(hrt_atomic_t *a, s64 d)
{
	return __atomic_fetch_add(&a->v, d, __ATOMIC_SEQ_CST);
}

static inline bool hrt_atomic_cmpxchg(hrt_atomic_t *a, s64 old, s64 new)
{
	return __atomic_compare_exchange_n(&a->v, &old, new, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

static inline s64 hrt_atomic_xchg(hrt_atomic_t *a, s64 v)
{
	return __atomic_exchange_n(&a->v, v, __ATOMIC_SEQ_CST);
}

/*
 * Ticket spinlock.  hrt_spin_lock() disables interrupts and keeps the
 * caller's flags in the lock (only the holder writes them), so a holder can
 * never be preempted or interrupted into a self-deadlock on its own CPU.
 * The _raw variants leave interrupts alone; the scheduler uses them because
 * its run-queue lock is released by a different thread than took it.
 */
struct hrt_spinlock {
	volatile u32 next;
	volatile u32 owner;
	u64 flags;
};

#define HRT_SPINLOCK_INIT                                                      \
	{                                                                      \
		0, 0, 0                                                        \
	}

void hrt_spin_lock_raw(struct hrt_spinlock *l);
void hrt_spin_unlock_raw(struct hrt_spinlock *l);
bool hrt_spin_trylock_raw(struct hrt_spinlock *l);
void hrt_spin_lock(struct hrt_spinlock *l);
void hrt_spin_unlock(struct hrt_spinlock *l);

static inline void hrt_spin_init(struct hrt_spinlock *l)
{
	l->next = 0;
	l->owner = 0;
	l->flags = 0;
}

static inline bool hrt_spin_is_locked(struct hrt_spinlock *l)
{
	return READ_ONCE(l->next) != READ_ONCE(l->owner);
}

/* A list of blocked threads protected by its own lock. */
struct hrt_waitq {
	struct hrt_spinlock lock;
	struct hrt_list waiters;
};

void hrt_waitq_init(struct hrt_waitq *wq);
/* Caller holds wq->lock; marks current blocked and queues it (no switch yet). */
void hrt_waitq_prepare(struct hrt_waitq *wq);
/* Caller holds wq->lock: wakes one (returns true) or all waiters. */
bool hrt_waitq_wake_one(struct hrt_waitq *wq);
int hrt_waitq_wake_all(struct hrt_waitq *wq);

struct hrt_thread;

struct hrt_mutex {
	struct hrt_waitq wq;
	struct hrt_thread *owner; /* under wq.lock */
	u64 contended;		  /* statistics, under wq.lock */
};

void hrt_mutex_init(struct hrt_mutex *m);
void hrt_mutex_lock(struct hrt_mutex *m);
bool hrt_mutex_trylock(struct hrt_mutex *m);
void hrt_mutex_unlock(struct hrt_mutex *m);

struct hrt_cond {
	struct hrt_waitq wq;
};

void hrt_cond_init(struct hrt_cond *c);
/* Atomically releases m and sleeps; m is held again on return.  May wake spuriously. */
void hrt_cond_wait(struct hrt_cond *c, struct hrt_mutex *m);
void hrt_cond_signal(struct hrt_cond *c);
void hrt_cond_broadcast(struct hrt_cond *c);

struct hrt_barrier {
	struct hrt_waitq wq;
	u32 n;		  /* participants */
	u32 count;	  /* arrived in this generation, under wq.lock */
	volatile u64 gen; /* generation, written under wq.lock */
};

void hrt_barrier_init(struct hrt_barrier *b, u32 n);
/* Returns true in exactly one participant per round (the last to arrive). */
bool hrt_barrier_wait(struct hrt_barrier *b);

#endif /* HRT_SYNC_H */

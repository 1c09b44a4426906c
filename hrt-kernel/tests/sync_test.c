// SPDX-License-Identifier: MIT
/* sync_test.c - self-tests for atomics, spinlocks, mutexes, condition variables, barriers. */
#include "selftest.h"
#include "smp.h"
#include "sync.h"
#include "thread.h"
#include "timer.h"

#define HRT_WORKERS_PER_CPU 3

static struct hrt_thread *hrt_spawn_all(hrt_thread_fn fn, void *arg,
					struct hrt_thread **t, u32 *n)
{
	u32 i;

	*n = 0;
	for (i = 0; i < hrt_ncpus * HRT_WORKERS_PER_CPU; i++) {
		t[i] = hrt_thread_create(fn, arg, "worker", i % hrt_ncpus, 0);
		if (!t[i])
			return NULL;
		(*n)++;
	}
	return t[0];
}

static long hrt_join_all(struct hrt_thread **t, u32 n)
{
	long bad = 0;
	u32 i;

	for (i = 0; i < n; i++)
		bad += hrt_thread_join(t[i]) != 0;
	return bad;
}

static hrt_atomic_t hrt_at;
static struct hrt_spinlock hrt_sl = HRT_SPINLOCK_INIT;
static volatile u64 hrt_plain;

static long hrt_atomic_worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 10000; i++) {
		hrt_atomic_add(&hrt_at, 1);
		hrt_spin_lock(&hrt_sl);
		hrt_plain = hrt_plain + 1;
		hrt_spin_unlock(&hrt_sl);
	}
	return 0;
}

HRT_TEST(atomics_and_spinlock)
{
	struct hrt_thread *t[HRT_MAX_CPUS * HRT_WORKERS_PER_CPU];
	u32 n;

	hrt_atomic_set(&hrt_at, 0);
	hrt_plain = 0;
	HRT_EXPECT(hrt_spawn_all(hrt_atomic_worker, NULL, t, &n));
	HRT_EXPECT(hrt_join_all(t, n) == 0);
	HRT_EXPECT(hrt_atomic_read(&hrt_at) == 10000 * (s64)n);
	HRT_EXPECT(hrt_plain == 10000ull * n);
	HRT_EXPECT(hrt_atomic_cmpxchg(&hrt_at, 10000 * (s64)n, 5));
	HRT_EXPECT(!hrt_atomic_cmpxchg(&hrt_at, 4, 6));
	HRT_EXPECT(hrt_atomic_xchg(&hrt_at, 7) == 5);
	return 0;
}

static struct hrt_mutex hrt_mx;
static volatile u64 hrt_mx_count;
static volatile int hrt_mx_inside;

static long hrt_mutex_worker(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < 1000; i++) {
		hrt_mutex_lock(&hrt_mx);
		/* Mutual exclusion: never two of us here. */
		if (hrt_mx_inside++)
			return -1;
		hrt_mx_count = hrt_mx_count + 1;
		if (i % 64 == 0)
			hrt_thread_yield(); /* sleep while holding: forces blocking */
		hrt_mx_inside--;
		hrt_mutex_unlock(&hrt_mx);
	}
	return 0;
}

HRT_TEST(mutex_contention)
{
	struct hrt_thread *t[HRT_MAX_CPUS * HRT_WORKERS_PER_CPU];
	u32 n;

	hrt_mutex_init(&hrt_mx);
	hrt_mx_count = 0;
	hrt_mx_inside = 0;
	HRT_EXPECT(hrt_spawn_all(hrt_mutex_worker, NULL, t, &n));
	HRT_EXPECT(hrt_join_all(t, n) == 0);
	HRT_EXPECT(hrt_mx_count == 1000ull * n);
	HRT_EXPECT(!hrt_mx.owner);
	HRT_EXPECT(hrt_mutex_trylock(&hrt_mx));
	HRT_EXPECT(!hrt_mutex_trylock(&hrt_mx));
	hrt_mutex_unlock(&hrt_mx);
	return 0;
}

/* Bounded queue: producers on some CPUs, consumers on others. */
#define HRT_Q 8
static struct hrt_mutex hrt_q_lock;
static struct hrt_cond hrt_q_notempty, hrt_q_notfull;
static u64 hrt_q[HRT_Q];
static u32 hrt_q_head, hrt_q_len;
static u64 hrt_q_sum;
#define HRT_ITEMS 2000

static long hrt_producer(void *arg)
{
	u64 i, base = (u64)arg * HRT_ITEMS;

	for (i = 1; i <= HRT_ITEMS; i++) {
		hrt_mutex_lock(&hrt_q_lock);
		while (hrt_q_len == HRT_Q)
			hrt_cond_wait(&hrt_q_notfull, &hrt_q_lock);
		hrt_q[(hrt_q_head + hrt_q_len++) % HRT_Q] = base + i;
		hrt_cond_signal(&hrt_q_notempty);
		hrt_mutex_unlock(&hrt_q_lock);
	}
	return 0;
}

static long hrt_consumer(void *arg)
{
	u64 i, sum = 0;

	(void)arg;
	for (i = 0; i < HRT_ITEMS; i++) {
		hrt_mutex_lock(&hrt_q_lock);
		while (!hrt_q_len)
			hrt_cond_wait(&hrt_q_notempty, &hrt_q_lock);
		sum += hrt_q[hrt_q_head];
		hrt_q_head = (hrt_q_head + 1) % HRT_Q;
		hrt_q_len--;
		hrt_cond_signal(&hrt_q_notfull);
		hrt_mutex_unlock(&hrt_q_lock);
	}
	hrt_mutex_lock(&hrt_q_lock);
	hrt_q_sum += sum;
	hrt_mutex_unlock(&hrt_q_lock);
	return 0;
}

HRT_TEST(condvar_producer_consumer)
{
	struct hrt_thread *t[8];
	u32 i, np = 3, n = 0;
	u64 expect = 0;

	hrt_mutex_init(&hrt_q_lock);
	hrt_cond_init(&hrt_q_notempty);
	hrt_cond_init(&hrt_q_notfull);
	hrt_q_head = hrt_q_len = 0;
	hrt_q_sum = 0;
	for (i = 0; i < np; i++) {
		t[n] = hrt_thread_create(hrt_producer, (void *)(u64)i, "prod",
					 i % hrt_ncpus, 0);
		HRT_EXPECT(t[n]);
		n++;
		t[n] = hrt_thread_create(hrt_consumer, NULL, "cons",
					 (i + 1) % hrt_ncpus, 0);
		HRT_EXPECT(t[n]);
		n++;
	}
	HRT_EXPECT(hrt_join_all(t, n) == 0);
	for (i = 0; i < np; i++)
		expect += (u64)i * HRT_ITEMS * HRT_ITEMS +
			  (u64)HRT_ITEMS * (HRT_ITEMS + 1) / 2;
	HRT_EXPECT(hrt_q_sum == expect);
	HRT_EXPECT(hrt_q_len == 0);
	return 0;
}

#define HRT_ROUNDS 100
static struct hrt_barrier hrt_bar;
static hrt_atomic_t hrt_bar_arrived[HRT_ROUNDS];
static hrt_atomic_t hrt_bar_serial;
static u32 hrt_bar_n;

static long hrt_barrier_worker(void *arg)
{
	int r;

	(void)arg;
	for (r = 0; r < HRT_ROUNDS; r++) {
		hrt_atomic_add(&hrt_bar_arrived[r], 1);
		if (hrt_barrier_wait(&hrt_bar))
			hrt_atomic_add(&hrt_bar_serial, 1);
		/* Everyone must have arrived at round r before anyone leaves it. */
		if (hrt_atomic_read(&hrt_bar_arrived[r]) != hrt_bar_n)
			return -1;
	}
	return 0;
}

HRT_TEST(barrier_rounds)
{
	struct hrt_thread *t[HRT_MAX_CPUS * HRT_WORKERS_PER_CPU];
	u32 i, n;

	hrt_bar_n = hrt_ncpus * HRT_WORKERS_PER_CPU;
	hrt_barrier_init(&hrt_bar, hrt_bar_n);
	for (i = 0; i < HRT_ROUNDS; i++)
		hrt_atomic_set(&hrt_bar_arrived[i], 0);
	hrt_atomic_set(&hrt_bar_serial, 0);
	HRT_EXPECT(hrt_spawn_all(hrt_barrier_worker, NULL, t, &n));
	HRT_EXPECT(n == hrt_bar_n);
	HRT_EXPECT(hrt_join_all(t, n) == 0);
	HRT_EXPECT(hrt_atomic_read(&hrt_bar_serial) == HRT_ROUNDS);
	return 0;
}

// SPDX-License-Identifier: MIT
/* fftw-hrt.c - FFTW's parallel loops on hrt.h native threads and events (the whole port of FFTW to hrt.h). */
#include <errno.h>
#include <stdint.h>

#include <fftw3.h>

#include "fftw-hrt.h"
#include "hrt.h"

#define POOL_MAX 64

/*
 * One loop at a time.  (ticket) is njobs << 32 | next job index: a thread
 * takes a job with one fetch-and-add and runs it only when the index is
 * below the njobs in the same word, so a thread that wakes late for an
 * old loop either takes a real job of the current one (whose fields the
 * caller published before the ticket) or nothing; the caller changes the
 * fields only after every job of the previous loop is finished.
 */
static struct {
	struct hrt_event *go;	/* +1 per loop and at stop: wakes the threads */
	struct hrt_event *done; /* +1 when a loop's last job ends in a thread */
	struct hrt_thread *t[POOL_MAX];
	uintptr_t sp[POOL_MAX]; /* a stack address of each thread */
	int n;
	void *(*work)(char *);
	char *jobdata;
	size_t elsize;
	uint64_t ticket;
	int finished;
	int quit;
	int busy;
	unsigned long loops, stolen;
} pool;

/* Runs jobs of the current loop until none is left; how many it ran. */
static int take_jobs(int counted)
{
	int ran = 0;

	for (;;) {
		uint64_t t =
			__atomic_fetch_add(&pool.ticket, 1, __ATOMIC_ACQ_REL);
		int njobs = (int)(t >> 32), i = (int)(uint32_t)t;

		if (i >= njobs)
			return ran;
		pool.work(pool.jobdata + (size_t)i * pool.elsize);
		ran++;
		if (counted)
			__atomic_fetch_add(&pool.stolen, 1, __ATOMIC_RELAXED);
		if (__atomic_add_fetch(&pool.finished, 1, __ATOMIC_ACQ_REL) ==
			    njobs &&
		    counted)
			hrt_event_notify(pool.done);
	}
}

static long worker(void *arg)
{
	uint64_t seen = (uint64_t)(uintptr_t)arg >> 8;

	pool.sp[(uintptr_t)arg & 0xff] = (uintptr_t)&seen;
	for (;;) {
		int64_t g = hrt_event_wait(pool.go, seen, HRT_FOREVER);

		if (g < 0)
			return g;
		seen = (uint64_t)g;
		if (__atomic_load_n(&pool.quit, __ATOMIC_ACQUIRE))
			return 0;
		take_jobs(1);
	}
}

static void serial(void *(*work)(char *), char *jobdata, size_t elsize,
		   int njobs)
{
	for (int i = 0; i < njobs; i++)
		work(jobdata + (size_t)i * elsize);
}

static void loop(void *(*work)(char *), char *jobdata, size_t elsize, int njobs,
		 void *data)
{
	int64_t seen;

	(void)data;
	if (njobs < 2 || !hrt_on_hrt() ||
	    __atomic_exchange_n(&pool.busy, 1, __ATOMIC_ACQUIRE)) {
		serial(work, jobdata, elsize, njobs);
		return;
	}
	/* Read before the loop starts: any later notify is seen. */
	seen = hrt_event_wait(pool.done, UINT64_MAX, 0);
	pool.work = work;
	pool.jobdata = jobdata;
	pool.elsize = elsize;
	pool.finished = 0;
	__atomic_store_n(&pool.ticket, (uint64_t)njobs << 32, __ATOMIC_RELEASE);
	hrt_event_notify(pool.go);
	take_jobs(0);
	while (__atomic_load_n(&pool.finished, __ATOMIC_ACQUIRE) < njobs) {
		int64_t v =
			hrt_event_wait(pool.done, (uint64_t)seen, HRT_FOREVER);

		if (v >= 0)
			seen = v;
	}
	pool.loops++;
	__atomic_store_n(&pool.busy, 0, __ATOMIC_RELEASE);
}

int fftw_hrt_start(void)
{
	int64_t g;
	int e, n, me, i;

	if (!hrt_on_hrt())
		return -ENOTSUP;
	if (pool.go)
		return -EBUSY;
	n = hrt_ncores();
	me = hrt_core();
	if (n < 0 || me < 0)
		return n < 0 ? n : me;
	if (n > POOL_MAX)
		n = POOL_MAX;
	e = hrt_event_create(&pool.go);
	if (!e)
		e = hrt_event_create(&pool.done);
	if (e)
		goto fail;
	g = hrt_event_wait(pool.go, UINT64_MAX, 0);
	pool.ticket = 0;
	pool.quit = 0;
	pool.loops = pool.stolen = 0;
	/*
	 * With Linux partners (no HRT_THREAD_NOSYS): FFTW's code and its
	 * twiddle tables may be touched first in a job, and such a page
	 * fault must be served, not end the thread.
	 */
	for (i = 0, pool.n = 0; i < n; i++) {
		if (i == me)
			continue;
		pool.sp[pool.n] = 0;
		e = hrt_thread_create(&pool.t[pool.n], worker,
				      (void *)(uintptr_t)((uint64_t)g << 8 |
							  (uint64_t)pool.n),
				      i, 0);
		if (e)
			goto fail;
		pool.n++;
	}
	fftw_threads_set_callback(loop, NULL);
	return pool.n + 1;
fail:
	fftw_hrt_stop();
	return e;
}

int fftw_hrt_stop(void)
{
	int e = 0;

	if (!pool.go)
		return -EINVAL;
	fftw_threads_set_callback(NULL, NULL);
	__atomic_store_n(&pool.quit, 1, __ATOMIC_RELEASE);
	hrt_event_notify(pool.go);
	while (pool.n > 0) {
		long r = 0;
		int j = hrt_thread_join(pool.t[--pool.n], &r);

		if (!e && (j || r))
			e = j ? j : (int)r;
	}
	hrt_event_destroy(pool.go);
	if (pool.done)
		hrt_event_destroy(pool.done);
	pool.go = pool.done = NULL;
	return e;
}

int fftw_hrt_in_thread(void)
{
	uintptr_t me = (uintptr_t)&me;

	/* Native threads share the caller's FS base: no __thread here. */
	for (int k = 0; k < pool.n; k++)
		if (pool.sp[k] && me <= pool.sp[k] &&
		    pool.sp[k] - me < HRT_THREAD_STACK)
			return 1;
	return 0;
}

void fftw_hrt_counts(unsigned long *loops, unsigned long *stolen)
{
	*loops = pool.loops;
	*stolen = pool.stolen;
}

// SPDX-License-Identifier: MIT
/* async.c - libhvm's asynchronous and all-core calls, on partner threads. */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>

#include "async.h"
#include "hvm.h"
#include "invoke.h"
#include "session.h"

#define HVM_EXPORT __attribute__((visibility("default")))

/*
 * Asynchronous and all-core calls run on a partner thread per HRT core:
 * the function gets that thread's FS base (its own TLS and errno) and the
 * partner serves its forwarded calls, so the caller is free meanwhile.
 */
struct hrt_call {
	hrt_fn fn;
	void *arg;
	unsigned int core_index;
	uint32_t mxcsr, fcw; /* the submitting thread's */
	struct hrt_opts opts;
	struct hvm_fault fault;
	struct hvm_fault *user_fault;
	long result;
	int status;
	uint32_t done; /* futex word */
	struct hrt_call *next;
};

struct hvm_partner {
	pthread_t th;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	struct hrt_call *head, *tail;
	bool started, stop;
	unsigned int core;
};

static struct hvm_partner hvm_partners[HVM_MAX_HRT_CPUS];
static pthread_mutex_t hvm_partner_lock = PTHREAD_MUTEX_INITIALIZER;

static void hvm_call_done(struct hrt_call *call, int status)
{
	call->status = status;
	__atomic_store_n(&call->done, 1, __ATOMIC_RELEASE);
	hvm_sys(SYS_futex, (long)&call->done, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
}

static void *hvm_partner_main(void *p)
{
	struct hvm_partner *pt = p;
	struct hvm_req q = { 0 };
	struct hrt_call *call;
	int idx, st;

	for (;;) {
		pthread_mutex_lock(&pt->lock);
		while (!pt->head && !pt->stop) {
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 1;
			pthread_cond_timedwait(&pt->cv, &pt->lock, &ts);
		}
		call = pt->head;
		if (call) {
			pt->head = call->next;
			if (!pt->head)
				pt->tail = NULL;
		}
		pthread_mutex_unlock(&pt->lock);
		if (!call)
			break; /* stop with an empty queue */
		idx = hvm_thread_chan(pt->core);
		if (idx < 0) {
			hvm_call_done(call, idx);
			continue;
		}
		call->opts.fault = &call->fault;
		q.fn = call->fn;
		q.arg = call->arg;
		q.core_index = call->core_index;
		q.fs_base = hvm_fs_base();
		q.mxcsr = call->mxcsr;
		q.fcw = call->fcw;
		q.sync = false;
		st = hvm_run_thread(idx, pt->core, &q, &call->opts,
				    &call->result);
		hvm_call_done(call, st);
	}
	return NULL;
}

static int hvm_submit(unsigned int core, struct hrt_call *call)
{
	struct hvm_partner *pt = &hvm_partners[core];
	int ret = 0;

	pthread_mutex_lock(&hvm_partner_lock);
	if (!pt->started) {
		pthread_mutex_init(&pt->lock, NULL);
		pthread_cond_init(&pt->cv, NULL);
		pt->core = core;
		pt->stop = false;
		pt->head = pt->tail = NULL;
		ret = -pthread_create(&pt->th, NULL, hvm_partner_main, pt);
		pt->started = !ret;
	}
	pthread_mutex_unlock(&hvm_partner_lock);
	if (ret)
		return ret;
	pthread_mutex_lock(&pt->lock);
	call->next = NULL;
	if (pt->tail)
		pt->tail->next = call;
	else
		pt->head = call;
	pt->tail = call;
	pthread_cond_signal(&pt->cv);
	pthread_mutex_unlock(&pt->lock);
	return 0;
}

void hvm_partners_forget(unsigned int core)
{
	hvm_partners[core].started = false;
	pthread_mutex_init(&hvm_partner_lock, NULL);
}

void hvm_partners_stop(void)
{
	unsigned int i;

	pthread_mutex_lock(&hvm_partner_lock);
	for (i = 0; i < HVM_MAX_HRT_CPUS; i++) {
		struct hvm_partner *pt = &hvm_partners[i];

		if (!pt->started)
			continue;
		pthread_mutex_lock(&pt->lock);
		pt->stop = true;
		pthread_cond_signal(&pt->cv);
		pthread_mutex_unlock(&pt->lock);
		/* Queued calls finish first; each has its own timeout. */
		pthread_join(pt->th, NULL);
		pt->started = false;
	}
	pthread_mutex_unlock(&hvm_partner_lock);
}

static struct hrt_call *hvm_call_new(hrt_fn fn, void *arg,
				     unsigned int core_index,
				     const struct hrt_opts *opts)
{
	struct hrt_call *call = calloc(1, sizeof(*call));

	if (!call)
		return NULL;
	call->fn = fn;
	call->arg = arg;
	call->core_index = core_index;
	hvm_fp_control(&call->mxcsr, &call->fcw);
	if (opts) {
		call->opts = *opts;
		call->user_fault = opts->fault;
	} else {
		call->opts.core = -1;
	}
	return call;
}

HVM_EXPORT int hrt_invoke_async(hrt_fn fn, void *arg,
				const struct hrt_opts *opts,
				struct hrt_call **out)
{
	struct hrt_call *call;
	int core, ret, saved = errno;

	if (!out)
		return -EINVAL;
	ret = hvm_invoke_begin(fn, opts);
	if (ret)
		return ret;
	core = hvm_pick_core(opts);
	if (core < 0)
		return core;
	call = hvm_call_new(fn, arg, 0, opts);
	if (!call)
		return -ENOMEM;
	ret = hvm_submit((unsigned int)core, call);
	if (ret) {
		free(call);
		errno = saved;
		return ret;
	}
	*out = call;
	errno = saved;
	return 0;
}

HVM_EXPORT int hrt_poll(struct hrt_call *call)
{
	if (!call)
		return -EINVAL;
	return __atomic_load_n(&call->done, __ATOMIC_ACQUIRE) ? 0 : -EAGAIN;
}

/* Sleeps until (call) is done; the partner's own timeout bounds it. */
static void hvm_call_wait(struct hrt_call *call)
{
	struct timespec ts = { .tv_sec = 1 };

	while (!__atomic_load_n(&call->done, __ATOMIC_ACQUIRE))
		hvm_sys(SYS_futex, (long)&call->done, FUTEX_WAIT_PRIVATE, 0,
			(long)&ts, 0, 0);
}

HVM_EXPORT int hrt_wait(struct hrt_call *call, long *ret)
{
	int st;

	if (!call)
		return -EINVAL;
	hvm_call_wait(call);
	if (ret)
		*ret = call->result;
	if (call->user_fault && call->status == -EFAULT)
		*call->user_fault = call->fault;
	st = call->status;
	free(call);
	return st;
}

HVM_EXPORT int hrt_invoke_all(hrt_fn fn, void *arg, unsigned int ncores,
			      long *rets, const struct hrt_opts *opts)
{
	struct hrt_call *calls[HVM_MAX_HRT_CPUS];
	unsigned int i, n;
	int ret, first = 0, saved = errno;

	ret = hvm_invoke_begin(fn, opts);
	if (ret)
		return ret;
	n = ncores ? ncores : hvm_ncores;
	if (n > hvm_ncores)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		calls[i] = hvm_call_new(fn, arg, i, opts);
		if (!calls[i] || (ret = hvm_submit(i, calls[i]))) {
			free(calls[i]);
			first = calls[i] ? ret : -ENOMEM;
			n = i;
			break;
		}
		calls[i]->user_fault =
			NULL; /* one fault record cannot take n */
	}
	for (i = 0; i < n; i++) {
		hvm_call_wait(calls[i]);
		if (rets)
			rets[i] = calls[i]->result;
		if (calls[i]->status && !first) {
			first = calls[i]->status;
			if (opts && opts->fault && first == -EFAULT)
				*opts->fault = calls[i]->fault;
		}
		free(calls[i]);
	}
	errno = saved;
	return first ? first : (int)n;
}

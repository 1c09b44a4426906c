// SPDX-License-Identifier: MIT
/* invoke.c - libhvm's invocations: posting one, waiting, serving its calls. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>

#include "forward.h"
#include "hvm.h"
#include "hvm_chan.h"
#include "hvm_uapi.h"
#include "invoke.h"
#include "prof.h"
#include "session.h"
#include "signals.h"

#define HVM_EXPORT __attribute__((visibility("default")))

/* Default spin before blocking, and how long an ABORT may take. */
#define HVM_DEFAULT_SPIN_US 50u
#define HVM_ABORT_GRACE_MS  2000u
/* Blocking waits sleep in slices so a dead HRT is noticed. */
#define HVM_WAIT_SLICE_MS   200u

/* This thread's kick IPIs and waits that slept, for hvm-prof's records. */
static __thread uint32_t hvm_kick_ipis, hvm_sleeps;

/* Lets a possibly halted HRT core know that channel work is waiting. */
void hvm_kick(unsigned int core)
{
	struct hvm_kick k = { .core = core };

	hvm_chan_kick(hvm_area, core);
	/* The add above is a full barrier; only a halted core needs an IPI. */
	if (hvm_kick_idle(hvm_area, core)) {
		hvm_ioctl(hvm_fd, HVM_IOC_KICK, &k);
		hvm_kick_ipis++;
	}
}

/*
 * hvm_kick for the invocation just posted on (c): no IPI when the HRT
 * took it already (its worker polls the channel after an invocation and
 * sets t_pickup before it lets HVM_KICK_IDLE ask for IPIs again).
 */
static void hvm_kick_invoke(struct hvm_chan *c)
{
	struct hvm_kick k = { .core = c->core };

	hvm_chan_kick(hvm_area, c->core);
	if (hvm_kick_idle(hvm_area, c->core) &&
	    __atomic_load_n(&c->t_pickup, __ATOMIC_ACQUIRE) < c->t_submit) {
		hvm_ioctl(hvm_fd, HVM_IOC_KICK, &k);
		hvm_kick_ipis++;
	}
}

/* Waits until evt_seq of (idx) moves past (seen), by (mode); returns it or <0. */
long long hvm_wait_event(int idx, uint64_t seen, int mode, uint64_t spin_ns,
			 uint64_t deadline)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	struct hvm_chan_wait w;
	uint64_t e, t0 = 0, now;
	unsigned int n = 0;
	long r;

	if (mode != HRT_WAIT_BLOCK) {
		for (;;) {
			e = hvm_chan_events(c);
			if (e != seen)
				return (long long)e;
			hvm_cpu_relax();
			if (++n < 256)
				continue;
			n = 0;
			hvm_sig_interrupt(idx);
			now = hvm_now_ns();
			if (!t0)
				t0 = now;
			if (deadline && now >= deadline)
				return -ETIMEDOUT;
			if (mode != HRT_WAIT_POLL && now - t0 >= spin_ns)
				break;
			if (mode == HRT_WAIT_POLL && now - t0 >= 100000000ull) {
				/* A cheap check that the HRT still exists. */
				memset(&w, 0, sizeof(w));
				w.index = (uint32_t)idx;
				w.seen = seen;
				r = hvm_ioctl(hvm_fd, HVM_IOC_CHAN_WAIT, &w);
				if (r == -ECANCELED)
					return r;
				t0 = now;
			}
		}
	}
	/* Ask for interrupts, then re-check: the HRT reads flags after evt_seq. */
	__atomic_or_fetch(&c->flags, HVM_CHAN_F_NOTIFY, __ATOMIC_SEQ_CST);
	for (n = 0;; n++) {
		uint32_t ms = HVM_WAIT_SLICE_MS;

		e = hvm_chan_events(c);
		if (e != seen)
			return (long long)e;
		if (deadline) {
			now = hvm_now_ns();
			if (now >= deadline)
				return -ETIMEDOUT;
			if ((deadline - now) / 1000000 + 1 < ms)
				ms = (uint32_t)((deadline - now) / 1000000 + 1);
		}
		memset(&w, 0, sizeof(w));
		w.index = (uint32_t)idx;
		w.seen = seen;
		w.timeout_ms = ms;
		if (!n)
			hvm_sleeps++;
		r = hvm_ioctl(hvm_fd, HVM_IOC_CHAN_WAIT, &w);
		if (r == 0)
			return (long long)w.events;
		if (r != -ETIMEDOUT && r != -EINTR)
			return r;
		/* A signal for the code we serve: it gets it on the HRT. */
		hvm_sig_interrupt(idx);
	}
}

/*
 * Runs one invocation on channel (idx) and serves its forwarded calls and
 * faults in this thread until it ends.  Returns the status.
 */
/* The calling thread's MXCSR and x87 control word. */
void hvm_fp_control(uint32_t *mxcsr, uint32_t *fcw)
{
	uint16_t cw;

	__asm__ volatile("stmxcsr %0; fnstcw %1" : "=m"(*mxcsr), "=m"(cw));
	*fcw = cw;
}

/*
 * The function ended its thread with exit(): in a synchronous call the
 * calling thread ends, as it would natively; in an async or all-core call
 * the invocation ends with -ESRCH and the code as its result.
 */
static int hvm_exited(int idx, const struct hvm_req *q, long *ret)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	long code = (long)c->args[0];

	if (ret)
		*ret = code;
	if (!q->sync)
		return -ESRCH;
	hvm_thread_chan_release(idx);
	/* glibc already ran the thread's cleanup, on the HRT, in this TLS. */
	for (;;)
		hvm_sys(SYS_exit, code, 0, 0, 0, 0, 0);
}

/*
 * Runs one invocation on channel (idx) and serves its forwarded calls and
 * faults in this thread until it ends.  Returns the status.
 */
static int hvm_run(int idx, const struct hvm_req *q, const struct hrt_opts *o,
		   long *ret, bool *stale)
{
	struct hvm_chan *c = &hvm_area->chan[idx];
	int mode = o ? o->wait : HRT_WAIT_DEFAULT;
	uint64_t spin_ns =
		(uint64_t)(o && o->spin_us ? o->spin_us : HVM_DEFAULT_SPIN_US) *
		1000;
	uint64_t deadline = 0, seen, nr, t_fwd = 0, t_reply = 0, id = 0;
	struct hvm_prof_ros pr = { 0 };
	uint32_t sleeps;
	/* The only cost of profiling when HVM_PROF is unset. */
	bool prof = __builtin_expect(hvm_prof_ring != NULL, 0);
	bool aborted = false;
	uint32_t st;
	long long e;

	if (mode < HRT_WAIT_DEFAULT || mode > HRT_WAIT_SPIN_BLOCK)
		return -EINVAL;
	if (o && o->stack_size) {
		int r = hvm_chan_stack_set(idx, o->stack_size);

		if (r)
			return r;
	}
	if (o && o->timeout_ms)
		deadline = hvm_now_ns() + (uint64_t)o->timeout_ms * 1000000;
	seen = hvm_chan_events(c);
	c->fn = (uint64_t)q->fn;
	c->arg = (uint64_t)q->arg;
	c->core_index = q->core_index;
	c->stack_top = hvm_chan_stack_top(idx);
	c->fs_base = q->fs_base;
	c->mxcsr = q->mxcsr;
	c->fcw = q->fcw;
	c->ctx = hvm_ctx;
	c->flags = (mode == HRT_WAIT_BLOCK ? HVM_CHAN_F_NOTIFY : 0) |
		   (hvm_futex_hrt ? HVM_CHAN_F_FUTEX_HRT : 0);
	if (prof)
		id = hvm_prof_new_id();
	pr.kick_ipis = hvm_kick_ipis;
	hvm_chan_post(c, HVM_OP_INVOKE);
	hvm_kick_invoke(c);
	pr.kick_submit = hvm_kick_ipis - pr.kick_ipis;
	pr.kick_ipis = hvm_kick_ipis;
	for (;;) {
		sleeps = hvm_sleeps;
		e = hvm_wait_event(idx, seen, mode, spin_ns, deadline);
		sleeps = hvm_sleeps - sleeps;
		if (e == -ETIMEDOUT && !aborted) {
			/* Give up: the HRT ends fn with -ECANCELED; wait for that. */
			hvm_chan_post(c, HVM_OP_ABORT);
			hvm_kick(c->core);
			struct hvm_kick k = { .core = c->core };
			hvm_ioctl(hvm_fd, HVM_IOC_KICK, &k);
			aborted = true;
			deadline =
				hvm_now_ns() + HVM_ABORT_GRACE_MS * 1000000ull;
			continue;
		}
		if (e < 0) {
			/* The channel may still be busy: never reuse it. */
			*stale = true;
			return (int)e;
		}
		seen = (uint64_t)e;
		st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		switch (st) {
		case HVM_CHAN_SYSCALL:
		case HVM_CHAN_FAULT:
			pr.sleeps_run += sleeps;
			if (prof)
				t_fwd = hvm_rdtsc();
			nr = hvm_serve(c, st, aborted, &t_reply);
			if (prof)
				hvm_prof_fwd(c->core, id,
					     st == HVM_CHAN_FAULT
						     ? PROF_FWD_FAULT
						     : nr,
					     t_fwd, t_reply);
			break;
		case HVM_CHAN_EXIT:
			return hvm_exited(idx, q, ret);
		case HVM_CHAN_DONE:
			c->t_seen = hvm_rdtsc();
			if (prof) {
				pr.sleeps_seen = sleeps;
				/*
				 * The HRT reads flags after DONE: set now, it
				 * interrupted (or, set in this very instant,
				 * may have: then this counts one too many).
				 */
				pr.irq_seen =
					!!(__atomic_load_n(&c->flags,
							   __ATOMIC_RELAXED) &
					   HVM_CHAN_F_NOTIFY);
				pr.kick_run = hvm_kick_ipis - pr.kick_ipis;
				hvm_prof_call(c, id, &pr);
			}
			if (ret)
				*ret = (long)c->result;
			if (o && o->fault && c->status == -EFAULT)
				*o->fault = c->fault;
			if (aborted && c->status == -ECANCELED)
				return -ETIMEDOUT;
			return c->status;
		default:
			break;
		}
	}
}

/*
 * hvm_run in the calling thread; a channel left in an unknown state is
 * closed (the driver aborts what may still run there and retires it if
 * need be) so the thread's next call opens a fresh one.  A call that
 * never came back (siglongjmp out of a signal handler) leaves its channel
 * marked busy: the next call closes it the same way.
 */
int hvm_run_thread(int idx, unsigned int core, const struct hvm_req *q,
		   const struct hrt_opts *o, long *ret)
{
	bool stale = false;
	int st;

	hvm_thread_busy(core, true);
	hvm_sig_chan = idx;
	hvm_core_busy(core, 1);
	st = hvm_run(idx, q, o, ret, &stale);
	hvm_core_busy(core, -1);
	hvm_sig_unserve(idx);
	hvm_thread_busy(core, false);
	if (stale)
		hvm_thread_chan_drop(core, idx);
	return st;
}

/*
 * What every invoking entry point checks first: a function, valid options,
 * and an open, bound device (opened here on first use; a cheap test after).
 */
int hvm_invoke_begin(hrt_fn fn, const struct hrt_opts *opts)
{
	if (!fn)
		return -EINVAL;
	if (opts &&
	    (opts->wait < HRT_WAIT_DEFAULT || opts->wait > HRT_WAIT_SPIN_BLOCK))
		return -EINVAL;
	return hvm_fd < 0 ? hrt_open() : 0;
}

HVM_EXPORT int hrt_invoke_opts(hrt_fn fn, void *arg, long *ret,
			       const struct hrt_opts *opts)
{
	struct hvm_req q = { 0 };
	int core, idx, r;

	r = hvm_invoke_begin(fn, opts);
	if (r)
		return r;
	core = hvm_pick_core(opts);
	if (core < 0)
		return core;
	idx = hvm_thread_chan((unsigned int)core);
	if (idx < 0)
		return idx;
	q.fn = fn;
	q.arg = arg;
	q.fs_base = hvm_fs_base();
	hvm_fp_control(&q.mxcsr, &q.fcw);
	q.sync = true;
	return hvm_run_thread(idx, (unsigned int)core, &q, opts, ret);
}

HVM_EXPORT int hrt_invoke(hrt_fn fn, void *arg, long *ret)
{
	return hrt_invoke_opts(fn, arg, ret, NULL);
}

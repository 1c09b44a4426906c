// SPDX-License-Identifier: MIT
/* chan.c - the channel service: per-core scans, invocation workers. */
#include "chan.h"
#include "api.h"
#include "boot.h"
#include "fpu.h"
#include "futex.h"
#include "hvm_chan.h"
#include "idt.h"
#include "log.h"
#include "mm.h"
#include "sched.h"
#include "slab.h"
#include "smp.h"
#include "string.h"
#include "thread.h"
#include "uctx.h"
#include "uthread.h"
#include "x86.h"

/* Idle: poll the kick word this long after the last request, then sleep. */
#define HRT_CHAN_POLL_US 500

struct hrt_ucall_ret {
	long result;
	long status;
};

struct hrt_ucall_ret hrt_user_call(u64 fn, u64 arg, u64 core_index,
				   u64 stack_top);

/*
 * Per channel: the cloned thread that serves it now, else its invocation
 * worker (created on the first invocation, kept for the next owners).
 */
static struct hrt_uthread *hrt_chan_owner[HVM_CHAN_MAX];
static struct hrt_uthread *hrt_chan_worker[HVM_CHAN_MAX];
/*
 * Taken to change an owner and by a scan while it uses one: an owner ends
 * (hrt_uthread_end) by clearing itself here and then freeing itself, so a
 * scan on another core, or one preempted on this core, must not keep the
 * pointer past the lock (it once woke a freed thread: a #PF in hrt_wake).
 * Workers are never freed.
 */
static struct hrt_spinlock hrt_chan_owner_lock = HRT_SPINLOCK_INIT;
/* Per core: the service thread while it sleeps in the scheduler. */
static struct hrt_thread *hrt_chan_sleeper[HRT_MAX_CPUS];
/* Per core: the service thread yielded and waits in the run queue. */
static volatile u32 hrt_chan_yielded[HRT_MAX_CPUS];
/* Per core: its service thread (not process code: it loads no core). */
static struct hrt_thread *hrt_chan_servicer[HRT_MAX_CPUS];
static u64 hrt_poll_cycles;
/* hrt_boot_count of this boot: channels hvm.ko opened for us carry it. */
static u32 hrt_chan_boot;

u32 hrt_chan_quiet_core(void)
{
	u32 i, me = hrt_cpu_id(), best = me;
	u64 load, best_load = ~0ull;

	/*
	 * Runnable threads plus the running one, but for the idle and service
	 * threads: racy reads, a hint only.  Sleepers (a thread waiting in
	 * pthread_join) do not count.  Our own core comes last, so a tie goes
	 * elsewhere: the caller keeps running after its clone.
	 */
	for (i = 1; i <= hrt_ncpus; i++) {
		u32 k = (me + i) % hrt_ncpus;
		struct hrt_cpu *c = &hrt_cpus[k];
		struct hrt_thread *cur = READ_ONCE(c->current);

		if (!c->online)
			continue;
		load = READ_ONCE(c->rq.nr) - READ_ONCE(hrt_chan_yielded[k]);
		if (cur != c->idle && cur != READ_ONCE(hrt_chan_servicer[k]))
			load++;
		if (load < best_load) {
			best = k;
			best_load = load;
		}
	}
	return best;
}

bool hrt_chan_others_runnable(u32 me)
{
	return READ_ONCE(hrt_cpus[me].rq.nr) > hrt_chan_yielded[me];
}

void hrt_chan_set_owner(u32 idx, struct hrt_uthread *u)
{
	hrt_spin_lock(&hrt_chan_owner_lock);
	__atomic_store_n(&hrt_chan_owner[idx], u, __ATOMIC_RELEASE);
	hrt_spin_unlock(&hrt_chan_owner_lock);
}

static struct hrt_uthread *hrt_chan_server(u32 idx)
{
	struct hrt_uthread *u =
		__atomic_load_n(&hrt_chan_owner[idx], __ATOMIC_ACQUIRE);

	return u ? u : hrt_chan_worker[idx];
}

/*
 * Whether request (seq) of channel (idx) belongs to the channel's owner
 * in this boot: hvm.ko opened the channel in this boot and before the
 * request was posted (hvm_abi.h, open_seq).  Otherwise its poster was
 * told -ECANCELED, or has closed the channel, and it is dropped (logged).
 */
static bool hrt_chan_request_ours(struct hvm_chan *c, u32 idx, u64 seq)
{
	u64 base;
	u32 b1, b2;

	/* hvm.ko writes open_boot = 0, open_seq, open_boot: read backwards. */
	b1 = __atomic_load_n(&c->open_boot, __ATOMIC_ACQUIRE);
	base = __atomic_load_n(&c->open_seq, __ATOMIC_ACQUIRE);
	b2 = __atomic_load_n(&c->open_boot, __ATOMIC_ACQUIRE);
	if (b1 == hrt_chan_boot && b2 == b1 && (s64)(seq - base) > 0)
		return true;
	hrt_printf(
		"hrt: chan %u: dropped a request of boot %u (seq %lu, channel opened at %lu)\n",
		idx, b1, seq, base);
	return false;
}

/* The worker's take: the op of a new request on (c), or HVM_OP_NONE. */
static u32 hrt_chan_take_request(struct hvm_chan *c, u32 idx)
{
	u64 seq = __atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE);

	if (seq == hrt_chan_last[idx])
		return HVM_OP_NONE;
	hrt_chan_last[idx] = seq;
	return hrt_chan_request_ours(c, idx, seq) ? READ_ONCE(c->op)
						  : HVM_OP_NONE;
}

/*
 * This core's events since (ev) into (out), saturated; (ev) becomes now.
 * The worker is pinned, so these are the events of its core while it ran
 * the invocation (other threads' too, while it slept for a reply).
 */
static void hrt_chan_events(struct hvm_events *out, u64 *ev)
{
	const u64 *now = hrt_this_cpu()->events;
	u32 i;

	for (i = 0; i < HVM_EV_NR; i++) {
		u64 d = now[i] - ev[i];

		ev[i] = now[i];
		out->n[i] = d > 0xffff ? 0xffff : (u16)d;
	}
}

/*
 * Runs one invocation request of channel (c) in worker (u); (seen): the
 * request was seen and t_pickup set (by the worker's poll).
 */
static void hrt_chan_invoke(struct hrt_uthread *u, struct hvm_chan *c,
			    bool seen)
{
	struct hrt_ucall_ret ret = { 0, 0 };
	u64 ev[HVM_EV_NR];
	u64 fn = READ_ONCE(c->fn), stack = READ_ONCE(c->stack_top);
	u32 core = READ_ONCE(c->core), prev = c->state;

	/*
	 * Claim the channel, then look at its stamp again (pairs with the
	 * smp_mb in ros_ioc_chan_open): if the poster's close saw it idle
	 * and hvm.ko handed it to a new owner since we took the request,
	 * it is not ours to run.  Otherwise any close or open from now on
	 * sees it busy and aborts it.
	 */
	__atomic_store_n(&c->state, HVM_CHAN_RUNNING, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!hrt_chan_request_ours(c, u->chan, hrt_chan_last[u->chan])) {
		__atomic_store_n(&c->state, prev, __ATOMIC_RELEASE);
		return;
	}
	if (!seen)
		c->t_pickup = hrt_rdtsc();
	HRT_COUNT(invocations);
	c->nr_forwarded = 0;
	c->fwd_cycles = 0;
	c->result = 0;
	memset(&c->fault, 0, sizeof(c->fault));
	/* A channel reopened for another core takes its worker along. */
	if (core < hrt_ncpus && (int)core != u->t->cpu)
		hrt_thread_pin((int)core);
	memcpy(ev, hrt_this_cpu()->events, sizeof(ev));
	memset(&c->ev_run, 0, sizeof(c->ev_run));
	u->ctx = READ_ONCE(c->ctx);
	u->fs = READ_ONCE(c->fs_base);
	u->last_fault = ~0ull;
	u->sys_nr = ~0ull;
	u->fault_spurious = 0;
	u->fault_unseen = 0;
	u->irq_limit_ns = 0; /* hrt_irq_limit() is per invocation */
	hrt_futex_invoke(u->ctx, READ_ONCE(c->flags));
	/* A signal posted for an earlier call was raised again on the ROS. */
	WRITE_ONCE(c->sig_ack, __atomic_load_n(&c->sig_seq, __ATOMIC_ACQUIRE));
	if (!fn || !hrt_user_addr(fn) || !stack || !hrt_user_addr(stack - 1) ||
	    (stack & 15) || !hrt_uthread_load(u)) {
		hrt_chan_events(&c->ev_start, ev);
		hvm_chan_finish(c, -EINVAL, 0);
		hrt_chan_notify(c);
		return;
	}
	/*
	 * The state is RUNNING since the claim above.  The caller's rounding
	 * and exception masks go in; nothing else carries over.
	 */
	hrt_fpu_reset(READ_ONCE(c->mxcsr), (u16)READ_ONCE(c->fcw));
	hrt_cli();
	hrt_chan_events(&c->ev_start, ev);
	c->t_start = hrt_rdtsc();
	ret = hrt_user_call(fn, READ_ONCE(c->arg), READ_ONCE(c->core_index),
			    stack);
	hrt_sti();
	if (ret.status == HRT_STATUS_EXITED)
		return; /* HVM_CHAN_EXIT was the last event */
	/*
	 * A posted call (a futex wake) is served before DONE can overwrite
	 * it; after an abort nobody may serve it any more.
	 */
	if (ret.status == -ECANCELED)
		u->pending = false;
	else if (hrt_uthread_drain(u) == HRT_FWD_ABORTED && !ret.status)
		ret.status = -ECANCELED;
	hrt_chan_events(&c->ev_run, ev);
	if (ret.status)
		hvm_chan_finish(c, (int32_t)ret.status, c->result);
	else
		hvm_chan_finish(c, 0, (u64)ret.result);
	hrt_chan_notify(c);
}

static void hrt_chan_kicked(u32 me);

/*
 * After an invocation, polls for the channel's next request as the service
 * thread would poll the kick word, so a caller that invokes again finds
 * its worker running: no kick IPI, no scan, no switch to the service and
 * back.  HVM_KICK_IDLE is clear while we poll; a kick for another channel, other
 * runnable threads or the poll time end it.  Returns whether a request
 * came.  Interrupts on.
 */
static bool hrt_chan_worker_poll(struct hrt_uthread *u, struct hvm_chan *c)
{
	u32 me = hrt_cpu_id();
	volatile u64 *idle = &hrt_area->kick[me][HVM_KICK_IDLE];
	u64 kicks = hvm_chan_kicks(hrt_area, me), t0 = hrt_rdtsc(), old;
	bool got = false, req = false, kicked;

	hrt_cli();
	old = *idle;
	*idle = 0;
	hrt_sti();
	while (hrt_rdtsc() - t0 < hrt_poll_cycles) {
		req = __atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE) !=
		      READ_ONCE(hrt_chan_last[u->chan]);
		kicked = hvm_chan_kicks(hrt_area, me) != kicks;
		if (req || kicked || hrt_chan_others_runnable(me))
			break;
		hrt_pause();
	}
	got = req && hrt_chan_server(u->chan) == u;
	/*
	 * Taken, before HVM_KICK_IDLE is set again: a ROS that then finds it set
	 * sees t_pickup of its request and sends no IPI (libhvm).
	 */
	if (got)
		c->t_pickup = hrt_rdtsc();
	hrt_cli();
	*idle = old;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/*
	 * Kicks that came while we polled sent no IPI: do what it would have
	 * done.  Our own request's kick is one of them, or comes after the
	 * fence and finds HVM_KICK_IDLE set again.
	 */
	if (old && hvm_chan_kicks(hrt_area, me) - kicks > (got ? 1u : 0u))
		hrt_chan_kicked(me);
	hrt_sti();
	return got;
}

/* An invocation worker: sleeps until its channel has a request, serves it. */
static long hrt_chan_worker_main(void *arg)
{
	struct hrt_uthread *u = arg;
	struct hvm_chan *c = &hrt_area->chan[u->chan];
	bool ran = false, seen = false;

	for (;;) {
		u32 op = HVM_OP_NONE;

		/*
		 * A cloned thread may own the channel now: its requests are not
		 * ours.
		 */
		if (hrt_chan_server(u->chan) == u)
			op = hrt_chan_take_request(c, u->chan);
		if (op == HVM_OP_INVOKE) {
			hrt_chan_invoke(u, c, seen);
			/* Between invocations the worker loads no context. */
			u->ctx = HRT_NO_CTX;
			ran = true;
			seen = false;
		} else if (op == HVM_OP_NONE) {
			seen = ran && hrt_chan_worker_poll(u, c);
			if (!seen)
				hrt_uthread_sleep(u, false);
			ran = false;
		}
		/* A stale REPLY or ABORT (nothing runs here) is dropped. */
	}
	return 0;
}

static struct hrt_uthread *hrt_chan_worker_new(u32 idx, u32 core)
{
	struct hrt_uthread *u = hrt_zalloc(sizeof(*u));
	struct hrt_thread *t;

	if (!u)
		return NULL;
	u->chan = idx;
	u->ctx = HRT_NO_CTX;
	u->worker = true;
	t = hrt_thread_create(hrt_chan_worker_main, u, "worker", (int)core,
			      HRT_THREAD_NOSTART);
	if (!t) {
		hrt_free(u);
		return NULL;
	}
	u->t = t;
	t->u = u;
	hrt_chan_worker[idx] = u;
	hrt_thread_start_new(t);
	return u;
}

/*
 * Wakes the thread of every channel of this core that has a new request,
 * and those whose process died while they slept.  (create): make missing
 * workers (the service thread; not from an interrupt).  Returns whether
 * any channel had a request; (*orphan), if given, whether one of them has
 * no thread yet (only the service thread can make it).
 */
static bool hrt_chan_scan(u32 me, bool create, bool *orphan)
{
	u64 hi = hvm_kick_bound(hrt_area, me);
	bool any = false;
	u32 i;

	if (hi > HVM_CHAN_MAX)
		hi = HVM_CHAN_MAX;
	for (i = 0; i < hi; i++) {
		struct hvm_chan *c = &hrt_area->chan[i];
		struct hrt_uthread *u;

		if (READ_ONCE(c->core) != me)
			continue;
		hrt_spin_lock(&hrt_chan_owner_lock);
		u = hrt_chan_server(i);
		if (__atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE) ==
		    READ_ONCE(hrt_chan_last[i])) {
			if (u && READ_ONCE(c->hrt_sleeping) &&
			    !hrt_uctx_alive(u->ctx))
				hrt_wake(u->t);
			hrt_spin_unlock(&hrt_chan_owner_lock);
			continue;
		}
		any = true;
		if (u)
			hrt_wake(u->t);
		hrt_spin_unlock(&hrt_chan_owner_lock);
		if (u)
			continue;
		/* Not under the lock: it allocates; a worker lives for ever. */
		if (create)
			u = hrt_chan_worker_new(i, me);
		if (u)
			hrt_wake(u->t);
		else if (orphan)
			*orphan = true;
	}
	return any;
}

/*
 * HVM_HRT_VEC_CHAN: new requests or replies (wake their threads), flush
 * requests and dead contexts (hrt_uctx_check).  The running thread's own
 * abort is seen on its way back to process code (hrt_uthread_return).
 */
static void hrt_chan_kicked(u32 me)
{
	struct hrt_thread *s = __atomic_exchange_n(&hrt_chan_sleeper[me], NULL,
						   __ATOMIC_ACQ_REL);

	if (s)
		hrt_wake(s);
	hrt_uctx_check(HRT_NO_CTX);
	hrt_chan_scan(me, false, NULL);
}

bool hrt_chan_rescan(u32 me)
{
	bool orphan = false;

	hrt_chan_scan(me, false, &orphan);
	return orphan;
}

static void hrt_chan_irq(struct hrt_regs *r)
{
	(void)r;
	HRT_EVENT(kick_ipis, HVM_EV_KICK_IPIS);
	hrt_chan_kicked(hrt_cpu_id());
}

static long hrt_chan_service(void *arg)
{
	u32 me = hrt_cpu_id();
	u64 kicks = ~0ull, k, busy = hrt_rdtsc();

	(void)arg;
	hrt_chan_servicer[me] = hrt_current();
	hrt_uthread_init_cpu();
	for (;;) {
		k = hvm_chan_kicks(hrt_area, me);
		if (k != kicks) {
			kicks = k;
			if (hrt_chan_scan(me, true, NULL))
				busy = hrt_rdtsc();
			continue;
		}
		if (READ_ONCE(hrt_this_cpu()->rq.nr)) {
			/*
			 * Other threads come first; while they run nobody
			 * polls here, so kicks must come with an IPI.
			 */
			hrt_cli();
			hvm_kick_set_idle(hrt_area, me, 1);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (hvm_chan_kicks(hrt_area, me) == kicks) {
				hrt_chan_yielded[me] = 1;
				hrt_thread_yield();
				hrt_chan_yielded[me] = 0;
			}
			hvm_kick_set_idle(hrt_area, me, 0);
			hrt_sti();
			continue;
		}
		if (hrt_rdtsc() - busy < hrt_poll_cycles) {
			hrt_pause();
			continue;
		}
		/*
		 * Sleep in the scheduler until a kick IPI (HVM_KICK_IDLE tells the
		 * ROS one is needed), so the core runs other threads or halts
		 * in the idle loop.  Interrupts stay off from the last look at
		 * the kick word to the switch: the IPI cannot slip in between.
		 */
		hrt_cli();
		hvm_kick_set_idle(hrt_area, me, 1);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (hvm_chan_kicks(hrt_area, me) == kicks) {
			hrt_current()->state = HRT_T_BLOCKED;
			__atomic_store_n(&hrt_chan_sleeper[me], hrt_current(),
					 __ATOMIC_RELEASE);
			hrt_schedule();
		}
		__atomic_store_n(&hrt_chan_sleeper[me], NULL, __ATOMIC_RELEASE);
		hvm_kick_set_idle(hrt_area, me, 0);
		hrt_sti();
		busy = hrt_rdtsc();
	}
	return 0;
}

void hrt_chan_start(void)
{
	struct hvm_chan_area *area;
	u32 i, n = 0;

	if (!hrt_hvm_mode)
		return;
	area = hrt_phys_to_virt(hrt_bootinfo->region_phys + HVM_CHAN_OFF);
	memset(&hrt_shm->hrt_counters, 0, sizeof(hrt_shm->hrt_counters));
	/* The aerokernel API's: nothing of an earlier boot is alive. */
	memset(hrt_shm->hrt_irqoff_deadline, 0,
	       sizeof(hrt_shm->hrt_irqoff_deadline));
	hrt_shm->hrt_irqoff_ended = 0;
	hrt_shm->hrt_api_objects = 0;
	hrt_shm->hrt_native_live = 0;
	hrt_shm->hrt_mem_bytes = 0;
	hrt_api_irq_boot();
	hrt_uctx_init(area);
	hrt_futex_init();
	hrt_poll_cycles = hrt_bootinfo->tsc_khz * HRT_CHAN_POLL_US / 1000;
	hrt_chan_boot =
		__atomic_load_n(&hrt_shm->hrt_boot_count, __ATOMIC_ACQUIRE);
	for (i = 0; i < HVM_CHAN_MAX; i++)
		hrt_chan_last[i] = READ_ONCE(area->chan[i].req_seq);
	for (i = 0; i < hrt_ncpus; i++) {
		hvm_kick_set_idle(area, i, 0);
		if (!hrt_cpus[i].online)
			continue;
		if (!hrt_thread_create(hrt_chan_service, NULL, "chan", (int)i,
				       0))
			hrt_printf("hrt: chan: no service thread on cpu %u\n",
				   i);
		else
			n++;
	}
	hrt_irq_register(HVM_HRT_VEC_CHAN, hrt_chan_irq);
	hrt_printf("hrt: channel service on %u core(s)\n", n);
}

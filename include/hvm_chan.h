/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_chan.h - the channel protocol of hvm_abi.h as inline code for every side. */
#ifndef HVM_CHAN_H
#define HVM_CHAN_H

/*
 * Header-only and freestanding (only hvm_abi.h and compiler builtins), so
 * the HRT, libhvm, hvm.ko and the host benchmark share one implementation
 * of the ordering rules: fields first, then the sequence word with a
 * release store; the reader loads the sequence word with acquire.
 */
#include "hvm_abi.h"
#include "hvm_tsc.h"

static inline void hvm_cpu_relax(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

/* ---------------------------------------------------- kick-word slots */

/*
 * hvm_chan_area.kick[core][] is one cache line per HRT core; these are its
 * slots (hvm_abi.h, "Channels", tells the protocol).  Only these accessors
 * touch them:
 *
 * HVM_KICK_COUNT  written by any ROS thread with an atomic add (release,
 *                 and a full barrier on x86: it is a locked op) after it
 *                 posted a request; the HRT loads it with acquire.
 * HVM_KICK_BOUND  written by hvm.ko only (release) after it changed the
 *                 core's channel set: every open channel of the core has
 *                 an index below it.  The HRT loads it with acquire before
 *                 it scans, so it sees the channels' core fields.
 * HVM_KICK_IDLE   written by the HRT only (relaxed: the HRT orders it with
 *                 a seq_cst fence before it rechecks HVM_KICK_COUNT);
 *                 nonzero while the core's channel service does not poll.
 *                 The ROS loads it (acquire) after its kick: set means the
 *                 core needs an IPI (HVM_IOC_KICK).
 */
enum hvm_kick_slot {
	HVM_KICK_COUNT = 0,
	HVM_KICK_BOUND = 1,
	HVM_KICK_IDLE = 2,
};

/* Tells HRT core (core) that one of its channels has a new request. */
static inline void hvm_chan_kick(struct hvm_chan_area *a, uint32_t core)
{
	__atomic_add_fetch(&a->kick[core][HVM_KICK_COUNT], 1, __ATOMIC_RELEASE);
}

/* Kick count of HRT core (core): a change means look at your channels. */
static inline uint64_t hvm_chan_kicks(const struct hvm_chan_area *a,
				      uint32_t core)
{
	return __atomic_load_n(&a->kick[core][HVM_KICK_COUNT],
			       __ATOMIC_ACQUIRE);
}

/* hvm.ko: every open channel of (core) now has an index below (bound). */
static inline void hvm_kick_set_bound(struct hvm_chan_area *a, uint32_t core,
				      uint64_t bound)
{
	__atomic_store_n(&a->kick[core][HVM_KICK_BOUND], bound,
			 __ATOMIC_RELEASE);
}

/* The scan bound of (core): no channel of it at or above this index. */
static inline uint64_t hvm_kick_bound(const struct hvm_chan_area *a,
				      uint32_t core)
{
	return __atomic_load_n(&a->kick[core][HVM_KICK_BOUND],
			       __ATOMIC_ACQUIRE);
}

/* HRT: (idle) nonzero while (core)'s channel service does not poll. */
static inline void hvm_kick_set_idle(struct hvm_chan_area *a, uint32_t core,
				     uint64_t idle)
{
	__atomic_store_n(&a->kick[core][HVM_KICK_IDLE], idle, __ATOMIC_RELAXED);
}

/* Whether a kick of (core) needs an IPI: its service does not poll. */
static inline uint64_t hvm_kick_idle(const struct hvm_chan_area *a,
				     uint32_t core)
{
	return __atomic_load_n(&a->kick[core][HVM_KICK_IDLE], __ATOMIC_ACQUIRE);
}

/* ------------------------------------------------------------ ROS side */

/* Posts an invocation request on (c); fields are set by the caller. */
static inline void hvm_chan_post(struct hvm_chan *c, uint32_t op)
{
	c->op = op;
	if (op == HVM_OP_INVOKE)
		c->t_submit = hvm_rdtsc();
	__atomic_store_n(&c->req_seq, c->req_seq + 1, __ATOMIC_RELEASE);
}

/* Answers the forwarded call on (c) with (reply) and lets fn resume. */
static inline void hvm_chan_reply(struct hvm_chan *c, int64_t reply)
{
	c->reply = reply;
	hvm_chan_post(c, HVM_OP_REPLY);
}

/* The same with a second value (HVM_NR_CLONE: the new thread's channel). */
static inline void hvm_chan_reply2(struct hvm_chan *c, int64_t reply,
				   int64_t reply2)
{
	c->reply2 = reply2;
	hvm_chan_reply(c, reply);
}

/* The HRT's event count on (c); a change means state is worth reading. */
static inline uint64_t hvm_chan_events(const struct hvm_chan *c)
{
	return __atomic_load_n(&c->evt_seq, __ATOMIC_ACQUIRE);
}

/*
 * Spins until the HRT's event count differs from (seen) or (max_spins)
 * pauses passed (0: forever).  Returns the new count, or (seen).
 */
static inline uint64_t hvm_chan_wait_event(const struct hvm_chan *c,
					   uint64_t seen, uint64_t max_spins)
{
	uint64_t e, n = 0;

	while ((e = hvm_chan_events(c)) == seen) {
		if (max_spins && ++n >= max_spins)
			break;
		hvm_cpu_relax();
	}
	return e;
}

/* ------------------------------------------------------------ HRT side */

/*
 * Takes a new request from (c) if its sequence moved past (*last): returns
 * the op (and advances *last), or HVM_OP_NONE.
 */
static inline uint32_t hvm_chan_take(struct hvm_chan *c, uint64_t *last)
{
	uint64_t seq = __atomic_load_n(&c->req_seq, __ATOMIC_ACQUIRE);

	if (seq == *last)
		return HVM_OP_NONE;
	*last = seq;
	return c->op;
}

/* Publishes an event: (state) plus whatever the caller filled in. */
static inline void hvm_chan_event(struct hvm_chan *c, uint32_t state)
{
	c->state = state;
	__atomic_store_n(&c->evt_seq, c->evt_seq + 1, __ATOMIC_RELEASE);
}

/* Ends the invocation on (c) with (status) and (result). */
static inline void hvm_chan_finish(struct hvm_chan *c, int32_t status,
				   uint64_t result)
{
	c->status = status;
	c->result = result;
	c->t_finish = hvm_rdtsc();
	hvm_chan_event(c, HVM_CHAN_DONE);
}

#endif /* HVM_CHAN_H */

/* SPDX-License-Identifier: MIT */
/* chan.h - the channel service: per-core scans, invocation workers. */
#ifndef HRT_CHAN_H
#define HRT_CHAN_H

#include "types.h"

struct hrt_uthread;

/* HVM mode: a service thread per online core, the CHAN vector, SYSCALL. */
void hrt_chan_start(void);
/*
 * Makes (u) the thread that serves channel (idx) (NULL: the channel's
 * invocation worker again).  Takes the owner lock (interrupts off).
 */
void hrt_chan_set_owner(u32 idx, struct hrt_uthread *u);
/*
 * Could a thread other than the channel service run on core (me)?  The
 * service does not count: it yields only to let others run, and a thread
 * that waits for its channel sees new kicks itself.
 */
bool hrt_chan_others_runnable(u32 me);
/*
 * New kicks came for core (me) while a thread there waits: wakes the
 * threads of channels with new requests, as the kick IPI would.  Returns
 * whether a request needs the service thread (a channel without a thread).
 */
bool hrt_chan_rescan(u32 me);
/*
 * The online core with the fewest threads running or ready to run, not
 * counting idle and service threads: where a new thread of process code
 * should go (a hint; racy reads).
 */
u32 hrt_chan_quiet_core(void);

#endif /* HRT_CHAN_H */

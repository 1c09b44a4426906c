/* SPDX-License-Identifier: MIT */
/* invoke.h - libhvm internals: running one invocation on a channel. */
#ifndef HVM_INVOKE_H
#define HVM_INVOKE_H

#include <stdbool.h>
#include <stdint.h>

#include "hvm.h"

/* What one invocation is: the function and the state it starts with. */
struct hvm_req {
	hrt_fn fn;
	void *arg;
	unsigned int core_index;
	uint64_t fs_base;
	uint32_t mxcsr, fcw;
	bool sync; /* the caller's own thread waits (exit() ends it) */
};

/* Kicks HRT core (core); an IPI only when its service does not poll. */
void hvm_kick(unsigned int core);
/* Waits until evt_seq of channel (idx) moves past (seen); returns it or <0. */
long long hvm_wait_event(int idx, uint64_t seen, int mode, uint64_t spin_ns,
			 uint64_t deadline);
/* The calling thread's MXCSR and x87 control word. */
void hvm_fp_control(uint32_t *mxcsr, uint32_t *fcw);
/*
 * Checks (fn) and (opts) and opens the session on first use: 0 or a
 * negative errno.
 */
int hvm_invoke_begin(hrt_fn fn, const struct hrt_opts *opts);
/*
 * Runs invocation (q) on the calling thread's channel (idx) to (core) with
 * options (o), serving its forwarded calls here; (ret) gets fn's result.
 * Returns the invocation's status.
 */
int hvm_run_thread(int idx, unsigned int core, const struct hvm_req *q,
		   const struct hrt_opts *o, long *ret);

#endif /* HVM_INVOKE_H */

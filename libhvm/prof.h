/* SPDX-License-Identifier: MIT */
/* prof.h - libhvm-internal: the profile ring writer behind HVM_PROF. */
#ifndef HVM_LIBHVM_PROF_H
#define HVM_LIBHVM_PROF_H

#include <stdint.h>

#include "hvm_abi.h"
#include "hvm_prof.h"

/*
 * NULL unless profiling is on: the invocation path tests only this
 * pointer, so a process without HVM_PROF pays one predictable branch.
 */
extern struct prof_ring_hdr *hvm_prof_ring;

/*
 * Maps the ring file HVM_PROF names (creating or joining it) once per
 * process.  Returns 0 (also when HVM_PROF is unset) or a negative errno;
 * on failure profiling stays off.  Never prints.
 */
int hvm_prof_open(uint64_t tsc_khz);

/* A fresh invocation id for the records of one call. */
uint64_t hvm_prof_new_id(void);

/* What libhvm saw of one invocation, beside the channel's counts. */
struct hvm_prof_ros {
	uint32_t kick_submit; /* HVM_IOC_KICKs for the request */
	uint32_t kick_run;    /* ... for replies to forwarded calls */
	uint32_t sleeps_run;  /* waits for a forwarded call that slept */
	uint32_t sleeps_seen; /* waits for DONE that slept */
	uint32_t irq_seen;    /* 1: the HRT interrupted us for DONE */
	uint32_t kick_ipis;   /* scratch: the thread's count at a start */
};

/* Appends the finished invocation on (c), timestamps and events included. */
void hvm_prof_call(const struct hvm_chan *c, uint64_t id,
		   const struct hvm_prof_ros *ros);

/* Appends one forwarded call (nr, or PROF_FWD_FAULT) of invocation (id). */
void hvm_prof_fwd(uint32_t core, uint64_t id, uint64_t nr, uint64_t t_seen,
		  uint64_t t_reply);

/* In a forked child: forget the cached thread id. */
void hvm_prof_atfork_child(void);

#endif

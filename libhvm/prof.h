/* prof.h - libhvm-internal: the profile ring writer behind HVM_PROF. */
#ifndef HVM_LIBHVM_PROF_H
#define HVM_LIBHVM_PROF_H

#include <stdint.h>

#include "hvm_abi.h"
#include "prof_ring.h"

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

/* Appends the finished invocation on (c), timestamps included. */
void hvm_prof_call(const struct hvm_chan *c, uint64_t id);

/* Appends one forwarded call (nr, or PROF_FWD_FAULT) of invocation (id). */
void hvm_prof_fwd(uint32_t core, uint64_t id, uint64_t nr, uint64_t t_seen,
		  uint64_t t_reply);

/* In a forked child: forget the cached thread id. */
void hvm_prof_atfork_child(void);

#endif

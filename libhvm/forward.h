/* SPDX-License-Identifier: MIT */
/* forward.h - libhvm internals: serving HRT code's forwarded calls and faults. */
#ifndef HVM_FORWARD_H
#define HVM_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "hvm_abi.h"

/*
 * Serves the forwarded system call or fault on channel (c) (state
 * SYSCALL or FAULT) and replies; (aborted): answer -ECANCELED instead.
 * (t_reply), if not NULL, gets the TSC when the reply was posted.
 * Returns the call number served (PROF_FWD_FAULT-style ~0 for a fault).
 */
uint64_t hvm_serve(struct hvm_chan *c, uint32_t state, bool aborted,
		   uint64_t *t_reply);

#endif /* HVM_FORWARD_H */

/* SPDX-License-Identifier: MIT */
/* async.h - libhvm internals: the partner threads of asynchronous calls. */
#ifndef HVM_ASYNC_H
#define HVM_ASYNC_H

/* Ends every partner thread after its queued calls (hrt_close). */
void hvm_partners_stop(void);
/* A forked child: the partner of (core) does not exist here. */
void hvm_partners_forget(unsigned int core);

#endif /* HVM_ASYNC_H */

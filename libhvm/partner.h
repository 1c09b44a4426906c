/* SPDX-License-Identifier: MIT */
/* partner.h - libhvm internals: partner threads, the Linux half of cloned HRT threads, and their pool. */
#ifndef HVM_PARTNER_H
#define HVM_PARTNER_H

#include <stdint.h>

/*
 * clone with CLONE_THREAD: a channel for the new HRT thread and its
 * partner, created by Linux with the caller's flags, tid words and TLS
 * (so Linux checks the flags and writes the tid words).  Returns the
 * partner's tid and the channel in (*chan), or -errno.
 */
long hvm_clone_thread(uint64_t flags, uint64_t ptid, uint64_t ctid,
		      uint64_t tls, uint64_t core, uint64_t fs, int64_t *chan);

/*
 * The pool of partners made ahead of time: its size (HVM_PARTNER_POOL,
 * 0 = none), ended by hrt_close (waiting partners exit), forgotten by a
 * forked child (its threads are not there).
 */
#define HVM_POOL_MAX 16
extern unsigned int hvm_pool_size;
void hvm_pool_stop(void);
void hvm_pool_forget(void);

#endif /* HVM_PARTNER_H */

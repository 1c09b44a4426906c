/* forward.h - libhvm internals shared by invoking and forwarding. */
#ifndef HVM_FORWARD_H
#define HVM_FORWARD_H

#include <stdbool.h>
#include <stdint.h>

#include "hvm_abi.h"

/* The session (hvm.c): set while bound, read-only for the partners. */
extern int hvm_fd;
extern struct hvm_chan_area *hvm_area;
extern unsigned int hvm_ncores;

/*
 * What HVM_FUTEX=hrt says, for hrt-exec's runtime: no native thread of
 * this process waits on a private futex that HRT code wakes.
 */
void hvm_set_futex_hrt(bool on);

/*
 * The next HRT core for an automatic choice: of HVM_CORES (or all), the
 * one with the least of this process's code on it, round robin among
 * equals.  hvm_core_busy() counts (delta) code arriving or leaving (core).
 */
unsigned int hvm_next_core(void);
void hvm_core_busy(unsigned int core, int delta);

/*
 * Raw system calls: the forwarding path must not touch errno or any other
 * TLS, because the HRT code it serves may share this thread's TLS.
 */
long hvm_sys(long nr, long a, long b, long c, long d, long e, long f);
long hvm_ioctl(int fd, unsigned long cmd, void *arg);
/* Kicks HRT core (core); an IPI only when its service does not poll. */
void hvm_kick(unsigned int core);
/* Waits until evt_seq of channel (idx) moves past (seen); returns it or <0. */
long long hvm_wait_event(int idx, uint64_t seen, int mode, uint64_t spin_ns,
			 uint64_t deadline);

/*
 * Serves the forwarded system call or fault on channel (c) (state
 * SYSCALL or FAULT) and replies; (aborted): answer -ECANCELED instead.
 * (t_reply), if not NULL, gets the TSC when the reply was posted.
 * Returns the call number served (PROF_FWD_FAULT-style ~0 for a fault).
 */
uint64_t hvm_serve(struct hvm_chan *c, uint32_t state, bool aborted,
		   uint64_t *t_reply);

/* A forked child of HRT code: forget the parent's session (not bound here). */
void hvm_fork_child_reset(void);

#endif /* HVM_FORWARD_H */

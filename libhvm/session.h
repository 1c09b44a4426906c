/* SPDX-License-Identifier: MIT */
/* session.h - libhvm internals: the session, channels, stacks, core choice. */
#ifndef HVM_SESSION_H
#define HVM_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hvm.h"

/* The session: set while bound, read-only for everything else. */
extern int hvm_fd;
extern struct hvm_chan_area *hvm_area;
extern unsigned int hvm_ncores;
extern unsigned int hvm_ctx; /* our context slot */
extern bool hvm_futex_hrt;   /* HVM_FUTEX=hrt: see hvm_set_futex_hrt() */

/*
 * Raw system calls: the invocation and forwarding paths must not touch
 * errno or any other TLS, because the HRT code they serve may share this
 * thread's TLS (the errno it leaves is the caller's result).
 */
long hvm_sys(long nr, long a, long b, long c, long d, long e, long f);
long hvm_ioctl(int fd, unsigned long cmd, void *arg);

static inline uint64_t hvm_now_ns(void)
{
	struct timespec ts;

	hvm_sys(228 /* clock_gettime */, CLOCK_MONOTONIC, (long)&ts, 0, 0, 0,
		0);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The calling thread's FS base: glibc keeps the TCB's address at %fs:0. */
static inline uint64_t hvm_fs_base(void)
{
	uint64_t fs;

	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs));
	return fs;
}

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
/* May this process's code go to HRT core (core) (HVM_CORES)? */
bool hvm_core_allowed(uint64_t core);
void hvm_core_busy(unsigned int core, int delta);
/* (o)'s core, or the next automatic choice; -EINVAL for a bad index. */
int hvm_pick_core(const struct hrt_opts *o);

/* The calling thread's channel to (core), opened on first use, or <0. */
int hvm_thread_chan(unsigned int core);
/* Marks the calling thread's call on (core) under way (siglongjmp-safe). */
void hvm_thread_busy(unsigned int core, bool busy);
/* Closes the calling thread's channel (idx) to (core): it is not reusable. */
void hvm_thread_chan_drop(unsigned int core, int idx);
/* Closes channel (idx) wherever the calling thread holds it. */
void hvm_thread_chan_release(int idx);
/* Gives channel (idx) a stack of (size) bytes: 0, -EINVAL or -ENOMEM. */
int hvm_chan_stack_set(int idx, size_t size);
/* Channel (idx)'s stack top (16-byte aligned). */
uint64_t hvm_chan_stack_top(int idx);

/*
 * hrt.c, in a forked child: forget the cached native-thread stacks, which
 * are MADV_DONTFORK and so not in the child.
 */
void hvm_nt_forget(void);

/* A forked child of HRT code: forget the parent's session (not bound here). */
void hvm_fork_child_reset(void);

#endif /* HVM_SESSION_H */

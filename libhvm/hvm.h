/* SPDX-License-Identifier: MIT */
/* hvm.h - libhvm: run a Linux process's functions on HRT cores over its own memory. */
#ifndef HVM_H
#define HVM_H

/*
 * Every function returns 0 (or a count) on success and a negative errno on
 * failure; libhvm never prints, never exits and never raises a signal on
 * its own.  The first call of any function opens /dev/hvm and binds the
 * calling process's address space implicitly (hrt_open() does it
 * explicitly).  Thread-safe: any thread may invoke at any time.
 *
 * An offloaded function runs in kernel mode on an HRT core, over this
 * process's memory (its pointers are valid there), with a stack inside
 * this process and a glibc-valid FS base, so ordinary compiled code and
 * libc calls work.  Its system calls are executed by a Linux thread of
 * this process and its page faults on not-yet-populated memory are served
 * by Linux; see docs/libhvm.md for which calls are forwarded and which
 * get a defined errno.
 */
#include <stddef.h>
#include <stdint.h>

#include "hvm_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An offloaded function: (arg) as given, (core_index) 0..n-1 for
 * hrt_invoke_all() and 0 otherwise.  Its return value is the result. */
typedef long (*hrt_fn)(void *arg, unsigned int core_index);

/* How the calling thread waits for completion (struct hrt_opts.wait). */
enum hrt_wait_mode {
	HRT_WAIT_DEFAULT = 0,	 /* spin briefly, then block */
	HRT_WAIT_POLL = 1,	 /* spin on the channel: lowest latency */
	HRT_WAIT_BLOCK = 2,	 /* sleep in hvm.ko until the HRT interrupts */
	HRT_WAIT_SPIN_BLOCK = 3, /* spin (spin_us), then block */
};

/* Per-call options; a NULL pointer means all defaults. */
struct hrt_opts {
	int core; /* HRT core index, or -1 for any (default) */
	enum hrt_wait_mode wait;
	unsigned int spin_us;	 /* spin time for HRT_WAIT_SPIN_BLOCK/DEFAULT */
	unsigned int timeout_ms; /* 0: none; on expiry the call is aborted */
	struct hvm_fault *fault; /* out: filled when the function faulted */
	/*
	 * Bytes of invocation stack (64 KiB .. 1 GiB); 0: HVM_STACK_SIZE from
	 * the environment, else 8 MiB.  Populated on demand.
	 */
	size_t stack_size;
};

/*
 * What hrt_info() reports.  (The public API is hrt_* throughout; struct
 * hvm_info in hvm_uapi.h is the driver's ioctl record.)
 */
struct hrt_info {
	uint32_t abi_version;
	uint32_t hrt_cores;
	uint32_t hrt_state; /* enum hvm_hrt_state */
	uint32_t boot_count;
	uint64_t hrt_mem_bytes;
	uint64_t tsc_khz;
};

/*
 * Opens /dev/hvm and binds this process's address space to an HRT context.
 * Idempotent.  Returns 0, -ENOENT (no hvm.ko), -EACCES (not permitted:
 * /dev/hvm is root-only unless a group was granted), -ENODEV (HRT not
 * ready) or another negative errno.
 */
int hrt_open(void);

/* Unbinds and closes; running invocations are aborted.  Safe to repeat. */
void hrt_close(void);

/* Fills (info).  Returns 0 or a negative errno. */
int hrt_info(struct hrt_info *info);

/*
 * Runs fn(arg, 0) on an HRT core and waits for it.  (ret) receives fn's
 * return value (may be NULL).  Returns 0; -EFAULT when fn faulted (no
 * details: use hrt_invoke_opts with a fault pointer); -ETIMEDOUT;
 * -ECANCELED when the HRT rebooted underneath; -EAGAIN while it is
 * (re)booting (no new channel opens then: try again); other negative
 * errno.
 */
int hrt_invoke(hrt_fn fn, void *arg, long *ret);

/* hrt_invoke() with options (opts) (NULL for defaults). */
int hrt_invoke_opts(hrt_fn fn, void *arg, long *ret,
		    const struct hrt_opts *opts);

/* An invocation in flight, from hrt_invoke_async(). */
struct hrt_call;

/*
 * Starts fn(arg, 0) on an HRT core and returns at once with (*call).
 * Its forwarded system calls are served by a libhvm partner thread whose
 * FS base the function runs with.  Returns 0 or a negative errno; on
 * success the caller must hrt_wait() exactly once.
 */
int hrt_invoke_async(hrt_fn fn, void *arg, const struct hrt_opts *opts,
		     struct hrt_call **call);

/* Returns 0 when (call) has finished, -EAGAIN while it runs. */
int hrt_poll(struct hrt_call *call);

/*
 * Waits for (call), stores fn's return value in (ret) (may be NULL),
 * frees (call) and returns the invocation's status as hrt_invoke() does.
 */
int hrt_wait(struct hrt_call *call, long *ret);

/*
 * Runs fn(arg, i) for i = 0..(ncores)-1 at once, one per HRT core
 * (0 = all cores), and waits for all.  (rets), when not NULL, receives
 * ncores return values.  Returns the number of cores used, or the first
 * negative errno any of them ended with.
 */
int hrt_invoke_all(hrt_fn fn, void *arg, unsigned int ncores, long *rets,
		   const struct hrt_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* HVM_H */

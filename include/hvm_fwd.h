/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* hvm_fwd.h - the forwarding policy: which system calls of HRT code do not simply go to Linux, and why. */
#ifndef HVM_FWD_H
#define HVM_FWD_H

/*
 * Every system call of offloaded code is forwarded to its partner thread
 * in Linux (raw syscall(2) semantics) unless this table says otherwise.
 * The HRT (hrt-kernel/syscall.c, futex.c) takes its call numbers from it,
 * libhvm (libhvm/forward.c) its refusals, and hvm-unit's
 * fwd_table_matches_docs checks docs/libhvm.md's table against it.
 *
 * HVM_FWD_TABLE(X) calls X(nr, name, policy, why) once a call: its Linux
 * x86-64 number, its name (HVM_SYS_name is the number), its policy and the
 * reason as the docs give it.
 */
#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdint.h>
#endif

enum hvm_fwd_policy {
	/* Linux executes it for the code: every call not in the table. */
	HVM_FWD_FORWARD = 0,
	/* The HRT serves it; it never reaches Linux as such. */
	HVM_FWD_HRT,
	/* The HRT serves some forms of it and forwards the others. */
	HVM_FWD_HRT_SOME,
	/* Forwarded; libhvm serves it itself instead of executing it. */
	HVM_FWD_LIBHVM,
	/*
	 * Forwarded; then the HRT copies the top-level entries Linux may have
	 * added (what Linux removes or changes reaches the HRT as a flush
	 * request from hvm.ko's mmu_notifier, so munmap and mprotect are
	 * plain forwarded calls).
	 */
	HVM_FWD_RESYNC,
	/* -ENOSYS: no other thread can execute it faithfully. */
	HVM_FWD_REFUSED,
};

#define HVM_FWD_TABLE(X)                                                                 \
	X(9, mmap, HVM_FWD_RESYNC, "Linux may have added top-level entries")             \
	X(12, brk, HVM_FWD_RESYNC, "Linux may have added top-level entries")             \
	X(13, rt_sigaction, HVM_FWD_LIBHVM,                                              \
	  "libhvm keeps the handlers and delivers signals to HRT code")                  \
	X(14, rt_sigprocmask, HVM_FWD_LIBHVM,                                            \
	  "libhvm keeps the signals it holds back out of the mask HRT code sees")        \
	X(15, rt_sigreturn, HVM_FWD_HRT,                                                 \
	  "returns from the HRT thread's own signal frame")                              \
	X(24, sched_yield, HVM_FWD_HRT_SOME,                                             \
	  "yields the HRT core; one in 64 in a row is forwarded for held signals")       \
	X(25, mremap, HVM_FWD_RESYNC,                                                    \
	  "Linux may have added top-level entries")                                      \
	X(39, getpid, HVM_FWD_HRT_SOME,                                                  \
	  "the bound process's PID from hvm.ko; forwarded when it gave none")            \
	X(56, clone, HVM_FWD_HRT,                                                        \
	  "the HRT and the partner clone together (HVM_NR_CLONE)")                       \
	X(57, fork, HVM_FWD_HRT, "served as clone(SIGCHLD)")                             \
	X(58, vfork, HVM_FWD_HRT,                                                        \
	  "served as clone(CLONE_VM | CLONE_VFORK | SIGCHLD)")                           \
	X(60, exit, HVM_FWD_HRT,                                                         \
	  "ends the HRT thread and its partner (HVM_CHAN_EXIT)")                         \
	X(158, arch_prctl, HVM_FWD_HRT_SOME,                                             \
	  "ARCH_SET_FS sets the HRT thread's FS base; other codes are forwarded")        \
	X(202, futex, HVM_FWD_HRT_SOME,                                                  \
	  "waits and wakes among HRT threads stay on the HRT; the others are forwarded") \
	X(273, set_robust_list, HVM_FWD_HRT_SOME,                                        \
	  "kept by the HRT for a cloned thread; its partner registers it at exit")       \
	X(317, seccomp, HVM_FWD_REFUSED,                                                 \
	  "would filter the partner, not the HRT code")                                  \
	X(435, clone3, HVM_FWD_REFUSED,                                                  \
	  "glibc falls back to clone, which the HRT serves")

/* Numbers from here up are refused, and why. */
#define HVM_FWD_NR_LIMIT     1024u
#define HVM_FWD_NR_LIMIT_WHY "not a Linux x86-64 system call"

/* HVM_SYS_mmap, ...: the numbers the table names. */
enum hvm_fwd_sys {
#define HVM_FWD_SYS(nr, name, policy, why) HVM_SYS_##name = nr,
	HVM_FWD_TABLE(HVM_FWD_SYS)
#undef HVM_FWD_SYS
};

/* The policy of system call (nr). */
static inline enum hvm_fwd_policy hvm_fwd_policy(uint64_t nr)
{
	switch (nr) {
#define HVM_FWD_CASE(n, name, policy, why)                                     \
	case n:                                                                \
		return policy;
		HVM_FWD_TABLE(HVM_FWD_CASE)
#undef HVM_FWD_CASE
	default:
		return nr >= HVM_FWD_NR_LIMIT ? HVM_FWD_REFUSED
					      : HVM_FWD_FORWARD;
	}
}

/* The policy's word in docs/libhvm.md's table. */
static inline const char *hvm_fwd_policy_name(enum hvm_fwd_policy p)
{
	static const char *const names[] = {
		[HVM_FWD_FORWARD] = "forwarded",
		[HVM_FWD_HRT] = "HRT",
		[HVM_FWD_HRT_SOME] = "HRT, partly",
		[HVM_FWD_LIBHVM] = "libhvm",
		[HVM_FWD_RESYNC] = "forwarded, then resync",
		[HVM_FWD_REFUSED] = "refused",
	};

	return (unsigned int)p < sizeof(names) / sizeof(names[0]) ? names[p]
								  : "?";
}

#endif /* HVM_FWD_H */

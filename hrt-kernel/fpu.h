/* SPDX-License-Identifier: MIT */
/* fpu.h - x87/SSE/AVX enablement and per-thread extended state save/restore. */
#ifndef HRT_FPU_H
#define HRT_FPU_H

#include "types.h"

extern bool hrt_fpu_xsave;
extern u32 hrt_fpu_size;
extern u64 hrt_xcr0;

void hrt_fpu_init_cpu(void);
/* A 64-byte aligned area holding the clean initial state, or NULL. */
void *hrt_fpu_alloc(void);
void hrt_fpu_save(void *area);
void hrt_fpu_restore(void *area);
/* The live MXCSR and x87 control word (process code's, in its thread). */
void hrt_fpu_get_control(u32 *mxcsr, u16 *fcw);
/*
 * Clean initial FP/SIMD state with (mxcsr) and (fcw) in force: what an
 * invocation starts with, so nothing leaks from an earlier one.
 */
void hrt_fpu_reset(u32 mxcsr, u16 fcw);
/*
 * Makes (area), an image process code may have written (a signal frame),
 * safe for hrt_fpu_restore: no reserved MXCSR or XSAVE header bits.
 */
void hrt_fpu_sanitize(void *area);

#endif /* HRT_FPU_H */

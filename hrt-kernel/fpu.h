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

#endif /* HRT_FPU_H */

/* SPDX-License-Identifier: MIT */
/* parallel.h - hrt_parallel_for: split an index range over all or N HRT cores. */
#ifndef HRT_PARALLEL_H
#define HRT_PARALLEL_H

#include "types.h"

typedef void (*hrt_pfor_fn)(u64 i, void *arg);

/*
 * Calls fn(i, arg) for every i in [start, end) using one thread pinned to
 * each of the first ncores online CPUs (0 = all), in contiguous chunks.
 * Returns 0 or -ENOMEM (nothing ran if no thread could be created).
 */
int hrt_parallel_for(u64 start, u64 end, hrt_pfor_fn fn, void *arg, u32 ncores);

#endif /* HRT_PARALLEL_H */

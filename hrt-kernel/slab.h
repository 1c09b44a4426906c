/* SPDX-License-Identifier: MIT */
/* slab.h - hrt_malloc/hrt_free: power-of-two object caches over the buddy allocator. */
#ifndef HRT_SLAB_H
#define HRT_SLAB_H

#include "types.h"

#define HRT_SLAB_CLASSES 7 /* 16 .. 1024 bytes; larger requests take pages */

struct hrt_malloc_stats {
	u64 allocs, frees, failures;
	u64 bytes_in_use; /* rounded-up sizes of live allocations */
	u64 slab_pages;	  /* pages held by the object caches */
	u64 large_pages;  /* pages of live large allocations */
	u64 class_in_use[HRT_SLAB_CLASSES];
};

/* 16-byte aligned; 64-byte aligned when size >= 64.  NULL when out of memory. */
void *hrt_malloc(size_t size);
void *hrt_zalloc(size_t size);
void hrt_free(void *p);
void hrt_malloc_get_stats(struct hrt_malloc_stats *s);

#endif /* HRT_SLAB_H */

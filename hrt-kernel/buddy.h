/* SPDX-License-Identifier: MIT */
/* buddy.h - binary buddy page allocator over physical ranges of HRT memory. */
#ifndef HRT_BUDDY_H
#define HRT_BUDDY_H

#include "list.h"
#include "sync.h"
#include "types.h"

#define HRT_MAX_ORDER	10 /* largest block: 4 MiB */
#define HRT_MAX_ZONES	8
#define HRT_BUDDY_ALIGN (2ull << 20)

/* Per-page metadata byte: block heads only. */
#define HRT_PG_FREE  0x80
#define HRT_PG_ALLOC 0x40
#define HRT_PG_ORDER 0x1f

struct hrt_buddy {
	struct hrt_spinlock lock;
	/*
	 * Physical, 2 MiB aligned (HRT_BUDDY_ALIGN), so that blocks of 2 MiB
	 * and more are naturally aligned in physical memory too (large-page
	 * mappings need it): the first (skip) pages below the range's usable
	 * start are never free.
	 */
	u64 base;
	u64 npages; /* pages from base to the end */
	u64 skip;
	u8 *meta; /* one byte per managed page */
	struct hrt_list free[HRT_MAX_ORDER + 1];
	u64 nfree[HRT_MAX_ORDER + 1];
	u64 free_pages;
	u64 allocs, frees, failures;
};

struct hrt_buddy_stats {
	u64 total_pages, free_pages, allocs, frees, failures;
	u64 largest_free_order;
};

/* Manages [phys, phys+bytes); the metadata lives at the start of the range. */
int hrt_buddy_init(struct hrt_buddy *b, u64 phys, u64 bytes);
u64 hrt_buddy_alloc(struct hrt_buddy *b, unsigned int order); /* 0 = none */
void hrt_buddy_free(struct hrt_buddy *b, u64 phys, unsigned int order);
bool hrt_buddy_contains(struct hrt_buddy *b, u64 phys);
int hrt_buddy_order_of(struct hrt_buddy *b, u64 phys); /* allocated head */
void hrt_buddy_get_stats(struct hrt_buddy *b, struct hrt_buddy_stats *s);

/* The system allocator: zones over the HRT memory, direct-map addresses. */
int hrt_pages_add_range(u64 phys, u64 bytes);
void *hrt_pages_alloc(unsigned int order);
void *hrt_pages_zalloc(unsigned int order);
void hrt_pages_free(void *va, unsigned int order);
int hrt_pages_order_of(void *va); /* -EINVAL when not an allocated head */
void hrt_pages_stats(struct hrt_buddy_stats *s);

#endif /* HRT_BUDDY_H */

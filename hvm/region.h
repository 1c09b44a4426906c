/* SPDX-License-Identifier: MIT */
/* region.h - the HRT memory region: a memfd shared with QEMU's ivshmem. */
#ifndef HVM_REGION_H
#define HVM_REGION_H

#include <stddef.h>
#include <stdint.h>

#include "hvm_abi.h"
#include "plan.h"

struct region {
	int fd;
	uint64_t size;
	void *base;
	int hugepages;	/* 1 when backed by hugetlbfs pages */
	int numa_bound; /* node it is bound to, or -1 */
};

/*
 * Creates the region for (p): memfd (hugepages when available), bound to
 * host node (numa_node) when >= 0 and possible, prefaulted, header written.
 * (note) receives a one-line remark about what could not be done, if any.
 * Returns 0 or a negative errno.
 */
int region_create(struct region *r, const struct plan *p, int numa_node,
		  char *note, size_t notelen);

/* Writes the header for (p) into (base) (region_size bytes). */
void region_init_header(void *base, const struct plan *p);

/*
 * Copies the HRT image (data, len) into the image slot.  Returns 0, or
 * -EFBIG when it does not fit, -ENOEXEC when it is not an ELF64 file.
 */
int region_load_image(void *base, const void *data, size_t len);

static inline struct hvm_shm_header *region_header(const struct region *r)
{
	return (struct hvm_shm_header *)r->base;
}

void region_destroy(struct region *r);

#endif
